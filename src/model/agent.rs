//! Whether a workload runs an AI agent, decided by evidence rather than by its name.
//!
//! Extractors collect [`AgentSignals`] for each workload: evidence with a weight and a
//! reason (it runs an agent action or CLI, it is a server in an MCP client's
//! configuration, its image is an MCP server's, it is handed `ANTHROPIC_API_KEY`, ...),
//! whether it is a well-known workload that is not an AI agent (a monitoring
//! DaemonSet, a CI runner, a mesh proxy), and what `lanyard.toml` says. The
//! knowledge is data (`rules/agents.toml`); [`AgentSignals::decide`] turns the signals
//! into the one reason every message quotes ("an AI agent: it runs
//! `anthropics/claude-code-action`"). A name is weak evidence and never decides alone:
//! `datadog-agent` and `gpt-partitioner` are not agents.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::rating::Confidence;

const BUILTIN: &str = include_str!("../../rules/agents.toml");

// --- Knowledge ---------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentKnowledge {
    pub version: u32,
    pub names: Names,
    pub key_var: Vec<KeyVar>,
    pub action: Vec<ActionDef>,
    pub copilot_setup: CopilotSetup,
    pub image: Vec<ImageDef>,
    pub package: Vec<PackageDef>,
    pub not_agent: Vec<NotAgent>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    pub markers: Vec<String>,
}

/// An environment variable that hands a workload a model provider's key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyVar {
    pub name: String,
    pub provider: String,
    /// Used by many things besides model providers: weak evidence only.
    #[serde(default)]
    pub weak: bool,
}

/// A GitHub Action that runs an agent, by prefix of `uses`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    pub uses: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopilotSetup {
    pub job: String,
}

/// An image of an agent harness, agent framework or MCP server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageDef {
    pub pattern: String,
    pub what: String,
    #[serde(default)]
    pub examples: Vec<String>,
}

/// A package of an agent framework or MCP server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageDef {
    pub name: String,
    pub what: String,
}

/// A well-known workload called an agent that is no AI agent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotAgent {
    pub name: String,
    pub what: String,
    pub words: Vec<String>,
    pub images: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

impl AgentKnowledge {
    /// The knowledge shipped in the binary. A test proves it parses, so `None` only
    /// happens if the embedded file was broken at build time.
    pub fn builtin() -> Option<&'static AgentKnowledge> {
        static K: OnceLock<Option<AgentKnowledge>> = OnceLock::new();
        K.get_or_init(|| toml::from_str(BUILTIN).ok()).as_ref()
    }

    /// The agent marker (`agent`, `claude`, `bedrock`, ...) a name contains, if any.
    pub fn marker(&self, text: &str) -> Option<&str> {
        let lower = text.to_ascii_lowercase();
        self.names
            .markers
            .iter()
            .find(|m| lower.contains(m.as_str()))
            .map(String::as_str)
    }

    pub fn key_var(&self, name: &str) -> Option<&KeyVar> {
        self.key_var.iter().find(|v| v.name == name)
    }

    /// The agent action a step's or job's `uses` names.
    pub fn action(&self, uses: &str) -> Option<&ActionDef> {
        let lower = uses.trim().to_ascii_lowercase();
        self.action.iter().find(|a| lower.starts_with(&a.uses))
    }

    /// The agent framework or MCP server an image is.
    pub fn image(&self, image: &str) -> Option<&ImageDef> {
        let repo = repository(image);
        self.image.iter().find(|d| repo_matches(&d.pattern, &repo))
    }

    /// The agent framework or MCP server a package word names (`crewai==0.80`,
    /// `@modelcontextprotocol/server-github@latest`, `langchain[openai]`).
    pub fn package(&self, word: &str) -> Option<&PackageDef> {
        let name = package_name(word);
        if name.is_empty() {
            return None;
        }
        self.package.iter().find(|p| glob(&p.name, &name))
    }

    /// The non-AI agent a workload name is (`datadog-agent`, `nri-bundle-nrk8s`).
    pub fn not_agent_name(&self, name: &str) -> Option<&NotAgent> {
        let tokens = words(name);
        self.not_agent.iter().find(|n| {
            n.words.iter().any(|w| {
                let want = words(w);
                !want.is_empty() && tokens.windows(want.len()).any(|win| win == want.as_slice())
            })
        })
    }

    /// The non-AI agent an image is (`gcr.io/datadoghq/agent:7`).
    pub fn not_agent_image(&self, image: &str) -> Option<&NotAgent> {
        let repo = repository(image);
        self.not_agent
            .iter()
            .find(|n| n.images.iter().any(|p| repo_matches(p, &repo)))
    }
}

