//! The SPEC v2 conformance suite: every case of `fixtures/conformance/`
//! (format and comparison rules in its README.md), run through the real
//! binary.
//!
//! A case is `NN-name/` with `input/`, an optional `args` line, and either
//! `expected.yaml` / `expected.json` (plus an optional `expected-warning`) or
//! `expected-error` + `expected-exit`. The binary runs in the case directory
//! as `egress-render ARGS input/<file>...` (files sorted by name), then:
//!
//! - success: exit 0; the multiset of (apiVersion, kind, namespace, name)
//!   equals the expected one; per object, labels, annotations,
//!   ownerReferences and spec are equal with lists as multisets (recursively),
//!   maps exact and types exact, an absent labels/annotations/ownerReferences
//!   equal to an empty one; then document order and every list's order equal
//!   the expected ones; YAML strings that a YAML 1.1 reader would type
//!   otherwise are quoted; every `expected-warning` line is in stderr;
//! - error: exit status `expected-exit`, empty stdout, every `expected-error`
//!   line in stderr (lines are case-insensitive substrings, `re:` lines are
//!   regular expressions);
//! - with two or more inputs, the reversed order of PATHs gives byte-identical
//!   stdout.
//!
//! All cases run in one test, which prints a short diagnostic for every
//! failing case and then fails naming them. `CONFORMANCE_CASE=substring`
//! runs only the cases whose directory name contains it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::harness::{Run, Test};

/// Each failing case's diagnostic is cut to this many lines.
const MAX_CASE_LINES: usize = 30;
/// Listed missing/unexpected objects, differing paths, order rows per check.
const MAX_ITEMS: usize = 6;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conformance")
}

