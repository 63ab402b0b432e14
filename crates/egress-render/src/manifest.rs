//! Typed Istio and Gateway API objects. Every object serializes with
//! `apiVersion`, `kind`, `metadata`, `spec` in that order (SPEC §7).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// One rendered object: an [`Object`] of one of the kinds the operator
/// creates. Adding a kind is one spec type and one arm here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Manifest {
    /// `networking.istio.io` ServiceEntry (package or shared).
    ServiceEntry(ServiceEntry),
    /// `security.istio.io` AuthorizationPolicy (ambient).
    AuthorizationPolicy(AuthorizationPolicy),
    /// `networking.istio.io/v1` Sidecar (sidecar mode).
    Sidecar(Sidecar),
    /// `networking.istio.io/v1` Gateway (sidecar mode, shared).
    Gateway(Gateway),
    /// `networking.istio.io` VirtualService (sidecar mode, shared).
    VirtualService(VirtualService),
    /// `gateway.networking.k8s.io/v1` Gateway: the shared ambient egress waypoint.
    Waypoint(Waypoint),
    /// `networking.k8s.io/v1` NetworkPolicy of a remoteHost rule (SPEC §6.3).
    NetworkPolicy(NetworkPolicy),
}

impl Manifest {
    /// `apiVersion`, `kind` and metadata: the one per-kind dispatch.
    fn header(&self) -> (&'static str, &'static str, &ObjectMeta) {
        fn h<S>(o: &Object<S>) -> (&'static str, &'static str, &ObjectMeta) {
            (o.api_version, o.kind, &o.metadata)
        }
        match self {
            Manifest::ServiceEntry(o) => h(o),
            Manifest::AuthorizationPolicy(o) => h(o),
            Manifest::Sidecar(o) => h(o),
            Manifest::Gateway(o) => h(o),
            Manifest::VirtualService(o) => h(o),
            Manifest::Waypoint(o) => h(o),
            Manifest::NetworkPolicy(o) => h(o),
        }
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        self.header().2
    }

    /// The object's `apiVersion`.
    pub fn api_version(&self) -> &'static str {
        self.header().0
    }

    /// The object's `kind`.
    pub fn kind(&self) -> &'static str {
        self.header().1
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.metadata().name
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        &self.metadata().namespace
    }
}

/// A Kubernetes object: `apiVersion`, `kind`, `metadata`, `spec`, in that
/// order (SPEC §7).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object<S> {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: S,
}

/// An Istio ServiceEntry.
pub type ServiceEntry = Object<ServiceEntrySpec>;
/// An Istio AuthorizationPolicy.
pub type AuthorizationPolicy = Object<AuthorizationPolicySpec>;
/// An Istio Sidecar.
pub type Sidecar = Object<SidecarSpec>;
/// An Istio Gateway (the sidecar egress gateway's configuration).
pub type Gateway = Object<GatewaySpec>;
/// An Istio VirtualService.
pub type VirtualService = Object<VirtualServiceSpec>;
/// The Gateway API Gateway of the ambient egress waypoint.
pub type Waypoint = Object<WaypointSpec>;
/// A Kubernetes NetworkPolicy.
pub type NetworkPolicy = Object<NetworkPolicySpec>;

/// Kubernetes object metadata, as far as the renderer sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// Labels, in the order the SPEC lists them.
    pub labels: StringMap,
    /// Annotations, sorted by key (shared objects' owners, a
    /// NetworkPolicy's `uds/description`).
    #[serde(skip_serializing_if = "StringMap::is_empty")]
    pub annotations: StringMap,
    /// The owning Package, when its uid is known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<OwnerReference>,
}

/// A reference to the owning Package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    /// `uds.dev/v1alpha1`.
    pub api_version: &'static str,
    /// `Package`.
    pub kind: &'static str,
    /// The Package's name.
    pub name: String,
    /// The Package's uid.
    pub uid: String,
}

