//! The validation rules of SPEC §2 that look at one package, for the chosen
//! release, one function per rule (its number in the doc comment), and the
//! one that looks across packages by namespace (§2.2). The cross-package
//! rules that need the plan (§2.12–§2.14) are in `conflicts`; the ones that
//! need the built objects (§2.15, §2.16) in `check`.

use crate::error::{Error, ErrorKind};
use crate::model::{AllowRule, Direction, Mode, Package, Protocol};
use crate::names;
use crate::release::{Behaviour, Release};
use rustc_hash::FxBuildHasher as FastHash;
use std::collections::HashMap;

const RESERVED_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "pepr-system"];

/// What the rules of one package need to know besides the package.
pub(crate) struct Context<'a> {
    pub mode: Mode,
    /// The ports the sidecar egress gateway exposes (§2.14).
    pub gateway_ports: &'a [u16],
    pub release: Release,
    pub behaviour: Behaviour,
    /// True when the package's mode came from the release or `--mode`.
    pub mode_defaulted: bool,
}

/// Every problem with one package on its own.
pub(crate) fn package(pkg: &Package, cx: &Context) -> Vec<Error> {
    let mut errors = Vec::new();
    metadata(pkg, &mut errors);
    for rule in pkg.allow.iter().filter(|r| !r.is_invalid("*")) {
        let mut problems = Problems {
            pkg,
            rule,
            errors: &mut errors,
        };
        direction_required(&mut problems);
        exclusive_remotes(&mut problems, cx);
        protocol_fits(&mut problems, cx);
        no_host_on_ingress(&mut problems);
        no_wildcard_host(&mut problems);
        service_account_allowed(&mut problems, cx);
        remote_required(&mut problems, cx);
        host_syntax(&mut problems);
        names_are_valid(&mut problems);
    }
    port_protocol_conflicts(pkg, &cx.behaviour, &mut errors);
    if cx.mode == Mode::Sidecar {
        gateway_ports(pkg, cx, &mut errors);
    }
    network_policy_names(pkg, &cx.behaviour, &mut errors);
    if pkg.allow.iter().any(|r| r.remote_host.is_some()) {
        metadata_limits(pkg, &mut errors);
    }
    errors
}

/// The problems of one rule, each built with the rule's location.
struct Problems<'a> {
    pkg: &'a Package,
    rule: &'a AllowRule,
    errors: &'a mut Vec<Error>,
}

impl Problems<'_> {
    fn push(&mut self, kind: ErrorKind, field: &str, message: String, help: impl Into<String>) {
        self.errors.push(
            Error::new(kind, message)
                .in_package(self.pkg)
                .rule(self.rule.index)
                .field(field)
                .at(self.rule.pos_of(field))
                .help(help),
        );
    }
}

/// An error about a package-level field, located where it is written.
fn field_error(pkg: &Package, kind: ErrorKind, field: &str, msg: String, help: String) -> Error {
    Error::new(kind, msg)
        .in_package(pkg)
        .field(field)
        .at(pkg.pos_of(field))
        .help(help)
}

/// §2.1: `metadata.name` and `metadata.namespace` present and valid; the
/// namespace not reserved for the platform.
fn metadata(pkg: &Package, errors: &mut Vec<Error>) {
    let err = |field: &str, msg: String, help: String| {
        field_error(pkg, ErrorKind::Metadata, field, msg, help)
    };
    if pkg.name.is_empty() && !pkg.invalid_fields.iter().any(|f| f == "metadata.name") {
        errors.push(err(
            "metadata.name",
            "metadata.name is missing or empty".to_string(),
            "set metadata.name: a Package needs a name".to_string(),
        ));
    }
    if pkg.namespace.is_empty() && !pkg.invalid_fields.iter().any(|f| f == "metadata.namespace") {
        errors.push(err(
            "metadata.namespace",
            "metadata.namespace is missing or empty, and no --namespace was given".to_string(),
            "pass --namespace NS (as kubectl apply -n or a Zarf deploy gives it), or set metadata.namespace".to_string(),
        ));
    }
    if RESERVED_NAMESPACES.contains(&pkg.namespace.as_str()) {
        errors.push(err(
            "metadata.namespace",
            format!(
                "namespace {:?} is reserved for the platform ({} cannot hold a Package)",
                pkg.namespace,
                RESERVED_NAMESPACES.join(", ")
            ),
            "deploy the package in its own namespace".to_string(),
        ));
    }
    if !pkg.namespace.is_empty() && !names::is_dns_label(&pkg.namespace) {
        errors.push(err(
            "metadata.namespace",
            format!(
                "metadata.namespace {:?} is not a valid namespace name (a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-')",
                pkg.namespace
            ),
            "use a lower-case namespace name of at most 63 characters".to_string(),
        ));
    }
    if !pkg.name.is_empty() && !names::is_dns_subdomain(&pkg.name) {
        errors.push(err(
            "metadata.name",
            format!(
                "metadata.name {:?} is not a valid object name (a DNS-1123 subdomain)",
                pkg.name
            ),
            format!(
                "use lower case a-z, 0-9, '-' and '.', e.g. {}",
                suggest_subdomain(&pkg.name)
            ),
        ));
    }
}

