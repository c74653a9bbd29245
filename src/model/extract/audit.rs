//! Audit trail settings of Terraform, CloudFormation and AWS shared config files:
//! CloudTrail trails, GCP audit configs, log stores and their retention, and the roles
//! Terraform providers and AWS profiles assume (see [`crate::model::audit`]).

use crate::model::audit::{
    ActionTrail, AuditFacts, GcpAuditConfig, GcpLogConfig, IacFormat, LogProfile, LogStore,
    LogStoreKind, ProfileRole, ProviderRole, Trail,
};
use crate::model::extract::iac::{cfn_resources, tf_resources};
use crate::model::settings::Field;
use crate::syntax::doc::{Document, Node};

/// Every block `key` of an HCL body: HCL repeats blocks, Terraform JSON may write a
/// list of them.
fn blocks<'a>(body: &'a Node, key: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
    body.get_all(key).flat_map(|b| {
        if b.is_seq() {
            b.items().iter().collect()
        } else {
            vec![b]
        }
    })
}

/// Log store resource types: (type, kind, retention key, name keys in order).
const TF_LOG_STORES: &[(&str, LogStoreKind, &str, &[&str])] = &[
    (
        "aws_cloudwatch_log_group",
        LogStoreKind::LogGroup,
        "retention_in_days",
        &["name", "name_prefix"],
    ),
    (
        "google_logging_project_bucket_config",
        LogStoreKind::GcpBucket,
        "retention_days",
        &["bucket_id"],
    ),
    (
        "azurerm_log_analytics_workspace",
        LogStoreKind::AzureWorkspace,
        "retention_in_days",
        &["name"],
    ),
];

/// The S3 object data events a Terraform trail records: `event_selector` blocks'
/// `data_resource` of type `AWS::S3::Object`, and `advanced_event_selector` blocks whose
/// `resources.type` is `AWS::S3::Object` (their `resources.ARN` prefixes, or `*`).
fn tf_s3_data_events(body: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for selector in blocks(body, "event_selector") {
        for dr in blocks(selector, "data_resource") {
            if dr.get("type").and_then(Node::as_str) != Some("AWS::S3::Object") {
                continue;
            }
            for v in dr.get("values").map(Node::one_or_many).unwrap_or_default() {
                out.extend(v.as_text().map(str::to_owned));
            }
        }
    }
    for selector in blocks(body, "advanced_event_selector") {
        let fields: Vec<&Node> = blocks(selector, "field_selector").collect();
        advanced_selector(&fields, ["field", "equals", "starts_with"], &mut out);
    }
    out
}

/// The S3 object ARNs an advanced event selector records data events for (`*` when
/// it names none), if it selects S3 objects at all. Terraform and CloudFormation spell
/// the keys differently: `[field, equals, starts_with]` is passed in.
fn advanced_selector(
    fields: &[&Node],
    [field_key, equals, starts_with]: [&str; 3],
    out: &mut Vec<String>,
) {
    let values = |field: &str, key: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|f| f.get(field_key).and_then(Node::as_str) == Some(field))
            .filter_map(|f| f.get(key))
            .flat_map(Node::one_or_many)
            .filter_map(Node::as_text)
            .map(str::to_owned)
            .collect()
    };
    if !values("resources.type", equals)
        .iter()
        .any(|t| t == "AWS::S3::Object")
    {
        return;
    }
    let arns: Vec<String> = values("resources.ARN", starts_with)
        .into_iter()
        .chain(values("resources.ARN", equals))
        .collect();
    if arns.is_empty() {
        out.push("*".to_owned());
    } else {
        out.extend(arns);
    }
}

/// The same for a CloudFormation trail (`EventSelectors`, `AdvancedEventSelectors`).
fn cfn_s3_data_events(props: Option<&Node>) -> Vec<String> {
    let Some(props) = props else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for selector in props
        .get("EventSelectors")
        .map(Node::items)
        .unwrap_or_default()
    {
        for dr in selector
            .get("DataResources")
            .map(Node::items)
            .unwrap_or_default()
        {
            if dr.get("Type").and_then(Node::as_str) != Some("AWS::S3::Object") {
                continue;
            }
            for v in dr.get("Values").map(Node::one_or_many).unwrap_or_default() {
                out.extend(v.as_text().map(str::to_owned));
            }
        }
    }
    for selector in props
        .get("AdvancedEventSelectors")
        .map(Node::items)
        .unwrap_or_default()
    {
        let fields: Vec<&Node> = selector
            .get("FieldSelectors")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .collect();
        advanced_selector(&fields, ["Field", "Equals", "StartsWith"], &mut out);
    }
    out
}

