//! Who may take on a role: the principals of AWS IAM role trust policies, read as
//! people or services, with the role each policy belongs to; and the subjects of
//! Kubernetes role bindings. [`crate::model::extract`] fills them once per file.

use crate::model::identity::Identity;
use crate::model::rating::Confidence;
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

/// The file kinds IAM role trust policies are read from.
pub(crate) fn holds_trust_policies(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Terraform
            | FileKind::TerraformJson
            | FileKind::CloudFormation
            | FileKind::IamPolicy
            | FileKind::Json
    )
}

/// Who a trust policy principal lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assumer {
    /// People, with a description and how sure that it is people.
    People(&'static str, Confidence),
    /// A service or a workload federated through OIDC.
    Machine(&'static str),
}

/// A principal allowed to assume the role, as written.
#[derive(Debug, Clone)]
pub(crate) struct TrustPrincipal {
    pub(crate) text: String,
    pub(crate) span: Span,
    pub(crate) who: Assumer,
}

/// The role a trust policy belongs to.
#[derive(Debug, Clone)]
pub(crate) struct RoleRef {
    /// For messages: ``role `x` `` or `the role with this trust policy`.
    pub(crate) display: String,
    /// The keys workloads may name it by in `Identity::AwsRole` (role name, scoped
    /// Terraform address or CloudFormation logical id).
    pub(crate) keys: Vec<String>,
}

/// A policy with principals that may assume a role (`sts:AssumeRole*`, `sts:*`, `*`
/// in an allowing statement), those principals in order.
#[derive(Debug, Clone)]
pub(crate) struct TrustPolicy {
    /// Where the policy sits in its file, a stable key for fingerprints.
    pub(crate) path: String,
    pub(crate) role: RoleRef,
    pub(crate) principals: Vec<TrustPrincipal>,
}

/// A subject of a Kubernetes role binding.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// `ServiceAccount`, `User`, `Group`, when a literal.
    pub(crate) kind: Option<String>,
    pub(crate) name: String,
    /// The `name:` value.
    pub(crate) span: Span,
    /// `namespace:`, when set.
    pub(crate) namespace: Option<String>,
}

/// A `RoleBinding` or `ClusterRoleBinding` (one top-level manifest).
#[derive(Debug, Clone)]
pub(crate) struct RoleBinding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub(crate) kind: String,
    /// `metadata.name`, when set.
    pub(crate) name: Option<String>,
    /// `metadata.namespace`, when set.
    pub(crate) namespace: Option<String>,
    /// `roleRef.name`, when set.
    pub(crate) role: Option<String>,
    /// Subjects with a literal name.
    pub(crate) subjects: Vec<Subject>,
    /// The whole manifest, to tell which binding a finding's span belongs to.
    pub(crate) extent: Span,
}

impl RoleBinding {
    /// The service accounts the binding grants its role to (`kind: ServiceAccount`
    /// subjects; their namespace defaults to the binding's).
    pub(crate) fn service_accounts(&self) -> Vec<Identity> {
        let binding_ns = self.namespace.as_deref().unwrap_or("default");
        self.subjects
            .iter()
            .filter(|s| s.kind.as_deref() == Some("ServiceAccount"))
            .map(|s| Identity::K8sServiceAccount {
                namespace: s.namespace.as_deref().unwrap_or(binding_ns).to_owned(),
                name: s.name.clone(),
                implicit: s.name == "default",
            })
            .collect()
    }
}

/// Who may take on the roles of one file.
#[derive(Debug, Default)]
pub(crate) struct TrustFacts {
    pub(crate) policies: Vec<TrustPolicy>,
    pub(crate) bindings: Vec<RoleBinding>,
}
