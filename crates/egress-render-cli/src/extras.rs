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
            clap_complete::generate(*shell, &mut cmd, BIN, &mut out);
            if *shell == clap_complete::Shell::Bash {
                out = bash_subcommands_fixed(&out);
            }
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
                    // `error[invalid-host]` as printed works too.
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

/// The binary's name.
const BIN: &str = "egress-render";

/// clap_complete's bash script names a subcommand's state two ways for a
/// binary with a hyphen: the loop over the words sets
/// `egress__render__subcmd__report`, while the `case` that completes it
/// expects `egress__subcmd__render__subcmd__report`, so nothing completes
/// after a subcommand. Rename the second form to the first.
fn bash_subcommands_fixed(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let set = BIN.replace('-', "__");
    let expected = BIN.replace('-', "__subcmd__");
    if set == expected {
        return script.to_vec();
    }
    text.replace(
        &format!("{expected}__subcmd__"),
        &format!("{set}__subcmd__"),
    )
    .into_bytes()
}
