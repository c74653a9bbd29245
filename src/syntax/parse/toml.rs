//! TOML, through the `toml` crate's spanned tree (`DeTable`).
//!
//! The crate stores tables in key order (a `BTreeMap`), so entries are re-sorted by the
//! position of their key to restore file order. Tables opened by a header get a span
//! covering the header and everything that landed in them.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ParseError;
use crate::syntax::doc::{Document, Entry, MAX_DEPTH, Node, Parsed, ScalarKind};
use crate::syntax::source::Span;

const BOM: &str = "\u{feff}";

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    let (body, base) = match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    };
    let table = DeTable::parse(body).map_err(|e| to_error(&e, base, text.len()))?;
    let conv = Converter {
        base,
        len: text.len(),
    };
    let mut root = conv.table(table.get_ref(), None, 0)?;
    // The crate gives the document an empty span; the root covers the whole file.
    root.span = Span::new(base, text.len());
    Ok(Parsed {
        documents: vec![Document { root }],
        comments: comments(body, base),
    })
}

/// Our own wording: the crate's messages are grammar descriptions, but its `Display`
/// quotes the offending source line, which may hold a secret.
fn to_error(e: &toml::de::Error, base: usize, len: usize) -> ParseError {
    let raw = e.message();
    let message = if raw.contains("duplicate key") {
        "invalid TOML: a key or table is defined twice"
    } else if raw.contains("recursion limit") {
        "invalid TOML: nesting is too deep"
    } else if raw.contains("dotted key") {
        "invalid TOML: a dotted key extends a value that is not a table"
    } else {
        "invalid TOML syntax"
    };
    let span = e.span().map(|r| {
        let start = (r.start + base).min(len);
        Span::new(start, (r.end + base).clamp(start, len))
    });
    ParseError::new(message, span)
}

struct Converter {
    base: usize,
    len: usize,
}

impl Converter {
    /// A crate span shifted past the BOM and clamped into the file.
    fn span(&self, r: std::ops::Range<usize>) -> Span {
        let start = (r.start + self.base).min(self.len);
        let end = (r.end + self.base).clamp(start, self.len);
        Span::new(start, end)
    }

    fn table(&self, t: &DeTable<'_>, span: Option<Span>, depth: usize) -> Result<Node, ParseError> {
        let mut entries = Vec::with_capacity(t.len());
        let mut covered = span;
        for (k, v) in t.iter() {
            let key_span = self.span(k.span());
            let key = Node::scalar(key_span, k.get_ref().as_ref(), ScalarKind::Str);
            let value = self.value(v, depth + 1)?;
            let both = key_span.join(value.span);
            covered = Some(covered.map_or(both, |c| c.join(both)));
            entries.push(Entry { key, value });
        }
        entries.sort_by_key(|e| e.key.span.start);
        Ok(Node::map(covered.unwrap_or_default(), entries))
    }

    fn value(&self, v: &Spanned<DeValue<'_>>, depth: usize) -> Result<Node, ParseError> {
        let span = self.span(v.span());
        if depth > MAX_DEPTH {
            return Err(ParseError::new("TOML nesting is too deep", Some(span)));
        }
        let node = match v.get_ref() {
            DeValue::String(s) => Node::scalar(span, s.as_ref(), ScalarKind::Str),
            DeValue::Integer(i) => Node::scalar(span, i.to_string(), ScalarKind::Number),
            DeValue::Float(f) => Node::scalar(span, f.as_str(), ScalarKind::Number),
            DeValue::Boolean(b) => Node::scalar(span, b.to_string(), ScalarKind::Bool),
            DeValue::Datetime(d) => Node::scalar(span, d.to_string(), ScalarKind::Str),
            DeValue::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                let mut covered = span;
                for item in a.iter() {
                    let node = self.value(item, depth + 1)?;
                    covered = covered.join(node.span);
                    items.push(node);
                }
                Node::seq(covered, items)
            }
            DeValue::Table(t) => self.table(t, Some(span), depth)?,
        };
        Ok(node)
    }
}

/// Spans of `#` comments, found by a lexical scan that skips every string form.
fn comments(body: &str, base: usize) -> Vec<Span> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                let end = line_end(b, i);
                out.push(Span::new(base + i, base + end));
                i = end;
            }
            q @ (b'"' | b'\'') => {
                let triple = b.get(i..i + 3) == Some(&[q, q, q][..]);
                i = if triple {
                    skip_multiline(b, i + 3, q)
                } else {
                    skip_single(b, i + 1, q)
                };
            }
            _ => i += 1,
        }
    }
    out
}

