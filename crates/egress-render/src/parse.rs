//! YAML text → [`Package`]s (SPEC §1), with every type error collected
//! (SPEC §2.8) and each tied to its file, document, line and column.

use crate::error::{Error, ErrorKind};
use crate::model::{AllowRule, Direction, Labels, Mode, Package, Pos, Protocol, Source};
use crate::yaml::{self, Convert, Node, Value};

/// What [`parse`] found in one input: the Packages it could read and the
/// problems it found. A document with problems still yields its Package
/// (without the bad fields) so that validation can report the rest of its
/// problems in the same run; callers must not render when `errors` is not
/// empty.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The Packages, in input order.
    pub packages: Vec<Package>,
    /// Every problem found, in input order.
    pub errors: Vec<Error>,
}

impl Parsed {
    /// Add another input's packages and problems (several files in one run).
    pub fn append(&mut self, other: Parsed) {
        self.packages.extend(other.packages);
        self.errors.extend(other.errors);
    }
}

/// Read a YAML stream (one file, or stdin) into Packages.
///
/// `source` labels every package and error (a path, or `<stdin>`). Documents
/// that are not `uds.dev/v1alpha1` Packages are skipped, as are empty ones.
/// Never panics; bad input, including non-UTF-8 bytes, input over 256 MiB,
/// alias bombs and deep nesting, becomes an [`Error`].
pub fn parse(source: &str, input: &[u8]) -> Parsed {
    let fail = |e: Error| Parsed {
        packages: Vec::new(),
        errors: vec![e.in_source(&Source {
            file: source.to_string(),
            document: 0,
            pos: Pos::default(),
            item: None,
        })],
    };
    if input.len() > yaml::MAX_INPUT_BYTES {
        return fail(
            Error::new(
                ErrorKind::Encoding,
                format!(
                    "input is {} bytes, more than the {} byte (256 MiB) limit per file",
                    input.len(),
                    yaml::MAX_INPUT_BYTES
                ),
            )
            .help("split the input into several files"),
        );
    }
    let text = match std::str::from_utf8(input) {
        Ok(t) => t,
        Err(e) => {
            let good = input.get(..e.valid_up_to()).unwrap_or(input);
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            return fail(
                Error::new(
                    ErrorKind::Encoding,
                    format!(
                        "input is not UTF-8 (bad byte at offset {})",
                        e.valid_up_to()
                    ),
                )
                .at(Pos {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    column: u32::try_from(column).unwrap_or(u32::MAX),
                })
                .help("save the file as UTF-8"),
            );
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    // Documents are numbered as read; a document that is not valid YAML
    // counts as one.
    for (i, doc) in yaml::parse_documents::<ToPackage>(text)
        .into_iter()
        .enumerate()
    {
        let src = Source {
            file: source.to_string(),
            document: i + 1,
            pos: Pos::default(),
            item: None,
        };
        let doc = match doc {
            Ok(doc) => doc,
            Err(e) => {
                let mut err = Error::new(ErrorKind::Syntax, format!("invalid YAML: {}", e.message))
                    .help(yaml_hint(&e.message));
                err.pos = e.pos;
                parsed
                    .errors
                    .push(err.in_source(&Source { document: 0, ..src }));
                continue;
            }
        };
        let src = Source {
            pos: doc.pos,
            ..src
        };
        for mut e in doc.errors {
            e.file = src.file.clone();
            e.document = src.document;
            parsed.errors.push(e);
        }
        for (item, mut pkg) in doc.packages {
            pkg.source = Source {
                item,
                pos: pkg.source.pos,
                ..src.clone()
            };
            parsed.packages.push(pkg);
        }
    }
    parsed
}

/// The fix for a YAML error, by what the parser said.
fn yaml_hint(message: &str) -> String {
    /// What the parser's message contains → the fix, first match wins.
    const HINTS: &[(&[&str], &str)] = &[
        (&["nesting", "recursion"], "a Package needs fewer than 10 levels of nesting; remove the extra brackets or indentation"),
        (&["alias"], "write the values out instead of repeating them through YAML aliases (&anchor / *alias)"),
        (&["parser limit"], "split the input into smaller files"),
        (&["mapping values are not allowed"], "check the indentation: keys of one mapping line up in one column, and a value containing \": \" must be quoted"),
        (&["did not find expected ',' or '}'"], "close the flow mapping with '}' and separate its entries with ','"),
        (&["did not find expected ',' or ']'"], "close the flow list with ']' and separate its items with ','"),
        (&["unclosed bracket"], "close the '{' or '[' opened here with its matching '}' or ']'"),
        (&["written twice"], "keep one of the two; YAML allows each key once per mapping"),
        (&["tabs", "tab character"], "indent with spaces; YAML does not allow tabs for indentation"),
        (&["anchor"], "define the anchor (&name) before using the alias (*name)"),
        (&["quoted scalar", "end of stream"], "close the quoted string"),
    ];
    let m = message.to_ascii_lowercase();
    let hint = HINTS
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| m.contains(n)))
        .map_or(
            "fix the YAML syntax at this line and column",
            |(_, hint)| hint,
        );
    hint.to_string()
}

