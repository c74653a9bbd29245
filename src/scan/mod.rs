//! The scan pipeline: discover → read → classify → parse → per-file rules and facts →
//! project rules → sort and fingerprint. Everything a reporter needs comes out as a
//! [`ScanResult`].

pub mod diff;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{self, Directive, Suppression};
use crate::model::catalog::Catalog;
use crate::model::facts::{self, FileFacts, ProjectFacts};
use crate::rules::{self, FileCx, ProjectCx, Rule};
use crate::syntax::classify::{FileKind, Syntax, classify_path, refine};
use crate::syntax::parse;
use crate::syntax::source::{FileStore, SourceFile, Span};

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// Honour `.gitignore`/`.ignore` files (on by default; `--no-ignore-files` turns it off).
    pub respect_ignore_files: bool,
    pub max_file_size: u64,
    pub threads: usize,
    /// Rule ids to run (already resolved from ids and family names).
    pub rules: Vec<&'static str>,
    /// Glob patterns (relative to the scan root) of paths to leave out.
    pub exclude: Vec<String>,
    /// Fingerprints of accepted findings (`--baseline`).
    pub baseline: HashSet<String>,
    /// Ignore comments must give a reason to take effect.
    pub require_reason: bool,
    /// Report ignore comments that suppressed nothing.
    pub report_unused_ignores: bool,
    /// Report only findings that touch these paths (display paths); the whole tree is
    /// still scanned so cross-file findings are complete (pre-commit, `--diff-base`).
    pub focus: Option<HashSet<String>>,
    /// Extra credential catalog files `(name, TOML text)` from the project.
    pub rule_files: Vec<(String, String)>,
    /// Literal values that are known not to be secrets (test fixtures' public keys).
    pub allowed_values: Vec<String>,
    /// Identities that may appear in findings' primary locations without a finding
    /// (a known bot account, a sanctioned shared role).
    pub allowed_identities: Vec<String>,
    /// Severity per rule id, replacing the rule's own.
    pub severity_overrides: HashMap<String, crate::findings::Severity>,
    /// `[[agent]]` task declarations of the config file.
    pub agents: Vec<crate::model::scope::AgentDecl>,
    /// The config file `(display path, bytes)`, so reports can quote the declarations
    /// findings point at.
    pub config_file: Option<(Arc<str>, Vec<u8>)>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from(".")],
            respect_ignore_files: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: default_threads(),
            rules: rules::registry()
                .iter()
                .map(|r| r.meta())
                .filter(|m| m.default_enabled)
                .map(|m| m.id)
                .collect(),
            exclude: Vec::new(),
            baseline: HashSet::new(),
            require_reason: true,
            report_unused_ignores: false,
            focus: None,
            rule_files: Vec::new(),
            allowed_values: Vec::new(),
            allowed_identities: Vec::new(),
            severity_overrides: HashMap::new(),
            agents: Vec::new(),
            config_file: None,
        }
    }
}

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(12))
}

/// Something the run could not do for one file; reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub path: Arc<str>,
    pub span: Option<Span>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// The file did not parse; text-level rules still ran on it.
    ParseError,
    /// The file was not read (too large, binary, a symlink, not a regular file).
    Skipped,
    /// Reading the file failed.
    Io,
    /// A rule panicked on this file; the other files were checked.
    InternalError,
    /// An ignore comment without a reason, which therefore suppresses nothing.
    IgnoreWithoutReason,
    /// An ignore comment that matched no finding (`--report-unused-ignores`).
    UnusedIgnore,
    /// An `[[agent]]` declaration that names no workload.
    UnmatchedDeclaration,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ParseError => "parse-error",
            NoticeKind::Skipped => "skipped",
            NoticeKind::Io => "io-error",
            NoticeKind::InternalError => "internal-error",
            NoticeKind::IgnoreWithoutReason => "ignore-without-reason",
            NoticeKind::UnusedIgnore => "unused-ignore",
            NoticeKind::UnmatchedDeclaration => "unmatched-declaration",
        }
    }

    /// Skipped symlinks and oversized files are routine; only verbose output shows them.
    pub fn is_routine(self) -> bool {
        self == NoticeKind::Skipped
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    pub files_parsed: usize,
}

