//! Turning PATH arguments into (label, bytes) inputs: files, directories
//! and `-` for stdin.
//!
//! Every read is capped while reading at [`egress_render::MAX_INPUT_BYTES`]
//! plus one byte, so a device, a FIFO or a `/proc` file (whose metadata
//! says 0 bytes) cannot fill memory. A directory is walked as a repository
//! is: its `*.yaml`/`*.yml` files in any letter case, recursively, in sorted
//! order; hidden entries, non-regular files, `--exclude`d paths and
//! symbolic links that leave the directory are skipped (the last with a
//! note); a file reached twice is read once.

use crate::explain;
use crate::messages::{Diagnostic, Level};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// The most bytes one input may have.
const LIMIT: usize = egress_render::MAX_INPUT_BYTES;

/// One input stream and the label errors name it by.
struct Input {
    label: String,
    bytes: Vec<u8>,
    /// A Helm chart's template, by where it is or what it holds: a YAML
    /// error in it gets the hint to render the chart first.
    helm: bool,
}

/// A path that could not be read, and why.
#[derive(Debug, Clone)]
pub struct ReadError {
    /// The path as given (escaped), or `<stdin>`.
    pub file: String,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl ReadError {
    /// This problem as a message of the machine formats.
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            help: self.help.clone(),
            file: Some(self.file.clone()).filter(|f| f != "<stdin>"),
            ..Diagnostic::new(
                explain::READ,
                Level::Error,
                self.message.clone(),
                self.to_string(),
            )
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

/// `path` for messages: as given, with control characters (a newline or an
/// escape sequence in a file name) escaped so a name cannot forge output.
pub fn shown(path: &Path) -> String {
    escape(&path.display().to_string())
}

/// `text` with control characters escaped (`\n`, `\u{1b}`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Read at most [`LIMIT`] bytes from `reader`; more is an error message
/// naming `what`. The cap holds while reading, whatever the source says its
/// length is.
pub fn read_capped(reader: impl Read, what: &str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    let cap = u64::try_from(LIMIT).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError {
            file: what.to_string(),
            message: format!("cannot read {what}: {e}"),
            help: None,
        })?;
    if bytes.len() > LIMIT {
        return Err(too_big(what, None));
    }
    Ok(bytes)
}

/// The error for an input over the limit (`len` when known beforehand).
fn too_big(what: &str, len: Option<u64>) -> ReadError {
    let message = match len {
        Some(n) => format!("{what} is {n} bytes, more than the 256 MiB limit per file"),
        None => format!("{what} is more than the 256 MiB limit per file (reading stopped there)"),
    };
    ReadError {
        file: what.to_string(),
        message,
        help: Some("split it into several files".to_string()),
    }
}

/// Read the file at `path` (a regular file, a FIFO, `/dev/fd/N`), capped.
pub fn read_path(path: &Path) -> Result<Vec<u8>, ReadError> {
    let what = shown(path);
    let file = fs::File::open(path).map_err(|e| ReadError {
        file: what.clone(),
        message: format!("cannot read {what}: {e}"),
        help: None,
    })?;
    // A regular file over the limit is refused unread.
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > LIMIT as u64 {
            return Err(too_big(&what, Some(meta.len())));
        }
    }
    read_capped(file, &what)
}

/// How directories are walked: the `--exclude` globs.
#[derive(Default)]
pub struct Walk {
    /// Patterns matched against files and directories.
    any: GlobSet,
    /// Patterns written with a trailing `/`: directories only.
    dirs: GlobSet,
}

impl Walk {
    /// A walk that skips what `patterns` (gitignore-style) match. Each
    /// pattern was checked by [`exclude_glob`].
    pub fn new(patterns: &[String]) -> Self {
        let mut any = GlobSetBuilder::new();
        let mut dirs = GlobSetBuilder::new();
        for p in patterns {
            let (dir_only, glob) = gitignore_glob(p);
            if let Ok(glob) = GlobBuilder::new(&glob).literal_separator(true).build() {
                if dir_only {
                    dirs.add(glob);
                } else {
                    any.add(glob);
                }
            }
        }
        Walk {
            any: any.build().unwrap_or_default(),
            dirs: dirs.build().unwrap_or_default(),
        }
    }

    /// Whether `rel` (relative to the walked directory, `/`-separated) is
    /// excluded.
    fn excludes(&self, rel: &str, is_dir: bool) -> bool {
        self.any.is_match(rel) || (is_dir && self.dirs.is_match(rel))
    }
}

