use crate::findings::{Finding, Severity};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;

declare_rule! {
    /// ## What it finds
    /// A Kubernetes workload (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod)
    /// that runs as its namespace's `default` service account: no
    /// `serviceAccountName`, or `serviceAccountName: default`, while the service
    /// account token is still mounted. Pods that set
    /// `automountServiceAccountToken: false` hold no token and stay silent.
    ///
    /// Helm chart templates are rendered with the chart's default `values.yaml` and
    /// named templates first, so a chart whose helper resolves the service account to
    /// `default` (the `helm create` scaffold with `serviceAccount.create: false` and no
    /// `name`) fires, and one that creates its own does not. An empty
    /// `serviceAccountName` (a blank value) is no name.
    ///
    /// ## Why it matters
    /// Every pod in the namespace that names no service account shares the default one,
    /// so whatever is granted to it is granted to all of them, and the API server's audit
    /// log cannot tell which workload made a call. For an agent this means its actions
    /// are indistinguishable from every other workload's.
    ///
    /// ## What to do instead
    /// Create a service account per agent, bind only the roles its task needs, and set
    /// `serviceAccountName`. If the workload never calls the Kubernetes API, set
    /// `automountServiceAccountToken: false`.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   template:
    ///     spec:
    ///       containers: [{ name: triage-agent, image: ghcr.io/acme/triage-agent:1.4 }]
    /// ```
    /// Use instead `serviceAccountName: triage-agent` with its own RoleBinding.
    pub(crate) struct DefaultServiceAccount {
        id: "default-service-account",
        family: SharedIdentity,
        severity: Medium,
        confidence: High,
        summary: "A Kubernetes workload runs as the namespace's default service account",
        applies_to: |kind| matches!(kind, FileKind::Kubernetes | FileKind::HelmTemplate),
    }
}

impl Rule for DefaultServiceAccount {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for pod in &cx.facts.runtime().pods {
            if pod.automount_token == Some(false) {
                continue;
            }
            let (span, label) = match &pod.service_account {
                Some(sa) if sa.as_str() == Some("default") => {
                    (sa.span, "the default service account, named explicitly")
                }
                Some(_) => continue,
                None => (pod.kind_span, "no serviceAccountName: runs as `default`"),
            };
            let name = pod.key.to_string();
            let agent = cx.facts.workload(&pod.key).and_then(|w| w.agent.as_deref());
            let mut message = format!(
                "{name} runs as the default service account of namespace `{}`, shared by every pod that names none",
                pod.namespace
            );
            if let Some(why) = agent {
                message.push_str(&format!("; it looks like an AI agent ({why})"));
            }
            let mut b = cx
                .finding(&Self::META, span, message)
                .label(label)
                .help("Create a dedicated service account for this workload and set `serviceAccountName`, or set `automountServiceAccountToken: false` if it never calls the API.")
                .workload(&name)
                .key(format!("{name}:serviceAccount"));
            if agent.is_some() {
                b = b.severity(Severity::High);
            }
            out.push(b.build());
        }
    }
}
