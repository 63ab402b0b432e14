//! Turning PATH arguments into (label, bytes) inputs: files, directories
//! (their `*.yaml`/`*.yml`, recursively, in sorted order) and `-` for stdin.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input stream and the label errors name it by.
struct Input {
    label: String,
    bytes: Vec<u8>,
}

/// Read every input named by `paths` (stdin when empty). A path that cannot
/// be read is an error message naming it; the others are still read so all
/// problems are reported together.
fn read_all(paths: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let stdin_only = [PathBuf::from("-")];
    let paths = if paths.is_empty() {
        &stdin_only[..]
    } else {
        paths
    };
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_read {
                continue;
            }
            stdin_read = true;
            let mut bytes = Vec::new();
            match std::io::stdin().lock().read_to_end(&mut bytes) {
                Ok(_) => inputs.push(Input {
                    label: "<stdin>".to_string(),
                    bytes,
                }),
                Err(e) => errors.push(format!("error: cannot read standard input: {e}")),
            }
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                let mut visited = Vec::new();
                if let Err(e) = yaml_files(path, &mut files, &mut visited) {
                    errors.push(format!(
                        "error: cannot read directory {}: {e}",
                        path.display()
                    ));
                }
                files.sort();
                for file in files {
                    read_file(&file, &mut inputs, &mut errors);
                }
            }
            Ok(_) => read_file(path, &mut inputs, &mut errors),
            Err(e) => errors.push(format!("error: cannot read {}: {e}", path.display())),
        }
    }
    (inputs, errors)
}

fn read_file(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<String>) {
    // Refuse oversized files before reading them into memory (SPEC §1).
    if let Ok(meta) = fs::metadata(path) {
        if meta.len() > egress_render::MAX_INPUT_BYTES as u64 {
            errors.push(format!(
                "error: {} is {} bytes, more than the 256 MiB limit per file\n  = help: split it into several files",
                path.display(),
                meta.len()
            ));
            return;
        }
    }
    match fs::read(path) {
        Ok(bytes) => inputs.push(Input {
            label: path.display().to_string(),
            bytes,
        }),
        Err(e) => errors.push(format!("error: cannot read {}: {e}", path.display())),
    }
}

/// The `*.yaml`/`*.yml` files under `dir`. A directory reached twice (a
/// symlink back up the tree) is read once, so a loop neither recurses until
/// the OS refuses the path nor reads the same Packages again.
fn yaml_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    let real = fs::canonicalize(dir)?;
    if visited.contains(&real) {
        return Ok(());
    }
    visited.push(real);
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            yaml_files(&path, out, visited)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

/// Everything read from PATH arguments: the packages and the problems the
/// library found in them, and the paths that could not be read.
pub struct Loaded {
    pub parsed: egress_render::Parsed,
    pub read_errors: Vec<String>,
}

/// Read and parse every input named by `paths`, freeing each input as soon
/// as it is parsed.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let (inputs, read_errors) = read_all(paths);
    let mut parsed = egress_render::Parsed::default();
    for input in inputs {
        parsed.append(egress_render::parse(&input.label, &input.bytes));
    }
    Loaded {
        parsed,
        read_errors,
    }
}
