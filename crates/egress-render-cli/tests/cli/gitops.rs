//! The GitOps CI workflow, end to end through the real binary: `--check`
//! against committed output, `--deny-warnings`, `-q`, every warning, and the
//! `completions` / `man` subcommands.

use crate::harness::{repo, Run, TempDir, Test};
use std::fs;
use std::path::Path;

/// `pkg.yaml --check rendered.yaml --message-format json` in `dir`: exit 1
/// and its one JSON message.
fn check_json(dir: &Path) -> serde_json::Value {
    let args = [
        "pkg.yaml",
        "--check",
        "rendered.yaml",
        "--message-format",
        "json",
    ];
    let r = run_in(dir, &args);
    r.status(1);
    serde_json::from_str(r.stderr.trim()).expect("one JSON line")
}

/// Run `egress-render` with `args` in `dir`, stdin closed.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    Test::new().current_dir(dir).args(args).run()
}

/// A fresh directory for one test, holding the given files.
fn workdir(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new();
    for (name, text) in files {
        dir.write(name, text);
    }
    dir
}

/// The sidecar example of UDS Core's egress documentation.
const SIDECAR: &str = "\
apiVersion: uds.dev/v1alpha1
kind: Package
metadata:
  name: pkg-1
  namespace: egress-gw-1
spec:
  network:
    serviceMesh:
      mode: sidecar
    allow:
      - direction: Egress
        port: 443
        remoteHost: httpbin.org
        selector:
          app: curl
";

/// Render `input` in `dir` and commit the output as `file`, as a user would.
fn commit_rendered(dir: &Path, input: &str, file: &str, extra: &[&str]) -> String {
    let mut args = vec![input];
    args.extend_from_slice(extra);
    let r = run_in(dir, &args);
    r.status(0);
    fs::write(dir.join(file), &r.stdout).expect("write committed output");
    r.stdout
}

#[test]
fn check_passes_silently_when_the_committed_file_is_current() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    commit_rendered(&dir, "pkg.yaml", "rendered.yaml", &[]);
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(0).stdout("").stderr("");
}

#[test]
fn check_prints_a_unified_diff_and_fails_on_drift() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let committed = commit_rendered(&dir, "pkg.yaml", "rendered.yaml", &[]);
    // Someone edited the package (port 8443) but committed the old output.
    fs::write(
        dir.join("pkg.yaml"),
        SIDECAR.replace("port: 443", "port: 8443"),
    )
    .unwrap();
    let r = run_in(
        &dir,
        &[
            "pkg.yaml",
            "--gateway-ports",
            "80,443,8443",
            "--check",
            "rendered.yaml",
        ],
    );
    r.status(1).stdout("");
    assert!(
        r.stderr
            .contains("--- rendered.yaml\t(committed)\n+++ rendered.yaml\t(rendered)\n@@ "),
        "diff headers: {}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("\n-  name: pkg-1-egress-httpbin-org-443-tls\n+  name: pkg-1-egress-httpbin-org-8443-tls\n"),
        "changed line: {}",
        r.stderr
    );
    r.stderr_contains(
        "\n-  - name: tls-443\n-    number: 443\n+  - name: tls-8443\n+    number: 8443\n",
    );
    r.stderr_contains("rendered.yaml is not what egress-render renders now");
    // The committed file is left alone.
    assert_eq!(
        fs::read_to_string(dir.join("rendered.yaml")).unwrap(),
        committed
    );
}

#[test]
fn check_fails_clearly_when_the_committed_file_is_missing() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let r = run_in(&dir, &["pkg.yaml", "--check", "not-there.yaml"]);
    r.status(1).stdout("");
    assert!(
        r.stderr
            .starts_with("error: --check: cannot read not-there.yaml: "),
        "{}",
        r.stderr
    );
    r.stderr_contains("help: render it first");
}

