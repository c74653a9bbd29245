//! The format-neutral document tree every structured format lowers into.
//!
//! YAML, JSON/JSONC, TOML, HCL, `.env` and Dockerfiles all become mappings, sequences
//! and scalars with byte spans into the original file. Rules ask questions of this tree
//! and never look at the syntax it came from.

use crate::syntax::source::Span;

/// Deepest nesting any parser may produce. Deeper input is a parse error, which keeps
/// every recursive walk over the tree (and its `Drop`) far from the stack limit.
pub const MAX_DEPTH: usize = 256;

/// Everything one file parsed into.
#[derive(Debug, Default)]
pub struct Parsed {
    /// One entry per document (YAML streams hold several; every other format one).
    pub documents: Vec<Document>,
    /// Spans of comments, including their markers (`#`, `//`, `/* */`).
    pub comments: Vec<Span>,
}

#[derive(Debug)]
pub struct Document {
    pub root: Node,
}

#[derive(Debug, Clone)]
pub struct Node {
    /// Span of the value's text (for a quoted string: including the quotes; for a
    /// mapping or sequence: from its first to its last byte).
    pub span: Span,
    /// A custom tag (`!Ref`, `!GetAtt`, `!!str`) or a lowering marker (`jsonencode`,
    /// `heredoc`), without surrounding whitespace.
    pub tag: Option<Box<str>>,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    Map(Vec<Entry>),
    Seq(Vec<Node>),
    Scalar(Scalar),
    /// A YAML alias that was not expanded (expansion budget spent): the anchor name.
    Alias(Box<str>),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The decoded value (escapes resolved, quotes removed). For `Expr`, the
    /// expression's source text.
    pub text: String,
    pub kind: ScalarKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Str,
    Number,
    Bool,
    Null,
    /// An expression that is not a literal: an HCL reference or function call, a
    /// template with interpolation, a Dockerfile variable expansion.
    Expr,
}

impl Node {
    pub fn scalar(span: Span, text: impl Into<String>, kind: ScalarKind) -> Self {
        Self {
            span,
            tag: None,
            value: Value::Scalar(Scalar {
                text: text.into(),
                kind,
            }),
        }
    }

    pub fn map(span: Span, entries: Vec<Entry>) -> Self {
        Self {
            span,
            tag: None,
            value: Value::Map(entries),
        }
    }

    pub fn seq(span: Span, items: Vec<Node>) -> Self {
        Self {
            span,
            tag: None,
            value: Value::Seq(items),
        }
    }

    pub fn with_tag(mut self, tag: impl Into<Box<str>>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text when it is a string, number or bool literal (not null, not
    /// an expression).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().and_then(Scalar::as_str)
    }

    /// The scalar's text of any kind, expressions included.
    pub fn as_text(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.as_scalar().and_then(Scalar::as_bool)
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.kind == ScalarKind::Null)
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The first entry whose key is `key` (exact match).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries().iter().find(|e| e.key.as_text() == Some(key))
    }

    /// The value of the first entry whose key is `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The value of the first entry whose key equals `key` ignoring ASCII case
    /// (IAM policy keys are case-sensitive in AWS but written loosely in the wild).
    pub fn get_ci(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|e| e.key.as_text().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map(|e| &e.value)
    }

    /// Follow a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Every value under `key` (repeated keys are legal in HCL bodies and occur in
    /// hand-written YAML).
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.entries()
            .iter()
            .filter(move |e| e.key.as_text() == Some(key))
            .map(|e| &e.value)
    }

    /// A scalar, or each scalar of a sequence: the shape of IAM `Action` fields and
    /// many other "one or many" settings.
    pub fn one_or_many(&self) -> Vec<&Node> {
        match &self.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Scalar(_) => vec![self],
            _ => Vec::new(),
        }
    }

    /// Visit this node and every node below it, depth first, with the path of keys
    /// and indexes leading to it. Iterative, so depth never touches the stack.
    pub fn walk<'a>(&'a self, mut visit: impl FnMut(&[PathSeg<'a>], &'a Node)) {
        // (node, depth of its path segment, its segment)
        let mut stack: Vec<(&Node, usize, Option<PathSeg<'a>>)> = vec![(self, 0, None)];
        let mut path: Vec<PathSeg<'a>> = Vec::new();
        while let Some((node, depth, seg)) = stack.pop() {
            path.truncate(depth);
            if let Some(seg) = seg {
                path.push(seg);
            }
            visit(&path, node);
            let next = path.len();
            match &node.value {
                Value::Map(entries) => {
                    for e in entries.iter().rev() {
                        let key = e.key.as_text().unwrap_or("");
                        stack.push((&e.value, next, Some(PathSeg::Key(key))));
                    }
                }
                Value::Seq(items) => {
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push((item, next, Some(PathSeg::Index(i))));
                    }
                }
                Value::Scalar(_) | Value::Alias(_) => {}
            }
        }
    }
}

impl Scalar {
    /// The text when it is a string, number or bool literal (not null, not an
    /// expression). [`Node::as_str`] and the model's owned copies of scalars
    /// (`model::settings::Field`) both answer through this.
    pub fn as_str(&self) -> Option<&str> {
        matches!(
            self.kind,
            ScalarKind::Str | ScalarKind::Number | ScalarKind::Bool
        )
        .then_some(self.text.as_str())
    }

    /// `true`/`false` (any of the usual spellings) from a bool or string scalar.
    pub fn as_bool(&self) -> Option<bool> {
        if !matches!(self.kind, ScalarKind::Bool | ScalarKind::Str) {
            return None;
        }
        match self.text.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
}

impl Entry {
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_text()
    }
}

/// One step of a path into a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Render a path as `a.b[0].c` (for fingerprints and messages).
pub fn path_string(path: &[PathSeg<'_>]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => {
                s.push('[');
                s.push_str(&i.to_string());
                s.push(']');
            }
        }
    }
    s
}

/// The node at `path` below `root` (the inverse of [`Node::walk`]'s paths), to reach
/// the siblings of a node the walk visits: the `name` of a Kubernetes `env` item whose
/// `value` it is.
pub fn node_at<'a>(root: &'a Node, path: &[crate::syntax::doc::PathSeg<'_>]) -> Option<&'a Node> {
    use crate::syntax::doc::PathSeg;
    path.iter().try_fold(root, |n, seg| match seg {
        PathSeg::Key(k) => n.get(k),
        PathSeg::Index(i) => n.items().get(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Node {
        Node::scalar(Span::default(), text, ScalarKind::Str)
    }

    #[test]
    fn walk_reports_paths_in_document_order() {
        let tree = Node::map(
            Span::default(),
            vec![
                Entry {
                    key: s("a"),
                    value: Node::seq(Span::default(), vec![s("x"), s("y")]),
                },
                Entry {
                    key: s("b"),
                    value: s("z"),
                },
            ],
        );
        let mut seen = Vec::new();
        tree.walk(|path, node| seen.push((path_string(path), node.as_text().map(str::to_owned))));
        assert_eq!(
            seen,
            vec![
                (String::new(), None),
                ("a".into(), None),
                ("a[0]".into(), Some("x".into())),
                ("a[1]".into(), Some("y".into())),
                ("b".into(), Some("z".into())),
            ]
        );
        assert_eq!(tree.get_path(&["b"]).and_then(Node::as_str), Some("z"));
    }
}
