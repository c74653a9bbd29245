//! The semantic layer: what the documents mean. Extractors turn a file's documents
//! into workloads (things that run), whether each looks like an AI agent and why, and
//! the identities each runs as. Rules read facts instead of rediscovering "is this a
//! Kubernetes Deployment" each time, and project rules join facts across files.

use std::sync::Arc;

use crate::model::catalog::{Catalog, CredentialMatch};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, Parsed};
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

/// "a person's" / "a machine's" ... credential, from the catalog entry.
fn principal_kind(catalog: &Catalog, spec: usize) -> &'static str {
    use crate::model::catalog::Principal;
    match catalog.specs.get(spec).map(|s| s.principal) {
        Some(Principal::Human) => "a person's",
        Some(Principal::Delegated) => "acts for a person",
        Some(Principal::Machine) => "a machine's",
        _ => "owner unknown",
    }
}

/// An unresolved key reads `scope:address`; show the address only.
fn display_key(key: &str) -> &str {
    key.rsplit(':').next().unwrap_or(key)
}

/// Facts extracted from one file.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub workloads: Vec<Workload>,
    /// Identities defined here (roles, service accounts), to resolve references.
    pub definitions: Vec<crate::model::iac::Definition>,
    /// Identities that stand for others (a Kubernetes service account annotated with
    /// an AWS role or a GCP service account).
    pub aliases: Vec<Alias>,
    /// What identities and workloads are granted here (see [`crate::model::grants`]).
    pub grants: crate::model::grants::Grants,
}

/// `from` acts as `to`: every workload running as `from` also holds `to`.
#[derive(Debug, Clone)]
pub struct Alias {
    pub from: Identity,
    pub to: Identity,
    pub path: Arc<str>,
    pub span: Span,
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
    pub definitions: Vec<crate::model::iac::Definition>,
    pub aliases: Vec<Alias>,
    /// Grants of every file, joined across files by [`crate::model::grants::Grants::resolve`].
    pub grants: crate::model::grants::Grants,
}

impl ProjectFacts {
    /// Resolve references to defined identities across files, so that one role or
    /// service account is one identity however each file spells it.
    pub fn resolve(&mut self) {
        for a in &mut self.aliases {
            crate::model::iac::resolve(&mut a.to, &self.definitions);
        }
        for w in &mut self.workloads {
            for u in &mut w.identities {
                crate::model::iac::resolve(&mut u.identity, &self.definitions);
            }
            // A workload running as an annotated service account also holds the cloud
            // identity behind it (IRSA, GKE workload identity).
            let derived: Vec<IdentityUse> = w
                .identities
                .iter()
                .flat_map(|u| {
                    self.aliases
                        .iter()
                        .filter(|a| a.from == u.identity)
                        .map(|a| IdentityUse {
                            identity: a.to.clone(),
                            span: u.span,
                        })
                })
                .collect();
            for d in derived {
                if !w.identities.contains(&d) {
                    w.identities.push(d);
                }
            }
        }
    }
}

/// Pod-spec kinds and where their pod spec sits.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// A Kubernetes pod spec found in a document.
pub struct PodSpec<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
    /// The `kind:` value node (a good primary location).
    pub kind_node: &'a Node,
    pub spec: &'a Node,
}

/// Every pod spec in a Kubernetes document.
pub fn pod_spec(doc: &Document) -> Option<PodSpec<'_>> {
    let root = &doc.root;
    let kind_node = root.get("kind")?;
    let kind = kind_node.as_str()?;
    let (_, path) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind)?;
    let spec = root.get_path(path)?;
    let meta = root.get("metadata");
    Some(PodSpec {
        kind,
        name: meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>"),
        namespace: meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("default"),
        kind_node,
        spec,
    })
}

/// Marks of an AI agent in names, images and commands.
const AGENT_MARKERS: &[&str] = &[
    "agent",
    "claude",
    "anthropic",
    "openai",
    "gpt",
    "llm",
    "langchain",
    "langgraph",
    "crewai",
    "autogen",
    "mcp",
    "copilot",
    "codex",
    "gemini",
    "aider",
    "bedrock",
    "ollama",
    "assistant",
];

