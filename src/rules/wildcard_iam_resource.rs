use crate::findings::{Confidence, Finding, Severity};
use crate::model::grants::Value;
use crate::model::iam::{Cut, IamPolicy, IamStatement, cut, denies_for};
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};

declare_rule! {
    /// ## What it finds
    /// An IAM policy statement that allows sensitive actions on every resource
    /// (`"Resource": "*"`, or `NotResource`): writes (`Put*`, `Delete*`, `Update*`, ...),
    /// `iam:PassRole`, `sts:AssumeRole`, secret reads (`secretsmanager:GetSecretValue`,
    /// `ssm:GetParameter*`), `kms:Decrypt`, `s3:GetObject`, including partial wildcards
    /// that cover them (`s3:Put*`, `secretsmanager:Get*`). Whole-service wildcards
    /// (`*`, `s3:*`) are left to `wildcard-iam-action`.
    ///
    /// Not reported: read-only actions (`ec2:Describe*`, `s3:ListAllMyBuckets`);
    /// actions that accept no resource but `*` and writes of the caller's own
    /// telemetry (`ecr:GetAuthorizationToken`, `cloudwatch:PutMetricData`,
    /// `logs:PutLogEvents`: tables in `rules/permissions.toml`); creating new resources
    /// (`ec2:CreateSecurityGroup`, `logs:CreateLogGroup`), except the creates that act on
    /// what exists (IAM, `kms:CreateGrant`, snapshots and images); statements with a
    /// `Principal` (resource-based policies such as KMS key policies, where `*` means
    /// the resource the policy is attached to); actions an explicit Deny without a
    /// condition takes away, in the same document or in another policy of the file the
    /// same role or user holds. A statement with a `Condition` is reported with medium
    /// confidence; one whose condition pins the grant (`iam:PassedToService`,
    /// `iam:AWSServiceName`, `aws:SourceArn`, `aws:SourceAccount`, `aws:RequestTag/...`,
    /// `kms:ViaService`) one step lower, with low confidence and the keys named.
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
        let policies = &cx.facts.written().iam_policies;
        for policy in policies {
            // An explicit Deny, in this document or another one the same identity
            // holds, takes away what it covers.
            let denies = denies_for(policy, policies);
            for (index, st) in policy.statements.iter().enumerate() {
                let Some(sensitive) = sensitive_on_every_resource(k, st) else {
                    continue;
                };
                let mut narrowed: Vec<String> = Vec::new();
                let left: Vec<(&Value, String)> = sensitive
                    .into_iter()
                    .filter(|(a, what)| {
                        if cut(what, st, &denies) == Cut::Denied {
                            if !narrowed.contains(what) {
                                narrowed.push(what.clone());
                            }
                            return false;
                        }
                        if let Cut::Narrowed(by) = cut(&a.text, st, &denies) {
                            for d in by {
                                if !narrowed.contains(&d) {
                                    narrowed.push(d);
                                }
                            }
                        }
                        true
                    })
                    .collect();
                if left.is_empty() {
                    continue;
                }
                out.push(finding(cx, k, policy, index, st, &left, &narrowed));
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
    k: &Knowledge,
    policy: &IamPolicy,
    index: usize,
    st: &IamStatement,
    sensitive: &[(&Value, String)],
    narrowed: &[String],
) -> Finding {
    let agent = policy.agent.as_deref();
    let sid = st
        .sid
        .as_deref()
        .map(|s| format!(" `{s}`"))
        .unwrap_or_default();
    // Each action once, though the statement may list it twice.
    let mut names: Vec<String> = Vec::new();
    for (a, what) in sensitive {
        let name = if a.text.eq_ignore_ascii_case(what) {
            format!("`{}`", a.text)
        } else {
            format!("`{}` (covers `{what}`)", a.text)
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let (span, scope) = match &st.not_resources {
        Some(not) => (
            not.first().map_or(st.span, |r| r.span),
            "every resource except the `NotResource` list",
        ),
        None => (st.resource_span(), "every resource (`Resource: \"*\"`)"),
    };
    // Each service once, in the order the actions name them.
    let mut services: Vec<&str> = Vec::new();
    for svc in sensitive
        .iter()
        .filter_map(|(a, _)| a.text.split_once(':').map(|(svc, _)| svc))
    {
        if !services.iter().any(|s| s.eq_ignore_ascii_case(svc)) {
            services.push(svc);
        }
    }
    let mut message = format!(
        "IAM statement{sid} allows {} on {scope}: its holder can do this to every `{}` resource in the account, not just the ones its task needs",
        names.join(", "),
        services.join("`, `")
    );
    if !narrowed.is_empty() {
        message.push_str(&format!(
            " (a Deny takes away `{}`, the rest stays)",
            narrowed.join("`, `")
        ));
    }
    let mut severity = Severity::High;
    let pinned = k.aws_pinned_by(st);
    if let Some(keys) = &pinned {
        message.push_str(&format!(
            "; its Condition pins the grant ({keys}), which narrows what the holder can do"
        ));
        severity = severity.lowered();
    }
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
    if pinned.is_some() {
        b = b.confidence(Confidence::Low);
    } else if st.conditional {
        b = b.confidence(Confidence::Medium);
    }
    for (a, _) in sensitive {
        b = b.related(cx.path, a.span, "sensitive action");
    }
    b.build()
}
