use crate::findings::Finding;
use crate::model::agent::agent_marker;
use crate::model::audit::{LogStore, LogStoreKind};
use crate::model::knowledge::Knowledge;
use crate::model::runtime::WorkloadKey;
use crate::model::settings::Field;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;

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
        let agents: Vec<&WorkloadKey> = cx
            .facts
            .workloads
            .iter()
            .filter(|w| w.agent.is_some())
            .map(|w| &w.key)
            .collect();
        for log in &cx.facts.audit().log_stores {
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
            let name = log
                .name
                .as_ref()
                .and_then(Field::as_text)
                .unwrap_or(&log.label);
            let Some(agent) = agent_log(name, &agents)
                .or_else(|| agent_log(&log.label, &agents))
                .or_else(|| store_of_agents(log, name, !agents.is_empty()))
            else {
                continue;
            };
            let what = match log.kind {
                LogStoreKind::LogGroup => format!("log group `{name}`"),
                LogStoreKind::GcpBucket => format!("log bucket `{name}`"),
                LogStoreKind::AzureWorkspace => format!("Log Analytics workspace `{name}`"),
            };
            let why = if k.audit.why_retention.is_empty() {
                String::new()
            } else {
                format!("; {}", k.audit.why_retention)
            };
            let message = format!(
                "{what} keeps logs for {days} days, less than {min} ({agent}): evidence of what the agent did is gone before misuse is usually noticed{why}"
            );
            let name_span = log.name.as_ref().map_or(log.label_span, |n| n.span);
            out.push(
                cx.finding(&ShortLogRetention::META, log.retention.span, message)
                    .label(format!("{days} days"))
                    .help(format!(
                        "Keep agent logs at least {min} days (365 is common), or export them to an archive with its own retention."
                    ))
                    .related(cx.path, name_span, "the log store")
                    .key(log.key.clone())
                    .build(),
            );
        }
    }
}

/// Why a log group or bucket name belongs to an agent.
fn agent_log(name: &str, agents: &[&WorkloadKey]) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some(function) = lower.strip_prefix("/aws/lambda/") {
        // `/aws/lambda/<function>` holds the logs of that Lambda function.
        if agents.iter().any(|a| {
            matches!(a, WorkloadKey::Cloud { ty, name } if ty == "aws_lambda_function" && name == function)
        }) {
            return Some(format!("it holds the logs of agent function `{function}`"));
        }
    }
    if lower.starts_with("/aws/bedrock") {
        return Some("it holds Amazon Bedrock logs".to_owned());
    }
    agent_marker(name).map(|m| format!("its name says it holds agent logs (`{m}`)"))
}

/// Log stores that hold agents' logs by what they are rather than by name.
fn store_of_agents(log: &LogStore, name: &str, file_has_agents: bool) -> Option<String> {
    match log.kind {
        LogStoreKind::GcpBucket if name == "_Default" => Some(
            "it is the project's `_Default` bucket, which holds the data access logs of every agent in it"
                .to_owned(),
        ),
        LogStoreKind::AzureWorkspace if file_has_agents => {
            Some("it is defined next to agent workloads".to_owned())
        }
        _ => None,
    }
}
