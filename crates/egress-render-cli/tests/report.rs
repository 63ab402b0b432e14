//! `egress-render report`, end to end through the real binary: exit codes,
//! stdout and stderr kept apart, each format, the render options, and
//! `--diff-base`. The report's content is pinned by the core's fixture
//! snapshots; here the binary must print exactly what the library builds.

use egress_render::{diff, parse, report, Options, Report, UnscopedIdentity};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Run the binary from the repository root, so paths (and the labels
/// errors show) are relative, with `stdin` piped in.
fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_egress-render"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("binary finishes");
    Run {
        status: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

/// The library's report of one file, labelled as the binary labels it.
fn library_report(path: &str, options: &Options) -> Report {
    let bytes = std::fs::read(repo().join(path)).expect("readable");
    let parsed = parse(path, &bytes);
    assert!(parsed.errors.is_empty());
    report(&parsed.packages, options).expect("valid")
}

const AMBIENT: &str = "examples/ambient/package.yaml";
const SIDECAR: &str = "examples/sidecar/package.yaml";
const DIFF_BASE: &str = "fixtures/report-diff/adds-removes-widens/base.yaml";
const DIFF_HEAD: &str = "fixtures/report-diff/adds-removes-widens/head.yaml";
const INVALID: &str = "fixtures/report/invalid-input.yaml";

#[test]
fn default_format_is_the_table_and_fits_100_columns() {
    let r = run(&["report", AMBIENT]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let expected = library_report(AMBIENT, &Options::default()).to_table(100);
    assert_eq!(r.stdout, expected);
    assert!(r
        .stdout
        .starts_with("Egress audit: 1 access row from 1 package"));
    assert!(r
        .stdout
        .contains("egress-gw-1  pkg-1    ambient  sa curl  httpbin.org  443/TLS  0\n"));
    for line in r.stdout.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    let explicit = run(&["report", "--format", "table", AMBIENT]);
    assert_eq!(explicit.stdout, r.stdout);
}

#[test]
fn markdown_and_json_formats() {
    let lib = library_report(SIDECAR, &Options::default());
    let md = run(&["report", "--format", "markdown", SIDECAR]);
    assert_eq!(md.status, 0, "{}", md.stderr);
    assert_eq!(md.stdout, lib.to_markdown());
    assert!(md
        .stdout
        .contains("| egress-gw-1 | pkg-1 | sidecar | `app=curl` |"));

    let json = run(&["report", "--format", "json", SIDECAR]);
    assert_eq!(json.status, 0, "{}", json.stderr);
    assert_eq!(json.stdout, lib.to_json().expect("json"));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let row = &v["access"][0];
    // The documented field names (docs/report.md).
    assert_eq!(v["version"], 1);
    assert_eq!(row["namespace"], "egress-gw-1");
    assert_eq!(row["package"], "pkg-1");
    assert_eq!(row["mode"], "sidecar");
    assert_eq!(row["who"]["kind"], "selector");
    assert_eq!(row["who"]["selector"]["app"], "curl");
    assert_eq!(row["host"], "httpbin.org");
    assert_eq!(row["port"], 443);
    assert_eq!(row["protocol"], "TLS");
    assert_eq!(row["requested"], true);
    assert_eq!(row["rules"], serde_json::json!([0]));
    assert_eq!(row["path"]["name"], "gateway-httpbin-org");
    assert_eq!(row["enforcedBy"][1]["kind"], "Sidecar");
    assert_eq!(row["file"], SIDECAR);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        ["tls-passthrough", "dns-exfiltration", "mesh-bypass"]
    );
    assert_eq!(v["findings"][0]["severity"], "low");
    assert_eq!(
        v["findings"][0]["origins"][0]["rules"],
        serde_json::json!([0])
    );
}

/// The README shows the Markdown report of its example; it must be what
/// the binary prints today.
#[test]
fn readme_shows_the_current_markdown_report() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let section = readme
        .split("## Egress audit report")
        .nth(1)
        .expect("README has an 'Egress audit report' section");
    assert!(
        section.contains("egress-render report --format markdown examples/ambient/package.yaml")
    );
    let r = run(&["report", "--format", "markdown", AMBIENT]);
    assert_eq!(r.status, 0);
    assert!(
        section.contains(&r.stdout),
        "README's Egress audit report section is stale; paste:\n{}",
        r.stdout
    );
    let r = run(&["report", SIDECAR]);
    assert!(
        section.contains(&format!("```text\n{}```", r.stdout)),
        "README's sidecar table is stale; paste:\n{}",
        r.stdout
    );
}

#[test]
fn render_options_reach_the_report() {
    let pkg = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app, namespace: team-a}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: example.com, port: 9200}\n";

    let r = run_with_stdin(&["report", "--unscoped-identity", "namespace"], pkg);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("whole namespace (unscoped)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("HIGH    unscoped-identity"),
        "{}",
        r.stdout
    );

    let r = run_with_stdin(
        &[
            "report",
            "--format",
            "json",
            "--trust-domain",
            "example.org",
            "-",
        ],
        pkg,
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(
        v["access"][0]["who"]["principal"],
        "example.org/ns/team-a/sa/default"
    );
    assert_eq!(v["access"][0]["file"], "<stdin>");

    // --mode sidecar: 9200 is not exposed by the default gateway ports...
    let r = run_with_stdin(&["report", "--mode", "sidecar"], pkg);
    assert!(r.stdout.contains("all pods in namespace"), "{}", r.stdout);
    assert!(r.stdout.contains("MEDIUM  gateway-port"), "{}", r.stdout);
    // ...and is with --gateway-ports.
    let r = run_with_stdin(
        &["report", "--mode", "sidecar", "--gateway-ports", "443,9200"],
        pkg,
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("gateway-port"), "{}", r.stdout);

    // The library with the same options prints the same.
    let options = Options {
        unscoped_identity: UnscopedIdentity::Namespace,
        ..Options::default()
    };
    let parsed = parse("<stdin>", pkg.as_bytes());
    let lib = report(&parsed.packages, &options).expect("valid");
    let r = run_with_stdin(&["report", "--unscoped-identity", "namespace"], pkg);
    assert_eq!(r.stdout, lib.to_table(100));
}

