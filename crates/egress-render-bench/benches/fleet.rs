//! End-to-end benchmark: the release `egress-render` binary on synthetic
//! fleets, against the floor of the same YAML library reading the input
//! and writing the output alone. Prints a table and checks the targets of
//! docs/performance.md. `cargo bench -p egress-render-bench` or `just bench`.
//!
//! Environment: `BENCH_RUNS` (timed runs per case, default 5),
//! `BENCH_BIN` (a prebuilt egress-render to measure instead of building one),
//! `BENCH_CASES` (comma-separated case names to run, default all).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::result_large_err)]

use egress_render::Rendered;
use egress_render_bench::{floor_parse, Fleet, IoWriter};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME: &str = "/usr/bin/time";

struct Case {
    name: &'static str,
    fleet: Fleet,
}

/// One measured run of the CLI.
struct Run {
    wall: Duration,
    cpu: Option<Duration>,
    max_rss_kb: Option<u64>,
}

struct Row {
    /// Median over runs of render CPU / floor CPU of the same run.
    pair_ratio: Option<f64>,
    /// In-process CPU time of each stage: library parse, render, to_yaml;
    /// floor parse, floor write.
    stages: [Duration; 5],
    name: &'static str,
    packages: usize,
    input: usize,
    output: usize,
    render: Duration,
    cpu: Option<Duration>,
    floor: Duration,
    floor_cpu: Option<Duration>,
    rss_kb: Option<u64>,
}

impl Row {
    fn rss_limit_kb(&self) -> u64 {
        (4 * (self.input + self.output) as u64 + 20 * 1024 * 1024) / 1024
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    // The floor runs in a fresh process of this same binary, so that it pays
    // for its own fresh memory (page faults) as the CLI does.
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, input] = &args[..] {
        if flag == "--floor-child" {
            floor_child(Path::new(input));
            return;
        }
    }
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = match std::env::var_os("BENCH_BIN") {
        Some(b) => PathBuf::from(b),
        None => build_cli(&root),
    };
    let has_time = Path::new(TIME).exists();
    if !has_time {
        eprintln!("note: {TIME} not found; peak RSS is not measured");
    }
    let dir = std::env::temp_dir().join("egress-render-bench");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }

    let spread = |packages| Fleet {
        packages,
        rules: 3,
        hosts: 2_000,
        ..Fleet::default()
    };
    let hot = |packages| Fleet {
        hot_host: true,
        ..spread(packages)
    };
    let mut cases = vec![
        Case {
            name: "spread-1k",
            fleet: spread(1_000),
        },
        Case {
            name: "spread-10k",
            fleet: spread(10_000),
        },
        Case {
            name: "spread-40k",
            fleet: spread(40_000),
        },
        Case {
            name: "hot-10k",
            fleet: hot(10_000),
        },
        Case {
            name: "hot-40k",
            fleet: hot(40_000),
        },
    ];
    if let Ok(only) = std::env::var("BENCH_CASES") {
        let only: Vec<&str> = only.split(',').map(str::trim).collect();
        cases.retain(|c| only.contains(&c.name));
    }

    println!(
        "egress-render {} on {} runs each (medians; K = 3 rules per package, H = 2,000 hosts)",
        bin.display(),
        runs
    );
    let mut rows = Vec::new();
    for case in &cases {
        rows.push(measure(case, &bin, &dir, runs, has_time));
    }
    print_table(&rows);
    check_targets(&rows);
}

/// Build the release CLI and return its path.
fn build_cli(root: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "egress-render-cli",
            "--bin",
            "egress-render",
        ])
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!("cargo build --release -p egress-render-cli failed: {other:?}"),
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    target.join("release").join("egress-render")
}

