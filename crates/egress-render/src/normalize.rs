//! One package's egress, normalised for a release (SPEC §3, §4): its mode,
//! its host map, its remoteHost rules with protocol and Istio ports filled
//! in, its Sidecar selector groups and its `remoteGenerated: Anywhere`
//! participants.

use crate::model::{AllowRule, Direction, Labels, Mode, Package, Protocol};
use crate::release::Behaviour;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher as FastHash;
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
    /// The ports the Istio objects use (SPEC §4), in order, without repeats.
    pub ports: Vec<u16>,
}

impl EgressRule<'_> {
    /// The rule's own pairs, in its order.
    pub fn pairs(&self) -> Vec<Pair> {
        self.ports.iter().map(|&p| (p, self.protocol)).collect()
    }
}

/// Who an ambient rule admits (SPEC §4): a service account's principal, or
/// without one the whole namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Identity<'a> {
    /// `serviceAccount` in a namespace.
    ServiceAccount {
        namespace: &'a str,
        service_account: &'a str,
    },
    /// Every workload of the namespace.
    Namespace(&'a str),
}

impl<'a> Identity<'a> {
    pub fn of(pkg: &'a Package, rule: &'a AllowRule) -> Self {
        match rule.service_account.as_deref() {
            Some(sa) => Identity::ServiceAccount {
                namespace: &pkg.namespace,
                service_account: sa,
            },
            None => Identity::Namespace(&pkg.namespace),
        }
    }
}

/// An ambient `Egress` rule with `remoteGenerated: Anywhere` (0.59+): its
/// identity joins every ambient host's policy (SPEC §5.2).
pub(crate) struct Participant<'a> {
    pub rule: &'a AllowRule,
    pub identity: Identity<'a>,
    /// The ports it joins; `None` for every port.
    pub ports: Option<Vec<u16>>,
}

/// The workloads one Sidecar selects and the hosts its rules name.
pub(crate) struct SelectorGroup<'a> {
    /// As first written; `None` without a selector, `Some({})` for `{}`.
    pub selector: Option<&'a Labels>,
    pub hosts: Vec<&'a str>,
    /// The first rule with this selector.
    pub first_rule: &'a AllowRule,
}

/// A package with at least one remoteHost rule or Anywhere participant.
pub(crate) struct Egress<'a> {
    pub pkg: &'a Package,
    pub mode: Mode,
    pub hosts: HostMap<'a>,
    /// The first rule naming each host, in host-map order (error locations).
    pub first_rules: Vec<&'a AllowRule>,
    pub rules: Vec<EgressRule<'a>>,
    pub participants: Vec<Participant<'a>>,
    /// Sidecar mode: one group per distinct selector, first-seen.
    pub selectors: Vec<SelectorGroup<'a>>,
}

impl<'a> Egress<'a> {
    /// The first rule that names `host`, if the package names it.
    pub fn first_rule(&self, host: &str) -> Option<&'a AllowRule> {
        self.hosts
            .get_index_of(host)
            .and_then(|i| self.first_rules.get(i).copied())
    }
}

/// `items` in order without repeats: a set beside the list, so that a rule
/// listing all 65,535 ports stays linear.
fn unique(items: impl IntoIterator<Item = u16>) -> Vec<u16> {
    let mut seen = HashSet::<u16, FastHash>::default();
    items.into_iter().filter(|p| seen.insert(*p)).collect()
}

/// True when `ports` is what the operator reads: non-empty, or before 0.59
/// written at all (SPEC §4).
pub(crate) fn ports_taken(rule: &AllowRule, behaviour: &Behaviour) -> bool {
    !rule.ports.is_empty() || (rule.ports_given && behaviour.empty_ports_given)
}

/// The ports a remoteHost rule's Istio objects use (SPEC §4).
pub(crate) fn istio_ports(rule: &AllowRule, protocol: Protocol, behaviour: &Behaviour) -> Vec<u16> {
    if ports_taken(rule, behaviour) {
        unique(rule.ports.iter().copied())
    } else if let Some(p) = rule.port {
        vec![p]
    } else {
        vec![behaviour.default_port(protocol)]
    }
}

