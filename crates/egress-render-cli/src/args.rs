//! Every command-line type: the main command, `report`, `completions` and
//! `man`, their options and value parsers. Parsing only; what the commands
//! do is in `render`, `report` and `extras`.

use crate::output::MessageFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use egress_render::{Mode, ObjectSet, Options, Release};
use std::path::PathBuf;

/// Render the egress rules of UDS Core Package resources to the Istio
/// manifests UDS Core would create, offline.
///
/// Reads YAML from files, directories (their *.yaml and *.yml, recursively,
/// in sorted order, skipping hidden entries and symbolic links out of the
/// directory) or standard input (`-`, or no PATH), and prints the
/// manifests. Exit status: 0 rendered, 1 invalid input or conflicting
/// packages (errors on stderr, nothing on stdout), 2 usage error.
#[derive(Debug, Parser)]
#[command(
    name = "egress-render",
    version = env!("EGRESS_RENDER_VERSION"),
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

    /// Which objects to render: all; only the package-owned ones (in each
    /// Package's namespace, exact from part of a fleet: a team's job);
    /// or only the shared ones (waypoint, per-host objects: render them
    /// from the whole fleet, in the platform's job).
    #[arg(long, value_enum, default_value_t = ObjectsArg::All)]
    pub objects: ObjectsArg,

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

    /// Write the output to FILE instead of standard output, atomically and
    /// only on success: on any error FILE is left as it was.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, conflicts_with = "check")]
    pub write: Option<PathBuf>,
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

    /// How to print errors, warnings and notes on stderr: human, json (one
    /// object per line) or sarif (a SARIF 2.1.0 log, for code scanning).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,

    /// Skip what GLOB matches when walking a directory (gitignore-style:
    /// `charts/` a directory at any depth, `/legacy` at the top, `*.tmpl.yaml`
    /// a name). Repeatable. Paths named on the command line are always read.
    #[arg(long, value_name = "GLOB", value_parser = crate::input::exclude_glob)]
    pub exclude: Vec<String>,

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

/// `--objects`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ObjectsArg {
    /// Every object.
    All,
    /// The objects in each Package's namespace.
    Package,
    /// The waypoint and the per-host objects shared by the Packages of a
    /// mode.
    Shared,
}

/// `-o/--output`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// A multi-document YAML stream.
    Yaml,
    /// One JSON `List`.
    Json,
}

impl Cli {
    /// The library's options for the main command.
    pub fn options(&self) -> Options {
        Options {
            objects: match self.objects {
                ObjectsArg::All => ObjectSet::All,
                ObjectsArg::Package => ObjectSet::Package,
                ObjectsArg::Shared => ObjectSet::Shared,
            },
            ..self.render.options()
        }
    }
}

impl RenderArgs {
    /// How to walk directories.
    pub fn walk(&self) -> crate::input::Walk {
        crate::input::Walk::new(&self.exclude)
    }

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
            objects: ObjectSet::All,
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
/// Exit status: 0 reported (findings do not fail the run unless
/// --fail-on), 1 invalid input in PATH or in --diff-base (errors on stderr,
/// nothing on stdout) or a finding at or above --fail-on (after the
/// report), 2 usage error.
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

    /// Exit 1 (after printing the report) when a finding of this severity
    /// or higher exists; with --diff-base, a new one.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
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
    /// The findings (the new ones with --diff-base) as a SARIF 2.1.0 log,
    /// for code scanning.
    Sarif,
}

/// `report --fail-on`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    /// High findings only.
    High,
    /// Medium or high.
    Medium,
    /// Low, medium or high (info never fails).
    Low,
}

impl FailOn {
    /// The least severe severity that fails.
    pub fn severity(self) -> egress_render::Severity {
        match self {
            FailOn::High => egress_render::Severity::High,
            FailOn::Medium => egress_render::Severity::Medium,
            FailOn::Low => egress_render::Severity::Low,
        }
    }
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
    /// Explain an error, warning or note code: what it means, why UDS Core
    /// or Istio refuses it, and a fix.
    ///
    /// For example `egress-render explain invalid-host`. Without CODE,
    /// list every code.
    Explain {
        /// The code, as printed in brackets: `invalid-host`, `port-ignored`.
        code: Option<String>,
        /// Print every code's explanation as Markdown (docs/rules.md).
        #[arg(long, hide = true)]
        markdown: bool,
    },
    /// Print the man page (roff).
    ///
    /// For example `egress-render man > ~/.local/share/man/man1/egress-render.1`.
    Man,
}
