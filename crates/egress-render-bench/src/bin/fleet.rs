//! `fleet`: print a synthetic Package fleet (a YAML stream) on stdout.
//!
//! `cargo run -p egress-render-bench --bin fleet -- --packages 10000
//! [--rules 3] [--hosts 2000] [--hot-host] [--mode mixed|ambient|sidecar]
//! [--seed 1] > fleet.yaml`

use egress_render_bench::{Fleet, Modes};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut fleet = Fleet::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |what: &str| -> Result<u64, String> {
            let v = args.next().ok_or(format!("{what} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{what}: {v:?} is not a number"))
        };
        let result = match arg.as_str() {
            "--packages" | "-n" => number(&arg).map(|v| fleet.packages = v as usize),
            "--rules" | "-k" => number(&arg).map(|v| fleet.rules = v as usize),
            "--hosts" => number(&arg).map(|v| fleet.hosts = v as usize),
            "--seed" => number(&arg).map(|v| fleet.seed = v),
            "--hot-host" => {
                fleet.hot_host = true;
                Ok(())
            }
            "--mode" => match args.next().as_deref() {
                Some("mixed") => Ok(Modes::Mixed),
                Some("ambient") => Ok(Modes::Ambient),
                Some("sidecar") => Ok(Modes::Sidecar),
                other => Err(format!(
                    "--mode: {other:?} is not mixed, ambient or sidecar"
                )),
            }
            .map(|m| fleet.modes = m),
            "-h" | "--help" => {
                println!(
                    "usage: fleet [--packages N] [--rules K] [--hosts H] [--hot-host] [--mode mixed|ambient|sidecar] [--seed S]"
                );
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument {other:?} (see --help)")),
        };
        if let Err(e) = result {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(fleet.yaml().as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
