//! Properties of every render of a valid fleet, over random fleets and
//! every release boundary of SPEC §3: both modes, random hosts (some shared between packages, some long), ports,
//! protocols, selectors, service accounts, and names and namespaces at the
//! length limits of SPEC §2.15.
//!
//! For each fleet: parsing and rendering succeed without a panic; the JSON
//! output parses, and the YAML output parses (serde-saphyr) to the same
//! values; references resolve (`reference_problems`); every object keeps
//! Kubernetes' metadata rules (checked here from the Kubernetes rules, not
//! with the crate's own `names` module); and shuffling the documents gives
//! byte-identical output.
//!
//! `PROPTEST_CASES=5000 cargo test -p egress-render --test properties` runs
//! more cases than the default 256.

use egress_render::{parse, render, Mode, Options, Release};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Top-level domains hosts end with; never a service account, so that
/// `{host}-egress` and `{host}-{sa}-egress` cannot collide.
const TLDS: [&str; 4] = ["com", "org", "io", "net"];

/// One host every package that names it requests the same way (so ambient
/// packages agree on the pair set and sidecar packages on the protocol).
#[derive(Debug, Clone)]
struct HostSpec {
    host: String,
    http: bool,
    /// Explicit ports; empty means the protocol's default port.
    ports: Vec<u16>,
}

#[derive(Debug, Clone)]
struct RuleSpec {
    host: usize,
    /// Index into the service account pool (ambient packages only).
    service_account: Option<usize>,
    selector: Option<Vec<(usize, usize)>>,
    /// How the ports are written: 0 `ports`, 1 `port` + `ports`, 2 `port`
    /// only when there is exactly one.
    port_style: u8,
}

#[derive(Debug, Clone)]
struct PackageSpec {
    name: String,
    namespace: String,
    generation: u32,
    uid: bool,
    mode: Option<bool>, // Some(true) = sidecar
    rules: Vec<RuleSpec>,
    ingress_rules: usize,
}

#[derive(Debug, Clone)]
struct Fleet {
    /// The UDS Core release rendered for (SPEC §3).
    release: (u32, u32),
    sidecar_default: bool,
    hosts: Vec<HostSpec>,
    packages: Vec<PackageSpec>,
}

const SERVICE_ACCOUNTS: [&str; 4] = ["curl", "default", "app.worker", "x"];
const SELECTOR_KEYS: [&str; 3] = ["app", "tier", "app.kubernetes.io/name"];
const SELECTOR_VALUES: [&str; 4] = ["web", "api", "Worker_1", "a"];

fn letters(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(b"abcdefghijklmnopqrstuvwxyz0123456789".to_vec()),
        len,
    )
    .prop_map(|v| v.into_iter().map(char::from).collect())
}

/// A DNS label starting with a letter and without '-' (so that sanitizing
/// a host, which turns '.' into '-', stays one-to-one).
fn host_label(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(b"abcdefghijklmnopqrstuvwxyz".to_vec()),
        letters(len),
    )
        .prop_map(|(first, rest)| format!("{}{rest}", char::from(first)))
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::collection::vec(host_label(0..=12), 1..=3), prop::sample::select(TLDS.to_vec()))
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join("."))),
        // Long hosts: 63-character labels, names cut at 250 and hashed
        // Gateway names (SPEC §6).
        1 => (prop::collection::vec(host_label(58..=58), 1..=3), prop::sample::select(TLDS.to_vec()))
            .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join("."))),
    ]
}

fn host_spec() -> impl Strategy<Value = HostSpec> {
    (
        host(),
        any::<bool>(),
        prop::collection::vec(
            prop_oneof![Just(443u16), Just(80), Just(8443), Just(9200), 1u16..=65535],
            0..=3,
        ),
    )
        .prop_map(|(host, http, mut ports)| {
            let mut seen = Vec::new();
            ports.retain(|p| {
                let new = !seen.contains(p);
                seen.push(*p);
                new
            });
            HostSpec { host, http, ports }
        })
}

