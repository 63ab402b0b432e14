//! Synthetic fleets of UDS `Package`s for benchmarking egress-render, and
//! the "floor" the benchmark compares rendering with: the same YAML library
//! reading the input and writing the output, doing nothing else. The floor
//! reads with the library's own parse options
//! (`egress_render::yaml_parse_options`) and writes with the library's own
//! YAML writer (`Rendered::write_yaml`), so it cannot drift from them.
//!
//! A fleet is deterministic from its [`Fleet`] settings (seed included) and
//! renders without errors or warnings:
//! - one Package per namespace (`pkg-{i}` in `ns-{i}`), alternately ambient
//!   and sidecar (or all one mode);
//! - `rules` remoteHost rules per package, to distinct hosts drawn from a
//!   pool of `hosts`; each host has one fixed set of (port, protocol) pairs,
//!   so ambient packages sharing a host request identical sets (valid for
//!   every release, SPEC §2.13) and no host:port is used with two protocols
//!   (§2.12);
//! - every rule has its own `description` (SPEC §2.17); sidecar rules share
//!   one selector per package (no shared-access warning) and use only the
//!   gateway's default ports 80 and 443 (§2.14);
//! - with `hot_host`, every package's first rule goes to one same host.

use std::fmt::Write as _;

/// Which mesh mode the fleet's packages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modes {
    /// Even packages ambient, odd packages sidecar.
    Mixed,
    /// Every package ambient.
    Ambient,
    /// Every package sidecar.
    Sidecar,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Fleet {
    /// Number of packages.
    pub packages: usize,
    /// remoteHost rules per package (at most `hosts`, or `hosts + 1` with a
    /// hot host).
    pub rules: usize,
    /// Size of the host pool.
    pub hosts: usize,
    /// Every package's first rule goes to `hot.example.com`.
    pub hot_host: bool,
    /// Mesh modes.
    pub modes: Modes,
    /// Seed of the host choice.
    pub seed: u64,
}

impl Default for Fleet {
    fn default() -> Self {
        Fleet {
            packages: 1_000,
            rules: 3,
            hosts: 2_000,
            hot_host: false,
            modes: Modes::Mixed,
            seed: 1,
        }
    }
}

/// xorshift64*: small, deterministic, good enough to spread hosts.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // A zero state would stay zero.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The name of host `i` of the pool.
pub fn host_name(i: usize) -> String {
    format!("api-{i}.svc{}.example.com", i % 50)
}

/// How a rule to host `i` asks for its port(s): one fixed shape per host.
fn write_ports(out: &mut String, host: usize) {
    match host % 4 {
        // TLS on the default port.
        0 => {}
        1 => out.push_str("        remoteProtocol: HTTP\n        port: 80\n"),
        2 => out.push_str("        ports: [443]\n"),
        _ => out.push_str("        remoteProtocol: TLS\n        port: 443\n"),
    }
}

impl Fleet {
    /// The fleet as one multi-document YAML stream.
    pub fn yaml(&self) -> String {
        let mut out = String::with_capacity(self.packages * (300 + 150 * self.rules));
        let mut rng = Rng::new(self.seed);
        let pool = self.hosts.max(1);
        let pooled = if self.hot_host {
            self.rules.saturating_sub(1)
        } else {
            self.rules
        }
        .min(pool);
        let mut chosen: Vec<usize> = Vec::with_capacity(pooled);
        for i in 0..self.packages {
            let ambient = match self.modes {
                Modes::Mixed => i % 2 == 0,
                Modes::Ambient => true,
                Modes::Sidecar => false,
            };
            chosen.clear();
            while chosen.len() < pooled {
                let h = rng.below(pool);
                if !chosen.contains(&h) {
                    chosen.push(h);
                }
            }
            let _ = write!(
                out,
                "---\napiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: pkg-{i}\n  namespace: ns-{i}\n  generation: {}\n",
                1 + i % 7
            );
            if i % 3 == 0 {
                let _ = writeln!(out, "  uid: 00000000-0000-4000-8000-{i:012}");
            }
            let _ = write!(
                out,
                "  labels:\n    team: team-{}\nspec:\n  network:\n    serviceMesh:\n      mode: {}\n    allow:\n",
                i % 13,
                if ambient { "ambient" } else { "sidecar" }
            );
            let hot = self.hot_host.then_some(usize::MAX);
            for (j, h) in hot.into_iter().chain(chosen.iter().copied()).enumerate() {
                let host = if h == usize::MAX {
                    "hot.example.com".to_string()
                } else {
                    host_name(h)
                };
                let _ = write!(
                    out,
                    "      - direction: Egress\n        description: egress {j} of pkg-{i}\n        remoteHost: {host}\n"
                );
                if h != usize::MAX {
                    write_ports(&mut out, h);
                }
                if ambient {
                    if j % 2 == 0 {
                        let _ = writeln!(out, "        serviceAccount: sa-{j}");
                    }
                } else {
                    let _ = writeln!(out, "        selector:\n          app: app-{i}");
                }
            }
        }
        out
    }
}