/// The metadata fields whose positions errors point at.
const METADATA_FIELDS: [&str; 4] = [
    "metadata.name",
    "metadata.namespace",
    "metadata.generation",
    "metadata.uid",
];

/// The `allow[]` fields whose positions errors point at.
const RULE_FIELDS: [&str; 16] = [
    "direction",
    "description",
    "remoteHost",
    "remoteProtocol",
    "port",
    "ports",
    "selector",
    "podLabels",
    "serviceAccount",
    "remoteGenerated",
    "remoteNamespace",
    "remoteSelector",
    "remotePodLabels",
    "remoteCidr",
    "remoteServiceAccount",
    "labels",
];

/// One document, converted: its Packages (a List document has several,
/// each with its index in `items`) and the problems found.
struct DocOutcome {
    pos: Pos,
    packages: Vec<(Option<usize>, Package)>,
    errors: Vec<Error>,
}

struct ToPackage;

impl Convert for ToPackage {
    type Out = DocOutcome;
    fn convert(doc: Node) -> DocOutcome {
        let mut out = DocOutcome {
            pos: doc.pos,
            packages: Vec::new(),
            errors: Vec::new(),
        };
        let root = match &doc.value {
            Value::Null => return out,
            Value::Map(m) => m,
            other => {
                out.errors.push(
                    Error::new(
                        ErrorKind::NotAMapping,
                        match other {
                            // Not quoted: a file that is not YAML (a
                            // token a symbolic link led to) reads as one
                            // string, which must not be printed back.
                            Value::Str(text) => format!(
                                "document is a string of {} characters, not a mapping",
                                text.chars().count()
                            ),
                            _ => format!("document is {}, not a mapping", other.describe()),
                        },
                    )
                    .at(doc.pos)
                    .help("each YAML document must be a Kubernetes object (a mapping with apiVersion and kind)"),
                );
                return out;
            }
        };
        let kind = get(root, "kind").and_then(|n| as_str(n));
        // `kubectl get packages -A -o yaml` prints a `v1 List`; typed lists
        // (`PackageList`) look the same (SPEC §1).
        if kind.is_some_and(|k| k.ends_with("List")) {
            if let Some(Value::Seq(items)) = get(root, "items").map(|n| &n.value) {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Map(m) = &item.value {
                        object(m, item.pos, Some(i), &mut out);
                    }
                }
            }
            return out;
        }
        object(root, doc.pos, None, &mut out);
        out
    }
}