#[test]
fn check_with_json_output_compares_json() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let json = commit_rendered(&dir, "pkg.yaml", "rendered.json", &["-o", "json"]);
    assert!(json.starts_with("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\","));

    let r = run_in(
        &dir,
        &["pkg.yaml", "-o", "json", "--check", "rendered.json"],
    );
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (Some(0), "", "")
    );

    // The same file checked as YAML is a drift: the format is part of the check.
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.json"]);
    r.status(1)
        .stderr_contains("+apiVersion: networking.istio.io/v1\n");

    // A changed JSON line shows as one.
    fs::write(
        dir.join("rendered.json"),
        json.replace("\"number\": 443", "\"number\": 444"),
    )
    .unwrap();
    let r = run_in(
        &dir,
        &["pkg.yaml", "-o", "json", "--check", "rendered.json"],
    );
    r.status(1)
        .stdout("")
        .stderr_contains("--- rendered.json\t(committed)\n+++ rendered.json\t(rendered)\n");
    assert!(
        r.stderr
            .contains("\n-            \"number\": 444,\n+            \"number\": 443,\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_reports_input_errors_without_a_diff() {
    let bad = SIDECAR.replace("httpbin.org", "https://httpbin.org");
    let dir = workdir(&[("pkg.yaml", bad.as_str())]);
    fs::write(dir.join("rendered.yaml"), "").unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("").stderr_contains("invalid-host");
    assert!(!r.stderr.contains("(committed)"), "no diff: {}", r.stderr);
}

/// A committed file that differs from the rendering only in its line
/// endings (CRLF: a Windows checkout with `core.autocrlf`) still fails,
/// with one error that says so and how to fix it, not a diff in which every
/// line changed. A UTF-8 byte order mark is named the same way.
#[test]
fn check_names_crlf_line_endings_and_a_bom_instead_of_diffing_every_line() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let lf = commit_rendered(&dir, "pkg.yaml", "rendered.yaml", &[]);
    let help_crlf = "  = help: re-render it: run the same command with --write rendered.yaml in place of --check rendered.yaml; if git converts line endings on checkout (core.autocrlf), add `*.yaml text eol=lf` to .gitattributes\n";
    let help = "  = help: re-render it: run the same command with --write rendered.yaml in place of --check rendered.yaml\n";

    fs::write(dir.join("rendered.yaml"), lf.replace('\n', "\r\n")).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("").stderr(&format!(
        "error: rendered.yaml has CRLF (Windows) line endings where egress-render writes LF; otherwise it is what egress-render renders now\n{help_crlf}"
    ));

    // Some lines only (an editor that kept the endings it found).
    let lines = lf.lines().count();
    let mixed = lf.replacen('\n', "\r\n", 2);
    fs::write(dir.join("rendered.yaml"), mixed).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stderr(&format!(
        "error: rendered.yaml has CRLF (Windows) line endings on 2 of its {lines} lines where egress-render writes LF; otherwise it is what egress-render renders now\n{help_crlf}"
    ));

    fs::write(dir.join("rendered.yaml"), format!("\u{feff}{lf}")).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("").stderr(&format!(
        "error: rendered.yaml starts with a UTF-8 byte order mark (BOM), which egress-render does not write; otherwise it is what egress-render renders now\n{help}"
    ));

    fs::write(
        dir.join("rendered.yaml"),
        format!("\u{feff}{}", lf.replace('\n', "\r\n")),
    )
    .unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("").stderr(&format!(
        "error: rendered.yaml starts with a UTF-8 byte order mark (BOM), which egress-render does not write, and has CRLF (Windows) line endings where egress-render writes LF; otherwise it is what egress-render renders now\n{help_crlf}"
    ));

    // The machine formats: a drift message with no diff.
    let v = check_json(&dir);
    assert_eq!(v["code"], "drift");
    assert!(v.get("diff").is_none(), "{v}");
    assert!(v["help"].as_str().unwrap().contains("text eol=lf"), "{v}");

    // UTF-16 (PowerShell 5's `>`): said so, never diffed byte by byte.
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(lf.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    fs::write(dir.join("rendered.yaml"), utf16).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("").stderr("error: rendered.yaml is UTF-16 text (it starts with a UTF-16 byte order mark) where egress-render writes UTF-8, so it is not compared line by line\n  = help: re-render it: run the same command with --write rendered.yaml in place of --check rendered.yaml (PowerShell's `>` may write UTF-16)\n");

    // JSON output checked against a CRLF JSON file: the pattern is *.json.
    let json = commit_rendered(&dir, "pkg.yaml", "rendered.json", &["-o", "json"]);
    fs::write(dir.join("rendered.json"), json.replace('\n', "\r\n")).unwrap();
    let r = run_in(
        &dir,
        &["pkg.yaml", "-o", "json", "--check", "rendered.json"],
    );
    r.status(1)
        .stderr_contains("add `*.json text eol=lf` to .gitattributes");
}

/// A committed file that is stale and has CRLF line endings: the diff
/// shows only the lines whose content changed (compared with the line
/// endings normalised), and a note says the endings differ too.
#[test]
fn check_diffs_content_after_normalising_crlf_and_notes_it() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    commit_rendered(&dir, "pkg.yaml", "rendered.yaml", &[]);
    let lf = fs::read_to_string(dir.join("rendered.yaml")).unwrap();
    let stale = lf
        .replace("number: 443", "number: 444")
        .replace('\n', "\r\n");
    fs::write(dir.join("rendered.yaml"), stale).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("");
    let changed: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    // Only the ports changed: every other line, CRLF in the file, is equal.
    let ports = lf.matches("number: 443").count();
    assert!(ports > 0);
    assert_eq!(changed.len(), 2 * ports, "{}", r.stderr);
    assert!(
        changed
            .iter()
            .all(|l| (l.starts_with('-') && l.ends_with("number: 444"))
                || (l.starts_with('+') && l.ends_with("number: 443"))),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains('\r'), "{:?}", r.stderr);
    r.stderr_contains(
        "error: rendered.yaml is not what egress-render renders now (diff above: - committed, + rendered)\n  \
         = note: it also has CRLF (Windows) line endings where egress-render writes LF; the diff above leaves that out\n  \
         = help: re-render it: run the same command without --check and save its standard output as that file; if git converts line endings on checkout (core.autocrlf), add `*.yaml text eol=lf` to .gitattributes\n",
    );
    let v = check_json(&dir);
    assert_eq!(
        v["message"],
        "rendered.yaml is not what egress-render renders now; it also has CRLF (Windows) line endings where egress-render writes LF, which the diff leaves out"
    );
    assert!(v["diff"]
        .as_str()
        .unwrap()
        .contains("\n-    number: 444\n+    number: 443\n"));
}

