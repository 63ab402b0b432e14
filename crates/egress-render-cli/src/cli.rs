//! Argument parsing, printing and exit codes. Everything else is in the
//! `egress_render` library.

use crate::input;
use clap::{Args, Parser, Subcommand, ValueEnum};
use egress_render::{Mode, Options, Release};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Render the egress rules of UDS Core Package resources to the Istio
/// manifests UDS Core would create, offline.
///
/// Reads YAML from files, directories (their *.yaml and *.yml, recursively,
/// in sorted order) or standard input (`-`, or no PATH), and prints the
/// manifests. Exit status: 0 rendered, 1 invalid input or conflicting
/// packages (errors on stderr, nothing on stdout), 2 usage error.
#[derive(Debug, Parser)]
#[command(
    name = "egress-render",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// A subcommand; without one, render the manifests.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Package YAML files or directories; `-` or none for standard input.
    /// A file named like a command is given as `./completions`.
    #[arg(value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,

    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
    pub output: Format,

    /// Treat warnings as errors: print them and exit 1 with nothing on stdout.
    #[arg(long)]
    pub deny_warnings: bool,

    /// Do not print warnings.
    #[arg(short, long)]
    pub quiet: bool,

    /// Render, then compare with FILE (the committed output) instead of
    /// printing: exit 0 when equal, else print a unified diff on stderr and
    /// exit 1. The GitOps CI gate.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub check: Option<PathBuf>,
}

/// Subcommands. A file literally named like one is given as a path:
/// `egress-render ./report`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print an egress audit report instead of manifests.
    Report(crate::report::ReportArgs),
    /// Completions and the man page.
    #[command(flatten)]
    Extras(crate::extras::Command),
}

/// The render options, shared by the main command and `report`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The UDS Core release whose operator's output to render: MAJOR.MINOR
    /// (0.56 to 1.11), MAJOR.MINOR.PATCH or latest (= 1.11). It decides the
    /// ambient layout, apiVersions, default ports and mode, and the rules.
    #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = release)]
    pub uds_core: Release,

    /// Mode of packages that do not set spec.network.serviceMesh.mode
    /// [default: the release's: sidecar before 0.60, then ambient].
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,

    /// Namespace of Packages without metadata.namespace (as kubectl apply -n
    /// or a Zarf deploy gives it).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// The uds/generation label of shared objects.
    #[arg(long, default_value_t = 1)]
    pub shared_generation: u64,

    /// Ports the sidecar egress gateway exposes (comma-separated); a sidecar
    /// rule on another port fails, as the operator fails it.
    #[arg(long, value_delimiter = ',', default_value = "80,443", value_parser = clap::value_parser!(u16).range(1..))]
    pub gateway_ports: Vec<u16>,

    /// Leave out the NetworkPolicy of each remoteHost rule.
    #[arg(long)]
    pub no_network_policies: bool,
}

fn release(s: &str) -> Result<Release, String> {
    Release::parse(s)
}

/// `--mode`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Istio ambient mode.
    Ambient,
    /// Istio sidecar mode.
    Sidecar,
}

/// `-o/--output`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// A multi-document YAML stream.
    Yaml,
    /// One JSON `List`.
    Json,
}

impl RenderArgs {
    /// The library's options.
    pub fn options(&self) -> Options {
        Options {
            uds_core: self.uds_core,
            default_mode: self.mode.map(|m| match m {
                ModeArg::Ambient => Mode::Ambient,
                ModeArg::Sidecar => Mode::Sidecar,
            }),
            default_namespace: self.namespace.clone(),
            shared_generation: self.shared_generation,
            gateway_ports: self.gateway_ports.clone(),
            network_policies: !self.no_network_policies,
        }
    }
}

/// Parse arguments, render, print; the process's exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Report(args)) => return crate::report::run(args),
        Some(Command::Extras(command)) => return crate::extras::run(command),
        None => {}
    }
    let mut stderr = io::stderr().lock();
    let Ok(out) = render_output(&cli, &mut stderr) else {
        return ExitCode::from(1);
    };
    if let Some(file) = &cli.check {
        let text = match out {
            Output::Yaml(rendered) => match rendered.to_yaml() {
                Ok(text) => text,
                Err(e) => {
                    let _ = writeln!(stderr, "{e}");
                    return ExitCode::from(1);
                }
            },
            Output::Text(text) => text,
        };
        return crate::check::against_file(file, &text, &mut stderr);
    }
    let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let written = match &out {
        // Streamed document by document: the output is never held whole.
        // Rendering has succeeded, so stdout gets no partial output on an
        // input error.
        Output::Yaml(rendered) => {
            let mut w = FmtToIo {
                inner: &mut stdout,
                error: None,
            };
            match rendered.write_yaml(&mut w) {
                Ok(()) => Ok(()),
                Err(e) => Err(w.error.unwrap_or_else(|| io::Error::other(e.to_string()))),
            }
        }
        Output::Text(text) => stdout.write_all(text.as_bytes()),
    };
    // The process ends here: freeing every object one by one would be
    // wasted work.
    std::mem::forget(out);
    match written.and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // `egress-render … | head` closes the pipe early: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// What to print on success.
enum Output {
    /// YAML, streamed from the manifests.
    Yaml(egress_render::Rendered),
    /// Text ready to print (JSON).
    Text(String),
}

/// `fmt::Write` onto an `io::Write`, keeping the I/O error.
struct FmtToIo<'a, W: Write> {
    inner: &'a mut W,
    error: Option<io::Error>,
}

impl<W: Write> std::fmt::Write for FmtToIo<'_, W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

/// Everything but printing the result: read inputs, parse, render, report
/// errors and warnings on `stderr`. `Err` means exit 1 with empty stdout.
fn render_output(cli: &Cli, stderr: &mut impl Write) -> Result<Output, ()> {
    let input::Loaded {
        packages,
        mut errors,
        read_errors,
    } = input::load(&cli.paths);
    let options = cli.render.options();
    let result = egress_render::render(&packages, &options);
    // Not freed one by one: the process is short-lived (see `run`).
    std::mem::forget(packages);
    let (rendered, render_errors) = match result {
        Ok(r) => (Some(r), Vec::new()),
        Err(e) => (None, e.0),
    };
    errors.extend(render_errors);
    let errors = egress_render::Errors(errors).sorted();

    if let Some(r) = &rendered {
        if !cli.quiet || cli.deny_warnings {
            for w in &r.warnings {
                let _ = writeln!(stderr, "{w}\n");
            }
        }
        // Other problems are reported below; the denial alone ends here.
        let other_problems = !errors.is_empty() || !read_errors.is_empty();
        if cli.deny_warnings && !r.warnings.is_empty() && !other_problems {
            let _ = writeln!(
                stderr,
                "error: {} warning(s) denied by --deny-warnings",
                r.warnings.len()
            );
            return Err(());
        }
    }
    if !read_errors.is_empty() || !errors.is_empty() {
        for e in &read_errors {
            let _ = writeln!(stderr, "{e}\n");
        }
        for e in errors.iter() {
            let _ = writeln!(stderr, "{e}\n");
        }
        let n = read_errors.len() + errors.len();
        let _ = writeln!(stderr, "error: {n} problem(s) found; nothing rendered");
        return Err(());
    }
    let Some(rendered) = rendered else {
        return Err(());
    };
    match cli.output {
        Format::Yaml => Ok(Output::Yaml(rendered)),
        Format::Json => rendered.to_json().map(Output::Text).map_err(|e| {
            let _ = writeln!(stderr, "{e}");
        }),
    }
}
