use crate::findings::{Finding, Severity};
use crate::model::harness::{DirKind, HarnessKnowledge, PathStyle, split_rule};
use crate::rules::{FindingBuilder, ProjectCx, Rule};

declare_rule! {
    /// ## What it finds
    /// Harness settings that let an agent reach the home directory, the whole
    /// filesystem, credential folders or secret files without asking:
    /// - Claude Code allow rules on paths (`Read(~/.aws/**)`, `Read(//Users/jane/**)`,
    ///   `Edit(~/**)`, `Read(//**)`, `Read(.env)`, `Edit(./.env.production)`); `//` is
    ///   an absolute path, `~/` the home directory, `/` the project. A deny rule that
    ///   covers the allow silences it;
    /// - extra directories: Claude Code `additionalDirectories` and `--add-dir`, Gemini
    ///   CLI `includeDirectories`, Codex `writable_roots`, Claude Desktop
    ///   `localAgentModeTrustedFolders`, when they are `/`, a home directory
    ///   (`~`, `/home/<user>`, `/Users/<user>`, `C:\Users\<user>`, `%USERPROFILE%`) or a
    ///   credential folder (`~/.ssh`, `~/.aws`, `~/.config/gcloud`, `~/.kube`, ...);
    /// - Codex projects trusted at a home directory or `/`
    ///   (`[projects."/home/jane"] trust_level = "trusted"`).
    ///
    /// A missing `deny` for `.env` is not itself a finding.
    ///
    /// ## Why it matters
    /// Whatever an agent may read without asking, a prompt injection may read too, and
    /// send on through any tool that reaches the network. A home directory holds SSH
    /// keys, cloud credentials, browser profiles and every other project; trusting it
    /// extends the agent's defaults to all of them.
    ///
    /// ## What to do instead
    /// Keep the agent in the project: allow paths inside it (`Read(./src/**)`), add the
    /// sibling directories the task needs by name (`../shared-lib`), trust project
    /// directories rather than the home directory, and deny credential folders
    /// explicitly (`"deny": ["Read(~/.ssh/**)", "Read(~/.aws/**)"]`).
    ///
    /// ## Example
    /// ```json
    /// { "permissions": { "additionalDirectories": ["~"] } }
    /// ```
    /// Use instead `"additionalDirectories": ["../shared-lib"]`.
    pub(crate) struct AgentSensitivePathAccess {
        id: "agent-sensitive-path-access",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A harness lets its agent reach the home directory, /, credential folders or secret files",
    }
}

const HELP: &str = "Keep the agent in the project: allow paths inside it, add the directories the task needs by name, and deny credential folders explicitly.";

/// Tools whose rule patterns are paths.
const PATH_TOOLS: &[&str] = &[
    "Read",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "Glob",
    "Grep",
];

impl Rule for AgentSensitivePathAccess {
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = HarnessKnowledge::builtin() else {
            return;
        };
        let h = &cx.facts.harness;
        let mut groups: Vec<&str> = h.agents.iter().map(|a| a.group.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        for group in groups {
            for (a, r) in h.effective_allows(group) {
                let (tool, spec) = split_rule(&r.text);
                let Some(spec) = spec.filter(|_| PATH_TOOLS.contains(&tool)) else {
                    continue;
                };
                let Some(reach) = k.path_reach(spec, PathStyle::ClaudeRule) else {
                    continue;
                };
                let verb = if matches!(tool, "Read" | "Glob" | "Grep") {
                    "read"
                } else {
                    "change"
                };
                let secret_file = reach.what.starts_with('`');
                out.push(
                    FindingBuilder::new(
                        &Self::META,
                        &a.path,
                        r.span,
                        format!(
                            "{}'s allow rule `{}` lets it {verb} {} without asking",
                            a.workload, r.text, reach.what
                        ),
                    )
                    .label(format!("reaches {}", reach.what))
                    .help(HELP)
                    .severity(if secret_file {
                        Severity::Medium
                    } else {
                        Severity::High
                    })
                    .workload(&a.workload)
                    .key(format!("{group}:{}", r.text))
                    .build(),
                );
            }
        }
        for a in &h.agents {
            for d in &a.dirs {
                let Some(reach) = k.path_reach(&d.path, PathStyle::Plain) else {
                    continue;
                };
                // A trusted project is about directories, not single files.
                if reach.what.starts_with('`') {
                    continue;
                }
                let message = match d.kind {
                    DirKind::TrustedProject => format!(
                        "{} trusts `{}` as a project: every project below it loads its own agent settings and runs with the trusted defaults, and the agent works in {}",
                        a.workload, d.path, reach.what
                    ),
                    DirKind::WritableRoot => format!(
                        "{} makes `{}` a writable root of its sandbox: every command it runs may change {}",
                        a.workload, d.path, reach.what
                    ),
                    kind => format!(
                        "{} has `{}` as {}: it reads and edits {} like the project itself",
                        a.workload,
                        d.path,
                        kind.describe(),
                        reach.what
                    ),
                };
                out.push(
                    FindingBuilder::new(&Self::META, &a.path, d.span, message)
                        .label(format!("reaches {}", reach.what))
                        .help(HELP)
                        .workload(&a.workload)
                        .key(format!("{}:dir:{}", a.group, d.path))
                        .build(),
                );
            }
        }
    }
}
