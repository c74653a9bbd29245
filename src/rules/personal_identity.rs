use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::people::personal_login;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, PathSeg, path_string};

declare_rule! {
    /// ## What it finds
    /// A person's email address or login used as the identity a workload runs or
    /// connects as, or a workload that connects with Windows integrated authentication
    /// (`Trusted_Connection=yes`, `Integrated Security=true` or `SSPI` in a SQL Server
    /// connection string of an MCP server, container or job): it runs as whoever is
    /// logged in. Also: environment variables named `USER`, `USERNAME`, `LOGIN`, `OWNER`,
    /// `RUN_AS`, `*_USER`, `*_USERNAME`, `*_EMAIL`, `*_LOGIN`, `GIT_AUTHOR_EMAIL`,
    /// `AWS_PROFILE` (in `.env` files, compose `environment`, Kubernetes `env`, MCP
    /// server `env`, Dockerfile `ENV`, workflow `env`, Terraform `variables`), the login
    /// of a connection URL (`postgres://jane.doe:…@db`), `run_as` settings
    /// (Databricks `run_as { user_name = … }`), and kubeconfig users and contexts named
    /// by an email. A value counts as a person when it is an address at a consumer mail
    /// provider (gmail.com, outlook.com, icloud.com, proton.me, gmx, ...: high
    /// confidence), a person-shaped address at another domain (`first.last@`,
    /// `jdoe@`: medium) or a `first.last` login (medium). Service accounts
    /// (`*.gserviceaccount.com`), bots (`[bot]`, `noreply`), role mailboxes (`admin@`,
    /// `ci@`, `deploy@`), documentation domains (`example.com`) and templated values
    /// (`${DB_USER}`) are not people.
    ///
    /// ## Why it matters
    /// The workload borrows that person's account: every query, commit or API call is
    /// logged under their name, it can reach everything their account can, and it
    /// breaks or keeps running with their rights when they change teams or leave.
    /// Nobody can tell what the agent did from what the person did.
    ///
    /// ## What to do instead
    /// Create an identity for the workload: a database role for the agent (a SQL login
    /// or a managed identity instead of integrated authentication), a bot or service
    /// user (with a `[bot]` noreply address for commits), a service account or
    /// per-agent IAM role, and reference its credentials from a secret store.
    ///
    /// ## Example
    /// ```json
    /// { "mcpServers": { "jira": { "env": { "JIRA_USERNAME": "jane.doe@gmail.com" } } } }
    /// ```
    /// Use instead a dedicated Atlassian service account for the agent, e.g.
    /// `"JIRA_USERNAME": "triage-agent@acme-corp.io"`.
    pub(crate) struct PersonalIdentity {
        id: "personal-identity",
        family: BorrowedCredential,
        severity: Medium,
        confidence: Medium,
        summary: "A person's email or login is the identity a workload runs or connects as",
    }
}

const HELP: &str = "Create an identity for this workload (a database role, a bot or service user, a service account or per-agent role) and use its name here; people's logins are for people.";

/// Keys whose value is a set of environment variables.
const ENV_CONTAINERS: &[&str] = &[
    "env",
    "environment",
    "variables",
    "environment_variables",
    "env_vars",
];

impl Rule for PersonalIdentity {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let mut hits = Vec::new();
        for doc in cx.documents() {
            collect(cx.file.kind, doc, &mut hits);
            for hit in hits.drain(..) {
                // Integrated authentication is reported only where something runs with it.
                if matches!(hit.how, How::IntegratedAuth)
                    && cx.facts.workload_at(hit.node.span).is_none()
                    && !matches!(cx.file.kind, FileKind::Dotenv | FileKind::Dockerfile)
                {
                    continue;
                }
                let f = finding(cx, hit);
                if !out
                    .iter()
                    .any(|o: &Finding| o.rule() == f.rule() && o.primary().span == f.primary().span)
                {
                    out.push(f);
                }
            }
        }
    }
}

/// A person's login, where it was found and in what role.
struct Hit<'a> {
    node: &'a Node,
    /// The login as written (to locate it inside the node).
    raw: String,
    /// The login, decoded.
    login: String,
    confidence: Confidence,
    how: How,
    path: String,
}

enum How {
    /// An environment variable of this name.
    Env(String),
    /// The login of a connection URL to this service.
    Dsn(String),
    /// A `run_as`-style setting.
    RunAs(String),
    /// A kubeconfig user or context user.
    Kubeconfig,
    /// Windows integrated authentication in a connection string.
    IntegratedAuth,
}

