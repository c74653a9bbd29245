//! One file: read it (capped, no symlinks), skip binaries, then classify, parse,
//! extract its model facts and run the rules on it, contained by `catch_unwind`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{self, Directive};
use crate::model::catalog::Catalog;
use crate::model::facts::FileFacts;
use crate::model::scope::WorkloadOverride;
use crate::rules::{self, FileCx, Rule};
use crate::syntax::classify::{FileKind, Syntax, classify_path, refine};
use crate::syntax::parse;
use crate::syntax::parse::helm::Chart;
use crate::syntax::source::{SourceFile, Span};

use super::safe_fs::{ReadError, read_capped};
use super::{Candidate, Notice, NoticeKind, ScanOptions, WorkerOutput, notice};

fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|b| *b == 0)
}

pub(super) fn process(
    c: &Candidate,
    opts: &ScanOptions,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
    out: &mut WorkerOutput,
) {
    // Never through a link swapped in after discovery; size-checked before reading.
    let bytes = match read_capped(&c.abs, opts.max_file_size, false) {
        Ok(b) => b,
        Err(ReadError::TooLarge { limit }) => {
            out.notices.push(notice(
                NoticeKind::Skipped,
                &c.display,
                None,
                format!("larger than the {limit} byte limit (--max-file-size)"),
            ));
            return;
        }
        Err(ReadError::NotAFile) => {
            out.notices.push(notice(
                NoticeKind::Skipped,
                &c.display,
                None,
                "not a regular file",
            ));
            return;
        }
        Err(ReadError::Io(e)) => {
            out.notices.push(notice(
                NoticeKind::Io,
                &c.display,
                None,
                format!("could not read: {}", e.kind()),
            ));
            return;
        }
    };
    process_bytes(c, bytes, catalog, rules, &opts.workloads, out);
}

/// Everything after reading: the binary check, then the file's check inside
/// `catch_unwind`.
pub(super) fn process_bytes(
    c: &Candidate,
    bytes: Vec<u8>,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
    overrides: &[WorkloadOverride],
    out: &mut WorkerOutput,
) {
    if looks_binary(&bytes) {
        out.notices
            .push(notice(NoticeKind::Skipped, &c.display, None, "binary file"));
        return;
    }
    out.stats.files_scanned += 1;
    out.stats.bytes_scanned += bytes.len() as u64;

    let charts = &mut out.charts;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        check_file(c, bytes, catalog, rules, overrides, charts)
    }));
    match caught {
        Ok(checked) => {
            if checked.parsed {
                out.stats.files_parsed += 1;
            }
            // Files that facts point into are kept too: cross-file findings quote them;
            // and files a notice points into (an ignore comment may get one later), so
            // that it shows its line and column.
            if !checked.findings.is_empty()
                || checked.facts.matters_to_project()
                || checked.notices.iter().any(|n| n.span.is_some())
                || !checked.directives.is_empty()
            {
                out.retained.push((Arc::clone(&c.display), checked.file));
            }
            out.findings.extend(checked.findings);
            out.directives.extend(checked.directives);
            out.notices.extend(checked.notices);
            if let Some(facts) = checked.facts.into_project_part() {
                out.facts.push((Arc::clone(&c.display), facts));
            }
            out.secrets.extend(checked.secrets);
        }
        Err(_) => out.notices.push(notice(
            NoticeKind::InternalError,
            &c.display,
            None,
            "lanyard hit an internal error while checking this file; other files were checked (please report this)",
        )),
    }
}

pub(super) struct Checked {
    pub(super) directives: Vec<Directive>,
    pub(super) file: Arc<SourceFile>,
    pub(super) findings: Vec<Finding>,
    pub(super) notices: Vec<Notice>,
    pub(super) facts: FileFacts,
    pub(super) parsed: bool,
    /// The secrets masked in this file, with their public prefix length, to mask
    /// wherever else they turn up (a name, an ignore comment's reason).
    pub(super) secrets: Vec<(String, usize)>,
}

