use crate::findings::{Finding, Severity};
use crate::model::accounts::Accounts;
use crate::model::runtime::WorkloadKey;
use crate::rules::{FileCx, FindingBuilder, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// An AWS role assumed under a session name that does not say who is acting:
    ///
    /// - a GitHub Actions step with `aws-actions/configure-aws-credentials` and
    ///   `role-to-assume` but no `role-session-name` (the action then names every
    ///   session `GitHubActions`), or a constant, generic one (`ci`, `session`,
    ///   `github`);
    /// - `aws sts assume-role` in a workflow `run:` script without
    ///   `--role-session-name`, or with a constant, generic one;
    /// - a Terraform `provider "aws"` whose `assume_role` or
    ///   `assume_role_with_web_identity` block has a `role_arn` and no `session_name`;
    /// - a profile of an AWS shared config file (`.aws/config`) with a `role_arn` and no
    ///   `role_session_name` (the SDKs then generate an anonymous
    ///   `botocore-session-<timestamp>`).
    ///
    /// ## Why it matters
    /// CloudTrail records the session name of every call made with the role. When
    /// every run (every agent, every workflow) uses the same default name, nobody can
    /// tell which agent or run did what, and per-agent alerting or revocation is
    /// impossible.
    ///
    /// ## What to do instead
    /// Set a session name that names the agent and the run, e.g.
    /// `role-session-name: triage-agent-${{ github.run_id }}`,
    /// `session_name = "terraform-triage-agent"`, `role_session_name = triage-agent`.
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
        applies_to: |kind| matches!(
            kind,
            FileKind::GithubWorkflow
                | FileKind::GithubAction
                | FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::AwsConfig
        ),
    }
}

impl Rule for AnonymousRoleSession {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        match cx.file.kind {
            FileKind::Terraform | FileKind::TerraformJson => terraform(cx, out),
            FileKind::AwsConfig => aws_config(cx, out),
            _ => {
                // Generic session names are data (`rules/accounts.toml`).
                if let Some(accounts) = Accounts::builtin() {
                    workflow(cx, accounts, out);
                }
            }
        }
    }
}

const WORKFLOW_HELP: &str =
    "Name each session after the agent and the run, e.g. `<agent>-${{ github.run_id }}`.";

fn workflow(cx: &FileCx<'_>, accounts: &Accounts, out: &mut Vec<Finding>) {
    for list in &cx.facts.runtime().step_lists {
        // A job whose id is not a scalar is named with an empty id, as always.
        let key = (!list.composite)
            .then(|| WorkloadKey::WorkflowJob(list.job.clone().unwrap_or_default()));
        let job = match &key {
            Some(key) => key.to_string(),
            None => "composite action".to_owned(),
        };
        let agent = key
            .as_ref()
            .and_then(|k| cx.facts.workload(k))
            .and_then(|w| w.agent.as_deref());
        let finish = |b: FindingBuilder| {
            let b = b.workload(&job);
            match agent {
                Some(_) => b.severity(Severity::High),
                None => b,
            }
            .build()
        };
        let agent_note = agent
            .map(|why| format!(" (the job runs an AI agent: {why})"))
            .unwrap_or_default();
        for step in &list.steps {
            if let Some(run) = &step.run
                && run.as_str().is_some()
            {
                for (span, message) in sts_assume_role(cx, accounts, run.span, &step.commands) {
                    let b = cx
                        .finding(
                            &AnonymousRoleSession::META,
                            span,
                            format!("{job} {message}{agent_note}"),
                        )
                        .label("no attributable session name")
                        .help(WORKFLOW_HELP)
                        .key(format!("{job}:sts-assume-role:{}", cx.file.slice(span)));
                    out.push(finish(b));
                }
            }
            let Some(uses) = &step.uses else {
                continue;
            };
            if !uses
                .as_str()
                .is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials"))
            {
                continue;
            }
            let Some(role) = step.input("role-to-assume") else {
                continue;
            };
            let session = step.input("role-session-name").filter(|n| !n.is_null());
            let (span, label, message) = match session {
                None => (
                    uses.span,
                    "no role-session-name",
                    format!(
                        "{job} assumes an AWS role without `role-session-name`: every session is named `GitHubActions`, so CloudTrail cannot tell which agent or run acted"
                    ),
                ),
                Some(n)
                    if n.as_str()
                        .is_some_and(|name| accounts.generic_session_name(name)) =>
                {
                    (
                        n.span,
                        "a constant, generic session name",
                        format!(
                            "{job} assumes an AWS role with the session name `{}`, which names neither the agent nor the run: CloudTrail cannot tell which agent or run acted",
                            n.as_str().unwrap_or("")
                        ),
                    )
                }
                Some(_) => continue,
            };
            let b = cx
                .finding(
                    &AnonymousRoleSession::META,
                    span,
                    format!("{message}{agent_note}"),
                )
                .label(label)
                .related(cx.path, role.span, "the role assumed")
                .help("Add `role-session-name: <agent>-${{ github.run_id }}` so each session names the agent and the run.")
                .key(format!("{job}:{}", role.as_text().unwrap_or("")));
            out.push(finish(b));
        }
    }
}