/// A DNS-1123 label of exactly `len` characters: letter first, then
/// `a-z0-9-`, ending in a letter or digit.
fn dns_label_exact(len: usize) -> impl Strategy<Value = String> {
    let middle = len.saturating_sub(2);
    (
        prop::sample::select(b"abcdefghijklmnopqrstuvwxyz".to_vec()),
        prop::collection::vec(
            prop::sample::select(b"abcdefghijklmnopqrstuvwxyz0123456789-".to_vec()),
            middle,
        ),
        prop::sample::select(b"abcdefghijklmnopqrstuvwxyz0123456789".to_vec()),
    )
        .prop_map(move |(a, mid, z)| {
            let mut s = String::new();
            s.push(char::from(a));
            if len > 1 {
                s.extend(mid.into_iter().map(char::from));
                s.push(char::from(z));
            }
            s
        })
}

fn rule(hosts: usize, ambient: bool) -> impl Strategy<Value = RuleSpec> {
    (
        0..hosts,
        prop::option::of(0..SERVICE_ACCOUNTS.len()),
        prop::option::of(prop::collection::vec(
            (0..SELECTOR_KEYS.len(), 0..SELECTOR_VALUES.len()),
            0..=2,
        )),
        0u8..3,
    )
        .prop_map(move |(host, sa, selector, port_style)| RuleSpec {
            host,
            service_account: if ambient { sa } else { None },
            selector,
            port_style,
        })
}

fn fleet() -> impl Strategy<Value = Fleet> {
    (
        any::<bool>(),
        prop::collection::vec(host_spec(), 1..=6),
        1usize..=6,
    )
        .prop_flat_map(|(sidecar_default, hosts, n)| {
            let host_count = hosts.len();
            let packages = prop::collection::vec(
                (
                    // name + namespace lengths: "user-{name}-{namespace}"
                    // must fit 63, so name + namespace <= 57; often exactly.
                    1usize..=50,
                    prop_oneof![Just(true), Just(false)],
                    any::<u32>(),
                    any::<bool>(),
                    prop::option::of(any::<bool>()),
                    0usize..=2,
                )
                    .prop_flat_map(
                        move |(name_len, at_limit, generation, uid, mode, ingress_rules)| {
                            let ns_len = if at_limit {
                                57 - name_len
                            } else {
                                1 + (generation as usize % (57 - name_len))
                            };
                            let sidecar = mode.unwrap_or(sidecar_default);
                            (
                                dns_label_exact(name_len),
                                dns_label_exact(ns_len.max(1)),
                                prop::collection::vec(rule(host_count, !sidecar), 0..=4),
                            )
                                .prop_map(
                                    move |(name, namespace, rules)| PackageSpec {
                                        name,
                                        namespace,
                                        generation,
                                        uid,
                                        mode,
                                        rules,
                                        ingress_rules,
                                    },
                                )
                        },
                    ),
                n,
            );
            (Just(sidecar_default), Just(hosts), packages)
        })
        .prop_map(|(sidecar_default, mut hosts, mut packages)| {
            // Distinct hosts and namespaces (SPEC §2.2): make them unique
            // with a numeric suffix that keeps the length limits.
            for (i, h) in hosts.iter_mut().enumerate() {
                h.host = format!("h{i}{}", h.host);
            }
            // Istio refuses a sidecar Gateway name over 63 characters
            // (SPEC §2.15): sidecar packages keep to hosts that fit.
            for p in &mut packages {
                if p.mode.unwrap_or(sidecar_default) {
                    p.rules.retain(|r| hosts[r.host].host.len() <= 55);
                }
            }
            for (i, p) in packages.iter_mut().enumerate() {
                let suffix = i.to_string();
                let keep = p.namespace.len().saturating_sub(suffix.len() + 1).max(1);
                p.namespace = format!(
                    "{}{}{suffix}",
                    &p.namespace[..keep].trim_end_matches('-'),
                    "x"
                );
                if p.namespace.len() + p.name.len() > 57 {
                    let over = p.namespace.len() + p.name.len() - 57;
                    p.name.truncate(p.name.len().saturating_sub(over).max(1));
                    while p.name.ends_with('-') {
                        p.name.pop();
                    }
                }
            }
            Fleet {
                release: (1, 11),
                sidecar_default,
                hosts,
                packages,
            }
        })
}

