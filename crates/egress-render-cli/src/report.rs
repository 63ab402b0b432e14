//! `egress-render report`: the egress audit of the input, or with
//! `--diff-base` what the input changes compared with another set of
//! Packages. Reading, printing and exit codes only; the report itself is
//! `egress_render::report` and `egress_render::diff`.

use crate::cli::RenderArgs;
use crate::input;
use clap::{Args, ValueEnum};
use egress_render::{Options, Report};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The terminal table's width.
const TABLE_WIDTH: usize = 100;

/// Audit egress: who can reach which external host, and what to worry about
///
/// Prints one row per package, workload identity, host, port and protocol,
/// with the path the traffic takes and the objects that enforce it, then
/// findings (risks) with their severity and fix. Takes the same inputs and
/// render options as the main command; invalid input fails the same way.
///
/// Exit status: 0 reported (findings do not fail the run), 1 invalid input
/// in PATH or in --diff-base (errors on stderr, nothing on stdout), 2 usage
/// error.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Package YAML files or directories; `-` or none for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Report only what PATH changes compared with these Packages (a file
    /// or directory): access added, widened or removed, and new or resolved
    /// findings.
    #[arg(long, value_name = "FILE_OR_DIR", value_parser = not_stdin)]
    pub diff_base: Option<PathBuf>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// An aligned table for the terminal, at most 100 columns wide.
    Table,
    /// GitHub-flavoured Markdown, to paste into a pull request.
    Markdown,
    /// Pretty-printed JSON with stable field names (docs/report.md).
    Json,
}

fn not_stdin(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        Err("the base must be a file or directory; standard input is for PATH".to_string())
    } else {
        Ok(PathBuf::from(s))
    }
}

/// Run `report`; the process's exit status.
pub fn run(args: &ReportArgs) -> ExitCode {
    let mut stderr = io::stderr().lock();
    let options = args.render.options();
    let Ok(head) = load(&args.paths, &options, "", &mut stderr) else {
        return ExitCode::from(1);
    };
    let out = match &args.diff_base {
        None => format(args.format, &head),
        Some(base_path) => {
            let Ok(base) = load(
                std::slice::from_ref(base_path),
                &options,
                " in --diff-base",
                &mut stderr,
            ) else {
                return ExitCode::from(1);
            };
            let d = egress_render::diff(&base, &head);
            match args.format {
                ReportFormat::Table => Ok(d.to_table(TABLE_WIDTH)),
                ReportFormat::Markdown => Ok(d.to_markdown()),
                ReportFormat::Json => d.to_json().map_err(|e| e.to_string()),
            }
        }
    };
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            let _ = writeln!(stderr, "{e}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        // `egress-render report … | head` closes the pipe early: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// The report in `format`, or why it could not be written.
fn format(format: ReportFormat, report: &Report) -> Result<String, String> {
    match format {
        ReportFormat::Table => Ok(report.to_table(TABLE_WIDTH)),
        ReportFormat::Markdown => Ok(report.to_markdown()),
        ReportFormat::Json => report.to_json().map_err(|e| e.to_string()),
    }
}

/// Read, parse and audit the packages named by `paths`, or print every
/// problem on `stderr` (`which` says which input they are in).
fn load(
    paths: &[PathBuf],
    options: &Options,
    which: &str,
    stderr: &mut impl Write,
) -> Result<Report, ()> {
    let input::Loaded {
        packages,
        mut errors,
        read_errors,
    } = input::load(paths);
    let report = match egress_render::report(&packages, options) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    let errors = egress_render::Errors(errors).sorted();
    match report {
        Some(r) if read_errors.is_empty() && errors.is_empty() => Ok(r),
        _ => {
            for e in &read_errors {
                let _ = writeln!(stderr, "{e}\n");
            }
            for e in errors.iter() {
                let _ = writeln!(stderr, "{e}\n");
            }
            let n = read_errors.len() + errors.len();
            let _ = writeln!(
                stderr,
                "error: {n} problem(s) found{which}; nothing reported"
            );
            Err(())
        }
    }
}
