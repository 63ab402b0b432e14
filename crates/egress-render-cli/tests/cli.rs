//! End-to-end tests of the `egress-render` binary (SPEC §7, §9): exit
//! status, stdout and stderr separately, input handling, and byte-identical
//! output whatever the order of files and documents.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_egress-render");

/// The repository root (fixtures/ and examples/ live there).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// Run the binary with `args` and nothing on stdin.
fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Run the binary with `args`, feeding `input` on stdin.
fn run_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may exit before reading everything (usage errors).
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("the binary finishes");
    writer.join().expect("writer thread");
    out
}

fn stdout(o: &Output) -> &str {
    std::str::from_utf8(&o.stdout).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> &str {
    std::str::from_utf8(&o.stderr).expect("stderr is UTF-8")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed by a signal")
}

/// A fresh directory under the system temp dir, unique per test and run.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "egress-render-cli-{}-{test}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Write `text` to `rel` (creating parent directories); its path.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, text).expect("write temp file");
        path
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Package document (no leading `---`).
fn package(name: &str, namespace: &str, mode: &str, rules: &[&str]) -> String {
    let mut s = format!(
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  network:\n    serviceMesh: {{mode: {mode}}}\n    allow:\n"
    );
    for r in rules {
        s.push_str(&format!("      - {r}\n"));
    }
    s
}

/// Every ordering of `items` (Heap's algorithm), for small lists.
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    fn heap<T: Clone>(k: usize, a: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
        if k <= 1 {
            out.push(a.clone());
            return;
        }
        heap(k - 1, a, out);
        for i in 0..k - 1 {
            if k.is_multiple_of(2) {
                a.swap(i, k - 1);
            } else {
                a.swap(0, k - 1);
            }
            heap(k - 1, a, out);
        }
    }
    let mut a = items.to_vec();
    let mut out = Vec::new();
    heap(a.len(), &mut a, &mut out);
    out
}

#[test]
fn renders_a_file_with_exit_0_and_nothing_on_stderr() {
    let out = run(&[fixture("ambient-seed-example.yaml")]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).starts_with("---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\n")
    );
    assert_eq!(
        stdout(&out).matches("\n---\n").count() + 1,
        3,
        "three objects"
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn empty_input_renders_nothing_with_exit_0() {
    let out = run(&[fixture("empty-file.yaml")]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out), "");
    let out = run_stdin::<&str>(&[], b"");
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "");
    let out = run(&["-o", "json"]);
    assert_eq!(code(&out), 0);
    let list: serde_json::Value = serde_json::from_str(stdout(&out)).expect("JSON");
    assert_eq!(list["items"], serde_json::json!([]));
}

#[test]
fn invalid_input_exits_1_with_empty_stdout_and_names_file_and_package() {
    let dir = TempDir::new("invalid");
    let bad = dir.write(
        "bad.yaml",
        &package(
            "shop",
            "store",
            "ambient",
            &["{direction: Egress, remoteHost: \"*.example.com\"}"],
        ),
    );
    let out = run(&[&bad]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "", "nothing on stdout on error");
    let err = stderr(&out);
    assert!(
        err.contains(&bad.display().to_string()),
        "names the file: {err}"
    );
    assert!(
        err.contains("package store/shop"),
        "names the package: {err}"
    );
    assert!(err.contains("allow[0].remoteHost"), "names the rule: {err}");
    assert!(err.contains("wildcard domains are not supported"), "{err}");
}