/// Environment variables that hand a workload an LLM API key.
const LLM_KEY_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "HF_TOKEN",
    "COHERE_API_KEY",
];

/// GitHub Actions that run an AI agent.
pub const AGENT_ACTIONS: &[&str] = &[
    "anthropics/claude-code-action",
    "anthropics/claude-code-base-action",
    "openai/codex-action",
    "google-github-actions/run-gemini-cli",
    "github/copilot",
    "paul-gauthier/aider",
    "aider-ai/aider",
    "coderabbitai/",
    "qodo-ai/pr-agent",
    "codium-ai/pr-agent",
];

/// The agent marker (`agent`, `claude`, `bedrock`, ...) a name contains, if any.
pub fn agent_marker(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    AGENT_MARKERS.iter().copied().find(|m| lower.contains(m))
}

/// Extract the facts of one parsed file.
pub fn extract(
    kind: FileKind,
    path: &Arc<str>,
    parsed: &Parsed,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> FileFacts {
    let mut facts = FileFacts::default();
    let cx = Extract {
        path,
        creds,
        catalog,
    };
    let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    for doc in &parsed.documents {
        match kind {
            FileKind::Terraform | FileKind::TerraformJson => crate::model::iac::terraform(
                doc,
                path,
                scope,
                &mut facts.workloads,
                &mut facts.definitions,
            ),
            FileKind::CloudFormation => crate::model::iac::cloudformation(
                doc,
                path,
                &mut facts.workloads,
                &mut facts.definitions,
            ),
            FileKind::Kubernetes | FileKind::HelmTemplate => cx.k8s(doc, &mut facts),
            FileKind::Compose => cx.compose(doc, &mut facts),
            FileKind::McpConfig => cx.mcp(doc, &mut facts),
            FileKind::GithubWorkflow => cx.workflow(doc, &mut facts),
            _ => {}
        }
    }
    facts
}

struct Extract<'a> {
    path: &'a Arc<str>,
    creds: &'a [CredentialMatch],
    catalog: &'a Catalog,
}