#[test]
fn invalid_input_exits_1_with_errors_on_stderr_only() {
    let r = run(&["report", INVALID]);
    assert_eq!(r.status, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("error[§2.9 invalid-host]"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("error[§2.7 service-account]"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("error: 2 problem(s) found; nothing reported\n"),
        "{}",
        r.stderr
    );
    // The same errors as the main command prints.
    let render = run(&[INVALID]);
    assert_eq!(render.status, 1);
    let errors = |s: &str| s.rsplit_once("\n\nerror: ").map(|(e, _)| e.to_string());
    assert_eq!(errors(&r.stderr), errors(&render.stderr));

    let missing = run(&["report", "no/such/file.yaml"]);
    assert_eq!(missing.status, 1);
    assert_eq!(missing.stdout, "");
    assert!(missing.stderr.contains("cannot read no/such/file.yaml"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["report", "--format", "xml", AMBIENT][..],
        &["report", "--diff-base", "-", AMBIENT],
        &["report", "--mode", "hybrid", AMBIENT],
        &["report", "--no-such-flag"],
    ] {
        let r = run(args);
        assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
        assert!(r.stderr.starts_with("error:"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn no_egress_and_empty_input_succeed() {
    let r = run_with_stdin(&["report"], "");
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "No egress: no package has an allow rule with remoteHost.\n"
    );
    let r = run_with_stdin(&["report", "--format", "json", "-"], "");
    assert_eq!(
        r.stdout,
        "{\n  \"version\": 1,\n  \"access\": [],\n  \"findings\": []\n}\n"
    );
}

#[test]
fn diff_base_reports_only_the_change_in_each_format() {
    let options = Options::default();
    let lib = diff(
        &library_report(DIFF_BASE, &options),
        &library_report(DIFF_HEAD, &options),
    );
    let table = run(&["report", "--diff-base", DIFF_BASE, DIFF_HEAD]);
    assert_eq!(table.status, 0, "{}", table.stderr);
    assert_eq!(table.stderr, "");
    assert_eq!(table.stdout, lib.to_table(100));
    assert!(table
        .stdout
        .starts_with("Egress changes: 2 added, 2 widened, 1 removed;"));
    for line in table.stdout.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }

    let md = run(&[
        "report",
        "--format",
        "markdown",
        "--diff-base",
        DIFF_BASE,
        DIFF_HEAD,
    ]);
    assert_eq!(md.stdout, lib.to_markdown());
    assert!(md.stdout.contains(
        "| widened | team-b | b | sidecar | all pods in namespace `team-b`<br>was `app=web` |"
    ));

    let json = run(&[
        "report",
        "--format",
        "json",
        "--diff-base",
        DIFF_BASE,
        DIFF_HEAD,
    ]);
    assert_eq!(json.stdout, lib.to_json().expect("json"));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v["added"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["widened"][0]["was"][0]["serviceAccount"], "api");
    assert_eq!(
        v["widened"][0]["access"]["who"]["kind"],
        "default-service-account"
    );
    assert_eq!(v["removed"][0]["host"], "old.example.com");
    assert_eq!(v["newFindings"][0]["code"], "cleartext-http");
    assert_eq!(v["resolvedFindings"][0]["code"], "tls-passthrough");

    // A directory works as a base (its other documents, here the rendered
    // manifests, are skipped); against the same Package nothing changed.
    let same = run(&["report", "--diff-base", "examples/ambient", AMBIENT]);
    assert_eq!(same.status, 0, "{}", same.stderr);
    assert_eq!(same.stdout, "No change to egress access or findings.\n");
}

#[test]
fn an_invalid_or_missing_base_exits_1() {
    let r = run(&["report", "--diff-base", INVALID, AMBIENT]);
    assert_eq!(r.status, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("error[§2.9 invalid-host]"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("error: 2 problem(s) found in --diff-base; nothing reported\n"),
        "{}",
        r.stderr
    );
    let r = run(&["report", "--diff-base", "no/such/dir", AMBIENT]);
    assert_eq!(r.status, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("cannot read no/such/dir"), "{}", r.stderr);
}

/// Adding the subcommand did not change the main command.
#[test]
fn plain_invocation_still_renders_manifests() {
    let r = run(&[AMBIENT]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let expected =
        std::fs::read_to_string(repo().join("examples/ambient/rendered.yaml")).expect("example");
    assert_eq!(r.stdout, expected);
}
