//! Kubernetes RBAC as written: Roles, ClusterRoles and their bindings, from manifests
//! (`kind: List` included) and Terraform `kubernetes_*role*` resources. The view
//! `k8s-broad-rbac` and the grants model read, filled once per file by
//! [`crate::model::extract`]; the project pass joins bindings with roles across files.

use crate::model::grants::Value;
use crate::syntax::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RbacKind {
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
}

impl RbacKind {
    pub(crate) fn parse(kind: &str) -> Option<RbacKind> {
        Some(match kind {
            "Role" => RbacKind::Role,
            "ClusterRole" => RbacKind::ClusterRole,
            "RoleBinding" => RbacKind::RoleBinding,
            "ClusterRoleBinding" => RbacKind::ClusterRoleBinding,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RbacKind::Role => "Role",
            RbacKind::ClusterRole => "ClusterRole",
            RbacKind::RoleBinding => "RoleBinding",
            RbacKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }

    pub(crate) fn is_binding(self) -> bool {
        matches!(self, RbacKind::RoleBinding | RbacKind::ClusterRoleBinding)
    }

    pub(crate) fn cluster_scoped(self) -> bool {
        matches!(self, RbacKind::ClusterRole | RbacKind::ClusterRoleBinding)
    }
}

/// A Role, ClusterRole or binding.
#[derive(Debug, Clone)]
pub(crate) struct RbacObject {
    /// Index of the document in its file.
    pub(crate) doc: usize,
    pub(crate) kind: RbacKind,
    /// `metadata.name`; for Terraform, the block's name when the metadata has none.
    pub(crate) name: Option<String>,
    /// `metadata.namespace`, `default` when not written.
    pub(crate) namespace: String,
    /// From a Terraform resource rather than a manifest.
    pub(crate) terraform: bool,
    pub(crate) rules: Vec<RbacRule>,
    /// A binding's `roleRef`.
    pub(crate) role_ref: Option<RoleRef>,
    /// A binding's `subjects`.
    pub(crate) subjects: Vec<Subject>,
}

/// One rule of a Role or ClusterRole.
#[derive(Debug, Clone)]
pub(crate) struct RbacRule {
    pub(crate) verbs: Vec<Value>,
    pub(crate) resources: Vec<Value>,
    pub(crate) api_groups: Vec<Value>,
    pub(crate) resource_names: Vec<Value>,
    /// Where the `verbs` and `resources` lists are written (the rule when absent).
    pub(crate) verbs_at: Span,
    pub(crate) resources_at: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct RoleRef {
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<Value>,
    /// Written as a one-element list, the way Terraform JSON writes a block; a
    /// manifest that does so is invalid, and the grants model passes over it.
    pub(crate) listed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) namespace: Option<String>,
}

impl Subject {
    /// The service account `(namespace, name)` this subject is: a `ServiceAccount`
    /// (in the binding's namespace unless it names one), or a user written
    /// `system:serviceaccount:<namespace>:<name>`.
    pub(crate) fn service_account<'a>(
        &'a self,
        binding_namespace: &'a str,
    ) -> Option<(&'a str, &'a str)> {
        let name = self.name.as_deref()?;
        if self.kind.as_deref() == Some("ServiceAccount") {
            return Some((self.namespace.as_deref().unwrap_or(binding_namespace), name));
        }
        crate::model::identity::service_account_user(name)
    }
}
