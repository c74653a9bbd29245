//! Settings a file hands whatever runs with it, in any format: environment variables
//! (`env`, `environment`, Dockerfile `ENV`, `.env` files, Terraform `variables`, ...),
//! the logins of connection URLs, `run_as`-style settings and kubeconfig users.
//! [`crate::model::extract`] fills them in one walk per document; rules filter them
//! (a person's login, a generic account) instead of walking the tree themselves.

use crate::syntax::doc::{Node, Scalar};
use crate::syntax::source::Span;

/// A value as written in a file: its scalar (none for a mapping or a sequence) and
/// where it is. An owned copy of what a rule would have read from the tree, answering
/// the same questions the same way (through [`Scalar`]).
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) span: Span,
    scalar: Option<Scalar>,
}

impl Field {
    pub(crate) fn of(node: &Node) -> Self {
        Self {
            span: node.span,
            scalar: node.as_scalar().cloned(),
        }
    }

    /// Like [`Node::as_str`]: a string, number or bool literal.
    pub(crate) fn as_str(&self) -> Option<&str> {
        self.scalar.as_ref().and_then(Scalar::as_str)
    }

    /// Like [`Node::as_text`]: any scalar, expressions included.
    pub(crate) fn as_text(&self) -> Option<&str> {
        self.scalar.as_ref().map(|s| s.text.as_str())
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        self.scalar.as_ref().and_then(Scalar::as_bool)
    }

    pub(crate) fn is_null(&self) -> bool {
        self.scalar
            .as_ref()
            .is_some_and(|s| s.kind == crate::syntax::doc::ScalarKind::Null)
    }
}

/// How an environment variable is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvShape {
    /// `KEY: value` in a mapping (compose, MCP, workflows, Dockerfile `ENV`, `.env`).
    Map,
    /// Kubernetes `- name: KEY` / `value: v`.
    NameValue,
    /// Compose `- KEY=value`.
    KeyEquals,
}

/// One environment variable with a literal value.
#[derive(Debug, Clone)]
pub(crate) struct EnvVar {
    /// The key holding the variables as written (`env`, `environment`, `ENV`,
    /// `variables`, ...); `None` for the variables of a `.env` file itself.
    pub(crate) container: Option<String>,
    pub(crate) shape: EnvShape,
    /// The variable; `None` for a mapping key that is not a scalar.
    pub(crate) name: Option<String>,
    /// The value's text (for `KEY=value`, the part after `=`).
    pub(crate) value: String,
    /// The node holding the value (for `KEY=value`, the whole item).
    pub(crate) span: Span,
    /// The document path of the container (`services.agent.environment`), empty for a
    /// `.env` file.
    pub(crate) prefix: String,
}

impl EnvVar {
    /// The variable's document path, for fingerprints.
    pub(crate) fn path(&self) -> String {
        let name = self.name.as_deref().unwrap_or("");
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }
}

/// The login of a connection URL (`postgres://jane.doe:…@db`) in a scalar.
#[derive(Debug, Clone)]
pub(crate) struct Login {
    /// What it connects to: `Postgres`, `` `git.acme.io` ``, or the scheme.
    pub(crate) service: String,
    /// The login as written (to locate it inside the value).
    pub(crate) raw: String,
    /// The login, `%40` decoded.
    pub(crate) login: String,
    /// The scalar holding the URL.
    pub(crate) span: Span,
    /// Its document path.
    pub(crate) path: String,
    /// The scalar is a literal (not an expression such as an HCL template).
    pub(crate) literal: bool,
}

/// A setting that names the user something runs as (`run_as`, `run_as_user_name`,
/// `run_as { user_name = … }`), with a literal value.
#[derive(Debug, Clone)]
pub(crate) struct RunAs {
    /// The key as written.
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) span: Span,
    pub(crate) path: String,
}

/// The users one kubeconfig names (`users[].name`, then `contexts[].context.user`),
/// with literal names.
#[derive(Debug, Clone, Default)]
pub(crate) struct Kubeconfig {
    pub(crate) users: Vec<KubeconfigUser>,
}

/// A user a kubeconfig names.
#[derive(Debug, Clone)]
pub(crate) struct KubeconfigUser {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) path: String,
}

/// The settings of one file.
#[derive(Debug, Default)]
pub(crate) struct Settings {
    pub(crate) env: Vec<EnvVar>,
    pub(crate) logins: Vec<Login>,
    pub(crate) run_as: Vec<RunAs>,
    pub(crate) kubeconfigs: Vec<Kubeconfig>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
