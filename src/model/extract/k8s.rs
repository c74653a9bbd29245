//! Kubernetes manifests and Helm templates: pod specs, the service account each runs
//! as, workload-identity annotations, RBAC binding subjects.

use std::sync::Arc;

use crate::model::agent::AgentSignals;
use crate::model::audit::{AuditPolicy, AuditRule};
use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::model::identity::{Alias, Identity, IdentityUse};
use crate::model::runtime::{Pod, WorkloadKey};
use crate::model::settings::Field;
use crate::model::trust::{RoleBinding, Subject};
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

impl Extract<'_> {
    pub(super) fn k8s(&self, doc: &Document, facts: &mut FileFacts) {
        self.service_account_aliases(doc, facts);
        if let Some(binding) = role_binding(doc) {
            facts.views_mut().trust.bindings.push(binding);
        }
        if let Some(policy) = audit_policy(doc) {
            facts.views_mut().audit.policies.push(policy);
        }
        let Some(pod) = pod_spec(doc) else { return };
        let view = pod_view(&pod);
        let mut identities = Vec::new();
        let sa = view.service_account.as_ref();
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
        let mut signals = AgentSignals::default();
        signals.name(pod.name);
        for list in ["containers", "initContainers"] {
            for c in pod.spec.get(list).map(Node::items).unwrap_or_default() {
                if let Some(image) = c.get("image").and_then(Node::as_str) {
                    signals.image(image);
                }
                // Container names say what runs as much as the pod's (`datadog` pods
                // run `agent`, `trace-agent`).
                if let Some(name) = c.get("name").and_then(Node::as_str) {
                    signals.name(name);
                }
                let command: Vec<&str> = ["command", "args"]
                    .iter()
                    .flat_map(|k| c.get(k).map(Node::items).unwrap_or_default())
                    .filter_map(Node::as_str)
                    .collect();
                command_signals(&mut signals, &command);
                for env in c.get("env").map(Node::items).unwrap_or_default() {
                    let name = env.get("name").and_then(Node::as_str).unwrap_or("");
                    signals.env_var(name, false);
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
            name: view.key.to_string(),
            key: view.key.clone(),
            kind: WorkloadKind::K8sPod,
            path: Arc::clone(self.path),
            span: pod.kind_node.span,
            extent: doc.root.span,
            agent: None,
            signals,
            identities,
            harness: None,
        });
        facts.views_mut().runtime.pods.push(view);
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

/// The typed view of a pod spec: what it runs as and which host paths it mounts.
fn pod_view(pod: &PodSpec<'_>) -> Pod {
    let spec = pod.spec;
    Pod {
        key: WorkloadKey::K8sPod {
            kind: pod.kind.to_owned(),
            namespace: pod.namespace.to_owned(),
            name: pod.name.to_owned(),
        },
        namespace: pod.namespace.to_owned(),
        kind_span: pod.kind_node.span,
        // An empty name (`serviceAccountName:` with nothing, as a Helm value left
        // blank renders) is no name: the pod runs as `default`.
        service_account: spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"))
            .filter(|n| !n.is_null() && n.as_str() != Some(""))
            .map(Field::of),
        automount_token: spec
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool),
        host_paths: spec
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.get_path(&["hostPath", "path"]))
            .filter(|n| n.as_str().is_some())
            .map(Field::of)
            .collect(),
    }
}

/// A `RoleBinding` or `ClusterRoleBinding` and its subjects.
fn role_binding(doc: &Document) -> Option<RoleBinding> {
    let root = &doc.root;
    let kind = root.get("kind").and_then(Node::as_str)?;
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return None;
    }
    let text = |path: &[&str]| {
        root.get_path(path)
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    let subjects = root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let name = s.get("name")?;
            Some(Subject {
                kind: s.get("kind").and_then(Node::as_str).map(str::to_owned),
                name: name.as_str()?.to_owned(),
                span: name.span,
                namespace: s.get("namespace").and_then(Node::as_str).map(str::to_owned),
            })
        })
        .collect();
    Some(RoleBinding {
        kind: kind.to_owned(),
        name: text(&["metadata", "name"]),
        namespace: text(&["metadata", "namespace"]),
        role: text(&["roleRef", "name"]),
        subjects,
        extent: root.span,
    })
}

/// A Kubernetes audit policy (`apiVersion: audit.k8s.io/...`, `kind: Policy`).
fn audit_policy(doc: &Document) -> Option<AuditPolicy> {
    let root = &doc.root;
    let audit_api = root
        .get("apiVersion")
        .and_then(Node::as_str)
        .is_some_and(|v| v.starts_with("audit.k8s.io/"));
    if !audit_api || root.get("kind").and_then(Node::as_str) != Some("Policy") {
        return None;
    }
    let list = |rule: &Node, key: &str| -> Vec<Field> {
        rule.get(key)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter(|n| n.as_text().is_some())
            .map(Field::of)
            .collect()
    };
    let rules = root
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|rule| AuditRule {
            level: rule.get("level").map(Field::of),
            users: list(rule, "users"),
            groups: list(rule, "userGroups"),
            namespaces: list(rule, "namespaces"),
            has_users: rule.get("users").is_some(),
            has_groups: rule.get("userGroups").is_some(),
            has_namespaces: rule.get("namespaces").is_some(),
            has_resources: rule.get("resources").is_some(),
            has_non_resource_urls: rule.get("nonResourceURLs").is_some(),
            has_verbs: rule.get("verbs").is_some(),
        })
        .collect();
    Some(AuditPolicy { rules })
}

/// Agent packages a container's command line installs or starts; a script item
/// (`sh -c "pip install crewai && ..."`) is split into words.
pub(super) fn command_signals(signals: &mut AgentSignals, items: &[&str]) {
    let mut words: Vec<String> = Vec::new();
    for item in items {
        if item.contains(char::is_whitespace) {
            for w in crate::syntax::shell::shell_words(item) {
                words.push(if w.is_separator() {
                    ";".to_owned()
                } else {
                    w.text
                });
            }
            words.push(";".to_owned());
        } else {
            words.push((*item).to_owned());
        }
    }
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    signals.command(&refs);
}
