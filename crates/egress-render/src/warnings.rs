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
use std::collections::{HashMap, HashSet};

use crate::text::SHOWN;

use crate::text::with_more;

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
    let mut index = OverlapIndex::new(&groups);
    let mut work = 0usize;
    for (i, &(b, rule)) in groups.iter().enumerate() {
        if work > OVERLAP_WORK {
            let rest = groups.len() - i;
            out.push(Warning::new(
                WarningKind::OverlappingSidecars,
                pkg,
                Some(rule),
                format!(
                    "the Sidecars of {rest} more selectors (from this rule on) were not compared with the earlier ones: the package has {} selectors with {} different sets of label keys, too many to compare each; two of them may select the same pod",
                    groups.len(),
                    index.classes.len()
                ),
                "give the package's rules fewer distinct selectors, or split it across namespaces".to_string(),
            ));
            break;
        }
        let (count, earlier) = index.earlier_overlaps(i, &mut work);
        let Some(&(a, _)) = earlier.first().and_then(|&j| groups.get(j)) else {
            continue;
        };
        let mut pod = a.clone();
        for (k, v) in b {
            pod.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let sidecar = |l: &Labels| {
            format!(
                "{} (selector {})",
                names::sidecar(&pkg.name, Some(l)),
                names::show_labels(l)
            )
        };
        let message = if count == 1 {
            format!(
                "Sidecars {} and {} can select the same pod, e.g. one labelled {}; which Sidecar Istio applies to it is undefined",
                sidecar(a),
                sidecar(b),
                names::show_labels(&pod),
            )
        } else {
            let shown: Vec<String> = earlier
                .iter()
                .filter_map(|&j| groups.get(j))
                .map(|&(l, _)| sidecar(l))
                .collect();
            let mut listed = shown.join(", ");
            if count > shown.len() {
                listed.push_str(&format!(" and {} more", count - shown.len()));
            }
            format!(
                "Sidecar {} can select the same pod as each of the {count} Sidecars {listed}, e.g. one labelled {}; which Sidecar Istio applies to it is undefined",
                sidecar(b),
                names::show_labels(&pod),
            )
        };
        out.push(Warning::new(
            WarningKind::OverlappingSidecars,
            pkg,
            Some(rule),
            message,
            "give these rules the same selector, or selectors that cannot match one pod (a label key in both with different values, e.g. tier: web and tier: batch)".to_string(),
        ));
    }
}

/// How much comparing work (selector classes visited) one package's
/// overlap check may do before the rest is summarised in one warning: far
/// above what distinct selectors sharing a few key sets need (one class
/// per key set), reached only by thousands of distinct key sets that share
/// a key.
const OVERLAP_WORK: usize = 20_000_000;

/// Members of a class by their values on some keys.
type Buckets<'l> = HashMap<Vec<&'l str>, Vec<usize>, FastHash>;