#[test]
fn one_invalid_file_among_valid_ones_renders_nothing() {
    let dir = TempDir::new("partial");
    let good = dir.write(
        "good.yaml",
        &package(
            "a",
            "a",
            "ambient",
            &["{direction: Egress, remoteHost: a.example.com}"],
        ),
    );
    let bad = dir.write(
        "bad.yaml",
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: [\n",
    );
    let out = run(&[&good, &bad]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&bad.display().to_string()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cross_package_conflict_exits_1_naming_both_packages() {
    let dir = TempDir::new("conflict");
    let a = dir.write(
        "a.yaml",
        &package(
            "one",
            "team-a",
            "ambient",
            &["{direction: Egress, remoteHost: api.example.com}"],
        ),
    );
    let b = dir.write(
        "b.yaml",
        &package(
            "two",
            "team-b",
            "ambient",
            &["{direction: Egress, remoteHost: api.example.com, port: 8443}"],
        ),
    );
    let first = run(&[&a, &b]);
    assert_eq!(code(&first), 1);
    assert_eq!(stdout(&first), "");
    let err = stderr(&first);
    assert!(
        err.contains("team-a/one") && err.contains("team-b/two"),
        "{err}"
    );
    assert!(err.contains(&a.display().to_string()) && err.contains(&b.display().to_string()));
    // The same report whatever the order of the files.
    let second = run(&[&b, &a]);
    assert_eq!(code(&second), 1);
    assert_eq!(stderr(&second), err);
}

#[test]
fn warnings_go_to_stderr_only() {
    let with_warning = run(&[fixture("sidecar-gateway-port-warning.yaml")]);
    assert_eq!(code(&with_warning), 0, "{}", stderr(&with_warning));
    let err = stderr(&with_warning);
    assert!(err.contains("warning[gateway-port]"), "{err}");
    assert!(err.contains("package team/app"), "{err}");
    assert!(!stdout(&with_warning).contains("warning"));
    // The same manifests as when the port is exposed (no warning at all).
    let exposed = run(&[
        "--gateway-ports",
        "80,443,8080,9200",
        fixture("sidecar-gateway-port-warning.yaml")
            .to_str()
            .expect("utf-8 path"),
    ]);
    assert_eq!(code(&exposed), 0);
    assert_eq!(stderr(&exposed), "");
    assert_eq!(stdout(&exposed), stdout(&with_warning));
}

#[test]
fn deny_warnings_turns_a_warning_into_exit_1_with_empty_stdout() {
    let out = run(&[
        "--deny-warnings".as_ref(),
        fixture("sidecar-gateway-port-warning.yaml").as_os_str(),
    ]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("warning[gateway-port]"),
        "{}",
        stderr(&out)
    );
    // Without a warning, --deny-warnings changes nothing.
    let clean = run(&[
        "--deny-warnings".as_ref(),
        fixture("ambient-seed-example.yaml").as_os_str(),
    ]);
    assert_eq!(code(&clean), 0);
    assert_eq!(
        stdout(&clean),
        stdout(&run(&[fixture("ambient-seed-example.yaml")]))
    );
}

#[test]
fn json_output_is_one_list_of_the_same_objects() {
    let path = fixture("mixed-modes-shared-host.yaml");
    let yaml = run(&[&path]);
    let json = run(&["-o".as_ref(), "json".as_ref(), path.as_os_str()]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let list: serde_json::Value = serde_json::from_str(stdout(&json)).expect("valid JSON");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items is an array");
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| i["kind"].as_str().expect("kind"))
        .collect();
    let yaml_kinds: Vec<&str> = stdout(&yaml)
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(kinds, yaml_kinds);
    let first = &items[0];
    let keys: Vec<&String> = first.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
}

#[test]
fn a_directory_is_read_recursively_yaml_and_yml_only() {
    let dir = TempDir::new("dir");
    let a = package(
        "a",
        "ns-a",
        "ambient",
        &["{direction: Egress, remoteHost: a.example.com}"],
    );
    let b = package(
        "b",
        "ns-b",
        "sidecar",
        &["{direction: Egress, remoteHost: b.example.com}"],
    );
    let c = package(
        "c",
        "ns-c",
        "ambient",
        &["{direction: Egress, remoteHost: c.example.com}"],
    );
    dir.write("z-last.yaml", &a);
    dir.write("nested/deeper/b.yml", &b);
    dir.write("nested/c.yaml", &c);
    // Not read: other extensions, even when they would be errors.
    dir.write("notes.txt", "not: [yaml");
    dir.write("nested/data.json", "{\"kind\": \"Package\"}");
    dir.write("README.md", "# hello: [");
    let from_dir = run(&[dir.path()]);
    assert_eq!(code(&from_dir), 0, "{}", stderr(&from_dir));
    let listed = run(&[
        dir.path().join("nested/c.yaml"),
        dir.path().join("z-last.yaml"),
        dir.path().join("nested/deeper/b.yml"),
    ]);
    assert_eq!(stdout(&from_dir), stdout(&listed));
    for host in ["a.example.com", "b.example.com", "c.example.com"] {
        assert!(stdout(&from_dir).contains(host), "{host} rendered");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_in_a_directory_is_read_once() {
    let dir = TempDir::new("loop");
    let file = dir.write(
        "sub/a.yaml",
        &package(
            "a",
            "a",
            "ambient",
            &["{direction: Egress, remoteHost: a.example.com}"],
        ),
    );
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).expect("symlink");
    let out = run(&[dir.path()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), stdout(&run(&[file])));
}

#[test]
fn a_directory_reports_errors_per_file_in_sorted_path_order() {
    let dir = TempDir::new("dir-errors");
    let bad = |ns: &str| {
        package(
            "p",
            ns,
            "ambient",
            &["{direction: Egress, remoteHost: \"https://x.example.com\"}"],
        )
    };
    dir.write("b/one.yaml", &bad("ns-1"));
    dir.write("a/two.yaml", &bad("ns-2"));
    dir.write("c.yml", &bad("ns-3"));
    let out = run(&[dir.path()]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    let at = |rel: &str| {
        err.find(&dir.path().join(rel).display().to_string())
            .unwrap_or_else(|| panic!("{rel} named in {err}"))
    };
    assert!(at("a/two.yaml") < at("b/one.yaml"));
    assert!(at("b/one.yaml") < at("c.yml"));
}

#[test]
fn stdin_is_read_for_dash_and_for_no_path() {
    let path = fixture("mixed-modes-shared-host.yaml");
    let bytes = std::fs::read(&path).expect("fixture");
    let from_file = run(&[&path]);
    let dash = run_stdin(&["-"], &bytes);
    let none = run_stdin::<&str>(&[], &bytes);
    assert_eq!(code(&dash), 0, "{}", stderr(&dash));
    assert_eq!(code(&none), 0, "{}", stderr(&none));
    assert_eq!(stdout(&dash), stdout(&from_file));
    assert_eq!(stdout(&none), stdout(&from_file));
    // Errors from stdin are labelled as such.
    let bad = package(
        "p",
        "kube-system",
        "ambient",
        &["{direction: Egress, remoteHost: a.example.com}"],
    );
    let out = run_stdin(&["-"], bad.as_bytes());
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("<stdin>"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("package kube-system/p"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stdin_and_files_combine() {
    let dir = TempDir::new("stdin-and-files");
    let a = package(
        "a",
        "ns-a",
        "ambient",
        &["{direction: Egress, remoteHost: a.example.com}"],
    );
    let b = package(
        "b",
        "ns-b",
        "ambient",
        &["{direction: Egress, remoteHost: a.example.com}"],
    );
    let file_a = dir.write("a.yaml", &a);
    let file_b = dir.write("b.yaml", &b);
    let both = run(&[&file_a, &file_b]);
    let mixed = run_stdin(&[file_a.as_os_str(), "-".as_ref()], b.as_bytes());
    assert_eq!(code(&mixed), 0, "{}", stderr(&mixed));
    assert_eq!(stdout(&mixed), stdout(&both));
}

#[test]
fn a_missing_path_is_exit_1_naming_it() {
    let dir = TempDir::new("missing");
    let missing = dir.path().join("does-not-exist.yaml");
    let out = run(&[&missing]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&missing.display().to_string()),
        "{}",
        stderr(&out)
    );
    // Even beside a valid file, nothing is rendered.
    let out = run(&[fixture("ambient-seed-example.yaml"), missing]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
}

#[test]
fn an_unreadable_path_is_exit_1_naming_it() {
    // A path through a regular file cannot be read (ENOTDIR), even by root,
    // for whom file permissions would not stop the read.
    let dir = TempDir::new("unreadable");
    let file = dir.write(
        "file.yaml",
        &package(
            "a",
            "a",
            "ambient",
            &["{direction: Egress, remoteHost: a.example.com}"],
        ),
    );
    let through_file = file.join("child.yaml");
    let out = run(&[&through_file]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&through_file.display().to_string()),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn a_broken_file_inside_a_directory_is_exit_1_naming_it() {
    let dir = TempDir::new("broken-link");
    dir.write(
        "ok.yaml",
        &package(
            "a",
            "a",
            "ambient",
            &["{direction: Egress, remoteHost: a.example.com}"],
        ),
    );
    let link = dir.path().join("broken.yaml");
    std::os::unix::fs::symlink(dir.path().join("no-such-target"), &link).expect("symlink");
    let out = run(&[dir.path()]);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains(&link.display().to_string()),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    // Output far larger than a pipe buffer, so the binary is still writing
    // when the reader goes away (as with `egress-render … | head -c 100`).
    let mut input = String::new();
    for i in 0..400 {
        input.push_str("---\n");
        input.push_str(&package(
            "app",
            &format!("team-{i}"),
            "ambient",
            &[&format!(
                "{{direction: Egress, remoteHost: host-{i}.example.com}}"
            )],
        ));
    }
    let dir = TempDir::new("pipe");
    let path = dir.write("many.yaml", &input);
    let mut child = Command::new(BIN)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut head = [0u8; 100];
    out.read_exact(&mut head).expect("the first bytes arrive");
    drop(out);
    let result = child.wait_with_output().expect("the binary finishes");
    assert_eq!(code(&result), 0, "stderr: {}", stderr(&result));
    assert_eq!(stderr(&result), "", "quiet on a closed pipe");
    assert!(head.starts_with(b"---\napiVersion:"));
}

#[test]
fn usage_errors_exit_2_with_empty_stdout() {
    for args in [
        vec!["--no-such-flag"],
        vec!["--mode", "bogus"],
        vec!["--output", "toml"],
        vec!["--unscoped-identity", "everyone"],
        vec!["--gateway-ports", "0"],
        vec!["--shared-generation", "-1"],
    ] {
        let out = run(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
        assert!(
            !stderr(&out).is_empty(),
            "{args:?} explains the usage error"
        );
    }
}

#[test]
fn mode_option_sets_the_default_mode() {
    let path = fixture("default-mode-ambient-when-unset.yaml");
    let ambient = run(&[&path]);
    assert!(stdout(&ambient).contains("kind: AuthorizationPolicy"));
    // serviceAccount is ambient-only, so as sidecar the same file is refused.
    let sidecar = run(&["--mode".as_ref(), "sidecar".as_ref(), path.as_os_str()]);
    assert_eq!(code(&sidecar), 1);
    assert!(stderr(&sidecar).contains("serviceAccount is only valid in ambient mode"));
}

/// Documents used by the order tests: both modes, shared hosts, several
/// hosts per package, warnings.
fn order_documents() -> Vec<String> {
    vec![
        package(
            "web",
            "shop",
            "sidecar",
            &[
                "{direction: Egress, remoteHost: api.example.com, selector: {app: web}, description: a}",
                "{direction: Egress, remoteHost: cdn.example.com, ports: [443, 8443], description: b}",
            ],
        ),
        package(
            "worker",
            "jobs",
            "sidecar",
            &["{direction: Egress, remoteHost: api.example.com, remoteProtocol: HTTP}"],
        ),
        package(
            "sync",
            "data",
            "ambient",
            &[
                "{direction: Egress, remoteHost: db.example.com, serviceAccount: sync, description: a}",
                "{direction: Egress, remoteHost: db.example.com, port: 5432, description: b}",
            ],
        ),
        package(
            "report",
            "bi",
            "ambient",
            &["{direction: Egress, remoteHost: db.example.com, ports: [443, 5432]}"],
        ),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x, namespace: shop}\n".to_string(),
    ]
}

#[test]
fn output_does_not_depend_on_the_order_of_files() {
    let dir = TempDir::new("file-order");
    let paths: Vec<PathBuf> = order_documents()
        .iter()
        .enumerate()
        .map(|(i, doc)| dir.write(&format!("doc-{i}.yaml"), doc))
        .collect();
    let reference = run(&paths);
    assert_eq!(code(&reference), 0, "{}", stderr(&reference));
    assert!(!stdout(&reference).is_empty());
    assert!(
        stderr(&reference).contains("warning["),
        "the set has warnings"
    );
    let perms = permutations(&paths);
    assert_eq!(perms.len(), 120);
    for perm in perms.iter().step_by(7) {
        let out = run(perm);
        assert_eq!(code(&out), 0);
        assert!(
            out.stdout == reference.stdout,
            "stdout differs for {perm:?}"
        );
        assert_eq!(
            stderr(&out),
            stderr(&reference),
            "warnings differ for {perm:?}"
        );
    }
}

#[test]
fn output_does_not_depend_on_the_order_of_documents_in_a_file() {
    let dir = TempDir::new("doc-order");
    let docs = order_documents();
    let mut reference: Option<Vec<u8>> = None;
    let perms = permutations(&docs);
    for (i, perm) in perms.iter().enumerate().step_by(11) {
        let path = dir.write(
            &format!("perm-{i}.yaml"),
            &format!("---\n{}", perm.join("---\n")),
        );
        let out = run(&[&path]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        match &reference {
            None => reference = Some(out.stdout),
            Some(r) => assert!(&out.stdout == r, "stdout differs for permutation {i}"),
        }
    }
    // JSON too.
    let json: Vec<Vec<u8>> = [0, perms.len() - 1]
        .iter()
        .map(|&i| {
            let path = dir.write(&format!("json-{i}.yaml"), &perms[i].join("---\n"));
            run(&["-o".as_ref(), "json".as_ref(), path.as_os_str()]).stdout
        })
        .collect();
    assert_eq!(json[0], json[1]);
}

#[test]
fn conflict_report_does_not_depend_on_input_order() {
    let dir = TempDir::new("conflict-order");
    let docs = [
        package(
            "one",
            "team-a",
            "sidecar",
            &["{direction: Egress, remoteHost: api.example.com}"],
        ),
        package(
            "two",
            "team-b",
            "sidecar",
            &["{direction: Egress, remoteHost: api.example.com, remoteProtocol: HTTP, port: 443}"],
        ),
        package(
            "three",
            "team-c",
            "ambient",
            &["{direction: Egress, remoteHost: x.example.com}"],
        ),
        package(
            "four",
            "team-d",
            "ambient",
            &["{direction: Egress, remoteHost: x.example.com, port: 80}"],
        ),
    ];
    let paths: Vec<PathBuf> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| dir.write(&format!("p{i}.yaml"), d))
        .collect();
    let reference = run(&paths);
    assert_eq!(code(&reference), 1);
    let err = stderr(&reference).to_string();
    assert!(
        err.contains("sidecar-protocol-conflict") && err.contains("ambient-host-conflict"),
        "{err}"
    );
    for perm in permutations(&paths).iter().step_by(5) {
        let out = run(perm);
        assert_eq!(code(&out), 1);
        assert_eq!(stdout(&out), "");
        assert_eq!(stderr(&out), err, "for {perm:?}");
    }
}

#[test]
fn committed_examples_match_what_the_tool_renders() {
    let examples = repo().join("examples");
    let mut checked = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&examples)
        .expect("examples/ exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("package.yaml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let out = run(&[dir.join("package.yaml")]);
        assert_eq!(code(&out), 0, "{}: {}", dir.display(), stderr(&out));
        let committed = std::fs::read_to_string(dir.join("rendered.yaml"))
            .unwrap_or_else(|e| panic!("{}/rendered.yaml: {e}", dir.display()));
        assert!(
            stdout(&out) == committed,
            "{}/rendered.yaml is out of date; run `just examples` to re-render it",
            dir.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "found the ambient and sidecar examples");
}