/// A stale file far bigger than the rendering gives a bounded diff: 2,000
/// lines after the headers, then a line that counts what is left out, and
/// a help line on how to see the whole diff. The JSON `diff` is the same
/// bounded text. (A 130 MB stale file printed a 266 MB diff.)
#[test]
fn check_prints_at_most_2000_lines_of_diff() {
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let rendered = commit_rendered(&dir, "pkg.yaml", "rendered.yaml", &[]);
    let stale: String = (0..10_000).map(|i| format!("stale-{i}\n")).collect();
    fs::write(dir.join("rendered.yaml"), format!("{stale}{rendered}")).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1).stdout("");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2 + 2_000 + 3, "{}", &r.stderr[..2000]);
    assert_eq!(
        lines[..3],
        [
            "--- rendered.yaml\t(committed)",
            "+++ rendered.yaml\t(rendered)",
            "@@ -1,10003 +1,3 @@"
        ]
    );
    assert_eq!(lines[3], "-stale-0");
    assert_eq!(lines[2_001], "-stale-1998");
    assert_eq!(
        lines[2_002..],
        [
            "… and 8,001 more changed lines (1 hunk) not shown",
            "error: rendered.yaml is not what egress-render renders now (diff above, cut short: - committed, + rendered)",
            "  = help: re-render it: run the same command without --check and save its standard output as that file; \
             to see the whole diff, save that output as another file instead and run `diff -u rendered.yaml OTHER` \
             (or `git diff --no-index rendered.yaml OTHER`)",
        ]
    );

    let v = check_json(&dir);
    assert_eq!(
        v["message"],
        "rendered.yaml is not what egress-render renders now; the diff shows its first 2,000 lines, 8,001 more changed lines (1 hunk) are not shown"
    );
    let diff = v["diff"].as_str().unwrap();
    assert_eq!(diff.lines().count(), 2 + 2_000 + 1);
    assert!(diff.ends_with("\n-stale-1998\n… and 8,001 more changed lines (1 hunk) not shown\n"));

    // Many hunks: the ones not reached are counted too. 600 packages, and
    // one line of each one's Sidecar changed: a hunk of its own.
    let fleet: String = (0..600)
        .map(|i| {
            SIDECAR
                .replace("pkg-1", &format!("pkg-{i}"))
                .replace("egress-gw-1", &format!("ns-{i}"))
                + "---\n"
        })
        .collect();
    let fleet_dir = workdir(&[("fleet.yaml", fleet.as_str())]);
    let fleet_rendered = commit_rendered(&fleet_dir, "fleet.yaml", "rendered.yaml", &[]);
    let registry_only = "\n    mode: REGISTRY_ONLY\n";
    assert_eq!(fleet_rendered.matches(registry_only).count(), 600);
    let stale = fleet_rendered.replace(registry_only, "\n    mode: ALLOW_ANY\n");
    fs::write(fleet_dir.join("rendered.yaml"), stale).unwrap();
    let r = run_in(&fleet_dir, &["fleet.yaml", "--check", "rendered.yaml"]);
    r.status(1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2 + 2_000 + 3, "{}", r.stderr.len());
    let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
    let (minus, plus) = (
        count("-    mode: ALLOW_ANY"),
        count("+    mode: REGISTRY_ONLY"),
    );
    assert!(minus > 200, "{minus}");
    // The last hunk shown is cut, so it is counted among those not shown.
    let hunks = count("@@ ");
    assert_eq!(
        lines[2_002],
        format!(
            "… and {} more changed lines ({} hunks) not shown",
            (600 - minus) + (600 - plus),
            600 - hunks + 1,
        ),
    );

    // A line longer than the byte bound is cut: the diff stays small.
    let long = "x".repeat(1 << 20);
    fs::write(dir.join("rendered.yaml"), format!("{long}\n{rendered}")).unwrap();
    let r = run_in(&dir, &["pkg.yaml", "--check", "rendered.yaml"]);
    r.status(1);
    assert!(r.stderr.len() < 260 * 1024, "{} bytes", r.stderr.len());
    r.stderr_contains("xxxx…\n… and 1 more changed line (1 hunk) not shown\nerror: ");
}

