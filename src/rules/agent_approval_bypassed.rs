use crate::findings::{Confidence, Finding, Severity};
use crate::model::facts::person_or_cloud_write;
use crate::model::harness::{
    ApprovalVia, Bypass, HarnessAgent, HarnessKnowledge, ToolClass, unrestricted_rule,
};
use crate::rules::{FindingBuilder, ProjectCx, Rule};

declare_rule! {
    /// ## What it finds
    /// An agent harness set to run every tool with no human in the loop:
    /// - Claude Code `defaultMode: bypassPermissions` (in `.claude/settings*.json`),
    ///   `dontAsk` together with an allow rule that runs anything, `auto` (a classifier
    ///   approves instead of a person), and on command lines
    ///   `--dangerously-skip-permissions` or `--permission-mode bypassPermissions`;
    ///   Claude Desktop `dispatchCodeTasksPermissionMode: bypassPermissions`,
    ///   `bypassPermissionsModeEnabled`, `allowAllBrowserActions`;
    /// - Codex `approval_policy = "never"` (or `on-failure`) with
    ///   `sandbox_mode = "danger-full-access"`, `never` with network access from the
    ///   sandbox, each profile on its own, and `--dangerously-bypass-approvals-and-sandbox`,
    ///   `--yolo`, `-a never -s danger-full-access`, `-c approval_policy=never`;
    ///   `--full-auto` at low severity (it stays in the workspace sandbox);
    /// - Gemini CLI `defaultApprovalMode: yolo`, `--yolo`, `--approval-mode yolo`, and
    ///   `trust: true` on an MCP server that writes or runs commands;
    /// - aider `--yes-always` / `yes-always: true`, OpenHands `--always-approve`,
    ///   Copilot CLI `--allow-all-tools`, Kiro CLI `--trust-all-tools`, Amp
    ///   `--dangerously-allow-all`, Cursor agent `--force`; `openai/codex-action`
    ///   with `safety-strategy: unsafe`.
    ///
    /// Command lines are read wherever an agent is started: workflow `run:` steps and
    /// agent action inputs (`claude_args`, `sandbox`), compose `command`, Kubernetes
    /// `command`/`args`, Dockerfile `CMD`/`ENTRYPOINT`/`RUN`, package.json scripts,
    /// Makefiles and shell scripts. The finding is critical when the same agent also
    /// holds a person's credential or write access to a cloud account or cluster; both
    /// places are named.
    ///
    /// ## Why it matters
    /// The permission prompt is the last human check between a prompt injection and
    /// what the agent does with your shell, your files and your tokens. With it off,
    /// a malicious issue, web page or dependency README runs commands as you, and
    /// whatever credentials the agent holds go with them.
    ///
    /// ## What to do instead
    /// Keep the harness asking (`default`, `acceptEdits`, Codex `on-request` with
    /// `workspace-write`) and allow the few commands the task needs by name. Run
    /// unattended agents in a disposable sandbox or container without your
    /// credentials, with `dontAsk` and a narrow allow list rather than a bypass.
    ///
    /// ## Example
    /// ```json
    /// { "permissions": { "defaultMode": "bypassPermissions" } }
    /// ```
    /// Use instead `"defaultMode": "default"` with `"allow": ["Bash(npm test:*)"]`.
    pub(crate) struct AgentApprovalBypassed {
        id: "agent-approval-bypassed",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An agent harness runs every tool with no human in the loop",
    }
}

const HELP: &str = "Keep the harness asking and allow the commands the task needs by name; run unattended agents only in a disposable sandbox without your credentials.";

/// `Claude Code agent in .`, with its profile when it has one.
fn who(a: &HarnessAgent) -> String {
    match &a.profile {
        Some(p) => format!("{} (profile `{p}`)", a.workload),
        None => a.workload.clone(),
    }
}

