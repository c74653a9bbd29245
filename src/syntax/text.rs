//! Text hygiene for strings that came from scanned files: sanitising terminal
//! controls, redacting secrets, hashing secrets for comparison.

use sha2::{Digest, Sha256};

/// Evidence that is safe to print: a secret reduced to its first characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redacted(String);

impl Redacted {
    /// Keep at most `visible` leading characters of a secret, capped at a third of its
    /// length and at 12, and say how long it was. `visible` is typically the length of
    /// the credential's public prefix (`ghp_`, `xoxb-`).
    pub fn secret(secret: &str, visible: usize) -> Self {
        let chars = secret.chars().count();
        let keep = visible.min(chars / 3).min(12);
        let shown: String = secret.chars().take(keep).collect();
        Self(format!("{shown}…({chars} chars)"))
    }

    /// Text that holds no secret (a key path, a role name, an action).
    pub fn plain(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Replace terminal control characters (C0, DEL, C1) and bidirectional overrides with
/// `?`, one `?` per byte, so byte offsets are unchanged. Scanned files are hostile:
/// text quoted from them must not be able to drive the reader's terminal.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    };
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if bad(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`sanitize`] for quoted source lines: line breaks stay, but a carriage return that
/// does not end a line becomes `?` (same length), since the GitHub runner splits lines
/// at a lone `\r` and a quoted `x\r::error::…` would start a workflow command.
pub fn sanitize_quoted(text: &str) -> std::borrow::Cow<'_, str> {
    let clean = sanitize(text);
    let b = clean.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    if !(0..b.len()).any(lone) {
        return clean;
    }
    let mut out = String::with_capacity(clean.len());
    for (i, c) in clean.char_indices() {
        out.push(if c == '\r' && lone(i) { '?' } else { c });
    }
    std::borrow::Cow::Owned(out)
}

/// [`sanitize`], and line breaks too (`?`, byte for byte): for a string that must stay
/// one line wherever it is printed (a name, a path, a message), so that a name holding
/// `\n::error::…` cannot start a line of its own. A lone `\r` ends a line for the
/// GitHub runner as much as `\n` does.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    let clean = sanitize(text);
    if !clean.contains(['\n', '\r']) {
        return clean;
    }
    std::borrow::Cow::Owned(clean.replace(['\n', '\r'], "?"))
}

/// Output with no line a GitHub runner would take for a workflow command that
/// lanyard did not write. The runner splits lines at `\n`, `\r\n` and a lone `\r`,
/// trims whitespace, and reads a line starting with `::` as a command (`::error`,
/// `::add-mask::`, `::stop-commands::`); the legacy form `##[command]` counts anywhere
/// in a line. A lone `\r` becomes `?`, such a line's first `:` becomes `?`, and `##[`
/// becomes `#?[`. `allow` says which lines lanyard wrote itself (GitHub annotations),
/// which keep their `::`.
pub fn neutralize_workflow_commands(
    text: &str,
    allow: impl Fn(&str) -> bool,
) -> std::borrow::Cow<'_, str> {
    let suspicious = text.contains("##[")
        || (text.contains("::") && text.lines().any(|l| l.trim().starts_with("::")))
        || text
            .match_indices('\r')
            .any(|(i, _)| !text[i + 1..].starts_with('\n'));
    if !suspicious {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let (body, end) = match piece.strip_suffix("\r\n") {
            Some(b) => (b, "\r\n"),
            None => match piece.strip_suffix('\n') {
                Some(b) => (b, "\n"),
                None => (piece, ""),
            },
        };
        // Every segment between lone carriage returns is a line to the runner.
        let body = body.replace('\r', "?");
        let ours = allow(&body);
        // Harmless inside lanyard's own annotations too (the runner reads those as
        // `::` commands first), so never left.
        let mut line = body.replace("##[", "#?[");
        if !ours && line.trim_start().starts_with("::") {
            let at = line.len() - line.trim_start().len();
            line.replace_range(at..at + 1, "?");
        }
        out.push_str(&line);
        out.push_str(end);
    }
    std::borrow::Cow::Owned(out)
}