/// The sidecar package with `port` beside `ports`: it renders, with a
/// port-ignored warning (SPEC §4).
fn port_ignored() -> String {
    SIDECAR.replace("port: 443", "port: 8443\n        ports: [443]")
}

#[test]
fn deny_warnings_prints_the_warnings_and_fails_with_empty_stdout() {
    let input = port_ignored();
    let dir = workdir(&[("pkg.yaml", input.as_str())]);

    let r = run_in(&dir, &["pkg.yaml", "--deny-warnings"]);
    r.status(1)
        .stdout("")
        .stderr_contains("warning[port-ignored]: port 8443 is ignored");
    assert!(
        r.stderr
            .ends_with("error: 1 warning(s) denied by --deny-warnings\n"),
        "{}",
        r.stderr
    );

    // -q does not hide why a denied run failed.
    let r = run_in(&dir, &["pkg.yaml", "--deny-warnings", "-q"]);
    r.status(1)
        .stdout("")
        .stderr_contains("warning[port-ignored]");

    // And --check does not let a warning through either.
    fs::write(dir.join("rendered.yaml"), "").unwrap();
    let r = run_in(
        &dir,
        &["pkg.yaml", "--deny-warnings", "--check", "rendered.yaml"],
    );
    r.status(1);
    assert!(!r.stderr.contains("(committed)"), "{}", r.stderr);

    // Without warnings, --deny-warnings changes nothing.
    let dir = workdir(&[("pkg.yaml", SIDECAR)]);
    let r = run_in(&dir, &["pkg.yaml", "--deny-warnings"]);
    r.status(0);
    assert!(r
        .stdout
        .starts_with("---\napiVersion: networking.istio.io/v1\n"));
    r.stderr("");
}

#[test]
fn deny_warnings_still_reports_other_problems() {
    let input = port_ignored();
    let dir = workdir(&[("pkg.yaml", input.as_str())]);
    let r = run_in(&dir, &["pkg.yaml", "missing.yaml", "--deny-warnings"]);
    r.status(1)
        .stdout("")
        .stderr_contains("warning[port-ignored]")
        .stderr_contains("error: cannot read missing.yaml");
}

