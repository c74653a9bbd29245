//! The semantic layer: what the documents mean. Extractors turn a file's documents
//! into workloads (things that run), whether each looks like an AI agent and why, and
//! the identities each runs as. Rules read facts instead of rediscovering "is this a
//! Kubernetes Deployment" each time, and project rules join facts across files.

use std::sync::Arc;

use crate::catalog::{Catalog, CredentialMatch};
use crate::classify::FileKind;
use crate::doc::{Document, Node, Parsed};
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// A Kubernetes pod spec (Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod).
    K8sPod,
    ComposeService,
    McpServer,
    WorkflowJob,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::K8sPod => "kubernetes workload",
            WorkloadKind::ComposeService => "compose service",
            WorkloadKind::McpServer => "MCP server",
            WorkloadKind::WorkflowJob => "workflow job",
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
    /// An AWS role ARN.
    AwsRole(String),
    /// A literal credential, by hash; `label` is its redacted form and format name.
    Credential { hash: String, label: String },
}

impl Identity {
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
            Identity::AwsRole(arn) => format!("AWS role `{arn}`"),
            Identity::Credential { label, .. } => format!("the same literal credential ({label})"),
        }
    }
}

/// Facts extracted from one file.
#[derive(Debug, Default)]
pub struct FileFacts {
    pub workloads: Vec<Workload>,
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

fn agent_marker(text: &str) -> Option<&'static str> {
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
    for doc in &parsed.documents {
        match kind {
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
                    label: format!("{name}, {}", m.redacted.as_str()),
                },
                span: m.span,
            });
        }
    }

    fn k8s(&self, doc: &Document, facts: &mut FileFacts) {
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
                        identity: Identity::AwsRole(arn.to_owned()),
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

/// The agent marker (`agent`, `claude`, `bedrock`, ...) a name contains, if any: for
/// rules that judge names outside the workloads extracted here (IAM roles, policies).
pub fn agent_marker_in(text: &str) -> Option<&'static str> {
    agent_marker(text)
}

/// One severity step up: what a finding gets when the identity it concerns is an AI
/// agent's, whose actions are steered by whatever text reaches it.
pub fn raised_for_agent(severity: crate::finding::Severity) -> crate::finding::Severity {
    use crate::finding::Severity;
    match severity {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
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
