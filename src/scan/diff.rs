//! `--diff-base`: which files changed since a git ref.
//!
//! This is the one place lanyard runs another program, and only when asked. The
//! repository's own configuration (`.git/config`, and what it includes) is the pull
//! request author's when a workflow scans a checkout they shaped, and git runs
//! programs it names: git is run with every such key overridden on its command line,
//! which takes precedence over any configuration file.
//!
//! Keys that make `git diff` run a program, and how each is disarmed:
//! - `core.fsmonitor` (a hook run to list changed files): `false`;
//! - `core.hooksPath` and `.git/hooks` (`post-index-change` runs when the index is
//!   written): hooks from `/dev/null`, and `GIT_OPTIONAL_LOCKS=0` so that the diff
//!   does not write the index at all;
//! - `diff.external`, `diff.<driver>.command`: empty, and `--no-ext-diff`;
//! - `diff.<driver>.textconv`: `--no-textconv`;
//! - `filter.<driver>.clean`, `.smudge`, `.process` (run to compare a work-tree file
//!   with the index): every driver git's configuration defines is listed first
//!   (`git config --list`, which runs nothing) and each is emptied, with `.required`
//!   off so that a disabled filter is not an error;
//! - `core.pager`, `pager.diff`: `cat` and off (a pager only runs on a terminal, but
//!   stdout here never is one);
//! - `gc.auto`, `maintenance.auto`: off, though `diff` runs neither;
//! - submodules are not entered (`--ignore-submodules=all`): their own configuration
//!   would not be covered by the list above.
//!
//! git also reads no input (`stdin` is closed: an `include.path` of `/dev/stdin`
//! would wait for one) and is killed after [`GIT_TIMEOUT`] (an include of a FIFO
//! blocks forever).

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long git may run before lanyard gives up on it.
const GIT_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("--diff-base needs exactly one directory to scan")]
    Roots,
    // The ref is the command line's: it is not repeated (it could be anything pasted).
    #[error(
        "the --diff-base ref is not a valid git ref (it is empty, starts with `-` or holds a line break)"
    )]
    BadRef,
    #[error("could not run git: {0}")]
    Spawn(std::io::Error),
    #[error("git did not finish within {} seconds", GIT_TIMEOUT.as_secs())]
    Timeout,
    #[error("git could not compare with the --diff-base ref: {message}")]
    Git { message: String },
}

/// Options that keep a repository's configuration from running anything; the filter
/// drivers come from [`filter_drivers`].
const HARDENED: [&str; 20] = [
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.pager=cat",
    "-c",
    "pager.diff=false",
    "-c",
    "diff.external=",
    "-c",
    "gc.auto=0",
    "-c",
    "maintenance.auto=false",
    "-c",
    "core.untrackedCache=false",
    "-c",
    "diff.ignoreSubmodules=all",
    "-c",
    "core.attributesFile=/dev/null",
];

/// `git -C root` with the hardened options, no input, and an environment that keeps
/// it from writing the index or asking for anything.
fn git(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args(HARDENED)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_PAGER", "cat")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Run to completion within [`GIT_TIMEOUT`]; (success, stdout, stderr).
fn run(mut cmd: Command) -> Result<(bool, Vec<u8>, Vec<u8>), DiffError> {
    let mut child = cmd.spawn().map_err(DiffError::Spawn)?;
    // Drain both pipes while waiting, so a full pipe cannot stall git.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                // Bounded: a name list larger than this is not a diff lanyard can use.
                let _ = p.by_ref().take(256 * 1024 * 1024).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(DiffError::Spawn)? {
            Some(status) => break status,
            None if started.elapsed() > GIT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DiffError::Timeout);
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    Ok((status.success(), out, err))
}

/// The filter drivers git's configuration defines (`filter.<driver>.<key>`), from
/// every file it reads, includes too.
fn filter_drivers(root: &Path) -> Result<Vec<String>, DiffError> {
    let mut cmd = git(root);
    cmd.args(["config", "--list", "-z"]);
    let (ok, out, _) = run(cmd)?;
    if !ok {
        // Not a repository, or no configuration: the diff reports its own error.
        return Ok(Vec::new());
    }
    let mut drivers: Vec<String> = out
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let key = entry.split(|b| *b == b'\n').next()?;
            let key = std::str::from_utf8(key).ok()?;
            let rest = key.strip_prefix("filter.")?;
            let (driver, _) = rest.rsplit_once('.')?;
            Some(driver.to_owned())
        })
        .collect();
    drivers.sort();
    drivers.dedup();
    Ok(drivers)
}

/// Files changed between the merge base of `base` and the working tree, relative to
/// the scan root, with `/`.
pub fn changed_files(roots: &[PathBuf], base: &str) -> Result<HashSet<String>, DiffError> {
    let [root] = roots else {
        return Err(DiffError::Roots);
    };
    // A ref beginning with `-` would be read as an option.
    if base.starts_with('-') || base.is_empty() || base.contains(['\0', '\n', '\r']) {
        return Err(DiffError::BadRef);
    }
    let mut cmd = git(root);
    for driver in filter_drivers(root)? {
        for key in ["clean", "smudge", "process"] {
            cmd.arg("-c").arg(format!("filter.{driver}.{key}="));
        }
        cmd.arg("-c").arg(format!("filter.{driver}.required=false"));
    }
    cmd.args([
        "diff",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules=all",
        "--name-only",
        "--relative",
        "-z",
        "--merge-base",
        base,
        "--",
    ]);
    let (ok, out, err) = run(cmd)?;
    if !ok {
        let first = String::from_utf8_lossy(&err)
            .lines()
            .next()
            .unwrap_or("failed")
            .to_owned();
        // git quotes the ref (`bad revision 'x'`): it is the command line's, and could
        // be anything pasted there.
        let message = first.replace(base, "…");
        return Err(DiffError::Git {
            message: super::secrets::shown(&message),
        });
    }
    Ok(out
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| crate::findings::sanitize(&String::from_utf8_lossy(p)).into_owned())
        .collect())
}
