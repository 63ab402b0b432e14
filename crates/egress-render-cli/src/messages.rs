//! Errors, warnings and notes as data, and their three formats
//! (`--message-format`): `human` (what `Display` prints), `json` (one
//! object per line) and `sarif` (SARIF 2.1.0, for code scanning).

pub use crate::explain::Level;
use egress_render::{Error, Warning};
use serde_json::{json, Map, Value};

/// One message, with every field the machine formats carry.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: String,
    /// The SPEC rule the code enforces, e.g. `§2.10`.
    pub rule: Option<&'static str>,
    pub level: Level,
    pub message: String,
    pub help: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub document: Option<usize>,
    pub item: Option<usize>,
    pub package: Option<String>,
    /// The index in `spec.network.allow[]`.
    pub rule_index: Option<usize>,
    pub field: Option<String>,
    /// A unified diff (`--check` drift).
    pub diff: Option<String>,
    /// The message as the human format prints it.
    pub human: String,
}

impl Diagnostic {
    /// A message with only a code, level and text; `human` is the text.
    pub fn new(code: &str, level: Level, message: String, human: String) -> Self {
        Diagnostic {
            code: code.to_string(),
            rule: None,
            level,
            message,
            help: None,
            file: None,
            line: None,
            column: None,
            document: None,
            item: None,
            package: None,
            rule_index: None,
            field: None,
            diff: None,
            human,
        }
    }

    /// A problem the library found.
    pub fn error(e: &Error) -> Self {
        Diagnostic {
            rule: Some(e.kind.spec_rule()),
            help: e.help.clone(),
            file: non_empty(&e.file),
            line: e.pos.map(|p| p.line).filter(|&l| l > 0),
            column: e.pos.map(|p| p.column).filter(|&c| c > 0),
            document: Some(e.document).filter(|&d| d > 0),
            item: e.item,
            package: e.package.clone(),
            rule_index: e.rule,
            field: e.field.clone(),
            ..Diagnostic::new(
                e.kind.code(),
                Level::Error,
                e.message.clone(),
                e.to_string(),
            )
        }
    }

    /// A warning; an error when warnings are denied.
    pub fn warning(w: &Warning, denied: bool) -> Self {
        let level = if denied { Level::Error } else { Level::Warning };
        Diagnostic {
            rule: Some(w.kind.spec_rule()),
            help: Some(w.help.clone()),
            file: non_empty(&w.file),
            line: w.pos.map(|p| p.line),
            column: w.pos.map(|p| p.column),
            document: Some(w.document).filter(|&d| d > 0),
            item: w.item,
            package: non_empty(&w.package),
            rule_index: w.rule,
            ..Diagnostic::new(w.kind.code(), level, w.message.clone(), w.to_string())
        }
    }

    /// One line of JSON.
    pub fn to_json(&self) -> String {
        let mut v = json!({
            "code": self.code,
            "rule": self.rule,
            "severity": self.level.as_str(),
            "message": self.message,
            "help": self.help,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "document": self.document,
            "item": self.item,
            "package": self.package,
            "ruleIndex": self.rule_index,
            "field": self.field,
        });
        if let (Some(diff), Some(map)) = (&self.diff, v.as_object_mut()) {
            map.insert("diff".to_string(), Value::from(diff.clone()));
        }
        v.to_string()
    }

    /// This message as a SARIF result, its rule at `rule_index` of the
    /// driver's rules.
    fn sarif_result(&self, rule_index: Option<usize>) -> Value {
        let mut text = self.message.clone();
        if let Some(help) = &self.help {
            text.push_str("\nhelp: ");
            text.push_str(help);
        }
        let mut result = Map::new();
        result.insert("ruleId".into(), Value::from(self.code.clone()));
        if let Some(i) = rule_index {
            result.insert("ruleIndex".into(), Value::from(i));
        }
        result.insert("level".into(), Value::from(self.level.as_str()));
        result.insert("message".into(), json!({ "text": text }));
        if let Some(file) = &self.file {
            let mut region = Map::new();
            region.insert("startLine".into(), Value::from(self.line.unwrap_or(1)));
            if let Some(c) = self.column {
                region.insert("startColumn".into(), Value::from(c));
            }
            result.insert(
                "locations".into(),
                json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(file) },
                        "region": region,
                    }
                }]),
            );
        }
        let mut properties = Map::new();
        let fields = [
            ("specRule", self.rule.map(Value::from)),
            ("document", self.document.map(Value::from)),
            ("item", self.item.map(Value::from)),
            ("package", self.package.clone().map(Value::from)),
            ("ruleIndex", self.rule_index.map(Value::from)),
            ("field", self.field.clone().map(Value::from)),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                properties.insert(key.into(), value);
            }
        }
        if !properties.is_empty() {
            result.insert("properties".into(), Value::Object(properties));
        }
        Value::Object(result)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A SARIF rule: its code, a one-line description and the fix.
pub struct SarifRule {
    pub code: String,
    pub title: String,
    pub help: String,
    pub level: Level,
}

/// A SARIF 2.1.0 log of one run of egress-render with these `rules` and
/// `results`, pretty-printed with a trailing newline.
pub fn sarif(rules: &[SarifRule], results: &[Diagnostic]) -> String {
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "shortDescription": { "text": r.title },
                "help": { "text": r.help },
                "defaultConfiguration": { "level": r.level.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|d| d.sarif_result(rules.iter().position(|r| r.code == d.code)))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "egress-render",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rule_values,
                }
            },
            "results": results,
        }]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A file label as a SARIF URI reference: relative paths stay relative
/// (GitHub resolves them against the repository), absolute ones become
/// `file://` URIs; reserved characters are percent-encoded.
fn uri(file: &str) -> String {
    let mut out = String::new();
    if file.starts_with('/') {
        out.push_str("file://");
    }
    for b in file.trim_start_matches("./").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("./a b/c.yaml"), "a%20b/c.yaml");
        assert_eq!(uri("/tmp/x.yaml"), "file:///tmp/x.yaml");
        assert_eq!(uri("ü.yaml"), "%C3%BC.yaml");
    }
}