/// `Trusted_Connection=yes` / `Integrated Security=true|SSPI` in a connection string.
static INTEGRATED: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\b(?:trusted_connection\s*=\s*(?:yes|true)|integrated\s+security\s*=\s*(?:true|yes|sspi))\b",
    )
    .ok()
});

fn collect<'a>(kind: FileKind, doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    if kind == FileKind::Dotenv {
        env_entries(
            doc.root.entries().iter().map(|e| (e.key_str(), &e.value)),
            "",
            hits,
        );
    }
    if kind == FileKind::Kubeconfig {
        kubeconfig(doc, hits);
    }
    doc.root.walk(|path, node| {
        let key = match path.last() {
            Some(PathSeg::Key(k)) => *k,
            _ => "",
        };
        let lower = key.to_ascii_lowercase();
        if ENV_CONTAINERS.contains(&lower.as_str()) {
            let prefix = path_string(path);
            if node.is_map() {
                env_entries(
                    node.entries().iter().map(|e| (e.key_str(), &e.value)),
                    &prefix,
                    hits,
                );
            }
            for item in node.items() {
                if item.is_map() {
                    // Kubernetes `env: [{name, value}]`.
                    if let Some(value) = item.get("value") {
                        let name = item.get("name").and_then(Node::as_str);
                        env_entries(std::iter::once((name, value)), &prefix, hits);
                    }
                } else if let Some((k, v)) = item.as_str().and_then(|t| t.split_once('=')) {
                    // Compose `environment: [KEY=value]`.
                    env_value(k, v, item, &prefix, hits);
                }
            }
        }
        // The nearest enclosing key: repeated blocks put an index in between.
        let parent = path[..path.len().saturating_sub(1)]
            .iter()
            .rev()
            .find_map(|seg| match seg {
                PathSeg::Key(k) => Some(k.to_ascii_lowercase()),
                PathSeg::Index(_) => None,
            })
            .unwrap_or_default();
        let run_as = matches!(
            lower.as_str(),
            "run_as" | "runas" | "run_as_user" | "run_as_user_name"
        ) || (matches!(lower.as_str(), "user_name" | "username" | "user")
            && matches!(parent.as_str(), "run_as" | "runas"));
        if run_as
            && let Some(text) = node.as_str()
            && text.contains('@')
            && let Some(confidence) = personal_login(text)
        {
            hits.push(Hit {
                node,
                raw: text.to_owned(),
                login: text.to_owned(),
                confidence,
                how: How::RunAs(key.to_owned()),
                path: path_string(path),
            });
        }
        if let Some(text) = node.as_str()
            && let Some(m) = INTEGRATED.as_ref().and_then(|re| re.find(text))
        {
            hits.push(Hit {
                node,
                raw: m.as_str().to_owned(),
                login: m.as_str().to_owned(),
                confidence: Confidence::Medium,
                how: How::IntegratedAuth,
                path: path_string(path),
            });
        }
        if let Some(text) = node.as_text() {
            for (service, raw, login) in dsn_logins(text) {
                if let Some(confidence) = personal_login(&login) {
                    hits.push(Hit {
                        node,
                        raw: raw.to_owned(),
                        login,
                        confidence,
                        how: How::Dsn(service),
                        path: path_string(path),
                    });
                }
            }
        }
    });
}

fn env_entries<'a>(
    entries: impl Iterator<Item = (Option<&'a str>, &'a Node)>,
    prefix: &str,
    hits: &mut Vec<Hit<'a>>,
) {
    for (key, value) in entries {
        if let (Some(key), Some(text)) = (key, value.as_str()) {
            env_value(key, text, value, prefix, hits);
        }
    }
}

fn env_value<'a>(key: &str, value: &str, node: &'a Node, prefix: &str, hits: &mut Vec<Hit<'a>>) {
    if !identity_key(key) {
        return;
    }
    let value = value.trim();
    if let Some(confidence) = personal_login(value) {
        hits.push(Hit {
            node,
            raw: value.to_owned(),
            login: value.to_owned(),
            confidence,
            how: How::Env(key.to_owned()),
            path: if prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{prefix}.{key}")
            },
        });
    }
}