fn measure(case: &Case, bin: &Path, dir: &Path, runs: usize, has_time: bool) -> Row {
    let yaml = case.fleet.yaml();
    let input_path = dir.join(format!("{}.yaml", case.name));
    let output_path = dir.join(format!("{}.out.yaml", case.name));
    if let Err(e) = std::fs::write(&input_path, &yaml) {
        panic!("cannot write {}: {e}", input_path.display());
    }

    // What the CLI must print: the library's rendering of the fleet.
    let parsed = egress_render::parse("fleet.yaml", yaml.as_bytes());
    assert!(
        parsed.errors.is_empty(),
        "{}: fleet does not parse",
        case.name
    );
    let expected = match parsed.render(&egress_render::Options::default()) {
        Ok(r) => r.to_yaml(),
        Err(e) => panic!("{}: fleet does not render: {}", case.name, e.0[0]),
    };
    let expected = expected.unwrap_or_else(|e| panic!("{}: cannot serialize: {e}", case.name));
    drop(parsed);
    drop(yaml);

    // Warm-up run, kept: its output is the output size, and must match the
    // in-process render.
    let first = run_cli(bin, &input_path, Some(&output_path), has_time);
    let output = std::fs::read(&output_path).unwrap_or_default();
    assert!(
        output == expected.as_bytes(),
        "{}: the CLI's output differs from the library's",
        case.name
    );
    let _ = first;
    drop(expected);

    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss = Vec::new();
    let mut floors = Vec::new();
    let mut floor_cpus = Vec::new();
    let mut pair_ratios: Vec<f64> = Vec::new();
    for _ in 0..runs {
        // Interleaved, so that load from elsewhere hits both alike.
        let r = run_cli(bin, &input_path, None, has_time);
        walls.push(r.wall);
        cpus.extend(r.cpu);
        rss.extend(r.max_rss_kb);
        let (wall, cpu) = floor_in_child(&input_path);
        floors.push(wall);
        floor_cpus.extend(cpu);
        // The pair ran back to back, under about the same load.
        if let (Some(r), Some(f)) = (r.cpu, cpu) {
            pair_ratios.push(ms(r) / ms(f).max(f64::MIN_POSITIVE));
        }
    }
    rss.sort_unstable();
    let stages = stages(&input_path);
    pair_ratios.sort_by(f64::total_cmp);
    Row {
        pair_ratio: pair_ratios.get(pair_ratios.len() / 2).copied(),
        stages,
        name: case.name,
        packages: case.fleet.packages,
        input: std::fs::metadata(&input_path).map_or(0, |m| m.len() as usize),
        output: output.len(),
        render: median(walls),
        cpu: (!cpus.is_empty()).then(|| median(cpus)),
        floor: median(floors),
        floor_cpu: (!floor_cpus.is_empty()).then(|| median(floor_cpus)),
        rss_kb: rss.get(rss.len() / 2).copied(),
    }
}

/// One run of the CLI on `input`, stdout to `out` (or /dev/null).
fn run_cli(bin: &Path, input: &Path, out: Option<&Path>, has_time: bool) -> Run {
    let stdout = match out {
        Some(p) => File::create(p),
        None => File::create("/dev/null"),
    }
    .unwrap_or_else(|e| panic!("cannot open output: {e}"));
    let time_file = std::env::temp_dir().join("egress-render-bench/time.txt");
    let mut cmd = if has_time {
        let mut c = Command::new(TIME);
        c.arg("-f")
            .arg("%U %S %M")
            .arg("-o")
            .arg(&time_file)
            .arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg(input)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    let start = Instant::now();
    let result = cmd.output();
    let wall = start.elapsed();
    let result = result.unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        result.status.success() && result.stderr.is_empty(),
        "egress-render failed on {}: {}",
        input.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    let (mut cpu, mut max_rss_kb) = (None, None);
    if has_time {
        let text = std::fs::read_to_string(&time_file).unwrap_or_default();
        let fields: Vec<&str> = text.split_whitespace().collect();
        if let [user, sys, rss] = fields[..] {
            let secs = user.parse::<f64>().unwrap_or(0.0) + sys.parse::<f64>().unwrap_or(0.0);
            cpu = Some(Duration::from_secs_f64(secs));
            max_rss_kb = rss.parse().ok();
        }
    }
    Run {
        wall,
        cpu,
        max_rss_kb,
    }
}

/// CPU time of each stage, in process: the library's parse, render and
/// to_yaml, then the floor's parse and write.
fn stages(input: &Path) -> [Duration; 5] {
    let text = std::fs::read_to_string(input).unwrap_or_default();
    let mut marks = vec![thread_cpu().unwrap_or_default()];
    let mut mark = || marks.push(thread_cpu().unwrap_or_default());
    let parsed = egress_render::parse("fleet.yaml", text.as_bytes());
    mark();
    let rendered = egress_render::render(&parsed.packages, &egress_render::Options::default());
    mark();
    let out = rendered.as_ref().map(|r| r.to_yaml());
    mark();
    let docs = floor_parse(&text);
    mark();
    let mut floor_out = String::new();
    let written = rendered.as_ref().map(|r| r.write_yaml(&mut floor_out));
    mark();
    assert!(out.is_ok() && docs.is_ok() && written.is_ok());
    let mut d = [Duration::ZERO; 5];
    for (i, w) in marks.windows(2).enumerate() {
        if let (Some(slot), [a, b]) = (d.get_mut(i), w) {
            *slot = b.saturating_sub(*a);
        }
    }
    d
}

/// CPU time of the calling thread (from /proc/thread-self/schedstat, in
/// nanoseconds), or `None` where it is not available.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    (ns > 0).then(|| Duration::from_nanos(ns))
}

