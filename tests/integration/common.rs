//! Shared helpers for integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

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
