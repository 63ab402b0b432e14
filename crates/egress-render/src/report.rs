//! The egress audit report: who can reach which external host, over what,
//! through which path, enforced by which objects, and the risks UDS Core's
//! egress documentation warns about, as findings.
//!
//! UDS Core's operator generates whatever a Package asks for; auditing the
//! egress entries is the only safeguard. The report gives a reviewer of a
//! GitOps change that audit in one place, and [`diff`] narrows it to what a
//! change adds, widens or removes.
//!
//! The report reads the same plan and the same built objects as
//! [`crate::render`]: invalid input fails exactly as a render does, each row
//! comes from an object the chosen release creates (a central policy's rule
//! per port, a per-package policy, a Sidecar), and every object a row names
//! is one the render emits.

mod diff;

pub use diff::{diff, ReportDiff, Widened};

use crate::error::{Errors, Warning, WarningKind};
use crate::manifest::{Manifest, RuleFrom};
use crate::model::{Labels, Mode, Package, Protocol};
use crate::names;
use crate::normalize::{Egress, EgressRule, Identity};
use crate::options::Options;
use crate::placed::{OwnedGroup, Placed, Slot};
use crate::plan::Plan;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher as FastHash;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// The version of the JSON shape; bumped when a field changes meaning or
/// disappears (new fields may be added without a bump).
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// The audit of a set of Packages: one [`Access`] per (package, workload
/// identity, host, port, protocol), and [`Finding`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Report {
    /// [`REPORT_FORMAT_VERSION`].
    pub version: u32,
    /// The UDS Core release whose objects the report reads, e.g. `1.11` (a
    /// newer release than known renders, and reports, as the newest known).
    pub uds_core: String,
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
    /// package registered it (SPEC §6.2, shared access) or as a
    /// `remoteGenerated: Anywhere` participant (SPEC §5.2).
    pub requested: bool,
    /// The `allow[]` indices that ask for it (empty when not requested).
    pub rules: Vec<usize>,
    /// The shared object the traffic leaves the mesh through.
    pub path: ObjectRef,
    /// The objects that allow it: ServiceEntry, AuthorizationPolicy or
    /// Sidecar, and the rules' NetworkPolicies.
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
    /// Ambient, rule without `serviceAccount`: every workload in the
    /// namespace, as the operator admits it.
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
    /// service account, a selector), 3 for the whole namespace (2 was the
    /// default service account of report format 1). [`diff`] calls a change
    /// to a higher number widened.
    pub fn breadth(&self) -> u8 {
        match self {
            Who::ServiceAccount { .. } | Who::Selector { .. } => 1,
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

    /// A short form for the terminal: `sa curl`, `whole namespace
    /// (unscoped)`, `app=curl`, `all pods in namespace`.
    pub fn short(&self) -> String {
        match self {
            Who::ServiceAccount {
                service_account, ..
            } => format!("sa {service_account}"),
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
    /// A `remoteGenerated: Anywhere` rule joins every ambient host's policy.
    AnywhereParticipant,
    /// A policy that attaches to nothing (a render warning, before 0.59).
    DanglingTarget,
    /// Two ServiceEntries for one host on the waypoint (a render warning,
    /// before 0.59).
    DuplicateHostWaypoint,
    /// `port` ignored beside `ports` (a render warning).
    PortIgnored,
    /// The release is newer than the newest known (a render warning).
    NewerRelease,
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
            FindingCode::AnywhereParticipant => "anywhere-participant",
            FindingCode::DanglingTarget => "dangling-target",
            FindingCode::DuplicateHostWaypoint => "duplicate-host-waypoint",
            FindingCode::PortIgnored => "port-ignored",
            FindingCode::NewerRelease => "newer-release",
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

/// Audit packages: the access the chosen release's objects grant and the
/// findings (see the module documentation). Fails with the same errors as
/// [`crate::render`].
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
///            "every workload in namespace team-a (no serviceAccount)");
/// assert_eq!(report.access[0].port, 80);
/// assert_eq!(report.findings[0].code, FindingCode::CleartextHttp);
/// assert_eq!(report.findings[0].ports, [80]);
/// ```
pub fn report(packages: &[Package], options: &Options) -> Result<Report, Errors> {
    crate::planned(packages, options, |plan, placed, warnings| {
        build_report(plan, &placed, &warnings)
    })
}

fn build_report(plan: &Plan, placed: &[Placed], warnings: &[Warning]) -> Report {
    let objects = Objects::index(placed);
    let mut access = Vec::new();
    let mut findings = Vec::new();
    for (index, e) in plan.packages.iter().enumerate() {
        findings.extend(protocol_findings(e));
        match e.mode {
            Mode::Ambient => findings.extend(unscoped_findings(e, plan)),
            Mode::Sidecar => {
                let (rows, shared) = sidecar_access(e, index, &objects);
                access.extend(rows);
                findings.extend(shared);
            }
        }
    }
    if plan.behaviour.central_ambient {
        access.extend(central_access(plan, placed, &objects));
        findings.extend(participant_findings(plan));
    } else {
        access.extend(per_package_access(plan, placed, &objects));
    }
    findings.extend(shared_host_findings(plan));
    findings.extend(warnings.iter().filter_map(warning_finding));
    if !access.is_empty() {
        findings.extend(mesh_wide_findings());
    }
    access.sort_by_cached_key(access_order);
    findings.sort();
    findings.dedup();
    Report {
        version: REPORT_FORMAT_VERSION,
        uds_core: plan
            .options
            .uds_core
            .min(crate::release::Release::LATEST)
            .to_string(),
        access,
        findings,
    }
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

fn object_ref(m: &Manifest) -> ObjectRef {
    ObjectRef {
        api_version: m.api_version(),
        kind: m.kind(),
        namespace: m.namespace().to_string(),
        name: m.name().to_string(),
    }
}

/// The built objects by what the report looks them up by; names always
/// come from the objects, never re-derived.
struct Objects<'p> {
    /// (package index, host) → the package's ServiceEntry of that host.
    service_entries: HashMap<(usize, &'p str), ObjectRef>,
    /// (package index, rule index) → the rule's NetworkPolicy.
    network_policies: HashMap<(usize, usize), ObjectRef>,
    /// (package index, Sidecar position) → the Sidecar.
    sidecars: HashMap<(usize, usize), ObjectRef>,
    /// The egress path of each mode's host: the waypoint, or the host's
    /// Istio Gateway.
    waypoint: Option<ObjectRef>,
    gateways: HashMap<&'p str, ObjectRef>,
}

impl<'p> Objects<'p> {
    fn index(placed: &'p [Placed]) -> Self {
        let mut o = Objects {
            service_entries: HashMap::new(),
            network_policies: HashMap::new(),
            sidecars: HashMap::new(),
            waypoint: None,
            gateways: HashMap::new(),
        };
        for p in placed {
            let r = object_ref(&p.manifest);
            match (&p.slot, &p.manifest) {
                (Slot::Package { package, .. }, Manifest::ServiceEntry(_)) => {
                    o.service_entries.insert((*package, p.host), r);
                }
                (Slot::Package { package, .. }, Manifest::NetworkPolicy(_)) => {
                    if let Some((rule, _)) = p.rule {
                        o.network_policies.insert((*package, rule.index), r);
                    }
                }
                (
                    Slot::Package {
                        package,
                        group: OwnedGroup::Policies,
                        seq,
                    },
                    Manifest::Sidecar(_),
                ) => {
                    o.sidecars.insert((*package, *seq), r);
                }
                (Slot::Waypoint, _) => o.waypoint = Some(r),
                (Slot::SidecarHost { host, .. }, Manifest::Gateway(_)) => {
                    o.gateways.insert(host, r);
                }
                _ => {}
            }
        }
        o
    }

    /// The NetworkPolicies of a package's rules.
    fn network_policies_of(&self, package: usize, rules: &[usize]) -> Vec<ObjectRef> {
        rules
            .iter()
            .filter_map(|r| self.network_policies.get(&(package, *r)).cloned())
            .collect()
    }
}

fn who_of(identity: Identity) -> Who {
    match identity {
        Identity::ServiceAccount {
            namespace,
            service_account,
        } => Who::ServiceAccount {
            service_account: service_account.to_string(),
            principal: names::principal(namespace, service_account),
        },
        Identity::Namespace(ns) => Who::Namespace {
            namespace: ns.to_string(),
        },
    }
}

/// The identities of an AuthorizationPolicy rule's `from`, as written.
fn identities_of(from: &[RuleFrom]) -> Vec<(String, Who)> {
    let mut out = Vec::new();
    for s in from.iter().map(|f| &f.source) {
        for p in &s.principals {
            // cluster.local/ns/{namespace}/sa/{sa}
            let mut parts = p.splitn(5, '/').skip(2);
            if let (Some(ns), Some(_), Some(sa)) = (parts.next(), parts.next(), parts.next()) {
                out.push((
                    ns.to_string(),
                    Who::ServiceAccount {
                        service_account: sa.to_string(),
                        principal: p.clone(),
                    },
                ));
            }
        }
        for ns in &s.namespaces {
            out.push((
                ns.clone(),
                Who::Namespace {
                    namespace: ns.clone(),
                },
            ));
        }
    }
    out
}

/// The ambient rules of each package by host, each with its ports sorted,
/// built once: the report asks for the rules of one host, port and identity
/// per row, and scanning every rule (and its ports) per row was quadratic
/// (one package naming 40,000 hosts took 9.6 s; a rule with all 65,535
/// ports, 65,535² port comparisons).
struct AmbientRules<'p, 'a> {
    by_host: HashMap<(usize, &'a str), Vec<RulePorts<'p, 'a>>, FastHash>,
}

/// A rule and its ports, sorted.
type RulePorts<'p, 'a> = (&'p EgressRule<'a>, Vec<u16>);

impl<'p, 'a> AmbientRules<'p, 'a> {
    fn new(plan: &'p Plan<'a>) -> Self {
        let mut by_host: HashMap<_, Vec<_>, FastHash> = HashMap::default();
        for (index, e) in plan.of_mode(Mode::Ambient) {
            for r in &e.rules {
                let mut ports = r.ports.clone();
                ports.sort_unstable();
                by_host.entry((index, r.host)).or_default().push((r, ports));
            }
        }
        AmbientRules { by_host }
    }

    /// The rules of package `index` (`e`) asking for `host:port` (any port
    /// for `None`) as `who`, ascending.
    fn asking(
        &self,
        index: usize,
        e: &Egress,
        host: &str,
        port: Option<u16>,
        who: &Who,
    ) -> Vec<usize> {
        let rules: BTreeSet<usize> = self
            .by_host
            .get(&(index, host))
            .into_iter()
            .flatten()
            .filter(|(_, ports)| port.is_none_or(|p| ports.binary_search(&p).is_ok()))
            .filter(|(r, _)| &who_of(Identity::of(e.pkg, r.rule)) == who)
            .map(|(r, _)| r.rule.index)
            .collect();
        rules.into_iter().collect()
    }
}

/// SPEC §5.2: one row per identity of each port rule of each central
/// AuthorizationPolicy; an Anywhere participant's rows are not requested.
///
/// Bounded: an Anywhere participant is admitted to every ambient host, so
/// an identity gets rows for what its rules ask for and for the first
/// [`SHOWN_EXTRA`] host:ports it was only admitted to; its
/// `anywhere-participant` finding counts the hosts. (2,000 hosts and 500
/// participants made a million rows: a 256 MB report in 41 s.)
fn central_access(plan: &Plan, placed: &[Placed], objects: &Objects) -> Vec<Access> {
    let ambient = AmbientRules::new(plan);
    // The participant rules of each package by identity, and how many rows
    // each identity got without asking.
    let mut participants: HashMap<(usize, String), Vec<usize>, FastHash> = HashMap::default();
    for (index, e) in plan.of_mode(Mode::Ambient) {
        for pt in &e.participants {
            let rules = participants
                .entry((index, who_of(pt.identity).key()))
                .or_default();
            rules.push(pt.rule.index);
        }
    }
    let mut unasked: HashMap<(usize, String), usize, FastHash> = HashMap::default();
    let by_namespace: HashMap<&str, (usize, &Egress)> = plan
        .packages
        .iter()
        .enumerate()
        .map(|(i, e)| (e.pkg.namespace.as_str(), (i, e)))
        .collect();
    let ses: HashMap<&str, &Placed> = placed
        .iter()
        .filter(|p| matches!(p.slot, Slot::AmbientHost { seq: 0, .. }))
        .map(|p| (p.host, p))
        .collect();
    let mut rows = Vec::new();
    for p in placed {
        let (Slot::AmbientHost { host, .. }, Manifest::AuthorizationPolicy(ap)) =
            (&p.slot, &p.manifest)
        else {
            continue;
        };
        let Some(se) = ses.get(host) else { continue };
        let Manifest::ServiceEntry(se_obj) = &se.manifest else {
            continue;
        };
        for rule in &ap.spec.rules {
            for port in rule.to.iter().flat_map(|t| &t.operation.ports) {
                let Ok(port) = port.parse::<u16>() else {
                    continue;
                };
                let protocol = se_obj
                    .spec
                    .ports
                    .iter()
                    .find(|sp| sp.number == port)
                    .map_or(Protocol::Tls, |sp| {
                        if sp.protocol == "HTTP" {
                            Protocol::Http
                        } else {
                            Protocol::Tls
                        }
                    });
                for (ns, who) in identities_of(&rule.from) {
                    let Some(&(index, e)) = by_namespace.get(ns.as_str()) else {
                        continue;
                    };
                    let mut rules = ambient.asking(index, e, host, Some(port), &who);
                    let requested = !rules.is_empty();
                    if !requested {
                        let key = (index, who.key());
                        let shown = unasked.entry(key.clone()).or_default();
                        if *shown == SHOWN_EXTRA {
                            continue;
                        }
                        *shown += 1;
                        rules = participants.get(&key).cloned().unwrap_or_default();
                        rules.sort_unstable();
                        rules.dedup();
                    }
                    let mut enforced_by = vec![object_ref(&se.manifest), object_ref(&p.manifest)];
                    if requested {
                        enforced_by.extend(objects.network_policies_of(index, &rules));
                    }
                    rows.extend(ambient_row(
                        e,
                        who,
                        (host, port, protocol),
                        (requested, rules),
                        objects,
                        enforced_by,
                    ));
                }
            }
        }
    }
    rows
}

/// One ambient row: `who` of package `e` reaches `host:port` through the
/// rendered waypoint, enforced by `enforced_by` (`None` without one, which
/// an ambient host always has).
fn ambient_row(
    e: &Egress,
    who: Who,
    (host, port, protocol): (&str, u16, Protocol),
    (requested, rules): (bool, Vec<usize>),
    objects: &Objects,
    enforced_by: Vec<ObjectRef>,
) -> Option<Access> {
    Some(Access {
        namespace: e.pkg.namespace.clone(),
        package: e.pkg.name.clone(),
        mode: Mode::Ambient,
        who,
        host: host.to_string(),
        port,
        protocol,
        requested,
        rules,
        path: objects.waypoint.clone()?,
        enforced_by,
        file: e.pkg.source.file.clone(),
    })
}

/// SPEC §5.1 (before 0.59): each package AuthorizationPolicy admits its
/// identity on every port of its host (no port scoping).
fn per_package_access(plan: &Plan, placed: &[Placed], objects: &Objects) -> Vec<Access> {
    let ambient = AmbientRules::new(plan);
    let mut rows = Vec::new();
    for p in placed {
        let (Slot::Package { package, .. }, Manifest::AuthorizationPolicy(ap)) =
            (&p.slot, &p.manifest)
        else {
            continue;
        };
        let Some(e) = plan.package(*package) else {
            continue;
        };
        let host = p.host;
        let Some(pairs) = e.hosts.get(host) else {
            continue;
        };
        for rule in &ap.spec.rules {
            for (_, who) in identities_of(&rule.from) {
                for &(port, protocol) in pairs {
                    // No port scoping before 0.59: the identity reaches every
                    // port of the host; requested where its rules ask.
                    let asked = ambient.asking(*package, e, host, Some(port), &who);
                    let requested = !asked.is_empty();
                    let rules = if requested {
                        asked
                    } else {
                        ambient.asking(*package, e, host, None, &who)
                    };
                    let mut enforced_by: Vec<ObjectRef> = objects
                        .service_entries
                        .get(&(*package, host))
                        .cloned()
                        .into_iter()
                        .collect();
                    enforced_by.push(object_ref(&p.manifest));
                    if requested {
                        enforced_by.extend(objects.network_policies_of(*package, &rules));
                    }
                    rows.extend(ambient_row(
                        e,
                        who.clone(),
                        (host, port, protocol),
                        (requested, rules),
                        objects,
                        enforced_by,
                    ));
                }
            }
        }
    }
    rows
}

/// SPEC §6: a REGISTRY_ONLY Sidecar per selector lets its pods reach every
/// host:port the package's (namespace-wide) ServiceEntries register, not
/// only the ones their own rules name. Returns the rows and, per selector
/// that reaches more than it asked for, a shared-access finding.
///
/// Bounded: a selector gets a row per host:port its rules ask for, and
/// rows for at most [`SHOWN_EXTRA`] of the others; its shared-access
/// finding counts them all ("and N more"). So 2,000 selectors each with
/// its own host make 2,000 × 11 rows, not 2,000 × 2,000.
fn sidecar_access(e: &Egress, index: usize, objects: &Objects) -> (Vec<Access>, Vec<Finding>) {
    let pkg = e.pkg;
    let mut rows = Vec::new();
    let mut findings = Vec::new();
    // Each rule's group, by its selector as written (SPEC §6.1).
    let group_of: HashMap<_, usize> = e
        .selectors
        .iter()
        .enumerate()
        .map(|(seq, g)| (crate::normalize::selector_key(g.selector), seq))
        .collect();
    let mut rules_of: Vec<Vec<&crate::normalize::EgressRule>> = vec![Vec::new(); e.selectors.len()];
    for r in &e.rules {
        if let Some(rules) = group_of
            .get(&crate::normalize::selector_key(r.rule.selector.as_ref()))
            .and_then(|&seq| rules_of.get_mut(seq))
        {
            rules.push(r);
        }
    }
    let all_pairs: usize = e.hosts.values().map(Vec::len).sum();
    for ((seq, group), group_rules_of) in e.selectors.iter().enumerate().zip(&rules_of) {
        let mut asked: IndexMap<(&str, u16, Protocol), Vec<usize>> = IndexMap::new();
        let mut group_rules: BTreeSet<usize> = BTreeSet::new();
        for r in group_rules_of {
            group_rules.insert(r.rule.index);
            for &port in &r.ports {
                let rules = asked.entry((r.host, port, r.protocol)).or_default();
                if !rules.contains(&r.rule.index) {
                    rules.push(r.rule.index);
                }
            }
        }
        let who = match group.selector {
            Some(sel) if !sel.is_empty() => Who::Selector {
                selector: sel.clone(),
            },
            _ => Who::AllPods {
                namespace: pkg.namespace.clone(),
            },
        };
        let sidecar = objects.sidecars.get(&(index, seq)).cloned();
        let row = |(host, port, protocol): (&str, u16, Protocol), mut rules: Vec<usize>| {
            rules.sort_unstable();
            let mut enforced_by: Vec<ObjectRef> = objects
                .service_entries
                .get(&(index, host))
                .cloned()
                .into_iter()
                .chain(sidecar.clone())
                .collect();
            enforced_by.extend(objects.network_policies_of(index, &rules));
            // The path is the host's rendered Gateway, never a re-derived name.
            let path = objects.gateways.get(host).cloned()?;
            Some(Access {
                namespace: pkg.namespace.clone(),
                package: pkg.name.clone(),
                mode: Mode::Sidecar,
                who: who.clone(),
                host: host.to_string(),
                port,
                protocol,
                requested: !rules.is_empty(),
                rules,
                path,
                enforced_by,
                file: pkg.source.file.clone(),
            })
        };
        // The package's host:ports the group does not ask for: the first
        // few, found by skipping at most the asked ones.
        let mut extra: Vec<(&str, u16, Protocol)> = Vec::new();
        'hosts: for (host, pairs) in &e.hosts {
            for &(port, protocol) in pairs {
                if asked.contains_key(&(*host, port, protocol)) {
                    continue;
                } else if extra.len() == SHOWN_EXTRA {
                    break 'hosts;
                } else {
                    extra.push((host, port, protocol));
                }
            }
        }
        // The host map holds every rule's host:ports, so the asked ones are
        // among the package's.
        let extra_total = all_pairs.saturating_sub(asked.len());
        for (key, rules) in asked {
            rows.extend(row(key, rules));
        }
        for &key in &extra {
            rows.extend(row(key, Vec::new()));
        }
        if extra_total > 0 {
            let shown: Vec<String> = extra
                .iter()
                .map(|(host, port, protocol)| format!("{host}:{port}/{protocol}"))
                .collect();
            let more = extra_total - shown.len();
            let mut listed = shown.join(", ");
            if more > 0 {
                listed.push_str(&format!(" and {more} more"));
            }
            findings.push(Finding {
                severity: Severity::Medium,
                code: FindingCode::SharedAccess,
                subject: who.key(),
                origins: vec![origin(pkg, group_rules)],
                host: None,
                ports: Vec::new(),
                message: format!(
                    "{} can also reach {listed}, which their rules do not ask for: a package's ServiceEntries are visible to every workload in its namespace, and a REGISTRY_ONLY Sidecar admits whatever is registered",
                    match group.selector {
                        Some(sel) if !sel.is_empty() => format!("pods selected by {}", selector_text(sel)),
                        _ => format!("all pods in namespace {}", pkg.namespace),
                    },
                ),
                fix: "if these workloads must not reach those hosts, move them, or the rules that register the other hosts, to a package in another namespace".to_string(),
            });
        }
    }
    (rows, findings)
}

/// How many host:ports a selector does not ask for get their own access
/// rows; its shared-access finding counts the rest.
const SHOWN_EXTRA: usize = 10;

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
        .map(|((host, protocol), (ports, rules))| {
            let (severity, code, message, fix) = if protocol == Protocol::Http {
                (
                    Severity::High,
                    FindingCode::CleartextHttp,
                    format!(
                        "traffic to {host} leaves the cluster as plain HTTP: anyone on the network path can read or change it, and these objects only check the host and port, not what is sent"
                    ),
                    format!(
                        "if {host} offers HTTPS, have the workload use it: remoteProtocol TLS on port 443; otherwise make sure nothing secret is sent"
                    ),
                )
            } else {
                (
                    Severity::Low,
                    FindingCode::TlsPassthrough,
                    format!(
                        "TLS to {host} is passed through: only the SNI is checked, so paths cannot be inspected, restricted or logged; if the host sits behind a front open to domain fronting (a shared CDN), workloads can reach any site behind that front"
                    ),
                    format!(
                        "allow {host} only if you trust it and know it is not open to domain fronting; prefer a host name dedicated to the service over a shared front"
                    ),
                )
            };
            Finding {
                severity,
                code,
                subject: host.to_string(),
                origins: vec![origin(e.pkg, rules)],
                host: Some(host.to_string()),
                ports: ports.into_iter().collect(),
                message,
                fix,
            }
        })
        .collect()
}

/// SPEC §4: an ambient rule without `serviceAccount` admits its whole
/// namespace, as every release does.
fn unscoped_findings(e: &Egress, plan: &Plan) -> Vec<Finding> {
    let mut by_host: IndexMap<&str, PortsAndRules> = IndexMap::new();
    for r in e.rules.iter().filter(|r| r.rule.service_account.is_none()) {
        let entry = by_host.entry(r.host).or_default();
        entry.0.extend(r.ports.iter().copied());
        entry.1.insert(r.rule.index);
    }
    let ns = &e.pkg.namespace;
    by_host
        .into_iter()
        .map(|(host, (ports, rules))| Finding {
            severity: Severity::High,
            code: FindingCode::UnscopedIdentity,
            subject: host.to_string(),
            origins: vec![origin(e.pkg, rules)],
            host: Some(host.to_string()),
            ports: ports.into_iter().collect(),
            message: format!(
                "rules for {host} without serviceAccount admit every workload in namespace {ns} (UDS Core {} admits the namespace)",
                plan.options.uds_core
            ),
            fix: format!(
                "set serviceAccount on these rules to the service account of the workload that needs {host}"
            ),
        })
        .collect()
}

/// SPEC §5.2: an Anywhere rule's identity joins every ambient host's policy.
fn participant_findings(plan: &Plan) -> Vec<Finding> {
    let hosts: Vec<&str> = plan.ambient.keys().copied().collect();
    if hosts.is_empty() {
        return Vec::new();
    }
    let mut shown = hosts
        .iter()
        .take(10)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if hosts.len() > 10 {
        shown.push_str(&format!(
            " and {} more (the access rows show its first ten host:ports)",
            hosts.len() - 10
        ));
    }
    plan.of_mode(Mode::Ambient)
        .flat_map(|(_, e)| e.participants.iter().map(move |p| (e, p)))
        .map(|(e, p)| {
            let who = who_of(p.identity);
            let ports = p.ports.clone().unwrap_or_default();
            Finding {
                severity: Severity::Medium,
                code: FindingCode::AnywhereParticipant,
                subject: who.key(),
                origins: vec![origin(e.pkg, [p.rule.index])],
                host: None,
                ports: {
                    let mut ports = ports;
                    ports.sort_unstable();
                    ports.dedup();
                    ports
                },
                message: format!(
                    "remoteGenerated: Anywhere makes {who} a participant of every ambient host's AuthorizationPolicy ({}): it can reach {shown}, hosts other packages asked for",
                    p.ports.as_ref().map_or("on every port".to_string(), |ports| format!(
                        "on port {}",
                        ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                    ))
                ),
                fix: "if these workloads only need some hosts, replace remoteGenerated: Anywhere with remoteHost rules for them".to_string(),
            }
        })
        .collect()
}

/// One host reached from several namespaces: they share the egress path,
/// so one owner's change affects the others (seeds: "Limitations").
fn shared_host_findings(plan: &Plan) -> Vec<Finding> {
    let mut by_host: BTreeMap<&str, Vec<(&Egress, PortsAndRules)>> = BTreeMap::new();
    for e in &plan.packages {
        let mut rules_of: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for r in &e.rules {
            rules_of.entry(r.host).or_default().insert(r.rule.index);
        }
        for (host, pairs) in &e.hosts {
            let rules = rules_of.remove(host).unwrap_or_default();
            let ports: BTreeSet<u16> = pairs.iter().map(|&(p, _)| p).collect();
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
            how.push(if plan.behaviour.central_ambient {
                "ambient packages share one ServiceEntry and AuthorizationPolicy in istio-egress-ambient that carry the union of their ports"
            } else {
                "ambient packages share the egress waypoint and must keep requesting the same ports and protocols, so one owner cannot change them alone"
            });
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
                crate::text::with_more(&namespaces.into_iter().collect::<Vec<_>>()),
                how.join("; ")
            ),
            fix: format!(
                "check that each of these namespaces should reach {host}, and coordinate changes to its ports with the other packages' owners"
            ),
        });
    }
    out
}

/// Render warnings become findings, so the report shows everything a
/// render would warn about (shared access is derived above, with data).
fn warning_finding(w: &Warning) -> Option<Finding> {
    let (code, severity) = match w.kind {
        WarningKind::SharedAccess => return None,
        WarningKind::DeprecatedLabels => (FindingCode::DeprecatedLabels, Severity::Low),
        WarningKind::OverlappingSidecars => (FindingCode::OverlappingSidecars, Severity::Low),
        WarningKind::PortIgnored => (FindingCode::PortIgnored, Severity::Low),
        WarningKind::DanglingTarget => (FindingCode::DanglingTarget, Severity::High),
        WarningKind::DuplicateHostWaypoint => {
            (FindingCode::DuplicateHostWaypoint, Severity::Medium)
        }
        WarningKind::NewerRelease => (FindingCode::NewerRelease, Severity::Info),
    };
    let origins = match w.package.split_once('/') {
        Some((namespace, package)) => vec![Origin {
            namespace: namespace.to_string(),
            package: package.to_string(),
            rules: w.rule.into_iter().collect(),
        }],
        None => Vec::new(),
    };
    Some(Finding {
        severity,
        code,
        subject: w.message.clone(),
        origins,
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
            message: "these objects only govern traffic that goes through the mesh; pods outside the mesh or on the host network can bypass the egress waypoint and gateway, and the NetworkPolicies here only open paths (UDS Core's default-deny policies do the blocking)".to_string(),
            fix: "keep UDS Core's default-deny NetworkPolicies in every namespace, and a firewall that lets only the egress waypoint and gateway reach outside the cluster".to_string(),
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
