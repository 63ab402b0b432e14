//! Warnings (SPEC §0): what the chosen release creates that is broken or
//! surprising, each with its effect and the fix, computed once from the
//! plan.

use crate::error::{Warning, WarningKind};
use crate::model::{Labels, Mode};
use crate::names;
use crate::normalize::{ports_taken, Egress};
use crate::plan::Plan;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher as FastHash;
use std::collections::HashSet;

/// How many hosts or packages a warning names before "and N more".
const SHOWN: usize = 10;

/// `items`' first [`SHOWN`] joined with ", ", then how many were left out.
fn with_more<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(SHOWN).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if items.len() > shown.len() {
        s.push_str(&format!(" and {} more", items.len() - shown.len()));
    }
    s
}

/// Every warning of the plan, in package order.
pub(crate) fn all(plan: &Plan) -> Vec<Warning> {
    let mut out = Vec::new();
    if plan.options.uds_core.is_newer_than_known() {
        out.push(Warning::global(
            WarningKind::NewerRelease,
            format!(
                "UDS Core {} is newer than {}, the newest release egress-render knows; rendering what {} creates",
                plan.options.uds_core,
                crate::release::Release::LATEST,
                crate::release::Release::LATEST
            ),
            "check the UDS Core release notes for egress changes since then, and update egress-render".to_string(),
        ));
    }
    for e in &plan.packages {
        port_ignored(e, plan, &mut out);
        deprecated_labels(e, &mut out);
        match e.mode {
            Mode::Ambient if !plan.behaviour.central_ambient => dangling_target(e, &mut out),
            Mode::Sidecar => {
                shared_access(e, &mut out);
                overlapping_sidecars(e, &mut out);
            }
            Mode::Ambient => {}
        }
    }
    if !plan.behaviour.central_ambient {
        duplicate_host_waypoint(plan, &mut out);
    }
    out
}

/// §4: `port` beside `ports` is ignored for the Istio objects.
fn port_ignored(e: &Egress, plan: &Plan, out: &mut Vec<Warning>) {
    let rules = e
        .rules
        .iter()
        .map(|r| r.rule)
        .chain(e.participants.iter().map(|p| p.rule));
    for rule in rules {
        let Some(port) = rule.port else { continue };
        if !ports_taken(rule, &plan.behaviour) {
            continue;
        }
        let listed: Vec<String> = rule.ports.iter().map(u16::to_string).collect();
        let opened = if e.mode == Mode::Ambient || rule.remote_host.is_some() {
            "; its NetworkPolicy still opens it"
        } else {
            ""
        };
        out.push(Warning::new(
            WarningKind::PortIgnored,
            e.pkg,
            Some(rule.index),
            format!(
                "port {port} is ignored for the Istio objects because ports [{}] is also given: UDS Core uses ports when both are set{opened}",
                listed.join(", ")
            ),
            {
                let mut all: Vec<u16> = rule.ports.clone();
                all.push(port);
                let mut seen = HashSet::<u16, FastHash>::default();
                all.retain(|p| seen.insert(*p));
                let all: Vec<String> = all.iter().map(u16::to_string).collect();
                format!("list every port under ports (ports: [{}]) and remove port", all.join(", "))
            },
        ));
    }
}

/// §1: the deprecated `podLabels`/`remotePodLabels` won over the new field.
fn deprecated_labels(e: &Egress, out: &mut Vec<Warning>) {
    for rule in &e.pkg.allow {
        let (old, new, kept) = if rule.pod_labels_overrode_selector {
            ("podLabels", "selector", &rule.selector)
        } else if rule.remote_pod_labels_overrode_selector {
            ("remotePodLabels", "remoteSelector", &rule.remote_selector)
        } else {
            continue;
        };
        let kept = kept.as_ref().map(names::show_labels).unwrap_or_default();
        out.push(Warning::new(
            WarningKind::DeprecatedLabels,
            e.pkg,
            Some(rule.index),
            format!(
                "both {old} and {new} are set; {old} (deprecated) wins, as in UDS Core, so the rule uses {new} {kept}"
            ),
            format!("remove {old} and write the labels you mean under {new}"),
        ));
    }
}

/// §5.1: an AuthorizationPolicy whose `targetRef` names the ServiceEntry of
/// its own rule's pairs, which does not exist when the host map entry has
/// other pairs (the host is listed twice): the policy attaches to nothing.
fn dangling_target(e: &Egress, out: &mut Vec<Warning>) {
    // Rules that make one policy name: the last one is rendered (§5.1).
    let mut last: IndexMap<String, &crate::normalize::EgressRule, FastHash> = IndexMap::default();
    for r in &e.rules {
        last.insert(
            names::authorization_policy(r.host, r.rule.service_account.as_deref()),
            r,
        );
    }
    for r in last.values() {
        let own = r.pairs();
        let Some(all) = e.hosts.get(r.host) else {
            continue;
        };
        if &own == all {
            continue;
        }
        let target = names::package_service_entry(&e.pkg.name, r.host, &own);
        let actual = names::package_service_entry(&e.pkg.name, r.host, all);
        out.push(Warning::new(
            WarningKind::DanglingTarget,
            e.pkg,
            Some(r.rule.index),
            format!(
                "the AuthorizationPolicy {} for host {} targets ServiceEntry {target}, which does not exist (the host's ServiceEntry is {actual}): the policy attaches to nothing, so no identity restriction applies to {}",
                names::authorization_policy(r.host, r.rule.service_account.as_deref()),
                r.host,
                r.host
            ),
            format!(
                "list all of {}'s ports in one rule, or render for --uds-core 0.59 or later (one policy per host)",
                r.host
            ),
        ));
    }
}

