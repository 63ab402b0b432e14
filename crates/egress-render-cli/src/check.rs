//! `--check FILE` (SPEC §7): the GitOps CI gate. Compare what was rendered
//! with the committed, pre-rendered FILE; on drift, show a unified diff.
//!
//! The comparison is of bytes: `--check` passes exactly when re-rendering
//! would leave FILE as it is. A FILE that differs only in its form (CRLF
//! line endings from a Windows checkout, a byte order mark an editor added,
//! UTF-16 from PowerShell) still fails, with an error that says so instead
//! of a diff in which every line changed; one that differs in content too
//! is diffed with its line endings and BOM left out, and a note says they
//! differ.

use crate::explain;
use crate::messages::{Diagnostic, Level};
use crate::output;
use similar::{Algorithm, TextDiff};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// How long computing the diff may take before it gets coarser.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

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
    if let Some(differences) = &differences {
        message.push_str(&format!(
            "; it also {differences}, which the diff leaves out"
        ));
        note = Some(format!(
            "it also {differences}; the diff above leaves that out"
        ));
    }
    let help = format!("{RE_RENDER}{gitattributes}");
    output::fatal(drift(&name, message, Some(diff), help, note));
    Ok(ExitCode::from(1))
}

/// The `drift` error: `message` for the machine formats; for people, the
/// diff (if any), the message, the note and the help.
fn drift(
    name: &str,
    message: String,
    diff: Option<String>,
    help: String,
    note: Option<String>,
) -> Diagnostic {
    let mut human = String::new();
    let mut first = message.clone();
    if let Some(diff) = &diff {
        human.push_str(diff);
        first = format!(
            "{name} is not what egress-render renders now (diff above: - committed, + rendered)"
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
        diff,
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

/// A unified diff from the committed text to the rendered text, with both
/// headers naming the file. The labels after a tab are ignored by `patch`
/// and `git apply`, so the diff also applies to the file as it is (when its
/// line endings are LF).
fn unified_diff(name: &str, committed: &str, rendered: &str) -> String {
    // Patience anchors on unique lines (object names), so a fleet-wide change
    // diffs fast: 2,000 packages with every ServiceEntry changed took 41 s
    // with plain Myers, well under 1 s this way. A committed file unrelated
    // to the rendering has no anchors; past the deadline the diff gets
    // coarser (still correct) instead of keeping CI waiting.
    TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(DIFF_TIMEOUT)
        .diff_lines(committed, rendered)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name}\t(committed)"),
            &format!("{name}\t(rendered)"),
        )
        .to_string()
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
}
