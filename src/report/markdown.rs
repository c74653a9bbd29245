//! Markdown summary for `$GITHUB_STEP_SUMMARY` and pull-request comments: counts by
//! family and severity, then findings grouped by the agent or workload they concern,
//! each with its details folded.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::findings::{Family, Finding, Severity};
use crate::report::{ReportInput, label_region};

const SEVERITIES: [Severity; 4] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
];

/// Markdown-escape text from scanned files: it must not open tags, links or tables.
fn md(s: &str) -> String {
    crate::syntax::text::markdown(s)
}

/// Inline code that stays inline code whatever backticks it holds.
fn code(s: &str) -> String {
    let clean = crate::findings::sanitize(s)
        .replace(['\n', '\r'], " ")
        .replace('`', "'");
    format!("`{clean}`")
}

pub(crate) fn write(input: &ReportInput<'_>, w: &mut dyn Write) -> io::Result<()> {
    let findings = &input.result.findings;
    writeln!(w, "## lanyard\n")?;
    if findings.is_empty() {
        writeln!(
            w,
            "No findings in {} files: no agent borrows a person's credentials, shares an identity, or holds more than its task needs.",
            input.result.stats.files_scanned
        )?;
        return Ok(());
    }
    writeln!(
        w,
        "{} findings in {} files.\n",
        findings.len(),
        input.result.stats.files_scanned
    )?;
    writeln!(w, "| family | critical | high | medium | low |")?;
    writeln!(w, "|---|---:|---:|---:|---:|")?;
    for family in Family::ALL {
        let counts: Vec<String> = SEVERITIES
            .iter()
            .map(|s| {
                findings
                    .iter()
                    .filter(|f| f.family() == family && f.severity() == *s)
                    .count()
                    .to_string()
            })
            .collect();
        writeln!(w, "| {} | {} |", family, counts.join(" | "))?;
    }
    writeln!(w)?;
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups
            .entry(f.workload().unwrap_or(""))
            .or_default()
            .push(f);
    }
    for (workload, list) in groups {
        let title = if workload.is_empty() {
            "Other findings".to_owned()
        } else {
            md(workload)
        };
        writeln!(w, "### {title}\n")?;
        for f in list {
            let r = label_region(&input.result.files, f.primary());
            writeln!(
                w,
                "<details><summary><b>{}</b> {} · {}:{} · {}</summary>\n",
                f.severity(),
                code(f.rule()),
                md(&f.primary().path),
                r.start.line,
                md(f.message())
            )?;
            if let Some(h) = f.help() {
                writeln!(w, "**What to do:** {}\n", md(h))?;
            }
            writeln!(
                w,
                "- family: {} · confidence: {}",
                f.family(),
                f.confidence()
            )?;
            if let Some(e) = f.evidence() {
                writeln!(w, "- evidence: {}", code(e.as_str()))?;
            }
            for rel in f.related() {
                let rr = label_region(&input.result.files, rel);
                writeln!(
                    w,
                    "- also {}:{}: {}",
                    md(&rel.path),
                    rr.start.line,
                    md(&rel.message)
                )?;
            }
            writeln!(
                w,
                "- fingerprint: {}\n\n</details>\n",
                code(f.fingerprint())
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{rules, sample};

    #[test]
    fn summary_table_and_groups() {
        let result = sample();
        let input = ReportInput {
            result: &result,
            rules: rules(),
        };
        let mut out = Vec::new();
        write(&input, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("| family | critical | high | medium | low |"));
        for f in Family::ALL {
            assert!(text.contains(&format!("| {f} |")), "{f}");
        }
        assert_eq!(text.matches("<details>").count(), result.findings.len());
    }

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            md("<img src=x onerror=alert(1)> | [x](y)"),
            "&lt;img src=x onerror=alert(1)&gt; \\| \\[x\\](y)"
        );
        assert_eq!(code("a`b"), "`a'b`");
    }
}
