//! Findings: what a rule reports, with severity, confidence, locations in any file,
//! redacted evidence and a fingerprint that survives line moves.

pub mod suppress;

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::syntax::source::Span;

pub use crate::model::rating::{Confidence, Family, Severity};
use crate::syntax::text::one_line;
pub use crate::syntax::text::{Redacted, sanitize, secret_hash};

/// Static description of a rule: what `lanyard rules` lists and `explain` prints.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// The full documentation (Markdown), from the rule's doc comment.
    pub docs: &'static str,
    /// Off-by-default rules run only when selected by id (`--select`, `select`, or
    /// `[rules.<id>] enabled = true`).
    pub default_enabled: bool,
}

impl RuleMeta {
    /// The documentation with the single leading space rustdoc keeps on each line removed.
    pub fn docs_text(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_owned()
    }

    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/lanyard-dev/lanyard/blob/main/docs/rules.md#{}",
            self.id
        )
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

/// One problem found, ready to report.
#[derive(Debug, Clone)]
pub struct Finding {
    rule: &'static str,
    family: Family,
    severity: Severity,
    confidence: Confidence,
    /// What is wrong and why it matters, in one or two sentences.
    message: String,
    /// What to do instead.
    help: Option<String>,
    primary: Label,
    /// Other places involved, possibly in other files.
    related: Vec<Label>,
    /// The workload or agent the finding concerns, when known.
    workload: Option<String>,
    evidence: Option<Redacted>,
    /// Stable identity of the finding across edits: set by the pipeline from
    /// [`Finding::fingerprint_key`] once findings are sorted.
    fingerprint: String,
    /// What the fingerprint hashes besides rule and path: redacted evidence or the
    /// document path of the offending node, never a line number.
    fingerprint_key: String,
    /// Secret values in the finding's own file that no report may quote, with how many
    /// leading bytes are public: values the credential catalog does not match (a
    /// `.netrc` password, a kubeconfig client key) but the rule knows are secrets.
    mask: Vec<(Span, usize)>,
    /// For a grant: the identities that hold it (scoped references until the identity
    /// graph resolves them), so the project pass can name the agents that use them.
    holders: Vec<crate::model::identity::Identity>,
    /// Whether the rule already found, in the same file, that an agent holds the grant.
    agent_context: bool,
}

impl Finding {
    pub fn rule(&self) -> &'static str {
        self.rule
    }

    pub fn family(&self) -> Family {
        self.family
    }

    pub fn severity(&self) -> Severity {
        self.severity
    }

    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// What is wrong and why it matters.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do instead.
    pub fn help(&self) -> Option<&str> {
        self.help.as_deref()
    }

    pub fn primary(&self) -> &Label {
        &self.primary
    }

    /// Other places involved, possibly in other files.
    pub fn related(&self) -> &[Label] {
        &self.related
    }

    /// The workload or agent the finding concerns, when known.
    pub fn workload(&self) -> Option<&str> {
        self.workload.as_deref()
    }

    pub fn evidence(&self) -> Option<&Redacted> {
        self.evidence.as_ref()
    }

    /// Set once findings are sorted ([`finalize`]); empty before.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Secret spans in the finding's own file that reports must mask.
    pub fn mask(&self) -> &[(Span, usize)] {
        &self.mask
    }

    /// For a grant: the identities holding it.
    pub(crate) fn holders(&self) -> &[crate::model::identity::Identity] {
        &self.holders
    }

    /// Whether an agent holding the grant is already named.
    pub(crate) fn agent_context(&self) -> bool {
        self.agent_context
    }

    /// Change a built finding: every change goes through the builder again, which
    /// sanitises what it is given.
    pub(crate) fn amend(self) -> FindingBuilder {
        FindingBuilder { finding: self }
    }

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

/// Builds a [`Finding`]; redaction happens here, before any reporter can see it.
pub struct FindingBuilder {
    finding: Finding,
}

impl FindingBuilder {
    pub(crate) fn new(
        meta: &'static RuleMeta,
        path: &Arc<str>,
        span: Span,
        message: impl Into<String>,
    ) -> Self {
        Self {
            finding: Finding {
                rule: meta.id,
                family: meta.family,
                severity: meta.severity,
                confidence: meta.confidence,
                message: message.into(),
                help: None,
                primary: Label::new(path, span, String::new()),
                related: Vec::new(),
                workload: None,
                evidence: None,
                fingerprint: String::new(),
                fingerprint_key: String::new(),
                mask: Vec::new(),
                holders: Vec::new(),
                agent_context: false,
            },
        }
    }

    /// A finding of any rule id and family, for reporters' tests.
    #[cfg(test)]
    pub(crate) fn raw(
        rule: &'static str,
        family: Family,
        severity: Severity,
        confidence: Confidence,
        primary: Label,
        message: impl Into<String>,
    ) -> Self {
        let mut b = Self {
            finding: Finding {
                rule,
                family,
                severity,
                confidence,
                message: message.into(),
                help: None,
                primary,
                related: Vec::new(),
                workload: None,
                evidence: None,
                fingerprint: String::new(),
                fingerprint_key: String::new(),
                mask: Vec::new(),
                holders: Vec::new(),
                agent_context: false,
            },
        };
        b.finding.fingerprint_key = b.finding.message.clone();
        b
    }

