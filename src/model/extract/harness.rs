//! Agents' own permissions: the settings files of agent harnesses and the command
//! lines that start them, read into [`HarnessAgent`]s with a span for every setting.
//!
//! Settings files: Claude Code (`.claude/settings*.json`), Claude Desktop
//! (`claude_desktop_config.json` preferences), Codex (`.codex/*.toml`), Gemini CLI
//! (`.gemini/settings.json`), aider (`.aider.conf.yml`), and the auto-approval lists
//! of MCP clients (`alwaysAllow`, `autoApprove`). Command lines: workflow `run:` steps
//! and agent action inputs, compose `command`/`entrypoint`, Kubernetes container
//! `command`/`args`, Dockerfile `CMD`/`ENTRYPOINT`/`RUN`, package.json `scripts`,
//! Makefiles and shell scripts. What each setting and flag means is
//! `rules/harness.toml` ([`HarnessKnowledge`]).

use std::sync::Arc;

use crate::model::facts::{FileFacts, Workload, WorkloadKey, WorkloadKind};
use crate::model::harness::{
    ApprovalVia, AutoApproval, Bypass, DirGrant, DirKind, HarnessAgent, HarnessKnowledge,
    ModeSetting, RuleKind, ServerInfo, Setting, ToolRule,
};
use crate::model::rating::Severity;
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};
use crate::syntax::shell::shell_words;
use crate::syntax::source::Span;

use super::{Extract, mcp_servers};

/// A word of a command line with the span it is written at.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub(crate) text: String,
    pub(crate) span: Span,
}

impl Word {
    fn is_separator(&self) -> bool {
        self.text == ";"
    }
}

/// Command words that run the program named after them (with their options).
const WRAPPERS: &[&str] = &[
    "exec", "sudo", "env", "nohup", "time", "timeout", "setsid", "stdbuf", "nice", "npx", "bunx",
    "pnpx", "uvx", "command", "xargs", "doas", "then", "do", "else", "!",
];

/// Commands whose arguments are text, not a command line (`echo "use --yolo"`).
const TEXT_COMMANDS: &[&str] = &[
    "echo",
    "printf",
    "cat",
    "grep",
    "sed",
    "awk",
    "rg",
    "print",
    "Write-Host",
];

/// The folder a settings file's agent works in: `services/reviewer` for
/// `services/reviewer/.claude/settings.json`, `.` at the root.
fn agent_dir(path: &str, marker: &str) -> String {
    match path.find(marker) {
        Some(0) => ".".to_owned(),
        Some(i) => path[..i].trim_end_matches('/').to_owned(),
        None => path
            .rsplit_once('/')
            .map_or(".".to_owned(), |(d, _)| d.to_owned()),
    }
}

/// Where a settings document's workload is named: its first key (`"permissions"`), so
/// that locations pointing at the workload are one line, not the whole file.
fn head_span(root: &Node) -> Span {
    root.entries().first().map_or(root.span, |e| e.key.span)
}

/// A rule or path as written, with any credential in it masked: allow lists that grew
/// by clicking "always allow" hold whole commands, tokens included, and these texts go
/// into findings, inventories and suggested declarations.
fn shown(text: &str) -> String {
    if text.len() < 16 {
        return text.to_owned();
    }
    crate::model::catalog::redact_text(text)
}

fn setting(text: impl Into<String>, span: Span) -> Setting {
    Setting {
        text: text.into(),
        span,
    }
}

/// A mode of `harness` as written at `span`.
fn mode_setting(
    k: &HarnessKnowledge,
    harness: &str,
    name: &str,
    written: String,
    span: Span,
) -> Option<ModeSetting> {
    let def = k.mode(harness, name)?;
    Some(ModeSetting {
        name: def.name.clone(),
        level: def.level,
        bypass: def.bypass,
        severity: def.severity.unwrap_or(Severity::Low),
        means: def.means.clone(),
        written,
        span,
        also: None,
    })
}

/// Strings of a list node (or of a single string), with their spans.
fn strings(node: Option<&Node>) -> Vec<(&str, Span)> {
    let Some(node) = node else { return Vec::new() };
    if let Some(s) = node.as_str() {
        return vec![(s, node.span)];
    }
    node.items()
        .iter()
        .filter_map(|n| n.as_str().map(|s| (s, n.span)))
        .collect()
}

