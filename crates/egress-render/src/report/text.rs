//! The report's three formats: a terminal table that fits a given width,
//! GitHub-flavoured Markdown, and JSON. Shared by [`super::Report`] and
//! [`super::ReportDiff`].

use super::{Access, Finding, Report, Severity, Who};
use crate::error::{Error, ErrorKind};
use serde::Serialize;
use std::collections::BTreeSet;

/// The narrowest table the layout is designed for.
pub(super) const MIN_WIDTH: usize = 80;
/// Space between table columns.
const GAP: &str = "  ";
/// Where a long value may be broken when it has no space, after the char.
const BREAK_AFTER: &[char] = &[',', '/', '.', '-', '=', ':', ';'];

/// Pretty JSON with a trailing newline.
pub(super) fn json<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Error::new(ErrorKind::Syntax, format!("could not write JSON: {e}")))
}

/// Break `text` into lines of at most `width` characters: at a space when
/// there is one, else after a punctuation character, else anywhere.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let chars: Vec<char> = paragraph.trim_end().chars().collect();
        let mut start = 0;
        loop {
            while chars.get(start) == Some(&' ') {
                start += 1;
            }
            let rest = chars.get(start..).unwrap_or_default();
            if rest.len() <= width {
                out.push(rest.iter().collect());
                break;
            }
            // `rest` has more than `width` chars, so the window is full.
            let window = rest.get(..=width).unwrap_or(rest);
            let cut = match window.iter().rposition(|&c| c == ' ').filter(|&p| p > 0) {
                Some(p) => p,
                None => window
                    .get(..width)
                    .and_then(|w| w.iter().rposition(|c| BREAK_AFTER.contains(c)))
                    .map_or(width, |p| p + 1),
            };
            let line: String = rest.get(..cut).unwrap_or(rest).iter().collect();
            out.push(line.trim_end().to_string());
            start += cut;
        }
    }
    out
}

/// `first` then `rest`-indented continuation lines of `text`, wrapped to
/// `width`.
fn indented(text: &str, first: &str, rest: &str, width: usize) -> Vec<String> {
    let avail = width.saturating_sub(first.chars().count().max(rest.chars().count()));
    wrap(text, avail)
        .into_iter()
        .enumerate()
        .map(|(i, l)| format!("{}{l}", if i == 0 { first } else { rest }))
        .collect()
}

/// Lay out `rows` under `headers` within `width`: columns as wide as their
/// content, the widest shrinking (and their cells wrapping) until the
/// table fits. `fixed` columns never shrink. Returns the lines of the
/// header, then of each row, trailing spaces removed.
fn grid(headers: &[&str], rows: &[Vec<String>], fixed: &[bool], width: usize) -> Vec<Vec<String>> {
    let n = headers.len();
    let len = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| len(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(len(cell));
        }
    }
    let mins: Vec<usize> = headers
        .iter()
        .zip(&widths)
        .zip(fixed.iter().chain(std::iter::repeat(&false)))
        .map(|((h, &w), &fixed)| if fixed { w } else { len(h).max(6).min(w) })
        .collect();
    let gaps = GAP.len() * n.saturating_sub(1);
    while widths.iter().sum::<usize>() + gaps > width {
        let widest = widths
            .iter()
            .zip(&mins)
            .enumerate()
            .filter(|(_, (w, m))| w > m)
            .max_by_key(|(i, (w, _))| (**w, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        match widest.and_then(|i| widths.get_mut(i)) {
            Some(w) => *w -= 1,
            None => break,
        }
    }
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    std::iter::once(&header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| wrap(cell, w))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            (0..height)
                .map(|line| {
                    let mut out = String::new();
                    for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
                        if i > 0 {
                            out.push_str(GAP);
                        }
                        let part = cell.get(line).map(String::as_str).unwrap_or("");
                        out.push_str(part);
                        out.extend(std::iter::repeat_n(' ', w.saturating_sub(len(part))));
                    }
                    out.trim_end().to_string()
                })
                .collect()
        })
        .collect()
}

/// `0,2`, or `shared` for access no rule of these workloads asked for.
fn rules_text(a: &Access) -> String {
    if a.requested {
        a.rules
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    } else {
        "shared".to_string()
    }
}

fn access_cells(a: &Access) -> Vec<String> {
    vec![
        a.namespace.clone(),
        a.package.clone(),
        a.mode.to_string(),
        a.who.short(),
        a.host.clone(),
        format!("{}/{}", a.port, a.protocol),
        rules_text(a),
    ]
}

const ACCESS_HEADERS: [&str; 7] = [
    "NAMESPACE",
    "PACKAGE",
    "MODE",
    "WHO",
    "HOST",
    "PORT",
    "RULES",
];
const ACCESS_FIXED: [bool; 7] = [false, false, true, false, false, true, false];

