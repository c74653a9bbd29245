use crate::findings::{Confidence, Finding, Severity};
use crate::model::iam::{self, TfBlock};
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, ScalarKind};

declare_rule! {
    /// ## What it finds
    /// Broad built-in roles and policies granted to an identity:
    /// - AWS managed policies `AdministratorAccess`, `PowerUserAccess`, `IAMFullAccess`,
    ///   `*FullAccess`, attached with Terraform (`aws_iam_role_policy_attachment`,
    ///   `aws_iam_user_policy_attachment`, `aws_iam_group_policy_attachment`,
    ///   `aws_iam_policy_attachment`, `aws_iam_role.managed_policy_arns`) or
    ///   CloudFormation (`ManagedPolicyArns` of `AWS::IAM::Role`/`User`/`Group`, plain,
    ///   `!Sub` or `Fn::Join` with `${AWS::Partition}`).
    /// - GCP `roles/owner`, `roles/editor`, `roles/iam.serviceAccountTokenCreator`,
    ///   `roles/iam.serviceAccountUser`, `roles/*.admin` and the like bound at project,
    ///   folder or organization level (`google_project_iam_member`/`_binding`,
    ///   `google_folder_iam_*`, `google_organization_iam_*`, `binding` blocks of
    ///   `data "google_iam_policy"`). Bound on a single resource
    ///   (`google_storage_bucket_iam_member`) the grant is narrower: medium severity.
    ///   Service-account roles bound on one service account
    ///   (`google_service_account_iam_member`) are the intended narrow use and are not
    ///   reported.
    /// - Azure `Owner`, `Contributor`, `User Access Administrator` and `Role Based Access
    ///   Control Administrator` assigned (`azurerm_role_assignment`) at subscription or
    ///   management-group scope; at resource-group scope with medium severity; on a
    ///   single resource not at all.
    ///
    /// ## Why it matters
    /// These roles are written for administrators. An agent holding one can do anything
    /// the role allows across the account, project or subscription, including granting
    /// itself more, and a prompt injection inherits all of it.
    ///
    /// ## What to do instead
    /// Write a policy or custom role with the actions the agent's task calls, scoped to
    /// the resources it works on (IAM Access Analyzer, GCP's role recommender and Azure's
    /// access reviews show what is used). Grant at the narrowest scope: the bucket, the
    /// resource group, never the organization.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_iam_role_policy_attachment" "agent_admin" {
    ///   role       = aws_iam_role.agent.name
    ///   policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    /// }
    /// ```
    /// Use instead an `aws_iam_role_policy` listing the actions and ARNs the agent uses.
    pub(crate) struct AdminManagedPolicy {
        id: "admin-managed-policy",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A broad built-in policy or role (administrator, owner, full access) is granted to an identity",
        applies_to: |kind| matches!(
            kind,
            FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::CloudFormation
                | FileKind::Json
                | FileKind::Yaml
        ),
    }
}

impl Rule for AdminManagedPolicy {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        for doc in cx.documents() {
            let blocks = iam::tf_blocks(doc);
            for b in &blocks {
                match b.ty {
                    t if t.starts_with("aws_iam_") => aws_terraform(cx, k, doc, &blocks, b, out),
                    t if t.starts_with("google_") => gcp(cx, k, doc, &blocks, b, out),
                    "azurerm_role_assignment" if b.kind == "resource" => {
                        azure(cx, k, doc, b, out);
                    }
                    _ => {}
                }
            }
            cloudformation(cx, k, doc, out);
        }
    }
}

/// What every finding of this rule shares.
struct Grant<'a> {
    node: &'a Node,
    /// Document path of the granting resource: fingerprint key and holder lookup.
    path: String,
    /// `AWS managed policy AdministratorAccess`, `GCP role roles/owner`.
    what: String,
    why: &'a str,
    /// `attached to aws_iam_role.agent.name`, `at project level`.
    scope: String,
    severity: Severity,
    confidence: Confidence,
}

