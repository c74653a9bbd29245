use crate::findings::Finding;
use crate::model::agent::agent_marker;
use crate::model::extract::iac::tf_resources;
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Logs of agent workloads kept for less than 90 days (the threshold is data, in
    /// `rules/permissions.toml`): AWS CloudWatch log groups (Terraform
    /// `aws_cloudwatch_log_group`, CloudFormation `AWS::Logs::LogGroup`) whose name
    /// marks an agent (`/aws/bedrock/…`, `/aws/lambda/<agent function>`, a name with
    /// `agent`, `mcp`, `llm`, ...), GCP log buckets (`google_logging_project_bucket_config`)
    /// that are the project's `_Default` bucket or named for agents, and Azure Log
    /// Analytics workspaces (`azurerm_log_analytics_workspace`) named for agents or
    /// defined next to agent workloads. A retention of 0 or none means "never expire"
    /// and is fine.
    ///
    /// ## Why it matters
    /// Misuse of an agent (a prompt injection, a leaked token) is often found weeks
    /// later. By then short-lived logs are gone, and nobody can reconstruct what the
    /// agent read, changed or sent.
    ///
    /// ## What to do instead
    /// Keep agent logs at least 90 days (`retention_in_days = 365` is common), or ship
    /// them to an archive with its own retention.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_cloudwatch_log_group" "agent" {
    ///   name              = "/aws/bedrock/agents/triage"
    ///   retention_in_days = 7
    /// }
    /// ```
    /// Use instead `retention_in_days = 365`.
    pub(crate) struct ShortLogRetention {
        id: "short-log-retention",
        family: AuditTrail,
        severity: Medium,
        confidence: Medium,
        summary: "Logs of agent workloads are kept less than 90 days",
        applies_to: |kind| matches!(
            kind,
            FileKind::Terraform | FileKind::TerraformJson | FileKind::CloudFormation
        ),
    }
}

impl Rule for ShortLogRetention {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let min = k.audit.min_log_retention_days;
        let agents: Vec<&str> = cx
            .facts
            .workloads
            .iter()
            .filter(|w| w.agent.is_some())
            .map(|w| w.name.as_str())
            .collect();
        for doc in cx.documents() {
            for log in logs(cx, doc, &agents) {
                let Some(days) = log
                    .retention
                    .as_str()
                    .and_then(|t| t.trim().parse::<u32>().ok())
                else {
                    continue;
                };
                if days == 0 || days >= min {
                    continue;
                }
                let why = if k.audit.why_retention.is_empty() {
                    String::new()
                } else {
                    format!("; {}", k.audit.why_retention)
                };
                let message = format!(
                    "{} keeps logs for {days} days, less than {min} ({}): evidence of what the agent did is gone before misuse is usually noticed{why}",
                    log.what, log.agent
                );
                out.push(
                    cx.finding(&ShortLogRetention::META, log.retention.span, message)
                        .label(format!("{days} days"))
                        .help(format!(
                            "Keep agent logs at least {min} days (365 is common), or export them to an archive with its own retention."
                        ))
                        .related(cx.path, log.name_span, "the log store")
                        .key(log.key)
                        .build(),
                );
            }
        }
    }
}

struct Log<'a> {
    what: String,
    /// Why the logs are an agent's.
    agent: String,
    retention: &'a Node,
    name_span: Span,
    key: String,
}

/// Why a log group or bucket name belongs to an agent.
fn agent_log(name: &str, agents: &[&str]) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some(function) = lower.strip_prefix("/aws/lambda/") {
        // `/aws/lambda/<function>`: the function's workload is `aws_lambda_function <name>`.
        if agents
            .iter()
            .any(|a| a.strip_prefix("aws_lambda_function ") == Some(function))
        {
            return Some(format!("it holds the logs of agent function `{function}`"));
        }
    }
    if lower.starts_with("/aws/bedrock") {
        return Some("it holds Amazon Bedrock logs".to_owned());
    }
    agent_marker(name).map(|m| format!("its name says it holds agent logs (`{m}`)"))
}

fn logs<'a>(cx: &FileCx<'_>, doc: &'a Document, agents: &[&str]) -> Vec<Log<'a>> {
    let mut out = Vec::new();
    if cx.file.kind == FileKind::CloudFormation {
        for res in doc
            .root
            .get("Resources")
            .map(Node::entries)
            .unwrap_or_default()
        {
            if res.value.get("Type").and_then(Node::as_str) != Some("AWS::Logs::LogGroup") {
                continue;
            }
            let logical = res.key_str().unwrap_or("");
            let props = res.value.get("Properties");
            let Some(retention) = props.and_then(|p| p.get("RetentionInDays")) else {
                continue;
            };
            let name_node = props.and_then(|p| p.get("LogGroupName"));
            let name = name_node.and_then(Node::as_text).unwrap_or(logical);
            let Some(agent) = agent_log(name, agents).or_else(|| agent_log(logical, agents)) else {
                continue;
            };
            out.push(Log {
                what: format!("log group `{name}`"),
                agent,
                retention,
                name_span: name_node.map_or(res.key.span, |n| n.span),
                key: format!("{logical}:RetentionInDays"),
            });
        }
        return out;
    }
    let file_has_agents = !agents.is_empty();
    for (ty, label, name_span, body) in tf_resources(doc) {
        let (retention_key, name_keys): (&str, &[&str]) = match ty {
            "aws_cloudwatch_log_group" => ("retention_in_days", &["name", "name_prefix"]),
            "google_logging_project_bucket_config" => ("retention_days", &["bucket_id"]),
            "azurerm_log_analytics_workspace" => ("retention_in_days", &["name"]),
            _ => continue,
        };
        let Some(retention) = body.get(retention_key) else {
            continue;
        };
        let name_node = name_keys.iter().find_map(|k| body.get(k));
        let name = name_node.and_then(Node::as_text).unwrap_or(label);
        let agent = agent_log(name, agents)
            .or_else(|| agent_log(label, agents))
            .or_else(|| match ty {
                "google_logging_project_bucket_config" if name == "_Default" => Some(
                    "it is the project's `_Default` bucket, which holds the data access logs of every agent in it"
                        .to_owned(),
                ),
                "azurerm_log_analytics_workspace" if file_has_agents => {
                    Some("it is defined next to agent workloads".to_owned())
                }
                _ => None,
            });
        let Some(agent) = agent else { continue };
        let what = match ty {
            "aws_cloudwatch_log_group" => format!("log group `{name}`"),
            "google_logging_project_bucket_config" => format!("log bucket `{name}`"),
            _ => format!("Log Analytics workspace `{name}`"),
        };
        out.push(Log {
            what,
            agent,
            retention,
            name_span: name_node.map_or(name_span, |n| n.span),
            key: format!("{ty}.{label}:{retention_key}"),
        });
    }
    out
}