/// §5.1: two packages' ServiceEntries for one host on the shared waypoint,
/// which serves only one of them.
fn duplicate_host_waypoint(plan: &Plan, out: &mut Vec<Warning>) {
    for (&host, shared) in &plan.ambient {
        if shared.users.len() < 2 {
            continue;
        }
        let packages: Vec<String> = shared
            .users
            .iter()
            .filter_map(|&i| plan.package(i))
            .map(|e| e.pkg.id())
            .collect();
        for e in shared.users.iter().skip(1).filter_map(|&i| plan.package(i)) {
            out.push(Warning::new(
                WarningKind::DuplicateHostWaypoint,
                e.pkg,
                e.first_rule(host).map(|r| r.index),
                format!(
                    "host {host} has a ServiceEntry in each of packages {} on the shared egress waypoint, which serves one ServiceEntry per host name: egress to {host} fails for all but one of them, and which one may change on each push",
                    with_more(&packages)
                ),
                "render for --uds-core 0.59 or later (one shared ServiceEntry per host), or let one package own the host".to_string(),
            ));
        }
    }
}

/// §6.2: workloads of one Sidecar reach every host the package registers,
/// not only the ones their rules name.
fn shared_access(e: &Egress, out: &mut Vec<Warning>) {
    let all_hosts: Vec<&str> = e.hosts.keys().copied().collect();
    for group in &e.selectors {
        if group.hosts.len() >= all_hosts.len() {
            continue;
        }
        // The group's hosts are a subset of the package's: name only the
        // first few others, without walking every host per selector.
        let asked: HashSet<&str, FastHash> = group.hosts.iter().copied().collect();
        let others: Vec<&str> = all_hosts
            .iter()
            .copied()
            .filter(|h| !asked.contains(h))
            .take(SHOWN)
            .collect();
        let mut shown = others.join(", ");
        let more = all_hosts.len() - group.hosts.len() - others.len();
        if more > 0 {
            shown.push_str(&format!(" and {more} more"));
        }
        let who = match group.selector {
            Some(s) if !s.is_empty() => format!("workloads selected by {}", names::show_labels(s)),
            _ => format!("all workloads in namespace {}", e.pkg.namespace),
        };
        out.push(Warning::new(
            WarningKind::SharedAccess,
            e.pkg,
            Some(group.first_rule.index),
            format!(
                "{who} ask for {} but can also reach {shown}: the package's ServiceEntries are namespace-wide",
                with_more(&group.hosts),
            ),
            "if those workloads must not reach these hosts, move them to a package in another namespace".to_string(),
        ));
    }
}

/// §6.1: two of a package's Sidecars of the same kind that can select one
/// pod — two selectors that can match one pod, or two namespace-wide ones
/// (`-default` and `{}`): Istio then applies either (IST0110). A selector
/// Sidecar beside a namespace-wide one is no overlap: Istio gives the
/// selector precedence.
fn overlapping_sidecars(e: &Egress, out: &mut Vec<Warning>) {
    let pkg = e.pkg;
    let namespace_wide: Vec<_> = e
        .selectors
        .iter()
        .filter(|g| g.selector.is_none_or(Labels::is_empty))
        .collect();
    if let [a, b, ..] = namespace_wide.as_slice() {
        out.push(Warning::new(
            WarningKind::OverlappingSidecars,
            pkg,
            Some(b.first_rule.index),
            format!(
                "Sidecars {} and {} both apply to every pod of namespace {}; which one Istio applies is undefined",
                names::sidecar(&pkg.name, a.selector),
                names::sidecar(&pkg.name, b.selector),
                pkg.namespace
            ),
            "give the rules without a selector and the rules with selector: {} one form (drop selector: {})".to_string(),
        ));
    }
    let groups: Vec<(&Labels, usize)> = e
        .selectors
        .iter()
        .filter_map(|g| {
            g.selector
                .filter(|s| !s.is_empty())
                .map(|s| (s, g.first_rule.index))
        })
        .collect();
    for (i, &(a, _)) in groups.iter().enumerate() {
        for &(b, rule) in groups.iter().skip(i + 1) {
            if !selectors_overlap(a, b) {
                continue;
            }
            let mut pod = a.clone();
            for (k, v) in b {
                pod.entry(k.clone()).or_insert_with(|| v.clone());
            }
            out.push(Warning::new(
                WarningKind::OverlappingSidecars,
                pkg,
                Some(rule),
                format!(
                    "Sidecars {} (selector {}) and {} (selector {}) can select the same pod, e.g. one labelled {}; which Sidecar Istio applies to it is undefined",
                    names::sidecar(&pkg.name, Some(a)),
                    names::show_labels(a),
                    names::sidecar(&pkg.name, Some(b)),
                    names::show_labels(b),
                    names::show_labels(&pod),
                ),
                "give these rules the same selector, or selectors that cannot match one pod (a label key in both with different values, e.g. tier: web and tier: batch)".to_string(),
            ));
        }
    }
}

/// True when some pod can carry both selectors' labels: no key is in both
/// with different values.
fn selectors_overlap(a: &Labels, b: &Labels) -> bool {
    a.iter().all(|(k, v)| b.get(k).is_none_or(|w| w == v))
}
