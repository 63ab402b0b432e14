//! Render the egress rules of UDS Core `Package` resources to the Istio
//! manifests UDS Core's operator would create, offline and as a pure
//! function: no file or network I/O, no printing, no global state, and no
//! panic on any input.
//!
//! ```
//! use egress_render::{parse, render, Options};
//!
//! let yaml = r#"
//! apiVersion: uds.dev/v1alpha1
//! kind: Package
//! metadata: {name: pkg-1, namespace: egress-gw-1}
//! spec:
//!   network:
//!     serviceMesh: {mode: ambient}
//!     allow:
//!       - direction: Egress
//!         remoteHost: httpbin.org
//!         port: 443
//!         serviceAccount: curl
//! "#;
//! let parsed = parse("pkg.yaml", yaml.as_bytes());
//! assert!(parsed.errors.is_empty());
//! let rendered = render(&parsed.packages, &Options::default()).expect("valid input");
//! let kinds: Vec<&str> = rendered.manifests.iter().map(|m| m.kind()).collect();
//! assert_eq!(kinds, ["ServiceEntry", "AuthorizationPolicy", "Gateway"]);
//! let out = rendered.to_yaml().expect("serializable");
//! assert!(out.starts_with("---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"));
//! ```
//!
//! The pipeline is [`parse`] (YAML → [`Package`]s, type errors collected),
//! then [`render`] (validation of SPEC §2, normalisation, the per-mode
//! builders, collision checks and ordering), then [`Rendered::to_yaml`] or
//! [`Rendered::to_json`]. [`report()`] audits the same packages (who can
//! reach which host, and the risks) and [`diff()`] compares two audits.
#![warn(missing_docs)]
// An `Error` carries its whole location and fix as data; it is built only on
// the cold path, so its size does not matter more than its clarity.
#![allow(clippy::result_large_err)]
#![cfg_attr(
    not(test),
    deny(
        clippy::print_stdout,
        clippy::print_stderr,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod ambient;
mod check;
mod error;
mod hash;
mod manifest;
mod model;
pub mod names;
mod normalize;
mod objects;
mod options;
mod parse;
mod report;
mod sidecar;
mod validate;
mod yaml;

pub use check::reference_problems;
pub use error::{Error, ErrorKind, Errors, Warning, WarningKind};
pub use manifest::*;
pub use model::{AllowRule, Direction, Labels, Mode, Package, Pos, Protocol, Source};
pub use options::{Options, UnscopedIdentity};
pub use parse::{parse, Parsed};
pub use report::{
    diff, report, Access, Finding, FindingCode, ObjectRef, Origin, Report, ReportDiff, Severity,
    Who, Widened, REPORT_FORMAT_VERSION,
};
/// The serde-saphyr options `parse` uses for an input of this many bytes;
/// public so the benchmark's floor parses exactly as the renderer does.
#[doc(hidden)]
pub use yaml::parse_options as yaml_parse_options;
pub use yaml::MAX_INPUT_BYTES;

use check::Placed;

/// What a successful render produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The objects, in the order of SPEC §7.
    pub manifests: Vec<Manifest>,
    /// Warnings (SPEC §6), sorted by package.
    pub warnings: Vec<Warning>,
}

impl Rendered {
    /// The manifests as a YAML stream, each document opened by `---`.
    /// Strings a YAML 1.1 reader would misread are quoted.
    pub fn to_yaml(&self) -> Result<String, Error> {
        yaml::to_yaml_stream(&self.manifests)
            .map_err(|e| Error::new(ErrorKind::Syntax, format!("could not write YAML: {e}")))
    }

    /// [`Rendered::to_yaml`] written into `out` document by document, for
    /// callers that stream the output rather than hold all of it. On error
    /// `out` may hold the documents before the failing one.
    pub fn write_yaml<W: std::fmt::Write>(&self, out: &mut W) -> Result<(), Error> {
        yaml::write_yaml_stream(&self.manifests, out)
            .map_err(|e| Error::new(ErrorKind::Syntax, format!("could not write YAML: {e}")))
    }

