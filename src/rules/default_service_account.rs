use crate::findings::{Finding, Severity};
use crate::model::cloud::{DefaultAccountBinding, DefaultIdentity};
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
    /// The same in the clouds, in Terraform (HCL and JSON):
    /// - GKE node pools (`google_container_node_pool`, the default pool of a
    ///   `google_container_cluster` that is not removed, Autopilot provisioning
    ///   defaults), Cloud Run services and jobs, Cloud Functions (both generations) and
    ///   Compute Engine instances and templates that set no service account, or name the
    ///   Compute Engine or App Engine default one (`…-compute@developer.gserviceaccount.com`,
    ///   `data.google_compute_default_service_account`): they all share one identity,
    ///   which holds the project Editor role by default;
    /// - a cloud identity bound to a namespace's `default` Kubernetes service account:
    ///   GKE workload identity (`roles/iam.workloadIdentityUser` for
    ///   `serviceAccount:<project>.svc.id.goog[<namespace>/default]`) or an Azure
    ///   federated identity credential with subject
    ///   `system:serviceaccount:<namespace>:default` (high: every pod of the namespace
    ///   that names no account holds the cloud identity).
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
        summary: "A workload runs as a default service account that everything naming none shares",
        applies_to: |kind| matches!(
            kind,
            FileKind::Kubernetes
                | FileKind::HelmTemplate
                | FileKind::Terraform
                | FileKind::TerraformJson
        ),
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
        let cloud = cx.facts.cloud();
        for d in &cloud.default_identities {
            default_identity(cx, d, out);
        }
        for b in &cloud.default_account_bindings {
            default_account_binding(cx, b, out);
        }
    }
}

/// GCP compute on the Compute Engine or App Engine default service account.
fn default_identity(cx: &FileCx<'_>, d: &DefaultIdentity, out: &mut Vec<Finding>) {
    let how = if d.explicit {
        format!("names {} in `{}`", d.account, d.setting)
    } else {
        format!("sets no `{}`, so it runs as {}", d.setting, d.account)
    };
    let mut message = format!(
        "`{}` {how}: every VM, node pool, function and service of the project that names no account shares it, it holds the project Editor role unless that default grant was removed, and its calls cannot be told apart",
        d.address
    );
    let agent = cx.facts.workload_at(d.span).filter(|w| w.agent.is_some());
    if let Some(w) = agent {
        message.push_str(&format!(
            "; it looks like an AI agent ({})",
            w.agent.as_deref().unwrap_or("")
        ));
    }
    let mut b = cx
        .finding(&DefaultServiceAccount::META, d.span, message)
        .label("default service account")
        .help(format!(
            "Create a service account for this workload (`google_service_account`) with only the roles it needs and set `{}` to its email.",
            d.setting
        ))
        .key(format!("{}:{}", d.address, d.setting));
    if let Some(w) = agent {
        b = b.severity(Severity::High).workload(&w.name);
    }
    out.push(b.build());
}

/// A cloud identity bound to every pod of a namespace through its `default` account.
fn default_account_binding(cx: &FileCx<'_>, d: &DefaultAccountBinding, out: &mut Vec<Finding>) {
    let message = format!(
        "`{}` binds `{}` to the `default` Kubernetes service account of namespace `{}` through {}: every pod of the namespace that names no service account acts as that cloud identity",
        d.address, d.identity, d.namespace, d.mechanism
    );
    out.push(
        cx.finding(&DefaultServiceAccount::META, d.span, message)
            .label("namespace default account")
            .severity(Severity::High)
            .help("Bind the cloud identity to a Kubernetes service account of its own (`<namespace>/<agent>`) that only the agent's pods name.")
            .key(format!("{}:default-account", d.address))
            .build(),
    );
}
