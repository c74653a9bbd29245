//! Every rule fires on its `fire` fixtures and stays silent on its `silent` ones; the
//! diagnostics of each `fire` fixture are snapshotted. There is one test per rule and
//! check (`rule_fixtures::<rule>::{fires,silent,snapshot}`), so a failure names its rule
//! and does not hide the rules after it.

use lanyard::scan::{ScanOptions, scan};

use crate::common;

/// For each `module => "rule-id"`, a module with the tests `fires`, `silent` and
/// `snapshot` of that rule; `LISTED` collects the ids for `every_rule_has_its_cases`.
macro_rules! rule_cases {
    ($($module:ident => $rule:literal,)+) => {
        const LISTED: &[&str] = &[$($rule),+];
        $(
            mod $module {
                #[test]
                fn fires() {
                    super::fires($rule);
                }

                #[test]
                fn silent() {
                    super::silent($rule);
                }

                #[test]
                fn snapshot() {
                    super::snapshot($rule);
                }
            }
        )+
    };
}

// Adding a rule? Add its line here, `snake_case_id => "rule-id",`, in alphabetical order
// (so additions on other branches rarely touch the same lines). `every_rule_has_its_cases` fails
// until the line is here. The rule also needs `fixtures/rules/<rule-id>/{fire,silent}/`;
// its first run writes `tests/snapshots/rule_fixtures__fire-<rule-id>.snap.new` for
// `cargo insta review`.
rule_cases! {
    admin_managed_policy => "admin-managed-policy",
    agent_acts_as_person => "agent-acts-as-person",
    agent_approval_bypassed => "agent-approval-bypassed",
    agent_host_escape => "agent-host-escape",
    agent_sensitive_path_access => "agent-sensitive-path-access",
    agent_unrestricted_tool => "agent-unrestricted-tool",
    anonymous_role_session => "anonymous-role-session",
    audit_logging_disabled => "audit-logging-disabled",
    broad_oauth_scope => "broad-oauth-scope",
    default_service_account => "default-service-account",
    generic_shared_account => "generic-shared-account",
    gha_broad_permissions => "gha-broad-permissions",
    grant_exceeds_task => "grant-exceeds-task",
    human_and_agent_share_role => "human-and-agent-share-role",
    human_credential_mount => "human-credential-mount",
    human_token => "human-token",
    human_token_reference => "human-token-reference",
    identity_shared_by_agents => "identity-shared-by-agents",
    k8s_broad_rbac => "k8s-broad-rbac",
    long_lived_cloud_key => "long-lived-cloud-key",
    machine_secret_literal => "machine-secret-literal",
    personal_identity => "personal-identity",
    privilege_escalation_action => "privilege-escalation-action",
    short_log_retention => "short-log-retention",
    undeclared_agent => "undeclared-agent",
    user_oauth_credentials => "user-oauth-credentials",
    wildcard_iam_action => "wildcard-iam-action",
    wildcard_iam_resource => "wildcard-iam-resource",
}

#[test]
fn every_rule_has_its_cases() {
    let registered = lanyard::rule_ids();
    let missing: Vec<&str> = registered
        .iter()
        .filter(|rule| !LISTED.contains(rule))
        .copied()
        .collect();
    let unknown: Vec<&str> = LISTED
        .iter()
        .filter(|rule| !registered.contains(rule))
        .copied()
        .collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "rule_cases! in tests/integration/rule_fixtures.rs lacks {missing:?} and lists \
         rules that do not exist {unknown:?}"
    );
    // Same sets; this also catches an id listed twice under two module names.
    let mut listed = LISTED.to_vec();
    listed.sort_unstable();
    let mut registered = registered;
    registered.sort_unstable();
    assert_eq!(listed, registered);
}

fn findings_of(rule: &'static str, dir: &std::path::Path) -> Vec<lanyard::finding::Finding> {
    // Task declarations are part of a fixture (`lanyard.toml`), as the CLI reads them.
    let (config, config_path) =
        lanyard::config::Config::load(None, dir).expect("fixture config parses");
    let opts = ScanOptions {
        paths: vec![dir.to_path_buf()],
        rules: vec![rule],
        agents: config.agent,
        workloads: config.workload,
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

fn fires(rule: &'static str) {
    let dir = common::fixture(&format!("rules/{rule}/fire"));
    let found = findings_of(rule, &dir);
    assert!(
        !found.is_empty(),
        "{rule} did not fire on {}",
        dir.display()
    );
    assert!(found.iter().all(|f| f.rule() == rule));
}

fn silent(rule: &'static str) {
    let dir = common::fixture(&format!("rules/{rule}/silent"));
    let found = findings_of(rule, &dir);
    let described: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}",
                f.primary().path,
                f.primary().span.start,
                f.message()
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "{rule} fired on its silent fixtures:\n{}",
        described.join("\n")
    );
}

fn snapshot(rule: &'static str) {
    let dir = common::fixture(&format!("rules/{rule}/fire"));
    let (_, stdout, stderr) = common::check(&dir, &["--select", rule]);
    assert!(stderr.is_empty(), "{rule}: unexpected stderr: {stderr}");
    let _snapshots = common::snapshot_settings().bind_to_scope();
    insta::assert_snapshot!(format!("rule_fixtures__fire-{rule}"), stdout);
}
