//! Task scopes end to end: declarations in a config file, `grant-exceeds-task` on every
//! platform with the declaration as related location, `inventory --suggest` round
//! trips, and the opt-in `undeclared-agent`.

use std::path::Path;

use crate::common;

const DEMO_TASKS: &str = "fixtures/task-scopes/demo.toml";

fn json_check(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = common::check(dir, &all);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    (code, doc, stderr)
}

fn findings_of<'a>(doc: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    doc["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

#[test]
fn demo_declarations_report_each_platform_with_both_locations() {
    let (code, doc, stderr) = json_check(
        &common::fixture("demo"),
        &["--config", DEMO_TASKS, "--select", "grant-exceeds-task"],
    );
    assert_eq!(code, 1, "{stderr}");
    let found = findings_of(&doc, "grant-exceeds-task");
    let text = serde_json::to_string(&found).unwrap();
    for expected in [
        "grants `*` on `*`",                  // AWS
        "`pull-requests: write`",             // GitHub
        "on `secrets` in namespace `agents`", // Kubernetes
        "files under `/`",                    // MCP filesystem root
        "holds a person's credential",        // a human token
    ] {
        assert!(text.contains(expected), "no `{expected}` in {text}");
    }
    assert!(!text.contains("LanyardDemo"), "a secret leaked: {text}");
    for f in &found {
        let related = serde_json::to_string(&f["related"]).unwrap();
        assert!(related.contains(DEMO_TASKS), "no declaration location: {f}");
    }
}

#[test]
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn sarif_with_the_declaration_as_related_location_validates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tasks.sarif");
    let (code, _, stderr) = common::check(
        &common::fixture("rules/grant-exceeds-task/fire"),
        &["--format", "sarif", "-o", out.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{stderr}");
    if let Err(errors) = common::validate_sarif(&out) {
        panic!("SARIF does not validate:\n{errors}");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let ours: Vec<_> = results
        .iter()
        .filter(|r| r["ruleId"] == "grant-exceeds-task")
        .collect();
    assert!(!ours.is_empty());
    for r in ours {
        let related = serde_json::to_string(&r["relatedLocations"]).unwrap();
        assert!(related.contains("\"lanyard.toml\""), "{related}");
    }
}

/// `inventory --suggest` fed back in as the config yields no `grant-exceeds-task`.
#[test]
fn suggestions_fed_back_in_produce_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    for fixture in [
        "demo",
        "rules/grant-exceeds-task/fire",
        "rules/grant-exceeds-task/silent",
        // Harness modes and tools (`mode`, `tools`) on every harness and command line.
        "rules/agent-approval-bypassed/fire",
        "rules/agent-unrestricted-tool/fire",
        "rules/agent-sensitive-path-access/fire",
    ] {
        let root = common::fixture(fixture);
        let suggested = dir.path().join("suggested.toml");
        let out = common::lanyard()
            .args(["inventory", "--suggest", "-o"])
            .arg(&suggested)
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&suggested).unwrap();
        assert!(text.contains("[[agent]]"), "{fixture}: {text}");
        assert!(!text.contains("Lanyard"), "{fixture}: a secret in {text}");
        let (_, doc, stderr) = json_check(
            &root,
            &[
                "--config",
                suggested.to_str().unwrap(),
                "--select",
                "grant-exceeds-task,undeclared-agent",
            ],
        );
        let left = findings_of(&doc, "grant-exceeds-task");
        assert!(left.is_empty(), "{fixture}: {left:?} {stderr}");
        assert!(
            findings_of(&doc, "undeclared-agent").is_empty(),
            "{fixture}"
        );
        assert_eq!(doc["notices"], serde_json::json!([]), "{fixture}");
    }
}

#[test]
fn undeclared_agent_runs_only_when_selected_by_id() {
    let fire = common::fixture("rules/undeclared-agent/fire");
    for args in [&[][..], &["--select", "excessive-scope"][..]] {
        let (_, doc, _) = json_check(&fire, args);
        assert!(findings_of(&doc, "undeclared-agent").is_empty(), "{args:?}");
    }
    let (_, doc, _) = json_check(&fire, &["--select", "undeclared-agent"]);
    // The MCP server, the service handed a model key, the service lanyard.toml declares
    // an agent, the Bedrock agent; not the service that only has an agent's name.
    assert_eq!(findings_of(&doc, "undeclared-agent").len(), 4);

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fire.join(".mcp.json"), dir.path().join(".mcp.json")).unwrap();
    std::fs::write(
        dir.path().join("lanyard.toml"),
        "[rules.undeclared-agent]\nenabled = true\n",
    )
    .unwrap();
    let (_, doc, _) = json_check(dir.path(), &[]);
    assert_eq!(findings_of(&doc, "undeclared-agent").len(), 1);

    let rules = common::lanyard().args(["rules"]).output().unwrap();
    let table = String::from_utf8(rules.stdout).unwrap();
    let line = table
        .lines()
        .find(|l| l.starts_with("undeclared-agent"))
        .unwrap();
    assert!(line.ends_with("(off by default)"), "{line}");
}

#[test]
fn declaration_problems_are_diagnostics_or_notices() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.env"), "LOG_LEVEL=info\n").unwrap();
    let config = dir.path().join("lanyard.toml");
    std::fs::write(
        &config,
        "[[agent]]\nname = \"x\"\naws = { action = [\"s3:GetObject\"] }\n",
    )
    .unwrap();
    let (code, _, stderr) = common::check(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("action") && stderr.contains("lanyard.toml"),
        "{stderr}"
    );

    std::fs::write(
        &config,
        "[[agent]]\nname = \"ghost\"\nmatch = { job = \"nope\" }\n",
    )
    .unwrap();
    let (code, doc, _) = json_check(dir.path(), &[]);
    assert_eq!(code, 0, "a declaration matching nothing is not an error");
    assert_eq!(doc["notices"][0]["kind"], "unmatched-declaration");
    assert_eq!(doc["notices"][0]["path"], "lanyard.toml");
}
