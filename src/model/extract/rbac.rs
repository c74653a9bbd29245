//! Kubernetes RBAC objects from manifests (`kind: List` included) and from Terraform
//! `kubernetes_role`, `kubernetes_cluster_role` and their bindings (`_v1` too).

use crate::model::grants::Value;
use crate::model::rbac::{RbacKind, RbacObject, RbacRule, RoleRef, Subject};
use crate::syntax::doc::{Document, Node};

const TERRAFORM_KINDS: [(&str, RbacKind); 4] = [
    ("kubernetes_role", RbacKind::Role),
    ("kubernetes_cluster_role", RbacKind::ClusterRole),
    ("kubernetes_role_binding", RbacKind::RoleBinding),
    (
        "kubernetes_cluster_role_binding",
        RbacKind::ClusterRoleBinding,
    ),
];

/// The Roles, ClusterRoles and bindings of `doc`: manifests first, then Terraform
/// resources.
pub(super) fn rbac(doc: &Document, index: usize, out: &mut Vec<RbacObject>) {
    let root = &doc.root;
    let manifests: Vec<&Node> = if root.get("kind").and_then(Node::as_str) == Some("List") {
        root.get("items")
            .map(|i| i.items().iter().collect())
            .unwrap_or_default()
    } else {
        vec![root]
    };
    for m in manifests {
        let Some(kind) = m
            .get("kind")
            .and_then(Node::as_str)
            .and_then(RbacKind::parse)
        else {
            continue;
        };
        let shape = Shape::Manifest;
        out.push(object(index, kind, m, m.get("metadata"), None, shape));
    }
    for resources in root.get_all("resource") {
        for (tf_type, kind) in TERRAFORM_KINDS {
            for ty in [tf_type.to_owned(), format!("{tf_type}_v1")] {
                let Some(by_name) = resources.get(&ty) else {
                    continue;
                };
                for e in by_name.entries() {
                    // Terraform JSON writes a block as a one-element list.
                    let body = e.value.items().first().unwrap_or(&e.value);
                    let meta = body.get("metadata").map(|m| m.items().first().unwrap_or(m));
                    out.push(object(
                        index,
                        kind,
                        body,
                        meta,
                        e.key_str(),
                        Shape::Terraform,
                    ));
                }
            }
        }
    }
}

/// Manifests spell fields in camel case and write lists; Terraform spells them in
/// snake case and repeats blocks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Manifest,
    Terraform,
}

impl Shape {
    /// Every value of a list field: a YAML sequence (or one scalar), or Terraform's
    /// repeated blocks.
    fn list<'a>(self, node: &'a Node, camel: &str, snake: &'a str) -> Vec<&'a Node> {
        match self {
            Shape::Terraform => node
                .get_all(snake)
                .flat_map(|n| {
                    if n.is_seq() {
                        n.items().iter().collect()
                    } else {
                        vec![n]
                    }
                })
                .collect(),
            Shape::Manifest => node.get(camel).map(Node::one_or_many).unwrap_or_default(),
        }
    }

    fn values(self, node: &Node, camel: &str, snake: &str) -> Vec<Value> {
        self.list(node, camel, snake)
            .into_iter()
            .map(Value::of)
            .collect()
    }
}

/// The literal text of `node.key`.
fn text<'a>(node: Option<&'a Node>, key: &str) -> Option<&'a str> {
    node.and_then(|n| n.get(key)).and_then(Node::as_str)
}

fn object(
    index: usize,
    kind: RbacKind,
    node: &Node,
    meta: Option<&Node>,
    block_name: Option<&str>,
    shape: Shape,
) -> RbacObject {
    let rules = match shape {
        // A manifest's rules are a list; anything else holds none.
        Shape::Manifest => node
            .get("rules")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .collect(),
        Shape::Terraform => shape.list(node, "rules", "rule"),
    };
    let role_ref = match shape {
        Shape::Manifest => node.get("roleRef"),
        Shape::Terraform => node.get("role_ref"),
    };
    RbacObject {
        doc: index,
        kind,
        name: text(meta, "name").or(block_name).map(str::to_owned),
        namespace: text(meta, "namespace").unwrap_or("default").to_owned(),
        terraform: shape == Shape::Terraform,
        rules: rules
            .into_iter()
            .map(|r| {
                let at = |k: &str| r.get(k).map_or(r.span, |n| n.span);
                RbacRule {
                    verbs: shape.values(r, "verbs", "verbs"),
                    resources: shape.values(r, "resources", "resources"),
                    api_groups: shape.values(r, "apiGroups", "api_groups"),
                    resource_names: shape.values(r, "resourceNames", "resource_names"),
                    verbs_at: at("verbs"),
                    resources_at: at("resources"),
                }
            })
            .collect(),
        role_ref: role_ref.map(|r| {
            let first = r.items().first();
            let body = first.unwrap_or(r);
            RoleRef {
                kind: text(Some(body), "kind").map(str::to_owned),
                name: body.get("name").map(Value::of),
                listed: first.is_some(),
            }
        }),
        subjects: shape
            .list(node, "subjects", "subject")
            .into_iter()
            .map(|s| Subject {
                kind: text(Some(s), "kind").map(str::to_owned),
                name: text(Some(s), "name").map(str::to_owned),
                namespace: text(Some(s), "namespace").map(str::to_owned),
            })
            .collect(),
    }
}
