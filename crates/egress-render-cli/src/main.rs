//! `egress-render`: read UDS Package YAML, print the Istio egress manifests.
// The library's `Error` carries its location and fix as data, on the cold
// path only (as the library itself allows).
#![allow(clippy::result_large_err)]

mod args;
mod check;
mod extras;
mod input;
mod output;
mod render;
mod report;
mod report_text;

use std::process::ExitCode;

fn main() -> ExitCode {
    run().unwrap_or_else(|e| {
        output::stderr(format_args!("error: {e:#}\n"));
        ExitCode::from(1)
    })
}

/// Parse the arguments and run the command: its exit status, or the I/O
/// error that stopped it.
fn run() -> anyhow::Result<ExitCode> {
    let cli = args::parse();
    match &cli.command {
        None => render::run(&cli),
        Some(args::Command::Report(args)) => report::run(args),
        Some(args::Command::Extras(command)) => extras::run(command),
    }
}
