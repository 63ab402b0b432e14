//! The egress audit report: who can reach which external host, over what,
//! through which path, enforced by which objects, and the risks UDS Core's
//! egress documentation warns about, as findings.
//!
//! UDS Core's operator generates whatever a Package asks for; auditing the
//! egress entries is the only safeguard. The report gives a reviewer of a
//! GitOps change that audit in one place, and [`diff`] narrows it to what a
//! change adds, widens or removes.
//!
//! The report is built from the same validation, normalisation and names as
//! [`crate::render`]: invalid input fails exactly as a render does, and every
//! object a row names is an object the render emits.

mod diff;

pub use diff::{diff, ReportDiff, Widened};

use crate::ambient::{principal, WAYPOINT_NAME, WAYPOINT_NAMESPACE};
use crate::error::{Errors, Warning, WarningKind};
use crate::model::{Labels, Mode, Package, Protocol};
use crate::names;
use crate::normalize::{self, Egress};
use crate::options::{Options, UnscopedIdentity};
use crate::sidecar::{self, GATEWAY_NAMESPACE};
use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The version of the JSON shape; bumped when a field changes meaning or
/// disappears (new fields may be added without a bump).
pub const REPORT_FORMAT_VERSION: u32 = 1;

/// The audit of a set of Packages: one [`Access`] per (package, workload
/// identity, host, port, protocol), and [`Finding`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Report {
    /// [`REPORT_FORMAT_VERSION`].
    pub version: u32,
    /// Who can reach what, sorted by namespace, package, host, port,
    /// protocol and identity.
    pub access: Vec<Access>,
    /// What to worry about, most severe first.
    pub findings: Vec<Finding>,
}

/// One workload identity of one package that can reach one host:port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Access {
    /// The package's namespace.
    pub namespace: String,
    /// The package's `metadata.name`.
    pub package: String,
    /// The package's mesh mode.
    #[serde(serialize_with = "mode_str")]
    pub mode: Mode,
    /// The workloads that can make the connection.
    pub who: Who,
    /// The external host.
    pub host: String,
    /// The port.
    pub port: u16,
    /// `TLS` (passed through) or `HTTP` (cleartext).
    #[serde(serialize_with = "protocol_str")]
    pub protocol: Protocol,
    /// True when these workloads' own rules ask for this host:port; false
    /// when they reach it only because a sibling rule of the same sidecar
    /// package registered it (SPEC §6, shared access).
    pub requested: bool,
    /// The `allow[]` indices that ask for it (empty when not requested).
    pub rules: Vec<usize>,
    /// The shared object the traffic leaves the mesh through.
    pub path: ObjectRef,
    /// The package-owned objects that allow it.
    pub enforced_by: Vec<ObjectRef>,
    /// The input file the package came from.
    pub file: String,
}

/// The workloads an [`Access`] admits. Selectors compare as maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
#[non_exhaustive]
pub enum Who {
    /// Ambient: the workloads running as a named service account.
    ServiceAccount {
        /// The `serviceAccount` of the rule.
        service_account: String,
        /// Its SPIFFE principal, as the AuthorizationPolicy names it.
        principal: String,
    },
    /// Ambient, rule without `serviceAccount`: the namespace's `default`
    /// service account, the identity of every pod that sets none.
    DefaultServiceAccount {
        /// The SPIFFE principal of the `default` service account.
        principal: String,
    },
    /// Ambient, rule without `serviceAccount` under
    /// `--unscoped-identity namespace`: every workload in the namespace.
    Namespace {
        /// The namespace.
        namespace: String,
    },
    /// Sidecar: the pods a Sidecar's workload selector matches.
    Selector {
        /// The labels, as first written.
        selector: Labels,
    },
    /// Sidecar, rule without a selector: every pod in the namespace.
    AllPods {
        /// The namespace.
        namespace: String,
    },
}

impl Who {
    /// How broad the identity is: 1 for one workload identity (a named
    /// service account, a selector), 2 for the namespace's default service
    /// account, 3 for the whole namespace. [`diff`] calls a change to a
    /// higher number widened.
    pub fn breadth(&self) -> u8 {
        match self {
            Who::ServiceAccount { .. } | Who::Selector { .. } => 1,
            Who::DefaultServiceAccount { .. } => 2,
            Who::Namespace { .. } | Who::AllPods { .. } => 3,
        }
    }