impl Extract<'_> {
    /// Literal credentials inside `span`, as identities.
    fn credentials_in(&self, span: Span, out: &mut Vec<IdentityUse>) {
        for m in self
            .creds
            .iter()
            .filter(|m| m.span.start >= span.start && m.span.end <= span.end)
        {
            let name = self
                .catalog
                .specs
                .get(m.spec)
                .map_or("credential", |s| s.name.as_str());
            out.push(IdentityUse {
                identity: Identity::Credential {
                    hash: m.hash.clone(),
                    label: format!(
                        "{name}, {}, {}",
                        principal_kind(self.catalog, m.spec),
                        m.redacted.as_str()
                    ),
                },
                span: m.span,
            });
        }
    }

    fn k8s(&self, doc: &Document, facts: &mut FileFacts) {
        self.service_account_aliases(doc, facts);
        let Some(pod) = pod_spec(doc) else { return };
        let mut identities = Vec::new();
        let sa = pod
            .spec
            .get("serviceAccountName")
            .or_else(|| pod.spec.get("serviceAccount"));
        let (sa_name, sa_span, implicit) = match sa.and_then(|n| n.as_str().map(|s| (s, n.span))) {
            Some((name, span)) => (name, span, false),
            None => ("default", pod.kind_node.span, true),
        };
        identities.push(IdentityUse {
            identity: Identity::K8sServiceAccount {
                namespace: pod.namespace.to_owned(),
                name: sa_name.to_owned(),
                implicit: implicit || sa_name == "default",
            },
            span: sa_span,
        });
        let mut agent = agent_marker(pod.name).map(|m| format!("its name contains `{m}`"));
        for list in ["containers", "initContainers"] {
            for c in pod.spec.get(list).map(Node::items).unwrap_or_default() {
                if agent.is_none()
                    && let Some(image) = c.get("image").and_then(Node::as_str)
                    && let Some(m) = agent_marker(image)
                {
                    agent = Some(format!("its image `{image}` contains `{m}`"));
                }
                for env in c.get("env").map(Node::items).unwrap_or_default() {
                    let name = env.get("name").and_then(Node::as_str).unwrap_or("");
                    if agent.is_none() && LLM_KEY_VARS.contains(&name) {
                        agent = Some(format!("it is given `{name}`"));
                    }
                    if let Some(r) = env.get_path(&["valueFrom", "secretKeyRef"])
                        && let (Some(secret), Some(key)) = (
                            r.get("name").and_then(Node::as_str),
                            r.get("key").and_then(Node::as_str),
                        )
                    {
                        identities.push(IdentityUse {
                            identity: Identity::K8sSecretKey {
                                namespace: pod.namespace.to_owned(),
                                secret: secret.to_owned(),
                                key: key.to_owned(),
                            },
                            span: r.span,
                        });
                    }
                    if let Some(v) = env.get("value") {
                        self.credentials_in(v.span, &mut identities);
                    }
                }
            }
        }
        facts.workloads.push(Workload {
            name: format!("{} {}/{}", pod.kind, pod.namespace, pod.name),
            kind: WorkloadKind::K8sPod,
            path: Arc::clone(self.path),
            span: pod.kind_node.span,
            extent: doc.root.span,
            agent,
            identities,
        });
    }

    /// `kind: ServiceAccount` with `eks.amazonaws.com/role-arn` (IRSA) or
    /// `iam.gke.io/gcp-service-account` (GKE workload identity).
    fn service_account_aliases(&self, doc: &Document, facts: &mut FileFacts) {
        if doc.root.get("kind").and_then(Node::as_str) != Some("ServiceAccount") {
            return;
        }
        let meta = doc.root.get("metadata");
        let Some(name) = meta.and_then(|m| m.get("name")).and_then(Node::as_str) else {
            return;
        };
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("default");
        let from = Identity::K8sServiceAccount {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            implicit: name == "default",
        };
        let annotations = meta.and_then(|m| m.get("annotations"));
        for key in [
            "eks.amazonaws.com/role-arn",
            "iam.gke.io/gcp-service-account",
            "azure.workload.identity/client-id",
        ] {
            let Some(value) = annotations.and_then(|a| a.get(key)) else {
                continue;
            };
            let Some(text) = value.as_str() else { continue };
            let identity = match key {
                "eks.amazonaws.com/role-arn" => crate::model::iac::role_name_from_arn(text)
                    .map(|n| Identity::AwsRole(n.to_owned())),
                "iam.gke.io/gcp-service-account" => crate::model::iac::gcp_account_id(text)
                    .map(|n| Identity::GcpServiceAccount(n.to_owned())),
                _ => Some(Identity::AzureIdentity(text.to_owned())),
            };
            if let Some(identity) = identity {
                facts.aliases.push(Alias {
                    from: from.clone(),
                    to: identity,
                    path: Arc::clone(self.path),
                    span: value.span,
                });
            }
        }
    }

    fn compose(&self, doc: &Document, facts: &mut FileFacts) {
        let Some(services) = doc.root.get("services") else {
            return;
        };
        for entry in services.entries() {
            let name = entry.key_str().unwrap_or("<unnamed>");
            let svc = &entry.value;
            let mut agent = agent_marker(name).map(|m| format!("its name contains `{m}`"));
            if agent.is_none()
                && let Some(image) = svc.get("image").and_then(Node::as_str)
                && let Some(m) = agent_marker(image)
            {
                agent = Some(format!("its image `{image}` contains `{m}`"));
            }
            let mut identities = Vec::new();
            if let Some(env) = svc.get("environment") {
                for (k, v) in env_pairs(env) {
                    if agent.is_none() && LLM_KEY_VARS.contains(&k) {
                        agent = Some(format!("it is given `{k}`"));
                    }
                    if let Some(v) = v {
                        self.credentials_in(v.span, &mut identities);
                    }
                }
            }
            facts.workloads.push(Workload {
                name: format!("compose service {name}"),
                kind: WorkloadKind::ComposeService,
                path: Arc::clone(self.path),
                span: entry.key.span,
                extent: entry.key.span.join(svc.span),
                agent,
                identities,
            });
        }
    }

    fn mcp(&self, doc: &Document, facts: &mut FileFacts) {
        for server in mcp_servers(doc) {
            let mut identities = Vec::new();
            self.credentials_in(server.node.span, &mut identities);
            facts.workloads.push(Workload {
                name: format!("MCP server {}", server.name),
                kind: WorkloadKind::McpServer,
                path: Arc::clone(self.path),
                span: server.name_span,
                extent: server.name_span.join(server.node.span),
                agent: Some("it is an MCP server an AI agent calls".into()),
                identities,
            });
        }
    }

    fn workflow(&self, doc: &Document, facts: &mut FileFacts) {
        let Some(jobs) = doc.root.get("jobs") else {
            return;
        };
        for job in jobs.entries() {
            let id = job.key_str().unwrap_or("<job>");
            let mut agent = None;
            let mut identities = Vec::new();
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                let uses = step.get("uses").and_then(Node::as_str).unwrap_or("");
                if agent.is_none()
                    && let Some(a) = AGENT_ACTIONS
                        .iter()
                        .find(|a| uses.to_ascii_lowercase().starts_with(*a))
                {
                    agent = Some(format!("it runs `{a}`"));
                }
                if uses.starts_with("aws-actions/configure-aws-credentials")
                    && let Some(role) = step.get_path(&["with", "role-to-assume"])
                    && let Some(arn) = role.as_str()
                    && !arn.contains("${{")
                {
                    identities.push(IdentityUse {
                        identity: Identity::AwsRole(
                            crate::model::iac::role_name_from_arn(arn)
                                .unwrap_or(arn)
                                .to_owned(),
                        ),
                        span: role.span,
                    });
                }
            }
            job.value.walk(|_, node| {
                if let Some(text) = node.as_str() {
                    for name in github_secret_refs(text) {
                        if name != "GITHUB_TOKEN" {
                            identities.push(IdentityUse {
                                identity: Identity::GithubSecret(name.to_owned()),
                                span: node.span,
                            });
                        }
                    }
                }
            });
            self.credentials_in(job.value.span, &mut identities);
            identities.dedup_by(|a, b| a.identity == b.identity);
            facts.workloads.push(Workload {
                name: format!("workflow job {id}"),
                kind: WorkloadKind::WorkflowJob,
                path: Arc::clone(self.path),
                span: job.key.span,
                extent: job.key.span.join(job.value.span),
                agent,
                identities,
            });
        }
    }
}

