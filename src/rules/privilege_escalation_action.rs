use crate::findings::{Confidence, Finding, Severity};
use crate::model::azure::{AzureRoleDefinition, azure_wildcard};
use crate::model::grants::Value;
use crate::model::iam::{Cut, IamPolicy, IamStatement, action_matches, cut, denies_for};
use crate::model::knowledge::{Escalation, Knowledge};
use crate::rules::{FileCx, Rule};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// An IAM policy that grants actions letting its holder raise its own rights:
    /// rewriting or attaching policies (`iam:CreatePolicyVersion`,
    /// `iam:AttachRolePolicy`, `iam:PutRolePolicy`, ...), minting other users' keys or
    /// passwords (`iam:CreateAccessKey`, `iam:CreateLoginProfile`), rewriting trust
    /// policies, assuming any role (`sts:AssumeRole` on `*`), or passing a role to new
    /// compute (`iam:PassRole` together with `lambda:CreateFunction`,
    /// `ec2:RunInstances`, `ecs:RunTask`, `bedrock:CreateAgent`, ...; the two may sit in
    /// different statements of one policy). Partial wildcards count (`iam:Put*Policy`,
    /// `iam:*Policy*`); `*` and `iam:*` alone are left to `wildcard-iam-action`.
    /// `iam:PassRole` scoped to named role ARNs (no wildcard) is the least-privilege way
    /// to hand one execution role to a service and is not counted; neither are keys and
    /// passwords limited to the caller's own user (`user/${aws:username}`, AWS's
    /// self-service policy), nor actions an explicit Deny of the same policy, or of
    /// another policy the same identity holds, takes away. A `Condition` that pins the
    /// grant (`iam:PermissionsBoundary`, `iam:PolicyARN`, `iam:PassedToService`) lowers
    /// the severity one step and is named. The combinations are data:
    /// `rules/permissions.toml`, `[[aws.privilege_escalation]]`.
    ///
    /// Azure custom role definitions (Terraform `azurerm_role_definition`, ARM
    /// `Microsoft.Authorization/roleDefinitions`) whose actions allow
    /// `Microsoft.Authorization/roleAssignments/write`, `roleDefinitions/write`,
    /// `elevateAccess/Action` or writing a managed identity's federated credentials,
    /// unless the block's `not_actions` remove it (`[[azure.escalation]]`); `*`,
    /// `*/write` and whole-provider wildcards are left to `wildcard-iam-action`.
    ///
    /// ## Why it matters
    /// Any of these is administrator access one step removed: the identity attaches
    /// `AdministratorAccess` to itself, or starts a function as an admin role. For an
    /// agent, one injected instruction is enough to take the step, and the audit trail
    /// then shows an admin, not an agent.
    ///
    /// ## What to do instead
    /// Keep IAM administration out of agent roles: let a pipeline with human review
    /// change IAM. If the agent must deploy compute, scope `iam:PassRole` to the one
    /// execution role (`arn:aws:iam::123456789012:role/agent-task`) with an
    /// `iam:PassedToService` condition, and use a permissions boundary.
    ///
    /// ## Example
    /// ```json
    /// { "Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:PutRolePolicy"], "Resource": "*" }
    /// ```
    /// Use instead: no IAM write actions in the agent's policy.
    pub(crate) struct PrivilegeEscalationAction {
        id: "privilege-escalation-action",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An IAM policy grants actions that let its holder raise its own rights",
        applies_to: |kind| kind.may_hold_iam_policies(),
    }
}

impl Rule for PrivilegeEscalationAction {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let policies = &cx.facts.written().iam_policies;
        for policy in policies {
            // An explicit Deny, in this document or another one the same identity
            // holds, takes away what it covers.
            let denies = denies_for(policy, policies);
            for group in escalations(k, policy, &denies) {
                out.push(finding(cx, k, policy, &group));
            }
        }
        for role in &cx.facts.written().azure_roles {
            azure_role(cx, k, role, out);
        }
    }
}

