//! Identities: what a workload runs as or holds (service accounts, roles, cloud
//! service accounts, managed identities, secrets, literal credentials by hash), where
//! each is defined in infrastructure code, and which identities stand for others.

use std::sync::Arc;

use crate::syntax::source::Span;

/// An identity a workload runs as or holds, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityUse {
    pub identity: Identity,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// A Kubernetes service account; `implicit` when the pod spec names none.
    K8sServiceAccount {
        namespace: String,
        name: String,
        implicit: bool,
    },
    /// A key of a Kubernetes Secret (`secretKeyRef`).
    K8sSecretKey {
        namespace: String,
        secret: String,
        key: String,
    },
    /// A GitHub Actions secret (`${{ secrets.NAME }}`).
    GithubSecret(String),
    /// An AWS role, by name when known (from an ARN or a definition), else by its
    /// scoped Terraform address or CloudFormation logical id until resolved.
    AwsRole(String),
    /// A GCP service account, by account id when known.
    GcpServiceAccount(String),
    /// An Azure user-assigned managed identity.
    AzureIdentity(String),
    /// A literal credential, by hash; `label` is its redacted form and format name.
    Credential { hash: String, label: String },
}

impl Identity {
    /// A stable text for fingerprints: the description, or the hash for a literal
    /// credential (two credentials with the same redacted form stay apart).
    pub fn key(&self) -> String {
        match self {
            Identity::Credential { hash, .. } => format!("credential:{hash}"),
            other => other.describe(),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Identity::K8sServiceAccount {
                namespace,
                name,
                implicit,
            } => {
                if *implicit {
                    format!("the default service account of namespace `{namespace}`")
                } else {
                    format!("service account `{namespace}/{name}`")
                }
            }
            Identity::K8sSecretKey {
                namespace,
                secret,
                key,
            } => format!("secret `{namespace}/{secret}` key `{key}`"),
            Identity::GithubSecret(name) => format!("GitHub secret `{name}`"),
            Identity::AwsRole(name) => format!("AWS role `{}`", display_key(name)),
            Identity::GcpServiceAccount(id) => format!("GCP service account `{}`", display_key(id)),
            Identity::AzureIdentity(id) => format!("Azure managed identity `{}`", display_key(id)),
            Identity::Credential { label, .. } => format!("literal credential ({label})"),
        }
    }
}

/// An unresolved key reads `scope:address`; show the address only.
fn display_key(key: &str) -> &str {
    key.rsplit(':').next().unwrap_or(key)
}

/// `from` acts as `to`: every workload running as `from` also holds `to`.
#[derive(Debug, Clone)]
pub struct Alias {
    pub from: Identity,
    pub to: Identity,
    pub path: Arc<str>,
    pub span: Span,
}

/// A named identity defined in infrastructure code.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Terraform address (`aws_iam_role.agent`) or CloudFormation logical id.
    pub address: String,
    /// The directory of the file: a Terraform module or a CloudFormation template's
    /// scope for resolving references.
    pub scope: String,
    /// The identity it defines, in canonical form when its name is literal.
    pub identity: Identity,
    pub path: Arc<str>,
    pub span: Span,
}

/// The role name in an IAM role ARN (`arn:aws:iam::123456789012:role/path/name`).
pub fn role_name_from_arn(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_, role) = rest.split_once(":role/")?;
    let name = role.rsplit('/').next()?;
    (!name.is_empty() && !name.contains("${")).then_some(name)
}

/// The account id part of a GCP service account email.
pub fn gcp_account_id(email: &str) -> Option<&str> {
    let (id, domain) = email.split_once('@')?;
    domain.ends_with(".gserviceaccount.com").then_some(id)
}

/// How Kubernetes names a service account as a user:
/// `system:serviceaccount:<namespace>:<name>`.
pub const K8S_SERVICE_ACCOUNT_USER: &str = "system:serviceaccount:";
/// The service account `(namespace, name)` a Kubernetes user name stands for:
/// `system:serviceaccount:<namespace>:<name>` is how the API server names it.
pub(crate) fn service_account_user(user: &str) -> Option<(&str, &str)> {
    user.strip_prefix(K8S_SERVICE_ACCOUNT_USER)?.split_once(':')
}