fn case_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("fixtures/conformance/ exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

// ---------------------------------------------------------------------------
// The test

#[test]
fn conformance_cases() {
    let filter = std::env::var("CONFORMANCE_CASE").unwrap_or_default();
    let dirs: Vec<PathBuf> = case_dirs()
        .into_iter()
        .filter(|d| file_name(d).contains(&filter))
        .collect();
    assert!(!dirs.is_empty(), "no conformance case matches {filter:?}");

    let mut report = String::new();
    let mut failing = Vec::new();
    for dir in &dirs {
        let name = file_name(dir);
        let (header, lines) = match Case::load(dir) {
            Ok(case) => (format!("{name}  [{}]", case.summary()), case.check()),
            Err(e) => (name.clone(), vec![format!("fixture: {e}")]),
        };
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(report, "\nFAIL {header}");
        for line in cap_lines(lines, MAX_CASE_LINES) {
            let _ = writeln!(report, "  {line}");
        }
        failing.push(name);
    }
    if !filter.is_empty() {
        let _ = writeln!(
            report,
            "\n(CONFORMANCE_CASE={filter:?}: {} case(s) run)",
            dirs.len()
        );
    }
    eprint!("{report}");
    assert!(
        failing.is_empty(),
        "{} of {} conformance case(s) fail:\n  {}",
        failing.len(),
        dirs.len(),
        failing.join("\n  ")
    );
}

/// Each case directory is well formed and its expected output reads back,
/// so that a failing case is the renderer's, not the harness's or the
/// fixture's.
#[test]
fn conformance_fixtures_are_well_formed() {
    let dirs = case_dirs();
    assert_eq!(dirs.len(), 40, "fixtures/conformance/ holds forty cases");
    assert!(cases_dir().join("README.md").is_file());
    for dir in &dirs {
        let name = file_name(dir);
        let case = Case::load(dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!case.inputs.is_empty(), "{name}: input/ is empty");
        if let Ok(args) = std::fs::read_to_string(dir.join("args")) {
            assert_eq!(
                args.trim_end().lines().count(),
                1,
                "{name}: args is one line"
            );
        }
        match &case.expect {
            Expect::Yaml(docs) => {
                let text = read(dir, "expected.yaml").expect("read above");
                let unquoted = unquoted_yaml11_strings(&text).expect("parsed above");
                assert!(unquoted.is_empty(), "{name}: expected.yaml: {unquoted:?}");
                for doc in docs {
                    assert!(
                        doc.get("kind").is_some_and(Value::is_string),
                        "{name}: {doc}"
                    );
                    let meta_name = doc.pointer("/metadata/name");
                    assert!(meta_name.is_some_and(Value::is_string), "{name}: {doc}");
                }
            }
            Expect::Json(list) => {
                assert_eq!(list["kind"], "List", "{name}: expected.json is a List");
                assert!(
                    split_list(list).1.is_some(),
                    "{name}: expected.json has items"
                );
            }
            Expect::Error { lines, exit } => {
                assert!(!lines.is_empty(), "{name}: expected-error is empty");
                assert!(matches!(exit, 1 | 2), "{name}: expected-exit {exit}");
            }
        }
        for line in case.warnings.iter().chain(match &case.expect {
            Expect::Error { lines, .. } => lines.as_slice(),
            _ => &[],
        }) {
            stderr_has("", line).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

// ---------------------------------------------------------------------------
// A case

struct Case {
    dir: PathBuf,
    args_line: String,
    args: Vec<String>,
    /// `input/<file>` for every entry of `input/`, sorted by name.
    inputs: Vec<String>,
    expect: Expect,
    warnings: Vec<String>,
}

enum Expect {
    /// The expected documents (`expected.yaml`), in order.
    Yaml(Vec<Value>),
    /// The expected `{"apiVersion": "v1", "kind": "List", "items": [...]}`.
    Json(Value),
    Error {
        lines: Vec<String>,
        exit: i32,
    },
}

impl Case {
    fn load(dir: &Path) -> Result<Case, String> {
        let args_line = read(dir, "args").unwrap_or_default().trim().to_owned();
        let args = split_args(&args_line)?;
        let mut inputs: Vec<String> = std::fs::read_dir(dir.join("input"))
            .map_err(|e| format!("input/: {e}"))?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("input/: {e}"))?;
        inputs.sort();
        let inputs = inputs.into_iter().map(|f| format!("input/{f}")).collect();

        let yaml = read(dir, "expected.yaml");
        let json = read(dir, "expected.json");
        let error = read(dir, "expected-error");
        let expect = match (yaml, json, error) {
            (Some(text), None, None) => {
                Expect::Yaml(parse_yaml_stream(&text).map_err(|e| format!("expected.yaml: {e}"))?)
            }
            (None, Some(text), None) => Expect::Json(
                serde_json::from_str(&text).map_err(|e| format!("expected.json: {e}"))?,
            ),
            (None, None, Some(text)) => {
                let exit =
                    read(dir, "expected-exit").ok_or("expected-error without expected-exit")?;
                let exit = exit
                    .trim()
                    .parse()
                    .map_err(|e| format!("expected-exit: {e}"))?;
                Expect::Error {
                    lines: expectation_lines(&text),
                    exit,
                }
            }
            _ => {
                return Err(
                    "needs exactly one of expected.yaml, expected.json, expected-error".into(),
                )
            }
        };
        let warnings = read(dir, "expected-warning")
            .map(|t| expectation_lines(&t))
            .unwrap_or_default();
        if !warnings.is_empty() && matches!(expect, Expect::Error { .. }) {
            return Err("expected-warning beside expected-error".into());
        }
        Ok(Case {
            dir: dir.to_owned(),
            args_line,
            args,
            inputs,
            expect,
            warnings,
        })
    }

    fn run(&self, inputs: &[String]) -> Run {
        Test::new()
            .args(&self.args)
            .args(inputs)
            .current_dir(&self.dir)
            .run()
    }

    /// `args: …; N input(s); expects …`, for the case's header line.
    fn summary(&self) -> String {
        let args = if self.args_line.is_empty() {
            "(none)"
        } else {
            &self.args_line
        };
        let expects = match &self.expect {
            Expect::Yaml(docs) => format!("{} object(s)", docs.len()),
            Expect::Json(_) => "a JSON List".to_owned(),
            Expect::Error { exit, .. } => format!("error, exit {exit}"),
        };
        let warns = if self.warnings.is_empty() {
            ""
        } else {
            " + warnings"
        };
        format!(
            "args: {args}; {} input(s); expects {expects}{warns}",
            self.inputs.len()
        )
    }

    /// Every problem of this case, as diagnostic lines (none: it passes).
    fn check(&self) -> Vec<String> {
        let out = self.run(&self.inputs);
        let stderr = &out.stderr;
        let mut lines = Vec::new();
        let shown = &lines_of(stderr);
        match &self.expect {
            Expect::Error {
                lines: expected,
                exit,
            } => {
                let mut bad = Vec::new();
                if out.code != Some(*exit) {
                    bad.push(format!("exit: expected {exit}, got {}", status(&out)));
                }
                if !out.stdout.is_empty() {
                    let first = out.stdout.lines().next().unwrap_or("");
                    bad.push(format!(
                        "stdout: expected empty, got {} bytes: {}",
                        out.stdout.len(),
                        clip(first, 80)
                    ));
                }
                bad.extend(missing_lines(
                    "stderr lacks (expected-error)",
                    stderr,
                    expected,
                ));
                if !bad.is_empty() {
                    lines.extend(bad);
                    lines.extend(stderr_head(shown));
                }
            }
            Expect::Yaml(_) | Expect::Json(_) => {
                if out.code != Some(0) {
                    lines.push(format!("exit: expected 0, got {}", status(&out)));
                    lines.extend(stderr_head(shown));
                } else {
                    lines.extend(self.check_output(out.stdout.as_bytes()));
                    let missing =
                        missing_lines("stderr lacks (expected-warning)", stderr, &self.warnings);
                    if !missing.is_empty() {
                        lines.extend(missing);
                        lines.extend(stderr_head(shown));
                    }
                }
            }
        }
        if self.inputs.len() >= 2 {
            let reversed: Vec<String> = self.inputs.iter().rev().cloned().collect();
            let again = self.run(&reversed);
            if again.stdout != out.stdout {
                lines.push(format!(
                    "determinism: stdout differs with PATHs reversed: {}",
                    first_difference(out.stdout.as_bytes(), again.stdout.as_bytes())
                ));
            }
        }
        lines
    }

    /// The comparison of a successful run's stdout with the expectation.
    fn check_output(&self, stdout: &[u8]) -> Vec<String> {
        let Ok(text) = std::str::from_utf8(stdout) else {
            return vec!["stdout: not UTF-8".into()];
        };
        let mut lines = Vec::new();
        let (expected, actual) = match &self.expect {
            Expect::Yaml(expected) => match parse_yaml_stream(text) {
                Ok(actual) => {
                    lines.extend(quoting_problems(text));
                    (expected.clone(), actual)
                }
                Err(e) => return vec![format!("stdout: not a YAML stream: {}", clip(&e, 160))],
            },
            Expect::Json(expected) => {
                let actual: Value = match serde_json::from_str(text) {
                    Ok(v) => v,
                    Err(e) => {
                        return vec![format!("stdout: not JSON: {e} (starts {})", clip(text, 40))]
                    }
                };
                let (expected_list, expected_items) = split_list(expected);
                let (actual_list, actual_items) = split_list(&actual);
                let mut wrapper = Vec::new();
                diff_unordered(&expected_list, &actual_list, "", &mut wrapper);
                if actual_items.is_none() {
                    wrapper.push("items: missing or not a list".into());
                }
                if !wrapper.is_empty() {
                    lines.push("json List wrapper differs:".into());
                    lines.extend(cap_items(
                        wrapper.into_iter().map(|d| format!("  {d}")).collect(),
                    ));
                }
                (
                    expected_items.unwrap_or_default(),
                    actual_items.unwrap_or_default(),
                )
            }
            Expect::Error { .. } => unreachable!("only success cases compare output"),
        };
        lines.extend(compare_documents(&expected, &actual));
        lines
    }
}

// ---------------------------------------------------------------------------
// Comparing documents

/// An object's identity: (apiVersion, kind, metadata.namespace, metadata.name).
#[derive(Clone, PartialEq, Eq)]
struct Id([Option<Value>; 4]);

impl Id {
    fn of(doc: &Value) -> Id {
        let at = |p: &str| doc.pointer(p).cloned();
        Id([
            at("/apiVersion"),
            at("/kind"),
            at("/metadata/namespace"),
            at("/metadata/name"),
        ])
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let part = |v: &Option<Value>| match v {
            None => "<none>".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let [api, kind, ns, name] = &self.0;
        write!(
            f,
            "{} {}/{} ({})",
            part(kind),
            part(ns),
            part(name),
            part(api)
        )
    }
}

/// The compared parts of an object: labels, annotations and ownerReferences
/// (absent taken as empty) and spec (absent stays absent).
fn compared_parts(doc: &Value) -> Value {
    let meta = doc.get("metadata");
    let field = |key: &str, empty: Value| meta.and_then(|m| m.get(key)).cloned().unwrap_or(empty);
    let mut metadata = Map::new();
    metadata.insert("labels".into(), field("labels", Value::Object(Map::new())));
    metadata.insert(
        "annotations".into(),
        field("annotations", Value::Object(Map::new())),
    );
    metadata.insert(
        "ownerReferences".into(),
        field("ownerReferences", Value::Array(Vec::new())),
    );
    let mut parts = Map::new();
    parts.insert("metadata".into(), Value::Object(metadata));
    if let Some(spec) = doc.get("spec") {
        parts.insert("spec".into(), spec.clone());
    }
    Value::Object(parts)
}

/// The README's comparison, in its order: identities as a multiset, the
/// compared parts with lists as multisets, then document order and the
/// order of every list.
fn compare_documents(expected: &[Value], actual: &[Value]) -> Vec<String> {
    let mut lines = Vec::new();
    // Pair expected and actual objects by identity (duplicates in order).
    let mut used = vec![false; actual.len()];
    let mut pairs = Vec::new();
    let mut missing = Vec::new();
    for (i, exp) in expected.iter().enumerate() {
        let id = Id::of(exp);
        match (0..actual.len()).find(|&j| !used[j] && Id::of(&actual[j]) == id) {
            Some(j) => {
                used[j] = true;
                pairs.push((i, j));
            }
            None => missing.push(id),
        }
    }
    let unexpected: Vec<Id> = (0..actual.len())
        .filter(|&j| !used[j])
        .map(|j| Id::of(&actual[j]))
        .collect();
    if !missing.is_empty() || !unexpected.is_empty() {
        lines.push(format!(
            "objects: {} missing, {} unexpected (expected {}, got {})",
            missing.len(),
            unexpected.len(),
            expected.len(),
            actual.len()
        ));
        lines.extend(cap_items(
            missing
                .iter()
                .map(|id| format!("  missing    {id}"))
                .collect(),
        ));
        lines.extend(cap_items(
            unexpected
                .iter()
                .map(|id| format!("  unexpected {id}"))
                .collect(),
        ));
    }

    // Fields, lists as multisets.
    let mut differing = Vec::new();
    let mut first_diff = Vec::new();
    for &(i, j) in &pairs {
        let mut diffs = Vec::new();
        diff_unordered(
            &compared_parts(&expected[i]),
            &compared_parts(&actual[j]),
            "",
            &mut diffs,
        );
        if !diffs.is_empty() {
            if differing.is_empty() {
                first_diff = diffs;
            }
            differing.push(Id::of(&expected[i]));
        }
    }
    if let Some(first) = differing.first() {
        lines.push(format!(
            "fields: {} of {} matched object(s) differ; first: {first}",
            differing.len(),
            pairs.len()
        ));
        lines.extend(cap_items(
            first_diff.into_iter().map(|d| format!("  {d}")).collect(),
        ));
        if differing.len() > 1 {
            let others: Vec<String> = differing[1..]
                .iter()
                .map(|id| format!("  also differs: {id}"))
                .collect();
            lines.extend(cap_items(others));
        }
    }

    // Document order, when the same objects are there.
    if missing.is_empty() && unexpected.is_empty() {
        let rows: Vec<String> = expected
            .iter()
            .zip(actual)
            .enumerate()
            .filter_map(|(n, (e, a))| {
                let (e, a) = (Id::of(e), Id::of(a));
                (e != a).then(|| format!("  #{n}: expected {e}\n  #{n}:      got {a}"))
            })
            .collect();
        if !rows.is_empty() {
            lines.push(format!(
                "document order: {} position(s) differ (SPEC §7)",
                rows.len()
            ));
            let rows: Vec<String> = rows
                .iter()
                .flat_map(|r| r.lines().map(str::to_owned))
                .collect();
            lines.extend(cap_items_by(rows, MAX_ITEMS * 2));
        }
    }

    // List order, within the objects whose fields are otherwise equal.
    let mut order = Vec::new();
    for &(i, j) in &pairs {
        let id = Id::of(&expected[i]);
        if differing.contains(&id) {
            continue;
        }
        if let Some(d) = first_order_difference(
            &compared_parts(&expected[i]),
            &compared_parts(&actual[j]),
            "",
        ) {
            order.push(format!("  {id}: {d}"));
        }
    }
    if !order.is_empty() {
        lines.push(format!(
            "list order: {} object(s) with a list out of the expected order",
            order.len()
        ));
        lines.extend(cap_items(order));
    }
    lines
}

/// The YAML 1.1 quoting check of a YAML output, as diagnostic lines.
fn quoting_problems(text: &str) -> Vec<String> {
    match unquoted_yaml11_strings(text) {
        Ok(unquoted) if unquoted.is_empty() => Vec::new(),
        Ok(unquoted) => {
            let n = unquoted.len();
            let mut lines = vec![format!(
                "yaml 1.1: {n} plain string(s) that kubectl's reader types otherwise"
            )];
            lines.extend(cap_items(
                unquoted.into_iter().map(|u| format!("  {u}")).collect(),
            ));
            lines
        }
        Err(e) => vec![format!(
            "yaml 1.1 check: stdout does not parse: {}",
            clip(&e, 120)
        )],
    }
}

/// `(List without items, items)` of a `kind: List` JSON output.
fn split_list(list: &Value) -> (Value, Option<Vec<Value>>) {
    let mut wrapper = list.clone();
    let items = wrapper.as_object_mut().and_then(|m| m.remove("items"));
    let items = match items {
        Some(Value::Array(items)) => Some(items),
        _ => None,
    };
    (wrapper, items)
}

/// A canonical text of a value in which lists are multisets: map keys
/// sorted, list elements sorted by their canonical text, scalars as JSON
/// (so `"1"`, `1` and `1.0` stay apart).
fn canonical(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let mut items: Vec<String> = items.iter().map(canonical).collect();
            items.sort();
            format!("[{}]", items.join(","))
        }
        Value::Object(map) => {
            let mut entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), canonical(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// Equal with every list compared as a multiset, recursively.
fn eq_unordered(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

/// The differences between `exp` and `act` with lists as multisets, one line
/// per JSON path.
fn diff_unordered(exp: &Value, act: &Value, path: &str, out: &mut Vec<String>) {
    match (exp, act) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = key_path(path, k);
                match a.get(k) {
                    Some(av) => diff_unordered(ev, av, &p, out),
                    None => out.push(format!("{p}: missing, expected {}", brief(ev))),
                }
            }
            for (k, av) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
                out.push(format!("{}: unexpected {}", key_path(path, k), brief(av)));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if eq_unordered(exp, act) {
                return;
            }
            let (missing, extra) = unmatched(e, a);
            if let ([m], [x]) = (missing.as_slice(), extra.as_slice()) {
                // One element changed: show what changed inside it.
                diff_unordered(&e[*m], &a[*x], &format!("{path}[{m}]"), out);
            } else {
                for m in missing {
                    out.push(format!("{path}[{m}]: missing {}", brief(&e[m])));
                }
                for x in extra {
                    out.push(format!(
                        "{}: unexpected element {}",
                        or_root(path),
                        brief(&a[x])
                    ));
                }
            }
        }
        _ if exp == act => {}
        _ if type_name(exp) == type_name(act) => {
            out.push(format!(
                "{}: expected {}, got {}",
                or_root(path),
                brief(exp),
                brief(act)
            ));
        }
        _ => out.push(format!(
            "{}: expected {} ({}), got {} ({})",
            or_root(path),
            brief(exp),
            type_name(exp),
            brief(act),
            type_name(act)
        )),
    }
}

/// Indices of the elements of `e` with no equal (as multisets) element in
/// `a`, and of those of `a` with none in `e`.
fn unmatched(e: &[Value], a: &[Value]) -> (Vec<usize>, Vec<usize>) {
    let a_keys: Vec<String> = a.iter().map(canonical).collect();
    let mut used = vec![false; a.len()];
    let mut missing = Vec::new();
    for (i, ev) in e.iter().enumerate() {
        let key = canonical(ev);
        match (0..a.len()).find(|&j| !used[j] && a_keys[j] == key) {
            Some(j) => used[j] = true,
            None => missing.push(i),
        }
    }
    let extra = (0..a.len()).filter(|&j| !used[j]).collect();
    (missing, extra)
}

/// For values equal as multisets: the first list (in expected key order)
/// whose elements come in another order than expected.
fn first_order_difference(exp: &Value, act: &Value, path: &str) -> Option<String> {
    match (exp, act) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .find_map(|(k, ev)| first_order_difference(ev, a.get(k)?, &key_path(path, k))),
        (Value::Array(e), Value::Array(a)) => {
            if e.len() == a.len() && e.iter().zip(a).all(|(x, y)| eq_unordered(x, y)) {
                e.iter()
                    .zip(a)
                    .enumerate()
                    .find_map(|(i, (x, y))| first_order_difference(x, y, &format!("{path}[{i}]")))
            } else {
                let show = |v: &[Value]| {
                    v.iter()
                        .map(|x| clip(&x.to_string(), 40))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                Some(format!(
                    "{}: expected [{}], got [{}]",
                    or_root(path),
                    show(e),
                    show(a)
                ))
            }
        }
        _ => None,
    }
}

fn key_path(path: &str, key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Value::String(key.to_owned())),
    }
}

fn or_root(path: &str) -> &str {
    if path.is_empty() {
        "(root)"
    } else {
        path
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// A value as compact JSON, cut to a readable length.
fn brief(v: &Value) -> String {
    clip(&v.to_string(), 100)
}

// ---------------------------------------------------------------------------
// YAML

/// Read the YAML as kubectl does in the points that change types: YAML 1.1
/// booleans (`yes`, `on`, ...) and leading-zero octal integers.
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.legacy_octal_numbers = true;
    options.strict_booleans = false;
    options
}

fn parse_yaml_stream(text: &str) -> Result<Vec<Value>, String> {
    serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|e| e.to_string())
}

/// A YAML node with the location of each child, for the quoting check.
enum Node {
    Str(String),
    Other,
    Seq(Vec<serde_saphyr::Spanned<Node>>),
    Map(Vec<(serde_saphyr::Spanned<Node>, serde_saphyr::Spanned<Node>)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_owned()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_i128<E>(self, _: i128) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_u128<E>(self, _: u128) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Every string (key or value) of the stream written as a plain scalar that
/// a YAML 1.1 reader would type as something else, as `line L: `text` reads
/// as TYPE`. Non-string scalars are not looked at: reading them as YAML 1.1
/// already gives them the type that the comparison checks.
fn unquoted_yaml11_strings(text: &str) -> Result<Vec<String>, String> {
    let docs: Vec<serde_saphyr::Spanned<Node>> =
        serde_saphyr::from_multiple_with_options(text, yaml_options())
            .map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    let mut stack: Vec<&serde_saphyr::Spanned<Node>> = docs.iter().collect();
    while let Some(node) = stack.pop() {
        match &node.value {
            Node::Str(s) => {
                let location = node.defined;
                let start = location.span().byte_offset().ok_or("no byte offsets")? as usize;
                if let (true, Some(kind)) = (is_plain(text, start), yaml11_type(s)) {
                    found.push((location.line(), format!("`{s}` reads as {kind}")));
                }
            }
            Node::Other => {}
            Node::Seq(items) => stack.extend(items),
            Node::Map(entries) => stack.extend(entries.iter().flat_map(|(k, v)| [k, v])),
        }
    }
    found.sort();
    Ok(found
        .into_iter()
        .map(|(line, what)| format!("line {line}: {what}"))
        .collect())
}

/// Whether the scalar at byte `start` of `text` is a plain one: not quoted,
/// not a block scalar (the location is that of the indicator), and not
/// tagged (the location is that of the text, after the tag and anchor).
fn is_plain(text: &str, start: usize) -> bool {
    if matches!(text.as_bytes().get(start), Some(b'\'' | b'"' | b'|' | b'>')) {
        return false;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let words = text[line_start..start].split_whitespace().rev();
    let mut properties = words.take_while(|w| w.starts_with('!') || w.starts_with('&'));
    !properties.any(|w| w.starts_with('!'))
}

/// The type a YAML 1.1 reader (kubectl's) gives a plain scalar, when it is
/// not a string: the YAML 1.1 type repository's bool, null, int, float,
/// timestamp and merge, plus the 1.2 exponent floats that kubectl also reads.
fn yaml11_type(s: &str) -> Option<&'static str> {
    static PATTERNS: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
        [
            ("bool", r"^(?i:y|yes|n|no|true|false|on|off)$"),
            ("null", r"^(~|null|Null|NULL)$"),
            // Decimal, octal (0773) and leading-zero digits, with `_`.
            ("int", r"^[-+]?[0-9][0-9_]*$"),
            ("int", r"^[-+]?0b[01_]+$"),
            ("int", r"^[-+]?0x[0-9a-fA-F_]+$"),
            ("int (sexagesimal)", r"^[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+$"),
            // A float needs a digit: `.` alone is a string.
            ("float", r"^[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?$"),
            ("float", r"^[-+]?\.[0-9][0-9_]*([eE][-+]?[0-9]+)?$"),
            ("float", r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
            ("float (sexagesimal)", r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$"),
            ("float", r"^[-+]?\.(inf|Inf|INF)$"),
            ("float", r"^\.(nan|NaN|NAN)$"),
            (
                "timestamp",
                r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?$",
            ),
            ("merge", r"^<<$"),
        ]
        .into_iter()
        .map(|(kind, re)| (kind, Regex::new(re).expect("valid pattern")))
        .collect()
    });
    PATTERNS
        .iter()
        .find(|(_, re)| re.is_match(s))
        .map(|(kind, _)| *kind)
}

// ---------------------------------------------------------------------------
// Arguments, expectation lines, small helpers

/// Split an `args` line as a POSIX shell would for plain words, single
/// quotes (literal), double quotes (`\"` and `\\` escaped) and backslash
/// escapes outside quotes. No expansion of any kind.
fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => args.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("args: unterminated ' in {line:?}")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err(format!("args: unterminated \" in {line:?}")),
                        },
                        Some(c) => w.push(c),
                        None => return Err(format!("args: unterminated \" in {line:?}")),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err(format!("args: trailing \\ in {line:?}")),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    args.extend(word);
    Ok(args)
}

/// The non-empty lines of an `expected-warning` / `expected-error` file.
fn expectation_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether stderr satisfies one expectation line: a case-insensitive
/// substring, or after `re:` a regular expression (as written).
fn stderr_has(stderr: &str, line: &str) -> Result<bool, String> {
    match line.strip_prefix("re:") {
        Some(pattern) => {
            let re = Regex::new(pattern).map_err(|e| format!("bad pattern {line:?}: {e}"))?;
            Ok(re.is_match(stderr))
        }
        None => Ok(stderr.to_lowercase().contains(&line.to_lowercase())),
    }
}

fn missing_lines(what: &str, stderr: &str, expected: &[String]) -> Vec<String> {
    expected
        .iter()
        .filter_map(|line| match stderr_has(stderr, line) {
            Ok(true) => None,
            Ok(false) => Some(format!("{what}: {line:?}")),
            Err(e) => Some(format!("fixture: {e}")),
        })
        .collect()
}

fn stderr_head(lines: &[String]) -> Vec<String> {
    if lines.is_empty() {
        return vec!["stderr: (empty)".into()];
    }
    let mut out = vec!["stderr:".to_owned()];
    out.extend(
        lines
            .iter()
            .take(4)
            .map(|l| format!("  | {}", clip(l, 150))),
    );
    if lines.len() > 4 {
        out.push(format!("  | … ({} more lines)", lines.len() - 4));
    }
    out
}

fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn status(out: &Run) -> String {
    match out.code {
        Some(code) => code.to_string(),
        None => "no status (killed by a signal)".into(),
    }
}

/// Where two outputs first differ, by line.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 0;
    loop {
        n += 1;
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => {}
            (None, None) => return "only in line endings".into(),
            (x, y) => {
                let (x, y) = (x.unwrap_or("<end>"), y.unwrap_or("<end>"));
                return format!("line {n}: {:?} vs {:?}", clip(x, 60), clip(y, 60));
            }
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn cap_items(items: Vec<String>) -> Vec<String> {
    cap_items_by(items, MAX_ITEMS)
}

fn cap_items_by(mut items: Vec<String>, max: usize) -> Vec<String> {
    if items.len() > max {
        let more = items.len() - max;
        items.truncate(max);
        items.push(format!("  … and {more} more"));
    }
    items
}

fn cap_lines(mut lines: Vec<String>, max: usize) -> Vec<String> {
    if lines.len() > max {
        let more = lines.len() - (max - 1);
        lines.truncate(max - 1);
        lines.push(format!("… ({more} more lines)"));
    }
    lines
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The harness's own tests

mod harness {
    use super::*;
    use serde_json::json;

    fn diffs(exp: Value, act: Value) -> Vec<String> {
        let mut out = Vec::new();
        diff_unordered(&exp, &act, "", &mut out);
        out
    }

    #[test]
    fn lists_compare_as_multisets_recursively() {
        let exp = json!({"a": [{"p": ["x", "y"]}, 3, 3]});
        let act = json!({"a": [3, {"p": ["y", "x"]}, 3]});
        assert!(eq_unordered(&exp, &act));
        assert!(diffs(exp.clone(), act.clone()).is_empty());
        // Equal as multisets, but not in order: the outermost list is named.
        let order = first_order_difference(&exp, &act, "").expect("order differs");
        assert!(
            order.starts_with("a: expected [{\"p\":[\"x\",\"y\"]}, 3, 3]"),
            "{order}"
        );
        // Same order outside, another inside: the inner list is named.
        let inner = first_order_difference(&json!([{"p": [1, 2]}]), &json!([{"p": [2, 1]}]), "");
        assert_eq!(inner.as_deref(), Some("[0].p: expected [1, 2], got [2, 1]"));
        // Multiplicity counts.
        assert!(!eq_unordered(&json!([1, 1, 2]), &json!([1, 2, 2])));
        assert_eq!(
            diffs(json!([1, 1, 2]), json!([1, 2, 2])),
            ["[1]: expected 1, got 2"]
        );
        assert_eq!(
            diffs(json!({"l": [1, 2]}), json!({"l": [1, 2, 4]})),
            ["l: unexpected element 4"]
        );
        // One changed element: the path inside it.
        assert_eq!(
            diffs(
                json!({"ports": [{"n": 1, "p": "TLS"}, {"n": 2}]}),
                json!({"ports": [{"n": 2}, {"n": 1, "p": "TCP"}]})
            ),
            ["ports[0].p: expected \"TLS\", got \"TCP\""]
        );
        // Maps must have the same keys.
        assert_eq!(
            diffs(json!({"m": {"a": 1}}), json!({"m": {"a": 1, "b": 2}})),
            ["m.b: unexpected 2"]
        );
        assert_eq!(
            diffs(json!({"m": {"a/b": 1}}), json!({"m": {}})),
            ["m[\"a/b\"]: missing, expected 1"]
        );
    }

    #[test]
    fn types_are_strict() {
        assert!(!eq_unordered(&json!(["1"]), &json!([1])));
        assert!(!eq_unordered(&json!(1), &json!(1.0)));
        assert_eq!(
            diffs(json!({"v": "1"}), json!({"v": 1})),
            ["v: expected \"1\" (string), got 1 (integer)"]
        );
        assert_eq!(
            diffs(json!({"v": true}), json!({"v": "true"})),
            ["v: expected true (bool), got \"true\" (string)"]
        );
        assert_eq!(
            diffs(json!({"v": 443}), json!({"v": 443.0})),
            ["v: expected 443 (integer), got 443.0 (float)"]
        );
        assert_eq!(
            diffs(json!({"v": {}}), json!({"v": null})),
            ["v: expected {} (map), got null (null)"]
        );
        // YAML read as YAML 1.1: `on` and `0773` are not strings.
        let docs = parse_yaml_stream("a: on\nb: 0773\nc: '0773'\nd: 1:20\n").expect("parses");
        assert_eq!(
            docs,
            [json!({"a": true, "b": 507, "c": "0773", "d": "1:20"})]
        );
    }

    #[test]
    fn absent_labels_annotations_owner_references_equal_empty() {
        let doc = |metadata: Value| json!({"kind": "X", "metadata": metadata, "spec": {}});
        let bare = doc(json!({"name": "n"}));
        let empty =
            doc(json!({"name": "n", "labels": {}, "annotations": {}, "ownerReferences": []}));
        assert_eq!(compared_parts(&bare), compared_parts(&empty));
        assert!(compare_documents(&[bare], &[empty]).is_empty());
        let labelled = doc(json!({"name": "n", "labels": {"a": "b"}}));
        let lines = compare_documents(&[labelled], &[doc(json!({"name": "n"}))]);
        assert_eq!(
            lines,
            [
                "fields: 1 of 1 matched object(s) differ; first: X <none>/n (<none>)",
                "  metadata.labels.a: missing, expected \"b\"",
            ]
        );
        // An absent spec is not an empty one.
        let no_spec = json!({"kind": "X", "metadata": {"name": "n"}});
        let lines = compare_documents(&[doc(json!({"name": "n"}))], &[no_spec]);
        assert_eq!(lines[1], "  spec: missing, expected {}");
        // Identities are a multiset; then the order counts.
        let a = json!({"kind": "A", "metadata": {"name": "a"}});
        let b = json!({"kind": "B", "metadata": {"name": "b"}});
        let lines = compare_documents(&[a.clone(), b.clone()], &[b.clone(), a.clone()]);
        assert_eq!(lines[0], "document order: 2 position(s) differ (SPEC §7)");
        let lines = compare_documents(&[a.clone(), b], &[a.clone(), a]);
        assert_eq!(
            lines[0],
            "objects: 1 missing, 1 unexpected (expected 2, got 2)"
        );
    }

    #[test]
    fn yaml11_lookalike_strings_must_be_quoted() {
        for s in [
            "y",
            "N",
            "yes",
            "On",
            "OFF",
            "yEs",
            "~",
            "null",
            "1_000",
            "0773",
            "0x1F",
            "0b101",
            "1:20",
            "190:20:30.15",
            ".5",
            "1.",
            "-1.5e3",
            "1e3",
            ".inf",
            "-.Inf",
            ".NaN",
            "2001-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "443",
            "<<",
        ] {
            assert!(yaml11_type(s).is_some(), "{s} is not a string in YAML 1.1");
        }
        for s in [
            ".",
            "tls-443",
            "1.2.3",
            "10.0.0.1",
            "v1",
            "443a",
            "-",
            "yess",
            "cluster.local",
            "ns/a",
            "2001-01",
            "NULLs",
            ".nan1",
        ] {
            assert_eq!(yaml11_type(s), None, "{s} is a string in YAML 1.1");
        }
        let text = "---\na: '1:20'\nb: 1:20\nc: \"2001-01-01\"\nd:\n- 2001-01-01\n- .\n- tls-443\n- !!str 1_000\n2001-01-02: x\n---\ne: [x, 1:30]\n";
        assert_eq!(
            unquoted_yaml11_strings(text).expect("parses"),
            [
                "line 3: `1:20` reads as int (sexagesimal)",
                "line 6: `2001-01-01` reads as timestamp",
                "line 10: `2001-01-02` reads as timestamp",
                "line 12: `1:30` reads as int (sexagesimal)",
            ]
        );
        assert!(
            unquoted_yaml11_strings("a: 'on'\nb: \"0773\"\nc: |\n  1:20\n")
                .expect("parses")
                .is_empty()
        );
    }

    #[test]
    fn args_are_shell_split() {
        assert_eq!(
            split_args("-o json --shared-generation 3").unwrap(),
            ["-o", "json", "--shared-generation", "3"]
        );
        assert_eq!(split_args("  -n analytics\n").unwrap(), ["-n", "analytics"]);
        assert_eq!(split_args("").unwrap(), Vec::<String>::new());
        assert_eq!(
            split_args(r#"-n 'a b' "c \"d\" \x" e\ f '' x"y"'z'"#).unwrap(),
            ["-n", "a b", r#"c "d" \x"#, "e f", "", "xyz"]
        );
        assert!(split_args("'open").is_err());
        assert!(split_args("\"open").is_err());
    }

    #[test]
    fn stderr_lines_are_substrings_or_patterns() {
        let stderr = "warning[dangling-target]: tiles-example.maps.io in Package p";
        assert_eq!(stderr_has(stderr, "DANGLING-target"), Ok(true));
        assert_eq!(
            stderr_has(stderr, "re:tiles[.-]example[.-]maps[.-]io"),
            Ok(true)
        );
        assert_eq!(stderr_has(stderr, "re:^tiles"), Ok(false));
        assert_eq!(stderr_has(stderr, "allow[0]"), Ok(false));
        assert!(stderr_has(stderr, "re:(").is_err());
    }
}
