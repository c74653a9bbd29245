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

/// The results of a SARIF file (parsed only: `the_action_sarif_validates` checks the
/// schema, with Python `jsonschema`).
fn sarif_results(path: &Path) -> Vec<serde_json::Value> {
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
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn the_action_sarif_validates() {
    let runner = Runner::new(&[(".mcp.json", &mcp_with_pat()), ("README.md", "# demo\n")]);
    let run = runner.run(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = runner.workspace.join("lanyard.sarif");
    common::validate_sarif(&sarif)
        .unwrap_or_else(|e| panic!("{} is not valid SARIF: {e}", sarif.display()));
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
        ("format", "human"),
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
    let run = runner.run(&[("path", "clean\n strict.toml")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.outputs,
        "findings=0\ncritical=0\nhigh=0\nmedium=0\nlow=0\nborrowed-credential=0\n\
         shared-identity=0\nexcessive-scope=0\naudit-trail=0\nstatic-secret=0\n\
         sarif-file=lanyard.sarif\nupload-sarif=false\n"
    );

    // `args` reach lanyard as separate words, never as shell code.
    let run = runner.run(&[("args", "--select human-token $(touch pwned) ;id")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!runner.workspace.join("pwned").exists());
    let run = runner.run(&[
        ("args", "--ignore borrowed-credential"),
        ("upload-sarif", "true"),
    ]);
    assert_eq!(
        (run.code, run.output("findings")),
        (0, Some("0")),
        "{}",
        run.stderr
    );
    assert_eq!(run.output("upload-sarif"), Some("true"));

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
        [("summary", "maybe")],
        [("upload-sarif", "yes please")],
        [("format", "--output=/tmp/x")],
        [("sarif-category", "a\nfindings=0")],
        [("fail-on", "severe")],
        [("sarif-file", "a.sarif\nfindings=0")],
        [("config", "missing.toml")],
        // Quoted in the error message, the value must not become a workflow command.
        [("summary", "x\n::warning::forged")],
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

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-musl";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A runner for scripts/install.sh: a tool cache, a fake `cargo` that records its
/// arguments, and a fake release served from disk (`file://`), as
/// `<release>/v<version>/<asset>`.
struct Install {
    dir: tempfile::TempDir,
}

struct Installed {
    out: Output,
    github_path: String,
    cargo: String,
}

impl Install {
    fn new() -> Install {
        let install = Install {
            dir: tempfile::tempdir().expect("test setup"),
        };
        let fake = install.dir.path().join("fake-bin");
        fs::create_dir_all(&fake).expect("test setup");
        let cargo = fake.join("cargo");
        fs::write(
            &cargo,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n",
                install.dir.path().join("cargo-args").display()
            ),
        )
        .expect("test setup");
        make_executable(&cargo);
        fs::create_dir_all(install.release()).expect("test setup");
        install
    }

    fn release(&self) -> PathBuf {
        self.dir.path().join(format!("release/v{VERSION}"))
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("tool-cache")
    }

    /// Publish a release binary (a script that prints the version) and its checksum
    /// file; `claimed` overrides the checksum written. Returns the binary's SHA-256.
    fn publish(&self, claimed: Option<&str>) -> String {
        let binary = format!("#!/bin/sh\necho 'lanyard {VERSION}'\n");
        let sum = sha256_hex(binary.as_bytes());
        let asset = format!("lanyard-{TARGET}");
        fs::write(self.release().join(&asset), &binary).expect("test setup");
        fs::write(
            self.release().join(format!("{asset}.sha256")),
            format!("{}  {asset}\n", claimed.unwrap_or(&sum)),
        )
        .expect("test setup");
        fs::write(self.release().join("lanyard-commit"), format!("{COMMIT}\n"))
            .expect("test setup");
        sum
    }

    fn run(&self, action_ref: &str) -> Installed {
        let github_path = self.dir.path().join("github-path");
        fs::write(&github_path, "").expect("test setup");
        let log = self.dir.path().join("cargo-args");
        let _ = fs::remove_file(&log);
        let out = Command::new("bash")
            .arg(common::root().join("scripts/install.sh"))
            .env_clear()
            .env(
                "PATH",
                common::path_with(
                    &[&self.dir.path().join("fake-bin")],
                    &path_without_lanyard(),
                ),
            )
            .env("HOME", self.dir.path())
            .env("GITHUB_ACTION_PATH", common::root())
            .env("GITHUB_PATH", &github_path)
            .env("RUNNER_TOOL_CACHE", self.cache())
            .env("RUNNER_TEMP", self.dir.path())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("LANYARD_ACTION_REF", action_ref)
            .env(
                "LANYARD_RELEASE_URL",
                format!("file://{}", self.dir.path().join("release").display()),
            )
            .output()
            .expect("bash runs");
        Installed {
            out,
            github_path: fs::read_to_string(github_path).expect("test setup"),
            cargo: fs::read_to_string(log).unwrap_or_default(),
        }
    }
}

impl Installed {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

#[test]
fn install_downloads_verifies_and_caches_the_release_binary() {
    let install = Install::new();
    let sum = install.publish(None);
    let dir = install
        .cache()
        .join(format!("lanyard/{VERSION}/{sum}/{TARGET}"));

    let run = install.run(&format!("v{VERSION}"));
    assert!(run.out.status.success(), "{}", run.stderr());
    assert_eq!(run.cargo, "", "no build when the release exists");
    assert_eq!(run.github_path, format!("{}\n", dir.display()));
    assert!(run.stderr().contains("verified"), "{}", run.stderr());
    let installed = Command::new(dir.join("lanyard"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&installed.stdout).trim(),
        format!("lanyard {VERSION}")
    );

    // The next run uses the cache: the binary is not downloaded again.
    fs::remove_file(install.release().join(format!("lanyard-{TARGET}"))).unwrap();
    let run = install.run(&format!("v{VERSION}"));
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.stderr().contains("is cached"), "{}", run.stderr());
    assert_eq!(run.github_path, format!("{}\n", dir.display()));

    // A cached binary that no longer matches its checksum is not used.
    install.publish(None);
    fs::write(dir.join("lanyard"), "#!/bin/sh\necho tampered\n").unwrap();
    let run = install.run(&format!("v{VERSION}"));
    assert!(run.out.status.success(), "{}", run.stderr());
    assert!(run.stderr().contains("verified"), "{}", run.stderr());
    assert_eq!(sha256_hex(&fs::read(dir.join("lanyard")).unwrap()), sum);

    // Pinned by the commit the release was built from: the same binary.
    let run = install.run(COMMIT);
    assert!(run.out.status.success(), "{}", run.stderr());
    assert_eq!(
        (run.github_path.as_str(), run.cargo.as_str()),
        (format!("{}\n", dir.display()).as_str(), "")
    );
}

#[test]
fn install_fails_on_a_checksum_mismatch() {
    let install = Install::new();
    let wrong = "0".repeat(64);
    install.publish(Some(&wrong));
    let run = install.run(&format!("v{VERSION}"));
    assert_eq!(run.out.status.code(), Some(2), "{}", run.stderr());
    assert!(
        run.stderr().contains("checksum mismatch"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.github_path, "", "nothing on PATH");
    assert_eq!(run.cargo, "", "a mismatch is not papered over by a build");
    assert!(
        !install
            .cache()
            .join(format!("lanyard/{VERSION}/{wrong}"))
            .join(TARGET)
            .join("lanyard")
            .exists()
    );

    // A checksum file that is not one is an error too.
    fs::write(
        install.release().join(format!("lanyard-{TARGET}.sha256")),
        "<html>not found</html>\n",
    )
    .expect("test setup");
    let run = install.run(&format!("v{VERSION}"));
    assert_eq!(run.out.status.code(), Some(2), "{}", run.stderr());
    assert_eq!((run.github_path.as_str(), run.cargo.as_str()), ("", ""));
}

#[test]
fn install_builds_from_source_only_without_a_matching_release() {
    let install = Install::new();
    let expect_build = |run: &Installed, why: &str| {
        assert!(run.out.status.success(), "{}", run.stderr());
        assert!(run.stderr().contains(why), "{why}: {}", run.stderr());
        assert!(
            run.stderr().contains("building lanyard"),
            "{}",
            run.stderr()
        );
        let (prefix, root) = run
            .cargo
            .trim_end()
            .split_once(" --root ")
            .unwrap_or_else(|| panic!("no build: {:?}", run.cargo));
        assert_eq!(
            prefix,
            format!(
                "install --locked --quiet --path {}",
                common::root().display()
            )
        );
        // Keyed by version and source hash, never by version alone.
        let rel = Path::new(root).strip_prefix(install.cache()).unwrap();
        let parts: Vec<_> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts[..2], ["lanyard".to_owned(), VERSION.to_owned()]);
        assert!(
            parts[2].starts_with("source-") && parts[2].len() == 23,
            "{parts:?}"
        );
        assert_eq!(run.github_path, format!("{root}/bin\n"));
    };

    // No release at all.
    expect_build(&install.run(&format!("v{VERSION}")), "has no lanyard-");
    // A branch or a local checkout (`uses: ./`).
    install.publish(None);
    expect_build(&install.run("main"), "not a release");
    expect_build(&install.run(""), "not a release");
    // A commit other than the release's.
    expect_build(&install.run(&"f".repeat(40)), "is not the commit");

    // Only https:// and file:// release URLs.
    let run = {
        let mut cmd = Command::new("bash");
        cmd.arg(common::root().join("scripts/install.sh"))
            .env_clear()
            .env("PATH", common::path_with(&[], &path_without_lanyard()))
            .env("GITHUB_ACTION_PATH", common::root())
            .env("LANYARD_RELEASE_URL", "http://example.com/releases");
        cmd.output().unwrap()
    };
    assert_eq!(run.status.code(), Some(2));
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
    for name in [
        "path",
        "config",
        "fail-on",
        "format",
        "sarif-file",
        "upload-sarif",
        "baseline",
        "diff-base",
        "args",
    ] {
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
            ("fail-on", "high"),
            ("format", "github"),
            ("path", "."),
            ("sarif-category", "lanyard"),
            ("sarif-file", "lanyard.sarif"),
            ("summary", "true"),
            ("upload-sarif", "false"),
        ]
    );
    for name in inputs.keys() {
        let line = format!("{}: ${{{{ inputs.{name} }}}}", env_name(name));
        assert!(yml.contains(&line), "action.yml does not pass `{line}`");
    }
    for output in [
        "findings",
        "critical",
        "high",
        "medium",
        "low",
        "borrowed-credential",
        "shared-identity",
        "excessive-scope",
        "audit-trail",
        "static-secret",
        "sarif-file",
    ] {
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
    let checkouts = assert_pinned("ci.yml", &yml);
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
        &[("sarif-file", "lanyard.sarif"), ("format", "human")][..],
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

/// Every `uses:` of a workflow is the repository itself or pinned to a full commit SHA
/// with a version comment; returns how many are `actions/checkout`.
fn assert_pinned(name: &str, yml: &str) -> usize {
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
            .unwrap_or_else(|| panic!("{name}:{}: `{uses}` has no ref", i + 1));
        let (sha, comment) = rest.split_once(" # v").unwrap_or((rest, ""));
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) && !comment.is_empty(),
            "{name}:{}: `{action}` is not pinned to a full SHA with a version comment",
            i + 1
        );
        if action == "actions/checkout" {
            checkouts += 1;
        }
    }
    checkouts
}

#[test]
fn the_release_workflow_is_pinned_and_least_privilege() {
    let yml = fs::read_to_string(common::root().join(".github/workflows/release.yml")).unwrap();
    assert!(
        yml.contains("\npermissions: {}\n"),
        "no top-level `permissions: {{}}`"
    );
    for (line, text) in run_blocks(&yml) {
        assert!(!text.contains("${{"), "release.yml:{line}: {text}");
    }
    let checkouts = assert_pinned("release.yml", &yml);
    assert_eq!(
        yml.matches("persist-credentials: false").count(),
        checkouts,
        "every checkout sets persist-credentials: false"
    );
    // Write scopes only where they are used: the release job creates the release, the
    // image jobs push, the build jobs attest; nothing writes at the top.
    let (top, jobs) = yml.split_once("\njobs:\n").unwrap();
    assert!(!top.contains(": write"));
    // Jobs are the two-space-indented keys; each job's lines follow its key.
    let mut by_job: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in jobs.lines() {
        if line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':') {
            by_job.push((line.trim(), Vec::new()));
        } else if let Some((_, lines)) = by_job.last_mut() {
            lines.push(line);
        }
    }
    assert_eq!(by_job.len(), 5, "{by_job:?}");
    for (name, lines) in by_job {
        let writes: Vec<&str> = lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| l.contains(": write"))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        let allowed: &[&str] = match name {
            "version:" => &[],
            "binaries:" => &["id-token", "attestations"],
            "image:" => &["packages"],
            "image-manifest:" => &["packages", "id-token", "attestations"],
            "release:" => &["contents"],
            other => panic!("unexpected job {other}"),
        };
        assert_eq!(writes, allowed, "{name}");
    }
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(yml.contains(&format!("target: {target}\n")), "{target}");
    }
    assert!(yml.contains("cargo build --release --locked"));
    assert!(yml.contains("actions/attest-build-provenance@"));
    assert!(yml.contains(".sha256"));
}

#[test]
fn the_dockerfile_builds_locked_and_ships_only_the_binary_as_non_root() {
    let text = fs::read_to_string(common::root().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "multi-stage: {froms:?}");
    assert_eq!(froms[1], "FROM scratch");
    assert!(text.contains("cargo build --release --locked"));
    let last = text.split("FROM scratch").nth(1).unwrap();
    assert_eq!(last.matches("COPY").count(), 1, "only the binary: {last}");
    assert!(last.contains("\nUSER 65532:65532\n"), "non-root: {last}");
    assert!(!last.contains("\nRUN "));
}

#[test]
fn the_release_check_compares_the_tag_with_the_version() {
    let script = common::root().join("scripts/release-check.sh");
    let version = env!("CARGO_PKG_VERSION");
    let ok = Command::new("bash")
        .arg(&script)
        .arg(format!("v{version}"))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{ok:?}");
    for bad in ["v0.0.0-rc1", "v999.0.0", "main", ""] {
        let out = Command::new("bash").arg(&script).arg(bad).output().unwrap();
        assert!(!out.status.success(), "{bad}");
    }
}
