//! Grants as Terraform and CloudFormation write them: IAM policy documents, managed
//! policies attached by ARN, GCP and Azure role bindings, each with the identities
//! holding it and whether an AI agent visibly does. Read once per file; the IAM rules,
//! `admin-managed-policy` and the grants model all start from these.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::azure::{AzurePermission, AzureRoleDefinition};
use crate::model::extract::iac::{ArmScope, arm_resources, arm_scope};
use crate::model::extract::modules::{module_calls, values as module_values};
use crate::model::grants::{AzureScope, GcpLevel, RoleBinding, RoleTarget, Value};
use crate::model::iam::{self, Attacher, Holders, IamPolicy, IamStatement, ManagedPolicy, TfBlock};
use crate::model::identity::Identity;
use crate::model::modules::ReadsAs;
use crate::syntax::doc::{Document, Node, ScalarKind};

/// Reads the grants written in one document: IAM policies, managed-policy
/// attachments, GCP and Azure role bindings.
pub(super) struct Reader<'a> {
    doc: &'a Document,
    /// The document's index in its file.
    index: usize,
    /// The Terraform module or CloudFormation template references resolve in, for the
    /// files whose holders the grants model follows.
    scope: Option<&'a str>,
    holding: Holders<'a>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(doc: &'a Document, index: usize, scope: Option<&'a str>) -> Self {
        Reader {
            doc,
            index,
            scope,
            holding: Holders::new(doc),
        }
    }

    /// Every IAM policy document.
    pub(super) fn policies(&mut self, out: &mut Vec<IamPolicy>) {
        for policy in iam::policies(self.doc) {
            // Trust policies say who may assume a role, not what the role may do.
            let lower = policy.path.to_ascii_lowercase();
            let trust =
                lower.contains("assume_role_policy") || lower.contains("assumerolepolicydocument");
            let holders = match self.holding.enclosing(policy.node.span) {
                Some(at) if !trust => self.holders_at(&at),
                _ => Vec::new(),
            };
            out.push(IamPolicy {
                doc: self.index,
                agent: self.holding.agent(&policy.path),
                holders,
                statements: policy.statements.iter().map(IamStatement::from).collect(),
                path: policy.path,
            });
        }
    }

    /// Managed policies attached by ARN or name, in Terraform blocks first, then in
    /// CloudFormation resources.
    pub(super) fn managed_policies(&mut self, out: &mut Vec<ManagedPolicy>) {
        let blocks = iam::tf_blocks(self.doc);
        for b in blocks.iter().filter(|b| b.kind == "resource") {
            let values: Vec<&Node> = match b.ty {
                "aws_iam_role_policy_attachment"
                | "aws_iam_user_policy_attachment"
                | "aws_iam_group_policy_attachment"
                | "aws_iam_policy_attachment" => b.body.get("policy_arn").into_iter().collect(),
                "aws_iam_role" => b
                    .body
                    .get("managed_policy_arns")
                    .map(Node::one_or_many)
                    .unwrap_or_default(),
                "aws_iam_role_policy_attachments_exclusive" => b
                    .body
                    .get("policy_arns")
                    .map(Node::one_or_many)
                    .unwrap_or_default(),
                _ => continue,
            };
            let path = b.path();
            let holders = self.holders_at(&path);
            let by = Attacher::Terraform {
                ty: b.ty.to_owned(),
                holder: TF_ATTACHMENT_HOLDERS
                    .iter()
                    .find_map(|a| b.body.get(a))
                    .and_then(Node::as_text)
                    .map(str::to_owned),
            };
            let attached = Attached {
                index: self.index,
                name: b.address(),
                by,
                holders,
                agent: self.holding.agent(&path),
                path,
            };
            for node in values {
                attached.push(node, aws_policy_ref(node, &blocks), out);
            }
        }
        // Calls of well-known IAM modules attach what their inputs say.
        for call in module_calls(self.doc) {
            let path = format!("module.{}", call.name);
            let attached = Attached {
                index: self.index,
                name: call.name.to_owned(),
                by: Attacher::Terraform {
                    ty: "module".to_owned(),
                    // How the finding names the holder: what the module creates.
                    holder: Some(match call.created_name() {
                        Some(n) => format!(
                            "{} `{n}` that `module.{}` ({}) creates",
                            call.spec.creates, call.name, call.spec.title
                        ),
                        None => format!(
                            "{} that `module.{}` ({}) creates",
                            call.spec.creates, call.name, call.spec.title
                        ),
                    }),
                },
                holders: Vec::new(),
                agent: self.holding.agent(&path),
                path,
            };
            for (_, node) in call.inputs(ReadsAs::PolicyArns) {
                for v in module_values(node) {
                    attached.push(v, aws_policy_ref(v, &blocks), out);
                }
            }
            for (spec, node) in call.inputs(ReadsAs::PolicyIf) {
                if node.as_bool() != Some(false) {
                    out.push(ManagedPolicy {
                        doc: self.index,
                        path: attached.path.clone(),
                        name: attached.name.clone(),
                        by: attached.by.clone(),
                        written: spec.policy.clone(),
                        policy: spec.policy.clone(),
                        span: node.span,
                        holders: Vec::new(),
                        agent: attached.agent.clone(),
                    });
                }
            }
        }
        for (logical, res) in iam::cfn_resources(self.doc) {
            let Some(arns) = res.value.get_path(&["Properties", "ManagedPolicyArns"]) else {
                continue;
            };
            let principal = match res.value.get("Type").and_then(Node::as_str) {
                Some("AWS::IAM::Role") => Some("role"),
                Some("AWS::IAM::User") => Some("user"),
                Some("AWS::IAM::Group") => Some("group"),
                _ => None,
            };
            let path = format!("Resources.{logical}");
            let attached = Attached {
                index: self.index,
                name: logical.to_owned(),
                by: Attacher::CloudFormation { principal },
                holders: self.holders_at(&path),
                agent: self.holding.agent(&path),
                path,
            };
            for node in arns.items() {
                attached.push(node, cfn_text(node, 0), out);
            }
        }
    }

    /// GCP `google_*_iam_member`/`_binding` resources and `binding`s of
    /// `data "google_iam_policy"`, and Azure `azurerm_role_assignment`, in block order.
    pub(super) fn role_bindings(&mut self, out: &mut Vec<RoleBinding>) {
        let scope = self.scope;
        let blocks = iam::tf_blocks(self.doc);
        for b in &blocks {
            // (role, target, holders) of each role the block grants.
            let mut granted: Vec<(&Node, RoleTarget, Vec<Identity>)> = Vec::new();
            // The same, with the role's name or id found elsewhere (a data source).
            let mut resolved: Vec<(&Node, &str, RoleTarget, Vec<Identity>)> = Vec::new();
            if b.kind == "data" && b.ty == "google_iam_policy" {
                // A policy document's level is that of the `*_iam_policy` resource using it.
                let address = b.address();
                let level = blocks
                    .iter()
                    .find(|u| u.kind == "resource" && u.references(&address))
                    .and_then(|u| gcp_level(u.ty));
                for role in b.body.get_all("binding").filter_map(|x| x.get("role")) {
                    let on = RoleTarget::GcpPolicyDocument {
                        level: level.clone(),
                    };
                    granted.push((role, on, Vec::new()));
                }
            } else if b.kind != "resource" {
                continue;
            } else if b.ty.starts_with("google_")
                && (b.ty.ends_with("_iam_member") || b.ty.ends_with("_iam_binding"))
            {
                let Some(role) = b.body.get("role") else {
                    continue;
                };
                let members = ["member", "members"]
                    .iter()
                    .filter_map(|k| b.body.get(k))
                    .flat_map(Node::one_or_many)
                    .filter_map(Node::as_text);
                let holders = match scope {
                    Some(scope) => members.filter_map(|m| gcp_member(m, scope)).collect(),
                    None => Vec::new(),
                };
                let on = RoleTarget::GcpResource {
                    level: gcp_level(b.ty),
                    scope: gcp_scope(b.ty, b.body),
                };
                granted.push((role, on, holders));
            } else if b.ty == "azurerm_role_assignment" {
                let by_name = b.body.get("role_definition_name");
                let Some(role) = by_name.or_else(|| b.body.get("role_definition_id")) else {
                    continue;
                };
                // `role_definition_id = data.azurerm_role_definition.owner.id`: the data
                // source names the role.
                let looked_up = by_name
                    .is_none()
                    .then(|| role.as_text())
                    .flatten()
                    .and_then(|text| {
                        blocks.iter().find(|d| {
                            d.kind == "data"
                                && d.ty == "azurerm_role_definition"
                                && iam::refers_to(text, &d.address())
                        })
                    })
                    .and_then(|d| {
                        d.body
                            .get("name")
                            .and_then(Node::as_str)
                            .map(|n| (n, true))
                            .or_else(|| {
                                ["role_definition_id", "id"]
                                    .iter()
                                    .find_map(|k| d.body.get(k).and_then(Node::as_str))
                                    .map(|id| (id, false))
                            })
                    });
                let principal = b.body.get("principal_id").and_then(Node::as_text);
                let holders = match (principal, scope) {
                    (Some(principal), Some(scope)) => vec![azure_principal(principal, scope)],
                    _ => Vec::new(),
                };
                let at = b.body.get("scope");
                let on = RoleTarget::Azure {
                    by_name: by_name.is_some() || looked_up.is_some_and(|(_, name)| name),
                    scope: at.and_then(Node::as_text).map(str::to_owned),
                    level: at.and_then(azure_scope),
                };
                match looked_up {
                    Some((text, _)) => resolved.push((role, text, on, holders)),
                    None => granted.push((role, on, holders)),
                }
            }
            if granted.is_empty() && resolved.is_empty() {
                continue;
            }
            let path = b.path();
            let agent = self.holding.agent(&path);
            let granted = granted
                .into_iter()
                .map(|(role, on, holders)| (Value::of(role), on, holders))
                .chain(resolved.into_iter().map(|(role, text, on, holders)| {
                    let value = Value {
                        text: text.to_owned(),
                        literal: true,
                        span: role.span,
                    };
                    (value, on, holders)
                }));
            for (role, on, holders) in granted {
                out.push(RoleBinding {
                    doc: self.index,
                    path: path.clone(),
                    role,
                    on,
                    holders,
                    agent: agent.clone(),
                });
            }
        }
        self.arm_role_assignments(out);
    }

    /// Role assignments of an ARM template (`Microsoft.Authorization/roleAssignments`):
    /// at the template's deployment scope unless they name a `scope` of their own.
    fn arm_role_assignments(&mut self, out: &mut Vec<RoleBinding>) {
        let Some(deployed) = arm_scope(self.doc) else {
            return;
        };
        for res in arm_resources(self.doc) {
            if !res
                .ty
                .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
            {
                continue;
            }
            let Some(role) = res.properties.and_then(|p| p.get("roleDefinitionId")) else {
                continue;
            };
            // An extension resource on one resource (`scope`) is that narrow.
            let own_scope = res.body.get("scope");
            let level = match (own_scope, deployed) {
                (Some(_), _) => None,
                (None, ArmScope::ResourceGroup) => Some(AzureScope::ResourceGroup),
                (None, ArmScope::Subscription) => Some(AzureScope::Subscription),
                (None, ArmScope::ManagementGroup | ArmScope::Tenant) => {
                    Some(AzureScope::ManagementGroup)
                }
            };
            out.push(RoleBinding {
                doc: self.index,
                path: res.path.clone(),
                role: Value::of(role),
                on: RoleTarget::Azure {
                    by_name: false,
                    scope: own_scope.and_then(Node::as_text).map(str::to_owned),
                    level,
                },
                holders: Vec::new(),
                agent: None,
            });
        }
    }

    /// Azure custom role definitions: Terraform `azurerm_role_definition`, ARM
    /// `Microsoft.Authorization/roleDefinitions`.
    pub(super) fn azure_roles(&mut self, out: &mut Vec<AzureRoleDefinition>) {
        for b in iam::tf_blocks(self.doc) {
            if b.kind != "resource" || b.ty != "azurerm_role_definition" {
                continue;
            }
            let body = b.body.items().first().unwrap_or(b.body);
            let permissions = body
                .get_all("permissions")
                .flat_map(|p| {
                    if p.is_seq() {
                        p.items().iter().collect()
                    } else {
                        vec![p]
                    }
                })
                .map(|p| AzurePermission {
                    actions: list(p.get("actions")),
                    not_actions: list(p.get("not_actions")),
                })
                .collect();
            out.push(AzureRoleDefinition {
                path: b.path(),
                name: body
                    .get("name")
                    .and_then(Node::as_str)
                    .map_or_else(|| b.address(), str::to_owned),
                span: b.name_span,
                permissions,
            });
        }
        for res in arm_resources(self.doc) {
            if !res
                .ty
                .eq_ignore_ascii_case("Microsoft.Authorization/roleDefinitions")
            {
                continue;
            }
            let props = res.properties;
            let permissions = props
                .and_then(|p| p.get("permissions"))
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .map(|p| AzurePermission {
                    actions: list(p.get("actions")),
                    not_actions: list(p.get("notActions")),
                })
                .collect();
            out.push(AzureRoleDefinition {
                path: res.path.clone(),
                name: props
                    .and_then(|p| p.get("roleName"))
                    .and_then(Node::as_str)
                    .map_or_else(|| res.display(), str::to_owned),
                span: res.span(),
                permissions,
            });
        }
    }

    /// The identities holding what the Terraform block or CloudFormation resource at
    /// document path `at` grants: those it references, else a role it names literally.
    fn holders_at(&mut self, at: &str) -> Vec<Identity> {
        let Some(scope) = self.scope else {
            return Vec::new();
        };
        let holders = self.holding.identities(at, scope);
        if holders.is_empty() {
            literal_role_holders(self.doc, at)
        } else {
            holders
        }
    }
}