/// One object of a document (the document itself, or a List item): a
/// Package is converted into `out`, other kinds are skipped.
fn object(root: &[(String, Node)], pos: Pos, item: Option<usize>, out: &mut DocOutcome) {
    let kind = get(root, "kind").and_then(|n| as_str(n));
    let api_version = get(root, "apiVersion").and_then(|n| as_str(n));
    let located = |mut e: Error| {
        e.item = item;
        e
    };
    if kind != Some("Package") {
        if let (Some(k), Some(v)) = (kind, api_version) {
            if v.starts_with("uds.dev/") && almost_package(k) {
                let at = get(root, "kind").map_or(pos, |n| n.pos);
                let e = Error::new(
                    ErrorKind::PackageKind,
                    format!(
                        "kind {:?} under apiVersion {v:?} is not a kind UDS Core knows; did you mean Package?",
                        crate::text::elide(k.to_string())
                    ),
                )
                .at(at)
                .field("kind")
                .help("write kind: Package (kinds are case-sensitive and singular)");
                out.errors.push(located(e));
            }
        }
        return;
    }
    match api_version {
        Some("uds.dev/v1alpha1") => {}
        Some(v) if v.starts_with("uds.dev/") => {
            let at = get(root, "apiVersion").map_or(pos, |n| n.pos);
            let mut e = Error::new(
                ErrorKind::UnsupportedApiVersion,
                format!("unsupported apiVersion {v:?} for kind Package; egress-render reads uds.dev/v1alpha1"),
            )
            .at(at)
            .field("apiVersion")
            .help("write apiVersion: uds.dev/v1alpha1");
            let meta = get(root, "metadata").and_then(|m| match &m.value {
                Value::Map(m) => Some(m),
                _ => None,
            });
            let name = meta.and_then(|m| get(m, "name")).and_then(as_str);
            let namespace = meta.and_then(|m| get(m, "namespace")).and_then(as_str);
            if let (Some(name), Some(namespace)) = (name, namespace) {
                e.package = Some(format!("{namespace}/{name}"));
            }
            out.errors.push(located(e));
            return;
        }
        _ => return,
    }
    let mut cx = Cx::default();
    let pkg = cx.package(root, pos);
    let id = pkg.id();
    for mut e in cx.errors {
        if !pkg.name.is_empty() || !pkg.namespace.is_empty() {
            e.package = Some(id.clone());
        }
        out.errors.push(located(e));
    }
    out.packages.push((item, pkg));
}

/// Whether `kind` is a misspelt `Package` (letter case, a plural, a typo
/// or two), rather than another `uds.dev` kind such as `Exemption`.
fn almost_package(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    if kind.len() > 12 {
        return false;
    }
    // Levenshtein distance to "package", one row at a time.
    let target = b"package";
    let mut row: Vec<usize> = (0..=target.len()).collect();
    for (i, a) in kind.bytes().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        let mut next = vec![i + 1];
        for (j, b) in target.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = next.last().copied().unwrap_or(usize::MAX);
            let cost = prev + usize::from(a != *b);
            next.push(
                cost.min(above.saturating_add(1))
                    .min(left.saturating_add(1)),
            );
            prev = above;
        }
        row = next;
    }
    row.last().is_some_and(|&d| d <= 2)
}

fn get<'a>(map: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn as_str(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// Collects type errors while converting one Package.
#[derive(Default)]
struct Cx {
    errors: Vec<Error>,
}

impl Cx {
    fn wrong(
        &mut self,
        node: &Node,
        field: &str,
        rule: Option<usize>,
        expected: &str,
        help: String,
    ) {
        let mut e = Error::new(
            ErrorKind::InvalidValue,
            format!(
                "{field} must be {expected}, found {}",
                node.value.describe()
            ),
        )
        .at(node.pos)
        .field(field)
        .help(help);
        e.rule = rule;
        self.errors.push(e);
    }

