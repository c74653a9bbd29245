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
    /// An agent harness started or configured by itself: the Claude Code agent of a
    /// `.claude/` folder, the agent a script, Dockerfile or package.json script starts.
    Harness,
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
            WorkloadKind::Harness => "agent harness",
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
    /// The agent harness it runs (`claude-code`, `codex`, ...), when lanyard read its
    /// settings or saw its command line.
    pub harness: Option<String>,
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
    /// What agent harnesses let their agents do here (see [`crate::model::harness`]).
    pub harness: crate::model::harness::HarnessFacts,
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
    /// Harness settings of every file.
    pub harness: crate::model::harness::HarnessFacts,
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

/// What a workload holds that makes an agent without a human in the loop critical: a
/// person's credential, or write access to a cloud account or cluster. Each with the
/// grant and a few words on what it is.
pub fn person_or_cloud_write<'a>(
    project: &'a ProjectFacts,
    workload: &str,
    path: &Arc<str>,
) -> Vec<(&'a Grant, String)> {
    let Some(w) = project
        .workloads
        .iter()
        .find(|w| w.name == workload && w.path == *path)
    else {
        return Vec::new();
    };
    let k = crate::model::knowledge::Knowledge::builtin();
    held_by(project, w)
        .into_iter()
        .filter_map(|g| {
            let what = match &g.what {
                crate::model::grants::What::HumanCredential { label } => {
                    format!("a person's credential ({label})")
                }
                crate::model::grants::What::Aws { actions, .. } => {
                    let write = actions.iter().find(|a| {
                        a.text == "*"
                            || a.text.ends_with(":*")
                            || k.is_some_and(|k| k.aws_sensitive_in(&a.text).is_some())
                    })?;
                    format!("AWS access including `{}`", write.text)
                }
                crate::model::grants::What::AwsManaged { arn } => {
                    k.and_then(|k| k.aws_admin_policy(arn))?;
                    format!("the AWS managed policy `{arn}`")
                }
                crate::model::grants::What::Gcp { role, scope } => {
                    k.and_then(|k| k.gcp_role(role))?;
                    format!("the GCP role `{role}` on `{scope}`")
                }
                crate::model::grants::What::Azure { role, scope } => {
                    k.and_then(|k| k.azure_role(role))?;
                    format!("the Azure role `{role}` on `{scope}`")
                }
                crate::model::grants::What::K8s {
                    verbs, resources, ..
                } => {
                    let write = verbs.iter().find(|v| {
                        matches!(
                            v.as_str(),
                            "*" | "create" | "update" | "patch" | "delete" | "deletecollection"
                        )
                    })?;
                    format!(
                        "Kubernetes `{write}` on {}",
                        resources
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                _ => return None,
            };
            Some((g, what))
        })
        .collect()
}
