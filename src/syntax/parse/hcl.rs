//! Terraform HCL, lowered into the shape of Terraform's JSON syntax.
//!
//! Blocks become keys whose labels nest as single-entry maps, so
//! `resource "aws_iam_policy" "p" { policy = ... }` reads like
//! `{"resource": {"aws_iam_policy": {"p": {"policy": ...}}}}`. Literals become scalars,
//! everything Terraform evaluates (references, calls, templates) becomes an `Expr` scalar
//! holding its source text, except `jsonencode({...})` and JSON heredocs, which are
//! lowered as data so IAM rules read them exactly like a JSON policy document.

use std::ops::Range;

use hcl_edit::expr::{Expression, FuncCall, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::template::{Element, HeredocTemplate, StringTemplate};
use hcl_edit::visit::Visit;
use hcl_edit::{Decorated, Span as _};

use super::{ParseError, json};
use crate::syntax::doc::{Document, Entry, MAX_DEPTH, Node, Parsed, ScalarKind};
use crate::syntax::source::Span;

const BOM: &str = "\u{feff}";

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    // hcl-edit rejects a BOM; parse without it and shift every span back by its length.
    let (src, base) = match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    };
    let body = hcl_edit::parser::parse_body(src).map_err(|e| convert_error(&e, src, base))?;
    let lower = Lower { src, base };
    let root = lower.body(&body, lower.span(Some(0..src.len())), 1)?;
    let comments = collect_comments(&body, src)
        .into_iter()
        .map(|r| Span::new(r.start + base, r.end + base))
        .collect();
    Ok(Parsed {
        documents: vec![Document { root }],
        comments,
    })
}

/// hcl-edit's `Display` prints the offending source line, which may hold a secret and
/// would end up in CI logs. Only the position and hcl-edit's description of what it
/// expected (fixed phrases from its grammar, never input text) are kept.
fn convert_error(err: &hcl_edit::parser::Error, src: &str, base: usize) -> ParseError {
    let loc = err.location();
    // hcl-edit can report an offset inside a multi-byte character (fuzzing found one
    // inside a BOM in the middle of a file): step back to its start.
    let mut offset = loc.offset().min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let width = src
        .get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    ParseError::new(
        format!(
            "invalid HCL at line {}, column {}: {}",
            loc.line(),
            loc.column(),
            err.message()
        ),
        Some(Span::new(offset + base, offset + width + base)),
    )
}

struct Lower<'a> {
    /// The text hcl-edit parsed (the file without its BOM).
    src: &'a str,
    /// Where `src` starts in the file.
    base: usize,
}

