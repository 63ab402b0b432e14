//! `egress-render`: read UDS Package YAML, print the Istio egress manifests.
// The library's `Error` carries its location and fix as data, on the cold
// path only (as the library itself allows).
#![allow(clippy::result_large_err)]

mod args;
mod check;
mod explain;
mod extras;
mod input;
mod messages;
mod output;
mod render;
mod report;
mod report_text;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = run().unwrap_or_else(|e| {
        output::fatal(messages::Diagnostic::new(
            explain::IO,
            messages::Level::Error,
            format!("{e:#}"),
            format!("error: {e:#}"),
        ));
        ExitCode::from(1)
    });
    output::finish();
    code
}

/// Parse the arguments and run the command: its exit status, or the I/O
/// error that stopped it.
fn run() -> anyhow::Result<ExitCode> {
    let cli = args::parse();
    output::set_format(match &cli.command {
        None => cli.render.message_format,
        Some(args::Command::Report(args)) => args.render.message_format,
        Some(args::Command::Extras(_)) => output::MessageFormat::Human,
    });
    match &cli.command {
        None => render::run(&cli),
        Some(args::Command::Report(args)) => report::run(args),
        Some(args::Command::Extras(command)) => extras::run(command),
    }
}