/// An MCP server entry of a client configuration.
pub struct McpServer<'a> {
    pub name: &'a str,
    pub name_span: Span,
    pub node: &'a Node,
}

/// Server entries under every key MCP clients use: `mcpServers` (Claude, Cursor,
/// Gemini, Windsurf, Kiro), `servers` (VS Code), `mcp_servers` (Codex TOML).
pub fn mcp_servers(doc: &Document) -> Vec<McpServer<'_>> {
    let mut out = Vec::new();
    for key in ["mcpServers", "servers", "mcp_servers"] {
        let containers = [doc.root.get(key), doc.root.get_path(&["mcp", key])];
        for container in containers.into_iter().flatten() {
            for e in container.entries() {
                if e.value.is_map() {
                    out.push(McpServer {
                        name: e.key_str().unwrap_or("<unnamed>"),
                        name_span: e.key.span,
                        node: &e.value,
                    });
                }
            }
        }
    }
    out
}

/// `KEY: value` mappings and `- KEY=value` lists (compose `environment`).
pub fn env_pairs(node: &Node) -> Vec<(&str, Option<&Node>)> {
    if node.is_map() {
        return node
            .entries()
            .iter()
            .filter_map(|e| Some((e.key_str()?, Some(&e.value))))
            .collect();
    }
    node.items()
        .iter()
        .filter_map(|item| {
            let text = item.as_str()?;
            Some(
                text.split_once('=')
                    .map_or((text, None), |(k, _)| (k, Some(item))),
            )
        })
        .collect()
}