/// Every release whose behaviour differs from its predecessor's (SPEC §3).
const RELEASES: [(u32, u32); 7] = [(0, 56), (0, 59), (0, 60), (1, 0), (1, 3), (1, 4), (1, 11)];

/// A fleet rendered for one of [`RELEASES`].
fn fleet_for_some_release() -> impl Strategy<Value = Fleet> {
    (fleet(), prop::sample::select(RELEASES.to_vec())).prop_map(|(mut f, release)| {
        f.release = release;
        f
    })
}

/// `a`, `b`, … for rule descriptions: sanitize strips trailing digits, so
/// `egress 1` and `egress 2` would give one NetworkPolicy name (§2.14).
fn tag(i: usize) -> String {
    let mut s = String::new();
    let mut n = i;
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            break s;
        }
    }
}

/// The fleet as YAML documents, one per package.
fn documents(fleet: &Fleet) -> Vec<String> {
    fleet
        .packages
        .iter()
        .map(|p| {
            let mut s = format!(
                "apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: \"{}\"\n  namespace: \"{}\"\n  generation: {}\n",
                p.name, p.namespace, p.generation
            );
            if p.uid {
                s.push_str(&format!("  uid: \"{}-uid\"\n", p.name));
            }
            s.push_str("spec:\n  network:\n");
            if let Some(sidecar) = p.mode {
                s.push_str(&format!("    serviceMesh:\n      mode: {}\n", if sidecar { "sidecar" } else { "ambient" }));
            }
            s.push_str("    allow:\n");
            for (i, r) in p.rules.iter().enumerate() {
                let h = &fleet.hosts[r.host];
                s.push_str(&format!("      - direction: Egress\n        remoteHost: {}\n        description: egress {}\n", h.host, tag(i)));
                if h.http {
                    s.push_str("        remoteProtocol: HTTP\n");
                } else if i % 2 == 0 {
                    s.push_str("        remoteProtocol: TLS\n");
                }
                match (r.port_style, h.ports.as_slice()) {
                    (_, []) => {}
                    (2, [one]) => s.push_str(&format!("        port: {one}\n")),
                    (1, [first, rest @ ..]) => {
                        s.push_str(&format!("        port: {first}\n"));
                        let mut list: Vec<String> = rest.iter().map(u16::to_string).collect();
                        list.push(first.to_string());
                        s.push_str(&format!("        ports: [{}]\n", list.join(", ")));
                    }
                    (_, ports) => {
                        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
                        s.push_str(&format!("        ports: [{}]\n", list.join(", ")));
                    }
                }
                if let Some(sa) = r.service_account {
                    s.push_str(&format!("        serviceAccount: {}\n", SERVICE_ACCOUNTS[sa]));
                }
                if let Some(sel) = &r.selector {
                    let mut keys = Vec::new();
                    let items: Vec<String> = sel
                        .iter()
                        .filter(|(k, _)| {
                            let new = !keys.contains(k);
                            keys.push(*k);
                            new
                        })
                        .map(|(k, v)| format!("{}: \"{}\"", SELECTOR_KEYS[*k], SELECTOR_VALUES[*v]))
                        .collect();
                    s.push_str(&format!("        selector: {{{}}}\n", items.join(", ")));
                }
            }
            for i in 0..p.ingress_rules {
                s.push_str(&format!("      - direction: Ingress\n        remoteGenerated: IntraNamespace\n        description: ingress {}\n", tag(i)));
            }
            s
        })
        .collect()
}

