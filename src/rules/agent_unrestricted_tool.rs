use crate::findings::{Confidence, Finding, Severity};
use crate::model::harness::{
    ApprovalVia, AutoApproval, HarnessKnowledge, ToolClass, unrestricted_rule,
};
use crate::rules::{FindingBuilder, ProjectCx, Rule};

declare_rule! {
    /// ## What it finds
    /// Harness allow rules and auto-approvals that amount to "run anything", and what
    /// each lets through, in words:
    /// - Claude Code allow rules (`.claude/settings*.json`, `--allowedTools`,
    ///   claude-code-action `allowed_tools` and `claude_args`): bare `Bash`, `Bash(*)`,
    ///   `PowerShell(*)`, interpreters and launchers with any argument
    ///   (`Bash(python3:*)`, `Bash(node -e:*)`, `Bash(sh:*)`, `Bash(sudo:*)`,
    ///   `Bash(env:*)`, `Bash(xargs:*)`, `Bash(npx *)`, `Bash(uvx:*)`,
    ///   `Bash(docker run:*)`), cloud and cluster CLIs (`Bash(aws *)`, `Bash(gcloud:*)`,
    ///   `Bash(kubectl:*)`, `Bash(terraform:*)`), a download piped into a shell
    ///   (`Bash(curl … | sh)`), `mcp__*`, and `mcp__<server>` for a server that runs
    ///   commands; a deny rule that covers the allow silences it;
    /// - Gemini CLI `tools.allowed` with `run_shell_command` or an interpreter;
    /// - MCP clients' auto-approval lists (Cline and Roo `alwaysAllow`, Cursor, Kiro,
    ///   Windsurf and others' `autoApprove`, Codex `approval_mode = "approve"` and
    ///   `default_tools_approval_mode`) naming tools that run commands or code, call a
    ///   cloud CLI, apply to Kubernetes or run SQL (high), or that write (medium); `*`
    ///   on a server whose tools do that. Servers with `disabled: true` are skipped.
    ///
    /// The commands that run arbitrary code and the tool-name classes are data in
    /// `rules/harness.toml`.
    ///
    /// ## Why it matters
    /// An allow rule is a standing "yes" to every prompt it matches. `Bash(python3:*)`
    /// looks like a development convenience but answers yes to `python3 -c` with any
    /// code, so a prompt injection in an issue or a fetched page runs whatever it wants,
    /// as you, with your credentials, and never asks.
    ///
    /// ## What to do instead
    /// Allow the exact commands the task runs (`Bash(npm test:*)`,
    /// `Bash(python -m pytest:*)`), leave interpreters, launchers and cloud CLIs to the
    /// prompt, and auto-approve only read-only MCP tools.
    ///
    /// ## Example
    /// ```json
    /// { "permissions": { "allow": ["Bash(python3:*)"] } }
    /// ```
    /// Use instead `"allow": ["Bash(python3 -m pytest:*)"]`.
    pub(crate) struct AgentUnrestrictedTool {
        id: "agent-unrestricted-tool",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A harness allow rule or auto-approval amounts to running anything without asking",
    }
}

const HELP: &str = "Allow the exact commands the task runs and leave interpreters, launchers and cloud CLIs to the prompt; auto-approve only tools that read.";

impl Rule for AgentUnrestrictedTool {
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
                let Some(u) = unrestricted_rule(k, &a.harness, &r.text, h) else {
                    continue;
                };
                let partial = h.partial_denies(group, &r.text);
                let mut message = format!(
                    "{}'s allow rule `{}` lets through {}, without asking",
                    a.workload, r.text, u.what
                );
                if let Some(d) = partial.first() {
                    message.push_str(&format!(
                        " (the deny rule `{}` covers only part of it)",
                        d.text
                    ));
                }
                let mut b = FindingBuilder::new(&Self::META, &a.path, r.span, message)
                    .label(format!("runs {} unasked", u.what))
                    .help(HELP)
                    .severity(u.severity)
                    .workload(&a.workload)
                    .key(format!("{group}:{}", r.text));
                if u.guessed {
                    b = b.confidence(Confidence::Medium);
                }
                for d in partial.iter().take(3) {
                    b = b.related(&a.path, d.span, "denies only this part");
                }
                out.push(b.build());
            }
        }
        for a in &h.agents {
            // Each server once, in the order its approvals are written.
            let mut servers: Vec<&str> = Vec::new();
            for ap in a.approvals.iter().filter(|ap| ap.via != ApprovalVia::Trust) {
                if !servers.contains(&ap.server.as_str()) {
                    servers.push(&ap.server);
                }
            }
            for server in servers {
                let list: Vec<&AutoApproval> = a
                    .approvals
                    .iter()
                    .filter(|ap| ap.via != ApprovalVia::Trust && ap.server == server)
                    .collect();
                let mut hits: Vec<(&AutoApproval, ToolClass, String)> = Vec::new();
                let mut which = String::new();
                for ap in &list {
                    if ap.tool == "*" {
                        // A server lanyard does not know is not reported: its tools may
                        // well only read.
                        if let Some((c, what)) = ap
                            .server_class
                            .as_ref()
                            .filter(|(c, _)| *c != ToolClass::Read)
                        {
                            hits.push((ap, *c, "every tool".to_owned()));
                            which = format!(", which {what}");
                        }
                    } else if let Some(c) = k.tool_class(&ap.tool).filter(|c| *c != ToolClass::Read)
                    {
                        hits.push((ap, c, format!("`{}`", ap.tool)));
                    }
                }
                let Some(worst) = hits.iter().map(|(_, c, _)| *c).max() else {
                    continue;
                };
                let runs = worst.runs_anything();
                let named: Vec<&str> = hits.iter().map(|(_, _, n)| n.as_str()).collect();
                let classes: Vec<&str> = {
                    let mut c: Vec<ToolClass> = hits.iter().map(|(_, c, _)| *c).collect();
                    c.sort_unstable();
                    c.dedup();
                    c.iter().rev().map(|c| c.describe()).collect()
                };
                let message = format!(
                    "{} auto-approves {} of the MCP server `{server}`{which}: without asking, it {}{}",
                    a.workload,
                    named.join(", "),
                    classes.join(" and "),
                    if runs {
                        ", so a prompt injection runs what it wants"
                    } else {
                        ", so a prompt injection changes things in your name"
                    }
                );
                let (first, _, _) = hits[0];
                let mut b = FindingBuilder::new(&Self::META, &a.path, first.span, message)
                    .label(format!("{} unasked", worst.describe()))
                    .help(HELP)
                    .severity(if runs {
                        Severity::High
                    } else {
                        Severity::Medium
                    })
                    .workload(&a.workload)
                    .key(format!("{}:{server}", a.group));
                for (ap, c, _) in hits.iter().skip(1).take(5) {
                    b = b.related(
                        &a.path,
                        ap.span,
                        format!("also auto-approved: {}", c.describe()),
                    );
                }
                out.push(b.build());
            }
        }
    }
}