/// Names of `${{ secrets.NAME }}` references in a string.
pub fn github_secret_refs(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("secrets.").filter_map(move |(i, _)| {
        let rest = &text[i + "secrets.".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        // Only inside an open `${{ ... }}` expression.
        let before = &text[..i];
        let open = before.rfind("${{");
        let inside = open.is_some_and(|o| before.rfind("}}").is_none_or(|c| c < o));
        (end > 0 && inside).then(|| &rest[..end])
    })
}

/// A value that stands for a secret rather than being one: empty, a variable or
/// template reference (`${VAR}`, `$VAR`, `%VAR%`, `{{ .x }}`, `${{ secrets.X }}`), or an
/// obvious placeholder (`xxxx`, `<token>`, `changeme`). Files holding only these are
/// templates, not leaks.
pub fn is_placeholder_value(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    v.is_empty()
        || v.starts_with('$')
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || crate::model::catalog::is_placeholder(v)
}

/// The service accounts a RoleBinding or ClusterRoleBinding grants its role to.
pub fn binding_subjects(doc: &Document) -> Vec<Identity> {
    let kind = doc.root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return Vec::new();
    }
    let binding_ns = doc
        .root
        .get_path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .unwrap_or("default");
    doc.root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("kind").and_then(Node::as_str) == Some("ServiceAccount"))
        .filter_map(|s| {
            let name = s.get("name").and_then(Node::as_str)?;
            let namespace = s
                .get("namespace")
                .and_then(Node::as_str)
                .unwrap_or(binding_ns);
            Some(Identity::K8sServiceAccount {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                implicit: name == "default",
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs() {
        let refs: Vec<_> = github_secret_refs(
            "${{ secrets.AGENT_TOKEN }} and ${{ secrets.GITHUB_TOKEN }} not secrets.X",
        )
        .collect();
        assert_eq!(refs, vec!["AGENT_TOKEN", "GITHUB_TOKEN"]);
    }
}

/// A credential location of a person's machine, named by a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialLocation {
    /// What it holds, e.g. `AWS credentials`.
    pub what: &'static str,
    /// Its usual spelling, e.g. `~/.aws`.
    pub home_path: &'static str,
    /// The path is under a home directory (`~`, `$HOME`, `/home/<user>`, `/Users/<user>`,
    /// `/root`, `C:\Users\<user>`) rather than a bare relative name such as `.aws`.
    pub in_home: bool,
    /// The path is a whole home directory, credentials and all.
    pub whole_home: bool,
}

/// Credential locations under a home directory: (path, what, whether deeper paths
/// count too).
const HOME_CREDENTIALS: &[(&str, &str, bool)] = &[
    (".aws", "AWS credentials", true),
    (".config/gcloud", "Google Cloud credentials", true),
    (".azure", "Azure CLI credentials", true),
    (".kube", "Kubernetes credentials", true),
    (".ssh", "SSH keys", true),
    (".docker/config.json", "Docker registry credentials", false),
    // The directory holds config.json; other `.docker/...` paths (buildx, contexts) do not.
    (".docker", "Docker registry credentials", false),
    (".netrc", "netrc passwords", false),
    (".git-credentials", "Git credentials", false),
    (".config/gh", "GitHub CLI token", true),
    (
        "application_default_credentials.json",
        "Google Cloud credentials",
        false,
    ),
];

/// SSH private key file names, credentials wherever they sit.
const SSH_KEY_NAMES: &[&str] = &["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa"];

/// The part of `path` below a home directory (`""` for the home itself), when `path`
/// starts at one. `path` has `/` separators.
fn below_home(path: &str) -> Option<&str> {
    const VARS: &[&str] = &[
        "$HOME",
        "${HOME}",
        "${env:HOME}",
        "${userHome}",
        "%USERPROFILE%",
        "$env:USERPROFILE",
        "${env:USERPROFILE}",
    ];
    let rest = if let Some(r) = path.strip_prefix('~') {
        // `~` or `~user`, then a separator or the end.
        match r.find('/') {
            Some(i)
                if r[..i]
                    .chars()
                    .all(|c| c.is_alphanumeric() || "._-".contains(c)) =>
            {
                &r[i..]
            }
            None if r.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) => "",
            _ => return None,
        }
    } else if let Some(v) = VARS.iter().find(|v| path.starts_with(**v)) {
        &path[v.len()..]
    } else if path == "/root" || path.starts_with("/root/") {
        &path["/root".len()..]
    } else {
        let lower = path.to_ascii_lowercase();
        let after = ["/home/", "/users/", "c:/users/"]
            .iter()
            .find(|p| lower.starts_with(**p))
            .map(|p| &path[p.len()..])?;
        let user_end = after.find('/').unwrap_or(after.len());
        if user_end == 0 {
            return None;
        }
        &after[user_end..]
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.trim_start_matches('/'))
}

fn match_credential(rel: &str, in_home: bool) -> Option<CredentialLocation> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    // Public halves and host lists sit next to keys but grant nothing.
    if matches!(name, "known_hosts" | "known_hosts.old" | "authorized_keys")
        || name.ends_with(".pub")
        || rel == ".ssh/config"
    {
        return None;
    }
    let found = HOME_CREDENTIALS.iter().find(|(p, _, deeper)| {
        rel == *p || (*deeper && rel.strip_prefix(*p).is_some_and(|r| r.starts_with('/')))
    });
    if let Some((p, what, _)) = found {
        let home_path = match *p {
            ".aws" => "~/.aws",
            ".config/gcloud" | "application_default_credentials.json" => "~/.config/gcloud",
            ".azure" => "~/.azure",
            ".kube" => "~/.kube",
            ".ssh" => "~/.ssh",
            ".docker/config.json" | ".docker" => "~/.docker/config.json",
            ".netrc" => "~/.netrc",
            ".git-credentials" => "~/.git-credentials",
            _ => "~/.config/gh",
        };
        return Some(CredentialLocation {
            what,
            home_path,
            in_home,
            whole_home: false,
        });
    }
    SSH_KEY_NAMES.contains(&name).then_some(CredentialLocation {
        what: "SSH keys",
        home_path: "~/.ssh",
        in_home,
        whole_home: false,
    })
}