#[derive(Debug, Default)]
pub struct ScanResult {
    /// Sorted by path, position and rule; fingerprints set.
    pub findings: Vec<Finding>,
    /// Sorted by path.
    pub notices: Vec<Notice>,
    pub files: FileStore,
    pub stats: Stats,
    /// The identity graph of the whole scan (for `lanyard inventory`).
    pub facts: ProjectFacts,
    /// Findings hidden by an ignore comment or the baseline, with why (SARIF reports
    /// them as suppressed results).
    pub suppressed: Vec<(Finding, Suppression)>,
}

/// A file found by discovery, not yet read.
#[derive(Debug)]
struct Candidate {
    abs: PathBuf,
    display: Arc<str>,
}

/// Errors that stop the run before any file is read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot scan `{path}`: {source}")]
    Root {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid exclude pattern `{pattern}`: {message}")]
    Exclude { pattern: String, message: String },
    #[error("the credential catalog is invalid: {0}")]
    Catalog(String),
}

/// Files handed to a worker at a time.
const BATCH: usize = 32;

/// Run a whole scan.
pub fn scan(opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    // The built-in catalog unless the project adds rule files or allowed values.
    let owned;
    let catalog: &Catalog = if opts.rule_files.is_empty() && opts.allowed_values.is_empty() {
        Catalog::builtin().map_err(|e| ScanError::Catalog(e.to_string()))?
    } else {
        owned = Catalog::from_sources(
            Catalog::builtin_sources().chain(opts.rule_files.iter().cloned()),
        )
        .map_err(|e| ScanError::Catalog(e.to_string()))?
        .with_allowed(opts.allowed_values.iter().cloned());
        &owned
    };
    let rules: Vec<&'static dyn Rule> = rules::registry()
        .iter()
        .copied()
        .filter(|r| opts.rules.contains(&r.meta().id))
        .collect();
    let mut notices = Vec::new();

    // Files are checked while the walk goes on: waiting for the whole tree before
    // reading the first file left the workers idle for the length of the walk.
    let threads = opts.threads.max(1);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Candidate>>(64);
    let rx = std::sync::Mutex::new(rx);
    let (walked, outputs): (Result<(), ScanError>, Vec<WorkerOutput>) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::Builder::new()
                    // Parsers bound nesting, but give recursive rule code room anyway.
                    .stack_size(16 * 1024 * 1024)
                    .spawn_scoped(s, || {
                        let mut out = WorkerOutput::default();
                        loop {
                            // A poisoned lock means another worker died outside
                            // `catch_unwind`; stop taking work rather than panic.
                            let next = match rx.lock() {
                                Ok(guard) => guard.recv(),
                                Err(_) => break,
                            };
                            let Ok(batch) = next else { break };
                            for c in &batch {
                                process(c, opts, catalog, &rules, &mut out);
                            }
                        }
                        out
                    })
            })
            .collect();
        // Without a worker (spawn failed), checking inline keeps the run whole.
        let mut inline = WorkerOutput::default();
        let no_workers = handles.iter().all(|h| h.is_err());
        // Candidates go out in batches: a hand-over per file costs a thread wake-up
        // per file.
        let mut hand_over = |batch: Vec<Candidate>| {
            let batch = if no_workers {
                batch
            } else {
                match tx.send(batch) {
                    Ok(()) => return,
                    Err(back) => back.0,
                }
            };
            for c in &batch {
                process(c, opts, catalog, &rules, &mut inline);
            }
        };
        let mut batch = Vec::with_capacity(BATCH);
        let walked = discover(opts, &mut notices, |c| {
            batch.push(c);
            if batch.len() == BATCH {
                hand_over(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        if !batch.is_empty() {
            hand_over(batch);
        }
        drop(tx);
        let mut outputs: Vec<WorkerOutput> = handles
            .into_iter()
            .filter_map(|h| h.ok())
            .filter_map(|h| h.join().ok())
            .collect();
        outputs.push(inline);
        (walked, outputs)
    });
    walked?;

    Ok(finish(outputs, notices, opts, &rules))
}

/// Merge the workers' outputs, run the project pass, fingerprint, and apply ignore
/// comments and the baseline.
fn finish(
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
            project.workloads.extend(f.workloads);
            project.definitions.extend(f.definitions);
            project.aliases.extend(f.aliases);
            project.grants.merge(f.grants);
            project.model_keys.extend(f.model_keys);
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
    for rule in rules {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let mut out = Vec::new();
            rule.check_project(&pcx, &mut out);
            out
        }));
        match caught {
            Ok(out) => findings.extend(out),
            Err(_) => notices.push(Notice {
                kind: NoticeKind::InternalError,
                path: Arc::from(""),
                span: None,
                message: format!(
                    "rule `{}` failed on the project pass; its cross-file findings are missing",
                    rule.meta().id
                ),
            }),
        }
    }
    attach_agent_context(&mut findings, &project);
    finalize(&mut findings);
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