/// §2.2: at most one Package per namespace. Reported on every Package after
/// the first in (file, document) order, naming the first.
pub(crate) fn one_package_per_namespace(packages: &[&Package]) -> Vec<Error> {
    let mut by_ns: HashMap<&str, Vec<&Package>, FastHash> = HashMap::default();
    for p in packages.iter().filter(|p| !p.namespace.is_empty()) {
        by_ns.entry(&p.namespace).or_default().push(p);
    }
    let mut errors = Vec::new();
    for (ns, mut pkgs) in by_ns {
        if pkgs.len() < 2 {
            continue;
        }
        pkgs.sort_by(|a, b| (&a.source, &a.name).cmp(&(&b.source, &b.name)));
        let Some((first, rest)) = pkgs.split_first() else {
            continue;
        };
        for p in rest {
            errors.push(
                Error::new(
                    ErrorKind::DuplicateNamespace,
                    format!(
                        "namespace {ns:?} already has Package {:?} ({}, document {}); only one Package per namespace is allowed",
                        first.name, first.source.file, first.source.document
                    ),
                )
                .in_package(p)
                .field("metadata.namespace")
                .at(p.pos_of("metadata.namespace"))
                .help("merge the two Packages' allow rules into one Package, or move one to another namespace"),
            );
        }
    }
    errors
}

/// §2.8: `direction` is required.
fn direction_required(p: &mut Problems) {
    if p.rule.direction.is_none() && !p.rule.is_invalid("direction") {
        let pos = p.rule.pos;
        p.push(
            ErrorKind::InvalidValue,
            "direction",
            "direction is missing".to_string(),
            "add direction: Egress (or Ingress)",
        );
        if let Some(e) = p.errors.last_mut() {
            e.pos = Some(pos);
        }
    }
}

/// §2.3: remote kinds that exclude each other. Before 1.0 an empty value
/// does not count; from 1.0 `remoteNamespace` and `remoteSelector` count
/// when present, even empty (an empty `remoteCidr` never does).
fn exclusive_remotes(p: &mut Problems, cx: &Context) {
    let r = p.rule;
    let counts_str = |v: &Option<String>, empty_counts: bool| {
        v.as_ref()
            .filter(|v| empty_counts || !v.is_empty())
            .map(|v| format!("{v:?}"))
    };
    let empty_counts = cx.behaviour.empty_remote_counts;
    let present: Vec<(&str, String)> = [
        ("remoteGenerated", counts_str(&r.remote_generated, false)),
        (
            "remoteNamespace",
            counts_str(&r.remote_namespace, empty_counts),
        ),
        (
            "remoteSelector",
            r.remote_selector
                .as_ref()
                .filter(|s| empty_counts || !s.is_empty())
                .map(names::show_labels),
        ),
        ("remoteCidr", counts_str(&r.remote_cidr, false)),
        ("remoteHost", counts_str(&r.remote_host, false)),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.map(|v| (f, v)))
    .collect();
    for (i, (a, va)) in present.iter().enumerate() {
        for (b, vb) in present.iter().skip(i + 1) {
            let together = matches!((*a, *b), ("remoteNamespace", "remoteSelector"));
            if together {
                continue;
            }
            // From 1.0 an empty remoteNamespace or remoteSelector counts.
            let empty = [(a, va), (b, vb)]
                .into_iter()
                .find(|(_, v)| v.as_str() == "\"\"" || v.as_str() == "{}");
            match empty {
                Some((field, value)) => p.push(
                    ErrorKind::ExclusiveFields,
                    b,
                    format!(
                        "{a} {va} cannot be combined with {b} {vb} in one rule: from UDS Core 1.0 an empty {field} counts (UDS Core {} refuses it; before 1.0 it was accepted)",
                        cx.release
                    ),
                    format!("remove {field}: {value}, which says nothing"),
                ),
                None => p.push(
                    ErrorKind::ExclusiveFields,
                    b,
                    format!("{a} {va} cannot be combined with {b} {vb} in one rule"),
                    format!("split this rule in two: one with {a}, one with {b}"),
                ),
            }
        }
    }
}

