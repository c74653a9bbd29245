//! Dockerfiles, lexed line by line.
//!
//! Hand-written rather than `parse-dockerfile`: that crate rejects a whole file for
//! problems a linter should read past (an instruction before `FROM`, an unknown
//! instruction, duplicate stage names), does not report comments, and leaves `ENV`
//! arguments unsplit, so the variables would need a lexer of our own anyway.
//!
//! The root mapping has one entry per instruction in file order, keyed by the
//! upper-cased instruction name. `ENV` and `ARG` map their variables; every other
//! instruction is a string of its arguments with line continuations joined. Parsing
//! never fails: a line that is not an instruction is skipped.

use super::{LineLexer, ParseError, is_blank, line_end, next_line, parse_lines};
use crate::syntax::doc::{Entry, Node, Parsed, ScalarKind, Value};
use crate::syntax::source::Span;

pub(crate) fn parse(text: &str) -> Result<Parsed, ParseError> {
    Ok(parse_lines(text, |base| Parser {
        text,
        b: text.as_bytes(),
        i: base,
        escape: b'\\',
        directives_open: true,
        entries: Vec::new(),
        comments: Vec::new(),
    }))
}

/// Instruction arguments with continuations removed, and for each byte of the joined
/// text the offset it came from, so that spans of pieces map back into the file.
#[derive(Default)]
struct Joined {
    text: String,
    at: Vec<usize>,
}

impl Joined {
    fn push(&mut self, src: &str, start: usize, end: usize) {
        self.text.push_str(&src[start..end]);
        self.at.extend(start..end);
    }

    /// Span in the file of the joined bytes `s..e` (empty: just before byte `s`).
    fn span(&self, s: usize, e: usize, fallback: usize) -> Span {
        if s >= e {
            let at = self.at.get(s).copied().unwrap_or(fallback);
            return Span::new(at, at);
        }
        Span::new(self.at[s], self.at[e - 1] + 1)
    }
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// The line-continuation character (`\`, or `` ` `` by parser directive).
    escape: u8,
    /// Parser directives are only read in comments before anything else.
    directives_open: bool,
    entries: Vec<Entry>,
    comments: Vec<Span>,
}

impl LineLexer for Parser<'_> {
    fn position(&self) -> usize {
        self.i
    }

    fn line(&mut self) {
        Parser::line(self);
    }

    fn finish(self) -> (Vec<Entry>, Vec<Span>) {
        (self.entries, self.comments)
    }
}