/// `doc` written with YAML reuse, as hand-written fleets do: a merge key
/// (`<<: *egress`) for each rule's direction, one anchored selector per
/// document reused through aliases, and the ingress rules merged from one
/// anchored mapping. It must parse and render as written out.
fn with_reuse(doc: &str) -> String {
    let mut out = String::from(
        "x-egress: &egress {direction: Egress}\nx-ingress: &ingress {direction: Ingress, remoteGenerated: IntraNamespace}\n",
    );
    let mut selectors: Vec<String> = Vec::new();
    let mut lines = doc.lines().peekable();
    while let Some(line) = lines.next() {
        if line == "      - direction: Egress" {
            out.push_str("      - <<: *egress\n");
        } else if line == "      - direction: Ingress"
            && lines.peek() == Some(&"        remoteGenerated: IntraNamespace")
        {
            lines.next();
            out.push_str("      - <<: *ingress\n");
        } else if let Some(sel) = line.strip_prefix("        selector: ") {
            match selectors.iter().position(|s| s == sel) {
                Some(i) => out.push_str(&format!("        selector: *sel{i}\n")),
                None => {
                    out.push_str(&format!(
                        "        selector: &sel{} {sel}\n",
                        selectors.len()
                    ));
                    selectors.push(sel.to_string());
                }
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn render_stream(docs: &[String], options: &Options) -> Result<egress_render::Rendered, String> {
    let text = docs.iter().map(|d| format!("---\n{d}")).collect::<String>();
    let parsed = parse("fleet.yaml", text.as_bytes());
    if !parsed.errors.is_empty() {
        return Err(format!(
            "parse: {}\n{text}",
            egress_render::Errors(parsed.errors)
        ));
    }
    render(&parsed.packages, options).map_err(|e| format!("render: {e}\n{text}"))
}

// Kubernetes' rules, written from the API documentation, independent of
// the crate's `names` module.

fn alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// RFC 1123 subdomain as the API server checks object names.
fn k8s_subdomain(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| alnum(c) || c == '-')
                && part.starts_with(alnum)
                && part.ends_with(alnum)
        })
}

/// RFC 1123 label (namespaces, Istio Gateway names).
fn k8s_label(s: &str) -> bool {
    s.len() <= 63 && !s.contains('.') && k8s_subdomain(s)
}

/// The name part of a label or annotation key, and a label value when
/// non-empty: at most 63 of `[A-Za-z0-9_.-]`, alphanumeric at both ends.
fn k8s_qualified_part(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| ok(c) || matches!(c, '-' | '_' | '.'))
        && s.starts_with(ok)
        && s.ends_with(ok)
}

fn k8s_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => k8s_subdomain(prefix) && k8s_qualified_part(name),
        None => k8s_qualified_part(s),
    }
}

fn metadata_problems(item: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let meta = &item["metadata"];
    let kind = item["kind"].as_str().unwrap_or("?");
    let name = meta["name"].as_str().unwrap_or("");
    let namespace = meta["namespace"].as_str().unwrap_or("");
    if !k8s_subdomain(name) {
        problems.push(format!("{kind} name {name:?}"));
    }
    if kind == "Gateway" && item["apiVersion"] == "networking.istio.io/v1" && !k8s_label(name) {
        problems.push(format!(
            "Istio Gateway name {name:?} is not a DNS-1123 label"
        ));
    }
    if !k8s_label(namespace) {
        problems.push(format!("{kind} {name} namespace {namespace:?}"));
    }
    for (k, v) in meta["labels"].as_object().into_iter().flatten() {
        let v = v.as_str().unwrap_or("<not a string>");
        if !k8s_key(k) || !(v.is_empty() || k8s_qualified_part(v)) {
            problems.push(format!("{kind} {name} label {k}: {v:?}"));
        }
    }
    for (k, v) in meta["annotations"].as_object().into_iter().flatten() {
        if !k8s_key(k) || !v.is_string() {
            problems.push(format!("{kind} {name} annotation {k:?}"));
        }
    }
    problems
}

