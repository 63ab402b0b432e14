//! Sidecar mode (SPEC §6): per package a ServiceEntry per host and a
//! REGISTRY_ONLY Sidecar per selector; per host, shared across packages, an
//! Istio Gateway, VirtualService and ServiceEntry in the egress gateway
//! namespace.

use crate::check::{MadeFor, Placed};
use crate::error::{Error, ErrorKind, Warning, WarningKind};
use crate::hash::FastHash;
use crate::manifest::{
    Destination, Gateway, GatewayServer, GatewaySpec, HttpMatch, HttpRoute, Manifest,
    OutboundTrafficPolicy, PortSelector, RouteDestination, ServerTls, ServicePort, Sidecar,
    SidecarSpec, TlsMatch, TlsRoute, VirtualService, VirtualServiceSpec, WorkloadSelector,
};
use crate::model::{Labels, Protocol};
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::objects::{package_meta, package_service_entries, service_entry, shared_meta};
use crate::options::Options;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub(crate) const GATEWAY_NAMESPACE: &str = "istio-egress-gateway";
const GATEWAY_SERVICE: &str = "egressgateway.istio-egress-gateway.svc.cluster.local";

/// The cross-package rule of §6: one host:port with different protocols in
/// two sidecar packages.
pub(crate) fn conflicts(sidecar: &[&Egress]) -> Vec<Error> {
    let mut by_port: BTreeMap<(&str, u16), BTreeMap<Protocol, Vec<&Egress>>> = BTreeMap::new();
    for e in sidecar {
        for (host, pairs) in &e.hosts {
            for &(port, protocol) in pairs {
                by_port
                    .entry((host, port))
                    .or_default()
                    .entry(protocol)
                    .or_default()
                    .push(e);
            }
        }
    }
    // The first rule of each package asking for a (host, port, protocol),
    // to point the error at; built once, as there may be thousands.
    let mut first_rule: HashMap<(&str, &str, &str, u16, Protocol), &crate::model::AllowRule> =
        HashMap::new();
    for e in sidecar {
        for r in &e.rules {
            for &port in &r.ports {
                first_rule
                    .entry((
                        e.pkg.namespace.as_str(),
                        e.pkg.name.as_str(),
                        r.host,
                        port,
                        r.protocol,
                    ))
                    .or_insert(r.rule);
            }
        }
    }
    let mut errors = Vec::new();
    for ((host, port), protocols) in by_port {
        if protocols.len() < 2 {
            continue;
        }
        let mut firsts: Vec<(Protocol, &Egress)> = protocols
            .into_iter()
            .filter_map(|(proto, mut users)| {
                users.sort_by(|a, b| {
                    (&a.pkg.namespace, &a.pkg.name).cmp(&(&b.pkg.namespace, &b.pkg.name))
                });
                users.first().map(|e| (proto, *e))
            })
            .collect();
        firsts.sort_by(|a, b| {
            (&a.1.pkg.namespace, &a.1.pkg.name, a.0).cmp(&(&b.1.pkg.namespace, &b.1.pkg.name, b.0))
        });
        let Some((&(p0, e0), rest)) = firsts.split_first() else {
            continue;
        };
        for &(p, e) in rest {
            let mut err = Error::new(
                ErrorKind::SidecarProtocolConflict,
                format!(
                    "{host}:{port} is requested as {p0} by package {} ({}) and as {p} by package {} ({}); the shared egress gateway carries one protocol per host and port",
                    e0.pkg.id(),
                    e0.pkg.source.file,
                    e.pkg.id(),
                    e.pkg.source.file
                ),
            )
            .in_package(e.pkg)
            .field("remoteProtocol")
            .help(format!("agree on one protocol for {host}:{port} across packages"));
            if let Some(r) =
                first_rule.get(&(e.pkg.namespace.as_str(), e.pkg.name.as_str(), host, port, p))
            {
                err = err.rule(r.index).at(r.pos_of("remoteHost"));
            }
            errors.push(err);
        }
    }
    errors
}

