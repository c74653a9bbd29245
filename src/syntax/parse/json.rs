//! JSON and JSONC, lowered into the format-neutral tree.
//!
//! `jsonc-parser` gives byte ranges for every value and property name, which become our
//! spans unchanged (plus the BOM or embedding offset). Its own nesting limit (512 ranges)
//! bounds its recursion; ours (`MAX_DEPTH`) is enforced while converting.

use jsonc_parser::ast::{ObjectPropName, Value as JValue};
use jsonc_parser::common::Ranged;
use jsonc_parser::errors::ParseErrorKind;
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};

use super::ParseError;
use crate::syntax::doc::{Document, Entry, MAX_DEPTH, Node, Parsed, ScalarKind};
use crate::syntax::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// RFC 8259 JSON (`.json`, `.tf.json`).
    Strict,
    /// JSON with comments and trailing commas (VS Code settings, `tsconfig.json`).
    Jsonc,
}

const BOM: &str = "\u{feff}";

pub(crate) fn parse(text: &str, dialect: Dialect) -> Result<Parsed, ParseError> {
    // A BOM is not JSON but editors on Windows write one; spans must still count it.
    let (body, base) = match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    };
    let collect = CollectOptions {
        comments: match dialect {
            Dialect::Strict => CommentCollectionStrategy::Off,
            Dialect::Jsonc => CommentCollectionStrategy::Separate,
        },
        tokens: false,
    };
    let result = parse_to_ast(body, &collect, &options(dialect))
        .map_err(|e| convert_error(&e, base, true))?;

    let mut comments: Vec<Span> = result
        .comments
        .iter()
        .flat_map(|map| map.values())
        .flat_map(|list| list.iter())
        .map(|c| to_span(c.range(), base))
        .collect();
    // The crate files each comment run under two keys (after the previous token and
    // before the next one), so the same comment shows up twice.
    comments.sort_unstable();
    comments.dedup();

    let documents = match &result.value {
        Some(value) => vec![Document {
            root: convert(value, base, 1)?,
        }],
        None => Vec::new(),
    };
    Ok(Parsed {
        documents,
        comments,
    })
}

/// Parse one strict JSON value found inside another file (a Terraform heredoc), with
/// spans shifted by `base` so they point into the enclosing file.
pub(crate) fn parse_embedded(text: &str, base: usize) -> Result<Node, ParseError> {
    // The crate's line and column would be relative to the embedded text; the span
    // alone locates the error in the enclosing file.
    let result = parse_to_ast(text, &CollectOptions::default(), &options(Dialect::Strict))
        .map_err(|e| convert_error(&e, base, false))?;
    match &result.value {
        Some(value) => convert(value, base, 1),
        None => Err(ParseError::new(
            "invalid JSON: no value",
            Some(Span::new(base, base + text.len())),
        )),
    }
}