    /// A canonical text for ordering and comparing identities: selectors
    /// with their labels sorted.
    pub fn key(&self) -> String {
        match self {
            Who::Selector { selector } => {
                let mut kv: Vec<String> =
                    selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                kv.sort();
                format!("selector {}", kv.join(","))
            }
            other => other.to_string(),
        }
    }

    /// A short form for the terminal: `sa curl`, `sa default (unscoped)`,
    /// `whole namespace (unscoped)`, `app=curl`, `all pods in namespace`.
    pub fn short(&self) -> String {
        match self {
            Who::ServiceAccount {
                service_account, ..
            } => format!("sa {service_account}"),
            Who::DefaultServiceAccount { .. } => "sa default (unscoped)".to_string(),
            Who::Namespace { .. } => "whole namespace (unscoped)".to_string(),
            Who::Selector { selector } => selector_text(selector),
            Who::AllPods { .. } => "all pods in namespace".to_string(),
        }
    }
}

impl fmt::Display for Who {
    /// The long form: the principal, `namespace x`, the selector.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::ServiceAccount { principal, .. } => f.write_str(principal),
            Who::DefaultServiceAccount { principal } => {
                write!(f, "{principal} (no serviceAccount)")
            }
            Who::Namespace { namespace } => {
                write!(
                    f,
                    "every workload in namespace {namespace} (no serviceAccount)"
                )
            }
            Who::Selector { selector } => f.write_str(&selector_text(selector)),
            Who::AllPods { namespace } => write!(f, "all pods in namespace {namespace}"),
        }
    }
}

/// `app=curl,tier=web`.
fn selector_text(selector: &Labels) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A rendered object, by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// `apiVersion`, to tell the Gateway API waypoint from an Istio Gateway.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    fn new(api_version: &'static str, kind: &'static str, namespace: &str, name: String) -> Self {
        ObjectRef {
            api_version,
            kind,
            namespace: namespace.to_string(),
            name,
        }
    }
}

impl fmt::Display for ObjectRef {
    /// `Kind namespace/name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// How much a [`Finding`] matters. Ordered most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Exposure the author probably did not intend: cleartext traffic, a
    /// whole namespace admitted.
    High,
    /// Broader access than asked for, or egress that silently fails.
    Medium,
    /// A residual risk to judge host by host.
    Low,
    /// A limit of what these objects can enforce.
    Info,
}

impl Severity {
    /// `high`, `medium`, `low`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// What a [`Finding`] is about. The codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingCode {
    /// Plain HTTP egress: cleartext, nothing inspected.
    CleartextHttp,
    /// An ambient rule without `serviceAccount`.
    UnscopedIdentity,
    /// Sidecar workloads that can reach hosts or ports they did not ask for.
    SharedAccess,
    /// A sidecar port the egress gateway does not expose.
    GatewayPort,
    /// TLS passthrough: paths are not inspected; domain fronting.
    TlsPassthrough,
    /// One host reached from several namespaces.
    SharedHost,
    /// `podLabels` overrode `selector` (a render warning).
    DeprecatedLabels,
    /// Two Sidecars of a namespace can select the same pod (a render warning).
    OverlappingSidecars,
    /// DNS exfiltration is not blocked.
    DnsExfiltration,
    /// Traffic that bypasses the mesh is not controlled.
    MeshBypass,
}

impl FindingCode {
    /// The stable code, e.g. `cleartext-http`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::CleartextHttp => "cleartext-http",
            FindingCode::UnscopedIdentity => "unscoped-identity",
            FindingCode::SharedAccess => "shared-access",
            FindingCode::GatewayPort => "gateway-port",
            FindingCode::TlsPassthrough => "tls-passthrough",
            FindingCode::SharedHost => "shared-host",
            FindingCode::DeprecatedLabels => "deprecated-labels",
            FindingCode::OverlappingSidecars => "overlapping-sidecars",
            FindingCode::DnsExfiltration => "dns-exfiltration",
            FindingCode::MeshBypass => "mesh-bypass",
        }
    }
}