#[test]
fn warnings_go_to_stderr_and_quiet_drops_them() {
    let input = port_ignored();
    let dir = workdir(&[("pkg.yaml", input.as_str())]);
    let loud = run_in(&dir, &["pkg.yaml"]);
    loud.status(0);
    assert!(
        loud.stderr.starts_with("warning[port-ignored]"),
        "{}",
        loud.stderr
    );
    assert!(!loud.stdout.contains("warning"));

    let quiet = run_in(&dir, &["pkg.yaml", "-q"]);
    quiet.status(0).stderr("");
    assert_eq!(quiet.stdout, loud.stdout);

    let quiet = run_in(&dir, &["pkg.yaml", "--quiet"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (Some(0), ""));

    // -q hides warnings, not errors.
    let r = run_in(&dir, &["pkg.yaml", "missing.yaml", "-q"]);
    r.status(1)
        .stderr_contains("error: cannot read missing.yaml");
    assert!(!r.stderr.contains("warning["));
}

/// The warnings of one sidecar-mode render of `input`, as printed.
fn warnings_of(input: &str, extra: &[&str]) -> String {
    let dir = workdir(&[("pkg.yaml", input)]);
    let mut args = vec!["pkg.yaml", "--mode", "sidecar"];
    args.extend_from_slice(extra);
    let r = run_in(&dir, &args);
    r.status(0);
    assert!(!r.stdout.is_empty());
    r.stderr
}

/// A Package in namespace `shop` named `web` with these `allow[]` entries.
fn package(allow: &str) -> String {
    format!(
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  network:\n    allow:\n{allow}"
    )
}

#[test]
fn gateway_port_error_names_package_host_and_fix() {
    let input = package(
        "      - direction: Egress\n        remoteHost: search.example.com\n        ports: [443, 9200]\n",
    );
    let dir = workdir(&[("pkg.yaml", input.as_str())]);
    let r = run_in(&dir, &["pkg.yaml", "--mode", "sidecar"]);
    r.status(1).stdout("");
    assert_eq!(
        r.stderr,
        "error[gateway-port]: search.example.com uses port 9200, which the egress gateway does not expose (it exposes 80, 443); UDS Core fails the package\n  \
         --> pkg.yaml:11:16, document 1, package shop/web, allow[0].ports\n  \
         = help: expose port 9200 on the istio-egress-gateway Service (a service.ports override of the egress gateway chart) and pass --gateway-ports 80,443,9200, or use an exposed port\n\n\
         error: 1 problem(s) found; nothing rendered\n"
    );
    // Doing what it says renders it, with no warning.
    assert_eq!(warnings_of(&input, &["--gateway-ports", "80,443,9200"]), "");
    // Ambient mode has no egress gateway, so no such error.
    let r = run_in(&dir, &["pkg.yaml", "--mode", "ambient"]);
    assert_eq!((r.code, r.stderr.as_str()), (Some(0), ""));
}

#[test]
fn port_ignored_warning_names_both_ports_and_fix() {
    let input = package(
        "      - direction: Egress\n        remoteHost: search.example.com\n        port: 8443\n        ports: [443]\n",
    );
    let dir = workdir(&[("pkg.yaml", input.as_str())]);
    let r = run_in(&dir, &["pkg.yaml"]);
    r.status(0)
        .stderr(
            "warning[port-ignored]: port 8443 is ignored for the Istio objects because ports [443] is also given: UDS Core uses ports when both are set; its NetworkPolicy still opens it\n  \
             --> pkg.yaml:9:9, document 1, package shop/web, allow[0]\n  \
             = help: list every port under ports (ports: [443, 8443]) and remove port\n\n",
        )
        .stdout_contains("number: 443")
        .stdout_contains("port: 8443");
    assert!(!r.stdout.contains("number: 8443"), "{}", r.stdout);
}

#[test]
fn per_package_layout_warnings_name_the_host_and_packages() {
    // Before 0.59: a host listed twice with different ports, and a host two
    // packages share on the waypoint.
    let first = package(
        "      - {direction: Egress, remoteHost: tiles.example.com, serviceAccount: a, port: 443, description: one}\n      - {direction: Egress, remoteHost: tiles.example.com, serviceAccount: b, port: 8443, description: two}\n",
    );
    let second = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: maps, namespace: maps}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: tiles.example.com, ports: [443, 8443]}\n";
    let dir = workdir(&[("a.yaml", first.as_str()), ("b.yaml", second)]);
    let r = run_in(
        &dir,
        &[
            "--uds-core",
            "0.58",
            "--mode",
            "ambient",
            "a.yaml",
            "b.yaml",
        ],
    );
    r.status(0)
        .stderr_contains("warning[dangling-target]: the AuthorizationPolicy tiles-example-com-b-egress for host tiles.example.com targets ServiceEntry web-egress-tiles-example-com-8443-tls, which does not exist")
        .stderr_contains("warning[duplicate-host-waypoint]: host tiles.example.com has a ServiceEntry in each of packages maps/maps, shop/web");
    // One per rendered policy: each service account has its own.
    assert_eq!(
        r.stderr.matches("warning[dangling-target]").count(),
        2,
        "{}",
        r.stderr
    );
    // From 0.59 one central ServiceEntry per host: neither warning.
    run_in(&dir, &["--mode", "ambient", "a.yaml", "b.yaml"])
        .status(0)
        .stderr("");
}

