//! Which files git tracks, read from the index file itself.
//!
//! A repository's `.gitignore` or `.ignore` can list every file it holds (`*`), and a
//! scan that honours them would then read nothing and pass. Files git tracks are
//! therefore scanned whatever ignore files say. Running `git ls-files` would run a
//! program on every scan and read the repository's configuration; this reads the
//! index (format versions 2 to 4, SHA-1 or SHA-256 object names) with every length
//! checked, and runs nothing.
//!
//! The index is trusted for nothing but membership: a path it lists is only ever used
//! to look for that file under the scan root, without following links.

use std::path::{Path, PathBuf};

/// The largest index read (a repository of a million files has an index of about
/// 100 MB).
const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;

/// The files git tracks under `root`, as paths relative to it (bytes, `/`-separated),
/// and the directories a sparse index records without their files. `None` when
/// `root` is not inside a work tree with a readable index.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    pub(crate) files: Vec<Vec<u8>>,
    pub(crate) sparse_dirs: Vec<Vec<u8>>,
}

/// The tracked files under `root`: the work tree containing it is found by looking
/// for `.git` in it and its parents, as git does.
pub(crate) fn tracked_under(root: &Path) -> Option<Tracked> {
    let root = std::fs::canonicalize(root).ok()?;
    let (top, git_dir) = find_work_tree(&root)?;
    let prefix = root.strip_prefix(&top).ok()?;
    let mut prefix = path_bytes(prefix)?;
    if !prefix.is_empty() {
        prefix.push(b'/');
    }
    let bytes = super::safe_fs::read_capped(&git_dir.join("index"), MAX_INDEX_BYTES, false).ok()?;
    let entries = parse(&bytes)?;
    let mut out = Tracked::default();
    for (path, mode) in entries {
        let Some(rel) = path.strip_prefix(prefix.as_slice()) else {
            continue;
        };
        if rel.is_empty() {
            continue;
        }
        match mode >> 12 {
            // Regular files (0o100644, 0o100755).
            0o10 => out.files.push(rel.to_vec()),
            // A sparse index's directory entry (0o040000, path ending in `/`).
            0o04 => out
                .sparse_dirs
                .push(rel.strip_suffix(b"/").unwrap_or(rel).to_vec()),
            // Links (0o120000) and submodules (0o160000) are no files to read.
            _ => {}
        }
    }
    out.files.sort();
    out.files.dedup();
    Some(out)
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Some(p.as_os_str().as_bytes().to_vec())
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> Option<Vec<u8>> {
    Some(p.to_str()?.replace('\\', "/").into_bytes())
}

/// The work tree's top directory and its git directory: `.git` as a directory, or a
/// `.git` file saying `gitdir: <path>` (worktrees, submodules).
fn find_work_tree(start: &Path) -> Option<(PathBuf, PathBuf)> {
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else {
            continue;
        };
        if meta.is_dir() {
            return Some((dir.to_path_buf(), dot_git));
        }
        if meta.is_file() {
            let text = super::safe_fs::read_capped(&dot_git, 4096, false).ok()?;
            let text = String::from_utf8(text).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            return Some((dir.to_path_buf(), dir.join(target)));
        }
        return None;
    }
    None
}

/// The `(path, mode)` of every entry of an index file, or `None` when it is not one
/// this reader understands (a split index, whose entries live in another file, or a
/// corrupt one): then ignore files are honoured as before.
fn parse(b: &[u8]) -> Option<Vec<(Vec<u8>, u32)>> {
    if b.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(b, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = usize::try_from(be32(b, 8)?).ok()?;
    // SHA-1 unless that fails to parse; SHA-256 repositories have 32-byte names.
    [20, 32]
        .into_iter()
        .find_map(|hash| entries(b, version, count, hash))
}

fn entries(b: &[u8], version: u32, count: usize, hash: usize) -> Option<Vec<(Vec<u8>, u32)>> {
    // 40 bytes of stat data, the object name, 2 bytes of flags.
    let fixed = 40 + hash + 2;
    // Each entry takes at least `fixed` bytes: a count larger than the file allows is
    // corrupt, and must not size an allocation.
    if count > b.len() / fixed {
        return None;
    }
    let mut out: Vec<(Vec<u8>, u32)> = Vec::with_capacity(count);
    let mut at = 12;
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        let mode = be32(b, start + 24)?;
        let flags = u16::from_be_bytes([*b.get(start + 40 + hash)?, *b.get(start + 41 + hash)?]);
        at = start + fixed;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            at += 2;
        }
        let name_len = usize::from(flags & 0x0fff);
        let path = if version == 4 {
            // Prefix compression: drop N bytes from the end of the previous path,
            // then append the NUL-terminated rest.
            let (strip, used) = varint(b.get(at..)?)?;
            at += used;
            let keep = previous.len().checked_sub(strip)?;
            let end = at + b.get(at..)?.iter().position(|c| *c == 0)?;
            let mut path = previous[..keep].to_vec();
            path.extend_from_slice(&b[at..end]);
            at = end + 1;
            path
        } else {
            let end = at + b.get(at..)?.iter().position(|c| *c == 0)?;
            let path = b[at..end].to_vec();
            // Padded with 1 to 8 NULs to a multiple of 8 bytes from the entry's start.
            let len = end - start;
            at = start + (len + 8) / 8 * 8;
            path
        };
        if name_len < 0x0fff && name_len != path.len() {
            return None;
        }
        if at > b.len() {
            return None;
        }
        previous.clone_from(&path);
        out.push((path, mode));
    }
    // A split index keeps most entries in a shared file: not read, so not trusted.
    if has_extension(b, at, b"link") {
        return None;
    }
    Some(out)
}

