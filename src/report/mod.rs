//! Reports: human diagnostics (ariadne), lanyard's own versioned JSON and SARIF 2.1.0.
//!
//! Both reporters read the same [`ReportInput`] and turn byte spans into lines and
//! columns through [`region`], so the two formats always agree on positions.

pub mod inventory;

pub(crate) mod concise;
pub(crate) mod github;
pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod sarif;

use crate::findings::Label;
use crate::rules::RuleMeta;
use crate::scan::ScanResult;
use crate::syntax::source::FileStore;
use crate::syntax::source::Span;

/// Everything a reporter needs.
pub(crate) struct ReportInput<'a> {
    pub(crate) result: &'a ScanResult,
    /// Every rule of the run, in catalog order (SARIF lists them in `tool.driver.rules`
    /// even when they found nothing, so consumers can tell "clean" from "not checked").
    pub(crate) rules: Vec<&'static RuleMeta>,
}

/// One end of a region: 1-based line, 1-based column in Unicode code points (a leading
/// BOM not counted) and the 0-based byte offset into the file as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Point {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) byte: usize,
}

/// A span resolved for reporting. `end` is exclusive: it is the position of the first
/// character after the span, which is what SARIF's `endColumn` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) start: Point,
    pub(crate) end: Point,
    /// False when the file was not in the store, so lines and columns are the 1:1
    /// placeholder and only the byte offsets are exact.
    pub(crate) resolved: bool,
}

/// Resolve `span` of the file at `path` through the store.
pub(crate) fn region(files: &FileStore, path: &str, span: Span) -> Region {
    let Some(file) = files.get(path) else {
        // The pipeline keeps every file it reports on, so this is defensive: point at
        // the top of the file rather than drop the finding.
        let start = span.start as usize;
        let end = span.end as usize;
        return Region {
            start: Point {
                line: 1,
                column: 1,
                byte: start,
            },
            end: Point {
                line: 1,
                column: 1,
                byte: end.max(start),
            },
            resolved: false,
        };
    };
    let bytes = &file.bytes;
    let index = file.line_index();
    // Clamp so a span past the end (a bug elsewhere) still yields a consistent region.
    let start = (span.start as usize).min(bytes.len());
    let end = (span.end as usize).clamp(start, bytes.len());
    let s = index.position(bytes, start);
    let e = index.position(bytes, end);
    Region {
        start: Point {
            line: s.line,
            column: s.column,
            byte: start,
        },
        end: Point {
            line: e.line,
            column: e.column,
            byte: end,
        },
        resolved: true,
    }
}