/// Where a finding comes from: a package and the `allow[]` indices.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The package's namespace.
    pub namespace: String,
    /// The package's `metadata.name`.
    pub package: String,
    /// The `allow[]` indices, ascending.
    pub rules: Vec<usize>,
}

/// A risk, with where it comes from and the fix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// What it is about.
    pub code: FindingCode,
    /// The packages and rules it comes from; empty for findings about the
    /// whole mesh.
    pub origins: Vec<Origin>,
    /// What it is about within those packages: a host, `host:port`, a
    /// workload identity; empty for findings about the whole mesh. With the
    /// code and the origins' packages it identifies the finding across
    /// changes ([`diff`]).
    pub subject: String,
    /// The host, when the finding is about one.
    pub host: Option<String>,
    /// The ports concerned, ascending; empty when not about ports.
    pub ports: Vec<u16>,
    /// What the risk is.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl Finding {
    /// `team-a/app allow[0,2]; team-b/web allow[1]`, or `all packages`.
    pub fn origin_text(&self) -> String {
        if self.origins.is_empty() {
            return "all packages".to_string();
        }
        self.origins
            .iter()
            .map(|o| {
                let rules: Vec<String> = o.rules.iter().map(usize::to_string).collect();
                if rules.is_empty() {
                    format!("{}/{}", o.namespace, o.package)
                } else {
                    format!("{}/{} allow[{}]", o.namespace, o.package, rules.join(","))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `example.com:80,8080`, `example.com`, or empty.
    pub fn target_text(&self) -> String {
        let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
        match (&self.host, ports.is_empty()) {
            (Some(h), true) => h.clone(),
            (Some(h), false) => format!("{h}:{}", ports.join(",")),
            (None, false) => format!("port {}", ports.join(",")),
            (None, true) => String::new(),
        }
    }
}

fn mode_str<S: Serializer>(mode: &Mode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(mode.as_str())
}

fn protocol_str<S: Serializer>(protocol: &Protocol, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(protocol.as_str())
}

/// Audit packages: the access they grant and the findings (see the module
/// documentation). Fails with the same errors as [`crate::render`].
///
/// ```
/// use egress_render::{parse, report, FindingCode, Options};
///
/// let yaml = r#"
/// apiVersion: uds.dev/v1alpha1
/// kind: Package
/// metadata: {name: app, namespace: team-a}
/// spec:
///   network:
///     allow:
///       - {direction: Egress, remoteHost: example.com, remoteProtocol: HTTP}
/// "#;
/// let parsed = parse("pkg.yaml", yaml.as_bytes());
/// let report = report(&parsed.packages, &Options::default()).expect("valid input");
/// assert_eq!(report.access[0].who.to_string(),
///            "cluster.local/ns/team-a/sa/default (no serviceAccount)");
/// assert_eq!(report.findings[0].code, FindingCode::CleartextHttp);
/// assert_eq!(report.findings[0].ports, [80]);
/// ```
pub fn report(packages: &[Package], options: &Options) -> Result<Report, Errors> {
    // Validation, conflicts, collisions and warnings: exactly the render's.
    let rendered = crate::render(packages, options)?;

    let mut sorted: Vec<&Package> = packages.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.namespace, &a.name, &a.source).cmp(&(&b.namespace, &b.name, &b.source))
    });
    let egresses: Vec<Egress> = sorted
        .iter()
        .filter_map(|p| normalize::egress(p, options))
        .collect();

    let mut access = Vec::new();
    let mut findings = Vec::new();
    for e in &egresses {
        findings.extend(protocol_findings(e));
        match e.mode {
            Mode::Ambient => {
                access.extend(ambient_access(e, options));
                findings.extend(unscoped_findings(e, options));
            }
            Mode::Sidecar => {
                let (rows, shared) = sidecar_access(e);
                access.extend(rows);
                findings.extend(shared);
                findings.extend(gateway_port_findings(e, options));
            }
        }
    }
    findings.extend(shared_host_findings(&egresses));
    findings.extend(rendered.warnings.iter().filter_map(warning_finding));
    if !access.is_empty() {
        findings.extend(mesh_wide_findings());
    }

    access.sort_by_cached_key(access_order);
    findings.sort();
    findings.dedup();
    Ok(Report {
        version: REPORT_FORMAT_VERSION,
        access,
        findings,
    })
}

