//! `lanyard inventory`: every workload, whether it is an agent and why, the identities
//! it runs as, who else shares them, and its findings; as a table, JSON, or a graph
//! (Mermaid, Graphviz DOT) a person can look at.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::findings::{Finding, sanitize};
use crate::model::facts::Workload;
use crate::model::identity::Identity;
use crate::scan::ScanResult;
use crate::syntax::text::one_line;

#[derive(Debug, Serialize)]
pub struct Inventory {
    pub version: u32,
    pub workloads: Vec<WorkloadEntry>,
    pub identities: Vec<IdentityEntry>,
}

#[derive(Debug, Serialize)]
pub struct WorkloadEntry {
    pub name: String,
    pub kind: &'static str,
    pub path: String,
    pub line: usize,
    /// Why it runs an AI agent; `null` when nothing shows it does.
    pub agent: Option<String>,
    /// Why it is not taken for an AI agent although it is called one (a well-known
    /// monitoring agent, or a name with nothing behind it); `null` otherwise.
    pub not_agent: Option<String>,
    /// Indexes into `identities`.
    pub identities: Vec<usize>,
    /// What its identities can do, in short (`s3:GetObject on arn:…`, `get,list
    /// secrets in agents`, `contents: write`).
    pub grants: Vec<String>,
    /// What its agent harness lets it do without asking, when lanyard read its
    /// settings or command line.
    pub harness: Option<HarnessEntry>,
    pub findings: Vec<FindingRef>,
}

#[derive(Debug, Serialize)]
pub struct HarnessEntry {
    /// `Claude Code`, `Codex`, ...
    pub name: String,
    /// Its most permissive mode, in the harness's own words (`bypassPermissions`,
    /// `never/danger-full-access`), and that mode's level (`plan`, `ask`, `edits`,
    /// `unattended`, `bypass`).
    pub mode: Option<String>,
    pub level: Option<&'static str>,
    /// The tools it runs without asking, broadest first: those that run anything, with
    /// what they let through, then the others.
    pub tools: Vec<String>,
}

/// Why a workload called an agent is not taken for an AI agent: it is a well-known
/// non-AI agent, or only its name hints at one.
fn not_agent(w: &Workload) -> Option<String> {
    if w.agent.is_some() {
        return None;
    }
    w.signals.not_agent.clone().or_else(|| {
        w.signals
            .evidence
            .first()
            .map(|e| format!("{}, but nothing shows it runs one", e.reason))
    })
}

/// The harness view of a workload: mode and broadest tools.
fn harness_entry(result: &ScanResult, w: &Workload) -> Option<HarnessEntry> {
    use crate::model::grants::What;
    let h = w.harness.as_deref()?;
    let k = crate::model::harness::HarnessKnowledge::builtin()?;
    let mut mode: Option<(&str, u8)> = None;
    let mut broad = Vec::new();
    let mut narrow = Vec::new();
    for g in crate::model::facts::held_by(&result.facts, w) {
        match &g.what {
            What::HarnessMode { mode: m, level, .. } if mode.is_none_or(|(_, l)| *level > l) => {
                mode = Some((m.as_str(), *level));
            }
            What::HarnessTool { harness, rule } => {
                match crate::model::harness::unrestricted_rule(
                    k,
                    harness,
                    rule,
                    &result.facts.harness,
                ) {
                    Some(u) => broad.push(format!("{rule} ({})", u.what)),
                    None => narrow.push(rule.clone()),
                }
            }
            _ => {}
        }
    }
    broad.extend(narrow);
    Some(HarnessEntry {
        name: clean(result, k.harness_name(h)),
        mode: mode.map(|(m, _)| clean(result, m)),
        level: mode.map(|(_, l)| {
            crate::model::scope::level_name(l)
                .split(':')
                .next()
                .unwrap_or("")
        }),
        // Tool rules are the repository's text too.
        tools: broad.iter().map(|t| clean(result, t)).collect(),
    })
}

#[derive(Debug, Serialize)]
pub struct IdentityEntry {
    pub description: String,
    /// Indexes into `workloads` of every workload holding it.
    pub used_by: Vec<usize>,
    pub shared: bool,
}

#[derive(Debug, Serialize)]
pub struct FindingRef {
    pub rule: &'static str,
    pub severity: &'static str,
    pub fingerprint: String,
}

