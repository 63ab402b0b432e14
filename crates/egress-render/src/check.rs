//! Checks on what was rendered: name collisions (SPEC §2.13), Kubernetes
//! metadata rules as a safety net (SPEC §2.12), and referential integrity
//! (SPEC §7).

use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::model::Package;
use crate::names;
use std::collections::{HashMap, HashSet};

/// A rendered object with the package and host it was made for, so that a
/// problem with it can be traced back to the input.
pub(crate) struct Placed<'a> {
    pub manifest: Manifest,
    pub pkg: &'a Package,
    pub host: String,
    pub shared: bool,
}

impl<'a> Placed<'a> {
    pub fn owned(manifest: Manifest, pkg: &'a Package, host: &str) -> Self {
        Placed {
            manifest,
            pkg,
            host: host.to_string(),
            shared: false,
        }
    }

    pub fn shared(manifest: Manifest, pkg: &'a Package, host: &str) -> Self {
        Placed {
            manifest,
            pkg,
            host: host.to_string(),
            shared: true,
        }
    }

    fn origin(&self) -> String {
        if let Manifest::Sidecar(sc) = &self.manifest {
            return match &sc.spec.workload_selector {
                Some(sel) => {
                    let items: Vec<String> = sel
                        .labels
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect();
                    format!(
                        "selector {{{}}} in package {}",
                        items.join(", "),
                        self.pkg.id()
                    )
                }
                None => format!("the whole namespace in package {}", self.pkg.id()),
            };
        }
        if self.host.is_empty() {
            format!("package {}", self.pkg.id())
        } else if self.shared {
            format!(
                "host {} (first requested by package {})",
                self.host,
                self.pkg.id()
            )
        } else {
            format!("host {} in package {}", self.host, self.pkg.id())
        }
    }

    /// The `allow[]` rule this object comes from, for the error location:
    /// among `rules` (the package's rules for this object's host), the first,
    /// or for a Sidecar the first with its selector.
    fn rule(&self, rules: &[&'a crate::model::AllowRule]) -> Option<&'a crate::model::AllowRule> {
        rules.iter().copied().find(|r| match &self.manifest {
            Manifest::Sidecar(sc) => {
                r.workload_selector() == sc.spec.workload_selector.as_ref().map(|w| &w.labels)
            }
            _ => true,
        })
    }
}

/// §2.13: two different objects with the same kind, namespace and name.
/// Objects that collide for the same two origins (the Gateway,
/// VirtualService and ServiceEntry of two hosts) are reported together.
pub(crate) fn collisions(placed: &[Placed]) -> Vec<Error> {
    let mut seen: HashMap<(&str, &str, &str, &str), &Placed> = HashMap::new();
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
    // Each package's rules by host, built once for the packages that have
    // collisions (a package may have thousands of rules).
    let mut rules_by_host: HashMap<(&str, usize), HashMap<&str, Vec<&crate::model::AllowRule>>> =
        HashMap::new();
    groups
        .into_iter()
        .map(|((first, second), p, objects)| {
            let what = if objects.len() == 1 {
                format!("{} would be rendered twice", objects.join(""))
            } else {
                format!("{} would each be rendered twice", objects.join(", "))
            };
            let field = if matches!(p.manifest, Manifest::Sidecar(_)) {
                "selector"
            } else {
                "remoteHost"
            };
            let mut e = Error::new(
                ErrorKind::NameCollision,
                format!("{what}: for {first} and for {second}"),
            )
            .in_package(p.pkg)
            .field(field)
            .help("object names replace every character outside a-z and 0-9 with '-', so these collide (UDS Core would silently keep only one): drop or rename one of the two hosts, service accounts or selectors");
            let by_host = rules_by_host
                .entry((p.pkg.source.file.as_str(), p.pkg.source.document))
                .or_insert_with(|| {
                    let mut m: HashMap<&str, Vec<&crate::model::AllowRule>> = HashMap::new();
                    for r in &p.pkg.allow {
                        if let Some(h) = r.remote_host.as_deref() {
                            m.entry(h).or_default().push(r);
                        }
                    }
                    m
                });
            let rules = by_host.get(p.host.as_str()).map_or(&[][..], Vec::as_slice);
            if let Some(rule) = p.rule(rules) {
                e = e.rule(rule.index).at(rule.pos_of(field));
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
