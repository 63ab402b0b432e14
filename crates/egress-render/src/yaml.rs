//! The one place that talks to the YAML library (serde-saphyr).
//!
//! Reading: each document becomes a small tree of [`Node`]s that keeps only
//! the parts of a Package that egress rendering reads (apiVersion, kind,
//! metadata.{name,namespace,generation,uid}, spec.network.{allow,serviceMesh})
//! and skips the rest without building it, so memory follows the egress rules,
//! not the size of the documents. Every kept node carries its line and column.
//!
//! Writing: serde-saphyr quotes every string a YAML 1.1 reader (kubectl's)
//! would take for a boolean, number, null or timestamp (`on`, `yes`, `1_000`,
//! `2001-01-01`, `443`), which serde_yaml 0.9 did not.

use crate::model::Pos;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;
use std::marker::PhantomData;

/// The largest input accepted per file (SPEC §1).
pub const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;

/// A YAML value with its position. Scalars keep YAML's own typing (a plain
/// `443` is an integer, `"443"` a string), so type errors can be reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Value {
    /// How the value is described in a type error.
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Int(i) => format!("the integer {i}"),
            // Past 2^53 a float holds no exact integer: 2^64 would print as
            // 18446744073709552000.
            Value::Float(x) if x.is_finite() && x.abs() >= 9_007_199_254_740_992.0 => {
                format!("the number {x:e}, too large to read exactly")
            }
            Value::Float(x) => format!("the number {x}"),
            Value::Str(s) => format!("the string {s:?}"),
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }
}

/// Which keys of a mapping are kept, by where the mapping is in a Package.
trait Shape {
    /// The shape of the value under `key`, or `None` to skip it.
    fn child(key: &str) -> Option<ShapeId>;
    /// The shape of a sequence's items.
    fn item() -> ShapeId {
        ShapeId::Full
    }
}

#[derive(Clone, Copy)]
enum ShapeId {
    Full,
    Root,
    Items,
    Metadata,
    Spec,
    Network,
}

struct Root;
/// A List document's `items`: each item is an object shaped like a document.
struct Items;
struct Metadata;
struct Spec;
struct Network;
struct Full;

impl Shape for Root {
    fn child(key: &str) -> Option<ShapeId> {
        match key {
            "apiVersion" | "kind" => Some(ShapeId::Full),
            "metadata" => Some(ShapeId::Metadata),
            "spec" => Some(ShapeId::Spec),
            // `kind: List` (kubectl get -o yaml) and typed lists (SPEC §1).
            "items" => Some(ShapeId::Items),
            _ => None,
        }
    }
}
impl Shape for Items {
    fn child(_: &str) -> Option<ShapeId> {
        None
    }
    fn item() -> ShapeId {
        ShapeId::Root
    }
}
impl Shape for Metadata {
    fn child(key: &str) -> Option<ShapeId> {
        match key {
            "name" | "namespace" | "generation" | "uid" => Some(ShapeId::Full),
            _ => None,
        }
    }
}
impl Shape for Spec {
    fn child(key: &str) -> Option<ShapeId> {
        (key == "network").then_some(ShapeId::Network)
    }
}
impl Shape for Network {
    fn child(key: &str) -> Option<ShapeId> {
        matches!(key, "allow" | "serviceMesh").then_some(ShapeId::Full)
    }
}
impl Shape for Full {
    fn child(_: &str) -> Option<ShapeId> {
        Some(ShapeId::Full)
    }
}

/// A value deserialized in shape `S`; wrapped in `Spanned` to get its position.
struct Shaped<S>(Value, PhantomData<S>);

fn pos_of<T>(s: &Spanned<T>) -> Pos {
    let loc = s.referenced;
    Pos {
        line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
        column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
    }
}

fn spanned_node<S>(s: Spanned<Shaped<S>>) -> Node {
    Node {
        pos: pos_of(&s),
        value: s.value.0,
    }
}

impl<'de, S: Shape> Deserialize<'de> for Shaped<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapedVisitor::<S>(PhantomData))
            .map(|v| Shaped(v, PhantomData))
    }
}

struct ShapedVisitor<S>(PhantomData<S>);

