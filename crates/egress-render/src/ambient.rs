//! Ambient mode (SPEC §5): per package a ServiceEntry per host bound to the
//! shared egress waypoint and an AuthorizationPolicy per (host, service
//! account); one shared waypoint Gateway.

use crate::check::{MadeFor, Placed};
use crate::error::{Error, ErrorKind};
use crate::hash::FastHash;
use crate::manifest::{
    AllowedRoutes, AuthorizationPolicy, AuthorizationPolicySpec, AuthorizationRule, GroupKind,
    Infrastructure, Listener, Manifest, ParametersRef, PolicyTargetRef, RouteNamespaces, RuleFrom,
    RuleOperation, RuleSource, RuleTo, Waypoint, WaypointSpec,
};
use crate::model::AllowRule;
use crate::names;
use crate::normalize::{Egress, Pair};
use crate::objects::{package_meta, package_service_entries, shared_meta};
use crate::options::{Options, UnscopedIdentity};
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet, HashSet};

pub(crate) const WAYPOINT_NAME: &str = "egress-waypoint";
pub(crate) const WAYPOINT_NAMESPACE: &str = "istio-egress-ambient";

/// The cross-package rule of §5: ambient packages naming one host must ask
/// for the same set of pairs. Each package that differs from the first (in
/// namespace/name order) is reported, so the result does not depend on the
/// order of the input.
pub(crate) fn conflicts(ambient: &[&Egress]) -> Vec<Error> {
    let mut by_host: BTreeMap<&str, Vec<(&Egress, BTreeSet<Pair>)>> = BTreeMap::new();
    for e in ambient {
        for (host, pairs) in &e.hosts {
            by_host
                .entry(host)
                .or_default()
                .push((e, pairs.iter().copied().collect()));
        }
    }
    // The first rule of each package naming a host, to point errors at.
    let mut first_rule: std::collections::HashMap<(&str, &str, &str), &crate::model::AllowRule> =
        std::collections::HashMap::new();
    for e in ambient {
        for r in &e.rules {
            first_rule
                .entry((e.pkg.namespace.as_str(), e.pkg.name.as_str(), r.host))
                .or_insert(r.rule);
        }
    }
    let mut errors = Vec::new();
    for (host, mut users) in by_host {
        users.sort_by(|a, b| {
            (&a.0.pkg.namespace, &a.0.pkg.name).cmp(&(&b.0.pkg.namespace, &b.0.pkg.name))
        });
        let Some(((first, first_set), rest)) = users.split_first() else {
            continue;
        };
        for (other, set) in rest {
            if set == first_set {
                continue;
            }
            let at = first_rule
                .get(&(other.pkg.namespace.as_str(), other.pkg.name.as_str(), host))
                .map(|r| (r.index, r.pos_of("remoteHost")));
            let mut err = Error::new(
                ErrorKind::AmbientHostConflict,
                format!(
                    "host {host} is requested with {} by package {} ({}) but with {} by package {} ({}); ambient packages that share a host through the egress waypoint must request the same ports and protocols",
                    pair_set(first_set),
                    first.pkg.id(),
                    first.pkg.source.file,
                    pair_set(set),
                    other.pkg.id(),
                    other.pkg.source.file,
                ),
            )
            .in_package(other.pkg)
            .field("remoteHost")
            .help(format!(
                "make both packages request the same ports and protocols for {host}"
            ));
            if let Some((index, pos)) = at {
                err = err.rule(index).at(pos);
            }
            errors.push(err);
        }
    }
    errors
}