/// §2.4: `TLS`/`HTTP` need `remoteHost`; `TCP`/`UDP` (1.4+) refuse it.
fn protocol_fits(p: &mut Problems, cx: &Context) {
    let Some(protocol) = p.rule.remote_protocol else {
        return;
    };
    let has_host = p.rule.remote_host.is_some();
    match protocol {
        Protocol::Tls | Protocol::Http if !has_host => p.push(
            ErrorKind::ProtocolWithoutHost,
            "remoteProtocol",
            format!("remoteProtocol {protocol} requires remoteHost"),
            "add the remoteHost this protocol is for, or remove remoteProtocol",
        ),
        Protocol::Tcp | Protocol::Udp if !cx.behaviour.tcp_udp => p.push(
            ErrorKind::ProtocolWithoutHost,
            "remoteProtocol",
            format!(
                "remoteProtocol {protocol} is accepted from UDS Core 1.4; UDS Core {} refuses it",
                cx.release
            ),
            "remove remoteProtocol (the rule then covers TCP), or render for --uds-core 1.4 or later",
        ),
        Protocol::Tcp | Protocol::Udp if has_host => p.push(
            ErrorKind::ProtocolWithoutHost,
            "remoteProtocol",
            format!("remoteProtocol {protocol} cannot be used with remoteHost (only TLS or HTTP can)"),
            "use remoteProtocol TLS or HTTP for a remoteHost rule, or remove remoteHost to open plain TCP/UDP to another remote",
        ),
        _ => {}
    }
}

/// §2.5: `remoteHost` describes egress.
fn no_host_on_ingress(p: &mut Problems) {
    if p.rule.direction != Some(Direction::Ingress) {
        return;
    }
    if let Some(host) = &p.rule.remote_host {
        p.push(
            ErrorKind::RemoteHostOnIngress,
            "remoteHost",
            format!("remoteHost {host:?} cannot be used with direction: Ingress"),
            "remoteHost describes egress: set direction: Egress",
        );
    }
}

/// §2.6: no wildcard hosts.
fn no_wildcard_host(p: &mut Problems) {
    if let Some(host) = p.rule.remote_host.as_ref().filter(|h| h.contains('*')) {
        p.push(
            ErrorKind::WildcardHost,
            "remoteHost",
            format!("remoteHost {host:?}: wildcard domains are not supported"),
            "list each host the workload needs as its own rule",
        );
    }
}

/// §2.7: `serviceAccount` only in an ambient package, with `remoteHost`,
/// and from 0.59 also with `remoteGenerated: Anywhere` on `Egress`.
fn service_account_allowed(p: &mut Problems, cx: &Context) {
    let Some(sa) = p.rule.service_account.clone() else {
        return;
    };
    let anywhere = p.rule.remote_generated.as_deref() == Some("Anywhere")
        && p.rule.direction == Some(Direction::Egress);
    if p.rule.remote_host.is_none() && !(anywhere && cx.behaviour.anywhere_service_account) {
        let (message, help) = if anywhere {
            (
                format!(
                    "serviceAccount {sa:?} with remoteGenerated: Anywhere is accepted from UDS Core 0.59; UDS Core {} refuses it",
                    cx.release
                ),
                "remove serviceAccount, or render for --uds-core 0.59 or later".to_string(),
            )
        } else if cx.behaviour.anywhere_service_account {
            (
                format!("serviceAccount {sa:?} is only valid with remoteHost or remoteGenerated: Anywhere"),
                "remove serviceAccount, or add the remoteHost it may reach".to_string(),
            )
        } else {
            (
                format!(
                    "serviceAccount {sa:?} is only valid with remoteHost in UDS Core {} (with remoteGenerated: Anywhere from 0.59)",
                    cx.release
                ),
                "remove serviceAccount, or add the remoteHost it may reach".to_string(),
            )
        };
        p.push(
            ErrorKind::ServiceAccountMisuse,
            "serviceAccount",
            message,
            help,
        );
    } else if cx.mode != Mode::Ambient {
        let help = if cx.mode_defaulted {
            "the package sets no spec.network.serviceMesh.mode and the default is sidecar: remove serviceAccount and use selector, or set spec.network.serviceMesh.mode: ambient"
        } else {
            "remove serviceAccount and use selector to pick the workloads, or change spec.network.serviceMesh.mode to ambient"
        };
        p.push(
            ErrorKind::ServiceAccountMisuse,
            "serviceAccount",
            format!(
                "serviceAccount is only valid in ambient mode (package {} is sidecar)",
                p.pkg.id()
            ),
            help,
        );
    }
}