/// `aws sts assume-role` calls among a script's commands whose session name is
/// missing or generic: (span of the call or the name, what is wrong).
fn sts_assume_role(
    cx: &FileCx<'_>,
    accounts: &Accounts,
    run: Span,
    commands: &[Vec<String>],
) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    for cmd in commands {
        // `aws` may be glued to a command substitution (`$(aws sts ...`).
        let is_call = cmd
            .windows(2)
            .any(|w| w[0] == "sts" && w[1] == "assume-role");
        if !is_call {
            continue;
        }
        let name = cmd.iter().enumerate().find_map(|(i, w)| {
            let v = if let Some(v) = w.strip_prefix("--role-session-name=") {
                v
            } else if w == "--role-session-name" {
                cmd.get(i + 1).map_or("", String::as_str)
            } else {
                return None;
            };
            // The end of a command substitution sticks to the last word.
            Some(v.trim_end_matches(')').to_owned())
        });
        match name {
            None => out.push((
                cx.span_in(run, "assume-role"),
                "calls `aws sts assume-role` without `--role-session-name`: the session names neither the agent nor the run".to_owned(),
            )),
            Some(n) if accounts.generic_session_name(&n) => out.push((
                value_after(cx, run, "--role-session-name", &n),
                format!(
                    "calls `aws sts assume-role` with the session name `{n}`, which names neither the agent nor the run: CloudTrail cannot tell which agent or run acted"
                ),
            )),
            Some(_) => {}
        }
    }
    out
}

/// The span of `value` written after `flag` in a node's source text; the node's span
/// when the text was unescaped and no longer appears verbatim. Shell words lose their
/// place in the source once YAML and shell quoting are undone, so the source text is
/// searched to point at the value (this locates, it does not read the format).
fn value_after(cx: &FileCx<'_>, node: Span, flag: &str, value: &str) -> Span {
    let raw = cx.file.slice(node);
    raw.find(flag)
        .and_then(|i| raw[i..].find(value).map(|j| i + j))
        .filter(|_| !value.is_empty())
        .map_or(node, |k| {
            let start = node.start as usize + k;
            Span::new(start, start + value.len())
        })
}

const TERRAFORM_HELP: &str = "Set `session_name` to a name that says who runs Terraform, e.g. `session_name = \"terraform-triage-agent\"` or one built from the CI run id.";

fn terraform(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for assumed in &cx.facts.audit().provider_roles {
        if assumed.session_name.is_some() {
            continue;
        }
        let name = match &assumed.alias {
            Some(a) => format!("provider `aws` (alias `{a}`)"),
            None => "provider `aws`".to_owned(),
        };
        let block = assumed.block;
        let role = &assumed.role_arn;
        out.push(
            cx.finding(
                &AnonymousRoleSession::META,
                role.span,
                format!(
                    "{name} assumes a role in `{block}` without `session_name`: CloudTrail records an anonymous session, so nobody can tell which pipeline, agent or person ran Terraform"
                ),
            )
            .label("no session_name")
            .help(TERRAFORM_HELP)
            .key(format!("{name}:{block}:{}", role.as_text().unwrap_or("")))
            .build(),
        );
    }
}

fn aws_config(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for profile_role in &cx.facts.audit().profile_roles {
        if profile_role
            .session_name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty())
        {
            continue;
        }
        let name = &profile_role.section;
        let profile = name.strip_prefix("profile ").unwrap_or(name).trim();
        out.push(
            cx.finding(
                &AnonymousRoleSession::META,
                profile_role.role_arn.span,
                format!(
                    "AWS profile `{profile}` assumes a role without `role_session_name`: the SDKs name the session `botocore-session-<timestamp>`, so CloudTrail cannot tell which agent or person used it"
                ),
            )
            .label("no role_session_name")
            .help(format!(
                "Add `role_session_name = <agent or person>` to the `{profile}` profile, or give each agent its own profile with its own session name."
            ))
            .key(format!("{name}:role_arn"))
            .build(),
        );
    }
}
