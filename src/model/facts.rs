//! The typed entities of the model: workloads (things that run) with why each looks
//! like an AI agent, the identities each runs as, aliases between identities, and the
//! facts of one file and of the whole project. [`crate::model::extract`] builds them;
//! rules read them instead of rediscovering "is this a Kubernetes Deployment" each
//! time, and project rules join them across files.

use std::sync::Arc;

use crate::model::grants::{Grant, Holder};
use crate::model::identity::{Alias, Identity, IdentityUse};
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
    /// Places where the file asks its user for a credential: MCP registry
    /// `server.json` variables, arguments and headers, desktop-extension and plugin
    /// `user_config`, Smithery config schemas, VS Code `inputs`, `.env` templates.
    pub asks: Vec<CredentialAsk>,
    /// Values a workflow step passes on to later steps through `$GITHUB_ENV` or
    /// `$GITHUB_OUTPUT`.
    pub flows: Vec<Flow>,
    /// Identities that are model providers' API keys (`secrets.ANTHROPIC_API_KEY`, a
    /// literal `sk-ant-api03-`): they buy model calls, not the organisation's data.
    pub model_keys: Vec<Identity>,
}

/// Where an ask comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskSource {
    /// An MCP registry `server.json` (`environmentVariables`, arguments, `headers`).
    Registry,
    /// A desktop extension's `manifest.json` or a Claude Code plugin's `userConfig`.
    Extension,
    /// A Smithery `configSchema`.
    Smithery,
    /// A VS Code `inputs` prompt of an MCP client configuration.
    Input,
    /// A key of a `.env` template (`.env.example`, `.env.sample`, ...).
    EnvTemplate,
}

impl AskSource {
    pub fn describe(self) -> &'static str {
        match self {
            AskSource::Registry => "MCP registry manifest",
            AskSource::Extension => "extension manifest",
            AskSource::Smithery => "Smithery config schema",
            AskSource::Input => "input prompt",
            AskSource::EnvTemplate => "`.env` template",
        }
    }
}

/// A credential the file asks its user for.
#[derive(Debug, Clone)]
pub struct CredentialAsk {
    pub source: AskSource,
    /// The variable, field, flag or input id (`SUPABASE_ACCESS_TOKEN`, `figmaApiKey`,
    /// `--access-token`, `github_token`).
    pub name: String,
    /// Other names the value goes by (the environment variable a `user_config` key is
    /// passed as, the flag it fills).
    pub aliases: Vec<String>,
    /// Title and description, joined.
    pub description: String,
    /// Marked secret (`isSecret`, `sensitive`, `password`, `secret`).
    pub secret: bool,
    /// The server or package asking, when the file says.
    pub server: String,
    pub span: Span,
    /// Asks of the same schema share a group (a username next to a password).
    pub group: usize,
}

/// A value one step passes on to later steps of the same job.
#[derive(Debug, Clone)]
pub struct Flow {
    /// The variable or output name (`GH_TOKEN`, `steps.mint.outputs.token`).
    pub name: String,
    /// `$GITHUB_ENV` or `$GITHUB_OUTPUT`.
    pub via: &'static str,
    /// The step's `run:` script that writes it.
    pub from: Span,
    /// Names the written value refers to (`JANE_PAT` for `${{ secrets.JANE_PAT }}`).
    pub value_refs: Vec<String>,
    /// Later places that read it.
    pub uses: Vec<Span>,
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
    /// Model providers' API keys among the identities (see [`FileFacts::model_keys`]).
    pub model_keys: Vec<Identity>,
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
