//! `egress-render explain CODE` and `docs/rules.md`: for every error,
//! warning and note code, what it means, why UDS Core or Istio refuses it,
//! and a fix shown before and after. One table, so the command, the SARIF
//! rules and the page cannot disagree (a test regenerates the page).

use egress_render::{ErrorKind, WarningKind};

/// A PATH, `--check` FILE or `--diff-base` that could not be read.
/// How bad a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    /// The name in JSON and SARIF.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

pub const READ: &str = "read";
/// `--check`: the committed file is not what renders now.
pub const DRIFT: &str = "drift";
/// Writing the output failed.
pub const IO: &str = "io";
/// A directory walk skipped a symbolic link out of the tree.
pub const SKIPPED: &str = "skipped";
/// `report --fail-on`: findings at or above the severity.
pub const FINDINGS: &str = "findings";

/// One code's page.
pub struct Entry {
    pub code: &'static str,
    pub level: Level,
    /// One line: what the message is about.
    pub title: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// Why UDS Core, Istio or Kubernetes refuses it (or why it matters).
    pub why: &'static str,
    /// The input before and after the fix.
    pub before: &'static str,
    pub after: &'static str,
}

/// The codes of the library's errors and warnings, and the CLI's own.
pub fn codes() -> Vec<(&'static str, Level)> {
    let errors = ErrorKind::ALL.iter().map(|k| (k.code(), Level::Error));
    let warnings = WarningKind::ALL.iter().map(|k| (k.code(), Level::Warning));
    let cli = [
        (READ, Level::Error),
        (DRIFT, Level::Error),
        (IO, Level::Error),
        (FINDINGS, Level::Error),
        (SKIPPED, Level::Note),
    ];
    errors.chain(warnings).chain(cli).collect()
}

/// The entry for `code`.
pub fn entry(code: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.code == code)
}

