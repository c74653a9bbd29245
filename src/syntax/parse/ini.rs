//! INI-style credential files (`~/.aws/credentials`, `~/.aws/config`, `.pypirc`,
//! `.npmrc`), lexed line by line.
//!
//! Keys before any `[section]` are top-level entries; each section is an entry whose
//! value maps its keys. Inline comments are not recognised: neither botocore's
//! `RawConfigParser` nor npm's `ini` strips them, so `#` in a value is value text.
//! An indented `key = value` under a key with an empty value is a nested mapping, the
//! shape of `s3 =` blocks in `~/.aws/config`. Parsing never fails.

use super::{ParseError, content_start};
use crate::syntax::doc::{Document, Entry, Node, Parsed, ScalarKind, Value};
use crate::syntax::source::Span;

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let base = content_start(text);
    let mut top: Vec<Entry> = Vec::new();
    let mut sections: Vec<Entry> = Vec::new();
    let mut comments = Vec::new();
    // Whether the last key had an empty value, and its indentation: indented lines
    // below it nest under it.
    let mut open_parent: Option<usize> = None;

    let mut start = base;
    while start < text.len() {
        let nl = text[start..].find('\n').map_or(text.len(), |p| start + p);
        let line = Line::new(text, start, nl);
        start = nl + 1;

        let Some(first) = line.first else { continue };
        let indent = first - line.start;
        match text.as_bytes()[first] {
            b'#' | b';' => {
                comments.push(Span::new(first, line.end));
                continue;
            }
            b'[' => {
                if let Some(close) = text[first..line.end].find(']').map(|p| first + p) {
                    let (ns, ne) = trim(text, first + 1, close);
                    let key = Node::scalar(Span::new(ns, ne), &text[ns..ne], ScalarKind::Str);
                    let value = Node::map(Span::new(first, line.end), Vec::new());
                    sections.push(Entry { key, value });
                    open_parent = None;
                    let after = text[close + 1..line.end].trim_start();
                    if after.starts_with(['#', ';']) {
                        comments.push(Span::new(line.end - after.len(), line.end));
                    }
                    continue;
                }
            }
            _ => {}
        }
        let Some((key, value)) = key_value(text, first, line.end) else {
            continue;
        };
        let target = match sections.last_mut() {
            Some(section) => &mut section.value,
            None => {
                top.push(Entry { key, value });
                open_parent = nested_parent(&top, indent);
                continue;
            }
        };
        let nested = open_parent.is_some_and(|parent| indent > parent);
        if let (true, Value::Map(entries)) = (nested, &mut target.value) {
            if let Some(parent) = entries.last_mut() {
                let end = value.span.end as usize;
                if !parent.value.is_map() {
                    let at = parent.value.span;
                    parent.value = Node::map(at, Vec::new());
                }
                parent.value.span = parent.value.span.join(Span::new(first, end));
                if let Value::Map(children) = &mut parent.value.value {
                    children.push(Entry { key, value });
                }
                target.span = target.span.join(Span::new(first, end));
                continue;
            }
        }
        target.span = target.span.join(value.span).join(key.span);
        if let Value::Map(entries) = &mut target.value {
            entries.push(Entry { key, value });
            open_parent = nested_parent(entries, indent);
        }
    }

    top.extend(sections);
    let root = Node::map(Span::new(base, text.len()), top);
    Ok(Parsed {
        documents: vec![Document { root }],
        comments,
    })
}

/// The indentation under which following lines nest, when the last key's value is
/// empty.
fn nested_parent(entries: &[Entry], indent: usize) -> Option<usize> {
    let last = entries.last()?;
    (last.value.as_text() == Some("")).then_some(indent)
}

/// One physical line without its `\r\n` / `\n`.
struct Line {
    start: usize,
    end: usize,
    first: Option<usize>,
}