/// Floor, reading: every document into a generic tree (`serde_json::Value`),
/// the cheapest thing that still builds each document.
pub fn floor_parse(text: &str) -> Result<Vec<serde_json::Value>, String> {
    serde_saphyr::from_str_multiple_with_options(
        text,
        egress_render::yaml_parse_options(text.len(), text.len()),
    )
    .map_err(|e| e.to_string())
}

/// `fmt::Write` onto an `io::Write` (e.g. a `BufWriter`), as the CLI writes.
pub struct IoWriter<W: std::io::Write>(pub W);

impl<W: std::io::Write> std::fmt::Write for IoWriter<W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.write_all(s.as_bytes()).map_err(|_| std::fmt::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egress_render::{parse, render, Manifest, Options};

    fn rendered(fleet: Fleet) -> egress_render::Rendered {
        let yaml = fleet.yaml();
        let parsed = parse("fleet.yaml", yaml.as_bytes());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
        assert_eq!(parsed.packages.len(), fleet.packages);
        match render(&parsed.packages, &Options::default()) {
            Ok(r) => r,
            Err(e) => panic!("{} errors, first: {}", e.0.len(), e.0[0]),
        }
    }

    #[test]
    fn a_mixed_fleet_renders_without_errors_or_warnings() {
        let fleet = Fleet {
            packages: 200,
            hosts: 40,
            ..Fleet::default()
        };
        let r = rendered(fleet);
        assert!(r.warnings.is_empty(), "{}", r.warnings[0]);
        let count = |kind: &str| r.manifests.iter().filter(|m| m.kind() == kind).count();
        // 100 sidecar packages: one Sidecar each.
        assert_eq!(count("Sidecar"), 100);
        // One NetworkPolicy per rule: 200 packages, 3 rules each.
        assert_eq!(count("NetworkPolicy"), 600);
        // UDS Core 1.11: one central ServiceEntry and AuthorizationPolicy
        // per ambient host, one shared ServiceEntry per sidecar host, and the
        // 100 sidecar packages' own ServiceEntries (3 hosts each).
        let in_namespace = |ns: &str| {
            r.manifests
                .iter()
                .filter(|m| matches!(m, Manifest::ServiceEntry(_)) && m.namespace() == ns)
                .count()
        };
        let (ambient_se, sidecar_se) = (
            in_namespace("istio-egress-ambient"),
            in_namespace("istio-egress-gateway"),
        );
        assert_eq!(count("AuthorizationPolicy"), ambient_se);
        assert_eq!(count("ServiceEntry"), 300 + ambient_se + sidecar_se);
        assert!(ambient_se > 0 && ambient_se <= 40);
        assert!(sidecar_se > 0 && sidecar_se <= 40);
    }

    #[test]
    fn the_hot_host_is_shared_by_every_package() {
        let fleet = Fleet {
            packages: 100,
            hot_host: true,
            ..Fleet::default()
        };
        let r = rendered(fleet);
        assert!(r.warnings.is_empty(), "{}", r.warnings[0]);
        let gateway = r
            .manifests
            .iter()
            .find(|m| m.name() == "gateway-hot-example-com")
            .map(|m| m.metadata().annotations.len());
        assert_eq!(gateway, Some(50), "every sidecar package is a user");
        let waypoint = r.manifests.iter().find(|m| m.name() == "egress-waypoint");
        assert_eq!(waypoint.map(|m| m.metadata().annotations.len()), Some(50));
    }

    #[test]
    fn the_same_seed_gives_the_same_fleet() {
        let a = Fleet::default().yaml();
        assert_eq!(a, Fleet::default().yaml());
        let b = Fleet {
            seed: 2,
            ..Fleet::default()
        }
        .yaml();
        assert_ne!(a, b);
    }

    #[test]
    fn the_floor_reads_every_document_and_writes_every_manifest() {
        let fleet = Fleet {
            packages: 10,
            ..Fleet::default()
        };
        let docs = floor_parse(&fleet.yaml()).unwrap_or_default();
        assert_eq!(docs.len(), 10);
        assert!(docs
            .iter()
            .all(|d| d["spec"]["network"]["allow"][0]["remoteHost"].is_string()));
        // Written as the floor writes: the library's writer, through an
        // `io::Write`.
        let r = rendered(fleet);
        let mut out = IoWriter(Vec::new());
        assert!(r.write_yaml(&mut out).is_ok());
        let text = String::from_utf8(out.0).unwrap_or_default();
        assert_eq!(text.matches("---\n").count(), r.manifests.len());
        assert_eq!(Some(text), r.to_yaml().ok());
    }
}
