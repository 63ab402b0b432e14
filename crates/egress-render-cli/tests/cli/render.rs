//! The main command end to end (SPEC §7, §9): exit status, stdout and
//! stderr separately, input handling, and byte-identical output whatever
//! the order of files and documents.

use crate::harness::{repo, Run, TempDir, Test};
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

/// Run the binary with `args` and nothing on stdin.
fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    Test::new().args(args).run()
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

/// A Package with one egress rule, to `host`.
fn egress(name: &str, namespace: &str, mode: &str, host: &str) -> String {
    let rule = format!("{{direction: Egress, remoteHost: {host}}}");
    package(name, namespace, mode, &[&rule])
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
    out.status(0).stderr("");
    // UDS Core 1.11: the package's NetworkPolicy, then the waypoint and the
    // host's central ServiceEntry and AuthorizationPolicy.
    assert!(out
        .stdout
        .starts_with("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"));
    assert_eq!(out.stdout.matches("\n---\n").count() + 1, 4, "four objects");
}

#[test]
fn empty_input_renders_nothing_with_exit_0() {
    run(&[fixture("empty-file.yaml")])
        .status(0)
        .stdout("")
        .stderr("");
    Test::new().stdin("").run().status(0).stdout("");
    let out = run(&["-o", "json"]);
    out.status(0);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(list["items"], serde_json::json!([]));
}

#[test]
fn invalid_input_exits_1_with_empty_stdout_and_names_file_and_package() {
    let dir = TempDir::new();
    let bad = dir.write(
        "bad.yaml",
        package(
            "shop",
            "store",
            "ambient",
            &["{direction: Egress, remoteHost: \"*.example.com\"}"],
        ),
    );
    run(&[&bad])
        .status(1)
        .stdout("")
        .stderr_contains(&bad.display().to_string())
        .stderr_contains("package store/shop")
        .stderr_contains("allow[0].remoteHost")
        .stderr_contains("wildcard domains are not supported");
}

