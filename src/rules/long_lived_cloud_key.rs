use crate::findings::{Finding, Redacted, Severity};
use crate::model::extract::is_placeholder_value;
use crate::rules::{FileCx, Rule, RuleMeta};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Node, Value};
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
            FileKind::Terraform | FileKind::TerraformJson => terraform(cx, out),
            FileKind::CloudFormation => cloudformation(cx, out),
            FileKind::GoogleCredentials => google_key_file(cx, out),
            FileKind::GithubWorkflow | FileKind::GithubAction => workflow(cx, out),
            _ => {}
        }
    }
}

/// Terraform resources that mint a long-lived key: (type, what it mints, the
/// attribute naming its owner, the alternative).
const TF_KEYS: &[(&str, &str, &str, &str)] = &[
    (
        "aws_iam_access_key",
        "a long-lived access key for IAM user",
        "user",
        "Give the workload an IAM role instead: OIDC federation for CI, IRSA or EKS Pod Identity on Kubernetes, an instance or task role on EC2, ECS and Lambda.",
    ),
    (
        "google_service_account_key",
        "a service account key for",
        "service_account_id",
        "Use workload identity federation (CI, other clouds) or GKE workload identity, or attach the service account to the compute; block keys with the `iam.disableServiceAccountKeyCreation` policy.",
    ),
    (
        "azuread_application_password",
        "a client secret for application",
        "application_id",
        "Use a federated identity credential (`azuread_application_federated_identity_credential`) for CI and other clouds, or a managed identity for Azure workloads.",
    ),
    (
        "azuread_service_principal_password",
        "a client secret for service principal",
        "service_principal_id",
        "Use a federated identity credential on the application, or a managed identity for Azure workloads.",
    ),
];

/// Terraform JSON allows a block to be an object or an array of objects.
fn blocks(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    }
}

fn terraform(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for resources in doc.root.get_all("resource").flat_map(blocks) {
            for ty in resources.entries() {
                let Some(t) = ty.key_str() else { continue };
                let Some((_, mints, owner_attr, help)) =
                    TF_KEYS.iter().find(|(name, ..)| *name == t)
                else {
                    continue;
                };
                for inst in blocks(&ty.value).into_iter().flat_map(Node::entries) {
                    let name = inst.key_str().unwrap_or("<unnamed>");
                    let owner = blocks(&inst.value)
                        .into_iter()
                        .find_map(|b| b.get(owner_attr))
                        .and_then(Node::as_text)
                        .unwrap_or("(unnamed)");
                    out.push(
                        cx.finding(
                            META,
                            ty.key.span,
                            format!(
                                "`{t}.{name}` mints {mints} `{owner}`: the key lives until someone rotates it, its secret is written to Terraform state, and every workload handed it shares one identity"
                            ),
                        )
                        .label("long-lived key")
                        .help(*help)
                        .evidence(Redacted::plain(format!("{t}.{name}")))
                        .key(format!("resource.{t}.{name}"))
                        .build(),
                    );
                }
            }
        }
    }
}

/// A CloudFormation value as written: `!Ref X`, `{"Ref": "X"}`, or a literal.
fn cfn_text(node: &Node) -> String {
    if let Some(text) = node.as_text() {
        return match node.tag() {
            Some(tag) => format!("{tag} {text}"),
            None => text.to_owned(),
        };
    }
    match node.entries() {
        [e] => format!(
            "{} {}",
            e.key_str().unwrap_or(""),
            e.value.as_text().unwrap_or("…")
        ),
        _ => "(unnamed)".to_owned(),
    }
}

fn cloudformation(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for res in doc
            .root
            .get("Resources")
            .map(Node::entries)
            .unwrap_or_default()
        {
            let Some(ty) = res
                .value
                .get("Type")
                .filter(|t| t.as_str() == Some("AWS::IAM::AccessKey"))
            else {
                continue;
            };
            let name = res.key_str().unwrap_or("<unnamed>");
            let user = res
                .value
                .get_path(&["Properties", "UserName"])
                .map_or_else(|| "(unnamed)".to_owned(), cfn_text);
            out.push(
                cx.finding(
                    META,
                    ty.span,
                    format!(
                        "`{name}` (AWS::IAM::AccessKey) mints a long-lived access key for IAM user `{user}`: the key lives until someone rotates it, and every workload handed it shares one identity"
                    ),
                )
                .label("long-lived key")
                .help("Give the workload an IAM role instead (`AWS::IAM::Role` assumed through OIDC federation, IRSA or EKS Pod Identity, or an instance or task role).")
                .evidence(Redacted::plain(format!("Resources.{name}")))
                .key(format!("Resources.{name}"))
                .build(),
            );
        }
    }
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
