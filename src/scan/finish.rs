//! After every file: the project pass, fingerprints, and suppression (ignore comments,
//! baseline, allowed identities, focus paths).

use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{self, Directive, Suppression};
use crate::model::facts::ProjectFacts;
use crate::rules::{self, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::{FileStore, SourceFile};
use crate::syntax::text::one_line;

use super::secrets::Secrets;

use super::{Notice, NoticeKind, ScanOptions, ScanResult, WorkerOutput, notice};

/// Merge the workers' outputs, run the project pass, fingerprint, and apply ignore
/// comments and the baseline. `repos` are the repositories discovery found: the
/// project pass runs once per repository, so identities, secrets and grants of one
/// checkout never join another's (a monorepo is one repository).
pub(super) fn finish(
    outputs: Vec<WorkerOutput>,
    mut notices: Vec<Notice>,
    opts: &ScanOptions,
    rules: &[&'static dyn Rule],
    repos: &[Arc<str>],
) -> ScanResult {
    let mut result = ScanResult::default();
    let mut directives = Vec::new();
    let mut facts = Vec::new();
    let mut file_findings = Vec::new();
    let mut secrets = Vec::new();
    for out in outputs {
        directives.extend(out.directives);
        file_findings.extend(out.findings);
        notices.extend(out.notices);
        facts.extend(out.facts);
        secrets.extend(out.secrets);
        for (path, file) in out.retained {
            result.files.insert(path, file);
        }
        result.stats.files_scanned += out.stats.files_scanned;
        result.stats.bytes_scanned += out.stats.bytes_scanned;
        result.stats.files_parsed += out.stats.files_parsed;
    }
    // The workers' outputs come in the order the workers finished their files: put
    // everything in path order first, so that which definition a reference resolves
    // to, and the order of related locations, are the same at any thread count. The
    // sorts are stable: within a file, the order its check produced stays.
    facts.sort_by(|a, b| a.0.cmp(&b.0));
    file_findings.sort_by(|a: &Finding, b: &Finding| a.primary().path.cmp(&b.primary().path));
    // One group per repository (files outside every repository form one more).
    let mut groups: Vec<Group> = Vec::new();
    for (path, f) in facts {
        group(&mut groups, repos, &path).facts.add(f);
    }
    for f in file_findings {
        group(&mut groups, repos, &f.primary().path)
            .findings
            .push(f);
    }
    if groups.is_empty() {
        groups.push(Group::default());
    }
    groups.sort_by(|a, b| a.repo.cmp(&b.repo));
    let config_path = opts.config_file.as_ref().map(|(p, _)| p);
    if let Some((path, bytes)) = &opts.config_file
        && result.files.get(path).is_none()
    {
        let file = SourceFile::new(path.to_string(), FileKind::Toml, bytes.clone());
        result.files.insert(Arc::clone(path), Arc::new(file));
    }
    let several = groups.len() > 1;
    let mut project = ProjectFacts::default();
    let mut findings = Vec::new();
    let mut failed: Vec<&'static str> = Vec::new();
    for Group {
        mut facts,
        findings: mut group_findings,
        ..
    } in groups
    {
        crate::model::resolve::project(&mut facts);
        // Project facts in a fixed order, so project rules see the same input every run.
        sort_workloads(&mut facts);
        let pcx = ProjectCx {
            facts: &facts,
            agents: &opts.agents,
            config_path,
        };
        for id in rules::run::check_project(&pcx, rules, &mut group_findings) {
            if !failed.contains(&id) {
                failed.push(id);
            }
        }
        findings.extend(group_findings);
        project.join(facts);
    }
    sort_workloads(&mut project);
    if several {
        project.repos = repos.to_vec();
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
    for id in failed {
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
    if result.stats.files_scanned == 0 {
        notices.push(notice(
            NoticeKind::Coverage,
            &Arc::from(""),
            None,
            "no file was scanned: every file was excluded, ignored or skipped (a .ignore or .gitignore file can list every file); --fail-on-empty makes this fail the run",
        ));
    }
    // Names, reasons and messages quote the repository: a credential used as an MCP
    // server's key or quoted in an ignore comment is masked wherever it is shown, and
    // none of them may break a line.
    result.secrets = Secrets::new(secrets);
    let clean = |s: &str| one_line(&result.secrets.mask(s)).into_owned();
    result.findings = findings
        .into_iter()
        .map(|f| f.amend().map_text(clean).build())
        .collect();
    result.suppressed = suppressed
        .into_iter()
        .map(|(f, why)| {
            let why = match why {
                Suppression::InSource { reason } => Suppression::InSource {
                    reason: clean(&reason),
                },
                Suppression::Allowed { what } => Suppression::Allowed { what: clean(&what) },
                Suppression::Baseline => Suppression::Baseline,
            };
            (f.amend().map_text(clean).build(), why)
        })
        .collect();
    for n in &mut notices {
        n.message = clean(&n.message);
    }
    notices.sort_by(|a, b| {
        (&*a.path, a.kind, a.span, &a.message).cmp(&(&*b.path, b.kind, b.span, &b.message))
    });
    notices.dedup();
    result.notices = notices;
    result.facts = project;
    result
}

/// The facts and per-file findings of one repository.
#[derive(Default)]
struct Group {
    repo: Option<Arc<str>>,
    facts: ProjectFacts,
    findings: Vec<Finding>,
}

/// The group of the repository `path` belongs to, made on first use.
fn group<'a>(groups: &'a mut Vec<Group>, repos: &[Arc<str>], path: &str) -> &'a mut Group {
    let repo = crate::model::facts::repo_of(repos, path).cloned();
    let i = match groups.iter().position(|g| g.repo == repo) {
        Some(i) => i,
        None => {
            groups.push(Group {
                repo,
                ..Group::default()
            });
            groups.len() - 1
        }
    };
    &mut groups[i]
}

fn sort_workloads(project: &mut ProjectFacts) {
    project
        .workloads
        .sort_by(|a, b| (&*a.path, a.span.start, &a.name).cmp(&(&*b.path, b.span.start, &b.name)));
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
    // Checked valid when the scan started.
    let per_path = super::per_path_globs(opts).unwrap_or_default();
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
        } else if per_path.iter().any(|(globs, rules)| {
            rules.contains(&f.rule())
                && globs
                    .matched(std::path::Path::new(&*f.primary().path), false)
                    .is_whitelist()
        }) {
            let what =
                "its rule is ignored for this path by `[[per-path]]` in lanyard.toml".to_owned();
            suppressed.push((f, Suppression::Allowed { what }));
        } else if opts.baseline.contains(f.fingerprint()) {
            suppressed.push((f, Suppression::Baseline));
        } else if let Some(id) = allowed_identity(&f, &opts.allowed_identities, files) {
            let what = format!("`{id}` is allowed in lanyard.toml");
            suppressed.push((f, Suppression::Allowed { what }));
        } else {
            kept.push(f);
        }
    }
    // A typo in an ignore comment silently ignores nothing: say so, with the name
    // meant. The name is the repository's text: quoted only when short, and masked.
    for d in directives.iter() {
        for name in d.rules.iter().filter(|n| !super::names::is_known(n)) {
            let quoted = if name.chars().count() <= 64 {
                format!("`{}`", super::secrets::shown(name))
            } else {
                "a long name".to_owned()
            };
            notices.push(notice(
                NoticeKind::UnknownRule,
                &d.path,
                Some(d.span),
                format!(
                    "this ignore comment names {quoted}, which is no rule id or family{}; `lanyard rules` lists them",
                    super::names::hint(name)
                ),
            ));
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
