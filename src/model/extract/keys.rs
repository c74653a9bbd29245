//! Keys minted in Terraform (resources and calls of well-known IAM modules) and
//! CloudFormation, the values workloads are handed, and the locals and variable
//! defaults references go through (see [`crate::model::keys`]).

use crate::model::extract::cloud::{block_path, tf_body};
use crate::model::extract::iac::{cfn_resources, tf_resources};
use crate::model::extract::modules::module_calls;
use crate::model::keys::{Handover, KeyFacts, KeyKind, MintedKey, NamedValue};
use crate::model::modules::ReadsAs;
use crate::syntax::doc::{Document, Node, ScalarKind};

/// Terraform resources that mint a key: (type, kind, owner attribute, outputs).
const TF_KEYS: &[(&str, KeyKind, &[&str], &[&str])] = &[
    (
        "aws_iam_access_key",
        KeyKind::AwsAccessKey,
        &["user"],
        &[
            "id",
            "secret",
            "encrypted_secret",
            "ses_smtp_password_v4",
            "encrypted_ses_smtp_password_v4",
        ],
    ),
    (
        "google_service_account_key",
        KeyKind::GcpServiceAccountKey,
        &["service_account_id"],
        &["private_key"],
    ),
    (
        "azuread_application_password",
        KeyKind::AzureClientSecret,
        &["application_id", "application_object_id"],
        &["value"],
    ),
    (
        "azuread_service_principal_password",
        KeyKind::AzureClientSecret,
        &["service_principal_id"],
        &["value"],
    ),
];

/// Terraform resources that hand values to what runs: (type, attribute path, what).
const TF_HANDOVERS: &[(&str, &[&str], &str)] = &[
    (
        "aws_lambda_function",
        &["environment", "variables"],
        "the environment of",
    ),
    (
        "aws_ecs_task_definition",
        &["container_definitions"],
        "the container definitions of",
    ),
    (
        "aws_codebuild_project",
        &["environment"],
        "a plain-text environment variable of",
    ),
    (
        "aws_elastic_beanstalk_environment",
        &["setting"],
        "an environment property of",
    ),
    ("aws_instance", &["user_data"], "the user data of"),
    ("aws_instance", &["user_data_base64"], "the user data of"),
    ("aws_launch_template", &["user_data"], "the user data of"),
    (
        "aws_launch_configuration",
        &["user_data"],
        "the user data of",
    ),
    ("kubernetes_secret", &["data"], "the Kubernetes Secret"),
    (
        "kubernetes_secret",
        &["string_data"],
        "the Kubernetes Secret",
    ),
    ("kubernetes_secret_v1", &["data"], "the Kubernetes Secret"),
    (
        "kubernetes_secret_v1",
        &["string_data"],
        "the Kubernetes Secret",
    ),
    (
        "aws_ssm_parameter",
        &["value"],
        "the plain-text SSM parameter",
    ),
    (
        "google_cloudfunctions_function",
        &["environment_variables"],
        "the environment of",
    ),
    (
        "google_cloudfunctions2_function",
        &["service_config", "environment_variables"],
        "the environment of",
    ),
    (
        "azurerm_linux_function_app",
        &["app_settings"],
        "the app settings of",
    ),
    (
        "azurerm_windows_function_app",
        &["app_settings"],
        "the app settings of",
    ),
    (
        "azurerm_linux_web_app",
        &["app_settings"],
        "the app settings of",
    ),
];

/// A block, or each block of a list (HCL repeats blocks; Terraform JSON lists them).
fn blocks_of(node: &Node) -> Vec<&Node> {
    if node.is_seq() {
        node.items().iter().collect()
    } else {
        vec![node]
    }
}

/// Texts worth keeping: those that may reference a key, directly or through a name.
fn may_reference(text: &str) -> bool {
    [
        "aws_iam_access_key.",
        "google_service_account_key.",
        "azuread_application_password.",
        "azuread_service_principal_password.",
        "local.",
        "var.",
        "module.",
    ]
    .iter()
    .any(|p| text.contains(p))
}

/// Every scalar below `node` that may reference a key, with where it is.
fn texts(node: &Node, out: &mut Vec<(String, crate::syntax::source::Span)>) {
    node.walk(|_, n| {
        if let Some(s) = n.as_scalar()
            && may_reference(&s.text)
        {
            out.push((s.text.clone(), n.span));
        }
    });
}

/// The text of a whole value (a local's object, a variable's default), its scalars
/// joined: references anywhere in it count.
fn joined(node: &Node) -> String {
    let mut out = String::new();
    node.walk(|_, n| {
        if let Some(s) = n.as_scalar() {
            out.push_str(&s.text);
            out.push('\n');
        }
    });
    out
}