impl<'de, S: Shape> Visitor<'de> for ShapedVisitor<S> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let item = match S::item() {
                ShapeId::Root => seq
                    .next_element::<Spanned<Shaped<Root>>>()?
                    .map(spanned_node),
                _ => seq
                    .next_element::<Spanned<Shaped<Full>>>()?
                    .map(spanned_node),
            };
            let Some(item) = item else { break };
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<KeyString>()? {
            let node = match S::child(&key.0) {
                None => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                Some(ShapeId::Full) => spanned_node(map.next_value::<Spanned<Shaped<Full>>>()?),
                Some(ShapeId::Root) => spanned_node(map.next_value::<Spanned<Shaped<Root>>>()?),
                Some(ShapeId::Items) => spanned_node(map.next_value::<Spanned<Shaped<Items>>>()?),
                Some(ShapeId::Metadata) => {
                    spanned_node(map.next_value::<Spanned<Shaped<Metadata>>>()?)
                }
                Some(ShapeId::Spec) => spanned_node(map.next_value::<Spanned<Shaped<Spec>>>()?),
                Some(ShapeId::Network) => {
                    spanned_node(map.next_value::<Spanned<Shaped<Network>>>()?)
                }
            };
            entries.push((key.0, node));
        }
        Ok(Value::Map(entries))
    }
}

