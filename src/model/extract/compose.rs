//! docker-compose services as workloads.

use std::sync::Arc;

use crate::model::agent::{LLM_KEY_VARS, agent_marker};
use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::syntax::doc::{Document, Node};

use super::{Extract, env_pairs};

impl Extract<'_> {
    pub(super) fn compose(&self, doc: &Document, facts: &mut FileFacts) {
        let Some(services) = doc.root.get("services") else {
            return;
        };
        for entry in services.entries() {
            let name = entry.key_str().unwrap_or("<unnamed>");
            let svc = &entry.value;
            let mut agent = agent_marker(name).map(|m| format!("its name contains `{m}`"));
            if agent.is_none()
                && let Some(image) = svc.get("image").and_then(Node::as_str)
                && let Some(m) = agent_marker(image)
            {
                agent = Some(format!("its image `{image}` contains `{m}`"));
            }
            let mut identities = Vec::new();
            if let Some(env) = svc.get("environment") {
                for (k, v) in env_pairs(env) {
                    if agent.is_none() && LLM_KEY_VARS.contains(&k) {
                        agent = Some(format!("it is given `{k}`"));
                    }
                    if let Some(v) = v {
                        self.credentials_in(v.span, &mut identities);
                    }
                }
            }
            facts.workloads.push(Workload {
                name: format!("compose service {name}"),
                kind: WorkloadKind::ComposeService,
                path: Arc::clone(self.path),
                span: entry.key.span,
                extent: entry.key.span.join(svc.span),
                agent,
                identities,
            });
        }
    }
}
