//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF consumers.
//!
//! Our own serde structs cover exactly the part of the format we emit; they are
//! validated against the official OASIS schema in the tests below.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Region, ReportInput, label_region};
use crate::findings::suppress::Suppression;
use crate::findings::{Confidence, Finding, Label, Severity};
use crate::rules::RuleMeta;
use crate::scan::{Notice, NoticeKind};
use crate::syntax::source::FileStore;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/lanyard-dev/lanyard";
const SRCROOT: &str = "%SRCROOT%";
const FINGERPRINT_KEY: &str = "lanyardFingerprint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: Vec<Invocation<'a>>,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 2],
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

/// An entry of `originalUriBaseIds`. SARIF requires a `uri` there to be absolute; the
/// scan root's absolute path is machine-specific (and would leak the user's home
/// directory into uploaded reports), so we describe the base and omit `uri`, which
/// the spec allows when the tool does not know (or will not say) where the root is.
#[derive(Serialize)]
struct BaseUri {
    description: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text,
    descriptor: DescriptorRef,
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
struct DescriptorRef {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    /// Present on suppressed results: GitHub code scanning shows them as dismissed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct SarifSuppression<'a> {
    /// `inSource` for an ignore comment, `external` for the baseline file.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    confidence: &'static str,
    family: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    workload: Option<&'a str>,
    /// What to do instead, for this finding (the rule's documentation is `help`).
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<BorrowedText<'a>>,
}

#[derive(Serialize)]
struct BorrowedText<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<SarifRegion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    byte_length: Option<usize>,
}

impl From<Region> for SarifRegion {
    fn from(r: Region) -> Self {
        // When the file could not be resolved the line/column pair is a placeholder;
        // SARIF requires text and binary properties of one region to describe the same
        // bytes, so we then leave the (exact) byte range out rather than contradict it.
        let (byte_offset, byte_length) = if r.resolved {
            (Some(r.start.byte), Some(r.end.byte - r.start.byte))
        } else {
            (None, None)
        };
        Self {
            start_line: r.start.line,
            start_column: r.start.column,
            end_line: r.end.line,
            end_column: r.end.column,
            byte_offset,
            byte_length,
        }
    }
}

/// SARIF `level` of a severity.
pub(crate) fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `problem.severity` rule property (`recommendation` is its name for note).
fn problem_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "recommendation",
    }
}

/// GitHub's `precision` rule property.
fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

fn notification_level(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::ParseError | NoticeKind::Io | NoticeKind::InternalError => "warning",
        NoticeKind::Skipped | NoticeKind::UnusedIgnore => "note",
        NoticeKind::IgnoreWithoutReason
        | NoticeKind::UnmatchedDeclaration
        | NoticeKind::UnknownRule => "warning",
        NoticeKind::Coverage => "warning",
    }
}

/// `human-token` → `HumanToken`: SARIF's `name` is meant to read as an identifier.
pub(crate) fn rule_name(id: &str) -> String {
    id.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        })
        .collect()
}

/// Percent-encode a repo-relative path into a relative URI reference.
///
/// Paths are used verbatim when they are already valid URI characters (the common
/// case); spaces, `#`, `?`, `%`, `:` and non-ASCII are encoded as UTF-8 octets so the
/// URI resolves to the same file. `:` is encoded because a first segment like `c:x`
/// would otherwise parse as a scheme.
pub(crate) fn path_to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The descriptor id of a finding's severity: the rule's id at its default severity,
/// else the hierarchical `id/severity` (SARIF §3.27.5) of a descriptor that carries
/// that severity, since GitHub code scanning takes a result's security severity from
/// its rule's `security-severity` and ignores it on a result.
fn descriptor_id(meta: &RuleMeta, severity: Severity) -> String {
    if severity == meta.severity {
        meta.id.to_owned()
    } else {
        format!("{}/{}", meta.id, severity.as_str())
    }
}

fn rule(meta: &RuleMeta, severity: Severity) -> Rule {
    let docs = meta.docs_text();
    let summary = if severity == meta.severity {
        meta.summary.to_owned()
    } else {
        format!(
            "{} ({} here; the rule's default is {})",
            meta.summary,
            severity.as_str(),
            meta.severity.as_str()
        )
    };
    Rule {
        id: descriptor_id(meta, severity),
        name: rule_name(meta.id),
        short_description: Text {
            text: summary.clone(),
        },
        full_description: Text { text: summary },
        help: Help {
            text: docs.clone(),
            markdown: docs,
        },
        help_uri: meta.help_uri(),
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            tags: ["security", meta.family.as_str()],
            precision: precision(meta.confidence),
            problem_severity: problem_severity(severity),
            security_severity: severity.security_severity(),
        },
    }
}

