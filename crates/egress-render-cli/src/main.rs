//! `egress-render`: read UDS Package YAML, print the Istio egress manifests.

mod check;
mod cli;
mod extras;
mod input;
mod report;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
