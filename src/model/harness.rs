//! Agents' own permissions: what each agent harness (Claude Code, Codex, Gemini CLI,
//! aider, OpenHands, MCP clients, ...) lets its agent do without asking.
//!
//! Two halves: the knowledge (`rules/harness.toml`: modes on one scale, Codex approval
//! and sandbox rows, command-line flags, action inputs, tool names, commands that run
//! arbitrary code, MCP tool and server classes, sensitive paths), compiled once and
//! asked questions; and the typed settings of each agent ([`HarnessAgent`]) that
//! [`crate::model::extract`] reads from settings files and command lines, with a span
//! for every setting. Rules read the typed settings, never the files.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::model::rating::Severity;
use crate::syntax::source::Span;

const BUILTIN: &str = include_str!("../../rules/harness.toml");

// --- Knowledge ---------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessKnowledge {
    pub version: u32,
    pub harness: Vec<HarnessDef>,
    pub mode: Vec<ModeDef>,
    pub codex: Vec<CodexRow>,
    pub codex_profile: Vec<CodexProfile>,
    pub flag: Vec<FlagDef>,
    pub action: Vec<ActionDef>,
    pub action_input: Vec<ActionInput>,
    pub claude_tool: Vec<ToolDef>,
    pub gemini_tool: Vec<ToolDef>,
    pub launcher: Vec<Launcher>,
    pub pipe_to_shell: PipeToShell,
    pub mcp_tool: McpToolWords,
    pub mcp_server: Vec<McpServerDef>,
    pub paths: Paths,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessDef {
    pub id: String,
    pub name: String,
    pub binaries: Vec<String>,
    pub packages: Vec<String>,
}

