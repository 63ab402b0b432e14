//! `--check FILE` (SPEC §7): the GitOps CI gate. Compare what was rendered
//! with the committed, pre-rendered FILE; on drift, show a unified diff.
//!
//! The comparison is of bytes: `--check` passes exactly when re-rendering
//! would leave FILE as it is. A FILE that differs only in its form (CRLF
//! line endings from a Windows checkout, a byte order mark an editor added,
//! UTF-16 from PowerShell) still fails, with an error that says so instead
//! of a diff in which every line changed; one that differs in content too
//! is diffed with its line endings and BOM left out, and a note says they
//! differ. The diff printed is bounded ([`MAX_DIFF_LINES`],
//! [`MAX_DIFF_BYTES`]): a stale file of 100 MB does not flood CI's log.

use crate::explain;
use crate::messages::{Diagnostic, Level};
use crate::output;
use similar::{Algorithm, ChangeTag, DiffOp, DiffTag, TextDiff};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// How long computing the diff may take before it gets coarser.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// The most lines of diff printed after its two header lines: enough for
/// any reviewable change, short enough for a CI log.
const MAX_DIFF_LINES: usize = 2_000;

/// The most bytes of diff printed after its header lines (a line longer
/// than what is left is cut there).
const MAX_DIFF_BYTES: usize = 256 * 1024;

/// The help of a drift.
const RE_RENDER: &str =
    "re-render it: run the same command without --check and save its standard output as that file";

/// Compare `rendered` with the bytes of `file`. Equal: exit 0 and print
/// nothing. Different: a unified diff on stderr (the committed file as
/// `---`, the rendered output as `+++`) and exit 1. Unreadable: an error.
pub fn against_file(file: &Path, rendered: &str) -> anyhow::Result<ExitCode> {
    let committed = match crate::input::read_path(file) {
        Ok(bytes) => bytes,
        Err(mut e) => {
            e.message = format!("--check: {}", e.message);
            e.help = (!file.exists()).then(|| "render it first: run the same command without --check and save its standard output as that file, then commit it".to_string());
            output::fatal(e.diagnostic());
            return Ok(ExitCode::from(1));
        }
    };
    if committed == rendered.as_bytes() {
        return Ok(ExitCode::SUCCESS);
    }
    let name = crate::input::shown(file);
    let re_render_with_write = format!(
        "re-render it: run the same command with --write {name} in place of --check {name}"
    );
    if committed.starts_with(&[0xff, 0xfe]) || committed.starts_with(&[0xfe, 0xff]) {
        // Not UTF-8 at all (0xFF never is): a diff would be noise.
        let message = format!("{name} is UTF-16 text (it starts with a UTF-16 byte order mark) where egress-render writes UTF-8, so it is not compared line by line");
        let help = format!("{re_render_with_write} (PowerShell's `>` may write UTF-16)");
        output::fatal(drift(&name, message, None, help, None));
        return Ok(ExitCode::from(1));
    }
    let form = Form::of(&committed);
    let committed = form.normalized(&committed);
    let gitattributes = (form.crlf > 0).then(|| {
        let pattern = match file.extension() {
            Some(ext) => format!("*.{}", crate::input::escape(&ext.to_string_lossy())),
            None => name.clone(),
        };
        format!("; if git converts line endings on checkout (core.autocrlf), add `{pattern} text eol=lf` to .gitattributes")
    });
    let gitattributes = gitattributes.unwrap_or_default();
    let differences = form.differences();
    match &differences {
        // Only the form differs: say so, without a diff of every line.
        Some(differences) if committed == rendered.as_bytes() => {
            let message =
                format!("{name} {differences}; otherwise it is what egress-render renders now");
            let help = format!("{re_render_with_write}{gitattributes}");
            output::fatal(drift(&name, message, None, help, None));
            return Ok(ExitCode::from(1));
        }
        _ => {}
    }
    let diff = unified_diff(&name, &String::from_utf8_lossy(&committed), rendered);
    let mut message = format!("{name} is not what egress-render renders now");
    let mut note = None;
    if let Some(cut) = &diff.cut {
        message.push_str(&format!(
            "; the diff shows its first {} lines, {} are not shown",
            grouped(cut.shown_lines),
            cut.more()
        ));
    }
    if let Some(differences) = &differences {
        message.push_str(&format!(
            "; it also {differences}, which the diff leaves out"
        ));
        note = Some(format!(
            "it also {differences}; the diff above leaves that out"
        ));
    }
    let mut help = format!("{RE_RENDER}{gitattributes}");
    if diff.cut.is_some() {
        help.push_str(&format!("; to see the whole diff, save that output as another file instead and run `diff -u {name} OTHER` (or `git diff --no-index {name} OTHER`)"));
    }
    output::fatal(drift(&name, message, Some(diff), help, note));
    Ok(ExitCode::from(1))
}

