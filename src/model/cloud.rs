//! Cloud platform settings that decide who may do what in a cluster, which identity
//! compute runs as and whether what it does is seen, whichever IaC format writes them
//! (Terraform HCL and JSON, CloudFormation, ARM templates): managed Kubernetes clusters
//! (authorization mode, control-plane logs, monitoring), compute left on a platform's
//! default service account, and cloud identities bound to a namespace's `default`
//! Kubernetes service account. [`crate::model::extract`] fills them once per file.

use crate::model::audit::IacFormat;
use crate::model::settings::Field;
use crate::syntax::source::Span;

/// Which managed Kubernetes service a cluster is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClusterKind {
    Eks,
    Gke,
    Aks,
}

impl ClusterKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Eks => "EKS",
            ClusterKind::Gke => "GKE",
            ClusterKind::Aks => "AKS",
        }
    }
}

/// A managed Kubernetes cluster and the settings lanyard judges.
#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub(crate) kind: ClusterKind,
    pub(crate) format: IacFormat,
    /// `aws_eks_cluster.main`, a CloudFormation logical id, an ARM resource name.
    pub(crate) address: String,
    /// Where the cluster is named (where a missing setting is pointed at).
    pub(crate) span: Span,
    /// AKS: Kubernetes RBAC turned off (`role_based_access_control_enabled = false`,
    /// `role_based_access_control { enabled = false }`, `enableRBAC: false`).
    pub(crate) rbac_disabled: Option<Field>,
    /// GKE: `enable_legacy_abac = true`.
    pub(crate) legacy_abac: Option<Field>,
    /// EKS: the control-plane log types enabled (`enabled_cluster_log_types`,
    /// `Logging.ClusterLogging.EnabledTypes`), with where the list is; `None` when the
    /// setting is absent (no logs at all).
    pub(crate) log_types: Option<(Span, Vec<Field>)>,
    /// GKE: `logging_service`.
    pub(crate) logging_service: Option<Field>,
    /// GKE: `logging_config.enable_components`, with where the list is.
    pub(crate) logging_components: Option<(Span, Vec<Field>)>,
    /// AKS: Container Insights is on (an `oms_agent` block, or the `omsagent` add-on
    /// enabled).
    pub(crate) monitored: bool,
}

/// Compute that runs as a platform's default service account, because none is set or
/// because the default one is named.
#[derive(Debug, Clone)]
pub(crate) struct DefaultIdentity {
    /// `google_container_node_pool.agents`.
    pub(crate) address: String,
    /// Where: the value naming the default account, or the resource's name when the
    /// setting is missing.
    pub(crate) span: Span,
    /// The default account is named explicitly (rather than left unset).
    pub(crate) explicit: bool,
    /// The setting that chooses the account (`node_config.service_account`).
    pub(crate) setting: &'static str,
    /// Which default account (`the Compute Engine default service account`).
    pub(crate) account: &'static str,
}

/// A cloud identity bound to the `default` Kubernetes service account of a namespace
/// (GKE workload identity, an Azure federated credential), so that every pod of the
/// namespace that names no service account holds it.
#[derive(Debug, Clone)]
pub(crate) struct DefaultAccountBinding {
    /// `google_service_account_iam_member.wi`, `azurerm_federated_identity_credential.agent`.
    pub(crate) address: String,
    /// The member or subject naming the Kubernetes service account.
    pub(crate) span: Span,
    pub(crate) namespace: String,
    /// The cloud identity bound, as written (`google_service_account.agent.name`).
    pub(crate) identity: String,
    /// `GKE workload identity`, `an Azure federated credential`.
    pub(crate) mechanism: &'static str,
}

/// The cloud settings of one file.
#[derive(Debug, Default)]
pub(crate) struct CloudFacts {
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) default_identities: Vec<DefaultIdentity>,
    pub(crate) default_account_bindings: Vec<DefaultAccountBinding>,
}

impl CloudFacts {
    pub(crate) fn is_empty(&self) -> bool {
        let CloudFacts {
            clusters,
            default_identities,
            default_account_bindings,
        } = self;
        clusters.is_empty() && default_identities.is_empty() && default_account_bindings.is_empty()
    }
}

/// The Kubernetes service account `(namespace, name)` a GKE workload identity member
/// names: `serviceAccount:<project>.svc.id.goog[<namespace>/<name>]`.
pub(crate) fn gke_workload_identity_member(member: &str) -> Option<(&str, &str)> {
    let rest = member.strip_prefix("serviceAccount:").unwrap_or(member);
    let (_, bracket) = rest.split_once(".svc.id.goog[")?;
    let inner = bracket.strip_suffix(']')?;
    inner.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_identity_members() {
        assert_eq!(
            gke_workload_identity_member("serviceAccount:acme-prod.svc.id.goog[agents/default]"),
            Some(("agents", "default"))
        );
        assert_eq!(
            gke_workload_identity_member(
                "serviceAccount:${var.project}.svc.id.goog[${var.namespace}/triage]"
            ),
            Some(("${var.namespace}", "triage"))
        );
        assert_eq!(gke_workload_identity_member("user:jane@example.com"), None);
    }
}