/// Check files held in memory, given as (repository-relative path, bytes), through
/// the same pipeline as [`scan`] after its discovery and reading, with every rule and
/// default settings, on one thread. For fuzzing and tests: it reads no disk and
/// applies no size cap.
#[doc(hidden)]
pub fn check_files(files: Vec<(String, Vec<u8>)>) -> Result<ScanResult, ScanError> {
    let catalog = Catalog::builtin().map_err(|e| ScanError::Catalog(e.to_string()))?;
    let rules: Vec<&'static dyn Rule> = rules::registry().to_vec();
    let opts = ScanOptions {
        paths: Vec::new(),
        threads: 1,
        ..ScanOptions::default()
    };
    let mut candidates: Vec<(Candidate, Vec<u8>)> = files
        .into_iter()
        .map(|(path, bytes)| {
            let display = sanitize_path(&path);
            let c = Candidate {
                abs: PathBuf::from(&path),
                display: Arc::from(display.as_str()),
            };
            (c, bytes)
        })
        .collect();
    // Discovery sorts and drops duplicates; do the same.
    candidates.sort_by(|a, b| a.0.display.cmp(&b.0.display));
    candidates.dedup_by(|a, b| a.0.display == b.0.display);
    let mut out = WorkerOutput::default();
    for (c, bytes) in candidates {
        process_bytes(&c, bytes, catalog, &rules, &mut out);
    }
    Ok(finish(vec![out], Vec::new(), &opts, &rules))
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
        if let Some(severity) = opts.severity_overrides.get(f.rule) {
            f.severity = *severity;
        }
        if let Some(focus) = &opts.focus {
            let touches = focus.contains(&*f.primary.path)
                || f.related.iter().any(|l| focus.contains(&*l.path));
            if !touches {
                continue;
            }
        }
        if let Some((i, d)) = suppress::matching(&f, &active, files) {
            used[honoured[i]] = true;
            let reason = d.reason.clone().unwrap_or_default();
            suppressed.push((f, Suppression::InSource { reason }));
        } else if opts.baseline.contains(&f.fingerprint) {
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

/// Grants held by identities that AI agents run as, in any file: name the agents,
/// point at where they take the identity, and raise the severity once (unless the rule
/// already did so from the same file).
fn attach_agent_context(findings: &mut [Finding], project: &ProjectFacts) {
    for f in findings.iter_mut().filter(|f| !f.holders.is_empty()) {
        let mut agents: Vec<(&crate::model::facts::Workload, Span)> = Vec::new();
        for holder in &f.holders {
            let mut id = holder.clone();
            crate::model::resolve::identity(&mut id, &project.definitions);
            for w in project.workloads.iter().filter(|w| w.agent.is_some()) {
                for u in w.identities.iter().filter(|u| u.identity == id) {
                    if !agents
                        .iter()
                        .any(|(a, _)| a.name == w.name && a.path == w.path)
                    {
                        agents.push((w, u.span));
                    }
                }
            }
        }
        if agents.is_empty() {
            continue;
        }
        let names: Vec<&str> = agents.iter().map(|(w, _)| w.name.as_str()).collect();
        for (w, span) in &agents {
            let why = w.agent.as_deref().unwrap_or("");
            f.related.push(crate::findings::Label::new(
                &w.path,
                *span,
                crate::findings::sanitize(&format!("{} holds this grant ({why})", w.name))
                    .into_owned(),
            ));
        }
        if !f.agent_context {
            f.severity = f.severity.raised();
            f.message
                .push_str(&format!("; held by AI agent {}", names.join(", ")));
            f.agent_context = true;
        }
        if f.workload.is_none() {
            f.workload = names.first().map(|n| (*n).to_owned());
        }
    }
}

/// The allowed identity a finding's primary location names, if any.
fn allowed_identity<'a>(f: &Finding, allowed: &'a [String], files: &FileStore) -> Option<&'a str> {
    if allowed.is_empty() {
        return None;
    }
    let text = files
        .get(&f.primary.path)
        .map(|file| file.slice(f.primary.span))?;
    allowed
        .iter()
        .find(|a| !a.is_empty() && text.contains(a.as_str()))
        .map(String::as_str)
}

