//! A package's egress, normalised (SPEC §3, §4): its mode, its host map and
//! its remoteHost rules with protocol and ports filled in.

use crate::hash::FastHash;
use crate::model::{AllowRule, Mode, Package, Protocol};
use crate::options::Options;
use indexmap::IndexMap;
use std::collections::HashSet;

/// A (port, protocol) pair of a host.
pub(crate) type Pair = (u16, Protocol);

/// Host → its pairs, hosts and pairs in first-seen order (SPEC §4).
pub(crate) type HostMap<'a> = IndexMap<&'a str, Vec<Pair>, FastHash>;

/// One remoteHost rule with its defaults applied.
pub(crate) struct EgressRule<'a> {
    pub rule: &'a AllowRule,
    pub host: &'a str,
    pub protocol: Protocol,
    pub ports: Vec<u16>,
}

/// A package that has at least one remoteHost rule.
pub(crate) struct Egress<'a> {
    pub pkg: &'a Package,
    pub mode: Mode,
    pub hosts: HostMap<'a>,
    /// The first rule naming each host, in host-map order (error locations).
    pub first_rules: Vec<&'a AllowRule>,
    pub rules: Vec<EgressRule<'a>>,
}

impl<'a> Egress<'a> {
    /// The first rule that names `host`, if the package names it.
    pub fn first_rule(&self, host: &str) -> Option<&'a AllowRule> {
        self.hosts
            .get_index_of(host)
            .and_then(|i| self.first_rules.get(i).copied())
    }
}

/// The package's egress, or `None` when it has no remoteHost rule.
pub(crate) fn egress<'a>(pkg: &'a Package, options: &Options) -> Option<Egress<'a>> {
    let mut hosts = HostMap::default();
    let mut seen: HashSet<(&str, Pair), FastHash> = HashSet::default();
    let mut first_rules = Vec::new();
    let mut rules = Vec::new();
    for rule in &pkg.allow {
        let Some(host) = rule.remote_host.as_deref() else {
            continue;
        };
        let protocol = rule.protocol();
        let ports = rule.effective_ports();
        let entry = hosts.entry(host);
        if let indexmap::map::Entry::Vacant(_) = entry {
            first_rules.push(rule);
        }
        let pairs = entry.or_default();
        for &port in &ports {
            if seen.insert((host, (port, protocol))) {
                pairs.push((port, protocol));
            }
        }
        rules.push(EgressRule {
            rule,
            host,
            protocol,
            ports,
        });
    }
    (!rules.is_empty()).then(|| Egress {
        pkg,
        mode: pkg.effective_mode(options.default_mode),
        hosts,
        first_rules,
        rules,
    })
}
