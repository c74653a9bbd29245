use std::sync::Arc;

use crate::findings::{Finding, Redacted, Severity};
use crate::model::extract::is_placeholder_value;
use crate::model::facts::Workload;
use crate::model::keys::{KeyKind, MintedKey, flows};
use crate::rules::{FileCx, FindingBuilder, ProjectCx, Rule, RuleMeta};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::Node;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Long-lived cloud keys minted or used for a workload where federation fits:
    /// Terraform `aws_iam_access_key`, `google_service_account_key`,
    /// `azuread_application_password` and `azuread_service_principal_password`
    /// resources (HCL and JSON); CloudFormation `AWS::IAM::AccessKey`; committed Google
    /// service account key files (`"type": "service_account"` with a `private_key`);
    /// GitHub Actions that authenticate with a stored key instead of OIDC:
    /// `aws-access-key-id` on `aws-actions/configure-aws-credentials`,
    /// `AWS_ACCESS_KEY_ID: ${{ secrets.… }}` in a job's environment, `credentials_json`
    /// on `google-github-actions/auth`, `creds` on `azure/login`.
    ///
    /// Calls of well-known IAM modules count as the keys they mint: the community
    /// `terraform-aws-modules/iam` `iam-user` module creates an access key unless
    /// `create_iam_access_key` (v5) or `create_access_key` (v6) is `false` (the table is
    /// `rules/modules.toml`).
    ///
    /// A key minted in Terraform or CloudFormation is followed to the workloads of its
    /// module (directory) or template that are handed it in plain text: a Lambda or
    /// Cloud Functions environment, ECS container definitions, a CodeBuild `PLAINTEXT`
    /// variable, an Elastic Beanstalk environment property, EC2 user data (launch
    /// templates and configurations too), a Kubernetes Secret, a `String` SSM
    /// parameter, Azure app settings. References are followed through `locals`,
    /// variable defaults, `templatefile` arguments, heredoc interpolation, the outputs
    /// of the module that minted it (`module.x.iam_access_key_secret`), and
    /// CloudFormation `!Ref`, `!GetAtt` and `!Sub`. The finding stays on the key, names
    /// the workloads and points at each hand-over; a key handed to an AI agent is
    /// critical.
    ///
    /// ## Why it matters
    /// These keys never expire on their own. Terraform writes their secret into its
    /// state, CI copies them into every run, and every workload that is handed "the
    /// key" shares one identity, so nothing can be attributed or revoked for one agent
    /// alone. A leaked key works from anywhere until someone notices and rotates it.
    ///
    /// ## What to do instead
    /// Federate: GitHub's OIDC token with `role-to-assume` (AWS),
    /// `workload_identity_provider` (Google) or a federated credential with `client-id`
    /// (Azure); IRSA or EKS Pod Identity, GKE workload identity and managed identities
    /// for workloads; an instance, task or attached service account elsewhere.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_iam_access_key" "agent" { user = aws_iam_user.agent.name }
    /// ```
    /// Use instead an `aws_iam_role` whose trust policy admits the agent's OIDC
    /// provider or service account.
    pub(crate) struct LongLivedCloudKey {
        id: "long-lived-cloud-key",
        family: StaticSecret,
        severity: High,
        confidence: High,
        summary: "A long-lived cloud key is minted or used where federation fits",
        applies_to: |kind| matches!(
            kind,
            FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::CloudFormation
                | FileKind::GoogleCredentials
                | FileKind::GithubWorkflow
                | FileKind::GithubAction
        ),
    }
}

const META: &RuleMeta = &LongLivedCloudKey::META;

impl Rule for LongLivedCloudKey {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        match cx.file.kind {
            FileKind::GoogleCredentials => google_key_file(cx, out),
            FileKind::GithubWorkflow | FileKind::GithubAction => workflow(cx, out),
            _ => {}
        }
    }

    /// Keys minted in Terraform and CloudFormation are judged with the module or
    /// template they are in, which may hand them to workloads from other files.
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        minted_keys(cx, out);
    }
}

