//! Command-line behaviour: exit codes, rule selection, configuration errors.

use predicates::prelude::*;

use crate::common::{self, check, fixture, lanyard, pod};

#[test]
fn clean_directory_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "nothing to see\n").unwrap();
    let (code, stdout, _) = check(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("No findings in 1 file."), "{stdout}");
}

#[test]
fn findings_below_the_threshold_exit_zero() {
    // default-service-account is medium for a non-agent pod.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n",
    )
    .unwrap();
    let (code, stdout, _) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("default-service-account"), "{stdout}");
    let (code, _, _) = check(dir.path(), &["--fail-on", "medium"]);
    assert_eq!(code, 1);
}

#[test]
fn select_and_ignore_take_rules_and_families() {
    let demo = fixture("demo");
    let (_, stdout, _) = check(&demo, &["--select", "excessive-scope"]);
    assert!(stdout.contains("[wildcard-iam-action]"), "{stdout}");
    assert!(!stdout.contains("[human-token]"), "{stdout}");
    let (_, stdout, _) = check(
        &demo,
        &["--ignore", "borrowed-credential,wildcard-iam-action"],
    );
    assert!(!stdout.contains("[human-token]"));
    assert!(!stdout.contains("[wildcard-iam-action]"));
    assert!(stdout.contains("[machine-secret-literal]"));
}

#[test]
fn unknown_rule_is_a_usage_error() {
    let (code, _, stderr) = check(&fixture("demo"), &["--select", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown rule or family `no-such-rule`"),
        "{stderr}"
    );
}

#[test]
fn bad_config_points_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lanyard.toml"),
        "fail-on = \"high\"\nfial-on = \"low\"\n",
    )
    .unwrap();
    let (code, _, stderr) = check(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("fial-on"), "{stderr}");
    assert!(stderr.contains("lanyard.toml"), "{stderr}");
}

#[test]
fn config_file_sets_threshold_and_ignores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: [{name: web, image: nginx}]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("lanyard.toml"), "fail-on = \"medium\"\n").unwrap();
    assert_eq!(check(dir.path(), &[]).0, 1);
    std::fs::write(
        dir.path().join("lanyard.toml"),
        "fail-on = \"medium\"\nignore = [\"shared-identity\"]\n",
    )
    .unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
}

