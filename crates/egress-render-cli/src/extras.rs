//! Subcommands that describe the CLI itself: shell completions and the man
//! page, both generated from the clap definition so they cannot drift from
//! the real options.

use crate::args::{Cli, ExtrasCommand};
use crate::output;
use anyhow::Context;
use clap::CommandFactory;
use std::process::ExitCode;

/// Run a subcommand: print what it generates on stdout.
pub fn run(command: &ExtrasCommand) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    // Generated whole before anything is printed: the generators panic on
    // a write error, such as a closed pipe.
    let mut out = Vec::new();
    match command {
        ExtrasCommand::Completions { shell } => {
            clap_complete::generate(*shell, &mut cmd, "egress-render", &mut out);
        }
        ExtrasCommand::Man => clap_mangen::Man::new(cmd)
            .render(&mut out)
            .context("cannot write the man page")?,
    }
    output::stdout(|w| w.write_all(&out))?;
    Ok(ExitCode::SUCCESS)
}
