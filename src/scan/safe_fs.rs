//! The file system as a hostile repository shapes it: every path in a scanned tree may
//! be a symbolic link to anywhere on the runner, a FIFO, or a file far larger than it
//! looks (`/proc/self/pagemap`, a sparse file). Reads here are size-checked before
//! they start and capped while they run; paths a repository names are resolved without
//! following any link; and outputs are written to a new file beside the target and
//! renamed into place, never through a link.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Why a capped read returned no bytes.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not a regular file (a link when links are not followed, a directory, a FIFO, a
    /// device), or missing.
    #[error("not a regular file")]
    NotAFile,
    #[error("larger than the {limit} byte limit")]
    TooLarge { limit: u64 },
    #[error("{}", .0.kind())]
    Io(std::io::Error),
}

/// Read the regular file at `path`, at most `cap` bytes. Its size is checked before
/// reading (a sparse 2 GB file is refused unread) and the read itself stops at
/// `cap + 1` bytes (files in `/proc` report a size of 0 and read as gigabytes).
/// `follow_links`: whether the last component may be a symbolic link (paths the
/// operator names); a path from a scanned repository must not be one.
pub fn read_capped(path: &Path, cap: u64, follow_links: bool) -> Result<Vec<u8>, ReadError> {
    let meta = if follow_links {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotAFile,
        _ => ReadError::Io(e),
    })?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge { limit: cap });
    }
    let file = open_no_follow(path, follow_links).map_err(ReadError::Io)?;
    // The file may have been swapped for a FIFO or a device since the check above:
    // check what was opened, not what the path named a moment ago.
    let opened = file.metadata().map_err(ReadError::Io)?;
    if !opened.file_type().is_file() {
        return Err(ReadError::NotAFile);
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge { limit: cap });
    }
    Ok(buf)
}

/// Open for reading; with `follow_links` false, a link swapped in after the caller's
/// check makes the open fail (`O_NOFOLLOW`) instead of reading its target. The open
/// does not block on a FIFO swapped in either (`O_NONBLOCK`, harmless for files).
#[cfg(unix)]
fn open_no_follow(path: &Path, follow_links: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK;
    if !follow_links {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path, _follow_links: bool) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a path named by a repository must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    File,
    Dir,
}

/// `rel` resolved under `root` without following any symbolic link: `rel` must be
/// relative without `..`, every component a real directory, and the last one a real
/// file or directory as `expect` says. `None` otherwise, with no distinction between
/// missing, a link, outside and the wrong type, so that the answer tells a repository
/// author nothing about the machine.
pub fn resolve_inside(root: &Path, rel: &Path, expect: Expect) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    let mut last = None;
    for c in rel.components() {
        match c {
            Component::CurDir => continue,
            Component::Normal(name) => {
                if let Some(meta) = last.take() {
                    // An earlier component: it must be a directory, not a link to one.
                    if !is_dir(&meta) {
                        return None;
                    }
                }
                path.push(name);
                last = Some(std::fs::symlink_metadata(&path).ok()?);
            }
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let meta = last?;
    let ok = match expect {
        Expect::File => meta.file_type().is_file(),
        Expect::Dir => is_dir(&meta),
    };
    ok.then_some(path)
}

fn is_dir(meta: &std::fs::Metadata) -> bool {
    meta.file_type().is_dir()
}

/// Why an output was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(
        "`{path}` is a symbolic link; lanyard never writes through one (remove it, or choose another path)"
    )]
    TargetIsLink { path: String },
    #[error(
        "`{path}` is reached through the symbolic link `{link}`, which leads out of the scanned directory; lanyard never writes through one"
    )]
    ParentLeaves { path: String, link: String },
    #[error("cannot write `{path}`: {reason}")]
    Io { path: String, reason: String },
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Write `bytes` to `path` as a whole new file: created beside the target under a
/// temporary name, mode 0644, then renamed over the target. The target is never a
/// link (refused, even a dangling one), and a directory on the way to it that lies
/// inside one of `protected` (the scanned directories, which a pull request fills) may
/// not be a link leading out of that directory. A reader never sees a partial file: a
/// failed write (a full disk) removes the temporary file and leaves the target as it
/// was.
pub fn write_output(path: &Path, bytes: &[u8], protected: &[PathBuf]) -> Result<(), WriteError> {
    let shown = || path.display().to_string();
    let io = |e: std::io::Error| WriteError::Io {
        path: shown(),
        reason: e.kind().to_string(),
    };
    let Some(name) = path.file_name() else {
        return Err(WriteError::Io {
            path: shown(),
            reason: "not a file name".to_owned(),
        });
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let protected: Vec<PathBuf> = protected
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let dir = physical_dir(&parent, &protected).map_err(|e| match e {
        Walk::Leaves(link) => WriteError::ParentLeaves {
            path: shown(),
            link: link.display().to_string(),
        },
        Walk::Io(e) => io(e),
    })?;
    let target = dir.join(name);
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(WriteError::TargetIsLink { path: shown() });
        }
        Ok(m) if m.file_type().is_dir() => {
            return Err(WriteError::Io {
                path: shown(),
                reason: "it is a directory".to_owned(),
            });
        }
        _ => {}
    }
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = dir.join(format!(".lanyard-{}-{n}.tmp", std::process::id()));
    let written = create_new(&temp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.flush()
        })
        .and_then(|()| std::fs::rename(&temp, &target));
    if let Err(e) = written {
        // Nothing half-written stays behind.
        let _ = std::fs::remove_file(&temp);
        return Err(io(e));
    }
    Ok(())
}