pub(super) fn terraform(doc: &Document, out: &mut KeyFacts) {
    for (ty, name, name_span, body) in tf_resources(doc) {
        let body = tf_body(body);
        let address = format!("{ty}.{name}");
        if let Some((_, kind, owners, outputs)) = TF_KEYS.iter().find(|(t, ..)| *t == ty) {
            let owner = owners.iter().find_map(|k| body.get(k));
            out.keys.push(MintedKey {
                kind: *kind,
                ty: ty.to_owned(),
                address: address.clone(),
                span: name_span,
                owner: owner
                    .and_then(Node::as_text)
                    .unwrap_or("(unnamed)")
                    .to_owned(),
                // Terraform JSON writes references as `"${...}"` strings.
                owner_name: owner
                    .and_then(Node::as_str)
                    .filter(|n| !n.contains("${"))
                    .map(str::to_owned),
                outputs: outputs.iter().map(|o| (*o).to_owned()).collect(),
                key: format!("resource.{ty}.{name}"),
            });
        }
        if ty == "aws_iam_user"
            && let Some(n) = body.get("name").and_then(Node::as_str)
        {
            out.users.push((address.clone(), n.to_owned()));
        }
        for (_, path, what) in TF_HANDOVERS.iter().filter(|(t, ..)| *t == ty) {
            let Some(node) =
                block_path(body, &path[..path.len() - 1]).and_then(|b| b.get(path[path.len() - 1]))
            else {
                continue;
            };
            // SecureString parameters and Parameter Store or Secrets Manager variables
            // hold a name or an encrypted value, not the key in plain text.
            if ty == "aws_ssm_parameter"
                && body.get("type").and_then(Node::as_str) == Some("SecureString")
            {
                continue;
            }
            let mut found = Vec::new();
            match ty {
                "aws_codebuild_project" => {
                    for var in node.get_all("environment_variable").flat_map(blocks_of) {
                        let plain = var
                            .get("type")
                            .and_then(Node::as_str)
                            .is_none_or(|t| t == "PLAINTEXT");
                        if plain && let Some(v) = var.get("value") {
                            texts(v, &mut found);
                        }
                    }
                }
                "aws_elastic_beanstalk_environment" => {
                    for s in body.get_all("setting").flat_map(blocks_of) {
                        let app_env = s.get("namespace").and_then(Node::as_str)
                            == Some("aws:elasticbeanstalk:application:environment");
                        if app_env && let Some(v) = s.get("value") {
                            texts(v, &mut found);
                        }
                    }
                }
                _ => texts(node, &mut found),
            }
            for (text, span) in found {
                out.handovers.push(Handover {
                    consumer: address.clone(),
                    what,
                    text,
                    span,
                });
            }
        }
    }
    for locals in doc.root.get_all("locals").flat_map(blocks_of) {
        for e in locals.entries() {
            let Some(k) = e.key_str() else { continue };
            out.named.push(NamedValue {
                reference: format!("local.{k}"),
                text: joined(&e.value),
            });
        }
    }
    for variables in doc.root.get_all("variable") {
        for e in variables.entries() {
            let Some(k) = e.key_str() else { continue };
            if let Some(default) = tf_body(&e.value).get("default") {
                out.named.push(NamedValue {
                    reference: format!("var.{k}"),
                    text: joined(default),
                });
            }
        }
    }
    // Well-known IAM modules that mint an access key for the user they create.
    for call in module_calls(doc) {
        let Some(span) = call.switch(ReadsAs::AccessKey) else {
            continue;
        };
        let created = call.created_name();
        out.keys.push(MintedKey {
            kind: KeyKind::AwsAccessKey,
            ty: call.spec.title.clone(),
            address: call.address(),
            span,
            owner: format!(
                "{} `{}` of `{}`",
                call.spec.creates,
                created.unwrap_or(call.name),
                call.address()
            ),
            owner_name: created.map(str::to_owned),
            outputs: call.spec.key_outputs.clone(),
            key: format!("{}:access-key", call.address()),
        });
    }
}

/// CloudFormation references in a value, as `${Logical}` / `${Logical.Attr}` texts
/// (`!Ref`, `!GetAtt`, `Ref`, `Fn::GetAtt`), and its strings (`!Sub` keeps its
/// `${...}` placeholders).
fn cfn_texts(node: &Node, out: &mut Vec<(String, crate::syntax::source::Span)>) {
    node.walk(|_, n| {
        match (n.tag(), n.as_scalar()) {
            (Some("!Ref" | "!GetAtt"), Some(s)) => out.push((format!("${{{}}}", s.text), n.span)),
            (_, Some(s)) if s.kind != ScalarKind::Null && s.text.contains("${") => {
                out.push((s.text.clone(), n.span));
            }
            _ => {}
        }
        if let [e] = n.entries() {
            match e.key_str() {
                Some("Ref") => {
                    if let Some(t) = e.value.as_text() {
                        out.push((format!("${{{t}}}"), n.span));
                    }
                }
                Some("Fn::GetAtt") => {
                    let parts: Vec<&str> =
                        e.value.items().iter().filter_map(Node::as_text).collect();
                    let text = if parts.is_empty() {
                        e.value.as_text().unwrap_or("").to_owned()
                    } else {
                        parts.join(".")
                    };
                    out.push((format!("${{{text}}}"), n.span));
                }
                _ => {}
            }
        }
    });
}

