//! Source files as read from disk: original bytes, repo-relative path, byte spans and
//! a lazily built line index for reporting.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use crate::syntax::classify::FileKind;

/// A half-open byte range into a file's original bytes.
///
/// Spans are always byte offsets into the bytes as read (BOM, CRLF and invalid UTF-8
/// preserved). Line and column are computed only when a reporter needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span start {start} after end {end}");
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end.max(start)).unwrap_or(u32::MAX),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Shift a span found in a sub-slice so it points into the enclosing file.
    pub fn offset(self, by: usize) -> Self {
        Self::new(self.start as usize + by, self.end as usize + by)
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Self {
        Self {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// One file of the scanned repository.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the scan root, with `/` separators.
    pub path: String,
    pub kind: FileKind,
    /// The original bytes, never normalised.
    pub bytes: Vec<u8>,
    text: OnceLock<String>,
    lines: OnceLock<LineIndex>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, kind: FileKind, bytes: Vec<u8>) -> Self {
        Self {
            path: path.into(),
            kind,
            bytes,
            text: OnceLock::new(),
            lines: OnceLock::new(),
        }
    }

    /// The file as UTF-8 when it is valid UTF-8 (the common case, borrowed), or a
    /// decoding in which every invalid byte becomes one `\u{FFFD}`-free ASCII `?`.
    ///
    /// Replacing each invalid byte with exactly one byte keeps every offset identical
    /// to the original, so spans found in this text are spans in the file.
    pub fn text(&self) -> &str {
        if let Ok(s) = std::str::from_utf8(&self.bytes) {
            return s;
        }
        self.text.get_or_init(|| lossy_same_length(&self.bytes))
    }

    pub fn line_index(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.bytes))
    }

    /// A copy safe to quote in reports: the bytes of every secret span, past its
    /// first `visible` bytes, replaced by `*` (same length, so spans stay valid). Line
    /// breaks inside a secret (a PEM block) are kept so line numbers stay valid too.
    pub fn masked(&self, secrets: impl IntoIterator<Item = (Span, usize)>) -> SourceFile {
        let mut bytes = self.bytes.clone();
        for (span, visible) in secrets {
            let r = span.range();
            let keep = visible.min(r.len() / 3).min(12);
            if let Some(b) = bytes.get_mut(r.start + keep..r.end) {
                for byte in b.iter_mut().filter(|c| !matches!(c, b'\n' | b'\r')) {
                    *byte = b'*';
                }
            }
        }
        SourceFile::new(self.path.clone(), self.kind, bytes)
    }

    /// The bytes of a span, decoded like [`SourceFile::text`] (one `?` per invalid
    /// byte), so an offset into the slice plus the span's start is an offset into the
    /// file. (`from_utf8_lossy` would widen each bad byte to three: fuzzing found
    /// findings pointing past the end of Latin-1 files that way.)
    pub fn slice(&self, span: Span) -> Cow<'_, str> {
        let r = span.start as usize..(span.end as usize).min(self.bytes.len());
        match self.text().get(r.clone()) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(lossy_same_length(self.bytes.get(r).unwrap_or_default())),
        }
    }
}

/// Decode bytes replacing every byte of an invalid sequence by `?`, so that byte
/// offsets in the result equal byte offsets in the input.
pub fn lossy_same_length(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // valid_up_to guarantees `good` is UTF-8.
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                out.extend(std::iter::repeat_n('?', n));
                rest = &bad[n..];
            }
        }
    }
}

/// Maps byte offsets to 1-based lines and columns.
#[derive(Debug)]
pub struct LineIndex {
    /// Byte offset at which each line starts.
    starts: Vec<u32>,
    bom: bool,
}

/// A 1-based position for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    /// 1-based column counted in Unicode scalar values (what SARIF calls
    /// `unicodeCodePoints`); a leading BOM is not counted.
    pub column: usize,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0u32];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        Self {
            starts,
            bom: bytes.starts_with(b"\xEF\xBB\xBF"),
        }
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let off = u32::try_from(offset).unwrap_or(u32::MAX);
        match self.starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(0) as usize
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    pub fn position(&self, bytes: &[u8], offset: usize) -> Position {
        let offset = offset.min(bytes.len());
        let line = self.line_of(offset);
        let mut start = self.line_start(line);
        if line == 0 && self.bom && offset >= 3 {
            start = 3;
        }
        let prefix = bytes.get(start..offset).unwrap_or_default();
        // Count scalar values: every byte that is not a UTF-8 continuation byte. Invalid
        // bytes count as one column each, matching the lossy decoding.
        let column = prefix.iter().filter(|b| (**b & 0xC0) != 0x80).count() + 1;
        Position {
            line: line + 1,
            column,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_with_crlf_bom_and_multibyte() {
        let bytes = "\u{feff}a: 1\r\nbé: x\r\n".as_bytes();
        let idx = LineIndex::new(bytes);
        assert_eq!(idx.position(bytes, 3), Position { line: 1, column: 1 });
        let x = bytes.iter().position(|b| *b == b'x').unwrap();
        assert_eq!(idx.position(bytes, x), Position { line: 2, column: 5 });
    }

    #[test]
    fn masking_keeps_length_and_hides_the_secret() {
        let f = SourceFile::new("x", FileKind::Text, b"T=ghp_abcdefghijklmnop\n".to_vec());
        let m = f.masked([(Span::new(2, 22), 4)]);
        assert_eq!(m.text(), "T=ghp_****************\n");
        let f = SourceFile::new(
            "x",
            FileKind::Text,
            b"K=-----BEGIN\r\nabcdef\nghijkl\n".to_vec(),
        );
        let m = f.masked([(Span::new(2, 28), 10)]);
        assert_eq!(m.text(), "K=-----BEG**\r\n******\n******\n");
    }

    #[test]
    fn slices_keep_offsets_in_invalid_utf8() {
        let f = SourceFile::new("x", FileKind::Text, b"A=\x93\x93 jane@acme.io\n".to_vec());
        let s = f.slice(Span::new(2, 16));
        assert_eq!(s.len(), 14);
        assert_eq!(s.find("jane"), Some(3));
    }

    #[test]
    fn lossy_text_keeps_offsets() {
        let bytes = b"a\xff\xfeb=ghp_x";
        let t = lossy_same_length(bytes);
        assert_eq!(t.len(), bytes.len());
        assert_eq!(t.find("ghp_"), Some(5));
    }
}