/// A mapping key as text, whatever scalar type YAML gave it (`80: x`,
/// `true: x`), as Kubernetes' YAML reader does.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyString, E> {
                Ok(KeyString(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyString, E> {
                Ok(KeyString("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Turns a document tree into a `T` as soon as the document is read, so
/// only one tree is alive at a time.
pub(crate) trait Convert {
    type Out;
    fn convert(doc: Node) -> Self::Out;
}

/// One document's tree, as read.
struct RootNode(Node);

impl<'de> Deserialize<'de> for RootNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let root: Spanned<Shaped<Root>> = Deserialize::deserialize(d)?;
        Ok(RootNode(spanned_node(root)))
    }
}

/// A YAML error with its position.
pub(crate) struct YamlError {
    pub pos: Option<Pos>,
    pub message: String,
}

/// How far aliases and merge keys may expand a document: this many times
/// its own size, plus its share of [`EXPANSION_FLOOR`] and
/// [`DOCUMENT_FLOOR`]. Honest reuse (one `&selector` anchor shared by every
/// rule, a `<<: *defaults` per document) stays within a few times the
/// input; an alias bomb grows exponentially and passes any fixed multiple
/// after a few levels.
pub const EXPANSION_FACTOR: usize = 8;

/// The expansion a file may use whatever its size, shared between its
/// documents by size: a single 6 KB package may repeat an anchor hundreds
/// of times. Also what a small bomb costs before it is refused: the parser
/// records what anchors expand to, about 40 bytes of memory per event (4
/// MiB made a 540-byte bomb take 0.7 s and 179 MB).
pub const EXPANSION_FLOOR: usize = 1024 * 1024;

/// The expansion every document may use on top, however small it is and
/// however large its file. Small enough that a stream of tiny documents,
/// each a small bomb, stays within a small multiple of its size: reaching
/// 1 KiB of events takes a bomb of nine levels, about 90 bytes.
pub const DOCUMENT_FLOOR: usize = 1024;

/// Budgets for one document of `document_len` bytes in a file of
/// `file_len` bytes, so that a 100,000-document fleet written with anchors,
/// aliases and merge keys parses, while amplification (alias bombs) and
/// deep nesting are refused. Each document is parsed on its own (see
/// `parse_documents`), so the budgets are per document; their sum over a file
/// stays linear in its size: `EXPANSION_FACTOR` times the file, plus
/// `EXPANSION_FLOOR`, plus `DOCUMENT_FLOOR` per document.
pub fn parse_options(document_len: usize, file_len: usize) -> serde_saphyr::Options {
    // Counts (events, nodes, documents, anchors, merge keys) need at least
    // one byte of input each; what aliases expand to may be up to
    // EXPANSION_FACTOR times the input.
    let written = document_len.saturating_add(1024);
    let share = if file_len == 0 {
        EXPANSION_FLOOR
    } else {
        // The document's share of the file's floor, by size (u128: no
        // overflow for any two sizes).
        let share = EXPANSION_FLOOR as u128 * document_len as u128 / file_len as u128;
        usize::try_from(share).unwrap_or(EXPANSION_FLOOR)
    };
    let expanded = document_len
        .saturating_mul(EXPANSION_FACTOR)
        .saturating_add(share)
        .saturating_add(DOCUMENT_FLOOR);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = expanded;
    budget.max_nodes = expanded;
    budget.max_total_scalar_bytes = expanded;
    budget.max_documents = written;
    budget.max_aliases = written;
    budget.max_anchors = written;
    budget.max_merge_keys = written;
    budget.max_recorded_anchor_events = expanded;
    budget.max_recorded_anchor_bytes = expanded;
    budget.max_depth = 64;
    // The caps above bound what aliases can expand to, linearly in the
    // input; the library's alias/anchor ratio would also refuse honest
    // files, e.g. one `&selector` anchor reused by 300 rules (more than 10
    // aliases per anchor).
    budget.enforce_alias_anchor_ratio = false;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = expanded;
    options.with_snippet = false;
    // `.inf` and `.nan` are values (a skipped document may hold them); a
    // field that needs a number says so.
    options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::PassThrough;
    // `0773` stays as written, so a port can say how YAML 1.1 readers
    // (kubectl) read it: octal 507.
    options.leading_zero_numbers_as_strings = true;
    options
}

/// A piece of a stream that holds whole documents: its text, and how many
/// lines of the stream come before it.
#[derive(Debug, PartialEq)]
struct Piece<'a> {
    lines_before: u32,
    text: &'a str,
}

/// Cut a stream before each `---` line, so that each document is parsed on
/// its own. YAML forbids a line that starts with `---` followed by a space
/// or a line break anywhere but as a document start (not even inside a
/// scalar), so the cut never splits a document. Directives (`%YAML`,
/// `%TAG`) just above a `---` go with the document they introduce.
///
/// Why: anchors are per document in YAML, but serde-saphyr 2.1 clears its
/// whole anchor table, which grows with the stream, at every document (a
/// 90,000-document fleet with an anchor each took 17 s instead of 8 s);
/// budgets become per document; and a syntax error ends only its own
/// document, so the other documents of the file are still checked.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0usize, 0u32);
    // The first directive line of the run of directive, comment and blank
    // lines just above the current line, if there is one.
    let mut directive: Option<(usize, u32)> = None;
    let mut in_run = true;
    let (mut at, mut line) = (0usize, 0u32);
    while at < bytes.len() {
        // The line from `at` to its break (YAML breaks: \n, \r\n, \r).
        let end = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n' || b == b'\r'))
            .map_or(bytes.len(), |i| at + i);
        let next = match (bytes.get(end), bytes.get(end + 1)) {
            (Some(b'\r'), Some(b'\n')) => end + 2,
            (Some(_), _) => end + 1,
            (None, _) => end,
        };
        let this = bytes.get(at..end).unwrap_or_default();
        let is_marker =
            this.starts_with(b"---") && matches!(this.get(3), None | Some(b' ' | b'\t'));
        if is_marker {
            let (cut, cut_line) = directive.unwrap_or((at, line));
            if cut > start {
                if let Some(piece) = text.get(start..cut) {
                    pieces.push(Piece {
                        lines_before: start_line,
                        text: piece,
                    });
                }
                (start, start_line) = (cut, cut_line);
            }
            directive = None;
            in_run = false;
        } else if this.starts_with(b"%YAML") || this.starts_with(b"%TAG") {
            if !in_run || directive.is_none() {
                directive = Some((at, line));
            }
            in_run = true;
        } else if this.iter().all(|b| *b == b' ' || *b == b'\t') || this.starts_with(b"#") {
            // Blank and comment lines keep a run of directives going.
        } else {
            directive = None;
            in_run = false;
        }
        at = next;
        line = line.saturating_add(1);
    }
    if let Some(piece) = text.get(start..) {
        if !piece.is_empty() || pieces.is_empty() {
            pieces.push(Piece {
                lines_before: start_line,
                text: piece,
            });
        }
    }
    pieces
}

/// Move every position of a tree down by `lines`.
fn shift(node: &mut Node, lines: u32) {
    if node.pos.line > 0 {
        node.pos.line = node.pos.line.saturating_add(lines);
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, lines)),
        Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| shift(n, lines)),
        _ => {}
    }
}