#[test]
fn one_invalid_file_among_valid_ones_renders_nothing() {
    let dir = TempDir::new();
    let good = dir.write("good.yaml", egress("a", "a", "ambient", "a.example.com"));
    let bad = dir.write(
        "bad.yaml",
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: [\n",
    );
    run(&[&good, &bad])
        .status(1)
        .stdout("")
        .stderr_contains(&bad.display().to_string());
}

#[test]
fn cross_package_conflict_exits_1_naming_both_packages() {
    let dir = TempDir::new();
    let a = dir.write(
        "a.yaml",
        egress("one", "team-a", "ambient", "api.example.com"),
    );
    let b = dir.write(
        "b.yaml",
        package(
            "two",
            "team-b",
            "ambient",
            &["{direction: Egress, remoteHost: api.example.com, port: 8443}"],
        ),
    );
    // Before 0.59 ambient packages sharing a host must ask the same pairs.
    let old = |paths: [&PathBuf; 2]| {
        let [x, y] = paths;
        run(&[
            "--uds-core".as_ref(),
            "0.58".as_ref(),
            x.as_os_str(),
            y.as_os_str(),
        ])
    };
    let first = old([&a, &b]);
    first
        .status(1)
        .stderr_contains("error[ambient-port-sets]")
        .stdout("")
        .stderr_contains("team-a/one")
        .stderr_contains("team-b/two")
        .stderr_contains(&a.display().to_string())
        .stderr_contains(&b.display().to_string());
    // The same report whatever the order of the files.
    old([&b, &a]).status(1).stderr(&first.stderr);
    // From 0.59 the central ServiceEntry carries the union: no conflict.
    run(&[&a, &b])
        .status(0)
        .stdout_contains("name: ambient-se-api-example-com");
}

#[test]
fn warnings_go_to_stderr_only() {
    let with_warning = run(&[fixture("ambient-port-ignored-beside-ports.yaml")]);
    with_warning
        .status(0)
        .stderr_contains("warning[port-ignored]")
        .stderr_contains("package shop/web");
    assert!(!with_warning.stdout.contains("warning"));
    // -q drops the warnings, not the manifests.
    run(&[
        "-q".as_ref(),
        fixture("ambient-port-ignored-beside-ports.yaml").as_os_str(),
    ])
    .status(0)
    .stderr("")
    .stdout(&with_warning.stdout);
}

#[test]
fn deny_warnings_turns_a_warning_into_exit_1_with_empty_stdout() {
    run(&[
        "--deny-warnings".as_ref(),
        fixture("ambient-port-ignored-beside-ports.yaml").as_os_str(),
    ])
    .status(1)
    .stdout("")
    .stderr_contains("warning[port-ignored]");
    // Without a warning, --deny-warnings changes nothing.
    run(&[
        "--deny-warnings".as_ref(),
        fixture("ambient-seed-example.yaml").as_os_str(),
    ])
    .status(0)
    .stdout(&run(&[fixture("ambient-seed-example.yaml")]).stdout);
}

#[test]
fn json_output_is_one_list_of_the_same_objects() {
    let path = fixture("mixed-modes-shared-host.yaml");
    let yaml = run(&[&path]);
    let json = run(&["-o".as_ref(), "json".as_ref(), path.as_os_str()]);
    json.status(0);
    let list: serde_json::Value = serde_json::from_str(&json.stdout).expect("valid JSON");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items is an array");
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| i["kind"].as_str().expect("kind"))
        .collect();
    let yaml_kinds: Vec<&str> = yaml
        .stdout
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
    let dir = TempDir::new();
    let a = egress("a", "ns-a", "ambient", "a.example.com");
    let b = egress("b", "ns-b", "sidecar", "b.example.com");
    let c = egress("c", "ns-c", "ambient", "c.example.com");
    dir.write("z-last.yaml", &a);
    dir.write("nested/deeper/b.yml", &b);
    dir.write("nested/c.yaml", &c);
    // Not read: other extensions, even when they would be errors.
    dir.write("notes.txt", "not: [yaml");
    dir.write("nested/data.json", "{\"kind\": \"Package\"}");
    dir.write("README.md", "# hello: [");
    let from_dir = run(&[&*dir]);
    from_dir.status(0);
    run(&[
        dir.join("nested/c.yaml"),
        dir.join("z-last.yaml"),
        dir.join("nested/deeper/b.yml"),
    ])
    .stdout(&from_dir.stdout);
    for host in ["a.example.com", "b.example.com", "c.example.com"] {
        from_dir.stdout_contains(host);
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_in_a_directory_is_read_once() {
    let dir = TempDir::new();
    let file = dir.write("sub/a.yaml", egress("a", "a", "ambient", "a.example.com"));
    std::os::unix::fs::symlink("..", dir.join("sub/up")).expect("symlink");
    run(&[&*dir]).status(0).stdout(&run(&[file]).stdout);
}

#[test]
fn a_directory_reports_errors_per_file_in_sorted_path_order() {
    let dir = TempDir::new();
    let bad = |ns: &str| {
        package(
            "p",
            ns,
            "ambient",
            &["{direction: Egress, remoteHost: \"https://x.example.com\"}"],
        )
    };
    dir.write("b/one.yaml", bad("ns-1"));
    dir.write("a/two.yaml", bad("ns-2"));
    dir.write("c.yml", bad("ns-3"));
    let out = run(&[&*dir]);
    out.status(1).stdout("");
    let err = &out.stderr;
    let at = |rel: &str| {
        err.find(&dir.join(rel).display().to_string())
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
    Test::new()
        .arg("-")
        .stdin(bytes.clone())
        .run()
        .status(0)
        .stdout(&from_file.stdout);
    Test::new()
        .stdin(bytes)
        .run()
        .status(0)
        .stdout(&from_file.stdout);
    // Errors from stdin are labelled as such.
    let bad = egress("p", "kube-system", "ambient", "a.example.com");
    Test::new()
        .arg("-")
        .stdin(bad)
        .run()
        .status(1)
        .stdout("")
        .stderr_contains("<stdin>")
        .stderr_contains("package kube-system/p");
}

#[test]
fn stdin_and_files_combine() {
    let dir = TempDir::new();
    let a = egress("a", "ns-a", "ambient", "a.example.com");
    let b = egress("b", "ns-b", "ambient", "a.example.com");
    let file_a = dir.write("a.yaml", &a);
    let file_b = dir.write("b.yaml", &b);
    let both = run(&[&file_a, &file_b]);
    Test::new()
        .args([file_a.as_os_str(), "-".as_ref()])
        .stdin(b)
        .run()
        .status(0)
        .stdout(&both.stdout);
}

#[test]
fn a_missing_path_is_exit_1_naming_it() {
    let dir = TempDir::new();
    let missing = dir.join("does-not-exist.yaml");
    run(&[&missing])
        .status(1)
        .stdout("")
        .stderr_contains(&missing.display().to_string());
    // Even beside a valid file, nothing is rendered.
    run(&[fixture("ambient-seed-example.yaml"), missing])
        .status(1)
        .stdout("");
}

#[test]
fn an_unreadable_path_is_exit_1_naming_it() {
    // A path through a regular file cannot be read (ENOTDIR), even by root,
    // for whom file permissions would not stop the read.
    let dir = TempDir::new();
    let file = dir.write("file.yaml", egress("a", "a", "ambient", "a.example.com"));
    let through_file = file.join("child.yaml");
    run(&[&through_file])
        .status(1)
        .stdout("")
        .stderr_contains(&through_file.display().to_string());
}

#[cfg(unix)]
#[test]
fn a_broken_file_inside_a_directory_is_exit_1_naming_it() {
    let dir = TempDir::new();
    dir.write("ok.yaml", egress("a", "a", "ambient", "a.example.com"));
    let link = dir.join("broken.yaml");
    std::os::unix::fs::symlink(dir.join("no-such-target"), &link).expect("symlink");
    run(&[&*dir])
        .status(1)
        .stdout("")
        .stderr_contains(&link.display().to_string());
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
    let dir = TempDir::new();
    let path = dir.write("many.yaml", &input);
    let mut child = Test::new()
        .arg(&path)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut head = [0u8; 100];
    out.read_exact(&mut head).expect("the first bytes arrive");
    drop(out);
    let result = child.wait_with_output().expect("the binary finishes");
    let stderr = String::from_utf8(result.stderr).expect("stderr is UTF-8");
    assert_eq!(result.status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "", "quiet on a closed pipe");
    assert!(head.starts_with(b"---\napiVersion:"));
}

#[test]
fn usage_errors_exit_2_with_empty_stdout() {
    for args in [
        vec!["--no-such-flag"],
        vec!["--mode", "bogus"],
        vec!["--output", "toml"],
        vec!["--gateway-ports", "0"],
        vec!["--shared-generation", "-1"],
        vec!["--uds-core", "1.x"],
        // Removed in SPEC v2: rules without serviceAccount admit the
        // namespace and principals are cluster.local, as the operator does.
        vec!["--unscoped-identity", "namespace"],
        vec!["--trust-domain", "example.org"],
    ] {
        let out = run(&args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} explains the usage error");
    }
}

#[test]
fn removed_options_say_why_they_went() {
    run(&["--unscoped-identity", "namespace", "-"])
        .status(2)
        .stdout("")
        .stderr_contains("--unscoped-identity was removed: a rule without serviceAccount admits its whole namespace");
    run(&["report", "--trust-domain", "example.org"])
        .status(2)
        .stdout("")
        .stderr_contains("--trust-domain was removed: principals are cluster.local");
}

#[test]
fn a_release_older_than_0_56_is_a_usage_error_naming_the_oldest() {
    let out = run(&["--uds-core", "0.55", "-"]);
    out.status(2).stdout("").stderr_contains("0.56");
}

#[test]
fn a_release_newer_than_known_renders_as_the_latest_with_a_warning() {
    let path = fixture("ambient-seed-example.yaml");
    let newer = run(&["--uds-core".as_ref(), "2.3.1".as_ref(), path.as_os_str()]);
    newer
        .status(0)
        .stderr_contains("warning[newer-release]: UDS Core 2.3 is newer than 1.11");
    newer.stdout(&run(&[&path]).stdout);
    // `latest` is 1.11.
    run(&["--uds-core".as_ref(), "latest".as_ref(), path.as_os_str()])
        .status(0)
        .stderr("")
        .stdout(&newer.stdout);
}

#[test]
fn the_release_decides_the_layout_and_api_versions() {
    let path = fixture("ambient-seed-example.yaml");
    let at = |release: &str| run(&["--uds-core".as_ref(), release.as_ref(), path.as_os_str()]);
    // 0.58: per-package ambient objects, v1beta1, no NetworkPolicy protocol.
    at("0.58")
        .status(0)
        .stdout_contains("apiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry")
        .stdout_contains("name: pkg-1-egress-httpbin-org-443-tls")
        .stdout_contains("name: httpbin-org-curl-egress");
    // 0.59: the central layout, still v1beta1.
    at("0.59")
        .status(0)
        .stdout_contains("apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy")
        .stdout_contains("name: ambient-ap-httpbin-org");
    // 1.3: v1; 1.4: NetworkPolicy ports name their protocol.
    let v13 = at("1.3");
    v13.status(0)
        .stdout_contains("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy");
    assert!(!v13.stdout.contains("protocol: TCP"), "{}", v13.stdout);
    at("1.4").status(0).stdout_contains("protocol: TCP");
}

#[test]
fn no_network_policies_leaves_them_out() {
    let path = fixture("ambient-seed-example.yaml");
    let all = run(&[&path]);
    all.stdout_contains("kind: NetworkPolicy");
    let without = run(&["--no-network-policies".as_ref(), path.as_os_str()]);
    without.status(0);
    assert!(!without.stdout.contains("kind: NetworkPolicy"));
    assert_eq!(
        without.stdout.matches("\n---\n").count() + 1,
        all.stdout.matches("\n---\n").count(),
        "only the NetworkPolicy is left out"
    );
}

#[test]
fn namespace_option_fills_packages_without_one_and_the_error_names_it() {
    let pkg = "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: api.example.com}\n";
    Test::new()
        .stdin(pkg)
        .run()
        .status(1)
        .stdout("")
        .stderr_contains("metadata.namespace is missing")
        .stderr_contains("--namespace");
    Test::new()
        .args(["-n", "analytics"])
        .stdin(pkg)
        .run()
        .status(0)
        .stdout_contains("namespace: analytics")
        .stdout_contains("uds.dev/user-app-analytics: user");
}

#[test]
fn list_documents_are_read_item_by_item() {
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: uds.dev/v1alpha1\n  kind: Package\n  metadata: {name: a, namespace: team-a}\n  spec: {network: {allow: [{direction: Egress, remoteHost: api.example.com}]}}\n  status: {phase: Ready}\n- apiVersion: uds.dev/v1alpha1\n  kind: Package\n  metadata: {name: b, namespace: team-b}\n  spec: {network: {allow: [{direction: Egress, remoteHost: api.example.com, port: 8443, remoteProtocol: HTTP, serviceAccount: x, description: one}, {direction: Egress, remoteHost: api.example.com, port: 8443, description: two}]}}\n";
    let out = Test::new().stdin(list).run();
    out.status(1)
        .stdout("")
        // The second item's problem is located as such (SPEC §1).
        .stderr_contains("<stdin>:12:")
        .stderr_contains("document 1, items[1], package team-b/b");
    let ok = list.replace("remoteProtocol: HTTP, ", "");
    Test::new()
        .stdin(ok)
        .run()
        .status(0)
        .stdout_contains("uds.dev/user-a-team-a: user")
        .stdout_contains("uds.dev/user-b-team-b: user");
}

#[test]
fn mode_option_sets_the_default_mode() {
    let path = fixture("default-mode-ambient-when-unset.yaml");
    run(&[&path]).stdout_contains("kind: AuthorizationPolicy");
    // serviceAccount is ambient-only, so as sidecar the same file is refused.
    run(&["--mode".as_ref(), "sidecar".as_ref(), path.as_os_str()])
        .status(1)
        .stderr_contains("serviceAccount is only valid in ambient mode");
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
                "{direction: Egress, remoteHost: cdn.example.com, ports: [443, 80], description: b}",
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
    let dir = TempDir::new();
    let paths: Vec<PathBuf> = order_documents()
        .iter()
        .enumerate()
        .map(|(i, doc)| dir.write(&format!("doc-{i}.yaml"), doc))
        .collect();
    let reference = run(&paths);
    reference.status(0).stderr_contains("warning[");
    assert!(!reference.stdout.is_empty());
    let perms = permutations(&paths);
    assert_eq!(perms.len(), 120);
    for perm in perms.iter().step_by(7) {
        let out = run(perm);
        out.status(0);
        assert!(
            out.stdout == reference.stdout,
            "stdout differs for {perm:?}"
        );
        assert_eq!(out.stderr, reference.stderr, "warnings differ for {perm:?}");
    }
}

#[test]
fn output_does_not_depend_on_the_order_of_documents_in_a_file() {
    let dir = TempDir::new();
    let docs = order_documents();
    let mut reference: Option<String> = None;
    let perms = permutations(&docs);
    for (i, perm) in perms.iter().enumerate().step_by(11) {
        let path = dir.write(
            &format!("perm-{i}.yaml"),
            format!("---\n{}", perm.join("---\n")),
        );
        let out = run(&[&path]);
        out.status(0);
        match &reference {
            None => reference = Some(out.stdout),
            Some(r) => assert!(&out.stdout == r, "stdout differs for permutation {i}"),
        }
    }
    // JSON too.
    let json: Vec<String> = [0, perms.len() - 1]
        .iter()
        .map(|&i| {
            let path = dir.write(&format!("json-{i}.yaml"), perms[i].join("---\n"));
            run(&["-o".as_ref(), "json".as_ref(), path.as_os_str()]).stdout
        })
        .collect();
    assert_eq!(json[0], json[1]);
}

#[test]
fn conflict_report_does_not_depend_on_input_order() {
    let dir = TempDir::new();
    let docs = [
        egress("one", "team-a", "sidecar", "api.example.com"),
        package(
            "two",
            "team-b",
            "sidecar",
            &["{direction: Egress, remoteHost: api.example.com, remoteProtocol: HTTP, port: 443}"],
        ),
        egress("three", "team-c", "ambient", "x.example.com"),
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
    // Before 0.59, so that the ambient pair sets must agree (§2.13).
    let old = |paths: &[PathBuf]| Test::new().args(["--uds-core", "0.58"]).args(paths).run();
    let reference = old(&paths);
    reference
        .status(1)
        .stderr_contains("error[port-protocol-conflict]")
        .stderr_contains("error[ambient-port-sets]");
    for perm in permutations(&paths).iter().step_by(5) {
        old(perm).status(1).stdout("").stderr(&reference.stderr);
    }
}