fn physical(path: &str, region: Option<Region>) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: path_to_uri(path),
            uri_base_id: SRCROOT,
        },
        region: region.map(SarifRegion::from),
    }
}

fn label_location<'a>(files: &FileStore, label: &'a Label, id: Option<usize>) -> Location<'a> {
    Location {
        id,
        physical_location: physical(&label.path, Some(label_region(files, label))),
        // SARIF messages must have text; an empty annotation is simply left out.
        message: (!label.message.is_empty()).then_some(BorrowedText {
            text: &label.message,
        }),
    }
}

fn result<'a>(files: &FileStore, f: &'a Finding, rule_index: Option<usize>) -> SarifResult<'a> {
    // What is wrong, alone: run into the help, a viewer showed one sentence saying
    // both. The finding's own help goes into the result's properties.
    let text = f.message().to_owned();
    let mut partial_fingerprints = BTreeMap::new();
    if !f.fingerprint().is_empty() {
        partial_fingerprints.insert(FINGERPRINT_KEY, f.fingerprint());
    }
    SarifResult {
        rule_id: crate::rules::find(f.rule()).map_or_else(
            || f.rule().to_owned(),
            |r| descriptor_id(r.meta(), f.severity()),
        ),
        rule_index,
        level: level(f.severity()),
        message: Text { text },
        locations: vec![label_location(files, f.primary(), None)],
        // 1-based ids: SARIF only requires them to be unique within the result, and 0
        // reads like "unset" in some viewers.
        related_locations: f
            .related()
            .iter()
            .enumerate()
            .map(|(i, l)| label_location(files, l, Some(i + 1)))
            .collect(),
        partial_fingerprints,
        suppressions: Vec::new(),
        properties: ResultProperties {
            confidence: f.confidence().as_str(),
            family: f.family().as_str(),
            workload: f.workload(),
            help: f.help().filter(|h| !h.is_empty()),
        },
    }
}

fn notification<'a>(files: &FileStore, n: &'a Notice) -> Notification<'a> {
    let region = n.span.map(|span| super::region(files, &n.path, span));
    Notification {
        level: notification_level(n.kind),
        message: Text {
            text: n.message.clone(),
        },
        descriptor: DescriptorRef {
            id: n.kind.as_str(),
        },
        // The file is always named, even without a span: "which file was skipped" is
        // the useful part of most notices.
        locations: vec![Location {
            id: None,
            physical_location: physical(&n.path, region),
            message: None,
        }],
    }
}

/// One notification per notice, except skipped files: one per reason, with the count
/// (a repository of images would otherwise list every one of them).
fn notifications<'a>(files: &FileStore, notices: &'a [Notice]) -> Vec<Notification<'a>> {
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for n in notices {
        if n.kind == NoticeKind::Skipped {
            *skipped.entry(n.message.as_str()).or_default() += 1;
        } else {
            out.push(notification(files, n));
        }
    }
    for (reason, count) in skipped {
        out.push(Notification {
            level: notification_level(NoticeKind::Skipped),
            message: Text {
                text: format!(
                    "{count} file{} skipped: {reason} (`lanyard check --verbose` lists them)",
                    if count == 1 { "" } else { "s" }
                ),
            },
            descriptor: DescriptorRef {
                id: NoticeKind::Skipped.as_str(),
            },
            locations: Vec::new(),
        });
    }
    out
}