/// The ports an Anywhere participant joins: `ports`, else `[port]`, else
/// every port (`None`).
fn participant_ports(rule: &AllowRule, behaviour: &Behaviour) -> Option<Vec<u16>> {
    if ports_taken(rule, behaviour) {
        Some(unique(rule.ports.iter().copied()))
    } else {
        rule.port.map(|p| vec![p])
    }
}

/// A selector's keys and values as written: the operator tells Sidecars
/// apart by them (SPEC §6.1), so `{app: a, tier: b}` and `{tier: b, app: a}`
/// are two Sidecars; `None` (no selector) differs from `Some([])` (`{}`).
pub(crate) fn selector_key(sel: Option<&Labels>) -> Option<Vec<(&str, &str)>> {
    sel.map(|s| s.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
}

/// The package's egress under `mode`, or `None` when it has nothing to
/// render (no remoteHost rule, no participant).
pub(crate) fn egress<'a>(
    pkg: &'a Package,
    mode: Mode,
    behaviour: &Behaviour,
) -> Option<Egress<'a>> {
    let mut hosts = HostMap::default();
    let mut seen: HashSet<(&str, Pair), FastHash> = HashSet::default();
    let mut first_rules = Vec::new();
    let mut rules = Vec::new();
    let mut participants = Vec::new();
    let mut groups: IndexMap<Option<Vec<(&str, &str)>>, SelectorGroup<'a>, FastHash> =
        IndexMap::default();
    let mut grouped: HashSet<(usize, &str), FastHash> = HashSet::default();
    for rule in &pkg.allow {
        let Some(host) = rule.remote_host.as_deref() else {
            let anywhere = rule.remote_generated.as_deref() == Some("Anywhere");
            if mode == Mode::Ambient
                && behaviour.central_ambient
                && anywhere
                && rule.direction == Some(Direction::Egress)
                && rule.remote_protocol != Some(Protocol::Udp)
            {
                participants.push(Participant {
                    rule,
                    identity: Identity::of(pkg, rule),
                    ports: participant_ports(rule, behaviour),
                });
            }
            continue;
        };
        let protocol = rule.protocol();
        let ports = istio_ports(rule, protocol, behaviour);
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
        if mode == Mode::Sidecar {
            let entry = groups.entry(selector_key(rule.selector.as_ref()));
            let index = entry.index();
            let group = entry.or_insert_with(|| SelectorGroup {
                selector: rule.selector.as_ref(),
                hosts: Vec::new(),
                first_rule: rule,
            });
            if grouped.insert((index, host)) {
                group.hosts.push(host);
            }
        }
        rules.push(EgressRule {
            rule,
            host,
            protocol,
            ports,
        });
    }
    (!rules.is_empty() || !participants.is_empty()).then(|| Egress {
        pkg,
        mode,
        hosts,
        first_rules,
        rules,
        participants,
        selectors: groups.into_values().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::Release;

    fn rule(ports: &[u16], ports_given: bool, port: Option<u16>) -> AllowRule {
        AllowRule {
            ports: ports.to_vec(),
            ports_given,
            port,
            ..AllowRule::default()
        }
    }

    #[test]
    fn istio_ports_follow_the_release() {
        let new = Release::LATEST.behaviour();
        let old = Release::new(0, 58).behaviour();
        let r = rule(&[443, 8443, 443], true, Some(9));
        assert_eq!(
            istio_ports(&r, Protocol::Tls, &new),
            [443, 8443],
            "port ignored"
        );
        let r = rule(&[], true, Some(9));
        assert_eq!(istio_ports(&r, Protocol::Tls, &new), [9]);
        assert!(
            istio_ports(&r, Protocol::Tls, &old).is_empty(),
            "ports: [] given before 0.59"
        );
        let r = rule(&[], false, None);
        assert_eq!(istio_ports(&r, Protocol::Http, &new), [80]);
        assert_eq!(istio_ports(&r, Protocol::Http, &old), [443]);
        let long: Vec<u16> = (1..=65535).chain(1..=65535).collect();
        assert_eq!(
            istio_ports(&rule(&long, true, None), Protocol::Tls, &new).len(),
            65535
        );
    }
}