/// A gitignore-style pattern as a glob on paths relative to the walked
/// directory: whether it matches directories only (a trailing `/`), and
/// the glob. A pattern with a `/` before its end is anchored to the
/// directory; one without matches a name at any depth.
fn gitignore_glob(pattern: &str) -> (bool, String) {
    let dir_only = pattern.ends_with('/');
    let p = pattern.trim_end_matches('/');
    let glob = match p.strip_prefix('/') {
        Some(anchored) => anchored.to_string(),
        None if p.contains('/') => p.to_string(),
        None => format!("**/{p}"),
    };
    (dir_only, glob)
}

/// `--exclude`'s value parser: a glob that compiles, without negation.
pub fn exclude_glob(s: &str) -> Result<String, String> {
    if s.starts_with('!') {
        return Err("negated patterns (!) are not supported; list what to exclude".to_string());
    }
    if s.trim_matches('/').is_empty() {
        return Err("the pattern is empty".to_string());
    }
    let (_, glob) = gitignore_glob(s);
    GlobBuilder::new(&glob)
        .literal_separator(true)
        .build()
        .map(|_| s.to_string())
        .map_err(|e| e.kind().to_string())
}

/// Whether `path` names a YAML file: `.yaml` or `.yml`, in any case.
fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Whether `path` is in a Helm chart's `templates/` directory.
fn in_templates(path: &Path) -> bool {
    path.parent().is_some_and(|dir| {
        dir.components()
            .any(|c| c == Component::Normal("templates".as_ref()))
    })
}

/// Everything the walk of the inputs found.
#[derive(Default)]
struct Reader {
    inputs: Vec<Input>,
    errors: Vec<ReadError>,
    notes: Vec<Diagnostic>,
    /// The real paths of the files read, so one is read once.
    files: HashSet<PathBuf>,
    /// The real paths of the directories walked, so a loop ends.
    dirs: HashSet<PathBuf>,
    /// Symbolic links to directories within the walked one, walked after
    /// it (path, relative path) when their target was not walked already.
    links: Vec<(PathBuf, String)>,
}

impl Reader {
    /// A note that `path` was skipped, and why.
    fn note(&mut self, path: &Path, why: String) {
        let file = shown(path);
        let message = format!("skipped {file}: {why}");
        let human = format!("note: {message}");
        self.notes.push(Diagnostic {
            file: Some(file),
            ..Diagnostic::new(explain::SKIPPED, Level::Note, message, human)
        });
    }

    fn error(&mut self, path: &Path, e: &io::Error) {
        let what = shown(path);
        self.errors.push(ReadError {
            file: what.clone(),
            message: format!("cannot read {what}: {e}"),
            help: None,
        });
    }

    /// Read one file, unless its real path was read already.
    fn file(&mut self, path: &Path) {
        if let Ok(real) = fs::canonicalize(path) {
            // A pipe (`<(…)`) has no real path; it is read as given.
            if !self.files.insert(real) {
                return;
            }
        }
        match read_path(path) {
            Ok(bytes) => {
                let helm = in_templates(path) || bytes.windows(2).any(|w| w == b"{{");
                self.inputs.push(Input {
                    label: shown(path),
                    bytes,
                    helm,
                });
            }
            Err(e) => self.errors.push(e),
        }
    }

    /// Walk the directory `root`.
    fn walk(&mut self, root: &Path, walk: &Walk) {
        match fs::canonicalize(root) {
            Ok(real) => {
                self.dirs.insert(real.clone());
                let top = Top {
                    real,
                    label: shown(root),
                };
                self.dir(root, "", &top, walk);
                // A linked directory is walked under its own name only
                // when the walk did not reach it (a hidden or excluded
                // target): files keep their real paths as labels.
                while !self.links.is_empty() {
                    for (path, rel) in std::mem::take(&mut self.links) {
                        if let Ok(real) = fs::canonicalize(&path) {
                            if self.dirs.insert(real) {
                                self.dir(&path, &rel, &top, walk);
                            }
                        }
                    }
                }
            }
            Err(e) => self.error(root, &e),
        }
    }

