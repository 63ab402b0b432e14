//! The rules of SPEC §2 that look across packages through the plan: one
//! host:port with two protocols in one mode (§2.12) and differing ambient
//! port sets before 0.59 (§2.13). Where the operator's outcome depends on reconcile order,
//! every package involved is named (SPEC §0, §8).

use crate::error::{Error, ErrorKind};
use crate::model::{AllowRule, Mode, Protocol};
use crate::normalize::{Egress, Pair};
use crate::plan::Plan;
use rustc_hash::FxBuildHasher as FastHash;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every cross-package problem of the plan.
pub(crate) fn all(plan: &Plan) -> Vec<Error> {
    let mut errors = Vec::new();
    for mode in [Mode::Ambient, Mode::Sidecar] {
        errors.extend(protocols_across_packages(plan, mode));
    }
    if !plan.behaviour.central_ambient {
        errors.extend(ambient_port_sets(plan));
    }
    errors.extend(shared_annotation_keys(plan));
    errors
}

/// §2.16 in spirit: the shared objects mark each user package with the
/// annotation `uds.dev/user-{name}-{namespace}`, which two packages can
/// share (`b-c/a` and `c/a-b` both give `uds.dev/user-a-b-c`): the
/// operator could not tell their claims apart, so removing one package
/// could drop the other's. One error per package after the first (in
/// namespace/name order), naming the first and, capped, the others.
fn shared_annotation_keys(plan: &Plan) -> Vec<Error> {
    let mut by_key: BTreeMap<String, Vec<&Egress>> = BTreeMap::new();
    for e in &plan.packages {
        by_key
            .entry(crate::names::user_annotation(&e.pkg.name, &e.pkg.namespace))
            .or_default()
            .push(e);
    }
    let mut errors = Vec::new();
    for (key, mut users) in by_key.into_iter().filter(|(_, u)| u.len() > 1) {
        users.sort_by_key(|e| (e.pkg.namespace.as_str(), e.pkg.name.as_str()));
        let Some((first, rest)) = users.split_first() else {
            continue;
        };
        let ids: Vec<String> = users
            .iter()
            .map(|e| format!("{} ({})", e.pkg.id(), e.pkg.source.file))
            .collect();
        for e in rest {
            errors.push(
                Error::new(
                    ErrorKind::NameCollision,
                    format!(
                        "packages {} and {} would mark the shared egress objects with one annotation, {key:?} (user-{{name}}-{{namespace}}), so UDS Core could not tell their claims apart{}",
                        first.pkg.id(),
                        e.pkg.id(),
                        if ids.len() > 2 {
                            format!(" ({} packages share it: {})", ids.len(), crate::text::with_more(&ids))
                        } else {
                            String::new()
                        },
                    ),
                )
                .in_package(e.pkg)
                .field("metadata.name")
                .at(e.pkg.pos_of("metadata.name"))
                .help("rename one of the packages (metadata.name) so that \"user-{name}-{namespace}\" differs"),
            );
        }
    }
    errors
}

/// The first rule of `e` that asks for `host` (and `port`, when given).
fn rule_for<'a>(e: &Egress<'a>, host: &str, port: Option<u16>) -> Option<&'a AllowRule> {
    e.rules
        .iter()
        .find(|r| r.host == host && port.is_none_or(|p| r.ports.contains(&p)))
        .map(|r| r.rule)
}

