//! After every file: the project pass, fingerprints, and suppression (ignore comments,
//! baseline, allowed identities, focus paths).

use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{self, Directive, Suppression};
use crate::model::facts::ProjectFacts;
use crate::rules::{self, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::{FileStore, SourceFile};

use super::{Notice, NoticeKind, ScanOptions, ScanResult, WorkerOutput, notice};

/// Merge the workers' outputs, run the project pass, fingerprint, and apply ignore
/// comments and the baseline.
pub(super) fn finish(
    outputs: Vec<WorkerOutput>,
    mut notices: Vec<Notice>,
    opts: &ScanOptions,
    rules: &[&'static dyn Rule],
) -> ScanResult {
    let mut result = ScanResult::default();
    let mut project = ProjectFacts::default();
    let mut findings = Vec::new();
    let mut directives = Vec::new();
    for out in outputs {
        directives.extend(out.directives);
        findings.extend(out.findings);
        notices.extend(out.notices);
        for f in out.facts {
            project.add(f);
        }
        for (path, file) in out.retained {
            result.files.insert(path, file);
        }
        result.stats.files_scanned += out.stats.files_scanned;
        result.stats.bytes_scanned += out.stats.bytes_scanned;
        result.stats.files_parsed += out.stats.files_parsed;
    }
    crate::model::resolve::project(&mut project);
    // Project facts in a fixed order, so project rules see the same input every run.
    project
        .workloads
        .sort_by(|a, b| (&*a.path, a.span.start, &a.name).cmp(&(&*b.path, b.span.start, &b.name)));
    let config_path = opts.config_file.as_ref().map(|(p, _)| p);
    if let Some((path, bytes)) = &opts.config_file
        && result.files.get(path).is_none()
    {
        let file = SourceFile::new(path.to_string(), FileKind::Toml, bytes.clone());
        result.files.insert(Arc::clone(path), Arc::new(file));
    }
    if let Some(path) = config_path {
        for span in crate::model::scope::unmatched_declarations(&project, &opts.agents) {
            notices.push(notice(
                NoticeKind::UnmatchedDeclaration,
                path,
                Some(span),
                "this `[[agent]]` declaration matches no workload: check its `match` against `lanyard inventory`",
            ));
        }
    }
    let pcx = ProjectCx {
        facts: &project,
        agents: &opts.agents,
        config_path,
    };
    for id in rules::run::check_project(&pcx, rules, &mut findings) {
        notices.push(Notice {
            kind: NoticeKind::InternalError,
            path: Arc::from(""),
            span: None,
            message: format!(
                "rule `{id}` failed on the project pass; its cross-file findings are missing"
            ),
        });
    }
    crate::findings::finalize(&mut findings);
    let (findings, suppressed) =
        apply_suppressions(findings, &mut directives, &result.files, opts, &mut notices);
    notices.sort_by(|a, b| (&*a.path, a.kind, a.span).cmp(&(&*b.path, b.kind, b.span)));
    notices.dedup();
    result.findings = findings;
    result.suppressed = suppressed;
    result.notices = notices;
    result.facts = project;
    result
}

/// Split findings into reported and suppressed (ignore comments, baseline), and keep
/// only those that touch the focus paths when there are some.
fn apply_suppressions(
    findings: Vec<Finding>,
    directives: &mut [Directive],
    files: &FileStore,
    opts: &ScanOptions,
    notices: &mut Vec<Notice>,
) -> (Vec<Finding>, Vec<(Finding, Suppression)>) {
    directives.sort_by(|a, b| (&*a.path, a.span).cmp(&(&*b.path, b.span)));
    let mut used = vec![false; directives.len()];
    let (honoured, unreasoned): (Vec<usize>, Vec<usize>) = (0..directives.len())
        .partition(|i| directives[*i].reason.is_some() || !opts.require_reason);
    let active: Vec<Directive> = honoured.iter().map(|i| directives[*i].clone()).collect();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for mut f in findings {
        if let Some(severity) = opts.severity_overrides.get(f.rule()) {
            f = f.amend().severity(*severity).build();
        }
        if let Some(focus) = &opts.focus {
            let touches = focus.contains(&*f.primary().path)
                || f.related().iter().any(|l| focus.contains(&*l.path));
            if !touches {
                continue;
            }
        }
        if let Some((i, d)) = suppress::matching(&f, &active, files) {
            used[honoured[i]] = true;
            let reason = d.reason.clone().unwrap_or_default();
            suppressed.push((f, Suppression::InSource { reason }));
        } else if opts.baseline.contains(f.fingerprint()) {
            suppressed.push((f, Suppression::Baseline));
        } else if let Some(id) = allowed_identity(&f, &opts.allowed_identities, files) {
            let what = format!("`{id}` is allowed in lanyard.toml");
            suppressed.push((f, Suppression::Allowed { what }));
        } else {
            kept.push(f);
        }
    }
    for i in unreasoned {
        let d = &directives[i];
        notices.push(notice(
            NoticeKind::IgnoreWithoutReason,
            &d.path,
            Some(d.span),
            "this ignore comment gives no reason, so it suppresses nothing: write `lanyard: ignore[rule] why it is acceptable`",
        ));
    }
    if opts.report_unused_ignores {
        for i in honoured.iter().copied().filter(|i| !used[*i]) {
            let d = &directives[i];
            notices.push(notice(
                NoticeKind::UnusedIgnore,
                &d.path,
                Some(d.span),
                format!(
                    "this ignore comment matches no finding of {}",
                    d.rules.join(", ")
                ),
            ));
        }
    }
    (kept, suppressed)
}

/// The allowed identity a finding's primary location names, if any.
fn allowed_identity<'a>(f: &Finding, allowed: &'a [String], files: &FileStore) -> Option<&'a str> {
    if allowed.is_empty() {
        return None;
    }
    let text = files
        .get(&f.primary().path)
        .map(|file| file.slice(f.primary().span))?;
    allowed
        .iter()
        .find(|a| !a.is_empty() && text.contains(a.as_str()))
        .map(String::as_str)
}