/// What a minted key is and what to use instead, by its kind.
fn mints(k: &MintedKey) -> (&'static str, &'static str) {
    match (k.kind, k.ty.as_str()) {
        (KeyKind::AwsAccessKey, _) => (
            "a long-lived access key for IAM user",
            "Give the workload an IAM role instead: OIDC federation for CI, IRSA or EKS Pod Identity on Kubernetes, an instance or task role on EC2, ECS and Lambda.",
        ),
        (KeyKind::GcpServiceAccountKey, _) => (
            "a service account key for",
            "Use workload identity federation (CI, other clouds) or GKE workload identity, or attach the service account to the compute; block keys with the `iam.disableServiceAccountKeyCreation` policy.",
        ),
        (KeyKind::AzureClientSecret, "azuread_service_principal_password") => (
            "a client secret for service principal",
            "Use a federated identity credential on the application, or a managed identity for Azure workloads.",
        ),
        (KeyKind::AzureClientSecret, _) => (
            "a client secret for application",
            "Use a federated identity credential (`azuread_application_federated_identity_credential`) for CI and other clouds, or a managed identity for Azure workloads.",
        ),
    }
}

/// Keys minted in Terraform (resources, calls of well-known IAM modules) and
/// CloudFormation, each with the workloads of its module or template it is handed to.
fn minted_keys(cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
    for flow in flows(&cx.facts.infra.keys) {
        let k = flow.key;
        let (what, help) = mints(k);
        // A resource type names itself in its address; a logical id or a module call
        // does not.
        let subject = if k.ty.starts_with("AWS::") || k.address.starts_with("module.") {
            format!("`{}` ({})", k.address, k.ty)
        } else {
            format!("`{}`", k.address)
        };
        let owner = if k.address.starts_with("module.") {
            // The module describes its user itself.
            k.owner.clone()
        } else {
            // The user's name when the module or template names it literally; a
            // CloudFormation reference (`${AgentUser}`) by its logical id.
            let owner = flow
                .owner_name
                .unwrap_or_else(|| k.owner.trim_start_matches("${").trim_end_matches('}'));
            format!("`{owner}`")
        };
        let what = if k.address.starts_with("module.") {
            "a long-lived access key for the"
        } else {
            what
        };
        let state = if k.ty.starts_with("AWS::") {
            ""
        } else {
            " its secret is written to Terraform state,"
        };
        let mut message = format!(
            "{subject} mints {what} {owner}: the key lives until someone rotates it,{state} and every workload handed it shares one identity"
        );
        // The workloads it is handed to, agents first.
        let mut consumers: Vec<String> = Vec::new();
        let mut agents: Vec<&Workload> = Vec::new();
        for (h, path) in &flow.to {
            let w = workload_at(cx, path, h.span);
            if let Some(w) = w.filter(|w| w.agent.is_some())
                && !agents.iter().any(|a| std::ptr::eq(*a, w))
            {
                agents.push(w);
            }
            let c = format!("{} `{}`", h.what, h.consumer);
            if !consumers.contains(&c) {
                consumers.push(c);
            }
        }
        let mut severity = Severity::High;
        if !consumers.is_empty() {
            message.push_str(&format!(
                "; it is handed in plain text to {}",
                consumers.join(", ")
            ));
        }
        if !agents.is_empty() {
            let names: Vec<String> = agents
                .iter()
                .map(|w| format!("{} ({})", w.name, w.agent.as_deref().unwrap_or("")))
                .collect();
            message.push_str(&format!(
                "; AI agent {} runs on it, so anything injected into the agent can use the key from anywhere",
                names.join(", ")
            ));
            severity = Severity::Critical;
        }
        let mut b = FindingBuilder::new(META, &flow.path, k.span, message)
            .label("long-lived key")
            .help(help)
            .severity(severity)
            .agent_context(!agents.is_empty())
            .evidence(Redacted::plain(k.key.clone()))
            .key(k.key.clone());
        for (h, path) in &flow.to {
            b = b.related(
                path,
                h.span,
                format!("handed to {} `{}`", h.what, h.consumer),
            );
        }
        if let Some(w) = agents.first() {
            b = b.workload(&w.name);
        }
        out.push(b.build());
    }
}

