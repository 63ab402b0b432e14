//! Reading a real GitOps repository: bounded reads of every kind of file,
//! and a directory walk that skips hidden entries, non-regular files,
//! `--exclude`d paths and symbolic links out of the tree, reads each file
//! once, and explains Helm templates and misspelt kinds.

use crate::harness::{Run, TempDir, Test};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Long enough for a debug build on a loaded machine; a blocked read never
/// finishes.
const BLOCKED: Duration = Duration::from_secs(60);

/// An ambient Package with one egress rule to `host`.
fn package(name: &str, namespace: &str, host: &str) -> String {
    format!(
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  network:\n    serviceMesh: {{mode: ambient}}\n    allow:\n      - {{direction: Egress, remoteHost: {host}, port: 443}}\n"
    )
}

/// `mkfifo path`.
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(ok.success(), "mkfifo {}", path.display());
}

/// Render `args` in `dir`, killed if blocked.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    Test::new().current_dir(dir).args(args).run_within(BLOCKED)
}

/// The names of the Packages' NetworkPolicies in `yaml`, in order: one per
/// package read.
fn namespaces(yaml: &str) -> Vec<&str> {
    yaml.lines()
        .filter_map(|l| l.strip_prefix("  namespace: "))
        .filter(|ns| ns.starts_with("team-"))
        .collect()
}

#[test]
fn dev_zero_is_refused_at_the_cap_not_read_until_memory_runs_out() {
    let r = Test::new().arg("/dev/zero").run_within(BLOCKED);
    r.status(1)
        .stdout("")
        .stderr_contains("error: /dev/zero is more than the 256 MiB limit per file");
}

#[test]
fn standard_input_is_capped_while_reading() {
    let out = Test::new()
        .command()
        .stdin(Stdio::from(std::fs::File::open("/dev/zero").expect("open")))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.contains("error: standard input is more than the 256 MiB limit per file"),
        "{stderr}"
    );
}

#[test]
fn check_against_an_endless_file_is_capped() {
    let dir = TempDir::new();
    dir.write("pkg.yaml", package("a", "team-a", "a.example.com"));
    let r = run_in(&dir, &["pkg.yaml", "--check", "/dev/zero"]);
    r.status(1)
        .stdout("")
        .stderr_contains("error: --check: /dev/zero is more than the 256 MiB limit per file");
}

#[test]
fn an_explicit_fifo_is_read() {
    let dir = TempDir::new();
    let fifo = dir.join("pipe.yaml");
    mkfifo(&fifo);
    let text = package("a", "team-a", "a.example.com");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let r = run_in(&dir, &["pipe.yaml"]);
    writer.join().expect("writer").expect("write the FIFO");
    r.status(0).stderr("");
    assert_eq!(namespaces(&r.stdout), ["team-a"]);
}

#[test]
fn process_substitution_is_read() {
    let dir = TempDir::new();
    dir.write("pkg.yaml", package("a", "team-a", "a.example.com"));
    let bin = env!("CARGO_BIN_EXE_egress-render");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("'{bin}' <(cat pkg.yaml)"))
        .current_dir(&*dir)
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(namespaces(&stdout), ["team-a"]);
}