/// A selector as a map, for comparing selectors whatever their key order.
pub(crate) fn selector_key(sel: Option<&Labels>) -> Vec<(String, String)> {
    let mut kv: Vec<(String, String)> = sel
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kv.sort();
    kv
}

/// The workloads one Sidecar selects and the hosts its rules name.
pub(crate) struct SelectorGroup<'a> {
    /// As first written; `None` is the whole namespace.
    pub selector: Option<&'a Labels>,
    pub hosts: Vec<&'a str>,
    /// The first rule with this selector.
    pub first_rule: usize,
}

/// The package's distinct selectors, first-seen, compared as maps. The
/// audit report (`report.rs`) groups workloads the same way.
pub(crate) fn selectors<'a>(e: &Egress<'a>) -> Vec<SelectorGroup<'a>> {
    let mut out: IndexMap<Vec<(String, String)>, SelectorGroup<'a>, FastHash> = IndexMap::default();
    // (group, host) pairs already listed: no scan of a group's hosts.
    let mut listed: HashSet<(usize, &str), FastHash> = HashSet::default();
    for r in &e.rules {
        let sel = r.rule.workload_selector();
        let entry = out.entry(selector_key(sel));
        let index = entry.index();
        let group = entry.or_insert_with(|| SelectorGroup {
            selector: sel,
            hosts: Vec::new(),
            first_rule: r.rule.index,
        });
        if listed.insert((index, r.host)) {
            group.hosts.push(r.host);
        }
    }
    out.into_values().collect()
}

/// The package's ServiceEntries (host-map order) and Sidecars (first-seen).
pub(crate) fn package_objects<'a>(e: &Egress<'a>) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    let mut out = package_service_entries(e, |_| {});
    for SelectorGroup {
        selector: sel,
        hosts,
        first_rule,
    } in selectors(e)
    {
        // A rule's index is its position in `allow[]`.
        let first = pkg.allow.get(first_rule);
        out.push(
            Placed::owned(
                Manifest::Sidecar(Sidecar {
                    api_version: "networking.istio.io/v1",
                    kind: "Sidecar",
                    metadata: package_meta(pkg, names::sidecar(&pkg.name, sel)),
                    spec: SidecarSpec {
                        outbound_traffic_policy: OutboundTrafficPolicy {
                            mode: "REGISTRY_ONLY",
                        },
                        workload_selector: sel.map(|s| WorkloadSelector { labels: s.clone() }),
                    },
                }),
                pkg,
                hosts.first().copied().unwrap_or(""),
            )
            .asked_by(first, "selector")
            .made_for(MadeFor::Selector(sel)),
        );
    }
    out
}

