//! The scan pipeline: discover → read → classify → parse → per-file rules and facts →
//! project rules → sort and fingerprint. Everything a reporter needs comes out as a
//! [`ScanResult`].

pub mod diff;
mod discover;
mod file;
mod finish;
mod git_index;
pub mod names;
pub mod safe_fs;
pub mod secrets;

use discover::{discover, sanitize_path};
use file::{process, process_bytes};
use finish::finish;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::findings::Finding;
use crate::findings::suppress::{Directive, Suppression};
use crate::model::catalog::Catalog;
use crate::model::facts::{FileFacts, ProjectFacts};
use crate::rules::{self, Rule};
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
    /// `[[per-path]]`: findings of these rule ids whose primary location matches one
    /// of the globs (relative to the scan root) are suppressed.
    pub per_path_ignores: Vec<(Vec<String>, Vec<&'static str>)>,
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
    /// `[[workload]]` overrides of the config file: which workloads run an AI agent.
    pub workloads: Vec<crate::model::scope::WorkloadOverride>,
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
            per_path_ignores: Vec::new(),
            baseline: HashSet::new(),
            require_reason: true,
            report_unused_ignores: false,
            focus: None,
            rule_files: Vec::new(),
            allowed_values: Vec::new(),
            allowed_identities: Vec::new(),
            severity_overrides: HashMap::new(),
            agents: Vec::new(),
            workloads: Vec::new(),
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
    /// An ignore comment naming a rule id or family that does not exist (a warning:
    /// the comment still suppresses the other names it gives).
    UnknownRule,
    /// What the run covered: no file scanned at all, or ignore files that list many
    /// of the files git tracks.
    Coverage,
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
            NoticeKind::UnknownRule => "unknown-rule",
            NoticeKind::Coverage => "coverage",
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
    /// The secrets found, to mask wherever they turn up again (names, paths).
    pub secrets: secrets::Secrets,
}

/// A file found by discovery, not yet read.
#[derive(Debug)]
struct Candidate {
    abs: PathBuf,
    /// The path reports show: relative to the scan root, sanitised, unique in the run.
    display: Arc<str>,
    /// The display path before it was made unique, which decides the file's kind.
    kind_path: Arc<str>,
}

/// Errors that stop the run before any file is read.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    // The io error is in the message and not a `source`: a diagnostic would print it
    // a second and a third time as its cause.
    #[error("cannot scan `{path}`: {error}")]
    Root { path: String, error: std::io::Error },
    #[error("cannot scan `{path}`: it is neither a file nor a directory")]
    NotScannable { path: String },
    #[error("exclude pattern {index} (`{pattern}`) is not a valid glob: {message}")]
    Exclude {
        index: usize,
        pattern: String,
        message: String,
    },
    #[error("`[[per-path]]` entry {index}: pattern `{pattern}` is not a valid glob: {message}")]
    PerPath {
        index: usize,
        pattern: String,
        message: String,
    },
    #[error("the credential catalog is invalid: {0}")]
    Catalog(String),
}

