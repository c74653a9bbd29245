use crate::findings::{Confidence, Finding, Severity};
use crate::model::agent::agent_marker;
use crate::model::audit::{ActionTrail, AuditPolicy, GcpAuditConfig, IacFormat, LogProfile, Trail};
use crate::model::cloud::{Cluster, ClusterKind};
use crate::model::facts::{Workload, held_by};
use crate::model::grants::{Grant, What};
use crate::model::iam::action_matches;
use crate::model::identity::K8S_SERVICE_ACCOUNT_USER;
use crate::model::knowledge::Knowledge;
use crate::model::settings::Field;
use crate::rules::{FileCx, FindingBuilder, ProjectCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Audit logging that is off, can be tampered with, or leaves out what agents do:
    ///
    /// - an AWS CloudTrail trail (Terraform `aws_cloudtrail`, CloudFormation
    ///   `AWS::CloudTrail::Trail`) with logging stopped (`enable_logging = false`,
    ///   `IsLogging: false`), with log file validation off (`false`: high; not set:
    ///   medium, it defaults to off), or limited to one region (`false`: low);
    /// - a GCP audit config (`google_project_iam_audit_config`,
    ///   `google_folder_iam_audit_config`, `google_organization_iam_audit_config`) with
    ///   `exempted_members` (high: those members' calls are not logged), or one for
    ///   `allServices` without `DATA_READ` and `DATA_WRITE` logs (medium);
    /// - a Kubernetes audit policy (`audit.k8s.io`, `kind: Policy`) with a
    ///   `level: None` rule that covers service accounts (`system:serviceaccount:…`,
    ///   `system:serviceaccounts…`, `system:authenticated`), namespaces named for agents,
    ///   or every request (no `users`, `userGroups`, `namespaces`, `resources` or
    ///   `nonResourceURLs`). Rules that drop health checks (`nonResourceURLs`) or
    ///   Kubernetes' own components (`system:kube-proxy`, `system:nodes`) are fine;
    /// - an EKS cluster without control-plane logs (Terraform `enabled_cluster_log_types`
    ///   not set, CloudFormation `Logging.ClusterLogging.EnabledTypes` not set: high) or
    ///   without the `audit` (high) or `authenticator` (medium) log type;
    /// - a GKE cluster with `logging_service = "none"` (high), or whose
    ///   `logging_config.enable_components` leaves out `SYSTEM_COMPONENTS` (medium);
    /// - an AKS cluster (Terraform) without Container Insights (`oms_agent`) that no
    ///   `azurerm_monitor_diagnostic_setting` anywhere in the repository targets:
    ///   reported once, on the cluster (medium, medium confidence: a policy outside the
    ///   repository may add the setting);
    /// - an Azure activity log profile (`azurerm_monitor_log_profile`) whose
    ///   `categories` leave out `Write` or `Delete`;
    /// - an Alibaba Cloud ActionTrail trail (`alicloud_actiontrail_trail`) that is
    ///   disabled, records `Read` events only (high) or one region (low);
    /// - across files, when the repository defines CloudTrail trails: an S3 bucket that
    ///   an AI agent's role writes (`s3:PutObject`, `s3:DeleteObject`, `s3:*`, `*`) and
    ///   that no trail records S3 data events for (`event_selector`/`data_resource` of
    ///   type `AWS::S3::Object`, advanced event selectors, CloudFormation
    ///   `EventSelectors`): reported on the grant (medium);
    /// - across files: a GCP role an AI agent holds that reaches data
    ///   (`roles/storage.*`, `roles/secretmanager.*`, `roles/bigquery.*`, ...; the table
    ///   is `[[gcp.data_access]]` in `rules/permissions.toml`) while no
    ///   `google_*_iam_audit_config` of the repository turns on `DATA_READ` and
    ///   `DATA_WRITE` for its service or `allServices` (Data Access logs are off by
    ///   default): reported on the grant (medium, medium confidence).
    ///
    /// ## Why it matters
    /// The audit log is the only record of what an agent did with its identity. With
    /// logging off or an agent exempted, a prompt-injected agent acts without a trace;
    /// without log file validation, whoever can write the bucket can rewrite history.
    ///
    /// ## What to do instead
    /// Keep trails logging in every region with `enable_log_file_validation = true`;
    /// log `DATA_READ` and `DATA_WRITE` for `allServices` without exemptions; in
    /// Kubernetes audit policies keep at least `Metadata` for service accounts and drop
    /// only health checks and system components.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_cloudtrail" "main" {
    ///   name           = "main"
    ///   enable_logging = false
    /// }
    /// ```
    /// Use instead `enable_logging = true`, `enable_log_file_validation = true` and
    /// `is_multi_region_trail = true`.
    pub(crate) struct AuditLoggingDisabled {
        id: "audit-logging-disabled",
        family: AuditTrail,
        severity: High,
        confidence: High,
        summary: "Audit logging is off, tamperable, or exempts what agents do",
        applies_to: |kind| matches!(
            kind,
            FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::CloudFormation
                | FileKind::Kubernetes
        ),
    }
}

