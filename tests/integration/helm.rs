//! Helm charts as structure, through the library: templates rendered with the chart's
//! values reach the model; a chart template that cannot be read is a notice while text
//! rules still run; a template outside any chart fails quietly.

use lanyard::model::identity::Identity;
use lanyard::scan::{NoticeKind, ScanOptions, scan};

use crate::common::{fake_pat, write};

fn scan_dir(dir: &std::path::Path) -> lanyard::scan::ScanResult {
    scan(&ScanOptions {
        paths: vec![dir.to_path_buf()],
        ..ScanOptions::default()
    })
    .expect("scan runs")
}

#[test]
fn an_unreadable_chart_template_is_a_notice_and_text_rules_still_run() {
    let dir = tempfile::tempdir().unwrap();
    let broken = format!(
        "{{{{- if .Values.enabled }}}}\nenv:\n  - name: GITHUB_TOKEN\n    value: {}\n  broken: [unclosed\n{{{{- end }}}}\n",
        fake_pat(3)
    );
    write(
        dir.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
    );
    write(dir.path(), "chart/values.yaml", "enabled: true\n");
    write(dir.path(), "chart/templates/broken.yaml", &broken);
    // The same text under a `templates/` folder that is no chart: no notice.
    write(dir.path(), "site/templates/page.yaml", &broken);
    let result = scan_dir(dir.path());
    let notices: Vec<_> = result
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::ParseError)
        .map(|n| (n.path.to_string(), n.message.clone()))
        .collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "chart/templates/broken.yaml");
    assert!(notices[0].1.contains("Helm template"), "{}", notices[0].1);
    for path in ["chart/templates/broken.yaml", "site/templates/page.yaml"] {
        assert!(
            result
                .findings
                .iter()
                .any(|f| f.rule() == "human-token" && &*f.primary().path == path),
            "no human-token in {path}"
        );
    }
}

#[test]
fn a_chart_service_account_from_values_joins_its_workloads() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "agent/Chart.yaml",
        "apiVersion: v2\nname: agent\nversion: 1.0.0\n",
    );
    write(
        dir.path(),
        "agent/values.yaml",
        "serviceAccount:\n  create: true\n  name: triage-agent\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::123456789012:role/triage-agent\n",
    );
    write(
        dir.path(),
        "agent/templates/serviceaccount.yaml",
        "{{- if .Values.serviceAccount.create -}}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ include \"agent.serviceAccountName\" . }}\n  {{- with .Values.serviceAccount.annotations }}\n  annotations:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}\n{{- end }}\n",
    );
    write(
        dir.path(),
        "agent/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-agent\nspec:\n  template:\n    spec:\n      serviceAccountName: {{ include \"agent.serviceAccountName\" . }}\n      containers:\n        - name: agent\n          image: ghcr.io/acme/triage-agent:1.0\n",
    );
    let result = scan_dir(dir.path());
    assert!(result.notices.is_empty(), "{:?}", result.notices);
    let account = Identity::K8sServiceAccount {
        namespace: "default".into(),
        name: "triage-agent".into(),
        implicit: false,
    };
    let w = result
        .facts
        .workloads
        .iter()
        .find(|w| w.name == "Deployment default/release-name-agent")
        .expect("the chart's deployment is a workload");
    assert!(w.identities.iter().any(|u| u.identity == account));
    let alias = result
        .facts
        .aliases
        .iter()
        .find(|a| a.from == account)
        .expect("the annotation from values is an alias");
    assert_eq!(alias.to, Identity::AwsRole("triage-agent".into()));
    assert_eq!(&*alias.path, "agent/templates/serviceaccount.yaml");
}