/// The shared Gateway, VirtualService and ServiceEntry of every host, hosts
/// sorted.
pub(crate) fn shared_objects<'a>(sidecar: &[&Egress<'a>], options: &Options) -> Vec<Placed<'a>> {
    let mut hosts: BTreeMap<&str, (BTreeSet<Pair>, Vec<&Egress<'a>>)> = BTreeMap::new();
    for e in sidecar {
        for (host, pairs) in &e.hosts {
            let entry = hosts.entry(host).or_default();
            entry.0.extend(pairs.iter().copied());
            entry.1.push(e);
        }
    }
    let mut out = Vec::new();
    for (host, (pairs, mut users)) in hosts {
        users.sort_by(|a, b| (&a.pkg.namespace, &a.pkg.name).cmp(&(&b.pkg.namespace, &b.pkg.name)));
        let Some(owner_egress) = users.first() else {
            continue;
        };
        let owner = owner_egress.pkg;
        let first = owner_egress.first_rule(host);
        let pairs: Vec<Pair> = pairs.into_iter().collect();
        // The three objects share one set of users: annotate once, clone.
        let template = shared_meta(
            String::new(),
            GATEWAY_NAMESPACE,
            "shared-egress-resource",
            users.iter().map(|e| e.pkg),
            options,
        );
        let meta = |name: String| crate::manifest::ObjectMeta {
            name,
            ..template.clone()
        };
        let gateway_name = names::egress_gateway(host);
        let mut selector = IndexMap::new();
        selector.insert("app".to_string(), "egressgateway".to_string());
        out.push(
            Placed::shared(
                Manifest::Gateway(Gateway {
                    api_version: "networking.istio.io/v1",
                    kind: "Gateway",
                    metadata: meta(gateway_name.clone()),
                    spec: GatewaySpec {
                        selector,
                        servers: pairs
                            .iter()
                            .map(|&(number, protocol)| GatewayServer {
                                hosts: vec![host.to_string()],
                                port: ServicePort {
                                    name: names::port_name(number, protocol),
                                    number,
                                    protocol: protocol.as_str(),
                                },
                                tls: ServerTls {
                                    mode: "PASSTHROUGH",
                                },
                            })
                            .collect(),
                    },
                }),
                owner,
                host,
            )
            .asked_by(first, "remoteHost"),
        );
        out.push(
            Placed::shared(
                Manifest::VirtualService(virtual_service(
                    host,
                    &gateway_name,
                    &pairs,
                    meta(names::egress_virtual_service(host)),
                )),
                owner,
                host,
            )
            .asked_by(first, "remoteHost"),
        );
        out.push(
            Placed::shared(
                Manifest::ServiceEntry(service_entry(
                    meta(names::egress_service_entry(host)),
                    host,
                    &pairs,
                )),
                owner,
                host,
            )
            .asked_by(first, "remoteHost"),
        );
    }
    out
}

fn virtual_service(
    host: &str,
    gateway: &str,
    pairs: &[Pair],
    metadata: crate::manifest::ObjectMeta,
) -> VirtualService {
    let mesh = vec!["mesh".to_string()];
    let gw = vec![gateway.to_string()];
    let dest = |host: &str, number: u16| {
        vec![RouteDestination {
            destination: Destination {
                host: host.to_string(),
                port: PortSelector { number },
            },
        }]
    };
    let mut tls = Vec::new();
    let mut http = Vec::new();
    for &(port, protocol) in pairs {
        // Mesh → egress gateway, then egress gateway → the host.
        for (gateways, to) in [(&mesh, GATEWAY_SERVICE), (&gw, host)] {
            match protocol {
                Protocol::Tls => tls.push(TlsRoute {
                    matches: vec![TlsMatch {
                        gateways: gateways.clone(),
                        port,
                        sni_hosts: vec![host.to_string()],
                    }],
                    route: dest(to, port),
                }),
                Protocol::Http => http.push(HttpRoute {
                    matches: vec![HttpMatch {
                        gateways: gateways.clone(),
                        port,
                    }],
                    route: dest(to, port),
                }),
            }
        }
    }
    VirtualService {
        api_version: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata,
        spec: VirtualServiceSpec {
            hosts: vec![host.to_string()],
            gateways: vec!["mesh".to_string(), gateway.to_string()],
            tls,
            http,
        },
    }
}

/// How many hosts a shared-access warning names; a package with thousands
/// of hosts must not make each warning list all of them.
const SHOWN_HOSTS: usize = 10;

/// `shown` joined with ", ", then how many of `total` were left out.
fn with_more(shown: &[&str], total: usize) -> String {
    let mut s = shown.join(", ");
    if total > shown.len() {
        s.push_str(&format!(" and {} more", total - shown.len()));
    }
    s
}