impl Parser<'_> {
    fn line_end(&self, i: usize) -> usize {
        line_end(self.b, i)
    }

    fn next_line(&self, i: usize) -> usize {
        next_line(self.b, i)
    }

    fn skip_blanks(&self, mut i: usize) -> usize {
        while i < self.b.len() && is_blank(self.b[i]) {
            i += 1;
        }
        i
    }

    fn line(&mut self) {
        let start = self.skip_blanks(self.i);
        let end = self.line_end(start);
        if start == end {
            self.directives_open = false;
            self.i = self.next_line(start);
            return;
        }
        if self.b[start] == b'#' {
            self.comments.push(Span::new(start, end));
            if self.directives_open {
                self.directive(start + 1, end);
            }
            self.i = self.next_line(start);
            return;
        }
        self.directives_open = false;
        let mut kw_end = start;
        while kw_end < end && self.b[kw_end].is_ascii_alphanumeric() {
            kw_end += 1;
        }
        if kw_end == start || (kw_end < end && !self.b[kw_end].is_ascii_whitespace()) {
            self.i = self.next_line(start);
            return;
        }
        let name = self.text[start..kw_end].to_ascii_uppercase();
        let key = Node::scalar(Span::new(start, kw_end), name.as_str(), ScalarKind::Str);
        let joined = self.arguments(kw_end);
        let value = match name.as_str() {
            "ENV" => self.variables(&joined, kw_end, true),
            "ARG" => self.variables(&joined, kw_end, false),
            "RUN" | "COPY" | "ADD" => self.with_heredocs(&joined, kw_end),
            _ => plain(&joined, kw_end),
        };
        self.entries.push(Entry { key, value });
    }

    /// `# escape=<char>` changes the continuation character; any comment that is not a
    /// `key=value` directive ends the directive block.
    fn directive(&mut self, start: usize, end: usize) {
        let body = &self.text[start..end];
        let Some((k, v)) = body.split_once('=') else {
            self.directives_open = false;
            return;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphanumeric()) {
            self.directives_open = false;
            return;
        }
        if k.eq_ignore_ascii_case("escape") {
            match v.trim() {
                "`" => self.escape = b'`',
                "\\" => self.escape = b'\\',
                _ => {}
            }
        }
    }

    /// Join the arguments from `from` through every continuation line, skipping
    /// comment and empty lines inside the continuation as Docker does. Leaves the
    /// cursor on the line after the instruction.
    fn arguments(&mut self, from: usize) -> Joined {
        let mut joined = Joined::default();
        let mut pos = self.skip_blanks(from);
        loop {
            let end = self.line_end(pos);
            let mut content_end = end;
            while content_end > pos && self.b[content_end - 1].is_ascii_whitespace() {
                content_end -= 1;
            }
            let continued = content_end > pos && self.b[content_end - 1] == self.escape;
            if !continued {
                joined.push(self.text, pos, content_end);
                self.i = self.next_line(end);
                return joined;
            }
            joined.push(self.text, pos, content_end - 1);
            pos = self.next_line(end);
            // Comment and blank lines do not end a continuation.
            while pos < self.b.len() {
                let first = self.skip_blanks(pos);
                let line_end = self.line_end(first);
                if first == line_end {
                    pos = self.next_line(first);
                } else if self.b[first] == b'#' {
                    self.comments.push(Span::new(first, line_end));
                    pos = self.next_line(first);
                } else {
                    break;
                }
            }
            if pos >= self.b.len() {
                self.i = self.b.len();
                return joined;
            }
        }
    }

    /// `RUN`/`COPY`/`ADD` arguments followed by the bodies of their heredocs.
    fn with_heredocs(&mut self, joined: &Joined, kw_end: usize) -> Node {
        let node = plain(joined, kw_end);
        let markers = heredoc_markers(&joined.text);
        if markers.is_empty() {
            return node;
        }
        let (mut text, mut span) = match node.value {
            Value::Scalar(s) => (s.text, node.span),
            _ => return node,
        };
        for (word, strip_tabs) in markers {
            let body_start = self.i;
            let mut pos = body_start;
            let mut end = self.b.len();
            while pos < self.b.len() {
                let line_end = self.line_end(pos);
                let mut line = &self.text[pos..line_end];
                if strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                if line == word {
                    end = line_end;
                    break;
                }
                pos = self.next_line(pos);
            }
            text.push('\n');
            text.push_str(&self.text[body_start..end].replace("\r\n", "\n"));
            span = span.join(Span::new(body_start, end));
            self.i = if end >= self.b.len() {
                self.b.len()
            } else {
                self.next_line(end)
            };
        }
        Node::scalar(span, text, ScalarKind::Str)
    }

    /// `ENV`/`ARG` variables. `ENV` also accepts the legacy `ENV NAME value with spaces`.
    fn variables(&self, joined: &Joined, kw_end: usize, env: bool) -> Node {
        let t = &joined.text;
        let words = split_words(t, self.escape);
        let mut entries = Vec::new();
        let legacy = env
            && words
                .first()
                .is_some_and(|&(s, e)| unquoted_eq(t, s, e, self.escape).is_none());
        if legacy {
            if let Some(&(ks, ke)) = words.first() {
                let key = Node::scalar(joined.span(ks, ke, kw_end), &t[ks..ke], ScalarKind::Str);
                let mut vs = ke;
                while vs < t.len() && t.as_bytes()[vs].is_ascii_whitespace() {
                    vs += 1;
                }
                let value = self.value(joined, vs, t.len(), kw_end);
                entries.push(Entry { key, value });
            }
        } else {
            for &(s, e) in &words {
                match unquoted_eq(t, s, e, self.escape) {
                    Some(eq) => {
                        let key =
                            Node::scalar(joined.span(s, eq, kw_end), &t[s..eq], ScalarKind::Str);
                        let value = self.value(joined, eq + 1, e, kw_end);
                        entries.push(Entry { key, value });
                    }
                    None => {
                        let key_span = joined.span(s, e, kw_end);
                        let key = Node::scalar(key_span, &t[s..e], ScalarKind::Str);
                        let at = key_span.end as usize;
                        let value = Node::scalar(Span::new(at, at), "", ScalarKind::Null);
                        entries.push(Entry { key, value });
                    }
                }
            }
        }
        let span = plain(joined, kw_end).span;
        Node::map(span, entries)
    }

    /// A variable's value: quotes removed, escapes resolved. A value that expands
    /// another variable is an expression, not a literal.
    fn value(&self, joined: &Joined, s: usize, e: usize, kw_end: usize) -> Node {
        let (text, expands) = unquote(&joined.text[s..e], self.escape);
        let mut span = joined.span(s, e, kw_end);
        if s >= e {
            // Empty value: an empty span right after the `=`.
            let at = if s > 0 { joined.at[s - 1] + 1 } else { kw_end };
            span = Span::new(at, at);
        }
        let kind = if expands {
            ScalarKind::Expr
        } else {
            ScalarKind::Str
        };
        Node::scalar(span, text, kind)
    }
}