/// A finding belongs to every workload it is about: the one it names (`name`, the
/// workload's name cleaned like findings' text), and every one a location of it points
/// into (each workload sharing an identity, each agent holding a grant).
fn belongs(f: &Finding, w: &Workload, name: &str) -> bool {
    let touches = |l: &crate::findings::Label| l.path == w.path;
    let inside = |l: &crate::findings::Label| {
        touches(l) && w.extent.start <= l.span.start && l.span.end <= w.extent.end
    };
    (f.workload() == Some(name) && (touches(f.primary()) || f.related().iter().any(touches)))
        || inside(f.primary())
        || f.related().iter().any(inside)
}

/// A string from the repository as the inventory shows it: secrets of the scan masked
/// (a credential used as a server's or a service's name), on one line.
fn clean(result: &ScanResult, s: &str) -> String {
    one_line(&result.secrets.mask(s)).into_owned()
}

impl Inventory {
    pub fn build(result: &ScanResult) -> Inventory {
        let clean = |s: &str| clean(result, s);
        let mut identities: Vec<IdentityEntry> = Vec::new();
        // Identities of different repositories are different identities, whatever
        // their names.
        let mut index: BTreeMap<(Option<&str>, &Identity), usize> = BTreeMap::new();
        let mut workloads = Vec::new();
        for (wi, w) in result.facts.workloads.iter().enumerate() {
            let mut ids = Vec::new();
            let repo = result.facts.repo_of(&w.path).map(|r| &**r);
            for u in &w.identities {
                let i = *index.entry((repo, &u.identity)).or_insert_with(|| {
                    identities.push(IdentityEntry {
                        description: clean(&u.identity.describe()),
                        used_by: Vec::new(),
                        shared: false,
                    });
                    identities.len() - 1
                });
                if !identities[i].used_by.contains(&wi) {
                    identities[i].used_by.push(wi);
                }
                if !ids.contains(&i) {
                    ids.push(i);
                }
            }
            let line = result.files.get(&w.path).map_or(1, |f| {
                f.line_index()
                    .position(&f.bytes, w.span.start as usize)
                    .line
            });
            let name = clean(&w.name);
            workloads.push(WorkloadEntry {
                kind: w.kind.as_str(),
                path: clean(&w.path),
                line,
                agent: w.agent.as_deref().map(clean),
                not_agent: not_agent(w).as_deref().map(clean),
                identities: ids,
                grants: {
                    // Each grant once: two statements or bindings may grant the same.
                    let mut list: Vec<String> = Vec::new();
                    for g in crate::model::facts::held_by(&result.facts, w) {
                        if matches!(
                            g.what,
                            crate::model::grants::What::HarnessMode { .. }
                                | crate::model::grants::What::HarnessTool { .. }
                        ) {
                            continue;
                        }
                        let text = clean(&short(&g.what));
                        if !list.contains(&text) {
                            list.push(text);
                        }
                    }
                    list
                },
                harness: harness_entry(result, w),
                findings: result
                    .findings
                    .iter()
                    .filter(|f| belongs(f, w, &name))
                    .map(|f| FindingRef {
                        rule: f.rule(),
                        severity: f.severity().as_str(),
                        fingerprint: f.fingerprint().to_owned(),
                    })
                    .collect(),
                name,
            });
        }
        for id in &mut identities {
            id.shared = id.used_by.len() > 1;
        }
        Inventory {
            version: 1,
            workloads,
            identities,
        }
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        if self.workloads.is_empty() {
            out.push_str("No workloads found.\n");
            return out;
        }
        for w in &self.workloads {
            let agent = match (&w.agent, &w.not_agent) {
                (Some(why), _) => format!("  [agent: {why}]"),
                (None, Some(why)) => format!("  [not an AI agent: {why}]"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{}  ({}, {}:{}){agent}",
                w.name, w.kind, w.path, w.line
            );
            if w.identities.is_empty() {
                out.push_str("    runs as: no identity found\n");
            }
            for &i in &w.identities {
                let id = &self.identities[i];
                let others: Vec<&str> = id
                    .used_by
                    .iter()
                    .filter(|o| {
                        self.workloads[**o].name != w.name || self.workloads[**o].path != w.path
                    })
                    .map(|o| self.workloads[*o].name.as_str())
                    .collect();
                let shared = if others.is_empty() {
                    String::new()
                } else {
                    format!("  SHARED with {}", others.join(", "))
                };
                let _ = writeln!(out, "    runs as: {}{shared}", id.description);
            }
            if !w.grants.is_empty() {
                const SHOWN: usize = 6;
                let list: Vec<&str> = w.grants.iter().take(SHOWN).map(String::as_str).collect();
                let more = w.grants.len().saturating_sub(SHOWN);
                let tail = if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                };
                let _ = writeln!(out, "    can: {}{tail}", list.join("; "));
            }
            if let Some(h) = &w.harness {
                let mode = match (&h.mode, h.level) {
                    (Some(m), Some(l)) => format!("mode {m} ({l})"),
                    _ => "default mode".to_owned(),
                };
                const SHOWN_TOOLS: usize = 4;
                let tools = if h.tools.is_empty() {
                    String::new()
                } else {
                    let more = h.tools.len().saturating_sub(SHOWN_TOOLS);
                    let list: Vec<&str> = h
                        .tools
                        .iter()
                        .take(SHOWN_TOOLS)
                        .map(String::as_str)
                        .collect();
                    let tail = if more > 0 {
                        format!(" (+{more} more)")
                    } else {
                        String::new()
                    };
                    format!("; unasked: {}{tail}", list.join(", "))
                };
                let _ = writeln!(out, "    harness: {}, {mode}{tools}", h.name);
            }
            if !w.findings.is_empty() {
                let rules: Vec<String> = w
                    .findings
                    .iter()
                    .map(|f| format!("{} ({})", f.rule, f.severity))
                    .collect();
                let _ = writeln!(out, "    findings: {}", rules.join(", "));
            }
        }
        let agents = self.workloads.iter().filter(|w| w.agent.is_some()).count();
        let shared = self.identities.iter().filter(|i| i.shared).count();
        let _ = writeln!(
            out,
            "\n{} workloads ({agents} agents), {} identities ({shared} shared).",
            self.workloads.len(),
            self.identities.len()
        );
        out
    }