    /// The mapping under `key`, if present and a mapping.
    fn map<'a>(
        &mut self,
        parent: &'a [(String, Node)],
        key: &str,
        path: &str,
    ) -> Option<&'a [(String, Node)]> {
        let node = get(parent, key)?;
        match &node.value {
            Value::Map(m) => Some(m),
            Value::Null => None,
            _ => {
                self.wrong(
                    node,
                    path,
                    None,
                    "a mapping",
                    format!("write {path} as a mapping of keys to values"),
                );
                None
            }
        }
    }

    /// A string field; `""` and null count as absent.
    fn string(
        &mut self,
        parent: &[(String, Node)],
        key: &str,
        path: &str,
        rule: Option<usize>,
        invalid: &mut Vec<String>,
    ) -> Option<String> {
        let node = get(parent, key)?;
        match &node.value {
            Value::Str(s) if s.is_empty() => None,
            Value::Str(s) => Some(s.clone()),
            Value::Null => None,
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                invalid.push(key.to_string());
                self.wrong(
                    node,
                    path,
                    rule,
                    "a string",
                    "quote the value (YAML reads unquoted on/off/yes/no/true/false as booleans and digits as numbers)".to_string(),
                );
                None
            }
            _ => {
                invalid.push(key.to_string());
                self.wrong(
                    node,
                    path,
                    rule,
                    "a string",
                    format!("write {path} as a single string"),
                );
                None
            }
        }
    }

    /// A string field where `""` counts as given (SPEC §1).
    fn string_or_empty(
        &mut self,
        parent: &[(String, Node)],
        key: &str,
        path: &str,
        rule: Option<usize>,
        invalid: &mut Vec<String>,
    ) -> Option<String> {
        match get(parent, key).map(|n| &n.value) {
            Some(Value::Str(s)) if s.is_empty() => Some(String::new()),
            _ => self.string(parent, key, path, rule, invalid),
        }
    }

    fn package(&mut self, root: &[(String, Node)], pos: Pos) -> Package {
        let mut pkg = Package {
            source: Source {
                pos,
                ..Source::default()
            },
            ..Package::default()
        };
        let mut ignored = Vec::new();
        if let Some(node) = get(root, "metadata") {
            pkg.field_pos.push(("metadata", node.pos));
        }
        if let Some(meta) = self.map(root, "metadata", "metadata") {
            for (key, node) in meta {
                if let Some(field) = METADATA_FIELDS
                    .iter()
                    .find(|f| f.strip_prefix("metadata.") == Some(key.as_str()))
                {
                    pkg.field_pos.push((field, node.pos));
                }
            }
            pkg.name = self
                .string(meta, "name", "metadata.name", None, &mut ignored)
                .unwrap_or_default();
            pkg.namespace = self
                .string(meta, "namespace", "metadata.namespace", None, &mut ignored)
                .unwrap_or_default();
            pkg.uid = self.string(meta, "uid", "metadata.uid", None, &mut ignored);
            if let Some(node) = get(meta, "generation") {
                match node.value {
                    Value::Int(g) if i64::try_from(g).is_ok() => pkg.generation = g as i64,
                    Value::Null => {}
                    _ => self.wrong(
                        node,
                        "metadata.generation",
                        None,
                        "an integer",
                        "write a whole number, or leave metadata.generation out".to_string(),
                    ),
                }
            }
        }
        pkg.invalid_fields = ignored
            .into_iter()
            .map(|f| format!("metadata.{f}"))
            .collect();
        let Some(spec) = self.map(root, "spec", "spec") else {
            return pkg;
        };
        let Some(network) = self.map(spec, "network", "spec.network") else {
            return pkg;
        };
        if let Some(mesh) = self.map(network, "serviceMesh", "spec.network.serviceMesh") {
            if let Some(node) = get(mesh, "mode") {
                pkg.mode_pos = Some(node.pos);
                match &node.value {
                    Value::Str(s) if s == "ambient" => pkg.mode = Some(Mode::Ambient),
                    Value::Str(s) if s == "sidecar" => pkg.mode = Some(Mode::Sidecar),
                    Value::Str(s) if s.is_empty() => {}
                    Value::Null => {}
                    _ => self.wrong(
                        node,
                        "spec.network.serviceMesh.mode",
                        None,
                        "ambient or sidecar",
                        "write mode: ambient or mode: sidecar (lower case)".to_string(),
                    ),
                }
            }
        }
        if let Some(allow) = get(network, "allow") {
            match &allow.value {
                Value::Seq(items) => {
                    // Exact: a rule is 464 bytes, and doubling's slack
                    // was a fifth of a fleet's peak memory.
                    pkg.allow.reserve_exact(items.len());
                    for (i, item) in items.iter().enumerate() {
                        pkg.allow.push(self.rule(i, item));
                    }
                }
                Value::Null => {}
                _ => self.wrong(
                    allow,
                    "spec.network.allow",
                    None,
                    "a list of rules",
                    "write each rule as a list item starting with `- `".to_string(),
                ),
            }
        }
        pkg
    }

    fn rule(&mut self, index: usize, node: &Node) -> AllowRule {
        let mut rule = AllowRule {
            index,
            pos: node.pos,
            ..AllowRule::default()
        };
        let Value::Map(m) = &node.value else {
            let mut e = Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "allow[{index}] must be a mapping, found {}",
                    node.value.describe()
                ),
            )
            .at(node.pos)
            .help("write each rule as a mapping, e.g. `- direction: Egress`");
            e.rule = Some(index);
            self.errors.push(e);
            rule.invalid_fields.push("*".to_string());
            return rule;
        };
        for (key, value) in m {
            if let Some(field) = RULE_FIELDS.iter().find(|f| **f == key.as_str()) {
                rule.field_pos.push((field, value.pos));
            }
        }
        let r = Some(index);
        let mut invalid = Vec::new();
        if let Some(n) = get(m, "direction") {
            match &n.value {
                Value::Str(s) if s == "Ingress" => rule.direction = Some(Direction::Ingress),
                Value::Str(s) if s == "Egress" => rule.direction = Some(Direction::Egress),
                Value::Null => {}
                Value::Str(s) if s.is_empty() => {}
                _ => {
                    invalid.push("direction".to_string());
                    self.wrong(
                        n,
                        "direction",
                        r,
                        "Ingress or Egress",
                        "write direction: Egress (or Ingress), capitalised".to_string(),
                    );
                }
            }
        }
        if let Some(n) = get(m, "remoteProtocol") {
            let known = [Protocol::Tls, Protocol::Http, Protocol::Tcp, Protocol::Udp];
            match &n.value {
                Value::Str(s) if s.is_empty() => {}
                Value::Null => {}
                Value::Str(s) => match known.iter().find(|p| p.as_str() == s) {
                    Some(p) => rule.remote_protocol = Some(*p),
                    None => {
                        invalid.push("remoteProtocol".to_string());
                        // The upper-case spelling, unless it is one that
                        // §2.4 refuses beside remoteHost.
                        let with_host = get(m, "remoteHost").is_some();
                        let help = match known.iter().find(|p| p.as_str().eq_ignore_ascii_case(s)) {
                            Some(p @ (Protocol::Tcp | Protocol::Udp)) if with_host => format!(
                                "write remoteProtocol: TLS (the default) or HTTP; {p} cannot be used with remoteHost"
                            ),
                            Some(p) => format!("write remoteProtocol: {p}"),
                            None => "write remoteProtocol: TLS (the default) or HTTP with remoteHost, TCP or UDP without it".to_string(),
                        };
                        self.wrong(n, "remoteProtocol", r, "TLS, HTTP, TCP or UDP", help);
                    }
                },
                _ => {
                    invalid.push("remoteProtocol".to_string());
                    self.wrong(n, "remoteProtocol", r, "TLS, HTTP, TCP or UDP", "write remoteProtocol: TLS (the default) or HTTP with remoteHost, TCP or UDP without it".to_string());
                }
            }
        }
        if let Some(n) = get(m, "port") {
            rule.port = self.port(n, "port", r, &mut invalid);
        }
        if let Some(n) = get(m, "ports") {
            match &n.value {
                Value::Seq(items) => {
                    rule.ports_given = true;
                    for (i, item) in items.iter().enumerate() {
                        if let Some(p) = self.port(item, &format!("ports[{i}]"), r, &mut invalid) {
                            rule.ports.push(p);
                        }
                    }
                }
                Value::Null => {}
                _ => {
                    invalid.push("ports".to_string());
                    self.wrong(
                        n,
                        "ports",
                        r,
                        "a list of port numbers",
                        match &n.value {
                            Value::Int(p) => format!("write ports: [{p}] (a list), or port: {p}"),
                            _ => "write ports as a list, e.g. ports: [443, 8443]".to_string(),
                        },
                    );
                }
            }
        }
        rule.remote_host = self.string(m, "remoteHost", "remoteHost", r, &mut invalid);
        rule.service_account = self.string(m, "serviceAccount", "serviceAccount", r, &mut invalid);
        rule.description = self.string(m, "description", "description", r, &mut invalid);
        rule.remote_generated =
            self.string(m, "remoteGenerated", "remoteGenerated", r, &mut invalid);
        // Present-but-empty counts for these two (SPEC §1): `remoteNamespace:
        // ""` is "any namespace", and an empty `remoteCidr` still makes an
        // ipBlock peer.
        rule.remote_namespace =
            self.string_or_empty(m, "remoteNamespace", "remoteNamespace", r, &mut invalid);
        rule.remote_cidr = self.string_or_empty(m, "remoteCidr", "remoteCidr", r, &mut invalid);
        rule.labels = self
            .labels(m, "labels", r, &mut invalid)
            .unwrap_or_default();
        let selector = self.labels(m, "selector", r, &mut invalid);
        let pod_labels = self.labels(m, "podLabels", r, &mut invalid);
        // UDS Core migrates the deprecated podLabels into selector; when both
        // are given podLabels wins (SPEC §1). `{}` counts as not given.
        (rule.selector, rule.pod_labels_overrode_selector) = migrate(selector, pod_labels);
        let remote_selector = self.labels(m, "remoteSelector", r, &mut invalid);
        let remote_pod_labels = self.labels(m, "remotePodLabels", r, &mut invalid);
        (
            rule.remote_selector,
            rule.remote_pod_labels_overrode_selector,
        ) = migrate(remote_selector, remote_pod_labels);
        rule.invalid_fields = invalid;
        rule
    }

    fn port(
        &mut self,
        n: &Node,
        field: &str,
        r: Option<usize>,
        invalid: &mut Vec<String>,
    ) -> Option<u16> {
        let help = match &n.value {
            Value::Int(p) => match u16::try_from(*p) {
                Ok(p) if p >= 1 => return Some(p),
                _ => "use a port number from 1 to 65535".to_string(),
            },
            Value::Str(s)
                if s.len() > 1 && s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let decimal = s.trim_start_matches('0');
                let octal = u32::from_str_radix(s, 8).map_or_else(
                    |_| format!("the string {s:?}"),
                    |o| format!("the octal number {o}"),
                );
                format!(
                    "write the port without leading zeros ({}): YAML 1.1 readers such as kubectl read {s} as {octal}, YAML 1.2 readers as {}",
                    if decimal.is_empty() { "0" } else { decimal },
                    if decimal.is_empty() { "0" } else { decimal },
                )
            }
            Value::Str(s) if s.parse::<u16>().is_ok() => format!("write {s} without quotes"),
            Value::Null if field == "port" => return None,
            _ => "write a whole number from 1 to 65535".to_string(),
        };
        // `ports[2]` is reported as such, but marks `ports` as invalid.
        invalid.push(field.split('[').next().unwrap_or(field).to_string());
        self.wrong(n, field, r, "an integer from 1 to 65535", help);
        None
    }

    /// A map of label keys to string values; `Some(empty)` for `{}`.
    fn labels(
        &mut self,
        m: &[(String, Node)],
        key: &str,
        r: Option<usize>,
        invalid: &mut Vec<String>,
    ) -> Option<Labels> {
        let n = get(m, key)?;
        match &n.value {
            Value::Null => None,
            Value::Map(entries) => {
                let mut out = Labels::new();
                for (k, v) in entries {
                    match &v.value {
                        Value::Str(s) => {
                            out.insert(k.clone(), s.clone());
                        }
                        other => {
                            invalid.push(key.to_string());
                            let mut e = Error::new(
                                ErrorKind::InvalidValue,
                                format!("{key}.{k} must be a string, found {}", other.describe()),
                            )
                            .at(v.pos)
                            .field(format!("{key}.{k}"))
                            .help("quote the value: label values are strings, and YAML reads unquoted on/off/yes/no/true/false as booleans and digits as numbers");
                            e.rule = r;
                            self.errors.push(e);
                        }
                    }
                }
                Some(out)
            }
            _ => {
                invalid.push(key.to_string());
                self.wrong(
                    n,
                    key,
                    r,
                    "a mapping of label keys to values",
                    format!("write {key}: {{app: my-app}}"),
                );
                None
            }
        }
    }
}

