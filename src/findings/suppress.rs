//! Suppression: inline `lanyard: ignore[rule-id, …] reason` comments, and baselines of
//! accepted findings by fingerprint.
//!
//! An ignore comment applies to findings whose primary location starts or ends on its
//! line, or on the line below it. It names rule ids or family names; a reason is
//! required unless the configuration says otherwise, so every exception says why.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::syntax::doc::Parsed;
use crate::syntax::source::{SourceFile, Span};

/// One `lanyard: ignore[...]` comment.
#[derive(Debug, Clone)]
pub struct Directive {
    pub path: Arc<str>,
    /// 0-based line of the comment.
    pub line: usize,
    pub span: Span,
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

/// Why a finding is not reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// An ignore comment in the source, with its reason.
    InSource { reason: String },
    /// Listed in the baseline file.
    Baseline,
    /// Names an identity or value the configuration allows.
    Allowed { what: String },
}

static DIRECTIVE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"lanyard:\s*ignore\[([^\]\r\n]*)\]([^\r\n]*)").ok());

/// Comment markers accepted before a directive in files without a parser.
const MARKERS: [&str; 5] = ["#", "//", "/*", "<!--", ";"];

/// Every ignore directive in a file. In parsed files a directive counts only inside a
/// comment, so a string value that happens to contain the text changes nothing.
pub fn directives(file: &SourceFile, path: &Arc<str>, parsed: Option<&Parsed>) -> Vec<Directive> {
    let Some(re) = DIRECTIVE.as_ref() else {
        return Vec::new();
    };
    let text = file.text();
    if !text.contains("lanyard:") {
        return Vec::new();
    }
    let index = file.line_index();
    let mut out = Vec::new();
    for caps in re.captures_iter(text) {
        let Some(m) = caps.get(0) else { continue };
        let line = index.line_of(m.start());
        let in_comment = match parsed {
            Some(p) if !p.comments.is_empty() || !p.documents.is_empty() => p
                .comments
                .iter()
                .any(|c| c.start as usize <= m.start() && m.end() <= c.end as usize),
            _ => {
                let line_start = index.line_start(line);
                let before = &text[line_start..m.start()];
                MARKERS.iter().any(|mk| before.contains(mk))
            }
        };
        if !in_comment {
            continue;
        }
        let rules = caps[1]
            .split(',')
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
        let reason = caps
            .get(2)
            .map(|r| {
                r.as_str()
                    .trim()
                    .trim_end_matches("*/")
                    .trim_end_matches("-->")
                    .trim()
                    .to_owned()
            })
            .filter(|r| !r.is_empty());
        out.push(Directive {
            path: Arc::clone(path),
            line,
            span: Span::new(m.start(), m.end()),
            rules,
            reason,
        });
    }
    out
}

/// Lines a finding's primary location covers, in its file.
fn covered_lines(f: &Finding, files: &crate::syntax::source::FileStore) -> Option<(usize, usize)> {
    let file = files.get(&f.primary.path)?;
    let idx = file.line_index();
    Some((
        idx.line_of(f.primary.span.start as usize),
        idx.line_of(f.primary.span.end as usize),
    ))
}

/// The directive that suppresses `f`, if any: same file, naming the rule or its
/// family, on a line of the finding or the line above.
pub fn matching<'a>(
    f: &Finding,
    directives: &'a [Directive],
    files: &crate::syntax::source::FileStore,
) -> Option<(usize, &'a Directive)> {
    let (first, last) = covered_lines(f, files)?;
    directives.iter().enumerate().find(|(_, d)| {
        d.path == f.primary.path
            && (first.saturating_sub(1)..=last).contains(&d.line)
            && d.rules
                .iter()
                .any(|r| r == f.rule || r == f.family.as_str())
    })
}

/// The accepted findings of a baseline file.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Self {
        Self {
            version: 1,
            findings: findings
                .iter()
                .map(|f| BaselineEntry {
                    rule: f.rule.to_owned(),
                    path: f.primary.path.to_string(),
                    fingerprint: f.fingerprint.clone(),
                })
                .collect(),
        }
    }

    pub fn fingerprints(&self) -> HashSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::classify::FileKind;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("x", FileKind::Text, text.as_bytes().to_vec())
    }

    #[test]
    fn directives_need_a_comment() {
        let f = file(
            "a: 1 # lanyard: ignore[human-token, static-secret] test fixture\nb: \"lanyard: ignore[x] not a comment\"\n",
        );
        let d = directives(&f, &Arc::from("x"), None);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].rules, vec!["human-token", "static-secret"]);
        assert_eq!(d[0].reason.as_deref(), Some("test fixture"));
        assert_eq!(d[0].line, 0);
        let f = file("// lanyard: ignore[agent-host-escape]\n");
        let d = directives(&f, &Arc::from("x"), None);
        assert_eq!(d[0].reason, None);
    }
}
