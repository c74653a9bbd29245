use crate::findings::{Confidence, Finding, Severity};
use crate::model::grants::{AzureScope, GcpLevel, RoleBinding, RoleTarget};
use crate::model::iam::{Attacher, ManagedPolicy};
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Broad built-in roles and policies granted to an identity:
    /// - AWS managed policies `AdministratorAccess`, `PowerUserAccess`, `IAMFullAccess`,
    ///   `*FullAccess`, attached with Terraform (`aws_iam_role_policy_attachment`,
    ///   `aws_iam_user_policy_attachment`, `aws_iam_group_policy_attachment`,
    ///   `aws_iam_policy_attachment`, `aws_iam_role.managed_policy_arns`) or
    ///   CloudFormation (`ManagedPolicyArns` of `AWS::IAM::Role`/`User`/`Group`, plain,
    ///   `!Sub` or `Fn::Join` with `${AWS::Partition}`), or through the inputs of a
    ///   well-known IAM module (`terraform-aws-modules/iam`: `policy_arns`, `policies`,
    ///   `custom_role_policy_arns`, `role_policy_arns`, `custom_group_policy_arns`,
    ///   `attach_admin_policy = true`, `create_admin_role = true`; the table is
    ///   `rules/modules.toml`).
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
    ///   Control Administrator` assigned (`azurerm_role_assignment` by
    ///   `role_definition_name`, by a `role_definition_id` holding the built-in role's
    ///   id or by a `data "azurerm_role_definition"`; ARM
    ///   `Microsoft.Authorization/roleAssignments` by `roleDefinitionId`, at the
    ///   template's deployment scope) at subscription or management-group scope; at
    ///   resource-group scope with medium severity; on a single resource not at all. The
    ///   ids of the built-in roles are data (`[[azure.role]]` in
    ///   `rules/permissions.toml`).
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
        for m in &cx.facts.written().managed_policies {
            aws(cx, k, m, out);
        }
        for r in &cx.facts.written().role_bindings {
            match &r.on {
                RoleTarget::Azure { .. } => azure(cx, k, r, out),
                _ => gcp(cx, k, r, out),
            }
        }
    }
}

/// What every finding of this rule shares.
struct Grant<'a> {
    span: Span,
    /// Document path of the granting resource: fingerprint key.
    path: &'a str,
    /// `AWS managed policy AdministratorAccess`, `GCP role roles/owner`.
    what: String,
    why: &'a str,
    /// `attached to aws_iam_role.agent.name`, `at project level`.
    scope: String,
    severity: Severity,
    confidence: Confidence,
    /// Why the holder looks like an AI agent.
    agent: Option<&'a str>,
}

fn report(cx: &FileCx<'_>, g: Grant<'_>, out: &mut Vec<Finding>) {
    let mut message = format!(
        "{} is granted {}: {}. The identity holds all of it, far more than any single task needs",
        g.what, g.scope, g.why
    );
    let mut severity = g.severity;
    if let Some(why) = g.agent {
        message.push_str(&format!("; {why}, so injected text can use all of it"));
        severity = severity.raised();
    }
    out.push(
        cx.finding(&AdminManagedPolicy::META, g.span, message)
            .label("broad built-in grant")
            .help("Grant a policy or custom role with only the actions the task calls, on the resources it works on, at the narrowest scope.")
            .severity(severity)
            .agent_context(g.agent.is_some())
            .confidence(g.confidence)
            .key(format!("{}:{}", g.path, g.what))
            .build(),
    );
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

fn aws(cx: &FileCx<'_>, k: &Knowledge, m: &ManagedPolicy, out: &mut Vec<Finding>) {
    let scope = match &m.by {
        Attacher::Terraform { ty, .. } if ty == "aws_iam_role" => {
            format!("to role `{}`", m.name)
        }
        // A call of a well-known IAM module: the holder says what it creates.
        Attacher::Terraform {
            ty,
            holder: Some(h),
        } if ty == "module" => format!("to the {h}"),
        Attacher::Terraform {
            holder: Some(h), ..
        } => format!("to `{h}`"),
        Attacher::Terraform { holder: None, .. } => format!("by `{}`", m.name),
        Attacher::CloudFormation {
            principal: Some(kind),
        } => format!("to {kind} `{}`", m.name),
        // Only IAM roles, users and groups hold policies.
        Attacher::CloudFormation { principal: None } => return,
    };
    let Some(arn) = &m.policy else { return };
    let Some(admin) = k.aws_admin_policy(arn) else {
        return;
    };
    let name = policy_name(arn);
    report(
        cx,
        Grant {
            span: m.span,
            path: &m.path,
            what: format!("AWS managed policy `{name}`"),
            why: &admin.why,
            scope,
            severity: aws_severity(name),
            confidence: Confidence::High,
            agent: m.agent.as_deref(),
        },
        out,
    );
}

fn gcp(cx: &FileCx<'_>, k: &Knowledge, r: &RoleBinding, out: &mut Vec<Finding>) {
    let level = match &r.on {
        RoleTarget::GcpResource {
            level: Some(level), ..
        } => Some(level),
        RoleTarget::GcpPolicyDocument { level } => level.as_ref(),
        _ => return,
    };
    let Some(role) = r.role.as_str() else { return };
    let Some(known) = k.gcp_role(role) else {
        return;
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
        // Service-account roles on one service account are how impersonation is meant
        // to be granted.
        Some(GcpLevel::Resource(target))
            if target == "service_account" && role.starts_with("roles/iam.serviceAccount") =>
        {
            return;
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
        Grant {
            span: r.role.span,
            path: &r.path,
            what: format!("GCP role `{role}`"),
            why: &known.why,
            scope,
            severity,
            confidence,
            agent: r.agent.as_deref(),
        },
        out,
    );
}

fn azure(cx: &FileCx<'_>, k: &Knowledge, r: &RoleBinding, out: &mut Vec<Finding>) {
    let RoleTarget::Azure { by_name, level, .. } = &r.on else {
        return;
    };
    // A built-in role is named, or given by its definition id (any text holding it:
    // a resource id, an ARM `subscriptionResourceId(...)` expression).
    let known = if *by_name {
        r.role.as_str().and_then(|role| k.azure_role(role))
    } else {
        k.azure_role_by_id(&r.role.text)
    };
    let Some(known) = known else {
        return;
    };
    let role = known.role.as_str();
    let Some(scope) = level else {
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
        Grant {
            span: r.role.span,
            path: &r.path,
            what: format!("Azure role `{role}`"),
            why: &known.why,
            scope: scope.to_owned(),
            severity,
            confidence: Confidence::High,
            agent: r.agent.as_deref(),
        },
        out,
    );
}