/// §2.9: from 1.0 every rule names a remote.
fn remote_required(p: &mut Problems, cx: &Context) {
    let r = p.rule;
    // A remote written with the wrong type was reported already.
    let invalid = [
        "remoteGenerated",
        "remoteNamespace",
        "remoteSelector",
        "remoteCidr",
        "remoteHost",
    ]
    .iter()
    .any(|f| r.is_invalid(f));
    let named = invalid
        || r.remote_generated.is_some()
        || r.remote_namespace.is_some()
        || r.remote_selector.is_some()
        || r.remote_cidr.is_some()
        || r.remote_host.is_some();
    if cx.behaviour.remote_required && !named {
        let pos = r.pos;
        p.push(
            ErrorKind::RemoteRequired,
            "remoteGenerated",
            format!(
                "allow[{}] names no remote; from UDS Core 1.0 every rule must name one (UDS Core {} refuses it)",
                r.index, cx.release
            ),
            "add remoteGenerated (e.g. Anywhere, IntraNamespace), remoteNamespace, remoteSelector, remoteCidr or remoteHost",
        );
        if let Some(e) = p.errors.last_mut() {
            e.pos = Some(pos);
            e.field = None;
        }
    }
}

/// §2.10: `remoteHost` is a bare lowercase DNS name.
fn host_syntax(p: &mut Problems) {
    let Some(host) = p.rule.remote_host.as_ref().filter(|h| !h.contains('*')) else {
        return;
    };
    if let Some((msg, fix)) = names::host_problem(host) {
        p.push(ErrorKind::InvalidHost, "remoteHost", msg, fix);
    }
}

