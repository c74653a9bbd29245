use crate::findings::{Confidence, Finding, Severity};
use crate::model::grants::Value;
use crate::model::iam::{IamPolicy, IamStatement};
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};

declare_rule! {
    /// ## What it finds
    /// An IAM policy statement that allows sensitive actions on every resource
    /// (`"Resource": "*"`, or `NotResource`): writes (`Put*`, `Create*`, `Delete*`, ...),
    /// `iam:PassRole`, `sts:AssumeRole`, secret reads (`secretsmanager:GetSecretValue`,
    /// `ssm:GetParameter*`), `kms:Decrypt`, `s3:GetObject`, including partial wildcards
    /// that cover them (`s3:Put*`, `secretsmanager:Get*`). Whole-service wildcards
    /// (`*`, `s3:*`) are left to `wildcard-iam-action`. Read-only actions on `*`
    /// (`ec2:Describe*`, `s3:ListAllMyBuckets`) are fine, and so are statements with a
    /// `Principal` (resource-based policies such as KMS key policies, where `*` means
    /// the resource the policy is attached to). A statement with a `Condition` is still
    /// reported, with medium confidence, since a condition may or may not narrow it.
    ///
    /// ## Why it matters
    /// `Resource: "*"` turns "write this bucket" into "write every bucket", "read this
    /// secret" into "read every secret", "pass this role" into "pass any role, admin
    /// roles included". An agent steered by injected text acts on whatever it can reach,
    /// so the blast radius is the whole account.
    ///
    /// ## What to do instead
    /// Scope `Resource` to the ARNs the task works on (`arn:aws:s3:::invoices/*`, the one
    /// secret, the one role it hands to Lambda). Keep `*` for actions that do not
    /// support resource-level permissions, and only for read-only ones.
    ///
    /// ## Example
    /// ```json
    /// { "Effect": "Allow", "Action": ["s3:PutObject", "secretsmanager:GetSecretValue"], "Resource": "*" }
    /// ```
    /// Use instead `"Resource": ["arn:aws:s3:::agent-reports/*", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:agent/slack-*"]`.
    pub(crate) struct WildcardIamResource {
        id: "wildcard-iam-resource",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An IAM policy statement allows sensitive actions on every resource",
        applies_to: |kind| kind.may_hold_iam_policies(),
    }
}

impl Rule for WildcardIamResource {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        for policy in &cx.facts.written().iam_policies {
            for (index, st) in policy.statements.iter().enumerate() {
                let Some(sensitive) = sensitive_on_every_resource(k, st) else {
                    continue;
                };
                out.push(finding(cx, policy, index, st, &sensitive));
            }
        }
    }
}

/// The statement's literal actions that are sensitive, with what each grants, when the
/// statement allows them on every resource.
fn sensitive_on_every_resource<'a>(
    k: &Knowledge,
    st: &'a IamStatement,
) -> Option<Vec<(&'a Value, String)>> {
    // A `Principal` makes it a resource-based policy, whose `*` is the resource itself.
    if !st.allows() || st.has_principal || !st.on_every_resource() {
        return None;
    }
    let sensitive: Vec<(&'a Value, String)> = st
        .actions
        .iter()
        .filter(|a| a.literal && !is_service_wildcard(&a.text))
        .filter_map(|a| k.aws_sensitive_in(&a.text).map(|s| (a, s)))
        .collect();
    (!sensitive.is_empty()).then_some(sensitive)
}

/// `*` and `service:*`, which `wildcard-iam-action` reports.
fn is_service_wildcard(action: &str) -> bool {
    action == "*"
        || action
            .strip_suffix(":*")
            .is_some_and(|svc| !svc.contains(['*', '?']))
}

fn finding(
    cx: &FileCx<'_>,
    policy: &IamPolicy,
    index: usize,
    st: &IamStatement,
    sensitive: &[(&Value, String)],
) -> Finding {
    let agent = policy.agent.as_deref();
    let sid = st
        .sid
        .as_deref()
        .map(|s| format!(" `{s}`"))
        .unwrap_or_default();
    let names: Vec<String> = sensitive
        .iter()
        .map(|(a, what)| {
            if a.text.eq_ignore_ascii_case(what) {
                format!("`{}`", a.text)
            } else {
                format!("`{}` (covers `{what}`)", a.text)
            }
        })
        .collect();
    let (span, scope) = match &st.not_resources {
        Some(not) => (
            not.first().map_or(st.span, |r| r.span),
            "every resource except the `NotResource` list",
        ),
        None => (st.resource_span(), "every resource (`Resource: \"*\"`)"),
    };
    let mut services: Vec<&str> = sensitive
        .iter()
        .filter_map(|(a, _)| a.text.split_once(':').map(|(svc, _)| svc))
        .collect();
    services.dedup();
    let mut message = format!(
        "IAM statement{sid} allows {} on {scope}: its holder can do this to every `{}` resource in the account, not just the ones its task needs",
        names.join(", "),
        services.join("`, `")
    );
    let mut severity = Severity::High;
    if let Some(why) = agent {
        message.push_str(&format!("; {why}, so injected text can steer it"));
        severity = severity.raised();
    }
    let mut b = cx
        .finding(&WildcardIamResource::META, span, message)
        .label(if st.not_resources.is_some() {
            "every resource but these"
        } else {
            "every resource"
        })
        .help("Scope `Resource` to the ARNs the task works on; keep `*` only for read-only actions that do not support resource-level permissions.")
        .severity(severity)
        .agent_context(agent.is_some())
        .key(format!(
            "{}.Statement[{}]:Resource",
            policy.path,
            st.sid.clone().unwrap_or_else(|| index.to_string())
        ));
    if st.conditional {
        b = b.confidence(Confidence::Medium);
    }
    for (a, _) in sensitive {
        b = b.related(cx.path, a.span, "sensitive action");
    }
    b.build()
}