fn options(fleet: &Fleet) -> Options {
    // The egress gateway exposes every port the fleet uses (SPEC §2.14).
    let mut gateway_ports: Vec<u16> = fleet.hosts.iter().flat_map(|h| h.ports.clone()).collect();
    gateway_ports.extend([80, 443]);
    Options {
        uds_core: Release::new(fleet.release.0, fleet.release.1),
        default_mode: Some(if fleet.sidecar_default {
            Mode::Sidecar
        } else {
            Mode::Ambient
        }),
        gateway_ports,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(Config { failure_persistence: None, ..Config::default() })]

    #[test]
    fn valid_fleets_render_soundly(fleet in fleet_for_some_release(), seed in any::<u64>()) {
        let docs = documents(&fleet);
        let options = options(&fleet);
        let rendered = render_stream(&docs, &options);
        prop_assert!(rendered.is_ok(), "{}", rendered.err().unwrap_or_default());
        let rendered = rendered.unwrap_or_else(|_| unreachable!());

        // The JSON parses; the YAML parses to the same values.
        let json = rendered.to_json().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let list: serde_json::Value = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        prop_assert_eq!(items.len(), rendered.manifests.len());
        let yaml = rendered.to_yaml().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let docs_back: Vec<serde_json::Value> = serde_saphyr::from_multiple(&yaml)
            .map_err(|e| TestCaseError::fail(format!("YAML does not read back: {e}")))?;
        prop_assert_eq!(&docs_back, &items);

        // SPEC §7 references, except a policy a dangling-target warning
        // names (before 0.59, SPEC §5.1); §2.15 metadata.
        let refs = rendered.unwarned_reference_problems();
        prop_assert!(refs.is_empty(), "{:?}", refs);
        let problems: Vec<String> = items.iter().flat_map(metadata_problems).collect();
        prop_assert!(problems.is_empty(), "{:?}", problems);

        // SPEC §7: the order of the documents does not matter.
        let mut shuffled = docs.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let again = render_stream(&shuffled, &options).map_err(TestCaseError::fail)?;
        prop_assert_eq!(again.to_yaml().map_err(|e| TestCaseError::fail(e.to_string()))?, yaml.clone());

        // Anchors, aliases and merge keys (the YAML budgets admit honest
        // reuse): the same render as the fleet written out.
        let reused: Vec<String> = docs.iter().map(|d| with_reuse(d)).collect();
        let reused = render_stream(&reused, &options).map_err(TestCaseError::fail)?;
        prop_assert_eq!(reused.to_yaml().map_err(|e| TestCaseError::fail(e.to_string()))?, yaml);
    }

}