/// Sort findings deterministically and give each its fingerprint.
pub fn finalize(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let mut occurrences: HashMap<(&'static str, Arc<str>, String), usize> = HashMap::new();
    for f in findings.iter_mut() {
        let n = occurrences
            .entry((
                f.rule,
                Arc::clone(&f.primary.path),
                f.fingerprint_key.clone(),
            ))
            .or_insert(0);
        f.fingerprint = f.compute_fingerprint(*n);
        *n += 1;
    }
}

#[derive(Default)]
struct WorkerOutput {
    directives: Vec<Directive>,
    findings: Vec<Finding>,
    notices: Vec<Notice>,
    facts: Vec<FileFacts>,
    retained: Vec<(Arc<str>, Arc<SourceFile>)>,
    stats: Stats,
}

fn notice(
    kind: NoticeKind,
    path: &Arc<str>,
    span: Option<Span>,
    message: impl Into<String>,
) -> Notice {
    Notice {
        kind,
        path: Arc::clone(path),
        span,
        message: message.into(),
    }
}

/// Walk every root. Symlinks are never followed, `.git` is skipped, hidden files are
/// included (`.github/`, `.env`, `.mcp.json` are the main inputs), and `.gitignore`
/// is honoured even outside a git checkout.
///
/// Candidates are handed to `emit` as they are found, each file once (the same file
/// reached from two roots is checked once). Every root and exclude pattern is checked
/// before the first candidate is emitted, so a bad argument fails the run before any
/// work.
fn discover(
    opts: &ScanOptions,
    notices: &mut Vec<Notice>,
    mut emit: impl FnMut(Candidate),
) -> Result<(), ScanError> {
    let single_root = opts.paths.len() == 1;
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut emit = |c: Candidate| {
        if single_root || seen.insert(c.abs.clone()) {
            emit(c);
        }
    };
    let mut walkers = Vec::with_capacity(opts.paths.len());
    for root in &opts.paths {
        let meta = std::fs::metadata(root).map_err(|source| ScanError::Root {
            path: root.display().to_string(),
            source,
        })?;
        let prefix = if single_root && meta.is_dir() {
            String::new()
        } else {
            clean_display(root)
        };
        if meta.is_file() {
            walkers.push((root, prefix, None));
            continue;
        }
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for pattern in &opts.exclude {
            overrides
                .add(&format!("!{pattern}"))
                .map_err(|e| ScanError::Exclude {
                    pattern: pattern.clone(),
                    message: e.to_string(),
                })?;
        }
        let overrides = overrides.build().map_err(|e| ScanError::Exclude {
            pattern: opts.exclude.join(", "),
            message: e.to_string(),
        })?;
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(false)
            .follow_links(false)
            .git_ignore(opts.respect_ignore_files)
            .git_global(false)
            .git_exclude(opts.respect_ignore_files)
            .ignore(opts.respect_ignore_files)
            .parents(opts.respect_ignore_files)
            .require_git(false)
            .overrides(overrides)
            .filter_entry(|e| e.file_name() != ".git");
        walkers.push((root, prefix, Some(builder.build())));
    }
    for (root, prefix, walker) in walkers {
        let Some(walker) = walker else {
            emit(Candidate {
                abs: root.clone(),
                display: Arc::from(prefix.as_str()),
            });
            continue;
        };
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    // An unreadable directory: say so without stopping the walk.
                    let path = err_path(&err).unwrap_or_default();
                    notices.push(notice(
                        NoticeKind::Io,
                        &Arc::from(path.as_str()),
                        None,
                        "could not read this directory entry",
                    ));
                    continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                continue;
            };
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let display = join_display(&prefix, rel);
            if ft.is_symlink() {
                notices.push(notice(
                    NoticeKind::Skipped,
                    &Arc::from(display.as_str()),
                    None,
                    "symbolic link not followed",
                ));
                continue;
            }
            if ft.is_dir() {
                continue;
            }
            if !ft.is_file() {
                notices.push(notice(
                    NoticeKind::Skipped,
                    &Arc::from(display.as_str()),
                    None,
                    "not a regular file",
                ));
                continue;
            }
            emit(Candidate {
                abs: entry.path().to_path_buf(),
                display: Arc::from(display.as_str()),
            });
        }
    }
    Ok(())
}