/// CloudFormation resources that hand values to what runs: (type, property path, what).
const CFN_HANDOVERS: &[(&str, &[&str], &str)] = &[
    (
        "AWS::Lambda::Function",
        &["Environment", "Variables"],
        "the environment of",
    ),
    (
        "AWS::Serverless::Function",
        &["Environment", "Variables"],
        "the environment of",
    ),
    (
        "AWS::ECS::TaskDefinition",
        &["ContainerDefinitions"],
        "the container definitions of",
    ),
    (
        "AWS::CodeBuild::Project",
        &["Environment", "EnvironmentVariables"],
        "a plain-text environment variable of",
    ),
    (
        "AWS::ElasticBeanstalk::Environment",
        &["OptionSettings"],
        "an environment property of",
    ),
    ("AWS::EC2::Instance", &["UserData"], "the user data of"),
    (
        "AWS::EC2::LaunchTemplate",
        &["LaunchTemplateData", "UserData"],
        "the user data of",
    ),
    (
        "AWS::SSM::Parameter",
        &["Value"],
        "the plain-text SSM parameter",
    ),
];

/// A CloudFormation value as references are written here: `${Logical}` for `!Ref`.
fn cfn_ref_text(node: &Node) -> Option<String> {
    match (node.tag(), node.as_text()) {
        (Some("!Ref"), Some(t)) => Some(format!("${{{t}}}")),
        (_, Some(t)) => Some(t.to_owned()),
        _ => node
            .get("Ref")
            .and_then(Node::as_text)
            .map(|t| format!("${{{t}}}")),
    }
}

pub(super) fn cloudformation(doc: &Document, out: &mut KeyFacts) {
    for res in cfn_resources(doc) {
        let (Some(logical), Some(ty)) = (res.logical, res.ty) else {
            continue;
        };
        let prop = |k: &str| res.properties.and_then(|p| p.get(k));
        match ty {
            "AWS::IAM::AccessKey" => {
                let user = prop("UserName");
                out.keys.push(MintedKey {
                    kind: KeyKind::AwsAccessKey,
                    ty: ty.to_owned(),
                    address: logical.to_owned(),
                    span: res.body.get("Type").map_or(res.key_span, |t| t.span),
                    owner: user
                        .and_then(cfn_ref_text)
                        .unwrap_or_else(|| "(unnamed)".to_owned()),
                    owner_name: user
                        .filter(|u| u.tag().is_none())
                        .and_then(Node::as_str)
                        .map(str::to_owned),
                    outputs: Vec::new(),
                    key: format!("Resources.{logical}"),
                });
            }
            "AWS::IAM::User" => {
                if let Some(n) = prop("UserName")
                    .filter(|u| u.tag().is_none())
                    .and_then(Node::as_str)
                {
                    out.users.push((logical.to_owned(), n.to_owned()));
                }
            }
            _ => {}
        }
        for (_, path, what) in CFN_HANDOVERS.iter().filter(|(t, ..)| *t == ty) {
            let Some(node) = res.properties.and_then(|p| p.get_path(path)) else {
                continue;
            };
            if ty == "AWS::SSM::Parameter"
                && prop("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t != "String" && t != "StringList")
            {
                continue;
            }
            let mut found = Vec::new();
            match ty {
                "AWS::CodeBuild::Project" => {
                    for var in node.items() {
                        let plain = var
                            .get("Type")
                            .and_then(Node::as_str)
                            .is_none_or(|t| t == "PLAINTEXT");
                        if plain && let Some(v) = var.get("Value") {
                            cfn_texts(v, &mut found);
                        }
                    }
                }
                "AWS::ElasticBeanstalk::Environment" => {
                    for s in node.items() {
                        let app_env = s.get("Namespace").and_then(Node::as_str)
                            == Some("aws:elasticbeanstalk:application:environment");
                        if app_env && let Some(v) = s.get("Value") {
                            cfn_texts(v, &mut found);
                        }
                    }
                }
                _ => cfn_texts(node, &mut found),
            }
            for (text, span) in found {
                out.handovers.push(Handover {
                    consumer: logical.to_owned(),
                    what,
                    text,
                    span,
                });
            }
        }
    }
}