/// The innermost workload of a file whose definition holds `span`.
fn workload_at<'a>(cx: &'a ProjectCx<'_>, path: &Arc<str>, span: Span) -> Option<&'a Workload> {
    cx.facts
        .workloads
        .iter()
        .filter(|w| w.path == *path && w.extent.start <= span.start && span.end <= w.extent.end)
        .min_by_key(|w| w.extent.len())
}

/// The span of a scalar without its quotes.
fn inner(cx: &FileCx<'_>, node: &Node) -> Span {
    let s = node.span;
    let bytes = cx.file.bytes.get(s.range()).unwrap_or_default();
    match (bytes.first(), bytes.last()) {
        (Some(&a), Some(&b)) if bytes.len() >= 2 && a == b && (a == b'"' || a == b'\'') => {
            Span::new(s.start as usize + 1, s.end as usize - 1)
        }
        _ => s,
    }
}

fn google_key_file(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let root = &doc.root;
        let Some(ty) = root
            .get("type")
            .filter(|t| t.as_str() == Some("service_account"))
        else {
            continue;
        };
        let Some(key) = root
            .get("private_key")
            .filter(|k| k.as_str().is_some_and(|s| !is_placeholder_value(s)))
        else {
            continue;
        };
        let email = root
            .get("client_email")
            .and_then(Node::as_str)
            .unwrap_or("(unknown)");
        let key_span = inner(cx, key);
        out.push(
            cx.finding(
                META,
                inner(cx, ty),
                format!(
                    "a Google service account key for `{email}` is committed: the key is valid until it is deleted (by default it never expires), works from anywhere, and every workload given this file shares the service account"
                ),
            )
            .label("service account key file")
            .help("Use workload identity federation (an `external_account` configuration, which holds no secret), GKE workload identity, or the service account attached to the compute; delete this key.")
            .evidence(Redacted::plain(format!("service_account {email}")))
            .key(format!("google-service-account-key:{email}"))
            .related(cx.path, key_span, "private key")
            // The PEM header is public; the catalog masks only that header's line.
            .mask(key_span, 10)
            .build(),
        );
    }
}

/// Whether a workflow value hands over a stored secret or a literal (not an output
/// of a previous step, such as credentials an OIDC step just issued).
fn static_value(node: &Node) -> bool {
    let Some(text) = node.as_text() else {
        return false;
    };
    if text.contains("${{") {
        return text.contains("secrets.") || text.contains("vars.");
    }
    !is_placeholder_value(text)
}

/// Actions inputs that take a long-lived key: (action prefix, input, what, help).
const ACTION_INPUTS: &[(&str, &str, &str, &str)] = &[
    (
        "aws-actions/configure-aws-credentials",
        "aws-access-key-id",
        "a static AWS access key of an IAM user",
        "Use GitHub's OIDC token: `permissions: id-token: write` and `role-to-assume` (with `role-session-name`) on `aws-actions/configure-aws-credentials`.",
    ),
    (
        "google-github-actions/auth",
        "credentials_json",
        "a Google service account key",
        "Use `workload_identity_provider` and `service_account` on `google-github-actions/auth` with `permissions: id-token: write`.",
    ),
    (
        "azure/login",
        "creds",
        "a service principal client secret",
        "Use `client-id`, `tenant-id` and `subscription-id` on `azure/login` with a federated credential and `permissions: id-token: write`.",
    ),
];

const AWS_KEY_VARS: &[&str] = &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

