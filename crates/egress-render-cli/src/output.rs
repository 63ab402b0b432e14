//! The one place the CLI writes: the result on standard output, and
//! problems and warnings on standard error.

use crate::explain;
use crate::messages::{self, Diagnostic, SarifRule};
use anyhow::Context;
use egress_render::Errors;
use std::fmt::Display;
use std::io::{self, Write};
use std::sync::{Mutex, OnceLock};

/// How errors, warnings and notes are printed (`--message-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MessageFormat {
    /// For people: `error[code]: …`, where, and a help line.
    #[default]
    Human,
    /// One JSON object per line, per error, warning or note.
    Json,
    /// One SARIF 2.1.0 log when the run ends (GitHub code scanning).
    Sarif,
}

/// The run's message format, set once by `main`.
static FORMAT: OnceLock<MessageFormat> = OnceLock::new();
/// The messages of a SARIF run, printed together at the end.
static SARIF: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());

/// Choose the message format (the first call wins).
pub fn set_format(format: MessageFormat) {
    let _ = FORMAT.set(format);
}

fn format() -> MessageFormat {
    FORMAT.get().copied().unwrap_or_default()
}

/// Print one error, warning or note on standard error in the chosen format
/// (held back until [`finish`] for SARIF).
pub fn message(d: Diagnostic) {
    match format() {
        MessageFormat::Human => stderr(format_args!("{}\n\n", d.human)),
        MessageFormat::Json => stderr(format_args!("{}\n", d.to_json())),
        MessageFormat::Sarif => {
            if let Ok(mut all) = SARIF.lock() {
                all.push(d);
            }
        }
    }
}

/// Print the error that ended the run: for people on one line, without
/// the blank line that separates messages.
pub fn fatal(d: Diagnostic) {
    if format() == MessageFormat::Human {
        stderr(format_args!("{}\n", d.human));
    } else {
        message(d);
    }
}

/// Print a closing line for people (`error: 2 problem(s) found…`); the
/// machine formats have no such line.
pub fn summary(text: impl Display) {
    if format() == MessageFormat::Human {
        stderr(text);
    }
}

/// End the run: print the SARIF log of its messages, when that is the
/// format.
pub fn finish() {
    if format() != MessageFormat::Sarif {
        return;
    }
    let results = SARIF
        .lock()
        .map(|mut all| std::mem::take(&mut *all))
        .unwrap_or_default();
    let rules: Vec<SarifRule> = explain::codes()
        .into_iter()
        .map(|(code, level)| {
            let entry = explain::entry(code);
            SarifRule {
                code: code.to_string(),
                title: entry.map_or_else(String::new, |e| e.title.to_string()),
                help: entry.map_or_else(String::new, |e| explain::text(e, false)),
                level,
            }
        })
        .collect();
    stderr(messages::sarif(&rules, &results));
}

/// Write the result on standard output through a 64 KiB buffer. A reader
/// that closes the pipe early (`egress-render … | head`) is not an error:
/// the run ends quietly, with success.
pub fn stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> anyhow::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result.context("cannot write output"),
    }
}

/// Write the result into `path` atomically: into a temporary file in the
/// same directory, then renamed over `path`, so `path` is either what it
/// was or the whole new output, never partial or empty. On failure the
/// temporary file is removed and `path` is untouched. A symbolic link is
/// followed (the target is replaced, the link kept); a device or FIFO is
/// written into directly.
pub fn to_file(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let shown = crate::input::shown(path);
    // Through a symbolic link to its target, so the link stays a link.
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    // Into what is not a regular file (/dev/null, /dev/stdout, a FIFO)
    // directly: renaming over it would replace the device node or the FIFO
    // (as root, /dev/null itself) with a regular file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let result = (|| -> io::Result<()> {
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            let mut out = io::BufWriter::with_capacity(1 << 16, file);
            write(&mut out)?;
            out.flush()
        })();
        return result.with_context(|| format!("--write: cannot write {shown}"));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path.file_name().map_or_else(
        || "output".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.egress-render-{}.tmp", std::process::id()));
    let result = (|| -> io::Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let mut out = io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("--write: cannot write {shown}"))
}

/// Print `text` on standard error. A failure to is ignored: there is
/// nowhere left to report it.
pub fn stderr(text: impl Display) {
    let _ = write!(io::stderr().lock(), "{text}");
}

/// `result`'s value when every path was read (`read_errors` is empty) and
/// the library found no problem. Otherwise print every problem, unreadable
/// paths first, and the count (`error: N problem(s) found{which}; nothing
/// {what}`), and return `None`: the run fails with nothing on stdout.
pub fn unless_problems<T>(
    read_errors: &[crate::input::ReadError],
    result: Result<T, Errors>,
    which: &str,
    what: &str,
) -> Option<T> {
    let errors = match result {
        Ok(value) if read_errors.is_empty() => return Some(value),
        Ok(_) => Errors(Vec::new()),
        Err(errors) => errors,
    };
    for e in read_errors {
        message(e.diagnostic());
    }
    for e in errors.iter() {
        message(Diagnostic::error(e));
    }
    let n = read_errors.len() + errors.len();
    summary(format_args!(
        "error: {n} problem(s) found{which}; nothing {what}\n"
    ));
    None
}
