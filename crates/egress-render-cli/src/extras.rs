//! Subcommands that describe the CLI itself: shell completions and the man
//! page, both generated from the clap definition so they cannot drift from
//! the real options.

use crate::args::{Cli, ExtrasCommand};
use crate::{explain, output};
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
        ExtrasCommand::Explain { code, markdown } => {
            let text = match (code, markdown) {
                (_, true) => explain::rules_page(),
                (None, false) => explain::ENTRIES
                    .iter()
                    .map(|e| format!("{:<24} {:<8} {}\n", e.code, e.level.as_str(), e.title))
                    .collect(),
                (Some(code), false) => {
                    // `error[§2.10 invalid-host]` as printed works too.
                    let bare = code
                        .trim_end_matches(']')
                        .rsplit([' ', '['])
                        .next()
                        .unwrap_or(code);
                    match explain::entry(bare) {
                        Some(e) => explain::text(e, false),
                        None => {
                            output::stderr(format_args!(
                                "error: no code {:?}; `egress-render explain` lists them all\n",
                                crate::input::escape(code)
                            ));
                            return Ok(ExitCode::from(2));
                        }
                    }
                }
            };
            out.extend_from_slice(text.as_bytes());
        }
    }
    output::stdout(|w| w.write_all(&out))?;
    Ok(ExitCode::SUCCESS)
}
