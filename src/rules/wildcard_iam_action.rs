use crate::findings::{Finding, Severity};
use crate::model::azure::{AzureRoleDefinition, AzureWildcard, azure_wildcard};
use crate::model::iam::{IamPolicy, IamStatement};
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};

declare_rule! {
    /// ## What it finds
    /// An IAM policy statement that allows every action (`"Action": "*"`), every action
    /// of a service (`"s3:*"`), or everything except a list (`NotAction` with
    /// `Effect: Allow`). Read from Terraform (`jsonencode({...})`, heredoc JSON,
    /// `data "aws_iam_policy_document"` statement blocks), CloudFormation (YAML with
    /// `!Ref`/`!Sub`/`!GetAtt`, or JSON) and standalone policy JSON files.
    ///
    /// Azure custom role definitions the same (Terraform `azurerm_role_definition`, ARM
    /// `Microsoft.Authorization/roleDefinitions`): `actions` with `*` (critical unless
    /// `not_actions` keep role assignments out), `*/write`, `*/delete`, `*/action`, or
    /// every action of a provider (`Microsoft.Compute/*`, `Microsoft.Authorization/*`),
    /// unless the block's `not_actions` remove it.
    ///
    /// ## Why it matters
    /// No agent task needs every action. A wildcard grants today's and tomorrow's
    /// actions alike, including the ones that delete data, change permissions or move
    /// money, so a prompt-injected or confused agent can do all of it.
    ///
    /// ## What to do instead
    /// List the actions the agent's task calls (IAM Access Analyzer or CloudTrail show
    /// which it used) and scope `Resource` to the ARNs it works on.
    ///
    /// ## Example
    /// ```hcl
    /// policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
    /// ```
    /// Use instead `Action = ["s3:GetObject"]` on `arn:aws:s3:::invoices/*`.
    pub(crate) struct WildcardIamAction {
        id: "wildcard-iam-action",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An IAM policy statement allows every action, or every action of a service",
        applies_to: |kind| kind.may_hold_iam_policies(),
    }
}

impl Rule for WildcardIamAction {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for policy in &cx.facts.written().iam_policies {
            for st in policy.statements.iter().filter(|s| s.allows()) {
                check_statement(cx, policy, st, out);
            }
        }
        for role in &cx.facts.written().azure_roles {
            azure_role(cx, role, out);
        }
    }
}

/// An Azure custom role definition whose actions are `*`, `*/write` and the like, or
/// every action of a resource provider.
fn azure_role(cx: &FileCx<'_>, role: &AzureRoleDefinition, out: &mut Vec<Finding>) {
    let k = Knowledge::builtin();
    for perm in &role.permissions {
        for action in perm.actions.iter().filter(|a| a.literal) {
            let text = action.text.as_str();
            let Some(wild) = azure_wildcard(text) else {
                continue;
            };
            if perm.excludes(text) {
                continue;
            }
            let what = match wild {
                AzureWildcard::All => "every action of every resource provider".to_owned(),
                AzureWildcard::Verb(verb) => {
                    format!("every `{verb}` operation of every resource provider")
                }
                AzureWildcard::Provider(p) => format!("every action of `{p}`"),
            };
            let escalation = k
                .and_then(|k| k.azure_escalation(text))
                .filter(|e| !perm.excludes(&e.action));
            let mut message = format!(
                "Azure role definition `{}` allows {what} (`{text}`), far beyond what one task needs",
                role.name
            );
            if let Some(e) = escalation {
                message.push_str(&format!("; it includes `{}`, which {}", e.action, e.why));
            }
            let mut b = cx
                .finding(&WildcardIamAction::META, action.span, message)
                .label("wildcard action")
                .help("List the operations the task calls (`Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read`) and keep `Microsoft.Authorization/*` out of agent roles.")
                .related(cx.path, role.span, "the role definition")
                .key(format!("{}:actions:{text}", role.path));
            // `*` with role assignments left in is Owner under another name.
            if wild == AzureWildcard::All && escalation.is_some() {
                b = b.severity(Severity::Critical);
            }
            out.push(b.build());
        }
    }
}

fn check_statement(cx: &FileCx<'_>, policy: &IamPolicy, st: &IamStatement, out: &mut Vec<Finding>) {
    let sid = st
        .sid
        .as_deref()
        .map(|s| format!(" `{s}`"))
        .unwrap_or_default();
    if let Some(not) = &st.not_actions {
        let span = not.first().map_or(st.span, |i| i.span);
        out.push(
            cx.finding(&WildcardIamAction::META, span, format!("IAM statement{sid} allows everything except the listed actions (`NotAction` with `Allow`): every other action, present and future, is granted"))
                .label("NotAction with Effect Allow")
                .help("Replace `NotAction` with an explicit `Action` list of what the task needs.")
                .key(format!("{}:NotAction", policy.path))
                .build(),
        );
    }
    for action in st.actions.iter().filter(|a| a.literal) {
        let text = action.text.as_str();
        let all = text == "*";
        let service = text.strip_suffix(":*").filter(|s| !s.contains('*'));
        if !all && service.is_none() {
            continue;
        }
        let message = match service {
            Some(svc) => format!(
                "IAM statement{sid} allows every `{svc}` action (`{text}`), far beyond what one task needs"
            ),
            None => format!(
                "IAM statement{sid} allows every action on every service (`*`): this is administrator access"
            ),
        };
        let mut b = cx
            .finding(&WildcardIamAction::META, action.span, message)
            .label(if all { "all actions" } else { "all actions of the service" })
            .help("List the specific actions the task calls and scope `Resource` to the ARNs it works on.")
            .key(format!("{}:{text}", policy.path));
        if all {
            b = b.severity(Severity::Critical);
        }
        out.push(b.build());
    }
}
