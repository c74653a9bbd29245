//! GitHub Actions workflow commands (`::error file=…::message`): annotations on the
//! pull request diff.
//!
//! Rules from GitHub's toolkit (`@actions/core`, `command.ts`): data escapes `%`, CR
//! and LF; property values also escape `:` and `,`. Lines and columns are 1-based;
//! `col`/`endColumn` are only accepted when the annotation is on one line.

use std::io::{self, Write};

use crate::findings::{Finding, Severity};
use crate::report::{ReportInput, label_region};

use crate::syntax::text::{github_data as escape_data, github_property as escape_property};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "notice",
    }
}

/// `prefix` is the scan root relative to `GITHUB_WORKSPACE` (empty when they are the
/// same), so annotation paths resolve in the repository.
pub(crate) fn write(input: &ReportInput<'_>, prefix: &str, w: &mut dyn Write) -> io::Result<()> {
    for f in &input.result.findings {
        write_finding(input, prefix, f, w)?;
    }
    Ok(())
}

fn write_finding(
    input: &ReportInput<'_>,
    prefix: &str,
    f: &Finding,
    w: &mut dyn Write,
) -> io::Result<()> {
    let r = label_region(&input.result.files, f.primary());
    let path = if prefix.is_empty() {
        f.primary().path.to_string()
    } else {
        format!("{prefix}/{}", f.primary().path)
    };
    let mut props = format!(
        "file={},line={},endLine={}",
        escape_property(&path),
        r.start.line,
        r.end.line
    );
    if r.start.line == r.end.line {
        // GitHub rejects an endColumn before col; an empty span still covers one column.
        let end = r.end.column.max(r.start.column + 1);
        props.push_str(&format!(",col={},endColumn={end}", r.start.column));
    }
    let title = format!("lanyard {} ({}, {})", f.rule(), f.family(), f.severity());
    props.push_str(&format!(",title={}", escape_property(&title)));
    let mut message = f.message().to_owned();
    if let Some(h) = f.help() {
        message.push_str("\n\n");
        message.push_str(h);
    }
    for related in f.related() {
        let rr = label_region(&input.result.files, related);
        message.push_str(&format!(
            "\n- {}:{}: {}",
            related.path, rr.start.line, related.message
        ));
    }
    writeln!(
        w,
        "::{} {props}::{}",
        level(f.severity()),
        escape_data(&message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::test_support::{rules, sample};

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn annotations_are_one_line_each_and_one_based() {
        let result = sample();
        let input = ReportInput {
            result: &result,
            rules: rules(),
        };
        let mut out = Vec::new();
        write(&input, "sub dir", &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), result.findings.len());
        for line in text.lines() {
            assert!(
                line.starts_with("::error ")
                    || line.starts_with("::warning ")
                    || line.starts_with("::notice "),
                "{line}"
            );
            assert!(line.contains("file=sub dir/"), "{line}");
            assert!(
                !line.contains("line=0") && !line.contains("col=0"),
                "{line}"
            );
        }
    }
}
