//! Discovery: walk the roots with ripgrep's walker and hand each file to check once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::safe_fs::{Expect, resolve_inside};
use super::{Candidate, Notice, NoticeKind, ScanError, ScanOptions, notice};

/// Ignore files that exclude at least this share of the tracked files under a root
/// (1 in 20), or at least [`HIDDEN_NOTICE_COUNT`] of them, earn a notice.
const HIDDEN_NOTICE_SHARE: usize = 20;
const HIDDEN_NOTICE_COUNT: usize = 100;

/// Walk every root. Symlinks are never followed, `.git` is skipped, hidden files are
/// included (`.github/`, `.env`, `.mcp.json` are the main inputs), and `.gitignore`
/// is honoured even outside a git checkout.
///
/// Candidates are handed to `emit` as they are found, each file once (the same file
/// reached from two roots is checked once). Every root and exclude pattern is checked
/// before the first candidate is emitted, so a bad argument fails the run before any
/// work. Files git tracks are scanned even when an ignore file lists them: a pull
/// request's `.ignore` holding `*` must not hide the repository.
///
/// Returns the repositories found (display paths of the directories holding a `.git`
/// directory or file, the scan root included), so the project pass can keep them
/// apart.
pub(super) fn discover(
    opts: &ScanOptions,
    notices: &mut Vec<Notice>,
    emit: impl FnMut(Candidate),
) -> Result<Vec<Arc<str>>, ScanError> {
    // Filled by the walkers' entry filters, which see every `.git` they skip.
    let repos: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let single_root = opts.paths.len() == 1;
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut names = UniqueNames::default();
    let mut emit = emit;
    let mut emit = |abs: PathBuf, display: String| {
        if single_root || seen.insert(abs.clone()) {
            emit(names.candidate(abs, display));
        }
    };
    let mut walkers = Vec::with_capacity(opts.paths.len());
    for root in &opts.paths {
        let failed = |error: std::io::Error| ScanError::Root {
            path: super::secrets::shown(&root.to_string_lossy()),
            error,
        };
        let meta = std::fs::metadata(root).map_err(failed)?;
        let prefix = if single_root && meta.is_dir() {
            String::new()
        } else {
            clean_display(root)
        };
        if meta.is_file() {
            walkers.push((root, prefix, None));
            continue;
        }
        if !meta.is_dir() {
            // A FIFO or a device: nothing lanyard can scan where the user pointed.
            return Err(ScanError::NotScannable {
                path: super::secrets::shown(&root.to_string_lossy()),
            });
        }
        // An unreadable root would otherwise be one notice and "no findings".
        std::fs::read_dir(root).map_err(failed)?;
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        // The pattern is the configuration's, and ignore's message quotes it: say
        // which entry and what is wrong, each shown through the same masking.
        let invalid = |n: usize, pattern: &str, e: ignore::Error| ScanError::Exclude {
            index: n + 1,
            pattern: super::secrets::shown(pattern),
            message: super::secrets::shown(&glob_problem(&e)),
        };
        for (n, pattern) in opts.exclude.iter().enumerate() {
            overrides
                .add(&format!("!{pattern}"))
                .map_err(|e| invalid(n, pattern, e))?;
        }
        let overrides = overrides
            .build()
            .map_err(|e| invalid(0, &opts.exclude.join(", "), e))?;
        let mut builder = ignore::WalkBuilder::new(root);
        let kept = overrides.clone();
        builder
            .hidden(false)
            .follow_links(false)
            .git_ignore(opts.respect_ignore_files)
            .git_global(false)
            .git_exclude(opts.respect_ignore_files)
            .ignore(opts.respect_ignore_files)
            .parents(opts.respect_ignore_files)
            .require_git(false)
            .overrides(overrides);
        let found = Arc::clone(&repos);
        let (walk_root, walk_prefix) = (root.clone(), prefix.clone());
        builder.filter_entry(move |e| {
            if e.file_name() != ".git" {
                return true;
            }
            // A `.git` directory, or a `.git` file (a submodule or worktree): its parent
            // is a repository of its own.
            let parent = e.path().parent().unwrap_or(e.path());
            let rel = parent.strip_prefix(&walk_root).unwrap_or(parent);
            if let Ok(mut list) = found.lock() {
                list.push(join_display(&walk_prefix, rel));
            }
            false
        });
        walkers.push((root, prefix, Some((builder.build(), kept))));
    }
    for (root, prefix, walker) in walkers {
        let Some((walker, overrides)) = walker else {
            emit(root.clone(), prefix);
            continue;
        };
        // Paths under the root the walk met, to tell which tracked files it left out.
        let tracked = opts
            .respect_ignore_files
            .then(|| super::git_index::tracked_under(root))
            .flatten();
        let mut walked: HashSet<PathBuf> = HashSet::new();
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
            if tracked.is_some() {
                walked.insert(rel.to_path_buf());
            }
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
            emit(entry.path().to_path_buf(), display);
        }
        let Some(tracked) = tracked else { continue };
        let mut hidden = 0;
        for file in &tracked.files {
            let Some(rel) = rel_path(file) else { continue };
            if walked.contains(&rel) || excluded(&overrides, root, &rel) {
                continue;
            }
            // Never through a link, and only a regular file: the index names paths,
            // the work tree may hold anything there.
            let Some(abs) = resolve_inside(root, &rel, Expect::File) else {
                continue;
            };
            hidden += 1;
            emit(abs, join_display(&prefix, &rel));
        }
        let total = tracked.files.len();
        if hidden > 0 && (hidden * HIDDEN_NOTICE_SHARE >= total || hidden >= HIDDEN_NOTICE_COUNT) {
            notices.push(notice(
                NoticeKind::Coverage,
                &Arc::from(prefix.as_str()),
                None,
                format!(
                    "{hidden} of the {total} files git tracks here are listed in .gitignore or .ignore files; lanyard scanned them anyway (tracked files are always scanned)"
                ),
            ));
        }
    }
    let mut list = repos.lock().map(|l| l.clone()).unwrap_or_default();
    list.sort();
    list.dedup();
    Ok(list.into_iter().map(|r| Arc::from(r.as_str())).collect())
}

