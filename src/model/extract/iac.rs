//! Terraform and CloudFormation in the identity graph: compute that runs (Bedrock
//! agents, Lambda functions, ECS tasks, Cloud Run services, Cloud Functions, Azure
//! container and function apps), the identities each runs as, and the definitions
//! (`aws_iam_role`, `google_service_account`) that let references in one file join
//! identities written as ARNs or emails in another.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::agent::AgentSignals;
use crate::model::facts::{Workload, WorkloadKind};
use crate::model::identity::{
    Definition, Identity, IdentityUse, gcp_account_id, role_name_from_arn,
};
use crate::model::runtime::WorkloadKey;
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

/// Terraform resources: `(type, name, name span, body)`.
pub fn tf_resources(doc: &Document) -> Vec<(&str, &str, Span, &Node)> {
    let mut out = Vec::new();
    for block in doc.root.get_all("resource") {
        for by_type in block.entries() {
            let Some(ty) = by_type.key_str() else {
                continue;
            };
            for named in by_type.value.entries() {
                let Some(name) = named.key_str() else {
                    continue;
                };
                out.push((ty, name, named.key.span, &named.value));
            }
        }
    }
    out
}

/// A CloudFormation resource, `Resources.<logical id>`.
pub(crate) struct CfnResource<'a> {
    pub(crate) logical: Option<&'a str>,
    /// Where the logical id is written.
    pub(crate) key_span: Span,
    /// `Type`, when a literal.
    pub(crate) ty: Option<&'a str>,
    pub(crate) properties: Option<&'a Node>,
    /// The resource's whole definition.
    pub(crate) body: &'a Node,
}

/// CloudFormation resources, in template order.
pub(crate) fn cfn_resources(doc: &Document) -> Vec<CfnResource<'_>> {
    doc.root
        .get("Resources")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|res| CfnResource {
            logical: res.key_str(),
            key_span: res.key.span,
            ty: res.value.get("Type").and_then(Node::as_str),
            properties: res.value.get("Properties"),
            body: &res.value,
        })
        .collect()
}

/// A resource of an Azure Resource Manager template.
pub(crate) struct ArmResource<'a> {
    /// `type` as written; a nested resource's relative type is joined to its parent's
    /// (`Microsoft.Sql/servers` + `databases`).
    pub(crate) ty: String,
    pub(crate) name: Option<&'a Node>,
    pub(crate) properties: Option<&'a Node>,
    /// The resource's whole definition.
    pub(crate) body: &'a Node,
    /// Document path (`resources[2]`, `resources.agentRole`, nested with `.resources[0]`).
    pub(crate) path: String,
}

impl ArmResource<'_> {
    /// Where the resource is named (its `name`, else its definition).
    pub(crate) fn span(&self) -> Span {
        self.name.map_or(self.body.span, |n| n.span)
    }

    /// Its name as written (ARM expressions included), else its path.
    pub(crate) fn display(&self) -> String {
        self.name
            .and_then(Node::as_text)
            .map_or_else(|| self.path.clone(), str::to_owned)
    }
}

/// The scope an ARM template deploys to, by its `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArmScope {
    ResourceGroup,
    Subscription,
    ManagementGroup,
    Tenant,
}

/// The deployment scope of an ARM template; `None` when the document is not one.
pub(crate) fn arm_scope(doc: &Document) -> Option<ArmScope> {
    let schema = doc.root.get("$schema").and_then(Node::as_str)?;
    let lower = schema.to_ascii_lowercase();
    if !lower.contains("deploymenttemplate.json") {
        return None;
    }
    Some(if lower.contains("subscriptiondeploymenttemplate") {
        ArmScope::Subscription
    } else if lower.contains("managementgroupdeploymenttemplate") {
        ArmScope::ManagementGroup
    } else if lower.contains("tenantdeploymenttemplate") {
        ArmScope::Tenant
    } else {
        ArmScope::ResourceGroup
    })
}

