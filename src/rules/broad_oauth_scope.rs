use crate::findings::{Confidence, Finding, Severity};
use crate::model::extract::mcp_servers;
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Node, PathSeg, ScalarKind, path_string};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Declared OAuth scopes that grant everything: Google `cloud-platform`,
    /// `https://mail.google.com/`, full `drive`, Workspace `admin.directory.*`; GitHub
    /// classic scopes `repo`, `admin:*`, `delete_repo`, `write:packages`; Microsoft Graph
    /// `*.ReadWrite.All`, `Directory.*`, `.default`; Slack `admin*`. Read from values of
    /// keys named `scope`, `scopes`, `oauth_scopes`, `oauthScopes`, `*_SCOPES` (a list,
    /// or a string of space- or comma-separated scopes) in YAML, JSON, TOML, HCL and
    /// `.env` files: Terraform `service_account { scopes }` and GKE
    /// `node_config { oauth_scopes }`, Slack app manifests (`oauth_config.scopes.bot`
    /// and `.user`), MCP server `env` and `--scopes` arguments. Bare words such as
    /// `repo` count only where the key or a list of several scopes shows they are OAuth
    /// scopes. Read-only variants (`.readonly`) stay silent.
    ///
    /// ## Why it matters
    /// A scope is the ceiling of what a token can do. An agent holding `repo` can read
    /// and push to every private repository of the person who consented, and
    /// `cloud-platform` leaves only IAM between the agent and every Google Cloud API.
    /// A prompt injection inherits the whole ceiling, not the task.
    ///
    /// ## What to do instead
    /// Request the narrow scopes the task calls (`drive.file`, `gmail.readonly`,
    /// `read:org`, `chat:write`), or move to a GitHub App or a dedicated service
    /// account whose permissions are scoped to the resources the agent works on.
    ///
    /// ## Example
    /// ```yaml
    /// oauth_config:
    ///   scopes:
    ///     user: [admin, channels:history]
    /// ```
    /// Use instead `bot: [channels:history, chat:write]` with a bot token.
    pub(crate) struct BroadOauthScope {
        id: "broad-oauth-scope",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A declared OAuth scope grants a whole account, tenant or cloud instead of what the task needs",
        applies_to: |kind| !matches!(
            kind,
            FileKind::Text | FileKind::Netrc | FileKind::GitCredentials | FileKind::Dockerfile
        ),
    }
}

impl Rule for BroadOauthScope {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let text = cx.file.text();
        for doc in cx.documents() {
            let mut found: Vec<Found> = Vec::new();
            doc.root.walk(|path, node| {
                for e in node.entries() {
                    let Some(key) = e.key_str().filter(|k| is_scope_key(k)) else {
                        continue;
                    };
                    let mut at = path_string(path);
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(key);
                    let oauth_context = key.ends_with('s')
                        || key.ends_with('S')
                        || path.iter().any(|s| {
                            matches!(s, PathSeg::Key(k) if k.to_ascii_lowercase().contains("oauth"))
                        });
                    let mut scopes = Vec::new();
                    collect(text, &e.value, 1, &mut scopes);
                    found.push(Found {
                        at,
                        oauth_context,
                        scopes,
                    });
                }
            });
            for server in mcp_servers(doc) {
                let args = server.node.get("args").map(Node::items).unwrap_or_default();
                for (i, arg) in args.iter().enumerate() {
                    let Some(a) = arg.as_str() else { continue };
                    let mut scopes = Vec::new();
                    if SCOPE_FLAGS.contains(&a) {
                        if let Some(next) = args.get(i + 1) {
                            collect(text, next, 0, &mut scopes);
                        }
                    } else if let Some((flag, value)) = a.split_once('=')
                        && SCOPE_FLAGS.contains(&flag)
                    {
                        split_scopes(text, arg, value, flag.len() + 1, &mut scopes);
                    }
                    if !scopes.is_empty() {
                        found.push(Found {
                            at: format!("{}.args[{i}]", server.name),
                            oauth_context: true,
                            scopes,
                        });
                    }
                }
            }
            for f in found {
                report(cx, k, &f, out);
            }
        }
    }
}

const SCOPE_FLAGS: &[&str] = &["--scope", "--scopes", "--oauth-scopes", "--oauth_scopes"];

/// Scopes declared under one key.
struct Found {
    /// Document path of the key, for the fingerprint.
    at: String,
    /// The key is plural or sits under an `oauth*` key: bare words are scopes here.
    oauth_context: bool,
    scopes: Vec<(String, Span)>,
}

/// `scope`, `scopes`, `oauth_scopes`, `oauthScopes`, `GOOGLE_OAUTH_SCOPES`, but not
/// `telescope`.
fn is_scope_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let Some(stem) = lower
        .strip_suffix("scopes")
        .or_else(|| lower.strip_suffix("scope"))
    else {
        return false;
    };
    let camel = key.len() > stem.len() && key.as_bytes()[stem.len()] == b'S';
    stem.is_empty() || stem.ends_with(['_', '-', '.']) || camel
}