/// The arguments as one string, trimmed, spanning from their first to last byte.
fn plain(joined: &Joined, kw_end: usize) -> Node {
    let t = &joined.text;
    let s = t.len() - t.trim_start().len();
    let e = t.trim_end().len().max(s);
    Node::scalar(joined.span(s, e, kw_end), &t[s..e], ScalarKind::Str)
}

/// Byte ranges of the whitespace-separated words of `t`, quotes and escapes respected.
fn split_words(t: &str, escape: u8) -> Vec<(usize, usize)> {
    let b = t.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut quote = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                None if c.is_ascii_whitespace() => break,
                None if c == b'"' || c == b'\'' => quote = Some(c),
                Some(b'\'') if c == b'\'' => quote = None,
                Some(b'"') if c == b'"' => quote = None,
                Some(b'\'') => {}
                _ if c == escape => i += 1,
                _ => {}
            }
            i += 1;
        }
        let end = i.min(b.len());
        words.push((start, end));
    }
    words
}

/// Position of the first `=` of a word outside quotes.
fn unquoted_eq(t: &str, s: usize, e: usize, escape: u8) -> Option<usize> {
    let b = t.as_bytes();
    let mut quote = None;
    let mut i = s;
    while i < e {
        let c = b[i];
        match quote {
            None if c == b'=' => return Some(i),
            None if c == b'"' || c == b'\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            Some(b'\'') => {}
            _ if c == escape => i += 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Shell-style quote removal, and whether the text expands a variable (`$X`, `${X}`)
/// outside single quotes.
fn unquote(raw: &str, escape: u8) -> (String, bool) {
    let esc = char::from(escape);
    let mut out = String::with_capacity(raw.len());
    let mut expands = false;
    let mut quote: Option<char> = None;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('\'') => out.push(c),
            Some(_) if c == '"' => quote = None,
            Some(_) if c == esc => match chars.peek() {
                Some(&n) if matches!(n, '"' | '$' | '`') || n == esc => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            },
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == esc => match chars.next() {
                Some(n) => out.push(n),
                None => out.push(c),
            },
            _ => {
                if c == '$'
                    && chars
                        .peek()
                        .is_some_and(|&n| n == '{' || n == '_' || n.is_ascii_alphabetic())
                {
                    expands = true;
                }
                out.push(c);
            }
        }
    }
    (out, expands)
}