type AccessOrder = (String, String, String, u16, Protocol, u8, String);

/// Report order: namespace, package, host, port, protocol, then the
/// narrowest identity first. Computed once per row (`sort_by_cached_key`):
/// the identity's key is built text.
pub(crate) fn access_order(a: &Access) -> AccessOrder {
    (
        a.namespace.clone(),
        a.package.clone(),
        a.host.clone(),
        a.port,
        a.protocol,
        a.who.breadth(),
        a.who.key(),
    )
}

/// The package ServiceEntry of a host, named exactly as the render names it.
fn service_entry_ref(e: &Egress, host: &str) -> ObjectRef {
    let pairs = e.hosts.get(host).map(Vec::as_slice).unwrap_or_default();
    ObjectRef::new(
        "networking.istio.io/v1",
        "ServiceEntry",
        &e.pkg.namespace,
        names::package_service_entry(&e.pkg.name, host, pairs),
    )
}

fn ambient_who(e: &Egress, sa: Option<&str>, options: &Options) -> Who {
    let ns = &e.pkg.namespace;
    match (sa, options.unscoped_identity) {
        (Some(sa), _) => Who::ServiceAccount {
            service_account: sa.to_string(),
            principal: principal(options, ns, sa),
        },
        (None, UnscopedIdentity::DefaultServiceAccount) => Who::DefaultServiceAccount {
            principal: principal(options, ns, "default"),
        },
        (None, UnscopedIdentity::Namespace) => Who::Namespace {
            namespace: ns.clone(),
        },
    }
}

/// SPEC §5: one AuthorizationPolicy per (host, service account) admits that
/// identity on the ports its rules asked for, through the shared waypoint.
fn ambient_access(e: &Egress, options: &Options) -> Vec<Access> {
    let mut rows: IndexMap<(&str, u16, Protocol, Option<&str>), Vec<usize>> = IndexMap::new();
    for r in &e.rules {
        for &port in &r.ports {
            let rules = rows
                .entry((r.host, port, r.protocol, r.rule.service_account.as_deref()))
                .or_default();
            if !rules.contains(&r.rule.index) {
                rules.push(r.rule.index);
            }
        }
    }
    let waypoint = ObjectRef::new(
        "gateway.networking.k8s.io/v1",
        "Gateway",
        WAYPOINT_NAMESPACE,
        WAYPOINT_NAME.to_string(),
    );
    rows.into_iter()
        .map(|((host, port, protocol, sa), mut rules)| {
            rules.sort_unstable();
            Access {
                namespace: e.pkg.namespace.clone(),
                package: e.pkg.name.clone(),
                mode: Mode::Ambient,
                who: ambient_who(e, sa, options),
                host: host.to_string(),
                port,
                protocol,
                requested: true,
                rules,
                path: waypoint.clone(),
                enforced_by: vec![
                    service_entry_ref(e, host),
                    ObjectRef::new(
                        "security.istio.io/v1",
                        "AuthorizationPolicy",
                        &e.pkg.namespace,
                        names::authorization_policy(host, sa),
                    ),
                ],
                file: e.pkg.source.file.clone(),
            }
        })
        .collect()
}

