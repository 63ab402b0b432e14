//! `egress-render report`, end to end through the real binary: exit codes,
//! stdout and stderr kept apart, each format, the render options, and
//! `--diff-base`.
//!
//! The layout is pinned by snapshots of the binary's output:
//! - `fixtures/report/<case>.yaml` → `snapshots/report/report@<case>.yaml.snap`
//!   holds the report in its three formats (table at 100 columns, Markdown,
//!   JSON), or the errors;
//! - `fixtures/report-diff/<case>/{base,head}.yaml` →
//!   `snapshots/report/diff@<case>__head.yaml.snap` holds the diff in its
//!   three formats.
//!
//! A fixture may set options in a `# options:` line as the render fixtures
//! do; a diff case takes them from `head.yaml` for both sides. The JSON is
//! the library's: the binary must print exactly what it builds.

use crate::harness::{fixture_flags, from_repo, repo, Run, TempDir, Test};
use egress_render::{diff, parse, report, Mode, Options, Release, Report};

/// Run the binary from the repository root, so paths (and the labels
/// errors show) are relative, with `stdin` piped in.
fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    Test::new().args(args).stdin(stdin).run()
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

/// One section (`table (100 columns)`, `markdown`) of a committed report
/// snapshot: the text the binary prints for that fixture.
fn pinned(snapshot: &str, section: &str) -> String {
    let path = repo()
        .join("snapshots/report")
        .join(format!("{snapshot}.snap"));
    let text = std::fs::read_to_string(&path).expect("snapshot is readable");
    let marker = format!("\n=== {section} ===\n");
    let start = text.find(&marker).expect("section in the snapshot") + marker.len();
    let rest = &text[start..];
    rest[..rest.find("\n=== ").unwrap_or(rest.len())].to_string()
}

/// `report` with `args` in each format, as the snapshots show them: the
/// three outputs, or the errors when the input is invalid.
fn three_formats(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for format in ["table", "markdown", "json"] {
        let run = run(&[&["report", "--format", format], &args[..]].concat());
        if run.code == Some(1) {
            run.stdout("");
            let (errors, count) = run.stderr.rsplit_once("\nerror: ").expect("a count");
            assert!(
                count.ends_with(" problem(s) found; nothing reported\n"),
                "{count}"
            );
            return format!("=== errors ===\n{errors}");
        }
        run.status(0).stderr("");
        out.push(run.stdout);
    }
    format!(
        "=== table (100 columns) ===\n{}\n=== markdown ===\n{}\n=== json ===\n{}",
        out[0], out[1], out[2]
    )
}

#[test]
fn report_fixtures_match_their_snapshots() {
    insta::glob!("../../../../fixtures/report", "*.yaml", |path| {
        let mut args = fixture_flags(path);
        args.push(from_repo(path));
        let text = three_formats(&args);
        insta::with_settings!({
            snapshot_path => "../../../../snapshots/report",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            input_file => path,
        }, {
            insta::assert_snapshot!("report", text);
        });
    });
}

#[test]
fn diff_fixtures_match_their_snapshots() {
    insta::glob!(
        "../../../../fixtures/report-diff",
        "*/head.yaml",
        |head_path| {
            let mut args = fixture_flags(head_path);
            args.push("--diff-base".to_string());
            args.push(from_repo(&head_path.with_file_name("base.yaml")));
            args.push(from_repo(head_path));
            let text = three_formats(&args);
            assert!(!text.starts_with("=== errors"), "{text}");
            insta::with_settings!({
                snapshot_path => "../../../../snapshots/report",
                prepend_module_to_snapshot => false,
                omit_expression => true,
                input_file => head_path,
            }, {
                insta::assert_snapshot!("diff", text);
            });
        }
    );
}

