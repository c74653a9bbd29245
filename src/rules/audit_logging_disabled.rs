use crate::findings::{Finding, Severity};
use crate::model::agent::agent_marker;
use crate::model::audit::{AuditPolicy, GcpAuditConfig, Trail};
use crate::model::identity::K8S_SERVICE_ACCOUNT_USER;
use crate::model::settings::Field;
use crate::rules::{FileCx, Rule};
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
    ///   Kubernetes' own components (`system:kube-proxy`, `system:nodes`) are fine.
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
