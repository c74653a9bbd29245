//! Grants written in one file, on every platform: AWS policy statements and managed
//! policy attachments, GCP and Azure role bindings, Kubernetes RBAC objects, GitHub
//! token permissions, OAuth scopes, MCP servers and their roots, held human
//! credentials.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::catalog::{Catalog, CredentialMatch, Principal};
use crate::model::facts::{FileFacts, Workload};
use crate::model::grants::AccessLevel;
use crate::model::grants::*;
use crate::model::identity::Identity;
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, Parsed};
use crate::syntax::source::Span;

/// Grants written in one parsed file.
pub fn extract(
    kind: FileKind,
    path: &Arc<str>,
    parsed: &Parsed,
    facts: &FileFacts,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> Grants {
    let mut out = Grants::default();
    for doc in &parsed.documents {
        match kind {
            FileKind::Terraform | FileKind::TerraformJson => {
                let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                aws(doc, path, scope, &mut out.grants);
                terraform_roles(doc, path, scope, &mut out.grants);
            }
            FileKind::CloudFormation => aws(doc, path, path, &mut out.grants),
            FileKind::Kubernetes | FileKind::HelmTemplate => k8s(doc, path, &mut out),
            FileKind::GithubWorkflow => github(doc, path, &mut out.grants),
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

/// Allowing IAM statements of identity policies, each with the identities holding it.
fn aws(doc: &Document, path: &Arc<str>, scope: &str, out: &mut Vec<Grant>) {
    for policy in crate::model::iam::policies(doc) {
        // Trust policies say who may assume a role, not what the role may do.
        let lower = policy.path.to_ascii_lowercase();
        if lower.contains("assume_role_policy") || lower.contains("assumerolepolicydocument") {
            continue;
        }
        let Some(at) = crate::model::iam::enclosing_grant(doc, policy.node.span) else {
            continue;
        };
        let mut holders = crate::model::iam::holder_identities(doc, &at, scope);
        if holders.is_empty() {
            holders = literal_role_holders(doc, &at);
        }
        for (i, st) in policy.statements.iter().enumerate() {
            // Deny narrows grants; statements with principals are resource policies.
            if !st.allows() || !st.principals.is_empty() {
                continue;
            }
            let actions: Vec<Written> = match &st.not_actions {
                Some(not) => vec![written("*", not.first().map_or(st.node.span, |a| a.span))],
                None => st.actions.iter().map(|a| written(a.text, a.span)).collect(),
            };
            let resources: Vec<Written> = match &st.not_resources {
                Some(not) => vec![written("*", not.first().map_or(st.node.span, |r| r.span))],
                // A statement without resources applies to every resource it can.
                None if st.resources.is_empty() => vec![written("*", st.node.span)],
                None => st
                    .resources
                    .iter()
                    .map(|r| written(r.text, r.span))
                    .collect(),
            };
            for h in &holders {
                out.push(Grant {
                    holder: Holder::Identity(h.clone()),
                    what: What::Aws {
                        actions: actions.clone(),
                        resources: resources.clone(),
                    },
                    path: Arc::clone(path),
                    span: st.node.span,
                    key: format!("{}.Statement[{i}]", policy.path),
                });
            }
        }
    }
    managed_attachments(doc, path, scope, out);
}

/// `role = "agent-runtime"`: a role named literally, defined outside the repository.
fn literal_role_holders(doc: &Document, at: &str) -> Vec<Identity> {
    let mut segs = at.split('.');
    let (Some("resource"), Some(ty), Some(name)) = (segs.next(), segs.next(), segs.next()) else {
        return Vec::new();
    };
    let body = doc
        .root
        .get_path(&["resource", ty, name.split('[').next().unwrap_or(name)]);
    body.and_then(|b| b.get("role"))
        .and_then(Node::as_str)
        .map(|r| {
            vec![Identity::AwsRole(
                crate::model::identity::role_name_from_arn(r)
                    .unwrap_or(r)
                    .to_owned(),
            )]
        })
        .unwrap_or_default()
}

/// Managed policies attached by ARN (AWS-managed or defined elsewhere): Terraform
/// `*_policy_attachment.policy_arn`, `aws_iam_role.managed_policy_arns`,
/// CloudFormation `ManagedPolicyArns`.
fn managed_attachments(doc: &Document, path: &Arc<str>, scope: &str, out: &mut Vec<Grant>) {
    let mut push = |holders: Vec<Identity>, node: &Node, key: String| {
        let Some(arn) = node.as_text() else { return };
        // A policy defined in this module is read statement by statement instead.
        if arn
            .match_indices("aws_iam_policy.")
            .any(|(i, _)| !arn[..i].ends_with("data."))
        {
            return;
        }
        for h in holders {
            out.push(Grant {
                holder: Holder::Identity(h),
                what: What::AwsManaged {
                    arn: arn.to_owned(),
                },
                path: Arc::clone(path),
                span: node.span,
                key: key.clone(),
            });
        }
    };
    for b in crate::model::iam::tf_blocks(doc) {
        if b.kind != "resource" {
            continue;
        }
        let nodes: Vec<&Node> = match b.ty {
            "aws_iam_role_policy_attachment" | "aws_iam_policy_attachment" => {
                b.body.get("policy_arn").into_iter().collect()
            }
            "aws_iam_role" => b
                .body
                .get("managed_policy_arns")
                .map(Node::one_or_many)
                .unwrap_or_default(),
            _ => continue,
        };
        let mut holders = crate::model::iam::holder_identities(doc, &b.path(), scope);
        if holders.is_empty() {
            holders = literal_role_holders(doc, &b.path());
        }
        for n in nodes {
            push(holders.clone(), n, format!("{}.policy_arn", b.path()));
        }
    }
    for res in doc
        .root
        .get("Resources")
        .map(Node::entries)
        .unwrap_or_default()
    {
        let Some(logical) = res.key_str() else {
            continue;
        };
        let Some(arns) = res.value.get_path(&["Properties", "ManagedPolicyArns"]) else {
            continue;
        };
        let holders =
            crate::model::iam::holder_identities(doc, &format!("Resources.{logical}"), scope);
        for n in arns.items() {
            push(
                holders.clone(),
                n,
                format!("Resources.{logical}.ManagedPolicyArns"),
            );
        }
    }
}

static GCP_SA_REF: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"google_service_account\.([A-Za-z_][A-Za-z0-9_-]*)").ok());
static AZURE_ID_REF: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"azurerm_user_assigned_identity\.([A-Za-z_][A-Za-z0-9_-]*)").ok());

