//! Concise output: one line per finding, `path:line:col: severity rule message`, the
//! shape compilers and editors' problem matchers read; then one line per notice,
//! `path:line:col: notice kind message` (routine ones only with `--verbose`).

use std::io::{self, Write};

use crate::report::{ReportInput, label_region, region};

/// One line: line breaks in a message become spaces.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r']).collect::<Vec<_>>().join(" ")
}

pub(crate) fn write(
    input: &ReportInput<'_>,
    verbose: bool,
    quiet: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let result = input.result;
    for f in &result.findings {
        let r = label_region(&result.files, f.primary());
        writeln!(
            w,
            "{}:{}:{}: {} {} {}",
            f.primary().path,
            r.start.line,
            r.start.column,
            f.severity().as_str(),
            f.rule(),
            one_line(f.message())
        )?;
    }
    if quiet {
        return Ok(());
    }
    for n in &result.notices {
        if n.kind.is_routine() && !verbose {
            continue;
        }
        let at = match n.span {
            Some(span) => {
                let r = region(&result.files, &n.path, span);
                format!("{}:{}:{}: ", n.path, r.start.line, r.start.column)
            }
            None if n.path.is_empty() => String::new(),
            None => format!("{}: ", n.path),
        };
        writeln!(w, "{at}notice {} {}", n.kind.as_str(), one_line(&n.message))?;
    }
    Ok(())
}