impl Lower<'_> {
    fn span(&self, range: Option<Range<usize>>) -> Span {
        // Every parsed item carries a span; an absent one would be a hcl-edit bug and
        // degrades to an empty span rather than a panic.
        let r = range.unwrap_or(0..0);
        Span::new(r.start + self.base, r.end + self.base)
    }

    fn source(&self, range: Option<Range<usize>>) -> &str {
        range.and_then(|r| self.src.get(r)).unwrap_or_default()
    }

    fn check_depth(&self, depth: usize, span: Span) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::new(
                format!("HCL nesting deeper than {MAX_DEPTH} levels"),
                Some(span),
            ));
        }
        Ok(())
    }

    fn body(&self, body: &Body, span: Span, depth: usize) -> Result<Node, ParseError> {
        self.check_depth(depth, span)?;
        let mut entries = Vec::with_capacity(body.len());
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => entries.push(Entry {
                    key: self.ident(&attr.key),
                    value: self.expr(&attr.value, depth + 1)?,
                }),
                Structure::Block(block) => entries.push(Entry {
                    key: self.ident(&block.ident),
                    value: self.block(block, depth + 1)?,
                }),
            }
        }
        Ok(Node::map(span, entries))
    }

    fn ident(&self, ident: &Decorated<hcl_edit::Ident>) -> Node {
        Node::scalar(self.span(ident.span()), ident.as_str(), ScalarKind::Str)
    }

    /// `type "l1" "l2" { body }` → `{"l1": {"l2": {body}}}`.
    fn block(&self, block: &Block, depth: usize) -> Result<Node, ParseError> {
        let block_range = block.span().unwrap_or(0..0);
        let labels_end = block
            .labels
            .last()
            .and_then(|l| l.span())
            .or_else(|| block.ident.span())
            .map_or(block_range.start, |r| r.end);
        let open = self.open_brace_after(labels_end).unwrap_or(labels_end);
        let body_span = self.span(Some(open..block_range.end.max(open)));
        let mut node = self.body(&block.body, body_span, depth + block.labels.len())?;
        for (i, label) in block.labels.iter().enumerate().rev() {
            let label_range = label.span();
            let span = self.span(
                label_range
                    .clone()
                    .map(|r| r.start..block_range.end.max(r.start)),
            );
            self.check_depth(depth + i, span)?;
            let key = Node::scalar(self.span(label_range), label.as_str(), ScalarKind::Str);
            node = Node::map(span, vec![Entry { key, value: node }]);
        }
        Ok(node)
    }

    /// The `{` opening a block body: the first byte after the labels that is neither
    /// whitespace nor inside a comment.
    fn open_brace_after(&self, from: usize) -> Option<usize> {
        let bytes = self.src.as_bytes();
        let mut i = from;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'{' => return Some(i),
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |j| j + 2);
                }
                _ => return None,
            }
        }
        None
    }

    fn expr(&self, expr: &Expression, depth: usize) -> Result<Node, ParseError> {
        let range = expr.span();
        let span = self.span(range.clone());
        self.check_depth(depth, span)?;
        Ok(match expr {
            Expression::Null(_) => Node::scalar(span, "null", ScalarKind::Null),
            Expression::Bool(b) => Node::scalar(
                span,
                if *b.value() { "true" } else { "false" },
                ScalarKind::Bool,
            ),
            Expression::Number(_) => Node::scalar(span, self.source(range), ScalarKind::Number),
            Expression::String(s) => Node::scalar(span, s.value().as_str(), ScalarKind::Str),
            Expression::StringTemplate(t) => match literal_text(t.iter()) {
                Some(text) => Node::scalar(span, text, ScalarKind::Str),
                None => self.expr_text(range),
            },
            Expression::HeredocTemplate(h) => self.heredoc(h, range),
            Expression::Array(items) => {
                let items = items
                    .iter()
                    .map(|item| self.expr(item, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Node::seq(span, items)
            }
            Expression::Object(object) => {
                let mut entries = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    entries.push(Entry {
                        key: self.object_key(key),
                        value: self.expr(value.expr(), depth + 1)?,
                    });
                }
                Node::map(span, entries)
            }
            Expression::FuncCall(call) => match jsonencode_arg(call) {
                Some(arg) => self.expr(arg, depth)?.with_tag("jsonencode"),
                None => self.expr_text(range),
            },
            Expression::Parenthesis(_)
            | Expression::Variable(_)
            | Expression::ForExpr(_)
            | Expression::Conditional(_)
            | Expression::UnaryOp(_)
            | Expression::BinaryOp(_)
            | Expression::Traversal(_) => self.expr_text(range),
        })
    }

    fn expr_text(&self, range: Option<Range<usize>>) -> Node {
        Node::scalar(
            self.span(range.clone()),
            self.source(range),
            ScalarKind::Expr,
        )
    }

    fn object_key(&self, key: &ObjectKey) -> Node {
        match key {
            ObjectKey::Ident(ident) => self.ident(ident),
            ObjectKey::Expression(Expression::String(s)) => {
                Node::scalar(self.span(s.span()), s.value().as_str(), ScalarKind::Str)
            }
            ObjectKey::Expression(Expression::StringTemplate(t)) => match literal_text(t.iter()) {
                Some(text) => Node::scalar(self.span(t.span()), text, ScalarKind::Str),
                None => self.expr_text(t.span()),
            },
            ObjectKey::Expression(other) => self.expr_text(other.span()),
        }
    }

    /// A heredoc holding a JSON document becomes that document (spans into the heredoc
    /// body); any other heredoc is its text.
    fn heredoc(&self, heredoc: &HeredocTemplate, range: Option<Range<usize>>) -> Node {
        let span = self.span(range.clone());
        let body_range = heredoc.template.span();
        let raw = self.source(body_range.clone());
        let trimmed = raw.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let start = body_range.as_ref().map_or(0, |r| r.start);
            // The raw body, not the dedented text: `<<-` only strips indentation, which
            // JSON ignores, and raw offsets are file offsets.
            if let Ok(node) = json::parse_embedded(raw, start + self.base) {
                return node.with_tag("heredoc-json");
            }
        }
        match literal_text(heredoc.template.iter()) {
            Some(text) => Node::scalar(span, text, ScalarKind::Str),
            // Interpolated text is not a literal value; keep the source for rules.
            None => Node::scalar(span, self.source(range), ScalarKind::Expr),
        }
        .with_tag("heredoc")
    }
}

