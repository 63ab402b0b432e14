//! Every command-line type: the main command, `report`, `completions` and
//! `man`, their options and value parsers. Parsing only; what the commands
//! do is in `render`, `report` and `extras`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use egress_render::{Mode, Options, Release};
use std::path::PathBuf;

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
    Report(ReportArgs),
    /// Completions and the man page.
    #[command(flatten)]
    Extras(ExtrasCommand),
}

/// The render options, shared by the main command and `report`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The UDS Core release whose operator's output to render: MAJOR.MINOR
    /// (0.56 to 1.11), MAJOR.MINOR.PATCH or latest (= 1.11). It decides the
    /// ambient layout, apiVersions, default ports and mode, and the rules.
    #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = Release::parse)]
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

    /// Removed: a usage error that says why (never `Some`).
    #[arg(long, hide = true, value_name = "ID", value_parser = removed_unscoped_identity)]
    pub unscoped_identity: Option<String>,

    /// Removed: a usage error that says why (never `Some`).
    #[arg(long, hide = true, value_name = "DOMAIN", value_parser = removed_trust_domain)]
    pub trust_domain: Option<String>,
}

/// The command line, parsed and checked: a usage error (exit 2) for what
/// clap's per-value parsers cannot see, a port listed twice in
/// `--gateway-ports` (`443,443`: a typo for another port, most likely).
pub fn parse() -> Cli {
    use clap::CommandFactory;
    let cli = Cli::parse();
    let ports = match &cli.command {
        Some(Command::Report(report)) => &report.render.gateway_ports,
        _ => &cli.render.gateway_ports,
    };
    if let Some(message) = repeated_port(ports) {
        Cli::command()
            .error(clap::error::ErrorKind::ValueValidation, message)
            .exit();
    }
    cli
}

/// The message for the first port listed twice, if any.
fn repeated_port(ports: &[u16]) -> Option<String> {
    let mut seen = std::collections::BTreeSet::new();
    let repeated = ports.iter().find(|p| !seen.insert(**p))?;
    Some(format!(
        "--gateway-ports lists port {repeated} twice; list each port the egress gateway exposes once (e.g. --gateway-ports 80,443,8443)"
    ))
}

/// `--unscoped-identity` (v1) is gone: SPEC v2 renders what the operator
/// writes, and no release admits anything else.
fn removed_unscoped_identity(_: &str) -> Result<String, String> {
    Err("--unscoped-identity was removed: a rule without serviceAccount admits its whole namespace, as every UDS Core release does; set serviceAccount on the rule to narrow it".to_string())
}

/// `--trust-domain` (v1) is gone: principals are written as the operator
/// writes them.
fn removed_trust_domain(_: &str) -> Result<String, String> {
    Err("--trust-domain was removed: principals are cluster.local/ns/{namespace}/sa/{sa}, as the operator writes them (Istio maps cluster.local to the mesh's own trust domain)".to_string())
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

/// Audit egress: who can reach which external host, and what to worry about
///
/// Prints one row per package, workload identity, host, port and protocol,
/// with the path the traffic takes and the objects that enforce it, then
/// findings (risks) with their severity and fix. Takes the same inputs and
/// render options as the main command; invalid input fails the same way.
///
/// Exit status: 0 reported (findings do not fail the run), 1 invalid input
/// in PATH or in --diff-base (errors on stderr, nothing on stdout), 2 usage
/// error.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Package YAML files or directories; `-` or none for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub render: RenderArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,

    /// Report only what PATH changes compared with these Packages (a file
    /// or directory): access added, widened or removed, and new or resolved
    /// findings.
    #[arg(long, value_name = "FILE_OR_DIR", value_parser = not_stdin)]
    pub diff_base: Option<PathBuf>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// An aligned table for the terminal, at most 100 columns wide.
    Table,
    /// GitHub-flavoured Markdown, to paste into a pull request.
    Markdown,
    /// Pretty-printed JSON with stable field names (docs/report.md).
    Json,
}

fn not_stdin(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        Err("the base must be a file or directory; standard input is for PATH".to_string())
    } else {
        Ok(PathBuf::from(s))
    }
}

/// `egress-render <COMMAND>`. A file literally named like a command is
/// given as a path: `egress-render ./man`.
#[derive(Debug, Subcommand)]
pub enum ExtrasCommand {
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
