//! lanyard's own JSON report, documented in `docs/json-output.md`.
//!
//! The output structs below are the schema: they are separate from the internal types
//! so that refactoring a `Finding` can never silently change what scripts consume.
//! Adding a field keeps `version` 1; removing or renaming one bumps it.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{ReportInput, label_region};
use crate::findings::{Family, Finding, Label, Severity};
use crate::scan::Notice;
use crate::syntax::source::FileStore;

/// The schema version of this output; see `docs/json-output.md` for the policy.
pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    notices: Vec<JsonNotice<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    findings: usize,
    by_severity: BySeverity,
    /// Every family name is present, with 0 when nothing was found, so consumers never
    /// have to treat a missing key as zero.
    by_family: BTreeMap<&'static str, usize>,
}

#[derive(Serialize, Default)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    family: &'static str,
    severity: &'static str,
    confidence: &'static str,
    message: &'a str,
    // Nullable fields are written as `null` rather than omitted: the documented shape
    // is the same for every finding.
    help: Option<&'a str>,
    workload: Option<&'a str>,
    evidence: Option<&'a str>,
    fingerprint: &'a str,
    location: Location<'a>,
    related: Vec<Location<'a>>,
}

#[derive(Serialize)]
struct JsonNotice<'a> {
    kind: &'static str,
    path: &'a str,
    message: &'a str,
    location: Option<Location<'a>>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    start: Point,
    end: Point,
    message: &'a str,
}

#[derive(Serialize)]
struct Point {
    line: usize,
    column: usize,
    byte: usize,
}

impl From<super::Point> for Point {
    fn from(p: super::Point) -> Self {
        Self {
            line: p.line,
            column: p.column,
            byte: p.byte,
        }
    }
}

fn location<'a>(files: &FileStore, label: &'a Label) -> Location<'a> {
    let r = label_region(files, label);
    Location {
        path: &label.path,
        start: r.start.into(),
        end: r.end.into(),
        message: &label.message,
    }
}

fn finding<'a>(files: &FileStore, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule(),
        family: f.family().as_str(),
        severity: f.severity().as_str(),
        confidence: f.confidence().as_str(),
        message: f.message(),
        help: f.help(),
        workload: f.workload(),
        // Evidence is redacted when the finding is built; nothing raw reaches here.
        evidence: f.evidence().as_ref().map(|e| e.as_str()),
        fingerprint: f.fingerprint(),
        location: location(files, f.primary()),
        related: f.related().iter().map(|l| location(files, l)).collect(),
    }
}

fn notice<'a>(files: &FileStore, n: &'a Notice) -> JsonNotice<'a> {
    JsonNotice {
        kind: n.kind.as_str(),
        path: &n.path,
        message: &n.message,
        location: n.span.map(|span| {
            let r = super::region(files, &n.path, span);
            Location {
                path: &n.path,
                start: r.start.into(),
                end: r.end.into(),
                message: "",
            }
        }),
    }
}

fn summary(input: &ReportInput<'_>) -> Summary {
    let findings = &input.result.findings;
    let mut by_severity = BySeverity::default();
    let mut by_family: BTreeMap<&'static str, usize> =
        Family::ALL.iter().map(|f| (f.as_str(), 0)).collect();
    for f in findings {
        let slot = match f.severity() {
            Severity::Critical => &mut by_severity.critical,
            Severity::High => &mut by_severity.high,
            Severity::Medium => &mut by_severity.medium,
            Severity::Low => &mut by_severity.low,
        };
        *slot += 1;
        *by_family.entry(f.family().as_str()).or_insert(0) += 1;
    }
    Summary {
        files_scanned: input.result.stats.files_scanned,
        findings: findings.len(),
        by_severity,
        by_family,
    }
}

/// Write the JSON report, pretty-printed with a trailing newline.
pub(crate) fn write(input: &ReportInput<'_>, w: &mut dyn Write) -> io::Result<()> {
    let files = &input.result.files;
    let report = Report {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "lanyard",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: summary(input),
        findings: input
            .result
            .findings
            .iter()
            .map(|f| finding(files, f))
            .collect(),
        notices: input
            .result
            .notices
            .iter()
            .map(|n| notice(files, n))
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &report)?;
    w.write_all(b"\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::Value;

    fn render() -> Value {
        let result = sample();
        let input = ReportInput {
            result: &result,
            rules: rules(),
        };
        let mut out = Vec::new();
        write(&input, &mut out).unwrap();
        assert!(
            out.ends_with(b"}\n"),
            "pretty JSON with one trailing newline"
        );
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn top_level_shape_and_summary() {
        let v = render();
        assert_eq!(v["version"], 1);
        assert_eq!(v["tool"]["name"], "lanyard");
        assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
        let s = &v["summary"];
        assert_eq!(s["files_scanned"], 3);
        assert_eq!(s["findings"], 3);
        assert_eq!(s["by_severity"]["critical"], 1);
        assert_eq!(s["by_severity"]["high"], 0);
        assert_eq!(s["by_severity"]["medium"], 1);
        assert_eq!(s["by_severity"]["low"], 1);
        for f in Family::ALL {
            assert!(s["by_family"][f.as_str()].is_u64(), "by_family lacks {f}");
        }
        assert_eq!(s["by_family"]["borrowed-credential"], 1);
        assert_eq!(s["by_family"]["audit-trail"], 0);
    }

    #[test]
    fn findings_carry_locations_and_nulls() {
        let v = render();
        let f0 = &v["findings"][0];
        assert_eq!(f0["severity"], "critical");
        assert_eq!(f0["evidence"], "ghp_…(18 chars)");
        assert_eq!(f0["workload"], "naïve-bot");
        assert_eq!(f0["location"]["path"], "config/agent.yaml");
        assert_eq!(f0["location"]["start"]["line"], 4);
        assert_eq!(f0["location"]["start"]["column"], 10);
        assert_eq!(f0["related"][0]["path"], "deploy/shared.yaml");
        let f1 = &v["findings"][1];
        // Nullable fields are present as null, never missing.
        assert!(f1["help"].is_null() && f1.get("help").is_some());
        assert!(f1["evidence"].is_null() && f1.get("evidence").is_some());
        assert!(f1["workload"].is_null() && f1.get("workload").is_some());
        assert_eq!(v["notices"][0]["kind"], "parse-error");
        assert!(v["notices"][0]["location"]["start"]["line"].is_u64());
        assert!(v["notices"][1]["location"].is_null());
    }

    #[test]
    fn no_raw_secret_in_output() {
        let v = render().to_string();
        assert!(
            !v.contains("ghp_EXAMPLEEXAMPLE"),
            "the full token leaked into JSON"
        );
    }
}
