//! A small POSIX shell word splitter for command lines found in scanned files.

/// A word of a shell command line: its text with quotes and escapes removed, and the
/// byte range of its source in the text it came from. Command separators (`;`, `&&`,
/// `||`, `|`, newlines) are words of their own, spelled `;`, so callers can tell one
/// command from the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShellWord {
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl ShellWord {
    pub(crate) fn is_separator(&self) -> bool {
        self.text == ";" && self.end - self.start <= 2
    }
}

/// Split shell text into words the way a POSIX shell would for simple commands: single
/// quotes are literal, double quotes and backslashes escape, `\` before a newline joins
/// lines, `#` at the start of a word starts a comment. Expansions stay as written
/// (`$VAR` is a word, not its value). Never fails: an unclosed quote runs to the end.
pub(crate) fn shell_words(text: &str) -> Vec<ShellWord> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut word: Option<(String, usize)> = None;
    let flush = |word: &mut Option<(String, usize)>, end: usize, out: &mut Vec<ShellWord>| {
        if let Some((text, start)) = word.take() {
            out.push(ShellWord { text, start, end });
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => flush(&mut word, i, &mut out),
            '\n' | ';' | '&' | '|' => {
                flush(&mut word, i, &mut out);
                let mut end = i + c.len_utf8();
                if matches!(c, '&' | '|')
                    && let Some(&(j, d)) = chars.peek()
                    && d == c
                {
                    chars.next();
                    end = j + 1;
                }
                if out.last().is_none_or(|w| !w.is_separator()) {
                    out.push(ShellWord {
                        text: ";".into(),
                        start: i,
                        end,
                    });
                }
            }
            '#' if word.is_none() => {
                while chars.peek().is_some_and(|&(_, d)| d != '\n') {
                    chars.next();
                }
            }
            '\\' => match chars.next() {
                Some((_, '\n')) => flush(&mut word, i, &mut out),
                Some((_, d)) => word.get_or_insert_with(|| (String::new(), i)).0.push(d),
                None => {}
            },
            '\'' => {
                let w = word.get_or_insert_with(|| (String::new(), i));
                for (_, d) in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    w.0.push(d);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(|| (String::new(), i));
                while let Some((_, d)) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(&(_, e)) = chars.peek()
                                && matches!(e, '"' | '\\' | '$' | '`')
                            {
                                chars.next();
                                w.0.push(e);
                            } else {
                                w.0.push('\\');
                            }
                        }
                        _ => w.0.push(d),
                    }
                }
            }
            _ => word.get_or_insert_with(|| (String::new(), i)).0.push(c),
        }
    }
    flush(&mut word, text.len(), &mut out);
    out
}

#[cfg(test)]
mod shell_tests {
    use super::*;

    #[test]
    fn words_quotes_and_separators() {
        let text = "git config --global user.name \"Jane Doe\" && \\\n  git -c 'user.email=j@x.io' commit # c\nkubectl get pods --as=jane";
        let words: Vec<String> = shell_words(text).into_iter().map(|w| w.text).collect();
        assert_eq!(
            words,
            vec![
                "git",
                "config",
                "--global",
                "user.name",
                "Jane Doe",
                ";",
                "git",
                "-c",
                "user.email=j@x.io",
                "commit",
                ";",
                "kubectl",
                "get",
                "pods",
                "--as=jane"
            ]
        );
        let w = &shell_words(text)[4];
        assert_eq!(&text[w.start..w.end], "\"Jane Doe\"");
        for t in ["\"", "'", "\\", "a\\", "é#é", "&&&", "||"] {
            let _ = shell_words(t);
        }
    }
}
