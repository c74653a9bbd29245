//! Settings in any format, in one walk per document: environment variables wherever a
//! file keeps them, connection URL logins in any scalar, `run_as`-style settings, and
//! kubeconfig users (see [`crate::model::settings`]).

use crate::model::accounts::Accounts;
use crate::model::settings::{
    EnvShape, EnvVar, Kubeconfig, KubeconfigUser, Login, RunAs, Settings, dsn_logins,
};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, PathSeg, path_string};

pub(super) fn settings(kind: FileKind, doc: &Document, out: &mut Settings) {
    // Where files keep environment variables is data (`rules/accounts.toml`).
    let Some(accounts) = Accounts::builtin() else {
        return;
    };
    if kind == FileKind::Dotenv {
        for e in doc.root.entries() {
            push_env(&mut out.env, None, EnvShape::Map, e.key_str(), &e.value, "");
        }
    }
    if kind == FileKind::Kubeconfig {
        out.kubeconfigs.push(kubeconfig(doc));
    }
    doc.root.walk(|path, node| {
        let key = match path.last() {
            Some(PathSeg::Key(k)) => *k,
            _ => "",
        };
        let lower = key.to_ascii_lowercase();
        if accounts.env_container(&lower) {
            let prefix = path_string(path);
            for e in node.entries() {
                push_env(
                    &mut out.env,
                    Some(key),
                    EnvShape::Map,
                    e.key_str(),
                    &e.value,
                    &prefix,
                );
            }
            for item in node.items() {
                if item.is_map() {
                    // Kubernetes `env: [{name, value}]`.
                    if let Some(value) = item.get("value")
                        && let Some(name) = item.get("name").and_then(Node::as_str)
                    {
                        push_env(
                            &mut out.env,
                            Some(key),
                            EnvShape::NameValue,
                            Some(name),
                            value,
                            &prefix,
                        );
                    }
                } else if let Some((k, v)) = item.as_str().and_then(|t| t.split_once('=')) {
                    // Compose `environment: [KEY=value]`.
                    out.env.push(EnvVar {
                        container: Some(key.to_owned()),
                        shape: EnvShape::KeyEquals,
                        name: Some(k.to_owned()),
                        value: v.to_owned(),
                        span: item.span,
                        prefix: prefix.clone(),
                    });
                }
            }
        }
        if run_as_key(&lower, path)
            && let Some(text) = node.as_str()
        {
            out.run_as.push(RunAs {
                key: key.to_owned(),
                value: text.to_owned(),
                span: node.span,
                path: path_string(path),
            });
        }
        if let Some(text) = node.as_text() {
            for (service, raw, login) in dsn_logins(text) {
                out.logins.push(Login {
                    service,
                    raw: raw.to_owned(),
                    login,
                    span: node.span,
                    path: path_string(path),
                    literal: node.as_str().is_some(),
                });
            }
        }
    });
}

/// A variable with a literal value.
fn push_env(
    out: &mut Vec<EnvVar>,
    container: Option<&str>,
    shape: EnvShape,
    name: Option<&str>,
    value: &Node,
    prefix: &str,
) {
    if let Some(text) = value.as_str() {
        out.push(EnvVar {
            container: container.map(str::to_owned),
            shape,
            name: name.map(str::to_owned),
            value: text.to_owned(),
            span: value.span,
            prefix: prefix.to_owned(),
        });
    }
}

/// `run_as`, `run_as_user_name`, ..., or `user_name`/`username`/`user` inside a
/// `run_as` block (Databricks `run_as { user_name = … }`).
fn run_as_key(lower: &str, path: &[PathSeg<'_>]) -> bool {
    if matches!(
        lower,
        "run_as" | "runas" | "run_as_user" | "run_as_user_name"
    ) {
        return true;
    }
    if !matches!(lower, "user_name" | "username" | "user") {
        return false;
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
    matches!(parent.as_str(), "run_as" | "runas")
}

/// `users[].name` and `contexts[].context.user`, in that order.
fn kubeconfig(doc: &Document) -> Kubeconfig {
    let mut out = Kubeconfig::default();
    let list = |key: &str| doc.root.get(key).map(Node::items).unwrap_or_default();
    let users = list("users")
        .iter()
        .enumerate()
        .filter_map(|(i, u)| Some((u.get("name")?, format!("users[{i}].name"))));
    let contexts = list("contexts").iter().enumerate().filter_map(|(i, c)| {
        Some((
            c.get_path(&["context", "user"])?,
            format!("contexts[{i}].context.user"),
        ))
    });
    for (node, path) in users.chain(contexts) {
        if let Some(name) = node.as_str() {
            out.users.push(KubeconfigUser {
                name: name.to_owned(),
                span: node.span,
                path,
            });
        }
    }
    out
}