/// Resolve a label's span.
pub(crate) fn label_region(files: &FileStore, label: &Label) -> Region {
    region(files, &label.path, label.span)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A hand-built scan result shared by the JSON and SARIF tests.

    use std::sync::Arc;

    use crate::findings::{Confidence, Family, FindingBuilder, Label, Redacted, Severity};
    use crate::rules::RuleMeta;
    use crate::scan::{Notice, NoticeKind, ScanResult, Stats};
    use crate::syntax::classify::FileKind;
    use crate::syntax::source::{SourceFile, Span};

    pub(crate) const AGENT_YAML: &str =
        "# café ☕ config\nagent:\n  name: \"naïve-bot\"\n  token: ghp_EXAMPLEEXAMPLE\n";
    pub(crate) const SHARED_YAML: &str = "\u{feff}identity: shared-sa\nagents: [a, b]\n";

    pub(crate) fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).expect("needle in fixture");
        Span::new(start, start + needle.len())
    }

    pub(crate) fn rules() -> Vec<&'static RuleMeta> {
        crate::rules::registry().iter().map(|r| r.meta()).collect()
    }

    /// Two files, three findings (one with related locations in the other file, one in
    /// a file missing from the store), multibyte text before spans, two notices.
    pub(crate) fn sample() -> ScanResult {
        let agent: Arc<str> = Arc::from("config/agent.yaml");
        let shared: Arc<str> = Arc::from("deploy/shared.yaml");
        let gone: Arc<str> = Arc::from("gone/file name#1.env");
        let mut result = ScanResult::default();
        result.files.insert(
            Arc::clone(&agent),
            Arc::new(SourceFile::new(
                &*agent,
                FileKind::Text,
                AGENT_YAML.as_bytes().to_vec(),
            )),
        );
        result.files.insert(
            Arc::clone(&shared),
            Arc::new(SourceFile::new(
                &*shared,
                FileKind::Text,
                SHARED_YAML.as_bytes().to_vec(),
            )),
        );
        let ids: Vec<&'static str> = rules().iter().map(|m| m.id).collect();
        let pick = |i: usize| ids[i.min(ids.len() - 1)];
        result.findings = vec![
            FindingBuilder::raw(
                pick(0),
                Family::BorrowedCredential,
                Severity::Critical,
                Confidence::High,
                Label::new(
                    &agent,
                    span_of(AGENT_YAML, "ghp_EXAMPLEEXAMPLE"),
                    "token here",
                ),
                "A personal access token is committed in an agent config.",
            )
            .help("Use a GitHub App installation token.")
            .related_label(Label::new(
                &shared,
                span_of(SHARED_YAML, "shared-sa"),
                "also used here",
            ))
            .workload("naïve-bot")
            .evidence(Redacted::secret("ghp_EXAMPLEEXAMPLE", 4))
            .fingerprint("0123456789abcdef")
            .build(),
            FindingBuilder::raw(
                pick(2),
                Family::SharedIdentity,
                Severity::Medium,
                Confidence::Medium,
                Label::new(&shared, span_of(SHARED_YAML, "agents: [a, b]"), ""),
                "Two agents share one identity.",
            )
            .related_label(Label::new(&agent, span_of(AGENT_YAML, "name"), "agent a"))
            .related_label(Label::new(&shared, span_of(SHARED_YAML, "b]"), ""))
            .fingerprint("fedcba9876543210")
            .build(),
            FindingBuilder::raw(
                pick(6),
                Family::StaticSecret,
                Severity::Low,
                Confidence::Low,
                Label::new(&gone, Span::new(4, 9), "value"),
                "A static secret.",
            )
            .evidence(Redacted::plain("API_KEY"))
            .fingerprint("00000000ffffffff")
            .build(),
        ];
        result.notices = vec![
            Notice {
                kind: NoticeKind::ParseError,
                path: Arc::clone(&agent),
                span: Some(span_of(AGENT_YAML, "naïve-bot")),
                message: "unexpected token".into(),
            },
            Notice {
                kind: NoticeKind::Skipped,
                path: Arc::from("big.bin"),
                span: None,
                message: "larger than the size limit".into(),
            },
        ];
        result.stats = Stats {
            files_scanned: 3,
            bytes_scanned: 100,
            files_parsed: 2,
        };
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn columns_are_one_based_code_points_and_end_is_exclusive() {
        let result = sample();
        // "  name: \"naïve-bot\"": the value starts after 9 ASCII characters.
        let r = region(
            &result.files,
            "config/agent.yaml",
            span_of(AGENT_YAML, "naïve-bot"),
        );
        assert!(r.resolved);
        assert_eq!((r.start.line, r.start.column), (3, 10));
        // 9 code points ("naïve-bot", ï is two bytes) → end column 19, byte length 10.
        assert_eq!((r.end.line, r.end.column), (3, 19));
        assert_eq!(r.end.byte - r.start.byte, 10);
    }

    #[test]
    fn bom_is_not_a_column() {
        let result = sample();
        let r = region(
            &result.files,
            "deploy/shared.yaml",
            span_of(SHARED_YAML, "identity"),
        );
        assert_eq!((r.start.line, r.start.column, r.start.byte), (1, 1, 3));
    }

    #[test]
    fn missing_file_falls_back_to_line_one() {
        let result = sample();
        let r = region(&result.files, "nowhere", Span::new(5, 8));
        assert!(!r.resolved);
        assert_eq!(
            (r.start.line, r.start.column, r.end.line, r.end.column),
            (1, 1, 1, 1)
        );
        assert_eq!((r.start.byte, r.end.byte), (5, 8));
    }

    #[test]
    fn span_past_the_end_is_clamped() {
        let result = sample();
        let len = SHARED_YAML.len();
        let r = region(
            &result.files,
            "deploy/shared.yaml",
            Span::new(len - 2, len + 50),
        );
        assert_eq!(r.end.byte, len);
        assert!(r.start.byte <= r.end.byte);
    }
}