/// End of the line at `i`, not counting a `\r` before the `\n`.
fn line_end(b: &[u8], i: usize) -> usize {
    let nl = b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p);
    if nl > i && b[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

/// Past a one-line string; a newline ends it even when unterminated.
fn skip_single(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            b'\n' => return i,
            c if c == q => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Past a `"""` or `'''` string. Up to two extra quotes may close it (`""""` ends a
/// string whose content ends in a quote).
fn skip_multiline(b: &[u8], mut i: usize, q: u8) -> usize {
    while i < b.len() {
        if b[i] == b'\\' && q == b'"' {
            i += 2;
        } else if b[i] == q && b.get(i..i + 3) == Some(&[q, q, q][..]) {
            let mut end = i + 3;
            while end < b.len() && b[end] == q && end < i + 5 {
                end += 1;
            }
            return end;
        } else {
            i += 1;
        }
    }
    b.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::text_of;

    fn root(src: &str) -> Node {
        parse(src).unwrap().documents.remove(0).root
    }

    fn keys(node: &Node) -> Vec<&str> {
        node.entries().iter().filter_map(Entry::key_str).collect()
    }

    #[test]
    fn nested_tables_and_dotted_keys_keep_file_order_and_spans() {
        let src =
            "zeta = 1\n[server.auth]\ntoken = \"ghp_abc\"\nmode.kind = 'x'\n[alpha]\nb = true\n";
        let r = root(src);
        assert_eq!(keys(&r), ["zeta", "server", "alpha"]);
        let server = r.get("server").unwrap();
        let auth_entry = server.entry("auth").unwrap();
        assert_eq!(text_of(src, &auth_entry.key), "auth");
        let token = r.get_path(&["server", "auth", "token"]).unwrap();
        assert_eq!(token.as_str(), Some("ghp_abc"));
        assert_eq!(text_of(src, token), "\"ghp_abc\"");
        let mode = r.get_path(&["server", "auth", "mode"]).unwrap();
        assert_eq!(text_of(src, &mode.entries()[0].key), "kind");
        assert_eq!(text_of(src, mode.get("kind").unwrap()), "'x'");
        let auth = server.get("auth").unwrap();
        assert!(text_of(src, auth).starts_with("[server.auth]"));
        assert!(text_of(src, auth).ends_with("'x'"));
        let b = r.get_path(&["alpha", "b"]).unwrap();
        assert_eq!(b.as_scalar().unwrap().kind, ScalarKind::Bool);
        assert_eq!(text_of(src, b), "true");
        assert_eq!(r.span, Span::new(0, src.len()));
    }

    #[test]
    fn arrays_of_tables_inline_tables_and_numbers() {
        let src = "[[mcp.servers]]\nname = \"a\"\nenv = { KEY = \"v1\", \"quoted key\" = 2 }\n\n[[mcp.servers]]\nname = \"b\"\nports = [80, 0x1F, 1.5]\n";
        let r = root(src);
        let servers = r.get_path(&["mcp", "servers"]).unwrap();
        assert_eq!(servers.items().len(), 2);
        let first = &servers.items()[0];
        assert_eq!(text_of(src, first.get("name").unwrap()), "\"a\"");
        let env = first.get("env").unwrap();
        assert_eq!(text_of(src, env), "{ KEY = \"v1\", \"quoted key\" = 2 }");
        assert_eq!(text_of(src, &env.entries()[1].key), "\"quoted key\"");
        assert_eq!(env.entries()[1].key.as_text(), Some("quoted key"));
        let second = &servers.items()[1];
        assert!(text_of(src, second).starts_with("[[mcp.servers]]\nname = \"b\""));
        let ports = second.get("ports").unwrap();
        assert_eq!(text_of(src, ports), "[80, 0x1F, 1.5]");
        let texts: Vec<_> = ports.items().iter().filter_map(Node::as_str).collect();
        assert_eq!(texts, ["80", "0x1F", "1.5"]);
        assert_eq!(
            ports.items()[1].as_scalar().unwrap().kind,
            ScalarKind::Number
        );
    }

    #[test]
    fn multiline_strings_datetimes_and_comments() {
        let src = "# top\nkey = \"\"\"\nline # not a comment\n\"\"\" # after\nlit = '''a#b'''\nwhen = 1979-05-27T07:32:00Z\ns = \"x#y\" # tail\n";
        let parsed = parse(src).unwrap();
        let r = &parsed.documents[0].root;
        let key = r.get("key").unwrap();
        assert_eq!(key.as_str(), Some("line # not a comment\n"));
        assert_eq!(text_of(src, key), "\"\"\"\nline # not a comment\n\"\"\"");
        assert_eq!(r.get("lit").unwrap().as_str(), Some("a#b"));
        let when = r.get("when").unwrap();
        assert_eq!(when.as_str(), Some("1979-05-27T07:32:00Z"));
        assert_eq!(text_of(src, when), "1979-05-27T07:32:00Z");
        let comments: Vec<_> = parsed.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(comments, ["# top", "# after", "# tail"]);
    }

    #[test]
    fn bom_crlf_and_non_ascii_offsets() {
        let src = "\u{feff}# é\r\n[\"é\".\"ü\"]\r\n'clé' = \"välue\" # ü\r\n";
        let parsed = parse(src).unwrap();
        let r = &parsed.documents[0].root;
        let outer = r.entry("é").unwrap();
        assert_eq!(text_of(src, &outer.key), "\"é\"");
        let inner = outer.value.entry("ü").unwrap();
        assert_eq!(text_of(src, &inner.key), "\"ü\"");
        let e = inner.value.entry("clé").unwrap();
        assert_eq!(text_of(src, &e.key), "'clé'");
        assert_eq!(text_of(src, &e.value), "\"välue\"");
        let comments: Vec<_> = parsed.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(comments, ["# é", "# ü"]);
        assert_eq!(r.span, Span::new(3, src.len()));
    }

    #[test]
    fn invalid_toml_error_never_quotes_the_file() {
        let src = "ok = 1\npassword = SECRET_CANARY_123 oops\n";
        let err = parse(src).unwrap_err();
        assert!(!err.message.contains("SECRET_CANARY_123"));
        assert!(!err.to_string().contains("SECRET_CANARY_123"));
        let span = err.span.unwrap();
        assert!(span.start >= 7 && (span.end as usize) <= src.len());
    }

    #[test]
    fn duplicate_key_is_an_error() {
        let err = parse("a = 1\na = 2\n").unwrap_err();
        assert!(err.message.contains("twice"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let src = format!("x = {deep}");
        assert!(parse(&src).is_err());
        let inline = format!("x = {}{}", "{a=".repeat(100_000), "}".repeat(100_000));
        assert!(parse(&inline).is_err());
        let dotted = format!("{} = 1", vec!["a"; 100_000].join("."));
        assert!(parse(&dotted).is_err());
        let header = format!("[{}]", vec!["a"; 100_000].join("."));
        assert!(parse(&header).is_err());
    }

    #[test]
    fn every_span_is_in_bounds() {
        let src = "[a.b.c]\nx = 1\n[a]\ny = [[1], {z = 2}]\n[[a.list]]\n[[a.list]]\nq = 'r'\n";
        let r = root(src);
        let mut seen = 0;
        r.walk(|_, node| {
            assert!(node.span.end as usize <= src.len());
            assert!(node.span.start <= node.span.end);
            seen += 1;
        });
        assert!(seen > 8);
        let a = r.get("a").unwrap();
        assert_eq!(keys(a), ["b", "y", "list"]);
        assert_eq!(text_of(src, &r.entries()[0].key), "a");
    }

    #[test]
    fn random_token_soup_never_panics() {
        let pieces = [
            "a",
            "\"",
            "'",
            "\"\"\"",
            "'''",
            "=",
            " = ",
            "[",
            "]",
            "[[",
            "]]",
            "{",
            "}",
            ",",
            ".",
            "#",
            "\n",
            "\r\n",
            "1",
            "é",
            "\\",
            "1979-05-27",
            "true",
        ];
        for src in crate::syntax::parse::testutil::random_inputs(&pieces, 3000) {
            match parse(&src) {
                Ok(p) => p.documents[0].root.walk(|_, n| {
                    assert!(n.span.end as usize <= src.len());
                }),
                Err(e) => assert!(e.span.is_none_or(|s| s.end as usize <= src.len())),
            }
        }
    }
}