/// The values of a list setting (or of one scalar).
fn list(node: Option<&Node>) -> Vec<Value> {
    node.map(Node::one_or_many)
        .unwrap_or_default()
        .into_iter()
        .map(Value::of)
        .collect()
}

/// Terraform `role = "agent-runtime"`: a role named literally, defined outside the
/// repository (nothing for other paths).
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

/// Attributes through which a Terraform attachment names its holder, in the order a
/// message prefers them.
const TF_ATTACHMENT_HOLDERS: &[&str] = &[
    "role",
    "user",
    "group",
    "roles",
    "users",
    "groups",
    "role_name",
];

/// What the policies one resource attaches share.
struct Attached {
    index: usize,
    path: String,
    name: String,
    by: Attacher,
    holders: Vec<Identity>,
    agent: Option<String>,
}

impl Attached {
    fn push(&self, node: &Node, policy: Option<String>, out: &mut Vec<ManagedPolicy>) {
        out.push(ManagedPolicy {
            doc: self.index,
            path: self.path.clone(),
            name: self.name.clone(),
            by: self.by.clone(),
            written: node.as_text().map(str::to_owned),
            policy,
            span: node.span,
            holders: self.holders.clone(),
            agent: self.agent.clone(),
        });
    }
}

/// The text of a value that may be a template (`"arn:${data.aws_partition.p.partition}:..."`,
/// whose source text keeps its quotes) or a literal.
fn tf_text(node: &Node) -> Option<&str> {
    let s = node.as_scalar()?;
    Some(match s.kind {
        ScalarKind::Expr => s
            .text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(&s.text),
        _ => &s.text,
    })
}

