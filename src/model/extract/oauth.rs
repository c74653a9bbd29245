//! OAuth scope declarations: values of scope keys anywhere in a document, and MCP
//! servers' `--scopes` arguments, each scope with the span of its own text.

use crate::model::grants::{Written, written};
use crate::model::oauth::ScopeDeclaration;
use crate::syntax::doc::{Document, Node, PathSeg, ScalarKind, path_string};
use crate::syntax::source::Span;

/// Flags of MCP server arguments whose value is a list of scopes.
const SCOPE_FLAGS: &[&str] = &["--scope", "--scopes", "--oauth-scopes", "--oauth_scopes"];

/// The scopes declared in `doc`: under scope keys in document order, then in MCP
/// server arguments. `text` is the file's decoded text, to point at each scope.
pub(super) fn scopes(doc: &Document, text: &str, out: &mut Vec<ScopeDeclaration>) {
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
                || path.iter().any(
                    |s| matches!(s, PathSeg::Key(k) if k.to_ascii_lowercase().contains("oauth")),
                );
            let mut scopes = Vec::new();
            collect(text, &e.value, 1, &mut scopes);
            push(out, at, oauth_context, scopes);
        }
    });
    for server in crate::model::extract::mcp_servers(doc) {
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
            push(out, format!("{}.args[{i}]", server.name), true, scopes);
        }
    }
}

/// Keep a declaration that declares something.
fn push(out: &mut Vec<ScopeDeclaration>, at: String, oauth_context: bool, scopes: Vec<Written>) {
    if !scopes.is_empty() {
        out.push(ScopeDeclaration {
            at,
            oauth_context,
            scopes,
        });
    }
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
fn collect(text: &str, node: &Node, depth: usize, out: &mut Vec<Written>) {
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
fn split_scopes(text: &str, node: &Node, value: &str, offset: usize, out: &mut Vec<Written>) {
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
                let span =
                    body_start.map_or(node.span, |b| Span::new(b + offset + s, b + offset + i));
                out.push(written(&value[s..i], span));
                start = None;
            }
            _ => {}
        }
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
        assert_eq!(&plain[out[0].span.range()], "repo");
        assert_eq!(&plain[out[1].span.range()], "read:org");

        let quoted = "s: \"repo, admin:org\"\n";
        let node = Node::scalar(Span::new(3, 20), "repo, admin:org", ScalarKind::Str);
        let mut out = Vec::new();
        split_scopes(quoted, &node, "repo, admin:org", 0, &mut out);
        assert_eq!(&quoted[out[1].span.range()], "admin:org");

        // An escape makes source and value differ: the whole scalar is the location.
        let escaped = "s: \"repo\\u0020admin:org\"\n";
        let node = Node::scalar(Span::new(3, 24), "repo admin:org", ScalarKind::Str);
        let mut out = Vec::new();
        split_scopes(escaped, &node, "repo admin:org", 0, &mut out);
        assert_eq!(out[1].span, node.span);
    }
}
