//! Human output: one ariadne report per finding, with labels in every file it involves.
//!
//! Sources shown here come from the [`FileStore`], which only ever holds files with
//! their secrets masked, so a snippet cannot print a credential.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};

use crate::findings::{Family, Finding, Severity};
use crate::scan::{Notice, ScanResult};
use crate::syntax::source::FileStore;
use crate::syntax::text::sanitize_quoted;

/// Lines longer than this are not quoted: ariadne would print them whole (a minified
/// 60 MB line, say).
const MAX_QUOTED_LINE: usize = 400;

pub(crate) struct HumanOptions {
    pub(crate) color: bool,
    /// Also print routine notices (skipped symlinks, binary and oversized files).
    pub(crate) verbose: bool,
    /// Findings only: no notices, no summary.
    pub(crate) quiet: bool,
    /// The lowest severity that fails the run (`--fail-on`): the summary says how many
    /// findings reach it, which is why the exit code is 1.
    pub(crate) fail_on: Option<Severity>,
}

/// ariadne's view of the file store, built once for the whole run.
struct Sources<'a> {
    store: &'a FileStore,
    cache: HashMap<Arc<str>, Source<String>>,
}

impl Sources<'_> {
    fn ensure(&mut self, path: &Arc<str>) -> bool {
        if self.cache.contains_key(path) {
            return true;
        }
        let Some(file) = self.store.get(path) else {
            return false;
        };
        self.cache.insert(
            Arc::clone(path),
            Source::from(sanitize_quoted(file.text()).into_owned()),
        );
        true
    }

    /// Whether every line the label touches is short enough to quote.
    fn quotable(&self, path: &str, span: crate::syntax::source::Span) -> bool {
        let Some(file) = self.store.get(path) else {
            return false;
        };
        let idx = file.line_index();
        let first = idx.line_of(span.start as usize);
        let last = idx.line_of(span.end as usize);
        (first..=last).all(|line| {
            let start = idx.line_start(line);
            let end = if line + 1 < idx.line_count() {
                idx.line_start(line + 1)
            } else {
                file.bytes.len()
            };
            end.saturating_sub(start) <= MAX_QUOTED_LINE
        })
    }
}

struct PathId(Arc<str>);

impl ariadne::Cache<Arc<str>> for Sources<'_> {
    type Storage = String;

    fn fetch(&mut self, id: &Arc<str>) -> Result<&Source<String>, impl fmt::Debug> {
        self.cache
            .get(id)
            .ok_or_else(|| format!("no source for {id}"))
    }

    fn display<'b>(&self, id: &'b Arc<str>) -> Option<impl fmt::Display + 'b> {
        Some(PathId(Arc::clone(id)))
    }
}

impl fmt::Display for PathId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
    }
}

pub(crate) fn write(result: &ScanResult, opts: &HumanOptions, w: &mut dyn Write) -> io::Result<()> {
    let mut sources = Sources {
        store: &result.files,
        cache: HashMap::new(),
    };
    let config = Config::default()
        .with_index_type(IndexType::Byte)
        .with_color(opts.color)
        .with_compact(false);
    for f in &result.findings {
        write_finding(f, &mut sources, config, opts.color, w)?;
    }
    if opts.quiet {
        return Ok(());
    }
    for n in &result.notices {
        if n.kind.is_routine() && !opts.verbose {
            continue;
        }
        write_notice(n, &result.files, opts.color, w)?;
    }
    write_summary(result, opts, w)
}

fn write_finding(
    f: &Finding,
    sources: &mut Sources<'_>,
    config: Config,
    color: bool,
    w: &mut dyn Write,
) -> io::Result<()> {
    let labels: Vec<&crate::findings::Label> =
        std::iter::once(f.primary()).chain(f.related()).collect();
    let all_quotable = labels
        .iter()
        .all(|l| sources.ensure(&l.path) && sources.quotable(&l.path, l.span));
    let mut details = format!("{} · confidence {}", f.family(), f.confidence());
    if let Some(wl) = &f.workload() {
        details.push_str(&format!(" · {wl}"));
    }
    if let Some(e) = f.evidence() {
        details.push_str(&format!(" · evidence {}", e.as_str()));
    }
    details.push_str(&format!(" · fingerprint {}", f.fingerprint()));
    if !all_quotable {
        // Plain form: location lines instead of snippets.
        writeln!(w, "{}[{}]: {}", f.severity(), f.rule(), f.message())?;
        for (i, l) in labels.iter().enumerate() {
            let (line, col) = position(sources.store, &l.path, l.span.start as usize);
            let role = if i == 0 { "-->" } else { "  ·" };
            writeln!(w, "  {role} {}:{line}:{col} {}", l.path, l.message)?;
        }
        if let Some(h) = f.help() {
            writeln!(w, "  help: {h}")?;
        }
        writeln!(w, "  note: {details}")?;
        return writeln!(w);
    }
    let kind_color = severity_color(f.severity());
    let primary_color = if color { kind_color } else { Color::Primary };
    let order = label_order(&labels);
    let mut report = Report::build(
        ReportKind::Custom(f.severity().as_str(), kind_color),
        (Arc::clone(&f.primary().path), f.primary().span.range()),
    )
    .with_config(config)
    .with_code(f.rule())
    .with_message(f.message())
    .with_label(
        Label::new((Arc::clone(&f.primary().path), f.primary().span.range()))
            .with_message(&f.primary().message)
            .with_color(primary_color)
            .with_order(order[0]),
    );
    for (i, r) in f.related().iter().enumerate() {
        report = report.with_label(
            Label::new((Arc::clone(&r.path), r.span.range()))
                .with_message(&r.message)
                .with_color(Color::Blue)
                .with_order(order.get(i + 1).copied().unwrap_or(i32::MAX)),
        );
    }
    if let Some(h) = f.help() {
        report = report.with_help(h);
    }
    report = report.with_note(details);
    let mut buf = Vec::new();
    report.finish().write(&mut *sources, &mut buf)?;
    if !color {
        // ariadne colours a custom report kind even with colour off; every escape left
        // is its own (quoted text was sanitised), so strip them.
        buf = strip_sgr(&buf);
    }
    w.write_all(&buf)?;
    writeln!(w)
}

