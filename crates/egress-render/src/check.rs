//! Checks on what was rendered: name collisions (SPEC §2.13), Kubernetes
//! metadata rules as a safety net (SPEC §2.12), and referential integrity
//! (SPEC §7).

use crate::error::{Error, ErrorKind};
use crate::manifest::Manifest;
use crate::model::Package;
use crate::names;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A fast, non-cryptographic hasher (FxHash's multiply-rotate) for maps
/// keyed by the renderer's own names. Hash flooding is not a concern: the
/// input is the caller's own, and the worst case is slower, not wrong.
#[derive(Default)]
pub(crate) struct Fx(u64);

/// `HashMap` builder for [`Fx`].
pub(crate) type FastHash = BuildHasherDefault<Fx>;

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut word = [0u8; 8];
        for (w, b) in word.iter_mut().zip(chunks.remainder()) {
            *w = *b;
        }
        self.add(u64::from_le_bytes(word));
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A rendered object with the package and host it was made for, so that a
/// problem with it can be traced back to the input.
pub(crate) struct Placed<'a> {
    pub manifest: Manifest,
    pub pkg: &'a Package,
    pub host: &'a str,
    pub shared: bool,
}

impl<'a> Placed<'a> {
    pub fn owned(manifest: Manifest, pkg: &'a Package, host: &'a str) -> Self {
        Placed {
            manifest,
            pkg,
            host,
            shared: false,
        }
    }

    pub fn shared(manifest: Manifest, pkg: &'a Package, host: &'a str) -> Self {
        Placed {
            manifest,
            pkg,
            host,
            shared: true,
        }
    }

    fn origin(&self) -> String {
        if self.host.is_empty() {
            format!("package {}", self.pkg.id())
        } else if self.shared {
            format!(
                "host {} (first requested by package {})",
                self.host,
                self.pkg.id()
            )
        } else {
            format!("host {} in package {}", self.host, self.pkg.id())
        }
    }
}

/// §2.13: two different objects with the same kind, namespace and name.
pub(crate) fn collisions(placed: &[Placed]) -> Vec<Error> {
    let mut seen: HashMap<(&str, &str, &str, &str), &Placed, FastHash> =
        HashMap::with_capacity_and_hasher(placed.len(), FastHash::default());
    let mut errors = Vec::new();
    for p in placed {
        let m = &p.manifest;
        let key = (m.api_version(), m.kind(), m.namespace(), m.name());
        match seen.get(&key) {
            None => {
                seen.insert(key, p);
            }
            Some(first) => errors.push(
                Error::new(
                    ErrorKind::NameCollision,
                    format!(
                        "{} {}/{} would be rendered twice: for {} and for {}",
                        m.kind(),
                        m.namespace(),
                        m.name(),
                        first.origin(),
                        p.origin()
                    ),
                )
                .in_package(p.pkg)
                .field("remoteHost")
                .help("object names replace every character outside a-z and 0-9 with '-', so these collide; UDS Core would silently keep only one. Drop or change one of the hosts (or service accounts / selectors)"),
            ),
        }
    }
    errors
}

/// §2.12 as a safety net over every rendered object. The validation of
/// package fields reports these problems with better messages first; this
/// catches anything a future change lets through.
pub(crate) fn metadata(placed: &[Placed]) -> Vec<Error> {
    let mut errors = Vec::new();
    for p in placed {
        let meta = p.manifest.metadata();
        let mut problems = Vec::new();
        if !names::is_dns_subdomain(&meta.name) {
            problems.push(format!("name {:?} is not a DNS-1123 subdomain", meta.name));
        }
        if !names::is_dns_label(&meta.namespace) {
            problems.push(format!(
                "namespace {:?} is not a DNS-1123 label",
                meta.namespace
            ));
        }
        for (k, v) in &meta.labels {
            if !names::is_qualified_name(k) || !names::is_label_value(v) {
                problems.push(format!("label {k}: {v:?} is not a valid label"));
            }
        }
        for k in meta.annotations.keys() {
            if !names::is_qualified_name(k) {
                problems.push(format!("annotation key {k:?} is not valid"));
            }
        }
        for problem in problems {
            errors.push(
                Error::new(
                    ErrorKind::MetadataLimit,
                    format!(
                        "{} {}/{}: {problem}; the Kubernetes API server would reject it",
                        p.manifest.kind(),
                        meta.namespace,
                        meta.name
                    ),
                )
                .in_package(p.pkg)
                .help("shorten or simplify the package's name, namespace or labels"),
            );
        }
    }
    errors
}

/// Referential integrity (SPEC §7), as a list of problems (empty when the
/// output is sound): every AuthorizationPolicy's `targetRef` names a
/// ServiceEntry of the output in its namespace, every VirtualService's
/// gateways name a Gateway of the output, every ServiceEntry bound to the
/// waypoint has the waypoint in the output, and no two objects share kind,
/// namespace and name.
pub fn reference_problems(manifests: &[Manifest]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    let mut service_entries = HashSet::new();
    let mut gateways = HashSet::new();
    let mut has_waypoint = false;
    for m in manifests {
        if !ids.insert((m.api_version(), m.kind(), m.namespace(), m.name())) {
            problems.push(format!(
                "{} {}/{} appears twice",
                m.kind(),
                m.namespace(),
                m.name()
            ));
        }
        match m {
            Manifest::ServiceEntry(_) => {
                service_entries.insert((m.namespace(), m.name()));
            }
            Manifest::Gateway(_) => {
                gateways.insert((m.namespace(), m.name()));
            }
            Manifest::Waypoint(w) => {
                has_waypoint |= w.metadata.name == crate::ambient::WAYPOINT_NAME
                    && w.metadata.namespace == crate::ambient::WAYPOINT_NAMESPACE;
            }
            _ => {}
        }
    }
    for m in manifests {
        match m {
            Manifest::AuthorizationPolicy(ap) => {
                let target = &ap.spec.target_ref;
                if target.kind != "ServiceEntry"
                    || !service_entries.contains(&(m.namespace(), target.name.as_str()))
                {
                    problems.push(format!(
                        "AuthorizationPolicy {}/{} targets ServiceEntry {:?}, which is not in the output",
                        m.namespace(),
                        m.name(),
                        target.name
                    ));
                }
            }
            Manifest::VirtualService(vs) => {
                for gw in vs.spec.gateways.iter().filter(|g| *g != "mesh") {
                    if !gateways.contains(&(m.namespace(), gw.as_str())) {
                        problems.push(format!(
                            "VirtualService {}/{} names Gateway {gw:?}, which is not in the output",
                            m.namespace(),
                            m.name()
                        ));
                    }
                }
            }
            Manifest::ServiceEntry(se)
                if !has_waypoint
                    && se
                        .metadata
                        .labels
                        .get("istio.io/use-waypoint")
                        .map(String::as_str)
                        == Some(crate::ambient::WAYPOINT_NAME) =>
            {
                problems.push(format!(
                        "ServiceEntry {}/{} is bound to the egress waypoint, which is not in the output",
                        m.namespace(),
                        m.name()
                    ));
            }
            _ => {}
        }
    }
    problems
}
