//! How `egress-render report` lays out a [`Report`] or a [`ReportDiff`]: a
//! terminal table that fits a given width, or GitHub-flavoured Markdown.
//! The report itself, and its JSON, are data of the `egress_render` library.

use egress_render::{Access, Finding, Report, ReportDiff, Severity, Who};
use std::collections::BTreeSet;

/// The report formats `--format` chooses from.
pub trait Layout {
    /// A terminal table, every line at most `width` characters (long
    /// values wrap; a width below 80 is treated as 80).
    fn table(&self, width: usize) -> String;
    /// GitHub-flavoured Markdown, to paste into a pull request.
    fn markdown(&self) -> String;
    /// The library's JSON (`docs/report.md`).
    fn json(&self) -> Result<String, egress_render::Error>;
    /// The findings: all of a report, the new ones of a diff.
    fn findings(&self) -> &[Finding];
}

/// The narrowest table the layout is designed for.
const MIN_WIDTH: usize = 80;
/// Space between table columns.
const GAP: &str = "  ";
/// Where a long value may be broken when it has no space, after the char.
const BREAK_AFTER: &[char] = &[',', '/', '.', '-', '=', ':', ';'];

/// Break `text` into lines of at most `width` characters: at a space when
/// there is one, else after a punctuation character, else anywhere.
///
/// Not the `textwrap` crate: it breaks a word longer than the line at the
/// width (`media-pipeline-up` / `loads`, where this gives `media-pipeline-`
/// / `uploads`), and its word splitter adds a hyphen at a break after `,`
/// or `/`; the committed report snapshots pin these breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
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
fn access_table(rows: &[(Option<&str>, &Access, Vec<String>)], width: usize) -> Vec<String> {
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
fn finding_lines(f: &Finding, width: usize) -> Vec<String> {
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
fn severity_counts(findings: &[Finding]) -> String {
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

const NO_EGRESS: &str = "No egress: no package has an allow rule with remoteHost.";
const SHARED_NOTE: &str = "shared: these workloads' rules do not ask for this host:port, yet the objects admit them: a sidecar package's ServiceEntries are namespace-wide (shared-access), an Anywhere rule joins every ambient host (anywhere-participant), and before 0.59 a policy has no port scoping.";
const SHARED_NOTE_MD: &str = "*shared*: these workloads' rules do not ask for this host:port, yet the objects admit them: a sidecar package's ServiceEntries are namespace-wide (`shared-access`), an Anywhere rule joins every ambient host (`anywhere-participant`), and before 0.59 a policy has no port scoping.";

fn lines_to_string(lines: Vec<String>) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

// ---- Markdown ----

/// Text for a GFM table cell: Markdown punctuation escaped, line breaks as
/// `<br>`.
fn md(text: &str) -> String {
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
fn code(text: &str) -> String {
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
        // `Who` may grow: a new kind of identity shows in its long form.
        _ => md(&who.to_string()),
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
fn access_md(rows: &[(Option<&str>, &Access, Option<String>)]) -> Vec<String> {
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

fn findings_md(findings: &[Finding]) -> Vec<String> {
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

// ---- Reports ----

impl Layout for Report {
    fn findings(&self) -> &[Finding] {
        &self.findings
    }

    fn table(&self, width: usize) -> String {
        let width = width.max(MIN_WIDTH);
        if self.access.is_empty() {
            return format!("{NO_EGRESS}\n");
        }
        let mut out = indented(&format!("Egress audit: {}", summary(self)), "", "  ", width);
        out.push(String::new());
        out.push("ACCESS".to_string());
        let rows: Vec<(Option<&str>, &Access, Vec<String>)> =
            self.access.iter().map(|a| (None, a, Vec::new())).collect();
        out.extend(access_table(&rows, width));
        if self.access.iter().any(|a| !a.requested) {
            out.extend(wrap(SHARED_NOTE, width));
        }
        if !self.findings.is_empty() {
            out.push(String::new());
            out.push("FINDINGS".to_string());
            for f in &self.findings {
                out.extend(finding_lines(f, width));
            }
        }
        lines_to_string(out)
    }

    fn markdown(&self) -> String {
        let mut out = vec!["### Egress audit".to_string(), String::new()];
        if self.access.is_empty() {
            out.push(NO_EGRESS.to_string());
            return lines_to_string(out);
        }
        out.push(format!("{}.", md(&summary(self))));
        out.push(String::new());
        out.push("#### Access".to_string());
        out.push(String::new());
        let rows: Vec<(Option<&str>, &Access, Option<String>)> =
            self.access.iter().map(|a| (None, a, None)).collect();
        out.extend(access_md(&rows));
        if self.access.iter().any(|a| !a.requested) {
            out.push(String::new());
            out.push(SHARED_NOTE_MD.to_string());
        }
        if !self.findings.is_empty() {
            out.push(String::new());
            out.push("#### Findings".to_string());
            out.push(String::new());
            out.extend(findings_md(&self.findings));
        }
        lines_to_string(out)
    }

    fn json(&self) -> Result<String, egress_render::Error> {
        self.to_json()
    }
}

// ---- Diffs ----

const NO_CHANGE: &str = "No change to egress access or findings.";

fn diff_summary(d: &ReportDiff) -> String {
    format!(
        "{} added, {} widened, {} removed; new findings: {}; resolved findings: {}",
        d.added.len(),
        d.widened.len(),
        d.removed.len(),
        severity_counts(&d.new_findings),
        severity_counts(&d.resolved_findings)
    )
}

/// The access changes in one list: added, widened, removed, each in report
/// order.
fn changes(d: &ReportDiff) -> Vec<(&'static str, &Access, Option<&[Who]>)> {
    let mut rows: Vec<(&'static str, &Access, Option<&[Who]>)> = Vec::new();
    rows.extend(d.added.iter().map(|a| ("added", a, None)));
    rows.extend(
        d.widened
            .iter()
            .map(|w| ("widened", &w.access, Some(w.was.as_slice()))),
    );
    rows.extend(d.removed.iter().map(|a| ("removed", a, None)));
    rows
}

/// The new and the resolved findings, under their `titles`, each when there
/// are any.
fn finding_sections<'a>(
    d: &'a ReportDiff,
    titles: [&'static str; 2],
) -> impl Iterator<Item = (&'static str, &'a [Finding])> {
    let lists = [d.new_findings.as_slice(), d.resolved_findings.as_slice()];
    titles.into_iter().zip(lists).filter(|(_, f)| !f.is_empty())
}

impl Layout for ReportDiff {
    fn findings(&self) -> &[Finding] {
        &self.new_findings
    }

    fn table(&self, width: usize) -> String {
        if self.is_empty() {
            return format!("{NO_CHANGE}\n");
        }
        let width = width.max(MIN_WIDTH);
        let mut out = wrap(&format!("Egress changes: {}", diff_summary(self)), width);
        let changes = changes(self);
        if !changes.is_empty() {
            out.push(String::new());
            out.push("ACCESS CHANGES".to_string());
            let rows: Vec<(Option<&str>, &Access, Vec<String>)> = changes
                .iter()
                .map(|(change, a, was)| {
                    let extra = was
                        .map(|was| {
                            let was: Vec<String> = was.iter().map(Who::short).collect();
                            vec![format!("was {}", was.join("; "))]
                        })
                        .unwrap_or_default();
                    (Some(*change), *a, extra)
                })
                .collect();
            out.extend(access_table(&rows, width));
        }
        for (title, findings) in finding_sections(self, ["NEW FINDINGS", "RESOLVED FINDINGS"]) {
            out.extend([String::new(), title.to_string()]);
            out.extend(findings.iter().flat_map(|f| finding_lines(f, width)));
        }
        lines_to_string(out)
    }

    fn markdown(&self) -> String {
        let mut out = vec!["### Egress changes".to_string(), String::new()];
        if self.is_empty() {
            out.push(NO_CHANGE.to_string());
            return lines_to_string(out);
        }
        out.push(format!("{}.", md(&diff_summary(self))));
        let changes = changes(self);
        if !changes.is_empty() {
            out.push(String::new());
            out.push("#### Access".to_string());
            out.push(String::new());
            let rows: Vec<(Option<&str>, &Access, Option<String>)> = changes
                .iter()
                .map(|(change, a, was)| {
                    let note = was.map(|was| {
                        let was: Vec<String> = was.iter().map(|w| code(&w.short())).collect();
                        format!("was {}", was.join(", "))
                    });
                    (Some(*change), *a, note)
                })
                .collect();
            out.extend(access_md(&rows));
        }
        let titles = ["#### New findings", "#### Resolved findings"];
        for (title, findings) in finding_sections(self, titles) {
            out.extend([String::new(), title.to_string(), String::new()]);
            out.extend(findings_md(findings));
        }
        lines_to_string(out)
    }

    fn json(&self) -> Result<String, egress_render::Error> {
        self.to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use egress_render::{diff, Options};
    use std::path::Path;

    /// The reports of `fixtures/report/*.yaml` as `egress-render report`
    /// builds them (with the options of a fixture's `# options:` line);
    /// invalid fixtures are left out.
    fn fixture_reports() -> Vec<(String, Report)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/report");
        let mut reports = Vec::new();
        for entry in std::fs::read_dir(dir).expect("fixtures/report") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("fixture");
            let line = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("# options:"));
            let flags: String = (line.unwrap_or("").split_whitespace())
                .map(|setting| format!(" --{}", setting.replacen('=', " ", 1)))
                .collect();
            let command = format!("egress-render report{flags}");
            let cli = Cli::try_parse_from(command.split_whitespace()).expect("fixture options");
            let Some(Command::Report(args)) = cli.command else {
                panic!("not the report command: {command}")
            };
            let loaded =
                crate::input::load(std::slice::from_ref(&path), &crate::input::Walk::default());
            if let Ok(report) = loaded.parsed.report(&args.render.options()) {
                reports.push((path.display().to_string(), report));
            }
        }
        assert!(reports.len() >= 10, "report fixtures missing");
        reports
    }

    /// The table of every report fixture, and of its diff from and to no
    /// packages, fits any width from its minimum, 80, up.
    #[test]
    fn tables_fit_every_width_from_80() {
        let empty = egress_render::report(&[], &Options::default()).expect("empty");
        for (name, r) in fixture_reports() {
            for width in [80, 81, 87, 93, 120, 160] {
                for table in [
                    r.table(width),
                    diff(&empty, &r).table(width),
                    diff(&r, &empty).table(width),
                ] {
                    for line in table.lines() {
                        assert!(line.chars().count() <= width, "{name} at {width}: {line}");
                    }
                }
            }
            assert_eq!(r.table(40), r.table(80), "narrower than 80 is 80");
        }
    }

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
