//! Cloud platform settings of Terraform, CloudFormation and ARM templates: managed
//! Kubernetes clusters, compute left on a default service account, cloud identities
//! bound to a namespace's `default` Kubernetes service account (see
//! [`crate::model::cloud`]).

use crate::model::audit::IacFormat;
use crate::model::cloud::{
    CloudFacts, Cluster, ClusterKind, DefaultAccountBinding, DefaultIdentity,
    gke_workload_identity_member,
};
use crate::model::extract::iac::{arm_resources, cfn_resources, tf_resources};
use crate::model::settings::Field;
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

/// A nested block: HCL writes a map, Terraform JSON may write a one-element list.
pub(super) fn block<'a>(body: &'a Node, key: &str) -> Option<&'a Node> {
    let b = body.get(key)?;
    Some(if b.is_seq() { b.items().first()? } else { b })
}

/// Follow nested blocks.
pub(super) fn block_path<'a>(body: &'a Node, path: &[&str]) -> Option<&'a Node> {
    path.iter().try_fold(body, |n, k| block(n, k))
}

/// The one body of a Terraform resource (`.tf.json` may wrap it in a list).
pub(super) fn tf_body(body: &Node) -> &Node {
    if body.is_seq() {
        body.items().first().unwrap_or(body)
    } else {
        body
    }
}

/// The scalars of a list setting (or of one scalar).
fn fields(node: &Node) -> Vec<Field> {
    node.one_or_many().into_iter().map(Field::of).collect()
}

fn is_false(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| n.as_bool() == Some(false))
}

fn is_true(node: Option<&Node>) -> Option<&Node> {
    node.filter(|n| n.as_bool() == Some(true))
}

/// Compute that names its service account in a setting, and the default account it
/// runs as without one: (type, setting path, setting as shown, default account).
const GCP_COMPUTE: &[(&str, &[&str], &str, &str)] = &[
    (
        "google_container_node_pool",
        &["node_config", "service_account"],
        "node_config.service_account",
        COMPUTE_DEFAULT,
    ),
    (
        "google_cloud_run_service",
        &["template", "spec", "service_account_name"],
        "template.spec.service_account_name",
        COMPUTE_DEFAULT,
    ),
    (
        "google_cloud_run_v2_service",
        &["template", "service_account"],
        "template.service_account",
        COMPUTE_DEFAULT,
    ),
    (
        "google_cloud_run_v2_job",
        &["template", "template", "service_account"],
        "template.template.service_account",
        COMPUTE_DEFAULT,
    ),
    (
        "google_cloudfunctions_function",
        &["service_account_email"],
        "service_account_email",
        APP_ENGINE_DEFAULT,
    ),
    (
        "google_cloudfunctions2_function",
        &["service_config", "service_account_email"],
        "service_config.service_account_email",
        COMPUTE_DEFAULT,
    ),
];

const COMPUTE_DEFAULT: &str = "the Compute Engine default service account";
const APP_ENGINE_DEFAULT: &str = "the App Engine default service account";

/// Whether a value names a default service account: the Compute Engine or App Engine
/// default email, the `default` alias, or the `google_compute_default_service_account`
/// data source.
fn names_default_account(text: &str) -> bool {
    text == "default"
        || text.ends_with("-compute@developer.gserviceaccount.com")
        || text.ends_with("@appspot.gserviceaccount.com")
        || text.contains("google_compute_default_service_account.")
        || text.contains("google_app_engine_default_service_account.")
}

/// The service account setting of a GCP compute resource: missing, or naming a
/// default account.
fn gcp_default_identity(
    address: String,
    name_span: Span,
    setting: Option<&Node>,
    setting_name: &'static str,
    account: &'static str,
) -> Option<DefaultIdentity> {
    match setting {
        Some(n) if n.is_null() => {}
        Some(n) => {
            let text = n.as_text()?;
            if !names_default_account(text) {
                return None;
            }
            return Some(DefaultIdentity {
                address,
                span: n.span,
                explicit: true,
                setting: setting_name,
                account,
            });
        }
        None => {}
    }
    Some(DefaultIdentity {
        address,
        span: name_span,
        explicit: false,
        setting: setting_name,
        account,
    })
}