/// Run [`floor_child`] in a fresh process; its (wall, CPU) time.
fn floor_in_child(input: &Path) -> (Duration, Option<Duration>) {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no current exe: {e}"));
    let out = Command::new(exe)
        .arg("--floor-child")
        .arg(input)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run the floor: {e}"));
    assert!(
        out.status.success(),
        "floor failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut nums = text.split_whitespace().map(|n| n.parse::<u64>().ok());
    let wall = nums.next().flatten().map(Duration::from_nanos);
    let cpu = nums.next().flatten().map(Duration::from_nanos);
    (wall.unwrap_or_default(), cpu)
}

/// The floor process: render the input in process (not timed; the
/// packages are kept, not freed, so the timed part gets fresh memory as the
/// CLI does), then time [`floor`] and print "wall_ns cpu_ns".
fn floor_child(input: &Path) {
    let text = std::fs::read_to_string(input).unwrap_or_default();
    let parsed = egress_render::parse("fleet.yaml", text.as_bytes());
    let rendered = egress_render::render(&parsed.packages, &egress_render::Options::default());
    let Ok(rendered) = rendered else {
        panic!("the fleet does not render")
    };
    std::mem::forget(parsed);
    drop(text);
    let (wall, cpu) = floor(input, &rendered);
    println!(
        "{} {}",
        wall.as_nanos(),
        cpu.map_or("-".to_string(), |c| c.as_nanos().to_string())
    );
    // Exit without freeing, as the CLI does.
    std::mem::forget(rendered);
}

/// The floor: read the input file, parse every document into a generic
/// tree, write the rendered manifests with the library's YAML writer into
/// /dev/null. Returns (wall, CPU) time.
fn floor(input: &Path, rendered: &Rendered) -> (Duration, Option<Duration>) {
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let text = std::fs::read_to_string(input).unwrap_or_default();
    let docs = floor_parse(&text).unwrap_or_else(|e| panic!("floor parse: {e}"));
    // Streamed through a 64 KiB buffer, as the CLI writes.
    let sink = File::create("/dev/null").unwrap_or_else(|e| panic!("/dev/null: {e}"));
    let mut out = IoWriter(std::io::BufWriter::with_capacity(1 << 16, sink));
    (rendered.write_yaml(&mut out)).unwrap_or_else(|e| panic!("floor write: {e}"));
    let written = out.0.flush();
    let elapsed = start.elapsed();
    let cpu = thread_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    assert!(written.is_ok() && !docs.is_empty());
    // Not freed, as the CLI does not free its documents either.
    std::mem::forget(docs);
    (elapsed, cpu)
}

impl Row {
    /// The time the targets are checked on: CPU time (user + system) when
    /// both sides have it, as the machine is shared; wall time otherwise.
    fn times(&self) -> (Duration, Duration) {
        match (self.cpu, self.floor_cpu) {
            (Some(r), Some(f)) => (r, f),
            _ => (self.render, self.floor),
        }
    }
    /// render / floor: the median of the runs' own ratios (each run's CLI
    /// and floor ran back to back, so load from elsewhere cancels out best),
    /// else the ratio of the medians.
    fn ratio(&self) -> f64 {
        let (r, f) = self.times();
        self.pair_ratio
            .unwrap_or_else(|| ms(r) / ms(f).max(f64::MIN_POSITIVE))
    }
}

fn opt_ms(d: Option<Duration>) -> String {
    d.map_or("n/a".to_string(), |d| format!("{:.0}", ms(d)))
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| case | packages | input MiB | output MiB | render CPU ms | floor CPU ms | render/floor | render wall ms | floor wall ms | peak RSS MiB | RSS limit MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let rss = r
            .rss_kb
            .map_or("n/a".to_string(), |k| format!("{:.1}", k as f64 / 1024.0));
        println!(
            "| {} | {} | {:.1} | {:.1} | {} | {} | {:.2} | {:.0} | {:.0} | {} | {:.1} |",
            r.name,
            r.packages,
            mib(r.input),
            mib(r.output),
            opt_ms(r.cpu),
            opt_ms(r.floor_cpu),
            r.ratio(),
            ms(r.render),
            ms(r.floor),
            rss,
            r.rss_limit_kb() as f64 / 1024.0,
        );
    }
    println!();
    println!("In-process CPU ms per stage (one run; the library's parse, render, to_yaml against the floor's parse, write):");
    println!();
    println!("| case | parse | render | to_yaml | floor parse | floor write |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let [a, b, c, d, e] = r.stages.map(ms);
        println!(
            "| {} | {a:.0} | {b:.0} | {c:.0} | {d:.0} | {e:.0} |",
            r.name
        );
    }
    println!();
}

fn check_targets(rows: &[Row]) {
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    let mut checks: Vec<(String, bool)> = Vec::new();
    if let Some(r) = find("spread-10k") {
        let ratio = r.ratio();
        checks.push((
            format!("render <= 1.3 x floor at N = 10,000: {ratio:.2}"),
            ratio <= 1.3,
        ));
    }
    for (small, large) in [("spread-10k", "spread-40k"), ("hot-10k", "hot-40k")] {
        if let (Some(a), Some(b)) = (find(small), find(large)) {
            let ratio = ms(b.times().0) / ms(a.times().0);
            checks.push((
                format!("time({large}) <= 4.6 x time({small}): {ratio:.2}"),
                ratio <= 4.6,
            ));
        }
    }
    for r in rows {
        if let Some(kb) = r.rss_kb {
            checks.push((
                format!(
                    "{}: peak RSS {:.1} MiB <= 4 x (in + out) + 20 MiB = {:.1} MiB",
                    r.name,
                    kb as f64 / 1024.0,
                    r.rss_limit_kb() as f64 / 1024.0
                ),
                kb <= r.rss_limit_kb(),
            ));
        }
    }
    for (what, ok) in &checks {
        println!("{} {what}", if *ok { "ok  " } else { "MISS" });
    }
}
