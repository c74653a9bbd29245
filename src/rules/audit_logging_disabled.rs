use crate::findings::{Finding, Severity};
use crate::model::agent::agent_marker;
use crate::model::extract::iac::tf_resources;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};
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
        for doc in cx.documents() {
            match cx.file.kind {
                FileKind::Terraform | FileKind::TerraformJson => terraform(cx, doc, out),
                FileKind::CloudFormation => cloudformation(cx, doc, out),
                _ => k8s_policy(cx, doc, out),
            }
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

/// The settings of one trail, however its format spells them.
struct Trail<'a> {
    what: String,
    /// Where to point when a setting is missing.
    span: Span,
    logging: Option<&'a Node>,
    validation: Option<&'a Node>,
    multi_region: Option<&'a Node>,
    names: [&'static str; 3],
}

fn off(n: Option<&Node>) -> Option<&Node> {
    n.filter(|n| n.as_bool() == Some(false))
}

fn trail(cx: &FileCx<'_>, t: Trail<'_>, out: &mut Vec<Finding>) {
    let [logging, validation, regions] = t.names;
    if let Some(n) = off(t.logging) {
        push(
            cx,
            out,
            Hit {
                span: n.span,
                severity: Severity::High,
                message: format!(
                    "{} has `{logging}` off: nothing any identity does in the account, agents included, is recorded",
                    t.what
                ),
                label: "audit logging stopped",
                help: TRAIL_HELP,
                key: format!("{}:{logging}", t.what),
            },
        );
    }
    match (t.validation, off(t.validation)) {
        (_, Some(n)) => push(
            cx,
            out,
            Hit {
                span: n.span,
                severity: Severity::High,
                message: format!(
                    "{} has `{validation}` off: whoever can write its bucket can alter or delete records of what an agent did without it being detectable",
                    t.what
                ),
                label: "log file validation off",
                help: TRAIL_HELP,
                key: format!("{}:{validation}", t.what),
            },
        ),
        (None, _) => push(
            cx,
            out,
            Hit {
                span: t.span,
                severity: Severity::Medium,
                message: format!(
                    "{} does not set `{validation}`, which defaults to off: tampering with its log files cannot be detected",
                    t.what
                ),
                label: "no log file validation",
                help: TRAIL_HELP,
                key: format!("{}:{validation}:missing", t.what),
            },
        ),
        _ => {}
    }
    if let Some(n) = off(t.multi_region) {
        push(
            cx,
            out,
            Hit {
                span: n.span,
                severity: Severity::Low,
                message: format!(
                    "{} records one region only: an agent acting in any other region leaves no trace in it",
                    t.what
                ),
                label: "single-region trail",
                help: TRAIL_HELP,
                key: format!("{}:{regions}", t.what),
            },
        );
    }
}

fn terraform(cx: &FileCx<'_>, doc: &Document, out: &mut Vec<Finding>) {
    for (ty, name, name_span, body) in tf_resources(doc) {
        match ty {
            "aws_cloudtrail" => trail(
                cx,
                Trail {
                    what: format!("CloudTrail trail `aws_cloudtrail.{name}`"),
                    span: name_span,
                    logging: body.get("enable_logging"),
                    validation: body.get("enable_log_file_validation"),
                    multi_region: body.get("is_multi_region_trail"),
                    names: [
                        "enable_logging",
                        "enable_log_file_validation",
                        "is_multi_region_trail",
                    ],
                },
                out,
            ),
            "google_project_iam_audit_config"
            | "google_folder_iam_audit_config"
            | "google_organization_iam_audit_config" => {
                gcp_audit_config(cx, &format!("{ty}.{name}"), name_span, body, out)
            }
            _ => {}
        }
    }
}

fn gcp_audit_config(
    cx: &FileCx<'_>,
    address: &str,
    name_span: Span,
    body: &Node,
    out: &mut Vec<Finding>,
) {
    let service_node = body.get("service");
    let service = service_node.and_then(Node::as_str).unwrap_or("");
    let mut types = Vec::new();
    // HCL repeats `audit_log_config` blocks; Terraform JSON writes a list of them.
    let configs = body.get_all("audit_log_config").flat_map(|c| {
        if c.is_seq() {
            c.items().iter().collect()
        } else {
            vec![c]
        }
    });
    for config in configs {
        let log_type = config.get("log_type").and_then(Node::as_str).unwrap_or("");
        types.push(log_type);
        for member in config
            .get("exempted_members")
            .map(Node::one_or_many)
            .unwrap_or_default()
        {
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
                    span: service_node.map_or(name_span, |n| n.span),
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

fn cloudformation(cx: &FileCx<'_>, doc: &Document, out: &mut Vec<Finding>) {
    for res in doc
        .root
        .get("Resources")
        .map(Node::entries)
        .unwrap_or_default()
    {
        if res.value.get("Type").and_then(Node::as_str) != Some("AWS::CloudTrail::Trail") {
            continue;
        }
        let logical = res.key_str().unwrap_or("");
        let props = res.value.get("Properties");
        trail(
            cx,
            Trail {
                what: format!("CloudTrail trail `{logical}`"),
                span: res.key.span,
                logging: props.and_then(|p| p.get("IsLogging")),
                validation: props.and_then(|p| p.get("EnableLogFileValidation")),
                multi_region: props.and_then(|p| p.get("IsMultiRegionTrail")),
                names: ["IsLogging", "EnableLogFileValidation", "IsMultiRegionTrail"],
            },
            out,
        );
    }
}

/// Users and groups that are Kubernetes' own components, not workloads.
fn system_component(name: &str) -> bool {
    name.starts_with("system:")
        && !name.starts_with("system:serviceaccount")
        && name != "system:authenticated"
        && name != "system:unauthenticated"
}

fn k8s_policy(cx: &FileCx<'_>, doc: &Document, out: &mut Vec<Finding>) {
    let root = &doc.root;
    if !root
        .get("apiVersion")
        .and_then(Node::as_str)
        .is_some_and(|v| v.starts_with("audit.k8s.io/"))
        || root.get("kind").and_then(Node::as_str) != Some("Policy")
    {
        return;
    }
    let list = |rule: &'_ Node, key: &str| -> Vec<(String, Span)> {
        rule.get(key)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| Some((n.as_text()?.to_owned(), n.span)))
            .collect()
    };
    for (i, rule) in root
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(level) = rule.get("level") else {
            continue;
        };
        let users = list(rule, "users");
        let groups = list(rule, "userGroups");
        let namespaces = list(rule, "namespaces");
        let unrestricted = [
            "users",
            "userGroups",
            "namespaces",
            "resources",
            "nonResourceURLs",
        ]
        .iter()
        .all(|k| rule.get(k).is_none());
        if level.as_str() != Some("None") {
            // The first matching rule decides: after a catch-all, nothing else applies.
            if unrestricted && rule.get("verbs").is_none() {
                return;
            }
            continue;
        }
        // Health checks and other non-resource URLs are not what agents do.
        if rule.get("nonResourceURLs").is_some() && rule.get("resources").is_none() {
            continue;
        }
        let covered: Option<(String, Option<Span>)> = if unrestricted {
            Some(("every request".to_owned(), None))
        } else if let Some((u, s)) = users
            .iter()
            .find(|(u, _)| u.starts_with("system:serviceaccount:"))
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