/// An Azure custom role whose actions include role assignments, role definitions or
/// federated credentials. Broad wildcards (`*`, `*/write`, `Microsoft.Authorization/*`)
/// are `wildcard-iam-action`'s, which names the escalation.
fn azure_role(cx: &FileCx<'_>, k: &Knowledge, role: &AzureRoleDefinition, out: &mut Vec<Finding>) {
    for perm in &role.permissions {
        for action in perm.actions.iter().filter(|a| a.literal) {
            let text = action.text.as_str();
            if azure_wildcard(text).is_some() {
                continue;
            }
            let Some(e) = k
                .azure_escalation(text)
                .filter(|e| !perm.excludes(&e.action))
            else {
                continue;
            };
            let covers = if text.eq_ignore_ascii_case(&e.action) {
                String::new()
            } else {
                format!(", which covers `{}`", e.action)
            };
            out.push(
                cx.finding(
                    &PrivilegeEscalationAction::META,
                    action.span,
                    format!(
                        "Azure role definition `{}` allows `{text}`{covers}: it {}",
                        role.name, e.why
                    ),
                )
                .label("escalation")
                .help("Keep `Microsoft.Authorization` writes and federated credentials out of agent roles; let a reviewed pipeline change role assignments.")
                .key(format!("{}:actions:{text}", role.path))
                .build(),
            );
        }
    }
}

/// One literal action an Allow statement grants.
#[derive(Clone, Copy)]
struct Grant<'a> {
    item: &'a Value,
    statement: &'a IamStatement,
}

impl Grant<'_> {
    /// `*` or `service:*`: reported by `wildcard-iam-action`.
    fn is_full_wildcard(&self) -> bool {
        let t = self.item.text.as_str();
        t == "*"
            || t.strip_suffix(":*")
                .is_some_and(|s| !s.contains(['*', '?']))
    }

    /// Whether the statement names its resources one by one (no wildcard, no
    /// `NotResource`): for `iam:PassRole`, the roles that may be passed.
    fn pinned(&self) -> bool {
        let st = self.statement;
        st.not_resources.is_none()
            && !st.resources.is_empty()
            && st.resources.iter().all(|r| !r.text.contains(['*', '?']))
    }

    fn grants(&self, action: &str, entry: &Escalation, denies: &[&IamStatement]) -> bool {
        action_matches(&self.item.text, action)
            && (!entry.on_star_only || self.statement.on_every_resource())
            && !(action.eq_ignore_ascii_case("iam:PassRole") && self.pinned())
            && !(entry.others_only && self.own_user_only())
            // An explicit Deny of the action on the same resources wins.
            && cut(action, self.statement, denies) != Cut::Denied
    }

    /// Every resource is the caller's own user (`arn:aws:iam::*:user/${aws:username}`).
    fn own_user_only(&self) -> bool {
        let st = self.statement;
        st.not_resources.is_none()
            && !st.resources.is_empty()
            && st
                .resources
                .iter()
                .all(|r| r.text.ends_with("user/${aws:username}"))
    }
}

/// Escalations sharing one primary grant (`iam:Put*Policy` can write role, user and
/// group policies): reported once.
struct Group<'a> {
    primary: Grant<'a>,
    /// Each escalation with the grant of each of its actions.
    entries: Vec<(&'static Escalation, Vec<Grant<'a>>)>,
}

fn escalations<'a>(
    k: &'static Knowledge,
    policy: &'a IamPolicy,
    denies: &[&IamStatement],
) -> Vec<Group<'a>> {
    let grants: Vec<Grant<'a>> = policy
        .statements
        .iter()
        // A `Principal` makes it a trust or resource policy, which grants nothing to the
        // identity; `NotAction` grants are `wildcard-iam-action`'s.
        .filter(|st| st.allows() && !st.has_principal && st.not_actions.is_none())
        .flat_map(|st| {
            st.actions
                .iter()
                .filter(|a| a.literal)
                .map(move |item| Grant {
                    item,
                    statement: st,
                })
        })
        .collect();
    let mut groups: Vec<Group<'a>> = Vec::new();
    for entry in &k.aws.privilege_escalation {
        let mut chosen = Vec::with_capacity(entry.actions.len());
        for action in &entry.actions {
            let mut matching = grants.iter().filter(|g| g.grants(action, entry, denies));
            let first = matching.clone().next();
            // Prefer a grant that names the action over a whole-service wildcard.
            match matching.find(|g| !g.is_full_wildcard()).or(first) {
                Some(g) => chosen.push(*g),
                None => break,
            }
        }
        if chosen.len() != entry.actions.len() || chosen.iter().all(Grant::is_full_wildcard) {
            continue;
        }
        let primary = chosen[0];
        match groups
            .iter_mut()
            .find(|g| g.primary.item.span == primary.item.span)
        {
            Some(g) => g.entries.push((entry, chosen)),
            None => groups.push(Group {
                primary,
                entries: vec![(entry, chosen)],
            }),
        }
    }
    groups
}

