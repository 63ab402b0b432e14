//! `egress-render report`: the egress audit of the input, or with
//! `--diff-base` what the input changes compared with another set of
//! Packages. Reading, printing and exit codes only; the report itself is
//! `egress_render::report` and `egress_render::diff`, its layout
//! `report_text`.

use crate::args::{ReportArgs, ReportFormat};
use crate::messages::{self, Diagnostic, Level, SarifRule};
use crate::report_text::Layout;
use crate::{explain, input, output};
use egress_render::{Finding, Report, Severity};
use std::path::PathBuf;
use std::process::ExitCode;

/// The terminal table's width.
const TABLE_WIDTH: usize = 100;

/// Run `report`; the process's exit status.
pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let Some(head) = load(&args.paths, args, "") else {
        return Ok(ExitCode::from(1));
    };
    let diff;
    let (text, findings) = match &args.diff_base {
        None => (format(args.format, &head, &head), &head.findings),
        Some(base) => {
            let Some(base) = load(std::slice::from_ref(base), args, " in --diff-base") else {
                return Ok(ExitCode::from(1));
            };
            diff = egress_render::diff(&base, &head);
            (format(args.format, &diff, &head), &diff.new_findings)
        }
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            output::stderr(format_args!("{e}\n"));
            return Ok(ExitCode::from(1));
        }
    };
    output::stdout(|w| w.write_all(text.as_bytes()))?;
    let Some(threshold) = args.fail_on else {
        return Ok(ExitCode::SUCCESS);
    };
    let threshold = threshold.severity();
    let failing = findings.iter().filter(|f| f.severity <= threshold).count();
    if failing == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    let which = if args.diff_base.is_some() { "new " } else { "" };
    let message = format!(
        "{failing} {which}finding(s) of severity {} or higher (--fail-on)",
        threshold.as_str()
    );
    let human = format!("error: {message}");
    output::fatal(Diagnostic::new(
        explain::FINDINGS,
        Level::Error,
        message,
        human,
    ));
    Ok(ExitCode::from(1))
}

/// The findings as a SARIF log: one result per finding, located at the
/// file of its first package (from `head`'s access rows).
fn sarif(findings: &[Finding], head: &Report) -> String {
    let mut rules: Vec<SarifRule> = Vec::new();
    let mut results = Vec::new();
    for f in findings {
        let code = f.code.as_str();
        let level = match f.severity {
            Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            _ => Level::Note,
        };
        if !rules.iter().any(|r| r.code == code) {
            rules.push(SarifRule {
                code: code.to_string(),
                title: format!("egress audit finding {code}"),
                help: format!("egress-render report finding {code}: what it means and how severities are chosen is in docs/report.md; each result carries its own fix"),
                level,
            });
        }
        let origin = f.origins.first();
        let file = origin.and_then(|o| {
            head.access
                .iter()
                .find(|a| a.namespace == o.namespace && a.package == o.package)
                .map(|a| a.file.clone())
        });
        results.push(Diagnostic {
            help: Some(f.fix.clone()),
            file: file.filter(|f| f != "<stdin>"),
            package: origin.map(|o| format!("{}/{}", o.namespace, o.package)),
            rule_index: origin.and_then(|o| o.rules.first().copied()),
            ..Diagnostic::new(
                code,
                level,
                format!(
                    "{} [{}: {}]",
                    f.message,
                    f.severity.as_str(),
                    f.origin_text()
                ),
                String::new(),
            )
        });
    }
    messages::sarif(&rules, &results)
}

/// The report or diff in `format`; `head` is the report of PATH.
fn format(
    format: ReportFormat,
    report: &impl Layout,
    head: &Report,
) -> Result<String, egress_render::Error> {
    match format {
        ReportFormat::Sarif => Ok(sarif(report.findings(), head)),
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
    notes.into_iter().for_each(output::message);
    output::unless_problems(&read_errors, parsed.report(&options), which, "reported")
}