fn err_path(err: &ignore::Error) -> Option<String> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.display().to_string()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            err_path(err)
        }
        _ => None,
    }
}

/// A path as given on the command line, with `/` separators and no leading `./`.
fn clean_display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    let s = s.trim_start_matches("./").trim_end_matches('/');
    if s == "." {
        String::new()
    } else {
        s.to_owned()
    }
}

/// Display paths are sanitised: a file name can hold terminal escapes too.
fn join_display(prefix: &str, rel: &Path) -> String {
    let rel = sanitize_path(&rel.to_string_lossy()).replace('\\', "/");
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel,
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

/// [`crate::findings::sanitize`], and line breaks and tabs too: in a path they only
/// forge report lines (`a.env\n::error file=...`).
fn sanitize_path(path: &str) -> String {
    crate::findings::sanitize(path).replace(['\n', '\r', '\t'], "?")
}

/// Read at most `cap + 1` bytes, never following a symlink swapped in after discovery.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Ok(None);
    }
    if meta.len() > cap {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)?
        .take(cap + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Ok(None);
    }
    Ok(Some(buf))
}

fn looks_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|b| *b == 0)
}

fn process(
    c: &Candidate,
    opts: &ScanOptions,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
    out: &mut WorkerOutput,
) {
    let bytes = match read_capped(&c.abs, opts.max_file_size) {
        Ok(Some(b)) => b,
        Ok(None) => {
            out.notices.push(notice(
                NoticeKind::Skipped,
                &c.display,
                None,
                format!(
                    "larger than the {} byte limit (--max-file-size) or not a regular file",
                    opts.max_file_size
                ),
            ));
            return;
        }
        Err(e) => {
            out.notices.push(notice(
                NoticeKind::Io,
                &c.display,
                None,
                format!("could not read: {}", e.kind()),
            ));
            return;
        }
    };
    process_bytes(c, bytes, catalog, rules, out);
}