/// Classify, parse, extract facts and run the per-file rules on one file.
pub(super) fn check_file(
    c: &Candidate,
    bytes: Vec<u8>,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
    overrides: &[WorkloadOverride],
    charts: &mut Charts,
) -> Checked {
    // By the name as found: a display path made unique (`name (2)`) still classifies.
    let mut kind = classify_path(&c.kind_path);
    let mut file = SourceFile::new(c.display.to_string(), kind, bytes);
    if kind.needs_sniffing() {
        kind = refine(kind, file.text());
        file.kind = kind;
    }
    let credentials = catalog.scan(&file.bytes);
    let mut notices = Vec::new();
    // A Helm template is rendered with its chart's values; outside a chart (no
    // `Chart.yaml`) it may be any templated text, and failing to read it is no news.
    let chart = (kind == FileKind::HelmTemplate).then(|| charts.of(c));
    let in_chart = chart.as_ref().is_some_and(|c| c.1);
    // Most files of a repository are source code that no rule parses: skip even the
    // UTF-8 pass `parse` starts with.
    let parsed = match if kind.syntax() == Syntax::None {
        Ok(None)
    } else if let Some(chart) = &chart {
        parse::parse_helm(&file, &chart.0).map(Some)
    } else {
        parse::parse(&file)
    } {
        Ok(p) => p,
        Err(e) => {
            if !kind.parse_errors_expected() || in_chart {
                notices.push(notice(
                    NoticeKind::ParseError,
                    &c.display,
                    e.span,
                    e.message,
                ));
            }
            None
        }
    };
    let mut facts = match parsed.as_ref() {
        Some(p) => {
            crate::model::extract::extract(kind, &c.display, p, file.text(), &credentials, catalog)
        }
        None => crate::model::extract::extract_text(
            kind,
            &c.display,
            file.text(),
            &credentials,
            catalog,
        ),
    };
    // What lanyard.toml says a workload is wins over the evidence, before any rule asks.
    crate::model::scope::apply_overrides(&mut facts.workloads, overrides);
    let cx = FileCx {
        file: &file,
        path: &c.display,
        parsed: parsed.as_ref(),
        credentials: &credentials,
        facts: &facts,
        catalog,
    };
    // Test builds only (the `test-panic` feature, which `cargo test` turns on through
    // the self dev-dependency): lets tests/hostile.rs prove through the binary that a
    // crash on one file is contained. Release builds hold no such trigger.
    #[cfg(feature = "test-panic")]
    if c.display.rsplit('/').next() == Some("lanyard-test-panic") {
        panic!("test-panic: PANIC-PAYLOAD-7f3a");
    }
    let rules::run::FileRun {
        findings,
        masks: rule_masks,
    } = rules::run::check_file(&cx, rules);
    let directives = suppress::directives(&file, &c.display, parsed.as_ref());
    let visible = |spec: usize| catalog.specs.get(spec).map_or(0, |s| s.prefix.len().max(4));
    let masks: Vec<(Span, usize)> = credentials
        .iter()
        .map(|m| (m.span, visible(m.spec)))
        .chain(rule_masks)
        .chain(
            escaped_slash_matches(catalog, &file.bytes)
                .into_iter()
                .map(|m| (m.span, visible(m.spec))),
        )
        .collect();
    let secrets = masks
        .iter()
        .map(|(span, visible)| (file.slice(*span).into_owned(), *visible))
        .collect();
    // Only the masked copy outlives this function: reporters quote it, so no snippet
    // can show a secret. A file with nothing to mask is its own masked copy, which
    // spares a copy of every file.
    let masked = if masks.is_empty() {
        file
    } else {
        file.masked(masks)
    };
    Checked {
        secrets,
        directives,
        parsed: parsed.is_some(),
        file: Arc::new(masked),
        findings,
        notices,
        facts,
    }
}