/// Where a workflow finding belongs: its job (as `facts` names it) and whether that
/// job runs an agent.
struct JobCx<'a> {
    workload: Option<&'a str>,
    agent: bool,
    path: String,
}

fn workflow(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let root = &doc.root;
        let top = JobCx {
            workload: None,
            agent: false,
            path: String::new(),
        };
        if let Some(env) = root.get("env") {
            env_keys(cx, env, &top, "env", out);
        }
        if let Some(steps) = root.get_path(&["runs", "steps"]) {
            steps_keys(cx, steps, &top, "runs.steps", out);
        }
        for job in root.get("jobs").map(Node::entries).unwrap_or_default() {
            let id = job.key_str().unwrap_or("<job>");
            let name = format!("workflow job {id}");
            let w = cx.facts.workloads.iter().find(|w| w.name == name);
            let jcx = JobCx {
                workload: w.map(|w| w.name.as_str()),
                agent: w.is_some_and(|w| w.agent.is_some()),
                path: format!("jobs.{id}."),
            };
            if let Some(env) = job.value.get("env") {
                env_keys(cx, env, &jcx, "env", out);
            }
            if let Some(steps) = job.value.get("steps") {
                steps_keys(cx, steps, &jcx, "steps", out);
            }
        }
    }
}

fn push(
    cx: &FileCx<'_>,
    jcx: &JobCx<'_>,
    span: Span,
    what: &str,
    help: &str,
    key: String,
    out: &mut Vec<Finding>,
) {
    let subject = jcx.workload.unwrap_or("this workflow");
    let mut message = format!(
        "{subject} authenticates with {what} instead of OIDC federation: the key lives until someone rotates it, is shared by every run that can read the secret, and cannot be tied to one run"
    );
    let severity = if jcx.agent {
        message.push_str("; the job runs an AI agent, which holds the key for its whole run");
        Severity::High
    } else {
        Severity::Medium
    };
    let mut b = cx
        .finding(META, span, message)
        .severity(severity)
        .label("long-lived key")
        .help(help)
        .evidence(Redacted::plain(key.clone()))
        .key(key);
    if let Some(w) = jcx.workload {
        b = b.workload(w);
    }
    out.push(b.build());
}

fn env_keys(cx: &FileCx<'_>, env: &Node, jcx: &JobCx<'_>, at: &str, out: &mut Vec<Finding>) {
    // One finding per environment: the key ID and its secret are one credential.
    let hit = AWS_KEY_VARS.iter().find_map(|var| {
        env.entries()
            .iter()
            .find(|e| e.key_str() == Some(*var) && static_value(&e.value))
            .map(|e| (var, e))
    });
    if let Some((var, e)) = hit {
        push(
            cx,
            jcx,
            e.key.span,
            "a static AWS access key of an IAM user",
            "Use GitHub's OIDC token: `permissions: id-token: write` and `aws-actions/configure-aws-credentials` with `role-to-assume`, instead of key variables.",
            format!("{}{at}.{var}", jcx.path),
            out,
        );
    }
}

fn steps_keys(cx: &FileCx<'_>, steps: &Node, jcx: &JobCx<'_>, at: &str, out: &mut Vec<Finding>) {
    for (i, step) in steps.items().iter().enumerate() {
        let uses = step
            .get("uses")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        for (action, input, what, help) in ACTION_INPUTS {
            if !uses.starts_with(action) {
                continue;
            }
            if let Some(e) = step
                .get("with")
                .and_then(|w| w.entry(input))
                .filter(|e| static_value(&e.value))
            {
                push(
                    cx,
                    jcx,
                    e.key.span,
                    &format!("{what} (`{input}`)"),
                    help,
                    format!("{}{at}[{i}].with.{input}", jcx.path),
                    out,
                );
            }
        }
        if let Some(env) = step.get("env") {
            env_keys(cx, env, jcx, &format!("{at}[{i}].env"), out);
        }
    }
}
