//! Ambient mode (SPEC §5): the per-package layout of 0.56–0.58, the central
//! layout of 0.59 and later, and the shared egress waypoint.

use crate::manifest::{
    AllowedRoutes, AuthorizationPolicy, AuthorizationPolicySpec, AuthorizationRule, GroupKind,
    Infrastructure, Listener, Manifest, ParametersRef, PolicyTargetRef, RouteNamespaces, RuleFrom,
    RuleOperation, RuleSource, RuleTo, Waypoint, WaypointSpec,
};
use crate::model::AllowRule;
use crate::names;
use crate::normalize::{Egress, EgressRule, Identity};
use crate::objects::{
    bind_to_waypoint, package_meta, package_service_entries, security_istio, service_entry,
    shared_meta,
};
use crate::placed::{MadeFor, OwnedGroup, Placed, Slot};
use crate::plan::Plan;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher as FastHash;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// §5.1 (0.56–0.58): the package's ServiceEntry per host and its
/// AuthorizationPolicy per rule. Rules that make one policy name are
/// applied in order and the last wins; each policy's `targetRef` names the
/// ServiceEntry of *its rule's* pairs, as the operator computes it (the
/// `dangling-target` warning says when that one does not exist).
pub(crate) fn per_package_objects<'a>(
    e: &Egress<'a>,
    index: usize,
    plan: &Plan,
) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    let version = plan.behaviour.istio_version;
    let mut out = package_service_entries(e, index, version);
    // Keyed by name and host: rules of one host that produce the same name
    // are applied in order and the last one wins (§5.1); two hosts whose
    // names sanitize alike (`a.b.com`, `a-b.com`) are two objects, which
    // §2.16 refuses, rather than one host silently losing its policy.
    let mut policies: IndexMap<(String, &str), (&AllowRule, String), FastHash> =
        IndexMap::default();
    for r in &e.rules {
        let name = names::authorization_policy(r.host, r.rule.service_account.as_deref());
        let target = names::package_service_entry(&pkg.name, r.host, &r.pairs());
        policies.insert((name, r.host), (r.rule, target));
    }
    for (seq, ((name, host), (rule, target))) in policies.into_iter().enumerate() {
        let from = identity_sources(std::iter::once(Identity::of(pkg, rule)));
        let mut meta = package_meta(pkg, name);
        meta.labels
            .insert("uds/for".to_string(), "egress".to_string());
        let sa = rule.service_account.as_deref();
        out.push(
            Placed::new(
                Manifest::AuthorizationPolicy(authorization_policy(
                    version,
                    meta,
                    target,
                    vec![AuthorizationRule {
                        from,
                        to: Vec::new(),
                    }],
                )),
                Slot::Package {
                    package: index,
                    group: OwnedGroup::Policies,
                    seq,
                },
                pkg,
                host,
            )
            .asked_by(
                Some(rule),
                if sa.is_some() {
                    "serviceAccount"
                } else {
                    "remoteHost"
                },
            )
            .made_for(MadeFor::Identity(host, sa)),
        );
    }
    out
}

/// §5.2 (0.59+): per host named by an ambient package, one ServiceEntry and
/// one AuthorizationPolicy in `istio-egress-ambient`, with one rule per port
/// admitting the owners and the Anywhere participants.
pub(crate) fn central_objects<'a>(plan: &Plan<'a>) -> Vec<Placed<'a>> {
    let version = plan.behaviour.istio_version;
    let participants: Vec<_> = plan
        .of_mode(crate::model::Mode::Ambient)
        .flat_map(|(_, e)| e.participants.iter())
        .collect();
    // Each ambient package's rules by host, indexed once: filtering a
    // package's rules for every host it names was hosts × rules (one
    // package naming 40,000 hosts took 24 s).
    let mut rules_of: HashMap<(usize, &str), Vec<&EgressRule>, FastHash> = HashMap::default();
    for (i, e) in plan.of_mode(crate::model::Mode::Ambient) {
        for r in &e.rules {
            rules_of.entry((i, r.host)).or_default().push(r);
        }
    }
    let mut out = Vec::with_capacity(plan.ambient.len() * 2);
    for (&host, shared) in &plan.ambient {
        let Some(owner) = shared.users.first().and_then(|&i| plan.package(i)) else {
            continue;
        };
        let users = shared
            .users
            .iter()
            .filter_map(|&i| plan.package(i))
            .map(|e| e.pkg);
        let meta = |name: String| {
            shared_meta(
                name,
                names::AMBIENT_NAMESPACE,
                names::AMBIENT_SHARED_PACKAGE,
                users.clone(),
                plan.options,
            )
        };
        let se_name = names::ambient_service_entry(host);
        let mut se_meta = meta(se_name.clone());
        bind_to_waypoint(&mut se_meta);
        let first = owner.first_rule(host);
        out.push(
            Placed::new(
                Manifest::ServiceEntry(service_entry(version, se_meta, host, &shared.pairs)),
                Slot::AmbientHost { host, seq: 0 },
                owner.pkg,
                host,
            )
            .asked_by(first, "remoteHost"),
        );

        // Port → who may use it: the owners' rules for the host, then the
        // participants.
        let mut by_port: BTreeMap<u16, BTreeSet<Identity>> = BTreeMap::new();
        for &i in &shared.users {
            let Some(e) = plan.package(i) else { continue };
            for r in rules_of.get(&(i, host)).into_iter().flatten() {
                for &port in &r.ports {
                    by_port
                        .entry(port)
                        .or_default()
                        .insert(Identity::of(e.pkg, r.rule));
                }
            }
        }
        for (&port, who) in by_port.iter_mut() {
            for p in &participants {
                if p.ports.as_ref().is_none_or(|ports| ports.contains(&port)) {
                    who.insert(p.identity);
                }
            }
        }
        let rules = by_port
            .into_iter()
            .map(|(port, who)| AuthorizationRule {
                from: identity_sources(who),
                to: vec![RuleTo {
                    operation: RuleOperation {
                        ports: vec![port.to_string()],
                    },
                }],
            })
            .collect();
        let mut ap_meta = meta(names::ambient_authorization_policy(host));
        ap_meta
            .labels
            .insert("uds/for".to_string(), "egress".to_string());
        out.push(
            Placed::new(
                Manifest::AuthorizationPolicy(authorization_policy(
                    version, ap_meta, se_name, rules,
                )),
                Slot::AmbientHost { host, seq: 1 },
                owner.pkg,
                host,
            )
            .asked_by(first, "remoteHost"),
        );
    }
    out
}