/// The `drift` error: `message` for the machine formats; for people, the
/// diff (if any), the message, the note and the help.
fn drift(
    name: &str,
    message: String,
    diff: Option<Diff>,
    help: String,
    note: Option<String>,
) -> Diagnostic {
    let mut human = String::new();
    let mut first = message.clone();
    if let Some(diff) = &diff {
        human.push_str(&diff.text);
        let cut = if diff.cut.is_some() {
            ", cut short"
        } else {
            ""
        };
        first = format!(
            "{name} is not what egress-render renders now (diff above{cut}: - committed, + rendered)"
        );
    }
    let _ = write!(human, "error: {first}");
    if let Some(note) = note {
        let _ = write!(human, "\n  = note: {note}");
    }
    let _ = write!(human, "\n  = help: {help}");
    Diagnostic {
        file: Some(name.to_string()),
        help: Some(help),
        diff: diff.map(|d| d.text),
        ..Diagnostic::new(explain::DRIFT, Level::Error, message, human)
    }
}

/// How a committed file's bytes differ in form from what egress-render
/// writes (UTF-8 without a byte order mark, LF line endings).
struct Form {
    /// Starts with a UTF-8 byte order mark.
    bom: bool,
    /// Lines that end in CRLF.
    crlf: usize,
    /// Lines that end in LF, CRLF included.
    lines: usize,
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

impl Form {
    fn of(bytes: &[u8]) -> Self {
        let mut crlf = 0;
        let mut lines = 0;
        let mut previous = 0u8;
        for &b in bytes {
            if b == b'\n' {
                lines += 1;
                crlf += usize::from(previous == b'\r');
            }
            previous = b;
        }
        Form {
            bom: bytes.starts_with(BOM),
            crlf,
            lines,
        }
    }

    /// What differs, as the end of a sentence naming the file, or `None`.
    fn differences(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.bom {
            parts.push(
                "starts with a UTF-8 byte order mark (BOM), which egress-render does not write"
                    .to_string(),
            );
        }
        if self.crlf > 0 && self.crlf == self.lines {
            parts.push("has CRLF (Windows) line endings where egress-render writes LF".to_string());
        } else if self.crlf > 0 {
            parts.push(format!(
                "has CRLF (Windows) line endings on {} of its {} lines where egress-render writes LF",
                grouped(self.crlf),
                grouped(self.lines)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", and "))
    }

    /// `bytes` without the BOM and with LF line endings.
    fn normalized<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let bytes = if self.bom { &bytes[BOM.len()..] } else { bytes };
        if self.crlf == 0 {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            out.extend_from_slice(&rest[..i]);
            out.push(b'\n');
            rest = &rest[i + 2..];
        }
        out.extend_from_slice(rest);
        Cow::Owned(out)
    }
}

/// A unified diff as printed: whole, or cut at the bounds.
struct Diff {
    text: String,
    /// What was left out, when the diff was cut.
    cut: Option<Cut>,
}

/// What a cut diff leaves out.
struct Cut {
    /// Lines of diff shown after the headers.
    shown_lines: usize,
    /// Changed (`-` and `+`) lines not shown.
    changed: usize,
    /// Hunks not shown whole.
    hunks: usize,
}

impl Cut {
    /// `1,234 more changed lines (56 hunks)`.
    fn more(&self) -> String {
        let lines = if self.changed == 1 { "line" } else { "lines" };
        let hunks = if self.hunks == 1 { "hunk" } else { "hunks" };
        format!(
            "{} more changed {lines} ({} {hunks})",
            grouped(self.changed),
            grouped(self.hunks)
        )
    }
}

/// A unified diff from the committed text to the rendered text, with both
/// headers naming the file, at most [`MAX_DIFF_LINES`] lines and
/// [`MAX_DIFF_BYTES`] bytes after the headers; a cut diff ends with a line
/// saying how much is not shown. The labels after a tab are ignored by
/// `patch` and `git apply`, so a whole diff also applies to the file as it
/// is (when its line endings are LF).
fn unified_diff(name: &str, committed: &str, rendered: &str) -> Diff {
    // Patience anchors on unique lines (object names), so a fleet-wide change
    // diffs fast: 2,000 packages with every ServiceEntry changed took 41 s
    // with plain Myers, well under 1 s this way. A committed file unrelated
    // to the rendering has no anchors; past the deadline the diff gets
    // coarser (still correct) instead of keeping CI waiting.
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(DIFF_TIMEOUT)
        .diff_lines(committed, rendered);
    let mut out = Bounded::default();
    let mut cut = Cut {
        shown_lines: 0,
        changed: 0,
        hunks: 0,
    };
    for hunk in diff.grouped_ops(3) {
        if hunk.is_empty() {
            continue;
        }
        if out.full {
            cut.hunks += 1;
            cut.changed += hunk.iter().map(changed_lines).sum::<usize>();
            continue;
        }
        if out.text.is_empty() {
            // Outside the bounds: the headers are always printed.
            out.text = format!("--- {name}\t(committed)\n+++ {name}\t(rendered)\n");
        }
        let header = similar::udiff::UnifiedHunkHeader::new(&hunk);
        let mut whole = out.line(&format!("{header}\n")) == Shown::Whole;
        for op in &hunk {
            for change in diff.iter_changes(op) {
                let changed = change.tag() != ChangeTag::Equal;
                let shown = if whole {
                    let mut line = format!("{}{}", change.tag(), change.value());
                    if change.missing_newline() {
                        line.push_str("\n\\ No newline at end of file\n");
                    }
                    out.line(&line)
                } else {
                    Shown::Not
                };
                whole = shown == Shown::Whole;
                if changed && shown != Shown::Whole {
                    cut.changed += 1;
                }
            }
        }
        if !whole {
            cut.hunks += 1;
        }
    }
    cut.shown_lines = out.lines;
    if !out.full {
        return Diff {
            text: out.text,
            cut: None,
        };
    }
    let mut text = out.text;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("… and {} not shown\n", cut.more()));
    Diff {
        text,
        cut: Some(cut),
    }
}

