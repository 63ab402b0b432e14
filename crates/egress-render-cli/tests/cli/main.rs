//! End-to-end tests of the `egress-render` binary, one module per area, all
//! run through the one builder of `harness` (`Test::new().args(…).run()`).
//!
//! - `render`: the main command: exit status, stdout and stderr, inputs,
//!   order independence, the committed examples;
//! - `errors`: every `fixtures/error-*.yaml`, snapshotted as the binary
//!   prints it (`snapshots/cli-error@*.snap`), and all problems in one run;
//! - `gitops`: `--check`, `--deny-warnings`, `-q`, every warning,
//!   `completions` and `man`;
//! - `report`: `egress-render report` and its snapshots
//!   (`snapshots/report/`);
//! - `docs`: the worked examples of `docs/*.md`;
//! - `robustness`: hostile and huge input (the biggest cases are
//!   `#[ignore]`d: `just stress`).

mod ci_jobs;
mod conformance;
mod docs;
mod errors;
mod gitops;
mod harness;
mod messages;
mod render;
mod report;
mod robustness;
mod walk;