    /// A Mermaid flowchart: workloads → identities; agents and shared identities
    /// highlighted.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, w) in self.workloads.iter().enumerate() {
            let label = mermaid_text(&format!(
                "{}<br/><small>{}:{}</small>",
                w.name, w.path, w.line
            ));
            let class = if w.agent.is_some() {
                "agent"
            } else {
                "workload"
            };
            let _ = writeln!(out, "  w{i}[\"{label}\"]:::{class}");
        }
        for (i, id) in self.identities.iter().enumerate() {
            let class = if id.shared { "shared" } else { "identity" };
            let _ = writeln!(
                out,
                "  i{i}([\"{}\"]):::{class}",
                mermaid_text(&id.description)
            );
        }
        for (i, w) in self.workloads.iter().enumerate() {
            for id in &w.identities {
                let _ = writeln!(out, "  w{i} --> i{id}");
            }
        }
        out.push_str("  classDef agent fill:#fde68a,stroke:#b45309\n");
        out.push_str("  classDef workload fill:#e5e7eb,stroke:#6b7280\n");
        out.push_str("  classDef identity fill:#dbeafe,stroke:#1d4ed8\n");
        out.push_str("  classDef shared fill:#fecaca,stroke:#b91c1c,stroke-width:3px\n");
        out
    }

    /// The same graph in Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut out =
            String::from("digraph lanyard {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for (i, w) in self.workloads.iter().enumerate() {
            let fill = if w.agent.is_some() {
                "#fde68a"
            } else {
                "#e5e7eb"
            };
            let _ = writeln!(
                out,
                "  w{i} [shape=box, style=filled, fillcolor=\"{fill}\", label=\"{}\\n{}:{}\"];",
                dot_text(&w.name),
                dot_text(&w.path),
                w.line
            );
        }
        for (i, id) in self.identities.iter().enumerate() {
            let (fill, pen) = if id.shared {
                ("#fecaca", 3)
            } else {
                ("#dbeafe", 1)
            };
            let _ = writeln!(
                out,
                "  i{i} [shape=ellipse, style=filled, fillcolor=\"{fill}\", penwidth={pen}, label=\"{}\"];",
                dot_text(&id.description)
            );
        }
        for (i, w) in self.workloads.iter().enumerate() {
            for id in &w.identities {
                let _ = writeln!(out, "  w{i} -> i{id};");
            }
        }
        out.push_str("}\n");
        out
    }
}

