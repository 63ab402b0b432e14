//! Every validation rule of SPEC §2 end to end through the real binary: exit
//! status 1, nothing on stdout, and the message (with file, line and column,
//! package, `allow[]` index and field) on stderr. One test per rule, each
//! over its `fixtures/error-*.yaml`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `egress-render ARGS` from the workspace root (so paths in messages
/// read `fixtures/…`).
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_egress-render"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Assert the run failed as SPEC §7 says (exit 1, empty stdout) and that
/// stderr holds each expected line; return stderr.
fn fails_with(args: &[&str], expected: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit status; stderr:\n{stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on error, got {} bytes",
        out.stdout.len()
    );
    for line in expected {
        assert!(
            stderr.contains(line),
            "stderr lacks {line:?}; stderr:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("problem(s) found; nothing rendered"),
        "no summary line:\n{stderr}"
    );
    stderr
}

#[test]
fn rule_01_missing_name_and_namespace() {
    fails_with(
        &["fixtures/error-01-missing-name-and-namespace.yaml"],
        &[
            "error[§2.1 metadata]: metadata.name is missing or empty\n  --> fixtures/error-01-missing-name-and-namespace.yaml:5:9, document 1, metadata.name\n  = help: set metadata.name: a Package needs a name and a namespace",
            "error[§2.1 metadata]: metadata.namespace is missing or empty\n  --> fixtures/error-01-missing-name-and-namespace.yaml:5:3, document 1, metadata.namespace",
        ],
    );
}

#[test]
fn rule_01_reserved_namespace() {
    fails_with(
        &["fixtures/error-01-reserved-namespace.yaml"],
        &[
            "namespace \"kube-system\" is reserved for the platform",
            "--> fixtures/error-01-reserved-namespace.yaml:6:14, document 1, package kube-system/app, metadata.namespace",
            "= help: deploy the package in its own namespace",
        ],
    );
}

#[test]
fn rule_02_duplicate_namespace() {
    fails_with(
        &["fixtures/error-02-duplicate-namespace.yaml"],
        &[
            "error[§2.2 duplicate-namespace]: namespace \"team-a\" already has Package \"app\" (fixtures/error-02-duplicate-namespace.yaml, document 1)",
            "--> fixtures/error-02-duplicate-namespace.yaml:12:36, document 2, package team-a/other, metadata.namespace",
            "= help: merge the two Packages' allow rules into one Package",
        ],
    );
}

#[test]
fn rule_03_exclusive_remote_fields() {
    fails_with(
        &["fixtures/error-03-exclusive-remote-fields.yaml"],
        &[
            "error[§2.3 exclusive-fields]: remoteGenerated \"Anywhere\" cannot be combined with remoteHost \"api.example.com\" in one rule\n  --> fixtures/error-03-exclusive-remote-fields.yaml:10:21, document 1, package team-a/app, allow[0].remoteHost\n  = help: split this rule in two",
            "remoteNamespace \"monitoring\" cannot be combined with remoteCidr \"10.0.0.0/8\"",
            "remoteSelector {app: db} cannot be combined with remoteProtocol TLS",
            "remoteSelector {app: db} cannot be combined with remoteHost \"db.example.com\"",
        ],
    );
}

#[test]
fn rule_04_protocol_without_host() {
    fails_with(
        &["fixtures/error-04-protocol-without-host.yaml"],
        &["error[§2.4 protocol-without-host]: remoteProtocol HTTP requires remoteHost\n  --> fixtures/error-04-protocol-without-host.yaml:9:25, document 1, package team-a/app, allow[0].remoteProtocol\n  = help: add the remoteHost this protocol is for, or remove remoteProtocol"],
    );
}

#[test]
fn rule_05_remote_host_on_ingress() {
    fails_with(
        &["fixtures/error-05-remote-host-on-ingress.yaml"],
        &[
            "error[§2.5 remote-host-on-ingress]: remoteHost \"api.example.com\" cannot be used with direction: Ingress\n  --> fixtures/error-05-remote-host-on-ingress.yaml:9:21, document 1, package team-a/app, allow[0].remoteHost\n  = help: remoteHost describes egress: set direction: Egress",
            "remoteProtocol TLS cannot be used with direction: Ingress",
        ],
    );
}

#[test]
fn rule_06_wildcard_host() {
    fails_with(
        &["fixtures/error-06-wildcard-host.yaml"],
        &["error[§2.6 wildcard-host]: remoteHost \"*.example.com\": wildcard domains are not supported\n  --> fixtures/error-06-wildcard-host.yaml:8:41, document 1, package team-a/app, allow[0].remoteHost\n  = help: list each host"],
    );
}

#[test]
fn rule_07_service_account_only_in_ambient_mode() {
    fails_with(
        &["fixtures/error-07-service-account-in-sidecar-mode.yaml"],
        &["error[§2.7 service-account]: serviceAccount is only valid in ambient mode (package team-a/app is sidecar)\n  --> fixtures/error-07-service-account-in-sidecar-mode.yaml:9:74, document 1, package team-a/app, allow[0].serviceAccount\n  = help: remove serviceAccount"],
    );
    fails_with(
        &[
            "--mode",
            "sidecar",
            "fixtures/error-07-service-account-default-sidecar-mode.yaml",
        ],
        &[
            "serviceAccount is only valid in ambient mode (package team-a/app is sidecar)",
            "the default mode (--mode) is sidecar",
        ],
    );
    fails_with(
        &["fixtures/error-07-service-account-without-host.yaml"],
        &["serviceAccount \"curl\" is only valid with remoteHost\n  --> fixtures/error-07-service-account-without-host.yaml:9:74, document 1, package team-a/app, allow[0].serviceAccount"],
    );
}

#[test]
fn rule_08_port_types() {
    fails_with(
        &["fixtures/error-08-port-types.yaml"],
        &[
            "error[§2.8 invalid-value]: port must be an integer from 1 to 65535, found the string \"443\"\n  --> fixtures/error-08-port-types.yaml:8:62, document 1, package team-a/app, allow[0].port\n  = help: write 443 without quotes",
            "port must be an integer from 1 to 65535, found the number 3.5\n  --> fixtures/error-08-port-types.yaml:9:62,",
            "port must be an integer from 1 to 65535, found the integer -1\n  --> fixtures/error-08-port-types.yaml:10:62,",
            "ports[0] must be an integer from 1 to 65535, found the integer 0\n  --> fixtures/error-08-port-types.yaml:11:64, document 1, package team-a/app, allow[3].ports[0]",
            "ports[1] must be an integer from 1 to 65535, found the integer 65536\n  --> fixtures/error-08-port-types.yaml:11:67,",
            "ports must be a list of port numbers, found the integer 443\n  --> fixtures/error-08-port-types.yaml:12:63, document 1, package team-a/app, allow[4].ports\n  = help: write ports: [443] (a list), or port: 443",
        ],
    );
}

#[test]
fn rule_08_remote_protocol_direction_mode_and_types() {
    fails_with(
        &["fixtures/error-08-remote-protocol-tcp.yaml"],
        &[
            "remoteProtocol must be TLS or HTTP, found the string \"tcp\"\n  --> fixtures/error-08-remote-protocol-tcp.yaml:8:72, document 1, package team-a/app, allow[0].remoteProtocol",
            "found the string \"tls\"\n  --> fixtures/error-08-remote-protocol-tcp.yaml:9:72, document 1, package team-a/app, allow[1].remoteProtocol\n  = help: write remoteProtocol: TLS",
        ],
    );
    fails_with(
        &["fixtures/error-08-direction-and-mode.yaml"],
        &[
            "spec.network.serviceMesh.mode must be ambient or sidecar, found the string \"Ambient\"\n  --> fixtures/error-08-direction-and-mode.yaml:7:25",
            "direction must be Ingress or Egress, found the string \"egress\"\n  --> fixtures/error-08-direction-and-mode.yaml:9:21, document 1, package team-a/app, allow[0].direction",
            "direction is missing\n  --> fixtures/error-08-direction-and-mode.yaml:10:9, document 1, package team-a/app, allow[1].direction",
        ],
    );
    fails_with(
        &["fixtures/error-08-wrong-types.yaml"],
        &[
            "metadata.name must be a string, found a list\n  --> fixtures/error-08-wrong-types.yaml:5:9, document 1, package team-a/?, metadata.name",
            "metadata.generation must be an integer, found the string \"3\"\n  --> fixtures/error-08-wrong-types.yaml:7:15",
            "remoteHost must be a string, found the integer 42\n  --> fixtures/error-08-wrong-types.yaml:12:21, document 1, package team-a/?, allow[0].remoteHost",
            "selector.enabled must be a string, found the boolean true\n  --> fixtures/error-08-wrong-types.yaml:13:40",
            "allow[1] must be a mapping, found the string \"just-a-string\"\n  --> fixtures/error-08-wrong-types.yaml:14:9",
        ],
    );
}

#[test]
fn rule_09_remote_host_is_a_bare_lowercase_host() {
    fails_with(
        &["fixtures/error-09-host-url.yaml"],
        &["error[§2.9 invalid-host]: remoteHost \"https://api.example.com/v1\" is a URL\n  --> fixtures/error-09-host-url.yaml:8:41, document 1, package team-a/app, allow[0].remoteHost\n  = help: write the bare host: api.example.com"],
    );
    fails_with(
        &["fixtures/error-09-host-uppercase.yaml"],
        &["error[§2.9 invalid-host]: remoteHost \"Example.com\" has upper-case letters\n  --> fixtures/error-09-host-uppercase.yaml:8:41, document 1, package team-a/app, allow[0].remoteHost\n  = help: write example.com"],
    );
    fails_with(
        &["fixtures/error-09-host-port-path-and-labels.yaml"],
        &[
            "remoteHost \"api.example.com:8443\" includes a port\n  --> fixtures/error-09-host-port-path-and-labels.yaml:8:41, document 1, package team-a/app, allow[0].remoteHost\n  = help: write remoteHost: api.example.com and port: 8443",
            "remoteHost \"api.example.com/v1\" has a path",
            "remoteHost \"api..example.com\" has an empty label",
            "remoteHost \"api_v1.example.com\" is not a valid DNS name",
            "has a label of 64 characters",
            "remoteHost \"api.example.com.\" ends with a dot",
            "remoteHost \" api.example.com\" has leading or trailing spaces",
        ],
    );
}

#[test]
fn rule_09_remote_host_at_most_253_characters() {
    fails_with(
        &["fixtures/error-09-host-too-long.yaml"],
        &["example.com\" is 255 characters long, more than 253\n  --> fixtures/error-09-host-too-long.yaml:9:21, document 1, package team-a/app, allow[0].remoteHost\n  = help: use the host's real DNS name"],
    );
}

#[test]
fn rule_10_service_account_is_a_dns_subdomain() {
    fails_with(
        &["fixtures/error-10-invalid-service-account.yaml"],
        &["error[§2.10 invalid-service-account]: serviceAccount \"My_Service_Account\" is not a valid service account name (a DNS-1123 subdomain)\n  --> fixtures/error-10-invalid-service-account.yaml:9:74, document 1, package team-a/app, allow[0].serviceAccount\n  = help: write the ServiceAccount's metadata.name: lower case a-z, 0-9, '-' and '.', e.g. my-service-account"],
    );
}

#[test]
fn rule_11_one_port_two_protocols_in_a_package() {
    fails_with(
        &["fixtures/error-11-port-two-protocols.yaml"],
        &["error[§2.11 port-protocol-conflict]: api.example.com:8080 is requested as TLS by allow[0] and as HTTP by allow[1]; a port carries one protocol\n  --> fixtures/error-11-port-two-protocols.yaml:9:41, document 1, package team-a/app, allow[1].remoteProtocol"],
    );
}

#[test]
fn rule_12_kubernetes_metadata_limits() {
    fails_with(
        &["fixtures/error-12-name-too-long-for-label.yaml"],
        &[
            "is 70 characters; the uds/package label value allows at most 63\n  --> fixtures/error-12-name-too-long-for-label.yaml:4:18",
            "= help: shorten metadata.name by 7 characters, to 63 or fewer",
        ],
    );
    fails_with(
        &["fixtures/error-12-annotation-key-too-long.yaml"],
        &[
            "the shared objects' annotation key \"uds.dev/user-a-rather-long-application-name-a-rather-long-team-namespace-x\" would have a 66-character name part; at most 63 are allowed",
            "--> fixtures/error-12-annotation-key-too-long.yaml:4:18, document 1, package a-rather-long-team-namespace-x/a-rather-long-application-name, metadata.name",
            "by 3 characters in total",
        ],
    );
    fails_with(
        &["fixtures/error-12-sidecar-selector-label.yaml"],
        &["selector app: \"my app!\" is not a valid Kubernetes label; the Sidecar's workloadSelector would be rejected\n  --> fixtures/error-12-sidecar-selector-label.yaml:9:68, document 1, package team-a/app, allow[0].selector"],
    );
}

#[test]
fn rule_13_rendered_name_collision() {
    fails_with(
        &["fixtures/error-13-sanitized-name-collision.yaml"],
        &[
            "error[§2.13 name-collision]: ServiceEntry team-a/app-egress-a-b-com-443-tls would be rendered twice: for host a.b.com (allow[0]) in package team-a/app and for host a-b.com (allow[1]) in package team-a/app\n  --> fixtures/error-13-sanitized-name-collision.yaml:10:41, document 1, package team-a/app, allow[1].remoteHost",
            "Gateway istio-egress-gateway/gateway-a-b-com, VirtualService istio-egress-gateway/egress-vs-a-b-com, ServiceEntry istio-egress-gateway/service-entry-a-b-com would each be rendered twice",
        ],
    );
}

#[test]
fn rule_14_network_policy_name_collision() {
    fails_with(
        &["fixtures/error-14-network-policy-name.yaml"],
        &["error[§2.14 network-policy-name]: allow[0] and allow[1] would both generate the NetworkPolicy \"allow-app-egress-curl-all-pods\"\n  --> fixtures/error-14-network-policy-name.yaml:9:9, document 1, package team-a/app, allow[1]\n  = help: give allow[1] a description"],
    );
}

#[test]
fn cross_package_conflicts_name_host_packages_and_sets() {
    fails_with(
        &["fixtures/error-ambient-host-conflict.yaml"],
        &["error[§5 ambient-host-conflict]: host api.example.com is requested with {443/TLS, 8443/TLS} by package team-a/app (fixtures/error-ambient-host-conflict.yaml) but with {80/HTTP} by package team-b/web"],
    );
    fails_with(
        &["--mode", "sidecar", "fixtures/error-sidecar-protocol-conflict.yaml"],
        &["error[§6 sidecar-protocol-conflict]: api.example.com:8080 is requested as TLS by package team-a/app (fixtures/error-sidecar-protocol-conflict.yaml) and as HTTP by package team-b/web"],
    );
}

#[test]
fn yaml_syntax_errors_have_line_and_column() {
    fails_with(
        &["fixtures/error-yaml-syntax.yaml"],
        &["error[§2 yaml]: invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'\n  --> fixtures/error-yaml-syntax.yaml:5:5\n  = help: close the flow mapping"],
    );
    fails_with(
        &["fixtures/error-yaml-bad-indentation.yaml"],
        &["error[§2 yaml]: invalid YAML: mapping values are not allowed in this context\n  --> fixtures/error-yaml-bad-indentation.yaml:6:14\n  = help: check the indentation"],
    );
}

#[test]
fn unsupported_api_version_and_not_a_mapping() {
    fails_with(
        &["fixtures/error-api-version-unsupported.yaml"],
        &["error[§1 api-version]: unsupported apiVersion \"uds.dev/v1beta1\" for kind Package; egress-render reads uds.dev/v1alpha1\n  --> fixtures/error-api-version-unsupported.yaml:2:13, document 1, package team-a/app, apiVersion\n  = help: write apiVersion: uds.dev/v1alpha1"],
    );
    fails_with(
        &["fixtures/error-not-a-mapping.yaml"],
        &["error[§1 not-a-mapping]: document is a list, not a mapping\n  --> fixtures/error-not-a-mapping.yaml:6:1, document 2"],
    );
}

/// A fresh directory under the system temp dir for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("egress-render-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// SPEC §2: every problem is reported, not only the first: parse errors,
/// per-package rules and cross-package rules across several files, all in
/// one run, in file and position order.
#[test]
fn all_problems_in_several_files_are_reported_in_one_run() {
    let dir = temp_dir("many-files");
    std::fs::write(
        dir.join("a.yaml"),
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: app, namespace: team-a}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: \"https://api.example.com/v1\", description: a}\n      - {direction: Egress, remoteHost: Example.com, port: \"443\", description: b}\n      - {direction: Ingress, remoteHost: ok.example.com, description: c}\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("b.yaml"),
        "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: web, namespace: team-a}\nspec:\n  network:\n    serviceMesh: {mode: sidecar}\n    allow:\n      - {direction: Egress, remoteHost: \"*.example.com\", serviceAccount: curl}\n",
    )
    .expect("write");
    std::fs::write(dir.join("c.yaml"), "kind: Package\nmetadata: {name: x\n").expect("write");
    let stderr = fails_with(
        &[dir.to_str().expect("utf-8 temp path")],
        &[
            "a.yaml:7:41, document 1, package team-a/app, allow[0].remoteHost",
            "a.yaml:8:41, document 1, package team-a/app, allow[1].remoteHost",
            "a.yaml:8:60, document 1, package team-a/app, allow[1].port",
            "a.yaml:9:42, document 1, package team-a/app, allow[2].remoteHost",
            "b.yaml:3:34, document 1, package team-a/web, metadata.namespace",
            "b.yaml:8:41, document 1, package team-a/web, allow[0].remoteHost",
            "b.yaml:8:74, document 1, package team-a/web, allow[0].serviceAccount",
            "c.yaml:2:11\n  = help: close the '{' or '[' opened here",
            "error: 8 problem(s) found; nothing rendered",
        ],
    );
    // Deterministic order: by file, then position.
    let a = stderr.find("a.yaml:7:41").unwrap_or(usize::MAX);
    let b = stderr.find("b.yaml:3:34").unwrap_or(usize::MAX);
    let c = stderr.find("c.yaml:2:11").unwrap_or(usize::MAX);
    assert!(a < b && b < c, "not in file order:\n{stderr}");
    // The same run twice gives the same report.
    let again =
        String::from_utf8_lossy(&run(&[dir.to_str().unwrap_or_default()]).stderr).into_owned();
    assert_eq!(stderr, again);
    let _ = std::fs::remove_dir_all(&dir);
}
