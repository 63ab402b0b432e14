//! The plan (SPEC §3–§6): validated packages, sorted and normalised for the
//! chosen release, and the shared state of each mode, computed once. The
//! builders, the checks, the warnings and the audit report all read it.

use crate::model::{Mode, Package};
use crate::normalize::{self, Egress, Pair};
use crate::options::Options;
use crate::release::Behaviour;
use std::collections::{BTreeMap, BTreeSet};

/// Everything the render needs, computed once.
pub(crate) struct Plan<'a> {
    pub options: &'a Options,
    pub behaviour: Behaviour,
    /// Packages with egress, in (namespace, name) order (SPEC §7).
    pub packages: Vec<Egress<'a>>,
    /// Hosts named by ambient packages, sorted.
    pub ambient: BTreeMap<&'a str, SharedHost>,
    /// Hosts named by sidecar packages, sorted.
    pub sidecar: BTreeMap<&'a str, SharedHost>,
}

/// A host across the packages of one mode.
pub(crate) struct SharedHost {
    /// The union of the packages' pairs, sorted by port then protocol.
    pub pairs: Vec<Pair>,
    /// The packages naming it, as indices into [`Plan::packages`], ascending.
    pub users: Vec<usize>,
}

impl<'a> Plan<'a> {
    /// The plan of `valid` packages (each valid on its own).
    pub fn new(mut valid: Vec<&'a Package>, options: &'a Options) -> Self {
        let behaviour = options.uds_core.behaviour();
        // §7: packages in (namespace, name) order; the source breaks ties so
        // that even invalid duplicates sort the same way every time.
        valid.sort_by(|a, b| {
            (&a.namespace, &a.name, &a.source).cmp(&(&b.namespace, &b.name, &b.source))
        });
        let packages: Vec<Egress> = valid
            .into_iter()
            .filter_map(|p| normalize::egress(p, mode_of(p, options), &behaviour))
            .collect();
        let mut ambient: BTreeMap<&str, (BTreeSet<Pair>, Vec<usize>)> = BTreeMap::new();
        let mut sidecar: BTreeMap<&str, (BTreeSet<Pair>, Vec<usize>)> = BTreeMap::new();
        for (i, e) in packages.iter().enumerate() {
            let hosts = match e.mode {
                Mode::Ambient => &mut ambient,
                Mode::Sidecar => &mut sidecar,
            };
            for (host, pairs) in &e.hosts {
                let entry = hosts.entry(host).or_default();
                entry.0.extend(pairs.iter().copied());
                entry.1.push(i);
            }
        }
        let shared = |m: BTreeMap<&'a str, (BTreeSet<Pair>, Vec<usize>)>| {
            m.into_iter()
                .map(|(host, (pairs, users))| {
                    (
                        host,
                        SharedHost {
                            pairs: pairs.into_iter().collect(),
                            users,
                        },
                    )
                })
                .collect()
        };
        Plan {
            options,
            behaviour,
            packages,
            ambient: shared(ambient),
            sidecar: shared(sidecar),
        }
    }

    /// The packages of one mode, with their indices.
    pub fn of_mode(&self, mode: Mode) -> impl Iterator<Item = (usize, &Egress<'a>)> {
        self.packages
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.mode == mode)
    }

    /// The package at `index` in [`Plan::packages`].
    pub fn package(&self, index: usize) -> Option<&Egress<'a>> {
        self.packages.get(index)
    }
}

/// A package's mode: its own, else `--mode`, else the release's (SPEC §3).
pub(crate) fn mode_of(pkg: &Package, options: &Options) -> Mode {
    pkg.mode
        .or(options.default_mode)
        .unwrap_or(options.uds_core.behaviour().default_mode)
}