/// `[[per-path]]` globs compiled, with their rule ids.
pub(crate) fn per_path_globs(
    opts: &ScanOptions,
) -> Result<Vec<(ignore::overrides::Override, &[&'static str])>, ScanError> {
    let mut out = Vec::new();
    for (n, (globs, rules)) in opts.per_path_ignores.iter().enumerate() {
        let invalid = |pattern: &str, e: ignore::Error| ScanError::PerPath {
            index: n + 1,
            pattern: secrets::shown(pattern),
            message: secrets::shown(&discover::glob_problem(&e)),
        };
        let mut builder = ignore::overrides::OverrideBuilder::new("");
        for g in globs {
            builder.add(g).map_err(|e| invalid(g, e))?;
        }
        let built = builder.build().map_err(|e| invalid(&globs.join(", "), e))?;
        out.push((built, rules.as_slice()));
    }
    Ok(out)
}

/// Files handed to a worker at a time.
const BATCH: usize = 32;

/// Run a whole scan.
pub fn scan(opts: &ScanOptions) -> Result<ScanResult, ScanError> {
    per_path_globs(opts)?;
    // The built-in catalog unless the project adds rule files or allowed values.
    let owned;
    let catalog: &Catalog = if opts.rule_files.is_empty() && opts.allowed_values.is_empty() {
        Catalog::builtin().map_err(|e| ScanError::Catalog(secrets::catalog_error(e)))?
    } else {
        owned = Catalog::from_sources(
            Catalog::builtin_sources().chain(opts.rule_files.iter().cloned()),
        )
        .map_err(|e| ScanError::Catalog(secrets::catalog_error(&e)))?
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
    let (walked, outputs): (Result<Vec<Arc<str>>, ScanError>, Vec<WorkerOutput>) =
        std::thread::scope(|s| {
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
    let repos = walked?;

    Ok(finish(outputs, notices, opts, &rules, &repos))
}

/// Check files held in memory, given as (repository-relative path, bytes), through
/// the same pipeline as [`scan`] after its discovery and reading, with every rule and
/// default settings, on one thread. For fuzzing and tests: it reads no disk and
/// applies no size cap.
#[doc(hidden)]
pub fn check_files(files: Vec<(String, Vec<u8>)>) -> Result<ScanResult, ScanError> {
    let catalog = Catalog::builtin().map_err(|e| ScanError::Catalog(secrets::catalog_error(e)))?;
    let rules: Vec<&'static dyn Rule> = rules::registry().to_vec();
    let opts = ScanOptions {
        paths: Vec::new(),
        threads: 1,
        ..ScanOptions::default()
    };
    let mut candidates: Vec<(Candidate, Vec<u8>)> = files
        .into_iter()
        .map(|(path, bytes)| {
            let display: Arc<str> = Arc::from(sanitize_path(&path).as_str());
            let c = Candidate {
                abs: PathBuf::from(&path),
                kind_path: Arc::clone(&display),
                display,
            };
            (c, bytes)
        })
        .collect();
    // Discovery sorts and drops duplicates; do the same.
    candidates.sort_by(|a, b| a.0.display.cmp(&b.0.display));
    candidates.dedup_by(|a, b| a.0.display == b.0.display);
    let mut out = WorkerOutput::default();
    for (c, bytes) in candidates {
        process_bytes(&c, bytes, catalog, &rules, &opts.workloads, &mut out);
    }
    Ok(finish(vec![out], Vec::new(), &opts, &rules, &[]))
}

#[derive(Default)]
struct WorkerOutput {
    /// Helm charts read by this worker, for their next templates.
    charts: file::Charts,
    directives: Vec<Directive>,
    findings: Vec<Finding>,
    notices: Vec<Notice>,
    /// Each file's facts with its display path: merged in path order, so the project
    /// pass sees the same input whichever worker checked which file.
    facts: Vec<(Arc<str>, FileFacts)>,
    retained: Vec<(Arc<str>, Arc<SourceFile>)>,
    /// Secrets found, with their public prefix length.
    secrets: Vec<(String, usize)>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;
    use crate::rules::{FileCx, Rule};
    use file::check_file;

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
                kind_path: Arc::from(".netrc"),
            };
            let bytes = std::fs::read(&path).unwrap();
            let checked = check_file(&c, bytes, catalog, &selected, &[], &mut Default::default());
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
                kind_path: Arc::from(name),
            };
            process(&c, &opts, catalog, &rules, &mut out);
        }
        assert_eq!(out.notices.len(), 1);
        assert_eq!(out.notices[0].kind, NoticeKind::InternalError);
        assert_eq!(&*out.notices[0].path, "boom.env");
        assert!(!out.notices[0].message.contains("ghp_"));
        // The other file was checked in full.
        assert_eq!(out.findings.len(), 1);
        assert_eq!(&*out.findings[0].primary().path, "fine.env");
    }
}
