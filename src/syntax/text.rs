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
    fn sanitize_keeps_length_and_removes_controls() {
        let hostile = "name\u{1b}[31mred\u{202e}x\u{85}";
        let clean = sanitize(hostile);
        assert_eq!(clean.len(), hostile.len());
        assert!(!clean.chars().any(|c| c.is_control()));
        assert_eq!(sanitize("plain\ttext\n"), "plain\ttext\n");
    }
}