#[test]
fn missing_path_exits_two() {
    let (code, _, stderr) = check(std::path::Path::new("does/not/exist"), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does/not/exist"), "{stderr}");
}

#[test]
fn github_annotations_are_relative_to_the_workspace() {
    let out = lanyard()
        .args(["check", "fixtures/demo", "--format", "github"])
        .env("GITHUB_WORKSPACE", common::root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty());
    // Past GitHub's display limit, one notice and plain lines (github_annotations_are_capped).
    for line in text
        .lines()
        .take_while(|l| !l.starts_with("::notice title=lanyard::"))
    {
        assert!(
            line.starts_with("::error file=fixtures/demo/")
                || line.starts_with("::warning file=fixtures/demo/")
                || line.starts_with("::notice file=fixtures/demo/"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}

#[test]
fn one_scan_writes_several_reports() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let md = dir.path().join("summary.md");
    let out = lanyard()
        .args(["check", "fixtures/demo", "--color", "never", "--sarif-file"])
        .arg(&sarif)
        .arg("--report")
        .arg(format!("markdown={}", md.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[human-token]"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("## lanyard")
    );
    let (code, _, stderr) = check(&fixture("demo"), &["--report", "yaml=x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown format"), "{stderr}");
}

#[test]
fn rules_lists_every_rule() {
    let out = lanyard()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, lanyard::rule_ids());
    lanyard().arg("rules").assert().success().stdout(
        predicate::str::contains("human-token")
            .and(predicate::str::contains("borrowed-credential")),
    );
}

#[test]
fn explain_prints_the_docs() {
    lanyard()
        .args(["explain", "human-token"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## Why it matters"));
    lanyard().args(["explain", "nope"]).assert().code(2);
}

#[test]
fn help_documents_exit_codes() {
    lanyard()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:").and(predicate::str::contains("--fail-on")));
}

#[test]
fn output_file_is_written_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    let output = lanyard()
        .args(["check", "fixtures/demo", "--color", "auto", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("[human-token]"));
    assert!(!text.contains('\x1b'), "no escape codes in a file");
}

#[test]
fn rules_reference_is_up_to_date() {
    let out = lanyard()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    let committed = std::fs::read_to_string(common::root().join("docs/rules.md")).unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn config_rules_allow_and_rule_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("pod.yaml"), pod("web")).unwrap();
    // Per-rule severity raises a medium finding above the threshold; `enabled = false`
    // turns the rule off.
    std::fs::write(
        root.join("lanyard.toml"),
        "[rules.default-service-account]\nseverity = \"critical\"\n",
    )
    .unwrap();
    assert_eq!(check(root, &[]).0, 1);
    std::fs::write(
        root.join("lanyard.toml"),
        "[rules.default-service-account]\nenabled = false\n",
    )
    .unwrap();
    let (code, stdout, _) = check(root, &["--fail-on", "low"]);
    assert_eq!(code, 0, "{stdout}");
    std::fs::write(
        root.join("lanyard.toml"),
        "[rules.no-such-rule]\nenabled = false\n",
    )
    .unwrap();
    assert_eq!(check(root, &[]).0, 2);

    // An allowed identity silences the findings that name it.
    std::fs::remove_file(root.join("pod.yaml")).unwrap();
    std::fs::write(root.join(".env"), "GIT_AUTHOR_EMAIL=jane.doe@gmail.com\n").unwrap();
    std::fs::write(root.join("lanyard.toml"), "fail-on = \"low\"\n").unwrap();
    assert_eq!(check(root, &[]).0, 1);
    std::fs::write(
        root.join("lanyard.toml"),
        "fail-on = \"low\"\n[allow]\nidentities = [\"jane.doe@gmail.com\"]\n",
    )
    .unwrap();
    let (code, stdout, _) = check(root, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("suppressed"), "{stdout}");

    // A project credential format from a rule directory.
    std::fs::remove_file(root.join(".env")).unwrap();
    std::fs::create_dir(root.join("lanyard-rules")).unwrap();
    std::fs::write(
        root.join("lanyard-rules/acme.toml"),
        r#"version = 1
[[credential]]
id = "acme-user-token"
name = "ACME user token"
provider = "acme"
principal = "human"
lifetime = "long-lived"
severity = "high"
confidence = "high"
keywords = ["acmeu_"]
regex = '''\b(acmeu_[a-z0-9]{24})\b'''
secret_group = 1
prefix = "acmeu_"
alternative = "an ACME service token"
match = ["T=acmeu_{lower:24}"]
no_match = ["T=acmeu_x"]
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("lanyard.toml"),
        "rule-dirs = [\"lanyard-rules\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("tool.env"),
        "ACME_TOKEN=acmeu_q8zr2lmt0vxk4nwb7yhc1jsd\n",
    )
    .unwrap();
    let (code, stdout, _) = check(root, &[]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("ACME user token"), "{stdout}");
    assert!(!stdout.contains("q8zr2lmt0vxk"), "masked: {stdout}");
}

#[test]
fn init_writes_a_starter_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let out = lanyard()
        .current_dir(dir.path())
        .arg("init")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(dir.path().join("lanyard.toml")).unwrap();
    assert!(text.contains("fail-on"));
    std::fs::write(dir.path().join("README.md"), "hi\n").unwrap();
    assert_eq!(check(dir.path(), &[]).0, 0);
    assert_eq!(
        lanyard()
            .current_dir(dir.path())
            .arg("init")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn diff_base_outside_a_repository_says_so() {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "a.env", "X=1\n");
    let (code, _, stderr) = check(dir.path(), &["--diff-base", "main"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs a git repository"), "{stderr}");
    assert!(!stderr.contains("merge-base"), "{stderr}");
}

#[test]
fn diff_base_in_a_shallow_clone_says_to_fetch_history() {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    std::fs::create_dir(&origin).unwrap();
    common::git(&origin, &["init", "-q", "-b", "main"]);
    common::write(&origin, "a.txt", "a\n");
    common::git(&origin, &["add", "."]);
    common::git(&origin, &["commit", "-q", "-m", "a"]);
    common::git(&origin, &["checkout", "-q", "-b", "feature"]);
    common::write(&origin, "b.txt", "b\n");
    common::git(&origin, &["add", "."]);
    common::git(&origin, &["commit", "-q", "-m", "b"]);
    common::git(&origin, &["checkout", "-q", "main"]);
    common::write(&origin, "c.txt", "c\n");
    common::git(&origin, &["add", "."]);
    common::git(&origin, &["commit", "-q", "-m", "c"]);
    let url = format!("file://{}", origin.display());
    common::git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            "-b",
            "feature",
            &url,
            "clone",
        ],
    );
    let clone = dir.path().join("clone");
    let (code, _, stderr) = check(&clone, &["--diff-base", "origin/main"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("shallow clone"), "{stderr}");
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
}

#[test]
fn diff_base_counts_untracked_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::git(root, &["init", "-q", "-b", "main"]);
    common::write(root, "README.md", "hi\n");
    common::git(root, &["add", "."]);
    common::git(root, &["commit", "-q", "-m", "base"]);
    common::write(root, "new.env", format!("T={}\n", common::fake_pat(3)));
    let (code, stdout, stderr) = check(root, &["--diff-base", "main"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("new.env"), "{stdout}");
    // An ignored file is not a change.
    common::write(root, ".gitignore", "new.env\n");
    let (code, stdout, _) = check(root, &["--diff-base", "main", "--no-ignore-files"]);
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn known_jsonc_files_parse_and_parse_notices_point_at_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let jsonc = "{\n  // comment\n  \"compilerOptions\": {\"strict\": true,},\n}\n";
    for rel in [
        "tsconfig.json",
        "jsconfig.json",
        "packages/a/tsconfig.base.json",
        ".vscode/settings.json",
        ".devcontainer/devcontainer.json",
        ".claude/settings.local.json",
    ] {
        common::write(root, rel, jsonc);
    }
    // The pre-commit idiom saphyr rejected: a flow list closed at its key's column.
    common::write(
        root,
        ".pre-commit-config.yaml",
        "repos:\n  - repo: local\n    hooks:\n      - id: lint\n        args: [\n          \"--fix\",\n        ]\n",
    );
    // Strict JSON still reports comments, at the comment.
    common::write(root, "data.json", "{\n  \"a\": 1, // no\n  \"b\": 2\n}\n");
    let (code, stdout, stderr) = check(root, &["--format", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let notices: Vec<&serde_json::Value> = doc["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "parse-error")
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["path"], "data.json");
    assert_eq!(notices[0]["location"]["start"]["line"], 2, "{notices:?}");
    assert_eq!(notices[0]["location"]["start"]["column"], 11, "{notices:?}");
    let (_, stdout, _) = check(root, &["-v"]);
    assert!(stdout.contains("data.json:2:11:"), "{stdout}");
}

/// miette wraps long messages: compare without white space and box drawing.
fn flat(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

#[test]
fn unknown_rule_ids_get_suggestions_and_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "README.md", "hi\n");
    let (code, _, stderr) = check(root, &["--select", "human-tokn"]);
    assert_eq!(code, 2);
    assert!(
        flat(&stderr).contains(&flat("did you mean `human-token`?")),
        "{stderr}"
    );
    common::write(
        root,
        "lanyard.toml",
        "fail-on = \"high\"\nignore = [\"borowed-credential\"]\n",
    );
    let (code, _, stderr) = check(root, &[]);
    assert_eq!(code, 2);
    assert!(
        flat(&stderr).contains(&flat("did you mean `borrowed-credential`?")),
        "{stderr}"
    );
    assert!(
        flat(&stderr).contains(&flat("lanyard.toml, line 2")),
        "{stderr}"
    );
    common::write(
        root,
        "lanyard.toml",
        "[rules.human-tokenn]\nenabled = false\n",
    );
    let (code, _, stderr) = check(root, &[]);
    assert_eq!(code, 2);
    assert!(
        flat(&stderr).contains(&flat("did you mean `human-token`?")),
        "{stderr}"
    );
    assert!(
        flat(&stderr).contains(&flat("lanyard.toml, line 1")),
        "{stderr}"
    );
    // `rule-dirs` written below `[allow]`.
    common::write(
        root,
        "lanyard.toml",
        "[allow]\nidentities = []\nrule-dirs = [\"lanyard-rules\"]\n",
    );
    let (code, _, stderr) = check(root, &[]);
    assert_eq!(code, 2);
    assert!(flat(&stderr).contains(&flat("allow.rule-dirs")), "{stderr}");
    assert!(flat(&stderr).contains(&flat("move it above")), "{stderr}");
}

#[test]
fn unknown_ids_in_ignore_comments_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(
        root,
        "tool.env",
        format!(
            "# lanyard: ignore[human-tokn] a rotated fixture\nT={}\n",
            common::fake_pat(4)
        ),
    );
    let (code, stdout, _) = check(root, &[]);
    // The typo suppresses nothing: the finding stands, and the comment is pointed at.
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("notice[unknown-rule]: tool.env:1:"),
        "{stdout}"
    );
    assert!(stdout.contains("did you mean `human-token`?"), "{stdout}");
    let (_, stdout, _) = check(root, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["level"] == "warning"
            && n["message"]["text"]
                .as_str()
                .unwrap()
                .contains("human-tokn")),
        "{notes:?}"
    );
}

#[test]
fn explain_accepts_a_family() {
    let out = lanyard()
        .args(["explain", "borrowed-credential"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("borrowed-credential family"), "{text}");
    assert!(text.contains("human-token"), "{text}");
    let out = lanyard().args(["explain", "human-tokn"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        flat(&String::from_utf8_lossy(&out.stderr)).contains(&flat("did you mean `human-token`?"))
    );
}

#[test]
fn per_path_ignores_rules_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mcp = format!(
        "{{\"mcpServers\": {{\"gh\": {{\"command\": \"gh-mcp\", \"env\": {{\"GITHUB_TOKEN\": \"{}\"}}}}}}}}\n",
        common::fake_pat(5)
    );
    common::write(root, ".mcp.json", &mcp);
    common::write(
        root,
        "fixtures/a.env",
        format!("T={}\n", common::fake_pat(6)),
    );
    let (code, stdout, _) = check(root, &["--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    common::write(
        root,
        "lanyard.toml",
        "[[per-path]]\npaths = [\".mcp.json\", \"fixtures/**\"]\nignore = [\"borrowed-credential\", \"shared-identity\", \"static-secret\"]\n",
    );
    let (code, stdout, stderr) = check(root, &["--format", "json", "--fail-on", "high"]);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
    let high: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["severity"].as_str(), Some("high" | "critical")))
        .collect();
    assert!(high.is_empty(), "{high:?}");
    assert_eq!(code, 0, "{stdout}");
    common::write(
        root,
        "lanyard.toml",
        "[[per-path]]\npaths = [\"a/**\"]\nignore = [\"human-tokn\"]\n",
    );
    let (code, _, stderr) = check(root, &[]);
    assert_eq!(code, 2);
    assert!(
        flat(&stderr).contains(&flat("did you mean `human-token`?")),
        "{stderr}"
    );
}

#[test]
fn exit_zero_and_fail_on_none_report_without_failing() {
    let demo = fixture("demo");
    assert_eq!(check(&demo, &[]).0, 1);
    let (code, stdout, _) = check(&demo, &["--exit-zero"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("[human-token]"), "{stdout}");
    let (code, stdout, _) = check(&demo, &["--fail-on", "none"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("[human-token]"), "{stdout}");
    // Errors still exit 2.
    assert_eq!(check(&demo, &["--exit-zero", "--select", "nope"]).0, 2);
}

#[test]
fn concise_and_quiet_print_one_line_a_finding() {
    let demo = fixture("demo");
    let (code, stdout, _) = check(&demo, &["--format", "concise", "-q"]);
    assert_eq!(code, 1);
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        // path:line:col: severity rule message
        let mut parts = line.splitn(4, ':');
        let (_path, l, c, rest) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(
            l.parse::<usize>().is_ok() && c.parse::<usize>().is_ok(),
            "{line}"
        );
        let words: Vec<&str> = rest.trim_start().splitn(3, ' ').collect();
        assert!(
            ["critical", "high", "medium", "low"].contains(&words[0]),
            "{line}"
        );
        assert!(lanyard::rule_ids().contains(&words[1]), "{line}");
    }
    // -q drops the summary of the human format; -v and -q do not go together.
    let (_, stdout, _) = check(&demo, &["-q"]);
    assert!(stdout.contains("[human-token]"));
    assert!(!stdout.contains(" findings ("), "{stdout}");
    let (_, stdout, _) = check(&demo, &[]);
    assert!(stdout.contains(" findings ("), "{stdout}");
    assert_eq!(check(&demo, &["-q", "-v"]).0, 2);
}

#[test]
fn force_color_is_honoured_and_no_color_too() {
    let run = |env: &[(&str, &str)]| {
        let mut cmd = lanyard();
        cmd.args(["check", "fixtures/demo"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(!run(&[]).contains('\x1b'), "a pipe gets no colour");
    assert!(run(&[("FORCE_COLOR", "1")]).contains('\x1b'));
    assert!(!run(&[("FORCE_COLOR", "0")]).contains('\x1b'));
    assert!(!run(&[("NO_COLOR", "1")]).contains('\x1b'));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    for args in [
        "rules --format json",
        "rules --format markdown",
        "check fixtures/demo --exit-zero --format json",
    ] {
        let script = format!("\"$0\" {args} | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"");
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .arg(env!("CARGO_BIN_EXE_lanyard"))
            .current_dir(common::root())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{args}");
        assert!(
            out.stderr.is_empty(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn top_level_help_shows_examples() {
    lanyard().arg("--help").assert().success().stdout(
        predicate::str::contains("--exit-zero")
            .and(predicate::str::contains("--format concise"))
            .and(predicate::str::contains("--diff-base")),
    );
    lanyard()
        .args(["check", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--quiet")
                .and(predicate::str::contains("FORCE_COLOR"))
                .and(predicate::str::contains("none")),
        );
}

#[test]
fn github_annotations_are_capped_with_a_count_of_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..14 {
        common::write(
            root,
            &format!("t{i:02}.env"),
            format!("T={}\n", common::fake_pat(i)),
        );
    }
    let (code, stdout, _) = check(root, &["--format", "github", "--select", "human-token"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    let errors = lines.iter().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(errors, 10, "{stdout}");
    let notice: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("::notice title=lanyard::"))
        .collect();
    assert_eq!(notice.len(), 1, "{stdout}");
    assert!(notice[0].contains("4 more findings"), "{stdout}");
    let plain = lines.iter().filter(|l| l.starts_with("  t")).count();
    assert_eq!(plain, 4, "{stdout}");
    // Below the limit, annotations only.
    let (_, stdout, _) = check(
        root,
        &[
            "--format",
            "github",
            "--select",
            "human-token",
            "--exit-zero",
            "t00.env",
        ],
    );
    assert!(!stdout.contains("title=lanyard::"), "{stdout}");
}

#[test]
fn sarif_shows_escalated_severity_and_summarises_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::write(root, "pod.yaml", pod("web"));
    for i in 0..3 {
        common::write(
            root,
            &format!("img{i}.png"),
            b"\x89PNG\r\n\x1a\n\0\0\0binary",
        );
    }
    common::write(
        root,
        "lanyard.toml",
        "[rules.default-service-account]\nseverity = \"critical\"\n",
    );
    let (_, stdout, _) = check(root, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ruleId"]
                .as_str()
                .unwrap()
                .starts_with("default-service-account")
        })
        .unwrap();
    assert_eq!(result["ruleId"], "default-service-account/critical");
    let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "default-service-account/critical");
    assert_eq!(rule["properties"]["security-severity"], "9.5");
    assert_eq!(result["level"], "error");
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let skipped: Vec<&serde_json::Value> = notes
        .iter()
        .filter(|n| n["descriptor"]["id"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 1, "{notes:?}");
    assert!(
        skipped[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("3 files skipped: binary file"),
        "{skipped:?}"
    );
    let path = root.join("out.sarif");
    std::fs::write(&path, &stdout).unwrap();
    common::validate_sarif(&path).unwrap();
}
