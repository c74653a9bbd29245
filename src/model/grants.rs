//! What each identity and workload is granted, on every platform lanyard reads, and
//! how that compares with the task an `[[agent]]` declaration says it has.
//!
//! Per file, [`extract`] records grants with their holders (AWS policy statements and
//! managed policy attachments, GCP and Azure role bindings, GitHub token permissions,
//! OAuth scopes, MCP servers and their filesystem roots, a person's credential) and
//! the raw Kubernetes RBAC objects. The project pass ([`resolve`]) resolves holders to
//! canonical identities and joins RBAC bindings with roles across files. Rules and
//! `inventory --suggest` then ask what a workload holds ([`held_by`]) and whether a
//! declaration covers it ([`excess`]).

use std::sync::Arc;

use serde::Deserialize;

use crate::model::identity::Identity;
use crate::syntax::source::Span;

/// Who holds a grant: an identity (joined across files), or one workload directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Identity(Identity),
    Workload { name: String, path: Arc<str> },
}

/// A value of a grant with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// One allowing IAM statement. `NotAction`/`NotResource` read as `*`.
    Aws {
        actions: Vec<Written>,
        resources: Vec<Written>,
    },
    /// A managed policy attached by ARN; its statements are not in the repository.
    AwsManaged {
        arn: String,
    },
    Gcp {
        role: String,
        scope: String,
    },
    Azure {
        role: String,
        scope: String,
    },
    /// One RBAC rule, through a binding; `namespace` is `None` cluster-wide.
    K8s {
        verbs: Vec<String>,
        resources: Vec<String>,
        namespace: Option<String>,
        /// `ClusterRole admin` via `RoleBinding agents/x`, for messages.
        via: String,
        /// Where the resources are written (the grant's span is the verbs').
        resources_at: Span,
    },
    /// A GitHub token permission; scope `*` for `read-all`/`write-all`.
    Github {
        scope: String,
        level: AccessLevel,
    },
    Oauth {
        scope: String,
    },
    McpServer {
        server: String,
    },
    McpRoot {
        server: String,
        root: String,
    },
    /// A person's credential (redacted label only).
    HumanCredential {
        label: String,
    },
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub holder: Holder,
    pub what: What,
    pub path: Arc<str>,
    /// Where the grant is written (the statement, the role, the permission value).
    pub span: Span,
    /// Stable within the file: a document path, never a line or a secret.
    pub key: String,
}

/// A Role or ClusterRole, waiting for its bindings.
#[derive(Debug, Clone)]
pub(crate) struct K8sRole {
    pub(crate) cluster: bool,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) path: Arc<str>,
    /// Verbs, resources, and where each list is written.
    pub(crate) rules: Vec<(Vec<String>, Vec<String>, Span, Span)>,
}

#[derive(Debug, Clone)]
pub(crate) struct K8sBinding {
    pub(crate) cluster: bool,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) role_cluster: bool,
    pub(crate) role_name: String,
    pub(crate) role_span: Span,
    pub(crate) path: Arc<str>,
    /// Service accounts `(namespace, name)`.
    pub(crate) subjects: Vec<(String, String)>,
}

/// Grants of a file, or of the project once [`resolve`]d.
#[derive(Debug, Default)]
pub struct Grants {
    pub grants: Vec<Grant>,
    pub(crate) k8s_roles: Vec<K8sRole>,
    pub(crate) k8s_bindings: Vec<K8sBinding>,
}

impl Grants {
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty() && self.k8s_roles.is_empty() && self.k8s_bindings.is_empty()
    }

    pub fn merge(&mut self, other: Grants) {
        self.grants.extend(other.grants);
        self.k8s_roles.extend(other.k8s_roles);
        self.k8s_bindings.extend(other.k8s_bindings);
    }
}

/// A name as written, with its span.
pub(crate) fn written(text: &str, span: Span) -> Written {
    Written {
        text: text.to_owned(),
        span,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    None,
    Read,
    Write,
}

impl AccessLevel {
    pub fn parse(s: &str) -> Option<AccessLevel> {
        match s {
            "none" => Some(AccessLevel::None),
            "read" => Some(AccessLevel::Read),
            "write" => Some(AccessLevel::Write),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::None => "none",
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
        }
    }
}