/// The lines under an access row: the path and the enforcing objects
/// (package-owned, so in the row's namespace).
fn access_details(a: &Access, width: usize) -> Vec<String> {
    let mut out = indented(&format!("via {}", a.path), "  ", "      ", width);
    let objects: Vec<String> = a
        .enforced_by
        .iter()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    out.extend(indented(
        &format!("enforced by {}", objects.join(", ")),
        "  ",
        "      ",
        width,
    ));
    out
}

/// An access table; `extra` adds a leading column and lines after a row.
pub(super) fn access_table(
    rows: &[(Option<&str>, &Access, Vec<String>)],
    width: usize,
) -> Vec<String> {
    let width = width.max(MIN_WIDTH);
    let lead = rows.iter().any(|(lead, _, _)| lead.is_some());
    let mut headers: Vec<&str> = Vec::new();
    let mut fixed: Vec<bool> = Vec::new();
    if lead {
        headers.push("CHANGE");
        fixed.push(true);
    }
    headers.extend(ACCESS_HEADERS);
    fixed.extend(ACCESS_FIXED);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(l, a, _)| {
            let mut c: Vec<String> = l.iter().map(|s| s.to_string()).collect();
            c.extend(access_cells(a));
            c
        })
        .collect();
    let mut grid = grid(&headers, &cells, &fixed, width).into_iter();
    let mut out: Vec<String> = grid.next().unwrap_or_default();
    for ((_, a, extra), lines) in rows.iter().zip(grid) {
        out.extend(lines);
        for e in extra {
            out.extend(indented(e, "  ", "      ", width));
        }
        out.extend(access_details(a, width));
    }
    out
}

/// A finding: severity, code and origin, then the risk and the fix.
pub(super) fn finding_lines(f: &Finding, width: usize) -> Vec<String> {
    let width = width.max(MIN_WIDTH);
    let target = f.target_text();
    let mut head = format!("{}  {}", f.code.as_str(), f.origin_text());
    if !target.is_empty() {
        head.push_str(&format!(" ({target})"));
    }
    let sev = format!("{:<8}", f.severity.as_str().to_uppercase());
    let pad = " ".repeat(8);
    let mut out = indented(&head, &sev, &pad, width);
    out.extend(indented(&f.message, &pad, &pad, width));
    out.extend(indented(&format!("fix: {}", f.fix), &pad, &pad, width));
    out
}

/// `1 high, 2 low`, or `none`.
pub(super) fn severity_counts(findings: &[Finding]) -> String {
    let counts: Vec<String> = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ]
    .iter()
    .filter_map(|s| {
        let n = findings.iter().filter(|f| f.severity == *s).count();
        (n > 0).then(|| format!("{n} {}", s.as_str()))
    })
    .collect();
    if counts.is_empty() {
        "none".to_string()
    } else {
        counts.join(", ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(report: &Report) -> String {
    let packages: BTreeSet<(&str, &str)> = report
        .access
        .iter()
        .map(|a| (a.namespace.as_str(), a.package.as_str()))
        .collect();
    let shared = report.access.iter().filter(|a| !a.requested).count();
    let mut s = plural(report.access.len(), "access row", "access rows");
    if shared > 0 {
        s.push_str(&format!(" ({shared} shared)"));
    }
    format!(
        "{s} from {}; findings: {}",
        plural(packages.len(), "package", "packages"),
        severity_counts(&report.findings)
    )
}

pub(super) const NO_EGRESS: &str = "No egress: no package has an allow rule with remoteHost.";
const SHARED_NOTE: &str = "shared: these workloads' rules do not ask for it; they reach it because the package's ServiceEntries are namespace-wide (see shared-access).";
const SHARED_NOTE_MD: &str = "*shared*: these workloads' rules do not ask for it; they reach it because the package's ServiceEntries are namespace-wide (see `shared-access`).";

pub(super) fn report_table(report: &Report, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    if report.access.is_empty() {
        return format!("{NO_EGRESS}\n");
    }
    let mut out = indented(
        &format!("Egress audit: {}", summary(report)),
        "",
        "  ",
        width,
    );
    out.push(String::new());
    out.push("ACCESS".to_string());
    let rows: Vec<(Option<&str>, &Access, Vec<String>)> = report
        .access
        .iter()
        .map(|a| (None, a, Vec::new()))
        .collect();
    out.extend(access_table(&rows, width));
    if report.access.iter().any(|a| !a.requested) {
        out.extend(wrap(SHARED_NOTE, width));
    }
    if !report.findings.is_empty() {
        out.push(String::new());
        out.push("FINDINGS".to_string());
        for f in &report.findings {
            out.extend(finding_lines(f, width));
        }
    }
    lines_to_string(out)
}

pub(super) fn lines_to_string(lines: Vec<String>) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

// ---- Markdown ----

/// Text for a GFM table cell: Markdown punctuation escaped, line breaks as
/// `<br>`.
pub(super) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

/// A code span that survives any content, for a GFM table cell.
pub(super) fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    // Inside a table even a code span ends at an unescaped `|`.
    let body = text.replace('|', "\\|").replace('\n', " ");
    format!("{fence}{pad}{body}{pad}{fence}")
}

