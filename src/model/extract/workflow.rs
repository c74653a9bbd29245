//! GitHub Actions workflows: each job is a workload.

use std::sync::Arc;

use crate::model::agent::AGENT_ACTIONS;
use crate::model::facts::{FileFacts, Identity, IdentityUse, Workload, WorkloadKind};
use crate::syntax::doc::{Document, Node};

use super::{Extract, github_secret_refs};

impl Extract<'_> {
    pub(super) fn workflow(&self, doc: &Document, facts: &mut FileFacts) {
        let Some(jobs) = doc.root.get("jobs") else {
            return;
        };
        for job in jobs.entries() {
            let id = job.key_str().unwrap_or("<job>");
            let mut agent = None;
            let mut identities = Vec::new();
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                let uses = step.get("uses").and_then(Node::as_str).unwrap_or("");
                if agent.is_none()
                    && let Some(a) = AGENT_ACTIONS
                        .iter()
                        .find(|a| uses.to_ascii_lowercase().starts_with(*a))
                {
                    agent = Some(format!("it runs `{a}`"));
                }
                if uses.starts_with("aws-actions/configure-aws-credentials")
                    && let Some(role) = step.get_path(&["with", "role-to-assume"])
                    && let Some(arn) = role.as_str()
                    && !arn.contains("${{")
                {
                    identities.push(IdentityUse {
                        identity: Identity::AwsRole(
                            crate::model::extract::iac::role_name_from_arn(arn)
                                .unwrap_or(arn)
                                .to_owned(),
                        ),
                        span: role.span,
                    });
                }
            }
            job.value.walk(|_, node| {
                if let Some(text) = node.as_str() {
                    for name in github_secret_refs(text) {
                        if name != "GITHUB_TOKEN" {
                            identities.push(IdentityUse {
                                identity: Identity::GithubSecret(name.to_owned()),
                                span: node.span,
                            });
                        }
                    }
                }
            });
            self.credentials_in(job.value.span, &mut identities);
            identities.dedup_by(|a, b| a.identity == b.identity);
            facts.workloads.push(Workload {
                name: format!("workflow job {id}"),
                kind: WorkloadKind::WorkflowJob,
                path: Arc::clone(self.path),
                span: job.key.span,
                extent: job.key.span.join(job.value.span),
                agent,
                identities,
            });
        }
    }
}
