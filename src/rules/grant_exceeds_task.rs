use crate::findings::{Confidence, Finding};
use crate::model::facts::held_by;
use crate::model::grants::{Holder, What};
use crate::model::scope::{declarations_for, excess};
use crate::rules::{FindingBuilder, ProjectCx, Rule};

declare_rule! {
    /// ## What it finds
    /// For every agent declared in `lanyard.toml` with `[[agent]]`, each grant its
    /// identities hold beyond the task the declaration states: AWS policy statements
    /// (actions and resources, wildcards compared in both directions) and managed policy
    /// attachments, GCP and Azure role bindings and their scopes, Kubernetes RBAC rules
    /// bound to its service account (verbs, resources, namespaces), GitHub token
    /// permissions, OAuth scopes, MCP servers and filesystem roots, and a person's
    /// credential when the declaration does not allow one. The finding points at the
    /// grant, with the declaration and the workload as related locations, and spells
    /// out what is granted against what is declared.
    ///
    /// ## Why it matters
    /// Permissions should follow the job, not the person who set the agent up. Whatever
    /// an agent holds beyond its task is reachable by anyone who can put text in front
    /// of it: a prompt injection in a ticket, a web page or a pull request uses the
    /// whole grant, not the task.
    ///
    /// ## What to do instead
    /// Cut the grant down to what the declaration says the task needs. If the task
    /// really needs more, widen the declaration in review, where the change is visible.
    /// `lanyard inventory --suggest` writes declarations covering what each agent holds
    /// today, as a starting point to cut down (see docs/task-scopes.md).
    ///
    /// ## Example
    /// ```toml
    /// [[agent]]
    /// name = "invoice-reader"
    /// match = { role = "invoice-agent" }
    /// aws = { actions = ["s3:GetObject"], resources = ["arn:aws:s3:::invoices/*"] }
    /// ```
    /// A policy on `invoice-agent` allowing `s3:*` on `*` is reported: it grants
    /// `s3:*` on `*`; the task declares `s3:GetObject` on `arn:aws:s3:::invoices/*`.
    pub(crate) struct GrantExceedsTask {
        id: "grant-exceeds-task",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A declared agent holds a grant beyond the task its lanyard.toml declaration states",
    }
}

impl Rule for GrantExceedsTask {
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        for w in &cx.facts.workloads {
            let decls = declarations_for(cx.agents, w);
            let Some(first) = decls.first() else {
                continue;
            };
            let mut seen = Vec::new();
            for g in held_by(cx.facts, w) {
                if seen.contains(&(&g.path, g.span, &g.key)) {
                    continue;
                }
                seen.push((&g.path, g.span, &g.key));
                let Some(e) = excess(g, &decls) else {
                    continue;
                };
                let who = match &g.holder {
                    Holder::Identity(id) => format!("{} (held by {})", id.describe(), w.name),
                    Holder::Workload { .. } => w.name.clone(),
                };
                let message = format!(
                    "{who} {}; the task `{}` declares {}, so a prompt injection reaching the agent gets more than its job",
                    e.granted,
                    first.name.get_ref(),
                    e.declared
                );
                let mut b = FindingBuilder::new(&Self::META, &g.path, e.span, message)
                    .label(format!("beyond the task: {}", e.what))
                    .help(format!(
                        "Cut this grant down to what the task `{}` declares; if the task needs it, add it to the declaration in lanyard.toml, where the change is reviewed.",
                        first.name.get_ref()
                    ))
                    .workload(&w.name)
                    .key(format!("{}:{}:{}:{}", first.name.get_ref(), w.name, g.key, e.what));
                if matches!(g.what, What::AwsManaged { .. }) {
                    // The managed policy's statements are not in the repository.
                    b = b.confidence(Confidence::Medium);
                }
                if let Some(path) = cx.config_path {
                    let r = first.name.span();
                    b = b.related(
                        path,
                        crate::syntax::source::Span::new(r.start, r.end),
                        format!("the task `{}` is declared here", first.name.get_ref()),
                    );
                }
                if !(w.path == g.path && w.span == e.span) {
                    b = b.related(&w.path, w.span, format!("{} holds this grant", w.name));
                }
                out.push(b.build());
            }
        }
    }
}