/// Write the SARIF log, pretty-printed with a trailing newline.
pub(crate) fn write(input: &ReportInput<'_>, w: &mut dyn Write) -> io::Result<()> {
    let files = &input.result.files;

    // The driver lists every rule of the run once (the schema wants unique entries); a
    // finding of a rule the caller did not list (a bug upstream) still gets its
    // descriptor so that ruleIndex stays valid.
    let mut metas: Vec<&'static RuleMeta> = Vec::with_capacity(input.rules.len());
    let extra = input
        .result
        .findings
        .iter()
        .filter_map(|f| crate::rules::find(f.rule()).map(|r| r.meta()));
    for meta in input.rules.iter().copied().chain(extra) {
        if !metas.iter().any(|m| m.id == meta.id) {
            metas.push(meta);
        }
    }
    // Then a descriptor for each (rule, severity) of a finding whose severity is not
    // its rule's default (escalated by the rule or set by the configuration).
    let mut variants: Vec<(&'static RuleMeta, Severity)> = Vec::new();
    let all_findings = input
        .result
        .findings
        .iter()
        .chain(input.result.suppressed.iter().map(|(f, _)| f));
    for f in all_findings {
        if let Some(meta) = metas.iter().copied().find(|m| m.id == f.rule())
            && f.severity() != meta.severity
            && !variants
                .iter()
                .any(|(m, s)| m.id == meta.id && *s == f.severity())
        {
            variants.push((meta, f.severity()));
        }
    }
    variants.sort_by_key(|(m, s)| (m.id, *s));
    let index_of = |f: &Finding| {
        let id = f.rule();
        metas
            .iter()
            .position(|m| m.id == id && m.severity == f.severity())
            .or_else(|| {
                variants
                    .iter()
                    .position(|(m, s)| m.id == id && *s == f.severity())
                    .map(|i| metas.len() + i)
            })
            .or_else(|| metas.iter().position(|m| m.id == id))
    };

    let mut results: Vec<SarifResult<'_>> = input
        .result
        .findings
        .iter()
        .map(|f| result(files, f, index_of(f)))
        .collect();
    for (f, why) in &input.result.suppressed {
        let mut r = result(files, f, index_of(f));
        r.suppressions.push(match why {
            Suppression::InSource { reason } => SarifSuppression {
                kind: "inSource",
                justification: Some(reason.as_str()),
            },
            Suppression::Baseline => SarifSuppression {
                kind: "external",
                justification: Some("accepted in the lanyard baseline"),
            },
            Suppression::Allowed { what } => SarifSuppression {
                kind: "external",
                justification: Some(what.as_str()),
            },
        });
        results.push(r);
    }
    let notifications = notifications(files, &input.result.notices);
    let execution_successful = !input
        .result
        .notices
        .iter()
        .any(|n| n.kind == NoticeKind::InternalError);

    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "lanyard",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: metas
                        .iter()
                        .map(|m| rule(m, m.severity))
                        .chain(variants.iter().map(|(m, s)| rule(m, *s)))
                        .collect(),
                },
            },
            invocations: vec![Invocation {
                execution_successful,
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri {
                    description: Text {
                        text:
                            "The root of the scanned repository; artifact URIs are relative to it."
                                .to_owned(),
                    },
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *w, &log)?;
    w.write_all(b"\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use serde_json::Value;

    use super::super::test_support::*;
    use super::*;
    use crate::scan::ScanResult;

    fn render_with(result: &ScanResult, rules: Vec<&'static RuleMeta>) -> Vec<u8> {
        let input = ReportInput { result, rules };
        let mut out = Vec::new();
        write(&input, &mut out).unwrap();
        out
    }

    fn render(result: &ScanResult) -> Value {
        let out = render_with(result, rules());
        assert!(
            out.ends_with(b"}\n"),
            "pretty JSON with one trailing newline"
        );
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn level_mapping() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(problem_severity(Severity::Low), "recommendation");
        assert_eq!(precision(Confidence::Medium), "medium");
        assert_eq!(notification_level(NoticeKind::InternalError), "warning");
        assert_eq!(notification_level(NoticeKind::Skipped), "note");

        let v = render(&sample());
        let results = v["runs"][0]["results"].as_array().unwrap();
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        // Critical, medium, low findings in the sample, in order.
        assert_eq!(levels, ["error", "warning", "note"]);
    }

    #[test]
    fn rule_descriptors() {
        assert_eq!(rule_name("human-token"), "HumanToken");
        assert_eq!(
            rule_name("identity-shared-by-agents"),
            "IdentitySharedByAgents"
        );
        let v = render(&sample());
        let driver = &v["runs"][0]["tool"]["driver"];
        let metas = rules();
        let listed = driver["rules"].as_array().unwrap();
        // Then one descriptor per (rule, severity) of a finding not at its rule's
        // default, whose security-severity is the finding's (GitHub reads it there).
        let (listed, variants) = listed.split_at(metas.len());
        for r in v["runs"][0]["results"].as_array().unwrap() {
            let rule = &driver["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
            assert_eq!(rule["defaultConfiguration"]["level"], r["level"]);
        }
        for json in variants {
            let (id, severity) = json["id"].as_str().unwrap().split_once('/').unwrap();
            let meta = metas.iter().find(|m| m.id == id).unwrap();
            let severity = [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low,
            ]
            .into_iter()
            .find(|s| s.as_str() == severity)
            .unwrap();
            assert_ne!(severity, meta.severity);
            assert_eq!(
                json["properties"]["security-severity"],
                severity.security_severity()
            );
        }
        for (json, meta) in listed.iter().zip(&metas) {
            assert_eq!(json["id"], meta.id);
            assert_eq!(json["shortDescription"]["text"], meta.summary);
            assert_eq!(json["help"]["markdown"], meta.docs_text());
            assert_eq!(json["helpUri"], meta.help_uri());
            assert_eq!(json["defaultConfiguration"]["level"], level(meta.severity));
            assert_eq!(json["properties"]["tags"][1], meta.family.as_str());
            assert_eq!(
                json["properties"]["security-severity"],
                meta.severity.security_severity()
            );
        }
        assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn rule_index_points_at_the_rule() {
        let result = sample();
        // Reverse the rule order and duplicate one entry: indexes must follow the
        // listed order and each rule must be listed once.
        let mut metas = rules();
        metas.reverse();
        metas.push(metas[0]);
        let v: Value = serde_json::from_slice(&render_with(&result, metas)).unwrap();
        let run = &v["runs"][0];
        let listed = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: std::collections::HashSet<&str> =
            listed.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), listed.len(), "duplicate rule listed");
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(listed[i]["id"], r["ruleId"]);
        }

        // A finding of a rule the caller did not list still gets a valid index.
        let v: Value = serde_json::from_slice(&render_with(&result, Vec::new())).unwrap();
        let run = &v["runs"][0];
        let listed = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(!listed.is_empty());
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(listed[i]["id"], r["ruleId"]);
        }
    }

    #[test]
    fn regions_are_one_based_code_point_columns() {
        let v = render(&sample());
        let results = &v["runs"][0]["results"];
        let region = &results[0]["locations"][0]["physicalLocation"]["region"];
        let start = AGENT_YAML.find("ghp_").unwrap();
        // Line 1 holds "é" and "☕" (multibyte); line 4 is "  token: ghp_...".
        assert_eq!(region["startLine"], 4);
        assert_eq!(region["startColumn"], 10);
        assert_eq!(region["endLine"], 4);
        assert_eq!(region["endColumn"], 28, "endColumn is exclusive");
        assert_eq!(region["byteOffset"], start);
        assert_eq!(region["byteLength"], 18);

        // Related location in the other file, after a BOM that is not a column.
        let related = &results[0]["relatedLocations"][0];
        assert_eq!(related["id"], 1);
        assert_eq!(related["message"]["text"], "also used here");
        assert_eq!(
            related["physicalLocation"]["artifactLocation"]["uri"],
            "deploy/shared.yaml"
        );
        assert_eq!(
            related["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
        let r = &related["physicalLocation"]["region"];
        assert_eq!(
            (r["startLine"].as_u64(), r["startColumn"].as_u64()),
            (Some(1), Some(11))
        );
        assert_eq!(r["byteOffset"], 13);

        // A multibyte character inside the span: 9 code points, 10 bytes.
        let notice = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
        let r = &notice["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            (r["startColumn"].as_u64(), r["endColumn"].as_u64()),
            (Some(10), Some(19))
        );
        assert_eq!(r["byteLength"], 10);

        // A file missing from the store: placeholder line, no contradicting bytes.
        let r = &results[2]["locations"][0]["physicalLocation"];
        assert_eq!(r["artifactLocation"]["uri"], "gone/file%20name%231.env");
        assert_eq!(r["region"]["startLine"], 1);
        assert!(r["region"].get("byteOffset").is_none());
    }

    #[test]
    fn results_carry_message_fingerprint_and_properties() {
        let v = render(&sample());
        let r0 = &v["runs"][0]["results"][0];
        assert_eq!(
            r0["message"]["text"],
            "A personal access token is committed in an agent config."
        );
        assert_eq!(
            r0["properties"]["help"],
            "Use a GitHub App installation token."
        );
        assert_eq!(
            r0["partialFingerprints"]["lanyardFingerprint/v1"],
            "0123456789abcdef"
        );
        assert_eq!(r0["properties"]["family"], "borrowed-credential");
        assert_eq!(r0["properties"]["confidence"], "high");
        assert_eq!(r0["properties"]["workload"], "naïve-bot");
        let r1 = &v["runs"][0]["results"][1];
        assert_eq!(r1["message"]["text"], "Two agents share one identity.");
        assert!(r1["properties"].get("workload").is_none());
        // An empty primary annotation is left out, not written as "".
        assert!(r1["locations"][0].get("message").is_none());
        assert!(
            !v.to_string().contains("ghp_EXAMPLEEXAMPLE"),
            "raw token leaked into SARIF"
        );
    }

    #[test]
    fn notices_become_notifications() {
        let mut result = sample();
        let v = render(&result);
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], true);
        let n = inv["toolExecutionNotifications"].as_array().unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0]["level"], "warning");
        assert_eq!(n[0]["descriptor"]["id"], "parse-error");
        assert_eq!(n[1]["level"], "note");
        assert!(
            n[1]["locations"][0]["physicalLocation"]
                .get("region")
                .is_none()
        );
        assert_eq!(v["runs"][0]["columnKind"], "unicodeCodePoints");

        result.notices.push(crate::scan::Notice {
            kind: NoticeKind::InternalError,
            path: "x.yaml".into(),
            span: None,
            message: "rule panicked".into(),
        });
        let v = render(&result);
        assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(path_to_uri("a/b-c_d.yaml"), "a/b-c_d.yaml");
        assert_eq!(path_to_uri("my dir/a#b?.env"), "my%20dir/a%23b%3F.env");
        assert_eq!(path_to_uri("c:x/100%"), "c%3Ax/100%25");
        assert_eq!(path_to_uri("é"), "%C3%A9");
    }

    /// Validate `instance` against `schema` with Python's `jsonschema` (Draft 7).
    /// Ok(()) when valid, Err(errors) when not; panics when the validator is missing,
    /// so a machine without it fails loudly instead of skipping the check.
    fn validate(schema: &Path, instance: &Path) -> Result<(), String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_schema.py");
        let out = match Command::new("python3")
            .arg(script)
            .arg(schema)
            .arg(instance)
            .output()
        {
            Ok(out) => out,
            Err(e) => {
                panic!("cannot run python3 ({e}): install Python 3 and `pip install jsonschema`")
            }
        };
        match out.status.code() {
            Some(0) => Ok(()),
            Some(3) => {
                panic!("the Python `jsonschema` module is missing: `pip install jsonschema`")
            }
            Some(1) => Err(String::from_utf8_lossy(&out.stdout).into_owned()),
            other => panic!(
                "schema validator failed ({other:?}): {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    #[test]
    #[ignore = "needs Python jsonschema; .ci/run runs it"]
    fn output_validates_against_the_schemas() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let sarif_schema = root.join("tests/fixtures/sarif-schema-2.1.0.json");
        let json_schema = root.join("docs/json-output.schema.json");
        let dir = tempfile::tempdir().unwrap();
        let result = sample();
        let input = ReportInput {
            result: &result,
            rules: rules(),
        };

        let mut sarif = Vec::new();
        write(&input, &mut sarif).unwrap();
        let sarif_path = dir.path().join("out.sarif");
        std::fs::write(&sarif_path, &sarif).unwrap();
        if let Err(errors) = validate(&sarif_schema, &sarif_path) {
            panic!("SARIF output violates the SARIF 2.1.0 schema:\n{errors}");
        }

        let mut json = Vec::new();
        super::super::json::write(&input, &mut json).unwrap();
        let json_path = dir.path().join("out.json");
        std::fs::write(&json_path, &json).unwrap();
        if let Err(errors) = validate(&json_schema, &json_path) {
            panic!("JSON output violates docs/json-output.schema.json:\n{errors}");
        }

        // The example in docs/json-output.md must stay a valid report.
        let doc = std::fs::read_to_string(root.join("docs/json-output.md")).unwrap();
        let example = doc
            .split("```json\n")
            .nth(1)
            .and_then(|rest| rest.split("\n```").next())
            .expect("docs/json-output.md has a ```json example");
        let example_path = dir.path().join("example.json");
        std::fs::write(&example_path, example).unwrap();
        if let Err(errors) = validate(&json_schema, &example_path) {
            panic!("the example in docs/json-output.md violates the schema:\n{errors}");
        }

        // Controls: the validators must reject broken documents, or the checks above
        // prove nothing.
        let mut bad: Value = serde_json::from_slice(&sarif).unwrap();
        bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] =
            0.into();
        let bad_path = dir.path().join("bad.sarif");
        std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
        assert!(
            validate(&sarif_schema, &bad_path).is_err(),
            "SARIF schema accepted column 0"
        );

        let mut bad: Value = serde_json::from_slice(&json).unwrap();
        bad["findings"][0]["snippet"] = "raw text".into();
        let bad_path = dir.path().join("bad.json");
        std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
        assert!(
            validate(&json_schema, &bad_path).is_err(),
            "JSON schema accepted an undocumented field"
        );
    }
}
