//! The validation rules of SPEC §2 that look at one package (1, 3–11, 12 for
//! package fields, 14) and the one that looks across packages (2). The
//! rules that need the rendered output (12 as a safety net, 13) live in
//! `check`; the cross-package port rules of §5 and §6 in `ambient` and
//! `sidecar`.

use crate::error::{Error, ErrorKind};
use crate::hash::FastHash;
use crate::model::{AllowRule, Direction, Mode, Package};
use crate::names;
use crate::options::Options;
use std::collections::HashMap;

const RESERVED_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "pepr-system"];

/// Every problem with one package on its own.
pub(crate) fn package(pkg: &Package, options: &Options) -> Vec<Error> {
    let mut errors = Vec::new();
    let err = |kind, msg: String| Error::new(kind, msg).in_package(pkg);

    // §2.1
    for (field, value) in [
        ("metadata.name", &pkg.name),
        ("metadata.namespace", &pkg.namespace),
    ] {
        if value.is_empty() && !pkg.invalid_fields.iter().any(|f| f == field) {
            errors.push(
                err(ErrorKind::Metadata, format!("{field} is missing or empty"))
                    .field(field)
                    .at(pkg.pos_of(field))
                    .help(format!(
                        "set {field}: a Package needs a name and a namespace"
                    )),
            );
        }
    }
    if RESERVED_NAMESPACES.contains(&pkg.namespace.as_str()) {
        errors.push(
            err(
                ErrorKind::Metadata,
                format!(
                    "namespace {:?} is reserved for the platform ({} cannot hold a Package)",
                    pkg.namespace,
                    RESERVED_NAMESPACES.join(", ")
                ),
            )
            .field("metadata.namespace")
            .at(pkg.pos_of("metadata.namespace"))
            .help("deploy the package in its own namespace"),
        );
    }

    let mode = pkg.effective_mode(options.default_mode);
    for rule in &pkg.allow {
        rule_problems(pkg, rule, mode, &mut errors);
    }
    port_protocol_conflicts(pkg, &mut errors);
    network_policy_collisions(pkg, &mut errors);
    if pkg.allow.iter().any(|r| r.remote_host.is_some()) {
        metadata_limits(pkg, mode, &mut errors);
    }
    errors
}

