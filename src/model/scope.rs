//! Task scopes: the `[[agent]]` declarations of `lanyard.toml`, which say what each
//! agent's job needs. The settings layer deserialises them; the model matches them to
//! workloads and compares them with grants.

use serde::Deserialize;

/// An `[[agent]]` declaration: which workloads it names and what their task needs.
/// A platform table left out means the task needs nothing there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentDecl {
    /// Kept with its span: findings point back at the declaration.
    pub name: toml::Spanned<String>,
    /// Which workloads this is; empty means the workload named `name`.
    #[serde(default, rename = "match")]
    pub matches: AgentMatch,
    pub aws: Option<AwsNeeds>,
    pub gcp: Option<RoleNeeds>,
    pub azure: Option<RoleNeeds>,
    pub kubernetes: Option<K8sNeeds>,
    pub github: Option<GithubNeeds>,
    pub oauth: Option<OauthNeeds>,
    pub mcp: Option<McpNeeds>,
    /// Whether the agent may hold a person's credential (never, by default).
    #[serde(default)]
    pub human_credentials: bool,
}

/// Every key given must match (a workload named by two keys is that workload only).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentMatch {
    /// Exact workload name as `lanyard inventory` prints it.
    pub workload: Option<String>,
    /// Glob of the file defining the workload, relative to the scan root.
    pub path: Option<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    /// AWS role name or ARN.
    pub role: Option<String>,
    /// GCP service account email or account id.
    pub gcp_service_account: Option<String>,
    pub mcp_server: Option<String>,
    /// Workflow job id.
    pub job: Option<String>,
}

impl AgentMatch {
    pub fn is_empty(&self) -> bool {
        self.workload.is_none()
            && self.path.is_none()
            && self.namespace.is_none()
            && self.service_account.is_none()
            && self.role.is_none()
            && self.gcp_service_account.is_none()
            && self.mcp_server.is_none()
            && self.job.is_none()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AwsNeeds {
    /// IAM actions, wildcards allowed (`s3:Get*`).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Resource ARN patterns, wildcards allowed.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Managed policy ARNs the task accepts as attached.
    #[serde(default)]
    pub managed_policies: Vec<String>,
}

/// GCP or Azure: roles and the scopes (project, folder, organization, resource) they
/// may be granted on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RoleNeeds {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct K8sNeeds {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    /// Namespaces; `*` accepts a cluster-wide grant.
    #[serde(default)]
    pub namespaces: Vec<String>,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GithubNeeds {
    /// Token permission per scope (`contents = "read"`); `"*"` stands for every scope.
    #[serde(default)]
    pub permissions: std::collections::BTreeMap<String, AccessLevel>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OauthNeeds {
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McpNeeds {
    /// MCP server names the agent may call.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Directories filesystem servers may be rooted at (a root inside one is fine).
    #[serde(default)]
    pub filesystem: Vec<String>,
}
