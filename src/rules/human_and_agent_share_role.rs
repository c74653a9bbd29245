use crate::findings::{Confidence, Finding};
use crate::model::facts::{FileFacts, Workload};
use crate::model::identity::{Identity, K8S_SERVICE_ACCOUNT_USER};
use crate::model::trust::{
    Assumer, RoleBinding, RoleRef, Subject, TrustPolicy, TrustPrincipal, holds_trust_policies,
};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;

declare_rule! {
    /// ## What it finds
    /// One role that both people and a service or agent can take on:
    ///
    /// - an AWS IAM role trust policy (Terraform `assume_role_policy` as `jsonencode`,
    ///   heredoc JSON or an `aws_iam_policy_document`, CloudFormation
    ///   `AssumeRolePolicyDocument`, or a trust policy JSON file) whose principals admit
    ///   people (the account root `arn:aws:iam::<account>:root` or a bare account id,
    ///   IAM users, IAM Identity Center roles `AWSReservedSSO_*`, SAML providers) and a
    ///   service or workload (`bedrock.amazonaws.com`, `lambda.amazonaws.com`,
    ///   `ecs-tasks.amazonaws.com`, ..., GitHub Actions or EKS OIDC providers);
    /// - the same for roles created by calls of well-known IAM modules
    ///   (`terraform-aws-modules/iam` `trusted_role_arns` with `trusted_role_services`;
    ///   `*` in `trusted_role_arns` is any principal of any account, people included);
    /// - a Kubernetes `RoleBinding` or `ClusterRoleBinding` whose subjects mix people
    ///   (`User`, `Group` other than the `system:` groups) with a `ServiceAccount`.
    ///
    /// ## Why it matters
    /// The agent and the people hold exactly the same rights, so the role is sized for
    /// the broadest of them, and the audit log shows one role for both: an action by
    /// the agent reads like an engineer's, and an engineer can act as the agent. Taking
    /// the role away from one takes it from the other.
    ///
    /// ## What to do instead
    /// Give the agent its own role, trusted only by its service or its OIDC provider and
    /// granted only what its task needs; keep people on their own (SSO) roles. In
    /// Kubernetes, bind people and service accounts in separate bindings.
    ///
    /// ## Example
    /// ```hcl
    /// assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole",
    ///   Principal = { AWS = "arn:aws:iam::123456789012:root", Service = "bedrock.amazonaws.com" } }] })
    /// ```
    /// Use instead a role for the Bedrock agent trusted only by `bedrock.amazonaws.com`.
    pub(crate) struct HumanAndAgentShareRole {
        id: "human-and-agent-share-role",
        family: SharedIdentity,
        severity: High,
        confidence: High,
        summary: "People and an agent or service can assume the same role",
        applies_to: |kind| holds_trust_policies(kind)
            || matches!(kind, FileKind::Kubernetes | FileKind::HelmTemplate),
    }
}

impl Rule for HumanAndAgentShareRole {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for policy in &cx.facts.trust().policies {
            trust_policy(cx, policy, out);
        }
        for b in &cx.facts.trust().bindings {
            binding(cx, b, out);
        }
    }
}

fn trust_policy(cx: &FileCx<'_>, policy: &TrustPolicy, out: &mut Vec<Finding>) {
    let mut people: Vec<(&TrustPrincipal, &str, Confidence)> = Vec::new();
    let mut machines: Vec<(&TrustPrincipal, &str)> = Vec::new();
    for p in &policy.principals {
        match p.who {
            Assumer::People(what, c) => people.push((p, what, c)),
            Assumer::Machine(what) => machines.push((p, what)),
        }
    }
    let (Some((human, what, confidence)), false) = (people.first(), machines.is_empty()) else {
        return;
    };
    let role = &policy.role;
    let services: Vec<&str> = machines.iter().map(|(p, _)| p.text.as_str()).collect();
    let user = workload_of(cx.facts, role);
    let mut message = format!(
        "{} can be assumed by `{}`, {what}, and by {}: the workload and the people share one identity, its rights and its audit trail",
        role.display,
        human.text,
        services
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some((name, why)) = user.and_then(|w| Some((&w.name, w.agent.as_deref()?))) {
        message.push_str(&format!(" ({name} runs as it and is an AI agent: {why})"));
    }
    let mut b = cx
        .finding(&HumanAndAgentShareRole::META, human.span, message)
        .label("people can assume this role")
        .help("Give the agent or service its own role trusted only by its service principal or OIDC provider; keep people on their own roles.")
        .confidence(*confidence)
        .key(format!("{}:{}", policy.path, role.display));
    for (p, _, _) in &people[1..] {
        b = b.related(cx.path, p.span, "people can assume it here too");
    }
    for (p, what) in &machines {
        b = b.related(cx.path, p.span, format!("and {what}"));
    }
    if let Some(w) = user {
        b = b.workload(&w.name);
    }
    out.push(b.build());
}

/// A workload of this file that runs as the role, agents first.
fn workload_of<'a>(facts: &'a FileFacts, role: &RoleRef) -> Option<&'a Workload> {
    let uses = |w: &&Workload| {
        w.identities.iter().any(|u| match &u.identity {
            Identity::AwsRole(k) => role.keys.contains(k),
            _ => false,
        })
    };
    facts
        .workloads
        .iter()
        .filter(uses)
        .find(|w| w.agent.is_some())
        .or_else(|| facts.workloads.iter().find(uses))
}

/// A Kubernetes binding whose subjects mix people and service accounts.
fn binding(cx: &FileCx<'_>, binding: &RoleBinding, out: &mut Vec<Finding>) {
    let kind = &binding.kind;
    let name = binding.name.as_deref().unwrap_or("<unnamed>");
    let role = binding.role.as_deref().unwrap_or("its role");
    let mut people: Vec<(&Subject, &str)> = Vec::new();
    let mut accounts: Vec<(&Subject, String)> = Vec::new();
    for s in &binding.subjects {
        let subject = s.name.as_str();
        match s.kind.as_deref() {
            Some("ServiceAccount") => {
                let ns = s.namespace.as_deref().unwrap_or("default");
                accounts.push((s, format!("service account `{ns}/{subject}`")));
            }
            Some("User") if subject.starts_with(K8S_SERVICE_ACCOUNT_USER) => {
                accounts.push((s, format!("service account `{subject}`")));
            }
            Some("Group") if subject.starts_with("system:serviceaccounts") => {
                accounts.push((s, format!("every service account in `{subject}`")));
            }
            Some(k @ ("User" | "Group")) if !subject.starts_with("system:") => {
                people.push((
                    s,
                    if k == "User" {
                        "person"
                    } else {
                        "group of people"
                    },
                ));
            }
            _ => {}
        }
    }
    let (Some((first, what)), Some((_, sa))) = (people.first(), accounts.first()) else {
        return;
    };
    let subject = &first.name;
    let message = format!(
        "{kind} `{name}` grants `{role}` to `{subject}` (a {what}) and to {sa}: the workload and the people share one set of rights, and the binding cannot be narrowed for one without the other"
    );
    let mut b = cx
        .finding(&HumanAndAgentShareRole::META, first.span, message)
        .label(format!("a {what}"))
        .help("Bind service accounts and people in separate bindings, and give each agent's service account only the role its task needs.")
        .key(format!("{kind}/{name}:subjects"));
    for (n, w) in &people[1..] {
        b = b.related(cx.path, n.span, format!("also a {w}"));
    }
    for (n, sa) in &accounts {
        b = b.related(cx.path, n.span, sa.clone());
    }
    out.push(b.build());
}
