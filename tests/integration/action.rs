//! The GitHub Action: `scripts/action.sh` under an emulated Actions environment,
//! `scripts/install.sh`'s decisions, and `action.yml` itself (inputs reach the scripts
//! only through `env:`, never through `${{ }}` inside `run:`).
#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;

fn action_yml() -> String {
    fs::read_to_string(common::root().join("action.yml")).expect("action.yml exists")
}

/// The inputs of action.yml with their defaults, as the runner passes them when a
/// workflow sets nothing (a line scan: two-space input names, four-space `default:`).
fn input_defaults(yml: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut in_inputs = false;
    let mut current: Option<String> = None;
    for line in yml.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_inputs = line.trim_end() == "inputs:";
            continue;
        }
        if !in_inputs {
            continue;
        }
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            current = Some(name.to_owned());
            out.insert(name.to_owned(), String::new());
        } else if let (Some(name), Some(v)) = (&current, line.strip_prefix("    default:")) {
            out.insert(name.clone(), v.trim().trim_matches('"').to_owned());
        }
    }
    out
}

/// The environment variable action.yml passes an input as.
fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.to_uppercase().replace('-', "_"))
}

/// One emulated run: a workspace, the files the runner provides, the script's results.
struct Runner {
    _dir: tempfile::TempDir,
    workspace: PathBuf,
    output: PathBuf,
    summary: PathBuf,
    temp: PathBuf,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    summary: String,
}

impl Runner {
    fn new(files: &[(&str, &str)]) -> Runner {
        let dir = tempfile::tempdir().expect("temp dir");
        let workspace = dir.path().join("workspace");
        for (path, text) in files {
            common::write(&workspace, path, text);
        }
        fs::create_dir_all(&workspace).expect("writable temp dir");
        let temp = dir.path().join("runner-temp");
        fs::create_dir_all(&temp).expect("writable temp dir");
        let output = dir.path().join("github-output");
        let summary = dir.path().join("step-summary");
        Runner {
            _dir: dir,
            workspace,
            output,
            summary,
            temp,
        }
    }

    /// Run scripts/action.sh as the action's `scan` step does: the defaults of every
    /// input overridden by `inputs`, all as `INPUT_*` variables.
    fn run(&self, inputs: &[(&str, &str)]) -> Run {
        let mut values = input_defaults(&action_yml());
        for (k, v) in inputs {
            assert!(values.contains_key(*k), "action.yml has no input `{k}`");
            values.insert((*k).to_owned(), (*v).to_owned());
        }
        // Each step gets fresh files from the runner.
        fs::write(&self.output, "").expect("writable temp dir");
        fs::write(&self.summary, "").expect("writable temp dir");
        let mut cmd = Command::new("bash");
        cmd.arg(common::root().join("scripts/action.sh"))
            .env_clear()
            .env(
                "PATH",
                common::path_with(&[&common::lanyard_bin_dir()], &common::inherited_path()),
            )
            .env("HOME", &self.temp)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_OUTPUT", &self.output)
            .env("GITHUB_STEP_SUMMARY", &self.summary)
            .env("GITHUB_ACTION_PATH", common::root())
            .env("RUNNER_TEMP", &self.temp)
            // The runner starts `run:` steps in the workspace; the script must not rely on it.
            .current_dir(&self.temp);
        for (k, v) in &values {
            cmd.env(env_name(k), v);
        }
        let out = cmd.output().expect("bash runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: fs::read_to_string(&self.output).expect("readable file"),
            summary: fs::read_to_string(&self.summary).expect("readable file"),
        }
    }
}

impl Run {
    fn output(&self, name: &str) -> Option<&str> {
        self.outputs
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
    }
}

fn mcp_with_pat() -> String {
    format!(
        "{{\n  \"mcpServers\": {{\n    \"github\": {{\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"],\n      \"env\": {{ \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{}\" }}\n    }}\n  }}\n}}\n",
        common::fake_pat(3)
    )
}