pub(super) fn terraform(doc: &Document, out: &mut AuditFacts) {
    for (ty, name, name_span, body) in tf_resources(doc) {
        let body = super::cloud::tf_body(body);
        match ty {
            "aws_cloudtrail" => out.trails.push(Trail {
                format: IacFormat::Terraform,
                address: format!("aws_cloudtrail.{name}"),
                span: name_span,
                logging: body.get("enable_logging").map(Field::of),
                validation: body.get("enable_log_file_validation").map(Field::of),
                multi_region: body.get("is_multi_region_trail").map(Field::of),
                s3_data_events: tf_s3_data_events(body),
            }),
            "azurerm_monitor_log_profile" => out.log_profiles.push(LogProfile {
                address: format!("{ty}.{name}"),
                categories: body
                    .get("categories")
                    .map(|c| (c.span, c.one_or_many().into_iter().map(Field::of).collect())),
            }),
            "alicloud_actiontrail_trail" | "alicloud_actiontrail" => {
                out.action_trails.push(ActionTrail {
                    address: format!("{ty}.{name}"),
                    event_rw: body.get("event_rw").map(Field::of),
                    trail_region: body.get("trail_region").map(Field::of),
                    status: body.get("status").map(Field::of),
                });
            }
            "azurerm_monitor_diagnostic_setting" => {
                out.diagnostic_targets
                    .extend(body.get("target_resource_id").map(Field::of));
            }
            "google_project_iam_audit_config"
            | "google_folder_iam_audit_config"
            | "google_organization_iam_audit_config" => out.gcp_configs.push(GcpAuditConfig {
                address: format!("{ty}.{name}"),
                span: name_span,
                service: body.get("service").map(Field::of),
                log_configs: blocks(body, "audit_log_config")
                    .map(|c| GcpLogConfig {
                        log_type: c
                            .get("log_type")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        exempted_members: c
                            .get("exempted_members")
                            .map(Node::one_or_many)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|m| m.as_text().is_some())
                            .map(Field::of)
                            .collect(),
                    })
                    .collect(),
            }),
            _ => {}
        }
        if let Some((_, kind, retention_key, name_keys)) =
            TF_LOG_STORES.iter().find(|(t, ..)| *t == ty)
            && let Some(retention) = body.get(retention_key)
        {
            out.log_stores.push(LogStore {
                kind: *kind,
                label: name.to_owned(),
                label_span: name_span,
                name: name_keys.iter().find_map(|k| body.get(k)).map(Field::of),
                retention: Field::of(retention),
                key: format!("{ty}.{name}:{retention_key}"),
            });
        }
    }
    for provider in doc.root.get_all("provider") {
        for aws in blocks(provider, "aws") {
            let alias = aws.get("alias").and_then(Node::as_str);
            for block in ["assume_role", "assume_role_with_web_identity"] {
                for ar in blocks(aws, block) {
                    let Some(role) = ar.get("role_arn") else {
                        continue;
                    };
                    out.provider_roles.push(ProviderRole {
                        alias: alias.map(str::to_owned),
                        block,
                        role_arn: Field::of(role),
                        session_name: ar
                            .get("session_name")
                            .filter(|n| !n.is_null())
                            .map(Field::of),
                    });
                }
            }
        }
    }
}

pub(super) fn cloudformation(doc: &Document, out: &mut AuditFacts) {
    for res in cfn_resources(doc) {
        let logical = res.logical.unwrap_or("");
        let prop = |key: &str| res.properties.and_then(|p| p.get(key));
        match res.ty {
            Some("AWS::CloudTrail::Trail") => out.trails.push(Trail {
                format: IacFormat::CloudFormation,
                address: logical.to_owned(),
                span: res.key_span,
                logging: prop("IsLogging").map(Field::of),
                validation: prop("EnableLogFileValidation").map(Field::of),
                multi_region: prop("IsMultiRegionTrail").map(Field::of),
                s3_data_events: cfn_s3_data_events(res.properties),
            }),
            Some("AWS::Logs::LogGroup") => {
                if let Some(retention) = prop("RetentionInDays") {
                    out.log_stores.push(LogStore {
                        kind: LogStoreKind::LogGroup,
                        label: logical.to_owned(),
                        label_span: res.key_span,
                        name: prop("LogGroupName").map(Field::of),
                        retention: Field::of(retention),
                        key: format!("{logical}:RetentionInDays"),
                    });
                }
            }
            _ => {}
        }
    }
}

/// Profiles of an AWS shared config file (`.aws/config`) that assume a role.
pub(super) fn aws_config(doc: &Document, out: &mut AuditFacts) {
    for section in doc.root.entries() {
        let Some(name) = section.key_str() else {
            continue;
        };
        let Some(role) = section.value.get("role_arn") else {
            continue;
        };
        out.profile_roles.push(ProfileRole {
            section: name.to_owned(),
            role_arn: Field::of(role),
            session_name: section
                .value
                .get("role_session_name")
                .and_then(Node::as_str)
                .map(str::to_owned),
        });
    }
}