/// Mask words that look like a secret in a message about a value lanyard could not
/// use (an unknown rule id, a baseline path, a git ref): a word (up to whitespace,
/// quotes, brackets or commas) holding a run of 20 or more characters of
/// `[A-Za-z0-9+/=]` that mixes letters and digits with the spread of random text. Such
/// a value can be a credential the catalog cannot recognise on its own (an AWS secret
/// key without its variable name); the word's first four characters stay.
pub fn mask_secret_looking(text: &str) -> std::borrow::Cow<'_, str> {
    let in_run = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    let ends_word = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '\'' | '"' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';'
            )
    };
    let mut out: Option<String> = None;
    let mut word_start = 0;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if !ends_word(c) {
            continue;
        }
        let word = &text[word_start..i];
        let random = word.split(|c: char| !in_run(c)).any(looks_random);
        if random {
            let o = out.get_or_insert_with(|| text.to_owned());
            let mut masked = String::with_capacity(word.len());
            for (k, ch) in word.chars().enumerate() {
                if k < 4 {
                    masked.push(ch);
                } else {
                    masked.extend(std::iter::repeat_n('*', ch.len_utf8()));
                }
            }
            // Same length: earlier offsets into `o` stay valid.
            o.replace_range(word_start..i, &masked);
        }
        word_start = i + c.len_utf8();
    }
    out.map_or(std::borrow::Cow::Borrowed(text), std::borrow::Cow::Owned)
}

fn looks_random(run: &str) -> bool {
    if run.len() < 20
        || !run.bytes().any(|b| b.is_ascii_digit())
        || !run.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return false;
    }
    let mut counts = [0usize; 256];
    for b in run.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = run.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 3.5
}

/// A parser message with every double-quoted value elided (`invalid type: string
/// "…"`); backticked key names stay.
pub fn elide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    let mut escaped = false;
    for c in message.chars() {
        if inside {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    inside = false;
                    out.push_str("…\"");
                }
                _ => escaped = false,
            }
        } else {
            if c == '"' {
                inside = true;
            }
            out.push(c);
        }
    }
    out
}

/// Hash a secret for comparison across files (identity joins) without keeping it.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_prefix() {
        let r = Redacted::secret("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 4);
        assert_eq!(r.as_str(), "ghp_…(40 chars)");
        // Never more than a third of a short secret.
        assert_eq!(Redacted::secret("hunter2", 4).as_str(), "hu…(7 chars)");
        assert_eq!(Redacted::secret("abc", 10).as_str(), "a…(3 chars)");
    }

    #[test]
    fn quoted_source_keeps_line_ends_but_no_lone_carriage_return() {
        assert_eq!(
            sanitize_quoted("a\r\nb\r::error::x\nc\r"),
            "a\r\nb?::error::x\nc?"
        );
    }

    #[test]
    fn one_line_keeps_length_and_breaks_no_line() {
        assert_eq!(one_line("a\nb\rc\td\u{1b}"), "a?b?c\td?");
        assert_eq!(one_line("plain"), "plain");
    }

    #[test]
    fn workflow_commands_are_neutralized_unless_allowed() {
        let text =
            "ok\n  ::error::x\nfine\r::warning::y\r\n##[error]z ##[group]\n::notice file=a::ours\n";
        let out = neutralize_workflow_commands(text, |l| l.starts_with("::notice file="));
        assert_eq!(
            out,
            "ok\n  ?:error::x\nfine?::warning::y\r\n#?[error]z #?[group]\n::notice file=a::ours\n"
        );
        for line in out.split(['\n', '\r']) {
            assert!(!line.trim().starts_with("::") || line.starts_with("::notice file="));
        }
        let plain = "a: b::c\r\n";
        assert!(matches!(
            neutralize_workflow_commands(plain, |_| false),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn secret_looking_runs_are_masked() {
        let aws = "LsS/nu8+NI1LILoJVEZM1Bt7YONZMSVbRKqsO0lA";
        let masked = mask_secret_looking(&format!("unknown rule `{aws}`")).into_owned();
        assert!(masked.starts_with("unknown rule `LsS/****"), "{masked}");
        assert!(!masked.contains("nu8+"));
        // A random run after a separator masks the whole word around it.
        let azure = "cannot scan `/tmp/x/abc8Q~um27Kq9ZpW3xYv5TbN1cR8dLf0GhJs2Ae`: missing";
        let masked = mask_secret_looking(azure);
        assert!(masked.starts_with("cannot scan `/tmp*****"), "{masked}");
        assert!(masked.ends_with("`: missing"), "{masked}");
        let pat = "4gt2cwsxniw5rocyqccmkqbbjg345fa6byeml7vmyuedinkljah5";
        assert!(!mask_secret_looking(pat).contains("cwsx"));
        for benign in [
            "identity-shared-by-agents",
            "infra/baseline.json",
            "lanyard-baseline-2024.json",
            "refs/heads/main",
            "k8s/cluster-admin.yaml",
        ] {
            assert_eq!(mask_secret_looking(benign), benign);
        }
    }

    #[test]
    fn sanitize_keeps_length_and_removes_controls() {
        let hostile = "name\u{1b}[31mred\u{202e}x\u{85}";
        let clean = sanitize(hostile);
        assert_eq!(clean.len(), hostile.len());
        assert!(!clean.chars().any(|c| c.is_control()));
        assert_eq!(sanitize("plain\ttext\n"), "plain\ttext\n");
    }
}