/// ServiceEntry spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntrySpec {
    /// The external host.
    pub hosts: Vec<String>,
    /// `MESH_EXTERNAL`.
    pub location: &'static str,
    /// `DNS`.
    pub resolution: &'static str,
    /// The host's ports.
    pub ports: Vec<ServicePort>,
    /// `["."]`: visible in the object's namespace only.
    pub export_to: Vec<String>,
}

/// A named port with its protocol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServicePort {
    /// `{protocol}-{port}`, e.g. `tls-443`.
    pub name: String,
    /// The port number.
    pub number: u16,
    /// `TLS` or `HTTP`.
    pub protocol: &'static str,
}

/// AuthorizationPolicy spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPolicySpec {
    /// `ALLOW`.
    pub action: &'static str,
    /// The ServiceEntry the policy is attached to.
    pub target_ref: PolicyTargetRef,
    /// Per-package layout: one rule (who); central layout: one per port.
    pub rules: Vec<AuthorizationRule>,
}

/// A policy's target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyTargetRef {
    /// `networking.istio.io`.
    pub group: &'static str,
    /// `ServiceEntry`.
    pub kind: &'static str,
    /// The ServiceEntry's name.
    pub name: String,
}

/// An authorization rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorizationRule {
    /// Who.
    pub from: Vec<RuleFrom>,
    /// To which ports; absent in the per-package layout (no port scoping
    /// before 0.59).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<RuleTo>,
}

/// `from[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFrom {
    /// The source identity.
    pub source: RuleSource,
}

/// The source identity: a principal or a namespace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSource {
    /// Principals, `cluster.local/ns/{namespace}/sa/{sa}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
    /// Namespaces (rules without `serviceAccount`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// `to[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTo {
    /// The operation.
    pub operation: RuleOperation,
}

/// The allowed ports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOperation {
    /// Port numbers as strings.
    pub ports: Vec<String>,
}

/// Sidecar spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SidecarSpec {
    /// `REGISTRY_ONLY`.
    pub outbound_traffic_policy: OutboundTrafficPolicy,
    /// The selected workloads; absent without a selector (`selector: {}`
    /// gives empty labels, which also select every pod).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_selector: Option<WorkloadSelector>,
}

/// `outboundTrafficPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboundTrafficPolicy {
    /// `REGISTRY_ONLY`.
    pub mode: &'static str,
}

/// `workloadSelector`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadSelector {
    /// Pod labels.
    pub labels: StringMap,
}

/// Istio Gateway spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewaySpec {
    /// `{app: egressgateway}`.
    pub selector: StringMap,
    /// One server per (port, protocol).
    pub servers: Vec<GatewayServer>,
}

/// A Gateway server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GatewayServer {
    /// The host.
    pub hosts: Vec<String>,
    /// The port.
    pub port: ServicePort,
    /// `PASSTHROUGH`.
    pub tls: ServerTls,
}

/// Server TLS settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerTls {
    /// `PASSTHROUGH`.
    pub mode: &'static str,
}

/// VirtualService spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VirtualServiceSpec {
    /// The host.
    pub hosts: Vec<String>,
    /// `mesh` and the host's Gateway.
    pub gateways: Vec<String>,
    /// Routes of TLS pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tls: Vec<TlsRoute>,
    /// Routes of HTTP pairs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpRoute>,
}

/// A TLS route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsRoute {
    /// Match on gateway, port and SNI.
    #[serde(rename = "match")]
    pub matches: Vec<TlsMatch>,
    /// Where to.
    pub route: Vec<RouteDestination>,
}

/// A TLS match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsMatch {
    /// `mesh` or the Gateway.
    pub gateways: Vec<String>,
    /// The port.
    pub port: u16,
    /// The host.
    pub sni_hosts: Vec<String>,
}

/// An HTTP route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpRoute {
    /// Match on gateway and port.
    #[serde(rename = "match")]
    pub matches: Vec<HttpMatch>,
    /// Where to.
    pub route: Vec<RouteDestination>,
}

/// An HTTP match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpMatch {
    /// `mesh` or the Gateway.
    pub gateways: Vec<String>,
    /// The port.
    pub port: u16,
}

