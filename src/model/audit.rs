//! The audit trail settings of infrastructure code, whichever format writes them:
//! CloudTrail trails, GCP audit configs, Kubernetes audit policies, log stores and
//! their retention, and the session names roles are assumed under (Terraform
//! providers, AWS shared config profiles; workflow steps are in
//! [`crate::model::runtime`]). [`crate::model::extract`] fills them once per file.

use crate::model::settings::Field;
use crate::syntax::source::Span;

/// The format a setting was read from, which decides how its keys are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IacFormat {
    Terraform,
    CloudFormation,
    /// An Azure Resource Manager template.
    Arm,
}

/// An AWS CloudTrail trail.
#[derive(Debug, Clone)]
pub(crate) struct Trail {
    pub(crate) format: IacFormat,
    /// `aws_cloudtrail.<name>`, or the CloudFormation logical id.
    pub(crate) address: String,
    /// Its name or logical id (where a missing setting is pointed at).
    pub(crate) span: Span,
    pub(crate) logging: Option<Field>,
    pub(crate) validation: Option<Field>,
    pub(crate) multi_region: Option<Field>,
    /// What S3 object-level (data) events it records: the values of its event
    /// selectors' `AWS::S3::Object` data resources (ARN prefixes, `arn:aws:s3` for all,
    /// references), or `*` for an advanced selector on S3 objects without an ARN filter.
    pub(crate) s3_data_events: Vec<String>,
}

impl Trail {
    /// How its format spells (logging, log file validation, multi-region).
    pub(crate) fn setting_names(&self) -> [&'static str; 3] {
        match self.format {
            IacFormat::Terraform => [
                "enable_logging",
                "enable_log_file_validation",
                "is_multi_region_trail",
            ],
            IacFormat::CloudFormation | IacFormat::Arm => {
                ["IsLogging", "EnableLogFileValidation", "IsMultiRegionTrail"]
            }
        }
    }
}

/// A GCP audit config (`google_{project,folder,organization}_iam_audit_config`).
#[derive(Debug, Clone)]
pub(crate) struct GcpAuditConfig {
    /// `<type>.<name>`.
    pub(crate) address: String,
    pub(crate) span: Span,
    pub(crate) service: Option<Field>,
    pub(crate) log_configs: Vec<GcpLogConfig>,
}

/// One `audit_log_config` block.
#[derive(Debug, Clone)]
pub(crate) struct GcpLogConfig {
    /// `log_type` (empty when missing).
    pub(crate) log_type: String,
    pub(crate) exempted_members: Vec<Field>,
}

/// A Kubernetes audit policy (`audit.k8s.io`, `kind: Policy`), its rules in order.
#[derive(Debug, Clone)]
pub(crate) struct AuditPolicy {
    pub(crate) rules: Vec<AuditRule>,
}

#[derive(Debug, Clone)]
pub(crate) struct AuditRule {
    pub(crate) level: Option<Field>,
    /// `users`, `userGroups`, `namespaces`: the scalars of each list.
    pub(crate) users: Vec<Field>,
    pub(crate) groups: Vec<Field>,
    pub(crate) namespaces: Vec<Field>,
    /// Which selectors the rule sets at all (`Some` even when empty).
    pub(crate) has_users: bool,
    pub(crate) has_groups: bool,
    pub(crate) has_namespaces: bool,
    pub(crate) has_resources: bool,
    pub(crate) has_non_resource_urls: bool,
    pub(crate) has_verbs: bool,
}

impl AuditRule {
    /// The rule names no user, group, namespace, resource or URL: it matches every
    /// request (whatever its verbs).
    pub(crate) fn unrestricted(&self) -> bool {
        !(self.has_users
            || self.has_groups
            || self.has_namespaces
            || self.has_resources
            || self.has_non_resource_urls)
    }
}

/// What a log store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogStoreKind {
    /// An AWS CloudWatch log group.
    LogGroup,
    /// A GCP log bucket.
    GcpBucket,
    /// An Azure Log Analytics workspace.
    AzureWorkspace,
}

/// A log store with a retention setting.
#[derive(Debug, Clone)]
pub(crate) struct LogStore {
    pub(crate) kind: LogStoreKind,
    /// The Terraform resource name or the CloudFormation logical id.
    pub(crate) label: String,
    /// Where the resource is named.
    pub(crate) label_span: Span,
    /// Its name setting (`name`, `name_prefix`, `bucket_id`, `LogGroupName`).
    pub(crate) name: Option<Field>,
    pub(crate) retention: Field,
    /// A stable key for fingerprints (`aws_cloudwatch_log_group.x:retention_in_days`,
    /// `Logical:RetentionInDays`).
    pub(crate) key: String,
}

/// A role assumed by a Terraform `provider "aws"` (`assume_role`,
/// `assume_role_with_web_identity`).
#[derive(Debug, Clone)]
pub(crate) struct ProviderRole {
    pub(crate) alias: Option<String>,
    /// The block it is assumed in.
    pub(crate) block: &'static str,
    pub(crate) role_arn: Field,
    /// `session_name`, unless missing or null.
    pub(crate) session_name: Option<Field>,
}

/// A profile of an AWS shared config file that assumes a role.
#[derive(Debug, Clone)]
pub(crate) struct ProfileRole {
    /// The section as written (`profile agent`).
    pub(crate) section: String,
    pub(crate) role_arn: Field,
    /// `role_session_name`, when literal.
    pub(crate) session_name: Option<String>,
}

/// An Azure activity log profile (`azurerm_monitor_log_profile`): which categories of
/// subscription operations it keeps.
#[derive(Debug, Clone)]
pub(crate) struct LogProfile {
    pub(crate) address: String,
    /// `categories`, with where the list is; `None` when not set.
    pub(crate) categories: Option<(Span, Vec<Field>)>,
}

/// An Alibaba Cloud ActionTrail trail (`alicloud_actiontrail_trail`, the older
/// `alicloud_actiontrail`).
#[derive(Debug, Clone)]
pub(crate) struct ActionTrail {
    pub(crate) address: String,
    /// `event_rw`: `Write` (the default), `Read` or `All`.
    pub(crate) event_rw: Option<Field>,
    /// `trail_region`: `All` (the default) or one region.
    pub(crate) trail_region: Option<Field>,
    /// `status`: `Enable` (the default) or `Disable`.
    pub(crate) status: Option<Field>,
}

/// The audit settings of one file.
#[derive(Debug, Default)]
pub(crate) struct AuditFacts {
    pub(crate) trails: Vec<Trail>,
    pub(crate) gcp_configs: Vec<GcpAuditConfig>,
    pub(crate) policies: Vec<AuditPolicy>,
    pub(crate) log_stores: Vec<LogStore>,
    pub(crate) provider_roles: Vec<ProviderRole>,
    pub(crate) profile_roles: Vec<ProfileRole>,
    pub(crate) log_profiles: Vec<LogProfile>,
    pub(crate) action_trails: Vec<ActionTrail>,
    /// What Azure diagnostic settings send logs of (`target_resource_id` as written).
    pub(crate) diagnostic_targets: Vec<Field>,
}