/// `iam:AttachRolePolicy`, or `iam:*Policy*` (as `iam:AttachRolePolicy`).
fn describe(grant: &Grant<'_>, action: &str) -> String {
    if grant.item.text.eq_ignore_ascii_case(action) {
        format!("`{action}`")
    } else {
        format!("`{}` (as `{action}`)", grant.item.text)
    }
}

fn finding(cx: &FileCx<'_>, k: &Knowledge, policy: &IamPolicy, group: &Group<'_>) -> Finding {
    let agent = policy.agent.as_deref();
    let mut can = Vec::new();
    let mut related: Vec<(Span, String)> = Vec::new();
    let mut iam_write_on_star = false;
    let mut conditional = false;
    for (entry, chosen) in &group.entries {
        let granted: Vec<String> = entry
            .actions
            .iter()
            .zip(chosen)
            .map(|(a, g)| describe(g, a))
            .collect();
        can.push(format!("{} {}", granted.join(" with "), entry.why));
        iam_write_on_star |= chosen.iter().zip(&entry.actions).all(|(g, a)| {
            a.len() > 4
                && a[..4].eq_ignore_ascii_case("iam:")
                && !a.eq_ignore_ascii_case("iam:PassRole")
                && g.statement.on_every_resource()
        });
        for (g, a) in chosen.iter().zip(&entry.actions).skip(1) {
            conditional |= g.statement.conditional;
            if g.item.span != group.primary.item.span
                && !related.iter().any(|(s, _)| *s == g.item.span)
            {
                related.push((g.item.span, format!("with `{a}`")));
            }
        }
    }
    conditional |= group.primary.statement.conditional;
    let what = if group.entries.len() > 2 {
        // A wildcard such as `iam:*Policy*` matches many escalations: name them, explain one.
        let names: Vec<String> = group
            .entries
            .iter()
            .filter_map(|(e, _)| e.actions.first().map(|a| format!("`{a}`")))
            .collect();
        let first = group
            .entries
            .first()
            .map(|(e, _)| format!("`{}` {}", e.actions.join("` with `"), e.why))
            .unwrap_or_default();
        format!(
            "`{}` covers {} escalation actions ({}); for one, {first}",
            group.primary.item.text,
            names.len(),
            names.join(", ")
        )
    } else {
        can.join("; ")
    };
    let mut message = format!(
        "IAM policy lets its holder raise its own rights: {what}. One call takes it beyond its task, up to administrator"
    );
    let mut severity = if iam_write_on_star {
        Severity::Critical
    } else {
        Severity::High
    };
    // Conditions that pin the grants (a permissions boundary, one policy ARN, one
    // service to pass the role to) narrow the step, each named.
    let mut pins: Vec<String> = Vec::new();
    for st in std::iter::once(group.primary.statement).chain(
        group
            .entries
            .iter()
            .flat_map(|(_, chosen)| chosen.iter().map(|g| g.statement)),
    ) {
        if let Some(p) = k.aws_pinned_by(st)
            && !pins.contains(&p)
        {
            pins.push(p);
        }
    }
    if !pins.is_empty() {
        message.push_str(&format!(
            "; its Condition pins the grant ({}), which narrows the step",
            pins.join("; ")
        ));
        severity = severity.lowered();
    }
    if let Some(why) = agent {
        message.push_str(&format!("; {why}, so injected text can take that step"));
        severity = severity.raised();
    }
    let mut b = cx
        .finding(&PrivilegeEscalationAction::META, group.primary.item.span, message)
        .label("privilege escalation")
        .help("Keep IAM administration out of this identity; if it must deploy compute, scope `iam:PassRole` to the one execution role with an `iam:PassedToService` condition and set a permissions boundary.")
        .severity(severity)
        .agent_context(agent.is_some())
        .key(format!("{}:{}", policy.path, group.primary.item.text));
    if !pins.is_empty() {
        b = b.confidence(Confidence::Low);
    } else if conditional {
        b = b.confidence(Confidence::Medium);
    }
    for (span, label) in related {
        b = b.related(cx.path, span, label);
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::syntax::classify::{classify_path, refine};
    use crate::syntax::source::SourceFile;

    fn run(rule: &dyn Rule, path: &str, text: &str) -> Vec<Finding> {
        let kind = refine(classify_path(path), text);
        let file = SourceFile::new(path, kind, text.as_bytes().to_vec());
        let parsed = crate::syntax::parse::parse(&file).unwrap().unwrap();
        let path: Arc<str> = Arc::from(path);
        let catalog = crate::model::catalog::Catalog::builtin().unwrap();
        let facts = crate::model::extract::extract(kind, &path, &parsed, text, &[], catalog);
        let cx = FileCx {
            file: &file,
            path: &path,
            parsed: Some(&parsed),
            credentials: &[],
            facts: &facts,
            catalog,
        };
        let mut out = Vec::new();
        rule.check_file(&cx, &mut out);
        out
    }

    #[test]
    fn an_action_list_split_over_lines_points_at_the_offending_action() {
        let text = "{\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": [\n      \"iam:GetRole\",\n      \"iam:AttachRolePolicy\",\n      \"iam:ListRoles\"\n    ],\n    \"Resource\": \"*\"\n  }]\n}\n";
        let found = run(&PrivilegeEscalationAction, "policy.json", text);
        assert_eq!(found.len(), 1);
        let span = found[0].primary().span;
        assert_eq!(&text[span.range()], "\"iam:AttachRolePolicy\"");
        assert_eq!(text[..span.range().start].lines().count(), 6, "line 6");
        assert_eq!(found[0].severity(), Severity::Critical, "IAM write on *");

        let found = run(
            &crate::rules::wildcard_iam_resource::WildcardIamResource,
            "policy.json",
            text,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].primary().span.range()], "\"*\"");
        let related: Vec<&str> = found[0]
            .related()
            .iter()
            .map(|r| &text[r.span.range()])
            .collect();
        assert_eq!(related, vec!["\"iam:AttachRolePolicy\""]);
    }

    #[test]
    fn combinations_span_statements_and_respect_scoping() {
        let split = r#"resource "aws_iam_policy" "p" {
  policy = jsonencode({ Statement = [
    { Effect = "Allow", Action = "iam:PassRole", Resource = "*" },
    { Effect = "Allow", Action = "ec2:RunInstances", Resource = "*" },
  ] })
}
"#;
        let found = run(&PrivilegeEscalationAction, "main.tf", split);
        assert_eq!(found.len(), 1);
        assert_eq!(&split[found[0].primary().span.range()], "\"iam:PassRole\"");
        assert_eq!(found[0].related().len(), 1);
        assert_eq!(found[0].severity(), Severity::High);

        let pinned = split.replace(
            r#"Action = "iam:PassRole", Resource = "*""#,
            r#"Action = "iam:PassRole", Resource = "arn:aws:iam::123456789012:role/worker""#,
        );
        assert!(run(&PrivilegeEscalationAction, "main.tf", &pinned).is_empty());

        let assume = r#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::123456789012:role/x"}]}"#;
        assert!(run(&PrivilegeEscalationAction, "policy.json", assume).is_empty());
        let only_wildcards =
            r#"{"Statement": [{"Effect": "Allow", "Action": ["iam:*", "*"], "Resource": "*"}]}"#;
        assert!(run(&PrivilegeEscalationAction, "policy.json", only_wildcards).is_empty());
        let conditional = r#"{"Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "x"}}}]}"#;
        // A tag condition pins the grant to tagged roles: one step lower, low confidence.
        let found = run(&PrivilegeEscalationAction, "policy.json", conditional);
        assert_eq!(found[0].confidence(), Confidence::Low);
        assert_eq!(found[0].severity(), Severity::High);
        assert!(found[0].message().contains("`aws:ResourceTag/team` = `x`"));
        // A condition on the caller (MFA) narrows nothing it grants.
        let mfa = conditional.replace(
            r#"{"StringEquals": {"aws:ResourceTag/team": "x"}}"#,
            r#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#,
        );
        let found = run(&PrivilegeEscalationAction, "policy.json", &mfa);
        assert_eq!(found[0].confidence(), Confidence::Medium);
        assert_eq!(found[0].severity(), Severity::Critical);
    }
}
