//! Sidecar mode (SPEC §6): per package a ServiceEntry per host and a
//! REGISTRY_ONLY Sidecar per selector; per host, shared across packages, an
//! Istio Gateway, VirtualService and ServiceEntry in the egress gateway
//! namespace.

use crate::check::{FastHash, Placed};
use crate::error::{Error, ErrorKind, Warning, WarningKind};
use crate::manifest::{
    Destination, Gateway, GatewayServer, GatewaySpec, HttpMatch, HttpRoute, Manifest,
    OutboundTrafficPolicy, PortSelector, RouteDestination, ServerTls, ServicePort, Sidecar,
    SidecarSpec, TlsMatch, TlsRoute, VirtualService, VirtualServiceSpec, WorkloadSelector,
};
use crate::model::{Labels, Protocol};
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::objects::{package_meta, service_entry, shared_meta};
use crate::options::Options;
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet, HashSet};

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
            if let Some(r) = e
                .rules
                .iter()
                .find(|r| r.host == host && r.ports.contains(&port) && r.protocol == p)
            {
                err = err.rule(r.rule.index).at(r.rule.pos_of("remoteHost"));
            }
            errors.push(err);
        }
    }
    errors
}

/// A selector as a map, for comparing selectors whatever their key order.
fn selector_key(sel: Option<&Labels>) -> Vec<(String, String)> {
    let mut kv: Vec<(String, String)> = sel
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kv.sort();
    kv
}

/// The workloads one Sidecar selects and the hosts its rules name.
struct SelectorGroup<'a> {
    /// As first written; `None` is the whole namespace.
    selector: Option<&'a Labels>,
    hosts: Vec<&'a str>,
    /// The first rule with this selector.
    first_rule: usize,
}

/// The package's distinct selectors, first-seen, compared as maps.
fn selectors<'a>(e: &Egress<'a>) -> Vec<SelectorGroup<'a>> {
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
    let mut out = Vec::new();
    for (host, pairs) in &e.hosts {
        let meta = package_meta(pkg, names::package_service_entry(&pkg.name, host, pairs));
        out.push(Placed::owned(
            Manifest::ServiceEntry(service_entry(meta, host, pairs)),
            pkg,
            host,
        ));
    }
    for SelectorGroup {
        selector: sel,
        hosts,
        ..
    } in selectors(e)
    {
        out.push(Placed::owned(
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
        ));
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
        let Some(owner) = users.first().map(|e| e.pkg) else {
            continue;
        };
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
        out.push(Placed::shared(
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
        ));
        out.push(Placed::shared(
            Manifest::VirtualService(virtual_service(
                host,
                &gateway_name,
                &pairs,
                meta(names::egress_virtual_service(host)),
            )),
            owner,
            host,
        ));
        out.push(Placed::shared(
            Manifest::ServiceEntry(service_entry(
                meta(names::egress_service_entry(host)),
                host,
                &pairs,
            )),
            owner,
            host,
        ));
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
        let mine: HashSet<&str, FastHash> = hosts.iter().copied().collect();
        let others: Vec<&str> = all_hosts
            .iter()
            .copied()
            .filter(|h| !mine.contains(h))
            .collect();
        let who = match sel {
            Some(s) => format!(
                "workloads selected by {{{}}}",
                s.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("all workloads in namespace {}", pkg.namespace),
        };
        out.push(Warning::new(
            WarningKind::SharedAccess,
            pkg,
            Some(index),
            format!(
                "{who} ask for {} but can also reach {}: the package's ServiceEntries are namespace-wide",
                hosts.join(", "),
                others.join(", ")
            ),
            "if those workloads must not reach these hosts, move them to a package in another namespace".to_string(),
        ));
    }
    out
}