    /// The manifests as one JSON `List` object, pretty-printed, with a
    /// trailing newline.
    pub fn to_json(&self) -> Result<String, Error> {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct List<'a> {
            api_version: &'static str,
            kind: &'static str,
            items: &'a [Manifest],
        }
        let list = List {
            api_version: "v1",
            kind: "List",
            items: &self.manifests,
        };
        serde_json::to_string_pretty(&list)
            .map(|mut s| {
                s.push('\n');
                s
            })
            .map_err(|e| Error::new(ErrorKind::Syntax, format!("could not write JSON: {e}")))
    }
}

/// Render packages to manifests (SPEC §3–§7), or report every problem.
///
/// The result depends only on the set of packages and the options, not on
/// their order. Errors come sorted by file and position.
pub fn render(packages: &[Package], options: &Options) -> Result<Rendered, Errors> {
    let mut errors = validate::one_package_per_namespace(packages);
    let mut valid: Vec<&Package> = Vec::with_capacity(packages.len());
    for pkg in packages {
        let problems = validate::package(pkg, options);
        if problems.is_empty() {
            valid.push(pkg);
        }
        errors.extend(problems);
    }
    // §7: packages in (namespace, name) order; the source breaks ties so
    // that even invalid duplicates sort the same way every time.
    valid.sort_by(|a, b| {
        (&a.namespace, &a.name, &a.source).cmp(&(&b.namespace, &b.name, &b.source))
    });

    let egresses: Vec<normalize::Egress> = valid
        .iter()
        .filter_map(|p| normalize::egress(p, options))
        .collect();
    let ambient: Vec<&normalize::Egress> = egresses
        .iter()
        .filter(|e| e.mode == Mode::Ambient)
        .collect();
    let sidecar: Vec<&normalize::Egress> = egresses
        .iter()
        .filter(|e| e.mode == Mode::Sidecar)
        .collect();
    errors.extend(ambient::conflicts(&ambient));
    errors.extend(sidecar::conflicts(&sidecar));

    // Package-owned objects: at most one per host and one per rule.
    let owned: usize = egresses.iter().map(|e| e.hosts.len() + e.rules.len()).sum();
    let mut placed: Vec<Placed> = Vec::with_capacity(owned + 1);
    let mut warnings: Vec<Warning> = Vec::new();
    for e in &egresses {
        match e.mode {
            Mode::Ambient => placed.extend(ambient::package_objects(e, options)),
            Mode::Sidecar => {
                placed.extend(sidecar::package_objects(e));
                warnings.extend(sidecar::warnings(e, options));
            }
        }
    }
    placed.extend(ambient::waypoint(&ambient, options));
    placed.extend(sidecar::shared_objects(&sidecar, options));
    errors.extend(check::collisions(&placed));
    errors.extend(check::metadata(&placed));

    for pkg in &valid {
        for rule in &pkg.allow {
            if rule.pod_labels_overrode_selector || rule.remote_pod_labels_overrode_selector {
                let (old, new, kept) = if rule.pod_labels_overrode_selector {
                    ("podLabels", "selector", &rule.selector)
                } else {
                    ("remotePodLabels", "remoteSelector", &rule.remote_selector)
                };
                let kept = kept
                    .as_ref()
                    .map(sidecar::show_selector)
                    .unwrap_or_default();
                warnings.push(Warning::new(
                    WarningKind::DeprecatedLabels,
                    pkg,
                    Some(rule.index),
                    format!(
                        "both {old} and {new} are set; {old} (deprecated) wins, as in UDS Core, so the rule uses {new} {kept}"
                    ),
                    format!("remove {old} and write the labels you mean under {new}"),
                ));
            }
        }
    }

    if !errors.is_empty() {
        return Err(Errors(errors).sorted());
    }
    // Packages in the §7 order, (namespace, name): as strings "team-a/x"
    // would sort before "team/x".
    let by_package = |w: &Warning| {
        let (namespace, name) = w.package.split_once('/').unwrap_or((&w.package, ""));
        (
            namespace.to_string(),
            name.to_string(),
            w.rule,
            w.kind,
            w.message.clone(),
        )
    };
    warnings.sort_by_cached_key(by_package);
    Ok(Rendered {
        manifests: placed.into_iter().map(|p| p.manifest).collect(),
        warnings,
    })
}