/// `from`: the principals, then the namespaces, each sorted and present
/// only when not empty (SPEC §5.2).
fn identity_sources<'a>(who: impl IntoIterator<Item = Identity<'a>>) -> Vec<RuleFrom> {
    let mut principals = BTreeSet::new();
    let mut namespaces = BTreeSet::new();
    for identity in who {
        match identity {
            Identity::ServiceAccount {
                namespace,
                service_account,
            } => {
                principals.insert(names::principal(namespace, service_account));
            }
            Identity::Namespace(ns) => {
                namespaces.insert(ns.to_string());
            }
        }
    }
    let mut from = Vec::new();
    if !principals.is_empty() {
        from.push(RuleFrom {
            source: RuleSource {
                principals: principals.into_iter().collect(),
                namespaces: Vec::new(),
            },
        });
    }
    if !namespaces.is_empty() {
        from.push(RuleFrom {
            source: RuleSource {
                principals: Vec::new(),
                namespaces: namespaces.into_iter().collect(),
            },
        });
    }
    from
}

fn authorization_policy(
    version: &'static str,
    metadata: crate::manifest::ObjectMeta,
    target: String,
    rules: Vec<AuthorizationRule>,
) -> AuthorizationPolicy {
    AuthorizationPolicy {
        api_version: security_istio(version),
        kind: "AuthorizationPolicy",
        metadata,
        spec: AuthorizationPolicySpec {
            action: "ALLOW",
            target_ref: PolicyTargetRef {
                group: "networking.istio.io",
                kind: "ServiceEntry",
                name: target,
            },
            rules,
        },
    }
}

/// §5.3: the shared egress waypoint, when any ambient package has a
/// remoteHost rule; its owners are those packages.
pub(crate) fn waypoint<'a>(plan: &Plan<'a>) -> Option<Placed<'a>> {
    let mut owners = plan
        .of_mode(crate::model::Mode::Ambient)
        .map(|(_, e)| e)
        .filter(|e| !e.rules.is_empty())
        .peekable();
    let first = owners.peek()?.pkg;
    let mut meta = shared_meta(
        names::WAYPOINT_NAME.to_string(),
        names::AMBIENT_NAMESPACE,
        names::AMBIENT_SHARED_PACKAGE,
        owners.map(|e| e.pkg),
        plan.options,
    );
    meta.labels.insert(
        "istio.io/gateway-name".to_string(),
        names::WAYPOINT_NAME.to_string(),
    );
    Some(Placed::new(
        Manifest::Waypoint(Waypoint {
            api_version: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: meta,
            spec: WaypointSpec {
                gateway_class_name: "istio-waypoint",
                listeners: vec![Listener {
                    name: "mesh",
                    port: names::HBONE_PORT,
                    protocol: "HBONE",
                    allowed_routes: AllowedRoutes {
                        namespaces: RouteNamespaces { from: "All" },
                        kinds: vec![GroupKind {
                            group: "networking.istio.io",
                            kind: "ServiceEntry",
                        }],
                    },
                }],
                infrastructure: Infrastructure {
                    parameters_ref: ParametersRef {
                        group: "",
                        kind: "ConfigMap",
                        name: "egress-waypoint-config",
                    },
                },
            },
        }),
        Slot::Waypoint,
        first,
        "",
    ))
}