/// Parse a multi-document stream, document by document (see [`pieces`]),
/// converting each non-empty document with `C` as soon as it is read. A
/// syntax error or budget breach is one `Err` in its place; the documents
/// after it are still read.
pub(crate) fn parse_documents<C: Convert>(text: &str) -> Vec<Result<C::Out, YamlError>> {
    let mut out = Vec::new();
    for piece in pieces(text) {
        let options = parse_options(piece.text.len(), text.len());
        let docs: Result<Vec<RootNode>, serde_saphyr::Error> =
            serde_saphyr::from_str_multiple_with_options(piece.text, options);
        match docs {
            Ok(docs) => out.extend(docs.into_iter().map(|RootNode(mut doc)| {
                if piece.lines_before > 0 {
                    shift(&mut doc, piece.lines_before);
                }
                Ok(C::convert(doc))
            })),
            Err(e) => {
                let mut err = yaml_error(&e, piece.text, piece.lines_before);
                if let Some(pos) = &mut err.pos {
                    pos.line = pos.line.saturating_add(piece.lines_before);
                }
                out.push(Err(err));
            }
        }
    }
    out
}

/// The error of a piece of text that starts after `lines_before` lines of
/// its stream (its position is the piece's own; line numbers in the
/// message are the stream's).
fn yaml_error(e: &serde_saphyr::Error, text: &str, lines_before: u32) -> YamlError {
    let pos = e.location().and_then(|l| {
        (l.line() > 0).then(|| Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        })
    });
    if let Some(message) = budget_message(e) {
        return YamlError { pos, message };
    }
    if let Some(message) = duplicate_key_message(e, text, lines_before as usize) {
        return YamlError { pos, message };
    }
    // The library's message may repeat the position; keep its first line.
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    if first.contains("recursion limit exceeded") {
        return YamlError {
            pos,
            message: "nesting deeper than the parser allows (recursion limit exceeded)".to_string(),
        };
    }
    // The position is reported as data; drop the library's " at line L,
    // column C" so the message does not repeat it.
    let message = match first.rfind(" at line ") {
        Some(i) if first.get(i..).is_some_and(|t| t.contains("column")) => {
            first.get(..i).unwrap_or(first).trim_end()
        }
        _ => first,
    }
    .to_string();
    YamlError { pos, message }
}

/// A duplicate mapping key, named with the line it was first written on
/// (the library names the key and gives the second position only).
fn duplicate_key_message(
    e: &serde_saphyr::Error,
    text: &str,
    lines_before: usize,
) -> Option<String> {
    let mut err = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = err
    {
        err = error;
    }
    let serde_saphyr::Error::DuplicateMappingKey { key, location } = err else {
        return None;
    };
    let (line, column) = (location.line() as usize, location.column() as usize);
    let Some(key) = key else {
        let line = line + lines_before;
        return Some(format!(
            "a key is written twice in one mapping (again on line {line})"
        ));
    };
    let shown = crate::text::shorten(key);
    let first = first_line_of_key(text, key, line, column).map(|l| l + lines_before);
    let line = line + lines_before;
    Some(match first {
        Some(first) if first != line => {
            format!("key {shown:?} is written twice in one mapping, on lines {first} and {line}")
        }
        Some(_) => format!("key {shown:?} is written twice in one mapping, both on line {line}"),
        None => format!("key {shown:?} is written twice in one mapping (again on line {line})"),
    })
}