/// The order ariadne draws the labels in: the primary's file first, then the other
/// files as they first appear, each file's labels top to bottom. ariadne starts a new
/// snippet whenever the file changes or a label goes back up, and heads a snippet of
/// the primary's file with the primary's position: drawn in this order, each file has
/// one snippet, and each header names the file and line of a label under it.
fn label_order(labels: &[&crate::findings::Label]) -> Vec<i32> {
    let mut files: Vec<&str> = Vec::new();
    for l in labels {
        if !files.contains(&&*l.path) {
            files.push(&l.path);
        }
    }
    let file_rank = |l: &crate::findings::Label| files.iter().position(|f| **f == *l.path);
    let mut by_place: Vec<usize> = (0..labels.len()).collect();
    by_place.sort_by_key(|&i| (file_rank(labels[i]), labels[i].span.start, i));
    let mut order = vec![0i32; labels.len()];
    for (rank, &i) in by_place.iter().enumerate() {
        order[i] = i32::try_from(rank).unwrap_or(i32::MAX);
    }
    order
}

/// Remove `ESC [ ... m` sequences.
fn strip_sgr(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let end = bytes[i + 2..].iter().position(|b| b.is_ascii_alphabetic());
            if let Some(e) = end {
                i += e + 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn position(store: &FileStore, path: &str, offset: usize) -> (usize, usize) {
    store.get(path).map_or((1, 1), |file| {
        let p = file.line_index().position(&file.bytes, offset);
        (p.line, p.column)
    })
}

fn write_notice(n: &Notice, store: &FileStore, color: bool, w: &mut dyn Write) -> io::Result<()> {
    let location = match n.span {
        Some(span) => {
            let (line, col) = position(store, &n.path, span.start as usize);
            format!("{}:{line}:{col}: ", n.path)
        }
        // A notice about the whole run (nothing scanned, a rule's project pass).
        None if n.path.is_empty() => String::new(),
        None => format!("{}: ", n.path),
    };
    let tag = format!("notice[{}]", n.kind.as_str());
    let tag = if color {
        format!("\x1b[36m{tag}\x1b[0m")
    } else {
        tag
    };
    writeln!(w, "{tag}: {location}{}", n.message)
}

fn write_summary(result: &ScanResult, opts: &HumanOptions, w: &mut dyn Write) -> io::Result<()> {
    let n = result.findings.len();
    let files = result.stats.files_scanned;
    if n == 0 {
        writeln!(w, "No findings in {files} file{}.", plural(files))?;
    } else {
        let by_sev: Vec<String> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .iter()
        .filter_map(|s| {
            let c = result
                .findings
                .iter()
                .filter(|f| f.severity() == *s)
                .count();
            (c > 0).then(|| format!("{c} {s}"))
        })
        .collect();
        let by_family: Vec<String> = Family::ALL
            .iter()
            .filter_map(|fam| {
                let c = result
                    .findings
                    .iter()
                    .filter(|f| f.family() == *fam)
                    .count();
                (c > 0).then(|| format!("{fam} {c}"))
            })
            .collect();
        writeln!(
            w,
            "{n} finding{} ({}) in {files} file{}: {}.",
            plural(n),
            by_sev.join(", "),
            plural(files),
            by_family.join(", ")
        )?;
    }
    if let Some(fail_on) = opts.fail_on {
        let failing = result
            .findings
            .iter()
            .filter(|f| f.severity() >= fail_on)
            .count();
        let internal = result
            .notices
            .iter()
            .any(|x| x.kind == crate::scan::NoticeKind::InternalError);
        if failing > 0 && !internal {
            writeln!(
                w,
                "{failing} of them at or above `--fail-on {fail_on}`: that is why lanyard exits with code 1."
            )?;
        } else if failing == 0 && n > 0 {
            writeln!(w, "None at or above `--fail-on {fail_on}`.")?;
        }
    }
    if !result.suppressed.is_empty() {
        writeln!(
            w,
            "{} finding{} suppressed by ignore comments or the baseline.",
            result.suppressed.len(),
            plural(result.suppressed.len())
        )?;
    }
    let hidden = result
        .notices
        .iter()
        .filter(|x| x.kind.is_routine())
        .count();
    if hidden > 0 && !opts.verbose {
        writeln!(
            w,
            "{hidden} file{} skipped (binary, too large, symlinks or special files); --verbose lists them.",
            plural(hidden)
        )?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Label;
    use crate::syntax::source::Span;

    #[test]
    fn labels_are_drawn_file_by_file_top_to_bottom() {
        let a: Arc<str> = Arc::from("infra/a.tf");
        let b: Arc<str> = Arc::from("b.yml");
        let primary = Label::new(&a, Span::new(100, 110), "grant");
        let in_b = Label::new(&b, Span::new(5, 9), "holder in b");
        let above = Label::new(&a, Span::new(10, 20), "holder above the grant");
        let below = Label::new(&a, Span::new(300, 310), "holder below the grant");
        // The primary's file first, its labels top to bottom, then the other file: one
        // snippet per file, each headed by a label it shows.
        assert_eq!(
            label_order(&[&primary, &in_b, &above, &below]),
            vec![1, 3, 0, 2]
        );
    }
}