/// The resources of an ARM template (nested ones included, a few levels deep), in
/// template order; none for a document that is not one.
pub(crate) fn arm_resources(doc: &Document) -> Vec<ArmResource<'_>> {
    let mut out = Vec::new();
    if arm_scope(doc).is_some()
        && let Some(resources) = doc.root.get("resources")
    {
        arm_collect(resources, "resources", "", 0, &mut out);
    }
    out
}

fn arm_collect<'a>(
    resources: &'a Node,
    at: &str,
    parent: &str,
    depth: usize,
    out: &mut Vec<ArmResource<'a>>,
) {
    // Template language 2.0 writes resources as an object keyed by symbolic name.
    let items: Vec<(String, &Node)> = if resources.is_map() {
        resources
            .entries()
            .iter()
            .map(|e| (format!("{at}.{}", e.key_str().unwrap_or("?")), &e.value))
            .collect()
    } else {
        resources
            .items()
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{at}[{i}]"), n))
            .collect()
    };
    for (path, body) in items {
        let written = body.get("type").and_then(Node::as_str).unwrap_or("");
        let ty = if parent.is_empty() || written.contains('/') {
            written.to_owned()
        } else {
            format!("{parent}/{written}")
        };
        let nested = body.get("resources").filter(|_| depth < 4);
        let nested_at = format!("{path}.resources");
        out.push(ArmResource {
            ty: ty.clone(),
            name: body.get("name"),
            properties: body.get("properties"),
            body,
            path,
        });
        if let Some(nested) = nested {
            arm_collect(nested, &nested_at, &ty, depth + 1, out);
        }
    }
}

static TF_REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b(aws_iam_role|aws_iam_instance_profile|google_service_account|azurerm_user_assigned_identity)\.([A-Za-z_][A-Za-z0-9_-]*)").ok()
});

/// The identity a Terraform value names: a reference (`aws_iam_role.x.arn`), an ARN or
/// an email.
fn tf_identity(node: &Node, scope: &str) -> Option<Identity> {
    let text = node.as_text()?;
    if let Some(re) = TF_REF.as_ref()
        && let Some(c) = re.captures(text)
    {
        let address = format!("{}.{}", &c[1], &c[2]);
        return Some(match &c[1] {
            "google_service_account" => Identity::GcpServiceAccount(format!("{scope}:{address}")),
            "azurerm_user_assigned_identity" => {
                Identity::AzureIdentity(format!("{scope}:{address}"))
            }
            _ => Identity::AwsRole(format!("{scope}:{address}")),
        });
    }
    if let Some(name) = role_name_from_arn(text) {
        return Some(Identity::AwsRole(name.to_owned()));
    }
    if let Some(id) = gcp_account_id(text) {
        return Some(Identity::GcpServiceAccount(id.to_owned()));
    }
    None
}

/// Where each compute resource type keeps the identity it runs as, and whether the
/// resource is an AI agent by its type alone.
const TF_COMPUTE: &[(&str, &[&[&str]], bool)] = &[
    (
        "aws_bedrockagent_agent",
        &[&["agent_resource_role_arn"]],
        true,
    ),
    ("aws_bedrock_agent", &[&["agent_resource_role_arn"]], true),
    ("aws_bedrockagentcore_agent_runtime", &[&["role_arn"]], true),
    ("aws_lambda_function", &[&["role"]], false),
    ("aws_ecs_task_definition", &[&["task_role_arn"]], false),
    ("aws_sagemaker_notebook_instance", &[&["role_arn"]], false),
    (
        "google_cloud_run_service",
        &[&["template", "spec", "service_account_name"]],
        false,
    ),
    (
        "google_cloud_run_v2_service",
        &[&["template", "service_account"]],
        false,
    ),
    (
        "google_cloud_run_v2_job",
        &[&["template", "template", "service_account"]],
        false,
    ),
    (
        "google_cloudfunctions_function",
        &[&["service_account_email"]],
        false,
    ),
    (
        "google_cloudfunctions2_function",
        &[&["service_config", "service_account_email"]],
        false,
    ),
    (
        "google_vertex_ai_reasoning_engine",
        &[&["spec", "service_account"]],
        true,
    ),
    (
        "azurerm_container_app",
        &[&["identity", "identity_ids"]],
        false,
    ),
    (
        "azurerm_linux_function_app",
        &[&["identity", "identity_ids"]],
        false,
    ),
    (
        "azurerm_windows_function_app",
        &[&["identity", "identity_ids"]],
        false,
    ),
];

