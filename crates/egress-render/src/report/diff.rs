//! What a change does to egress: access added, widened and removed, and
//! findings that appear or go away, between two reports.

use super::{access_order, json, Access, Finding, FindingCode, Who, REPORT_FORMAT_VERSION};
use crate::model::Protocol;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The effect of a change: `head` compared with `base`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReportDiff {
    /// The report format version, as in [`super::Report`].
    pub version: u32,
    /// Access `head` grants that `base` did not grant to anyone broader or
    /// narrower at that host:port: a new host, port or identity.
    pub added: Vec<Access>,
    /// Access `head` grants to an identity broader than every one that
    /// `base` let reach that namespace's host:port.
    pub widened: Vec<Widened>,
    /// Access `base` granted that `head` does not (and that no widened
    /// entry replaces).
    pub removed: Vec<Access>,
    /// Findings of `head` that `base` does not have.
    pub new_findings: Vec<Finding>,
    /// Findings of `base` that `head` no longer has.
    pub resolved_findings: Vec<Finding>,
}

/// Access that reached a host:port before, now open to a broader identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Widened {
    /// The access in `head`.
    pub access: Access,
    /// The narrower identities that had it in `base`.
    pub was: Vec<Who>,
}

type AccessKey = (String, String, String, String, u16, Protocol);
type PlaceKey<'a> = (&'a str, &'a str, u16, Protocol);

/// One identity of one package at one host:port.
fn key(a: &Access) -> AccessKey {
    (
        a.namespace.clone(),
        a.package.clone(),
        a.who.key(),
        a.host.clone(),
        a.port,
        a.protocol,
    )
}

/// A namespace's host:port, whoever reaches it. There is one package per
/// namespace (SPEC §2.2), so a renamed package does not hide a widening.
fn place(a: &Access) -> PlaceKey<'_> {
    (&a.namespace, &a.host, a.port, a.protocol)
}

type FindingKey<'a> = (FindingCode, Vec<(&'a str, &'a str)>, &'a str);

/// What identifies a finding across a change: its code, packages and
/// subject. Not its rule indices, which move when rules are reordered, nor
/// its ports or wording, which change with access the access lists show.
fn finding_key(f: &Finding) -> FindingKey<'_> {
    (
        f.code,
        f.origins
            .iter()
            .map(|o| (o.namespace.as_str(), o.package.as_str()))
            .collect(),
        &f.subject,
    )
}

/// What changes from `base` to `head`: both should be built with the same
/// options. Pure and order-independent; the lists are in report order.
pub fn diff(base: &super::Report, head: &super::Report) -> ReportDiff {
    let base_keys: BTreeSet<AccessKey> = base.access.iter().map(key).collect();
    let head_keys: BTreeSet<AccessKey> = head.access.iter().map(key).collect();
    let mut added = Vec::new();
    let mut widened = Vec::new();
    let mut replaced: BTreeSet<AccessKey> = BTreeSet::new();
    let mut base_at: BTreeMap<PlaceKey, Vec<&Access>> = BTreeMap::new();
    for b in &base.access {
        base_at.entry(place(b)).or_default().push(b);
    }
    for a in head.access.iter().filter(|a| !base_keys.contains(&key(a))) {
        let before = base_at
            .get(&place(a))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !before.is_empty() && before.iter().all(|b| b.who.breadth() < a.who.breadth()) {
            let mut was: Vec<Who> = Vec::new();
            for b in before {
                if !was.iter().any(|w| w.key() == b.who.key()) {
                    was.push(b.who.clone());
                }
                replaced.insert(key(b));
            }
            was.sort_by_key(Who::key);
            widened.push(Widened {
                access: a.clone(),
                was,
            });
        } else {
            added.push(a.clone());
        }
    }
    let removed: Vec<Access> = base
        .access
        .iter()
        .filter(|b| {
            let k = key(b);
            !head_keys.contains(&k) && !replaced.contains(&k)
        })
        .cloned()
        .collect();

    let base_findings: BTreeSet<FindingKey> = base.findings.iter().map(finding_key).collect();
    let head_findings: BTreeSet<FindingKey> = head.findings.iter().map(finding_key).collect();
    let new_findings = head
        .findings
        .iter()
        .filter(|f| !base_findings.contains(&finding_key(f)))
        .cloned()
        .collect();
    let resolved_findings = base
        .findings
        .iter()
        .filter(|f| !head_findings.contains(&finding_key(f)))
        .cloned()
        .collect();

    widened.sort_by_cached_key(|w| access_order(&w.access));
    ReportDiff {
        version: REPORT_FORMAT_VERSION,
        added,
        widened,
        removed,
        new_findings,
        resolved_findings,
    }
}

impl ReportDiff {
    /// True when the change neither grants, widens nor removes access, and
    /// no finding appears or goes away.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.widened.is_empty()
            && self.removed.is_empty()
            && self.new_findings.is_empty()
            && self.resolved_findings.is_empty()
    }

    /// Pretty-printed JSON with a trailing newline (see `docs/report.md`).
    pub fn to_json(&self) -> Result<String, crate::Error> {
        json(self)
    }
}