/// The GCP service account a binding member names (`serviceAccount:...`).
fn gcp_member(text: &str, scope: &str) -> Option<Identity> {
    let rest = text.strip_prefix("serviceAccount:").unwrap_or(text);
    if let Some(c) = GCP_SA_REF.as_ref().and_then(|re| re.captures(rest)) {
        return Some(Identity::GcpServiceAccount(format!(
            "{scope}:google_service_account.{}",
            &c[1]
        )));
    }
    if !text.starts_with("serviceAccount:") {
        return None;
    }
    crate::model::identity::gcp_account_id(rest)
        .map(|id| Identity::GcpServiceAccount(id.to_owned()))
}

/// The resource a GCP IAM binding is on, as `projects/p`, `folders/f`,
/// `organizations/o` or `<resource type>/<name>`.
fn gcp_scope(ty: &str, body: &Node) -> String {
    let text = |k: &str| body.get(k).and_then(Node::as_text);
    let prefixed = |prefix: &str, v: &str| {
        if v.starts_with(prefix) {
            v.to_owned()
        } else {
            format!("{prefix}{v}")
        }
    };
    if ty.starts_with("google_project_iam_") {
        return prefixed("projects/", text("project").unwrap_or("*"));
    }
    if ty.starts_with("google_folder_iam_") {
        return prefixed("folders/", text("folder").unwrap_or("*"));
    }
    if ty.starts_with("google_organization_iam_") {
        return prefixed("organizations/", text("org_id").unwrap_or("*"));
    }
    let resource = ty
        .trim_start_matches("google_")
        .split("_iam_")
        .next()
        .unwrap_or(ty);
    let name = [
        "bucket",
        "topic",
        "subscription",
        "secret_id",
        "dataset_id",
        "repository",
        "service",
        "instance_name",
        "name",
        "project",
    ]
    .iter()
    .find_map(|k| text(k))
    .unwrap_or("*");
    format!("{resource}/{name}")
}