/// The person's credential location `path` names: a credential directory or file under
/// a home directory (`~/.aws`, `$HOME/.kube/config`, `/Users/jane/.ssh`), the home
/// directory itself, or a relative path with a credential's name (`.aws`,
/// `./.kube/config`, `id_rsa`), which is what a Dockerfile `COPY` source or a compose
/// bind mount from the project directory looks like.
pub fn credential_location(path: &str) -> Option<CredentialLocation> {
    let norm = path.trim().replace('\\', "/");
    let norm = norm.trim_end_matches('/');
    if let Some(rel) = below_home(norm) {
        if rel.is_empty() {
            return Some(CredentialLocation {
                what: "home directory",
                home_path: "~",
                in_home: true,
                whole_home: true,
            });
        }
        return match_credential(rel, true);
    }
    if norm.starts_with('/') || norm.starts_with('$') || norm.contains(':') {
        return None;
    }
    let mut rel = norm;
    while let Some(r) = rel.strip_prefix("./") {
        rel = r;
    }
    match_credential(rel, false)
}

/// Consumer mail providers: an address there is a person's own.
fn consumer_mail_domain(domain: &str) -> bool {
    const EXACT: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "aol.com",
        "mail.com",
        "zoho.com",
        "live.com",
        "msn.com",
        "qq.com",
        "163.com",
        "web.de",
        "fastmail.com",
    ];
    const FAMILIES: &[&str] = &["yahoo", "hotmail", "outlook", "gmx", "yandex"];
    EXACT.contains(&domain)
        || domain
            .split_once('.')
            .is_some_and(|(first, _)| FAMILIES.contains(&first))
}

/// Domains reserved for documentation or for service identities.
fn non_personal_domain(domain: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "gserviceaccount.com",
        "noreply.github.com",
        "example.com",
        "example.org",
        "example.net",
        "contoso.com",
        "fabrikam.com",
        "domain.com",
        "company.com",
        "yourcompany.com",
        "yourdomain.com",
        "mycompany.com",
        "email.com",
    ];
    let tld = domain.rsplit('.').next().unwrap_or("");
    matches!(tld, "example" | "test" | "invalid" | "localhost" | "local")
        || domain.split('.').any(|l| l == "example")
        || SUFFIXES
            .iter()
            .any(|s| domain == *s || domain.ends_with(&format!(".{s}")))
}

/// Words that mark a mailbox or login as a service or a placeholder wherever it is.
const SERVICE_WORDS: &[&str] = &[
    "bar",
    "baz",
    "bot",
    "bots",
    "build",
    "builder",
    "builds",
    "cd",
    "changeme",
    "ci",
    "dummy",
    "email",
    "example",
    "firstname",
    "foo",
    "jenkins",
    "lastname",
    "mcp",
    "name",
    "nobody",
    "qa",
    "release",
    "releases",
    "runner",
    "sa",
    "svc",
    "test",
    "testing",
    "user",
    "username",
    "you",
    "your",
];

