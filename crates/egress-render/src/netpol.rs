//! The NetworkPolicy the operator creates for every `Egress` rule with
//! `remoteHost` (SPEC §6.3), in both modes: without it UDS Core's default
//! deny blocks the traffic to the waypoint or the egress gateway.

use crate::manifest::{
    IpBlock, LabelSelector, Manifest, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec, StringMap,
};
use crate::model::{AllowRule, Labels, Mode};
use crate::names;
use crate::normalize::Egress;
use crate::objects::package_meta;
use crate::placed::{MadeFor, OwnedGroup, Placed, Slot};
use crate::release::Behaviour;

/// The package's NetworkPolicies, one per remoteHost rule, in rule order.
pub(crate) fn package_network_policies<'a>(
    e: &Egress<'a>,
    index: usize,
    behaviour: &Behaviour,
) -> Vec<Placed<'a>> {
    let pkg = e.pkg;
    e.rules
        .iter()
        .enumerate()
        .filter_map(|(seq, r)| {
            let rule = r.rule;
            let mut meta =
                package_meta(pkg, names::rule_network_policy(&pkg.name, rule, behaviour)?);
            for (k, v) in &rule.labels {
                meta.labels.insert(k.clone(), v.clone());
            }
            if let Some(d) = rule.description.as_ref().filter(|d| !d.is_empty()) {
                meta.annotations
                    .insert("uds/description".to_string(), d.clone());
            }
            let manifest = Manifest::NetworkPolicy(NetworkPolicy {
                api_version: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: meta,
                spec: NetworkPolicySpec {
                    policy_types: vec!["Egress"],
                    pod_selector: LabelSelector {
                        match_labels: rule.selector.as_ref().map(string_map),
                    },
                    egress: vec![NetworkPolicyEgressRule {
                        to: vec![peer(rule, e.mode)],
                        ports: ports(rule, behaviour),
                    }],
                },
            });
            let slot = Slot::Package {
                package: index,
                group: OwnedGroup::NetworkPolicies,
                seq,
            };
            Some(
                Placed::new(manifest, slot, pkg, r.host)
                    .asked_by(Some(rule), "remoteHost")
                    .made_for(MadeFor::Rule(rule.index)),
            )
        })
        .collect()
}

/// Where the rule's traffic may go: the waypoint or egress gateway pods,
/// unless the rule also names a remote of its own (SPEC §6.3).
fn peer(rule: &AllowRule, mode: Mode) -> NetworkPolicyPeer {
    if let Some(cidr) = &rule.remote_cidr {
        return NetworkPolicyPeer {
            ip_block: Some(IpBlock { cidr: cidr.clone() }),
            ..NetworkPolicyPeer::default()
        };
    }
    if rule.remote_namespace.is_some() || rule.remote_selector.is_some() {
        return NetworkPolicyPeer {
            namespace_selector: rule.remote_namespace.as_deref().map(namespace_selector),
            pod_selector: rule.remote_selector.as_ref().map(|s| LabelSelector {
                match_labels: Some(string_map(s)),
            }),
            ip_block: None,
        };
    }
    let (namespace, key, value) = match mode {
        Mode::Ambient => (
            names::AMBIENT_NAMESPACE,
            "gateway.networking.k8s.io/gateway-name",
            names::WAYPOINT_NAME,
        ),
        Mode::Sidecar => (names::GATEWAY_NAMESPACE, "app", "egressgateway"),
    };
    NetworkPolicyPeer {
        namespace_selector: Some(namespace_selector(namespace)),
        pod_selector: Some(LabelSelector {
            match_labels: Some(StringMap::from_iter([(key.to_string(), value.to_string())])),
        }),
        ip_block: None,
    }
}

/// Input labels as an output map, in the order written.
pub(crate) fn string_map(labels: &Labels) -> StringMap {
    labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// `""` and `*` select every namespace.
fn namespace_selector(namespace: &str) -> LabelSelector {
    if namespace.is_empty() || namespace == "*" {
        return LabelSelector::default();
    }
    LabelSelector {
        match_labels: Some(StringMap::from_iter([(
            "kubernetes.io/metadata.name".to_string(),
            namespace.to_string(),
        )])),
    }
}

/// `ports` then `port` (both kept), then HBONE's 15008 when any; no ports
/// opens every port. TCP is named from 1.4.
fn ports(rule: &AllowRule, behaviour: &Behaviour) -> Vec<NetworkPolicyPort> {
    let mut ports: Vec<u16> = rule.ports.iter().copied().chain(rule.port).collect();
    if !ports.is_empty() {
        ports.push(names::HBONE_PORT);
    }
    let protocol = behaviour.network_policy_protocol.then_some("TCP");
    ports
        .into_iter()
        .map(|port| NetworkPolicyPort { port, protocol })
        .collect()
}
