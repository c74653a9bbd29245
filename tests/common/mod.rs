//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The binary with an environment scrubbed of everything that changes its output
/// (zizmor's harness does the same).
pub fn lanyard() -> Command {
    let mut cmd = Command::cargo_bin("lanyard").expect("binary builds");
    for (key, _) in std::env::vars() {
        if key == "CI"
            || key == "NO_COLOR"
            || key.starts_with("GITHUB_")
            || key.starts_with("RUNNER_")
            || key.starts_with("LANYARD_")
        {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(root());
    cmd
}

/// Run `lanyard check` on a directory with extra args; (exit code, stdout, stderr).
pub fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = lanyard()
        .arg("check")
        .arg(dir)
        .args(["--color", "never"])
        .args(args)
        .output()
        .expect("lanyard runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