/// Everything after reading: the binary check, then the file's check inside
/// `catch_unwind`.
fn process_bytes(
    c: &Candidate,
    bytes: Vec<u8>,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
    out: &mut WorkerOutput,
) {
    if looks_binary(&bytes) {
        out.notices
            .push(notice(NoticeKind::Skipped, &c.display, None, "binary file"));
        return;
    }
    out.stats.files_scanned += 1;
    out.stats.bytes_scanned += bytes.len() as u64;

    let caught = catch_unwind(AssertUnwindSafe(|| check_file(c, bytes, catalog, rules)));
    match caught {
        Ok(checked) => {
            if checked.parsed {
                out.stats.files_parsed += 1;
            }
            // Files that facts point into are kept too: cross-file findings quote them.
            if !checked.findings.is_empty()
                || !checked.facts.workloads.is_empty()
                || !checked.facts.definitions.is_empty()
                || !checked.facts.aliases.is_empty()
                || !checked.facts.grants.is_empty()
            {
                out.retained.push((Arc::clone(&c.display), checked.file));
            }
            out.findings.extend(checked.findings);
            out.directives.extend(checked.directives);
            out.notices.extend(checked.notices);
            out.facts.push(checked.facts);
        }
        Err(_) => out.notices.push(notice(
            NoticeKind::InternalError,
            &c.display,
            None,
            "lanyard hit an internal error while checking this file; other files were checked (please report this)",
        )),
    }
}

struct Checked {
    directives: Vec<Directive>,
    file: Arc<SourceFile>,
    findings: Vec<Finding>,
    notices: Vec<Notice>,
    facts: FileFacts,
    parsed: bool,
}