/// Whether the extensions after the entries include `sig`.
fn has_extension(b: &[u8], mut at: usize, sig: &[u8; 4]) -> bool {
    // Extensions: 4-byte signature, 4-byte size, data; the file ends with its hash.
    while at + 8 <= b.len() {
        if &b[at..at + 4] == sig {
            return true;
        }
        let Some(size) = be32(b, at + 4).and_then(|s| usize::try_from(s).ok()) else {
            return false;
        };
        at = at.saturating_add(8).saturating_add(size);
    }
    false
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// git's offset varint (`varint.c`): 7 bits a byte, each continuation adding one.
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut c = *b.first()?;
    let mut value = usize::from(c & 0x7f);
    while c & 0x80 != 0 {
        i += 1;
        c = *b.get(i)?;
        value = value
            .checked_add(1)?
            .checked_mul(128)?
            .checked_add(usize::from(c & 0x7f))?;
    }
    Some((value, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(root: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn reads_every_index_version_as_git_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        let names = [
            "a.env",
            "dir/sub/b.yaml",
            "dir/sub/c.yaml",
            "dir/zz/a-name-longer-than-the-last-one.json",
            "weird name\u{e9}.txt",
        ];
        for n in names {
            let p = root.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        git(root, &["add", "."]);
        // Extended flags (version 3): an intent-to-add entry.
        std::fs::write(root.join("new.txt"), "x").unwrap();
        git(root, &["add", "-N", "new.txt"]);
        let mut expected: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
        expected.push(b"new.txt".to_vec());
        expected.sort();
        for version in ["2", "3", "4"] {
            git(root, &["update-index", "--index-version", version]);
            let tracked = tracked_under(root).unwrap_or_else(|| panic!("version {version}"));
            assert_eq!(tracked.files, expected, "version {version}");
            let sub = tracked_under(&root.join("dir")).unwrap();
            assert_eq!(sub.files.len(), 3, "version {version}");
            assert!(sub.files.contains(&b"sub/b.yaml".to_vec()));
        }
    }

    #[test]
    fn corrupt_indexes_are_rejected_without_panicking() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("a"), "x").unwrap();
        git(root, &["add", "a"]);
        let good = std::fs::read(root.join(".git/index")).unwrap();
        assert!(parse(&good).is_some());
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&huge).is_none());
        for i in 12..good.len().min(200) {
            let mut bad = good.clone();
            bad[i] ^= 0xff;
            let _ = parse(&bad);
        }
        assert!(parse(b"DIRC\0\0\0\x05\0\0\0\0").is_none());
    }

    #[test]
    fn a_git_file_points_at_a_worktree_s_index() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        std::fs::create_dir(&main).unwrap();
        git(&main, &["init", "-q", "-b", "main"]);
        std::fs::write(main.join("a"), "x").unwrap();
        git(&main, &["add", "a"]);
        git(&main, &["commit", "-q", "-m", "x"]);
        let wt = dir.path().join("wt");
        git(&main, &["worktree", "add", "-q", wt.to_str().unwrap()]);
        assert!(
            std::fs::symlink_metadata(wt.join(".git"))
                .unwrap()
                .is_file()
        );
        assert_eq!(tracked_under(&wt).unwrap().files, [b"a".to_vec()]);
    }
}