/// Selectors grouped by their set of label keys ("classes"), so an overlap
/// check compares a selector with whole classes, not with every other
/// selector: two selectors overlap when they agree on every key they share,
/// so a class that shares no key with a selector overlaps it entirely, and
/// in a class that does, exactly the members with the same values on the
/// shared keys overlap it (found by a hash lookup).
struct OverlapIndex<'l> {
    /// Per selector (by position), its labels.
    labels: Vec<&'l Labels>,
    /// Per class, in order of first member: its keys (sorted) and members
    /// (positions, ascending).
    classes: Vec<(Vec<&'l str>, Vec<usize>)>,
    /// Per key, the classes that have it.
    key_classes: HashMap<&'l str, Vec<usize>, FastHash>,
    /// Per class and shared keys: members by their values on those keys.
    buckets: HashMap<(usize, Vec<&'l str>), Buckets<'l>, FastHash>,
    /// Per key, and per key and value, the positions of the selectors that
    /// have it (ascending).
    with_key: HashMap<&'l str, Vec<usize>, FastHash>,
    with_value: HashMap<(&'l str, &'l str), Vec<usize>, FastHash>,
    /// `stamp[class] == position + 1` marks the classes sharing a key with
    /// the selector at `position`.
    stamp: Vec<usize>,
}

impl<'l> OverlapIndex<'l> {
    fn new(groups: &[(&'l Labels, usize)]) -> Self {
        let mut by_keys: HashMap<Vec<&str>, usize, FastHash> = HashMap::default();
        let mut classes: Vec<(Vec<&str>, Vec<usize>)> = Vec::new();
        let mut key_classes: HashMap<&str, Vec<usize>, FastHash> = HashMap::default();
        let mut with_key: HashMap<&str, Vec<usize>, FastHash> = HashMap::default();
        let mut with_value: HashMap<(&str, &str), Vec<usize>, FastHash> = HashMap::default();
        for (i, &(labels, _)) in groups.iter().enumerate() {
            for (k, v) in labels {
                with_key.entry(k.as_str()).or_default().push(i);
                with_value
                    .entry((k.as_str(), v.as_str()))
                    .or_default()
                    .push(i);
            }
            let mut keys: Vec<&str> = labels.keys().map(String::as_str).collect();
            keys.sort_unstable();
            let c = *by_keys.entry(keys.clone()).or_insert_with(|| {
                for &k in &keys {
                    key_classes.entry(k).or_default().push(classes.len());
                }
                classes.push((keys, Vec::new()));
                classes.len() - 1
            });
            if let Some(class) = classes.get_mut(c) {
                class.1.push(i);
            }
        }
        OverlapIndex {
            labels: groups.iter().map(|&(l, _)| l).collect(),
            stamp: vec![0; classes.len()],
            classes,
            key_classes,
            with_key,
            with_value,
            buckets: HashMap::default(),
        }
    }

    /// How many selectors before position `i` overlap it, and the first
    /// [`SHOWN`] of them (positions, ascending). Adds the classes visited
    /// to `work`.
    fn earlier_overlaps(&mut self, i: usize, work: &mut usize) -> (usize, Vec<usize>) {
        let Some(&b) = self.labels.get(i) else {
            return (0, Vec::new());
        };
        // Per key of `b`: the earlier selectors with that key and another
        // value. When at most one key has any, the overlapping ones follow
        // from the position lists alone.
        let mut conflicting = None;
        let mut several = false;
        for (k, v) in b {
            let keyed = self.with_key.get(k.as_str()).map_or(&[][..], Vec::as_slice);
            let same = self
                .with_value
                .get(&(k.as_str(), v.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let apart = keyed.partition_point(|&m| m < i) - same.partition_point(|&m| m < i);
            if apart > 0 {
                several = conflicting.is_some();
                conflicting = Some((keyed, same, apart));
                if several {
                    break;
                }
            }
        }
        *work += b.len();
        match conflicting {
            None => return (i, (0..i.min(SHOWN)).collect()),
            Some((keyed, same, apart)) if !several => {
                // Overlapping: the earlier selectors without the key, and
                // those with the same value.
                let mut shown: Vec<usize> = same
                    .iter()
                    .copied()
                    .take_while(|&m| m < i)
                    .take(SHOWN)
                    .collect();
                for g in 0..SHOWN {
                    let p = nth_missing(keyed, g);
                    if p >= i {
                        break;
                    }
                    shown.push(p);
                }
                shown.sort_unstable();
                shown.truncate(SHOWN);
                return (i - apart, shown);
            }
            Some(_) => {}
        }
        let mut sharing: Vec<usize> = Vec::new();
        for k in b.keys() {
            for &c in self.key_classes.get(k.as_str()).into_iter().flatten() {
                if let Some(stamp) = self.stamp.get_mut(c).filter(|s| **s != i + 1) {
                    *stamp = i + 1;
                    sharing.push(c);
                }
            }
        }
        *work += sharing.len();
        let mut count = 0;
        let mut in_sharing = 0;
        let mut shown: Vec<usize> = Vec::new();
        for &c in &sharing {
            let Some((keys, members)) = self.classes.get(c) else {
                continue;
            };
            in_sharing += members.partition_point(|&m| m < i);
            let shared: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| b.contains_key(*k))
                .collect();
            let values: Vec<&str> = shared.iter().map(|k| b[*k].as_str()).collect();
            let labels = &self.labels;
            let bucket = self
                .buckets
                .entry((c, shared))
                .or_insert_with_key(|(_, shared)| {
                    let mut m: HashMap<Vec<&str>, Vec<usize>, FastHash> = HashMap::default();
                    for &j in members {
                        let v = shared
                            .iter()
                            .map(|k| {
                                labels
                                    .get(j)
                                    .and_then(|l| l.get(*k))
                                    .map_or("", String::as_str)
                            })
                            .collect();
                        m.entry(v).or_default().push(j);
                    }
                    m
                });
            let same = bucket.get(&values).map_or(&[][..], Vec::as_slice);
            let before = same.partition_point(|&m| m < i);
            count += before;
            shown.extend(same.iter().take(before.min(SHOWN)));
        }
        // Classes sharing no key with `b` overlap it whole; the first
        // [`SHOWN`] of their members are among the first [`SHOWN`] such
        // classes (classes are numbered in order of their first member).
        count += i - in_sharing;
        let mut taken = 0;
        for (c, (_, members)) in self.classes.iter().enumerate() {
            if taken == SHOWN || members.first().is_none_or(|&m| m >= i) {
                break;
            }
            if self.stamp.get(c) == Some(&(i + 1)) {
                continue;
            }
            shown.extend(members.iter().take_while(|&&m| m < i).take(SHOWN));
            taken += 1;
        }
        shown.sort_unstable();
        shown.truncate(SHOWN);
        (count, shown)
    }
}

/// The `g`-th (from 0) position missing from `sorted` (ascending, no
/// repeats), by binary search: `sorted[t] - t` counts the positions missing
/// below `sorted[t]`.
fn nth_missing(sorted: &[usize], g: usize) -> usize {
    // The first t with more than g positions missing below sorted[t].
    let (mut lo, mut hi) = (0, sorted.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if sorted.get(mid).is_some_and(|&m| m - mid > g) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    g + lo
}

/// True when some pod can carry both selectors' labels: no key is in both
/// with different values (the definition [`OverlapIndex`] computes by class).
#[cfg(test)]
fn selectors_overlap(a: &Labels, b: &Labels) -> bool {
    a.iter().all(|(k, v)| b.get(k).is_none_or(|w| w == v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The index finds exactly the pairs a comparison of every pair finds,
    /// in the same order.
    #[test]
    fn overlap_index_agrees_with_every_pair() {
        let keys = ["app", "tier", "team"];
        let values = ["a", "b"];
        let mut all = Vec::new();
        // Every selector over three keys with two values each (and absent).
        for n in 1..27usize {
            let mut pairs = Vec::new();
            let mut x = n;
            for k in keys {
                match x % 3 {
                    1 => pairs.push((k, values[0])),
                    2 => pairs.push((k, values[1])),
                    _ => {}
                }
                x /= 3;
            }
            all.push(labels(&pairs));
        }
        // A scrambled order, so classes interleave.
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by_key(|&i| (i * 7) % all.len());
        let groups: Vec<(&Labels, usize)> = order.iter().map(|&i| (&all[i], i)).collect();
        let mut index = OverlapIndex::new(&groups);
        let mut work = 0;
        for i in 0..groups.len() {
            let expected: Vec<usize> = (0..i)
                .filter(|&j| selectors_overlap(groups[j].0, groups[i].0))
                .collect();
            let (count, shown) = index.earlier_overlaps(i, &mut work);
            assert_eq!(count, expected.len(), "selector {i}");
            let first: Vec<usize> = expected.iter().copied().take(SHOWN).collect();
            assert_eq!(shown, first, "selector {i}");
        }
    }

    #[test]
    fn nth_missing_counts_gaps() {
        let sorted = [0, 1, 3, 4, 7];
        let missing: Vec<usize> = (0..4).map(|g| nth_missing(&sorted, g)).collect();
        assert_eq!(missing, [2, 5, 6, 8]);
        assert_eq!(nth_missing(&[], 3), 3);
    }
}
