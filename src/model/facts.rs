//! The typed entities of the model: workloads (things that run) with why each looks
//! like an AI agent, the identities each runs as, aliases between identities, and the
//! facts of one file and of the whole project. [`crate::model::extract`] builds them;
//! rules read them instead of rediscovering "is this a Kubernetes Deployment" each
//! time, and project rules join them across files.

use std::sync::{Arc, LazyLock};

use crate::model::agent::AgentSignals;
use crate::model::audit::AuditFacts;
use crate::model::rating::Confidence;

use crate::model::grants::{Grant, Holder};
use crate::model::identity::{Alias, Identity, IdentityUse};
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
    /// Why it runs an AI agent, when the evidence says it does: set from `signals` by
    /// [`Workload::classify`], never written by extractors.
    pub agent: Option<String>,
    /// The evidence for and against it running an AI agent.
    pub signals: AgentSignals,
    pub identities: Vec<IdentityUse>,
    /// The agent harness it runs (`claude-code`, `codex`, ...), when lanyard read its
    /// settings or saw its command line.
    pub harness: Option<String>,
    /// What it is, typed: match workloads on this, never on `name`.
    pub key: WorkloadKey,
}

impl Workload {
    /// Decide from its signals whether it runs an AI agent (after extraction, and again
    /// once `lanyard.toml` has had its say).
    pub fn classify(&mut self) {
        self.agent = self.signals.decide();
    }

    /// How sure the agent classification is.
    pub fn agent_confidence(&self) -> Confidence {
        self.signals.confidence()
    }
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
    /// What agent harnesses let their agents do here (see [`crate::model::harness`]).
    pub harness: crate::model::harness::HarnessFacts,
    /// The per-file views rules query (boxed, and only when the file has any: facts
    /// of every file are kept until the project pass, so an empty file costs one word).
    pub(crate) views: Option<Box<FileViews>>,
    /// What [`FileFacts::workload_at`] answers from in a file of many workloads.
    workload_index: WorkloadIndex,
    /// What of the views the project pass joins across files (see
    /// [`crate::model::infra`]); boxed and only when there is any, like the views.
    pub(crate) infra: Option<Box<crate::model::infra::InfraFacts>>,
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

/// Below this many workloads a file's lookups scan them all: an index would cost more.
const INDEX_FROM: usize = 16;

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
            || !self.model_keys.is_empty()
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

    /// The innermost workload whose definition contains `span` (of equally small
    /// ones, the first found). Rules ask this for every node they report on, so in a
    /// file of many workloads (thousands of MCP servers, compose services or jobs) it
    /// is answered from an index, built at the first question and again after
    /// workloads were added, rather than by a scan of them all each time.
    pub fn workload_at(&self, span: Span) -> Option<&Workload> {
        if self.workloads.len() < INDEX_FROM {
            return innermost(&self.workloads, span);
        }
        // A poisoned lock (a rule panicked mid-build) only costs the index.
        let Ok(mut guard) = self.workload_index.0.lock() else {
            return innermost(&self.workloads, span);
        };
        if guard.as_ref().is_none_or(|i| i.len != self.workloads.len()) {
            *guard = Some(Index::build(&self.workloads));
        }
        match guard.as_ref().and_then(|i| i.find(&self.workloads, span)) {
            Some(found) => found.map(|i| &self.workloads[i]),
            None => innermost(&self.workloads, span),
        }
    }
}

fn contains(extent: Span, span: Span) -> bool {
    extent.start <= span.start && span.end <= extent.end
}

/// The reference answer: every workload looked at.
fn innermost(workloads: &[Workload], span: Span) -> Option<&Workload> {
    workloads
        .iter()
        .filter(|w| contains(w.extent, span))
        .min_by_key(|w| w.extent.len())
}

#[derive(Debug, Default)]
struct WorkloadIndex(std::sync::Mutex<Option<Index>>);

/// Workload extents in a forest: each extent's parent is the smallest extent that
/// contains it. Workload extents nest (a document holds its services) or are apart;
/// if two overlap without nesting, `laminar` is false and lookups scan instead.
#[derive(Debug)]
struct Index {
    /// How many workloads it was built from: workloads are only ever added.
    len: usize,
    /// Workload indexes by start ascending, end descending, and of equal extents the
    /// first last, so that it is the innermost, as [`innermost`] answers.
    order: Vec<usize>,
    starts: Vec<u32>,
    /// Per position in `order`, the position of the parent.
    parent: Vec<Option<usize>>,
    laminar: bool,
}

