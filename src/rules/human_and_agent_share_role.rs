use crate::findings::{Confidence, Finding};
use crate::model::facts::FileFacts;
use crate::model::iam::{Principal, policies};
use crate::model::identity::Identity;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};

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
        applies_to: |kind| matches!(
            kind,
            FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::CloudFormation
                | FileKind::IamPolicy
                | FileKind::Json
                | FileKind::Kubernetes
                | FileKind::HelmTemplate
        ),
    }
}

impl Rule for HumanAndAgentShareRole {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for doc in cx.documents() {
            match cx.file.kind {
                FileKind::Kubernetes | FileKind::HelmTemplate => binding(cx, doc, out),
                _ => trust_policies(cx, doc, out),
            }
        }
    }
}

/// Who a trust policy principal lets in.
enum Who {
    /// People, with a description and how sure that it is people.
    People(&'static str, Confidence),
    /// A service or a workload federated through OIDC.
    Machine(&'static str),
}

fn classify(p: &Principal<'_>) -> Option<Who> {
    let text = p.value.text;
    let lower = text.to_ascii_lowercase();
    match p.kind.to_ascii_lowercase().as_str() {
        "aws" => {
            if lower.contains("awsreservedsso_") {
                Some(Who::People(
                    "an IAM Identity Center (SSO) role, i.e. people",
                    Confidence::High,
                ))
            } else if lower.contains(":user/") || lower.contains("aws_iam_user.") {
                Some(Who::People("an IAM user", Confidence::High))
            } else if lower.ends_with(":root")
                || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
                || lower.contains("aws_caller_identity")
            {
                Some(Who::People(
                    "the whole account (every IAM user and SSO role that is allowed sts:AssumeRole)",
                    Confidence::Medium,
                ))
            } else {
                None
            }
        }
        "service" => Some(Who::Machine("a service")),
        "federated" => {
            if lower.contains(":saml-provider/") || lower.contains("aws_iam_saml_provider") {
                Some(Who::People(
                    "a SAML identity provider, i.e. people signing in",
                    Confidence::High,
                ))
            } else if lower.contains("token.actions.githubusercontent.com") {
                Some(Who::Machine("GitHub Actions workflows (OIDC)"))
            } else if lower.contains(":oidc-provider/") || lower.contains("aws_iam_openid_connect")
            {
                Some(Who::Machine("workloads federated through OIDC"))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The statement lets principals assume a role (`sts:AssumeRole*`, `sts:*`, `*`).
fn assumes_role(actions: &[crate::model::iam::Item<'_>]) -> bool {
    actions.iter().any(|a| {
        let t = a.text.to_ascii_lowercase();
        t.starts_with("sts:assumerole") || t == "sts:*" || t == "*"
    })
}

fn trust_policies(cx: &FileCx<'_>, doc: &Document, out: &mut Vec<Finding>) {
    for policy in policies(doc) {
        let mut people: Vec<(Principal<'_>, &str, Confidence)> = Vec::new();
        let mut machines: Vec<(Principal<'_>, &str)> = Vec::new();
        for st in policy.statements.iter().filter(|s| s.allows()) {
            if !assumes_role(&st.actions) {
                continue;
            }
            for p in &st.principals {
                match classify(p) {
                    Some(Who::People(what, c)) => people.push((*p, what, c)),
                    Some(Who::Machine(what)) => machines.push((*p, what)),
                    None => {}
                }
            }
        }
        let (Some((human, what, confidence)), false) = (people.first(), machines.is_empty()) else {
            continue;
        };
        let role = role_of(doc, &policy.path, cx.path);
        let services: Vec<&str> = machines.iter().map(|(p, _)| p.value.text).collect();
        let user = workload_of(cx.facts, &role);
        let mut message = format!(
            "{} can be assumed by `{}`, {what}, and by {}: the workload and the people share one identity, its rights and its audit trail",
            role.display,
            human.value.text,
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
            .finding(&HumanAndAgentShareRole::META, human.value.span, message)
            .label("people can assume this role")
            .help("Give the agent or service its own role trusted only by its service principal or OIDC provider; keep people on their own roles.")
            .confidence(*confidence)
            .key(format!("{}:{}", policy.path, role.display));
        for (p, _, _) in &people[1..] {
            b = b.related(cx.path, p.value.span, "people can assume it here too");
        }
        for (p, what) in &machines {
            b = b.related(cx.path, p.value.span, format!("and {what}"));
        }
        if let Some(w) = user {
            b = b.workload(&w.name);
        }
        out.push(b.build());
    }
}

/// The role a trust policy belongs to.
struct RoleRef {
    /// For messages: ``role `x` `` or `this trust policy`.
    display: String,
    /// Names the file's workloads may use for it (role name, scoped Terraform address).
    keys: Vec<String>,
}

fn role_of(doc: &Document, policy_path: &str, path: &str) -> RoleRef {
    let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut found: Option<(String, Option<String>)> = None;
    // Terraform: the role whose `assume_role_policy` is this policy, inline or by a
    // reference to an `aws_iam_policy_document` of the same file.
    let data_ref = policy_path
        .strip_prefix("data.aws_iam_policy_document.")
        .map(|name| format!("data.aws_iam_policy_document.{name}.json"));
    for (ty, name, _, body) in crate::model::extract::iac::tf_resources(doc) {
        if ty != "aws_iam_role" {
            continue;
        }
        let inline = policy_path == format!("resource.aws_iam_role.{name}.assume_role_policy");
        let by_ref = data_ref.as_ref().is_some_and(|r| {
            body.get("assume_role_policy")
                .and_then(Node::as_text)
                .is_some_and(|t| t.contains(r.as_str()))
        });
        if inline || by_ref {
            found = Some((
                format!("aws_iam_role.{name}"),
                body.get("name").and_then(Node::as_str).map(str::to_owned),
            ));
            break;
        }
    }
    // CloudFormation: Resources.<Logical>.Properties.AssumeRolePolicyDocument.
    if found.is_none()
        && let Some(rest) = policy_path.strip_prefix("Resources.")
        && let Some((logical, tail)) = rest.split_once('.')
        && tail == "Properties.AssumeRolePolicyDocument"
    {
        let name = doc
            .root
            .get_path(&["Resources", logical, "Properties", "RoleName"])
            .and_then(Node::as_str)
            .map(str::to_owned);
        found = Some((format!("cfn:{logical}"), name));
    }
    match found {
        Some((address, name)) => {
            let mut keys = vec![format!("{scope}:{address}")];
            if address.starts_with("cfn:") {
                keys.push(format!("{path}:{address}"));
            }
            let display = match &name {
                Some(n) => {
                    keys.push(n.clone());
                    format!("role `{n}`")
                }
                None => format!("role `{}`", address.trim_start_matches("cfn:")),
            };
            RoleRef { display, keys }
        }
        None => RoleRef {
            display: if policy_path.is_empty() {
                "the role with this trust policy".to_owned()
            } else {
                format!("the role with the trust policy at `{policy_path}`")
            },
            keys: Vec::new(),
        },
    }
}

/// A workload of this file that runs as the role, agents first.
fn workload_of<'a>(
    facts: &'a FileFacts,
    role: &RoleRef,
) -> Option<&'a crate::model::facts::Workload> {
    let uses = |w: &&crate::model::facts::Workload| {
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
fn binding(cx: &FileCx<'_>, doc: &Document, out: &mut Vec<Finding>) {
    let Some(kind) = doc.root.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind != "RoleBinding" && kind != "ClusterRoleBinding" {
        return;
    }
    let meta = doc.root.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("<unnamed>");
    let role = doc
        .root
        .get_path(&["roleRef", "name"])
        .and_then(Node::as_str)
        .unwrap_or("its role");
    let mut people: Vec<(&Node, &str)> = Vec::new();
    let mut accounts: Vec<(&Node, String)> = Vec::new();
    for s in doc
        .root
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
    {
        let Some(n) = s.get("name") else { continue };
        let Some(subject) = n.as_str() else { continue };
        match s.get("kind").and_then(Node::as_str) {
            Some("ServiceAccount") => {
                let ns = s
                    .get("namespace")
                    .and_then(Node::as_str)
                    .unwrap_or("default");
                accounts.push((n, format!("service account `{ns}/{subject}`")));
            }
            Some("User") if subject.starts_with("system:serviceaccount:") => {
                accounts.push((n, format!("service account `{subject}`")));
            }
            Some("Group") if subject.starts_with("system:serviceaccounts") => {
                accounts.push((n, format!("every service account in `{subject}`")));
            }
            Some(k @ ("User" | "Group")) if !subject.starts_with("system:") => {
                people.push((
                    n,
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
    let subject = first.as_str().unwrap_or("");
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