/// When `agent-approval-bypassed` reports a mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bypass {
    Always,
    WithBroadAllow,
    Never,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeDef {
    pub harness: String,
    pub name: String,
    pub level: u8,
    pub bypass: Bypass,
    pub severity: Option<Severity>,
    pub means: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodexRow {
    pub approval: String,
    pub sandbox: String,
    #[serde(default)]
    pub network: bool,
    pub level: u8,
    pub bypass: Bypass,
    pub severity: Option<Severity>,
    pub means: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodexProfile {
    pub name: String,
    pub approval: String,
    pub sandbox: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagDef {
    pub harness: String,
    pub names: Vec<String>,
    #[serde(default)]
    pub value: bool,
    pub sets: Vec<String>,
    pub needs_agent: bool,
    pub report: Option<Severity>,
    pub means: Option<String>,
    #[serde(default)]
    pub fires: Vec<String>,
    #[serde(default)]
    pub silent: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDef {
    pub uses: String,
    pub harness: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    /// `setting=input`: an input that sets one harness setting (`sandbox=sandbox`).
    #[serde(default)]
    pub inputs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub uses: String,
    pub input: String,
    pub value: String,
    pub severity: Severity,
    pub means: String,
}

/// What a tool does, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolKind {
    Shell,
    Edit,
    Read,
    Network,
    Agent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolDef {
    pub name: String,
    pub kind: ToolKind,
    /// What an allow of the tool without a pattern lets through.
    pub any: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Launcher {
    pub command: Vec<String>,
    pub what: String,
    pub severity: Severity,
    #[serde(default)]
    pub fires: Vec<String>,
    #[serde(default)]
    pub silent: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipeToShell {
    pub what: String,
    pub severity: Severity,
    pub fetchers: Vec<String>,
    pub shells: Vec<String>,
    #[serde(default)]
    pub fires: Vec<String>,
    #[serde(default)]
    pub silent: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpToolWords {
    pub read: Vec<String>,
    pub shell: Vec<String>,
    pub read_only_objects: Vec<String>,
    pub database: Vec<String>,
    pub cloud: Vec<String>,
    pub cloud_verbs: Vec<String>,
    pub kubernetes: Vec<String>,
    pub kubernetes_verbs: Vec<String>,
    pub write: Vec<String>,
    #[serde(default)]
    pub example: Vec<ToolExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolExample {
    pub name: String,
    pub class: ToolClass,
}

/// What calling an MCP tool (or any tool of a server) amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolClass {
    Read,
    Write,
    Database,
    Kubernetes,
    Cloud,
    Shell,
}

impl ToolClass {
    /// Whether auto-approving it amounts to "run anything" (as opposed to writes).
    pub fn runs_anything(self) -> bool {
        matches!(
            self,
            ToolClass::Shell | ToolClass::Cloud | ToolClass::Kubernetes | ToolClass::Database
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            ToolClass::Read => "reads",
            ToolClass::Write => "writes",
            ToolClass::Database => "runs SQL",
            ToolClass::Kubernetes => "changes the cluster",
            ToolClass::Cloud => "calls the cloud provider's API",
            ToolClass::Shell => "runs commands or code",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerDef {
    pub id: String,
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub interpreters: Vec<String>,
    pub class: ToolClass,
    pub what: String,
    pub restricted_by: Vec<String>,
    /// Arguments without which the server does not write (`--allow-write`).
    #[serde(default)]
    pub needs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub root: Vec<String>,
    pub credential: Vec<NamedPath>,
    pub secret_files: Vec<SecretGlob>,
    pub not_secret: Vec<String>,
    #[serde(default)]
    pub fires: Vec<String>,
    #[serde(default)]
    pub silent: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedPath {
    pub path: String,
    pub what: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretGlob {
    pub glob: String,
    pub what: String,
}

/// What a shell allow rule lets through, when it amounts to "run anything".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellReach {
    pub what: String,
    pub severity: Severity,
}

/// A known MCP server a configuration starts, and whether it is restricted.
#[derive(Debug, Clone, Copy)]
pub struct ServerMatch<'a> {
    pub def: &'a McpServerDef,
    /// An argument or environment variable keeps it from doing what `def.what` says.
    pub restricted: bool,
}

/// How a path rule reads paths: Claude Code rule syntax (`//abs`, `/project`), or
/// plain paths (`/abs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    ClaudeRule,
    Plain,
}

/// What a path reaches that an agent should not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathReach {
    /// `the whole filesystem`, `the home directory`, `SSH keys`, ...
    pub what: String,
    /// The path as lanyard read it (`~/.ssh`, `/Users/jane`).
    pub path: String,
}

impl HarnessKnowledge {
    /// The knowledge shipped in the binary. A test proves it parses, so `None` only
    /// happens if the embedded file was broken at build time.
    pub fn builtin() -> Option<&'static HarnessKnowledge> {
        static K: OnceLock<Option<HarnessKnowledge>> = OnceLock::new();
        K.get_or_init(|| toml::from_str(BUILTIN).ok()).as_ref()
    }

    pub fn harness(&self, id: &str) -> Option<&HarnessDef> {
        self.harness.iter().find(|h| h.id == id)
    }

    /// Display name of a harness id.
    pub fn harness_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.harness(id).map_or(id, |h| h.name.as_str())
    }

    /// The harness a command word starts: its binary (`/usr/local/bin/claude`,
    /// `codex.exe`) or its package (`@anthropic-ai/claude-code@latest`).
    pub fn harness_of_word(&self, word: &str) -> Option<&HarnessDef> {
        let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
        let base = base
            .strip_suffix(".exe")
            .or_else(|| base.strip_suffix(".cmd"))
            .unwrap_or(base);
        let lower = word.to_ascii_lowercase();
        self.harness.iter().find(|h| {
            h.binaries.iter().any(|b| b == base)
                || h.packages.iter().any(|p| {
                    let p = p.to_ascii_lowercase();
                    lower == p
                        || lower
                            .strip_prefix(&p)
                            .is_some_and(|rest| rest.starts_with('@') || rest.starts_with("=="))
                })
        })
    }

    /// A mode of `harness` by name (case-insensitive).
    pub fn mode(&self, harness: &str, name: &str) -> Option<&ModeDef> {
        self.mode
            .iter()
            .find(|m| m.harness == harness && m.name.eq_ignore_ascii_case(name))
    }

    /// The Codex row for an approval policy and sandbox mode (`None` for unset: Codex's
    /// defaults), and whether the workspace sandbox has network access.
    pub fn codex_row(
        &self,
        approval: Option<&str>,
        sandbox: Option<&str>,
        network: bool,
    ) -> Option<&CodexRow> {
        let approval = approval.unwrap_or("on-request");
        let sandbox = sandbox.unwrap_or("workspace-write");
        self.codex.iter().find(|r| {
            (r.approval == "*" || r.approval.eq_ignore_ascii_case(approval))
                && (r.sandbox == "*" || r.sandbox.eq_ignore_ascii_case(sandbox))
                && (!r.network || network)
        })
    }

    pub fn codex_profile(&self, name: &str) -> Option<&CodexProfile> {
        self.codex_profile.iter().find(|p| p.name == name)
    }

    /// The flag definitions of `harness` named `name` (`--permission-mode`).
    pub fn flag(&self, harness: &str, name: &str) -> Option<&FlagDef> {
        self.flag
            .iter()
            .find(|f| f.harness == harness && f.names.iter().any(|n| n == name))
    }

    /// Flags specific enough to mean their harness on any command line.
    pub fn unique_flags(&self) -> impl Iterator<Item = &FlagDef> {
        self.flag.iter().filter(|f| !f.needs_agent)
    }

    /// The action definition for a `uses:` reference (`owner/repo@ref`).
    pub fn action(&self, uses: &str) -> Option<&ActionDef> {
        let lower = uses.to_ascii_lowercase();
        let name = lower.split('@').next().unwrap_or(&lower);
        self.action.iter().find(|a| name == a.uses)
    }

    pub fn tool(&self, harness: &str, name: &str) -> Option<&ToolDef> {
        let list = if harness == "gemini-cli" {
            &self.gemini_tool
        } else {
            &self.claude_tool
        };
        list.iter().find(|t| t.name == name)
    }

    /// What a shell allow rule's pattern lets through when it amounts to "run anything";
    /// `None` for a narrow rule. `spec` is the text inside `Bash(...)` (`None` for a
    /// bare `Bash`); `prefix_semantics` is true for harnesses whose rules match by
    /// command prefix without a wildcard (Gemini's `run_shell_command(git)`).
    pub fn shell_reach(&self, spec: Option<&str>, prefix_semantics: bool) -> Option<ShellReach> {
        let any = || ShellReach {
            what: "any command".to_owned(),
            severity: Severity::High,
        };
        let Some(spec) = spec.map(str::trim) else {
            return Some(any());
        };
        if spec.is_empty() || spec.trim_matches('*').trim().is_empty() {
            return Some(any());
        }
        if let Some(r) = self.pipe_reach(spec) {
            return Some(r);
        }
        // The fixed part before the first wildcard, and whether the rule ends there.
        let (fixed, open, word_boundary) = if let Some(p) = spec.strip_suffix(":*") {
            (p, true, true)
        } else if let Some(i) = spec.find('*') {
            let p = &spec[..i];
            (p, true, p.ends_with(' '))
        } else {
            (spec, prefix_semantics, true)
        };
        if !open {
            return None;
        }
        if fixed.trim().is_empty() {
            return Some(any());
        }
        let words: Vec<&str> = fixed.split_whitespace().collect();
        let partial_last = !word_boundary;
        self.launcher
            .iter()
            .find(|l| covers_launcher(&words, partial_last, &l.command))
            .map(|l| ShellReach {
                what: l.what.clone(),
                severity: l.severity,
            })
    }

    /// `curl ... | sh`: a download piped into a shell.
    fn pipe_reach(&self, spec: &str) -> Option<ShellReach> {
        let p = &self.pipe_to_shell;
        let (before, after) = spec.rsplit_once('|')?;
        let shell = after.split_whitespace().next()?;
        let shell = shell.rsplit('/').next().unwrap_or(shell);
        let shell_ok = shell == "*" || p.shells.iter().any(|s| s.eq_ignore_ascii_case(shell));
        let fetch_ok = before
            .split(|c: char| c.is_whitespace() || c == '|' || c == ';' || c == '&')
            .any(|w| {
                let w = w.rsplit('/').next().unwrap_or(w);
                p.fetchers.iter().any(|f| f.eq_ignore_ascii_case(w))
            });
        (shell_ok && fetch_ok).then(|| ShellReach {
            what: p.what.clone(),
            severity: p.severity,
        })
    }

    /// Class an MCP tool by its name (`execute_command`, `runQuery`, `Powershell-Tool`).
    pub fn tool_class(&self, name: &str) -> Option<ToolClass> {
        let w = &self.mcp_tool;
        let tokens = name_words(name);
        let has = |list: &[String], t: &str| list.iter().any(|x| x == t);
        if tokens.iter().any(|t| has(&w.read_only_objects, t)) {
            return Some(ToolClass::Read);
        }
        let verb = tokens.iter().find(|t| {
            has(&w.read, t)
                || has(&w.write, t)
                || has(&w.shell, t)
                || has(&w.cloud_verbs, t)
                || has(&w.kubernetes_verbs, t)
        });
        let verb = verb.map(String::as_str);
        if verb.is_some_and(|v| has(&w.read, v)) {
            return Some(ToolClass::Read);
        }
        let any = |list: &[String]| tokens.iter().any(|t| has(list, t));
        let shell_verb = verb.is_some_and(|v| has(&w.shell, v));
        if any(&w.kubernetes) && verb.is_some_and(|v| has(&w.kubernetes_verbs, v) || shell_verb) {
            return Some(ToolClass::Kubernetes);
        }
        if any(&w.cloud) && verb.is_none_or(|v| has(&w.cloud_verbs, v) || shell_verb) {
            return Some(ToolClass::Cloud);
        }
        if shell_verb {
            if verb.is_some_and(|v| matches!(v, "exec" | "execute" | "run")) && any(&w.database) {
                return Some(ToolClass::Database);
            }
            return Some(ToolClass::Shell);
        }
        if verb.is_some_and(|v| has(&w.write, v)) {
            return Some(ToolClass::Write);
        }
        None
    }

    /// The known server an MCP server entry starts, from its command, arguments, name
    /// and environment.
    pub fn mcp_server<'a>(
        &'a self,
        name: &str,
        command: Option<&str>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Option<ServerMatch<'a>> {
        let words: Vec<String> = command
            .into_iter()
            .chain(args.iter().copied())
            .map(str::to_ascii_lowercase)
            .collect();
        let base = command
            .map(|c| {
                let b = c.rsplit(['/', '\\']).next().unwrap_or(c);
                b.strip_suffix(".exe").unwrap_or(b).to_ascii_lowercase()
            })
            .unwrap_or_default();
        let lname = name.to_ascii_lowercase();
        let by_package = self.mcp_server.iter().find(|d| {
            d.matches
                .iter()
                .any(|m| words.iter().any(|w| w.contains(&m.to_ascii_lowercase())))
        });
        let by_name = || {
            self.mcp_server.iter().find(|d| {
                d.names.contains(&lname)
                    && (d.interpreters.is_empty() || d.interpreters.contains(&base))
            })
        };
        let def = by_package.or_else(by_name)?;
        let arg_has = |flag: &str| {
            args.iter()
                .any(|a| *a == flag || a.strip_prefix(flag).is_some_and(|r| r.starts_with('=')))
        };
        let restricted_by_one = |r: &String| {
            if r.starts_with('-') {
                return arg_has(r);
            }
            match r.split_once('=') {
                Some((k, v)) => env
                    .iter()
                    .any(|(ek, ev)| ek.eq_ignore_ascii_case(k) && ev.eq_ignore_ascii_case(v)),
                None => env
                    .iter()
                    .any(|(ek, _)| ek.to_ascii_uppercase().contains(&r.to_ascii_uppercase())),
            }
        };
        let restricted = def.restricted_by.iter().any(restricted_by_one)
            || (!def.needs.is_empty() && !def.needs.iter().any(|n| arg_has(n)));
        Some(ServerMatch { def, restricted })
    }

    /// What `path` reaches that an agent should not: the whole filesystem, a home
    /// directory, a credential folder, a secret file. `None` for anything else.
    pub fn path_reach(&self, raw: &str, style: PathStyle) -> Option<PathReach> {
        let raw = raw.trim();
        // Claude Code rules: `//abs` is absolute, `/x` is relative to the project.
        let path: String = match style {
            PathStyle::ClaudeRule => {
                if let Some(abs) = raw.strip_prefix("//") {
                    format!("/{abs}")
                } else if let Some(rel) = raw.strip_prefix('/') {
                    format!("./{rel}")
                } else {
                    raw.to_owned()
                }
            }
            PathStyle::Plain => raw.to_owned(),
        };
        let norm = path.replace('\\', "/");
        // A rule over everything below a directory reaches the directory.
        let mut base = norm.as_str();
        loop {
            let trimmed = base
                .strip_suffix("/**")
                .or_else(|| base.strip_suffix("/*"))
                .or_else(|| base.strip_suffix('/').filter(|b| !b.is_empty()));
            match trimmed {
                Some(t) => base = t,
                None => break,
            }
        }
        let is_root =
            base.is_empty()
                || base == "/"
                || base == "**"
                || self.paths.root.iter().any(|r| {
                    r.replace('\\', "/").trim_end_matches('/') == base.trim_end_matches('/')
                });
        if is_root && (norm.starts_with('/') || norm.contains(':')) {
            return Some(PathReach {
                what: "the whole filesystem".to_owned(),
                path: raw.to_owned(),
            });
        }
        if let Some(loc) = crate::model::people::credential_location(base)
            && loc.in_home
        {
            let what = if loc.whole_home {
                "the home directory and every credential in it".to_owned()
            } else {
                format!("{} (`{}`)", loc.what, loc.home_path)
            };
            return Some(PathReach {
                what,
                path: base.to_owned(),
            });
        }
        if let Some(rel) = below_home_extra(base) {
            for c in &self.paths.credential {
                if rel == c.path
                    || rel
                        .strip_prefix(&c.path)
                        .is_some_and(|r| r.starts_with('/'))
                {
                    return Some(PathReach {
                        what: format!("{} (`~/{}`)", c.what, c.path),
                        path: base.to_owned(),
                    });
                }
            }
        }
        // A secret file named by the rule itself.
        let name = norm.rsplit('/').next().unwrap_or(&norm);
        if name.is_empty() || name == "*" || name == "**" {
            return None;
        }
        if self.paths.not_secret.iter().any(|n| n == name) {
            return None;
        }
        self.paths
            .secret_files
            .iter()
            .find(|s| {
                crate::model::iam::action_matches(&s.glob, name)
                    || (name.contains('*') && crate::model::iam::action_covers(name, &s.glob))
            })
            .map(|s| PathReach {
                what: format!("`{name}` ({})", s.what),
                path: norm.clone(),
            })
    }

    /// The level a declared `mode` stands for: a mode name of any harness, a Codex
    /// `approval/sandbox` pair, or a level name (`plan`, `ask`, `edits`,
    /// `unattended`, `bypass`). `None` when it names nothing lanyard knows.
    pub fn declared_level(&self, mode: &str) -> Option<u8> {
        match mode {
            "plan" | "read-only" => return Some(0),
            "ask" => return Some(1),
            "edits" => return Some(2),
            "unattended" => return Some(3),
            "bypass" => return Some(4),
            _ => {}
        }
        if let Some((a, s)) = mode.split_once('/') {
            return self.codex_row(Some(a), Some(s), false).map(|r| r.level);
        }
        self.mode
            .iter()
            .filter(|m| m.name.eq_ignore_ascii_case(mode))
            .map(|m| m.level)
            .max()
    }
}

/// `words` (the fixed part of a rule, the last word possibly partial) covers every
/// command that starts with `launcher`.
fn covers_launcher(words: &[&str], partial_last: bool, launcher: &[String]) -> bool {
    if words.is_empty() {
        return false;
    }
    if words.len() > launcher.len() {
        // `python -c 'import os; *`: past an inline-code flag, the fixed words are the
        // start of the code, and whatever follows the wildcard can still be any code.
        let code_flag = launcher.last().is_some_and(|l| l.starts_with('-'));
        return code_flag && covers_launcher(&words[..launcher.len()], false, launcher);
    }
    words.iter().enumerate().all(|(i, w)| {
        let l = launcher[i].as_str();
        let w = if i == 0 {
            w.rsplit('/').next().unwrap_or(w)
        } else {
            w
        };
        if i + 1 == words.len() && partial_last {
            l.starts_with(w)
        } else {
            w == l || (i == 0 && versioned(w, l))
        }
    })
}

/// `python3.12` for `python3`, `node20` for `node`.
fn versioned(word: &str, base: &str) -> bool {
    word.strip_prefix(base).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// The part of `path` below a home directory, for the extra credential folders.
fn below_home_extra(path: &str) -> Option<&str> {
    for home in ["~/", "$HOME/", "${HOME}/", "%USERPROFILE%/", "/root/"] {
        if let Some(rest) = path.strip_prefix(home) {
            return Some(rest);
        }
    }
    let lower = path.to_ascii_lowercase();
    for prefix in ["/home/", "/users/", "c:/users/"] {
        if lower.starts_with(prefix) {
            let after = &path[prefix.len()..];
            let i = after.find('/')?;
            return Some(&after[i + 1..]);
        }
    }
    None
}

/// The words of a tool name: split on separators and lower-to-upper case changes,
/// lower-cased (`searchJiraIssues` → `search`, `jira`, `issues`).
pub fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `Tool(spec)` → (`Tool`, `Some(spec)`); `Tool` → (`Tool`, `None`).
pub fn split_rule(rule: &str) -> (&str, Option<&str>) {
    let rule = rule.trim();
    match rule.find('(') {
        Some(i) if rule.ends_with(')') => (rule[..i].trim(), Some(&rule[i + 1..rule.len() - 1])),
        _ => (rule, None),
    }
}

/// An MCP rule `mcp__server__tool` → (`server`, `Some(tool)`); `mcp__server` →
/// (`server`, `None`); `mcp__*` → (`*`, `None`).
pub fn split_mcp_rule(rule: &str) -> Option<(&str, Option<&str>)> {
    let rest = rule.strip_prefix("mcp__")?;
    Some(match rest.split_once("__") {
        Some((server, tool)) => (server, Some(tool)),
        None => (rest, None),
    })
}

/// Whether rule `general` covers rule `specific` (same tool; a bare tool or `Tool(*)`
/// covers every pattern of it; patterns compared as globs, `:*` read as `*`).
pub fn rule_covers(general: &str, specific: &str) -> bool {
    if general.trim() == specific.trim() {
        return true;
    }
    let (gt, gs) = split_rule(general);
    let (st, ss) = split_rule(specific);
    if let (Some(_), Some(_)) = (split_mcp_rule(gt), split_mcp_rule(st)) {
        let g = if gt.matches("__").count() == 1 {
            format!("{gt}__*")
        } else {
            gt.to_owned()
        };
        return crate::model::iam::action_covers(&g, st);
    }
    if !gt.eq_ignore_ascii_case(st) {
        return false;
    }
    let norm = |s: &str| {
        let s = s.trim();
        match s.strip_suffix(":*") {
            Some(p) => format!("{p}*"),
            None => s.to_owned(),
        }
    };
    match (gs, ss) {
        (None, _) => true,
        (Some(g), _) if g.trim().is_empty() || g.trim() == "*" => true,
        (Some(_), None) => false,
        (Some(g), Some(s)) => {
            let (g, s) = (norm(g), norm(s));
            g == s || crate::model::iam::action_covers(&g, &s)
        }
    }
}

// --- Typed settings of an agent ----------------------------------------------------

/// A harness setting as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub text: String,
    pub span: Span,
}

/// The mode an agent runs in, from a settings key or a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeSetting {
    /// The harness's own name for it (`bypassPermissions`, `never/danger-full-access`).
    pub name: String,
    pub level: u8,
    pub bypass: Bypass,
    pub severity: Severity,
    pub means: String,
    /// How it is written (`defaultMode: bypassPermissions`, `--yolo`).
    pub written: String,
    pub span: Span,
    /// Another place that makes the mode (the sandbox of a Codex approval policy).
    pub also: Option<Setting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Allow,
    Ask,
    Deny,
}

/// One permission rule in the harness's own syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRule {
    pub kind: RuleKind,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    /// Claude Code `additionalDirectories`, `--add-dir`, Gemini `includeDirectories`.
    Additional,
    /// Codex `writable_roots`.
    WritableRoot,
    /// Codex `[projects."<path>"] trust_level = "trusted"`.
    TrustedProject,
    /// Claude Desktop `localAgentModeTrustedFolders`.
    TrustedFolder,
}

impl DirKind {
    pub fn describe(self) -> &'static str {
        match self {
            DirKind::Additional => "an additional working directory",
            DirKind::WritableRoot => "a writable root of the sandbox",
            DirKind::TrustedProject => "a trusted project",
            DirKind::TrustedFolder => "a trusted folder of the local agent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    pub kind: DirKind,
    pub path: String,
    pub span: Span,
}

/// How a tool of an MCP server runs without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalVia {
    /// Cline/Roo `alwaysAllow`, `autoApprove` of Cursor, Kiro and others.
    List,
    /// Codex `approval_mode = "approve"` / `default_tools_approval_mode`.
    Codex,
    /// Gemini CLI `trust: true`.
    Trust,
}

/// A tool (or `*`, every tool) of an MCP server the client runs without asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoApproval {
    pub server: String,
    pub tool: String,
    pub span: Span,
    pub via: ApprovalVia,
    /// What the server is, when it is a known one: its class and what it does.
    pub server_class: Option<(ToolClass, String)>,
    /// `includeTools` of a trusted Gemini server: only these are offered.
    pub only: Vec<String>,
}

/// An MCP server defined in a client configuration, for rules that meet it by name
/// (`mcp__desktop-commander` in a Claude Code allow list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub class: ToolClass,
    pub what: String,
    pub restricted: bool,
    pub path: Arc<str>,
    pub span: Span,
}

/// The harness settings of one agent, from one file (a settings file, or the command
/// line that starts the agent). Settings files of one folder are one agent: their
/// `group` is the same, and rules evaluate their rules together (a deny in one covers
/// an allow in another).
#[derive(Debug, Clone)]
pub struct HarnessAgent {
    /// Harness id (`claude-code`, `codex`, ...).
    pub harness: String,
    /// The workload holding these settings (its name as `lanyard inventory` prints it).
    pub workload: String,
    pub path: Arc<str>,
    /// Where the settings start (the settings document, the command).
    pub span: Span,
    pub group: String,
    /// Codex profile the settings belong to.
    pub profile: Option<String>,
    pub modes: Vec<ModeSetting>,
    pub rules: Vec<ToolRule>,
    pub dirs: Vec<DirGrant>,
    pub approvals: Vec<AutoApproval>,
    /// Settings that remove the agent's name from its commits.
    pub attribution_off: Vec<Setting>,
    /// Environment the harness gives every tool call (`env` of Claude Code settings).
    pub env: Vec<(Setting, Setting)>,
    /// Other settings worth showing (`apiKeyHelper`, `enableAllProjectMcpServers`).
    pub notes: Vec<Setting>,
}

impl HarnessAgent {
    pub fn new(harness: &str, workload: &str, path: &Arc<str>, span: Span, group: String) -> Self {
        Self {
            harness: harness.to_owned(),
            workload: workload.to_owned(),
            path: Arc::clone(path),
            span,
            group,
            profile: None,
            modes: Vec::new(),
            rules: Vec::new(),
            dirs: Vec::new(),
            approvals: Vec::new(),
            attribution_off: Vec::new(),
            env: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.modes.is_empty()
            && self.rules.is_empty()
            && self.dirs.is_empty()
            && self.approvals.is_empty()
            && self.attribution_off.is_empty()
            && self.env.is_empty()
            && self.notes.is_empty()
    }

    /// The most permissive mode written.
    pub fn broadest_mode(&self) -> Option<&ModeSetting> {
        self.modes.iter().max_by_key(|m| m.level)
    }
}

/// How many allow and deny rules of one settings folder are compared with each other:
/// a hostile file with tens of thousands of each would otherwise cost their product.
const MAX_RULES: usize = 2000;

/// Harness settings of a file, or of the project.
#[derive(Debug, Default, Clone)]
pub struct HarnessFacts {
    pub agents: Vec<HarnessAgent>,
    pub servers: Vec<ServerInfo>,
}

impl HarnessFacts {
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty() && self.servers.is_empty()
    }

    pub fn merge(&mut self, other: HarnessFacts) {
        self.agents.extend(other.agents);
        self.servers.extend(other.servers);
    }

    /// Every agent's settings in `group` (all files of one settings folder).
    pub fn group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a HarnessAgent> + 'a {
        self.agents.iter().filter(move |a| a.group == group)
    }

    /// Allow rules of `group` that no deny rule of the group covers, with the agent
    /// they are written in.
    pub fn effective_allows<'a>(&'a self, group: &'a str) -> Vec<(&'a HarnessAgent, &'a ToolRule)> {
        let denies: Vec<&ToolRule> = self
            .group(group)
            .flat_map(|a| a.rules.iter())
            .filter(|r| r.kind == RuleKind::Deny)
            .take(MAX_RULES)
            .collect();
        self.group(group)
            .flat_map(|a| a.rules.iter().map(move |r| (a, r)))
            .filter(|(_, r)| r.kind == RuleKind::Allow)
            .take(MAX_RULES)
            .filter(|(_, r)| !denies.iter().any(|d| rule_covers(&d.text, &r.text)))
            .collect()
    }

    /// The deny rules of `group` that overlap `rule` without covering it (a deny of
    /// `Bash(kubectl delete:*)` next to an allow of `Bash(kubectl:*)`).
    pub fn partial_denies<'a>(&'a self, group: &'a str, rule: &str) -> Vec<&'a ToolRule> {
        self.group(group)
            .flat_map(|a| a.rules.iter())
            .filter(|d| d.kind == RuleKind::Deny)
            .take(MAX_RULES)
            .filter(|d| rule_covers(rule, &d.text))
            .collect()
    }

    /// A server defined in the project's MCP configurations, by name.
    pub fn server(&self, name: &str) -> Option<&ServerInfo> {
        self.servers.iter().find(|s| s.name == name)
    }
}

