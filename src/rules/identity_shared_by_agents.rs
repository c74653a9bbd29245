use std::collections::BTreeMap;

use crate::findings::{Finding, Severity};
use crate::model::facts::{Workload, WorkloadKind};
use crate::model::identity::Identity;
use crate::rules::{FindingBuilder, ProjectCx, Rule};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// One identity used by two or more workloads, at least one of them an AI agent,
    /// across every file and format: the same Kubernetes service account, the same
    /// Kubernetes secret key, the same GitHub Actions secret, the same AWS role, the
    /// same literal credential (compared by hash, never shown), or the same secret
    /// reference handed to several MCP servers (`${CLOUDFLARE_API_TOKEN}` in three
    /// servers' env, one `${input:github_pat}` prompt feeding two servers). The finding
    /// points at one use and lists every other use as a related location. An MCP server
    /// configured under the same name for two clients (`.mcp.json` and
    /// `.cursor/mcp.json`) is one server, not two.
    ///
    /// A model provider's API key (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, a literal
    /// `sk-ant-api03-`) shared by jobs of one workflow is reported at low severity: it
    /// buys model calls, it does not reach the organisation's code or data.
    ///
    /// ## Why it matters
    /// When several agents share an identity, nothing they do can be told apart: the
    /// audit log shows one principal, revoking it stops all of them, and each agent holds
    /// the union of the permissions all of them need.
    ///
    /// ## What to do instead
    /// Give every agent its own identity (a service account, role or app per agent),
    /// each granted only what that agent's task needs.
    ///
    /// ## Example
    /// Two Deployments in different files, `triage-agent` and `deploy-agent`, both with
    /// `serviceAccountName: agents`. Use instead one service account per Deployment.
    pub(crate) struct IdentitySharedByAgents {
        id: "identity-shared-by-agents",
        family: SharedIdentity,
        severity: High,
        confidence: High,
        summary: "One identity is shared by several workloads, at least one an AI agent",
    }
}

impl Rule for IdentitySharedByAgents {
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        // identity -> uses (workload, span), in deterministic order.
        let mut uses: BTreeMap<&Identity, Vec<(&Workload, Span)>> = BTreeMap::new();
        for w in &cx.facts.workloads {
            for u in &w.identities {
                // The implicit default service account is `default-service-account`'s
                // finding; reporting it here too would double every pod.
                if matches!(
                    u.identity,
                    Identity::K8sServiceAccount { implicit: true, .. }
                ) {
                    continue;
                }
                // A reference is the same server's when the name matches, in any file.
                let by_name = matches!(u.identity, Identity::EnvVar(_) | Identity::Prompt(_));
                let list = uses.entry(&u.identity).or_default();
                if !list
                    .iter()
                    .any(|(other, _)| other.name == w.name && (by_name || other.path == w.path))
                {
                    list.push((w, u.span));
                }
            }
        }
        for (identity, mut list) in uses {
            if list.len() < 2 || !list.iter().any(|(w, _)| w.agent.is_some()) {
                continue;
            }
            list.sort_by(|a, b| (&*a.0.path, a.1).cmp(&(&*b.0.path, b.1)));
            let names: Vec<&str> = list.iter().map(|(w, _)| w.name.as_str()).collect();
            let what = identity.describe();
            let (first, span) = list[0];
            let message = format!(
                "{what} is used by {} workloads: {}; their actions cannot be told apart and each holds what all of them need",
                list.len(),
                names.join(", ")
            );
            // A model key shared by jobs of one workflow grants models, not the org.
            let model_jobs = cx.facts.model_keys.contains(identity)
                && list
                    .iter()
                    .all(|(w, _)| w.kind == WorkloadKind::WorkflowJob && w.path == first.path);
            let message = if model_jobs {
                format!(
                    "{message}; it is a model provider's API key, which grants model calls rather than the organisation's resources, so the risk is cost and attribution"
                )
            } else {
                message
            };
            let mut b = FindingBuilder::new(&Self::META, &first.path, span, message)
                .label(format!("used by {}", first.name))
                .help("Give each agent its own identity, granted only what its task needs.")
                .workload(&first.name)
                .key(identity.key());
            if model_jobs {
                b = b.severity(Severity::Low);
            }
            for (w, span) in &list[1..] {
                b = b.related(&w.path, *span, format!("also used by {}", w.name));
            }
            for def in cx
                .facts
                .definitions
                .iter()
                .filter(|d| &d.identity == identity)
            {
                b = b.related(&def.path, def.span, "the identity is defined here");
            }
            for alias in cx.facts.aliases.iter().filter(|a| &a.to == identity) {
                b = b.related(
                    &alias.path,
                    alias.span,
                    format!("{} acts as this identity", alias.from.describe()),
                );
            }
            out.push(b.build());
        }
    }
}
