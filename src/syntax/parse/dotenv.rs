//! `.env` files: `KEY=value` assignments, lexed by hand.
//!
//! Files in the wild are sloppy, so a line that is not an assignment is skipped rather
//! than failing the file; parsing never returns an error.

use super::{LineLexer, ParseError, is_blank, line_end, next_line, parse_lines};
use crate::syntax::doc::{Entry, Node, Parsed, ScalarKind};
use crate::syntax::source::Span;

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    Ok(parse_lines(text, |base| Lexer {
        b: text.as_bytes(),
        src: text,
        i: base,
        entries: Vec::new(),
        comments: Vec::new(),
    }))
}

struct Lexer<'a> {
    b: &'a [u8],
    src: &'a str,
    i: usize,
    entries: Vec<Entry>,
    comments: Vec<Span>,
}

fn is_key_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')
}

impl LineLexer for Lexer<'_> {
    fn position(&self) -> usize {
        self.i
    }

    fn line(&mut self) {
        Lexer::line(self);
    }

    fn finish(self) -> (Vec<Entry>, Vec<Span>) {
        (self.entries, self.comments)
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_blanks(&mut self) {
        while self.peek().is_some_and(is_blank) {
            self.i += 1;
        }
    }

    /// End of the current line, before its `\r\n` or `\n`.
    fn line_end(&self) -> usize {
        line_end(self.b, self.i)
    }

    /// Move past the current line's terminator.
    fn next_line(&mut self) {
        self.i = next_line(self.b, self.i);
    }

    /// Record a `#` comment at the cursor running to the end of the line.
    fn comment(&mut self) {
        let end = self.line_end();
        self.comments.push(Span::new(self.i, end));
        self.i = end;
    }

    /// After a value: an optional comment, anything else on the line is ignored.
    fn rest_of_line(&mut self) {
        let end = self.line_end();
        while self.i < end {
            if self.b[self.i] == b'#' && (self.i == 0 || !is_key_byte(self.b[self.i - 1])) {
                self.comment();
                break;
            }
            self.i += 1;
        }
        self.next_line();
    }

    fn line(&mut self) {
        self.skip_blanks();
        match self.peek() {
            None => return,
            Some(b'#') => {
                self.comment();
                self.next_line();
                return;
            }
            _ => {}
        }
        if self.b[self.i..].starts_with(b"export")
            && self.b.get(self.i + 6).copied().is_some_and(is_blank)
        {
            self.i += 6;
            self.skip_blanks();
        }
        let key_start = self.i;
        while self.peek().is_some_and(is_key_byte) {
            self.i += 1;
        }
        let key_end = self.i;
        self.skip_blanks();
        if key_start == key_end || self.peek() != Some(b'=') {
            // Not an assignment: skip the line.
            self.next_line();
            return;
        }
        self.i += 1;
        let after_eq = self.i;
        self.skip_blanks();
        let value = match self.peek() {
            Some(b'"') => self.double_quoted(),
            Some(q @ (b'\'' | b'`')) => self
                .literal_quoted(q)
                .unwrap_or_else(|| self.unquoted(after_eq)),
            _ => self.unquoted(after_eq),
        };
        let key = Node::scalar(
            Span::new(key_start, key_end),
            &self.src[key_start..key_end],
            ScalarKind::Str,
        );
        self.entries.push(Entry { key, value });
        self.rest_of_line();
    }

    /// An unquoted value: up to the end of the line or a `#` after whitespace, trimmed.
    /// Empty values get an empty span right after the `=`.
    fn unquoted(&mut self, after_eq: usize) -> Node {
        let start = self.i;
        let end = self.line_end();
        let mut stop = end;
        for j in start..end {
            if self.b[j] == b'#' && (j == start || is_blank(self.b[j - 1])) {
                stop = j;
                break;
            }
        }
        let mut trimmed = stop;
        while trimmed > start && self.b[trimmed - 1].is_ascii_whitespace() {
            trimmed -= 1;
        }
        self.i = stop;
        if trimmed == start {
            return Node::scalar(Span::new(after_eq, after_eq), "", ScalarKind::Str);
        }
        Node::scalar(
            Span::new(start, trimmed),
            &self.src[start..trimmed],
            ScalarKind::Str,
        )
    }

    /// A single-quoted or backtick value, taken literally; may span lines. `None` when
    /// the quote is never closed, so the line is read as an unquoted value instead of
    /// swallowing the rest of the file.
    fn literal_quoted(&mut self, q: u8) -> Option<Node> {
        let open = self.i;
        let close = open + 1 + self.b[open + 1..].iter().position(|&c| c == q)?;
        self.i = close + 1;
        let text = self.src[open + 1..close].replace("\r\n", "\n");
        Some(Node::scalar(
            Span::new(open, close + 1),
            text,
            ScalarKind::Str,
        ))
    }

    /// A double-quoted value with `\n`, `\r`, `\t`, `\"`, `\\` escapes; may span lines.
    /// Unterminated, it runs to the end of the file.
    fn double_quoted(&mut self) -> Node {
        let open = self.i;
        let mut out = String::new();
        let mut j = open + 1;
        let mut run = j;
        let mut end = self.b.len();
        while j < self.b.len() {
            match self.b[j] {
                b'"' => {
                    end = j + 1;
                    break;
                }
                b'\\' if j + 1 < self.b.len() => {
                    out.push_str(&self.src[run..j]);
                    match self.b[j + 1] {
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        // Unknown escapes stay as written; the backslash is a byte of
                        // its own so the next byte starts a fresh run.
                        _ => {
                            out.push('\\');
                            j += 1;
                            run = j;
                            continue;
                        }
                    }
                    j += 2;
                    run = j;
                }
                b'\r' if self.b.get(j + 1) == Some(&b'\n') => {
                    out.push_str(&self.src[run..j]);
                    j += 1;
                    run = j;
                }
                _ => j += 1,
            }
        }
        out.push_str(&self.src[run..j.min(self.b.len())]);
        self.i = end;
        Node::scalar(Span::new(open, end), out, ScalarKind::Str)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::root_entries;

    fn parsed(src: &str) -> Parsed {
        parse(src).unwrap()
    }

    fn comments<'a>(src: &'a str, p: &Parsed) -> Vec<&'a str> {
        p.comments.iter().map(|s| &src[s.range()]).collect()
    }

    #[test]
    fn plain_export_and_spaced_assignments() {
        let src = "A=1\nexport GITHUB_TOKEN=ghp_abc\n  B = spaced value  \nexport=x\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                ("A", "1", "1".into()),
                ("GITHUB_TOKEN", "ghp_abc", "ghp_abc".into()),
                ("B", "spaced value", "spaced value".into()),
                ("export", "x", "x".into()),
            ]
        );
        assert_eq!(p.documents[0].root.span, Span::new(0, src.len()));
    }

    #[test]
    fn quotes_of_each_kind_and_escapes() {
        let src = "S='lit \\n $X'\nD=\"a\\nb \\\"q\\\" c\\\\d\"\nB=`back tick`\nU=\"\\w\"\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                ("S", "'lit \\n $X'", "lit \\n $X".into()),
                ("D", "\"a\\nb \\\"q\\\" c\\\\d\"", "a\nb \"q\" c\\d".into()),
                ("B", "`back tick`", "back tick".into()),
                ("U", "\"\\w\"", "\\w".into()),
            ]
        );
    }

    #[test]
    fn multiline_double_quoted_value_with_crlf() {
        let src = "KEY=\"-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----\"\r\nNEXT=2\r\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                (
                    "KEY",
                    "\"-----BEGIN KEY-----\r\nabc\r\n-----END KEY-----\"",
                    "-----BEGIN KEY-----\nabc\n-----END KEY-----".into()
                ),
                ("NEXT", "2", "2".into()),
            ]
        );
    }

    #[test]
    fn comments_full_line_and_inline() {
        let src = "# header\nA=x # note\nB=x#y\nC='q' # after quote\n  # indented\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                ("A", "x", "x".into()),
                ("B", "x#y", "x#y".into()),
                ("C", "'q'", "q".into()),
            ]
        );
        assert_eq!(
            comments(src, &p),
            ["# header", "# note", "# after quote", "# indented"]
        );
    }

    #[test]
    fn empty_values_have_empty_span_after_equals() {
        let src = "EMPTY=\nSPACED=   # c\nLAST=";
        let p = parsed(src);
        let root = &p.documents[0].root;
        let empty = root.get("EMPTY").unwrap();
        assert_eq!(empty.as_text(), Some(""));
        assert_eq!(empty.span, Span::new(6, 6));
        let spaced = root.get("SPACED").unwrap();
        assert_eq!(spaced.as_text(), Some(""));
        assert_eq!(spaced.span, Span::new(14, 14));
        let last = root.get("LAST").unwrap();
        assert_eq!(last.span, Span::new(src.len(), src.len()));
        assert_eq!(comments(src, &p), ["# c"]);
    }

    #[test]
    fn crlf_bom_non_ascii_and_variable_refs() {
        let src = "\u{feff}NAME=Zoë\r\nURL=https://${HOST}/x\r\nQ=\"é ${Y}\"\r\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                ("NAME", "Zoë", "Zoë".into()),
                ("URL", "https://${HOST}/x", "https://${HOST}/x".into()),
                ("Q", "\"é ${Y}\"", "é ${Y}".into()),
            ]
        );
        assert_eq!(p.documents[0].root.span.start, 3);
    }

    #[test]
    fn garbage_lines_are_skipped_and_unterminated_quotes_do_not_fail() {
        let src = "this is not env\n=novalue\nexport ONLY\nA='open\nB=ok\nC=\"never closed\nD=1\n";
        let p = parsed(src);
        let t = root_entries(src, &p);
        assert_eq!(t[0], ("A", "'open", "'open".into()));
        assert_eq!(t[1], ("B", "ok", "ok".into()));
        assert_eq!(t[2].0, "C");
        assert_eq!(t[2].1, "\"never closed\nD=1\n");
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn hostile_inputs_never_panic() {
        for src in [
            "\"", "A=\"\\", "A=\\", "\u{feff}", "A", "=", "A='", "A=`", "é=1", "A=\"\r",
        ] {
            let p = parsed(src);
            p.documents[0].root.walk(|_, n| {
                assert!(n.span.end as usize <= src.len());
                assert!(src.is_char_boundary(n.span.start as usize));
                assert!(src.is_char_boundary(n.span.end as usize));
            });
        }
    }

    #[test]
    fn random_token_soup_never_panics() {
        // Deterministic soup of the bytes the lexer branches on.
        let pieces = [
            "export ", "A", "=", "\"", "\'", "`", "\\", "\\n", "\n", "\r\n", " ", "\t", "#",
            "${X}", "é", "x", "\u{feff}",
        ];
        crate::syntax::parse::testutil::assert_spans_on_char_boundaries(&pieces, parse);
    }
}