/// Words that mark a mailbox or login as a role or team rather than a person; at a
/// consumer mail provider they are just part of someone's address.
const ROLE_WORDS: &[&str] = &[
    "abuse",
    "accounts",
    "alerts",
    "all",
    "anonymous",
    "api",
    "app",
    "apps",
    "billing",
    "careers",
    "com",
    "contact",
    "data",
    "default",
    "dev",
    "devops",
    "devs",
    "everyone",
    "finance",
    "first",
    "git",
    "github",
    "gitlab",
    "group",
    "guest",
    "hello",
    "help",
    "hostmaster",
    "hr",
    "info",
    "io",
    "it",
    "jobs",
    "last",
    "legal",
    "mail",
    "me",
    "monitoring",
    "net",
    "office",
    "oncall",
    "only",
    "ops",
    "org",
    "owner",
    "platform",
    "postmaster",
    "press",
    "prod",
    "read",
    "readonly",
    "root",
    "sales",
    "security",
    "shared",
    "someone",
    "sre",
    "staging",
    "support",
    "team",
    "webmaster",
    "write",
];

/// Substrings that mark a mailbox or login as a service's.
const SERVICE_MARKERS: &[&str] = &[
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "[bot]",
    "service",
    "automation",
    "robot",
    "deploy",
    "system",
    "agent",
    "admin",
    "notification",
    "alert",
];

