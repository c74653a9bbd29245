use crate::findings::{Confidence, Finding, Severity};
use crate::model::extract::github_secret_refs;
use crate::model::facts::WorkloadKind;
use crate::model::github::{Job, Permissions, lookup};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;

declare_rule! {
    /// ## What it finds
    /// GitHub Actions workflows whose `GITHUB_TOKEN` can do more than the jobs need:
    /// - `permissions: write-all` at the workflow or job level (critical when an AI
    ///   agent job gets it);
    /// - a workflow with no top-level `permissions` in which a job without its own
    ///   `permissions` runs an agent action or writes with the token (`git push`,
    ///   `gh pr create|merge|comment`, `gh release`, `actions/github-script`,
    ///   `peter-evans/create-pull-request`, `stefanzweifel/git-auto-commit-action`):
    ///   that job inherits the repository's default token permissions, which are
    ///   read-write on repositories created before February 2023 and wherever an
    ///   administrator chose so;
    /// - an agent job granted `actions: write` (it can start, cancel and re-run
    ///   workflows and delete their caches and artifacts).
    ///
    /// Steps that write with another token (`token:`/`github-token:` inputs, or a
    /// `GH_TOKEN` from a secret other than `GITHUB_TOKEN`) do not count. Workflows are
    /// read under `.github/workflows/` and anywhere else a YAML file has top-level
    /// `on:` and `jobs:` keys (reusable workflow copies, workflow templates).
    ///
    /// ## Why it matters
    /// The token is the job's identity on the repository. An agent reads untrusted
    /// issues and pull requests; with a write-all token, one prompt injection can push
    /// to branches, rewrite releases, approve pull requests or change workflows.
    ///
    /// ## What to do instead
    /// Set `permissions: contents: read` (or `{}`) at the top of every workflow and
    /// grant each job only the write scopes it uses, e.g. `pull-requests: write` for an
    /// agent that comments on pull requests.
    ///
    /// ## Example
    /// ```yaml
    /// on: issue_comment
    /// jobs:
    ///   claude:
    ///     runs-on: ubuntu-latest
    ///     steps: [{ uses: anthropics/claude-code-action@v1 }]
    /// ```
    /// Use instead `permissions: { contents: read, pull-requests: write, issues: write }`
    /// on the job and `permissions: {}` at the top.
    pub(crate) struct GhaBroadPermissions {
        id: "gha-broad-permissions",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A GitHub workflow's token is write-all or left at the repository default for jobs that write",
        applies_to: |kind| kind == FileKind::GithubWorkflow,
    }
}

const TOKEN_WRITING_ACTIONS: &[&str] = &[
    "actions/github-script",
    "peter-evans/create-pull-request",
    "stefanzweifel/git-auto-commit-action",
];

const TOKEN_WRITING_COMMANDS: &[&str] = &[
    "git push",
    "gh pr create",
    "gh pr merge",
    "gh pr comment",
    "gh pr review",
    "gh issue comment",
    "gh release",
];

const HELP: &str = "Set `permissions: contents: read` (or `{}`) at the top of the workflow and grant each job only the write scopes it uses, e.g. `pull-requests: write`.";