impl Line {
    fn new(text: &str, start: usize, nl: usize) -> Self {
        let end = if nl > start && text.as_bytes()[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let first = text.as_bytes()[start..end]
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map(|p| start + p);
        Self { start, end, first }
    }
}

/// `start..end` with ASCII whitespace trimmed from both ends.
fn trim(text: &str, mut start: usize, mut end: usize) -> (usize, usize) {
    let b = text.as_bytes();
    while start < end && b[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

/// Split a line at its delimiter: the first `=`, unless a `:` followed by whitespace
/// (or ending the line) comes earlier (`password: x` in `.pypirc`). A `:` inside a key
/// like `//registry.npmjs.org/:_authToken` is part of the key.
fn key_value(text: &str, first: usize, end: usize) -> Option<(Node, Node)> {
    let b = text.as_bytes();
    let eq = b[first..end]
        .iter()
        .position(|&c| c == b'=')
        .map(|p| first + p);
    let colon = (first..end).find(|&j| {
        b[j] == b':' && (j + 1 == end || b[j + 1].is_ascii_whitespace()) && eq.is_none_or(|e| j < e)
    });
    let delim = colon.or(eq)?;
    let (ks, ke) = trim(text, first, delim);
    if ks == ke {
        return None;
    }
    let (vs, ve) = trim(text, delim + 1, end);
    let key = Node::scalar(Span::new(ks, ke), &text[ks..ke], ScalarKind::Str);
    let value = Node::scalar(Span::new(vs, ve), &text[vs..ve], ScalarKind::Str);
    Some((key, value))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::text_of;

    fn root(src: &str) -> Node {
        parse(src).unwrap().documents.remove(0).root
    }

    #[test]
    fn aws_credentials_with_two_profiles() {
        let src = "# creds\n[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key=abc/def+ghi\n\n; other\n[ profile ci ]\r\naws_access_key_id = AKIAOTHER\r\n";
        let parsed = parse(src).unwrap();
        let r = &parsed.documents[0].root;
        assert_eq!(r.entries().len(), 2);
        let default = r.entry("default").unwrap();
        assert_eq!(text_of(src, &default.key), "default");
        let id = default.value.entry("aws_access_key_id").unwrap();
        assert_eq!(text_of(src, &id.key), "aws_access_key_id");
        assert_eq!(text_of(src, &id.value), "AKIAEXAMPLE");
        let secret = default.value.get("aws_secret_access_key").unwrap();
        assert_eq!(text_of(src, secret), "abc/def+ghi");
        assert_eq!(
            text_of(src, &default.value),
            "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key=abc/def+ghi"
        );
        let ci = r.entry("profile ci").unwrap();
        assert_eq!(text_of(src, &ci.key), "profile ci");
        let other = ci.value.get("aws_access_key_id").unwrap();
        assert_eq!(text_of(src, other), "AKIAOTHER");
        let comments: Vec<_> = parsed.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(comments, ["# creds", "; other"]);
    }

    #[test]
    fn npmrc_auth_token_key_and_top_level_entries() {
        let src = "\u{feff}registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_abc123\n//localhost:4873/:_password = cGFzcw==\n";
        let r = root(src);
        let keys: Vec<_> = r.entries().iter().map(|e| text_of(src, &e.key)).collect();
        assert_eq!(
            keys,
            [
                "registry",
                "//registry.npmjs.org/:_authToken",
                "//localhost:4873/:_password"
            ]
        );
        let token = r.get("//registry.npmjs.org/:_authToken").unwrap();
        assert_eq!(text_of(src, token), "npm_abc123");
        let pass = r.get("//localhost:4873/:_password").unwrap();
        assert_eq!(pass.as_str(), Some("cGFzcw=="));
        assert_eq!(r.span.start, 3);
    }

    #[test]
    fn pypirc_colon_delimiter_and_value_with_hash() {
        let src = "[pypi] ; index [main]\nusername: __token__\npassword: pypi-Ag#x=y\n";
        let r = root(src);
        assert_eq!(text_of(src, &r.entries()[0].key), "pypi");
        let comments: Vec<_> = parse(src)
            .unwrap()
            .comments
            .iter()
            .map(|s| &src[s.range()])
            .collect();
        assert_eq!(comments, ["; index [main]"]);
        let pypi = r.get("pypi").unwrap();
        assert_eq!(text_of(src, pypi.get("username").unwrap()), "__token__");
        let pw = pypi.entry("password").unwrap();
        assert_eq!(text_of(src, &pw.key), "password");
        assert_eq!(text_of(src, &pw.value), "pypi-Ag#x=y");
    }

    #[test]
    fn nested_aws_config_block() {
        let src = "[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n  signature_version = s3v4\noutput = json\n";
        let r = root(src);
        let dev = r.get("profile dev").unwrap();
        let s3 = dev.get("s3").unwrap();
        assert!(s3.is_map());
        let sig = s3.entry("signature_version").unwrap();
        assert_eq!(text_of(src, &sig.key), "signature_version");
        assert_eq!(text_of(src, &sig.value), "s3v4");
        assert_eq!(text_of(src, dev.get("output").unwrap()), "json");
        assert_eq!(dev.entries().len(), 3);
    }

    #[test]
    fn garbage_and_empty_values_never_fail() {
        let src = "[unclosed\njust words\n= nokey\nempty=\n[é]\nk=é\n[]\n";
        let r = root(src);
        let empty = r.get("empty").unwrap();
        assert_eq!(empty.as_text(), Some(""));
        assert!(empty.span.is_empty());
        let e = r.get("é").unwrap();
        assert_eq!(text_of(src, e.get("k").unwrap()), "é");
        for src in [
            "[",
            "]",
            "=",
            ":",
            "\r",
            "\u{feff}",
            "a=\r",
            "[a]\n  b=\n    c=d",
        ] {
            let r = root(src);
            r.walk(|_, n| assert!(n.span.end as usize <= src.len()));
        }
    }

    #[test]
    fn random_token_soup_never_panics() {
        // Deterministic soup of the bytes the lexer branches on.
        let pieces = [
            "[",
            "]",
            "=",
            ":",
            ": ",
            "#",
            ";",
            "\n",
            "\r\n",
            " ",
            "  ",
            "\t",
            "k",
            "//h/:_authToken",
            "é",
            "\u{feff}",
        ];
        crate::syntax::parse::testutil::assert_spans_on_char_boundaries(&pieces, parse);
    }
}
