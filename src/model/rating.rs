//! The vocabulary every finding is rated in: the five families of the rule catalog,
//! severities and confidences. It lives in the model because the knowledge tables
//! (credential formats, permissions) carry severities of their own.

use std::fmt;

use serde::Serialize;

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

    /// One step lower (a condition or a limit narrows the grant), down to low.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Low | Severity::Medium => Severity::Low,
            Severity::High => Severity::Medium,
            Severity::Critical => Severity::High,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_names_round_trip() {
        for f in Family::ALL {
            assert_eq!(Family::parse(f.as_str()), Some(f));
        }
    }
}
