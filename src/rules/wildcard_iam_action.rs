use crate::findings::{Confidence, Finding, Severity};
use crate::model::azure::{AzureRoleDefinition, AzureWildcard, azure_wildcard};
use crate::model::iam::{Cut, IamPolicy, IamStatement, cut, denies_for};
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
    /// Policies are evaluated, not read statement by statement: an explicit Deny
    /// without a condition, in the same document or in another policy of the file the
    /// same role or user holds, subtracts from the Allow. A wildcard it cancels is not
    /// reported; one it cuts (`*` but `iam:*`) is reported one step lower with what the
    /// Deny takes away. A wildcard limited to named resources (`s3:*` on
    /// `arn:aws:s3:::reports/*`) is reported two steps lower, a `Condition` that pins
    /// the grant (`aws:SourceArn`, `kms:ViaService`, `aws:ResourceTag/...`) one step
    /// lower with low confidence, the keys named. AWS's default key policy (`kms:*` for
    /// the account's root principal) is not reported: it hands the key to the
    /// account's IAM policies.
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
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let policies = &cx.facts.written().iam_policies;
        for policy in policies {
            // An explicit Deny, in this document or another one the same identity
            // holds, takes away what it covers.
            let denies = denies_for(policy, policies);
            // AWS's default key policy hands the key to the account's IAM policies.
            for st in policy
                .statements
                .iter()
                .filter(|s| s.allows() && !s.is_default_key_policy())
            {
                check_statement(cx, k, policy, st, &denies, out);
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

fn check_statement(
    cx: &FileCx<'_>,
    k: &Knowledge,
    policy: &IamPolicy,
    st: &IamStatement,
    denies: &[&IamStatement],
    out: &mut Vec<Finding>,
) {
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
        let narrowed = match cut(text, st, denies) {
            Cut::Denied => continue,
            Cut::Narrowed(by) => by,
            Cut::Kept => Vec::new(),
        };
        let mut severity = if all && narrowed.is_empty() {
            Severity::Critical
        } else {
            Severity::High
        };
        let mut message = match service {
            Some(svc) => format!(
                "IAM statement{sid} allows every `{svc}` action (`{text}`), far beyond what one task needs"
            ),
            None if narrowed.is_empty() => format!(
                "IAM statement{sid} allows every action on every service (`*`): this is administrator access"
            ),
            None => format!(
                "IAM statement{sid} allows every action on every service (`*`) but `{}`, which a Deny takes away: still far beyond what one task needs",
                narrowed.join("`, `")
            ),
        };
        if service.is_some() && !narrowed.is_empty() {
            message.push_str(&format!(
                " (a Deny takes away `{}`, the rest stays)",
                narrowed.join("`, `")
            ));
        }
        // Every action, but on named resources only: the holder owns those resources,
        // not the account.
        if st.pinned_to_arns() {
            let names: Vec<&str> = st.resources.iter().map(|r| r.text.as_str()).collect();
            message.push_str(&format!(
                "; limited to `{}`, it reaches nothing else",
                names.join("`, `")
            ));
            severity = severity.lowered().lowered();
        }
        let pinned = k.aws_pinned_by(st);
        if let Some(keys) = &pinned {
            message.push_str(&format!(
                "; its Condition pins the grant ({keys}), which narrows what the holder can do"
            ));
            severity = severity.lowered();
        }
        let mut b = cx
            .finding(&WildcardIamAction::META, action.span, message)
            .label(if all { "all actions" } else { "all actions of the service" })
            .help("List the specific actions the task calls and scope `Resource` to the ARNs it works on.")
            .severity(severity)
            .key(format!("{}:{text}", policy.path));
        if pinned.is_some() {
            b = b.confidence(Confidence::Low);
        } else if st.conditional {
            b = b.confidence(Confidence::Medium);
        }
        out.push(b.build());
    }
}