/// The line (1-based) where `key` is first written in the mapping whose
/// duplicate is at `line`:`column`: in a block mapping the nearest earlier
/// line with the key at the same column, before the mapping's indentation
/// ends; in a flow mapping the nearest earlier `key:` in the text.
fn first_line_of_key(text: &str, key: &str, line: usize, column: usize) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let col = column.checked_sub(1)?;
    let this = *lines.get(line.checked_sub(1)?)?;
    let before = this.get(..col)?;
    let is_key_at = |l: &str, c: usize| {
        l.get(c..).is_some_and(|rest| {
            [key.to_string(), format!("{key:?}"), format!("'{key}'")]
                .iter()
                .any(|k| {
                    rest.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        })
    };
    let flow = before.trim_end().ends_with(['{', ',']);
    if !flow {
        for (n, l) in lines.iter().enumerate().take(line - 1).rev() {
            let t = l.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            // The key column: after the indentation and any "- ".
            let mut c = l.len() - t.len();
            let mut rest = t;
            while let Some(r) = rest.strip_prefix("- ") {
                let r2 = r.trim_start();
                c += rest.len() - r2.len();
                rest = r2;
            }
            if c < col {
                return None;
            }
            if c == col && is_key_at(l, c) {
                return Some(n + 1);
            }
        }
        return None;
    }
    // Flow: the nearest earlier `key:` after `{`, `,` or a space.
    let start: usize = lines
        .iter()
        .take(line - 1)
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + col;
    let head = text.get(..start)?;
    let mut end = head.len();
    while let Some(i) = head.get(..end).and_then(|h| h.rfind(key)) {
        let prev = head.get(..i).and_then(|h| h.trim_end().chars().last());
        if matches!(prev, Some('{' | ',')) && is_key_at(head, i) {
            return Some(head.get(..i)?.matches('\n').count() + 1);
        }
        end = i;
    }
    None
}

/// Plain one-line scalars: long names stay on one line (no `>-` folding),
/// so the output reads and diffs like hand-written manifests.
fn serializer_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.prefer_block_scalars = false;
    options
}

/// A readable message for a parser budget breach (alias bombs, deep
/// nesting), which the library reports as a debug dump of its counters.
fn budget_message(e: &serde_saphyr::Error) -> Option<String> {
    let mut err = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = err
    {
        err = error;
    }
    match err {
        serde_saphyr::Error::Budget { breach, .. } => Some(budget_breach_message(breach)),
        serde_saphyr::Error::AliasReplayLimitExceeded {
            max_total_replayed_events,
            ..
        } => Some(format!(
            "aliases replay more than {max_total_replayed_events} parser events, {BOMB}"
        )),
        serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => {
            Some("aliases nested in aliases deeper than the parser allows".to_string())
        }
        _ => None,
    }
}

/// What aliases expanded past, in words.
const BOMB: &str = "more than the document's size allows (an alias bomb); aliases and merge keys may expand a document to 8 times its size, plus 1 KiB, plus its share (by size) of 1 MiB per file";

/// A budget breach in the tool's own words (the library's `Debug` text
/// names its counters).
fn budget_breach_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => "nesting deeper than 64 levels".to_string(),
        B::Aliases { aliases } => format!("too many aliases ({aliases}), more than the input has bytes"),
        B::Anchors { anchors } => format!("too many anchors ({anchors}), more than the input has bytes"),
        B::MergeKeys { merge_keys } => {
            format!("too many merge keys ({merge_keys}), more than the input has bytes")
        }
        B::AliasAnchorRatio { aliases, anchors } => format!(
            "{aliases} aliases for {anchors} anchors: the aliases expand the document far beyond its size (an alias bomb)"
        ),
        B::ScalarBytes { total_scalar_bytes } => {
            format!("aliases expand the text to more than {total_scalar_bytes} bytes, {BOMB}")
        }
        B::Nodes { nodes } => format!("aliases expand the document to more than {nodes} nodes, {BOMB}"),
        B::Events { events } => {
            format!("aliases expand the document to more than {events} parser events, {BOMB}")
        }
        B::RecordedAnchorEvents { recorded_anchor_events } => format!(
            "anchors record more than {recorded_anchor_events} parser events, {BOMB}"
        ),
        B::RecordedAnchorBytes { recorded_anchor_bytes } => format!(
            "anchors record more than {recorded_anchor_bytes} bytes, {BOMB}"
        ),
        B::Documents { documents } => format!("more than {documents} documents"),
        B::InputBytes { input_bytes } => format!("more than {input_bytes} bytes of input"),
        B::SequenceUnbalanced => "a collection is closed that was never opened".to_string(),
        B::InclusionDepth { .. } | B::PropertyExpansionDepth { .. } | B::PropertyInterpolationWork { .. } => {
            "includes or property interpolation go too deep (egress-render uses neither)".to_string()
        }
        _ => "the input exceeds a parser limit".to_string(),
    }
}