const CLEAN_MCP: &str = "{\n  \"mcpServers\": {\n    \"github\": {\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"],\n      \"env\": { \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"${GITHUB_APP_INSTALLATION_TOKEN}\" }\n    }\n  }\n}\n";

fn sarif_results(path: &Path) -> Vec<serde_json::Value> {
    common::validate_sarif(path)
        .unwrap_or_else(|e| panic!("{} is not valid SARIF: {e}", path.display()));
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).expect("the SARIF file exists"))
            .expect("a JSON document");
    doc["runs"][0]["results"]
        .as_array()
        .expect("SARIF has results")
        .clone()
}

#[test]
fn a_violation_is_annotated_summarised_uploaded_and_fails_the_step() {
    let runner = Runner::new(&[(".mcp.json", &mcp_with_pat()), ("README.md", "# demo\n")]);
    let run = runner.run(&[]);
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );

    let annotation = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::error file=.mcp.json,line=6,"))
        .unwrap_or_else(|| panic!("no annotation on .mcp.json:6 in\n{}", run.stdout));
    assert!(
        annotation.contains("title=lanyard human-token"),
        "{annotation}"
    );

    assert!(run.summary.starts_with("## lanyard"), "{}", run.summary);
    assert!(run.summary.contains("human-token"), "{}", run.summary);

    assert_eq!(run.output("findings"), Some("1"), "{}", run.outputs);
    assert_eq!(
        run.output("sarif-file"),
        Some("lanyard.sarif"),
        "{}",
        run.outputs
    );
    let sarif = runner.workspace.join("lanyard.sarif");
    let results = sarif_results(&sarif);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "human-token");

    // The token's secret part appears nowhere the action writes.
    let secret = &common::fake_pat(3)[8..];
    for (what, text) in [
        ("stdout", run.stdout.as_str()),
        ("stderr", run.stderr.as_str()),
        ("summary", run.summary.as_str()),
        ("outputs", run.outputs.as_str()),
        ("sarif", &fs::read_to_string(&sarif).unwrap()),
    ] {
        assert!(!text.contains(secret), "the token leaked into {what}");
    }
}