fn looks_like_service(local: &str) -> bool {
    let lower = local.to_ascii_lowercase();
    SERVICE_MARKERS.iter().any(|m| lower.contains(m))
        || lower
            .split(['.', '-', '_'])
            .any(|w| SERVICE_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

fn looks_like_role(local: &str) -> bool {
    looks_like_service(local)
        || local
            .to_ascii_lowercase()
            .split(['.', '-', '_'])
            .any(|w| ROLE_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

/// `first.last`, `first.m.last`: letters in two or three dot-separated words.
fn first_dot_last(login: &str) -> bool {
    let words: Vec<&str> = login.split('.').collect();
    (2..=3).contains(&words.len())
        && login.len() <= 48
        && words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        && words.first().is_some_and(|w| w.len() >= 2)
        && words.last().is_some_and(|w| w.len() >= 2)
        && !looks_like_role(login)
}

/// How sure we are that `text` names a person: an email address at a consumer mail
/// provider (high), a person-shaped address at any other domain (`first.last`,
/// `flast`, `first`: medium), or a bare `first.last` login (medium). Service
/// identities, bots, role mailboxes, documentation domains and templated values are
/// not people.
pub fn personal_login(text: &str) -> Option<crate::findings::Confidence> {
    use crate::findings::Confidence;
    let mut t = text.trim();
    // `Jane Doe <jane@example.org>`
    if let (Some(open), true) = (t.rfind('<'), t.ends_with('>')) {
        t = &t[open + 1..t.len() - 1];
    }
    if t.is_empty() || t.contains(['$', '{', '}', '<', '>', ' ', '%']) {
        return None;
    }
    let Some((local, domain)) = t.split_once('@') else {
        return first_dot_last(t).then_some(Confidence::Medium);
    };
    let domain = domain.to_ascii_lowercase();
    let valid = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid || non_personal_domain(&domain) {
        return None;
    }
    // A `+tag` still delivers to the person's mailbox.
    let mailbox = local.split('+').next().unwrap_or(local);
    if mailbox.is_empty() || looks_like_service(mailbox) {
        return None;
    }
    if consumer_mail_domain(&domain) {
        return Some(Confidence::High);
    }
    if looks_like_role(mailbox) {
        return None;
    }
    let letters = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic());
    let person_shaped = first_dot_last(mailbox)
        || (letters(mailbox) && (2..=20).contains(&mailbox.len()))
        || mailbox
            .split_once(['_', '-'])
            .is_some_and(|(a, b)| letters(a) && letters(b) && a.len() >= 2 && b.len() >= 2);
    person_shaped.then_some(Confidence::Medium)
}

/// A word of a shell command line: its text with quotes and escapes removed, and the
/// byte range of its source in the text it came from. Command separators (`;`, `&&`,
/// `||`, `|`, newlines) are words of their own, spelled `;`, so callers can tell one
/// command from the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellWord {
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl ShellWord {
    pub(crate) fn is_separator(&self) -> bool {
        self.text == ";" && self.end - self.start <= 2
    }
}

/// Split shell text into words the way a POSIX shell would for simple commands: single
/// quotes are literal, double quotes and backslashes escape, `\` before a newline joins
/// lines, `#` at the start of a word starts a comment. Expansions stay as written
/// (`$VAR` is a word, not its value). Never fails: an unclosed quote runs to the end.
pub(crate) fn shell_words(text: &str) -> Vec<ShellWord> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut word: Option<(String, usize)> = None;
    let flush = |word: &mut Option<(String, usize)>, end: usize, out: &mut Vec<ShellWord>| {
        if let Some((text, start)) = word.take() {
            out.push(ShellWord { text, start, end });
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => flush(&mut word, i, &mut out),
            '\n' | ';' | '&' | '|' => {
                flush(&mut word, i, &mut out);
                let mut end = i + c.len_utf8();
                if matches!(c, '&' | '|')
                    && let Some(&(j, d)) = chars.peek()
                    && d == c
                {
                    chars.next();
                    end = j + 1;
                }
                if out.last().is_none_or(|w| !w.is_separator()) {
                    out.push(ShellWord {
                        text: ";".into(),
                        start: i,
                        end,
                    });
                }
            }
            '#' if word.is_none() => {
                while chars.peek().is_some_and(|&(_, d)| d != '\n') {
                    chars.next();
                }
            }
            '\\' => match chars.next() {
                Some((_, '\n')) => flush(&mut word, i, &mut out),
                Some((_, d)) => word.get_or_insert_with(|| (String::new(), i)).0.push(d),
                None => {}
            },
            '\'' => {
                let w = word.get_or_insert_with(|| (String::new(), i));
                for (_, d) in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    w.0.push(d);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(|| (String::new(), i));
                while let Some((_, d)) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(&(_, e)) = chars.peek()
                                && matches!(e, '"' | '\\' | '$' | '`')
                            {
                                chars.next();
                                w.0.push(e);
                            } else {
                                w.0.push('\\');
                            }
                        }
                        _ => w.0.push(d),
                    }
                }
            }
            _ => word.get_or_insert_with(|| (String::new(), i)).0.push(c),
        }
    }
    flush(&mut word, text.len(), &mut out);
    out
}

#[cfg(test)]
mod shell_tests {
    use super::*;

    #[test]
    fn words_quotes_and_separators() {
        let text = "git config --global user.name \"Jane Doe\" && \\\n  git -c 'user.email=j@x.io' commit # c\nkubectl get pods --as=jane";
        let words: Vec<String> = shell_words(text).into_iter().map(|w| w.text).collect();
        assert_eq!(
            words,
            vec![
                "git",
                "config",
                "--global",
                "user.name",
                "Jane Doe",
                ";",
                "git",
                "-c",
                "user.email=j@x.io",
                "commit",
                ";",
                "kubectl",
                "get",
                "pods",
                "--as=jane"
            ]
        );
        let w = &shell_words(text)[4];
        assert_eq!(&text[w.start..w.end], "\"Jane Doe\"");
        for t in ["\"", "'", "\\", "a\\", "é#é", "&&&", "||"] {
            let _ = shell_words(t);
        }
    }
}

/// The node at `path` below `root` (the inverse of [`Node::walk`]'s paths), to reach
/// the siblings of a node the walk visits: the `name` of a Kubernetes `env` item whose
/// `value` it is.
pub(crate) fn node_at<'a>(
    root: &'a Node,
    path: &[crate::syntax::doc::PathSeg<'_>],
) -> Option<&'a Node> {
    use crate::syntax::doc::PathSeg;
    path.iter().try_fold(root, |n, seg| match seg {
        PathSeg::Key(k) => n.get(k),
        PathSeg::Index(i) => n.items().get(*i),
    })
}