/// SPEC §6: a REGISTRY_ONLY Sidecar per selector lets its pods reach every
/// host:port the package's (namespace-wide) ServiceEntries register, not
/// only the ones their own rules name. Returns the rows and, per selector
/// that reaches more than it asked for, a shared-access finding.
fn sidecar_access(e: &Egress) -> (Vec<Access>, Vec<Finding>) {
    let pkg = e.pkg;
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    for group in sidecar::selectors(e) {
        let key = sidecar::selector_key(group.selector);
        let mut asked: IndexMap<(&str, u16, Protocol), Vec<usize>> = IndexMap::new();
        let mut group_rules: BTreeSet<usize> = BTreeSet::new();
        for r in e
            .rules
            .iter()
            .filter(|r| sidecar::selector_key(r.rule.workload_selector()) == key)
        {
            group_rules.insert(r.rule.index);
            for &port in &r.ports {
                let rules = asked.entry((r.host, port, r.protocol)).or_default();
                if !rules.contains(&r.rule.index) {
                    rules.push(r.rule.index);
                }
            }
        }
        let who = match group.selector {
            Some(sel) => Who::Selector {
                selector: sel.clone(),
            },
            None => Who::AllPods {
                namespace: pkg.namespace.clone(),
            },
        };
        let sidecar_ref = ObjectRef::new(
            "networking.istio.io/v1",
            "Sidecar",
            &pkg.namespace,
            names::sidecar(&pkg.name, group.selector),
        );
        let mut extra: Vec<String> = Vec::new();
        for (host, pairs) in &e.hosts {
            for &(port, protocol) in pairs {
                let mut rules = asked
                    .get(&(*host, port, protocol))
                    .cloned()
                    .unwrap_or_default();
                rules.sort_unstable();
                if rules.is_empty() {
                    extra.push(format!("{host}:{port}/{protocol}"));
                }
                rows.push(Access {
                    namespace: pkg.namespace.clone(),
                    package: pkg.name.clone(),
                    mode: Mode::Sidecar,
                    who: who.clone(),
                    host: host.to_string(),
                    port,
                    protocol,
                    requested: !rules.is_empty(),
                    rules,
                    path: ObjectRef::new(
                        "networking.istio.io/v1",
                        "Gateway",
                        GATEWAY_NAMESPACE,
                        names::egress_gateway(host),
                    ),
                    enforced_by: vec![service_entry_ref(e, host), sidecar_ref.clone()],
                    file: pkg.source.file.clone(),
                });
            }
        }
        if !extra.is_empty() {
            findings.push(Finding {
                severity: Severity::Medium,
                code: FindingCode::SharedAccess,
                subject: who.key(),
                origins: vec![origin(pkg, group_rules)],
                host: None,
                ports: Vec::new(),
                message: format!(
                    "{} can also reach {}, which their rules do not ask for: a package's ServiceEntries are visible to every workload in its namespace, and a REGISTRY_ONLY Sidecar admits whatever is registered",
                    match group.selector {
                        Some(sel) => format!("pods selected by {}", selector_text(sel)),
                        None => format!("all pods in namespace {}", pkg.namespace),
                    },
                    extra.join(", ")
                ),
                fix: "if these workloads must not reach those hosts, move them, or the rules that register the other hosts, to a package in another namespace".to_string(),
            });
        }
    }
    (rows, findings)
}

/// The ports and the `allow[]` indices of some rules.
type PortsAndRules = (BTreeSet<u16>, BTreeSet<usize>);

fn origin(pkg: &Package, rules: impl IntoIterator<Item = usize>) -> Origin {
    let rules: BTreeSet<usize> = rules.into_iter().collect();
    Origin {
        namespace: pkg.namespace.clone(),
        package: pkg.name.clone(),
        rules: rules.into_iter().collect(),
    }
}

/// Per host and protocol: HTTP is cleartext; TLS is passed through, so the
/// mesh sees only the SNI (seeds: "Security considerations").
fn protocol_findings(e: &Egress) -> Vec<Finding> {
    let mut by: IndexMap<(&str, Protocol), PortsAndRules> = IndexMap::new();
    for r in &e.rules {
        let entry = by.entry((r.host, r.protocol)).or_default();
        entry.0.extend(r.ports.iter().copied());
        entry.1.insert(r.rule.index);
    }
    by.into_iter()
        .map(|((host, protocol), (ports, rules))| match protocol {
            Protocol::Http => Finding {
                severity: Severity::High,
                code: FindingCode::CleartextHttp,
                subject: host.to_string(),
                origins: vec![origin(e.pkg, rules)],
                host: Some(host.to_string()),
                ports: ports.into_iter().collect(),
                message: format!(
                    "traffic to {host} leaves the cluster as plain HTTP: anyone on the network path can read or change it, and these objects only check the host and port, not what is sent"
                ),
                fix: format!(
                    "if {host} offers HTTPS, have the workload use it: remoteProtocol TLS on port 443; otherwise make sure nothing secret is sent"
                ),
            },
            Protocol::Tls => Finding {
                severity: Severity::Low,
                code: FindingCode::TlsPassthrough,
                subject: host.to_string(),
                origins: vec![origin(e.pkg, rules)],
                host: Some(host.to_string()),
                ports: ports.into_iter().collect(),
                message: format!(
                    "TLS to {host} is passed through: only the SNI is checked, so paths cannot be inspected, restricted or logged; if the host sits behind a front open to domain fronting (a shared CDN), workloads can reach any site behind that front"
                ),
                fix: format!(
                    "allow {host} only if you trust it and know it is not open to domain fronting; prefer a host name dedicated to the service over a shared front"
                ),
            },
        })
        .collect()
}