/// The changed (`-` and `+`) lines of `op`.
fn changed_lines(op: &DiffOp) -> usize {
    let (tag, old, new) = op.as_tag_tuple();
    match tag {
        DiffTag::Equal => 0,
        DiffTag::Delete => old.len(),
        DiffTag::Insert => new.len(),
        DiffTag::Replace => old.len() + new.len(),
    }
}

/// Diff text that stops at the bounds.
#[derive(Default)]
struct Bounded {
    text: String,
    /// Lines and bytes written after the headers.
    lines: usize,
    bytes: usize,
    /// A bound was reached: nothing more is written.
    full: bool,
}

/// How much of a line [`Bounded::line`] appended.
#[derive(PartialEq, Eq)]
enum Shown {
    Whole,
    /// Its start, up to the byte bound.
    Partly,
    Not,
}

impl Bounded {
    /// Append `line` if the bounds allow it; a line longer than the bytes
    /// left is cut there, ending in `…`.
    fn line(&mut self, line: &str) -> Shown {
        // One line of the diff, or two with `\ No newline at end of file`.
        let lines = line.bytes().filter(|&b| b == b'\n').count().max(1);
        if self.full || self.lines + lines > MAX_DIFF_LINES {
            self.full = true;
            return Shown::Not;
        }
        let room = MAX_DIFF_BYTES - self.bytes;
        if line.len() <= room {
            self.text.push_str(line);
            self.lines += lines;
            self.bytes += line.len();
            return Shown::Whole;
        }
        let mut end = room;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&line[..end]);
        self.text.push_str("…\n");
        self.lines += 1;
        self.bytes = MAX_DIFF_BYTES;
        self.full = true;
        Shown::Partly
    }
}

/// `n` with thousands separators: `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn crlf_and_bom_are_normalised() {
        let form = Form::of(b"\xef\xbb\xbfa\r\nb\nc\r\n");
        assert!(form.bom);
        assert_eq!((form.crlf, form.lines), (2, 3));
        assert_eq!(
            form.normalized(b"\xef\xbb\xbfa\r\nb\nc\r\n").as_ref(),
            b"a\nb\nc\n"
        );
        let plain = Form::of(b"a\rb\n");
        assert!(plain.differences().is_none());
        assert_eq!(plain.normalized(b"a\rb\n").as_ref(), b"a\rb\n");
    }

    /// Within the bounds, the diff is byte for byte what `similar` prints.
    #[test]
    fn a_small_diff_is_similars_unified_diff() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
        let new = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm";
        let expected = TextDiff::configure()
            .algorithm(Algorithm::Patience)
            .diff_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header("f\t(committed)", "f\t(rendered)")
            .to_string();
        let diff = unified_diff("f", old, new);
        assert!(diff.cut.is_none());
        assert_eq!(diff.text, expected);
    }
}
