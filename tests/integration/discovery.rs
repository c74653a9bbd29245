//! Discovery: hidden files in, `.git` out, `.gitignore` honoured without git, symlinks
//! and special files skipped with a notice, nothing read outside the root.

use std::fs;

use lanyard::scan::{NoticeKind, ScanOptions, scan};

use crate::common::{self, fake_pat};

fn run(dir: &std::path::Path, respect_ignore_files: bool) -> lanyard::scan::ScanResult {
    scan(&ScanOptions {
        paths: vec![dir.to_path_buf()],
        respect_ignore_files,
        ..ScanOptions::default()
    })
    .expect("scan runs")
}

fn paths(result: &lanyard::scan::ScanResult) -> Vec<String> {
    result
        .findings
        .iter()
        .map(|f| f.primary().path.to_string())
        .collect()
}

#[test]
fn hidden_files_are_scanned_and_git_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join(".github/workflows")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join(".env"), format!("GH_TOKEN={}\n", fake_pat(1))).unwrap();
    fs::write(
        root.join(".git/config"),
        format!("token = {}\n", fake_pat(2)),
    )
    .unwrap();
    let found = paths(&run(root, true));
    assert_eq!(found, vec![".env"]);
}

#[test]
fn gitignore_is_honoured_outside_a_git_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join(".gitignore"), "local.env\n").unwrap();
    fs::write(
        root.join("local.env"),
        format!("GH_TOKEN={}\n", fake_pat(3)),
    )
    .unwrap();
    fs::write(root.join("prod.env"), format!("GH_TOKEN={}\n", fake_pat(4))).unwrap();
    assert_eq!(paths(&run(root, true)), vec!["prod.env"]);
    assert_eq!(paths(&run(root, false)), vec!["local.env", "prod.env"]);
}

#[cfg(unix)]
#[test]
fn symlinks_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("secret.env"),
        format!("GH_TOKEN={}\n", fake_pat(5)),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink(outside.path().join("secret.env"), root.join("linked.env")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
    let result = run(root, true);
    assert!(
        result.findings.is_empty(),
        "read through a symlink: {:?}",
        paths(&result)
    );
    let skipped: Vec<&str> = result
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Skipped)
        .map(|n| &*n.path)
        .collect();
    assert_eq!(skipped, vec!["linked-dir", "linked.env", "loop"]);
}

#[cfg(unix)]
#[test]
fn fifo_named_env_is_skipped_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join(".env");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let result = run(dir.path(), true);
    assert!(
        result
            .notices
            .iter()
            .any(|n| &*n.path == ".env" && n.kind == NoticeKind::Skipped)
    );
}

#[test]
fn binary_and_oversized_files_are_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut binary = b"\x00\x01\x02".to_vec();
    binary.extend(fake_pat(6).as_bytes());
    fs::write(root.join("config.json"), binary).unwrap();
    fs::write(root.join("big.env"), "A=1\n".repeat(1000)).unwrap();
    let result = scan(&ScanOptions {
        paths: vec![root.to_path_buf()],
        max_file_size: 1000,
        ..ScanOptions::default()
    })
    .unwrap();
    assert!(result.findings.is_empty());
    let mut skipped: Vec<(&str, &str)> = result
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Skipped)
        .map(|n| (&*n.path, n.message.as_str()))
        .collect();
    skipped.sort();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    // Nothing was left to scan, which is said too.
    assert!(
        result
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::Coverage && n.path.is_empty())
    );
    assert!(skipped[0].0 == "big.env" && skipped[0].1.contains("limit"));
    assert!(skipped[1].0 == "config.json" && skipped[1].1.contains("binary"));
}

#[test]
fn invalid_utf8_still_yields_findings_at_the_right_place() {
    let dir = tempfile::tempdir().unwrap();
    let token = fake_pat(7);
    let mut bytes = b"# caf\xe9 (Latin-1)\nGH_TOKEN=".to_vec();
    let start = bytes.len();
    bytes.extend(token.as_bytes());
    bytes.push(b'\n');
    fs::write(dir.path().join("latin1.env"), &bytes).unwrap();
    let result = run(dir.path(), true);
    assert_eq!(result.findings.len(), 1);
    assert_eq!(result.findings[0].primary().span.start as usize, start);
}

