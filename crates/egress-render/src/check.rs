//! Checks on what was rendered: name collisions (SPEC §2.13), Kubernetes
//! metadata rules as a safety net (SPEC §2.12), and referential integrity
//! (SPEC §7).

use crate::error::{Error, ErrorKind};
use crate::hash::FastHash;
use crate::manifest::Manifest;
use crate::model::{AllowRule, Package};
use crate::names;
use std::collections::{HashMap, HashSet};

/// A rendered object with the package, host and rule it was made for, so
/// that a problem with it can be traced back to the input.
pub(crate) struct Placed<'a> {
    pub manifest: Manifest,
    pub pkg: &'a Package,
    pub host: &'a str,
    pub shared: bool,
    /// The first rule that asked for the object, and the field that named it.
    pub rule: Option<(&'a AllowRule, &'static str)>,
    /// What the object was made for, when more than its host (a selector, a
    /// service account).
    pub what: Option<MadeFor<'a>>,
}

impl<'a> Placed<'a> {
    pub fn owned(manifest: Manifest, pkg: &'a Package, host: &'a str) -> Self {
        Placed {
            manifest,
            pkg,
            host,
            shared: false,
            rule: None,
            what: None,
        }
    }

    pub fn shared(manifest: Manifest, pkg: &'a Package, host: &'a str) -> Self {
        Placed {
            shared: true,
            ..Placed::owned(manifest, pkg, host)
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

    fn origin(&self) -> String {
        let rule = self
            .rule
            .map(|(r, _)| format!(" (allow[{}])", r.index))
            .unwrap_or_default();
        if let Some(what) = &self.what {
            format!("{}{rule} in package {}", what.describe(), self.pkg.id())
        } else if self.host.is_empty() {
            format!("package {}", self.pkg.id())
        } else if self.shared {
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
    Selector(Option<&'a crate::model::Labels>),
}

impl MadeFor<'_> {
    fn describe(&self) -> String {
        match self {
            MadeFor::Identity(host, Some(sa)) => format!("host {host} and serviceAccount {sa}"),
            MadeFor::Identity(host, None) => format!("host {host} without serviceAccount"),
            MadeFor::Selector(Some(s)) => {
                format!("selector {}", crate::sidecar::show_selector(s))
            }
            MadeFor::Selector(None) => "no selector (the whole namespace)".to_string(),
        }
    }
}

/// §2.13: two different objects with the same kind, namespace and name.
/// Objects that collide for the same two origins (the Gateway,
/// VirtualService and ServiceEntry of two hosts) are reported together.
pub(crate) fn collisions(placed: &[Placed]) -> Vec<Error> {
    let mut seen: HashMap<(&str, &str, &str, &str), &Placed, FastHash> =
        HashMap::with_capacity_and_hasher(placed.len(), FastHash::default());
    // (first origin, second origin) -> the colliding objects, in output order.
    let mut groups: Vec<((String, String), &Placed, Vec<String>)> = Vec::new();
    let mut group_of: HashMap<(String, String), usize> = HashMap::new();
    for p in placed {
        let m = &p.manifest;
        let key = (m.api_version(), m.kind(), m.namespace(), m.name());
        match seen.get(&key) {
            None => {
                seen.insert(key, p);
            }
            Some(first) => {
                let origins = (first.origin(), p.origin());
                let object = format!("{} {}/{}", m.kind(), m.namespace(), m.name());
                match group_of.get(&origins).and_then(|&i| groups.get_mut(i)) {
                    Some((_, _, objects)) => objects.push(object),
                    None => {
                        group_of.insert(origins.clone(), groups.len());
                        groups.push((origins, p, vec![object]));
                    }
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|((first, second), p, objects)| {
            let what = if objects.len() == 1 {
                format!("{} would be rendered twice", objects.join(""))
            } else {
                format!("{} would each be rendered twice", objects.join(", "))
            };
            let mut e = Error::new(
                ErrorKind::NameCollision,
                format!("{what}: for {first} and for {second}"),
            )
            .in_package(p.pkg)
            .field(p.rule.map_or("remoteHost", |(_, field)| field))
            .help("object names replace every run of characters outside a-z and 0-9 with one '-' and drop leading and trailing characters other than a-z, so these collide; UDS Core would silently keep only one. Change one of the hosts, service accounts or selectors");
            if let Some((r, field)) = p.rule {
                e = e.rule(r.index).at(r.pos_of(field));
            }
            e
        })
        .collect()
}

/// §2.12 as a safety net over every rendered object. The validation of
/// package fields reports these problems with better messages first; this
/// catches anything a future change lets through.
pub(crate) fn metadata(placed: &[Placed]) -> Vec<Error> {
    let mut errors = Vec::new();
    for p in placed {
        let meta = p.manifest.metadata();
        let mut problems = Vec::new();
        if !names::is_dns_subdomain(&meta.name) {
            problems.push(format!("name {:?} is not a DNS-1123 subdomain", meta.name));
        }
        if !names::is_dns_label(&meta.namespace) {
            problems.push(format!(
                "namespace {:?} is not a DNS-1123 label",
                meta.namespace
            ));
        }
        for (k, v) in &meta.labels {
            if !names::is_qualified_name(k) || !names::is_label_value(v) {
                problems.push(format!("label {k}: {v:?} is not a valid label"));
            }
        }
        for k in meta.annotations.keys() {
            if !names::is_qualified_name(k) {
                problems.push(format!("annotation key {k:?} is not valid"));
            }
        }
        for problem in problems {
            errors.push(
                Error::new(
                    ErrorKind::MetadataLimit,
                    format!(
                        "{} {}/{}: {problem}; the Kubernetes API server would reject it",
                        p.manifest.kind(),
                        meta.namespace,
                        meta.name
                    ),
                )
                .in_package(p.pkg)
                .help("shorten or simplify the package's name, namespace or labels"),
            );
        }
    }
    errors
}

/// Referential integrity (SPEC §7), as a list of problems (empty when the
/// output is sound): every AuthorizationPolicy's `targetRef` names a
/// ServiceEntry of the output in its namespace, every VirtualService's
/// gateways name a Gateway of the output, every ServiceEntry bound to the
/// waypoint has the waypoint in the output, and no two objects share kind,
/// namespace and name.
pub fn reference_problems(manifests: &[Manifest]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    let mut service_entries = HashSet::new();
    let mut gateways = HashSet::new();
    let mut has_waypoint = false;
    for m in manifests {
        if !ids.insert((m.api_version(), m.kind(), m.namespace(), m.name())) {
            problems.push(format!(
                "{} {}/{} appears twice",
                m.kind(),
                m.namespace(),
                m.name()
            ));
        }
        match m {
            Manifest::ServiceEntry(_) => {
                service_entries.insert((m.namespace(), m.name()));
            }
            Manifest::Gateway(_) => {
                gateways.insert((m.namespace(), m.name()));
            }
            Manifest::Waypoint(w) => {
                has_waypoint |= w.metadata.name == crate::ambient::WAYPOINT_NAME
                    && w.metadata.namespace == crate::ambient::WAYPOINT_NAMESPACE;
            }
            _ => {}
        }
    }
    for m in manifests {
        match m {
            Manifest::AuthorizationPolicy(ap) => {
                let target = &ap.spec.target_ref;
                if target.kind != "ServiceEntry"
                    || !service_entries.contains(&(m.namespace(), target.name.as_str()))
                {
                    problems.push(format!(
                        "AuthorizationPolicy {}/{} targets ServiceEntry {:?}, which is not in the output",
                        m.namespace(),
                        m.name(),
                        target.name
                    ));
                }
            }
            Manifest::VirtualService(vs) => {
                for gw in vs.spec.gateways.iter().filter(|g| *g != "mesh") {
                    if !gateways.contains(&(m.namespace(), gw.as_str())) {
                        problems.push(format!(
                            "VirtualService {}/{} names Gateway {gw:?}, which is not in the output",
                            m.namespace(),
                            m.name()
                        ));
                    }
                }
            }
            Manifest::ServiceEntry(se)
                if !has_waypoint
                    && se
                        .metadata
                        .labels
                        .get("istio.io/use-waypoint")
                        .map(String::as_str)
                        == Some(crate::ambient::WAYPOINT_NAME) =>
            {
                problems.push(format!(
                        "ServiceEntry {}/{} is bound to the egress waypoint, which is not in the output",
                        m.namespace(),
                        m.name()
                    ));
            }
            _ => {}
        }
    }
    problems
}