impl Index {
    fn build(workloads: &[Workload]) -> Index {
        let mut order: Vec<usize> = (0..workloads.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (workloads[a].extent, workloads[b].extent);
            (x.start, std::cmp::Reverse(x.end), std::cmp::Reverse(a)).cmp(&(
                y.start,
                std::cmp::Reverse(y.end),
                std::cmp::Reverse(b),
            ))
        });
        let mut parent = vec![None; order.len()];
        let mut stack: Vec<usize> = Vec::new();
        let mut laminar = true;
        for (pos, &w) in order.iter().enumerate() {
            let cur = workloads[w].extent;
            while let Some(&top) = stack.last() {
                let t = workloads[order[top]].extent;
                if cur.end <= t.end {
                    break;
                }
                // `t` starts no later and ends earlier: apart, or overlapping without
                // nesting, which this index cannot answer for.
                if t.end > cur.start {
                    laminar = false;
                }
                stack.pop();
            }
            parent[pos] = stack.last().copied();
            stack.push(pos);
        }
        let starts = order.iter().map(|&w| workloads[w].extent.start).collect();
        Index {
            len: workloads.len(),
            order,
            starts,
            parent,
            laminar,
        }
    }

    /// `Some(answer)`, or `None` when the index cannot tell (extents not nested).
    fn find(&self, workloads: &[Workload], span: Span) -> Option<Option<usize>> {
        if !self.laminar {
            return None;
        }
        // The last extent starting at or before the span; what contains the span is it
        // or one of its ancestors, and the first found going up is the innermost.
        let after = self.starts.partition_point(|s| *s <= span.start);
        let mut pos = after.checked_sub(1);
        while let Some(p) = pos {
            let w = self.order[p];
            if contains(workloads[w].extent, span) {
                return Some(Some(w));
            }
            pos = self.parent[p];
        }
        Some(None)
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
    /// Harness settings of every file.
    pub harness: crate::model::harness::HarnessFacts,
    /// The repositories the scan covers when it covers several (display paths of
    /// their roots): identities, secrets and grants join only within one. Empty for
    /// one repository, a monorepo included.
    pub repos: Vec<Arc<str>>,
    /// Audit coverage and the clusters that need it, from every file.
    pub(crate) infra: crate::model::infra::InfraFacts,
}

impl ProjectFacts {
    /// Join one file's facts (what [`FileFacts::into_project_part`] kept).
    pub fn add(&mut self, f: FileFacts) {
        self.workloads.extend(f.workloads);
        self.definitions.extend(f.definitions);
        self.aliases.extend(f.aliases);
        self.grants.merge(f.grants);
        self.model_keys.extend(f.model_keys);
        self.harness.merge(f.harness);
        if let Some(infra) = f.infra {
            self.infra.merge(*infra);
        }
    }

    /// Add the facts of another repository's project pass.
    pub fn join(&mut self, other: ProjectFacts) {
        self.workloads.extend(other.workloads);
        self.definitions.extend(other.definitions);
        self.aliases.extend(other.aliases);
        self.grants.merge(other.grants);
        self.harness.merge(other.harness);
    }

    /// The repository a file belongs to: the deepest of `repos` it sits in, `None`
    /// outside all of them (or when the scan covers one repository).
    pub fn repo_of(&self, path: &str) -> Option<&Arc<str>> {
        repo_of(&self.repos, path)
    }
}

/// The deepest repository root of `repos` that `path` (a display path) sits in.
pub fn repo_of<'a>(repos: &'a [Arc<str>], path: &str) -> Option<&'a Arc<str>> {
    repos
        .iter()
        .filter(|r| {
            r.is_empty()
                || path
                    .strip_prefix(&***r)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|r| r.len())
}

/// Every grant `w` holds: through the identities it runs as (in its own repository),
/// or directly.
pub fn held_by<'a>(project: &'a ProjectFacts, w: &Workload) -> Vec<&'a Grant> {
    let repo = project.repo_of(&w.path);
    project
        .grants
        .grants
        .iter()
        .filter(|g| match &g.holder {
            Holder::Workload { name, path } => *name == w.name && *path == w.path,
            Holder::Identity(id) => {
                w.identities.iter().any(|u| &u.identity == id) && project.repo_of(&g.path) == repo
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(start: usize, end: usize) -> Workload {
        Workload {
            name: format!("{start}-{end}"),
            key: WorkloadKey::McpServer(format!("{start}-{end}")),
            harness: None,
            kind: WorkloadKind::McpServer,
            path: Arc::from("x"),
            span: Span::new(start, start),
            extent: Span::new(start, end),
            agent: None,
            signals: AgentSignals::default(),
            identities: Vec::new(),
        }
    }

    /// The index answers as the scan of every workload does, on nested, apart,
    /// identical, empty and overlapping extents, and after workloads are added.
    #[test]
    fn the_index_answers_as_the_scan_does() {
        let mut facts = FileFacts::default();
        // A document holding many services, some twice (two extractors, one entry).
        facts.workloads.push(workload(0, 10_000));
        for i in 0..40 {
            let s = 10 + i * 100;
            facts.workloads.push(workload(s, s + 90));
            if i % 7 == 0 {
                facts.workloads.push(workload(s, s + 90));
                facts.workloads.push(workload(s + 10, s + 20));
            }
        }
        facts.workloads.push(workload(20_000, 20_000));
        let check = |facts: &FileFacts| {
            for start in (0..21_000).step_by(7) {
                for len in [0, 1, 5, 50, 200] {
                    let span = Span::new(start, start + len);
                    let want = innermost(&facts.workloads, span).map(|w| w as *const Workload);
                    let got = facts.workload_at(span).map(|w| w as *const Workload);
                    assert_eq!(got, want, "{span:?}");
                }
            }
        };
        let laminar = |facts: &FileFacts| {
            facts
                .workload_index
                .0
                .lock()
                .unwrap()
                .as_ref()
                .unwrap()
                .laminar
        };
        check(&facts);
        assert!(laminar(&facts));
        // Added after the first question: the index is rebuilt.
        facts.workloads.push(workload(15_000, 16_000));
        check(&facts);
        // Overlapping without nesting: answered by the scan.
        facts.workloads.push(workload(9_995, 10_050));
        check(&facts);
        assert!(!laminar(&facts));
    }
}