impl Extract<'_> {
    /// Harness settings and command lines of one parsed document.
    pub(super) fn harness(&self, kind: FileKind, doc: &Document, facts: &mut FileFacts) {
        let Some(k) = HarnessKnowledge::builtin() else {
            return;
        };
        let lower = self.path.to_ascii_lowercase();
        let name = lower.rsplit('/').next().unwrap_or(&lower);
        match kind {
            FileKind::ClaudeSettings => self.claude_settings(k, doc, facts),
            FileKind::McpConfig => {
                self.mcp_server_infos(k, doc, facts);
                if name == "claude_desktop_config.json" {
                    self.claude_desktop(k, doc, facts);
                }
                if lower.ends_with(".toml")
                    && (lower.starts_with(".codex/") || lower.contains("/.codex/"))
                {
                    self.codex_config(k, doc, facts);
                } else if name == "settings.json" {
                    self.gemini_settings(k, doc, facts);
                } else {
                    self.approval_lists(k, doc, facts);
                }
            }
            FileKind::AiderConfig => self.aider_config(k, doc, facts),
            FileKind::GithubWorkflow => self.workflow_harness(k, doc, facts),
            FileKind::Compose => self.compose_harness(k, doc, facts),
            FileKind::Kubernetes | FileKind::HelmTemplate => self.k8s_harness(k, doc, facts),
            FileKind::Dockerfile => self.dockerfile_harness(k, doc, facts),
            FileKind::Json if name == "package.json" => self.package_scripts(k, doc, facts),
            _ => {}
        }
    }

    /// Command lines of a script or Makefile, read as text.
    pub(super) fn script_harness(&self, text: &str, facts: &mut FileFacts) {
        let Some(k) = HarnessKnowledge::builtin() else {
            return;
        };
        let words: Vec<Word> = shell_words(text)
            .into_iter()
            .map(|w| Word {
                span: Span::new(w.start, w.end),
                text: w.text,
            })
            .collect();
        let path = self.path;
        self.started_alone(
            k,
            &words,
            facts,
            |h| format!("{h} run by {path}"),
            None,
            None,
            |span| format!("cmd:{path}:{}", span.start),
        );
    }

    /// The agents `words` start outside any other workload (a script, a Dockerfile, a
    /// package.json script): each gets a workload of its own, named by `name` from the
    /// harness's display name, pointed at `at` (default: the command) and spanning
    /// `extent` (default: the command), its settings recorded under `group`.
    #[allow(clippy::too_many_arguments)]
    fn started_alone(
        &self,
        k: &HarnessKnowledge,
        words: &[Word],
        facts: &mut FileFacts,
        name: impl Fn(&str) -> String,
        at: Option<Span>,
        extent: Option<Span>,
        group: impl Fn(Span) -> String,
    ) {
        for cmd in commands(words) {
            let Some(found) = command_settings(k, cmd) else {
                continue;
            };
            let h = k.harness_name(&found.harness).to_owned();
            let workload = name(&h);
            let span = cmd_span(cmd);
            let why = format!("it starts {h} (`{}`)", found.started_by);
            self.standalone(
                facts,
                &workload,
                &found.harness,
                at.unwrap_or(span),
                extent.unwrap_or(span),
                why,
            );
            facts
                .harness
                .agents
                .push(found.into_agent(&workload, self.path, span, group(span)));
        }
    }

    /// A workload of its own for an agent started outside any other workload (a
    /// settings folder, a script, a Dockerfile), once per name and file.
    fn standalone(
        &self,
        facts: &mut FileFacts,
        name: &str,
        harness: &str,
        span: Span,
        extent: Span,
        why: String,
    ) {
        if facts.workloads.iter().any(|w| w.name == name) {
            return;
        }
        let mut identities = Vec::new();
        self.credentials_in(extent, &mut identities);
        facts.workloads.push(Workload {
            name: name.to_owned(),
            key: WorkloadKey::Harness(name.to_owned()),
            kind: WorkloadKind::Harness,
            path: Arc::clone(self.path),
            span,
            extent,
            agent: None,
            signals: {
                let mut s = crate::model::agent::AgentSignals::default();
                s.strong(why);
                s
            },
            identities,
            harness: Some(harness.to_owned()),
        });
    }

    /// Tie an agent's command line to the workload it runs in (a compose service, a pod,
    /// a job): the workload now runs that harness and is an agent for it.
    fn attach(facts: &mut FileFacts, workload: &str, harness: &str, how: &str) {
        if let Some(w) = facts.workloads.iter_mut().find(|w| w.name == workload) {
            if w.harness.is_none() {
                w.harness = Some(harness.to_owned());
            }
            w.signals.strong(how);
        }
    }

    fn claude_settings(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let dir = agent_dir(self.path, ".claude/");
        let workload = format!("Claude Code agent in {dir}");
        let root = &doc.root;
        self.standalone(
            facts,
            &workload,
            "claude-code",
            head_span(root),
            root.span,
            "its Claude Code settings are here".to_owned(),
        );
        let mut a = HarnessAgent::new(
            "claude-code",
            &workload,
            self.path,
            root.span,
            format!("claude-code:{dir}"),
        );
        let perms = root.get("permissions");
        if let Some(m) = perms.and_then(|p| p.get("defaultMode"))
            && let Some(name) = m.as_str()
            && let Some(s) = mode_setting(
                k,
                "claude-code",
                name,
                format!("`defaultMode: {name}`"),
                m.span,
            )
        {
            a.modes.push(s);
        }
        for (key, kind) in [
            ("allow", RuleKind::Allow),
            ("ask", RuleKind::Ask),
            ("deny", RuleKind::Deny),
        ] {
            for (text, span) in strings(perms.and_then(|p| p.get(key))) {
                a.rules.push(ToolRule {
                    kind,
                    text: shown(text),
                    span,
                });
            }
        }
        for key in ["additionalDirectories"] {
            let node = perms.and_then(|p| p.get(key)).or_else(|| root.get(key));
            for (text, span) in strings(node) {
                a.dirs.push(DirGrant {
                    kind: DirKind::Additional,
                    path: shown(text),
                    span,
                });
            }
        }
        if let Some(n) = root
            .get("includeCoAuthoredBy")
            .filter(|n| n.as_bool() == Some(false))
        {
            a.attribution_off
                .push(setting("`includeCoAuthoredBy: false`", n.span));
        }
        if let Some(n) = root
            .get_path(&["attribution", "commit"])
            .filter(|n| n.as_str() == Some(""))
        {
            a.attribution_off
                .push(setting("`attribution.commit: \"\"`", n.span));
        }
        if let Some(env) = root.get("env") {
            for e in env.entries() {
                if let (Some(key), Some(value)) = (e.key_str(), e.value.as_str()) {
                    a.env
                        .push((setting(key, e.key.span), setting(value, e.value.span)));
                }
            }
        }
        for key in [
            "apiKeyHelper",
            "enableAllProjectMcpServers",
            "enabledMcpjsonServers",
            "skipDangerousModePermissionPrompt",
        ] {
            if let Some(n) = root.get(key) {
                let value = n.as_text().map_or_else(
                    || {
                        strings(Some(n))
                            .iter()
                            .map(|(s, _)| *s)
                            .collect::<Vec<_>>()
                            .join(", ")
                    },
                    str::to_owned,
                );
                a.notes.push(setting(format!("{key}: {value}"), n.span));
            }
        }
        // Servers and approval lists people put in settings files too.
        self.mcp_server_infos(k, doc, facts);
        facts.harness.agents.push(a);
    }

    fn claude_desktop(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let Some(prefs) = doc.root.get("preferences") else {
            return;
        };
        let workload = format!("Claude Desktop ({})", self.path);
        let mut a = HarnessAgent::new(
            "claude-desktop",
            &workload,
            self.path,
            prefs.span,
            format!("claude-desktop:{}", self.path),
        );
        if let Some(n) = prefs.get("dispatchCodeTasksPermissionMode")
            && let Some(name) = n.as_str()
        {
            let written = format!("`dispatchCodeTasksPermissionMode: {name}`");
            let s = mode_setting(k, "claude-desktop", name, written.clone(), n.span)
                .or_else(|| mode_setting(k, "claude-code", name, written, n.span));
            a.modes.extend(s);
        }
        for (key, mode) in [
            ("bypassPermissionsModeEnabled", "bypass-enabled"),
            ("allowAllBrowserActions", "all-browser-actions"),
        ] {
            if let Some(n) = prefs.get(key).filter(|n| n.as_bool() == Some(true)) {
                a.modes.extend(mode_setting(
                    k,
                    "claude-desktop",
                    mode,
                    format!("`{key}: true`"),
                    n.span,
                ));
            }
        }
        for (text, span) in strings(prefs.get("localAgentModeTrustedFolders")) {
            a.dirs.push(DirGrant {
                kind: DirKind::TrustedFolder,
                path: shown(text),
                span,
            });
        }
        if !a.is_empty() {
            let head = doc
                .root
                .entry("preferences")
                .map_or(prefs.span, |e| e.key.span);
            self.standalone(
                facts,
                &workload,
                "claude-desktop",
                head,
                doc.root.span,
                "its Claude Desktop preferences are here".to_owned(),
            );
            facts.harness.agents.push(a);
        }
    }

    fn codex_config(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let dir = agent_dir(self.path, ".codex/");
        let workload = format!("Codex agent in {dir}");
        let root = &doc.root;
        let group = format!("codex:{dir}");
        let mut any = false;
        let mut base = HarnessAgent::new("codex", &workload, self.path, root.span, group.clone());
        let top = CodexKeys::of(root);
        base.modes.extend(top.mode(k));
        for (text, span) in strings(root.get_path(&["sandbox_workspace_write", "writable_roots"])) {
            base.dirs.push(DirGrant {
                kind: DirKind::WritableRoot,
                path: shown(text),
                span,
            });
        }
        for e in root.get("projects").map(Node::entries).unwrap_or_default() {
            if let (Some(path), Some(level)) = (e.key_str(), e.value.get("trust_level"))
                && level.as_str() == Some("trusted")
            {
                base.dirs.push(DirGrant {
                    kind: DirKind::TrustedProject,
                    path: shown(path),
                    span: e.key.span,
                });
            }
        }
        for s in mcp_servers(doc) {
            let class = self.server_class(k, &s);
            if let Some(n) = s
                .node
                .get("default_tools_approval_mode")
                .filter(|n| n.as_str() == Some("approve"))
            {
                base.approvals.push(AutoApproval {
                    server: s.name.to_owned(),
                    tool: "*".to_owned(),
                    span: n.span,
                    via: ApprovalVia::Codex,
                    server_class: class.clone(),
                    only: strings(s.node.get("enabled_tools"))
                        .iter()
                        .map(|(t, _)| (*t).to_owned())
                        .collect(),
                });
            }
            for t in s.node.get("tools").map(Node::entries).unwrap_or_default() {
                if let (Some(tool), Some(n)) = (t.key_str(), t.value.get("approval_mode"))
                    && n.as_str() == Some("approve")
                {
                    base.approvals.push(AutoApproval {
                        server: s.name.to_owned(),
                        tool: tool.to_owned(),
                        span: n.span,
                        via: ApprovalVia::Codex,
                        server_class: class.clone(),
                        only: Vec::new(),
                    });
                }
            }
        }
        if !base.is_empty() {
            any = true;
            facts.harness.agents.push(base);
        }
        for p in root.get("profiles").map(Node::entries).unwrap_or_default() {
            let Some(name) = p.key_str() else { continue };
            let mut a = HarnessAgent::new("codex", &workload, self.path, p.key.span, group.clone());
            a.profile = Some(name.to_owned());
            let own = CodexKeys::of(&p.value);
            let keys = own.over(&top);
            // Only what the profile itself changes is the profile's.
            if own.any() {
                a.modes.extend(keys.mode(k));
            }
            if !a.is_empty() {
                any = true;
                facts.harness.agents.push(a);
            }
        }
        if any {
            self.standalone(
                facts,
                &workload,
                "codex",
                head_span(root),
                root.span,
                "its Codex settings are here".to_owned(),
            );
        }
    }

    fn gemini_settings(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let root = &doc.root;
        let dir = agent_dir(self.path, ".gemini/");
        let workload = format!("Gemini CLI agent in {dir}");
        let mut a = HarnessAgent::new(
            "gemini-cli",
            &workload,
            self.path,
            root.span,
            format!("gemini-cli:{dir}"),
        );
        let mode = root
            .get_path(&["general", "defaultApprovalMode"])
            .or_else(|| root.get("defaultApprovalMode"));
        if let Some(n) = mode
            && let Some(name) = n.as_str()
        {
            a.modes.extend(mode_setting(
                k,
                "gemini-cli",
                name,
                format!("`defaultApprovalMode: {name}`"),
                n.span,
            ));
        }
        // Gemini spells each list three ways (nested, dotted key, legacy name).
        let lists = [
            (
                RuleKind::Allow,
                [
                    root.get_path(&["tools", "allowed"]),
                    root.get("tools.allowed"),
                    root.get("allowedTools"),
                ],
            ),
            (
                RuleKind::Deny,
                [
                    root.get_path(&["tools", "exclude"]),
                    root.get("excludeTools"),
                    root.get("tools.exclude"),
                ],
            ),
        ];
        for (kind, nodes) in lists {
            for node in nodes.into_iter().flatten() {
                for (text, span) in strings(Some(node)) {
                    a.rules.push(ToolRule {
                        kind,
                        text: shown(text),
                        span,
                    });
                }
            }
        }
        let dirs = root
            .get_path(&["context", "includeDirectories"])
            .or_else(|| root.get("includeDirectories"));
        for (text, span) in strings(dirs) {
            a.dirs.push(DirGrant {
                kind: DirKind::Additional,
                path: shown(text),
                span,
            });
        }
        for s in mcp_servers(doc) {
            if let Some(n) = s.node.get("trust").filter(|n| n.as_bool() == Some(true)) {
                a.approvals.push(AutoApproval {
                    server: s.name.to_owned(),
                    tool: "*".to_owned(),
                    span: n.span,
                    via: ApprovalVia::Trust,
                    server_class: self.server_class(k, &s),
                    only: strings(s.node.get("includeTools"))
                        .iter()
                        .map(|(t, _)| (*t).to_owned())
                        .collect(),
                });
            }
        }
        if !a.is_empty() {
            self.standalone(
                facts,
                &workload,
                "gemini-cli",
                head_span(root),
                root.span,
                "its Gemini CLI settings are here".to_owned(),
            );
            facts.harness.agents.push(a);
        }
    }

    /// The class of a server entry, when it is a known one and not restricted.
    fn server_class(
        &self,
        k: &HarnessKnowledge,
        s: &crate::model::extract::McpServer<'_>,
    ) -> Option<(crate::model::harness::ToolClass, String)> {
        let launch = s.launch();
        let m = k.mcp_server(
            s.name,
            launch.command_text(),
            &launch.arg_texts(),
            &launch.env,
        )?;
        (!m.restricted).then(|| (m.def.class, m.def.what.clone()))
    }

    /// Every server this configuration defines, known ones with their class, so rules
    /// can tell what `mcp__<server>` in an allow list lets through.
    fn mcp_server_infos(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        for s in mcp_servers(doc) {
            let launch = s.launch();
            if let Some(m) = k.mcp_server(
                s.name,
                launch.command_text(),
                &launch.arg_texts(),
                &launch.env,
            ) {
                facts.harness.servers.push(ServerInfo {
                    name: s.name.to_owned(),
                    class: m.def.class,
                    what: m.def.what.clone(),
                    restricted: m.restricted,
                    path: Arc::clone(self.path),
                    span: s.name_span,
                });
            }
        }
    }

    /// `alwaysAllow` (Cline, Roo) and `autoApprove` (Cursor, Kiro, Amazon Q, Windsurf).
    fn approval_lists(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let client = client_name(self.path);
        let workload = format!("{client} ({})", self.path);
        let mut a = HarnessAgent::new(
            "mcp-client",
            &workload,
            self.path,
            doc.root.span,
            format!("mcp-client:{}", self.path),
        );
        for s in mcp_servers(doc) {
            if s.node.get("disabled").and_then(Node::as_bool) == Some(true) {
                continue;
            }
            let class = self.server_class(k, &s);
            for key in ["alwaysAllow", "autoApprove"] {
                for (tool, span) in strings(s.node.get(key)) {
                    a.approvals.push(AutoApproval {
                        server: s.name.to_owned(),
                        tool: tool.to_owned(),
                        span,
                        via: ApprovalVia::List,
                        server_class: class.clone(),
                        only: Vec::new(),
                    });
                }
            }
        }
        if !a.is_empty() {
            self.standalone(
                facts,
                &workload,
                "mcp-client",
                head_span(&doc.root),
                doc.root.span,
                format!("{client} auto-approves MCP tools here"),
            );
            facts.harness.agents.push(a);
        }
    }

    fn aider_config(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let dir = agent_dir(self.path, ".aider.conf");
        let workload = format!("aider agent in {dir}");
        let mut a = HarnessAgent::new(
            "aider",
            &workload,
            self.path,
            doc.root.span,
            format!("aider:{dir}"),
        );
        for key in ["yes-always", "yes"] {
            if let Some(n) = doc.root.get(key).filter(|n| n.as_bool() == Some(true)) {
                a.modes.extend(mode_setting(
                    k,
                    "aider",
                    "yes-always",
                    format!("`{key}: true`"),
                    n.span,
                ));
            }
        }
        if !a.is_empty() {
            self.standalone(
                facts,
                &workload,
                "aider",
                head_span(&doc.root),
                doc.root.span,
                "its aider settings are here".to_owned(),
            );
            facts.harness.agents.push(a);
        }
    }

    fn workflow_harness(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let Some(jobs) = doc.root.get("jobs") else {
            return;
        };
        for job in jobs.entries() {
            let id = job.key_str().unwrap_or("<job>");
            let workload = format!("workflow job {id}");
            let group = format!("job:{}:{id}", self.path);
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                if let Some(uses) = step.get("uses").and_then(Node::as_str)
                    && let Some(action) = k.action(uses)
                {
                    let mut found = Found::new(&action.harness);
                    let with = step.get("with");
                    for input in &action.args {
                        if let Some(n) = with.and_then(|w| w.get(input)) {
                            let words = self.node_words(n);
                            for cmd in commands(&words) {
                                found.flags(k, cmd);
                            }
                        }
                    }
                    for (inputs, kind) in [
                        (&action.allow, RuleKind::Allow),
                        (&action.deny, RuleKind::Deny),
                    ] {
                        for input in inputs {
                            if let Some(n) = with.and_then(|w| w.get(input))
                                && let Some(text) = n.as_str()
                            {
                                for rule in split_tool_list(text) {
                                    let span = self.span_in(n, &rule);
                                    found.rules.push(ToolRule {
                                        kind,
                                        text: shown(&rule),
                                        span,
                                    });
                                }
                            }
                        }
                    }
                    for pair in &action.inputs {
                        let Some((setting_name, input)) = pair.split_once('=') else {
                            continue;
                        };
                        if let Some(n) = with.and_then(|w| w.get(input))
                            && let Some(v) = n.as_str()
                        {
                            found.set(k, setting_name, v, format!("`{input}: {v}`"), n.span);
                        }
                    }
                    for ai in k
                        .action_input
                        .iter()
                        .filter(|ai| uses.to_ascii_lowercase().starts_with(&ai.uses))
                    {
                        if let Some(n) = with.and_then(|w| w.get(&ai.input))
                            && n.as_str() == Some(ai.value.as_str())
                        {
                            found.modes.push(ModeSetting {
                                name: format!("{}: {}", ai.input, ai.value),
                                level: 3,
                                bypass: Bypass::Always,
                                severity: ai.severity,
                                means: ai.means.clone(),
                                written: format!("`{}: {}`", ai.input, ai.value),
                                span: n.span,
                                also: None,
                            });
                        }
                    }
                    let span = step.get("uses").map_or(step.span, |u| u.span);
                    let h = k.harness_name(&action.harness).to_owned();
                    Self::attach(facts, &workload, &action.harness, &format!("it runs {h}"));
                    facts.harness.agents.push(found.into_agent(
                        &workload,
                        self.path,
                        span,
                        group.clone(),
                    ));
                }
                if let Some(run) = step.get("run") {
                    let words = self.node_words(run);
                    for cmd in commands(&words) {
                        if let Some(found) = command_settings(k, cmd) {
                            let h = k.harness_name(&found.harness).to_owned();
                            let how = format!("it starts {h} (`{}`)", found.started_by);
                            Self::attach(facts, &workload, &found.harness, &how);
                            facts.harness.agents.push(found.into_agent(
                                &workload,
                                self.path,
                                cmd_span(cmd),
                                group.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }

    fn compose_harness(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let Some(services) = doc.root.get("services") else {
            return;
        };
        for entry in services.entries() {
            let name = entry.key_str().unwrap_or("<unnamed>");
            let workload = format!("compose service {name}");
            let mut words = Vec::new();
            for key in ["entrypoint", "command"] {
                // `entrypoint` and `command` make one command line.
                if let Some(n) = entry.value.get(key) {
                    words.extend(self.node_words(n));
                }
            }
            self.commands_of(
                k,
                &words,
                &workload,
                &format!("compose:{}:{name}", self.path),
                facts,
            );
        }
    }

    fn k8s_harness(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        let Some(pod) = crate::model::extract::pod_spec(doc) else {
            return;
        };
        let workload = format!("{} {}/{}", pod.kind, pod.namespace, pod.name);
        for list in ["containers", "initContainers"] {
            for c in pod.spec.get(list).map(Node::items).unwrap_or_default() {
                let mut words = Vec::new();
                for key in ["command", "args"] {
                    if let Some(n) = c.get(key) {
                        words.extend(self.node_words(n));
                    }
                }
                let cname = c.get("name").and_then(Node::as_str).unwrap_or("");
                self.commands_of(
                    k,
                    &words,
                    &workload,
                    &format!("pod:{}:{workload}:{cname}", self.path),
                    facts,
                );
            }
        }
    }

    /// Harness command lines among `words`, tied to `workload` (which exists).
    fn commands_of(
        &self,
        k: &HarnessKnowledge,
        words: &[Word],
        workload: &str,
        group: &str,
        facts: &mut FileFacts,
    ) {
        for cmd in commands(words) {
            if let Some(found) = command_settings(k, cmd) {
                let h = k.harness_name(&found.harness).to_owned();
                let how = format!("it starts {h} (`{}`)", found.started_by);
                Self::attach(facts, workload, &found.harness, &how);
                facts.harness.agents.push(found.into_agent(
                    workload,
                    self.path,
                    cmd_span(cmd),
                    group.to_owned(),
                ));
            }
        }
    }

    fn dockerfile_harness(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        for e in doc.root.entries() {
            let Some(key) = e.key_str() else { continue };
            if !matches!(key, "CMD" | "ENTRYPOINT" | "RUN") {
                continue;
            }
            let words = self.node_words(&e.value);
            let path = self.path;
            self.started_alone(
                k,
                &words,
                facts,
                |h| format!("{h} run by {path}"),
                None,
                Some(e.key.span.join(e.value.span)),
                |_| format!("image:{path}"),
            );
        }
    }

    fn package_scripts(&self, k: &HarnessKnowledge, doc: &Document, facts: &mut FileFacts) {
        for e in doc
            .root
            .get("scripts")
            .map(Node::entries)
            .unwrap_or_default()
        {
            let Some(script) = e.key_str() else { continue };
            let words = self.node_words(&e.value);
            let path = self.path;
            self.started_alone(
                k,
                &words,
                facts,
                |h| format!("{h} run by {path} script `{script}`"),
                Some(e.key.span),
                Some(e.key.span.join(e.value.span)),
                |_| format!("script:{path}:{script}"),
            );
        }
    }

    /// The words of a command written as a string (shell-split) or a list (one word per
    /// item, as in exec form), with spans in the file.
    fn node_words(&self, node: &Node) -> Vec<Word> {
        if node.is_seq() {
            let items = node.items();
            // A one-item list holding a whole command line is still a command line.
            if let [only] = items
                && only.as_str().is_some_and(|s| s.contains(' '))
            {
                return self.node_words(only);
            }
            return items
                .iter()
                .filter_map(|n| {
                    n.as_str().map(|s| Word {
                        text: s.to_owned(),
                        span: n.span,
                    })
                })
                .collect();
        }
        let Some(text) = node.as_str() else {
            return Vec::new();
        };
        let raw_span = node.span;
        let raw = self
            .text
            .get(raw_span.start as usize..(raw_span.end as usize).min(self.text.len()))
            .unwrap_or("");
        // Dockerfile exec form: `["codex", "exec"]`.
        if text.trim_start().starts_with('[') {
            let items = json_array_words(raw, raw_span.start as usize);
            if !items.is_empty() {
                return items;
            }
        }
        let mut cursor = 0usize;
        shell_words(text)
            .into_iter()
            .map(|w| {
                // Look a bounded way ahead: a word written with escapes is not found
                // verbatim, and searching to the end for each would be quadratic.
                let window = raw.get(cursor..raw.len().min(cursor + 4096));
                let span = match window.and_then(|r| r.find(w.text.as_str())) {
                    Some(i) if !w.text.is_empty() && w.text != ";" => {
                        let start = raw_span.start as usize + cursor + i;
                        cursor += i + w.text.len();
                        Span::new(start, start + w.text.len())
                    }
                    _ => raw_span,
                };
                Word { text: w.text, span }
            })
            .collect()
    }

    /// The span of `needle` inside a node's source text, or the node's span.
    fn span_in(&self, node: &Node, needle: &str) -> Span {
        let start = node.span.start as usize;
        let raw = self
            .text
            .get(start..(node.span.end as usize).min(self.text.len()))
            .unwrap_or("");
        match raw.find(needle) {
            Some(i) if !needle.is_empty() => Span::new(start + i, start + i + needle.len()),
            _ => node.span,
        }
    }
}

/// The MCP client a configuration path belongs to.
fn client_name(path: &str) -> &'static str {
    let lower = path.to_ascii_lowercase();
    if lower.contains(".roo/") {
        "Roo Code"
    } else if lower.contains("cline_mcp_settings") {
        "Cline"
    } else if lower.contains(".kiro/") {
        "Kiro"
    } else if lower.contains(".cursor/") {
        "Cursor"
    } else if lower.contains("windsurf") || lower.ends_with("mcp_config.json") {
        "Windsurf"
    } else if lower.contains(".amazonq/") {
        "Amazon Q"
    } else if lower.contains(".vscode/") {
        "VS Code"
    } else if lower.ends_with("claude_desktop_config.json") {
        "Claude Desktop"
    } else {
        "MCP client"
    }
}

/// String literals of a JSON array written in `raw` (at `offset` in the file).
fn json_array_words(raw: &str, offset: usize) -> Vec<Word> {
    let mut out = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i;
            let mut text = String::new();
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // Multi-byte characters: copy the whole character.
                let ch_len = raw[i..].chars().next().map_or(1, char::len_utf8);
                text.push_str(&raw[i..i + ch_len]);
                i += ch_len;
            }
            out.push(Word {
                text,
                span: Span::new(offset + start, offset + (i + 1).min(b.len())),
            });
        }
        i += 1;
    }
    out
}

/// Split words into commands at separators.
fn commands(words: &[Word]) -> Vec<&[Word]> {
    words
        .split(Word::is_separator)
        .filter(|c| !c.is_empty())
        .collect()
}

fn cmd_span(cmd: &[Word]) -> Span {
    match (cmd.first(), cmd.last()) {
        (Some(a), Some(b)) if a.span.start <= b.span.end => {
            Span::new(a.span.start as usize, b.span.end as usize)
        }
        (Some(a), _) => a.span,
        _ => Span::new(0, 0),
    }
}

/// `Read,Edit,Bash(git commit:*)` or `"Read" "Bash(npm test)"`: rules split at commas
/// and blanks outside parentheses.
pub(crate) fn split_tool_list(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' | ' ' | '\n' | '\t' if depth == 0 => {
                let t = cur.trim().trim_matches(['"', '\'']);
                if !t.is_empty() {
                    out.push(t.to_owned());
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    let t = cur.trim().trim_matches(['"', '\'']);
    if !t.is_empty() {
        out.push(t.to_owned());
    }
    out
}

/// The Codex settings of one table (the top level or a profile), each with its span.
#[derive(Debug, Clone, Default)]
struct CodexKeys {
    approval: Option<(String, Span)>,
    sandbox: Option<(String, Span)>,
    permissions: Option<(String, Span)>,
    network: Option<Span>,
}

impl CodexKeys {
    fn of(table: &Node) -> CodexKeys {
        let get = |key: &str| {
            table
                .get(key)
                .and_then(|n| n.as_str().map(|s| (s.to_owned(), n.span)))
        };
        CodexKeys {
            approval: get("approval_policy"),
            sandbox: get("sandbox_mode"),
            permissions: get("default_permissions"),
            network: table
                .get_path(&["sandbox_workspace_write", "network_access"])
                .filter(|n| n.as_bool() == Some(true))
                .map(|n| n.span),
        }
    }

    fn any(&self) -> bool {
        self.approval.is_some()
            || self.sandbox.is_some()
            || self.permissions.is_some()
            || self.network.is_some()
    }

    /// These keys, falling back to `base` for the ones not set.
    fn over(&self, base: &CodexKeys) -> CodexKeys {
        CodexKeys {
            approval: self.approval.clone().or_else(|| base.approval.clone()),
            sandbox: self.sandbox.clone().or_else(|| base.sandbox.clone()),
            permissions: self
                .permissions
                .clone()
                .or_else(|| base.permissions.clone()),
            network: self.network.or(base.network),
        }
    }

    /// The mode these keys make, when any is set.
    fn mode(&self, k: &HarnessKnowledge) -> Option<ModeSetting> {
        if !self.any() {
            return None;
        }
        let profile_perms = self
            .permissions
            .as_ref()
            .and_then(|(p, _)| k.codex_profile(p));
        let approval = self
            .approval
            .as_ref()
            .map(|(a, _)| a.as_str())
            .or(profile_perms.map(|p| p.approval.as_str()));
        let sandbox = self
            .sandbox
            .as_ref()
            .map(|(s, _)| s.as_str())
            .or(profile_perms.map(|p| p.sandbox.as_str()));
        let row = k.codex_row(approval, sandbox, self.network.is_some())?;
        let a = approval.unwrap_or("on-request");
        let s = sandbox.unwrap_or("workspace-write");
        let mut written = Vec::new();
        if let Some((v, _)) = &self.approval {
            written.push(format!("`approval_policy = \"{v}\"`"));
        }
        if let Some((v, _)) = &self.sandbox {
            written.push(format!("`sandbox_mode = \"{v}\"`"));
        }
        if let Some((v, _)) = &self.permissions {
            written.push(format!("`default_permissions = \"{v}\"`"));
        }
        if self.network.is_some() {
            written.push("`network_access = true`".to_owned());
        }
        let written = written.join(" with ");
        // The finding points at the approval policy, the sandbox is the other place.
        let spans: Vec<Span> = [
            self.approval.as_ref().map(|(_, s)| *s),
            self.sandbox.as_ref().map(|(_, s)| *s),
            self.permissions.as_ref().map(|(_, s)| *s),
            self.network,
        ]
        .into_iter()
        .flatten()
        .collect();
        let span = *spans.first()?;
        let also = spans.get(1).map(|s| setting(written.clone(), *s));
        Some(ModeSetting {
            name: format!("{a}/{s}"),
            level: row.level,
            bypass: row.bypass,
            severity: row.severity.unwrap_or(Severity::Low),
            means: row.means.clone(),
            written,
            span,
            also,
        })
    }
}

/// The harness settings one command line makes.
struct Found {
    harness: String,
    /// The command word that starts it (`claude`, `npx @openai/codex`).
    started_by: String,
    modes: Vec<ModeSetting>,
    rules: Vec<ToolRule>,
    dirs: Vec<DirGrant>,
    codex: CodexFlags,
    /// Flags with a finding of their own (`--full-auto`).
    reports: Vec<ModeSetting>,
}

#[derive(Default)]
struct CodexFlags {
    approval: Option<(String, Span, String)>,
    sandbox: Option<(String, Span, String)>,
    network: Option<Span>,
}

impl Found {
    fn new(harness: &str) -> Found {
        Found {
            harness: harness.to_owned(),
            started_by: String::new(),
            modes: Vec::new(),
            rules: Vec::new(),
            dirs: Vec::new(),
            codex: CodexFlags::default(),
            reports: Vec::new(),
        }
    }

    /// Apply one harness setting (`mode`, `approval`, `sandbox`) written at `span`.
    fn set(&mut self, k: &HarnessKnowledge, key: &str, value: &str, written: String, span: Span) {
        match key {
            "mode" => {
                if let Some(m) = mode_setting(k, &self.harness, value, written, span) {
                    self.modes.push(m);
                }
            }
            "approval" => self.codex.approval = Some((value.to_owned(), span, written)),
            "sandbox" => self.codex.sandbox = Some((value.to_owned(), span, written)),
            _ => {}
        }
    }

    /// Apply the flags of `cmd` that belong to this harness.
    fn flags(&mut self, k: &HarnessKnowledge, cmd: &[Word]) {
        let mut i = 0;
        while i < cmd.len() {
            let w = &cmd[i];
            i += 1;
            if !w.text.starts_with('-') {
                continue;
            }
            let (name, inline) = match w.text.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
                _ => (w.text.as_str(), None),
            };
            let Some(def) = k.flag(&self.harness, name) else {
                continue;
            };
            let (value, vspan) = if def.value {
                match inline {
                    Some(v) => (Some(v), w.span),
                    None => match cmd.get(i) {
                        Some(next) if !next.is_separator() => {
                            i += 1;
                            (Some(next.text.clone()), w.span.join(next.span))
                        }
                        _ => (None, w.span),
                    },
                }
            } else {
                (None, w.span)
            };
            let as_written = match &value {
                Some(v) => format!("`{name} {v}`"),
                None => format!("`{name}`"),
            };
            for s in &def.sets {
                let (key, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
                let v = if v == "{value}" {
                    value.as_deref().unwrap_or("")
                } else {
                    v
                };
                match key {
                    "allow" | "deny" => {
                        let kind = if key == "allow" {
                            RuleKind::Allow
                        } else {
                            RuleKind::Deny
                        };
                        for rule in split_tool_list(value.as_deref().unwrap_or("")) {
                            self.rules.push(ToolRule {
                                kind,
                                text: shown(&rule),
                                span: vspan,
                            });
                        }
                    }
                    "add-dir" => {
                        if let Some(v) = &value {
                            self.dirs.push(DirGrant {
                                kind: DirKind::Additional,
                                path: shown(v),
                                span: vspan,
                            });
                        }
                    }
                    "config" => {
                        if let Some((ck, cv)) = value.as_deref().and_then(|v| v.split_once('=')) {
                            let cv = cv.trim().trim_matches(['"', '\'']);
                            match ck.trim() {
                                "approval_policy" => {
                                    self.codex.approval = Some((
                                        cv.to_owned(),
                                        vspan,
                                        format!("`-c approval_policy={cv}`"),
                                    ))
                                }
                                "sandbox_mode" => {
                                    self.codex.sandbox = Some((
                                        cv.to_owned(),
                                        vspan,
                                        format!("`-c sandbox_mode={cv}`"),
                                    ))
                                }
                                "sandbox_workspace_write.network_access" if cv == "true" => {
                                    self.codex.network = Some(vspan)
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => self.set(k, key, v, as_written.clone(), vspan),
                }
            }
            if let Some(sev) = def.report {
                self.reports.push(ModeSetting {
                    name: name.to_owned(),
                    level: 2,
                    bypass: Bypass::Always,
                    severity: sev,
                    means: def.means.clone().unwrap_or_default(),
                    written: as_written,
                    span: w.span,
                    also: None,
                });
            }
        }
    }

    /// The agent these settings make, owned by `workload`.
    fn into_agent(
        mut self,
        workload: &str,
        path: &Arc<str>,
        span: Span,
        group: String,
    ) -> HarnessAgent {
        if let Some(k) = HarnessKnowledge::builtin()
            && (self.codex.approval.is_some() || self.codex.sandbox.is_some())
        {
            let c = &self.codex;
            let approval = c.approval.as_ref().map(|(v, _, _)| v.as_str());
            let sandbox = c.sandbox.as_ref().map(|(v, _, _)| v.as_str());
            if let Some(row) = k.codex_row(approval, sandbox, c.network.is_some()) {
                let written: Vec<String> = [&c.approval, &c.sandbox]
                    .into_iter()
                    .flatten()
                    .map(|(_, _, w)| w.clone())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .fold(Vec::new(), |mut acc, w| {
                        if !acc.contains(&w) {
                            acc.push(w);
                        }
                        acc
                    });
                let spans: Vec<Span> = [&c.approval, &c.sandbox]
                    .into_iter()
                    .flatten()
                    .map(|(_, s, _)| *s)
                    .collect();
                let written = written.join(" with ");
                let fires = row.bypass != Bypass::Never;
                if let Some(first) = spans.first() {
                    self.modes.push(ModeSetting {
                        name: format!(
                            "{}/{}",
                            approval.unwrap_or("on-request"),
                            sandbox.unwrap_or("workspace-write")
                        ),
                        level: row.level,
                        bypass: row.bypass,
                        severity: row.severity.unwrap_or(Severity::Low),
                        means: row.means.clone(),
                        written: written.clone(),
                        span: *first,
                        also: spans
                            .get(1)
                            .filter(|s| *s != first)
                            .map(|s| setting(written.clone(), *s)),
                    });
                }
                // A flag with a report of its own adds nothing when the settings it
                // makes are reported anyway.
                if fires {
                    self.reports.clear();
                }
            }
        }
        self.modes.append(&mut self.reports);
        let mut a = HarnessAgent::new(&self.harness, workload, path, span, group);
        a.modes = self.modes;
        a.rules = self.rules;
        a.dirs = self.dirs;
        a
    }
}

/// The harness a command starts and the settings its flags make; a command that
/// starts no harness but carries a flag only one harness has counts for that harness.
fn command_settings(k: &HarnessKnowledge, cmd: &[Word]) -> Option<Found> {
    let first = cmd.first()?;
    if TEXT_COMMANDS.contains(&first.text.as_str()) {
        return None;
    }
    // Skip assignments, wrappers and their options to the command word.
    let mut i = 0;
    while i < cmd.len() {
        let t = cmd[i].text.as_str();
        let assignment = t.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        let duration = t.chars().next().is_some_and(|c| c.is_ascii_digit());
        if assignment || WRAPPERS.contains(&t) || (i > 0 && (t.starts_with('-') || duration)) {
            i += 1;
            continue;
        }
        break;
    }
    if let Some(word) = cmd.get(i)
        && let Some(h) = k.harness_of_word(&word.text)
    {
        let mut found = Found::new(&h.id);
        found.started_by = word.text.clone();
        found.flags(k, &cmd[i + 1..]);
        return Some(found);
    }
    // Flags specific to one harness, wherever they are (`FLAGS="--yolo-ish ..."`).
    let tokens: Vec<Word> = cmd
        .iter()
        .flat_map(|w| {
            w.text
                .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '"' | '\''))
                .filter(|t| !t.is_empty())
                .map(move |t| {
                    let t = t
                        .split_once('=')
                        .filter(|(n, _)| !n.starts_with('-'))
                        .map_or(t, |(_, v)| v);
                    Word {
                        text: t.to_owned(),
                        span: w.span,
                    }
                })
        })
        .collect();
    for (j, t) in tokens.iter().enumerate() {
        let name = t.text.split_once('=').map_or(t.text.as_str(), |(n, _)| n);
        if let Some(def) = k.unique_flags().find(|f| f.names.iter().any(|n| n == name)) {
            let mut found = Found::new(&def.harness);
            found.started_by = name.to_owned();
            found.flags(k, &tokens[j..]);
            if found.modes.is_empty()
                && found.rules.is_empty()
                && found.reports.is_empty()
                && found.codex.approval.is_none()
            {
                continue;
            }
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Word> {
        shell_words(text)
            .into_iter()
            .map(|w| Word {
                span: Span::new(w.start, w.end),
                text: w.text,
            })
            .collect()
    }

    /// The modes each command line of `text` makes, by name.
    fn modes_of(text: &str) -> Vec<String> {
        let k = HarnessKnowledge::builtin().unwrap();
        let ws = words(text);
        commands(&ws)
            .into_iter()
            .filter_map(|c| command_settings(k, c))
            .map(|f| f.into_agent("w", &Arc::from("p"), Span::new(0, 0), String::new()))
            .flat_map(|a| a.modes.into_iter().map(|m| m.name))
            .collect()
    }

    #[test]
    fn flag_examples() {
        let k = HarnessKnowledge::builtin().unwrap();
        for f in &k.flag {
            for line in &f.fires {
                let ws = words(line);
                let found: Vec<Found> = commands(&ws)
                    .into_iter()
                    .filter_map(|c| command_settings(k, c))
                    .collect();
                assert!(
                    found.iter().any(|x| !x.modes.is_empty()
                        || !x.rules.is_empty()
                        || !x.dirs.is_empty()
                        || !x.reports.is_empty()
                        || x.codex.approval.is_some()
                        || x.codex.sandbox.is_some()),
                    "{line}: no setting from {:?}",
                    f.names
                );
            }
            for line in &f.silent {
                let m = modes_of(line);
                assert!(
                    m.iter().all(|name| k
                        .mode
                        .iter()
                        .any(|d| d.name == *name && d.bypass == Bypass::Never)
                        || name.ends_with("/workspace-write")
                        || name.ends_with("/read-only")),
                    "{line}: {m:?}"
                );
            }
        }
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            modes_of("cd app && exec claude -p --dangerously-skip-permissions \"x\""),
            vec!["bypassPermissions"]
        );
        assert_eq!(
            modes_of("codex exec -a never -s danger-full-access task"),
            vec!["never/danger-full-access"]
        );
        assert_eq!(
            modes_of("timeout 1200 gemini --approval-mode yolo -p x"),
            vec!["yolo"]
        );
        assert_eq!(
            modes_of("npx -y @google/gemini-cli --yolo -p x"),
            vec!["yolo"]
        );
        assert!(modes_of("apt-get install -y git").is_empty());
        assert!(modes_of("echo 'never use --dangerously-skip-permissions'").is_empty());
        assert_eq!(
            modes_of("codex --full-auto task"),
            vec!["on-request/workspace-write", "--full-auto"]
        );
        assert_eq!(
            modes_of("codex --full-auto --sandbox danger-full-access task"),
            vec!["on-request/danger-full-access"]
        );
    }

    #[test]
    fn tool_lists() {
        assert_eq!(
            split_tool_list("Read,Edit, Bash(git commit:*) \"Bash(npm run test)\""),
            vec!["Read", "Edit", "Bash(git commit:*)", "Bash(npm run test)"]
        );
    }

    #[test]
    fn credentials_in_rules_are_masked() {
        let mut rng = crate::model::catalog::tests::FakeRng::new(12);
        let token = crate::model::catalog::tests::expand("ghp_{alnum:36}", &mut rng);
        let text =
            format!("Bash(curl -H \"Authorization: token {token}\" https://api.github.com/user)");
        let masked = shown(&text);
        assert!(!masked.contains(&token), "{masked}");
        assert_eq!(masked.len(), text.len());
        assert_eq!(shown("Bash(npm test:*)"), "Bash(npm test:*)");
    }

    #[test]
    fn exec_form_words() {
        let raw = r#"["codex", "exec", "--dangerously-bypass-approvals-and-sandbox"]"#;
        let w = json_array_words(raw, 10);
        assert_eq!(w.len(), 3);
        assert_eq!(w[2].text, "--dangerously-bypass-approvals-and-sandbox");
        assert_eq!(
            &raw[(w[1].span.start as usize - 10)..(w[1].span.end as usize - 10)],
            "\"exec\""
        );
    }
}