/// Serialize documents as a YAML stream, each opened by `---`.
pub(crate) fn to_yaml_stream<T: serde::Serialize>(docs: &[T]) -> Result<String, String> {
    let mut out = String::new();
    write_yaml_stream(docs, &mut out)?;
    Ok(out)
}

/// [`to_yaml_stream`] into any writer, one document at a time, so a caller
/// can stream the output instead of holding all of it.
pub(crate) fn write_yaml_stream<T: serde::Serialize, W: fmt::Write>(
    docs: &[T],
    out: &mut W,
) -> Result<(), String> {
    use std::fmt::Write as _;
    let mut ends_with_newline = EndsWithNewline {
        inner: out,
        last: 0,
    };
    for doc in docs {
        ends_with_newline
            .write_str("---\n")
            .map_err(|e| e.to_string())?;
        serde_saphyr::to_fmt_writer_with_options(&mut ends_with_newline, doc, serializer_options())
            .map_err(|e| e.to_string())?;
        if ends_with_newline.last != b'\n' {
            ends_with_newline
                .write_str("\n")
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// A writer that remembers the last byte written.
struct EndsWithNewline<'w, W> {
    inner: &'w mut W,
    last: u8,
}

impl<W: fmt::Write> fmt::Write for EndsWithNewline<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(&b) = s.as_bytes().last() {
            self.last = b;
        }
        self.inner.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keep;
    impl Convert for Keep {
        type Out = Node;
        fn convert(doc: Node) -> Node {
            doc
        }
    }

    /// Every document of `text`, or the message of its first error.
    fn parse_all(text: &str) -> Result<Vec<Node>, String> {
        parse_documents::<Keep>(text)
            .into_iter()
            .map(|d| d.map_err(|e| e.message))
            .collect()
    }

    #[test]
    fn skips_what_egress_does_not_read() {
        let docs = parse_all(
            "kind: Package\nmetadata:\n  name: a\n  labels: {x: y}\nspec:\n  sso: [1, 2]\n  network:\n    expose: []\n    allow: []\n",
        )
        .ok()
        .unwrap_or_default();
        assert_eq!(docs.len(), 1);
        let Value::Map(root) = &docs[0].value else {
            panic!("root is not a map")
        };
        let keys: Vec<&str> = root.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["kind", "metadata", "spec"]);
        let Value::Map(meta) = &root[1].1.value else {
            panic!("metadata is not a map")
        };
        assert_eq!(meta.len(), 1, "labels are skipped");
        let Value::Map(spec) = &root[2].1.value else {
            panic!("spec is not a map")
        };
        assert_eq!(spec.len(), 1, "only network is kept");
        let Value::Map(net) = &spec[0].1.value else {
            panic!("network is not a map")
        };
        assert_eq!(net.len(), 1, "only allow is kept");
    }

    #[test]
    fn quoted_numbers_stay_strings_and_positions_are_kept() {
        let docs = parse_all("kind: \"443\"\napiVersion: 443\n").unwrap_or_default();
        let Value::Map(m) = &docs[0].value else {
            panic!("not a map")
        };
        assert_eq!(m[0].1.value, Value::Str("443".into()));
        assert_eq!(m[1].1.value, Value::Int(443));
        assert_eq!(
            m[1].1.pos,
            Pos {
                line: 2,
                column: 13
            }
        );
    }

    #[test]
    fn yaml_11_lookalikes_are_quoted_on_output() {
        let out = to_yaml_stream(&[vec!["on", "yes", "no", "1_000", "2001-01-01", "443", "~"]])
            .unwrap_or_default();
        for word in ["on", "yes", "no", "1_000", "2001-01-01", "443", "~"] {
            assert!(
                out.contains(&format!("\"{word}\"")),
                "{word} unquoted in {out}"
            );
        }
    }

    /// A fleet of `n` Packages, each rule built with an anchor and a merge
    /// key (`<<: *base`).
    fn merged_fleet(n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            s.push_str(&format!(
                "---\nkind: Package\nmetadata: {{name: app, namespace: t{i}}}\nbase: &b {{direction: Egress, remoteProtocol: TLS}}\nspec:\n  network:\n    allow:\n      - <<: *b\n        remoteHost: h{i}.example.com\n"
            ));
        }
        s
    }

    /// 10,001 merge keys across a fleet were refused with the library's
    /// `MergeKeys { merge_keys: 10001 }`.
    #[test]
    fn merge_keys_scale_with_the_fleet() {
        let text = merged_fleet(10_001);
        assert_eq!(parse_all(&text).map(|d| d.len()), Ok(10_001));
    }

    /// One anchor reused by 49 rules of a 6 KB package was "an alias bomb".
    #[test]
    fn one_selector_anchor_reused_by_every_rule_parses() {
        let mut s = String::from("kind: Package\nspec:\n  network:\n    allow:\n      - {remoteHost: h0.example.com, selector: &sel {app: web, tier: frontend, team: payments, env: production, region: eu-west-1}}\n");
        for i in 1..50 {
            s.push_str(&format!(
                "      - {{remoteHost: h{i}.example.com, description: rule{i}x, selector: *sel}}\n"
            ));
        }
        assert!(s.len() < 6_000);
        assert!(parse_all(&s).is_ok());
    }

    /// The budgets that bound expansion grow with the input, those that
    /// count what is written with its size.
    #[test]
    fn budgets_scale_with_the_input() {
        for len in [0, 6_000, 20_000_000, MAX_INPUT_BYTES] {
            let options = parse_options(len, len);
            let budget = options.budget.unwrap_or_default();
            let expanded = len * EXPANSION_FACTOR + EXPANSION_FLOOR + DOCUMENT_FLOOR;
            assert_eq!(budget.max_events, expanded);
            assert_eq!(budget.max_recorded_anchor_events, expanded);
            assert_eq!(budget.max_total_scalar_bytes, expanded);
            assert_eq!(options.alias_limits.max_total_replayed_events, expanded);
            assert!(budget.max_merge_keys > len && budget.max_anchors > len);
        }
    }

    /// Every budget breach is told in words, never as the library's
    /// `Debug` text.
    #[test]
    fn budget_breaches_are_told_in_words() {
        use serde_saphyr::budget::BudgetBreach as B;
        let breaches = [
            B::MergeKeys { merge_keys: 10_001 },
            B::RecordedAnchorEvents {
                recorded_anchor_events: 1_000_001,
            },
            B::RecordedAnchorBytes {
                recorded_anchor_bytes: 5,
            },
            B::Anchors { anchors: 5 },
            B::Aliases { aliases: 5 },
            B::Events { events: 5 },
            B::Nodes { nodes: 5 },
            B::ScalarBytes {
                total_scalar_bytes: 5,
            },
            B::Documents { documents: 5 },
            B::SequenceUnbalanced,
            B::InputBytes { input_bytes: 5 },
        ];
        for breach in &breaches {
            let message = budget_breach_message(breach);
            assert!(
                !message.contains('{') && !message.contains("_"),
                "{message}"
            );
        }
        assert_eq!(
            budget_breach_message(&B::MergeKeys { merge_keys: 10_001 }),
            "too many merge keys (10001), more than the input has bytes"
        );
    }

    /// A billion laughs is still refused, in words.
    #[test]
    fn alias_bombs_are_still_refused() {
        let mut s = String::from("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            s.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
        }
        let err = parse_all(&s).err();
        assert!(
            err.as_deref()
                .is_some_and(|m| m.contains("(an alias bomb)")),
            "{err:?}"
        );
    }

    fn cut(text: &str) -> Vec<(u32, &str)> {
        pieces(text)
            .into_iter()
            .map(|p| (p.lines_before, p.text))
            .collect()
    }

    #[test]
    fn a_stream_is_cut_before_each_document_marker() {
        assert_eq!(cut(""), [(0, "")]);
        assert_eq!(cut("a: 1\n"), [(0, "a: 1\n")]);
        assert_eq!(
            cut("---\na: 1\n--- {b: 2}\n---\n"),
            [(0, "---\na: 1\n"), (2, "--- {b: 2}\n"), (3, "---\n")]
        );
        // Not markers: more dashes, text right after them, indentation.
        assert_eq!(cut("---x\n----\n ---\n"), [(0, "---x\n----\n ---\n")]);
        // A bare first document, `...`, and CRLF, lone CR line breaks.
        assert_eq!(
            cut("a: 1\r\n...\r---\r\nb: 2\n"),
            [(0, "a: 1\r\n...\r"), (2, "---\r\nb: 2\n")]
        );
    }

    #[test]
    fn directives_go_with_the_document_they_introduce() {
        assert_eq!(
            cut("%YAML 1.2\n---\na: 1\n...\n%TAG ! tag:x,2000:\n# c\n\n---\nb: 2\n"),
            [
                (0, "%YAML 1.2\n---\na: 1\n...\n"),
                (4, "%TAG ! tag:x,2000:\n# c\n\n---\nb: 2\n")
            ]
        );
        let docs = parse_all("%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n");
        assert_eq!(docs.map(|d| d.len()), Ok(2));
    }

    /// Positions are the stream's, in every document.
    #[test]
    fn positions_count_the_lines_of_earlier_documents() {
        let docs =
            parse_all("---\nkind: a\n---\n\nkind: b\r\n---\r\n  kind: c\n").unwrap_or_default();
        let lines: Vec<u32> = docs
            .iter()
            .map(|d| match &d.value {
                Value::Map(m) => m.first().map_or(0, |(_, n)| n.pos.line),
                _ => 0,
            })
            .collect();
        assert_eq!(lines, [2, 5, 7]);
    }

    /// A document that is not valid YAML is one error in its place; the
    /// documents after it are still read, and lines in messages are the
    /// stream's.
    #[test]
    fn a_syntax_error_ends_only_its_document() {
        let docs =
            parse_documents::<Keep>("---\nkind: a\n---\nkind: [b\n---\nkind: c\n---\nx: 1\nx: 2\n");
        let shape: Vec<Result<u32, String>> = docs
            .into_iter()
            .map(|d| d.map(|n| n.pos.line).map_err(|e| e.message))
            .collect();
        assert_eq!(shape.len(), 4, "{shape:?}");
        assert_eq!(shape[0], Ok(2));
        assert!(shape[1].is_err());
        assert_eq!(shape[2], Ok(6));
        assert_eq!(
            shape[3],
            Err("key \"x\" is written twice in one mapping, on lines 8 and 9".to_string())
        );
    }

    /// 90,000 documents with an anchor each: the anchor table of one
    /// document is not cleared again at every later document.
    #[test]
    fn budgets_are_per_document_and_their_sum_is_linear() {
        let doc = "---\na: &a [x, x, x, x]\nb: [*a, *a]\n";
        let stream = doc.repeat(1000);
        let one = parse_options(doc.len(), stream.len())
            .budget
            .unwrap_or_default()
            .max_events;
        assert_eq!(
            one,
            doc.len() * EXPANSION_FACTOR
                + DOCUMENT_FLOOR
                + EXPANSION_FLOOR * doc.len() / stream.len()
        );
        assert!(
            one * 1000 <= stream.len() * EXPANSION_FACTOR + EXPANSION_FLOOR + 1000 * DOCUMENT_FLOOR
        );
        assert_eq!(parse_all(&stream).map(|d| d.len()), Ok(1000));
    }

    /// A bomb split over many small documents is refused in each of them.
    #[test]
    fn small_bombs_in_many_documents_are_refused() {
        let mut doc = String::from("---\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..6 {
            let refs = vec![format!("*a{}", i - 1); 9].join(", ");
            doc.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
        }
        let docs = parse_documents::<Keep>(&doc.repeat(50));
        assert_eq!(docs.len(), 50);
        assert!(docs.iter().all(|d| d
            .as_ref()
            .err()
            .is_some_and(|e| e.message.contains("(an alias bomb)"))));
    }
}
