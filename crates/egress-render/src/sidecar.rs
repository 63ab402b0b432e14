//! Sidecar mode (SPEC §6.1, §6.2): per package a ServiceEntry per host and a
//! REGISTRY_ONLY Sidecar per selector; per host, shared across packages, an
//! Istio Gateway, VirtualService and ServiceEntry in the egress gateway
//! namespace.

use crate::manifest::{
    Destination, Gateway, GatewayServer, GatewaySpec, HttpMatch, HttpRoute, Manifest, ObjectMeta,
    OutboundTrafficPolicy, PortSelector, RouteDestination, ServerTls, ServicePort, Sidecar,
    SidecarSpec, StringMap, TlsMatch, TlsRoute, VirtualService, VirtualServiceSpec,
    WorkloadSelector,
};
use crate::model::Protocol;
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::objects::{
    networking_istio, package_meta, package_service_entries, service_entry, shared_meta,
};
use crate::placed::{MadeFor, OwnedGroup, Placed, Slot};
use crate::plan::Plan;

/// The package's ServiceEntries (host-map order) and Sidecars (first-seen).
pub(crate) fn package_objects<'a>(e: &Egress<'a>, index: usize, plan: &Plan) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    let mut out = package_service_entries(e, index, plan.behaviour.istio_version);
    for (seq, group) in e.selectors.iter().enumerate() {
        let sel = group.selector;
        out.push(
            Placed::new(
                Manifest::Sidecar(Sidecar {
                    api_version: "networking.istio.io/v1",
                    kind: "Sidecar",
                    metadata: package_meta(pkg, names::sidecar(&pkg.name, sel)),
                    spec: SidecarSpec {
                        outbound_traffic_policy: OutboundTrafficPolicy {
                            mode: "REGISTRY_ONLY",
                        },
                        workload_selector: sel.map(|s| WorkloadSelector {
                            labels: crate::netpol::string_map(s),
                        }),
                    },
                }),
                Slot::Package {
                    package: index,
                    group: OwnedGroup::Policies,
                    seq,
                },
                pkg,
                group.hosts.first().copied().unwrap_or(""),
            )
            .asked_by(Some(group.first_rule), "selector")
            .made_for(MadeFor::Selector(sel)),
        );
    }
    out
}

/// The shared Gateway, VirtualService and ServiceEntry of every sidecar
/// host, hosts sorted.
pub(crate) fn shared_objects<'a>(plan: &Plan<'a>) -> Vec<Placed<'a>> {
    let version = plan.behaviour.istio_version;
    let mut out = Vec::with_capacity(plan.sidecar.len() * 3);
    for (&host, shared) in &plan.sidecar {
        let Some(owner) = shared.users.first().and_then(|&i| plan.package(i)) else {
            continue;
        };
        let first = owner.first_rule(host);
        // The three objects share one set of users: annotate once, clone.
        let template = shared_meta(
            String::new(),
            names::GATEWAY_NAMESPACE,
            names::SIDECAR_SHARED_PACKAGE,
            shared
                .users
                .iter()
                .filter_map(|&i| plan.package(i))
                .map(|e| e.pkg),
            plan.options,
        );
        let meta = |name: String| ObjectMeta {
            name,
            ..template.clone()
        };
        let gateway_name = names::egress_gateway(host);
        let place = |manifest, seq| {
            Placed::new(manifest, Slot::SidecarHost { host, seq }, owner.pkg, host)
                .asked_by(first, "remoteHost")
        };
        out.push(place(
            Manifest::Gateway(gateway(meta(gateway_name.clone()), host, &shared.pairs)),
            0,
        ));
        out.push(place(
            Manifest::VirtualService(virtual_service(
                version,
                meta(names::egress_virtual_service(host)),
                host,
                &gateway_name,
                &shared.pairs,
            )),
            1,
        ));
        out.push(place(
            Manifest::ServiceEntry(service_entry(
                version,
                meta(names::egress_service_entry(host)),
                host,
                &shared.pairs,
            )),
            2,
        ));
    }
    out
}

fn gateway(metadata: ObjectMeta, host: &str, pairs: &[Pair]) -> Gateway {
    let selector = StringMap::from_iter([("app".to_string(), "egressgateway".to_string())]);
    Gateway {
        api_version: "networking.istio.io/v1",
        kind: "Gateway",
        metadata,
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
    }
}

fn virtual_service(
    version: &'static str,
    metadata: ObjectMeta,
    host: &str,
    gateway: &str,
    pairs: &[Pair],
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
        for (gateways, to) in [(&mesh, names::GATEWAY_SERVICE), (&gw, host)] {
            if protocol == Protocol::Http {
                http.push(HttpRoute {
                    matches: vec![HttpMatch {
                        gateways: gateways.clone(),
                        port,
                    }],
                    route: dest(to, port),
                });
            } else {
                tls.push(TlsRoute {
                    matches: vec![TlsMatch {
                        gateways: gateways.clone(),
                        port,
                        sni_hosts: vec![host.to_string()],
                    }],
                    route: dest(to, port),
                });
            }
        }
    }
    VirtualService {
        api_version: networking_istio(version),
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
