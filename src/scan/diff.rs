//! `--diff-base`: which files changed since a git ref.
//!
//! This is the one place lanyard runs another program, and only when asked. git is
//! run with options that keep repository configuration from executing anything
//! (no fsmonitor, no external diff, no pager, no textconv).

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("--diff-base needs exactly one directory to scan")]
    Roots,
    #[error("`{0}` is not a valid git ref")]
    BadRef(String),
    #[error("could not run git: {0}")]
    Spawn(std::io::Error),
    #[error("git could not compare with `{base}`: {message}")]
    Git { base: String, message: String },
}

/// Files changed between the merge base of `base` and the working tree, relative to
/// the scan root, with `/`.
pub fn changed_files(roots: &[PathBuf], base: &str) -> Result<HashSet<String>, DiffError> {
    let [root] = roots else {
        return Err(DiffError::Roots);
    };
    // A ref beginning with `-` would be read as an option.
    if base.starts_with('-') || base.is_empty() || base.contains(['\0', '\n']) {
        return Err(DiffError::BadRef(base.to_owned()));
    }
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.pager=cat",
            "-c",
            "diff.external=",
            "-c",
            "core.hooksPath=/dev/null",
            "diff",
            "--no-ext-diff",
            "--no-textconv",
            "--name-only",
            "--relative",
            "-z",
            "--merge-base",
            base,
            "--",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(DiffError::Spawn)?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("failed")
            .to_owned();
        return Err(DiffError::Git {
            base: base.to_owned(),
            message: crate::model::catalog::redact_text(&crate::findings::sanitize(&message)),
        });
    }
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| crate::findings::sanitize(&String::from_utf8_lossy(p)).into_owned())
        .collect())
}
