//! Permission knowledge as data (`rules/permissions.toml`): admin policies and roles,
//! privilege-escalation actions, sensitive actions, dangerous RBAC, broad OAuth
//! scopes. Compiled once; rules ask it questions.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::iam::action_matches;

const BUILTIN: &str = include_str!("../../rules/permissions.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    pub version: u32,
    pub aws: Aws,
    pub gcp: Roles,
    pub azure: Azure,
    pub kubernetes: Kubernetes,
    pub oauth: OAuth,
    #[serde(default)]
    pub audit: Audit,
}

/// How long audit evidence must be kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// Fewer days of log retention than this lose an agent's actions before an
    /// incident is usually noticed and investigated.
    pub min_log_retention_days: u32,
    pub why_retention: String,
}

impl Default for Audit {
    fn default() -> Self {
        Self {
            min_log_retention_days: 90,
            why_retention: String::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aws {
    pub admin_policy: Vec<Named>,
    pub privilege_escalation: Vec<Escalation>,
    pub sensitive: Sensitive,
    #[serde(default)]
    pub conditions: Conditions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Condition keys that pin what a statement grants to one service, source, tag,
    /// key use or policy (`iam:PassedToService`, `aws:SourceArn`, `kms:ViaService`);
    /// patterns with `*`.
    #[serde(default)]
    pub pinning: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub name: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    /// Every one of these must be granted.
    pub actions: Vec<String>,
    #[serde(default)]
    pub on_star_only: bool,
    /// An escalation only on identities other than the caller: limited to the caller's
    /// own user (`user/${aws:username}`), it is self-service (rotating one's own keys).
    #[serde(default)]
    pub others_only: bool,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensitive {
    pub actions: Vec<String>,
    pub write_verbs: Vec<String>,
    /// Writes that touch only the caller's own telemetry (logs, metrics, traces): not
    /// reported on `Resource: "*"`. Patterns with `*`.
    #[serde(default)]
    pub unscopable: Vec<String>,
    /// Actions that accept no resource but `*` (AWS's Service Authorization Reference
    /// lists no resource type for them): `Resource: "*"` is the only way to grant them,
    /// so it is not reported. Patterns with `*`.
    #[serde(default)]
    pub star_only: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    pub role: Vec<Role>,
    /// Which service's Data Access audit logs record what a role's holder does.
    #[serde(default)]
    pub data_access: Vec<DataAccess>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataAccess {
    /// A role pattern (`roles/storage.*`).
    pub roles: String,
    /// The service its calls go to (`storage.googleapis.com`).
    pub service: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub role: String,
    pub why: String,
    /// The built-in role's definition id (Azure), by which role assignments and ARM
    /// templates name it.
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Azure {
    pub role: Vec<Role>,
    /// Actions of custom role definitions that let the holder grant itself more.
    #[serde(default)]
    pub escalation: Vec<AzureAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureAction {
    pub action: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    pub cluster_role: Vec<Named>,
    pub escalating_verbs: Vec<String>,
    pub dangerous_resources: Vec<String>,
    /// Verbs that return a Secret's data.
    pub secret_read_verbs: Vec<String>,
    /// API groups that serve reads only, whatever verbs a rule grants there.
    #[serde(default)]
    pub read_only_api_groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth {
    pub scope: Vec<Scope>,
    /// Scopes a broad pattern would match that are narrow after all (read-only
    /// variants); checked first.
    #[serde(default)]
    pub narrow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub provider: String,
    pub scope: String,
    pub why: String,
    /// What to request instead (goes into the finding's help).
    #[serde(default)]
    pub instead: Option<String>,
}

impl Knowledge {
    /// The knowledge shipped in the binary. A test proves it parses, so `None` only
    /// happens if the embedded file was broken at build time.
    pub fn builtin() -> Option<&'static Knowledge> {
        static K: OnceLock<Option<Knowledge>> = OnceLock::new();
        K.get_or_init(|| toml::from_str(BUILTIN).ok()).as_ref()
    }

    /// The AWS managed policy an ARN or name refers to, if it is an admin policy.
    /// `arn:aws:iam::aws:policy/AdministratorAccess`, `.../job-function/...` and bare
    /// names are all accepted; customer-managed ARNs are not AWS's.
    pub fn aws_admin_policy(&self, arn_or_name: &str) -> Option<&Named> {
        let name = if let Some(rest) = arn_or_name.strip_prefix("arn:") {
            // arn:<partition>:iam::aws:policy/<path/>Name
            let (_, policy) = rest.split_once(":iam::aws:policy/")?;
            policy.rsplit('/').next()?
        } else {
            arn_or_name
        };
        self.aws
            .admin_policy
            .iter()
            .find(|p| action_matches(&p.name, name))
    }

    /// Whether an action writes, reads secrets or hands over a role: the actions that
    /// must be scoped to named resources.
    pub fn aws_is_sensitive(&self, action: &str) -> bool {
        if self
            .aws
            .sensitive
            .actions
            .iter()
            .any(|a| action_matches(a, action))
        {
            return true;
        }
        let Some((_, name)) = action.split_once(':') else {
            return false;
        };
        self.aws.sensitive.write_verbs.iter().any(|v| {
            name.len() > v.len()
                && name.as_bytes()[..v.len()].eq_ignore_ascii_case(v.as_bytes())
                && name.as_bytes()[v.len()].is_ascii_uppercase()
        })
    }

    /// The sensitive action an action or partial-wildcard pattern (`s3:Put*`,
    /// `secretsmanager:Get*`, `iam:*Policy*`) can grant, if any: the first listed
    /// sensitive action it matches, or `service:Verb*` for a write verb its literal
    /// prefix is compatible with (an over-approximation: `s3:P*` may write).
    pub fn aws_sensitive_in(&self, pattern: &str) -> Option<String> {
        if !pattern.contains(['*', '?']) {
            let sensitive = &self.aws.sensitive;
            let unscopable = sensitive
                .unscopable
                .iter()
                .chain(&sensitive.star_only)
                .any(|a| action_matches(a, pattern));
            return (!unscopable && self.aws_is_sensitive(pattern)).then(|| pattern.to_owned());
        }
        if let Some(a) = self
            .aws
            .sensitive
            .actions
            .iter()
            .find(|a| action_matches(pattern, a))
        {
            return Some(a.clone());
        }
        let (service, name) = pattern.split_once(':')?;
        let literal = &name[..name.find(['*', '?']).unwrap_or(name.len())];
        self.aws
            .sensitive
            .write_verbs
            .iter()
            .find(|v| {
                if literal.len() >= v.len() {
                    literal.as_bytes()[..v.len()].eq_ignore_ascii_case(v.as_bytes())
                        && literal
                            .as_bytes()
                            .get(v.len())
                            .is_none_or(u8::is_ascii_uppercase)
                } else {
                    v.as_bytes()[..literal.len()].eq_ignore_ascii_case(literal.as_bytes())
                }
            })
            .map(|v| format!("{service}:{v}*"))
    }

    /// Whether an action accepts only `Resource: "*"` or writes only the caller's own
    /// telemetry, so that `*` is no finding.
    pub fn aws_star_only(&self, action: &str) -> bool {
        let sensitive = &self.aws.sensitive;
        sensitive
            .unscopable
            .iter()
            .chain(&sensitive.star_only)
            .any(|a| action_matches(a, action))
    }

    /// The condition keys of a statement that pin what it grants (to one service,
    /// source, tag, key use or policy), each once.
    pub(crate) fn aws_pinning<'a>(
        &self,
        conditions: &'a [crate::model::iam::ConditionKey],
    ) -> Vec<&'a crate::model::iam::ConditionKey> {
        let mut out: Vec<&crate::model::iam::ConditionKey> = Vec::new();
        for c in conditions {
            if self
                .aws
                .conditions
                .pinning
                .iter()
                .any(|p| action_matches(p, &c.key))
                && !out.iter().any(|o| o.key == c.key)
            {
                out.push(c);
            }
        }
        out
    }

    /// The condition keys that pin what `st` grants, in words for a message:
    /// `` `iam:PassedToService` = `ecs-tasks.amazonaws.com` ``.
    pub(crate) fn aws_pinned_by(&self, st: &crate::model::iam::IamStatement) -> Option<String> {
        let keys = self.aws_pinning(&st.conditions);
        if keys.is_empty() {
            return None;
        }
        let parts: Vec<String> = keys
            .iter()
            .map(|c| match c.values.as_slice() {
                [] => format!("`{}`", c.key),
                [one] => format!("`{}` = `{one}`", c.key),
                many => format!("`{}` in `{}`", c.key, many.join("`, `")),
            })
            .collect();
        Some(parts.join(", "))
    }

    /// The service whose Data Access audit logs record what the holder of a GCP role
    /// reads and writes, for the roles that reach data.
    pub fn gcp_data_service(&self, role: &str) -> Option<&str> {
        self.gcp
            .data_access
            .iter()
            .find(|d| action_matches(&d.roles, role))
            .map(|d| d.service.as_str())
    }

    pub fn gcp_role(&self, role: &str) -> Option<&Role> {
        self.gcp.role.iter().find(|r| action_matches(&r.role, role))
    }

    pub fn azure_role(&self, role: &str) -> Option<&Role> {
        self.azure
            .role
            .iter()
            .find(|r| r.role.eq_ignore_ascii_case(role))
    }

    /// The broad built-in Azure role a role definition id names: the bare GUID, or a
    /// resource id ending in it (`/subscriptions/…/providers/Microsoft.Authorization/
    /// roleDefinitions/<guid>`), or any text holding it (an ARM expression such as
    /// `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '<guid>')]`).
    pub fn azure_role_by_id(&self, text: &str) -> Option<&Role> {
        let lower = text.to_ascii_lowercase();
        self.azure.role.iter().find(|r| {
            r.id.as_deref()
                .is_some_and(|id| lower.contains(&id.to_ascii_lowercase()))
        })
    }

    /// The escalation an Azure action pattern of a custom role allows, if any: the first
    /// listed escalating action it matches (`*`, `*/write`, `Microsoft.Authorization/*`
    /// all match `Microsoft.Authorization/roleAssignments/write`).
    pub fn azure_escalation(&self, pattern: &str) -> Option<&AzureAction> {
        self.azure
            .escalation
            .iter()
            .find(|e| action_matches(pattern, &e.action))
    }

    pub fn k8s_admin_role(&self, name: &str) -> Option<&Named> {
        self.kubernetes.cluster_role.iter().find(|r| r.name == name)
    }

    /// Whether an RBAC verb reads Secret data (`*` included).
    pub fn k8s_reads_secrets(&self, verb: &str) -> bool {
        verb == "*" || self.kubernetes.secret_read_verbs.iter().any(|v| v == verb)
    }

    /// Whether an API group serves reads only (the metrics APIs).
    pub fn k8s_read_only_group(&self, group: &str) -> bool {
        self.kubernetes
            .read_only_api_groups
            .iter()
            .any(|g| g == group)
    }

    pub fn k8s_escalating_verb(&self, verb: &str) -> bool {
        self.kubernetes.escalating_verbs.iter().any(|v| v == verb)
    }

    pub fn k8s_dangerous_resource(&self, resource: &str) -> bool {
        self.kubernetes
            .dangerous_resources
            .iter()
            .any(|r| r == resource)
    }

    pub fn broad_scope(&self, scope: &str) -> Option<&Scope> {
        if self.oauth.narrow.iter().any(|n| action_matches(n, scope)) {
            return None;
        }
        self.oauth
            .scope
            .iter()
            .find(|s| action_matches(&s.scope, scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_knowledge_parses() {
        let k = Knowledge::builtin().expect("rules/permissions.toml parses");
        assert_eq!(k.version, 1);
        assert!(k.aws.privilege_escalation.len() > 10);
    }

    #[test]
    fn questions() {
        let k = Knowledge::builtin().unwrap();
        assert!(
            k.aws_admin_policy("arn:aws:iam::aws:policy/AdministratorAccess")
                .is_some()
        );
        assert!(
            k.aws_admin_policy("arn:aws:iam::aws:policy/AmazonS3FullAccess")
                .is_some()
        );
        assert!(
            k.aws_admin_policy("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
                .is_none()
        );
        assert!(
            k.aws_admin_policy("arn:aws:iam::123456789012:policy/AdministratorAccess")
                .is_none()
        );
        assert!(
            k.aws_admin_policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
                .is_none()
        );
        assert!(k.aws_is_sensitive("s3:PutObject"));
        assert!(k.aws_is_sensitive("iam:PassRole"));
        assert!(k.aws_is_sensitive("secretsmanager:GetSecretValue"));
        assert!(!k.aws_is_sensitive("s3:ListBucket"));
        assert!(!k.aws_is_sensitive("ec2:DescribeInstances"));
        assert!(
            !k.aws_is_sensitive("s3:Putative"),
            "verb must end at a word boundary"
        );
        assert_eq!(k.aws_sensitive_in("s3:Put*").as_deref(), Some("s3:Put*"));
        assert_eq!(k.aws_sensitive_in("s3:p*").as_deref(), Some("s3:Put*"));
        assert_eq!(
            k.aws_sensitive_in("secretsmanager:Get*").as_deref(),
            Some("secretsmanager:GetSecretValue")
        );
        assert_eq!(
            k.aws_sensitive_in("iam:*Policy*").as_deref(),
            Some("iam:Put*")
        );
        assert_eq!(
            k.aws_sensitive_in("iam:PassRole").as_deref(),
            Some("iam:PassRole")
        );
        assert_eq!(k.aws_sensitive_in("ec2:Describe*"), None);
        // Hostile text: multi-byte characters across a verb's length never panic.
        for a in ["s3:Pu\u{e9}*", "s3:P\u{e9}", "s3:Pu\u{e9}x", "s3:\u{e9}*"] {
            let _ = k.aws_sensitive_in(a);
            let _ = k.aws_is_sensitive(a);
        }
        assert_eq!(k.aws_sensitive_in("xray:PutTraceSegments"), None);
        assert!(k.aws_is_sensitive("xray:PutTraceSegments"));
        assert_eq!(k.aws_sensitive_in("s3:List*"), None);
        assert_eq!(k.aws_sensitive_in("s3:Putative*"), None);
        assert_eq!(k.aws_sensitive_in("s3:ListAllMyBuckets"), None);
        assert!(k.gcp_role("roles/owner").is_some());
        assert!(k.gcp_role("roles/storage.admin").is_some());
        assert!(k.gcp_role("roles/storage.objectViewer").is_none());
        assert_eq!(
            k.gcp_data_service("roles/storage.objectAdmin"),
            Some("storage.googleapis.com")
        );
        assert_eq!(k.gcp_data_service("roles/logging.viewer"), None);
        assert!(k.azure_role("contributor").is_some());
        assert_eq!(
            k.azure_role_by_id(
                "/subscriptions/0000/providers/Microsoft.Authorization/roleDefinitions/8E3AF657-A8FF-443C-A75C-2FE8C4BCB635"
            )
            .map(|r| r.role.as_str()),
            Some("Owner")
        );
        assert!(
            k.azure_role_by_id("acdd72a7-3385-48ef-bd42-f606fba81ae7")
                .is_none(),
            "Reader is not broad"
        );
        assert!(k.azure_escalation("*").is_some());
        assert!(k.azure_escalation("*/write").is_some());
        assert!(k.azure_escalation("Microsoft.Authorization/*").is_some());
        assert!(
            k.azure_escalation("Microsoft.Authorization/*/read")
                .is_none()
        );
        assert!(k.azure_escalation("Microsoft.Storage/*").is_none());
        assert!(k.k8s_admin_role("cluster-admin").is_some());
        assert!(
            k.broad_scope("https://www.googleapis.com/auth/cloud-platform")
                .is_some()
        );
        assert!(k.broad_scope("Mail.ReadWrite.All").is_some());
        assert!(k.broad_scope("admin:org").is_some());
        assert!(k.broad_scope("read:org").is_none());
        assert!(
            k.broad_scope("https://www.googleapis.com/auth/admin.directory.user.readonly")
                .is_none()
        );
        assert!(
            k.broad_scope("https://www.googleapis.com/auth/admin.directory.user")
                .is_some()
        );
        assert!(k.broad_scope("admin.users:read").is_some());
        assert!(k.broad_scope("chat:write").is_none());
        assert!(k.oauth.scope.iter().all(|s| s.instead.is_some()));
        assert!(k.k8s_reads_secrets("list") && k.k8s_reads_secrets("*"));
        assert!(!k.k8s_reads_secrets("create"));
        assert!(k.k8s_escalating_verb("impersonate"));
        assert!(k.k8s_dangerous_resource("pods/exec"));
        assert!(!k.k8s_dangerous_resource("pods/log"));
        assert!(
            k.broad_scope("https://www.googleapis.com/auth/drive.readonly")
                .is_none()
        );
    }
}
