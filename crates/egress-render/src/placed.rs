//! A built object with where it belongs in the output (SPEC §7) and what it
//! was made for, so that a problem with it can be traced back to the input.

use crate::manifest::Manifest;
use crate::model::{AllowRule, Labels, Package};
use crate::names::show_labels;

/// Where an object goes in the output. The variants are declared in SPEC
/// §7's order, so the derived order is the output order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Slot<'a> {
    /// A package-owned object: packages in (namespace, name) order, then
    /// ServiceEntries, AuthorizationPolicies or Sidecars, NetworkPolicies,
    /// each group in first-seen order.
    Package {
        package: usize,
        group: OwnedGroup,
        seq: usize,
    },
    /// The shared ambient waypoint.
    Waypoint,
    /// A central ambient object of a host: ServiceEntry, then policy.
    AmbientHost { host: &'a str, seq: u8 },
    /// A shared sidecar object of a host: Gateway, VirtualService, ServiceEntry.
    SidecarHost { host: &'a str, seq: u8 },
}

/// The groups of a package's own objects, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OwnedGroup {
    ServiceEntries,
    Policies,
    NetworkPolicies,
}

/// A rendered object and its origin.
pub(crate) struct Placed<'a> {
    pub manifest: Manifest,
    pub slot: Slot<'a>,
    /// The package that asked for it (the first one, for shared objects).
    pub pkg: &'a Package,
    pub host: &'a str,
    /// The first rule that asked for the object, and the field that named it.
    pub rule: Option<(&'a AllowRule, &'static str)>,
    /// What the object was made for, when more than its host.
    pub what: Option<MadeFor<'a>>,
}

impl<'a> Placed<'a> {
    pub fn new(manifest: Manifest, slot: Slot<'a>, pkg: &'a Package, host: &'a str) -> Self {
        Placed {
            manifest,
            slot,
            pkg,
            host,
            rule: None,
            what: None,
        }
    }

    /// The rule (first to ask for the object) and the field naming it.
    pub fn asked_by(mut self, rule: Option<&'a AllowRule>, field: &'static str) -> Self {
        self.rule = rule.map(|r| (r, field));
        self
    }

    /// What the object was made for, e.g. `selector {app: web}`.
    pub fn made_for(mut self, what: MadeFor<'a>) -> Self {
        self.what = Some(what);
        self
    }

    /// Whether the object is shared by the packages of a mode, rather than
    /// in one package's namespace.
    pub fn shared(&self) -> bool {
        !matches!(self.slot, Slot::Package { .. })
    }

    /// The object's origin, for collision messages.
    pub fn origin(&self) -> String {
        let rule = self
            .rule
            .map(|(r, _)| format!(" (allow[{}])", r.index))
            .unwrap_or_default();
        if let Some(what) = &self.what {
            format!("{}{rule} in package {}", what.describe(), self.pkg.id())
        } else if self.host.is_empty() {
            format!("package {}", self.pkg.id())
        } else if self.shared() {
            let at = self
                .rule
                .map(|(r, _)| format!(", allow[{}]", r.index))
                .unwrap_or_default();
            format!(
                "host {} (first requested by package {}{at})",
                self.host,
                self.pkg.id()
            )
        } else {
            format!("host {}{rule} in package {}", self.host, self.pkg.id())
        }
    }
}

/// What an object was made for beyond its host, kept as references and
/// described only when a collision is reported.
pub(crate) enum MadeFor<'a> {
    /// An AuthorizationPolicy: a host and a service account, or none.
    Identity(&'a str, Option<&'a str>),
    /// A Sidecar: a selector, or the whole namespace.
    Selector(Option<&'a Labels>),
    /// A NetworkPolicy: its rule.
    Rule(usize),
}

impl MadeFor<'_> {
    fn describe(&self) -> String {
        match self {
            MadeFor::Identity(host, Some(sa)) => format!("host {host} and serviceAccount {sa}"),
            MadeFor::Identity(host, None) => format!("host {host} without serviceAccount"),
            MadeFor::Selector(Some(s)) => format!("selector {}", show_labels(s)),
            MadeFor::Selector(None) => "no selector (the whole namespace)".to_string(),
            MadeFor::Rule(i) => format!("the NetworkPolicy of allow[{i}]"),
        }
    }
}
