//! `egress-render --version`: the package version, and the git commit and
//! its date when built from a git checkout (or from a packaged crate's
//! `.cargo_vcs_info.json`), so a CI log pins exactly what rendered. Builds
//! without git, or outside a checkout, get the package version alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match from_git(&dir).or_else(|| from_vcs_info(&dir)) {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=EGRESS_RENDER_VERSION={full}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// `git` in `dir`, its trimmed output when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

/// `abc1234 2026-11-26` (`-dirty` is not tracked: it would rebuild on every
/// edit), rebuilding when HEAD moves.
fn from_git(dir: &Path) -> Option<String> {
    let commit = git(dir, &["log", "-1", "--format=%h %cs"])?;
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it
    // names (a commit), and packed refs.
    let mut watched = vec![git(dir, &["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(dir, &["rev-parse", "--git-path", &branch]));
    }
    watched.push(git(dir, &["rev-parse", "--git-path", "packed-refs"]));
    for path in watched.into_iter().flatten() {
        let path = dir.join(path);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Some(commit)
}

/// The commit `cargo package` recorded, for a build from a crate tarball.
fn from_vcs_info(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let start = text.find("\"sha1\"")?;
    let rest = &text[start + 6..];
    let open = rest.find('"')? + 1;
    let sha: String = rest[open..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 7).then(|| sha[..9.min(sha.len())].to_string())
}