/// The agent marker a name of something that is not a workload carries (a log group,
/// a namespace), unless it names a well-known non-AI agent (`datadog-agent-logs`).
/// Only for things that have nothing but a name: a workload is classified by
/// [`AgentSignals`], where a name never decides alone.
pub fn agent_marker(text: &str) -> Option<&'static str> {
    let k = AgentKnowledge::builtin()?;
    if k.not_agent_name(text).is_some() {
        return None;
    }
    k.marker(text)
}

/// Lowercase words of a name, split on anything but letters and digits.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// An image reference's repository, lowercased, without registry host, tag or digest
/// (`ghcr.io/github/github-mcp-server:v1` → `github/github-mcp-server`).
fn repository(image: &str) -> String {
    let lower = image.trim().to_ascii_lowercase();
    let no_digest = lower.split('@').next().unwrap_or("");
    let slash = no_digest.rfind('/');
    let path = match no_digest.rfind(':') {
        // A `:` after the last `/` starts the tag; before it, a registry port.
        Some(i) if slash.is_none_or(|s| i > s) => &no_digest[..i],
        _ => no_digest,
    };
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() > 1 && (segs[0].contains(['.', ':']) || segs[0] == "localhost") {
        segs.remove(0);
    }
    if segs.len() == 2 && segs[0] == "library" {
        segs.remove(0);
    }
    segs.join("/")
}

/// A repository matches a pattern whole, or after a mirror's prefix
/// (`mirror/datadog/agent` matches `datadog/*`).
fn repo_matches(pattern: &str, repo: &str) -> bool {
    glob(pattern, repo)
        || repo
            .match_indices('/')
            .any(|(i, _)| glob(pattern, &repo[i + 1..]))
}

/// A package word without its version, extras or registry prefix: `name==1.0`,
/// `name>=1`, `name[extra]`, `@scope/name@1.2`, `npm:name`.
fn package_name(word: &str) -> String {
    let w = word.trim().trim_matches(['"', '\'']);
    let w = w.strip_prefix("npm:").unwrap_or(w);
    // An `@` past the first character starts the version (`@scope/name@1.2`).
    let w = match w.char_indices().skip(1).find(|(_, c)| *c == '@') {
        Some((i, _)) => &w[..i],
        None => w,
    };
    let end = w
        .find(['=', '<', '>', '~', '!', '[', ';', ' '])
        .unwrap_or(w.len());
    // PyPI names compare with `_` and `-` alike (`mcp_server_git` is `mcp-server-git`).
    w[..end].to_ascii_lowercase().replace('_', "-")
}

/// Glob with `*` only, ASCII case-insensitive, iterative.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

// --- Evidence ----------------------------------------------------------------------

/// How much a piece of evidence says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Weight {
    /// A hint that never decides alone (a name, a model key in a CI job).
    Weak,
    /// Decides alone, unless the workload is a well-known non-AI agent.
    Medium,
    /// Decides alone, whatever the name says.
    Strong,
}

/// One reason to think a workload runs an AI agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub weight: Weight,
    /// Says why, in words a message quotes: `it runs \`anthropics/claude-code-action\``.
    pub reason: String,
    /// It names the software itself (an agent framework's or MCP server's image or
    /// package), which a non-AI name cannot explain away.
    pub specific: bool,
}

