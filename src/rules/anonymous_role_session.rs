use crate::classify::FileKind;
use crate::doc::Node;
use crate::finding::{Finding, Severity};
use crate::rules::{FileCx, Rule, RuleMeta};

declare_rule! {
    /// ## What it finds
    /// A GitHub Actions step that assumes an AWS role with
    /// `aws-actions/configure-aws-credentials` and `role-to-assume`, but sets no
    /// `role-session-name`. The action then names every session `GitHubActions`.
    ///
    /// ## Why it matters
    /// CloudTrail records the session name of every call made with the role. When
    /// every run (every agent, every workflow) uses the same default name, nobody can
    /// tell which agent or run did what, and per-agent alerting or revocation is
    /// impossible.
    ///
    /// ## What to do instead
    /// Set a session name that names the agent and the run, e.g.
    /// `role-session-name: triage-agent-${{ github.run_id }}`.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: aws-actions/configure-aws-credentials@v4
    ///   with:
    ///     role-to-assume: arn:aws:iam::123456789012:role/agent
    /// ```
    /// Use instead the same step with `role-session-name: triage-agent-${{ github.run_id }}`.
    pub(crate) struct AnonymousRoleSession {
        id: "anonymous-role-session",
        family: AuditTrail,
        severity: Medium,
        confidence: High,
        summary: "An AWS role is assumed without a session name that identifies the agent",
    }
}

impl Rule for AnonymousRoleSession {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn applies_to(&self, kind: FileKind) -> bool {
        matches!(kind, FileKind::GithubWorkflow | FileKind::GithubAction)
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for doc in cx.documents() {
            let mut jobs: Vec<(String, &[Node])> = Vec::new();
            for job in doc.root.get("jobs").map(Node::entries).unwrap_or_default() {
                let steps = job.value.get("steps").map(Node::items).unwrap_or_default();
                jobs.push((
                    format!("workflow job {}", job.key_str().unwrap_or("")),
                    steps,
                ));
            }
            // Composite actions: runs.steps.
            if let Some(steps) = doc.root.get_path(&["runs", "steps"]) {
                jobs.push(("composite action".to_owned(), steps.items()));
            }
            for (job, steps) in jobs {
                let agent = cx
                    .facts
                    .workloads
                    .iter()
                    .find(|w| w.name == job)
                    .and_then(|w| w.agent.as_deref());
                for step in steps {
                    let Some(uses) = step.get("uses") else {
                        continue;
                    };
                    if !uses
                        .as_str()
                        .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials"))
                    {
                        continue;
                    }
                    let with = step.get("with");
                    let Some(role) = with.and_then(|w| w.get("role-to-assume")) else {
                        continue;
                    };
                    if with
                        .and_then(|w| w.get("role-session-name"))
                        .is_some_and(|n| !n.is_null())
                    {
                        continue;
                    }
                    let mut message = format!(
                        "{job} assumes an AWS role without `role-session-name`: every session is named `GitHubActions`, so CloudTrail cannot tell which agent or run acted"
                    );
                    if let Some(why) = agent {
                        message.push_str(&format!(" (the job runs an AI agent: {why})"));
                    }
                    let mut b = cx
                        .finding(&Self::META, uses.span, message)
                        .label("no role-session-name")
                        .related(cx.path, role.span, "the role assumed")
                        .help("Add `role-session-name: <agent>-${{ github.run_id }}` so each session names the agent and the run.")
                        .workload(&job)
                        .key(format!("{job}:{}", role.as_text().unwrap_or("")));
                    if agent.is_some() {
                        b = b.severity(Severity::High);
                    }
                    out.push(b.build());
                }
            }
        }
    }
}