/// §2.2: at most one Package per namespace. Reported on every Package after
/// the first in (file, document) order, naming the first.
pub(crate) fn one_package_per_namespace(packages: &[Package]) -> Vec<Error> {
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

fn rule_problems(pkg: &Package, rule: &AllowRule, mode: Mode, errors: &mut Vec<Error>) {
    let err = |kind, field: &str, msg: String| {
        Error::new(kind, msg)
            .in_package(pkg)
            .rule(rule.index)
            .field(field)
            .at(rule.pos_of(field))
    };
    if rule.is_invalid("*") {
        return;
    }
    // §2.8: direction is required.
    if rule.direction.is_none() && !rule.is_invalid("direction") {
        errors.push(
            err(
                ErrorKind::InvalidValue,
                "direction",
                "direction is missing".to_string(),
            )
            .at(rule.pos)
            .help("add direction: Egress (or Ingress)"),
        );
    }

    // §2.3: remote fields that cannot be combined.
    let present: Vec<(&str, String)> = [
        (
            "remoteGenerated",
            rule.remote_generated.as_ref().map(|v| format!("{v:?}")),
        ),
        (
            "remoteNamespace",
            rule.remote_namespace.as_ref().map(|v| format!("{v:?}")),
        ),
        (
            "remoteSelector",
            rule.remote_selector
                .as_ref()
                .filter(|s| !s.is_empty())
                .map(show_labels),
        ),
        (
            "remoteCidr",
            rule.remote_cidr.as_ref().map(|v| format!("{v:?}")),
        ),
        (
            "remoteHost",
            rule.remote_host.as_ref().map(|v| format!("{v:?}")),
        ),
        (
            "remoteProtocol",
            rule.remote_protocol.map(|p| p.to_string()),
        ),
    ]
    .into_iter()
    .filter_map(|(f, v)| v.map(|v| (f, v)))
    .collect();
    for (i, (a, va)) in present.iter().enumerate() {
        for (b, vb) in present.iter().skip(i + 1) {
            if exclusive(a, b) {
                errors.push(
                    err(
                        ErrorKind::ExclusiveFields,
                        b,
                        format!("{a} {va} cannot be combined with {b} {vb} in one rule"),
                    )
                    .help(format!(
                        "split this rule in two: one with {a}, one with {b}"
                    )),
                );
            }
        }
    }

    // §2.4
    if rule.remote_protocol.is_some() && rule.remote_host.is_none() {
        errors.push(
            err(
                ErrorKind::ProtocolWithoutHost,
                "remoteProtocol",
                format!("remoteProtocol {} requires remoteHost", rule.protocol()),
            )
            .help("add the remoteHost this protocol is for, or remove remoteProtocol"),
        );
    }

    // §2.5
    if rule.direction == Some(Direction::Ingress) {
        for (field, value) in [
            (
                "remoteHost",
                rule.remote_host.as_ref().map(|h| format!("{h:?}")),
            ),
            (
                "remoteProtocol",
                rule.remote_protocol.map(|p| p.to_string()),
            ),
        ] {
            if let Some(value) = value {
                errors.push(
                    err(
                        ErrorKind::RemoteHostOnIngress,
                        field,
                        format!("{field} {value} cannot be used with direction: Ingress"),
                    )
                    .help("remoteHost describes egress: set direction: Egress"),
                );
            }
        }
    }

    // §2.6, §2.9
    if let Some(host) = &rule.remote_host {
        if host.contains('*') {
            errors.push(
                err(
                    ErrorKind::WildcardHost,
                    "remoteHost",
                    format!("remoteHost {host:?}: wildcard domains are not supported"),
                )
                .help("list each host the workload needs as its own rule"),
            );
        } else if let Some((msg, fix)) = names::host_problem(host) {
            errors.push(err(ErrorKind::InvalidHost, "remoteHost", msg).help(fix));
        }
    }

    // §2.7, §2.10
    if let Some(sa) = &rule.service_account {
        if rule.remote_host.is_none() {
            errors.push(
                err(
                    ErrorKind::ServiceAccountMisuse,
                    "serviceAccount",
                    format!("serviceAccount {sa:?} is only valid with remoteHost"),
                )
                .help("remove serviceAccount, or add the remoteHost it may reach"),
            );
        } else if mode != Mode::Ambient {
            let help = if pkg.mode.is_some() {
                "remove serviceAccount and use selector to pick the workloads, or change spec.network.serviceMesh.mode: sidecar to ambient"
            } else {
                "the package sets no spec.network.serviceMesh.mode and the default mode (--mode) is sidecar: remove serviceAccount and use selector to pick the workloads, or set spec.network.serviceMesh.mode: ambient"
            };
            errors.push(
                err(
                    ErrorKind::ServiceAccountMisuse,
                    "serviceAccount",
                    format!(
                        "serviceAccount is only valid in ambient mode (package {} is sidecar)",
                        pkg.id()
                    ),
                )
                .help(help),
            );
        }
        if !names::is_dns_subdomain(sa) {
            errors.push(
                err(
                    ErrorKind::InvalidServiceAccount,
                    "serviceAccount",
                    format!("serviceAccount {sa:?} is not a valid service account name (a DNS-1123 subdomain)"),
                )
                .help(format!(
                    "write the ServiceAccount's metadata.name: lower case a-z, 0-9, '-' and '.', e.g. {}",
                    suggest_subdomain(sa)
                )),
            );
        }
    }
}

/// `{app: curl, tier: web}`, for messages.
fn show_labels(labels: &crate::model::Labels) -> String {
    let items: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", items.join(", "))
}

fn exclusive(a: &str, b: &str) -> bool {
    let pair = |x: &str, y: &str| (a == x && b == y) || (a == y && b == x);
    let host_side = ["remoteHost", "remoteProtocol"];
    pair("remoteGenerated", "remoteNamespace")
        || pair("remoteGenerated", "remoteSelector")
        || pair("remoteGenerated", "remoteCidr")
        || pair("remoteCidr", "remoteNamespace")
        || pair("remoteCidr", "remoteSelector")
        || (host_side.contains(&b) && !host_side.contains(&a))
        || (host_side.contains(&a) && !host_side.contains(&b))
}

fn suggest_subdomain(s: &str) -> String {
    let cleaned = names::sanitize(s);
    if cleaned.is_empty() {
        "my-service-account".to_string()
    } else {
        cleaned
    }
}

/// §2.11: within one package, one host:port with two protocols.
fn port_protocol_conflicts(pkg: &Package, errors: &mut Vec<Error>) {
    let mut seen: HashMap<(&str, u16), (crate::model::Protocol, usize), FastHash> =
        HashMap::default();
    for rule in pkg.allow.iter().filter(|r| !r.is_invalid("*")) {
        let Some(host) = &rule.remote_host else {
            continue;
        };
        let protocol = rule.protocol();
        for port in rule.effective_ports() {
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

/// §2.14: two rules generating the same NetworkPolicy name.
fn network_policy_collisions(pkg: &Package, errors: &mut Vec<Error>) {
    let mut seen: HashMap<String, usize, FastHash> = HashMap::default();
    for rule in &pkg.allow {
        let Some(direction) = rule.direction else {
            continue;
        };
        let name = names::network_policy(
            &pkg.name,
            direction,
            rule.description.as_deref(),
            rule.selector.as_ref(),
            rule.remote_generated.as_deref(),
            rule.remote_namespace.as_deref(),
            rule.remote_selector.as_ref(),
        );
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

/// §2.12 for the fields of a package that end up in rendered metadata.
fn metadata_limits(pkg: &Package, mode: Mode, errors: &mut Vec<Error>) {
    let err = |field: &str, msg: String, help: &str| {
        Error::new(ErrorKind::MetadataLimit, msg)
            .in_package(pkg)
            .field(field)
            .at(pkg.pos_of(field))
            .help(help)
    };
    if !pkg.namespace.is_empty() && !names::is_dns_label(&pkg.namespace) {
        errors.push(err(
            "metadata.namespace",
            format!(
                "metadata.namespace {:?} is not a valid namespace name (a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-')",
                pkg.namespace
            ),
            "use a lower-case namespace name of at most 63 characters",
        ));
    }
    if !pkg.name.is_empty() {
        if !names::is_dns_subdomain(&pkg.name) {
            errors.push(err(
                "metadata.name",
                format!(
                    "metadata.name {:?} is not a valid object name (a DNS-1123 subdomain)",
                    pkg.name
                ),
                &format!(
                    "use lower case a-z, 0-9, '-' and '.', e.g. {}",
                    suggest_subdomain(&pkg.name)
                ),
            ));
        } else if !names::is_label_value(&pkg.name) {
            errors.push(err(
                "metadata.name",
                format!(
                    "metadata.name {:?} is {} characters; the uds/package label value allows at most 63",
                    pkg.name,
                    pkg.name.len()
                ),
                &format!(
                    "shorten metadata.name by {} characters, to 63 or fewer",
                    pkg.name.len().saturating_sub(63)
                ),
            ));
        }
        if !pkg.namespace.is_empty() {
            let key = names::user_annotation(&pkg.name, &pkg.namespace);
            let part = key.split_once('/').map_or(key.as_str(), |(_, p)| p);
            if !names::is_qualified_name_part(part) {
                errors.push(err(
                    "metadata.name",
                    format!(
                        "the shared objects' annotation key {key:?} would have a {}-character name part; at most 63 are allowed",
                        part.len()
                    ),
                    &format!(
                        "shorten metadata.name or metadata.namespace by {} characters in total: \"user-{{name}}-{{namespace}}\" must fit in 63",
                        part.len().saturating_sub(63)
                    ),
                ));
            }
        }
    }
    if pkg.generation < 0 {
        errors.push(err(
            "metadata.generation",
            format!(
                "metadata.generation {} is negative; the uds/generation label value must start with a digit",
                pkg.generation
            ),
            "use a generation of 0 or more",
        ));
    }
    if mode == Mode::Sidecar {
        for rule in pkg.allow.iter().filter(|r| r.remote_host.is_some()) {
            for (k, v) in rule.workload_selector().into_iter().flatten() {
                if !names::is_qualified_name(k) || !names::is_label_value(v) {
                    errors.push(
                        err(
                            "selector",
                            format!("selector {k}: {v:?} is not a valid Kubernetes label; the Sidecar's workloadSelector would be rejected"),
                            "use label keys and values of at most 63 characters of A-Z, a-z, 0-9, '-', '_' and '.', starting and ending with a letter or digit",
                        )
                        .rule(rule.index)
                        .at(rule.pos_of("selector")),
                    );
                }
            }
        }
    }
}