/// §2.12 across packages of one mode: a host:port asked for as TLS by one
/// package and as HTTP by another. Each package whose protocol differs from
/// the first package's (in namespace/name order) is reported.
fn protocols_across_packages(plan: &Plan, mode: Mode) -> Vec<Error> {
    let hosts = match mode {
        Mode::Ambient => &plan.ambient,
        Mode::Sidecar => &plan.sidecar,
    };
    let mut errors = Vec::new();
    for (&host, shared) in hosts {
        // Ports with two protocols in the union: rare, so the packages are
        // only walked for those.
        let mut protocols: BTreeMap<u16, BTreeSet<Protocol>> = BTreeMap::new();
        for &(port, protocol) in &shared.pairs {
            protocols.entry(port).or_default().insert(protocol);
        }
        let conflicting: Vec<(u16, BTreeSet<Protocol>)> =
            protocols.into_iter().filter(|(_, s)| s.len() > 1).collect();
        if conflicting.is_empty() {
            continue;
        }
        // Each user's protocol per port of this host, indexed once: a
        // search of its pairs per conflicting port was ports² (two
        // packages asking for all 65,535 ports with two protocols).
        let by_port: Vec<(&Egress, HashMap<u16, Protocol, FastHash>)> = shared
            .users
            .iter()
            .filter_map(|&i| plan.package(i))
            .filter_map(|e| {
                let pairs = e.hosts.get(host)?;
                Some((e, pairs.iter().rev().copied().collect()))
            })
            .collect();
        for (port, set) in conflicting {
            let users: Vec<(&Egress, Protocol)> = by_port
                .iter()
                .filter_map(|(e, ports)| Some((*e, *ports.get(&port)?)))
                .collect();
            let Some(&(first, first_protocol)) = users.first() else {
                continue;
            };
            let others: Vec<(&Egress, Protocol)> = users
                .iter()
                .copied()
                .filter(|(_, p)| *p != first_protocol)
                .collect();
            for &(e, protocol) in &others {
                // This package and the first always; the other conflicting
                // ones up to ten, then "and N more".
                let rest: Vec<String> = others
                    .iter()
                    .filter(|(o, _)| !std::ptr::eq(*o, e))
                    .map(|(o, p)| {
                        format!("as {p} by package {} ({})", o.pkg.id(), o.pkg.source.file)
                    })
                    .take(crate::text::SHOWN + 1)
                    .collect();
                let also = match rest.len() {
                    0 => String::new(),
                    _ => {
                        let total = others.len() - 1;
                        let mut listed = rest
                            .iter()
                            .take(crate::text::SHOWN)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ");
                        if total > crate::text::SHOWN {
                            listed.push_str(&format!(
                                " and {} more packages",
                                total - crate::text::SHOWN
                            ));
                        }
                        format!(" (also {listed})")
                    }
                };
                let why = match (mode, plan.behaviour.central_ambient) {
                    (Mode::Ambient, true) => "the shared ServiceEntry in istio-egress-ambient carries one protocol per port, and from 0.59 this conflict stops the operator's whole ambient reconcile",
                    (Mode::Ambient, false) => "the shared egress waypoint carries one protocol per host and port; which package's request wins depends on reconcile order",
                    (Mode::Sidecar, _) => "the shared egress gateway carries one protocol per host and port; which package's request wins depends on reconcile order",
                };
                let mut err = Error::new(
                    ErrorKind::PortProtocolConflict,
                    format!(
                        "{host}:{port} is requested as {first_protocol} by package {} ({}) and as {protocol} by package {} ({}){also} ({} mode); {why}",
                        first.pkg.id(),
                        first.pkg.source.file,
                        e.pkg.id(),
                        e.pkg.source.file,
                        mode,
                    ),
                )
                .in_package(e.pkg)
                .field("remoteProtocol")
                .help(format!(
                    "agree on one protocol for {host}:{port} across packages ({} are involved)",
                    set.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" and ")
                ));
                if let Some(r) = rule_for(e, host, Some(port)) {
                    err = err.rule(r.index).at(r.pos_of("remoteHost"));
                }
                errors.push(err);
            }
        }
    }
    errors
}

/// `{443/TLS, 80/HTTP}`, sorted; per protocol, consecutive ports as ranges
/// (`{8000–8045/TLS}`), so a long set stays one short value.
fn pair_set(set: &BTreeSet<Pair>) -> String {
    let mut by_protocol: BTreeMap<Protocol, Vec<u16>> = BTreeMap::new();
    for &(port, protocol) in set {
        by_protocol.entry(protocol).or_default().push(port);
    }
    if set.len() <= crate::text::SHOWN {
        let items: Vec<String> = set
            .iter()
            .map(|(p, proto)| format!("{p}/{proto}"))
            .collect();
        return format!("{{{}}}", items.join(", "));
    }
    let items: Vec<String> = by_protocol
        .into_iter()
        .map(|(protocol, ports)| format!("{}/{protocol}", crate::text::port_ranges(ports)))
        .collect();
    format!("{{{}}}", items.join("; "))
}

/// §2.13 (before 0.59): ambient packages that name one host must request the
/// same pairs for it ("the second request will be blocked", and which one
/// is second depends on reconcile order).
fn ambient_port_sets(plan: &Plan) -> Vec<Error> {
    let mut errors = Vec::new();
    for (&host, shared) in &plan.ambient {
        let users: Vec<(&Egress, BTreeSet<Pair>)> = shared
            .users
            .iter()
            .filter_map(|&i| plan.package(i))
            .map(|e| {
                let set = e.hosts.get(host).into_iter().flatten().copied().collect();
                (e, set)
            })
            .collect();
        let Some(((first, first_set), rest)) = users.split_first() else {
            continue;
        };
        for (other, set) in rest.iter().filter(|(_, s)| s != first_set) {
            let mut err = Error::new(
                ErrorKind::AmbientHostConflict,
                format!(
                    "host {host} is requested with {} by package {} ({}) but with {} by package {} ({}); before UDS Core 0.59 ambient packages that share a host must request the same ports and protocols, and which request UDS Core {} blocks depends on reconcile order",
                    pair_set(first_set),
                    first.pkg.id(),
                    first.pkg.source.file,
                    pair_set(set),
                    other.pkg.id(),
                    other.pkg.source.file,
                    plan.options.uds_core,
                ),
            )
            .in_package(other.pkg)
            .field("remoteHost")
            .help(format!(
                "make both packages request the same ports and protocols for {host}, or render for --uds-core 0.59 or later (one shared ServiceEntry per host)"
            ));
            if let Some(r) = rule_for(other, host, None) {
                err = err.rule(r.index).at(r.pos_of("remoteHost"));
            }
            errors.push(err);
        }
    }
    errors
}