/// SPEC §5: an ambient rule without `serviceAccount` admits the namespace's
/// default identity, or the whole namespace (`--unscoped-identity
/// namespace`, the operator's behaviour).
fn unscoped_findings(e: &Egress, options: &Options) -> Vec<Finding> {
    let mut by_host: IndexMap<&str, PortsAndRules> = IndexMap::new();
    for r in e.rules.iter().filter(|r| r.rule.service_account.is_none()) {
        let entry = by_host.entry(r.host).or_default();
        entry.0.extend(r.ports.iter().copied());
        entry.1.insert(r.rule.index);
    }
    let ns = &e.pkg.namespace;
    by_host
        .into_iter()
        .map(|(host, (ports, rules))| {
            let (severity, message) = match options.unscoped_identity {
                UnscopedIdentity::DefaultServiceAccount => (
                    Severity::Medium,
                    format!(
                        "rules for {host} without serviceAccount admit {}, the identity of every pod in {ns} that does not set serviceAccountName",
                        principal(options, ns, "default")
                    ),
                ),
                UnscopedIdentity::Namespace => (
                    Severity::High,
                    format!(
                        "rules for {host} without serviceAccount admit every workload in namespace {ns} (--unscoped-identity namespace, as UDS Core's operator does)"
                    ),
                ),
            };
            Finding {
                severity,
                code: FindingCode::UnscopedIdentity,
                subject: host.to_string(),
                origins: vec![origin(e.pkg, rules)],
                host: Some(host.to_string()),
                ports: ports.into_iter().collect(),
                message,
                fix: format!(
                    "set serviceAccount on these rules to the service account of the workload that needs {host}"
                ),
            }
        })
        .collect()
}

/// SPEC §6 warning: a sidecar port the egress gateway does not expose.
fn gateway_port_findings(e: &Egress, options: &Options) -> Vec<Finding> {
    let mut by: BTreeMap<(&str, u16), BTreeSet<usize>> = BTreeMap::new();
    for r in &e.rules {
        for &port in r
            .ports
            .iter()
            .filter(|p| !options.gateway_ports.contains(p))
        {
            by.entry((r.host, port)).or_default().insert(r.rule.index);
        }
    }
    let exposed: Vec<String> = options.gateway_ports.iter().map(u16::to_string).collect();
    by.into_iter()
        .map(|((host, port), rules)| Finding {
            severity: Severity::Medium,
            code: FindingCode::GatewayPort,
            subject: format!("{host}:{port}"),
            origins: vec![origin(e.pkg, rules)],
            host: Some(host.to_string()),
            ports: vec![port],
            message: format!(
                "{host}:{port} uses a port the egress gateway does not expose (it exposes {}): the traffic will not egress",
                exposed.join(", ")
            ),
            fix: format!(
                "add port {port} to the istio-egress-gateway service (a service.ports override) and pass --gateway-ports {},{port}, or use an exposed port",
                exposed.join(",")
            ),
        })
        .collect()
}