proptest! {
    // Each case is a fleet of about 11,000 rules: a few cases suffice.
    #![proptest_config(Config { cases: 3, failure_persistence: None, ..Config::default() })]

    /// Many documents each reusing one anchored selector and merge keys
    /// for every rule: past serde-saphyr's default merge-key and anchor
    /// budgets (10,000 merge keys), within ours.
    #[test]
    fn reuse_at_fleet_scale_renders_as_written(rules in 36usize..40, docs_count in 280usize..300) {
        let mut written = String::new();
        for d in 0..docs_count {
            written.push_str(&format!("---\napiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata:\n  name: app\n  namespace: team-{d}\nspec:\n  network:\n    serviceMesh:\n      mode: sidecar\n    allow:\n"));
            for r in 0..rules {
                written.push_str(&format!("      - direction: Egress\n        remoteHost: h{r}.example.com\n        description: rule {}\n        selector: {{app: \"web\", tier: \"t{}\"}}\n", tag(r), d % 3));
            }
        }
        let reused: String = written
            .split("---\n")
            .filter(|d| !d.is_empty())
            .map(|d| format!("---\n{}", with_reuse(d)))
            .collect();
        prop_assert!(reused.matches("<<:").count() > 10_000);
        let a = parse("reused.yaml", reused.as_bytes());
        prop_assert!(a.errors.is_empty(), "{}", egress_render::Errors(a.errors.clone()));
        let b = parse("written.yaml", written.as_bytes());
        let options = Options::default();
        let a = render(&a.packages, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = render(&b.packages, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a.to_yaml().ok(), b.to_yaml().ok());
    }
}

/// The separators a hand-written stream puts between documents; the
/// first is never `...`, which ends a document that must exist.
const SEPARATORS: [&str; 4] = [
    "---\n",
    "--- # next\n",
    "...\n%YAML 1.2\n# comment\n---\n",
    "\n\n---\n\n",
];

/// A small alias bomb, as one document: 9^6 items from 6 levels.
fn bomb_document() -> String {
    let mut s = String::from("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..7 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        s.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    s
}

proptest! {
    #![proptest_config(Config { cases: 16, failure_persistence: None, ..Config::default() })]

    /// Each document is parsed on its own: whatever separates them, the
    /// Packages of a stream are those of its documents parsed alone, with
    /// the stream's document numbers and lines; and a bomb in any one
    /// document is refused there, by that document's budget, without
    /// touching the others.
    #[test]
    fn documents_parse_alone_and_a_bomb_stays_in_its_own(
        fleet in fleet(),
        seps in proptest::collection::vec(0usize..SEPARATORS.len(), 1..8),
        bomb_at in any::<proptest::sample::Index>(),
    ) {
        let docs = documents(&fleet);
        let mut text = String::new();
        let mut starts = Vec::new(); // the line each document's text starts on
        for (i, doc) in docs.iter().enumerate() {
            let sep = if i == 0 { "---\n" } else { SEPARATORS[seps[i % seps.len()]] };
            text.push_str(sep);
            starts.push(text.matches('\n').count());
            text.push_str(doc);
        }
        let stream = parse("fleet.yaml", text.as_bytes());
        prop_assert!(stream.errors.is_empty(), "{}", egress_render::Errors(stream.errors.clone()));
        prop_assert_eq!(stream.packages.len(), docs.len());
        for (i, (pkg, doc)) in stream.packages.iter().zip(&docs).enumerate() {
            let alone = parse("one.yaml", doc.as_bytes());
            let one = alone.packages.first();
            prop_assert!(one.is_some());
            let one = one.unwrap_or_else(|| unreachable!());
            prop_assert_eq!(pkg.source.document, i + 1);
            prop_assert_eq!(pkg.source.pos.line as usize, one.source.pos.line as usize + starts[i]);
            prop_assert_eq!(pkg.source.pos.column, one.source.pos.column);
            let lines = |p: &egress_render::Package| p.allow.iter().map(|r| r.pos.line as usize).collect::<Vec<_>>();
            let shifted: Vec<usize> = lines(one).iter().map(|l| l + starts[i]).collect();
            prop_assert_eq!(lines(pkg), shifted);
            prop_assert_eq!(&pkg.allow, &one.allow.iter().map(|r| egress_render::AllowRule {
                pos: egress_render::Pos { line: r.pos.line + starts[i] as u32, ..r.pos },
                field_pos: r.field_pos.iter().map(|(f, p)| (*f, egress_render::Pos { line: p.line + starts[i] as u32, ..*p })).collect(),
                ..r.clone()
            }).collect::<Vec<_>>());
        }

        // A bomb document among them: one error, in the bomb's lines, and
        // every Package still read.
        let at = bomb_at.index(docs.len() + 1);
        let mut with_bomb = String::new();
        let mut bomb_lines = 0..0;
        for (i, doc) in docs.iter().enumerate() {
            if i == at {
                with_bomb.push_str("---\n");
                let first = with_bomb.matches('\n').count() + 1;
                with_bomb.push_str(&bomb_document());
                bomb_lines = first..with_bomb.matches('\n').count() + 1;
            }
            with_bomb.push_str("---\n");
            with_bomb.push_str(doc);
        }
        if at == docs.len() {
            with_bomb.push_str("---\n");
            let first = with_bomb.matches('\n').count() + 1;
            with_bomb.push_str(&bomb_document());
            bomb_lines = first..with_bomb.matches('\n').count() + 1;
        }
        let bombed = parse("bombed.yaml", with_bomb.as_bytes());
        prop_assert_eq!(bombed.errors.len(), 1, "{}", egress_render::Errors(bombed.errors.clone()));
        let error = &bombed.errors[0];
        prop_assert!(error.message.contains("(an alias bomb)"), "{}", error.message);
        let line = error.pos.map_or(0, |p| p.line as usize);
        prop_assert!(bomb_lines.contains(&line), "line {} not in {:?}", line, bomb_lines);
        let names = |p: &egress_render::Parsed| p.packages.iter().map(|p| p.id()).collect::<Vec<_>>();
        prop_assert_eq!(names(&bombed), names(&stream));
    }
}