/// A route's destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteDestination {
    /// The destination.
    pub destination: Destination,
}

/// Host and port.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Destination {
    /// The host.
    pub host: String,
    /// The port.
    pub port: PortSelector,
}

/// A port number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortSelector {
    /// The number.
    pub number: u16,
}

/// Waypoint spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaypointSpec {
    /// `istio-waypoint`.
    pub gateway_class_name: &'static str,
    /// The HBONE listener.
    pub listeners: Vec<Listener>,
    /// Points at the waypoint's ConfigMap.
    pub infrastructure: Infrastructure,
}

/// A listener.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// `mesh`.
    pub name: &'static str,
    /// 15008.
    pub port: u16,
    /// `HBONE`.
    pub protocol: &'static str,
    /// Which routes may attach.
    pub allowed_routes: AllowedRoutes,
}

/// `allowedRoutes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllowedRoutes {
    /// `{from: All}`.
    pub namespaces: RouteNamespaces,
    /// ServiceEntry.
    pub kinds: Vec<GroupKind>,
}

/// `namespaces`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteNamespaces {
    /// `All`.
    pub from: &'static str,
}

/// A group and kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupKind {
    /// The API group.
    pub group: &'static str,
    /// The kind.
    pub kind: &'static str,
}

/// `infrastructure`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Infrastructure {
    /// The ConfigMap.
    pub parameters_ref: ParametersRef,
}

/// `parametersRef`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParametersRef {
    /// `""` (core).
    pub group: &'static str,
    /// `ConfigMap`.
    pub kind: &'static str,
    /// `egress-waypoint-config`.
    pub name: &'static str,
}

/// NetworkPolicy spec (egress only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    /// `[Egress]`.
    pub policy_types: Vec<&'static str>,
    /// The rule's pods.
    pub pod_selector: LabelSelector,
    /// One egress rule.
    pub egress: Vec<NetworkPolicyEgressRule>,
}

/// A label selector; `{}` (no `matchLabels`) selects everything.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// The labels to match, when any field is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<StringMap>,
}

/// An egress rule of a NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkPolicyEgressRule {
    /// The peers.
    pub to: Vec<NetworkPolicyPeer>,
    /// The ports; empty opens every port.
    pub ports: Vec<NetworkPolicyPort>,
}

/// A NetworkPolicy peer.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyPeer {
    /// Namespaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    /// An address block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// `ipBlock`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IpBlock {
    /// The CIDR.
    pub cidr: String,
}

/// A NetworkPolicy port.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkPolicyPort {
    /// The port.
    pub port: u16,
    /// `TCP` from UDS Core 1.4; absent before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<&'static str>,
}

/// A string-to-string map of an object (labels, annotations, selectors),
/// serialized as a mapping in its own order. A list of pairs rather than a
/// hash map: these maps hold a handful of entries, and a rendered fleet
/// holds hundreds of thousands of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringMap(Vec<(String, String)>);

impl StringMap {
    /// An empty map.
    pub fn new() -> Self {
        StringMap(Vec::new())
    }

    /// Set `key` to `value`: in place when the key is there, else at the end
    /// (a scan: for the handful of labels an object gets one by one).
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The same entries sorted by key (annotations are written sorted).
    pub fn sorted(mut self) -> Self {
        self.0.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.0.dedup_by(|a, b| a.0 == b.0);
        self
    }
}

impl FromIterator<(String, String)> for StringMap {
    /// Later entries of a key replace earlier ones, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let entries: Vec<(String, String)> = iter.into_iter().collect();
        let mut map = StringMap(Vec::with_capacity(entries.len()));
        // A shared object's annotations name every user of a host (tens of
        // thousands for a popular one): index the keys rather than scan.
        let mut index: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(entries.len());
        for (k, v) in entries {
            match index.get(&k).and_then(|&i| map.0.get_mut(i)) {
                Some(entry) => entry.1 = v,
                None => {
                    index.insert(k.clone(), map.0.len());
                    map.0.push((k, v));
                }
            }
        }
        map
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
