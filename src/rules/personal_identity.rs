use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::people::personal_login;
use crate::model::settings::Settings;
use crate::rules::{FileCx, FindingBuilder, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

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
    /// Across the files of a Terraform module or a CloudFormation template: an access
    /// key minted for an IAM user named like a person (`aws_iam_access_key` of an
    /// `aws_iam_user` named `jane.doe`, `AWS::IAM::AccessKey` of such a user, the
    /// `iam-user` module of `terraform-aws-modules/iam`) and handed to a workload (see
    /// `long-lived-cloud-key` for the hand-overs followed): the workload runs as that
    /// person.
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

impl Rule for PersonalIdentity {
    /// A key minted for an IAM user named like a person and handed to a workload.
    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        for flow in crate::model::keys::flows(&cx.facts.infra.keys) {
            let Some(name) = flow.owner_name else {
                continue;
            };
            let Some(confidence) = personal_login(name) else {
                continue;
            };
            let Some((first, first_path)) = flow.to.first() else {
                continue;
            };
            let agent = cx.facts.workloads.iter().find(|w| {
                w.agent.is_some()
                    && flow.to.iter().any(|(h, p)| {
                        w.path == *p && w.extent.start <= h.span.start && h.span.end <= w.extent.end
                    })
            });
            let mut message = format!(
                "`{}` mints an access key for IAM user `{name}`, which is named like a person, and hands it to {} `{}`: the workload signs its calls as that person, with whatever the person may do, and stops or keeps running with their rights when they change teams or leave",
                flow.key.address, first.what, first.consumer
            );
            if let Some(w) = agent {
                message.push_str(&format!(
                    "; {} looks like an AI agent ({})",
                    w.name,
                    w.agent.as_deref().unwrap_or("")
                ));
            }
            let mut b = FindingBuilder::new(&PersonalIdentity::META, &flow.path, flow.key.span, message)
                .label("a person's IAM user")
                .help("Give the workload an identity of its own (an IAM role it assumes, or at least a dedicated IAM user named for the workload), and keep people's IAM users for people.")
                .confidence(confidence)
                .related(first_path, first.span, "handed to the workload here")
                .key(format!("{}:person", flow.key.key));
            if let Some(w) = agent {
                b = b.severity(Severity::High).workload(&w.name);
            }
            out.push(b.build());
        }
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let mut all = hits(cx.facts.settings());
        integrated_auth(cx, &mut all);
        for hit in all {
            let f = finding(cx, hit);
            // One finding a place: a `RUN_AS` variable is also a run-as setting.
            if !out
                .iter()
                .any(|o: &Finding| o.rule() == f.rule() && o.primary().span == f.primary().span)
            {
                out.push(f);
            }
        }
    }
}

/// A person's login, where it was found and in what role.
struct Hit<'a> {
    /// The node holding it.
    span: Span,
    /// The login as written (to locate it inside the node).
    raw: &'a str,
    /// The login, decoded.
    login: &'a str,
    confidence: Confidence,
    how: How<'a>,
    path: String,
}

enum How<'a> {
    /// An environment variable of this name.
    Env(&'a str),
    /// The login of a connection URL to this service.
    Dsn(&'a str),
    /// A `run_as`-style setting.
    RunAs(&'a str),
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

/// Connection strings with Windows integrated authentication where something runs with
/// them: inside a workload, or in a `.env` file or Dockerfile.
fn integrated_auth<'a>(cx: &'a FileCx<'_>, hits: &mut Vec<Hit<'a>>) {
    let Some(re) = INTEGRATED.as_ref() else {
        return;
    };
    let loose = matches!(cx.file.kind, FileKind::Dotenv | FileKind::Dockerfile);
    for doc in cx.documents() {
        doc.root.walk(|path, node| {
            let Some(text) = node.as_str() else { return };
            let Some(m) = re.find(text) else { return };
            if !loose && cx.facts.workload_at(node.span).is_none() {
                return;
            }
            hits.push(Hit {
                span: node.span,
                raw: m.as_str(),
                login: m.as_str(),
                confidence: Confidence::Medium,
                how: How::IntegratedAuth,
                path: crate::syntax::doc::path_string(path),
            });
        });
    }
}

/// People's logins among the file's settings: environment variables first (a variable
/// is also seen as a run-as setting, and the variable's finding is the one kept).
fn hits(settings: &Settings) -> Vec<Hit<'_>> {
    let mut hits = Vec::new();
    for var in &settings.env {
        let Some(name) = var.name.as_deref() else {
            continue;
        };
        let value = var.value.trim();
        if identity_key(name)
            && let Some(confidence) = personal_login(value)
        {
            hits.push(Hit {
                span: var.span,
                raw: value,
                login: value,
                confidence,
                how: How::Env(name),
                path: var.path(),
            });
        }
    }
    for kubeconfig in &settings.kubeconfigs {
        let mut seen: Vec<&str> = Vec::new();
        for user in &kubeconfig.users {
            let text = user.name.as_str();
            if !text.contains('@') || seen.contains(&text) {
                continue;
            }
            if let Some(confidence) = personal_login(text) {
                seen.push(text);
                hits.push(Hit {
                    span: user.span,
                    raw: text,
                    login: text,
                    confidence,
                    how: How::Kubeconfig,
                    path: user.path.clone(),
                });
            }
        }
    }
    for r in &settings.run_as {
        if r.value.contains('@')
            && let Some(confidence) = personal_login(&r.value)
        {
            hits.push(Hit {
                span: r.span,
                raw: &r.value,
                login: &r.value,
                confidence,
                how: How::RunAs(&r.key),
                path: r.path.clone(),
            });
        }
    }
    for l in &settings.logins {
        if let Some(confidence) = personal_login(&l.login) {
            hits.push(Hit {
                span: l.span,
                raw: &l.raw,
                login: &l.login,
                confidence,
                how: How::Dsn(&l.service),
                path: l.path.clone(),
            });
        }
    }
    hits
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

fn finding(cx: &FileCx<'_>, hit: Hit<'_>) -> Finding {
    let span = cx.span_in(hit.span, hit.raw);
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
    let login = hit.login;
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
        .evidence(Redacted::plain(login))
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
                        let _ = crate::model::settings::dsn_logins(&t);
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
}
