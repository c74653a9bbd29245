//! The typed entities of the model: workloads (things that run) with why each looks
//! like an AI agent, the identities each runs as, aliases between identities, and the
//! facts of one file and of the whole project. [`crate::model::extract`] builds them;
//! rules read them instead of rediscovering "is this a Kubernetes Deployment" each
//! time, and project rules join them across files.

use std::sync::Arc;

use crate::model::grants::{Grant, Holder};
use crate::model::identity::{Alias, IdentityUse};
pub use crate::model::runtime::WorkloadKey;
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
    /// What it is, typed: match workloads on this, never on `name`.
    pub key: WorkloadKey,
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
    /// What the workloads run with: pod specs, compose services, MCP server arguments,
    /// workflow steps, Dockerfile copies (see [`crate::model::runtime`]).
    pub(crate) runtime: crate::model::runtime::Runtime,
    /// Environment variables, connection logins, run-as settings and kubeconfig users
    /// in any format (see [`crate::model::settings`]).
    pub(crate) settings: crate::model::settings::Settings,
    /// Audit trail settings (see [`crate::model::audit`]).
    pub(crate) audit: crate::model::audit::AuditFacts,
    /// Who may take on roles: trust policies and role bindings (see
    /// [`crate::model::trust`]).
    pub(crate) trust: crate::model::trust::TrustFacts,
}

impl FileFacts {
    /// The first workload of this file with `key`.
    pub(crate) fn workload(&self, key: &WorkloadKey) -> Option<&Workload> {
        self.workloads.iter().find(|w| &w.key == key)
    }

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