#[test]
fn shared_access_warning_names_selector_hosts_and_fix() {
    let input = package(
        "      - direction: Egress\n        remoteHost: pay.example.com\n        selector: {app: checkout}\n      \
         - direction: Egress\n        remoteHost: cdn.example.com\n        selector: {app: images}\n",
    );
    let w = warnings_of(&input, &[]);
    assert!(
        w.contains(
            "warning[shared-access]: workloads selected by {app: checkout} ask for pay.example.com but can also reach cdn.example.com: the package's ServiceEntries are namespace-wide\n  \
             --> pkg.yaml:9:9, document 1, package shop/web, allow[0]\n  \
             = help: if those workloads must not reach these hosts, move them to a package in another namespace\n"
        ),
        "{w}"
    );
    assert!(
        w.contains("warning[shared-access]: workloads selected by {app: images} ask for cdn.example.com but can also reach pay.example.com"),
        "{w}"
    );
    assert_eq!(w.matches("warning[").count(), 2, "{w}");
}

#[test]
fn overlapping_sidecars_warning_names_both_selectors_and_fix() {
    let input = package(
        "      - direction: Egress\n        remoteHost: pay.example.com\n        selector: {app: a}\n      \
         - direction: Egress\n        remoteHost: pay.example.com\n        selector: {app: a, tier: web}\n        description: tier web\n",
    );
    let w = warnings_of(&input, &[]);
    assert_eq!(
        w,
        "warning[overlapping-sidecars]: Sidecars web-egress-app-a (selector {app: a}) and web-egress-app-a-tier-web (selector {app: a, tier: web}) can select the same pod, e.g. one labelled {app: a, tier: web}; which Sidecar Istio applies to it is undefined\n  \
         --> pkg.yaml:12:9, document 1, package shop/web, allow[1]\n  \
         = help: give these rules the same selector, or selectors that cannot match one pod (a label key in both with different values, e.g. tier: web and tier: batch)\n\n"
    );
    // Selectors that differ in one label's value cannot match one pod.
    let apart = input.replace("{app: a, tier: web}", "{app: b, tier: web}");
    assert_eq!(warnings_of(&apart, &[]), "");
    // A selected Sidecar takes precedence over the whole-namespace one.
    let default = input.replace("        selector: {app: a}\n", "");
    assert_eq!(warnings_of(&default, &[]), "");
}

