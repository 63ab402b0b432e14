//! `egress-render`: read UDS Package YAML, print the Istio egress manifests.

mod cli;
mod input;
mod report;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