/// The selector after migrating the deprecated labels field into it, and
/// whether the deprecated field replaced a selector that was also given
/// (SPEC §1). An empty map counts as not given, so `podLabels: {}` leaves
/// the selector as written (`Some({})` included, which the NetworkPolicy
/// name of SPEC §2.14 tells from a missing selector) and `selector: {}` is
/// replaced by podLabels without a warning.
fn migrate(selector: Option<Labels>, deprecated: Option<Labels>) -> (Option<Labels>, bool) {
    match deprecated {
        Some(d) if !d.is_empty() => {
            let overrode = selector.as_ref().is_some_and(|s| !s.is_empty());
            (Some(d), overrode)
        }
        _ => (selector, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_package_with_positions() {
        let p = parse(
            "p.yaml",
            b"apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: b, generation: 3}\nspec:\n  network:\n    allow:\n      - direction: Egress\n        remoteHost: x.com\n        port: 443\n",
        );
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.packages.len(), 1);
        let pkg = &p.packages[0];
        assert_eq!(
            (pkg.name.as_str(), pkg.namespace.as_str(), pkg.generation),
            ("a", "b", 3)
        );
        assert_eq!(pkg.allow[0].remote_host.as_deref(), Some("x.com"));
        assert_eq!(
            pkg.allow[0].pos_of("port"),
            Pos {
                line: 9,
                column: 15
            }
        );
    }

    #[test]
    fn type_errors_are_collected_not_fatal() {
        let p = parse(
            "p.yaml",
            b"apiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: b}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: x.com, port: \"443\"}\n      - {direction: egress, remoteHost: y.com, remoteProtocol: tcp, ports: [0, 3.5]}\n",
        );
        let fields: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.rule, e.field.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            fields,
            [
                (Some(0), "port".to_string()),
                (Some(1), "direction".to_string()),
                (Some(1), "remoteProtocol".to_string()),
                (Some(1), "ports[0]".to_string()),
                (Some(1), "ports[1]".to_string()),
            ]
        );
        assert_eq!(
            p.packages.len(),
            1,
            "the package is still returned for validation"
        );
    }

    #[test]
    fn non_utf8_is_an_error_with_a_position() {
        let p = parse("p.yaml", b"a: b\nc: \xff\n");
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].kind, ErrorKind::Encoding);
        assert_eq!(p.errors[0].pos, Some(Pos { line: 2, column: 4 }));
    }
}
