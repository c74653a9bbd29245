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

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::catalog::{Catalog, CredentialMatch, Principal};
use crate::model::facts::{FileFacts, Identity, ProjectFacts, Workload, WorkloadKind};
use crate::model::scope::{AccessLevel, AgentDecl};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, Parsed};
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
struct K8sRole {
    cluster: bool,
    namespace: String,
    name: String,
    path: Arc<str>,
    /// Verbs, resources, and where each list is written.
    rules: Vec<(Vec<String>, Vec<String>, Span, Span)>,
}

#[derive(Debug, Clone)]
struct K8sBinding {
    cluster: bool,
    namespace: String,
    name: String,
    role_cluster: bool,
    role_name: String,
    role_span: Span,
    path: Arc<str>,
    /// Service accounts `(namespace, name)`.
    subjects: Vec<(String, String)>,
}

/// Grants of a file, or of the project once [`resolve`]d.
#[derive(Debug, Default)]
pub struct Grants {
    pub grants: Vec<Grant>,
    k8s_roles: Vec<K8sRole>,
    k8s_bindings: Vec<K8sBinding>,
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

fn written(text: &str, span: Span) -> Written {
    Written {
        text: text.to_owned(),
        span,
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
                crate::model::iac::role_name_from_arn(r)
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
    crate::model::iac::gcp_account_id(rest).map(|id| Identity::GcpServiceAccount(id.to_owned()))
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
fn builtin_cluster_role(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
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
    for server in crate::model::facts::mcp_servers(doc) {
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

/// An RBAC rule reached through a binding: verbs, resources, where it is written.
type BoundRule = (Vec<String>, Vec<String>, Arc<str>, Span, Span);

/// Resolve grant holders against the project's definitions and turn RBAC bindings into
/// grants of the service accounts they name.
pub fn resolve(project: &mut ProjectFacts) {
    let defs = &project.definitions;
    for g in &mut project.grants.grants {
        if let Holder::Identity(id) = &mut g.holder {
            crate::model::iac::resolve(id, defs);
        }
    }
    let mut rbac = Vec::new();
    for b in &project.grants.k8s_bindings {
        let role = project.grants.k8s_roles.iter().find(|r| {
            r.name == b.role_name
                && r.cluster == b.role_cluster
                && (r.cluster || r.namespace == b.namespace)
        });
        let rules: Vec<BoundRule> = match role {
            Some(r) => r
                .rules
                .iter()
                .map(|(v, res, verbs_at, resources_at)| {
                    (
                        v.clone(),
                        res.clone(),
                        Arc::clone(&r.path),
                        *verbs_at,
                        *resources_at,
                    )
                })
                .collect(),
            None => match builtin_cluster_role(&b.role_name).filter(|_| b.role_cluster) {
                Some((verbs, resources)) => vec![(
                    verbs.iter().map(|s| (*s).to_owned()).collect(),
                    resources.iter().map(|s| (*s).to_owned()).collect(),
                    Arc::clone(&b.path),
                    b.role_span,
                    b.role_span,
                )],
                None => Vec::new(),
            },
        };
        let role_kind = if b.role_cluster {
            "ClusterRole"
        } else {
            "Role"
        };
        let binding_kind = if b.cluster {
            "ClusterRoleBinding ".to_owned()
        } else {
            format!("RoleBinding {}/", b.namespace)
        };
        let via = format!("{role_kind} `{}` via {binding_kind}{}", b.role_name, b.name);
        for (ns, sa) in &b.subjects {
            for (i, (verbs, resources, path, span, resources_at)) in rules.iter().enumerate() {
                rbac.push(Grant {
                    holder: Holder::Identity(Identity::K8sServiceAccount {
                        namespace: ns.clone(),
                        name: sa.clone(),
                        implicit: sa == "default",
                    }),
                    what: What::K8s {
                        verbs: verbs.clone(),
                        resources: resources.clone(),
                        namespace: (!b.cluster).then(|| b.namespace.clone()),
                        via: via.clone(),
                        resources_at: *resources_at,
                    },
                    path: Arc::clone(path),
                    span: *span,
                    key: format!(
                        "{role_kind}/{}.rules[{i}]@{binding_kind}{}",
                        b.role_name, b.name
                    ),
                });
            }
        }
    }
    project.grants.grants.extend(rbac);
}

/// Every grant `w` holds: through the identities it runs as, or directly.
pub fn held_by<'a>(project: &'a ProjectFacts, w: &Workload) -> Vec<&'a Grant> {
    project
        .grants
        .grants
        .iter()
        .filter(|g| match &g.holder {
            Holder::Workload { name, path } => *name == w.name && *path == w.path,
            Holder::Identity(id) => w.identities.iter().any(|u| &u.identity == id),
        })
        .collect()
}

/// Whether a declaration names workload `w`.
pub fn matches(decl: &AgentDecl, w: &Workload) -> bool {
    let m = &decl.matches;
    if m.is_empty() {
        return w.name == *decl.name.get_ref();
    }
    let sa = |ns: Option<&str>, name: Option<&str>| {
        w.identities.iter().any(|u| match &u.identity {
            Identity::K8sServiceAccount {
                namespace, name: n, ..
            } => ns.is_none_or(|x| x == namespace) && name.is_none_or(|x| x == n),
            _ => false,
        })
    };
    m.workload.as_ref().is_none_or(|x| *x == w.name)
        && m.path
            .as_ref()
            .is_none_or(|glob| crate::model::iam::action_matches(glob, &w.path))
        && (m.namespace.is_none() && m.service_account.is_none()
            || sa(m.namespace.as_deref(), m.service_account.as_deref()))
        && m.role.as_ref().is_none_or(|r| {
            let want = crate::model::iac::role_name_from_arn(r).unwrap_or(r);
            w.identities
                .iter()
                .any(|u| u.identity == Identity::AwsRole(want.to_owned()))
        })
        && m.gcp_service_account.as_ref().is_none_or(|s| {
            let want = crate::model::iac::gcp_account_id(s).unwrap_or(s);
            w.identities
                .iter()
                .any(|u| u.identity == Identity::GcpServiceAccount(want.to_owned()))
        })
        && m.mcp_server.as_ref().is_none_or(|s| {
            w.kind == WorkloadKind::McpServer && w.name == format!("MCP server {s}")
        })
        && m.job.as_ref().is_none_or(|j| {
            w.kind == WorkloadKind::WorkflowJob && w.name == format!("workflow job {j}")
        })
}

/// The declarations that name `w`.
pub fn declarations_for<'a>(agents: &'a [AgentDecl], w: &Workload) -> Vec<&'a AgentDecl> {
    agents.iter().filter(|d| matches(d, w)).collect()
}

/// Spans (in the config file) of declarations that name no workload.
pub fn unmatched_declarations(project: &ProjectFacts, agents: &[AgentDecl]) -> Vec<Span> {
    agents
        .iter()
        .filter(|d| !project.workloads.iter().any(|w| matches(d, w)))
        .map(|d| {
            let r = d.name.span();
            Span::new(r.start, r.end)
        })
        .collect()
}

/// How a grant goes beyond a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excess {
    /// The offending value (an action, a role, a verb list).
    pub span: Span,
    /// What is granted (`grants \`s3:*\` on \`*\``).
    pub granted: String,
    /// What the task declares for this platform.
    pub declared: String,
    /// Stable, short: what exceeds (`s3:*`), for fingerprints.
    pub what: String,
}