impl Rule for AuditLoggingDisabled {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let audit = &cx.facts.audit();
        for t in &audit.trails {
            trail(cx, t, out);
        }
        for config in &audit.gcp_configs {
            gcp_audit_config(cx, config, out);
        }
        for policy in &audit.policies {
            k8s_policy(cx, policy, out);
        }
        for c in &cx.facts.cloud().clusters {
            cluster_logs(cx, c, out);
        }
        for p in &audit.log_profiles {
            log_profile(cx, p, out);
        }
        for t in &audit.action_trails {
            action_trail(cx, t, out);
        }
    }

    fn check_project(&self, cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
        unmonitored_clusters(cx, out);
        let agents: Vec<&Workload> = cx
            .facts
            .workloads
            .iter()
            .filter(|w| w.agent.is_some())
            .collect();
        s3_data_events(cx, &agents, out);
        gcp_data_access(cx, &agents, out);
    }
}

/// EKS control-plane logs and GKE cluster logging.
fn cluster_logs(cx: &FileCx<'_>, c: &Cluster, out: &mut Vec<Finding>) {
    let what = format!("{} cluster `{}`", c.kind.as_str(), c.address);
    if c.kind == ClusterKind::Eks {
        let setting = match c.format {
            IacFormat::CloudFormation => "Logging.ClusterLogging.EnabledTypes",
            _ => "enabled_cluster_log_types",
        };
        let help = "Enable the `api`, `audit` and `authenticator` control-plane log types (and keep the CloudWatch log group long enough).";
        let Some((span, types)) = &c.log_types else {
            push(
                cx,
                out,
                Hit {
                    span: c.span,
                    severity: Severity::High,
                    message: format!(
                        "{what} sends no control-plane logs (`{setting}` is not set): the Kubernetes audit log of every API call, agents' calls with their service accounts and IAM roles included, is not kept"
                    ),
                    label: "no control-plane logs",
                    help,
                    key: format!("{}:{setting}", c.address),
                },
            );
            return;
        };
        let has = |t: &str| types.iter().any(|f| f.as_str() == Some(t));
        let missing: Vec<&str> = ["audit", "authenticator"]
            .into_iter()
            .filter(|t| !has(t))
            .collect();
        if missing.is_empty() {
            return;
        }
        let (severity, meaning) = if missing.contains(&"audit") {
            (
                Severity::High,
                "the Kubernetes audit log of every API call, agents' calls included, is not kept",
            )
        } else {
            (
                Severity::Medium,
                "which IAM identity signed in as which Kubernetes user, an agent's role among them, is not recorded",
            )
        };
        push(
            cx,
            out,
            Hit {
                span: *span,
                severity,
                message: format!(
                    "{what} enables control-plane logs without {}: {meaning}",
                    missing
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                label: "control-plane log types",
                help,
                key: format!("{}:{setting}:{}", c.address, missing.join("+")),
            },
        );
    }
    if c.kind == ClusterKind::Gke {
        let help = "Keep `logging_service = \"logging.googleapis.com/kubernetes\"` and `SYSTEM_COMPONENTS` (with `APISERVER`) in `logging_config.enable_components`.";
        if let Some(none) = c
            .logging_service
            .as_ref()
            .filter(|f| f.as_str() == Some("none"))
        {
            push(
                cx,
                out,
                Hit {
                    span: none.span,
                    severity: Severity::High,
                    message: format!(
                        "{what} has `logging_service = \"none\"`: the cluster sends no logs to Cloud Logging, neither its components' nor its workloads', so what agents did inside it cannot be reconstructed"
                    ),
                    label: "cluster logging off",
                    help,
                    key: format!("{}:logging_service", c.address),
                },
            );
        } else if let Some((span, components)) = &c.logging_components
            && !components
                .iter()
                .any(|f| f.as_str() == Some("SYSTEM_COMPONENTS"))
        {
            push(
                cx,
                out,
                Hit {
                    span: *span,
                    severity: Severity::Medium,
                    message: format!(
                        "{what} leaves `SYSTEM_COMPONENTS` out of `logging_config.enable_components`: the logs of its control plane and system components are not collected"
                    ),
                    label: "no system component logs",
                    help,
                    key: format!("{}:logging_config", c.address),
                },
            );
        }
    }
}

/// An Azure activity log profile that drops write or delete operations.
fn log_profile(cx: &FileCx<'_>, p: &LogProfile, out: &mut Vec<Finding>) {
    let Some((span, categories)) = &p.categories else {
        return;
    };
    let has = |c: &str| {
        categories
            .iter()
            .any(|f| f.as_str().is_some_and(|t| t.eq_ignore_ascii_case(c)))
    };
    let missing: Vec<&str> = ["Write", "Delete"]
        .into_iter()
        .filter(|c| !has(c))
        .collect();
    if missing.is_empty() {
        return;
    }
    push(
        cx,
        out,
        Hit {
            span: *span,
            severity: Severity::High,
            message: format!(
                "Azure activity log profile `{}` leaves out the {} categories: the subscription operations that create, change or remove resources, what an agent's identity did among them, are not exported",
                p.address,
                missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            label: "categories",
            help: "Export the `Write`, `Delete` and `Action` categories (or send the subscription's activity log to a workspace with a diagnostic setting for `Administrative`).",
            key: format!("{}:categories", p.address),
        },
    );
}

/// An Alibaba Cloud ActionTrail trail that records reads only, one region, or nothing.
fn action_trail(cx: &FileCx<'_>, t: &ActionTrail, out: &mut Vec<Finding>) {
    let what = format!("ActionTrail trail `{}`", t.address);
    let help = "Record `event_rw = \"All\"` (or at least `Write`) in every region (`trail_region = \"All\"`), with `status = \"Enable\"`.";
    if let Some(off) = t.status.as_ref().filter(|f| f.as_str() == Some("Disable")) {
        push(
            cx,
            out,
            Hit {
                span: off.span,
                severity: Severity::High,
                message: format!(
                    "{what} is disabled (`status = \"Disable\"`): nothing any identity does in the account, agents included, is recorded"
                ),
                label: "trail disabled",
                help,
                key: format!("{}:status", t.address),
            },
        );
    }
    if let Some(read) = t.event_rw.as_ref().filter(|f| f.as_str() == Some("Read")) {
        push(
            cx,
            out,
            Hit {
                span: read.span,
                severity: Severity::High,
                message: format!(
                    "{what} records read events only (`event_rw = \"Read\"`): every change an agent makes to the account goes unrecorded"
                ),
                label: "reads only",
                help,
                key: format!("{}:event_rw", t.address),
            },
        );
    }
    if let Some(region) = t
        .trail_region
        .as_ref()
        .filter(|f| f.as_str().is_some_and(|r| !r.eq_ignore_ascii_case("All")))
    {
        push(
            cx,
            out,
            Hit {
                span: region.span,
                severity: Severity::Low,
                message: format!(
                    "{what} records one region only: an agent acting in any other region leaves no trace in it"
                ),
                label: "single-region trail",
                help,
                key: format!("{}:trail_region", t.address),
            },
        );
    }
}

/// AKS clusters without Container Insights that no diagnostic setting anywhere in the
/// repository sends the logs of: reported once, on the cluster.
fn unmonitored_clusters(cx: &ProjectCx<'_>, out: &mut Vec<Finding>) {
    let infra = &cx.facts.infra;
    for c in &infra.unmonitored {
        let covered = infra
            .diagnostic_targets
            .iter()
            .any(|t| t.dir == c.dir && crate::model::iam::refers_to(&t.target, &c.address));
        if covered {
            continue;
        }
        out.push(
            FindingBuilder::new(
                &AuditLoggingDisabled::META,
                &c.path,
                c.span,
                format!(
                    "{} cluster `{}` keeps no logs: Container Insights is off (no `oms_agent`) and no `azurerm_monitor_diagnostic_setting` in the repository targets it, so the API server's audit log (`kube-audit`) of what agents did with their service accounts goes nowhere",
                    c.kind.as_str(),
                    c.address
                ),
            )
            .label("no diagnostic setting")
            .severity(Severity::Medium)
            .confidence(Confidence::Medium)
            .help("Add an `azurerm_monitor_diagnostic_setting` with `target_resource_id` set to the cluster's id and the `kube-audit-admin` (or `kube-audit`) category, sent to a Log Analytics workspace or storage account.")
            .key(format!("{}:diagnostic-setting", c.address))
            .build(),
        );
    }
}

/// The bucket an S3 resource ARN names (`arn:aws:s3:::reports/*` → `reports`), or the
/// `aws_s3_bucket` a reference names; `*` for every bucket.
fn s3_bucket(resource: &str) -> Option<String> {
    if resource == "*" {
        return Some("*".to_owned());
    }
    if let Some(rest) = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":s3:::"))
    {
        let bucket = rest.1.split('/').next().unwrap_or("");
        return match bucket {
            "" => None,
            b if b.contains('*') => Some("*".to_owned()),
            b => Some(b.to_owned()),
        };
    }
    let at = resource.find("aws_s3_bucket.")?;
    let rest = &resource[at..];
    let end = rest["aws_s3_bucket.".len()..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(rest.len(), |e| e + "aws_s3_bucket.".len());
    Some(rest[..end].to_owned())
}

/// Buckets an agent's role writes that no trail of the repository records S3 data
/// events for. Only judged when the repository defines a trail at all.
fn s3_data_events(cx: &ProjectCx<'_>, agents: &[&Workload], out: &mut Vec<Finding>) {
    let trails = &cx.facts.infra.trails;
    let Some(first_trail) = trails.first() else {
        return;
    };
    // (grant path, grant span, bucket) → the agents writing it.
    let mut seen: Vec<(&Grant, String, Vec<&Workload>)> = Vec::new();
    for w in agents {
        for g in held_by(cx.facts, w) {
            let What::Aws { actions, resources } = &g.what else {
                continue;
            };
            let writes = actions.iter().any(|a| {
                action_matches(&a.text, "s3:PutObject")
                    || action_matches(&a.text, "s3:DeleteObject")
            });
            if !writes {
                continue;
            }
            for r in resources {
                let Some(bucket) = s3_bucket(&r.text) else {
                    continue;
                };
                if trails.iter().any(|t| t.records_objects_of(&bucket)) {
                    continue;
                }
                match seen
                    .iter_mut()
                    .find(|(sg, b, _)| std::ptr::eq(*sg, g) && *b == bucket)
                {
                    Some((_, _, ws)) => {
                        if !ws.iter().any(|x| std::ptr::eq(*x, *w)) {
                            ws.push(w);
                        }
                    }
                    None => seen.push((g, bucket, vec![w])),
                }
            }
        }
    }
    for (g, bucket, ws) in seen {
        let names: Vec<&str> = ws.iter().map(|w| w.name.as_str()).collect();
        let which = if bucket == "*" {
            "every S3 bucket".to_owned()
        } else {
            format!("S3 bucket `{bucket}`")
        };
        let mut b = FindingBuilder::new(
            &AuditLoggingDisabled::META,
            &g.path,
            g.span,
            format!(
                "AI agent {} writes {which} through this grant, but no CloudTrail trail in the repository records S3 data events for it: which objects the agent wrote or deleted is not logged (management events do not cover object writes)",
                names.join(", ")
            ),
        )
        .label("agent writes to S3")
        .severity(Severity::Medium)
        .help("Add an `event_selector` with a `data_resource` of type `AWS::S3::Object` for the bucket (`arn:aws:s3:::<bucket>/`), or an `advanced_event_selector` on `resources.type = AWS::S3::Object`, to a trail.")
        .related(
            &first_trail.path,
            first_trail.span,
            format!("`{}` records no S3 data events for it", first_trail.address),
        )
        .key(format!("{}:s3-data-events:{bucket}", g.key));
        for w in &ws {
            b = b.related(&w.path, w.span, format!("{} holds this grant", w.name));
        }
        out.push(b.build());
    }
}

/// GCP services agents reach through their roles whose Data Access logs no audit
/// config of the repository turns on (they are off by default).
fn gcp_data_access(cx: &ProjectCx<'_>, agents: &[&Workload], out: &mut Vec<Finding>) {
    let Some(k) = Knowledge::builtin() else {
        return;
    };
    let configs = &cx.facts.infra.gcp_audit;
    let covers = |service: &str| {
        configs.iter().any(|c| {
            (c.service == "allServices" || c.service == service)
                && ["DATA_READ", "DATA_WRITE"]
                    .iter()
                    .all(|t| c.log_types.iter().any(|l| l == t))
        })
    };
    let mut seen: Vec<(&Grant, Vec<&Workload>)> = Vec::new();
    for w in agents {
        for g in held_by(cx.facts, w) {
            let What::Gcp { role, .. } = &g.what else {
                continue;
            };
            let Some(service) = k.gcp_data_service(role) else {
                continue;
            };
            if covers(service) {
                continue;
            }
            match seen.iter_mut().find(|(sg, _)| std::ptr::eq(*sg, g)) {
                Some((_, ws)) => ws.push(w),
                None => seen.push((g, vec![w])),
            }
        }
    }
    for (g, ws) in seen {
        let What::Gcp { role, .. } = &g.what else {
            continue;
        };
        let service = k.gcp_data_service(role).unwrap_or("");
        let names: Vec<&str> = ws.iter().map(|w| w.name.as_str()).collect();
        let configs_note = if configs.is_empty() {
            "no `google_project_iam_audit_config` in the repository".to_owned()
        } else {
            format!(
                "no audit config in the repository turns on `DATA_READ` and `DATA_WRITE` for `{service}` or `allServices`"
            )
        };
        let mut b = FindingBuilder::new(
            &AuditLoggingDisabled::META,
            &g.path,
            g.span,
            format!(
                "AI agent {} holds `{role}`, but {configs_note}: Data Access audit logs are off by default, so what the agent reads and writes through `{service}` is not recorded",
                names.join(", ")
            ),
        )
        .label("data access not audited")
        .severity(Severity::Medium)
        .confidence(Confidence::Medium)
        .help("Add a `google_project_iam_audit_config` for the service (or `allServices`) with `DATA_READ` and `DATA_WRITE` `audit_log_config` blocks, without exempting the agent.")
        .key(format!("{}:data-access:{service}", g.key));
        if let Some(c) = configs.first() {
            b = b.related(
                &c.path,
                c.span,
                "an audit config without Data Access logs for it",
            );
        }
        for w in &ws {
            b = b.related(&w.path, w.span, format!("{} holds this grant", w.name));
        }
        out.push(b.build());
    }
}

struct Hit {
    span: Span,
    severity: Severity,
    message: String,
    label: &'static str,
    help: &'static str,
    key: String,
}

fn push(cx: &FileCx<'_>, out: &mut Vec<Finding>, hit: Hit) {
    out.push(
        cx.finding(&AuditLoggingDisabled::META, hit.span, hit.message)
            .label(hit.label)
            .help(hit.help)
            .severity(hit.severity)
            .key(hit.key)
            .build(),
    );
}

const TRAIL_HELP: &str = "Keep the trail logging in every region with log file validation on (`enable_logging = true`, `enable_log_file_validation = true`, `is_multi_region_trail = true`).";

fn off(n: Option<&Field>) -> Option<&Field> {
    n.filter(|n| n.as_bool() == Some(false))
}

fn trail(cx: &FileCx<'_>, t: &Trail, out: &mut Vec<Finding>) {
    let what = format!("CloudTrail trail `{}`", t.address);
    let [logging, validation, regions] = t.setting_names();
    // A setting turned off, at its value: (setting, severity, label, what it means).
    let offs = [
        (
            logging,
            off(t.logging.as_ref()),
            Severity::High,
            "audit logging stopped",
            "nothing any identity does in the account, agents included, is recorded",
        ),
        (
            validation,
            off(t.validation.as_ref()),
            Severity::High,
            "log file validation off",
            "whoever can write its bucket can alter or delete records of what an agent did without it being detectable",
        ),
    ];
    for (setting, node, severity, label, meaning) in offs {
        if let Some(n) = node {
            push(
                cx,
                out,
                Hit {
                    span: n.span,
                    severity,
                    message: format!("{what} has `{setting}` off: {meaning}"),
                    label,
                    help: TRAIL_HELP,
                    key: format!("{what}:{setting}"),
                },
            );
        }
    }
    if t.validation.is_none() {
        push(
            cx,
            out,
            Hit {
                span: t.span,
                severity: Severity::Medium,
                message: format!(
                    "{what} does not set `{validation}`, which defaults to off: tampering with its log files cannot be detected"
                ),
                label: "no log file validation",
                help: TRAIL_HELP,
                key: format!("{what}:{validation}:missing"),
            },
        );
    }
    if let Some(n) = off(t.multi_region.as_ref()) {
        push(
            cx,
            out,
            Hit {
                span: n.span,
                severity: Severity::Low,
                message: format!(
                    "{what} records one region only: an agent acting in any other region leaves no trace in it"
                ),
                label: "single-region trail",
                help: TRAIL_HELP,
                key: format!("{what}:{regions}"),
            },
        );
    }
}

fn gcp_audit_config(cx: &FileCx<'_>, config: &GcpAuditConfig, out: &mut Vec<Finding>) {
    let address = &config.address;
    let service = config
        .service
        .as_ref()
        .and_then(Field::as_str)
        .unwrap_or("");
    let mut types = Vec::new();
    for log_config in &config.log_configs {
        let log_type = log_config.log_type.as_str();
        types.push(log_type);
        for member in &log_config.exempted_members {
            let Some(m) = member.as_text() else { continue };
            let whom = if m.starts_with("serviceAccount:") {
                match agent_marker(m) {
                    Some(_) => "an AI agent's service account",
                    None => "a service account",
                }
            } else if m.starts_with("user:") {
                "a person"
            } else {
                "a member"
            };
            push(
                cx,
                out,
                Hit {
                    span: member.span,
                    severity: Severity::High,
                    message: format!(
                        "`{address}` exempts `{m}` ({whom}) from `{log_type}` audit logs of `{service}`: what it does is never recorded"
                    ),
                    label: "exempted from audit logging",
                    help: "Remove the exemption; if the volume is the concern, filter with log exclusions on the sink instead of not recording the calls.",
                    key: format!("{address}:{log_type}:{m}"),
                },
            );
        }
    }
    if service == "allServices" {
        let missing: Vec<&str> = ["DATA_READ", "DATA_WRITE"]
            .into_iter()
            .filter(|t| !types.contains(t))
            .collect();
        if !missing.is_empty() {
            push(
                cx,
                out,
                Hit {
                    span: config.service.as_ref().map_or(config.span, |n| n.span),
                    severity: Severity::Medium,
                    message: format!(
                        "`{address}` audits `allServices` without {} logs: what agents read and change in data (buckets, secrets, tables) is not recorded",
                        missing.join(" and ")
                    ),
                    label: "no data access logs",
                    help: "Add `audit_log_config` blocks for `DATA_READ` and `DATA_WRITE` (and `ADMIN_READ`) for `allServices`.",
                    key: format!("{address}:data-access"),
                },
            );
        }
    }
}

/// Users and groups that are Kubernetes' own components, not workloads.
fn system_component(name: &str) -> bool {
    name.starts_with("system:")
        && !name.starts_with("system:serviceaccount")
        && name != "system:authenticated"
        && name != "system:unauthenticated"
}

fn k8s_policy(cx: &FileCx<'_>, policy: &AuditPolicy, out: &mut Vec<Finding>) {
    let texts = |list: &[Field]| -> Vec<(String, Span)> {
        list.iter()
            .filter_map(|n| Some((n.as_text()?.to_owned(), n.span)))
            .collect()
    };
    for (i, rule) in policy.rules.iter().enumerate() {
        let Some(level) = &rule.level else {
            continue;
        };
        let users = texts(&rule.users);
        let groups = texts(&rule.groups);
        let namespaces = texts(&rule.namespaces);
        let unrestricted = rule.unrestricted();
        if level.as_str() != Some("None") {
            // The first matching rule decides: after a catch-all, nothing else applies.
            if unrestricted && !rule.has_verbs {
                return;
            }
            continue;
        }
        // Health checks and other non-resource URLs are not what agents do.
        if rule.has_non_resource_urls && !rule.has_resources {
            continue;
        }
        let covered: Option<(String, Option<Span>)> = if unrestricted {
            Some(("every request".to_owned(), None))
        } else if let Some((u, s)) = users
            .iter()
            .find(|(u, _)| u.starts_with(K8S_SERVICE_ACCOUNT_USER))
        {
            Some((format!("service account user `{u}`"), Some(*s)))
        } else if let Some((g, s)) = groups.iter().find(|(g, _)| !system_component(g)) {
            Some((format!("group `{g}`"), Some(*s)))
        } else if let Some((n, s)) = namespaces.iter().find(|(n, _)| agent_marker(n).is_some()) {
            Some((format!("namespace `{n}`"), Some(*s)))
        } else {
            None
        };
        let Some((what, related)) = covered else {
            continue;
        };
        let message = format!(
            "Kubernetes audit policy rule {} sets `level: None` for {what}: the API calls it matches, agents' calls with their service accounts among them, are never logged",
            i + 1
        );
        let mut b = cx
            .finding(&AuditLoggingDisabled::META, level.span, message)
            .label("not audited")
            .help("Keep at least `level: Metadata` for service accounts and agent namespaces; use `level: None` only for health checks and Kubernetes' own components.")
            .key(format!("rules[{i}]:{what}"));
        if let Some(span) = related {
            b = b.related(cx.path, span, "covers this");
        }
        out.push(b.build());
    }
}
