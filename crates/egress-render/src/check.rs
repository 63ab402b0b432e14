//! Checks on what was built: objects the API server or Istio would refuse
//! (SPEC §2.15), name collisions (§2.16), and referential integrity (§7).

use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::names;
use crate::placed::Placed;
use rustc_hash::FxBuildHasher as FastHash;
use std::collections::{HashMap, HashSet};

/// §2.16: two different objects with the same kind, namespace and name.
/// Objects that collide for the same two origins (the Gateway,
/// VirtualService and ServiceEntry of two hosts) are reported together.
pub(crate) fn collisions(placed: &[Placed]) -> Vec<Error> {
    let mut seen: HashMap<(&str, &str, &str, &str), &Placed, FastHash> =
        HashMap::with_capacity_and_hasher(placed.len(), FastHash);
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

/// §2.15: Kubernetes metadata rules over every built object. The
/// validation of package fields reports most of these with better messages
/// first; this catches the rest (a rule's NetworkPolicy labels, long names).
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
        for (k, v) in meta.labels.iter() {
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

/// §2.15: what Istio or the API server refuses in an object's spec: an
/// Istio Gateway name longer than a DNS label, a Gateway without servers or
/// a VirtualService without routes (`ports: []` before 0.59), an empty
/// `ipBlock.cidr`. The operator fails the package, so the render fails.
pub(crate) fn refused_specs(placed: &[Placed]) -> Vec<Error> {
    let mut errors = Vec::new();
    for p in placed {
        let m = &p.manifest;
        let mut problem = |message: String, help: &str, field: &'static str| {
            let mut e = Error::new(ErrorKind::MetadataLimit, message)
                .in_package(p.pkg)
                .field(field)
                .help(help);
            if let Some((r, _)) = p.rule {
                e = e.rule(r.index).at(r.pos_of(field));
            }
            errors.push(e);
        };
        match m {
            Manifest::Gateway(g) if !names::is_dns_label(&g.metadata.name) => problem(
                format!(
                    "the egress Gateway for host {} would be named {:?} ({} characters); Istio refuses a Gateway name longer than 63 characters, so UDS Core fails the package",
                    p.host,
                    g.metadata.name,
                    g.metadata.name.len()
                ),
                "use a host name of at most 55 characters (the Gateway is named gateway-{host}), or move the package to ambient mode",
                "remoteHost",
            ),
            Manifest::Gateway(g) if g.spec.servers.is_empty() => problem(
                format!(
                    "the egress Gateway for host {} has no server: every rule for it has ports: [], which this release takes as no port, and Istio refuses a Gateway without servers",
                    p.host
                ),
                "list the ports the host needs, or remove ports: [] (the default port is then used)",
                "ports",
            ),
            Manifest::VirtualService(v) if v.spec.tls.is_empty() && v.spec.http.is_empty() => {
                problem(
                    format!(
                        "the VirtualService for host {} has no route: every rule for it has ports: [], and Istio refuses a VirtualService without routes",
                        p.host
                    ),
                    "list the ports the host needs, or remove ports: [] (the default port is then used)",
                    "ports",
                )
            }
            Manifest::NetworkPolicy(n)
                if n.spec
                    .egress
                    .iter()
                    .flat_map(|e| &e.to)
                    .any(|peer| peer.ip_block.as_ref().is_some_and(|b| b.cidr.is_empty())) =>
            {
                problem(
                    format!(
                        "remoteCidr is empty beside remoteHost {}: the NetworkPolicy {} would have ipBlock.cidr \"\", which the API server refuses, so UDS Core fails the package",
                        p.host, n.metadata.name
                    ),
                    "remove remoteCidr: remoteHost already says where the traffic goes",
                    "remoteCidr",
                )
            }
            _ => {}
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
                has_waypoint |= w.metadata.name == names::WAYPOINT_NAME
                    && w.metadata.namespace == names::AMBIENT_NAMESPACE;
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
                    && se.metadata.labels.get("istio.io/use-waypoint")
                        == Some(names::WAYPOINT_NAME) =>
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