/// The warnings of §6 for one sidecar package.
pub(crate) fn warnings(e: &Egress, options: &Options) -> Vec<Warning> {
    let pkg = e.pkg;
    let mut out = Vec::new();
    let exposed: Vec<String> = options.gateway_ports.iter().map(u16::to_string).collect();
    let mut warned: BTreeSet<(&str, u16)> = BTreeSet::new();
    for r in &e.rules {
        for &port in &r.ports {
            if options.gateway_ports.contains(&port) || !warned.insert((r.host, port)) {
                continue;
            }
            out.push(Warning::new(
                WarningKind::GatewayPort,
                pkg,
                Some(r.rule.index),
                format!(
                    "{}:{port} uses a port the egress gateway does not expose (it exposes {}); the traffic will not egress",
                    r.host,
                    exposed.join(", ")
                ),
                format!(
                    "add port {port} to the istio-egress-gateway service (a service.ports override) and pass --gateway-ports {},{port}, or use an exposed port",
                    exposed.join(",")
                ),
            ));
        }
    }
    let all_hosts: Vec<&str> = e.hosts.keys().copied().collect();
    for SelectorGroup {
        selector: sel,
        hosts,
        first_rule: index,
    } in selectors(e)
    {
        if hosts.len() >= all_hosts.len() {
            continue;
        }
        // Only the first few other hosts are named; find them without
        // walking every host for every selector (both can be thousands).
        // The group's hosts are a subset of the package's.
        let asked: HashSet<&str, FastHash> = hosts.iter().copied().collect();
        let shown: Vec<&str> = all_hosts
            .iter()
            .copied()
            .filter(|h| !asked.contains(h))
            .take(SHOWN_HOSTS)
            .collect();
        let others = with_more(&shown, all_hosts.len() - hosts.len());
        let who = match sel {
            Some(s) => format!("workloads selected by {}", show_selector(s)),
            None => format!("all workloads in namespace {}", pkg.namespace),
        };
        out.push(Warning::new(
            WarningKind::SharedAccess,
            pkg,
            Some(index),
            format!(
                "{who} ask for {} but can also reach {}: the package's ServiceEntries are namespace-wide",
                with_more(hosts.get(..SHOWN_HOSTS).unwrap_or(&hosts), hosts.len()),
                others
            ),
            "if those workloads must not reach these hosts, move them to a package in another namespace".to_string(),
        ));
    }
    out.extend(overlapping_sidecars(e));
    out
}

/// A warning per pair of the package's Sidecars whose workload selectors can
/// both match one pod. Istio leaves it undefined which Sidecar such a pod
/// gets (istioctl analyze reports it as IST0110). The whole-namespace Sidecar
/// is not part of this: Istio documents that a Sidecar whose selector matches
/// a pod takes precedence over it.
fn overlapping_sidecars(e: &Egress) -> Vec<Warning> {
    let pkg = e.pkg;
    let groups: Vec<(&Labels, usize)> = selectors(e)
        .into_iter()
        .filter_map(|g| g.selector.map(|s| (s, g.first_rule)))
        .collect();
    let mut out = Vec::new();
    for (i, &(a, _)) in groups.iter().enumerate() {
        for &(b, rule) in groups.iter().skip(i + 1) {
            if !selectors_overlap(a, b) {
                continue;
            }
            let mut pod = a.clone();
            for (k, v) in b {
                pod.entry(k.clone()).or_insert_with(|| v.clone());
            }
            out.push(Warning::new(
                WarningKind::OverlappingSidecars,
                pkg,
                Some(rule),
                format!(
                    "Sidecars {} (selector {}) and {} (selector {}) can select the same pod, e.g. one labelled {}; which Sidecar Istio applies to it is undefined",
                    names::sidecar(&pkg.name, Some(a)),
                    show_selector(a),
                    names::sidecar(&pkg.name, Some(b)),
                    show_selector(b),
                    show_selector(&pod),
                ),
                "give these rules the same selector, or selectors that cannot match one pod (a label key in both with different values, e.g. tier: web and tier: batch)".to_string(),
            ));
        }
    }
    out
}

/// True when some pod can carry both selectors' labels: no key is in both
/// with different values.
fn selectors_overlap(a: &Labels, b: &Labels) -> bool {
    a.iter().all(|(k, v)| b.get(k).is_none_or(|w| w == v))
}

/// A selector as written, e.g. `{app: curl, tier: web}`.
pub(crate) fn show_selector(s: &Labels) -> String {
    let kv: Vec<String> = s.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", kv.join(", "))
}