fn quoted(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Wildcard containment for everything lanyard compares: `general` (declared) covers
/// `specific` (granted), with `*` and `?` on both sides.
pub fn covers(general: &str, specific: &str) -> bool {
    crate::model::iam::action_covers(general, specific)
}

fn any_covers(declared: &[String], granted: &str) -> bool {
    declared.iter().any(|d| covers(d, granted))
}

/// Whether filesystem root `granted` lies inside a declared root.
fn root_inside(declared: &str, granted: &str) -> bool {
    let norm = |p: &str| {
        let p = p.strip_prefix("./").unwrap_or(p);
        let p = p.trim_end_matches('/');
        if p.is_empty() || p == "." {
            ".".to_owned()
        } else {
            p.to_owned()
        }
    };
    let (d, g) = (norm(declared), norm(granted));
    if g.split('/').any(|seg| seg == "..") && !d.split('/').any(|seg| seg == "..") {
        return false;
    }
    g == d
        || covers(&d, &g)
        || (d == "." && !g.starts_with('/') && !g.starts_with('~') && !g.starts_with('$'))
        || g.strip_prefix(&d).is_some_and(|rest| rest.starts_with('/'))
        || (d == "/" && g.starts_with('/'))
}

/// How `g` goes beyond `decl`; `None` when the declaration covers it.
pub fn excess_of(g: &Grant, decl: &AgentDecl) -> Option<Excess> {
    let none = Vec::new();
    match &g.what {
        What::Aws { actions, resources } => {
            let aws = decl.aws.as_ref();
            let da = aws.map_or(&none, |a| &a.actions);
            let dr = aws.map_or(&none, |a| &a.resources);
            let extra_actions: Vec<&Written> = actions
                .iter()
                .filter(|a| !any_covers(da, &a.text))
                .collect();
            let extra_resources: Vec<&Written> = resources
                .iter()
                .filter(|r| !any_covers(dr, &r.text))
                .collect();
            let first = extra_actions.first().or(extra_resources.first())?;
            let names = |w: &[Written]| w.iter().map(|x| x.text.clone()).collect::<Vec<_>>();
            let mut beyond: Vec<String> = extra_actions.iter().map(|a| a.text.clone()).collect();
            beyond.extend(extra_resources.iter().map(|r| format!("on {}", r.text)));
            Some(Excess {
                span: first.span,
                granted: format!(
                    "grants {} on {}",
                    quoted(&names(actions)),
                    quoted(&names(resources))
                ),
                declared: if aws.is_none() {
                    "no AWS access".to_owned()
                } else {
                    format!("{} on {}", quoted(da), quoted(dr))
                },
                what: beyond.join(" "),
            })
        }
        What::AwsManaged { arn } => {
            let declared = decl.aws.as_ref().map_or(&none, |a| &a.managed_policies);
            (!any_covers(declared, arn)).then(|| Excess {
                span: g.span,
                granted: format!(
                    "attaches the managed policy `{arn}`, whose statements are not in the repository"
                ),
                declared: if declared.is_empty() {
                    "no managed policy".to_owned()
                } else {
                    format!("the managed policies {}", quoted(declared))
                },
                what: arn.clone(),
            })
        }
        What::Gcp { role, scope } | What::Azure { role, scope } => {
            let (needs, platform) = match &g.what {
                What::Gcp { .. } => (decl.gcp.as_ref(), "GCP"),
                _ => (decl.azure.as_ref(), "Azure"),
            };
            let roles = needs.map_or(&none, |n| &n.roles);
            let scopes = needs.map_or(&none, |n| &n.scopes);
            let role_ok = any_covers(roles, role);
            let scope_ok = any_covers(scopes, scope);
            (!(role_ok && scope_ok)).then(|| Excess {
                span: g.span,
                granted: format!("grants the {platform} role `{role}` on `{scope}`"),
                declared: if needs.is_none() {
                    format!("no {platform} role")
                } else {
                    format!("the roles {} on {}", quoted(roles), quoted(scopes))
                },
                what: format!("{role} on {scope}"),
            })
        }
        What::K8s {
            verbs,
            resources,
            namespace,
            via,
            resources_at,
        } => {
            let k = decl.kubernetes.as_ref();
            let dv = k.map_or(&none, |k| &k.verbs);
            let dr = k.map_or(&none, |k| &k.resources);
            let dn = k.map_or(&none, |k| &k.namespaces);
            let mut beyond: Vec<String> = verbs
                .iter()
                .filter(|v| !any_covers(dv, v))
                .cloned()
                .collect();
            let span = if beyond.is_empty() && resources.iter().any(|r| !any_covers(dr, r)) {
                *resources_at
            } else {
                g.span
            };
            beyond.extend(resources.iter().filter(|r| !any_covers(dr, r)).cloned());
            let where_ = match namespace {
                Some(ns) if !any_covers(dn, ns) => Some(format!("namespace {ns}")),
                None if !dn.iter().any(|d| d == "*") => Some("every namespace".to_owned()),
                _ => None,
            };
            beyond.extend(where_);
            if beyond.is_empty() {
                return None;
            }
            let in_ns = namespace
                .as_ref()
                .map_or("in every namespace".to_owned(), |ns| {
                    format!("in namespace `{ns}`")
                });
            Some(Excess {
                span,
                granted: format!(
                    "grants {} on {} {in_ns} ({via})",
                    quoted(verbs),
                    quoted(resources)
                ),
                declared: if k.is_none() {
                    "no Kubernetes access".to_owned()
                } else {
                    format!("{} on {} in {}", quoted(dv), quoted(dr), quoted(dn))
                },
                what: beyond.join(" "),
            })
        }
        What::Github { scope, level } => {
            let perms = decl.github.as_ref().map(|gh| &gh.permissions);
            let allowed = perms
                .and_then(|p| p.get(scope.as_str()).or_else(|| p.get("*")))
                .copied()
                .unwrap_or(AccessLevel::None);
            (*level > allowed).then(|| Excess {
                span: g.span,
                granted: format!("gives the GitHub token `{scope}: {}`", level.as_str()),
                declared: match perms {
                    Some(p) if !p.is_empty() => format!(
                        "the token permissions {}",
                        p.iter()
                            .map(|(k, v)| format!("`{k}: {}`", v.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => "no GitHub token permission".to_owned(),
                },
                what: format!("{scope}:{}", level.as_str()),
            })
        }
        What::Oauth { scope } => {
            let declared = decl.oauth.as_ref().map_or(&none, |o| &o.scopes);
            (!any_covers(declared, scope)).then(|| Excess {
                span: g.span,
                granted: format!("requests the OAuth scope `{scope}`"),
                declared: format!("the OAuth scopes {}", quoted(declared)),
                what: scope.clone(),
            })
        }
        What::McpServer { server } => {
            let declared = decl.mcp.as_ref().map_or(&none, |m| &m.servers);
            (!any_covers(declared, server)).then(|| Excess {
                span: g.span,
                granted: format!("is the MCP server `{server}`"),
                declared: format!("the MCP servers {}", quoted(declared)),
                what: server.clone(),
            })
        }
        What::McpRoot { server, root } => {
            let declared = decl.mcp.as_ref().map_or(&none, |m| &m.filesystem);
            (!declared.iter().any(|d| root_inside(d, root))).then(|| Excess {
                span: g.span,
                granted: format!(
                    "reads and writes files under `{root}` (filesystem server `{server}`)"
                ),
                declared: format!("the filesystem roots {}", quoted(declared)),
                what: root.clone(),
            })
        }
        What::HumanCredential { label } => (!decl.human_credentials).then(|| Excess {
            span: g.span,
            granted: format!("holds a person's credential ({label})"),
            declared: "`human-credentials = false`".to_owned(),
            what: "human-credential".to_owned(),
        }),
    }
}

/// How `g` goes beyond every declaration that names its workload (the first
/// declaration's view); `None` when one of them covers it.
pub fn excess(g: &Grant, decls: &[&AgentDecl]) -> Option<Excess> {
    let mut first = None;
    for d in decls {
        match excess_of(g, d) {
            None => return None,
            Some(e) if first.is_none() => first = Some(e),
            Some(_) => {}
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::config::Config;

    fn decl(toml: &str) -> AgentDecl {
        let c = Config::parse(&format!("[[agent]]\nname = \"a\"\n{toml}"), "x").unwrap();
        c.agent.into_iter().next().unwrap()
    }

    fn aws_grant(actions: &[&str], resources: &[&str]) -> Grant {
        let w = |t: &&str| written(t, Span::new(0, 1));
        Grant {
            holder: Holder::Identity(Identity::AwsRole("r".into())),
            what: What::Aws {
                actions: actions.iter().map(w).collect(),
                resources: resources.iter().map(w).collect(),
            },
            path: Arc::from("x"),
            span: Span::new(0, 1),
            key: "k".into(),
        }
    }

    #[test]
    fn wildcards_compare_in_both_directions() {
        let exact = decl(
            "aws = { actions = [\"s3:GetObject\"], resources = [\"arn:aws:s3:::invoices/*\"] }",
        );
        // A granted wildcard exceeds a declared action it contains.
        let e = excess_of(
            &aws_grant(&["s3:Get*"], &["arn:aws:s3:::invoices/*"]),
            &exact,
        )
        .unwrap();
        assert_eq!(e.what, "s3:Get*");
        assert!(excess_of(&aws_grant(&["s3:*"], &["*"]), &exact).is_some());
        // A declared wildcard covers the actions and resources it contains.
        let broad =
            decl("aws = { actions = [\"s3:Get*\"], resources = [\"arn:aws:s3:::invoices/*\"] }");
        assert_eq!(
            excess_of(
                &aws_grant(
                    &["s3:GetObject", "S3:getobjectacl"],
                    &["arn:aws:s3:::invoices/2024/*"]
                ),
                &broad
            ),
            None
        );
        // ...but not what merely overlaps it.
        assert!(excess_of(&aws_grant(&["s3:*"], &["arn:aws:s3:::invoices/*"]), &broad).is_some());
        let e = excess_of(&aws_grant(&["s3:GetObject"], &["arn:aws:s3:::*"]), &broad).unwrap();
        assert_eq!(e.what, "on arn:aws:s3:::*");
        // No AWS table: any statement exceeds.
        let e = excess_of(&aws_grant(&["s3:GetObject"], &["*"]), &decl("")).unwrap();
        assert_eq!(e.declared, "no AWS access");
    }

    #[test]
    fn other_platforms_compare_levels_globs_and_roots() {
        let d = decl(
            "github = { permissions = { contents = \"write\", issues = \"read\" } }\n\
             mcp = { servers = [\"github\"], filesystem = [\"./workspace\"] }\n\
             kubernetes = { verbs = [\"get\", \"list\"], resources = [\"configmaps\"], namespaces = [\"agents\"] }\n\
             gcp = { roles = [\"roles/storage.*\"], scopes = [\"projects/acme\"] }",
        );
        let g = |what: What| Grant {
            holder: Holder::Identity(Identity::AwsRole("r".into())),
            what,
            path: Arc::from("x"),
            span: Span::new(0, 1),
            key: "k".into(),
        };
        let gh = |scope: &str, level| What::Github {
            scope: scope.into(),
            level,
        };
        assert!(excess_of(&g(gh("contents", AccessLevel::Read)), &d).is_none());
        assert!(excess_of(&g(gh("issues", AccessLevel::Write)), &d).is_some());
        assert!(excess_of(&g(gh("*", AccessLevel::Read)), &d).is_some());
        let root = |r: &str| What::McpRoot {
            server: "fs".into(),
            root: r.into(),
        };
        assert!(excess_of(&g(root("./workspace/docs")), &d).is_none());
        assert!(excess_of(&g(root("workspace")), &d).is_none());
        assert!(excess_of(&g(root("/")), &d).is_some());
        assert!(excess_of(&g(root("./workspace/../..")), &d).is_some());
        let k8s = |verbs: &[&str], ns: Option<&str>| What::K8s {
            verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
            resources: vec!["configmaps".into()],
            namespace: ns.map(str::to_owned),
            via: String::new(),
            resources_at: Span::new(0, 1),
        };
        assert!(excess_of(&g(k8s(&["get"], Some("agents"))), &d).is_none());
        assert!(excess_of(&g(k8s(&["*"], Some("agents"))), &d).is_some());
        assert!(excess_of(&g(k8s(&["get"], None)), &d).is_some());
        let gcp = |role: &str, scope: &str| What::Gcp {
            role: role.into(),
            scope: scope.into(),
        };
        assert!(excess_of(&g(gcp("roles/storage.objectViewer", "projects/acme")), &d).is_none());
        assert!(excess_of(&g(gcp("roles/owner", "projects/acme")), &d).is_some());
        assert!(excess_of(&g(gcp("roles/storage.objectViewer", "organizations/1")), &d).is_some());
        let human = What::HumanCredential { label: "x".into() };
        assert!(excess_of(&g(human.clone()), &d).is_some());
        assert!(excess_of(&g(human), &decl("human-credentials = true")).is_none());
    }
}