fn options(dialect: Dialect) -> ParseOptions {
    let jsonc = dialect == Dialect::Jsonc;
    ParseOptions {
        allow_comments: jsonc,
        allow_trailing_commas: jsonc,
        // Everything JSON5-ish stays off in both dialects: neither VS Code nor any
        // tool reading these files accepts it, so such a file is broken, not lenient.
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

fn to_span(range: jsonc_parser::common::Range, base: usize) -> Span {
    Span::new(range.start + base, range.end + base)
}

fn convert_error(
    err: &jsonc_parser::errors::ParseError,
    base: usize,
    with_position: bool,
) -> ParseError {
    let what = match err.kind() {
        // The string-escape variant can carry the offending escape's text; never echo
        // file content. Every other kind displays as a fixed phrase.
        ParseErrorKind::String(_) => "invalid string literal".to_owned(),
        kind => kind.to_string().to_lowercase(),
    };
    let message = if with_position {
        format!(
            "invalid JSON at line {}, column {}: {what}",
            err.line_display(),
            err.column_display(),
        )
    } else {
        format!("invalid embedded JSON: {what}")
    };
    ParseError::new(message, Some(to_span(err.range(), base)))
}

fn depth_error(span: Span) -> ParseError {
    ParseError::new(
        format!("JSON nesting deeper than {MAX_DEPTH} levels"),
        Some(span),
    )
}

/// Recursion is bounded by `MAX_DEPTH` here and by the crate's own limit before.
fn convert(value: &JValue<'_>, base: usize, depth: usize) -> Result<Node, ParseError> {
    Ok(match value {
        JValue::StringLit(s) => {
            Node::scalar(to_span(s.range, base), s.value.as_ref(), ScalarKind::Str)
        }
        JValue::NumberLit(n) => Node::scalar(to_span(n.range, base), n.value, ScalarKind::Number),
        JValue::BooleanLit(b) => Node::scalar(
            to_span(b.range, base),
            if b.value { "true" } else { "false" },
            ScalarKind::Bool,
        ),
        JValue::NullKeyword(n) => Node::scalar(to_span(n.range, base), "null", ScalarKind::Null),
        JValue::Array(a) => {
            let span = to_span(a.range, base);
            if depth > MAX_DEPTH {
                return Err(depth_error(span));
            }
            let items = a
                .elements
                .iter()
                .map(|v| convert(v, base, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Node::seq(span, items)
        }
        JValue::Object(o) => {
            let span = to_span(o.range, base);
            if depth > MAX_DEPTH {
                return Err(depth_error(span));
            }
            let entries = o
                .properties
                .iter()
                .map(|p| {
                    let key = match &p.name {
                        ObjectPropName::String(s) => {
                            Node::scalar(to_span(s.range, base), s.value.as_ref(), ScalarKind::Str)
                        }
                        ObjectPropName::Word(w) => {
                            Node::scalar(to_span(w.range, base), w.value, ScalarKind::Str)
                        }
                    };
                    Ok(Entry {
                        key,
                        value: convert(&p.value, base, depth + 1)?,
                    })
                })
                .collect::<Result<Vec<_>, ParseError>>()?;
            Node::map(span, entries)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::doc::Value;
    use crate::syntax::parse::testutil::text_of;

    fn root(text: &str, dialect: Dialect) -> Node {
        let mut parsed = parse(text, dialect).expect("parses");
        assert_eq!(parsed.documents.len(), 1);
        parsed.documents.remove(0).root
    }

    #[test]
    fn object_keys_and_values_have_exact_spans() {
        let src =
            r#"{"Version": "2012-10-17", "n": -1.5e3, "ok": true, "no": null, "list": [1, "a"]}"#;
        let doc = root(src, Dialect::Strict);
        assert_eq!(text_of(src, &doc), src);
        let e = &doc.entries()[0];
        assert_eq!(text_of(src, &e.key), r#""Version""#);
        assert_eq!(e.key.as_text(), Some("Version"));
        assert_eq!(text_of(src, &e.value), r#""2012-10-17""#);
        assert_eq!(e.value.as_str(), Some("2012-10-17"));
        let n = doc.get("n").expect("n");
        assert_eq!(n.as_scalar().map(|s| s.kind), Some(ScalarKind::Number));
        assert_eq!(n.as_text(), Some("-1.5e3"));
        assert_eq!(text_of(src, n), "-1.5e3");
        assert_eq!(doc.get("ok").and_then(Node::as_bool), Some(true));
        assert!(doc.get("no").is_some_and(Node::is_null));
        let list = doc.get("list").expect("list");
        assert_eq!(text_of(src, list), r#"[1, "a"]"#);
        assert_eq!(list.items().len(), 2);
        assert_eq!(text_of(src, &list.items()[1]), r#""a""#);
        assert!(
            parse(src, Dialect::Strict)
                .expect("parses")
                .comments
                .is_empty()
        );
    }

    #[test]
    fn jsonc_accepts_comments_and_trailing_commas_strict_does_not() {
        let src = "// top\n{\n  \"a\": [1, 2,], /* block */\n  \"b\": \"x\", // tail\n}\n";
        let parsed = parse(src, Dialect::Jsonc).expect("jsonc parses");
        let comments: Vec<&str> = parsed.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(comments, vec!["// top", "/* block */", "// tail"]);
        let doc = &parsed.documents[0].root;
        assert_eq!(doc.get("a").map(|a| a.items().len()), Some(2));
        assert_eq!(doc.get("b").map(|b| text_of(src, b)), Some("\"x\""));

        let err = parse(src, Dialect::Strict).expect_err("strict rejects comments");
        assert!(err.message.contains("comments"), "{}", err.message);
        let err =
            parse(r#"{"a": 1,}"#, Dialect::Strict).expect_err("strict rejects trailing comma");
        assert_eq!(err.span, Some(Span::new(7, 8)));
        assert!(parse("{a: 1}", Dialect::Jsonc).is_err());
        assert!(parse("{'a': 1}", Dialect::Jsonc).is_err());
    }

    #[test]
    fn bom_is_accepted_and_counted_in_spans() {
        let src = "\u{feff}{\"Action\": \"s3:*\"}";
        let doc = root(src, Dialect::Strict);
        assert_eq!(doc.span.start, 3);
        let e = &doc.entries()[0];
        assert_eq!(text_of(src, &e.key), "\"Action\"");
        assert_eq!(text_of(src, &e.value), "\"s3:*\"");

        let err = parse("\u{feff}{\"a\" 1}", Dialect::Strict).expect_err("missing colon");
        let span = err.span.expect("span");
        assert_eq!(span.start, 3 + 5);
    }

    #[test]
    fn crlf_and_multibyte_text_before_spans() {
        let src = "{\r\n  \"名前\": \"héllo wörld\",\r\n  \"Effect\": \"Allow\"\r\n}\r\n";
        let doc = root(src, Dialect::Strict);
        let first = &doc.entries()[0];
        assert_eq!(first.key.as_text(), Some("名前"));
        assert_eq!(text_of(src, &first.key), "\"名前\"");
        assert_eq!(text_of(src, &first.value), "\"héllo wörld\"");
        let effect = doc.entry("Effect").expect("Effect");
        assert_eq!(text_of(src, &effect.key), "\"Effect\"");
        assert_eq!(text_of(src, &effect.value), "\"Allow\"");
    }

    #[test]
    fn escapes_are_decoded_but_spans_are_raw() {
        let src = r#"{"k\u0065y": "a\"b\\c\n\u00e9"}"#;
        let doc = root(src, Dialect::Strict);
        let e = &doc.entries()[0];
        assert_eq!(e.key.as_text(), Some("key"));
        assert_eq!(text_of(src, &e.key), r#""k\u0065y""#);
        assert_eq!(e.value.as_text(), Some("a\"b\\c\né"));
        assert_eq!(text_of(src, &e.value), r#""a\"b\\c\n\u00e9""#);
    }

    #[test]
    fn nesting_is_bounded_without_crashing() {
        let deep = "[".repeat(200_000);
        assert!(parse(&deep, Dialect::Strict).is_err());
        let closed = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(parse(&closed, Dialect::Jsonc).is_err());
        let objects = "{\"a\":".repeat(100_000);
        assert!(parse(&objects, Dialect::Strict).is_err());

        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok, Dialect::Strict).is_ok());
        let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = parse(&over, Dialect::Strict).expect_err("too deep");
        assert!(err.message.contains("nesting"), "{}", err.message);
    }

    #[test]
    fn errors_never_quote_the_file() {
        let cases = [
            "{\"token\": \"SECRET_CANARY_123\" \"x\": 1}",
            "{\"token\": SECRET_CANARY_123}",
            "{\"token\": \"SECRET_CANARY_123\\uZZZZ\"}",
            "{\"token\": \"SECRET_CANARY_123\\ud800\\u0041\"}",
            "{\"token\": \"SECRET_CANARY_123",
            "{\"SECRET_CANARY_123\" 5}",
        ];
        for src in cases {
            for dialect in [Dialect::Strict, Dialect::Jsonc] {
                let err = parse(src, dialect).expect_err(src);
                assert!(!err.message.contains("SECRET_CANARY"), "{}", err.message);
                assert!(!err.to_string().contains("SECRET_CANARY"));
                assert!(err.span.is_some());
            }
        }
    }

    #[test]
    fn empty_input_has_no_documents() {
        let parsed = parse("  // nothing\n", Dialect::Jsonc).expect("parses");
        assert!(parsed.documents.is_empty());
        assert_eq!(parsed.comments.len(), 1);
    }

    #[test]
    fn embedded_json_spans_are_offset() {
        let outer = r#"policy = <<EOF
{"Statement": [{"Action": "s3:*"}]}
EOF"#;
        let start = outer.find('{').expect("brace");
        let end = outer.rfind('}').expect("brace") + 1;
        let node = parse_embedded(&outer[start..end], start).expect("parses");
        let action = node
            .get("Statement")
            .and_then(|s| s.items().first())
            .and_then(|s| s.get("Action"))
            .expect("action");
        assert_eq!(text_of(outer, action), "\"s3:*\"");
        assert!(matches!(node.value, Value::Map(_)));
        assert!(parse_embedded("{\"a\": 1,}", 10).is_err());
        assert!(parse_embedded("", 10).is_err());
    }
}