/// One grant in a few words.
fn short(what: &crate::model::grants::What) -> String {
    use crate::model::grants::What;
    let list = |items: &[crate::model::grants::Written]| {
        items
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    match what {
        What::Aws { actions, resources } => format!("{} on {}", list(actions), list(resources)),
        What::AwsManaged { arn } => {
            format!("managed policy {}", arn.rsplit('/').next().unwrap_or(arn))
        }
        What::Gcp { role, scope } | What::Azure { role, scope } => format!("{role} on {scope}"),
        What::K8s {
            verbs,
            resources,
            namespace,
            ..
        } => format!(
            "{} {} {}",
            verbs.join(","),
            resources.join(","),
            namespace
                .as_deref()
                .map_or_else(|| "cluster-wide".to_owned(), |n| format!("in {n}"))
        ),
        What::Github { scope, level } => format!("token {scope}: {}", level.as_str()),
        What::Oauth { scope } => format!("OAuth scope {scope}"),
        What::McpServer { server } => format!("MCP server {server}"),
        What::McpRoot { server, root } => format!("files under {root} ({server})"),
        What::HumanCredential { label } => format!("a person's credential ({label})"),
        What::HarnessMode { mode, level, .. } => format!(
            "harness mode {mode} ({})",
            crate::model::scope::level_name(*level)
                .split(':')
                .next()
                .unwrap_or("")
        ),
        What::HarnessTool { rule, .. } => format!("runs {rule} unasked"),
    }
}

/// Mermaid labels are quoted; quotes and angle brackets from hostile names must not
/// break out (our own `<br/>`/`<small>` are added after escaping the parts).
fn mermaid_text(s: &str) -> String {
    let s = sanitize(s);
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_ref();
    // Keep the markup this module writes; escape everything else.
    while !rest.is_empty() {
        if let Some(tag) = ["<br/>", "<small>", "</small>"]
            .iter()
            .find(|t| rest.starts_with(**t))
        {
            out.push_str(tag);
            rest = &rest[tag.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => {}
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn dot_text(s: &str) -> String {
    sanitize(s).replace('\\', "\\\\").replace('"', "\\\"")
}

/// A TOML basic string (escapes quotes, backslashes and control characters).
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// What one agent holds today, gathered per platform.
#[derive(Default)]
struct Holdings {
    aws_actions: Vec<String>,
    aws_resources: Vec<String>,
    aws_managed: Vec<String>,
    gcp_roles: Vec<String>,
    gcp_scopes: Vec<String>,
    azure_roles: Vec<String>,
    azure_scopes: Vec<String>,
    k8s_verbs: Vec<String>,
    k8s_resources: Vec<String>,
    k8s_namespaces: Vec<String>,
    github: BTreeMap<String, crate::model::grants::AccessLevel>,
    oauth: Vec<String>,
    mcp_servers: Vec<String>,
    mcp_roots: Vec<String>,
    human: bool,
    tools: Vec<String>,
    /// The most permissive harness mode: its name and level.
    mode: Option<(String, u8)>,
}

impl Holdings {
    fn add(&mut self, what: &crate::model::grants::What) {
        use crate::model::grants::What;
        match what {
            What::Aws { actions, resources } => {
                for a in actions {
                    push_unique(&mut self.aws_actions, &a.text);
                }
                for r in resources {
                    push_unique(&mut self.aws_resources, &r.text);
                }
            }
            What::AwsManaged { arn } => push_unique(&mut self.aws_managed, arn),
            What::Gcp { role, scope } => {
                push_unique(&mut self.gcp_roles, role);
                push_unique(&mut self.gcp_scopes, scope);
            }
            What::Azure { role, scope } => {
                push_unique(&mut self.azure_roles, role);
                push_unique(&mut self.azure_scopes, scope);
            }
            What::K8s {
                verbs,
                resources,
                namespace,
                ..
            } => {
                for v in verbs {
                    push_unique(&mut self.k8s_verbs, v);
                }
                for r in resources {
                    push_unique(&mut self.k8s_resources, r);
                }
                push_unique(
                    &mut self.k8s_namespaces,
                    namespace.as_deref().unwrap_or("*"),
                );
            }
            What::Github { scope, level } => {
                let held = self.github.entry(scope.clone()).or_insert(*level);
                *held = (*held).max(*level);
            }
            What::Oauth { scope } => push_unique(&mut self.oauth, scope),
            What::McpServer { server } => push_unique(&mut self.mcp_servers, server),
            What::McpRoot { root, .. } => push_unique(&mut self.mcp_roots, root),
            What::HumanCredential { .. } => self.human = true,
            What::HarnessTool { rule, .. } => push_unique(&mut self.tools, rule),
            What::HarnessMode { mode, level, .. } => {
                if self.mode.as_ref().is_none_or(|(_, l)| level > l) {
                    self.mode = Some((mode.clone(), *level));
                }
            }
        }
    }

    /// Every string through `f` (secrets of the scan masked, one line).
    fn clean(&mut self, f: &dyn Fn(&str) -> String) {
        for list in [
            &mut self.aws_actions,
            &mut self.aws_resources,
            &mut self.aws_managed,
            &mut self.gcp_roles,
            &mut self.gcp_scopes,
            &mut self.azure_roles,
            &mut self.azure_scopes,
            &mut self.k8s_verbs,
            &mut self.k8s_resources,
            &mut self.k8s_namespaces,
            &mut self.oauth,
            &mut self.mcp_servers,
            &mut self.mcp_roots,
        ] {
            for s in list.iter_mut() {
                *s = f(s);
            }
        }
        self.github = std::mem::take(&mut self.github)
            .into_iter()
            .map(|(k, v)| (f(&k), v))
            .collect();
    }

    fn write(&self, out: &mut String) {
        // `{ key = [...], ... }` with the empty lists left out; nothing when all are.
        let mut table = |key: &str, fields: &[(&str, &[String])]| {
            let parts: Vec<String> = fields
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k} = {}", toml_list(v)))
                .collect();
            if !parts.is_empty() {
                let _ = writeln!(out, "{key} = {{ {} }}", parts.join(", "));
            }
        };
        table(
            "aws",
            &[
                ("actions", &self.aws_actions),
                ("resources", &self.aws_resources),
                ("managed-policies", &self.aws_managed),
            ],
        );
        table(
            "gcp",
            &[("roles", &self.gcp_roles), ("scopes", &self.gcp_scopes)],
        );
        table(
            "azure",
            &[("roles", &self.azure_roles), ("scopes", &self.azure_scopes)],
        );
        table(
            "kubernetes",
            &[
                ("verbs", &self.k8s_verbs),
                ("resources", &self.k8s_resources),
                ("namespaces", &self.k8s_namespaces),
            ],
        );
        table("oauth", &[("scopes", &self.oauth)]);
        table(
            "mcp",
            &[
                ("servers", &self.mcp_servers),
                ("filesystem", &self.mcp_roots),
            ],
        );
        if !self.github.is_empty() {
            let perms: Vec<String> = self
                .github
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_str(k), toml_str(v.as_str())))
                .collect();
            let _ = writeln!(
                out,
                "github = {{ permissions = {{ {} }} }}",
                perms.join(", ")
            );
        }
        if !self.tools.is_empty() {
            let _ = writeln!(out, "tools = {}", toml_list(&self.tools));
        }
        if let Some((mode, level)) = &self.mode {
            // The harness's own name when it means the same level to the settings
            // layer, else the level's name.
            let known = crate::model::harness::HarnessKnowledge::builtin()
                .and_then(|k| k.declared_level(mode))
                == Some(*level);
            let name = if known {
                mode.clone()
            } else {
                ["plan", "ask", "edits", "unattended", "bypass"]
                    .get(usize::from(*level))
                    .copied()
                    .unwrap_or("bypass")
                    .to_owned()
            };
            let _ = writeln!(out, "mode = {}", toml_str(&name));
        }
        if self.human {
            out.push_str(
                "# It holds a person's credential today: replace it with the agent's own, then remove this line.\nhuman-credentials = true\n",
            );
        }
    }
}

/// `[[agent]]` declarations covering exactly what each agent holds today: a starting
/// point for `lanyard.toml`, to review and cut down to what each task needs.
pub fn suggest(result: &ScanResult) -> String {
    let mut out = String::from(
        "# Task declarations suggested by `lanyard inventory --suggest`: each covers what the\n# agent holds today. Cut every list down to what the agent's task needs; `lanyard check`\n# then reports each grant beyond it (rule grant-exceeds-task, docs/task-scopes.md).\nversion = 1\n",
    );
    let mut names: Vec<String> = Vec::new();
    let clean = |s: &str| clean(result, s);
    for w in result.facts.workloads.iter().filter(|w| w.agent.is_some()) {
        let (workload, path) = (clean(&w.name), clean(&w.path));
        let mut name = workload.clone();
        if names.contains(&name) {
            name = format!("{workload} ({path})");
        }
        names.push(name.clone());
        let mut held = Holdings::default();
        for g in crate::model::facts::held_by(&result.facts, w) {
            held.add(&g.what);
        }
        held.clean(&clean);
        let why = clean(w.agent.as_deref().unwrap_or(""));
        let _ = write!(
            out,
            "\n# {} in {path}: {why}\n[[agent]]\nname = {}\nmatch = {{ workload = {}, path = {} }}\n",
            w.kind.as_str(),
            toml_str(&name),
            toml_str(&workload),
            toml_str(&path)
        );
        held.write(&mut out);
    }
    sanitize(&out).into_owned()
}