impl Rule for AgentApprovalBypassed {
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = HarnessKnowledge::builtin() else {
            return;
        };
        let h = &cx.facts.harness;
        for a in &h.agents {
            let mut broad = None;
            for m in &a.modes {
                let fires = match m.bypass {
                    Bypass::Always => true,
                    Bypass::Never => false,
                    Bypass::WithBroadAllow => {
                        broad = broad.or_else(|| {
                            h.effective_allows(&a.group)
                                .into_iter()
                                .find_map(|(at, r)| {
                                    unrestricted_rule(k, &at.harness, &r.text, h)
                                        .map(|u| (at, r, u))
                                })
                        });
                        broad.is_some()
                    }
                };
                if !fires {
                    continue;
                }
                let mut message = format!("{} runs with {}: it {}", who(a), m.written, m.means);
                if let Some((_, r, u)) = broad
                    .as_ref()
                    .filter(|_| m.bypass == Bypass::WithBroadAllow)
                {
                    message.push_str(&format!(
                        ", and its allow rule `{}` lets through {}",
                        r.text, u.what
                    ));
                }
                let mut b = FindingBuilder::new(&Self::META, &a.path, m.span, message.clone())
                    .label("no human in the loop")
                    .help(HELP)
                    .severity(m.severity)
                    .workload(&a.workload)
                    .key(format!(
                        "{}:{}:{}",
                        a.group,
                        a.profile.as_deref().unwrap_or(""),
                        m.name
                    ));
                if let Some(also) = &m.also {
                    b = b.related(&a.path, also.span, "together with this setting");
                }
                if let Some((at, r, _)) = &broad
                    && m.bypass == Bypass::WithBroadAllow
                {
                    b = b.related(&at.path, r.span, "this allow rule runs anything");
                }
                if m.severity >= Severity::High {
                    let held = person_or_cloud_write(cx.facts, &a.workload, &a.path);
                    if let Some((_, what)) = held.first() {
                        let mut msg = format!(
                            "{message}; the same agent holds {what}, so a prompt injection acts with it unchecked"
                        );
                        if held.len() > 1 {
                            msg.push_str(&format!(" (and {} more)", held.len() - 1));
                        }
                        b = b.severity(Severity::Critical).message(msg);
                        for (g, what) in held.iter().take(3) {
                            b = b.related(&g.path, g.span, format!("{} holds {what}", a.workload));
                        }
                    }
                }
                out.push(b.build());
            }
            for ap in a.approvals.iter().filter(|ap| ap.via == ApprovalVia::Trust) {
                let tools: Vec<(String, ToolClass)> = ap
                    .only
                    .iter()
                    .filter_map(|t| k.tool_class(t).map(|c| (t.clone(), c)))
                    .collect();
                let (what, severity, confidence) = if !ap.only.is_empty() {
                    let Some((t, c)) = tools
                        .iter()
                        .filter(|(_, c)| *c != ToolClass::Read)
                        .max_by_key(|(_, c)| *c)
                    else {
                        continue;
                    };
                    (
                        format!("its tool `{t}` {}", c.describe()),
                        if c.runs_anything() {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        Confidence::High,
                    )
                } else if let Some((c, w)) = &ap.server_class {
                    if *c == ToolClass::Read {
                        continue;
                    }
                    (
                        format!("the server {w}"),
                        if c.runs_anything() {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        Confidence::High,
                    )
                } else {
                    (
                        "lanyard does not know what its tools do, and nothing limits them to reads"
                            .to_owned(),
                        Severity::Low,
                        Confidence::Low,
                    )
                };
                out.push(
                    FindingBuilder::new(
                        &Self::META,
                        &a.path,
                        ap.span,
                        format!(
                            "{} trusts the MCP server `{}` (`trust: true`): every call to its tools runs without confirmation, and {what}",
                            who(a),
                            ap.server
                        ),
                    )
                    .label("no confirmation for this server")
                    .help("Remove `trust: true`, or limit the server to read-only tools with `includeTools`.")
                    .severity(severity)
                    .confidence(confidence)
                    .workload(&a.workload)
                    .key(format!("{}:trust:{}", a.group, ap.server))
                    .build(),
                );
            }
        }
    }
}
