//! The one way the tests run the binary:
//! `Test::new().args([…]).stdin(…).file("a.yaml", "…").run()` returns a
//! [`Run`] to assert on: `.status(1).stdout("").stderr_contains("…")`.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The repository root, where `fixtures/`, `examples/`, `docs/` and
/// `snapshots/` are, and the working directory of a [`Test`] by default.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The options a fixture's `# options: key=value …` line sets, as the
/// command-line flags `--key value …` (the names are the same).
pub fn fixture_flags(fixture: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(fixture).expect("fixture is readable");
    let options = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# options:"));
    let settings = options.flat_map(str::split_whitespace);
    let pairs = settings.map(|s| s.split_once('=').expect("key=value"));
    pairs
        .flat_map(|(k, v)| match (k, v) {
            ("network-policies", "false") => vec!["--no-network-policies".to_string()],
            ("network-policies", _) => Vec::new(),
            _ => vec![format!("--{k}"), v.to_string()],
        })
        .collect()
}

/// `path` relative to the repository root, with `/`: how fixtures are
/// named on the command line (and so in the messages and snapshots).
pub fn from_repo(path: &Path) -> String {
    let root = repo().canonicalize().expect("repository root");
    let path = path.canonicalize().expect("path exists");
    let rel = path.strip_prefix(&root).expect("path in the repository");
    let parts: Vec<&str> = rel.iter().map(|c| c.to_str().expect("UTF-8")).collect();
    parts.join("/")
}

/// A fresh directory under the system's temporary directory, unique per
/// process and call, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("egress-render-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Write `bytes` to `rel` (creating parent directories); its path.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, bytes).expect("write temp file");
        path
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of the binary, to configure.
#[must_use = "a Test does nothing until .run()"]
pub struct Test {
    args: Vec<OsString>,
    stdin: Option<Vec<u8>>,
    dir: Option<TempDir>,
    cwd: Option<PathBuf>,
}

impl Test {
    /// `egress-render` with no arguments, stdin closed, run in the
    /// repository root.
    pub fn new() -> Self {
        Test {
            args: Vec::new(),
            stdin: None,
            dir: None,
            cwd: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Feed `bytes` on stdin (else stdin is closed).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Write `bytes` to `rel` in this test's own temporary directory, which
    /// becomes the working directory (unless [`Test::current_dir`] says
    /// otherwise) and lives as long as the [`Run`].
    pub fn file(mut self, rel: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.dir.get_or_insert_with(TempDir::new).write(rel, bytes);
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The configured process, for a test that drives it itself; stdin is
    /// piped when there is input, else closed.
    pub fn command(&self) -> Command {
        let cwd = match (&self.cwd, &self.dir) {
            (Some(cwd), _) => cwd.clone(),
            (None, Some(dir)) => dir.to_path_buf(),
            (None, None) => repo(),
        };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_egress-render"));
        cmd.args(&self.args)
            .current_dir(cwd)
            .stdin(match self.stdin {
                Some(_) => Stdio::piped(),
                None => Stdio::null(),
            });
        cmd
    }

    /// Run, killing the process if it has not finished within `limit` (a
    /// test of something that could block): then the [`Run`]'s code is
    /// `None`.
    pub fn run_within(self, limit: Duration) -> Run {
        self.run_until(Some(limit))
    }

    /// Run to completion.
    pub fn run(self) -> Run {
        self.run_until(None)
    }

    fn run_until(self, limit: Option<Duration>) -> Run {
        let start = Instant::now();
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let writer = child.stdin.take().map(|mut stdin| {
            let input = self.stdin.clone().unwrap_or_default();
            // The binary may exit before reading everything (usage errors).
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            })
        });
        let drain = |mut r: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut s = Vec::new();
                let _ = r.read_to_end(&mut s);
                s
            })
        };
        let out = drain(Box::new(child.stdout.take().expect("piped")));
        let err = drain(Box::new(child.stderr.take().expect("piped")));
        let code = match limit {
            None => child.wait().expect("the binary finishes").code(),
            Some(limit) => loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    break status.code();
                }
                if start.elapsed() > limit {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            },
        };
        let stdout = out.join().expect("stdout reader");
        let stderr = err.join().expect("stderr reader");
        let elapsed = start.elapsed();
        if let Some(writer) = writer {
            writer.join().expect("stdin writer");
        }
        Run {
            code,
            stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
            elapsed,
            _dir: self.dir,
        }
    }
}

/// What a run did. The assertions return the run, so they chain.
pub struct Run {
    /// The exit status; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    _dir: Option<TempDir>,
}

impl Run {
    /// At most the first 2,000 characters of stderr, for messages.
    fn stderr_head(&self) -> String {
        self.stderr.chars().take(2000).collect()
    }

    pub fn status(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit status (a panic is 101, a signal None); stderr:\n{}",
            self.stderr_head()
        );
        self
    }

    pub fn stdout(&self, expected: &str) -> &Self {
        same("stdout", &self.stdout, expected);
        self
    }

    pub fn stderr(&self, expected: &str) -> &Self {
        same("stderr", &self.stderr, expected);
        self
    }

    pub fn stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout.chars().take(2000).collect::<String>()
        );
        self
    }

    pub fn stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr_head()
        );
        self
    }
}

/// Assert that `stream` printed `expected`; if not, show the difference.
fn same(stream: &str, actual: &str, expected: &str) {
    assert!(
        actual == expected,
        "{stream} differs (- expected, + actual):\n{}",
        similar::TextDiff::from_lines(expected, actual).unified_diff()
    );
}
