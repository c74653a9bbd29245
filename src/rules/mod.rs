//! The rule registry and the machinery every rule shares.
//!
//! Semantic rules are Rust, one file per rule id, with the user documentation as the
//! doc comment of the rule's struct (captured by [`declare_rule!`]). Credential
//! formats are data (`rules/*.toml`, see [`crate::model::catalog`]) and reach findings through
//! the `human-token` and `machine-secret-literal` rules.

use std::sync::Arc;

use crate::findings::Finding;
pub(crate) use crate::findings::{FindingBuilder, RuleMeta};
use crate::model::catalog::CredentialMatch;
use crate::model::facts::{FileFacts, ProjectFacts};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::Parsed;
use crate::syntax::source::{SourceFile, Span};

/// A rule is on by default unless its declaration says `default_enabled: false`.
pub(crate) const fn default_enabled(given: &[bool]) -> bool {
    match given {
        [enabled, ..] => *enabled,
        [] => true,
    }
}

/// Declare a rule: its struct, its documentation (the doc comment), its metadata and
/// the file kinds it applies to, in one place. Generates the [`Described`] impl, so a
/// rule file only writes its checks (`impl Rule`).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub(crate) struct $name:ident {
            id: $id:literal,
            family: $family:ident,
            severity: $severity:ident,
            confidence: $confidence:ident,
            summary: $summary:literal
            $(, default_enabled: $enabled:literal)?
            $(, applies_to: |$kind:ident| $applies:expr)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub(crate) struct $name;

        impl $name {
            pub(crate) const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $id,
                family: $crate::findings::Family::$family,
                severity: $crate::findings::Severity::$severity,
                confidence: $crate::findings::Confidence::$confidence,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
                default_enabled: $crate::rules::default_enabled(&[$($enabled)?]),
            };
        }

        impl $crate::rules::Described for $name {
            fn meta(&self) -> &'static $crate::rules::RuleMeta {
                &Self::META
            }

            $(
            fn applies_to(&self, $kind: $crate::syntax::classify::FileKind) -> bool {
                $applies
            }
            )?
        }
    };
}

// Rule files see the macro by textual scope; tests elsewhere declare rules by path.
#[cfg(test)]
pub(crate) use declare_rule;

mod admin_managed_policy;
mod agent_acts_as_person;
mod agent_approval_bypassed;
mod agent_host_escape;
mod agent_sensitive_path_access;
mod agent_unrestricted_tool;
mod anonymous_role_session;
mod audit_logging_disabled;
mod broad_oauth_scope;
mod credential;
mod default_service_account;
mod generic_shared_account;
mod gha_broad_permissions;
mod grant_exceeds_task;
mod human_and_agent_share_role;
mod human_credential_mount;
mod human_token;
mod human_token_reference;
mod identity_shared_by_agents;
mod k8s_broad_rbac;
mod long_lived_cloud_key;
mod machine_secret_literal;
mod personal_identity;
mod privilege_escalation_action;
pub(crate) mod run;
mod short_log_retention;
mod undeclared_agent;
mod user_oauth_credentials;
mod wildcard_iam_action;
pub(crate) mod wildcard_iam_resource;

/// What [`declare_rule!`] generates for every rule: its metadata and the file kinds
/// it applies to.
pub(crate) trait Described {
    fn meta(&self) -> &'static RuleMeta;

    /// Cheap filter on the file kind, so rules never see files they cannot apply to.
    fn applies_to(&self, _kind: FileKind) -> bool {
        true
    }
}

/// A rule's checks. A rule overrides the pass it needs: per file, or over the facts of
/// the whole project (cross-file rules).
pub(crate) trait Rule: Described + Send + Sync {
    fn check_file(&self, _cx: &FileCx<'_>, _out: &mut Vec<Finding>) {}

    fn check_project(&self, _cx: &ProjectCx<'_>, _out: &mut Vec<Finding>) {}
}

/// Every built-in rule, in catalog order.
pub(crate) fn registry() -> &'static [&'static dyn Rule] {
    static RULES: &[&dyn Rule] = &[
        &human_token::HumanToken,
        &human_token_reference::HumanTokenReference,
        &human_credential_mount::HumanCredentialMount,
        &personal_identity::PersonalIdentity,
        &user_oauth_credentials::UserOauthCredentials,
        &default_service_account::DefaultServiceAccount,
        &identity_shared_by_agents::IdentitySharedByAgents,
        &human_and_agent_share_role::HumanAndAgentShareRole,
        &generic_shared_account::GenericSharedAccount,
        &wildcard_iam_action::WildcardIamAction,
        &wildcard_iam_resource::WildcardIamResource,
        &privilege_escalation_action::PrivilegeEscalationAction,
        &admin_managed_policy::AdminManagedPolicy,
        &k8s_broad_rbac::K8sBroadRbac,
        &gha_broad_permissions::GhaBroadPermissions,
        &broad_oauth_scope::BroadOauthScope,
        &agent_host_escape::AgentHostEscape,
        &agent_approval_bypassed::AgentApprovalBypassed,
        &agent_unrestricted_tool::AgentUnrestrictedTool,
        &agent_sensitive_path_access::AgentSensitivePathAccess,
        &grant_exceeds_task::GrantExceedsTask,
        &undeclared_agent::UndeclaredAgent,
        &anonymous_role_session::AnonymousRoleSession,
        &agent_acts_as_person::AgentActsAsPerson,
        &audit_logging_disabled::AuditLoggingDisabled,
        &short_log_retention::ShortLogRetention,
        &machine_secret_literal::MachineSecretLiteral,
        &long_lived_cloud_key::LongLivedCloudKey,
    ];
    RULES
}

pub(crate) fn find(id: &str) -> Option<&'static dyn Rule> {
    registry().iter().copied().find(|r| r.meta().id == id)
}