#[test]
fn a_clean_repository_passes_with_zero_findings_and_still_writes_sarif() {
    let runner = Runner::new(&[(".mcp.json", CLEAN_MCP), ("README.md", "# demo\n")]);
    let run = runner.run(&[]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    assert_eq!(run.output("findings"), Some("0"), "{}", run.outputs);
    assert!(run.summary.contains("No findings"), "{}", run.summary);
    assert!(sarif_results(&runner.workspace.join("lanyard.sarif")).is_empty());
}

#[test]
fn inputs_shape_the_scan_and_its_outputs() {
    let runner = Runner::new(&[
        ("agents/.mcp.json", &mcp_with_pat()),
        ("clean/.mcp.json", CLEAN_MCP),
        ("strict.toml", "ignore = [\"human-token\"]\n"),
    ]);

    // Plain log output instead of annotations, no summary, SARIF in a new directory.
    let run = runner.run(&[
        ("annotations", "false"),
        ("summary", "false"),
        ("sarif-file", "reports/scan.sarif"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    assert!(
        run.stdout.contains("[human-token] critical"),
        "{}",
        run.stdout
    );
    assert_eq!(run.summary, "");
    assert_eq!(run.output("sarif-file"), Some("reports/scan.sarif"));
    assert_eq!(
        sarif_results(&runner.workspace.join("reports/scan.sarif")).len(),
        1
    );

    // `paths` narrows the scan (several paths, whitespace-separated).
    let run = runner.run(&[("paths", "clean\n strict.toml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.outputs, "findings=0\nsarif-file=lanyard.sarif\n");

    // `config` is read.
    let run = runner.run(&[("config", "strict.toml")]);
    assert_eq!((run.code, run.output("findings")), (0, Some("0")));

    // `baseline` hides what was accepted.
    let baseline = runner.workspace.join("baseline.json");
    let made = Command::new(env!("CARGO_BIN_EXE_lanyard"))
        .current_dir(&runner.workspace)
        .args(["baseline", "-o"])
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(made.status.success());
    let run = runner.run(&[("baseline", "baseline.json")]);
    assert_eq!(
        (run.code, run.output("findings")),
        (0, Some("0")),
        "{}",
        run.stdout
    );

    // `fail-on` decides the exit code, not what is reported.
    let high_only = Runner::new(&[(
        "k8s/agent.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: claude-agent\nspec:\n  containers: [{name: agent, image: ghcr.io/anthropics/claude-code}]\n",
    )]);
    let run = high_only.run(&[]);
    let found = run.output("findings").map(str::to_owned);
    assert_ne!(found.as_deref(), Some("0"), "{}", run.stdout);
    let run = high_only.run(&[("fail-on", "critical")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.output("findings").map(str::to_owned), found);
}

#[test]
fn bad_inputs_fail_with_exit_2_and_no_outputs() {
    let runner = Runner::new(&[("README.md", "# demo\n")]);
    for inputs in [
        [("annotations", "maybe")],
        [("fail-on", "severe")],
        [("sarif-file", "a.sarif\nfindings=0")],
        [("config", "missing.toml")],
        // Quoted in the error message, the value must not become a workflow command.
        [("annotations", "x\n::warning::forged")],
    ] {
        let run = runner.run(&inputs);
        assert_eq!(run.code, 2, "{inputs:?}: {}", run.stderr);
        assert_eq!(run.outputs, "", "{inputs:?}");
        assert!(
            !run.stderr.lines().any(|l| l.starts_with("::warning")),
            "{}",
            run.stderr
        );
    }
}

/// `PATH` entries that hold no `lanyard`, so the install script cannot find one.
fn path_without_lanyard() -> Vec<PathBuf> {
    common::inherited_path()
        .into_iter()
        .filter(|d| !d.join("lanyard").exists())
        .collect()
}

/// Run scripts/install.sh with a fake `cargo` that records its arguments.
fn install(tool_cache: &Path, fake_bin: &Path, rest: &[PathBuf]) -> (Output, String, String) {
    fs::create_dir_all(fake_bin).expect("writable temp dir");
    let log = tool_cache.join("cargo-args");
    let cargo = fake_bin.join("cargo");
    fs::write(
        &cargo,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n", log.display()),
    )
    .expect("writable temp dir");
    make_executable(&cargo);
    let github_path = tool_cache.join("github-path");
    fs::write(&github_path, "").expect("writable temp dir");
    let out = Command::new("bash")
        .arg(common::root().join("scripts/install.sh"))
        .env_clear()
        .env("PATH", common::path_with(&[fake_bin], rest))
        .env("HOME", tool_cache)
        .env("GITHUB_ACTION_PATH", common::root())
        .env("GITHUB_PATH", &github_path)
        .env("RUNNER_TOOL_CACHE", tool_cache)
        .env("RUNNER_ARCH", "X64")
        .output()
        .expect("bash runs");
    (
        out,
        fs::read_to_string(github_path).expect("readable file"),
        fs::read_to_string(log).unwrap_or_default(),
    )
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn install_skips_the_build_when_the_same_version_is_there() {
    let version = env!("CARGO_PKG_VERSION");
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-bin");

    // On PATH already: nothing to do.
    let mut rest = vec![common::lanyard_bin_dir()];
    rest.extend(path_without_lanyard());
    let (out, github_path, cargo) = install(dir.path(), &fake, &rest);
    assert!(out.status.success(), "{out:?}");
    assert_eq!((github_path.as_str(), cargo.as_str()), ("", ""));

    // In the tool cache from an earlier run: put it on PATH, do not build.
    let root = dir.path().join(format!("lanyard/{version}/X64"));
    fs::create_dir_all(root.join("bin")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_lanyard"), root.join("bin/lanyard")).unwrap();
    let (out, github_path, cargo) = install(dir.path(), &fake, &path_without_lanyard());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(github_path, format!("{}\n", root.join("bin").display()));
    assert_eq!(cargo, "");
}

#[test]
fn install_builds_from_the_action_source_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake-bin");
    // An older lanyard on PATH does not count.
    fs::create_dir_all(&fake).unwrap();
    fs::write(fake.join("lanyard"), "#!/bin/sh\necho 'lanyard 0.0.1'\n").unwrap();
    make_executable(&fake.join("lanyard"));
    let (out, github_path, cargo) = install(dir.path(), &fake, &path_without_lanyard());
    assert!(out.status.success(), "{out:?}");
    let root = dir
        .path()
        .join(format!("lanyard/{}/X64", env!("CARGO_PKG_VERSION")));
    assert_eq!(
        cargo,
        format!(
            "install --locked --quiet --path {} --root {}\n",
            common::root().display(),
            root.display()
        )
    );
    assert_eq!(github_path, format!("{}\n", root.join("bin").display()));
}

/// Lines of `run:` values (inline or block scalars) in a workflow or action file.
fn run_blocks(yml: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut block_indent: Option<usize> = None;
    for (i, line) in yml.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(key_indent) = block_indent {
            if line.trim().is_empty() || indent > key_indent {
                out.push((i + 1, line));
                continue;
            }
            block_indent = None;
        }
        let trimmed = line.trim_start().trim_start_matches("- ");
        if let Some(value) = trimmed.strip_prefix("run:") {
            out.push((i + 1, line));
            let value = value.trim();
            if value.starts_with('|') || value.starts_with('>') {
                block_indent = Some(line.len() - trimmed.len());
            }
        }
    }
    out
}

#[test]
fn action_yml_never_expands_expressions_inside_run() {
    let yml = action_yml();
    let runs = run_blocks(&yml);
    assert!(runs.len() >= 2, "expected the install and scan steps");
    for (line, text) in runs {
        assert!(
            !text.contains("${{"),
            "action.yml:{line} expands an expression inside `run:`: {text}"
        );
    }
    // The line scan sees block scalars too.
    let sample = "steps:\n  - run: |\n      echo ok\n      echo ${{ inputs.x }}\n    env: {}\n";
    assert!(run_blocks(sample).iter().any(|(_, t)| t.contains("${{")));
    assert!(!run_blocks(sample).iter().any(|(_, t)| t.contains("env:")));
}

#[test]
fn every_input_reaches_the_script_as_an_env_var() {
    let yml = action_yml();
    let inputs = input_defaults(&yml);
    for name in ["paths", "config", "fail-on", "baseline", "diff-base"] {
        assert!(inputs.contains_key(name), "input {name}");
    }
    let defaults: Vec<(&str, &str)> = inputs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    assert_eq!(
        defaults,
        vec![
            ("annotations", "true"),
            ("fail-on", "high"),
            ("paths", "."),
            ("sarif-file", "lanyard.sarif"),
            ("summary", "true"),
        ]
    );
    for name in inputs.keys() {
        let line = format!("{}: ${{{{ inputs.{name} }}}}", env_name(name));
        assert!(yml.contains(&line), "action.yml does not pass `{line}`");
    }
    for output in ["findings", "sarif-file"] {
        let line = format!("value: ${{{{ steps.scan.outputs.{output} }}}}");
        assert!(yml.contains(&line), "action.yml has no output {output}");
    }
    assert!(yml.contains("using: composite"));
    assert!(yml.contains("\nbranding:\n"));
}

// Dogfooding: the project's own CI runs the action on the repository, which must pass.

#[test]
fn lanyard_passes_its_own_checks() {
    let out = common::lanyard()
        .args(["check", ".", "--fail-on", "low", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let findings: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"], f["location"]["path"], f["location"]["start"]["line"]
            )
        })
        .collect();
    assert!(
        findings.is_empty(),
        "lanyard fails on its own repository (lanyard.toml excludes test data only):\n{}",
        findings.join("\n")
    );
    assert_eq!(out.status.code(), Some(0));
    // The files CI depends on were scanned, not excluded.
    let scanned = doc["summary"]["files_scanned"].as_u64().unwrap();
    assert!(scanned > 10, "{scanned} files scanned");
    let out = common::lanyard()
        .args(["check", "action.yml", ".github/workflows/ci.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_ci_workflow_is_pinned_and_least_privilege() {
    let yml = fs::read_to_string(common::root().join(".github/workflows/ci.yml")).unwrap();
    assert!(
        yml.contains("\npermissions: {}\n"),
        "no top-level `permissions: {{}}`"
    );
    for (line, text) in run_blocks(&yml) {
        assert!(!text.contains("${{"), "ci.yml:{line}: {text}");
    }
    let mut checkouts = 0;
    for (i, line) in yml.lines().enumerate() {
        let Some(uses) = line
            .trim_start()
            .trim_start_matches("- ")
            .strip_prefix("uses:")
        else {
            continue;
        };
        let uses = uses.trim();
        if uses == "./" {
            continue;
        }
        let (action, rest) = uses
            .split_once('@')
            .unwrap_or_else(|| panic!("ci.yml:{}: `{uses}` has no ref", i + 1));
        let (sha, comment) = rest.split_once(" # v").unwrap_or((rest, ""));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) && !comment.is_empty(),
            "ci.yml:{}: `{action}` is not pinned to a full SHA with a version comment",
            i + 1
        );
        if action == "actions/checkout" {
            checkouts += 1;
        }
    }
    assert_eq!(
        yml.matches("persist-credentials: false").count(),
        checkouts,
        "every checkout sets persist-credentials: false"
    );
    assert!(yml.contains("run: .ci/run"));
    assert!(yml.contains("uses: ./\n"));
    assert!(yml.contains("security-events: write"));
    // The write scope is granted to the job that uploads SARIF, not to the workflow.
    let top = yml.split("\njobs:\n").next().unwrap();
    assert!(!top.contains("security-events"));
}

/// A pull request that commits `lanyard.sarif` as a link to a file outside the
/// workspace (or a linked directory on the way to the SARIF file) must not get the
/// action to write there, nor to create a directory there.
#[test]
fn a_planted_sarif_link_is_not_written_through() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, "untouched\n").unwrap();
    let runner = Runner::new(&[(".mcp.json", &mcp_with_pat()), ("README.md", "# demo\n")]);
    std::os::unix::fs::symlink(&victim, runner.workspace.join("lanyard.sarif")).unwrap();
    std::os::unix::fs::symlink(outside.path(), runner.workspace.join("reports")).unwrap();
    for inputs in [
        &[][..],
        &[("sarif-file", "reports/scan.sarif")][..],
        &[("sarif-file", "reports/new/scan.sarif")][..],
        &[("sarif-file", "lanyard.sarif"), ("annotations", "false")][..],
    ] {
        let run = runner.run(inputs);
        assert_eq!(run.code, 2, "{inputs:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("symbolic link"),
            "{inputs:?}: {}",
            run.stderr
        );
        assert_eq!(run.outputs, "", "{inputs:?}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched\n");
        let mut names: Vec<String> = fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["victim"], "{inputs:?} wrote outside the workspace");
    }
}

/// A pull request whose `.ignore` hides every file: the action scans nothing and must
/// fail rather than pass (`--fail-on-empty`).
#[test]
fn an_empty_scan_fails_the_action() {
    let runner = Runner::new(&[(".ignore", "*\n"), (".mcp.json", &mcp_with_pat())]);
    let run = runner.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no file was scanned"), "{}", run.stderr);
}