/// Scopes in a string, a list of strings, or (Slack's `scopes: {bot, user}`) a map of
/// those, `depth` maps deep.
fn collect(text: &str, node: &Node, depth: usize, out: &mut Vec<(String, Span)>) {
    match node.as_scalar() {
        Some(s) if s.kind == ScalarKind::Str => split_scopes(text, node, &s.text, 0, out),
        Some(_) => {}
        None => {
            for item in node.items() {
                collect(text, item, 0, out);
            }
            if depth > 0 {
                for e in node.entries() {
                    collect(text, &e.value, depth - 1, out);
                }
            }
        }
    }
}

/// Split `value` (found at `offset` in the decoded text of `node`) into scopes, each
/// with the span of its own text when the scalar's source is its decoded text (plain or
/// quoted without escapes), else the scalar's span.
fn split_scopes(
    text: &str,
    node: &Node,
    value: &str,
    offset: usize,
    out: &mut Vec<(String, Span)>,
) {
    let decoded = node.as_text().unwrap_or("");
    let raw = text.get(node.span.range()).unwrap_or("");
    let body_start = if raw == decoded {
        Some(node.span.range().start)
    } else if raw.len() == decoded.len() + 2
        && (raw.starts_with('"') || raw.starts_with('\''))
        && raw.get(1..raw.len() - 1) == Some(decoded)
    {
        Some(node.span.range().start + 1)
    } else {
        None
    };
    let mut start = None;
    for (i, c) in value
        .char_indices()
        .chain(std::iter::once((value.len(), ' ')))
    {
        let sep = c.is_whitespace() || c == ',';
        match (start, sep) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                let scope = &value[s..i];
                let span =
                    body_start.map_or(node.span, |b| Span::new(b + offset + s, b + offset + i));
                out.push((scope.to_owned(), span));
                start = None;
            }
            _ => {}
        }
    }
}

fn report(cx: &FileCx<'_>, k: &Knowledge, f: &Found, out: &mut Vec<Finding>) {
    for (scope, span) in &f.scopes {
        let Some(broad) = k.broad_scope(scope) else {
            continue;
        };
        let bare = !scope.contains([':', '/', '.']);
        if bare && !f.oauth_context && f.scopes.len() < 2 {
            continue;
        }
        let consumer = if cx.file.kind == FileKind::McpConfig {
            Some("an MCP server an AI agent calls".to_owned())
        } else {
            cx.facts.workload_at(*span).and_then(|w| {
                Some(format!(
                    "{}, which looks like an AI agent ({})",
                    w.name,
                    w.agent.as_deref()?
                ))
            })
        };
        let mut message = format!(
            "OAuth scope `{scope}` ({}) grants {}",
            broad.provider, broad.why
        );
        match &consumer {
            Some(c) => message.push_str(&format!(
                "; it is requested for {c}, so a prompt injection inherits all of it"
            )),
            None => message
                .push_str(": every token issued with it carries that reach, whatever the task"),
        }
        let mut b = cx
            .finding(&BroadOauthScope::META, *span, message)
            .label(format!("broad {} scope", broad.provider))
            .help(match &broad.instead {
                Some(i) => format!("Request {i}."),
                None => "Request only the scopes the task calls.".to_owned(),
            })
            .key(format!("{}:{scope}", f.at));
        if bare {
            b = b.confidence(Confidence::Medium);
        }
        if consumer.is_some() {
            b = b.severity(Severity::Critical);
        }
        if let Some(w) = cx.facts.workload_at(*span) {
            b = b.workload(&w.name);
        }
        out.push(b.build());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_keys() {
        for k in [
            "scope",
            "scopes",
            "oauth_scopes",
            "oauthScopes",
            "oauth2_scopes",
            "GOOGLE_OAUTH_SCOPES",
            "default-scopes",
        ] {
            assert!(is_scope_key(k), "{k}");
        }
        for k in ["telescope", "scoped", "periscopes", "microscope"] {
            assert!(!is_scope_key(k), "{k}");
        }
    }

    #[test]
    fn sub_spans_in_plain_and_quoted_strings() {
        let plain = "s: repo read:org\n";
        let node = Node::scalar(Span::new(3, 16), "repo read:org", ScalarKind::Str);
        let mut out = Vec::new();
        split_scopes(plain, &node, "repo read:org", 0, &mut out);
        assert_eq!(&plain[out[0].1.range()], "repo");
        assert_eq!(&plain[out[1].1.range()], "read:org");

        let quoted = "s: \"repo, admin:org\"\n";
        let node = Node::scalar(Span::new(3, 20), "repo, admin:org", ScalarKind::Str);
        let mut out = Vec::new();
        split_scopes(quoted, &node, "repo, admin:org", 0, &mut out);
        assert_eq!(&quoted[out[1].1.range()], "admin:org");

        // An escape makes source and value differ: the whole scalar is the location.
        let escaped = "s: \"repo\\u0020admin:org\"\n";
        let node = Node::scalar(Span::new(3, 24), "repo admin:org", ScalarKind::Str);
        let mut out = Vec::new();
        split_scopes(escaped, &node, "repo admin:org", 0, &mut out);
        assert_eq!(out[1].1, node.span);
    }
}
