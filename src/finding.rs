//! Findings: what a rule reports, with severity, confidence, locations in any file,
//! redacted evidence and a fingerprint that survives line moves.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::source::Span;

/// The five families of the rule catalog. Every rule belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    BorrowedCredential,
    SharedIdentity,
    ExcessiveScope,
    AuditTrail,
    StaticSecret,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::BorrowedCredential,
        Family::SharedIdentity,
        Family::ExcessiveScope,
        Family::AuditTrail,
        Family::StaticSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::BorrowedCredential => "borrowed-credential",
            Family::SharedIdentity => "shared-identity",
            Family::ExcessiveScope => "excessive-scope",
            Family::AuditTrail => "audit-trail",
            Family::StaticSecret => "static-secret",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn description(self) -> &'static str {
        match self {
            Family::BorrowedCredential => {
                "a workload or agent runs on a credential that belongs to a person"
            }
            Family::SharedIdentity => {
                "one identity serves several agents or workloads, or a default identity is used"
            }
            Family::ExcessiveScope => "the identity can do far more than any single task needs",
            Family::AuditTrail => {
                "what the agent does cannot be attributed to it, or logging is off"
            }
            Family::StaticSecret => {
                "a long-lived secret is committed where a short-lived, federated one fits"
            }
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step up: what a finding gets when the identity it concerns is an AI agent's,
    /// whose actions are steered by whatever text reaches it.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// The CVSS-like score GitHub code scanning reads from `security-severity`.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a file with a short annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub path: Arc<str>,
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(path: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        Self {
            path: Arc::clone(path),
            span,
            message: message.into(),
        }
    }
}

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

/// One problem found, ready to report.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub confidence: Confidence,
    /// What is wrong and why it matters, in one or two sentences.
    pub message: String,
    /// What to do instead.
    pub help: Option<String>,
    pub primary: Label,
    /// Other places involved, possibly in other files.
    pub related: Vec<Label>,
    /// The workload or agent the finding concerns, when known.
    pub workload: Option<String>,
    pub evidence: Option<Redacted>,
    /// Stable identity of the finding across edits: set by the pipeline from
    /// [`Finding::fingerprint_key`] once findings are sorted.
    pub fingerprint: String,
    /// What the fingerprint hashes besides rule and path: redacted evidence or the
    /// document path of the offending node, never a line number.
    pub fingerprint_key: String,
    /// Secret values in the finding's own file that no report may quote, with how many
    /// leading bytes are public: values the credential catalog does not match (a
    /// `.netrc` password, a kubeconfig client key) but the rule knows are secrets.
    pub mask: Vec<(Span, usize)>,
    /// For a grant: the identities that hold it (scoped references until the identity
    /// graph resolves them), so the project pass can name the agents that use them.
    pub holders: Vec<crate::facts::Identity>,
    /// Whether the rule already found, in the same file, that an agent holds the grant.
    pub agent_context: bool,
}

impl Finding {
    /// Sort key: path, position, rule, then message (so output is deterministic
    /// whatever order threads finished in).
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.primary.path,
            self.primary.span.start,
            self.primary.span.end,
            self.rule,
            &self.message,
        )
    }

    /// Hash rule, path, the fingerprint key and an occurrence number (for identical
    /// findings in one file) into a short hex string.
    pub fn compute_fingerprint(&self, occurrence: usize) -> String {
        let mut h = Sha256::new();
        for part in [self.rule, &self.primary.path, &self.fingerprint_key] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.update(occurrence.to_le_bytes());
        let digest = h.finalize();
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
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

    #[test]
    fn family_names_round_trip() {
        for f in Family::ALL {
            assert_eq!(Family::parse(f.as_str()), Some(f));
        }
    }
}
