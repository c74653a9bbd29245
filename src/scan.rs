//! The scan pipeline: discover → read → classify → parse → per-file rules and facts →
//! project rules → sort and fingerprint. Everything a reporter needs comes out as a
//! [`ScanResult`].

use std::collections::HashMap;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::catalog::Catalog;
use crate::classify::{FileKind, classify_path, refine};
use crate::facts::{self, FileFacts, ProjectFacts};
use crate::finding::Finding;
use crate::parse;
use crate::rules::{self, FileCx, ProjectCx, Rule};
use crate::source::{SourceFile, Span};

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
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from(".")],
            respect_ignore_files: true,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: default_threads(),
            rules: rules::registry().iter().map(|r| r.meta().id).collect(),
            exclude: Vec::new(),
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
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::ParseError => "parse-error",
            NoticeKind::Skipped => "skipped",
            NoticeKind::Io => "io-error",
            NoticeKind::InternalError => "internal-error",
        }
    }

    /// Skipped symlinks and oversized files are routine; only verbose output shows them.
    pub fn is_routine(self) -> bool {
        self == NoticeKind::Skipped
    }
}

/// The files a report may quote, by display path.
#[derive(Debug, Default)]
pub struct FileStore {
    files: HashMap<Arc<str>, Arc<SourceFile>>,
}

impl FileStore {
    pub fn get(&self, path: &str) -> Option<&Arc<SourceFile>> {
        self.files.get(path)
    }

    pub fn insert(&mut self, path: Arc<str>, file: Arc<SourceFile>) {
        self.files.insert(path, file);
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
}
