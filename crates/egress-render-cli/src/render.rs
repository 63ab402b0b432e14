//! The main command: render the manifests, print warnings, and print the
//! manifests or compare them with the committed file (`--check`).

use crate::args::{Cli, Format};
use crate::messages::Diagnostic;
use crate::{check, input, output};
use egress_render::{Rendered, Warning};
use std::io::{self, Write};
use std::process::ExitCode;

/// Render, then print or check; the process's exit status.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let Some(out) = render(cli) else {
        return Ok(ExitCode::from(1));
    };
    if let Some(file) = &cli.check {
        let text = match out {
            Output::Yaml(rendered) => match rendered.to_yaml() {
                Ok(text) => text,
                Err(e) => {
                    output::stderr(format_args!("{e}\n"));
                    return Ok(ExitCode::from(1));
                }
            },
            Output::Text(text) => text,
        };
        return check::against_file(file, &text);
    }
    let print = |w: &mut dyn Write| match &out {
        // Streamed document by document: the output is never held whole.
        // Rendering has succeeded, so stdout gets no partial output on an
        // input error.
        Output::Yaml(rendered) => write_yaml(rendered, w),
        Output::Text(text) => w.write_all(text.as_bytes()),
    };
    let written = match &cli.write {
        Some(file) => output::to_file(file, print),
        None => output::stdout(print),
    };
    // The process ends here: freeing every object one by one would be
    // wasted work.
    std::mem::forget(out);
    written.map(|()| ExitCode::SUCCESS)
}

/// What to print on success.
enum Output {
    /// YAML, streamed from the manifests.
    Yaml(Rendered),
    /// Text ready to print (JSON).
    Text(String),
}

/// The manifests as YAML, written into `w` document by document.
fn write_yaml(rendered: &Rendered, w: &mut dyn Write) -> io::Result<()> {
    let mut w = FmtToIo {
        inner: w,
        error: None,
    };
    match rendered.write_yaml(&mut w) {
        Ok(()) => Ok(()),
        Err(e) => Err(w.error.unwrap_or_else(|| io::Error::other(e.to_string()))),
    }
}

/// `fmt::Write` onto an `io::Write`, keeping the I/O error.
struct FmtToIo<'a> {
    inner: &'a mut dyn Write,
    error: Option<io::Error>,
}

impl std::fmt::Write for FmtToIo<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

/// Everything but printing the result: read inputs, parse, render, print
/// warnings and problems on stderr. `None` means exit 1 with empty stdout.
fn render(cli: &Cli) -> Option<Output> {
    let input::Loaded {
        parsed,
        read_errors,
        notes,
    } = input::load(&cli.paths, &cli.render.walk());
    if !cli.quiet {
        notes.into_iter().for_each(output::message);
    }
    let options = cli.options();
    let result = parsed.render(&options);
    // Packages that render although another input did not parse still get
    // their warnings printed, as the CLI did before `Parsed::render`: a
    // second render, on this failing path only.
    let unparsed_warnings: Vec<Warning>;
    let warnings: &[Warning] = match &result {
        Ok(rendered) => &rendered.warnings,
        Err(_) if !parsed.errors.is_empty() => {
            unparsed_warnings = egress_render::render(&parsed.packages, &options)
                .map(|r| r.warnings)
                .unwrap_or_default();
            &unparsed_warnings
        }
        Err(_) => &[],
    };
    if !cli.quiet || cli.deny_warnings {
        for w in warnings {
            output::message(Diagnostic::warning(w, cli.deny_warnings));
        }
    }
    // Other problems are reported below; the denial alone ends here.
    let other_problems = !read_errors.is_empty() || result.is_err();
    if cli.deny_warnings && !warnings.is_empty() && !other_problems {
        output::summary(format_args!(
            "error: {} warning(s) denied by --deny-warnings\n",
            warnings.len()
        ));
        return None;
    }
    // Not freed one by one: the process is short-lived (see `run`).
    std::mem::forget(parsed);
    let rendered = output::unless_problems(&read_errors, result, "", "rendered")?;
    match cli.output {
        Format::Yaml => Some(Output::Yaml(rendered)),
        Format::Json => match rendered.to_json() {
            Ok(text) => Some(Output::Text(text)),
            Err(e) => {
                output::stderr(format_args!("{e}\n"));
                None
            }
        },
    }
}