/// No line of any table (report or diff) passes 100 columns.
#[test]
fn tables_fit_100_columns() {
    let dir = TempDir::new();
    let empty = dir.write("empty.yaml", "");
    let empty = empty.to_str().expect("UTF-8 path");
    let mut tables = Vec::new();
    for entry in std::fs::read_dir(repo().join("fixtures/report")).expect("fixtures/report") {
        let path = entry.expect("entry").path();
        let flags = fixture_flags(&path);
        let name = from_repo(&path);
        let report = |more: &[&str]| {
            let flags = flags.iter().map(String::as_str);
            run(&["report"]
                .into_iter()
                .chain(flags)
                .chain(more.to_vec())
                .collect::<Vec<_>>())
        };
        let table = report(&[&name]);
        if table.code != Some(0) {
            continue;
        }
        let from_nothing = report(&["--diff-base", empty, &name]).stdout;
        let to_nothing = report(&["--diff-base", &name, empty]).stdout;
        tables.push((format!("diff from nothing to {name}"), from_nothing));
        tables.push((format!("diff from {name} to nothing"), to_nothing));
        tables.push((name, table.stdout));
    }
    assert!(tables.len() >= 30, "report fixtures missing");
    let long = tables
        .iter()
        .find(|(name, _)| name.ends_with("long-names.yaml"))
        .expect("long-names fixture");
    assert!(
        long.1.lines().any(|l| l.chars().count() > 90),
        "the long-names fixture should need wrapping"
    );
    for (name, table) in &tables {
        assert!(!table.is_empty(), "{name}");
        for line in table.lines() {
            assert!(
                line.chars().count() <= 100,
                "{name}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
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
    r.status(0).stderr("");
    // The example is the fixture `report/ambient-seed-example.yaml`.
    let expected = pinned("report@ambient-seed-example.yaml", "table (100 columns)");
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
    md.status(0);
    // The example is the fixture `report/sidecar-seed-example.yaml`.
    assert_eq!(
        md.stdout,
        pinned("report@sidecar-seed-example.yaml", "markdown")
    );
    assert!(md
        .stdout
        .contains("| egress-gw-1 | pkg-1 | sidecar | `app=curl` |"));

    let json = run(&["report", "--format", "json", SIDECAR]);
    json.status(0);
    assert_eq!(json.stdout, lib.to_json().expect("json"));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    let row = &v["access"][0];
    // The documented field names (docs/report.md).
    assert_eq!(v["version"], 2);
    assert_eq!(v["udsCore"], "1.11");
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
    r.status(0);
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

    // A rule without serviceAccount admits the namespace (SPEC §4).
    let r = run_with_stdin(&["report"], pkg);
    r.status(0)
        .stdout_contains("whole namespace (unscoped)")
        .stdout_contains("HIGH    unscoped-identity")
        .stdout_contains("AuthorizationPolicy ambient-ap-example-com");

    // --uds-core picks the release whose objects the rows come from.
    let r = run_with_stdin(
        &[
            "report",
            "--format",
            "json",
            "--uds-core",
            "0.58",
            "--mode",
            "ambient",
            "-",
        ],
        pkg,
    );
    r.status(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["udsCore"], "0.58");
    assert_eq!(v["access"][0]["who"]["kind"], "namespace");
    assert_eq!(
        v["access"][0]["enforcedBy"][1]["name"],
        "example-com-egress"
    );
    assert_eq!(v["access"][0]["file"], "<stdin>");
    // The library with the same options prints the same.
    let options = Options {
        uds_core: Release::new(0, 58),
        default_mode: Some(Mode::Ambient),
        ..Options::default()
    };
    let parsed = parse("<stdin>", pkg.as_bytes());
    let lib = report(&parsed.packages, &options).expect("valid");
    assert_eq!(r.stdout, lib.to_json().expect("json"));

    // --mode sidecar: 9200 is not exposed by the default gateway ports, so
    // the operator fails the package and so does the report...
    let r = run_with_stdin(&["report", "--mode", "sidecar"], pkg);
    r.status(1)
        .stdout("")
        .stderr_contains("error[gateway-port]");
    // ...and it renders with --gateway-ports.
    let r = run_with_stdin(
        &["report", "--mode", "sidecar", "--gateway-ports", "443,9200"],
        pkg,
    );
    r.status(0).stdout_contains("all pods in namespace");
}

#[test]
fn invalid_input_exits_1_with_errors_on_stderr_only() {
    let r = run(&["report", INVALID]);
    r.status(1)
        .stdout("")
        .stderr_contains("error[invalid-host]")
        .stderr_contains("error[service-account]");
    assert!(
        r.stderr
            .ends_with("error: 2 problem(s) found; nothing reported\n"),
        "{}",
        r.stderr
    );
    // The same errors as the main command prints.
    let render = run(&[INVALID]);
    render.status(1);
    let errors = |s: &str| s.rsplit_once("\n\nerror: ").map(|(e, _)| e.to_string());
    assert_eq!(errors(&r.stderr), errors(&render.stderr));

    let missing = run(&["report", "no/such/file.yaml"]);
    missing
        .status(1)
        .stdout("")
        .stderr_contains("cannot read no/such/file.yaml");
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
        r.status(2).stdout("");
        assert!(r.stderr.starts_with("error:"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn no_egress_and_empty_input_succeed() {
    let r = run_with_stdin(&["report"], "");
    r.status(0);
    assert_eq!(
        r.stdout,
        "No egress: no package has an allow rule with remoteHost.\n"
    );
    let r = run_with_stdin(&["report", "--format", "json", "-"], "");
    assert_eq!(
        r.stdout,
        "{\n  \"version\": 2,\n  \"udsCore\": \"1.11\",\n  \"access\": [],\n  \"findings\": []\n}\n"
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
    table.status(0).stderr("");
    assert_eq!(
        table.stdout,
        pinned("diff@adds-removes-widens__head.yaml", "table (100 columns)")
    );
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
    assert_eq!(
        md.stdout,
        pinned("diff@adds-removes-widens__head.yaml", "markdown")
    );
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
    assert_eq!(v["widened"][0]["access"]["who"]["kind"], "namespace");
    assert_eq!(v["removed"][0]["host"], "old.example.com");
    assert_eq!(v["newFindings"][0]["code"], "cleartext-http");
    assert_eq!(v["resolvedFindings"][0]["code"], "tls-passthrough");

    // A directory works as a base (its other documents, here the rendered
    // manifests, are skipped); against the same Package nothing changed.
    let same = run(&["report", "--diff-base", "examples/ambient", AMBIENT]);
    same.status(0);
    assert_eq!(same.stdout, "No change to egress access or findings.\n");
}

#[test]
fn an_invalid_or_missing_base_exits_1() {
    let r = run(&["report", "--diff-base", INVALID, AMBIENT]);
    r.status(1)
        .stdout("")
        .stderr_contains("error[invalid-host]");
    assert!(
        r.stderr
            .ends_with("error: 2 problem(s) found in --diff-base; nothing reported\n"),
        "{}",
        r.stderr
    );
    let r = run(&["report", "--diff-base", "no/such/dir", AMBIENT]);
    r.status(1)
        .stdout("")
        .stderr_contains("cannot read no/such/dir");
}

/// Adding the subcommand did not change the main command.
#[test]
fn plain_invocation_still_renders_manifests() {
    let r = run(&[AMBIENT]);
    r.status(0);
    let expected = std::fs::read_to_string(repo().join("examples/ambient/rendered-1.11.yaml"))
        .expect("example");
    assert_eq!(r.stdout, expected);
}