/// What an allow rule of a harness lets the agent do without asking, when that
/// amounts to running anything (or to changing things through a known server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrestricted {
    /// Completes "it lets through ...".
    pub what: String,
    pub severity: Severity,
    /// Lower when lanyard guesses (a wildcard the harness may not accept).
    pub guessed: bool,
}

/// Whether allow rule `rule` of `harness` amounts to "run anything", and what it lets
/// through. `servers` are the project's MCP servers, to tell what a server-wide MCP
/// rule (`mcp__desktop-commander`) lets through.
pub fn unrestricted_rule(
    k: &HarnessKnowledge,
    harness: &str,
    rule: &str,
    servers: &HarnessFacts,
) -> Option<Unrestricted> {
    let (tool, spec) = split_rule(rule);
    if let Some((server, tool_name)) = split_mcp_rule(tool) {
        if server == "*" || server.ends_with('*') {
            return Some(Unrestricted {
                what: "every tool of every MCP server, writes and commands included".to_owned(),
                severity: Severity::High,
                guessed: true,
            });
        }
        let class = server_class(k, server, servers);
        return match tool_name {
            None | Some("*") => {
                class
                    .filter(|(c, _)| c.runs_anything())
                    .map(|(c, what)| Unrestricted {
                        what: format!(
                            "every tool of the MCP server `{server}`, which {what} ({})",
                            c.describe()
                        ),
                        severity: Severity::High,
                        guessed: false,
                    })
            }
            Some(t) => {
                let c = k.tool_class(t)?;
                c.runs_anything().then(|| Unrestricted {
                    what: format!("the MCP tool `{t}` of `{server}`, which {}", c.describe()),
                    severity: Severity::High,
                    guessed: false,
                })
            }
        };
    }
    let def = k.tool(harness, tool)?;
    if def.kind != ToolKind::Shell {
        return None;
    }
    let prefix_semantics = harness == "gemini-cli" || harness == "copilot-cli";
    k.shell_reach(spec, prefix_semantics).map(|r| Unrestricted {
        what: if r.what == "any command" {
            def.any.clone()
        } else {
            r.what
        },
        severity: r.severity,
        guessed: false,
    })
}