/// A repository as found in the wild: team directories, a Helm chart, a
/// `.git` directory, editor and CI files, links within and out of the tree,
/// a FIFO and a link to a device.
fn repository() -> TempDir {
    let dir = TempDir::new();
    dir.write(
        "repo/teams/a/package.yaml",
        package("a", "team-a", "a.example.com"),
    );
    dir.write(
        "repo/teams/b/package.YAML",
        package("b", "team-b", "b.example.com"),
    );
    dir.write(
        "repo/teams/c/package.Yml",
        package("c", "team-c", "c.example.com"),
    );
    // Hidden: never read (a broken Package would fail the run).
    dir.write("repo/.git/objects/x.yaml", "kind: Package\n: broken [");
    dir.write("repo/.github/workflows/ci.yaml", "on: [push]\n: broken [");
    dir.write("repo/teams/a/.package.yaml.swp", "binary");
    // JSON is not walked (package.json, dashboards), whatever it holds.
    dir.write("repo/teams/a/dashboard.json", "{\"not\": [\"yaml\"");
    // A Helm chart whose templates are not YAML until rendered.
    dir.write(
        "repo/chart/Chart.yaml",
        "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
    );
    dir.write(
        "repo/chart/templates/package.yaml",
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: {{ .Release.Name }}\n  {{- include \"labels\" . | nindent 4 }}\n",
    );
    // A secret beside the repository, and links to it and to a device.
    dir.write("token", "ghp_0123456789abcdefSECRET");
    symlink("../../token", dir.join("repo/teams/token.yaml")).expect("symlink");
    symlink("/dev/zero", dir.join("repo/teams/zero.yaml")).expect("symlink");
    // A link within the tree: the same file again, read once.
    symlink("a/package.yaml", dir.join("repo/teams/again.yaml")).expect("symlink");
    symlink("teams", dir.join("repo/alias")).expect("symlink");
    // A FIFO nobody writes: opening it would block forever.
    mkfifo(&dir.join("repo/teams/pipe.yaml"));
    dir
}

#[test]
fn a_repository_directory_is_walked_safely() {
    let dir = repository();
    let r = run_in(&dir, &["repo", "--exclude", "chart/"]);
    r.status(0);
    // Each team once, although reached three ways; in path order.
    assert_eq!(namespaces(&r.stdout), ["team-a", "team-b", "team-c"]);
    r.stderr(
        "note: skipped repo/teams/token.yaml: a symbolic link that leads out of repo\n\n\
         note: skipped repo/teams/zero.yaml: a symbolic link that leads out of repo\n\n",
    );
    assert!(!r.stderr.contains("ghp_"));
}

#[test]
fn quiet_drops_the_notes() {
    let dir = repository();
    let r = run_in(&dir, &["repo", "--exclude", "chart/", "-q"]);
    r.status(0).stderr("");
}

#[test]
fn a_helm_template_gets_the_hint_to_render_the_chart_first() {
    let dir = repository();
    let r = run_in(&dir, &["repo"]);
    r.status(1)
        .stdout("")
        .stderr_contains("--> repo/chart/templates/package.yaml:")
        .stderr_contains("= help: this looks like a Helm chart template: render the chart first (helm template RELEASE CHART | egress-render -)");
}

#[test]
fn a_template_on_stdin_gets_the_hint_too() {
    let r = Test::new()
        .stdin("metadata:\n  name: {{ .Values.name }}\n  {{- toYaml .Values.labels }}\n")
        .run();
    r.status(1)
        .stderr_contains("help: this looks like a Helm chart template");
}

#[test]
fn exclude_takes_gitignore_style_patterns() {
    let dir = repository();
    let r = run_in(
        &dir,
        &[
            "repo",
            "--exclude",
            "templates/",
            "--exclude",
            "/teams/b",
            "-q",
        ],
    );
    r.status(0);
    assert_eq!(namespaces(&r.stdout), ["team-a", "team-c"]);
    // A name pattern matches at any depth.
    let r = run_in(
        &dir,
        &[
            "repo",
            "--exclude",
            "chart",
            "--exclude",
            "package.Yml",
            "-q",
        ],
    );
    r.status(0);
    assert_eq!(namespaces(&r.stdout), ["team-a", "team-b"]);
}

#[test]
fn an_excluded_file_named_on_the_command_line_is_still_read() {
    let dir = repository();
    let r = run_in(
        &dir,
        &["repo/teams/a/package.yaml", "--exclude", "package.yaml"],
    );
    r.status(0);
    assert_eq!(namespaces(&r.stdout), ["team-a"]);
}

#[test]
fn a_bad_exclude_pattern_is_a_usage_error() {
    Test::new()
        .args(["--exclude", "a[", "-"])
        .run()
        .status(2)
        .stderr_contains("--exclude");
    Test::new()
        .args(["--exclude", "!keep.yaml"])
        .run()
        .status(2)
        .stderr_contains("negated patterns");
}

#[test]
fn a_file_named_twice_is_read_once() {
    let dir = TempDir::new();
    dir.write("p/a.yaml", package("a", "team-a", "a.example.com"));
    let r = run_in(&dir, &["p", "p/a.yaml", "./p/../p/a.yaml"]);
    r.status(0).stderr("");
    assert_eq!(namespaces(&r.stdout), ["team-a"]);
}

#[test]
fn file_names_are_printed_escaped() {
    let dir = TempDir::new();
    dir.write("p/evil\n\u{1b}[31mname.yaml", "a: [");
    let r = run_in(&dir, &["p"]);
    r.status(1)
        .stderr_contains("--> p/evil\\n\\u{1b}[31mname.yaml:");
    assert!(!r.stderr.contains('\u{1b}'));
}

#[test]
fn a_file_that_is_one_string_is_not_quoted_back() {
    let dir = TempDir::new();
    dir.write("token.yaml", "ghp_0123456789abcdefSECRET\n");
    let r = run_in(&dir, &["token.yaml"]);
    r.status(1)
        .stderr_contains("document is a string of 26 characters, not a mapping");
    assert!(!r.stderr.contains("ghp_"));
}

#[test]
fn a_misspelt_package_kind_is_an_error_with_did_you_mean() {
    for kind in ["package", "Packages", "PACKAGE", "Pakage"] {
        let text = package("a", "team-a", "a.example.com")
            .replace("kind: Package", &format!("kind: {kind}"));
        let r = Test::new().stdin(text).run();
        r.status(1)
            .stdout("")
            .stderr_contains(&format!(
                "error[package-kind]: kind \"{kind}\" under apiVersion \"uds.dev/v1alpha1\" is not a kind UDS Core knows; did you mean Package?"
            ))
            .stderr_contains("--> <stdin>:2:7, document 1, kind");
    }
    // Other uds.dev kinds are not Packages, and not errors.
    let exemption = "apiVersion: uds.dev/v1alpha1\nkind: Exemption\nmetadata: {name: e, namespace: uds-policy-exemptions}\n";
    Test::new()
        .stdin(exemption)
        .run()
        .status(0)
        .stdout("")
        .stderr("");
}

/// A monorepo of three teams, each with ambient and sidecar Packages, some
/// hosts shared across teams.
fn monorepo() -> TempDir {
    let dir = TempDir::new();
    let teams = [
        ("a", ["api.stripe.com", "github.com"]),
        ("b", ["github.com", "login.example.com"]),
        ("c", ["api.stripe.com", "pypi.org"]),
    ];
    for (team, hosts) in teams {
        for (i, host) in hosts.iter().enumerate() {
            let (mode, who) = if i == 0 {
                ("ambient", "serviceAccount: app")
            } else {
                ("sidecar", "selector: {app: web}")
            };
            let text = format!(
                "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {{name: app{i}, namespace: team-{team}-{i}}}\nspec:\n  network:\n    serviceMesh: {{mode: {mode}}}\n    allow:\n      - {{direction: Egress, remoteHost: {host}, port: 443, {who}}}\n      - {{direction: Egress, remoteHost: shared.example.com, port: 443, selector: {{app: x}}}}\n"
            );
            dir.write(&format!("teams/{team}/app{i}.yaml"), text);
        }
    }
    dir
}

#[test]
fn per_team_package_objects_concatenated_equal_the_fleets_package_objects() {
    let dir = monorepo();
    for release in ["1.11", "0.58"] {
        let fleet = |objects: &str| {
            let r = run_in(
                &dir,
                &["teams", "--uds-core", release, "--objects", objects],
            );
            r.status(0);
            r.stdout.clone()
        };
        let (all, package, shared) = (fleet("all"), fleet("package"), fleet("shared"));
        assert!(!package.is_empty() && !shared.is_empty(), "{release}");
        // The whole render is its package-owned part, then its shared part.
        assert_eq!(all, format!("{package}{shared}"), "{release}");
        let mut per_team = String::new();
        for team in ["a", "b", "c"] {
            let path = format!("teams/{team}");
            let r = run_in(
                &dir,
                &[&path, "--uds-core", release, "--objects", "package"],
            );
            r.status(0);
            per_team.push_str(&r.stdout);
        }
        assert_eq!(per_team, package, "{release}");
        // One team's shared objects are not the fleet's: they need it whole.
        let r = run_in(
            &dir,
            &["teams/a", "--uds-core", release, "--objects", "shared"],
        );
        r.status(0);
        assert_ne!(r.stdout, shared, "{release}");
    }
}

#[test]
fn objects_package_has_no_shared_object_and_shared_no_package_one() {
    let dir = monorepo();
    let r = run_in(&dir, &["teams", "--objects", "shared", "-o", "json"]);
    r.status(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    let namespaces: Vec<&str> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["metadata"]["namespace"].as_str().expect("namespace"))
        .collect();
    assert!(
        namespaces.iter().all(|ns| !ns.starts_with("team-")),
        "{namespaces:?}"
    );
    let r = run_in(&dir, &["teams", "--objects", "package", "-o", "json"]);
    r.status(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert!(v["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|m| m["metadata"]["namespace"]
            .as_str()
            .is_some_and(|ns| ns.starts_with("team-"))));
}

#[test]
fn report_and_its_diff_base_are_capped_too() {
    let dir = TempDir::new();
    dir.write("pkg.yaml", package("a", "team-a", "a.example.com"));
    let r = run_in(&dir, &["report", "pkg.yaml", "--diff-base", "/dev/zero"]);
    r.status(1)
        .stdout("")
        .stderr_contains("error: /dev/zero is more than the 256 MiB limit per file")
        .stderr_contains("problem(s) found in --diff-base");
    let r = run_in(&dir, &["report", "/dev/zero"]);
    r.status(1)
        .stdout("")
        .stderr_contains("error: /dev/zero is more than the 256 MiB limit per file");
}