pub(super) fn terraform(doc: &Document, out: &mut CloudFacts) {
    for (ty, name, name_span, body) in tf_resources(doc) {
        let body = tf_body(body);
        let address = format!("{ty}.{name}");
        match ty {
            "aws_eks_cluster" => out.clusters.push(Cluster {
                log_types: body
                    .get("enabled_cluster_log_types")
                    .map(|n| (n.span, fields(n))),
                ..cluster(ClusterKind::Eks, IacFormat::Terraform, address, name_span)
            }),
            "google_container_cluster" => {
                let mut c = cluster(
                    ClusterKind::Gke,
                    IacFormat::Terraform,
                    address.clone(),
                    name_span,
                );
                c.legacy_abac = is_true(body.get("enable_legacy_abac")).map(Field::of);
                c.logging_service = body.get("logging_service").map(Field::of);
                c.logging_components = block_path(body, &["logging_config"])
                    .and_then(|b| b.get("enable_components"))
                    .map(|n| (n.span, fields(n)));
                out.clusters.push(c);
                // The default node pool runs as the node config's account unless the
                // pool is removed (node pools are then their own resources).
                let removed = is_true(body.get("remove_default_node_pool")).is_some();
                let autopilot = is_true(body.get("enable_autopilot")).is_some();
                if !removed {
                    let (setting, shown) = if autopilot {
                        (
                            block_path(
                                body,
                                &["cluster_autoscaling", "auto_provisioning_defaults"],
                            )
                            .and_then(|b| b.get("service_account")),
                            "cluster_autoscaling.auto_provisioning_defaults.service_account",
                        )
                    } else {
                        (
                            block(body, "node_config").and_then(|b| b.get("service_account")),
                            "node_config.service_account",
                        )
                    };
                    out.default_identities.extend(gcp_default_identity(
                        address,
                        name_span,
                        setting,
                        shown,
                        COMPUTE_DEFAULT,
                    ));
                }
            }
            "azurerm_kubernetes_cluster" => {
                let mut c = cluster(ClusterKind::Aks, IacFormat::Terraform, address, name_span);
                c.rbac_disabled = is_false(body.get("role_based_access_control_enabled"))
                    .or_else(|| {
                        is_false(
                            block(body, "role_based_access_control").and_then(|b| b.get("enabled")),
                        )
                    })
                    .map(Field::of);
                // azurerm 3+: an `oms_agent` block; 2.x: `addon_profile { oms_agent { enabled } }`.
                c.monitored = block(body, "oms_agent").is_some()
                    || is_true(
                        block_path(body, &["addon_profile", "oms_agent"])
                            .and_then(|b| b.get("enabled")),
                    )
                    .is_some();
                out.clusters.push(c);
            }
            "google_compute_instance" | "google_compute_instance_template" => {
                // A `service_account` block without `email` is the default account.
                if let Some(sa) = block(body, "service_account") {
                    let email = sa.get("email");
                    if email.is_none_or(|e| e.as_text().is_some_and(names_default_account)) {
                        out.default_identities.push(DefaultIdentity {
                            span: email.map_or(name_span, |e| e.span),
                            explicit: email.is_some(),
                            address,
                            setting: "service_account.email",
                            account: COMPUTE_DEFAULT,
                        });
                    }
                }
            }
            "google_service_account_iam_member" | "google_service_account_iam_binding" => {
                let role = body.get("role").and_then(Node::as_text);
                if role != Some("roles/iam.workloadIdentityUser") {
                    continue;
                }
                let identity = body
                    .get("service_account_id")
                    .and_then(Node::as_text)
                    .unwrap_or("(unnamed)");
                let members = ["member", "members"]
                    .iter()
                    .filter_map(|k| body.get(k))
                    .flat_map(Node::one_or_many);
                for m in members {
                    let Some((namespace, "default")) =
                        m.as_text().and_then(gke_workload_identity_member)
                    else {
                        continue;
                    };
                    out.default_account_bindings.push(DefaultAccountBinding {
                        address: address.clone(),
                        span: m.span,
                        namespace: namespace.to_owned(),
                        identity: identity.to_owned(),
                        mechanism: "GKE workload identity (`roles/iam.workloadIdentityUser`)",
                    });
                }
            }
            "azurerm_federated_identity_credential"
            | "azuread_application_federated_identity_credential" => {
                let Some(subject) = body.get("subject") else {
                    continue;
                };
                let Some((namespace, "default")) = subject
                    .as_text()
                    .and_then(crate::model::identity::service_account_user)
                else {
                    continue;
                };
                let identity = ["parent_id", "application_id", "application_object_id"]
                    .iter()
                    .find_map(|k| body.get(k).and_then(Node::as_text))
                    .unwrap_or("(unnamed)");
                out.default_account_bindings.push(DefaultAccountBinding {
                    address,
                    span: subject.span,
                    namespace: namespace.to_owned(),
                    identity: identity.to_owned(),
                    mechanism: "an Azure federated identity credential",
                });
            }
            _ => {
                if let Some((_, path, shown, account)) = GCP_COMPUTE.iter().find(|(t, ..)| *t == ty)
                {
                    let setting = block_path(body, &path[..path.len() - 1])
                        .and_then(|b| b.get(path[path.len() - 1]));
                    out.default_identities.extend(gcp_default_identity(
                        address, name_span, setting, shown, account,
                    ));
                }
            }
        }
    }
}

fn cluster(kind: ClusterKind, format: IacFormat, address: String, span: Span) -> Cluster {
    Cluster {
        kind,
        format,
        address,
        span,
        rbac_disabled: None,
        legacy_abac: None,
        log_types: None,
        logging_service: None,
        logging_components: None,
        monitored: false,
    }
}

pub(super) fn cloudformation(doc: &Document, out: &mut CloudFacts) {
    for res in cfn_resources(doc) {
        if res.ty != Some("AWS::EKS::Cluster") {
            continue;
        }
        let logical = res.logical.unwrap_or("");
        let types = res
            .properties
            .and_then(|p| p.get_path(&["Logging", "ClusterLogging", "EnabledTypes"]));
        out.clusters.push(Cluster {
            log_types: types.map(|list| {
                let types = list
                    .items()
                    .iter()
                    .filter_map(|t| t.get("Type"))
                    .map(Field::of)
                    .collect();
                (list.span, types)
            }),
            ..cluster(
                ClusterKind::Eks,
                IacFormat::CloudFormation,
                logical.to_owned(),
                res.key_span,
            )
        });
    }
}

pub(super) fn arm(doc: &Document, out: &mut CloudFacts) {
    for res in arm_resources(doc) {
        if !res
            .ty
            .eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
        {
            continue;
        }
        let props = res.properties;
        let mut c = cluster(ClusterKind::Aks, IacFormat::Arm, res.display(), res.span());
        c.rbac_disabled = is_false(props.and_then(|p| p.get("enableRBAC"))).map(Field::of);
        c.monitored =
            is_true(props.and_then(|p| p.get_path(&["addonProfiles", "omsagent", "enabled"])))
                .is_some();
        out.clusters.push(c);
    }
}
