//! Findings: what a rule reports, with severity, confidence, locations in any file,
//! redacted evidence and a fingerprint that survives line moves.

pub mod suppress;

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::syntax::source::Span;

pub use crate::model::rating::{Confidence, Family, Severity};
pub use crate::syntax::text::{Redacted, sanitize, secret_hash};

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
    pub holders: Vec<crate::model::facts::Identity>,
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