/// Everything the extractors saw about whether a workload runs an AI agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentSignals {
    pub evidence: Vec<Evidence>,
    /// Why it is a well-known workload that is not an AI agent, when it is one.
    pub not_agent: Option<String>,
    /// The exclusion comes from its image, which says what runs more surely than a name.
    pub not_agent_by_image: bool,
    /// What `lanyard.toml` says (`[[workload]] agent = true|false`), which wins.
    pub declared: Option<bool>,
}

impl AgentSignals {
    fn push(&mut self, weight: Weight, reason: String, specific: bool) {
        if !self.evidence.iter().any(|e| e.reason == reason) {
            self.evidence.push(Evidence {
                weight,
                reason,
                specific,
            });
        }
    }

    /// Evidence that decides alone and beats any name: an agent action, CLI, harness
    /// settings, MCP client membership, a cloud agent resource.
    pub fn strong(&mut self, reason: impl Into<String>) {
        self.push(Weight::Strong, reason.into(), true);
    }

    /// The workload's own name (a pod, service, job or resource name): a weak hint
    /// when it carries an agent marker, and an exclusion when it is a well-known
    /// non-AI agent's.
    pub fn name(&mut self, name: &str) {
        let Some(k) = AgentKnowledge::builtin() else {
            return;
        };
        if let Some(m) = k.marker(name) {
            self.push(Weight::Weak, format!("its name contains `{m}`"), false);
        }
        if self.not_agent.is_none()
            && let Some(n) = k.not_agent_name(name)
        {
            self.not_agent = Some(format!("`{name}` is {} ({})", n.name, n.what));
        }
    }

    /// An image it runs: an agent framework's or MCP server's (medium), a well-known
    /// non-AI agent's (an exclusion), or one whose name merely hints (weak).
    pub fn image(&mut self, image: &str) {
        let Some(k) = AgentKnowledge::builtin() else {
            return;
        };
        if let Some(d) = k.image(image) {
            self.push(
                Weight::Medium,
                format!("its image `{image}` is {}", d.what),
                true,
            );
        } else if let Some(m) = k.marker(image) {
            self.push(
                Weight::Weak,
                format!("its image `{image}` contains `{m}`"),
                false,
            );
        }
        if !self.not_agent_by_image
            && let Some(n) = k.not_agent_image(image)
        {
            self.not_agent = Some(format!("its image `{image}` is {} ({})", n.name, n.what));
            self.not_agent_by_image = true;
        }
    }

    /// An environment variable it is given. A model provider's key is medium evidence
    /// for a running service and weak for a CI job (`ci`), whose test suites hold such
    /// keys without running an agent.
    pub fn env_var(&mut self, name: &str, ci: bool) {
        let Some(v) = AgentKnowledge::builtin().and_then(|k| k.key_var(name)) else {
            return;
        };
        let weight = if v.weak || ci {
            Weight::Weak
        } else {
            Weight::Medium
        };
        self.push(
            weight,
            format!("it is given `{name}` ({} API key)", v.provider),
            false,
        );
    }

    /// The words of a command line it runs: agent framework and MCP server packages it
    /// installs or starts (`pip install crewai`, `npx -y @modelcontextprotocol/...`).
    pub fn command(&mut self, words: &[&str]) {
        let Some(k) = AgentKnowledge::builtin() else {
            return;
        };
        for (word, what) in packages_in(k, words) {
            self.push(Weight::Medium, format!("it runs `{word}`, {what}"), true);
        }
    }

    /// Why it runs an AI agent, when the evidence says it does: what `lanyard.toml`
    /// declares, else the strongest evidence that counts. Weak evidence never decides;
    /// a well-known non-AI agent's image keeps only strong and specific evidence (a
    /// model key handed to the Datadog Agent's image is no agent). A name on the
    /// non-AI list cancels nothing but name hints: an app called `datadog-llm-demo`
    /// that is handed `OPENAI_API_KEY` is an LLM app.
    pub fn decide(&self) -> Option<String> {
        match self.declared {
            Some(true) => {
                return Some(
                    "lanyard.toml declares it one (`[[workload]] agent = true`)".to_owned(),
                );
            }
            Some(false) => return None,
            None => {}
        }
        self.deciding().map(|e| e.reason.clone())
    }