/// Environment variables that name the account a process runs or connects as.
fn identity_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    const EXACT: &[&str] = &[
        "user",
        "username",
        "user_name",
        "login",
        "owner",
        "run_as",
        "runas",
        "email",
        "aws_profile",
        "aws_default_profile",
    ];
    const SUFFIXES: &[&str] = &[
        "_user",
        "_username",
        "_user_name",
        "_email",
        "_login",
        "_owner",
    ];
    // Addresses mail is sent to or from, or a certificate contact: not an identity the
    // workload acts as.
    const CONTACT: &[&str] = &[
        "notify",
        "notification",
        "notifications",
        "alert",
        "alerts",
        "contact",
        "support",
        "from",
        "to",
        "reply",
        "sender",
        "recipient",
        "recipients",
        "acme",
        "letsencrypt",
        "certbot",
        "maintainer",
        "cc",
        "bcc",
        "report",
        "reports",
        "pgadmin",
    ];
    (EXACT.contains(&k.as_str()) || SUFFIXES.iter().any(|s| k.ends_with(s)))
        && !k.split('_').any(|w| CONTACT.contains(&w))
}

/// Logins of the connection URLs in `text`: (service, login as written, login decoded).
pub(crate) fn dsn_logins(text: &str) -> Vec<(String, &str, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("://") {
        let scheme_start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '.' || c == '-'))
            .map_or(0, |p| {
                p + text[p..].chars().next().map_or(1, char::len_utf8)
            });
        let scheme = text[scheme_start..i].to_ascii_lowercase();
        let rest = &text[i + 3..];
        let end = rest
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '`') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        let raw = userinfo.split(':').next().unwrap_or("");
        if raw.is_empty() {
            continue;
        }
        let host = authority[at + 1..].split(':').next().unwrap_or("");
        let service = match scheme.as_str() {
            "postgres" | "postgresql" => "Postgres".to_owned(),
            "mysql" => "MySQL".to_owned(),
            "mariadb" => "MariaDB".to_owned(),
            "mongodb" | "mongodb+srv" => "MongoDB".to_owned(),
            "redis" | "rediss" => "Redis".to_owned(),
            "amqp" | "amqps" => "RabbitMQ".to_owned(),
            "mssql" | "sqlserver" => "SQL Server".to_owned(),
            "snowflake" => "Snowflake".to_owned(),
            "clickhouse" => "ClickHouse".to_owned(),
            _ if host.is_empty() => scheme.clone(),
            _ => format!("`{host}`"),
        };
        out.push((service, raw, raw.replace("%40", "@")));
    }
    out
}

fn kubeconfig<'a>(doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    let mut seen: Vec<&str> = Vec::new();
    let users = doc.root.get("users").map(Node::items).unwrap_or_default();
    let contexts = doc
        .root
        .get("contexts")
        .map(Node::items)
        .unwrap_or_default();
    let names = users
        .iter()
        .enumerate()
        .filter_map(|(i, u)| Some((u.get("name")?, format!("users[{i}].name"))))
        .chain(contexts.iter().enumerate().filter_map(|(i, c)| {
            Some((
                c.get_path(&["context", "user"])?,
                format!("contexts[{i}].context.user"),
            ))
        }));
    for (node, path) in names {
        let Some(text) = node.as_str() else { continue };
        if !text.contains('@') || seen.contains(&text) {
            continue;
        }
        if let Some(confidence) = personal_login(text) {
            seen.push(text);
            hits.push(Hit {
                node,
                raw: text.to_owned(),
                login: text.to_owned(),
                confidence,
                how: How::Kubeconfig,
                path,
            });
        }
    }
}