impl Rule for GhaBroadPermissions {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for workflow in &cx.facts.written().workflows {
            let jobs = &workflow.jobs;
            let top = workflow.permissions.as_ref();
            let workload_of = |job: &Job| {
                cx.facts
                    .workload_at(job.key_span)
                    .filter(|w| w.kind == WorkloadKind::WorkflowJob)
            };
            let agent_of = |job: &Job| {
                workload_of(job).and_then(|w| Some((w.name.as_str(), w.agent.as_deref()?)))
            };
            if let Some(p) = top.filter(|p| is_write_all(p)) {
                let inheriting: Vec<&str> = jobs
                    .iter()
                    .filter(|j| j.permissions.is_none())
                    .filter_map(|j| agent_of(j).map(|(name, _)| name))
                    .collect();
                let mut message = "the workflow sets `permissions: write-all`: every job without its own `permissions` gets a token that can push, release, approve pull requests and edit issues".to_owned();
                if !inheriting.is_empty() {
                    message.push_str(&format!(
                        ", including AI agent jobs ({}) that a prompt injection can steer",
                        inheriting.join(", ")
                    ));
                }
                out.push(
                    cx.finding(&GhaBroadPermissions::META, p.span, message)
                        .label("every scope, write")
                        .help(HELP)
                        .severity(if inheriting.is_empty() {
                            Severity::High
                        } else {
                            Severity::Critical
                        })
                        .key("permissions")
                        .build(),
                );
            }
            for job in jobs {
                let id = &job.id;
                let own = job.permissions.as_ref();
                let agent = agent_of(job);
                let workload = workload_of(job).map(|w| w.name.as_str());
                if let Some(p) = own.filter(|p| is_write_all(p)) {
                    let mut message = format!(
                        "job `{id}` sets `permissions: write-all`: its token can push, release, approve pull requests and edit issues"
                    );
                    if let Some((_, why)) = agent {
                        message.push_str(&format!(
                            "; the job looks like an AI agent ({why}), so a prompt injection gets all of it"
                        ));
                    }
                    let mut f = cx
                        .finding(&GhaBroadPermissions::META, p.span, message)
                        .label("every scope, write")
                        .help(HELP)
                        .severity(if agent.is_some() {
                            Severity::Critical
                        } else {
                            Severity::High
                        })
                        .key(format!("jobs.{id}.permissions"));
                    if let Some(name) = workload {
                        f = f.workload(name);
                    }
                    out.push(f.build());
                }
                if top.is_none()
                    && own.is_none()
                    && let Some(why) = agent
                        .map(|(_, why)| format!("runs an AI agent ({why})"))
                        .or_else(|| writes_with_token(job))
                {
                    let mut f = cx
                        .finding(
                            &GhaBroadPermissions::META,
                            job.key_span,
                            format!(
                                "job `{id}` {why} but neither it nor the workflow sets `permissions`: it inherits the repository's default token permissions, which may be read-write on every scope (a repository setting this file does not control)"
                            ),
                        )
                        .label("no `permissions`")
                        .help(HELP)
                        .severity(Severity::Medium)
                        .confidence(Confidence::Medium)
                        .key(format!("jobs.{id}:default-permissions"));
                    if let Some(name) = workload {
                        f = f.workload(name);
                    }
                    out.push(f.build());
                }
                if let Some((name, why)) = agent
                    && let Some(actions) = own
                        .or(top)
                        .and_then(|p| p.get("actions"))
                        .filter(|a| a.level.as_deref() == Some("write"))
                {
                    out.push(
                        cx.finding(
                            &GhaBroadPermissions::META,
                            actions.span,
                            format!(
                                "job `{id}` looks like an AI agent ({why}) and its token has `actions: write`: it can start, cancel and re-run workflows and delete their caches and artifacts"
                            ),
                        )
                        .label("`actions: write` for an agent")
                        .help("Grant `actions: read` if the agent reads CI results; trigger follow-up workflows from a job that runs no agent.")
                        .severity(Severity::Medium)
                        .workload(name)
                        .key(format!("jobs.{id}:actions-write"))
                        .build(),
                    );
                }
            }
        }
    }
}

fn is_write_all(p: &Permissions) -> bool {
    p.text.as_deref() == Some("write-all")
}

/// Whether a `${{ ... }}` value names a secret other than `GITHUB_TOKEN`: the step then
/// writes with that token, not the job's.
fn other_token(value: Option<&str>) -> bool {
    value.is_some_and(|t| github_secret_refs(t).any(|s| s != "GITHUB_TOKEN"))
}

/// How the job writes with the workflow token, if it does.
fn writes_with_token(job: &Job) -> Option<String> {
    let steps = &job.steps;
    // `git push` uses the token `actions/checkout` persisted, unless another was given.
    let checkout_other_token = steps.iter().any(|s| {
        s.uses
            .as_deref()
            .is_some_and(|u| u.starts_with("actions/checkout"))
            && other_token(lookup(&s.with, "token"))
    });
    for step in steps {
        if let Some(uses) = &step.uses {
            let lower = uses.to_ascii_lowercase();
            if let Some(a) = TOKEN_WRITING_ACTIONS.iter().find(|a| lower.starts_with(*a))
                && !other_token(lookup(&step.with, "github-token"))
                && !other_token(lookup(&step.with, "token"))
            {
                return Some(format!("writes with the token (`{a}`)"));
            }
        }
        if let Some(run) = &step.run {
            let env_token = ["GH_TOKEN", "GITHUB_TOKEN"]
                .iter()
                .any(|k| other_token(lookup(&step.env, k)));
            for cmd in TOKEN_WRITING_COMMANDS {
                let other = if *cmd == "git push" {
                    checkout_other_token
                } else {
                    env_token || other_token(lookup(&job.env, "GH_TOKEN"))
                };
                if run.contains(cmd) && !other {
                    return Some(format!("writes with the token (`{cmd}`)"));
                }
            }
        }
    }
    None
}
