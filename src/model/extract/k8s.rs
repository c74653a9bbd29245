//! Kubernetes manifests and Helm templates: pod specs, the service account each runs
//! as, workload-identity annotations, RBAC binding subjects.

use std::sync::Arc;

use crate::model::agent::{LLM_KEY_VARS, agent_marker};
use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::model::identity::{Alias, Identity, IdentityUse};
use crate::syntax::doc::{Document, Node};

use super::Extract;

/// Pod-spec kinds and where their pod spec sits.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// A Kubernetes pod spec found in a document.
pub struct PodSpec<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: &'a str,
    /// The `kind:` value node (a good primary location).
    pub kind_node: &'a Node,
    pub spec: &'a Node,
}

/// Every pod spec in a Kubernetes document.
pub fn pod_spec(doc: &Document) -> Option<PodSpec<'_>> {
    let root = &doc.root;
    let kind_node = root.get("kind")?;
    let kind = kind_node.as_str()?;
    let (_, path) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind)?;
    let spec = root.get_path(path)?;
    let meta = root.get("metadata");
    Some(PodSpec {
        kind,
        name: meta
            .and_then(|m| m.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>"),
        namespace: meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("default"),
        kind_node,
        spec,
    })
}

/// The service accounts a RoleBinding or ClusterRoleBinding grants its role to.
pub fn binding_subjects(doc: &Document) -> Vec<Identity> {
    let kind = doc.root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return Vec::new();
    }
    let binding_ns = doc
        .root
        .get_path(&["metadata", "namespace"])
        .and_then(Node::as_str)
        .unwrap_or("default");
    doc.root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("kind").and_then(Node::as_str) == Some("ServiceAccount"))
        .filter_map(|s| {
            let name = s.get("name").and_then(Node::as_str)?;
            let namespace = s
                .get("namespace")
                .and_then(Node::as_str)
                .unwrap_or(binding_ns);
            Some(Identity::K8sServiceAccount {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                implicit: name == "default",
            })
        })
        .collect()
}

impl Extract<'_> {
    pub(super) fn k8s(&self, doc: &Document, facts: &mut FileFacts) {
        self.service_account_aliases(doc, facts);
        let Some(pod) = pod_spec(doc) else { return };
        let mut identities = Vec::new();
        let sa = pod
            .spec
            .get("serviceAccountName")
            .or_else(|| pod.spec.get("serviceAccount"));
        let (sa_name, sa_span, implicit) = match sa.and_then(|n| n.as_str().map(|s| (s, n.span))) {
            Some((name, span)) => (name, span, false),
            None => ("default", pod.kind_node.span, true),
        };
        identities.push(IdentityUse {
            identity: Identity::K8sServiceAccount {
                namespace: pod.namespace.to_owned(),
                name: sa_name.to_owned(),
                implicit: implicit || sa_name == "default",
            },
            span: sa_span,
        });
        let mut agent = agent_marker(pod.name).map(|m| format!("its name contains `{m}`"));
        for list in ["containers", "initContainers"] {
            for c in pod.spec.get(list).map(Node::items).unwrap_or_default() {
                if agent.is_none()
                    && let Some(image) = c.get("image").and_then(Node::as_str)
                    && let Some(m) = agent_marker(image)
                {
                    agent = Some(format!("its image `{image}` contains `{m}`"));
                }
                for env in c.get("env").map(Node::items).unwrap_or_default() {
                    let name = env.get("name").and_then(Node::as_str).unwrap_or("");
                    if agent.is_none() && LLM_KEY_VARS.contains(&name) {
                        agent = Some(format!("it is given `{name}`"));
                    }
                    if let Some(r) = env.get_path(&["valueFrom", "secretKeyRef"])
                        && let (Some(secret), Some(key)) = (
                            r.get("name").and_then(Node::as_str),
                            r.get("key").and_then(Node::as_str),
                        )
                    {
                        identities.push(IdentityUse {
                            identity: Identity::K8sSecretKey {
                                namespace: pod.namespace.to_owned(),
                                secret: secret.to_owned(),
                                key: key.to_owned(),
                            },
                            span: r.span,
                        });
                    }
                    if let Some(v) = env.get("value") {
                        self.credentials_in(v.span, &mut identities);
                    }
                }
            }
        }
        facts.workloads.push(Workload {
            name: format!("{} {}/{}", pod.kind, pod.namespace, pod.name),
            kind: WorkloadKind::K8sPod,
            path: Arc::clone(self.path),
            span: pod.kind_node.span,
            extent: doc.root.span,
            agent,
            identities,
        });
    }

    /// `kind: ServiceAccount` with `eks.amazonaws.com/role-arn` (IRSA) or
    /// `iam.gke.io/gcp-service-account` (GKE workload identity).
    pub(super) fn service_account_aliases(&self, doc: &Document, facts: &mut FileFacts) {
        if doc.root.get("kind").and_then(Node::as_str) != Some("ServiceAccount") {
            return;
        }
        let meta = doc.root.get("metadata");
        let Some(name) = meta.and_then(|m| m.get("name")).and_then(Node::as_str) else {
            return;
        };
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("default");
        let from = Identity::K8sServiceAccount {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            implicit: name == "default",
        };
        let annotations = meta.and_then(|m| m.get("annotations"));
        for key in [
            "eks.amazonaws.com/role-arn",
            "iam.gke.io/gcp-service-account",
            "azure.workload.identity/client-id",
        ] {
            let Some(value) = annotations.and_then(|a| a.get(key)) else {
                continue;
            };
            let Some(text) = value.as_str() else { continue };
            let identity = match key {
                "eks.amazonaws.com/role-arn" => crate::model::identity::role_name_from_arn(text)
                    .map(|n| Identity::AwsRole(n.to_owned())),
                "iam.gke.io/gcp-service-account" => crate::model::identity::gcp_account_id(text)
                    .map(|n| Identity::GcpServiceAccount(n.to_owned())),
                _ => Some(Identity::AzureIdentity(text.to_owned())),
            };
            if let Some(identity) = identity {
                facts.aliases.push(Alias {
                    from: from.clone(),
                    to: identity,
                    path: Arc::clone(self.path),
                    span: value.span,
                });
            }
        }
    }
}
