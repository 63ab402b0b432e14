//! Every validation rule of SPEC §2 end to end through the real binary:
//! each `fixtures/error-*.yaml` (with the options of its `# options:` line)
//! exits 1 with nothing on stdout, and what it prints on stderr (the
//! message with file, line and column, package, `allow[]` index and field,
//! then the count) is its snapshot `snapshots/cli-error@<fixture>.snap`.

use crate::harness::{fixture_flags, from_repo, Test};

#[test]
fn error_fixtures_print_their_snapshot_and_exit_1() {
    insta::glob!("../../../../fixtures", "error-*.yaml", |path| {
        let mut args = fixture_flags(path);
        args.push(from_repo(path));
        let run = Test::new().args(&args).run();
        run.status(1)
            .stdout("")
            .stderr_contains("problem(s) found; nothing rendered");
        let shown = format!(
            "$ egress-render {}\nexit status: {}\nstdout: {:?}\nstderr:\n{}",
            args.join(" "),
            run.code.unwrap_or(-1),
            run.stdout,
            run.stderr
        );
        insta::with_settings!({
            snapshot_path => "../../../../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            input_file => path,
        }, {
            insta::assert_snapshot!("cli-error", shown);
        });
    });
}

/// SPEC §2: every problem is reported, not only the first: parse errors,
/// per-package rules and cross-package rules across several files, all in
/// one run, in file and position order.
#[test]
fn all_problems_in_several_files_are_reported_in_one_run() {
    let test = || {
        Test::new()
            .file(
                "many-files/a.yaml",
                "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app, namespace: team-a}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: \"https://api.example.com/v1\", description: a}\n      - {direction: Egress, remoteHost: Example.com, port: \"443\", description: b}\n      - {direction: Ingress, remoteHost: ok.example.com, description: c}\n",
            )
            .file(
                "many-files/b.yaml",
                "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: web, namespace: team-a}\nspec:\n  network:\n    serviceMesh: {mode: sidecar}\n    allow:\n      - {direction: Egress, remoteHost: \"*.example.com\", serviceAccount: curl}\n",
            )
            .file("many-files/c.yaml", "kind: Package\nmetadata: {name: x\n")
            .arg("many-files")
    };
    let run = test().run();
    run.status(1).stdout("");
    for line in [
        "a.yaml:7:41, document 1, package team-a/app, allow[0].remoteHost",
        "a.yaml:8:41, document 1, package team-a/app, allow[1].remoteHost",
        "a.yaml:8:60, document 1, package team-a/app, allow[1].port",
        "a.yaml:9:42, document 1, package team-a/app, allow[2].remoteHost",
        "b.yaml:3:34, document 1, package team-a/web, metadata.namespace",
        "b.yaml:8:41, document 1, package team-a/web, allow[0].remoteHost",
        "b.yaml:8:74, document 1, package team-a/web, allow[0].serviceAccount",
        "c.yaml:2:11\n  = help: close the '{' or '[' opened here",
        "error: 8 problem(s) found; nothing rendered",
    ] {
        run.stderr_contains(line);
    }
    // Deterministic order: by file, then position.
    let stderr = &run.stderr;
    let a = stderr.find("a.yaml:7:41").unwrap_or(usize::MAX);
    let b = stderr.find("b.yaml:3:34").unwrap_or(usize::MAX);
    let c = stderr.find("c.yaml:2:11").unwrap_or(usize::MAX);
    assert!(a < b && b < c, "not in file order:\n{stderr}");
    // The same run twice gives the same report.
    test().run().stderr(stderr);
}