/// Heredoc delimiters opened on an instruction line (`<<EOF`, `<<-EOF`, `<<"EOF"`),
/// in order, each with whether leading tabs are stripped from its body lines. Markers
/// inside quotes, here-strings (`<<<`) and exec-form arguments are not heredocs.
fn heredoc_markers(t: &str) -> Vec<(String, bool)> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    if t.trim_start().starts_with('[') {
        return out;
    }
    let mut quote = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'<'
                && b.get(i + 1) == Some(&b'<')
                && b.get(i + 2) != Some(&b'<')
                && (i == 0 || b[i - 1] != b'<') =>
            {
                let mut j = i + 2;
                let strip = b.get(j) == Some(&b'-');
                if strip {
                    j += 1;
                }
                let q = b.get(j).copied().filter(|&q| q == b'"' || q == b'\'');
                if q.is_some() {
                    j += 1;
                }
                let ws = j;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > ws {
                    out.push((t[ws..j].to_owned(), strip));
                }
                if q.is_some() && b.get(j).copied() == q {
                    j += 1;
                }
                i = j;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::syntax::parse::testutil::{root_entries, text_of};

    fn parsed(src: &str) -> Parsed {
        parse(src).unwrap()
    }

    /// (name as written, value as written, decoded value, kind) per variable.
    fn vars<'a>(src: &'a str, node: &Node) -> Vec<(&'a str, &'a str, String, ScalarKind)> {
        node.entries()
            .iter()
            .map(|e| {
                let s = e.value.as_scalar().unwrap();
                (
                    text_of(src, &e.key),
                    text_of(src, &e.value),
                    s.text.clone(),
                    s.kind,
                )
            })
            .collect()
    }

    #[test]
    fn env_key_value_form_with_quotes_and_continuation() {
        let src = "FROM alpine\nENV A=1 B=\"two words\" \\\n    C='lit $X' D=$HOME/x E=\nenv legacy the rest \"q\"\n";
        let p = parsed(src);
        let root = &p.documents[0].root;
        let keys: Vec<_> = root
            .entries()
            .iter()
            .map(|e| e.key_str().unwrap())
            .collect();
        assert_eq!(keys, ["FROM", "ENV", "ENV"]);
        let env: Vec<_> = root.get_all("ENV").collect();
        assert_eq!(
            vars(src, env[0]),
            [
                ("A", "1", "1".into(), ScalarKind::Str),
                ("B", "\"two words\"", "two words".into(), ScalarKind::Str),
                ("C", "'lit $X'", "lit $X".into(), ScalarKind::Str),
                ("D", "$HOME/x", "$HOME/x".into(), ScalarKind::Expr),
                ("E", "", String::new(), ScalarKind::Str),
            ]
        );
        let e = env[0].get("E").unwrap();
        assert_eq!(
            &src[..e.span.start as usize],
            "FROM alpine\nENV A=1 B=\"two words\" \\\n    C='lit $X' D=$HOME/x E="
        );
        assert_eq!(
            text_of(src, env[0]),
            "A=1 B=\"two words\" \\\n    C='lit $X' D=$HOME/x E="
        );
        assert_eq!(
            vars(src, env[1]),
            [(
                "legacy",
                "the rest \"q\"",
                "the rest q".into(),
                ScalarKind::Str
            )]
        );
        assert_eq!(text_of(src, &root.entries()[2].key), "env");
    }

    #[test]
    fn arg_with_and_without_default() {
        let src = "ARG VERSION\nARG TOKEN=ghp_abc OTHER\nFROM x:${VERSION}\n";
        let p = parsed(src);
        let args: Vec<_> = p.documents[0].root.get_all("ARG").collect();
        let version = args[0].get("VERSION").unwrap();
        assert!(version.is_null());
        assert_eq!(version.span, Span::new(11, 11));
        assert_eq!(text_of(src, &args[0].entries()[0].key), "VERSION");
        let v = vars(src, args[1]);
        assert_eq!(
            v[0],
            ("TOKEN", "ghp_abc", "ghp_abc".into(), ScalarKind::Str)
        );
        assert_eq!(v[1], ("OTHER", "", String::new(), ScalarKind::Null));
        let from = p.documents[0].root.get("FROM").unwrap();
        assert_eq!(text_of(src, from), "x:${VERSION}");
    }

    #[test]
    fn run_user_copy_cmd_and_continuations() {
        let src = "FROM node:20 AS build\r\nRUN apt-get update && \\\r\n    # inside\r\n    apt-get install -y curl\r\nUSER root\r\nCOPY --chown=app . /app\r\nCMD [\"node\", \"server.js\"]\r\n";
        let p = parsed(src);
        assert_eq!(
            root_entries(src, &p),
            [
                ("FROM", "node:20 AS build", "node:20 AS build".into()),
                (
                    "RUN",
                    "apt-get update && \\\r\n    # inside\r\n    apt-get install -y curl",
                    "apt-get update &&     apt-get install -y curl".into()
                ),
                ("USER", "root", "root".into()),
                ("COPY", "--chown=app . /app", "--chown=app . /app".into()),
                (
                    "CMD",
                    "[\"node\", \"server.js\"]",
                    "[\"node\", \"server.js\"]".into()
                ),
            ]
        );
        let comments: Vec<_> = p.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(comments, ["# inside"]);
    }

    #[test]
    fn run_heredoc_body_is_part_of_the_value() {
        let src = "FROM x\nRUN <<EOF bash\necho $TOKEN\nEOF\nCOPY <<-\"CONF\" /etc/app.conf\n\tkey=1\n\tCONF\nUSER app\n";
        let p = parsed(src);
        let got = root_entries(src, &p);
        assert_eq!(
            got[1],
            (
                "RUN",
                "<<EOF bash\necho $TOKEN\nEOF",
                "<<EOF bash\necho $TOKEN\nEOF".into()
            )
        );
        assert_eq!(got[2].0, "COPY");
        assert_eq!(got[2].1, "<<-\"CONF\" /etc/app.conf\n\tkey=1\n\tCONF");
        assert_eq!(got[3], ("USER", "app", "app".into()));
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn comments_directives_bom_and_non_ascii() {
        let src = "\u{feff}# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nLABEL desc=\"Zoë\" `\n  other=1\n# end\n";
        let p = parsed(src);
        let comments: Vec<_> = p.comments.iter().map(|s| &src[s.range()]).collect();
        assert_eq!(
            comments,
            ["# syntax=docker/dockerfile:1", "# escape=`", "# end"]
        );
        let label = p.documents[0].root.get("LABEL").unwrap();
        assert_eq!(text_of(src, label), "desc=\"Zoë\" `\n  other=1");
        assert_eq!(label.as_text(), Some("desc=\"Zoë\"   other=1"));
        assert_eq!(p.documents[0].root.span.start, 3);
    }

    #[test]
    fn garbage_never_fails_or_panics() {
        let src = "not-an instruction\n  \n\"quoted\nRUN\nENV\nRUN echo \\";
        let p = parsed(src);
        let got = root_entries(src, &p);
        assert_eq!(got[0].0, "RUN");
        assert_eq!(got[0].2, "");
        assert_eq!(got[2].1, "echo");
        for src in [
            "\\",
            "RUN \\\n",
            "ENV \"",
            "ENV A=\"",
            "RUN <<",
            "RUN <<EOF",
            "ARG =",
            "ENV é=ü",
            "RUN <<\"",
            "\u{feff}",
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
    fn several_heredocs_crlf_and_unterminated() {
        let src = "FROM x\r\nRUN <<A cat - <<B\r\none\r\nA\r\ntwo\r\nB\r\nUSER u\r\nRUN <<NEVER\r\nsecret\r\n";
        let p = parsed(src);
        let got = root_entries(src, &p);
        assert_eq!(got[1].1, "<<A cat - <<B\r\none\r\nA\r\ntwo\r\nB");
        assert_eq!(got[1].2, "<<A cat - <<B\none\nA\ntwo\nB");
        assert_eq!(got[2], ("USER", "u", "u".into()));
        assert_eq!(got[3].1, "<<NEVER\r\nsecret\r\n");
        assert_eq!(got.len(), 4);
        let here_string = parsed("RUN cat <<< \"<<EOF\"\nUSER a\n");
        assert_eq!(here_string.documents[0].root.entries().len(), 2);
    }

    #[test]
    fn random_token_soup_never_panics() {
        // Deterministic soup of the bytes the lexer branches on.
        let pieces = [
            "RUN ",
            "ENV ",
            "ARG ",
            "FROM ",
            "A=",
            "=",
            "\"",
            "\'",
            "\\",
            "`",
            "\n",
            "\r\n",
            " ",
            "\t",
            "#",
            "# escape=`\n",
            "<<EOF",
            "<<-\"E\"",
            "EOF",
            "\tE",
            "$X",
            "é",
            "x",
        ];
        crate::syntax::parse::testutil::assert_spans_on_char_boundaries(&pieces, parse);
    }
}