#[test]
fn pod_labels_warning_names_both_fields_and_the_selector_used() {
    let input = package(
        "      - direction: Egress\n        remoteHost: pay.example.com\n        selector: {app: new}\n        podLabels: {app: old}\n",
    );
    let w = warnings_of(&input, &[]);
    assert_eq!(
        w,
        "warning[deprecated-labels]: both podLabels and selector are set; podLabels (deprecated) wins, as in UDS Core, so the rule uses selector {app: old}\n  \
         --> pkg.yaml:9:9, document 1, package shop/web, allow[0]\n  \
         = help: remove podLabels and write the labels you mean under selector\n\n"
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    let dir = workdir(&[]);
    for shell in ["bash", "zsh", "fish"] {
        let r = run_in(&dir, &["completions", shell]);
        r.status(0).stderr("");
        assert!(r.stdout.contains("egress-render"), "{shell}");
        assert!(
            r.stdout.contains("deny-warnings"),
            "{shell}: options are completed"
        );
        assert!(r.stdout.contains("check"), "{shell}");
    }
    let r = run_in(&dir, &["completions", "tcsh"]);
    r.status(2);
    let r = run_in(&dir, &["completions"]);
    r.status(2);
}

#[test]
fn man_page_is_generated_from_the_options() {
    let dir = workdir(&[]);
    let r = run_in(&dir, &["man"]);
    r.status(0).stdout_contains(".TH egress-render 1");
    for option in ["check", "deny\\-warnings", "gateway\\-ports", "quiet"] {
        assert!(
            r.stdout.contains(&format!("\\-\\-{option}")),
            "man page lacks --{option}"
        );
    }
}

#[test]
fn a_file_named_like_a_subcommand_is_read_with_a_path_prefix() {
    let dir = workdir(&[("completions", SIDECAR), ("man", SIDECAR)]);
    for name in ["./completions", "./man"] {
        let r = run_in(&dir, &[name]);
        r.status(0);
        assert!(r.stdout.contains("kind: Sidecar\n"), "{name}");
    }
    // Subcommands come first: after a PATH or an option, words are PATHs.
    let r = run_in(&dir, &["--mode", "sidecar", "man"]);
    r.status(0);
    assert!(r.stdout.contains("kind: Sidecar\n"));
}

/// The README's examples are committed renderings: they are kept current the
/// way the docs tell users to keep theirs, with `--check`.
#[test]
fn committed_examples_pass_their_own_check() {
    let root = repo();
    for (mode, release) in [
        ("ambient", "1.11"),
        ("ambient", "0.58"),
        ("sidecar", "1.11"),
        ("sidecar", "0.58"),
    ] {
        let package = format!("examples/{mode}/package.yaml");
        let rendered = format!("examples/{mode}/rendered-{release}.yaml");
        let r = run_in(
            &root,
            &[
                &package,
                "--uds-core",
                release,
                "--deny-warnings",
                "--check",
                &rendered,
            ],
        );
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), ""),
            "{rendered} is stale (run `just examples`):\n{}",
            r.stderr
        );
        r.stderr("");
    }
}

/// The names in `dir`, sorted (temporary files included).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn write_replaces_the_file_with_the_output_on_success() {
    let dir = workdir(&[("pkg.yaml", SIDECAR), ("out/egress.yaml", "old\n")]);
    let expected = run_in(&dir, &["pkg.yaml"]).stdout;
    let r = run_in(&dir, &["pkg.yaml", "--write", "out/egress.yaml"]);
    r.status(0).stdout("").stderr("");
    assert_eq!(
        fs::read_to_string(dir.join("out/egress.yaml")).unwrap(),
        expected
    );
    assert_eq!(entries(&dir.join("out")), ["egress.yaml"]);
    // A new file, and JSON.
    let r = run_in(&dir, &["pkg.yaml", "-o", "json", "--write", "out/new.json"]);
    r.status(0).stdout("");
    assert!(fs::read_to_string(dir.join("out/new.json"))
        .unwrap()
        .starts_with("{\n  \"apiVersion\": \"v1\""));
    // What --write wrote passes --check.
    run_in(&dir, &["pkg.yaml", "--check", "out/egress.yaml"]).status(0);
}