/// §2.11: `serviceAccount` is a DNS-1123 subdomain; the selector of a
/// remoteHost rule (a Sidecar's workloadSelector, a NetworkPolicy's
/// podSelector) has valid label keys and values.
fn names_are_valid(p: &mut Problems) {
    if let Some(sa) = p.rule.service_account.clone() {
        if !names::is_dns_subdomain(&sa) {
            p.push(
                ErrorKind::InvalidServiceAccount,
                "serviceAccount",
                format!("serviceAccount {sa:?} is not a valid service account name (a DNS-1123 subdomain)"),
                format!(
                    "write the ServiceAccount's metadata.name: lower case a-z, 0-9, '-' and '.', e.g. {}",
                    suggest_subdomain(&sa)
                ),
            );
        }
    }
    if p.rule.remote_host.is_none() {
        return;
    }
    let bad: Vec<(String, String)> = p
        .rule
        .selector
        .iter()
        .flatten()
        .filter(|(k, v)| !names::is_qualified_name(k) || !names::is_label_value(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in bad {
        p.push(
            ErrorKind::InvalidServiceAccount,
            "selector",
            format!("selector {k}: {v:?} is not a valid Kubernetes label; the Sidecar or NetworkPolicy that selects with it would be refused"),
            "use label keys and values of at most 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending with a letter or digit",
        );
    }
}

fn suggest_subdomain(s: &str) -> String {
    let cleaned = names::sanitize(s);
    if cleaned.is_empty() {
        "my-service-account".to_string()
    } else {
        cleaned
    }
}

/// §2.12 within one package: one host:port with two protocols.
fn port_protocol_conflicts(pkg: &Package, behaviour: &Behaviour, errors: &mut Vec<Error>) {
    let mut seen: HashMap<(&str, u16), (Protocol, usize), FastHash> = HashMap::default();
    for rule in pkg.allow.iter().filter(|r| !r.is_invalid("*")) {
        let Some(host) = &rule.remote_host else {
            continue;
        };
        let protocol = rule.protocol();
        for port in crate::normalize::istio_ports(rule, protocol, behaviour) {
            match seen.get(&(host.as_str(), port)) {
                None => {
                    seen.insert((host, port), (protocol, rule.index));
                }
                Some((p, first)) if *p != protocol => {
                    errors.push(
                        Error::new(
                            ErrorKind::PortProtocolConflict,
                            format!(
                                "{host}:{port} is requested as {p} by allow[{first}] and as {protocol} by allow[{}]; a port carries one protocol",
                                rule.index
                            ),
                        )
                        .in_package(pkg)
                        .rule(rule.index)
                        .field("remoteProtocol")
                        .at(rule.pos_of("remoteHost"))
                        .help(format!(
                            "use one protocol for {host}:{port}, or a different port for {protocol}"
                        )),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// §2.17: two rules generating the same NetworkPolicy name.
fn network_policy_names(pkg: &Package, behaviour: &Behaviour, errors: &mut Vec<Error>) {
    let mut seen: HashMap<String, usize, FastHash> = HashMap::default();
    for rule in &pkg.allow {
        let Some(name) = names::rule_network_policy(&pkg.name, rule, behaviour) else {
            continue;
        };
        match seen.get(&name) {
            None => {
                seen.insert(name, rule.index);
            }
            Some(first) => errors.push(
                Error::new(
                    ErrorKind::NetworkPolicyCollision,
                    format!(
                        "allow[{first}] and allow[{}] would both generate the NetworkPolicy {name:?}",
                        rule.index
                    ),
                )
                .in_package(pkg)
                .rule(rule.index)
                .at(rule.pos)
                .help(format!("give allow[{}] a description that differs from allow[{first}]'s (the NetworkPolicy name uses it instead of the selectors)", rule.index)),
            ),
        }
    }
}

/// §2.15 for the package fields that end up in the metadata of built
/// objects, reported once with the field to change (the checks of the
/// built objects would report each object).
fn metadata_limits(pkg: &Package, errors: &mut Vec<Error>) {
    let err = |field: &str, msg: String, help: String| {
        field_error(pkg, ErrorKind::MetadataLimit, field, msg, help)
    };
    if !pkg.name.is_empty()
        && names::is_dns_subdomain(&pkg.name)
        && !names::is_label_value(&pkg.name)
    {
        errors.push(err(
            "metadata.name",
            format!(
                "metadata.name {:?} is {} characters; the uds/package label value allows at most 63",
                pkg.name,
                pkg.name.len()
            ),
            format!(
                "shorten metadata.name by {} characters, to 63 or fewer",
                pkg.name.len().saturating_sub(63)
            ),
        ));
    }
    if !pkg.name.is_empty() && !pkg.namespace.is_empty() {
        let key = names::user_annotation(&pkg.name, &pkg.namespace);
        let part = key.split_once('/').map_or(key.as_str(), |(_, p)| p);
        // Only its length: invalid characters are the name's or namespace's
        // own errors (it said "shorten by 0 characters").
        if part.len() > 63 {
            errors.push(err(
                "metadata.name",
                format!(
                    "the shared objects' annotation key {key:?} would have a {}-character name part; at most 63 are allowed",
                    part.len()
                ),
                format!(
                    "shorten metadata.name or metadata.namespace by {} characters in total: \"user-{{name}}-{{namespace}}\" must fit in 63",
                    part.len().saturating_sub(63)
                ),
            ));
        }
    }
    if pkg.generation < 0 {
        errors.push(err(
            "metadata.generation",
            format!(
                "metadata.generation {} is negative; the uds/generation label value must start with a digit",
                pkg.generation
            ),
            "use a generation of 0 or more".to_string(),
        ));
    }
}

/// §2.14: a sidecar rule on a port the egress gateway does not expose fails
/// the package, as the operator fails it.
fn gateway_ports(pkg: &Package, cx: &Context, errors: &mut Vec<Error>) {
    let exposed: Vec<String> = cx.gateway_ports.iter().map(u16::to_string).collect();
    for rule in pkg.allow.iter().filter(|r| !r.is_invalid("*")) {
        let Some(host) = &rule.remote_host else {
            continue;
        };
        let ports = crate::normalize::istio_ports(rule, rule.protocol(), &cx.behaviour);
        let missing: Vec<String> = ports
            .iter()
            .filter(|p| !cx.gateway_ports.contains(p))
            .map(u16::to_string)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let field = if rule.ports.is_empty() {
            "port"
        } else {
            "ports"
        };
        let ports = match missing.as_slice() {
            [one] => format!("port {one}"),
            _ => format!("ports {}", missing.join(", ")),
        };
        let what = format!("{ports}, which the egress gateway does not");
        errors.push(
            Error::new(
                ErrorKind::GatewayPort,
                format!(
                    "{host} uses {what} expose (it exposes {}); UDS Core fails the package",
                    exposed.join(", ")
                ),
            )
            .in_package(pkg)
            .rule(rule.index)
            .field(field)
            .at(rule.pos_of(field))
            .help(format!(
                "expose {ports} on the istio-egress-gateway Service (a service.ports override of the egress gateway chart) and pass --gateway-ports {},{}, or use an exposed port",
                exposed.join(","),
                missing.join(",")
            )),
        );
    }
}
