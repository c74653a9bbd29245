//! Shared helpers for integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use lanyard::catalog::github_token_with_checksum;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// insta settings that keep the snapshots where and as they were when every test file
/// was its own binary: `tests/snapshots/<file>__<name>.snap`. By default insta would
/// look in `tests/integration/snapshots/` and prefix the module path
/// (`integration__demo__…`), so callers spell the old file prefix in the name instead.
/// Hold the guard for the assertions: `let _snapshots = snapshot_settings().bind_to_scope();`
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Remove the inherited variables that change lanyard's output (zizmor's harness does
/// the same), for any command that runs the binary.
pub fn scrub_env(cmd: &mut std::process::Command) {
    for (key, _) in std::env::vars() {
        if key == "CI"
            || key == "NO_COLOR"
            || key == "FORCE_COLOR"
            || key.starts_with("GITHUB_")
            || key.starts_with("RUNNER_")
            || key.starts_with("LANYARD_")
        {
            cmd.env_remove(key);
        }
    }
}

/// The binary with a scrubbed environment (`scrub_env`), run from the repository root.
pub fn lanyard() -> Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lanyard"));
    scrub_env(&mut cmd);
    cmd.current_dir(root());
    Command::from_std(cmd)
}

/// The directory of the binary under test, for `PATH` when a script or hook looks
/// `lanyard` up by name.
pub fn lanyard_bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_lanyard"))
        .parent()
        .expect("the binary is in a directory")
        .to_path_buf()
}

/// `PATH` with `first` in front, for scripts that look lanyard and cargo up by name.
pub fn path_with(first: &[&Path], rest: &[PathBuf]) -> std::ffi::OsString {
    std::env::join_paths(first.iter().map(|p| p.to_path_buf()).chain(rest.to_vec()))
        .expect("PATH entries have no separator")
}

/// The test process's own `PATH`, split.
pub fn inherited_path() -> Vec<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect()
}

/// A fake classic PAT with a valid checksum, generated at test time so no token-shaped
/// string is committed. Seeds below 26 give distinct tokens.
pub fn fake_pat(seed: usize) -> String {
    let payload: String = (0..30)
        .map(|i| (b'a' + ((i * 7 + seed) % 26) as u8) as char)
        .collect();
    github_token_with_checksum("ghp_", &payload)
}

/// A minimal Kubernetes pod named `name`.
pub fn pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers: [{{name: x, image: nginx}}]\n"
    )
}

/// Write `root/rel`, creating its directories.
pub fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write a test file");
}

/// `git -C root ARGS` with a committer identity and no signing, whatever the user's git
/// configuration says; asserts success.
pub fn git(root: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "user.email=ci@example.com",
            "-c",
            "user.name=ci",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
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

/// The vendored SARIF 2.1.0 schema, relative to `root()`.
pub const SARIF_SCHEMA: &str = "tests/fixtures/sarif-schema-2.1.0.json";

/// `validate_schema` against `SARIF_SCHEMA`.
pub fn validate_sarif(instance: &Path) -> Result<(), String> {
    validate_schema(&root().join(SARIF_SCHEMA), instance)
}

/// Validate a JSON file against a schema with Python `jsonschema` (the same script the
/// unit tests use). Panics, never skips, when the validator is missing.
pub fn validate_schema(schema: &Path, instance: &Path) -> Result<(), String> {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/validate_schema.py"))
        .arg(schema)
        .arg(instance)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install Python 3 and `pip install jsonschema`")
        });
    match out.status.code() {
        Some(0) => Ok(()),
        Some(3) => panic!("the Python `jsonschema` module is missing: `pip install jsonschema`"),
        Some(1) => Err(String::from_utf8_lossy(&out.stdout).into_owned()),
        other => panic!(
            "validator failed ({other:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
