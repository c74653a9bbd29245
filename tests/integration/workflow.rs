//! The developer workflow: inline ignores, baselines, diff mode and file lists from
//! pre-commit.

use std::fs;

use crate::common::{self, check, fake_pat, git, lanyard, pod};

#[test]
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn inline_ignores_need_a_reason_and_name_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("a.env"),
        format!(
            "# lanyard: ignore[human-token] rotated test token kept for the parser fixtures\nT1={}\nT2={} # lanyard: ignore[human-token]\n# lanyard: ignore[static-secret] wrong family\nT3={}\n",
            fake_pat(1),
            fake_pat(2),
            fake_pat(3)
        ),
    )
    .unwrap();
    let (code, stdout, _) = check(root, &["--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let lines: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![3, 5],
        "T1 suppressed; T2 has no reason; T3 names another family"
    );
    let notices: Vec<&str> = doc["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(notices, vec!["ignore-without-reason"]);

    let (_, stdout, _) = check(root, &["--report-unused-ignores", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        doc["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "unused-ignore")
    );

    // SARIF keeps suppressed results, marked as such, and still validates.
    let sarif = root.join("out.sarif");
    check(root, &["--format", "sarif", "-o", sarif.to_str().unwrap()]);
    common::validate_sarif(&sarif).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert!(results.iter().all(|r| {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    }));
}

#[test]
fn baseline_hides_known_findings_and_survives_moved_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a.env"), format!("T={}\n", fake_pat(4))).unwrap();
    let baseline = root.join("baseline.json");
    let out = lanyard()
        .arg("baseline")
        .arg(root)
        .arg("-o")
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        check(root, &["--baseline", baseline.to_str().unwrap()]).0,
        0
    );
    // The same token two lines lower keeps its fingerprint.
    fs::write(
        root.join("a.env"),
        format!("# moved\n\nT={}\n", fake_pat(4)),
    )
    .unwrap();
    assert_eq!(
        check(root, &["--baseline", baseline.to_str().unwrap()]).0,
        0
    );
    // A different token is a new finding.
    fs::write(root.join("a.env"), format!("T={}\n", fake_pat(5))).unwrap();
    let (code, stdout, _) = check(root, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    // The baseline holds no secret.
    let text = fs::read_to_string(&baseline).unwrap();
    assert!(!text.contains(&fake_pat(4)[4..]), "{text}");
}

#[test]
fn diff_base_reports_only_changed_files_with_whole_repo_context() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    fs::write(root.join("old.env"), format!("T={}\n", fake_pat(6))).unwrap();
    fs::write(root.join("a.yaml"), pod("web")).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    fs::write(root.join("new.env"), format!("T={}\n", fake_pat(7))).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "change"]);
    let (code, stdout, stderr) = check(root, &["--diff-base", "HEAD~1", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["new.env"]);
    let (code, _, stderr) = check(root, &["--diff-base", "--output=x"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn file_arguments_report_only_those_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("one.env"), format!("T={}\n", fake_pat(8))).unwrap();
    fs::write(root.join("two.env"), format!("T={}\n", fake_pat(9))).unwrap();
    let out = lanyard()
        .current_dir(root)
        .args(["check", "--format", "json", "two.env"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["two.env"]);
}

#[test]
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn sarif_with_suppressed_baselined_and_cross_file_findings_validates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in ["triage", "deploy"] {
        fs::write(
            root.join(format!("{name}.yaml")),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}-agent\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: agents\n      containers: [{{name: a, image: ghcr.io/acme/{name}-agent:1, env: [{{name: ANTHROPIC_API_KEY, valueFrom: {{secretKeyRef: {{name: llm, key: anthropic}}}}}}]}}]\n"),
        )
        .unwrap();
    }
    fs::write(root.join("old.env"), format!("T={}\n", fake_pat(10))).unwrap();
    let baseline = root.join("baseline.json");
    assert!(
        lanyard()
            .arg("baseline")
            .arg(root)
            .arg("-o")
            .arg(&baseline)
            .output()
            .unwrap()
            .status
            .success()
    );
    // After the baseline: an ignored token, and the cross-file finding stays reported.
    fs::write(
        root.join("new.env"),
        format!(
            "# lanyard: ignore[human-token] fixture for the parser tests\nT={}\n",
            fake_pat(11)
        ),
    )
    .unwrap();
    let sarif = root.join("out.sarif");
    let (code, _, stderr) = check(
        root,
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--format",
            "sarif",
            "-o",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(
        code, 0,
        "everything left is suppressed or baselined: {stderr}"
    );
    common::validate_sarif(&sarif).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let kinds: Vec<&str> = results
        .iter()
        .filter_map(|r| r.get("suppressions").and_then(|s| s[0]["kind"].as_str()))
        .collect();
    assert!(
        kinds.contains(&"inSource") && kinds.contains(&"external"),
        "{kinds:?}"
    );
    let cross = results
        .iter()
        .find(|r| r["ruleId"] == "identity-shared-by-agents")
        .expect("cross-file finding");
    assert_ne!(
        cross["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        cross["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    );
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1, "{r}");
    }
}
