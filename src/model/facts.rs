//! The typed entities of the model: workloads (things that run) with why each looks
//! like an AI agent, the identities each runs as, aliases between identities, and the
//! facts of one file and of the whole project. [`crate::model::extract`] builds them;
//! rules read them instead of rediscovering "is this a Kubernetes Deployment" each
//! time, and project rules join them across files.

use std::sync::Arc;

use crate::model::grants::{Grant, Holder};
use crate::model::identity::{Alias, IdentityUse};
use crate::syntax::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// A Kubernetes pod spec (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod).
    K8sPod,
    ComposeService,
    McpServer,
    WorkflowJob,
    /// Cloud compute from Terraform or CloudFormation (Bedrock agent, Lambda, Cloud Run, ...).
    Cloud,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::K8sPod => "kubernetes workload",
            WorkloadKind::ComposeService => "compose service",
            WorkloadKind::McpServer => "MCP server",
            WorkloadKind::WorkflowJob => "workflow job",
            WorkloadKind::Cloud => "cloud workload",
        }
    }
}

/// Something that runs, found in one file.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Human-readable name, e.g. `Deployment agents/triage-agent`, `MCP server github`.
    pub name: String,
    pub kind: WorkloadKind,
    pub path: Arc<str>,
    /// Where it is defined (its name or header).
    pub span: Span,
    /// Everything that defines it (the pod document, the service or server entry, the
    /// job), to tell which workload a finding's span belongs to.
    pub extent: Span,
    /// Why it looks like an AI agent, when it does.
    pub agent: Option<String>,
    pub identities: Vec<IdentityUse>,
}

/// Facts extracted from one file.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub workloads: Vec<Workload>,
    /// Identities defined here (roles, service accounts), to resolve references.
    pub definitions: Vec<crate::model::identity::Definition>,
    /// Identities that stand for others (a Kubernetes service account annotated with
    /// an AWS role or a GCP service account).
    pub aliases: Vec<Alias>,
    /// What identities and workloads are granted here (see [`crate::model::grants`]).
    pub grants: crate::model::grants::Grants,
    // Grants as written, for the rules that judge them where they are written (the
    // grants model above is built from these too).
    /// IAM policy documents and their statements.
    pub(crate) iam_policies: Vec<crate::model::iam::IamPolicy>,
    /// Managed policies attached by ARN.
    pub(crate) managed_policies: Vec<crate::model::iam::ManagedPolicy>,
    /// GCP and Azure roles granted in Terraform.
    pub(crate) role_bindings: Vec<crate::model::grants::RoleBinding>,
    /// Kubernetes Roles, ClusterRoles and bindings.
    pub(crate) rbac: Vec<crate::model::rbac::RbacObject>,
    /// GitHub workflows' token permissions and steps.
    pub(crate) workflows: Vec<crate::model::github::Workflow>,
    /// Declared OAuth scopes.
    pub(crate) oauth_scopes: Vec<crate::model::oauth::ScopeDeclaration>,
}

impl FileFacts {
    /// The innermost workload whose definition contains `span`.
    pub fn workload_at(&self, span: Span) -> Option<&Workload> {
        self.workloads
            .iter()
            .filter(|w| w.extent.start <= span.start && span.end <= w.extent.end)
            .min_by_key(|w| w.extent.len())
    }
}

/// Facts of every file, for project rules.
#[derive(Debug, Default)]
pub struct ProjectFacts {
    pub workloads: Vec<Workload>,
    pub definitions: Vec<crate::model::identity::Definition>,
    pub aliases: Vec<Alias>,
    /// Grants of every file, joined across files by [`crate::model::grants::Grants::resolve`].
    pub grants: crate::model::grants::Grants,
}

/// Every grant `w` holds: through the identities it runs as, or directly.
pub fn held_by<'a>(project: &'a ProjectFacts, w: &Workload) -> Vec<&'a Grant> {
    project
        .grants
        .grants
        .iter()
        .filter(|g| match &g.holder {
            Holder::Workload { name, path } => *name == w.name && *path == w.path,
            Holder::Identity(id) => w.identities.iter().any(|u| &u.identity == id),
        })
        .collect()
}
