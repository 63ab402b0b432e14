//! The egress audit report as data, over `fixtures/report/*.yaml`: it
//! fails as the render does, names only rendered objects, does not depend
//! on input order, and covers the render's warnings and every finding.
//! The report's layout and its snapshots (`snapshots/report/`) are tested
//! through the CLI (`crates/egress-render-cli/tests/`).
//!
//! A fixture may set options in a `# options:` line as the render fixtures
//! do.

use egress_render::{
    diff, parse, render, report, Errors, FindingCode, Options, Package, Report, WarningKind,
};
use std::path::{Path, PathBuf};

mod common;

use common::fixture_options;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// The packages of a fixture file, labelled by its path from the repository
/// root, and parse errors.
fn load(path: &Path) -> (Vec<Package>, Errors, Options) {
    let bytes = std::fs::read(path).expect("fixture is readable");
    let path = path.canonicalize().expect("fixture path");
    let label = path
        .strip_prefix(root())
        .unwrap_or(&path)
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/");
    let parsed = parse(&label, &bytes);
    let options = fixture_options(&String::from_utf8_lossy(&bytes));
    (parsed.packages, Errors(parsed.errors), options)
}

fn report_of(path: &Path) -> Result<(Report, Vec<Package>, Options), Errors> {
    let (packages, errors, options) = load(path);
    match report(&packages, &options) {
        Ok(r) if errors.is_empty() => Ok((r, packages, options)),
        Ok(_) => Err(errors.sorted()),
        Err(e) => {
            let mut all = errors.0;
            all.extend(e);
            Err(Errors(all).sorted())
        }
    }
}

fn fixture_dir(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

fn report_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir("report"))
        .expect("fixtures/report")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "report fixtures missing");
    files
}

/// The invalid fixture fails the report with exactly the render's errors.
#[test]
fn invalid_input_fails_as_render_does() {
    let (packages, _, options) = load(&fixture_dir("report").join("invalid-input.yaml"));
    let render_errors = render(&packages, &options).expect_err("invalid");
    let report_errors = report(&packages, &options).expect_err("invalid");
    assert_eq!(report_errors, render_errors);
    assert!(report_errors.len() >= 2, "{report_errors}");
}

/// Every object a report names is an object the render emits, with the
/// same kind, namespace and name (the report reuses the render's names).
#[test]
fn every_named_object_is_rendered() {
    for path in report_fixtures() {
        let Ok((r, packages, options)) = report_of(&path) else {
            continue;
        };
        let rendered = render(&packages, &options).expect("renders");
        let objects: Vec<(&str, &str, &str, &str)> = rendered
            .manifests
            .iter()
            .map(|m| (m.api_version(), m.kind(), m.namespace(), m.name()))
            .collect();
        for a in &r.access {
            for o in a.enforced_by.iter().chain([&a.path]) {
                let key = (o.api_version, o.kind, o.namespace.as_str(), o.name.as_str());
                assert!(
                    objects.contains(&key),
                    "{}: {key:?} is not rendered",
                    path.display()
                );
            }
        }
    }
}

/// The report depends on the set of packages, not on their order.
#[test]
fn report_is_order_independent() {
    for path in report_fixtures() {
        let Ok((r, mut packages, options)) = report_of(&path) else {
            continue;
        };
        packages.reverse();
        let reversed = report(&packages, &options).expect("valid");
        assert_eq!(r, reversed, "{}", path.display());
        assert!(diff(&r, &reversed).is_empty(), "{}", path.display());
    }
}

/// The findings cover the render's warnings: each shared-access and
/// deprecated-labels warning has a finding of the same package and rule.
#[test]
fn findings_cover_render_warnings() {
    let mut checked = 0;
    for path in report_fixtures() {
        let Ok((r, packages, options)) = report_of(&path) else {
            continue;
        };
        let rendered = render(&packages, &options).expect("renders");
        for w in &rendered.warnings {
            let code = match w.kind {
                WarningKind::SharedAccess => FindingCode::SharedAccess,
                WarningKind::DeprecatedLabels => FindingCode::DeprecatedLabels,
                _ => continue,
            };
            let found = r.findings.iter().any(|f| {
                f.code == code
                    && f.origins.iter().any(|o| {
                        format!("{}/{}", o.namespace, o.package) == w.package
                            && w.rule.is_none_or(|i| o.rules.contains(&i))
                    })
            });
            assert!(found, "{}: no finding for {w}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 2, "fixtures should raise each warning kind");
}

/// Each finding code the issue asks for is raised by some fixture, and the
/// DNS note is raised exactly once per report with egress.
#[test]
fn every_finding_is_covered_by_a_fixture() {
    let mut seen = Vec::new();
    for path in report_fixtures() {
        let Ok((r, _, _)) = report_of(&path) else {
            continue;
        };
        let dns = r
            .findings
            .iter()
            .filter(|f| f.code == FindingCode::DnsExfiltration)
            .count();
        assert_eq!(dns, usize::from(!r.access.is_empty()), "{}", path.display());
        seen.extend(r.findings.iter().map(|f| (f.code, f.severity)));
    }
    use egress_render::Severity::*;
    for expected in [
        (FindingCode::CleartextHttp, High),
        (FindingCode::TlsPassthrough, Low),
        (FindingCode::UnscopedIdentity, High),
        (FindingCode::SharedHost, Low),
        (FindingCode::SharedAccess, Medium),
        (FindingCode::AnywhereParticipant, Medium),
        (FindingCode::DeprecatedLabels, Low),
        (FindingCode::DnsExfiltration, Info),
        (FindingCode::MeshBypass, Info),
    ] {
        assert!(seen.contains(&expected), "no fixture raises {expected:?}");
    }
}
