//! Every rule fires on its `fire` fixtures and stays silent on its `silent` ones; the
//! diagnostics of each `fire` fixture are snapshotted.

use lanyard::scan::{ScanOptions, scan};

use crate::common;

fn findings_of(rule: &'static str, dir: &std::path::Path) -> Vec<lanyard::finding::Finding> {
    // Task declarations are part of a fixture (`lanyard.toml`), as the CLI reads them.
    let (config, config_path) =
        lanyard::config::Config::load(None, dir).expect("fixture config parses");
    let opts = ScanOptions {
        paths: vec![dir.to_path_buf()],
        rules: vec![rule],
        agents: config.agent,
        config_file: config_path.map(|p| {
            (
                std::sync::Arc::from("lanyard.toml"),
                std::fs::read(p).expect("fixture config readable"),
            )
        }),
        ..ScanOptions::default()
    };
    let result = scan(&opts).expect("scan runs");
    // A fixture that does not parse tests nothing: fail loudly instead.
    assert!(
        result.notices.is_empty(),
        "{}: notices {:?}",
        dir.display(),
        result.notices
    );
    result.findings
}

#[test]
fn every_rule_fires_on_its_fire_fixtures() {
    for rule in lanyard::rule_ids() {
        let dir = common::fixture(&format!("rules/{rule}/fire"));
        let found = findings_of(rule, &dir);
        assert!(
            !found.is_empty(),
            "{rule} did not fire on {}",
            dir.display()
        );
        assert!(found.iter().all(|f| f.rule == rule));
    }
}

#[test]
fn every_rule_is_silent_on_its_silent_fixtures() {
    for rule in lanyard::rule_ids() {
        let dir = common::fixture(&format!("rules/{rule}/silent"));
        let found = findings_of(rule, &dir);
        let described: Vec<String> = found
            .iter()
            .map(|f| format!("{}:{} {}", f.primary.path, f.primary.span.start, f.message))
            .collect();
        assert!(
            found.is_empty(),
            "{rule} fired on its silent fixtures:\n{}",
            described.join("\n")
        );
    }
}

#[test]
fn fire_fixture_diagnostics() {
    let _snapshots = common::snapshot_settings().bind_to_scope();
    for rule in lanyard::rule_ids() {
        let dir = common::fixture(&format!("rules/{rule}/fire"));
        let (_, stdout, stderr) = common::check(&dir, &["--select", rule]);
        assert!(stderr.is_empty(), "{rule}: unexpected stderr: {stderr}");
        insta::assert_snapshot!(format!("rule_fixtures__fire-{rule}"), stdout);
    }
}