/// `egress-render explain CODE`'s text, or `docs/rules.md`'s section
/// (`heading` adds the Markdown heading).
pub fn text(e: &Entry, heading: bool) -> String {
    let mut out = String::new();
    if heading {
        out.push_str(&format!("## {}\n\n", e.code));
        out.push_str(&format!("**{}:** {}.\n\n", e.level.as_str(), e.title));
    } else {
        out.push_str(&format!(
            "{}[{}]: {}\n\n",
            e.level.as_str(),
            e.code,
            e.title
        ));
    }
    out.push_str(e.meaning);
    out.push_str("\n\n");
    out.push_str(if heading { "**Why:** " } else { "Why: " });
    out.push_str(e.why);
    out.push_str("\n\n");
    let fence = |label: &str, body: &str| {
        let lang = if body.starts_with('$') { "sh" } else { "yaml" };
        if heading {
            format!("{label}:\n\n```{lang}\n{body}\n```\n\n")
        } else {
            let indented: Vec<String> = body.lines().map(|l| format!("    {l}")).collect();
            format!("{label}:\n\n{}\n\n", indented.join("\n"))
        }
    };
    out.push_str(&fence("Before", e.before));
    out.push_str(&fence("After", e.after));
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The whole of `docs/rules.md`.
pub fn rules_page() -> String {
    let mut out = String::from(
        "# Errors, warnings and notes\n\n\
         <!-- Generated from crates/egress-render-cli/src/explain.rs: edit it there, then\n\
         `EGRESS_RENDER_BLESS=1 cargo test -p egress-render-cli --test cli rules_md`. -->\n\n\
         Every message egress-render prints has a code, in brackets after its\n\
         level: `error[invalid-host]`, `warning[port-ignored]`. `egress-render\n\
         explain CODE` prints the section below for CODE. The machine formats\n\
         (`--message-format json|sarif`, [ci.md](ci.md)) carry the same code.\n\n",
    );
    out.push_str("| code | level | what |\n|---|---|---|\n");
    for e in ENTRIES {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} |\n",
            e.code,
            e.code,
            e.level.as_str(),
            e.title
        ));
    }
    out.push('\n');
    for e in ENTRIES {
        out.push_str(&text(e, true));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Every entry, errors first in the order of `ErrorKind`, then warnings,
/// then the CLI's own codes.
pub static ENTRIES: &[Entry] = &[
    Entry {
        code: "yaml",
        level: Level::Error,
        title: "the input is not valid YAML, or exceeds a parser budget",
        meaning: "The file could not be parsed: a syntax error (bad indentation, a tab, an unclosed bracket), or a budget the parser enforces against hostile input (alias expansion, nesting depth). The whole file is refused; nothing is rendered. In a Helm chart's `templates/`, or in a file holding `{{`, this is a template that is YAML only once rendered.",
        why: "kubectl and the API server would refuse the same text; a budget keeps a pull request from exhausting CI's memory.",
        before: "metadata:\n  name: shop\n\tnamespace: shop   # a tab",
        after: "metadata:\n  name: shop\n  namespace: shop",
    },
    Entry {
        code: "encoding",
        level: Level::Error,
        title: "the input is not UTF-8, or is larger than 256 MiB",
        meaning: "YAML is UTF-8 here, as Kubernetes reads it; a file in another encoding (UTF-16 from some editors, Latin-1) or over 256 MiB is refused before parsing.",
        why: "The API server accepts only UTF-8 JSON and YAML; the size cap bounds memory.",
        before: "$ iconv -t UTF-16 shop.yaml > packages/shop.yaml",
        after: "$ iconv -f UTF-16 -t UTF-8 packages/shop.yaml > shop.yaml && mv shop.yaml packages/",
    },
    Entry {
        code: "not-a-mapping",
        level: Level::Error,
        title: "a YAML document is not a mapping",
        meaning: "Each document of the stream must be a Kubernetes object, a mapping with `apiVersion` and `kind`; this one is a list or a scalar. A string document is not quoted back (it may be a secret a link led to).",
        why: "kubectl refuses such a document (`error validating data`); it can hold no Package.",
        before: "- apiVersion: uds.dev/v1alpha1\n  kind: Package",
        after: "apiVersion: uds.dev/v1alpha1\nkind: Package",
    },
    Entry {
        code: "api-version",
        level: Level::Error,
        title: "a Package with an apiVersion other than uds.dev/v1alpha1",
        meaning: "`kind: Package` under a `uds.dev/` group version that no UDS Core release serves.",
        why: "The API server refuses an unknown version of a CRD; egress-render reads what UDS Core defines.",
        before: "apiVersion: uds.dev/v1\nkind: Package",
        after: "apiVersion: uds.dev/v1alpha1\nkind: Package",
    },
    Entry {
        code: "package-kind",
        level: Level::Error,
        title: "a uds.dev object whose kind is a misspelt Package",
        meaning: "A `uds.dev/` object with a kind close to `Package` (`package`, `Packages`, `Pakage`): almost certainly a Package that would otherwise be skipped silently. Other UDS kinds (`Exemption`, `ClusterConfig`) are skipped.",
        why: "Kinds are case-sensitive and singular; the API server refuses an unknown kind, so this Package would never reach the operator.",
        before: "apiVersion: uds.dev/v1alpha1\nkind: package",
        after: "apiVersion: uds.dev/v1alpha1\nkind: Package",
    },
    Entry {
        code: "invalid-value",
        level: Level::Error,
        title: "a field has the wrong type or a value outside its set",
        meaning: "A port that is not an integer from 1 to 65535, a `direction` other than `Ingress`/`Egress`, a mode other than `ambient`/`sidecar`, a `remoteProtocol` other than `TLS`/`HTTP` (`TCP`/`UDP` from 1.4), a list where a mapping belongs.",
        why: "The Package CRD's OpenAPI schema refuses it at admission.",
        before: "allow:\n  - direction: egress\n    remoteHost: api.stripe.com\n    port: \"443\"",
        after: "allow:\n  - direction: Egress\n    remoteHost: api.stripe.com\n    port: 443",
    },
    Entry {
        code: "metadata",
        level: Level::Error,
        title: "metadata.name or metadata.namespace missing, invalid or reserved",
        meaning: "A Package needs a name (a DNS-1123 subdomain) and a namespace (a DNS-1123 label) that is not `kube-system`, `kube-public` or `pepr-system`. A Package without a namespace (Zarf and `helm install -n` set it at deploy time) takes `-n/--namespace NS`.",
        why: "The API server needs both to store the object; UDS Core's admission refuses the reserved namespaces.",
        before: "metadata:\n  name: shop",
        after: "metadata:\n  name: shop\n  namespace: shop   # or: egress-render -n shop",
    },
    Entry {
        code: "duplicate-namespace",
        level: Level::Error,
        title: "two Packages in one namespace",
        meaning: "UDS Core allows one Package per namespace; the input has two (the message names every file and document).",
        why: "UDS Core's admission webhook refuses the second Package of a namespace.",
        before: "metadata: {name: shop, namespace: shop}\n---\nmetadata: {name: shop-extra, namespace: shop}",
        after: "metadata: {name: shop, namespace: shop}   # the rules of both, in one Package",
    },
    Entry {
        code: "exclusive-fields",
        level: Level::Error,
        title: "remote fields that exclude each other are combined",
        meaning: "A rule names its remote one way: `remoteGenerated`, `remoteNamespace`/`remoteSelector`, `remoteCidr` or `remoteHost`. From 1.0 an empty `remoteNamespace: \"\"` counts as given.",
        why: "UDS Core's admission refuses the combination: the NetworkPolicy peer would be ambiguous.",
        before: "- direction: Egress\n  remoteHost: api.stripe.com\n  remoteCidr: 0.0.0.0/0",
        after: "- direction: Egress\n  remoteHost: api.stripe.com",
    },
    Entry {
        code: "remote-protocol",
        level: Level::Error,
        title: "remoteProtocol that does not fit the rule or the release",
        meaning: "`TLS`/`HTTP` need `remoteHost`; `TCP`/`UDP` are for rules without `remoteHost`, and only from UDS Core 1.4.",
        why: "UDS Core's admission refuses it; the protocol of a rule without a host has no Istio object to go to.",
        before: "- direction: Egress\n  remoteCidr: 10.0.0.0/8\n  remoteProtocol: TLS",
        after: "- direction: Egress\n  remoteCidr: 10.0.0.0/8",
    },
    Entry {
        code: "remote-host-on-ingress",
        level: Level::Error,
        title: "remoteHost on an Ingress rule",
        meaning: "`remoteHost` names an external destination, which only egress has.",
        why: "UDS Core's admission refuses it.",
        before: "- direction: Ingress\n  remoteHost: api.stripe.com",
        after: "- direction: Egress\n  remoteHost: api.stripe.com",
    },
    Entry {
        code: "wildcard-host",
        level: Level::Error,
        title: "a wildcard remoteHost",
        meaning: "`*` or `*.example.com` as `remoteHost`: egress to any host is not what an allow list is for.",
        why: "UDS Core refuses wildcards: an Istio ServiceEntry with resolution DNS cannot serve one, and it would open egress to everything.",
        before: "remoteHost: \"*.googleapis.com\"",
        after: "remoteHost: storage.googleapis.com   # one rule per host",
    },
    Entry {
        code: "service-account",
        level: Level::Error,
        title: "serviceAccount where the release does not accept it",
        meaning: "`serviceAccount` narrows egress to one workload identity; it is valid only in an ambient Package, on a rule with `remoteHost` (from 0.59 also with `remoteGenerated: Anywhere`). Sidecar mode picks workloads with `selector`.",
        why: "UDS Core's admission refuses it: a sidecar egress gateway cannot tell identities apart.",
        before: "serviceMesh: {mode: sidecar}\nallow:\n  - {direction: Egress, remoteHost: api.stripe.com, serviceAccount: checkout}",
        after: "serviceMesh: {mode: sidecar}\nallow:\n  - {direction: Egress, remoteHost: api.stripe.com, selector: {app: checkout}}",
    },
    Entry {
        code: "remote-required",
        level: Level::Error,
        title: "a rule that names no remote, from 1.0",
        meaning: "From UDS Core 1.0 every rule names where traffic goes or comes from.",
        why: "UDS Core 1.0's admission refuses a rule without a remote.",
        before: "- direction: Egress\n  selector: {app: web}\n  port: 443",
        after: "- direction: Egress\n  selector: {app: web}\n  remoteHost: api.stripe.com\n  port: 443",
    },
    Entry {
        code: "invalid-host",
        level: Level::Error,
        title: "remoteHost is not a bare lowercase DNS name",
        meaning: "A URL, `host:port`, a path, upper case or a name over 253 characters; the message shows the host to write.",
        why: "Istio refuses a ServiceEntry host that is not a DNS name, and the operator would fail the Package.",
        before: "remoteHost: https://API.Stripe.com:443/v1",
        after: "remoteHost: api.stripe.com\nport: 443",
    },
    Entry {
        code: "invalid-name",
        level: Level::Error,
        title: "serviceAccount or a selector label is not valid",
        meaning: "A `serviceAccount` must be a DNS-1123 subdomain; selector keys and values valid Kubernetes labels.",
        why: "The API server refuses objects with such names and labels, so the operator's objects would fail.",
        before: "serviceAccount: Checkout_SA\nselector: {app: \"web app\"}",
        after: "serviceAccount: checkout-sa\nselector: {app: web-app}",
    },
    Entry {
        code: "port-protocol-conflict",
        level: Level::Error,
        title: "one host:port asked for with two protocols",
        meaning: "In one Package, or across Packages of one mode, the same `host:port` is `TLS` in one rule and `HTTP` in another. The message names every package.",
        why: "Istio serves one protocol per host and port; which one wins depends on the operator's reconcile order, and from 0.59 one such ambient conflict stops the whole ambient reconcile.",
        before: "- {direction: Egress, remoteHost: example.com, port: 8080, remoteProtocol: HTTP, description: api}\n- {direction: Egress, remoteHost: example.com, port: 8080, description: admin}",
        after: "- {direction: Egress, remoteHost: example.com, port: 8080, remoteProtocol: HTTP, description: api}",
    },
    Entry {
        code: "ambient-port-sets",
        level: Level::Error,
        title: "before 0.59, ambient Packages ask for different ports of one host",
        meaning: "With the per-package ambient layout (UDS Core 0.56 to 0.58), every ambient Package that names a host must ask for the same (port, protocol) pairs.",
        why: "The shared waypoint serves one ServiceEntry per host, so the second request is blocked; which one depends on reconcile order.",
        before: "# team-a\n- {direction: Egress, remoteHost: github.com, ports: [443]}\n# team-b\n- {direction: Egress, remoteHost: github.com, ports: [443, 22]}",
        after: "# team-a and team-b\n- {direction: Egress, remoteHost: github.com, ports: [443, 22]}",
    },
    Entry {
        code: "gateway-port",
        level: Level::Error,
        title: "a sidecar port the egress gateway does not expose",
        meaning: "Sidecar egress leaves through the egress gateway, whose Service exposes `80` and `443` by default (`--gateway-ports`).",
        why: "The operator fails a sidecar Package whose port the gateway does not expose.",
        before: "serviceMesh: {mode: sidecar}\nallow:\n  - {direction: Egress, remoteHost: db.example.com, port: 5432}",
        after: "# the egress gateway chart's service.ports lists 5432, and:\n# egress-render --gateway-ports 80,443,5432",
    },
    Entry {
        code: "refused-object",
        level: Level::Error,
        title: "a rendered object the API server or Istio would refuse",
        meaning: "A generated name over 253 characters (63 for an Istio Gateway), a label value over 63, an annotation key part over 63, a Gateway without servers or a VirtualService without routes (before 0.59, `ports: []` in sidecar mode), an empty `remoteCidr`.",
        why: "The operator creates these objects verbatim; the API server or Istio refuses them, so the Package fails.",
        before: "metadata: {name: a-package-name-so-long-that-the-generated-names-exceed-the-kubernetes-limits}",
        after: "metadata: {name: shop}",
    },
    Entry {
        code: "name-collision",
        level: Level::Error,
        title: "two rendered objects share kind, namespace and name",
        meaning: "Generated names keep only `a-z` and `0-9`, so hosts such as `a.b.com` and `a-b.com` both become `ambient-se-a-b-com`.",
        why: "The operator would silently keep only one of the two objects.",
        before: "- {direction: Egress, remoteHost: a.b.com, description: a}\n- {direction: Egress, remoteHost: a-b.com, description: b}",
        after: "- {direction: Egress, remoteHost: a.b.com, description: a}",
    },
    Entry {
        code: "network-policy-name",
        level: Level::Error,
        title: "two rules of a Package generate the same NetworkPolicy name",
        meaning: "A NetworkPolicy's name comes from the rule's description, or else its selector and remote; two rules that give the same name would overwrite each other.",
        why: "The operator creates both under one name: the second replaces the first.",
        before: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}}\n- {direction: Egress, remoteHost: b.example.com, selector: {app: web}}",
        after: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}, description: a}\n- {direction: Egress, remoteHost: b.example.com, selector: {app: web}, description: b}",
    },
    Entry {
        code: "warning",
        level: Level::Error,
        title: "a warning, denied by --deny-warnings",
        meaning: "With `--deny-warnings`, every warning fails the run; its own code is in the warning printed with it.",
        why: "CI chose to treat what renders but is broken or surprising as a failure.",
        before: "$ egress-render --deny-warnings packages",
        after: "$ egress-render --deny-warnings packages   # after fixing what the warning says",
    },
    Entry {
        code: "deprecated-labels",
        level: Level::Warning,
        title: "podLabels and selector both set: the deprecated podLabels wins",
        meaning: "Both `podLabels` and `selector` (or `remotePodLabels` and `remoteSelector`) are set; UDS Core migrates the deprecated field over the new one.",
        why: "The rule selects other pods than the `selector` you wrote.",
        before: "- {direction: Egress, remoteHost: a.example.com, podLabels: {app: old}, selector: {app: web}}",
        after: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}}",
    },
    Entry {
        code: "port-ignored",
        level: Level::Warning,
        title: "port beside ports is ignored for the Istio objects",
        meaning: "When a rule gives both, the operator uses `ports` for the ServiceEntry and policies and ignores `port` (the NetworkPolicy still opens it).",
        why: "Traffic to `port` is opened at the network layer and then refused by Istio.",
        before: "- {direction: Egress, remoteHost: a.example.com, port: 8443, ports: [443]}",
        after: "- {direction: Egress, remoteHost: a.example.com, ports: [443, 8443]}",
    },
    Entry {
        code: "dangling-target",
        level: Level::Warning,
        title: "before 0.59, an AuthorizationPolicy that targets a ServiceEntry that does not exist",
        meaning: "With the per-package ambient layout, a host listed by two rules with different ports gets one ServiceEntry named after all its ports, while each rule's policy targets a name made from its own ports.",
        why: "The policy attaches to nothing, so no identity restriction applies to that host.",
        before: "- {direction: Egress, remoteHost: a.example.com, port: 443, serviceAccount: web, description: web}\n- {direction: Egress, remoteHost: a.example.com, port: 8443, serviceAccount: jobs, description: jobs}",
        after: "- {direction: Egress, remoteHost: a.example.com, ports: [443, 8443], serviceAccount: web, description: web}\n- {direction: Egress, remoteHost: a.example.com, ports: [443, 8443], serviceAccount: jobs, description: jobs}",
    },
    Entry {
        code: "duplicate-host-waypoint",
        level: Level::Warning,
        title: "before 0.59, two Packages' ServiceEntries for one host on the waypoint",
        meaning: "With the per-package ambient layout, each Package has its own ServiceEntry for a host, all bound to the one shared waypoint.",
        why: "Istio serves one ServiceEntry per host on a waypoint: the other Packages' egress to it fails or is not restricted as written.",
        before: "# team-a and team-b, UDS Core 0.58\n- {direction: Egress, remoteHost: github.com}",
        after: "# upgrade to UDS Core 0.59+ (one central ServiceEntry per host), or keep the host in one Package",
    },
    Entry {
        code: "shared-access",
        level: Level::Warning,
        title: "sidecar workloads can reach hosts they did not ask for",
        meaning: "In a sidecar Package, ServiceEntries are namespace-wide: a Sidecar whose rules name fewer hosts than the Package registers still reaches the others.",
        why: "Sidecar mode restricts by registry, not by workload; only ambient `serviceAccount` narrows a host to one identity.",
        before: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}}\n- {direction: Egress, remoteHost: b.example.com, selector: {app: jobs}}",
        after: "# move app: jobs to its own namespace and Package, or to ambient mode with serviceAccount",
    },
    Entry {
        code: "overlapping-sidecars",
        level: Level::Warning,
        title: "two Sidecars of a Package can select the same pod",
        meaning: "Two selectors that can match one pod, or two namespace-wide Sidecars (`-default` and `selector: {}`).",
        why: "Istio applies either of two Sidecars that select one pod, unpredictably.",
        before: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}}\n- {direction: Egress, remoteHost: b.example.com, selector: {tier: front}}",
        after: "- {direction: Egress, remoteHost: a.example.com, selector: {app: web}, description: a}\n- {direction: Egress, remoteHost: b.example.com, selector: {app: web}, description: b}",
    },
    Entry {
        code: "newer-release",
        level: Level::Warning,
        title: "--uds-core names a release newer than the newest known",
        meaning: "egress-render renders what the newest release it knows creates.",
        why: "A newer release may create other objects; the rendering may be out of date.",
        before: "$ egress-render --uds-core 9.9 packages",
        after: "$ egress-render --uds-core 1.11 packages   # or update egress-render",
    },
    Entry {
        code: READ,
        level: Level::Error,
        title: "a PATH, --check FILE or --diff-base could not be read",
        meaning: "The path does not exist, cannot be opened, or holds more than 256 MiB (counted while reading, so a device or an endless pipe stops there).",
        why: "Rendering part of the input would render partial shared objects; nothing is rendered.",
        before: "$ egress-render packges",
        after: "$ egress-render packages",
    },
    Entry {
        code: DRIFT,
        level: Level::Error,
        title: "--check: the committed file is not what renders now",
        meaning: "The Packages or the options changed and the committed rendering was not updated (the message carries the unified diff, at most 2,000 lines of it). A file that differs only in its form — CRLF line endings (a Windows checkout with core.autocrlf), a UTF-8 byte order mark, UTF-16 — is drift too, reported as such without a diff; `*.yaml text eol=lf` in .gitattributes keeps git from converting the line endings.",
        why: "The committed rendering is what reviewers read; it must match what the operator will create.",
        before: "$ egress-render --uds-core 1.11 packages --check rendered/egress.yaml",
        after: "$ egress-render --uds-core 1.11 packages --write rendered/egress.yaml",
    },
    Entry {
        code: IO,
        level: Level::Error,
        title: "the output could not be written",
        meaning: "Standard output or the `--write` FILE could not be written (a full disk, a read-only directory).",
        why: "A partial rendering must not be mistaken for a whole one; with `--write` the file is left as it was.",
        before: "$ egress-render packages --write /read-only/egress.yaml",
        after: "$ egress-render packages --write rendered/egress.yaml",
    },
    Entry {
        code: FINDINGS,
        level: Level::Error,
        title: "report --fail-on: findings at or above the severity",
        meaning: "The egress audit found risks of the `--fail-on` severity or higher (with `--diff-base`, new ones); the report above lists them, each with its fix.",
        why: "The CI gate chose to fail on such risks, such as cleartext egress (`cleartext-http`) or a whole namespace admitted (`unscoped-identity`); see docs/report.md.",
        before: "- {direction: Egress, remoteHost: a.example.com, remoteProtocol: HTTP, port: 80}",
        after: "- {direction: Egress, remoteHost: a.example.com, port: 443, serviceAccount: app}",
    },
    Entry {
        code: SKIPPED,
        level: Level::Note,
        title: "a directory walk skipped a symbolic link out of the tree",
        meaning: "A link under a directory given as PATH leads outside it (or to a device); its target is not read.",
        why: "A repository's link to `/dev/zero` or to a credentials file must not be read, let alone quoted.",
        before: "packages/token.yaml -> ../../.config/token",
        after: "# remove the link, or name the target as a PATH of its own",
    },
];
