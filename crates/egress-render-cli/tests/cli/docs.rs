//! The worked examples in `docs/*.md` are real runs of the binary: each one
//! is re-run here and must print exactly what the document shows, so the
//! documentation cannot drift from the tool.
//!
//! A document marks its examples with HTML comments (invisible when the
//! Markdown is rendered), each followed by a fenced block:
//!
//! - `<!-- file: NAME -->`: the block is written to NAME in the document's
//!   scratch directory (files persist for the document's later runs);
//! - `<!-- run -->`: the block is one line `$ egress-render ARGS…`, run in
//!   that directory with stdin closed (ARGS split on spaces, no quoting);
//! - `<!-- stdout -->`, `<!-- stderr -->`: what that run prints; a stream
//!   without a block must be empty;
//! - `<!-- exit: N -->` (no block): the run's exit status; 0 when absent.
//!
//! After a deliberate behaviour change, `EGRESS_RENDER_BLESS=1 cargo test -p
//! egress-render-cli --test cli docs::` rewrites the stdout and stderr
//! blocks; read the diff before committing it.

use crate::harness::{repo, Test};
use std::fs;
use std::path::{Path, PathBuf};

/// What a marker introduces.
#[derive(Debug, Clone, PartialEq)]
enum Marker {
    File(String),
    Run,
    Stdout,
    Stderr,
    Exit(i32),
}

/// A marker and, unless it is `exit`, its fenced block: the block's text
/// and the range of its content lines in the document.
#[derive(Debug)]
struct Block {
    marker: Marker,
    text: String,
    lines: std::ops::Range<usize>,
    /// Line number of the marker, from 1, for messages.
    at: usize,
}

fn parse_marker(line: &str) -> Option<Marker> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    if let Some(name) = inner.strip_prefix("file:") {
        return Some(Marker::File(name.trim().to_string()));
    }
    if let Some(code) = inner.strip_prefix("exit:") {
        return Some(Marker::Exit(code.trim().parse().expect("exit: N")));
    }
    match inner {
        "run" => Some(Marker::Run),
        "stdout" => Some(Marker::Stdout),
        "stderr" => Some(Marker::Stderr),
        _ => None,
    }
}

/// Every marked block of a document, in order.
fn blocks(doc: &str, name: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(marker) = parse_marker(lines[i]) else {
            i += 1;
            continue;
        };
        let at = i + 1;
        if let Marker::Exit(_) = marker {
            out.push(Block {
                marker,
                text: String::new(),
                lines: 0..0,
                at,
            });
            i += 1;
            continue;
        }
        let mut open = i + 1;
        while open < lines.len() && lines[open].trim().is_empty() {
            open += 1;
        }
        assert!(
            open < lines.len() && lines[open].starts_with("```"),
            "{name}:{at}: the marker must be followed by a fenced block"
        );
        let close = (open + 1..lines.len())
            .find(|&j| lines[j] == "```")
            .unwrap_or_else(|| panic!("{name}:{at}: unclosed fenced block"));
        let mut text = String::new();
        for line in &lines[open + 1..close] {
            text.push_str(line);
            text.push('\n');
        }
        out.push(Block {
            marker,
            text,
            lines: open + 1..close,
            at,
        });
        i = close + 1;
    }
    out
}

/// One `run` and what the document says it prints.
struct Example<'a> {
    run: &'a Block,
    stdout: Option<&'a Block>,
    stderr: Option<&'a Block>,
    exit: i32,
}

fn docs_dir() -> PathBuf {
    repo().join("docs")
}