/// The text of a template made only of literal parts (no `${}` or `%{}`).
fn literal_text<'e>(mut elements: impl Iterator<Item = &'e Element>) -> Option<String> {
    elements.try_fold(String::new(), |mut text, element| match element {
        Element::Literal(lit) => {
            text.push_str(lit.value());
            Some(text)
        }
        Element::Interpolation(_) | Element::Directive(_) => None,
    })
}

/// The argument of `jsonencode(<object or array>)`, which Terraform turns into the JSON
/// text a policy attribute receives.
fn jsonencode_arg(call: &FuncCall) -> Option<&Expression> {
    if call.name.is_namespaced()
        || call.name.name.as_str() != "jsonencode"
        || call.args.expand_final()
    {
        return None;
    }
    let mut args = call.args.iter();
    match (args.next(), args.next()) {
        (Some(arg @ (Expression::Object(_) | Expression::Array(_))), None) => Some(arg),
        _ => None,
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Spans of everything that can contain `#`, `//` or `/*` without being a comment:
/// quoted strings, templates and heredocs, wherever they occur (function arguments,
/// interpolations, labels, object keys).
#[derive(Default)]
struct StringSpans(Vec<Range<usize>>);

impl Visit for StringSpans {
    fn visit_string(&mut self, node: &Decorated<String>) {
        self.0.extend(node.span());
    }

    fn visit_string_template(&mut self, node: &StringTemplate) {
        self.0.extend(node.span());
    }

    fn visit_heredoc_template(&mut self, node: &HeredocTemplate) {
        self.0.extend(node.span());
    }
}

/// Comments are whitespace to hcl-edit (its decor keeps their text, not their position),
/// so they are found by scanning the text outside every string-like span of the parsed
/// tree. Outside strings, `#`, `//` and `/*` only ever start comments.
fn collect_comments(body: &Body, src: &str) -> Vec<Range<usize>> {
    let mut strings = StringSpans::default();
    strings.visit_body(body);
    let mut skips = strings.0;
    skips.sort_unstable_by_key(|r| r.start);

    let bytes = src.as_bytes();
    let mut comments = Vec::new();
    let mut skip = skips.iter().peekable();
    let mut i = 0;
    while i < bytes.len() {
        while skip.peek().is_some_and(|r| r.end <= i) {
            skip.next();
        }
        if let Some(r) = skip.peek()
            && r.start <= i
        {
            i = r.end;
            continue;
        }
        let line_comment = match bytes[i] {
            b'#' => true,
            b'/' => match bytes.get(i + 1) {
                Some(b'/') => true,
                Some(b'*') => {
                    let end = find(bytes, i + 2, b"*/").map_or(bytes.len(), |j| j + 2);
                    comments.push(i..end);
                    i = end;
                    continue;
                }
                _ => false,
            },
            _ => false,
        };
        if line_comment {
            let mut end = find(bytes, i, b"\n").unwrap_or(bytes.len());
            if end > i && bytes[end - 1] == b'\r' {
                end -= 1;
            }
            comments.push(i..end);
            i = end;
        } else {
            i += 1;
        }
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::text_of;

    #[test]
    fn an_error_inside_a_multibyte_character_points_at_its_start() {
        // Found by the parse_hcl fuzz target: a BOM after a stray backslash.
        let src = "rsourrem\" {\n\\\u{feff}";
        let err = parse(src).expect_err("invalid HCL");
        let span = err.span.expect("a span");
        assert!(src.is_char_boundary(span.start as usize));
        assert!(src.is_char_boundary(span.end as usize));
    }

    fn root(text: &str) -> Node {
        let mut parsed = parse(text).expect("parses");
        assert_eq!(parsed.documents.len(), 1);
        parsed.documents.remove(0).root
    }

    fn kind(node: &Node) -> Option<ScalarKind> {
        node.as_scalar().map(|s| s.kind)
    }

    #[test]
    fn labelled_blocks_nest_like_terraform_json() {
        let src = "resource \"aws_iam_role\" \"agent\" {\n  name = \"agent\"\n}\n\nterraform {\n  required_version = \">= 1.5\"\n}\n";
        let doc = root(src);
        let resource = doc.entry("resource").expect("resource");
        assert_eq!(text_of(src, &resource.key), "resource");
        let by_type = resource.value.entry("aws_iam_role").expect("type label");
        assert_eq!(text_of(src, &by_type.key), "\"aws_iam_role\"");
        let by_name = by_type.value.entry("agent").expect("name label");
        assert_eq!(text_of(src, &by_name.key), "\"agent\"");
        assert_eq!(text_of(src, &by_name.value), "{\n  name = \"agent\"\n}");
        let name = by_name.value.entry("name").expect("name attr");
        assert_eq!(text_of(src, &name.key), "name");
        assert_eq!(text_of(src, &name.value), "\"agent\"");
        assert_eq!(name.value.as_str(), Some("agent"));

        let tf = doc.get("terraform").expect("unlabelled block");
        assert_eq!(text_of(src, tf), "{\n  required_version = \">= 1.5\"\n}");
        assert_eq!(
            tf.get("required_version").and_then(Node::as_str),
            Some(">= 1.5")
        );
        assert_eq!(
            doc.get_path(&["resource", "aws_iam_role", "agent", "name"])
                .and_then(Node::as_str),
            Some("agent")
        );
    }

    #[test]
    fn literal_attributes_of_every_kind() {
        let src = r#"s = "a\"b\u00e9\n"
n = 1.5e3
i = 42
t = true
f = false
z = null
l = [1, "two", [3]]
o = { ident = 1, "quoted key" = 2, (var.k) = 3 }
e = ""
"#;
        let doc = root(src);
        let s = doc.get("s").expect("s");
        assert_eq!(s.as_str(), Some("a\"bé\n"));
        assert_eq!(text_of(src, s), r#""a\"b\u00e9\n""#);
        let n = doc.get("n").expect("n");
        assert_eq!(
            (kind(n), n.as_text(), text_of(src, n)),
            (Some(ScalarKind::Number), Some("1.5e3"), "1.5e3")
        );
        assert_eq!(doc.get("i").and_then(Node::as_text), Some("42"));
        assert_eq!(doc.get("t").and_then(Node::as_bool), Some(true));
        assert_eq!(doc.get("f").and_then(Node::as_bool), Some(false));
        assert_eq!(doc.get("t").and_then(kind), Some(ScalarKind::Bool));
        let z = doc.get("z").expect("z");
        assert!(z.is_null());
        assert_eq!(text_of(src, z), "null");
        let l = doc.get("l").expect("l");
        assert_eq!(text_of(src, l), r#"[1, "two", [3]]"#);
        assert_eq!(l.items().len(), 3);
        assert_eq!(text_of(src, &l.items()[1]), "\"two\"");
        assert_eq!(l.items()[2].items().len(), 1);
        let o = doc.get("o").expect("o");
        assert_eq!(
            text_of(src, o),
            r#"{ ident = 1, "quoted key" = 2, (var.k) = 3 }"#
        );
        let keys: Vec<(&str, &str, Option<ScalarKind>)> = o
            .entries()
            .iter()
            .map(|e| {
                (
                    e.key.as_text().unwrap_or(""),
                    text_of(src, &e.key),
                    kind(&e.key),
                )
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                ("ident", "ident", Some(ScalarKind::Str)),
                ("quoted key", "\"quoted key\"", Some(ScalarKind::Str)),
                ("(var.k)", "(var.k)", Some(ScalarKind::Expr)),
            ]
        );
        assert_eq!(o.get("quoted key").map(|v| text_of(src, v)), Some("2"));
        let e = doc.get("e").expect("e");
        assert_eq!((e.as_str(), text_of(src, e)), (Some(""), "\"\""));
    }

    #[test]
    fn references_calls_and_templates_are_expressions() {
        let src = r#"a = aws_iam_role.agent.arn
b = var.role_name
c = format("%s-x", var.env)
d = var.admin ? "*" : "s3:GetObject"
e = [for s in var.list : upper(s)]
f = "arn:aws:s3:::${var.bucket}/*"
g = "%{ if var.x }y%{ endif }"
h = jsonencode(var.policy)
i = 1 + 2
j = !var.flag
k = local.list[0]
"#;
        let doc = root(src);
        let expect = [
            ("a", "aws_iam_role.agent.arn"),
            ("b", "var.role_name"),
            ("c", r#"format("%s-x", var.env)"#),
            ("d", r#"var.admin ? "*" : "s3:GetObject""#),
            ("e", "[for s in var.list : upper(s)]"),
            ("f", r#""arn:aws:s3:::${var.bucket}/*""#),
            ("g", r#""%{ if var.x }y%{ endif }""#),
            ("h", "jsonencode(var.policy)"),
            ("i", "1 + 2"),
            ("j", "!var.flag"),
            ("k", "local.list[0]"),
        ];
        for (key, text) in expect {
            let node = doc.get(key).expect(key);
            assert_eq!(kind(node), Some(ScalarKind::Expr), "{key}");
            assert_eq!(node.as_text(), Some(text), "{key}");
            assert_eq!(text_of(src, node), text, "{key}");
            assert_eq!(node.tag(), None, "{key}");
        }
    }

    #[test]
    fn jsonencode_policies_are_lowered_as_data() {
        let src = r#"resource "aws_iam_policy" "p" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
"#;
        let doc = root(src);
        let policy = doc
            .get_path(&["resource", "aws_iam_policy", "p", "policy"])
            .expect("policy");
        assert_eq!(policy.tag(), Some("jsonencode"));
        assert!(policy.is_map());
        assert!(text_of(src, policy).starts_with("{ Version"));
        assert!(text_of(src, policy).ends_with("}] }"));
        assert_eq!(
            policy.get("Version").and_then(Node::as_str),
            Some("2012-10-17")
        );
        let statement = &policy.get("Statement").expect("Statement").items()[0];
        let action = statement.entry("Action").expect("Action");
        assert_eq!(text_of(src, &action.key), "Action");
        assert_eq!(text_of(src, &action.value), "\"*\"");
        assert_eq!(
            action.value.span.start as usize,
            src.find("\"*\"").expect("star")
        );
        assert_eq!(action.value.as_str(), Some("*"));
        assert_eq!(action.value.tag(), None);

        let src = "x = jsonencode([\"s3:*\", var.y])\n";
        let x = root(src).get("x").cloned().expect("x");
        assert_eq!((x.tag(), x.items().len()), (Some("jsonencode"), 2));
        assert_eq!(text_of(src, &x), "[\"s3:*\", var.y]");
        assert_eq!(kind(&x.items()[1]), Some(ScalarKind::Expr));
    }

    #[test]
    fn heredoc_json_policies_point_into_the_heredoc_body() {
        let src = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"${aws_s3_bucket.b.arn}/*\"}]\n}\nEOF\n}\n";
        let doc = root(src);
        let policy = doc
            .get_path(&["resource", "aws_iam_policy", "p", "policy"])
            .expect("policy");
        assert_eq!(policy.tag(), Some("heredoc-json"));
        assert!(text_of(src, policy).starts_with("{\n  \"Version\""));
        let statement = &policy.get("Statement").expect("Statement").items()[0];
        let action = statement.entry("Action").expect("Action");
        assert_eq!(text_of(src, &action.key), "\"Action\"");
        assert_eq!(text_of(src, &action.value), "\"s3:*\"");
        assert_eq!(action.value.as_str(), Some("s3:*"));
        let resource = statement.get("Resource").expect("Resource");
        assert_eq!(resource.as_str(), Some("${aws_s3_bucket.b.arn}/*"));

        // `<<-` strips indentation, which JSON ignores; spans are still raw offsets.
        let src = "policy = <<-POLICY\n    [\"s3:*\",\n     \"iam:PassRole\"]\n    POLICY\n";
        let policy = root(src).get("policy").cloned().expect("policy");
        assert_eq!(policy.tag(), Some("heredoc-json"));
        assert_eq!(text_of(src, &policy.items()[1]), "\"iam:PassRole\"");
    }

    #[test]
    fn other_heredocs_are_tagged_text() {
        let src = "script = <<-EOT\n    echo hi # not a comment\n    exit 0\n  EOT\nbroken = <<EOF\n{ \"not\": json,\n}\nEOF\nwith_ref = <<EOF\nrole ${var.role}\nEOF\n";
        let parsed = parse(src).expect("parses");
        assert!(parsed.comments.is_empty(), "{:?}", parsed.comments);
        let doc = &parsed.documents[0].root;
        let script = doc.get("script").expect("script");
        assert_eq!(script.tag(), Some("heredoc"));
        assert_eq!(kind(script), Some(ScalarKind::Str));
        assert_eq!(script.as_str(), Some("echo hi # not a comment\nexit 0\n"));
        assert!(text_of(src, script).starts_with("<<-EOT\n"));
        assert!(text_of(src, script).ends_with("EOT"));
        let broken = doc.get("broken").expect("broken");
        assert_eq!(broken.tag(), Some("heredoc"));
        assert_eq!(broken.as_str(), Some("{ \"not\": json,\n}\n"));
        let with_ref = doc.get("with_ref").expect("with_ref");
        assert_eq!(with_ref.tag(), Some("heredoc"));
        assert_eq!(kind(with_ref), Some(ScalarKind::Expr));
        assert_eq!(with_ref.as_text(), Some("<<EOF\nrole ${var.role}\nEOF"));
    }

    #[test]
    fn policy_document_statement_blocks_repeat() {
        let src = r#"data "aws_iam_policy_document" "agent" {
  statement {
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }

  statement {
    actions   = ["iam:*"]
    resources = [aws_iam_role.x.arn]
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalTag/team"
      values   = ["agents"]
    }
  }
}
"#;
        let doc = root(src);
        let body = doc
            .get_path(&["data", "aws_iam_policy_document", "agent"])
            .expect("data block");
        let statements: Vec<&Node> = body.get_all("statement").collect();
        assert_eq!(statements.len(), 2);
        let first_actions = statements[0].get("actions").expect("actions");
        assert_eq!(text_of(src, &first_actions.items()[0]), "\"s3:GetObject\"");
        let second_actions = statements[1].get("actions").expect("actions");
        assert_eq!(second_actions.items()[0].as_str(), Some("iam:*"));
        assert_eq!(text_of(src, &second_actions.items()[0]), "\"iam:*\"");
        let resources = statements[1].get("resources").expect("resources");
        assert_eq!(kind(&resources.items()[0]), Some(ScalarKind::Expr));
        let variable = statements[1]
            .get_path(&["condition", "variable"])
            .expect("condition");
        assert_eq!(variable.as_str(), Some("aws:PrincipalTag/team"));
        assert!(text_of(src, statements[1]).starts_with("{\n    actions"));
    }

    #[test]
    fn crlf_bom_and_multibyte_text_keep_spans() {
        let src = "\u{feff}# résumé\r\nlocals {\r\n  naïve = \"日本\"\r\n  policy = jsonencode({ Action = \"s3:*\" })\r\n}\r\n";
        let parsed = parse(src).expect("parses");
        let comments: Vec<&str> = parsed.comments.iter().map(|c| &src[c.range()]).collect();
        assert_eq!(comments, vec!["# résumé"]);
        let doc = &parsed.documents[0].root;
        let locals = doc.entry("locals").expect("locals");
        assert_eq!(text_of(src, &locals.key), "locals");
        let naive = locals.value.entry("naïve").expect("naïve");
        assert_eq!(text_of(src, &naive.key), "naïve");
        assert_eq!(text_of(src, &naive.value), "\"日本\"");
        let action = locals
            .value
            .get_path(&["policy", "Action"])
            .expect("action");
        assert_eq!(text_of(src, action), "\"s3:*\"");

        let err = parse("\u{feff}a = [\r\n").expect_err("unterminated");
        assert!(err.span.expect("span").start >= 3);
    }

    #[test]
    fn comments_are_collected_but_not_inside_strings() {
        let src = r##"# leading
// slashes
/* block
   comment */
url = "https://example.com/#frag" # trailing
fmt = format("#%s//%s/*", var.a, "x") // after call
tpl = "${var.a} # no"
k "label#1" { /* inline */ }
"##;
        let parsed = parse(src).expect("parses");
        let comments: Vec<&str> = parsed.comments.iter().map(|c| &src[c.range()]).collect();
        assert_eq!(
            comments,
            vec![
                "# leading",
                "// slashes",
                "/* block\n   comment */",
                "# trailing",
                "// after call",
                "/* inline */",
            ]
        );
        let doc = &parsed.documents[0].root;
        assert_eq!(
            doc.get("url").and_then(Node::as_str),
            Some("https://example.com/#frag")
        );
        assert!(doc.get_path(&["k", "label#1"]).is_some_and(Node::is_map));
    }

    #[test]
    fn errors_never_quote_the_file() {
        let cases = [
            "token = \"SECRET_CANARY_123\" extra\n",
            "token = SECRET_CANARY_123 SECRET_CANARY_123\n",
            "a = [\n SECRET_CANARY_123 ! ]\n",
            "block \"SECRET_CANARY_123\" {\n  key = \"SECRET_CANARY_123\"\n",
            "x = \"SECRET_CANARY_123\n",
            "x = <<EOF\nSECRET_CANARY_123\n",
            "x = \"${SECRET_CANARY_123\"\n",
            "x = 1\nx = \"SECRET_CANARY_123\"\n",
            "SECRET_CANARY_123\n",
        ];
        for src in cases {
            let err = parse(src).expect_err(src);
            assert!(!err.message.contains("SECRET_CANARY"), "{}", err.message);
            assert!(!err.to_string().contains("SECRET_CANARY"), "{}", err);
            assert!(
                err.message.starts_with("invalid HCL at line "),
                "{}",
                err.message
            );
            let span = err.span.expect("span");
            assert!(span.end as usize <= src.len());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep_inputs = [
            format!("a = {}", "[".repeat(100_000)),
            format!("a = {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            format!("a = {}", "{ b = ".repeat(100_000)),
            format!("a = {}", "\"${".repeat(100_000)),
            format!("a = {}1", "!".repeat(100_000)),
            format!("a = 1{}", " + 1".repeat(100_000)),
            format!("{}{}", "b {\n".repeat(1_000), "}\n".repeat(1_000)),
            "b \"l\" {\n".repeat(100_000),
        ];
        for src in &deep_inputs {
            let err = parse(src).expect_err("too deep");
            assert!(!err.message.is_empty());
        }
        // Moderate nesting within hcl-edit's limit still parses.
        let src = format!("{}{}", "b {\n".repeat(30), "}\n".repeat(30));
        let mut node = root(&src);
        let mut levels = 0;
        while let Some(inner) = node.get("b").cloned() {
            node = inner;
            levels += 1;
        }
        assert_eq!(levels, 30);
    }

    #[test]
    fn empty_file_is_an_empty_map() {
        let parsed = parse("").expect("parses");
        assert_eq!(parsed.documents.len(), 1);
        assert!(parsed.documents[0].root.is_map());
        assert!(parsed.documents[0].root.entries().is_empty());
    }
}