/// GCP `google_*_iam_member`/`_binding` and Azure `azurerm_role_assignment`.
fn terraform_roles(doc: &Document, path: &Arc<str>, scope: &str, out: &mut Vec<Grant>) {
    for b in crate::model::iam::tf_blocks(doc) {
        if b.kind != "resource" {
            continue;
        }
        if b.ty.starts_with("google_")
            && (b.ty.ends_with("_iam_member") || b.ty.ends_with("_iam_binding"))
        {
            let Some(role) = b.body.get("role") else {
                continue;
            };
            let on = gcp_scope(b.ty, b.body);
            let members = ["member", "members"]
                .iter()
                .filter_map(|k| b.body.get(k))
                .flat_map(Node::one_or_many);
            for m in members {
                let Some(identity) = m.as_text().and_then(|t| gcp_member(t, scope)) else {
                    continue;
                };
                out.push(Grant {
                    holder: Holder::Identity(identity),
                    what: What::Gcp {
                        role: role.as_text().unwrap_or("").to_owned(),
                        scope: on.clone(),
                    },
                    path: Arc::clone(path),
                    span: role.span,
                    key: b.path(),
                });
            }
        } else if b.ty == "azurerm_role_assignment" {
            let Some(role) = b
                .body
                .get("role_definition_name")
                .or_else(|| b.body.get("role_definition_id"))
            else {
                continue;
            };
            let Some(principal) = b.body.get("principal_id").and_then(Node::as_text) else {
                continue;
            };
            let identity = match AZURE_ID_REF.as_ref().and_then(|re| re.captures(principal)) {
                Some(c) => Identity::AzureIdentity(format!(
                    "{scope}:azurerm_user_assigned_identity.{}",
                    &c[1]
                )),
                None => Identity::AzureIdentity(principal.to_owned()),
            };
            out.push(Grant {
                holder: Holder::Identity(identity),
                what: What::Azure {
                    role: role.as_text().unwrap_or("").to_owned(),
                    scope: b
                        .body
                        .get("scope")
                        .and_then(Node::as_text)
                        .unwrap_or("*")
                        .to_owned(),
                },
                path: Arc::clone(path),
                span: role.span,
                key: b.path(),
            });
        }
    }
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.map(Node::one_or_many)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

/// Roles and bindings of Kubernetes manifests (`kind: List` included).
fn k8s(doc: &Document, path: &Arc<str>, out: &mut Grants) {
    let root = &doc.root;
    let manifests: Vec<&Node> = if root.get("kind").and_then(Node::as_str) == Some("List") {
        root.get("items")
            .map(|i| i.items().iter().collect())
            .unwrap_or_default()
    } else {
        vec![root]
    };
    for m in manifests {
        let kind = m.get("kind").and_then(Node::as_str).unwrap_or("");
        let meta = m.get("metadata");
        let name = meta
            .and_then(|x| x.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_owned();
        let namespace = meta
            .and_then(|x| x.get("namespace"))
            .and_then(Node::as_str)
            .unwrap_or("default")
            .to_owned();
        match kind {
            "Role" | "ClusterRole" => out.k8s_roles.push(K8sRole {
                cluster: kind == "ClusterRole",
                namespace,
                name,
                path: Arc::clone(path),
                rules: m
                    .get("rules")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        let at = |k: &str| r.get(k).map_or(r.span, |n| n.span);
                        (
                            strings(r.get("verbs")),
                            strings(r.get("resources")),
                            at("verbs"),
                            at("resources"),
                        )
                    })
                    .collect(),
            }),
            "RoleBinding" | "ClusterRoleBinding" => {
                let Some(role_ref) = m.get("roleRef") else {
                    continue;
                };
                let Some(role_node) = role_ref.get("name") else {
                    continue;
                };
                let subjects = m
                    .get("subjects")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| {
                        let sname = s.get("name").and_then(Node::as_str)?;
                        if s.get("kind").and_then(Node::as_str) == Some("ServiceAccount") {
                            let ns = s
                                .get("namespace")
                                .and_then(Node::as_str)
                                .unwrap_or(&namespace);
                            return Some((ns.to_owned(), sname.to_owned()));
                        }
                        let (ns, n) = sname
                            .strip_prefix("system:serviceaccount:")?
                            .split_once(':')?;
                        Some((ns.to_owned(), n.to_owned()))
                    })
                    .collect();
                out.k8s_bindings.push(K8sBinding {
                    cluster: kind == "ClusterRoleBinding",
                    namespace,
                    name,
                    role_cluster: role_ref.get("kind").and_then(Node::as_str)
                        == Some("ClusterRole"),
                    role_name: role_node.as_str().unwrap_or("").to_owned(),
                    role_span: role_node.span,
                    path: Arc::clone(path),
                    subjects,
                });
            }
            _ => {}
        }
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
fn github(doc: &Document, path: &Arc<str>, out: &mut Vec<Grant>) {
    let top = doc.root.get("permissions");
    let Some(jobs) = doc.root.get("jobs") else {
        return;
    };
    for job in jobs.entries() {
        let id = job.key_str().unwrap_or("<job>");
        let Some(perms) = job.value.get("permissions").or(top) else {
            continue;
        };
        let holder = Holder::Workload {
            name: format!("workflow job {id}"),
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
                key: format!("jobs.{id}:permissions.{scope}"),
            });
        };
        match perms.as_str() {
            Some("write-all") => push("*", AccessLevel::Write, perms.span),
            Some("read-all") => push("*", AccessLevel::Read, perms.span),
            _ => {
                for e in perms.entries() {
                    let (Some(scope), Some(level)) =
                        (e.key_str(), e.value.as_str().and_then(AccessLevel::parse))
                    else {
                        continue;
                    };
                    if level != AccessLevel::None {
                        push(scope, level, e.value.span);
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
