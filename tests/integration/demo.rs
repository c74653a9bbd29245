//! The bundled demo repository fires every family, and its report is stable.

use lanyard::finding::Family;
use lanyard::scan::{ScanOptions, scan};

use crate::common;

#[test]
fn demo_fires_every_family() {
    let result = scan(&ScanOptions {
        paths: vec![common::fixture("demo")],
        ..ScanOptions::default()
    })
    .expect("scan runs");
    for family in Family::ALL {
        assert!(
            result.findings.iter().any(|f| f.family() == family),
            "no {family} finding in fixtures/demo"
        );
    }
    assert!(
        result.notices.is_empty(),
        "demo notices: {:?}",
        result.notices
    );
}

#[test]
fn demo_human_report() {
    let (code, stdout, stderr) = common::check(&common::fixture("demo"), &[]);
    assert_eq!(
        code, 1,
        "findings at or above high fail the run; stderr: {stderr}"
    );
    let _snapshots = common::snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("demo__demo-human", stdout);
}

#[test]
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn demo_sarif_and_json_validate_against_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    // Every finding of the scan, whatever rules are added to the demo.
    let expected = scan(&ScanOptions {
        paths: vec![common::fixture("demo")],
        ..ScanOptions::default()
    })
    .expect("scan runs")
    .findings
    .len();
    for (format, schema) in [
        ("sarif", common::SARIF_SCHEMA),
        ("json", "docs/json-output.schema.json"),
    ] {
        let out = dir.path().join(format!("demo.{format}"));
        let (code, _, stderr) = common::check(
            &common::fixture("demo"),
            &["--format", format, "-o", out.to_str().unwrap()],
        );
        assert_eq!(code, 1, "{stderr}");
        if let Err(errors) = common::validate_schema(&common::root().join(schema), &out) {
            panic!("{format} output does not match {schema}:\n{errors}");
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        if format == "sarif" {
            let results = doc["runs"][0]["results"].as_array().unwrap();
            assert_eq!(results.len(), expected);
            let rules = doc["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap();
            for r in results {
                let idx = r["ruleIndex"].as_u64().unwrap() as usize;
                assert_eq!(rules[idx]["id"], r["ruleId"]);
                let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap();
                assert!(
                    !uri.starts_with('/') && !uri.contains("fixtures"),
                    "repo-relative: {uri}"
                );
            }
            for rule in rules {
                let tags = rule["properties"]["tags"].as_array().unwrap();
                assert!(tags.contains(&serde_json::json!("security")));
                assert_eq!(
                    tags.iter()
                        .filter(|t| Family::parse(t.as_str().unwrap()).is_some())
                        .count(),
                    1
                );
            }
        } else {
            assert_eq!(doc["version"], 1);
            assert_eq!(doc["findings"].as_array().unwrap().len(), expected);
        }
    }
}

#[test]
fn demo_inventory_draws_agents_and_shared_identities() {
    let out = common::lanyard()
        .args(["inventory", "fixtures/demo", "--format", "mermaid"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let mermaid = String::from_utf8(out.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(
        mermaid.contains(":::shared"),
        "a shared identity is highlighted"
    );
    assert!(mermaid.contains("aws_bedrockagent_agent support-agent"));
    assert!(!mermaid.contains("LanyardDemo"), "no secret in the graph");
    let _snapshots = common::snapshot_settings().bind_to_scope();
    insta::assert_snapshot!("demo__demo-inventory-mermaid", mermaid);

    let out = common::lanyard()
        .args(["inventory", "fixtures/demo"])
        .output()
        .unwrap();
    insta::assert_snapshot!(
        "demo__demo-inventory-table",
        String::from_utf8(out.stdout).unwrap()
    );

    let out = common::lanyard()
        .args(["inventory", "fixtures/demo", "--format", "json"])
        .output()
        .unwrap();
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["version"], 1);
    let shared: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["shared"] == true)
        .map(|i| i["description"].as_str().unwrap())
        .collect();
    assert!(shared.contains(&"AWS role `agent-runtime`"), "{shared:?}");
    let dot = common::lanyard()
        .args(["inventory", "fixtures/demo", "--format", "dot"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph lanyard {"));
}