/// Workloads and identity definitions of a Terraform file.
pub fn terraform(
    doc: &Document,
    path: &Arc<str>,
    scope: &str,
    workloads: &mut Vec<Workload>,
    defs: &mut Vec<Definition>,
) {
    for (ty, name, name_span, body) in tf_resources(doc) {
        // Terraform JSON may write a resource's body as a one-element list.
        let body = if body.is_seq() {
            body.items().first().unwrap_or(body)
        } else {
            body
        };
        let address = format!("{ty}.{name}");
        match ty {
            "aws_iam_role" => {
                let identity = match body.get("name").and_then(Node::as_str) {
                    Some(n) => Identity::AwsRole(n.to_owned()),
                    None => Identity::AwsRole(format!("{scope}:{address}")),
                };
                defs.push(Definition {
                    address,
                    scope: scope.to_owned(),
                    identity,
                    path: Arc::clone(path),
                    span: name_span,
                });
            }
            "google_service_account" => {
                let identity = match body.get("account_id").and_then(Node::as_str) {
                    Some(id) => Identity::GcpServiceAccount(id.to_owned()),
                    None => Identity::GcpServiceAccount(format!("{scope}:{address}")),
                };
                defs.push(Definition {
                    address,
                    scope: scope.to_owned(),
                    identity,
                    path: Arc::clone(path),
                    span: name_span,
                });
            }
            _ => {}
        }
        let Some((_, paths, always_agent)) = TF_COMPUTE.iter().find(|(t, _, _)| *t == ty) else {
            continue;
        };
        let mut identities = Vec::new();
        for p in paths.iter() {
            let Some(node) = body.get_path(p) else {
                continue;
            };
            for n in node.one_or_many() {
                if let Some(identity) = tf_identity(n, scope) {
                    identities.push(IdentityUse {
                        identity,
                        span: n.span,
                    });
                }
            }
        }
        let display = body
            .get("function_name")
            .or_else(|| body.get("agent_name"))
            .or_else(|| body.get("name"))
            .and_then(Node::as_str)
            .unwrap_or(name);
        let mut signals = AgentSignals::default();
        if *always_agent {
            signals.strong(format!("it is a `{ty}`"));
        }
        signals.name(display);
        signals.name(name);
        env_signals(body, &mut signals);
        let key = WorkloadKey::Cloud {
            ty: ty.to_owned(),
            name: display.to_owned(),
        };
        workloads.push(Workload {
            name: key.to_string(),
            key,
            kind: WorkloadKind::Cloud,
            path: Arc::clone(path),
            span: name_span,
            extent: name_span.join(body.span),
            agent: None,
            signals,
            identities,
            harness: None,
        });
    }
}

/// CloudFormation compute and where it names its role.
const CFN_COMPUTE: &[(&str, &str, bool)] = &[
    ("AWS::Bedrock::Agent", "AgentResourceRoleArn", true),
    ("AWS::BedrockAgentCore::Runtime", "RoleArn", true),
    ("AWS::Lambda::Function", "Role", false),
    ("AWS::Serverless::Function", "Role", false),
    ("AWS::ECS::TaskDefinition", "TaskRoleArn", false),
];

