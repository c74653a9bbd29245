use crate::findings::{Finding, Redacted};
use crate::model::accounts::Accounts;
use crate::model::facts::Workload;
use crate::model::identity::Identity;
use crate::model::settings::{EnvShape, EnvVar};
use crate::rules::{FileCx, FindingBuilder, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// An AI agent configured with an account whose name marks it as shared rather
    /// than the agent's own: `admin`, `root`, `shared`, `team`, `service-account`,
    /// `ci`, `automation` and names such as `shared-*`, `team-*`, `admin-role`. It
    /// reads the Kubernetes service account of agent pods, the AWS roles and GCP service
    /// accounts agents run as (Terraform, CloudFormation, workflow `role-to-assume`,
    /// joined across files), and, inside agent workloads (Kubernetes `env`, compose
    /// `environment`, MCP server `env` and `args`, workflow `env`): `*_USER`,
    /// `*_USERNAME` and `*_LOGIN` values, role ARNs and service account emails, and the
    /// login of connection URLs (`postgres://admin:…@db`). Names that belong to one
    /// agent (`triage-agent`, `svc-triage`) are fine; the `default` service account is
    /// `default-service-account`'s finding.
    ///
    /// ## Why it matters
    /// A generically named account is, by its name, meant for everyone: other
    /// workloads and people use it too, it holds the union of what all of them need,
    /// and the audit log cannot tell the agent's actions from theirs. `admin` and
    /// `root` accounts add full rights on top.
    ///
    /// ## What to do instead
    /// Create an account for the agent, named after it (`triage-agent`), granted only
    /// what its task needs, and reference that.
    ///
    /// ## Example
    /// ```json
    /// { "mcpServers": { "db": { "command": "mcp-postgres", "env": { "PGUSER": "admin" } } } }
    /// ```
    /// Use instead a database role for the agent, e.g. `"PGUSER": "triage_agent_ro"`.
    pub(crate) struct GenericSharedAccount {
        id: "generic-shared-account",
        family: SharedIdentity,
        severity: Medium,
        confidence: Medium,
        summary: "An agent uses an account whose name marks it as shared (admin, root, shared, team, ci)",
        applies_to: |kind| matches!(
            kind,
            FileKind::Kubernetes
                | FileKind::HelmTemplate
                | FileKind::Compose
                | FileKind::McpConfig
                | FileKind::GithubWorkflow
        ),
    }
}

const HELP: &str = "Create an account for this agent, named after it and granted only what its task needs, and use it instead of the shared one.";

impl Rule for GenericSharedAccount {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(accounts) = Accounts::builtin() else {
            return;
        };
        let mut hits: Vec<(Span, String, &'static str, String, &Workload)> = Vec::new();
        let agent_at = |span: Span| cx.facts.workload_at(span).filter(|w| w.agent.is_some());
        let mut push = |hit: Span, account: String, generic, what: String, workload| {
            if !hits.iter().any(|h| h.0 == hit) {
                hits.push((hit, account, generic, what, workload));
            }
        };
        let settings = &cx.facts.settings();
        for login in settings.logins.iter().filter(|l| l.literal) {
            let Some(w) = agent_at(login.span) else {
                continue;
            };
            if let Some(g) = accounts.generic_account(&login.login) {
                push(
                    cx.span_in(login.span, &login.raw),
                    login.login.clone(),
                    g,
                    format!("connects to {} as", login.service),
                    w,
                );
            }
        }
        // Role ARNs and accounts in environment values; the identities a workload runs
        // as are the project pass's.
        for var in settings.env.iter().filter(|v| workload_env(v)) {
            let Some(w) = agent_at(var.span) else {
                continue;
            };
            let key = var.name.as_deref().unwrap_or("");
            let value = var.value.trim();
            let (raw, checked, what) =
                if let Some(role) = crate::model::identity::role_name_from_arn(value) {
                    (role, role, format!("sets `{key}` to the AWS role"))
                } else if let Some(id) = crate::model::identity::gcp_account_id(value) {
                    (id, id, format!("sets `{key}` to the GCP service account"))
                } else if account_key(key) {
                    let login = value.split('@').next().unwrap_or(value);
                    if login.is_empty() {
                        continue;
                    }
                    (value, login, format!("sets `{key}` to"))
                } else {
                    continue;
                };
            if let Some(g) = accounts.generic_account(checked) {
                push(cx.span_in(var.span, raw), raw.to_owned(), g, what, w);
            }
        }
        for (span, account, generic, what, w) in hits {
            let workload = &w.name;
            let why = w.agent.as_deref().unwrap_or("");
            let message = format!(
                "{workload} {what} `{account}`, a generic `{generic}` account: other workloads and people share it, so the agent ({why}) holds what all of them need and its actions cannot be told apart"
            );
            out.push(
                cx.finding(&GenericSharedAccount::META, span, message)
                    .label(format!("generic `{generic}` account"))
                    .help(HELP)
                    .workload(workload)
                    .evidence(Redacted::plain(account.clone()))
                    .key(format!("{workload}:{account}"))
                    .build(),
            );
        }
    }

    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        let Some(accounts) = Accounts::builtin() else {
            return;
        };
        for w in cx.facts.workloads.iter().filter(|w| w.agent.is_some()) {
            let mut seen: Vec<&Identity> = Vec::new();
            for u in &w.identities {
                let name = match &u.identity {
                    Identity::K8sServiceAccount {
                        name,
                        implicit: false,
                        ..
                    } => name,
                    // Unresolved Terraform addresses (`scope:aws_iam_role.x`) carry no name.
                    Identity::AwsRole(name) | Identity::GcpServiceAccount(name)
                        if !name.contains(':') =>
                    {
                        name
                    }
                    _ => continue,
                };
                let Some(generic) = accounts.generic_account(name) else {
                    continue;
                };
                if seen.contains(&&u.identity) {
                    continue;
                }
                seen.push(&u.identity);
                let what = u.identity.describe();
                let message = format!(
                    "{} runs as {what}, a generic `{generic}` account: other workloads and people share it, so the agent ({}) holds what all of them need and its actions cannot be told apart",
                    w.name,
                    w.agent.as_deref().unwrap_or("")
                );
                let mut b = FindingBuilder::new(&Self::META, &w.path, u.span, message)
                    .label(format!("generic `{generic}` account"))
                    .help(HELP)
                    .workload(&w.name)
                    .evidence(Redacted::plain(name.clone()))
                    .key(format!("{}:{name}", w.name));
                for def in cx
                    .facts
                    .definitions
                    .iter()
                    .filter(|d| d.identity == u.identity)
                {
                    b = b.related(&def.path, def.span, "the account is defined here");
                }
                out.push(b.build());
            }
        }
    }
}

/// The shapes workloads write environments in: `env:`/`environment:` mappings,
/// Kubernetes `env: [{ name, value }]`, compose `environment: [KEY=value]`.
fn workload_env(var: &EnvVar) -> bool {
    matches!(
        (var.container.as_deref(), var.shape),
        (Some("env" | "environment"), EnvShape::Map)
            | (Some("env"), EnvShape::NameValue)
            | (Some("environment"), EnvShape::KeyEquals)
    )
}

/// Variables that name the account a process logs in as.
fn account_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase().replace('-', "_");
    matches!(k.as_str(), "USER" | "USERNAME" | "LOGIN" | "PGUSER")
        || ["_USER", "_USERNAME", "_USER_NAME", "_LOGIN"]
            .iter()
            .any(|s| k.ends_with(s))
}
