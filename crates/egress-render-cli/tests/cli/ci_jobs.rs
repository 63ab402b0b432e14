//! The CI jobs of `docs/ci.md` run as written: the GitHub Actions job's
//! `run:` steps and the GitLab job's `script:` (less the install lines), in
//! a repository laid out as the doc's section 3, with the binary under test
//! as `egress-render` on PATH. The SARIF they write is validated against
//! the SARIF 2.1.0 schema.

use crate::harness::{repo, TempDir};
use crate::messages::valid_sarif;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// `docs/ci.md`.
fn doc() -> String {
    std::fs::read_to_string(repo().join("docs/ci.md")).expect("docs/ci.md")
}

/// The contents of the fenced code block after each line `marker`.
fn blocks_after(doc: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let open = rest.find("```").expect("a fence after the marker");
        let body_start = open + rest[open..].find('\n').expect("fence line") + 1;
        let close = body_start + rest[body_start..].find("\n```").expect("closing fence");
        out.push(rest[body_start..=close].to_string());
    }
    out
}

/// The one block after `marker`.
fn block_after(doc: &str, marker: &str) -> String {
    let blocks = blocks_after(doc, marker);
    assert_eq!(blocks.len(), 1, "one block after {marker}");
    blocks.into_iter().next().unwrap()
}

/// The `render-egress` script of section 2.
fn render_egress_script(doc: &str) -> String {
    let start = doc
        .find("#!/bin/sh\n# render-egress:")
        .expect("the render-egress script");
    let end = start + doc[start..].find("\n```").expect("its end");
    doc[start..=end].to_string()
}

/// A repository as in section 3: `packages/shop.yaml` (the drifted
/// version when `drift`), its committed `rendered/egress.yaml`, the
/// `render-egress` script, and `egress-render` on PATH; the PATH.
fn repository(dir: &Path, drift: bool) -> String {
    let doc = doc();
    let packages = blocks_after(&doc, "<!-- file: packages/shop.yaml -->");
    assert_eq!(packages.len(), 2, "the package and its drifted version");
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("packages/shop.yaml", &packages[usize::from(drift)]);
    write(
        "rendered/egress.yaml",
        &block_after(&doc, "<!-- file: rendered/egress.yaml -->"),
    );
    write("render-egress", &render_egress_script(&doc));
    let script = dir.join("render-egress");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_egress-render"),
        bin.join("egress-render"),
    )
    .unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Run `script` with bash in `dir`; its exit status.
fn bash(dir: &Path, path: &str, script: &str) -> i32 {
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    eprintln!(
        "$ {script}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.code().expect("an exit status")
}

/// The YAML of the job after `marker`, as JSON.
fn job(marker: &str) -> Value {
    let yaml = block_after(&doc(), marker);
    serde_saphyr::from_str(&yaml).expect("the job is YAML")
}

/// The GitHub job's `run:` steps that use egress-render (not the install).
fn github_steps() -> Vec<String> {
    let job = job("<!-- ci: github -->");
    let steps = job["jobs"]["egress-render"]["steps"]
        .as_array()
        .expect("steps");
    let runs: Vec<String> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .filter(|r| !r.contains("cargo install"))
        .map(String::from)
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    assert!(runs
        .iter()
        .all(|r| r.contains("egress-render") || r.contains("./render-egress")));
    runs
}

#[test]
fn the_github_actions_job_passes_on_a_current_rendering() {
    let dir = TempDir::new();
    let path = repository(&dir, false);
    for step in github_steps() {
        assert_eq!(bash(&dir, &path, &step), 0, "step failed: {step}");
    }
    let errors = valid_sarif(&std::fs::read_to_string(dir.join("egress.sarif")).unwrap());
    assert_eq!(errors["runs"][0]["results"], Value::Array(Vec::new()));
    let report = valid_sarif(&std::fs::read_to_string(dir.join("egress-report.sarif")).unwrap());
    let findings = report["runs"][0]["results"].as_array().unwrap();
    assert!(!findings.is_empty(), "the example has findings");
    assert_eq!(
        findings[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "packages/shop.yaml"
    );
}

#[test]
fn the_github_actions_job_fails_on_drift_and_uploads_it() {
    let dir = TempDir::new();
    let path = repository(&dir, true);
    let statuses: Vec<i32> = github_steps()
        .iter()
        .map(|step| bash(&dir, &path, step))
        .collect();
    // The check fails; the SARIF steps (`if: always()`) do not.
    assert_eq!(statuses[0], 1);
    assert!(statuses[1..].iter().all(|&s| s == 0), "{statuses:?}");
    let log = valid_sarif(&std::fs::read_to_string(dir.join("egress.sarif")).unwrap());
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    assert_eq!(results[0]["ruleId"], "drift");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "rendered/egress.yaml"
    );
}

/// The GitLab job's script, less the install lines, as one bash script.
fn gitlab_script() -> String {
    let job = job("<!-- ci: gitlab -->");
    let lines: Vec<&str> = job["egress-render"]["script"]
        .as_array()
        .expect("script")
        .iter()
        .map(|l| l.as_str().expect("a script line"))
        .filter(|l| !l.contains("cargo install") && !l.contains("apt-get"))
        .collect();
    assert!(lines.iter().any(|l| l.contains("--message-format json")));
    lines.join("\n")
}

/// Whether `jq` is on PATH (the GitLab job installs it when missing).
fn have_jq() -> bool {
    Command::new("jq").arg("--version").output().is_ok()
}

#[test]
fn the_gitlab_job_turns_json_messages_into_code_quality() {
    let script = gitlab_script();
    if !have_jq() {
        eprintln!("jq is not installed: running only the job's egress-render line");
    }
    let script = if have_jq() {
        script
    } else {
        script
            .lines()
            .filter(|l| l.contains("egress-render") || l.starts_with("exit"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Current: exit 0, no messages, an empty report.
    let dir = TempDir::new();
    let path = repository(&dir, false);
    assert_eq!(bash(&dir, &path, &script), 0);
    assert_eq!(
        std::fs::read_to_string(dir.join("egress-messages.jsonl")).unwrap(),
        ""
    );
    // Drift: egress-render's status, and the drift in the report.
    let dir = TempDir::new();
    let path = repository(&dir, true);
    assert_eq!(bash(&dir, &path, &script), 1);
    let messages = std::fs::read_to_string(dir.join("egress-messages.jsonl")).unwrap();
    let drift: Value = serde_json::from_str(messages.trim()).expect("one JSON line");
    assert_eq!(drift["code"], "drift");
    if have_jq() {
        let quality: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("gl-code-quality.json")).unwrap(),
        )
        .expect("Code Quality JSON");
        let entry = &quality[0];
        assert_eq!(entry["check_name"], "drift");
        assert_eq!(entry["severity"], "major");
        assert_eq!(entry["location"]["path"], "rendered/egress.yaml");
        assert_eq!(entry["location"]["lines"]["begin"], 1);
        assert!(entry["fingerprint"].as_str().is_some_and(|f| !f.is_empty()));
    }
}
