//! The typed entities of the model: workloads (things that run) with why each looks
//! like an AI agent, the identities each runs as, aliases between identities, and the
//! facts of one file and of the whole project. [`crate::model::extract`] builds them;
//! rules read them instead of rediscovering "is this a Kubernetes Deployment" each
//! time, and project rules join them across files.

use std::sync::{Arc, LazyLock};

use crate::model::audit::AuditFacts;

use crate::model::grants::{Grant, Holder};
use crate::model::identity::{Alias, IdentityUse};
use crate::model::runtime::Runtime;
pub use crate::model::runtime::WorkloadKey;
use crate::model::settings::Settings;
use crate::model::trust::TrustFacts;
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
    /// What agent harnesses let their agents do here (see [`crate::model::harness`]).
    pub harness: crate::model::harness::HarnessFacts,
    /// The per-file views rules query (boxed, and only when the file has any: facts
    /// of every file are kept until the project pass, so an empty file costs one word).
    pub(crate) views: Option<Box<FileViews>>,
    /// What of the views the project pass joins across files (see
    /// [`crate::model::infra`]); boxed and only when there is any, like the views.
    pub(crate) infra: Option<Box<crate::model::infra::InfraFacts>>,
}

/// The typed views of one file that its rules query instead of walking documents.
#[derive(Debug, Default)]
pub(crate) struct FileViews {
    /// What the workloads run with: pod specs, compose services, MCP server arguments,
    /// workflow steps, Dockerfile copies (see [`crate::model::runtime`]).
    pub(crate) runtime: Runtime,
    /// Environment variables, connection logins, run-as settings and kubeconfig users
    /// in any format (see [`crate::model::settings`]).
    pub(crate) settings: Settings,
    /// Audit trail settings (see [`crate::model::audit`]).
    pub(crate) audit: AuditFacts,
    /// Who may take on roles: trust policies and role bindings (see
    /// [`crate::model::trust`]).
    pub(crate) trust: TrustFacts,
    /// Grants as written: IAM policies, managed policies, GCP and Azure roles, RBAC,
    /// workflow token permissions, OAuth scopes.
    pub(crate) written: WrittenGrants,
    /// Managed clusters, compute on default identities, default-account bindings (see
    /// [`crate::model::cloud`]).
    pub(crate) cloud: crate::model::cloud::CloudFacts,
}

impl FileViews {
    /// Destructured field by field, so a view added later cannot be forgotten here.
    fn is_empty(&self) -> bool {
        let Runtime {
            pods,
            compose,
            mcp_servers,
            step_lists,
            image_copies,
        } = &self.runtime;
        let Settings {
            env,
            logins,
            run_as,
            kubeconfigs,
        } = &self.settings;
        let AuditFacts {
            trails,
            gcp_configs,
            policies,
            log_stores,
            provider_roles,
            profile_roles,
            log_profiles,
            action_trails,
            diagnostic_targets,
        } = &self.audit;
        let TrustFacts {
            policies: trust_policies,
            bindings,
        } = &self.trust;
        let written = &self.written;
        let cloud = &self.cloud;
        pods.is_empty()
            && compose.is_empty()
            && mcp_servers.is_empty()
            && step_lists.is_empty()
            && image_copies.is_empty()
            && env.is_empty()
            && logins.is_empty()
            && run_as.is_empty()
            && kubeconfigs.is_empty()
            && trails.is_empty()
            && gcp_configs.is_empty()
            && policies.is_empty()
            && log_stores.is_empty()
            && provider_roles.is_empty()
            && profile_roles.is_empty()
            && log_profiles.is_empty()
            && action_trails.is_empty()
            && diagnostic_targets.is_empty()
            && trust_policies.is_empty()
            && bindings.is_empty()
            && written.is_empty()
            && cloud.is_empty()
    }
}

/// Grants as written, for the rules that judge them where they are written (the
/// grants model is built from these too).
#[derive(Debug, Default)]
pub(crate) struct WrittenGrants {
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
    /// Azure custom role definitions.
    pub(crate) azure_roles: Vec<crate::model::azure::AzureRoleDefinition>,
}

impl WrittenGrants {
    /// Destructured field by field, so a view added later cannot be forgotten here.
    fn is_empty(&self) -> bool {
        let WrittenGrants {
            iam_policies,
            managed_policies,
            role_bindings,
            rbac,
            workflows,
            oauth_scopes,
            azure_roles,
        } = self;
        iam_policies.is_empty()
            && managed_policies.is_empty()
            && role_bindings.is_empty()
            && rbac.is_empty()
            && workflows.is_empty()
            && oauth_scopes.is_empty()
            && azure_roles.is_empty()
    }
}

impl FileFacts {
    /// The views, to fill them (extraction only).
    pub(crate) fn views_mut(&mut self) -> &mut FileViews {
        self.views.get_or_insert_with(Box::default)
    }

    /// Drop the views again when extraction found nothing for them, and keep what the
    /// project pass needs of them (`dir` is the file's directory).
    pub(crate) fn shrink_views(&mut self, path: &Arc<str>, dir: &str) {
        if self.views.as_ref().is_some_and(|v| v.is_empty()) {
            self.views = None;
        }
        if let Some(views) = &self.views {
            let infra =
                crate::model::infra::InfraFacts::of_views(&views.audit, &views.cloud, path, dir);
            self.infra = (!infra.is_empty()).then(|| Box::new(infra));
        }
    }

    fn view(&self) -> &FileViews {
        static EMPTY: LazyLock<FileViews> = LazyLock::new(FileViews::default);
        self.views.as_deref().unwrap_or(&EMPTY)
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        &self.view().runtime
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.view().settings
    }

    pub(crate) fn audit(&self) -> &AuditFacts {
        &self.view().audit
    }

    pub(crate) fn trust(&self) -> &TrustFacts {
        &self.view().trust
    }

    pub(crate) fn written(&self) -> &WrittenGrants {
        &self.view().written
    }

    pub(crate) fn cloud(&self) -> &crate::model::cloud::CloudFacts {
        &self.view().cloud
    }

    /// Whether anything here joins other files in the project pass (workloads,
    /// definitions, aliases, grants, harness settings).
    pub fn matters_to_project(&self) -> bool {
        !self.workloads.is_empty()
            || !self.definitions.is_empty()
            || !self.aliases.is_empty()
            || !self.grants.is_empty()
            || !self.harness.is_empty()
            || self.infra.is_some()
    }

    /// What of this file the project pass needs, once the file's own rules have read
    /// the per-file views: nothing at all for most files.
    pub fn into_project_part(mut self) -> Option<FileFacts> {
        self.views = None;
        self.matters_to_project().then_some(self)
    }

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
    /// Harness settings of every file.
    pub harness: crate::model::harness::HarnessFacts,
    /// Audit coverage and the clusters that need it, from every file.
    pub(crate) infra: crate::model::infra::InfraFacts,
}

impl ProjectFacts {
    /// Add what one file contributes to the project pass.
    pub fn add(&mut self, f: FileFacts) {
        self.workloads.extend(f.workloads);
        self.definitions.extend(f.definitions);
        self.aliases.extend(f.aliases);
        self.grants.merge(f.grants);
        self.harness.merge(f.harness);
        if let Some(infra) = f.infra {
            self.infra.merge(*infra);
        }
    }
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
                    k.and_then(|k| k.azure_role(role).or_else(|| k.azure_role_by_id(role)))?;
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