/// One host reached from several namespaces: they share the egress path,
/// so one owner's change affects the others (seeds: "Limitations").
fn shared_host_findings(egresses: &[Egress]) -> Vec<Finding> {
    let mut by_host: BTreeMap<&str, Vec<(&Egress, PortsAndRules)>> = BTreeMap::new();
    for e in egresses {
        // Each host's rules, gathered in one pass over the package's rules.
        let mut rules_of: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for r in &e.rules {
            rules_of.entry(r.host).or_default().insert(r.rule.index);
        }
        for host in e.hosts.keys() {
            let rules: BTreeSet<usize> = rules_of.remove(host).unwrap_or_default();
            let ports: BTreeSet<u16> = e
                .hosts
                .get(host)
                .into_iter()
                .flatten()
                .map(|&(p, _)| p)
                .collect();
            by_host.entry(host).or_default().push((e, (ports, rules)));
        }
    }
    let mut out = Vec::new();
    for (host, users) in by_host {
        let namespaces: BTreeSet<&str> = users.iter().map(|u| u.0.pkg.namespace.as_str()).collect();
        if namespaces.len() < 2 {
            continue;
        }
        let mut how = Vec::new();
        if users.iter().any(|u| u.0.mode == Mode::Ambient) {
            how.push("ambient packages share the egress waypoint and must keep requesting the same ports and protocols, so one owner cannot change them alone");
        }
        if users.iter().any(|u| u.0.mode == Mode::Sidecar) {
            how.push("sidecar packages share one Gateway, VirtualService and ServiceEntry in istio-egress-gateway that carry the union of their ports");
        }
        let ports: BTreeSet<u16> = users.iter().flat_map(|u| u.1 .0.iter().copied()).collect();
        out.push(Finding {
            severity: Severity::Low,
            code: FindingCode::SharedHost,
            subject: host.to_string(),
            origins: users
                .iter()
                .map(|u| origin(u.0.pkg, u.1 .1.iter().copied()))
                .collect(),
            host: Some(host.to_string()),
            ports: ports.into_iter().collect(),
            message: format!(
                "{host} is reached from {} namespaces ({}); {}",
                namespaces.len(),
                namespaces.into_iter().collect::<Vec<_>>().join(", "),
                how.join("; ")
            ),
            fix: format!(
                "check that each of these namespaces should reach {host}, and coordinate changes to its ports with the other packages' owners"
            ),
        });
    }
    out
}

/// Render warnings the report does not derive itself become findings, so
/// the report shows everything a render would warn about.
fn warning_finding(w: &Warning) -> Option<Finding> {
    let code = match w.kind {
        // Derived above from the rules, with the host and ports as data.
        WarningKind::GatewayPort | WarningKind::SharedAccess => return None,
        WarningKind::DeprecatedLabels => FindingCode::DeprecatedLabels,
        WarningKind::OverlappingSidecars => FindingCode::OverlappingSidecars,
    };
    let (namespace, package) = w.package.split_once('/').unwrap_or(("", &w.package));
    Some(Finding {
        severity: Severity::Low,
        code,
        subject: w.message.clone(),
        origins: vec![Origin {
            namespace: namespace.to_string(),
            package: package.to_string(),
            rules: w.rule.into_iter().collect(),
        }],
        host: None,
        ports: Vec::new(),
        message: w.message.clone(),
        fix: w.help.clone(),
    })
}

/// What no egress object can enforce (seeds: "Security considerations"),
/// reported once.
fn mesh_wide_findings() -> [Finding; 2] {
    [
        Finding {
            severity: Severity::Info,
            code: FindingCode::DnsExfiltration,
            subject: String::new(),
            origins: Vec::new(),
            host: None,
            ports: Vec::new(),
            message: "DNS exfiltration is not blocked: these objects do not govern DNS, so any workload can still send data out in DNS lookups of names it makes up (e.g. <data>.attacker.example)".to_string(),
            fix: "filter DNS outside the mesh: a resolver or DNS firewall that only resolves the names workloads need, and DNS query logging".to_string(),
        },
        Finding {
            severity: Severity::Info,
            code: FindingCode::MeshBypass,
            subject: String::new(),
            origins: Vec::new(),
            host: None,
            ports: Vec::new(),
            message: "these objects only govern traffic that goes through the mesh; pods outside the mesh or on the host network can bypass the egress waypoint and gateway, and Istio leaves blocking that to the cluster".to_string(),
            fix: "enforce egress below the mesh: NetworkPolicies or a firewall that let only the egress waypoint and gateway reach outside the cluster".to_string(),
        },
    ]
}

impl Report {
    /// Pretty-printed JSON with a trailing newline; fields are documented
    /// in `docs/report.md`.
    pub fn to_json(&self) -> Result<String, crate::Error> {
        json(self)
    }
}

/// Pretty JSON with a trailing newline.
fn json<T: Serialize>(value: &T) -> Result<String, crate::Error> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| {
            crate::Error::new(
                crate::ErrorKind::Syntax,
                format!("could not write JSON: {e}"),
            )
        })
}
