//! Discovery: walk the roots with ripgrep's walker and hand each file to check once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Candidate, Notice, NoticeKind, ScanError, ScanOptions, notice};

/// Walk every root. Symlinks are never followed, `.git` is skipped, hidden files are
/// included (`.github/`, `.env`, `.mcp.json` are the main inputs), and `.gitignore`
/// is honoured even outside a git checkout.
///
/// Candidates are handed to `emit` as they are found, each file once (the same file
/// reached from two roots is checked once). Every root and exclude pattern is checked
/// before the first candidate is emitted, so a bad argument fails the run before any
/// work.
///
/// Returns the repositories found (display paths of the directories holding a `.git`
/// directory or file, the scan root included), so the project pass can keep them
/// apart.
pub(super) fn discover(
    opts: &ScanOptions,
    notices: &mut Vec<Notice>,
    mut emit: impl FnMut(Candidate),
) -> Result<Vec<Arc<str>>, ScanError> {
    // Filled by the walkers' entry filters, which see every `.git` they skip.
    let repos: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
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
    let mut list = repos.lock().map(|l| l.clone()).unwrap_or_default();
    list.sort();
    list.dedup();
    Ok(list.into_iter().map(|r| Arc::from(r.as_str())).collect())
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
pub(super) fn sanitize_path(path: &str) -> String {
    crate::findings::sanitize(path).replace(['\n', '\r', '\t'], "?")
}
