//! Every secret a scan found, to mask wherever it turns up again in what lanyard
//! prints: a credential used as a name (an MCP server key, a compose service, a
//! Kubernetes service account), quoted in an ignore comment's reason, or in a file or
//! directory name. Findings, notices and inventories pass their strings through
//! [`Secrets::mask`] before they are escaped for a format (Markdown escaping would
//! otherwise hide a secret from a later search), and the CLI passes every rendered
//! report through [`Secrets::mask_output`] as a last guard.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Secrets shorter than this are not searched for in output: a four-letter `.netrc`
/// password would mask every word it happens to spell.
const MIN_LEN: usize = 8;

/// The secrets of a scan. Its `Debug` shows only how many there are.
#[derive(Default)]
pub struct Secrets {
    automaton: Option<AhoCorasick>,
    /// Per pattern, how many leading characters stay visible.
    visible: Vec<usize>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} patterns)", self.visible.len())
    }
}

impl Secrets {
    /// From `(secret, public prefix length)` pairs. Each is searched for as written
    /// and as JSON, YAML and TOML strings escape it (`\n`, `\"`, `\\`, `\/`).
    pub(crate) fn new(mut found: Vec<(String, usize)>) -> Secrets {
        found.retain(|(s, _)| s.chars().count() >= MIN_LEN);
        found.sort();
        found.dedup();
        let mut patterns: Vec<String> = Vec::new();
        let mut visible = Vec::new();
        for (secret, prefix) in found {
            let chars = secret.chars().count();
            // The same share a masked file copy keeps.
            let keep = prefix.min(chars / 3).min(12);
            let json = serde_json::to_string(&secret).unwrap_or_default();
            let json = json
                .strip_prefix('"')
                .and_then(|j| j.strip_suffix('"'))
                .unwrap_or_default()
                .to_owned();
            let slashes = json.replace('/', "\\/");
            // As a finding's message holds it once the builder made it one line.
            let line = crate::syntax::text::one_line(&secret).into_owned();
            for form in [secret, json, slashes, line] {
                if !form.is_empty() && !patterns.contains(&form) {
                    patterns.push(form);
                    visible.push(keep);
                }
            }
        }
        if patterns.is_empty() {
            return Secrets::default();
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Secrets { automaton, visible }
    }

    /// `text` with every known secret and every credential the built-in catalog
    /// recognises masked past its public prefix.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let known = self.mask_output(text);
        let redacted = crate::model::catalog::redact_text(&known);
        if redacted == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(redacted)
        }
    }

    /// `text` (a whole rendered report) with every known secret masked past its public
    /// prefix. Escape sequences (`\n`, `\"`) and quotes are kept, so a JSON or SARIF
    /// document stays valid, and so is the length of every character.
    pub fn mask_output<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(automaton) = &self.automaton else {
            return Cow::Borrowed(text);
        };
        let mut out: Option<String> = None;
        for m in automaton.find_iter(text) {
            let keep = self.visible[m.pattern().as_usize()];
            let o = out.get_or_insert_with(|| text.to_owned());
            let piece = &text[m.start()..m.end()];
            let mut masked = String::with_capacity(piece.len());
            let mut escape = false;
            for (i, c) in piece.chars().enumerate() {
                if escape {
                    escape = false;
                    masked.push(c);
                } else if c == '\\' {
                    escape = true;
                    masked.push(c);
                } else if i < keep || matches!(c, '"' | '\n' | '\r') {
                    masked.push(c);
                } else {
                    masked.extend(std::iter::repeat_n('*', c.len_utf8()));
                }
            }
            o.replace_range(m.start()..m.end(), &masked);
        }
        out.map_or(Cow::Borrowed(text), Cow::Owned)
    }
}

/// A value from the command line or a configuration file as an error message may
/// show it: one line, credentials the catalog recognises masked, and runs that look
/// like a secret masked too (an unknown rule id, a path or a ref could be a pasted
/// credential the catalog cannot recognise without its variable name).
pub fn shown(value: &str) -> String {
    // The catalog first, while a PEM block still has its line breaks.
    let redacted = crate::model::catalog::redact_text(value);
    let line = crate::syntax::text::one_line(&redacted);
    crate::syntax::text::mask_secret_looking(&line).into_owned()
}

/// A credential catalog error in words that quote nothing from the file: a custom
/// rule file is the repository's, and TOML and regex errors quote its text.
pub(crate) fn catalog_error(e: &crate::model::catalog::CatalogError) -> String {
    use crate::model::catalog::CatalogError;
    match e {
        CatalogError::Toml { file, message } => format!(
            "{}: invalid catalog file: {}",
            shown(file),
            shown(&crate::syntax::text::elide_quoted(message))
        ),
        CatalogError::Regex { file, id, message } => format!(
            "{}: credential `{}`: invalid regex: {}",
            shown(file),
            shown(id),
            // The regex crate quotes the pattern above a caret; its last line says
            // what is wrong.
            shown(message.lines().last().unwrap_or("invalid"))
        ),
        CatalogError::Invalid { file, id, message } => {
            format!(
                "{}: credential `{}`: {}",
                shown(file),
                shown(id),
                shown(message)
            )
        }
        CatalogError::Version { file, version } => format!(
            "{}: unsupported catalog version {version} (this lanyard reads version 1)",
            shown(file)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_masked_in_every_spelling() {
        let secrets = Secrets::new(vec![
            ("wJalrXUtnFEMI/K7MDENG/bPxRfiCY".to_owned(), 0),
            ("short".to_owned(), 0),
            ("line one\nline \"two\"".to_owned(), 4),
        ]);
        let text = "name wJalrXUtnFEMI/K7MDENG/bPxRfiCY, json wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCY, \"line one\\nline \\\"two\\\"\" short";
        let masked = secrets.mask_output(text);
        assert!(!masked.contains("XUtn"), "{masked}");
        assert!(!masked.contains("one"), "{masked}");
        assert!(masked.contains("short"));
        assert_eq!(masked.len(), text.len());
        // Escapes survive: the JSON string still parses.
        let json = masked
            .split(", ")
            .nth(2)
            .unwrap()
            .trim_end_matches(" short");
        assert!(serde_json::from_str::<String>(json).is_ok(), "{json}");
        let none = Secrets::default();
        assert!(matches!(none.mask_output(text), Cow::Borrowed(_)));
    }
}
