use crate::findings::{Finding, Redacted};
use crate::model::identity::Identity;
use crate::rules::personal_identity::dsn_logins;
use crate::rules::{FileCx, FindingBuilder, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Node, PathSeg};
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

/// Words that make an account name generic on their own.
const GENERIC: &[&str] = &[
    "admin",
    "admins",
    "administrator",
    "administrators",
    "root",
    "superuser",
    "shared",
    "team",
    "service",
    "serviceaccount",
    "ci",
    "cicd",
    "automation",
    "common",
    "generic",
    "everyone",
];

/// Words that say what kind of account a name is without saying whose it is.
const FILLER: &[&str] = &[
    "role",
    "account",
    "acct",
    "user",
    "sa",
    "svc",
    "iam",
    "identity",
    "prod",
    "production",
    "dev",
    "staging",
    "stage",
    "main",
];

/// The generic word that makes an account name shared, if it is: every word of it is
/// generic or filler (`admin`, `ci-user`, `service-account`, `admin-role`), or it
/// starts with `shared` or `team` (`shared-agents`, `team_platform`).
pub(crate) fn generic_account(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['-', '_', '.', ' '])
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .collect();
    let generic = |w: &str| GENERIC.iter().copied().find(|g| *g == w);
    if let Some(first) = words.first()
        && words.len() > 1
        && let Some(g) = generic(first).filter(|g| matches!(*g, "shared" | "team"))
    {
        return Some(g);
    }
    let mut found = None;
    for w in &words {
        match generic(w) {
            Some(g) => found = found.or(Some(g)),
            None if FILLER.contains(w) => {}
            None => return None,
        }
    }
    found
}

impl Rule for GenericSharedAccount {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let mut hits: Vec<(Span, String, &'static str, String, String)> = Vec::new();
        for doc in cx.documents() {
            doc.root.walk(|path, node| {
                let Some(text) = node.as_str() else { return };
                let Some(w) = cx.facts.workload_at(node.span) else {
                    return;
                };
                if w.agent.is_none() {
                    return;
                }
                let mut push = |raw: &str, account: String, generic, what: String| {
                    let span = cx.span_within(node, raw);
                    if !hits.iter().any(|h| h.0 == span) {
                        hits.push((span, account, generic, what, w.name.clone()));
                    }
                };
                for (service, raw, login) in dsn_logins(text) {
                    if let Some(g) = generic_account(&login) {
                        push(raw, login.clone(), g, format!("connects to {service} as"));
                    }
                }
                // Role ARNs and accounts in environment values; the identities a
                // workload runs as are the project pass's.
                let Some((key, value)) = env_value(path, node, &doc.root) else {
                    return;
                };
                let value = value.trim();
                if let Some(role) = crate::model::identity::role_name_from_arn(value) {
                    if let Some(g) = generic_account(role) {
                        push(
                            role,
                            role.to_owned(),
                            g,
                            format!("sets `{key}` to the AWS role"),
                        );
                    }
                } else if let Some(id) = crate::model::identity::gcp_account_id(value) {
                    if let Some(g) = generic_account(id) {
                        push(
                            id,
                            id.to_owned(),
                            g,
                            format!("sets `{key}` to the GCP service account"),
                        );
                    }
                } else if account_key(&key) {
                    let login = value.split('@').next().unwrap_or(value);
                    if !login.is_empty()
                        && let Some(g) = generic_account(login)
                    {
                        push(value, value.to_owned(), g, format!("sets `{key}` to"));
                    }
                }
            });
        }
        for (span, account, generic, what, workload) in hits {
            let message = format!(
                "{workload} {what} `{account}`, a generic `{generic}` account: other workloads and people share it, so the agent holds what all of them need and its actions cannot be told apart"
            );
            out.push(
                cx.finding(&GenericSharedAccount::META, span, message)
                    .label(format!("generic `{generic}` account"))
                    .help(HELP)
                    .workload(&workload)
                    .evidence(Redacted::plain(account.clone()))
                    .key(format!("{workload}:{account}"))
                    .build(),
            );
        }
    }

    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
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
                let Some(generic) = generic_account(name) else {
                    continue;
                };
                if seen.contains(&&u.identity) {
                    continue;
                }
                seen.push(&u.identity);
                let what = u.identity.describe();
                let message = format!(
                    "{} runs as {what}, a generic `{generic}` account: other workloads and people share it, so the agent holds what all of them need and its actions cannot be told apart",
                    w.name
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

/// The environment variable `node` sets and its value, in any of the shapes
/// workloads write environments in.
fn env_value<'a>(
    path: &[PathSeg<'a>],
    node: &'a Node,
    root: &'a Node,
) -> Option<(String, &'a str)> {
    let text = node.as_str()?;
    match path {
        // `env: { KEY: value }`, `environment: { KEY: value }`
        [.., PathSeg::Key(container), PathSeg::Key(key)]
            if matches!(*container, "env" | "environment") =>
        {
            Some(((*key).to_owned(), text))
        }
        // Kubernetes `env: [{ name: KEY, value: v }]`
        [
            ..,
            PathSeg::Key("env"),
            PathSeg::Index(_),
            PathSeg::Key("value"),
        ] => {
            let item = crate::syntax::doc::node_at(root, &path[..path.len() - 1])?;
            let name = item.get("name").and_then(Node::as_str)?;
            Some((name.to_owned(), text))
        }
        // Compose `environment: [KEY=value]`
        [.., PathSeg::Key("environment"), PathSeg::Index(_)] => {
            text.split_once('=').map(|(k, v)| (k.to_owned(), v))
        }
        _ => None,
    }
}

/// Variables that name the account a process logs in as.
fn account_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase().replace('-', "_");
    matches!(k.as_str(), "USER" | "USERNAME" | "LOGIN" | "PGUSER")
        || ["_USER", "_USERNAME", "_USER_NAME", "_LOGIN"]
            .iter()
            .any(|s| k.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_and_own_names() {
        for name in [
            "admin",
            "root",
            "shared",
            "team",
            "service-account",
            "serviceaccount",
            "ci",
            "automation",
            "shared-agents",
            "team_platform",
            "admin-role",
            "ci-user",
            "Administrator",
        ] {
            assert!(generic_account(name).is_some(), "{name}");
        }
        for name in [
            "triage-agent",
            "svc-triage",
            "ci-runner-triage",
            "default",
            "sa",
            "role",
            "deploy-agent",
            "",
            "rooted",
        ] {
            assert!(generic_account(name).is_none(), "{name}");
        }
    }
}