fn finding(cx: &FileCx<'_>, hit: Hit<'_>) -> Finding {
    let span = cx.span_within(hit.node, &hit.raw);
    let workload = cx.facts.workload_at(span);
    let subject = match (workload, cx.file.kind) {
        (Some(w), _) => w.name.clone(),
        (None, FileKind::Dockerfile) => "this image".to_owned(),
        (None, FileKind::Dotenv) => "whatever loads this environment".to_owned(),
        (None, _) => "this configuration".to_owned(),
    };
    let kind = if hit.login.contains('@') {
        "email"
    } else {
        "login"
    };
    let login = &hit.login;
    let consequence =
        "what it does is logged under their name and it can reach everything their account can";
    let message = match &hit.how {
        How::Env(key) => format!(
            "{subject} runs with `{key}` set to `{login}`, a person's {kind}: {consequence}"
        ),
        How::Dsn(service) => format!(
            "{subject} connects to {service} as `{login}`, a person's {kind}: {consequence}"
        ),
        How::RunAs(key) => {
            format!("{subject} runs as `{login}` (`{key}`), a person's {kind}: {consequence}")
        }
        How::Kubeconfig => format!(
            "kubeconfig user `{login}` is a person's {kind}: whatever uses this kubeconfig acts in the cluster as them"
        ),
        How::IntegratedAuth => format!(
            "{subject} connects to SQL Server with Windows integrated authentication (`{login}`): it runs as whoever is logged in, with that person's database rights, and what it does is logged under their name"
        ),
    };
    let integrated = matches!(hit.how, How::IntegratedAuth);
    let label = if integrated {
        "the logged-in user's Windows credentials".to_owned()
    } else {
        format!("a person's {kind}")
    };
    let mut b = cx
        .finding(&PersonalIdentity::META, span, message)
        .label(label)
        .help(HELP)
        .confidence(hit.confidence)
        .evidence(Redacted::plain(login.clone()))
        .key(format!("{}:{login}", hit.path));
    if let Some(w) = workload {
        b = b.workload(&w.name);
        if w.agent.is_some() && !integrated {
            b = b.severity(Severity::High);
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_and_not_people() {
        let high = Some(Confidence::High);
        let medium = Some(Confidence::Medium);
        for (text, want) in [
            ("jane.doe@gmail.com", high),
            ("jdoe42@outlook.com", high),
            ("marco.rossi.dev@gmail.com", high),
            ("jane+ci@gmail.com", high),
            ("Jane Doe <jane.doe@gmx.de>", high),
            ("jane.doe@acme-corp.io", medium),
            ("jdoe@acme-corp.io", medium),
            ("jane_doe@acme-corp.io", medium),
            ("jane.doe", medium),
            ("jane.m.doe", medium),
            ("ci-bot@gmail.com", None),
            ("analytics@acme-prod.iam.gserviceaccount.com", None),
            (
                "41898282+github-actions[bot]@users.noreply.github.com",
                None,
            ),
            ("noreply@acme-corp.io", None),
            ("admin@acme-corp.io", None),
            ("platform-team@acme-corp.io", None),
            ("deploy@acme-corp.io", None),
            ("svc-reporting@acme-corp.io", None),
            ("you@example.com", None),
            ("jane.doe@example.org", None),
            ("jane@corp.test", None),
            ("${GIT_AUTHOR_EMAIL}", None),
            ("jdoe", None),
            ("postgres", None),
            ("readonly_app", None),
            ("read.only", None),
            ("app.user", None),
            ("github.com", None),
            ("jane.doe@localhost", None),
        ] {
            assert_eq!(personal_login(text), want, "{text}");
        }
    }

    #[test]
    fn hostile_text_never_panics() {
        let pieces = [
            "é", "@", ":", "/", "<", ">", "~", "$", "{", "%40", ".", "a", "日本", "\u{202e}",
            "://", " ",
        ];
        let mut n = 0u32;
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let t = format!("{a}{b}{c}{d}");
                        let _ = personal_login(&t);
                        let _ = dsn_logins(&t);
                        let _ = crate::model::people::credential_location(&t);
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 0);
    }

    #[test]
    fn identity_keys() {
        for k in [
            "DB_USER",
            "JIRA_USERNAME",
            "GIT_AUTHOR_EMAIL",
            "AWS_PROFILE",
            "user",
            "run_as",
            "SNOWFLAKE_LOGIN",
        ] {
            assert!(identity_key(k), "{k}");
        }
        for k in [
            "LETSENCRYPT_EMAIL",
            "ALERT_EMAIL",
            "SMTP_FROM_EMAIL",
            "DB_PASSWORD",
            "USER_AGENT",
            "PGADMIN_DEFAULT_EMAIL",
        ] {
            assert!(!identity_key(k), "{k}");
        }
    }

    #[test]
    fn connection_url_logins() {
        let got = dsn_logins("postgres://jane.doe:${PW}@db:5432/x and mysql://jdoe@h/db");
        assert_eq!(
            got,
            vec![
                ("Postgres".to_owned(), "jane.doe", "jane.doe".to_owned()),
                ("MySQL".to_owned(), "jdoe", "jdoe".to_owned()),
            ]
        );
        let got = dsn_logins("https://jane.doe%40acme.io@git.acme.io/repo.git");
        assert_eq!(got[0].2, "jane.doe@acme.io");
        assert_eq!(got[0].0, "`git.acme.io`");
        assert!(dsn_logins("https://github.com/acme/repo@v1").is_empty());
        assert!(dsn_logins("no url here").is_empty());
        // Multi-byte text around the scheme must not split a character.
        assert_eq!(dsn_logins("é://jane.doe@h")[0].2, "jane.doe");
        assert!(dsn_logins("://@").is_empty());
    }
}