/// `--write` through a symbolic link writes its target and keeps the
/// link; into a FIFO (or a device such as /dev/null) it writes into it,
/// where renaming a temporary file over the path replaced the link, the
/// FIFO, or as root the /dev/null device node, with a regular file.
#[cfg(unix)]
#[test]
fn write_goes_through_links_and_into_fifos_and_devices() {
    use std::os::unix::fs::FileTypeExt;
    let dir = workdir(&[("pkg.yaml", SIDECAR), ("real/egress.yaml", "old\n")]);
    let expected = run_in(&dir, &["pkg.yaml"]).stdout;
    std::os::unix::fs::symlink("real/egress.yaml", dir.join("link.yaml")).unwrap();
    run_in(&dir, &["pkg.yaml", "--write", "link.yaml"]).status(0);
    assert!(fs::symlink_metadata(dir.join("link.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.join("real/egress.yaml")).unwrap(),
        expected
    );
    assert_eq!(entries(&dir.join("real")), ["egress.yaml"]);

    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here: the link case above still ran
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    run_in(&dir, &["pkg.yaml", "--write", "pipe"]).status(0);
    // Checked first: had the FIFO been replaced, the reader would wait forever.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(reader.join().unwrap(), expected);
}

#[test]
fn write_leaves_the_file_untouched_on_any_error() {
    let dir = workdir(&[
        ("pkg.yaml", SIDECAR),
        (
            "bad.yaml",
            &SIDECAR.replace("httpbin.org", "https://httpbin.org"),
        ),
        ("out/egress.yaml", "committed\n"),
    ]);
    // Invalid input.
    let r = run_in(&dir, &["bad.yaml", "--write", "out/egress.yaml"]);
    r.status(1).stdout("").stderr_contains("invalid-host");
    // A denied warning.
    fs::write(dir.join("warns.yaml"), port_ignored()).unwrap();
    let r = run_in(
        &dir,
        &[
            "warns.yaml",
            "--deny-warnings",
            "--write",
            "out/egress.yaml",
        ],
    );
    r.status(1).stderr_contains("port-ignored");
    // An unreadable input.
    run_in(&dir, &["missing.yaml", "--write", "out/egress.yaml"]).status(1);
    assert_eq!(
        fs::read_to_string(dir.join("out/egress.yaml")).unwrap(),
        "committed\n"
    );
    assert_eq!(entries(&dir.join("out")), ["egress.yaml"]);
    // A directory that does not exist: an error, nothing created.
    let r = run_in(&dir, &["pkg.yaml", "--write", "nowhere/egress.yaml"]);
    r.status(1)
        .stdout("")
        .stderr_contains("error: --write: cannot write nowhere/egress.yaml");
    assert!(!dir.join("nowhere").exists());
    // With --check: a usage error.
    run_in(&dir, &["pkg.yaml", "--check", "a", "--write", "b"]).status(2);
}

/// What bash completes for the words `line` (the last one being typed),
/// with the generated completion script loaded.
fn bash_completes(line: &[&str]) -> Vec<String> {
    let script = Test::new().args(["completions", "bash"]).run().stdout;
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let cword = line.len() - 1;
    let prev = if cword > 0 { line[cword - 1] } else { "" };
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD={cword}; _egress__render egress-render '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = words.join(" "),
        cur = line[cword],
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_after_a_subcommand() {
    // The main command's options.
    assert_eq!(bash_completes(&["egress-render", "--obj"]), ["--objects"]);
    // After `report`: its options and their values (clap_complete alone
    // completes nothing there for a hyphenated binary name).
    assert_eq!(
        bash_completes(&["egress-render", "report", "--fo"]),
        ["--format"]
    );
    assert_eq!(
        bash_completes(&["egress-render", "report", "--format", ""]),
        ["table", "markdown", "json", "sarif"]
    );
    assert_eq!(
        bash_completes(&["egress-render", "report", "--fail-on", ""]),
        ["high", "medium", "low"]
    );
    assert!(bash_completes(&["egress-render", "completions", ""]).contains(&"bash".to_string()));
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let r = Test::new().arg("--version").run();
    r.status(0);
    let version = r.stdout.trim();
    assert!(
        version.starts_with(&format!("egress-render {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let head = std::process::Command::new("git")
        .args(["log", "-1", "--format=%h %cs"])
        .current_dir(repo())
        .output();
    match head {
        Ok(out) if out.status.success() => {
            let head = String::from_utf8(out.stdout).unwrap();
            assert_eq!(
                version,
                format!(
                    "egress-render {} ({})",
                    env!("CARGO_PKG_VERSION"),
                    head.trim()
                )
            );
        }
        // Built from a tarball, or without git: the version alone.
        _ => assert_eq!(
            version,
            format!("egress-render {}", env!("CARGO_PKG_VERSION"))
        ),
    }
}
