//! Grants written in one file, on every platform: AWS policy statements and managed
//! policy attachments, GCP and Azure role bindings, Kubernetes RBAC objects, GitHub
//! token permissions, OAuth scopes, MCP servers and their roots, held human
//! credentials.

use std::sync::Arc;

use crate::model::catalog::{Catalog, CredentialMatch, Principal};
use crate::model::facts::{FileFacts, Workload};
use crate::model::grants::AccessLevel;
use crate::model::grants::*;
use crate::model::iam::Attacher;
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, Parsed};
use crate::syntax::source::Span;

/// Grants written in one parsed file: most from the views of grants as written that
/// [`super::extract`] filled in `facts`, document by document.
pub fn extract(
    kind: FileKind,
    path: &Arc<str>,
    parsed: &Parsed,
    facts: &FileFacts,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> Grants {
    let mut out = Grants::default();
    for (index, doc) in parsed.documents.iter().enumerate() {
        match kind {
            FileKind::Terraform | FileKind::TerraformJson => {
                aws(facts, index, path, &mut out.grants);
                cloud_roles(facts, index, path, &mut out.grants);
            }
            FileKind::CloudFormation => aws(facts, index, path, &mut out.grants),
            FileKind::Kubernetes | FileKind::HelmTemplate => k8s(facts, index, path, &mut out),
            FileKind::GithubWorkflow => github(facts, index, path, &mut out.grants),
            FileKind::McpConfig => mcp(doc, path, &mut out.grants),
            _ => {}
        }
        if !matches!(kind, FileKind::Text | FileKind::Dockerfile) {
            oauth(doc, path, kind, facts, &mut out.grants);
        }
    }
    for m in creds {
        let human = catalog
            .specs
            .get(m.spec)
            .is_some_and(|s| s.principal == Principal::Human);
        if let (true, Some(w)) = (human, facts.workload_at(m.span)) {
            let name = catalog.specs.get(m.spec).map_or("", |s| s.name.as_str());
            out.grants.push(Grant {
                holder: workload_holder(w),
                what: What::HumanCredential {
                    label: format!("{name} {}", m.redacted.as_str()),
                },
                path: Arc::clone(path),
                span: m.span,
                key: format!("credential:{}", m.redacted.as_str()),
            });
        }
    }
    out
}

fn workload_holder(w: &Workload) -> Holder {
    Holder::Workload {
        name: w.name.clone(),
        path: Arc::clone(&w.path),
    }
}

/// Allowing IAM statements of identity policies, each with the identities holding it,
/// then managed policies attached by ARN.
fn aws(facts: &FileFacts, index: usize, path: &Arc<str>, out: &mut Vec<Grant>) {
    for policy in facts
        .written()
        .iam_policies
        .iter()
        .filter(|p| p.doc == index)
    {
        for (i, st) in policy.statements.iter().enumerate() {
            // Deny narrows grants; statements with principals are resource policies.
            if !st.allows() || st.has_principal {
                continue;
            }
            let actions: Vec<Written> = match &st.not_actions {
                Some(not) => vec![written("*", not.first().map_or(st.span, |a| a.span))],
                None => st
                    .actions
                    .iter()
                    .map(|a| written(&a.text, a.span))
                    .collect(),
            };
            let resources: Vec<Written> = match &st.not_resources {
                Some(not) => vec![written("*", not.first().map_or(st.span, |r| r.span))],
                // A statement without resources applies to every resource it can.
                None if st.resources.is_empty() => vec![written("*", st.span)],
                None => st
                    .resources
                    .iter()
                    .map(|r| written(&r.text, r.span))
                    .collect(),
            };
            for h in &policy.holders {
                out.push(Grant {
                    holder: Holder::Identity(h.clone()),
                    what: What::Aws {
                        actions: actions.clone(),
                        resources: resources.clone(),
                    },
                    path: Arc::clone(path),
                    span: st.span,
                    key: format!("{}.Statement[{i}]", policy.path),
                });
            }
        }
    }
    for m in facts
        .written()
        .managed_policies
        .iter()
        .filter(|m| m.doc == index)
    {
        // Terraform user and group attachments hold no identity of the graph.
        if let Attacher::Terraform { ty, .. } = &m.by
            && !matches!(
                ty.as_str(),
                "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" | "aws_iam_role"
            )
        {
            continue;
        }
        let Some(arn) = &m.written else { continue };
        // A policy defined in this module is read statement by statement instead.
        if arn
            .match_indices("aws_iam_policy.")
            .any(|(i, _)| !arn[..i].ends_with("data."))
        {
            continue;
        }
        let key = match m.by {
            Attacher::Terraform { .. } => format!("{}.policy_arn", m.path),
            Attacher::CloudFormation { .. } => format!("{}.ManagedPolicyArns", m.path),
        };
        for h in &m.holders {
            out.push(Grant {
                holder: Holder::Identity(h.clone()),
                what: What::AwsManaged { arn: arn.clone() },
                path: Arc::clone(path),
                span: m.span,
                key: key.clone(),
            });
        }
    }
}

/// GCP `google_*_iam_member`/`_binding` and Azure `azurerm_role_assignment`.
fn cloud_roles(facts: &FileFacts, index: usize, path: &Arc<str>, out: &mut Vec<Grant>) {
    for r in facts
        .written()
        .role_bindings
        .iter()
        .filter(|r| r.doc == index)
    {
        let what = match &r.on {
            RoleTarget::GcpResource { scope, .. } => What::Gcp {
                role: r.role.text.clone(),
                scope: scope.clone(),
            },
            RoleTarget::Azure { scope, .. } => What::Azure {
                role: r.role.text.clone(),
                scope: scope.as_deref().unwrap_or("*").to_owned(),
            },
            // A policy document grants through the resource using it.
            RoleTarget::GcpPolicyDocument { .. } => continue,
        };
        for h in &r.holders {
            out.push(Grant {
                holder: Holder::Identity(h.clone()),
                what: what.clone(),
                path: Arc::clone(path),
                span: r.role.span,
                key: r.path.clone(),
            });
        }
    }
}

/// Roles and bindings of Kubernetes manifests, for the project pass to join.
fn k8s(facts: &FileFacts, index: usize, path: &Arc<str>, out: &mut Grants) {
    let strings = |values: &[Value]| -> Vec<String> {
        values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    for o in facts
        .written()
        .rbac
        .iter()
        .filter(|o| o.doc == index && !o.terraform)
    {
        let name = o.name.clone().unwrap_or_default();
        if !o.kind.is_binding() {
            out.k8s_roles.push(K8sRole {
                cluster: o.kind.cluster_scoped(),
                namespace: o.namespace.clone(),
                name,
                path: Arc::clone(path),
                rules: o
                    .rules
                    .iter()
                    .map(|r| {
                        (
                            strings(&r.verbs),
                            strings(&r.resources),
                            r.verbs_at,
                            r.resources_at,
                        )
                    })
                    .collect(),
            });
            continue;
        }
        let Some(role_ref) = o.role_ref.as_ref().filter(|r| !r.listed) else {
            continue;
        };
        let Some(role) = &role_ref.name else {
            continue;
        };
        out.k8s_bindings.push(K8sBinding {
            cluster: o.kind.cluster_scoped(),
            namespace: o.namespace.clone(),
            name,
            role_cluster: role_ref.kind.as_deref() == Some("ClusterRole"),
            role_name: role.as_str().unwrap_or("").to_owned(),
            role_span: role.span,
            path: Arc::clone(path),
            subjects: o
                .subjects
                .iter()
                .filter_map(|s| s.service_account(&o.namespace))
                .map(|(ns, n)| (ns.to_owned(), n.to_owned()))
                .collect(),
        });
    }
}

/// Built-in ClusterRoles a binding may name without a manifest for them.
pub(crate) fn builtin_cluster_role(
    name: &str,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const READ: &[&str] = &["get", "list", "watch"];
    const WRITE: &[&str] = &[
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    match name {
        "cluster-admin" | "admin" => Some((&["*"], &["*"])),
        "edit" => Some((WRITE, &["*"])),
        "view" => Some((READ, &["*"])),
        _ => None,
    }
}

/// Token permissions of each job: its own `permissions`, or the workflow's.
fn github(facts: &FileFacts, index: usize, path: &Arc<str>, out: &mut Vec<Grant>) {
    for workflow in facts.written().workflows.iter().filter(|w| w.doc == index) {
        for job in &workflow.jobs {
            let Some(perms) = job.permissions.as_ref().or(workflow.permissions.as_ref()) else {
                continue;
            };
            let holder = Holder::Workload {
                name: format!("workflow job {}", job.id),
                path: Arc::clone(path),
            };
            let mut push = |scope: &str, level: AccessLevel, span: Span| {
                out.push(Grant {
                    holder: holder.clone(),
                    what: What::Github {
                        scope: scope.to_owned(),
                        level,
                    },
                    path: Arc::clone(path),
                    span,
                    key: format!("jobs.{}:permissions.{scope}", job.id),
                });
            };
            match perms.text.as_deref() {
                Some("write-all") => push("*", AccessLevel::Write, perms.span),
                Some("read-all") => push("*", AccessLevel::Read, perms.span),
                _ => {
                    for s in &perms.scopes {
                        let (Some(scope), Some(level)) = (
                            s.scope.as_deref(),
                            s.level.as_deref().and_then(AccessLevel::parse),
                        ) else {
                            continue;
                        };
                        if level != AccessLevel::None {
                            push(scope, level, s.span);
                        }
                    }
                }
            }
        }
    }
}

/// Each MCP server, and the directories a filesystem server is rooted at.
fn mcp(doc: &Document, path: &Arc<str>, out: &mut Vec<Grant>) {
    for server in crate::model::extract::mcp_servers(doc) {
        let holder = Holder::Workload {
            name: format!("MCP server {}", server.name),
            path: Arc::clone(path),
        };
        out.push(Grant {
            holder: holder.clone(),
            what: What::McpServer {
                server: server.name.to_owned(),
            },
            path: Arc::clone(path),
            span: server.name_span,
            key: format!("{}:server", server.name),
        });
        let args = server.node.get("args").map(Node::items).unwrap_or_default();
        let command = server.node.get("command").and_then(Node::as_str);
        let package = args
            .iter()
            .position(|a| a.as_str().is_some_and(|s| s.contains("server-filesystem")));
        let roots: &[Node] = match package {
            Some(i) => args.get(i + 1..).unwrap_or_default(),
            None if command.is_some_and(|c| c.contains("server-filesystem")) => args,
            None => &[],
        };
        for root in roots {
            let Some(dir) = root.as_str().filter(|d| !d.starts_with('-')) else {
                continue;
            };
            out.push(Grant {
                holder: holder.clone(),
                what: What::McpRoot {
                    server: server.name.to_owned(),
                    root: dir.to_owned(),
                },
                path: Arc::clone(path),
                span: root.span,
                key: format!("{}:root:{dir}", server.name),
            });
        }
    }
}

/// Keys whose values are OAuth scopes (`scopes`, `oauth_scopes`, `GOOGLE_SCOPES`).
fn is_scope_key(key: &str, kind: FileKind) -> bool {
    let lower = key.to_ascii_lowercase();
    // Terraform's `scope` is an Azure role assignment's target, not OAuth.
    (lower == "scope" && !matches!(kind, FileKind::Terraform | FileKind::TerraformJson))
        || matches!(lower.as_str(), "scopes" | "oauth_scopes" | "oauthscopes")
        || lower.ends_with("_scopes")
        || lower.ends_with("_scope")
}

/// OAuth scopes written in a workload's definition (MCP `env`, `--scopes` arguments,
/// compose environment, service account scopes of cloud compute).
fn oauth(doc: &Document, path: &Arc<str>, kind: FileKind, facts: &FileFacts, out: &mut Vec<Grant>) {
    let mut values: Vec<&Node> = Vec::new();
    doc.root.walk(|_, node| {
        for e in node.entries() {
            if e.key_str().is_some_and(|k| is_scope_key(k, kind)) {
                values.extend(e.value.one_or_many());
            }
        }
        // `--scopes a,b` and `--scopes=a,b` in argument lists; `KEY=value` env items.
        let items = node.items();
        for (i, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else { continue };
            if matches!(text, "--scopes" | "--scope" | "--oauth-scopes") {
                values.extend(items.get(i + 1));
            } else if let Some((k, _)) = text.split_once('=')
                && (is_scope_key(k.trim_start_matches('-'), kind)
                    || matches!(k, "--scopes" | "--scope"))
            {
                values.push(item);
            }
        }
    });
    for v in values {
        let Some(w) = facts.workload_at(v.span) else {
            continue;
        };
        let Some(text) = v.as_str() else { continue };
        let text = match text.split_once('=') {
            Some((k, rest)) if !k.contains(['/', ':', ' ']) => rest,
            _ => text,
        };
        for scope in text
            .split([' ', ',', '\t', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.contains("${"))
        {
            out.push(Grant {
                holder: workload_holder(w),
                what: What::Oauth {
                    scope: scope.to_owned(),
                },
                path: Arc::clone(path),
                span: v.span,
                key: format!("{}:oauth:{scope}", w.name),
            });
        }
    }
}
