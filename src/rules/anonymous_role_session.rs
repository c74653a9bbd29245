use crate::findings::{Finding, Severity};
use crate::rules::{FileCx, FindingBuilder, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::Node;
use crate::syntax::shell::shell_words;
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
            _ => workflow(cx, out),
        }
    }
}

/// Session names that name no agent and no run.
fn generic_session_name(name: &str) -> bool {
    const GENERIC: &[&str] = &[
        "session",
        "mysession",
        "my-session",
        "ci",
        "cd",
        "cicd",
        "github",
        "githubactions",
        "github-actions",
        "gha",
        "actions",
        "default",
        "test",
        "temp",
        "tmp",
        "aws",
        "cli",
        "awscli",
        "automation",
        "deploy",
        "deployment",
        "build",
        "job",
        "runner",
        "workflow",
        "pipeline",
        "script",
        "assume",
        "assumed",
        "role",
        "terraform",
    ];
    let lower = name.trim().to_ascii_lowercase();
    !lower.contains('$') && GENERIC.contains(&lower.as_str())
}

const WORKFLOW_HELP: &str =
    "Name each session after the agent and the run, e.g. `<agent>-${{ github.run_id }}`.";

fn workflow(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
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
            for step in steps {
                if let Some(run) = step.get("run")
                    && let Some(script) = run.as_str()
                {
                    for (span, message) in sts_assume_role(cx, run, script) {
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
                let session = with
                    .and_then(|w| w.get("role-session-name"))
                    .filter(|n| !n.is_null());
                let (span, label, message) = match session {
                    None => (
                        uses.span,
                        "no role-session-name",
                        format!(
                            "{job} assumes an AWS role without `role-session-name`: every session is named `GitHubActions`, so CloudTrail cannot tell which agent or run acted"
                        ),
                    ),
                    Some(n) if n.as_str().is_some_and(generic_session_name) => (
                        n.span,
                        "a constant, generic session name",
                        format!(
                            "{job} assumes an AWS role with the session name `{}`, which names neither the agent nor the run: CloudTrail cannot tell which agent or run acted",
                            n.as_str().unwrap_or("")
                        ),
                    ),
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
}

/// `aws sts assume-role` calls in a script whose session name is missing or generic:
/// (span of the call or the name, what is wrong).
fn sts_assume_role(cx: &FileCx<'_>, node: &Node, script: &str) -> Vec<(Span, String)> {
    let words = shell_words(script);
    let mut out = Vec::new();
    let mut start = 0;
    for end in 0..=words.len() {
        if end < words.len() && !words[end].is_separator() {
            continue;
        }
        let cmd = &words[start..end];
        start = end + 1;
        // `aws` may be glued to a command substitution (`$(aws sts ...`).
        let is_call = cmd
            .windows(2)
            .any(|w| w[0].text == "sts" && w[1].text == "assume-role");
        if !is_call {
            continue;
        }
        let name = cmd.iter().enumerate().find_map(|(i, w)| {
            let v = if let Some(v) = w.text.strip_prefix("--role-session-name=") {
                v
            } else if w.text == "--role-session-name" {
                cmd.get(i + 1).map_or("", |n| n.text.as_str())
            } else {
                return None;
            };
            // The end of a command substitution sticks to the last word.
            Some(v.trim_end_matches(')').to_owned())
        });
        match name {
            None => out.push((
                cx.span_within(node, "assume-role"),
                "calls `aws sts assume-role` without `--role-session-name`: the session names neither the agent nor the run".to_owned(),
            )),
            Some(n) if generic_session_name(&n) => out.push((
                value_after(cx, node, "--role-session-name", &n),
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
/// when the text was unescaped and no longer appears verbatim.
fn value_after(cx: &FileCx<'_>, node: &Node, flag: &str, value: &str) -> Span {
    let raw = cx.file.slice(node.span);
    raw.find(flag)
        .and_then(|i| raw[i..].find(value).map(|j| i + j))
        .filter(|_| !value.is_empty())
        .map_or(node.span, |k| {
            let start = node.span.start as usize + k;
            Span::new(start, start + value.len())
        })
}

const TERRAFORM_HELP: &str = "Set `session_name` to a name that says who runs Terraform, e.g. `session_name = \"terraform-triage-agent\"` or one built from the CI run id.";

fn terraform(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for provider in doc.root.get_all("provider") {
            // HCL repeats `provider "aws"` blocks; Terraform JSON may list them.
            let blocks: Vec<&Node> = provider
                .get_all("aws")
                .flat_map(|b| {
                    if b.is_seq() {
                        b.items().iter().collect()
                    } else {
                        vec![b]
                    }
                })
                .collect();
            for aws in blocks {
                let alias = aws.get("alias").and_then(Node::as_str);
                for block in ["assume_role", "assume_role_with_web_identity"] {
                    for ar in aws.get_all(block).flat_map(|b| {
                        if b.is_seq() {
                            b.items().iter().collect()
                        } else {
                            vec![b]
                        }
                    }) {
                        let Some(role) = ar.get("role_arn") else {
                            continue;
                        };
                        if ar.get("session_name").is_some_and(|n| !n.is_null()) {
                            continue;
                        }
                        let name = match alias {
                            Some(a) => format!("provider `aws` (alias `{a}`)"),
                            None => "provider `aws`".to_owned(),
                        };
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
            }
        }
    }
}

fn aws_config(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for section in doc.root.entries() {
            let Some(name) = section.key_str() else {
                continue;
            };
            let Some(role) = section.value.get("role_arn") else {
                continue;
            };
            if section
                .value
                .get("role_session_name")
                .and_then(Node::as_str)
                .is_some_and(|n| !n.trim().is_empty())
            {
                continue;
            }
            let profile = name.strip_prefix("profile ").unwrap_or(name).trim();
            out.push(
                cx.finding(
                    &AnonymousRoleSession::META,
                    role.span,
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
}
