//! Role trust policies: who may assume each role (people or services), and which role
//! a policy belongs to (see [`crate::model::trust`]).

use crate::model::extract::iac::tf_resources;
use crate::model::extract::modules::{module_calls, values as module_values};
use crate::model::iam::{Item, Principal, policies};
use crate::model::modules::ReadsAs;
use crate::model::rating::Confidence;
use crate::model::trust::{Assumer, RoleRef, TrustPolicy, TrustPrincipal};
use crate::syntax::doc::{Document, Node};

/// Policies whose allowing statements let principals assume a role, with each
/// principal lanyard can tell to be people or a service.
pub(super) fn trust_policies(doc: &Document, path: &str, out: &mut Vec<TrustPolicy>) {
    for policy in policies(doc) {
        let principals: Vec<TrustPrincipal> = policy
            .statements
            .iter()
            .filter(|st| st.allows() && assumes_role(&st.actions))
            .flat_map(|st| st.principals.iter())
            .filter_map(|p| {
                Some(TrustPrincipal {
                    text: p.value.text.to_owned(),
                    span: p.value.span,
                    who: classify(p)?,
                })
            })
            .collect();
        if principals.is_empty() {
            continue;
        }
        out.push(TrustPolicy {
            role: role_of(doc, &policy.path, path),
            path: policy.path,
            principals,
        });
    }
}

/// The roles calls of well-known IAM modules create, with the principals their inputs
/// trust (`trusted_role_arns`, `trusted_role_services`).
pub(super) fn module_trust(doc: &Document, out: &mut Vec<TrustPolicy>) {
    for call in module_calls(doc) {
        let mut principals = Vec::new();
        for (kind, reads_as) in [
            ("AWS", ReadsAs::TrustedArns),
            ("Service", ReadsAs::TrustedServices),
        ] {
            for (_, node) in call.inputs(reads_as) {
                for v in module_values(node) {
                    let Some(text) = v.as_text() else { continue };
                    let p = Principal {
                        kind,
                        value: Item {
                            text,
                            span: v.span,
                            literal: v.as_str().is_some(),
                        },
                    };
                    if let Some(who) = classify(&p) {
                        principals.push(TrustPrincipal {
                            text: text.to_owned(),
                            span: v.span,
                            who,
                        });
                    }
                }
            }
        }
        if principals.is_empty() {
            continue;
        }
        let display = match call.created_name() {
            Some(n) => format!("role `{n}` that `module.{}` creates", call.name),
            None => format!("the role `module.{}` creates", call.name),
        };
        out.push(TrustPolicy {
            path: format!("module.{}", call.name),
            role: RoleRef {
                display,
                keys: Vec::new(),
            },
            principals,
        });
    }
}

/// Who a trust policy principal lets in, when lanyard can tell.
fn classify(p: &Principal<'_>) -> Option<Assumer> {
    let text = p.value.text;
    let lower = text.to_ascii_lowercase();
    match p.kind.to_ascii_lowercase().as_str() {
        // Anyone holding credentials of any AWS account, people among them.
        "aws" if text == "*" => Some(Assumer::People(
            "any principal of any AWS account",
            Confidence::High,
        )),
        "aws" => {
            if lower.contains("awsreservedsso_") {
                Some(Assumer::People(
                    "an IAM Identity Center (SSO) role, i.e. people",
                    Confidence::High,
                ))
            } else if lower.contains(":user/") || lower.contains("aws_iam_user.") {
                Some(Assumer::People("an IAM user", Confidence::High))
            } else if lower.ends_with(":root")
                || (text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()))
                || lower.contains("aws_caller_identity")
            {
                Some(Assumer::People(
                    "the whole account (every IAM user and SSO role that is allowed sts:AssumeRole)",
                    Confidence::Medium,
                ))
            } else {
                None
            }
        }
        "service" => Some(Assumer::Machine("a service")),
        "federated" => {
            if lower.contains(":saml-provider/") || lower.contains("aws_iam_saml_provider") {
                Some(Assumer::People(
                    "a SAML identity provider, i.e. people signing in",
                    Confidence::High,
                ))
            } else if lower.contains("token.actions.githubusercontent.com") {
                Some(Assumer::Machine("GitHub Actions workflows (OIDC)"))
            } else if lower.contains(":oidc-provider/") || lower.contains("aws_iam_openid_connect")
            {
                Some(Assumer::Machine("workloads federated through OIDC"))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The statement lets principals assume a role (`sts:AssumeRole*`, `sts:*`, `*`).
fn assumes_role(actions: &[Item<'_>]) -> bool {
    actions.iter().any(|a| {
        let t = a.text.to_ascii_lowercase();
        t.starts_with("sts:assumerole") || t == "sts:*" || t == "*"
    })
}

/// The role a trust policy belongs to: the Terraform `aws_iam_role` whose
/// `assume_role_policy` it is (inline, or an `aws_iam_policy_document` of the same file
/// by reference), or the CloudFormation role whose `AssumeRolePolicyDocument` it is.
fn role_of(doc: &Document, policy_path: &str, path: &str) -> RoleRef {
    let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut found: Option<(String, Option<String>)> = None;
    let data_ref = policy_path
        .strip_prefix("data.aws_iam_policy_document.")
        .map(|name| format!("data.aws_iam_policy_document.{name}.json"));
    for (ty, name, _, body) in tf_resources(doc) {
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
