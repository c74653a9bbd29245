//! One file: read it (capped, no symlinks), skip binaries, then classify, parse,
//! extract its model facts and run the rules on it, contained by `catch_unwind`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{self, Directive};
use crate::model::catalog::Catalog;
use crate::model::facts::FileFacts;
use crate::model::scope::WorkloadOverride;
use crate::rules::{self, FileCx, Rule};
use crate::syntax::classify::{Syntax, classify_path, refine};
use crate::syntax::parse;
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

    let caught = catch_unwind(AssertUnwindSafe(|| {
        check_file(c, bytes, catalog, rules, overrides)
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
    // Most files of a repository are source code that no rule parses: skip even the
    // UTF-8 pass `parse` starts with.
    let parsed = match if kind.syntax() == Syntax::None {
        Ok(None)
    } else {
        parse::parse(&file)
    } {
        Ok(p) => p,
        Err(e) => {
            if !kind.parse_errors_expected() {
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