/// A tracked path (bytes, `/`-separated, from the git index) as a relative path.
#[cfg(unix)]
fn rel_path(bytes: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn rel_path(bytes: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(bytes).ok().map(PathBuf::from)
}

/// Whether the configuration's `exclude` globs leave out `rel` or a directory on the
/// way to it (the walk never enters an excluded directory).
fn excluded(overrides: &ignore::overrides::Override, root: &Path, rel: &Path) -> bool {
    if overrides.is_empty() {
        return false;
    }
    let path = root.join(rel);
    if overrides.matched(&path, false).is_ignore() {
        return true;
    }
    path.ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(root) && *a != root)
        .any(|a| overrides.matched(a, true).is_ignore())
}

/// Display paths made unique. Names that differ only in bytes the display cannot show
/// (invalid UTF-8, control characters, a masked token) would otherwise be one path,
/// and a report would show one file's lines for the other's findings.
#[derive(Default)]
struct UniqueNames {
    seen: HashMap<Arc<str>, usize>,
}

impl UniqueNames {
    fn candidate(&mut self, abs: PathBuf, display: String) -> Candidate {
        let kind_path: Arc<str> = Arc::from(display.as_str());
        let n = self.seen.entry(Arc::clone(&kind_path)).or_insert(0);
        *n += 1;
        if *n == 1 {
            return Candidate {
                abs,
                display: Arc::clone(&kind_path),
                kind_path,
            };
        }
        // `name (2)`: taken names are skipped, so `a (2)` of a file really called that
        // stays unique too.
        let mut k = *n;
        let display = loop {
            let d = format!("{display} ({k})");
            if !self.seen.contains_key(d.as_str()) {
                break d;
            }
            k += 1;
        };
        let display: Arc<str> = Arc::from(display.as_str());
        self.seen.insert(Arc::clone(&display), 1);
        Candidate {
            abs,
            display,
            kind_path,
        }
    }
}

/// What is wrong with a glob, without the glob (`ignore` quotes it).
pub(super) fn glob_problem(e: &ignore::Error) -> String {
    match e {
        ignore::Error::Glob { err, .. } => err.clone(),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => glob_problem(err),
        _ => "not a valid glob".to_owned(),
    }
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
    let s =
        crate::model::catalog::redact_text(&sanitize_path(&p.to_string_lossy())).replace('\\', "/");
    let s = s.trim_start_matches("./").trim_end_matches('/');
    if s == "." {
        String::new()
    } else {
        s.to_owned()
    }
}

/// Display paths are sanitised: a file name can hold terminal escapes too, and a
/// credential (a token committed as a file name) is masked like one in a file.
fn join_display(prefix: &str, rel: &Path) -> String {
    let rel = crate::model::catalog::redact_text(&sanitize_path(&rel.to_string_lossy()))
        .replace('\\', "/");
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel,
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

/// [`crate::findings::sanitize`], and line breaks and tabs too: in a path they only
/// forge report lines (`a.env\n::error file=...`).
pub(super) fn sanitize_path(path: &str) -> String {
    crate::findings::sanitize(path).replace(['\n', '\r', '\t'], "?")
}