    /// The entries of `dir` (`rel` from the walked directory `top`), in
    /// name order.
    fn dir(&mut self, dir: &Path, rel: &str, top: &Top, walk: &Walk) {
        let mut entries: Vec<fs::DirEntry> = match fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(Result::ok).collect(),
            Err(e) => return self.error(dir, &e),
        };
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            let Some(name_str) = name.to_str() else {
                // Not UTF-8: cannot be matched or labelled faithfully.
                if !name.as_encoded_bytes().starts_with(b".") {
                    self.note(&entry.path(), "the name is not UTF-8".to_string());
                }
                continue;
            };
            if name_str.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = if rel.is_empty() {
                name_str.to_string()
            } else {
                format!("{rel}/{name_str}")
            };
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            let is_link = file_type.is_symlink();
            let (is_dir, is_file) = if is_link {
                let target =
                    fs::canonicalize(&path).and_then(|real| Ok((fs::metadata(&real)?, real)));
                match target {
                    Ok((_, real)) if !real.starts_with(&top.real) => {
                        let why = format!("a symbolic link that leads out of {}", top.label);
                        self.note(&path, why);
                        continue;
                    }
                    Ok((meta, _)) => (meta.is_dir(), meta.is_file()),
                    // A broken link to a YAML file is a file that cannot
                    // be read; to anything else, nothing to read.
                    Err(e) => {
                        if is_yaml(&path) && !walk.excludes(&rel, false) {
                            self.error(&path, &e);
                        }
                        continue;
                    }
                }
            } else {
                (file_type.is_dir(), file_type.is_file())
            };
            if walk.excludes(&rel, is_dir) {
                continue;
            }
            if is_dir && is_link {
                self.links.push((path, rel));
            } else if is_dir {
                match fs::canonicalize(&path) {
                    Ok(real) => {
                        if self.dirs.insert(real) {
                            self.dir(&path, &rel, top, walk);
                        }
                    }
                    Err(e) => self.error(&path, &e),
                }
            } else if is_file && is_yaml(&path) {
                self.file(&path);
            }
            // Anything else (a FIFO, a socket, a device) is never opened:
            // it could block or never end.
        }
    }
}

/// A directory named on the command line, being walked.
struct Top {
    /// Its real path: a symbolic link may lead anywhere below it.
    real: PathBuf,
    /// As the user named it, for notes.
    label: String,
}

/// Read every input named by `paths` (stdin when empty). A path that cannot
/// be read is an error naming it; the others are still read so all
/// problems are reported together.
fn read_all(paths: &[PathBuf], walk: &Walk) -> Reader {
    let mut reader = Reader::default();
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
            match read_capped(io::stdin().lock(), "<stdin>") {
                Ok(bytes) => reader.inputs.push(Input {
                    label: "<stdin>".to_string(),
                    helm: bytes.windows(2).any(|w| w == b"{{"),
                    bytes,
                }),
                Err(mut e) => {
                    e.message = e.message.replacen("<stdin>", "standard input", 1);
                    reader.errors.push(e);
                }
            }
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => reader.walk(path, walk),
            // An explicit file is read whatever it is: a FIFO or `<(…)`
            // works, and the cap bounds a device.
            Ok(_) => reader.file(path),
            Err(e) => reader.error(path, &e),
        }
    }
    reader
}

/// Everything read from PATH arguments: the packages and the problems the
/// library found in them, the paths that could not be read, and notes on
/// what a directory walk skipped.
pub struct Loaded {
    pub parsed: egress_render::Parsed,
    pub read_errors: Vec<ReadError>,
    pub notes: Vec<Diagnostic>,
}

/// The help of a YAML error in a Helm template.
const HELM_HELP: &str = "this looks like a Helm chart template: render the chart first (helm template RELEASE CHART | egress-render -), or leave it out with --exclude 'templates/'";

/// Read and parse every input named by `paths`, freeing each input as soon
/// as it is parsed.
pub fn load(paths: &[PathBuf], walk: &Walk) -> Loaded {
    let reader = read_all(paths, walk);
    let mut parsed = egress_render::Parsed::default();
    for input in reader.inputs {
        let mut one = egress_render::parse(&input.label, &input.bytes);
        if input.helm {
            for e in &mut one.errors {
                if e.kind == egress_render::ErrorKind::Syntax {
                    e.help = Some(HELM_HELP.to_string());
                }
            }
        }
        parsed.append(one);
    }
    Loaded {
        parsed,
        read_errors: reader.errors,
        notes: reader.notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_patterns_become_globs() {
        assert_eq!(gitignore_glob("charts/"), (true, "**/charts".to_string()));
        assert_eq!(gitignore_glob("/vendor"), (false, "vendor".to_string()));
        assert_eq!(gitignore_glob("a/*.yaml"), (false, "a/*.yaml".to_string()));
        assert_eq!(
            gitignore_glob("*.tmpl.yaml"),
            (false, "**/*.tmpl.yaml".to_string())
        );
    }

    #[test]
    fn excludes_match_like_gitignore() {
        let walk = Walk::new(&["templates/".into(), "/legacy".into(), "*-old.yaml".into()]);
        assert!(walk.excludes("chart/templates", true));
        assert!(!walk.excludes("chart/templates", false));
        assert!(walk.excludes("legacy", true));
        assert!(!walk.excludes("team/legacy", true));
        assert!(walk.excludes("team/a-old.yaml", false));
        assert!(!walk.excludes("team/a.yaml", false));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(escape("ünïcode.yaml"), "ünïcode.yaml");
    }
}