fn who_md(who: &Who) -> String {
    match who {
        Who::ServiceAccount { principal, .. } => code(principal),
        Who::Namespace { namespace } => format!(
            "every workload in namespace {} (no serviceAccount)",
            code(namespace)
        ),
        Who::Selector { .. } => code(&who.short()),
        Who::AllPods { namespace } => format!("all pods in namespace {}", code(namespace)),
    }
}

const ACCESS_MD_HEADER: &str =
    "| Namespace | Package | Mode | Who | Host | Port | Path | Enforced by | Rules |";

fn access_md_cells(a: &Access, who_note: Option<&str>) -> String {
    let mut who = who_md(&a.who);
    if let Some(note) = who_note {
        who.push_str("<br>");
        who.push_str(note);
    }
    let enforced: Vec<String> = a
        .enforced_by
        .iter()
        .map(|o| format!("{} {}", o.kind, code(&o.name)))
        .collect();
    format!(
        "{} | {} | {} | {} | {} | {}/{} | {} {} | {} | {}",
        md(&a.namespace),
        md(&a.package),
        a.mode,
        who,
        code(&a.host),
        a.port,
        a.protocol,
        a.path.kind,
        code(&format!("{}/{}", a.path.namespace, a.path.name)),
        enforced.join("<br>"),
        if a.requested {
            rules_text(a)
        } else {
            "*shared*".to_string()
        },
    )
}

/// An access table; `lead` adds a first column (the change) and `who_note`
/// text after the identity.
pub(super) fn access_md(rows: &[(Option<&str>, &Access, Option<String>)]) -> Vec<String> {
    let lead = rows.iter().any(|(l, _, _)| l.is_some());
    let mut out = Vec::new();
    if lead {
        out.push(format!("| Change {ACCESS_MD_HEADER}"));
        out.push(format!("|{}", " --- |".repeat(10)));
    } else {
        out.push(ACCESS_MD_HEADER.to_string());
        out.push(format!("|{}", " --- |".repeat(9)));
    }
    for (l, a, note) in rows {
        let cells = access_md_cells(a, note.as_deref());
        match l {
            Some(l) => out.push(format!("| {l} | {cells} |")),
            None => out.push(format!("| {cells} |")),
        }
    }
    out
}

pub(super) fn findings_md(findings: &[Finding]) -> Vec<String> {
    let mut out = vec![
        "| Severity | Finding | Where | Risk | Fix |".to_string(),
        "| --- | --- | --- | --- | --- |".to_string(),
    ];
    for f in findings {
        let target = f.target_text();
        let mut place = md(&f.origin_text());
        if !target.is_empty() {
            place.push_str(&format!("<br>{}", code(&target)));
        }
        let sev = match f.severity {
            Severity::High => format!("**{}**", f.severity.as_str()),
            _ => f.severity.as_str().to_string(),
        };
        out.push(format!(
            "| {sev} | {} | {place} | {} | {} |",
            code(f.code.as_str()),
            md(&f.message),
            md(&f.fix)
        ));
    }
    out
}

pub(super) fn report_markdown(report: &Report) -> String {
    let mut out = vec!["### Egress audit".to_string(), String::new()];
    if report.access.is_empty() {
        out.push(NO_EGRESS.to_string());
        return lines_to_string(out);
    }
    out.push(format!("{}.", md(&summary(report))));
    out.push(String::new());
    out.push("#### Access".to_string());
    out.push(String::new());
    let rows: Vec<(Option<&str>, &Access, Option<String>)> =
        report.access.iter().map(|a| (None, a, None)).collect();
    out.extend(access_md(&rows));
    if report.access.iter().any(|a| !a.requested) {
        out.push(String::new());
        out.push(SHARED_NOTE_MD.to_string());
    }
    if !report.findings.is_empty() {
        out.push(String::new());
        out.push("#### Findings".to_string());
        out.push(String::new());
        out.extend(findings_md(&report.findings));
    }
    lines_to_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_prefers_spaces_then_punctuation_then_cuts() {
        assert_eq!(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("service-entry-x", 9), ["service-", "entry-x"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("a\nb", 4), ["a", "b"]);
        for line in wrap(&"x.".repeat(200), 17) {
            assert!(line.chars().count() <= 17, "{line}");
        }
    }

    #[test]
    fn grid_fits_the_width_by_wrapping_the_widest_column() {
        let rows = vec![vec!["a".to_string(), "b".repeat(50), "c".to_string()]];
        let lines = grid(&["ONE", "TWO", "THREE"], &rows, &[false, false, true], 30);
        for l in lines.iter().flatten() {
            assert!(l.chars().count() <= 30, "{l:?}");
        }
        assert_eq!(lines[0], ["ONE  TWO                 THREE"]);
        assert_eq!(lines[1].len(), 3, "{lines:?}");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(md("a|b <x> *y*"), "a\\|b \\<x\\> \\*y\\*");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }
}