#[test]
fn malformed_file_gives_a_parse_notice_and_text_rules_still_run() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        format!("apiVersion: v1\nkind: [unclosed\ntoken: {}\n", fake_pat(8)),
    )
    .unwrap();
    let result = run(dir.path(), true);
    assert_eq!(paths(&result), vec!["broken.yaml"]);
    let notice = result
        .notices
        .iter()
        .find(|n| n.kind == NoticeKind::ParseError)
        .expect("parse notice");
    assert!(notice.span.is_some());
    assert!(!notice.message.contains("ghp_"), "{}", notice.message);
}

#[test]
fn output_is_identical_across_thread_counts() {
    let demo = common::fixture("demo");
    let one = scan(&ScanOptions {
        paths: vec![demo.clone()],
        threads: 1,
        ..ScanOptions::default()
    })
    .unwrap();
    let many = scan(&ScanOptions {
        paths: vec![demo],
        threads: 4,
        ..ScanOptions::default()
    })
    .unwrap();
    let key = |r: &lanyard::scan::ScanResult| -> Vec<String> {
        r.findings
            .iter()
            .map(|f| format!("{} {} {}", f.rule(), f.primary().path, f.fingerprint()))
            .collect()
    };
    assert_eq!(key(&one), key(&many));
}

/// Two checkouts that each run an agent as `agents/agents`, with a grant to it and the
/// same model-key secret: in one repository they share the identity; in two, they do
/// not. `monorepo` puts one `.git` at the top, otherwise each checkout has its own.
fn checkouts(monorepo: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path();
    if monorepo {
        fs::create_dir_all(root.join(".git")).expect("write the checkout");
    }
    for name in ["billing", "search"] {
        let repo = root.join(name);
        if monorepo {
            fs::create_dir_all(&repo).expect("write the checkout");
        } else {
            fs::create_dir_all(repo.join(".git")).expect("write the checkout");
        }
        fs::write(
            repo.join("agent.yaml"),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}-agent\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: agents\n      containers:\n        - name: a\n          image: ghcr.io/acme/{name}:1\n          env:\n            - name: ANTHROPIC_API_KEY\n              valueFrom: {{ secretKeyRef: {{ name: llm, key: anthropic }} }}\n"
            ),
        )
        .expect("write the checkout");
    }
    // A grant in one checkout only: with two repositories, the other checkout's agent
    // does not hold it.
    fs::write(
        root.join("billing/rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: agents-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: agents\n    namespace: agents\n",
    )
    .expect("write the checkout");
    dir
}

#[test]
fn repositories_are_not_joined_with_each_other() {
    let shared = |result: &lanyard::scan::ScanResult| {
        result
            .findings
            .iter()
            .filter(|f| f.rule() == "identity-shared-by-agents")
            .count()
    };
    let agents_holding_admin = |result: &lanyard::scan::ScanResult| {
        result
            .findings
            .iter()
            .find(|f| f.rule() == "k8s-broad-rbac")
            .map(|f| f.related().len())
            .unwrap_or_default()
    };
    // A folder of checkouts: nothing joins across them.
    let apart = checkouts(false);
    let result = run(apart.path(), true);
    assert_eq!(shared(&result), 0, "{:?}", result.findings);
    assert_eq!(agents_holding_admin(&result), 1, "{:?}", result.findings);
    let out = common::lanyard()
        .args(["inventory", "--format", "json"])
        .arg(apart.path())
        .output()
        .unwrap();
    let inventory: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let identities = inventory["identities"].as_array().unwrap();
    assert!(!identities.is_empty());
    assert!(
        identities.iter().all(|i| i["shared"] == false),
        "{inventory}"
    );
    // A monorepo is one repository: the same files share the account and the grant.
    let together = checkouts(true);
    let result = run(together.path(), true);
    assert_eq!(shared(&result), 2, "{:?}", result.findings);
    assert_eq!(agents_holding_admin(&result), 2, "{:?}", result.findings);
}