/// Credentials the catalog finds once `\/` reads as `/`: JSON may escape slashes, and
/// `"postgres:\/\/app:pw@db"` hides a connection URL's password from a pattern that
/// looks for `://`. Mapped back to spans of the file, to be masked in what reports
/// quote; not reported (a rule would point at shifted offsets).
fn escaped_slash_matches(
    catalog: &Catalog,
    bytes: &[u8],
) -> Vec<crate::model::catalog::CredentialMatch> {
    let escaped = |i: usize| bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'/');
    if !(0..bytes.len()).any(escaped) {
        return Vec::new();
    }
    // `plain[k]` came from `bytes[at[k]]`.
    let mut plain = Vec::with_capacity(bytes.len());
    let mut at = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if escaped(i) {
            i += 1;
        }
        plain.push(bytes[i]);
        at.push(i);
        i += 1;
    }
    let mut out = catalog.scan(&plain);
    out.retain_mut(|m| {
        let (s, e) = (m.span.start as usize, m.span.end as usize);
        let (Some(&start), Some(&last)) = (at.get(s), e.checked_sub(1).and_then(|l| at.get(l)))
        else {
            return false;
        };
        m.span = Span::new(start, last + 1);
        true
    });
    out
}

/// The charts a worker has read during one scan, by chart folder: a chart's templates
/// are checked one after another, and each would otherwise read and parse the same
/// `values.yaml` and partials again.
#[derive(Default)]
pub(super) struct Charts(std::collections::HashMap<std::path::PathBuf, Arc<(Chart, bool)>>);

/// Most charts a worker keeps at once (a repository of many charts is walked chart by
/// chart, so a small cache still hits).
const CACHED_CHARTS: usize = 16;

impl Charts {
    /// The chart of a Helm template (see [`chart_of`]).
    fn of(&mut self, c: &Candidate) -> Arc<(Chart, bool)> {
        let Some(root) = chart_root(c) else {
            return Arc::new((Chart::default(), false));
        };
        if let Some(chart) = self.0.get(root) {
            return Arc::clone(chart);
        }
        if self.0.len() >= CACHED_CHARTS {
            self.0.clear();
        }
        let chart = Arc::new(chart_of(root));
        self.0.insert(root.to_path_buf(), Arc::clone(&chart));
        chart
    }
}

/// The folder holding a template's innermost `templates/` folder.
fn chart_root(c: &Candidate) -> Option<&Path> {
    c.abs
        .ancestors()
        .skip(1)
        .find(|a| {
            a.file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("templates"))
        })
        .and_then(Path::parent)
}

/// The chart in `root`: its `Chart.yaml`, `values.yaml` and partials, read like any
/// scanned file (capped, no symlinks), and whether the folder is a chart (has a
/// `Chart.yaml`).
fn chart_of(root: &Path) -> (Chart, bool) {
    let dir_name = root.file_name().and_then(|n| n.to_str()).unwrap_or("chart");
    let yaml = |names: [&str; 2]| {
        names.iter().find_map(|name| {
            let bytes = read_capped(&root.join(name), super::DEFAULT_MAX_FILE_SIZE, false).ok()?;
            let file = SourceFile::new(*name, FileKind::Yaml, bytes);
            let parsed = parse::parse(&file).ok()??;
            parsed.documents.into_iter().next().map(|d| d.root)
        })
    };
    let manifest = yaml(["Chart.yaml", "Chart.yml"]);
    let known = manifest.is_some();
    let mut chart = Chart::from_manifest(manifest.as_ref(), dir_name);
    chart.values = yaml(["values.yaml", "values.yml"]);
    partials(&root.join("templates"), 0, &mut chart.partials);
    (chart, known)
}

/// Most partials and bytes of partials read for one chart.
const MAX_PARTIALS: usize = 64;
const MAX_PARTIAL_BYTES: usize = 4 << 20;

/// The partials of a chart's `templates/` folder (file names starting with `_`, where
/// charts keep their named templates), in name order, within caps.
fn partials(dir: &Path, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() && depth < 4 {
            partials(&path, depth + 1, out);
        } else if kind.is_file() && e.file_name().to_string_lossy().starts_with('_') {
            let used: usize = out.iter().map(String::len).sum();
            if out.len() >= MAX_PARTIALS || used >= MAX_PARTIAL_BYTES {
                return;
            }
            if let Ok(bytes) = read_capped(&path, (MAX_PARTIAL_BYTES - used) as u64, false) {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
}