fn report(cx: &FileCx<'_>, doc: &Document, g: Grant<'_>, out: &mut Vec<Finding>) {
    let mut message = format!(
        "{} is granted {}: {}. The identity holds all of it, far more than any single task needs",
        g.what, g.scope, g.why
    );
    let mut severity = g.severity;
    let agent = iam::holder_agent(doc, &g.path);
    if let Some(why) = &agent {
        message.push_str(&format!("; {why}, so injected text can use all of it"));
        severity = severity.raised();
    }
    out.push(
        cx.finding(&AdminManagedPolicy::META, g.node.span, message)
            .label("broad built-in grant")
            .help("Grant a policy or custom role with only the actions the task calls, on the resources it works on, at the narrowest scope.")
            .severity(severity)
            .agent_context(agent.is_some())
            .confidence(g.confidence)
            .key(format!("{}:{}", g.path, g.what))
            .build(),
    );
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

fn aws_severity(name: &str) -> Severity {
    if name.eq_ignore_ascii_case("AdministratorAccess") {
        Severity::Critical
    } else {
        Severity::High
    }
}

/// `arn:aws:iam::aws:policy/service-role/AmazonS3FullAccess` → `AmazonS3FullAccess`.
fn policy_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn aws_terraform(
    cx: &FileCx<'_>,
    k: &Knowledge,
    doc: &Document,
    blocks: &[TfBlock<'_>],
    b: &TfBlock<'_>,
    out: &mut Vec<Finding>,
) {
    if b.kind != "resource" {
        return;
    }
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
        _ => return,
    };
    let holder = if b.ty == "aws_iam_role" {
        format!("to role `{}`", b.address())
    } else {
        [
            "role",
            "user",
            "group",
            "roles",
            "users",
            "groups",
            "role_name",
        ]
        .iter()
        .find_map(|a| b.body.get(a))
        .and_then(|n| n.as_text())
        .map_or_else(|| format!("by `{}`", b.address()), |h| format!("to `{h}`"))
    };
    for node in values {
        let Some(arn) = aws_policy_ref(node, blocks) else {
            continue;
        };
        let Some(admin) = k.aws_admin_policy(&arn) else {
            continue;
        };
        let name = policy_name(&arn);
        report(
            cx,
            doc,
            Grant {
                node,
                path: b.path(),
                what: format!("AWS managed policy `{name}`"),
                why: &admin.why,
                scope: holder.clone(),
                severity: aws_severity(name),
                confidence: Confidence::High,
            },
            out,
        );
    }
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

fn cloudformation(cx: &FileCx<'_>, k: &Knowledge, doc: &Document, out: &mut Vec<Finding>) {
    let Some(resources) = doc.root.get("Resources") else {
        return;
    };
    for e in resources.entries() {
        let Some(logical) = e.key_str() else { continue };
        let ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
        let kind = match ty {
            "AWS::IAM::Role" => "role",
            "AWS::IAM::User" => "user",
            "AWS::IAM::Group" => "group",
            _ => continue,
        };
        let arns = e
            .value
            .get_path(&["Properties", "ManagedPolicyArns"])
            .map(Node::items)
            .unwrap_or_default();
        for node in arns {
            let Some(arn) = cfn_text(node, 0) else {
                continue;
            };
            let Some(admin) = k.aws_admin_policy(&arn) else {
                continue;
            };
            let name = policy_name(&arn);
            report(
                cx,
                doc,
                Grant {
                    node,
                    path: format!("Resources.{logical}"),
                    what: format!("AWS managed policy `{name}`"),
                    why: &admin.why,
                    scope: format!("to {kind} `{logical}`"),
                    severity: aws_severity(name),
                    confidence: Confidence::High,
                },
                out,
            );
        }
    }
}

/// Where a GCP IAM resource type binds roles.
#[derive(Debug, Clone, Copy)]
enum GcpLevel<'a> {
    /// `project`, `folder`, `organization`.
    Hierarchy(&'a str),
    /// A single resource (`storage_bucket`, `service_account`).
    Resource(&'a str),
}

fn gcp_level(ty: &str) -> Option<GcpLevel<'_>> {
    let rest = ty.strip_prefix("google_")?;
    let target = rest
        .strip_suffix("_iam_member")
        .or_else(|| rest.strip_suffix("_iam_binding"))
        .or_else(|| rest.strip_suffix("_iam_policy"))?;
    Some(match target {
        "project" | "folder" | "organization" => GcpLevel::Hierarchy(target),
        other => GcpLevel::Resource(other),
    })
}

fn gcp(
    cx: &FileCx<'_>,
    k: &Knowledge,
    doc: &Document,
    blocks: &[TfBlock<'_>],
    b: &TfBlock<'_>,
    out: &mut Vec<Finding>,
) {
    // (role node, level) pairs this block grants.
    let mut roles: Vec<(&Node, Option<GcpLevel<'_>>)> = Vec::new();
    if b.kind == "data" && b.ty == "google_iam_policy" {
        // A policy document's level is that of the `*_iam_policy` resource using it.
        let address = b.address();
        let level = blocks
            .iter()
            .find(|u| u.kind == "resource" && u.references(&address))
            .and_then(|u| gcp_level(u.ty));
        for binding in b.body.get_all("binding") {
            if let Some(role) = binding.get("role") {
                roles.push((role, level));
            }
        }
    } else if b.kind == "resource" && !b.ty.ends_with("_iam_policy") {
        let Some(level) = gcp_level(b.ty) else { return };
        if let Some(role) = b.body.get("role") {
            roles.push((role, Some(level)));
        }
    }
    for (node, level) in roles {
        let Some(role) = node.as_str() else { continue };
        let Some(known) = k.gcp_role(role) else {
            continue;
        };
        let (scope, severity, confidence) = match level {
            Some(GcpLevel::Hierarchy(level)) => (
                format!("at {level} level, on every resource in the {level}"),
                if role == "roles/owner" {
                    Severity::Critical
                } else {
                    Severity::High
                },
                Confidence::High,
            ),
            // Service-account roles on one service account are how impersonation is
            // meant to be granted.
            Some(GcpLevel::Resource("service_account"))
                if role.starts_with("roles/iam.serviceAccount") =>
            {
                continue;
            }
            Some(GcpLevel::Resource(target)) => (
                format!("on one `{target}`"),
                Severity::Medium,
                Confidence::High,
            ),
            None => (
                "in an IAM policy document whose level is not visible in this file".to_owned(),
                Severity::High,
                Confidence::Medium,
            ),
        };
        report(
            cx,
            doc,
            Grant {
                node,
                path: b.path(),
                what: format!("GCP role `{role}`"),
                why: &known.why,
                scope,
                severity,
                confidence,
            },
            out,
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AzureScope {
    ManagementGroup,
    Subscription,
    ResourceGroup,
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

fn azure(cx: &FileCx<'_>, k: &Knowledge, doc: &Document, b: &TfBlock<'_>, out: &mut Vec<Finding>) {
    let Some(node) = b.body.get("role_definition_name") else {
        return;
    };
    let Some(role) = node.as_str() else { return };
    let Some(known) = k.azure_role(role) else {
        return;
    };
    let Some(scope) = b.body.get("scope").and_then(azure_scope) else {
        return;
    };
    let (scope, severity) = match scope {
        AzureScope::ManagementGroup => (
            "at management-group scope, on every subscription below it",
            Severity::High,
        ),
        AzureScope::Subscription => (
            "at subscription scope, on every resource in it",
            Severity::High,
        ),
        AzureScope::ResourceGroup => ("at resource-group scope", Severity::Medium),
    };
    let severity = if role.eq_ignore_ascii_case("Owner") && severity == Severity::High {
        Severity::Critical
    } else {
        severity
    };
    report(
        cx,
        doc,
        Grant {
            node,
            path: b.path(),
            what: format!("Azure role `{role}`"),
            why: &known.why,
            scope: scope.to_owned(),
            severity,
            confidence: Confidence::High,
        },
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
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
