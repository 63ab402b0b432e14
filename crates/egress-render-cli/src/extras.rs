//! Subcommands that describe the CLI itself: shell completions and the man
//! page, both generated from the clap definition so they cannot drift from
//! the real options.

use crate::cli::Cli;
use clap::{CommandFactory, Subcommand};
use clap_complete::Shell;
use std::io::{self, Write};
use std::process::ExitCode;

/// `egress-render <COMMAND>`. A file literally named like a command is
/// given as a path: `egress-render ./man`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script.
    ///
    /// For example `egress-render completions bash >
    /// ~/.local/share/bash-completion/completions/egress-render`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff).
    ///
    /// For example `egress-render man > ~/.local/share/man/man1/egress-render.1`.
    Man,
}

/// Run a subcommand: print what it generates on stdout.
pub fn run(command: &Command) -> ExitCode {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut cmd, "egress-render", &mut out);
        }
        Command::Man => {
            if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
                let _ = writeln!(io::stderr(), "error: cannot write the man page: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let mut stdout = io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}