/// The class of an MCP server the project defines (or a well-known one by name).
pub fn server_class(
    k: &HarnessKnowledge,
    server: &str,
    servers: &HarnessFacts,
) -> Option<(ToolClass, String)> {
    if let Some(s) = servers.server(server) {
        return (!s.restricted).then(|| (s.class, s.what.clone()));
    }
    // Known by its name alone: the name people give it, or its package's.
    k.mcp_server(server, Some(server), &[], &[])
        .filter(|m| !m.restricted)
        .map(|m| (m.def.class, m.def.what.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k() -> &'static HarnessKnowledge {
        HarnessKnowledge::builtin().expect("rules/harness.toml parses")
    }

    #[test]
    fn builtin_parses_and_references_known_harnesses() {
        let k = k();
        assert_eq!(k.version, 1);
        for m in &k.mode {
            assert!(
                k.harness(&m.harness).is_some(),
                "mode {} of unknown harness",
                m.name
            );
            assert!(m.level <= 4);
            assert!(
                m.bypass == Bypass::Never || m.severity.is_some(),
                "mode {} is reported but has no severity",
                m.name
            );
        }
        for f in &k.flag {
            assert!(k.harness(&f.harness).is_some(), "flag {:?}", f.names);
            for s in &f.sets {
                if let Some(mode) = s.strip_prefix("mode=").filter(|m| *m != "{value}") {
                    assert!(
                        k.mode(&f.harness, mode).is_some(),
                        "flag {:?} sets unknown mode {mode}",
                        f.names
                    );
                }
            }
        }
        for a in &k.action {
            assert!(k.harness(&a.harness).is_some(), "action {}", a.uses);
        }
        for r in &k.codex {
            assert!(r.bypass == Bypass::Never || r.severity.is_some());
        }
        // The last Codex row catches every combination.
        assert!(k.codex_row(Some("anything"), Some("else"), false).is_some());
    }

    #[test]
    fn launcher_examples() {
        let k = k();
        for l in &k.launcher {
            for rule in &l.fires {
                let (_, spec) = split_rule(rule);
                assert!(
                    k.shell_reach(spec, false).is_some(),
                    "{rule} should run anything"
                );
            }
            for rule in &l.silent {
                let (_, spec) = split_rule(rule);
                assert_eq!(k.shell_reach(spec, false), None, "{rule} should be narrow");
            }
        }
        for rule in &k.pipe_to_shell.fires {
            let (_, spec) = split_rule(rule);
            let r = k.shell_reach(spec, false).expect(rule);
            assert_eq!(r.what, k.pipe_to_shell.what);
        }
        for rule in &k.pipe_to_shell.silent {
            let (_, spec) = split_rule(rule);
            assert_eq!(k.shell_reach(spec, false), None, "{rule}");
        }
        for rule in ["Bash", "Bash(*)", "Bash()", "Bash(* )"] {
            let (_, spec) = split_rule(rule);
            assert!(k.shell_reach(spec, false).is_some(), "{rule}");
        }
        // Gemini rules match by prefix without a wildcard.
        assert!(k.shell_reach(Some("python3"), true).is_some());
        assert!(k.shell_reach(Some("git status"), true).is_none());
        assert!(k.shell_reach(Some("python3"), false).is_none());
    }

    #[test]
    fn tool_examples() {
        let k = k();
        for e in &k.mcp_tool.example {
            assert_eq!(k.tool_class(&e.name), Some(e.class), "{}", e.name);
        }
        assert_eq!(name_words("searchJiraIssuesUsingJql")[0], "search");
        assert_eq!(name_words("Powershell-Tool"), vec!["powershell", "tool"]);
        assert_eq!(k.tool_class("deepthinking"), None);
    }

    #[test]
    fn path_examples() {
        let k = k();
        for p in &k.paths.fires {
            let (_, spec) = split_rule(p);
            assert!(
                k.path_reach(spec.unwrap_or(""), PathStyle::ClaudeRule)
                    .is_some(),
                "{p} should be sensitive"
            );
        }
        for p in &k.paths.silent {
            let (_, spec) = split_rule(p);
            assert_eq!(
                k.path_reach(spec.unwrap_or(""), PathStyle::ClaudeRule),
                None,
                "{p}"
            );
        }
        for p in [
            "/home/jane",
            "/Users/jane/",
            "C:\\Users\\jane",
            "~",
            "/",
            "%USERPROFILE%",
        ] {
            assert!(k.path_reach(p, PathStyle::Plain).is_some(), "{p}");
        }
        for p in [
            "/home/jane/work/app",
            "../shared",
            "/tmp/build",
            "C:\\src\\app",
        ] {
            assert_eq!(k.path_reach(p, PathStyle::Plain), None, "{p}");
        }
    }

    #[test]
    fn servers_and_restrictions() {
        let k = k();
        let m = k
            .mcp_server(
                "k8s",
                Some("npx"),
                &["-y", "kubernetes-mcp-server@latest"],
                &[],
            )
            .unwrap();
        assert_eq!(m.def.class, ToolClass::Kubernetes);
        assert!(!m.restricted);
        let m = k
            .mcp_server(
                "k8s",
                Some("npx"),
                &["-y", "kubernetes-mcp-server@latest", "--read-only"],
                &[],
            )
            .unwrap();
        assert!(m.restricted);
        let m = k
            .mcp_server(
                "aws",
                Some("uvx"),
                &["awslabs.aws-api-mcp-server@latest"],
                &[("READ_OPERATIONS_ONLY", "true")],
            )
            .unwrap();
        assert!(m.restricted);
        let m = k
            .mcp_server("eks", Some("uvx"), &["awslabs.eks-mcp-server@latest"], &[])
            .unwrap();
        assert!(m.restricted, "eks writes only with --allow-write");
        assert!(
            k.mcp_server("shell", Some("/bin/bash"), &["--login"], &[])
                .is_some()
        );
        assert!(
            k.mcp_server("shell", Some("uvx"), &["shellcheck-mcp"], &[])
                .is_none()
        );
        assert!(
            k.mcp_server("docs", Some("npx"), &["-y", "@upstash/context7-mcp"], &[])
                .is_none()
        );
    }

    #[test]
    fn rules_cover() {
        assert!(rule_covers("Bash", "Bash(npm test:*)"));
        assert!(rule_covers("Bash(npm:*)", "Bash(npm test:*)"));
        assert!(!rule_covers("Bash(npm test:*)", "Bash(npm:*)"));
        assert!(rule_covers("Bash(kubectl:*)", "Bash(kubectl delete:*)"));
        assert!(rule_covers("mcp__github", "mcp__github__create_issue"));
        assert!(rule_covers("mcp__github__*", "mcp__github__create_issue"));
        assert!(!rule_covers(
            "mcp__github__get_*",
            "mcp__github__create_issue"
        ));
        assert!(rule_covers("Read(~/.aws/**)", "Read(~/.aws/**)"));
        assert!(!rule_covers("Read", "Edit"));
        assert!(rule_covers("mcp__*", "mcp__*"));
        assert!(rule_covers("mcp__github", "mcp__github"));
    }

    #[test]
    fn declared_levels() {
        let k = k();
        assert_eq!(k.declared_level("default"), Some(1));
        assert_eq!(k.declared_level("bypassPermissions"), Some(4));
        assert_eq!(k.declared_level("never/danger-full-access"), Some(4));
        assert_eq!(k.declared_level("on-request/workspace-write"), Some(1));
        assert_eq!(k.declared_level("edits"), Some(2));
        assert_eq!(k.declared_level("warp-speed"), None);
    }

    #[test]
    fn harness_words() {
        let k = k();
        for (word, id) in [
            ("claude", "claude-code"),
            ("/usr/local/bin/codex", "codex"),
            ("@anthropic-ai/claude-code@latest", "claude-code"),
            ("@google/gemini-cli", "gemini-cli"),
            ("aider", "aider"),
        ] {
            assert_eq!(
                k.harness_of_word(word).map(|h| h.id.as_str()),
                Some(id),
                "{word}"
            );
        }
        assert!(k.harness_of_word("claude-code-action").is_none());
        assert!(k.harness_of_word("node").is_none());
    }
}