/// A new file (`O_EXCL`: never an existing file or link), mode 0644 whatever the
/// umask, so that a SARIF upload step running as another user can read it.
fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o644);
        let f = options.open(path)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        Ok(f)
    }
    #[cfg(not(unix))]
    options.open(path)
}

enum Walk {
    /// A link inside a protected directory whose target is outside it.
    Leaves(PathBuf),
    Io(std::io::Error),
}

/// The physical directory `dir` names, resolved a component at a time as the kernel
/// would (a `..` after a link climbs from the link's target), refusing a link met
/// inside a protected directory that leads out of it. Links elsewhere (a system's
/// `/tmp` on macOS) are the operator's and followed.
fn physical_dir(dir: &Path, protected: &[PathBuf]) -> Result<PathBuf, Walk> {
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().map_err(Walk::Io)?.join(dir)
    };
    let mut cur = PathBuf::new();
    for c in absolute.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => cur.push(c.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                cur.pop();
            }
            Component::Normal(name) => {
                let next = cur.join(name);
                let meta = std::fs::symlink_metadata(&next).map_err(Walk::Io)?;
                if meta.file_type().is_symlink() {
                    let target = std::fs::canonicalize(&next).map_err(Walk::Io)?;
                    if let Some(root) = protected.iter().find(|r| next.starts_with(r))
                        && !target.starts_with(root)
                    {
                        return Err(Walk::Leaves(next));
                    }
                    cur = target;
                } else {
                    cur = next;
                }
            }
        }
    }
    if !std::fs::metadata(&cur).map_err(Walk::Io)?.is_dir() {
        return Err(Walk::Io(std::io::Error::from(
            std::io::ErrorKind::NotADirectory,
        )));
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_reads_check_the_size_first_and_stop_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_capped(&p, 5, false).unwrap(), b"12345");
        assert!(matches!(
            read_capped(&p, 4, false),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(
            read_capped(&dir.path().join("missing"), 4, false),
            Err(ReadError::NotAFile)
        ));
        assert!(matches!(
            read_capped(dir.path(), 4, true),
            Err(ReadError::NotAFile)
        ));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_proc_file_that_reports_no_size_is_still_capped() {
        assert!(matches!(
            read_capped(Path::new("/proc/self/maps"), 16, true),
            Err(ReadError::TooLarge { limit: 16 })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_are_not_read_unless_followed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("f"), dir.path().join("l")).unwrap();
        assert!(matches!(
            read_capped(&dir.path().join("l"), 4, false),
            Err(ReadError::NotAFile)
        ));
        assert_eq!(read_capped(&dir.path().join("l"), 4, true).unwrap(), b"x");
    }

    #[cfg(unix)]
    #[test]
    fn resolve_inside_follows_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), b"x").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("l")).unwrap();
        let found = resolve_inside(root, Path::new("a/./b/f"), Expect::File);
        assert_eq!(found, Some(root.join("a/b/f")));
        assert!(resolve_inside(root, Path::new("a/b"), Expect::Dir).is_some());
        for (rel, expect) in [
            ("l/b/f", Expect::File),
            ("l", Expect::Dir),
            ("a/b", Expect::File),
            ("a/b/f", Expect::Dir),
            ("a/../a/b/f", Expect::File),
            ("/etc/passwd", Expect::File),
            ("a/b/f/g", Expect::File),
            ("missing", Expect::File),
            ("", Expect::Dir),
        ] {
            assert_eq!(resolve_inside(root, Path::new(rel), expect), None, "{rel}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn outputs_replace_files_and_refuse_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        let target = root.join("sub/out.json");
        std::fs::write(&target, b"old contents, longer than the new").unwrap();
        write_output(&target, b"new", std::slice::from_ref(&root)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("sub"), root.join("in")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("x"), root.join("dangling")).unwrap();
        let protected = std::slice::from_ref(&root);
        assert!(matches!(
            write_output(&root.join("out/x"), b"", protected),
            Err(WriteError::ParentLeaves { .. })
        ));
        assert!(matches!(
            write_output(&root.join("out/../x"), b"", protected),
            Err(WriteError::ParentLeaves { .. })
        ));
        assert!(matches!(
            write_output(&root.join("dangling"), b"", protected),
            Err(WriteError::TargetIsLink { .. })
        ));
        // A link that stays inside is a directory like any other.
        write_output(&root.join("in/y"), b"y", protected).unwrap();
        assert_eq!(std::fs::read(root.join("sub/y")).unwrap(), b"y");
        // Outside the protected directories, links are the operator's.
        write_output(&root.join("out/z"), b"z", &[]).unwrap();
        assert_eq!(std::fs::read(outside.path().join("z")).unwrap(), b"z");
        let mut left: Vec<_> = std::fs::read_dir(root.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["out.json", "y"]);
    }
}
