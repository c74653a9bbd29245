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
    /// The mode an agent harness runs in (`bypassPermissions`, `never/danger-full-access`),
    /// on the scale of [`crate::model::harness`].
    HarnessMode {
        harness: String,
        mode: String,
        level: u8,
    },
    /// A tool an agent harness runs without asking: an allow rule no deny covers, in the
    /// harness's own syntax, or an auto-approved MCP tool as `mcp__<server>__<tool>`.
    HarnessTool {
        harness: String,
        rule: String,
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

/// A scalar as written in a file, as the grant views keep it: its text (for a
/// reference or expression, its source text; empty for a mapping or list), whether it
/// is a literal string, number or bool, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) text: String,
    pub(crate) literal: bool,
    pub(crate) span: Span,
}

impl Value {
    /// Any node: its scalar text, literal when it is a string, number or bool (tags
    /// are not looked at).
    pub(crate) fn of(node: &crate::syntax::doc::Node) -> Value {
        Value {
            text: node.as_text().unwrap_or("").to_owned(),
            literal: node.as_str().is_some(),
            span: node.span,
        }
    }

    /// The text, when the value is a literal.
    pub(crate) fn as_str(&self) -> Option<&str> {
        self.literal.then_some(self.text.as_str())
    }

    pub(crate) fn is_star(&self) -> bool {
        self.as_str() == Some("*")
    }
}

/// A GCP or Azure role granted by a Terraform block: the view `admin-managed-policy`
/// and the grants model read instead of walking the blocks.
#[derive(Debug, Clone)]
pub(crate) struct RoleBinding {
    /// Index of the document in its file.
    pub(crate) doc: usize,
    /// Document path of the granting block (`resource.google_project_iam_member.agent`):
    /// a stable key, and where the holder is looked up.
    pub(crate) path: String,
    /// The role as written (`roles/owner`, `Owner`, a role definition id).
    pub(crate) role: Value,
    pub(crate) on: RoleTarget,
    /// Who it is granted to: the GCP members that are service accounts, the Azure
    /// principal; scoped references until the project pass resolves them.
    pub(crate) holders: Vec<crate::model::identity::Identity>,
    /// Why the holder visibly belongs to an AI agent, from this file alone
    /// ([`crate::model::iam::holder_agent`]).
    pub(crate) agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoleTarget {
    /// A `google_*_iam_member` or `google_*_iam_binding` resource: the level its type
    /// names (`None` when it names none) and the resource it is on (`projects/p`).
    GcpResource {
        level: Option<GcpLevel>,
        scope: String,
    },
    /// A `binding` of a `data "google_iam_policy"`, at the level of the `*_iam_policy`
    /// resource of this file that uses it, if any.
    GcpPolicyDocument { level: Option<GcpLevel> },
    /// An `azurerm_role_assignment`: whether the role is given by name (not by
    /// definition id), its `scope` as written, and which broad scope that is.
    Azure {
        by_name: bool,
        scope: Option<String>,
        level: Option<AzureScope>,
    },
}

/// Where a GCP IAM resource type binds roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GcpLevel {
    /// `project`, `folder`, `organization`.
    Hierarchy(String),
    /// A single resource (`storage_bucket`, `service_account`).
    Resource(String),
}

/// The broad Azure scopes a role assignment can target; a single resource is none of
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AzureScope {
    ManagementGroup,
    Subscription,
    ResourceGroup,
}