    fn deciding(&self) -> Option<&Evidence> {
        let excluded = self.not_agent_by_image;
        self.evidence
            .iter()
            .filter(|e| e.weight > Weight::Weak)
            .filter(|e| !excluded || e.weight == Weight::Strong || e.specific)
            // The first of the strongest: extractors push in the order they read.
            .fold(None, |best: Option<&Evidence>, e| match best {
                Some(b) if b.weight >= e.weight => Some(b),
                _ => Some(e),
            })
    }

    /// How sure the classification is: strong evidence or a declaration is certain;
    /// medium evidence alone is likely, and a second piece of evidence (a name hint
    /// included) makes it certain.
    pub fn confidence(&self) -> Confidence {
        if self.declared.is_some() {
            return Confidence::High;
        }
        match self.deciding() {
            Some(e) if e.weight == Weight::Strong => Confidence::High,
            Some(_) if self.evidence.len() > 1 => Confidence::High,
            Some(_) => Confidence::Medium,
            None => Confidence::Low,
        }
    }
}

/// Agent packages a command line installs or starts, with what each is: the words
/// after an installer (`pip install`, `npm i -g`, `uv add`, ...) or a runner (`npx`,
/// `uvx`, `pipx run`, `bunx`, `python -m`), up to the next separator. The harness CLIs'
/// packages (`@anthropic-ai/claude-code`) come from rules/harness.toml.
pub fn packages_in<'a>(k: &AgentKnowledge, words: &[&'a str]) -> Vec<(&'a str, String)> {
    let harness = crate::model::harness::HarnessKnowledge::builtin();
    let mut out = Vec::new();
    let mut taking = false;
    let mut prev: Option<&str> = None;
    for &w in words {
        if matches!(w, "&&" | "||" | ";" | "|" | "&") {
            taking = false;
            prev = None;
            continue;
        }
        let base = w.rsplit('/').next().unwrap_or(w);
        if taking && !w.starts_with('-') {
            if let Some(def) = k.package(w) {
                out.push((w, def.what.clone()));
            } else if let Some(h) = harness.and_then(|h| {
                let name = package_name(w);
                h.harness
                    .iter()
                    .find(|d| d.packages.iter().any(|p| p.eq_ignore_ascii_case(&name)))
            }) {
                out.push((w, format!("the {} CLI", h.name)));
            }
        }
        let installer = |p: Option<&str>| {
            p.is_some_and(|p| {
                matches!(
                    p,
                    "pip"
                        | "pip3"
                        | "uv"
                        | "poetry"
                        | "pipx"
                        | "npm"
                        | "pnpm"
                        | "yarn"
                        | "bun"
                        | "pdm"
                        | "conda"
                        | "mamba"
                )
            })
        };
        if matches!(base, "npx" | "uvx" | "bunx" | "dlx")
            || (matches!(base, "install" | "i" | "add" | "run" | "exec") && installer(prev))
            || (w == "-m" && prev.is_some_and(|p| p.starts_with("python")))
        {
            taking = true;
        }
        if !w.starts_with('-') {
            prev = Some(base);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k() -> &'static AgentKnowledge {
        AgentKnowledge::builtin().expect("rules/agents.toml parses")
    }

    #[test]
    fn knowledge_examples_hold() {
        let k = k();
        for d in &k.image {
            for e in &d.examples {
                assert!(
                    k.image(e).is_some_and(|m| m.pattern == d.pattern),
                    "image {e} should match {}",
                    d.pattern
                );
            }
        }
        for n in &k.not_agent {
            for e in &n.examples {
                let hit = k.not_agent_name(e).or_else(|| k.not_agent_image(e));
                assert!(
                    hit.is_some_and(|h| h.name == n.name),
                    "{e} should be {}",
                    n.name
                );
            }
        }
        assert!(k.action("anthropics/claude-code-action@v1").is_some());
        assert!(k.action("Anthropics/Claude-Code-Action@beta").is_some());
        assert!(k.action("actions/checkout@v4").is_none());
    }

    #[test]
    fn images_and_packages() {
        assert_eq!(
            repository("ghcr.io/github/github-mcp-server:v1"),
            "github/github-mcp-server"
        );
        assert_eq!(repository("localhost:5000/acme/app"), "acme/app");
        assert_eq!(repository("postgres:16"), "postgres");
        assert_eq!(repository("docker.io/library/nginx@sha256:ab"), "nginx");
        let k = k();
        assert!(k.image("postgres:16").is_none());
        assert!(k.image("ghcr.io/acme/triage-agent:1.4.2").is_none());
        assert!(
            k.not_agent_image("ghcr.io/acme/triage-agent:1.4.2")
                .is_none()
        );
        assert_eq!(package_name("crewai==0.80"), "crewai");
        assert_eq!(
            package_name("@modelcontextprotocol/server-github@latest"),
            "@modelcontextprotocol/server-github"
        );
        assert_eq!(package_name("langchain[openai]>=0.2"), "langchain");
        let found = packages_in(
            k,
            &[
                "pip", "install", "-U", "crewai", "requests", "&&", "python", "app.py",
            ],
        );
        assert_eq!(
            packages_in(k, &["npm", "install", "-g", "@anthropic-ai/claude-code"])[0].1,
            "the Claude Code CLI"
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "crewai");
        assert_eq!(packages_in(k, &["python", "-m", "mcp_server_git"]).len(), 1);
        assert_eq!(packages_in(k, &["uvx", "mcp-server-fetch"]).len(), 1);
        // A bare word is no package install.
        assert!(packages_in(k, &["serve", "--mode", "mcp"]).is_empty());
    }

    #[test]
    fn names_never_decide_alone() {
        let mut s = AgentSignals::default();
        s.name("triage-agent");
        s.image("ghcr.io/acme/triage-agent:1.4.2");
        assert_eq!(s.decide(), None);
        s.env_var("ANTHROPIC_API_KEY", false);
        assert_eq!(
            s.decide().as_deref(),
            Some("it is given `ANTHROPIC_API_KEY` (Anthropic API key)")
        );
        assert_eq!(s.confidence(), Confidence::High);

        let mut ci = AgentSignals::default();
        ci.env_var("OPENAI_API_KEY", true);
        assert_eq!(ci.decide(), None);
    }

    #[test]
    fn monitoring_agents_are_not_ai_agents() {
        let mut s = AgentSignals::default();
        s.name("newrelic-bundle-newrelic-infrastructure");
        s.image("newrelic/infrastructure-bundle:3.2");
        s.env_var("OPENAI_API_KEY", false);
        assert_eq!(s.decide(), None, "{s:?}");
        // A vendor's name alone cancels only name hints.
        let mut app = AgentSignals::default();
        app.name("datadog-llm-demo");
        app.env_var("OPENAI_API_KEY", false);
        assert!(app.decide().is_some());
        // What it runs still decides.
        s.strong("it starts Claude Code (`claude -p`)");
        assert!(s.decide().is_some());

        let mut d = AgentSignals::default();
        d.name("datadog-agent");
        assert!(d.not_agent.is_some());
        assert_eq!(d.decide(), None);

        // An MCP server's image beats a monitoring vendor's name.
        let mut m = AgentSignals::default();
        m.name("datadog-mcp");
        m.image("mcp/datadog");
        assert!(m.decide().is_some());

        let mut declared = AgentSignals::default();
        declared.strong("it is an MCP server an AI agent calls");
        declared.declared = Some(false);
        assert_eq!(declared.decide(), None);
    }
}
