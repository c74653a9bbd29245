use crate::findings::Finding;
use crate::model::scope::declarations_for;
use crate::rules::{FindingBuilder, ProjectCx, Rule};

declare_rule! {
    /// ## What it finds
    /// A workload that runs an AI agent by evidence (an MCP server, a workflow job running
    /// an agent action or CLI, a pod or service handed a model provider's key or running
    /// an agent framework's image, a Bedrock agent; a name alone is not enough, and
    /// `[[workload]] agent = true|false` in `lanyard.toml` overrides) that no
    /// `[[agent]]` declaration in `lanyard.toml` names. Off by default: turn it on with
    /// `--select undeclared-agent`, `select = ["undeclared-agent"]` or
    /// `[rules.undeclared-agent] enabled = true` once the project declares its agents.
    ///
    /// ## Why it matters
    /// `grant-exceeds-task` compares grants with declared tasks; an agent without a
    /// declaration is never compared, so a new agent added with a broad role passes
    /// silently. Requiring a declaration makes every new agent state its task in review.
    ///
    /// ## What to do instead
    /// Add an `[[agent]]` declaration naming the workload and the task's needs;
    /// `lanyard inventory --suggest` writes one covering what the agent holds today,
    /// to cut down.
    ///
    /// ## Example
    /// A new `.mcp.json` server `jira` with no `[[agent]]` whose `match` names
    /// `mcp-server = "jira"` is reported.
    pub(crate) struct UndeclaredAgent {
        id: "undeclared-agent",
        family: ExcessiveScope,
        severity: Low,
        confidence: High,
        summary: "An AI agent has no task declaration in lanyard.toml",
        default_enabled: false,
    }
}

impl Rule for UndeclaredAgent {
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        for w in &cx.facts.workloads {
            let Some(why) = &w.agent else { continue };
            if !declarations_for(cx.agents, w).is_empty() {
                continue;
            }
            out.push(
                FindingBuilder::new(
                    &Self::META,
                    &w.path,
                    w.span,
                    format!(
                        "{} is an AI agent ({why}) but no `[[agent]]` declaration in lanyard.toml names it, so its grants are never compared with a task"
                    , w.name),
                )
                .label("no task declared")
                .help("Declare the agent's task in lanyard.toml (`lanyard inventory --suggest` writes a starting point to cut down).")
                .workload(&w.name)
                .key(w.name.clone())
                .build(),
            );
        }
    }
}
