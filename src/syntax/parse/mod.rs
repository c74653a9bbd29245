//! Format adapters: each turns a file's bytes into the format-neutral [`Parsed`] tree.
//!
//! Every adapter is bounded (nesting depth, alias expansion) and never panics on
//! malformed input; a failure is a [`ParseError`] that the pipeline reports as a
//! `parse-error` notice while text-level rules still run on the file.

mod dockerfile;
mod dotenv;
mod hcl;
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
        let text = file.text();
        e.span = e.span.map(|s| {
            let mut start = (s.start as usize).min(text.len());
            let mut end = (s.end as usize).clamp(start, text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            while !text.is_char_boundary(end) {
                end += 1;
            }
            Span::new(start, end)
        });
        e
    })
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
