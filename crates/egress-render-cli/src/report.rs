//! `egress-render report`: the egress audit of the input, or with
//! `--diff-base` what the input changes compared with another set of
//! Packages. Reading, printing and exit codes only; the report itself is
//! `egress_render::report` and `egress_render::diff`, its layout
//! `report_text`.

use crate::args::{ReportArgs, ReportFormat};
use crate::report_text::Layout;
use crate::{input, output};
use egress_render::Report;
use std::path::PathBuf;
use std::process::ExitCode;

/// The terminal table's width.
const TABLE_WIDTH: usize = 100;

/// Run `report`; the process's exit status.
pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let Some(head) = load(&args.paths, args, "") else {
        return Ok(ExitCode::from(1));
    };
    let text = match &args.diff_base {
        None => format(args.format, &head),
        Some(base) => {
            let Some(base) = load(std::slice::from_ref(base), args, " in --diff-base") else {
                return Ok(ExitCode::from(1));
            };
            format(args.format, &egress_render::diff(&base, &head))
        }
    };
    match text {
        Ok(text) => {
            output::stdout(|w| w.write_all(text.as_bytes()))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            output::stderr(format_args!("{e}\n"));
            Ok(ExitCode::from(1))
        }
    }
}

/// The report or diff in `format`.
fn format(format: ReportFormat, report: &impl Layout) -> Result<String, egress_render::Error> {
    match format {
        ReportFormat::Table => Ok(report.table(TABLE_WIDTH)),
        ReportFormat::Markdown => Ok(report.markdown()),
        ReportFormat::Json => report.json(),
    }
}

/// Read, parse and audit the packages named by `paths`, or print every
/// problem on stderr (`which` says which input they are in).
fn load(paths: &[PathBuf], args: &ReportArgs, which: &str) -> Option<Report> {
    let options = args.render.options();
    let walk = args.render.walk();
    let input::Loaded {
        parsed,
        read_errors,
        notes,
    } = input::load(paths, &walk);
    output::each(&notes);
    output::unless_problems(&read_errors, parsed.report(&options), which, "reported")
}
