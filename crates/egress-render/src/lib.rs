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
//! // UDS Core 1.11 (the default): the package's NetworkPolicy, then the
//! // shared waypoint and the host's ServiceEntry and AuthorizationPolicy.
//! let rendered = parsed.render(&Options::default()).expect("valid input");
//! let kinds: Vec<&str> = rendered.manifests.iter().map(|m| m.kind()).collect();
//! assert_eq!(kinds, ["NetworkPolicy", "Gateway", "ServiceEntry", "AuthorizationPolicy"]);
//! assert_eq!(rendered.manifests[2].name(), "ambient-se-httpbin-org");
//! let out = rendered.to_yaml().expect("serializable");
//! assert!(out.starts_with("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"));
//! ```
//!
//! The pipeline: [`parse`] (YAML → [`Package`]s, type errors collected);
//! then [`Parsed::render`] or [`render`]: validation (SPEC §2, per
//! [`Release`]), the plan (packages normalised and sorted, each mode's
//! shared hosts), cross-package checks, the builders, checks of the built
//! objects, the §7 order and the warnings; then [`Rendered::to_yaml`] or
//! [`Rendered::to_json`]. [`report()`] reads the same plan and objects to
//! audit who can reach which host, and [`diff()`] compares two audits.
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
mod build;
mod check;
mod conflicts;
mod error;
mod manifest;
mod model;
pub mod names;
mod netpol;
mod normalize;
mod objects;
mod options;
mod order;
mod parse;
mod placed;
mod plan;
mod release;
mod report;
mod sidecar;
mod text;
mod validate;
mod warnings;
mod yaml;

pub use check::reference_problems;
pub use error::{Error, ErrorKind, Errors, Warning, WarningKind};
pub use manifest::*;
pub use model::{AllowRule, Direction, Labels, Mode, Package, Pos, Protocol, Source};
pub use options::{ObjectSet, Options};
pub use parse::{parse, Parsed};
pub use release::{Behaviour, Release};
pub use report::{
    diff, report, Access, Finding, FindingCode, ObjectRef, Origin, Report, ReportDiff, Severity,
    Who, Widened, REPORT_FORMAT_VERSION,
};
/// The serde-saphyr options `parse` uses for a document of this many bytes
/// in a file of that many;
/// public so the benchmark's floor parses exactly as the renderer does.
#[doc(hidden)]
pub use yaml::parse_options as yaml_parse_options;
pub use yaml::MAX_INPUT_BYTES;

use placed::Placed;
use plan::Plan;

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

    /// [`reference_problems`] of the manifests, less the policy targets a
    /// `dangling-target` warning already names (SPEC §5.1, §7: referential
    /// integrity holds except where a warning says otherwise).
    pub fn unwarned_reference_problems(&self) -> Vec<String> {
        reference_problems(&self.manifests)
            .into_iter()
            .filter(|problem| {
                // "AuthorizationPolicy {namespace}/{name} targets …"
                let policy = problem
                    .strip_prefix("AuthorizationPolicy ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|id| id.split_once('/'))
                    .map(|(_, name)| format!("AuthorizationPolicy {name} "));
                !policy.is_some_and(|policy| {
                    self.warnings.iter().any(|w| {
                        w.kind == WarningKind::DanglingTarget && w.message.contains(&policy)
                    })
                })
            })
            .collect()
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

impl Parsed {
    /// Render these packages (SPEC §3–§7). Parse problems and render
    /// problems come back together, sorted, so a caller cannot render input
    /// that did not parse cleanly.
    pub fn render(&self, options: &Options) -> Result<Rendered, Errors> {
        self.with_parse_errors(render(&self.packages, options))
    }

    /// The egress audit of these packages ([`report()`]), with parse
    /// problems reported as [`Parsed::render`] does.
    pub fn report(&self, options: &Options) -> Result<crate::Report, Errors> {
        self.with_parse_errors(report(&self.packages, options))
    }

    fn with_parse_errors<T>(&self, result: Result<T, Errors>) -> Result<T, Errors> {
        if self.errors.is_empty() {
            return result;
        }
        let mut errors = self.errors.clone();
        if let Err(more) = result {
            errors.extend(more.0);
        }
        Err(Errors(errors).sorted())
    }
}

/// Render packages to manifests (SPEC §3–§7), or report every problem.
///
/// The result depends only on the set of packages and the options, not on
/// their order. Errors come sorted by file and position.
///
/// Every package is validated and every object built and checked whatever
/// [`Options::objects`] says; only the returned manifests are filtered.
pub fn render(packages: &[Package], options: &Options) -> Result<Rendered, Errors> {
    planned(packages, options, |_, placed, warnings| Rendered {
        manifests: placed
            .into_iter()
            .filter(|p| match options.objects {
                ObjectSet::All => true,
                ObjectSet::Package => !p.shared(),
                ObjectSet::Shared => p.shared(),
            })
            .map(|p| p.manifest)
            .collect(),
        warnings,
    })
}

/// The pipeline both [`render`] and [`report()`] run: validate, plan, check
/// across packages, build, check the objects, order, warn; then `finish`
/// reads the plan, the ordered objects and the warnings.
pub(crate) fn planned<T>(
    packages: &[Package],
    options: &Options,
    finish: impl FnOnce(&Plan, Vec<Placed>, Vec<Warning>) -> T,
) -> Result<T, Errors> {
    // §1: a Package without a namespace takes --namespace when given.
    // A name or namespace written with the wrong type was reported by
    // `parse`; planning it would only add errors about its empty stand-in
    // (`uds.dev/user--`, a NetworkPolicy in namespace "").
    let misnamed = |p: &Package| {
        p.invalid_fields
            .iter()
            .any(|f| f == "metadata.name" || f == "metadata.namespace")
    };
    let filled: Vec<Package> = match &options.default_namespace {
        Some(ns) => packages
            .iter()
            .filter(|p| p.namespace.is_empty() && !misnamed(p))
            .map(|p| Package {
                namespace: ns.clone(),
                ..p.clone()
            })
            .collect(),
        None => Vec::new(),
    };
    let packages: Vec<&Package> = packages
        .iter()
        .filter(|p| filled.is_empty() || !p.namespace.is_empty())
        .chain(&filled)
        .collect();

    let release = options.uds_core;
    let behaviour = release.behaviour();
    let mut errors = validate::one_package_per_namespace(&packages);
    let mut valid: Vec<&Package> = Vec::with_capacity(packages.len());
    for pkg in packages {
        let cx = validate::Context {
            mode: plan::mode_of(pkg, options),
            gateway_ports: &options.gateway_ports,
            release,
            behaviour,
            mode_defaulted: pkg.mode.is_none(),
        };
        let problems = validate::package(pkg, &cx);
        if problems.is_empty() && !misnamed(pkg) {
            valid.push(pkg);
        }
        errors.extend(problems);
    }
    let plan = Plan::new(valid, options);
    errors.extend(conflicts::all(&plan));
    let mut placed = build::objects(&plan);
    errors.extend(check::refused_specs(&placed));
    errors.extend(check::metadata(&placed));
    errors.extend(check::collisions(&placed));
    if !errors.is_empty() {
        return Err(Errors(errors).sorted());
    }
    order::in_spec_order(&mut placed);
    let warnings = warnings::all(&plan);
    Ok(finish(&plan, placed, warnings))
}