/// Classify, parse, extract facts and run the per-file rules on one file.
fn check_file(
    c: &Candidate,
    bytes: Vec<u8>,
    catalog: &Catalog,
    rules: &[&'static dyn Rule],
) -> Checked {
    let mut kind = classify_path(&c.display);
    let mut file = SourceFile::new(c.display.to_string(), kind, bytes);
    if matches!(kind, FileKind::Yaml | FileKind::Json | FileKind::HelmValues) {
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
            // Helm templates are Go templates: failing to parse them as YAML is normal.
            if kind != FileKind::HelmTemplate {
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
    let facts = parsed
        .as_ref()
        .map(|p| crate::model::extract::extract(kind, &c.display, p, &credentials, catalog))
        .unwrap_or_default();
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
    let mut findings = Vec::new();
    for rule in rules.iter().filter(|r| r.applies_to(kind)) {
        rule.check_file(&cx, &mut findings);
    }
    // Grants: who holds them, for the project pass to name the agents using them.
    if let Some(p) = parsed.as_ref()
        && matches!(
            kind,
            FileKind::Terraform | FileKind::TerraformJson | FileKind::CloudFormation
        )
    {
        let scope = if kind == FileKind::CloudFormation {
            c.display.to_string()
        } else {
            c.display
                .rsplit_once('/')
                .map_or("", |(dir, _)| dir)
                .to_owned()
        };
        for f in findings
            .iter_mut()
            .filter(|f| f.family == crate::findings::Family::ExcessiveScope)
        {
            let Some((doc, path)) = p.documents.iter().find_map(|d| {
                crate::model::iam::enclosing_grant(d, f.primary.span).map(|path| (d, path))
            }) else {
                continue;
            };
            f.holders = crate::model::iam::holder_identities(doc, &path, &scope);
        }
    }
    // RBAC bindings: the service accounts they grant to.
    if let Some(p) = parsed.as_ref()
        && matches!(kind, FileKind::Kubernetes | FileKind::HelmTemplate)
    {
        for f in findings
            .iter_mut()
            .filter(|f| f.family == crate::findings::Family::ExcessiveScope && f.holders.is_empty())
        {
            let Some(doc) = p.documents.iter().find(|d| {
                d.root.span.start <= f.primary.span.start && f.primary.span.end <= d.root.span.end
            }) else {
                continue;
            };
            f.holders = facts::binding_subjects(doc);
        }
    }
    // Secrets that rules know of beyond the catalog's matches. Rules left out by
    // `--select` still run for this: another rule's snippet may quote the same line.
    let mut rule_masks: Vec<(Span, usize)> = findings
        .iter()
        .flat_map(|f| f.mask.iter().copied())
        .collect();
    let all_selected = rules.len() == rules::registry().len();
    for rule in rules::registry().iter().filter(|r| {
        !all_selected && r.applies_to(kind) && !rules.iter().any(|s| s.meta().id == r.meta().id)
    }) {
        let mut unselected = Vec::new();
        rule.check_file(&cx, &mut unselected);
        rule_masks.extend(unselected.iter().flat_map(|f| f.mask.iter().copied()));
    }
    let directives = suppress::directives(&file, &c.display, parsed.as_ref());
    // Only the masked copy outlives this function: reporters quote it, so no snippet
    // can show a secret. A file with nothing to mask is its own masked copy, which
    // spares a copy of every file.
    let masked = if credentials.is_empty() && rule_masks.is_empty() {
        file
    } else {
        file.masked(
            credentials
                .iter()
                .map(|m| {
                    let visible = catalog
                        .specs
                        .get(m.spec)
                        .map_or(0, |s| s.prefix.len().max(4));
                    (m.span, visible)
                })
                .chain(rule_masks),
        )
    };
    Checked {
        directives,
        parsed: parsed.is_some(),
        file: Arc::new(masked),
        findings,
        notices,
        facts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;
    use crate::rules::{FileCx, Rule, RuleMeta};

    crate::rules::declare_rule! {
        /// ## What it finds
        /// Nothing: it panics on files named `boom.env` (tests only).
        /// ## Why it matters
        /// Proves one file's failure does not stop the run.
        /// ## What to do instead
        /// Nothing.
        /// ## Example
        /// `boom.env`
        pub(crate) struct Panicky {
            id: "test-panicky",
            family: StaticSecret,
            severity: Low,
            confidence: Low,
            summary: "Panics on purpose",
        }
    }

    impl Rule for Panicky {
        fn meta(&self) -> &'static RuleMeta {
            &Self::META
        }

        fn check_file(&self, cx: &FileCx<'_>, _out: &mut Vec<Finding>) {
            assert!(!cx.path.ends_with("boom.env"), "rule bug");
        }
    }

    #[test]
    fn secrets_rules_know_of_are_masked_whatever_the_selection() {
        let dir = tempfile::tempdir().unwrap();
        let password = format!("Lanyard{}Password", "Fixture");
        let path = dir.path().join(".netrc");
        std::fs::write(
            &path,
            format!("machine git.acme.internal login jane password {password}\n"),
        )
        .unwrap();
        let catalog = Catalog::builtin().unwrap();
        for selected in [vec![], vec![rules::find("user-oauth-credentials").unwrap()]] {
            let c = Candidate {
                abs: path.clone(),
                display: Arc::from(".netrc"),
            };
            let bytes = std::fs::read(&path).unwrap();
            let checked = check_file(&c, bytes, catalog, &selected);
            assert!(checked.file.text().contains("login jane password *"));
            assert!(!checked.file.text().contains(&password));
        }
    }

    #[test]
    fn a_panicking_rule_becomes_a_notice_and_the_run_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let token = crate::model::catalog::github_token_with_checksum(
            "ghp_",
            "q8Zr2LmT0vXk4NwB7yHc1JsD5pGe9A",
        );
        std::fs::write(dir.path().join("boom.env"), format!("T={token}\n")).unwrap();
        std::fs::write(dir.path().join("fine.env"), format!("T={token}\n")).unwrap();
        let catalog = Catalog::builtin().unwrap();
        let rules: Vec<&'static dyn Rule> = vec![&Panicky, rules::find("human-token").unwrap()];
        let opts = ScanOptions::default();
        let mut out = WorkerOutput::default();
        for name in ["boom.env", "fine.env"] {
            let c = Candidate {
                abs: dir.path().join(name),
                display: Arc::from(name),
            };
            process(&c, &opts, catalog, &rules, &mut out);
        }
        assert_eq!(out.notices.len(), 1);
        assert_eq!(out.notices[0].kind, NoticeKind::InternalError);
        assert_eq!(&*out.notices[0].path, "boom.env");
        assert!(!out.notices[0].message.contains("ghp_"));
        // The other file was checked in full.
        assert_eq!(out.findings.len(), 1);
        assert_eq!(&*out.findings[0].primary.path, "fine.env");
    }
}