fn cfn_identity(node: &Node, scope: &str) -> Option<Identity> {
    // !GetAtt Role.Arn, !Ref Role, {"Fn::GetAtt": ["Role", "Arn"]}, or a literal ARN.
    let logical = match node.tag() {
        Some("!GetAtt") => node
            .as_text()
            .map(|t| t.split('.').next().unwrap_or(t).to_owned()),
        Some("!Ref") => node.as_text().map(str::to_owned),
        _ => None,
    }
    .or_else(|| {
        let getatt = node.get("Fn::GetAtt")?;
        getatt
            .items()
            .first()
            .and_then(Node::as_str)
            .map(str::to_owned)
            .or_else(|| {
                getatt
                    .as_str()
                    .map(|t| t.split('.').next().unwrap_or(t).to_owned())
            })
    })
    .or_else(|| node.get("Ref").and_then(Node::as_str).map(str::to_owned));
    if let Some(logical) = logical {
        return Some(Identity::AwsRole(format!("{scope}:cfn:{logical}")));
    }
    node.as_str()
        .and_then(role_name_from_arn)
        .map(|n| Identity::AwsRole(n.to_owned()))
}

/// Workloads and roles of a CloudFormation template.
pub fn cloudformation(
    doc: &Document,
    path: &Arc<str>,
    workloads: &mut Vec<Workload>,
    defs: &mut Vec<Definition>,
) {
    // A template's logical ids are scoped to the template itself.
    let scope = path.to_string();
    for res in cfn_resources(doc) {
        let (Some(logical), Some(ty)) = (res.logical, res.ty) else {
            continue;
        };
        let props = res.properties;
        if ty == "AWS::IAM::Role" {
            let identity = match props.and_then(|p| p.get("RoleName")).and_then(Node::as_str) {
                Some(n) => Identity::AwsRole(n.to_owned()),
                None => Identity::AwsRole(format!("{scope}:cfn:{logical}")),
            };
            defs.push(Definition {
                address: format!("cfn:{logical}"),
                scope: scope.clone(),
                identity,
                path: Arc::clone(path),
                span: res.key_span,
            });
            continue;
        }
        let Some((_, key, always_agent)) = CFN_COMPUTE.iter().find(|(t, _, _)| *t == ty) else {
            continue;
        };
        let mut identities = Vec::new();
        if let Some(node) = props.and_then(|p| p.get(key))
            && let Some(identity) = cfn_identity(node, &scope)
        {
            identities.push(IdentityUse {
                identity,
                span: node.span,
            });
        }
        let mut signals = AgentSignals::default();
        if *always_agent {
            signals.strong(format!("it is an `{ty}`"));
        }
        signals.name(logical);
        if let Some(props) = props {
            env_signals(props, &mut signals);
        }
        let key = WorkloadKey::Cloud {
            ty: ty.to_owned(),
            name: logical.to_owned(),
        };
        workloads.push(Workload {
            name: key.to_string(),
            key,
            kind: WorkloadKind::Cloud,
            path: Arc::clone(path),
            span: res.key_span,
            extent: res.key_span.join(res.body.span),
            agent: None,
            signals,
            identities,
            harness: None,
        });
    }
}

/// Model-provider keys and images in a compute resource's definition: environment
/// variables written as keys (`environment { variables = { OPENAI_API_KEY = ... } }`,
/// CloudFormation `Environment.Variables`) or as `name` entries (Cloud Run `env`,
/// ECS container definitions), and container images.
fn env_signals(body: &Node, signals: &mut AgentSignals) {
    body.walk(|_, node| {
        for e in node.entries() {
            if let Some(k) = e.key_str() {
                signals.env_var(k, false);
                if matches!(k, "name" | "Name")
                    && let Some(v) = e.value.as_str()
                {
                    signals.env_var(v, false);
                }
                if matches!(k, "image" | "Image")
                    && let Some(v) = e.value.as_str()
                {
                    signals.image(v);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_and_email_parts() {
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:role/agents/triage"),
            Some("triage")
        );
        assert_eq!(
            role_name_from_arn("arn:aws:iam::123456789012:user/jane"),
            None
        );
        assert_eq!(
            gcp_account_id("agent@proj.iam.gserviceaccount.com"),
            Some("agent")
        );
        assert_eq!(gcp_account_id("jane@example.com"), None);
    }
}
