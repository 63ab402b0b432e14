//! The one place the CLI writes: the result on standard output, and
//! problems and warnings on standard error.

use anyhow::Context;
use egress_render::Errors;
use std::fmt::Display;
use std::io::{self, Write};

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

/// Print `text` on standard error. A failure to is ignored: there is
/// nowhere left to report it.
pub fn stderr(text: impl Display) {
    let _ = write!(io::stderr().lock(), "{text}");
}

/// Print each item on standard error, followed by a blank line.
pub fn each<T: Display>(items: impl IntoIterator<Item = T>) {
    for item in items {
        stderr(format_args!("{item}\n\n"));
    }
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
    each(read_errors);
    each(errors.iter());
    let n = read_errors.len() + errors.len();
    stderr(format_args!(
        "error: {n} problem(s) found{which}; nothing {what}\n"
    ));
    None
}