/// Run every example of one document; return the problems, and the blessed
/// text when blessing.
fn check_document(path: &Path, bless: bool) -> (Vec<String>, Option<String>, usize) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let doc = fs::read_to_string(path).expect("readable doc");
    let blocks = blocks(&doc, &name);
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("docs")
        .join(&name);
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();

    let mut examples: Vec<Example> = Vec::new();
    for b in &blocks {
        match &b.marker {
            // Written just before the run that follows them (below).
            Marker::File(_) => {}
            Marker::Run => examples.push(Example {
                run: b,
                stdout: None,
                stderr: None,
                exit: 0,
            }),
            Marker::Stdout | Marker::Stderr | Marker::Exit(_) => {
                let e = examples
                    .last_mut()
                    .unwrap_or_else(|| panic!("{name}:{}: output before any run", b.at));
                match b.marker {
                    Marker::Stdout => e.stdout = Some(b),
                    Marker::Stderr => e.stderr = Some(b),
                    Marker::Exit(code) => e.exit = code,
                    _ => unreachable!(),
                }
            }
        }
    }

    let mut problems = Vec::new();
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut files = blocks
        .iter()
        .filter(|b| matches!(b.marker, Marker::File(_)));
    let mut next_file = files.next();
    for e in &examples {
        // Write the files declared before this run.
        while let Some(f) = next_file.filter(|f| f.at < e.run.at) {
            if let Marker::File(file) = &f.marker {
                let dest = scratch.join(file);
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).unwrap();
                }
                fs::write(dest, &f.text).unwrap();
            }
            next_file = files.next();
        }
        let line = e.run.text.trim();
        let args: Vec<&str> = line
            .strip_prefix("$ egress-render")
            .unwrap_or_else(|| {
                panic!(
                    "{name}:{}: a run block is one line `$ egress-render ARGS`",
                    e.run.at
                )
            })
            .split_whitespace()
            .collect();
        let out = Test::new().args(&args).current_dir(&scratch).run();
        let (stdout, stderr) = (out.stdout, out.stderr);
        if out.code != Some(e.exit) {
            problems.push(format!(
                "{name}:{}: `{line}` exited {:?}, the document says {}\n{stderr}",
                e.run.at, out.code, e.exit
            ));
        }
        for (stream, actual, block) in
            [("stdout", &stdout, e.stdout), ("stderr", &stderr, e.stderr)]
        {
            match block {
                Some(b) if b.text != *actual => {
                    if bless {
                        replacements.push((b.lines.clone(), actual.clone()));
                    } else {
                        problems.push(format!(
                            "{name}:{}: {stream} of `{line}` differs from the document (- document, + actual):\n{}",
                            b.at,
                            similar::TextDiff::from_lines(&b.text, actual).unified_diff()
                        ));
                    }
                }
                None if !actual.is_empty() => problems.push(format!(
                    "{name}:{}: `{line}` printed on {stream}, but the document shows no {stream} block:\n{actual}",
                    e.run.at
                )),
                _ => {}
            }
        }
    }

    let blessed = (!replacements.is_empty()).then(|| {
        let lines: Vec<&str> = doc.lines().collect();
        let mut text = String::new();
        let mut i = 0;
        replacements.sort_by_key(|(r, _)| r.start);
        for (range, new) in &replacements {
            for line in &lines[i..range.start] {
                text.push_str(line);
                text.push('\n');
            }
            text.push_str(new);
            i = range.end;
        }
        for line in &lines[i..] {
            text.push_str(line);
            text.push('\n');
        }
        text
    });
    (problems, blessed, examples.len())
}

#[test]
fn documented_examples_match_the_tool() {
    let bless = std::env::var_os("EGRESS_RENDER_BLESS").is_some();
    let mut problems = Vec::new();
    let mut runs = 0;
    let mut paths: Vec<PathBuf> = fs::read_dir(docs_dir())
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    for path in &paths {
        let (p, blessed, n) = check_document(path, bless);
        problems.extend(p);
        runs += n;
        if let Some(text) = blessed {
            fs::write(path, text).unwrap();
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // modes.md alone has a worked example per mode.
    assert!(runs >= 2, "only {runs} documented runs found");
}

/// The marker parser itself: a document whose output is wrong is caught.
#[test]
fn a_drifted_example_is_reported() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("docs-drift");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("drift.md");
    fs::write(
        &doc,
        "<!-- file: p.yaml -->\n```yaml\napiVersion: uds.dev/v1alpha1\nkind: Package\nmetadata: {name: a, namespace: b}\nspec:\n  network:\n    allow:\n      - {direction: Egress, remoteHost: x.example.com}\n```\n\n\
         <!-- run -->\n```sh\n$ egress-render p.yaml -o json\n```\n<!-- stdout -->\n```json\n{}\n```\n",
    )
    .unwrap();
    let (problems, _, runs) = check_document(&doc, false);
    assert_eq!(runs, 1);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("stdout of `$ egress-render p.yaml -o json` differs"));
    assert!(
        problems[0].contains("+  \"kind\": \"List\","),
        "{}",
        problems[0]
    );
}

/// docs/options.md describes every option and subcommand `--help` lists.
#[test]
fn options_doc_covers_every_option() {
    let help = Test::new().arg("--help").run().stdout;
    let doc = fs::read_to_string(docs_dir().join("options.md")).unwrap();
    let mut options: Vec<&str> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect();
    options.sort();
    options.dedup();
    assert!(options.len() >= 10, "found only {options:?} in --help");
    for option in options {
        let described = doc.match_indices(option).any(|(i, _)| {
            !doc[i + option.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
        });
        assert!(described, "docs/options.md does not describe {option}");
    }
    for command in ["completions", "man"] {
        assert!(
            help.contains(&format!("  {command}  ")),
            "--help lists {command}"
        );
        assert!(
            doc.contains(&format!("`{command}")),
            "docs/options.md does not describe {command}"
        );
    }
}

/// The README and every page of docs/ are free of merge-conflict markers
/// (a merge once left `<<<<<<< HEAD` in the README's layout section).
#[test]
fn no_document_holds_a_merge_conflict_marker() {
    let mut pages = vec![repo().join("README.md")];
    for entry in fs::read_dir(docs_dir()).expect("docs/") {
        let path = entry.expect("docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    for page in pages {
        let text = fs::read_to_string(&page).expect("a Markdown page");
        for (n, line) in text.lines().enumerate() {
            let marker =
                line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> ") || line == "=======";
            assert!(
                !marker,
                "{}:{}: merge-conflict marker {line:?}",
                page.display(),
                n + 1
            );
        }
    }
}