    /// A fixed fingerprint, for reporters' tests.
    #[cfg(test)]
    pub(crate) fn fingerprint(mut self, fingerprint: &str) -> Self {
        self.finding.fingerprint = fingerprint.to_owned();
        self
    }

    /// The annotation under the primary span.
    pub(crate) fn label(mut self, text: impl Into<String>) -> Self {
        self.finding.primary.message = text.into();
        self
    }

    pub(crate) fn help(mut self, text: impl Into<String>) -> Self {
        self.finding.help = Some(text.into());
        self
    }

    pub(crate) fn related(mut self, path: &Arc<str>, span: Span, text: impl Into<String>) -> Self {
        self.finding.related.push(Label::new(path, span, text));
        self
    }

    /// Another place involved, already built as a label.
    pub(crate) fn related_label(mut self, label: Label) -> Self {
        self.finding.related.push(label);
        self
    }

    /// Replace the message (when a later pass adds what it learned).
    pub(crate) fn message(mut self, text: impl Into<String>) -> Self {
        self.finding.message = text.into();
        self
    }

    /// The identities that hold the grant this finding is about.
    pub(crate) fn holders(mut self, holders: Vec<crate::model::identity::Identity>) -> Self {
        self.finding.holders = holders;
        self
    }

    /// The rule already tied the grant to an AI agent (and raised the severity), so the
    /// project pass only adds locations.
    pub(crate) fn agent_context(mut self, known: bool) -> Self {
        self.finding.agent_context = known;
        self
    }

    pub(crate) fn workload(mut self, name: impl Into<String>) -> Self {
        self.finding.workload = Some(name.into());
        self
    }

    pub(crate) fn severity(mut self, severity: Severity) -> Self {
        self.finding.severity = severity;
        self
    }

    pub(crate) fn confidence(mut self, confidence: Confidence) -> Self {
        self.finding.confidence = confidence;
        self
    }

    /// Evidence that is already safe to print.
    pub(crate) fn evidence(mut self, evidence: Redacted) -> Self {
        self.finding.evidence = Some(evidence);
        self
    }

    /// What identifies this finding within its file across edits (a document path, a
    /// redacted value, an identity name); never a line number.
    pub(crate) fn key(mut self, key: impl Into<String>) -> Self {
        self.finding.fingerprint_key = key.into();
        self
    }

    /// A secret value at `span` in this file, of which the first `visible` bytes are
    /// public: the quoted source shows it masked. Only rules that report values the
    /// credential catalog does not match need this.
    pub(crate) fn mask(mut self, span: Span, visible: usize) -> Self {
        self.finding.mask.push((span, visible));
        self
    }

    /// Pass every text the finding shows (message, labels, help, workload, evidence)
    /// through `f`: the pipeline masks the secrets of the whole scan with it.
    pub(crate) fn map_text(mut self, f: impl Fn(&str) -> String) -> Self {
        let x = &mut self.finding;
        x.message = f(&x.message);
        x.primary.message = f(&x.primary.message);
        for r in &mut x.related {
            r.message = f(&r.message);
        }
        x.help = x.help.as_deref().map(&f);
        x.workload = x.workload.as_deref().map(&f);
        x.evidence = x.evidence.as_ref().map(|e| Redacted::plain(f(e.as_str())));
        self
    }

    pub(crate) fn build(mut self) -> Finding {
        // Messages and labels quote names and values from hostile files: no terminal
        // controls, and no line breaks (a name holding `\n::error::…` would start a
        // line of its own in plain-text output).
        let f = &mut self.finding;
        f.message = one_line(&f.message).into_owned();
        f.primary.message = one_line(&f.primary.message).into_owned();
        for r in &mut f.related {
            r.message = one_line(&r.message).into_owned();
        }
        f.help = f.help.as_deref().map(|h| one_line(h).into_owned());
        f.workload = f.workload.as_deref().map(|w| one_line(w).into_owned());
        if let Some(e) = &f.evidence
            && let std::borrow::Cow::Owned(clean) = one_line(e.as_str())
        {
            f.evidence = Some(Redacted::plain(clean));
        }
        if self.finding.fingerprint_key.is_empty() {
            self.finding.fingerprint_key = self
                .finding
                .evidence
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_else(|| self.finding.message.clone());
        }
        self.finding
    }
}

/// Sort findings deterministically and give each its fingerprint.
pub fn finalize(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
    let mut occurrences: HashMap<(&'static str, Arc<str>, String), usize> = HashMap::new();
    for f in findings.iter_mut() {
        let n = occurrences
            .entry((
                f.rule,
                Arc::clone(&f.primary.path),
                f.fingerprint_key.clone(),
            ))
            .or_insert(0);
        f.fingerprint = f.compute_fingerprint(*n);
        *n += 1;
    }
}