/// `{443/TLS, 80/HTTP}`, sorted.
pub(crate) fn pair_set(set: &BTreeSet<Pair>) -> String {
    let items: Vec<String> = set
        .iter()
        .map(|(p, proto)| format!("{p}/{proto}"))
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// The package's ServiceEntries (host-map order) and AuthorizationPolicies
/// (first-seen order).
pub(crate) fn package_objects<'a>(e: &Egress<'a>, options: &Options) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    let mut out = package_service_entries(e, |meta| {
        meta.labels.insert(
            "istio.io/use-waypoint".to_string(),
            WAYPOINT_NAME.to_string(),
        );
        meta.labels.insert(
            "istio.io/use-waypoint-namespace".to_string(),
            WAYPOINT_NAMESPACE.to_string(),
        );
    });
    let se_names: IndexMap<&str, String, FastHash> = out
        .iter()
        .map(|p| (p.host, p.manifest.name().to_string()))
        .collect();

    // One policy per (host, service account); a service account reaches only
    // the ports its own rules asked for (SPEC §8: the operator allowed any).
    // (host, service account) → (first rule, ports as strings).
    type Policies<'r> =
        IndexMap<(&'r str, Option<&'r str>), (&'r AllowRule, Vec<String>), FastHash>;
    let mut policies: Policies = IndexMap::default();
    let mut seen: HashSet<(&str, Option<&str>, u16), FastHash> = HashSet::default();
    for r in &e.rules {
        let key = (r.host, r.rule.service_account.as_deref());
        let (_, ports) = policies.entry(key).or_insert((r.rule, Vec::new()));
        for &p in &r.ports {
            if seen.insert((key.0, key.1, p)) {
                ports.push(p.to_string());
            }
        }
    }
    for ((host, sa), (first, ports)) in policies {
        let source = match (sa, options.unscoped_identity) {
            (Some(sa), _) => RuleSource {
                principals: vec![principal(options, &pkg.namespace, sa)],
                namespaces: Vec::new(),
            },
            (None, UnscopedIdentity::DefaultServiceAccount) => RuleSource {
                principals: vec![principal(options, &pkg.namespace, "default")],
                namespaces: Vec::new(),
            },
            (None, UnscopedIdentity::Namespace) => RuleSource {
                principals: Vec::new(),
                namespaces: vec![pkg.namespace.clone()],
            },
        };
        let mut meta = package_meta(pkg, names::authorization_policy(host, sa));
        meta.labels
            .insert("uds/for".to_string(), "egress".to_string());
        let target = se_names.get(host).cloned().unwrap_or_default();
        out.push(
            Placed::owned(
                Manifest::AuthorizationPolicy(AuthorizationPolicy {
                    api_version: "security.istio.io/v1",
                    kind: "AuthorizationPolicy",
                    metadata: meta,
                    spec: AuthorizationPolicySpec {
                        action: "ALLOW",
                        target_ref: PolicyTargetRef {
                            group: "networking.istio.io",
                            kind: "ServiceEntry",
                            name: target,
                        },
                        rules: vec![AuthorizationRule {
                            from: vec![RuleFrom { source }],
                            to: vec![RuleTo {
                                operation: RuleOperation { ports },
                            }],
                        }],
                    },
                }),
                pkg,
                host,
            )
            .asked_by(
                Some(first),
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

/// The SPIFFE principal of a service account.
pub(crate) fn principal(options: &Options, namespace: &str, sa: &str) -> String {
    format!("{}/ns/{namespace}/sa/{sa}", options.trust_domain)
}

/// The shared egress waypoint, when any ambient package has egress.
pub(crate) fn waypoint<'a>(ambient: &[&Egress<'a>], options: &Options) -> Option<Placed<'a>> {
    let first = ambient.first()?;
    let mut meta = shared_meta(
        WAYPOINT_NAME.to_string(),
        WAYPOINT_NAMESPACE,
        "shared-ambient-egress-resource",
        ambient.iter().map(|e| e.pkg),
        options,
    );
    meta.labels.insert(
        "istio.io/gateway-name".to_string(),
        WAYPOINT_NAME.to_string(),
    );
    Some(Placed::shared(
        Manifest::Waypoint(Waypoint {
            api_version: "gateway.networking.k8s.io/v1",
            kind: "Gateway",
            metadata: meta,
            spec: WaypointSpec {
                gateway_class_name: "istio-waypoint",
                listeners: vec![Listener {
                    name: "mesh",
                    port: 15008,
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
        first.pkg,
        "",
    ))
}