/// What a per-file rule sees: the file, its parsed tree (when it parsed), the
/// credentials the catalog matched in it, and the facts extracted from it.
pub(crate) struct FileCx<'a> {
    pub(crate) file: &'a SourceFile,
    pub(crate) path: &'a Arc<str>,
    pub(crate) parsed: Option<&'a Parsed>,
    pub(crate) credentials: &'a [CredentialMatch],
    pub(crate) facts: &'a FileFacts,
    /// The run's credential catalog (built in, plus the project's own rule files).
    pub(crate) catalog: &'a crate::model::catalog::Catalog,
}

impl FileCx<'_> {
    /// Start a finding of `meta` at `span` in this file.
    pub(crate) fn finding(
        &self,
        meta: &'static RuleMeta,
        span: Span,
        message: impl Into<String>,
    ) -> FindingBuilder {
        FindingBuilder::new(meta, self.path, span, message)
    }

    /// Every document of the file (none when it did not parse).
    pub(crate) fn documents(&self) -> impl Iterator<Item = &crate::syntax::doc::Document> {
        self.parsed.into_iter().flat_map(|p| p.documents.iter())
    }

    /// The span of `needle` inside a node's source text, for a finding on part of a
    /// value (the host side of `~/.aws:/root/.aws`); the node's span when the text was
    /// unescaped or joined and no longer appears verbatim.
    pub(crate) fn span_within(&self, node: &crate::syntax::doc::Node, needle: &str) -> Span {
        self.span_in(node.span, needle)
    }

    /// [`Self::span_within`] for a value of the model, by the span of its node.
    pub(crate) fn span_in(&self, span: Span, needle: &str) -> Span {
        let raw = self.file.slice(span);
        match raw.find(needle) {
            Some(i) if !needle.is_empty() => {
                let start = span.start as usize + i;
                Span::new(start, start + needle.len())
            }
            _ => span,
        }
    }
}

/// What a project rule sees: the facts of every file.
pub(crate) struct ProjectCx<'a> {
    pub(crate) facts: &'a ProjectFacts,
    /// The `[[agent]]` declarations of `lanyard.toml`.
    pub(crate) agents: &'a [crate::model::scope::AgentDecl],
    /// The display path of the config file the declarations come from.
    pub(crate) config_path: Option<&'a Arc<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Family;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = HashSet::new();
        for rule in registry() {
            let m = rule.meta();
            assert!(seen.insert(m.id), "duplicate rule id {}", m.id);
            assert!(
                m.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !m.id.starts_with('-')
                    && !m.id.ends_with('-'),
                "rule id {} is not kebab-case",
                m.id
            );
            for banned in ["avoid-", "use-", "prefer-"] {
                assert!(
                    !m.id.starts_with(banned),
                    "rule id {} names the fix, not the problem",
                    m.id
                );
            }
            let docs = m.docs_text();
            for heading in [
                "## What it finds",
                "## Why it matters",
                "## What to do instead",
                "## Example",
            ] {
                assert!(
                    docs.contains(heading),
                    "rule {} docs lack `{heading}`",
                    m.id
                );
            }
            assert!(
                !m.summary.is_empty() && !m.summary.ends_with('.'),
                "rule {} summary",
                m.id
            );
        }
    }

    #[test]
    fn every_family_has_a_rule() {
        for family in Family::ALL {
            assert!(
                registry().iter().any(|r| r.meta().family == family),
                "no rule in family {family}"
            );
        }
    }

    #[test]
    fn every_rule_has_fixtures_that_fire_and_stay_silent() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
        for rule in registry() {
            let id = rule.meta().id;
            for sub in ["fire", "silent"] {
                let dir = root.join(id).join(sub);
                let has_files = std::fs::read_dir(&dir)
                    .map(|mut d| d.next().is_some())
                    .unwrap_or(false);
                assert!(has_files, "rule {id} has no fixtures in {}", dir.display());
            }
        }
    }
}