/// The policy ARN or name a Terraform value stands for: a literal or template, or a
/// reference to a `data "aws_iam_policy"` in the same file.
fn aws_policy_ref(node: &Node, blocks: &[TfBlock<'_>]) -> Option<String> {
    let text = tf_text(node)?;
    if let Some(data) = blocks.iter().find(|b| {
        b.kind == "data" && b.ty == "aws_iam_policy" && iam::refers_to(text, &b.address())
    }) {
        return ["arn", "name"]
            .iter()
            .find_map(|k| data.body.get(k).and_then(Node::as_str))
            .map(str::to_owned);
    }
    Some(text.to_owned())
}

/// The string a CloudFormation value evaluates to, as far as it can be known without
/// deploying: literals, `!Sub`/`Fn::Sub` (placeholders kept), `!Join`/`Fn::Join`
/// (`AWS::Partition` resolved to `aws`, other references kept as `${...}`).
fn cfn_text(node: &Node, depth: usize) -> Option<String> {
    if depth > 4 {
        return None;
    }
    if let Some(s) = node.as_scalar() {
        return Some(match node.tag() {
            Some("!Ref") if s.text == "AWS::Partition" => "aws".to_owned(),
            Some("!Ref" | "!GetAtt") => format!("${{{}}}", s.text),
            _ => s.text.clone(),
        });
    }
    let (function, args) = match node.tag() {
        Some(tag @ ("!Sub" | "!Join")) => (tag.trim_start_matches('!'), node),
        _ => {
            let [entry] = node.entries() else {
                return None;
            };
            let name = entry.key_str()?;
            (name.strip_prefix("Fn::").unwrap_or(name), &entry.value)
        }
    };
    match function {
        "Ref" => {
            let r = args.as_text()?;
            Some(if r == "AWS::Partition" {
                "aws".to_owned()
            } else {
                format!("${{{r}}}")
            })
        }
        "Sub" => match args.as_text() {
            Some(t) => Some(t.to_owned()),
            None => args.items().first().and_then(|n| cfn_text(n, depth + 1)),
        },
        "Join" => {
            let [sep, parts] = args.items() else {
                return None;
            };
            let sep = sep.as_text()?;
            let parts: Option<Vec<String>> = parts
                .items()
                .iter()
                .map(|p| cfn_text(p, depth + 1))
                .collect();
            Some(parts?.join(sep))
        }
        _ => None,
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

/// The managed identity an Azure `principal_id` names.
fn azure_principal(principal: &str, scope: &str) -> Identity {
    match AZURE_ID_REF.as_ref().and_then(|re| re.captures(principal)) {
        Some(c) => {
            Identity::AzureIdentity(format!("{scope}:azurerm_user_assigned_identity.{}", &c[1]))
        }
        None => Identity::AzureIdentity(principal.to_owned()),
    }
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

/// The level a `google_<target>_iam_member|binding|policy` type binds at.
fn gcp_level(ty: &str) -> Option<GcpLevel> {
    let rest = ty.strip_prefix("google_")?;
    let target = rest
        .strip_suffix("_iam_member")
        .or_else(|| rest.strip_suffix("_iam_binding"))
        .or_else(|| rest.strip_suffix("_iam_policy"))?;
    Some(match target {
        "project" | "folder" | "organization" => GcpLevel::Hierarchy(target.to_owned()),
        other => GcpLevel::Resource(other.to_owned()),
    })
}

/// The scope an `azurerm_role_assignment.scope` value names, when it is one of the
/// broad ones; `None` for a single resource or an unknown value.
fn azure_scope(node: &Node) -> Option<AzureScope> {
    let text = tf_text(node)?;
    let lower = text.to_ascii_lowercase();
    if node.as_scalar()?.kind == ScalarKind::Expr && !lower.starts_with('/') {
        // A reference: its resource type says what it is.
        let ty = lower.strip_prefix("data.").unwrap_or(&lower);
        return if ty.starts_with("azurerm_management_group.") {
            Some(AzureScope::ManagementGroup)
        } else if ty.starts_with("azurerm_subscription.") {
            Some(AzureScope::Subscription)
        } else if ty.starts_with("azurerm_resource_group.") {
            Some(AzureScope::ResourceGroup)
        } else {
            None
        };
    }
    if lower.contains("/providers/microsoft.management/managementgroups/") || lower == "/" {
        return Some(AzureScope::ManagementGroup);
    }
    let segments: Vec<&str> = lower.trim_end_matches('/').split('/').skip(1).collect();
    match segments.as_slice() {
        ["subscriptions", _] => Some(AzureScope::Subscription),
        ["subscriptions", _, "resourcegroups", _] => Some(AzureScope::ResourceGroup),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::knowledge::Knowledge;
    use crate::syntax::source::Span;

    fn expr(text: &str) -> Node {
        Node::scalar(Span::default(), text, ScalarKind::Expr)
    }

    fn lit(text: &str) -> Node {
        Node::scalar(Span::default(), text, ScalarKind::Str)
    }

    #[test]
    fn azure_scopes() {
        let cases = [
            (lit("/subscriptions/abc"), Some(AzureScope::Subscription)),
            (lit("/subscriptions/abc/"), Some(AzureScope::Subscription)),
            (
                expr("\"/subscriptions/${var.subscription_id}\""),
                Some(AzureScope::Subscription),
            ),
            (
                lit("/subscriptions/abc/resourceGroups/rg"),
                Some(AzureScope::ResourceGroup),
            ),
            (
                lit(
                    "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s",
                ),
                None,
            ),
            (
                lit("/providers/Microsoft.Management/managementGroups/root"),
                Some(AzureScope::ManagementGroup),
            ),
            (
                expr("data.azurerm_subscription.current.id"),
                Some(AzureScope::Subscription),
            ),
            (
                expr("azurerm_resource_group.agents.id"),
                Some(AzureScope::ResourceGroup),
            ),
            (expr("azurerm_key_vault.agent.id"), None),
            (expr("var.scope"), None),
        ];
        for (node, want) in cases {
            assert_eq!(azure_scope(&node), want, "{:?}", node.as_text());
        }
    }

    #[test]
    fn templated_policy_arns_resolve() {
        let node = expr(
            "\"arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess\"",
        );
        let text = aws_policy_ref(&node, &[]).unwrap();
        let k = Knowledge::builtin().unwrap();
        assert_eq!(
            k.aws_admin_policy(&text).map(|p| p.name.as_str()),
            Some("AdministratorAccess")
        );
        assert_eq!(
            cfn_text(&lit("AWS::Partition").with_tag("!Ref"), 0).as_deref(),
            Some("aws")
        );
    }
}
