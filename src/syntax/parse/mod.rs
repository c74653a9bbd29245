//! Format adapters: each turns a file's bytes into the format-neutral [`Parsed`] tree.
//!
//! Every adapter is bounded (nesting depth, alias expansion) and never panics on
//! malformed input; a failure is a [`ParseError`] that the pipeline reports as a
//! `parse-error` notice while text-level rules still run on the file.

mod dockerfile;
mod dotenv;
mod hcl;
pub mod helm;
mod ini;
mod json;
mod toml;
mod yaml;

use crate::syntax::classify::Syntax;
use crate::syntax::doc::Parsed;
use crate::syntax::source::{SourceFile, Span};

/// Why a file could not be parsed.
///
/// The message is written by us and never quotes the file: parse errors are printed
/// in CI logs, and the file may hold a secret next to the syntax error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub message: String,
    /// Where the problem is, when the parser knows.
    pub span: Option<Span>,
}

impl ParseError {
    pub fn new(message: impl Into<String>, span: Option<Span>) -> Self {
        Self {
            message: message.into(),
            span,
        }
    }
}

/// Parse a file with the syntax its kind calls for. `Ok(None)` means the kind is not
/// parsed (text rules only). An error's span is inside the text and on character
/// boundaries whatever the adapter said: reporters slice the file at it.
pub fn parse(file: &SourceFile) -> Result<Option<Parsed>, ParseError> {
    adapt(file).map_err(|mut e| {
        e.span = e.span.map(|s| clamp_span(file.text(), s));
        e
    })
}

/// Parse a Helm template rendered with its chart's default values (see [`helm`]).
/// Errors are mapped like [`parse`]'s.
pub fn parse_helm(file: &SourceFile, chart: &helm::Chart) -> Result<Parsed, ParseError> {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    helm::parse(file.text(), chart, name.starts_with('_')).map_err(|mut e| {
        e.span = e.span.map(|s| clamp_span(file.text(), s));
        e
    })
}

fn clamp_span(text: &str, s: Span) -> Span {
    let mut start = (s.start as usize).min(text.len());
    let mut end = (s.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn adapt(file: &SourceFile) -> Result<Option<Parsed>, ParseError> {
    let text = file.text();
    // `.codex/config.toml` is an MCP config in TOML; every other MCP config is JSONC.
    let syntax = match file.kind.syntax() {
        Syntax::Jsonc if file.path.ends_with(".toml") => Syntax::Toml,
        s => s,
    };
    let parsed = match syntax {
        Syntax::Yaml => yaml::parse(text)?,
        // Known JSONC files stay JSONC whatever their content made them (a
        // `tsconfig.json` with comments, a `.vscode/` file holding a policy).
        Syntax::Json if crate::syntax::classify::jsonc_by_name(&file.path) => {
            json::parse(text, json::Dialect::Jsonc)?
        }
        Syntax::Json => json::parse(text, json::Dialect::Strict)?,
        // MCP configs are JSONC except Codex's `.codex/config.toml`.
        Syntax::Jsonc if file.path.to_ascii_lowercase().ends_with(".toml") => toml::parse(text)?,
        Syntax::Jsonc => json::parse(text, json::Dialect::Jsonc)?,
        Syntax::Toml => toml::parse(text)?,
        Syntax::Hcl => hcl::parse(text)?,
        Syntax::Dotenv => dotenv::parse(text)?,
        Syntax::Dockerfile => dockerfile::parse(text)?,
        Syntax::Ini => ini::parse(text)?,
        Syntax::None => return Ok(None),
    };
    Ok(Some(parsed))
}

/// The byte order mark some editors write at the start of a file; spans skip it.
pub(crate) const BOM: &str = "\u{feff}";

/// Where a file's content starts: after a byte order mark, if there is one.
pub(crate) fn content_start(text: &str) -> usize {
    if text.starts_with(BOM) { BOM.len() } else { 0 }
}

/// A space or a tab.
pub(crate) fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// End of the line containing `i`, before its `\r\n` or `\n`.
pub(crate) fn line_end(b: &[u8], i: usize) -> usize {
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

/// Start of the line after the one containing `i`.
pub(crate) fn next_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p + 1)
}

/// A lexer of a line-oriented format (`.env`, Dockerfile): it reads one logical line
/// at a time, collecting the mapping's entries and the comments.
pub(crate) trait LineLexer {
    /// The offset the next line starts at.
    fn position(&self) -> usize;
    /// Read one logical line; must move [`LineLexer::position`] forward.
    fn line(&mut self);
    fn finish(self) -> (Vec<crate::syntax::doc::Entry>, Vec<Span>);
}

/// The skeleton every line-oriented adapter shares: start after a BOM, read line by
/// line to the end, and wrap the entries in one mapping document.
pub(crate) fn parse_lines<L: LineLexer>(text: &str, lexer: impl FnOnce(usize) -> L) -> Parsed {
    use crate::syntax::doc::{Document, Node};
    let base = content_start(text);
    let mut lexer = lexer(base);
    while lexer.position() < text.len() {
        lexer.line();
    }
    let (entries, comments) = lexer.finish();
    Parsed {
        documents: vec![Document {
            root: Node::map(Span::new(base, text.len()), entries),
        }],
        comments,
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers for span tests shared by the adapters.
    use crate::syntax::doc::Node;

    /// `count` deterministic pseudo-random inputs of up to 40 pieces each, for
    /// no-panic and span-invariant tests of the adapters.
    pub(crate) fn random_inputs<'a>(
        pieces: &'a [&'a str],
        count: usize,
    ) -> impl Iterator<Item = String> + 'a {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..count).map(move |_| {
            let mut src = String::new();
            for _ in 0..(seed % 40) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                src.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            src
        })
    }

    /// Parse every random input built from `pieces` with `parse`, which must never fail,
    /// and check that every node span and comment lies on character boundaries.
    pub(crate) fn assert_spans_on_char_boundaries(
        pieces: &[&str],
        parse: impl Fn(&str) -> Result<crate::syntax::doc::Parsed, super::ParseError>,
    ) {
        for src in random_inputs(pieces, 3000) {
            let p = parse(&src).unwrap();
            p.documents[0].root.walk(|_, n: &Node| {
                assert!(n.span.start <= n.span.end);
                assert!(src.is_char_boundary(n.span.start as usize));
                assert!(src.is_char_boundary(n.span.end as usize));
            });
            for c in &p.comments {
                assert!(src.is_char_boundary(c.end as usize));
            }
        }
    }

    /// (key as written, value as written, decoded value) for every entry of the first
    /// document's root; `<map>` for a value that is not a scalar.
    pub(crate) fn root_entries<'a>(
        src: &'a str,
        p: &crate::syntax::doc::Parsed,
    ) -> Vec<(&'a str, &'a str, String)> {
        p.documents[0]
            .root
            .entries()
            .iter()
            .map(|e| {
                (
                    text_of(src, &e.key),
                    text_of(src, &e.value),
                    e.value.as_text().unwrap_or("<map>").to_owned(),
                )
            })
            .collect()
    }

    /// The source text a node's span covers.
    pub(crate) fn text_of<'a>(src: &'a str, node: &Node) -> &'a str {
        &src[node.span.range()]
    }
}
