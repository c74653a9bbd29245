//! docker-compose services as workloads.

use std::sync::Arc;

use crate::model::agent::AgentSignals;
use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::model::runtime::{
    ComposeFile, ComposeProject, ComposeService, HostMount, WorkloadKey, volume_source,
};
use crate::syntax::doc::{Document, Node};

use super::{Extract, env_pairs};

impl Extract<'_> {
    pub(super) fn compose(&self, doc: &Document, facts: &mut FileFacts) {
        // Top-level secrets and configs count even in a file without services.
        facts.views_mut().runtime.compose.push(project(doc));
        let Some(services) = doc.root.get("services") else {
            return;
        };
        for entry in services.entries() {
            let name = entry.key_str().unwrap_or("<unnamed>");
            let svc = &entry.value;
            let mut signals = AgentSignals::default();
            signals.name(name);
            if let Some(image) = svc.get("image").and_then(Node::as_str) {
                signals.image(image);
            }
            if let Some(c) = svc.get("container_name").and_then(Node::as_str) {
                signals.name(c);
            }
            for key in ["entrypoint", "command"] {
                if let Some(cmd) = svc.get(key) {
                    let words: Vec<String> = match cmd.as_str() {
                        Some(text) => crate::syntax::shell::shell_words(text)
                            .into_iter()
                            .map(|w| w.text)
                            .collect(),
                        None => cmd
                            .items()
                            .iter()
                            .filter_map(Node::as_str)
                            .map(str::to_owned)
                            .collect(),
                    };
                    let words: Vec<&str> = words.iter().map(String::as_str).collect();
                    super::k8s::command_signals(&mut signals, &words);
                }
            }
            let mut identities = Vec::new();
            if let Some(env) = svc.get("environment") {
                for (k, v) in env_pairs(env) {
                    signals.env_var(k, false);
                    if let Some(v) = v {
                        self.credentials_in(v.span, &mut identities);
                    }
                }
            }
            let key = WorkloadKey::ComposeService(name.to_owned());
            facts.workloads.push(Workload {
                name: key.to_string(),
                key,
                kind: WorkloadKind::ComposeService,
                path: Arc::clone(self.path),
                span: entry.key.span,
                extent: entry.key.span.join(svc.span),
                agent: None,
                signals,
                identities,
                harness: None,
            });
        }
    }
}

/// The services of a compose document with the host paths they mount, and the host
/// files its top-level `secrets:` and `configs:` read.
fn project(doc: &Document) -> ComposeProject {
    let services = doc
        .root
        .get("services")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| ComposeService {
            key: WorkloadKey::ComposeService(e.key_str().unwrap_or("<unnamed>").to_owned()),
            mounts: e
                .value
                .get("volumes")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(volume_mount)
                .collect(),
            secrets: listed(&e.value, "secrets"),
            configs: listed(&e.value, "configs"),
        })
        .collect();
    let files = |top: &str| -> Vec<ComposeFile> {
        doc.root
            .get(top)
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let node = e.value.get("file")?;
                Some(ComposeFile {
                    name: e.key_str()?.to_owned(),
                    file: node.as_str()?.to_owned(),
                    span: node.span,
                })
            })
            .collect()
    };
    ComposeProject {
        services,
        secrets: files("secrets"),
        configs: files("configs"),
    }
}

/// The host side of a service volume: `src:dst[:mode]`, or the `source` of a long
/// syntax volume of `type: bind` (the default when no type is given).
fn volume_mount(v: &Node) -> Option<HostMount> {
    if let Some(spec) = v.as_str() {
        // A bare `/path` (no `:`) is an anonymous volume at that container path.
        return spec.contains(':').then(|| HostMount {
            source: volume_source(spec).to_owned(),
            span: v.span,
        });
    }
    let source = v.get("source")?;
    let bind = v
        .get("type")
        .and_then(Node::as_str)
        .is_none_or(|t| t == "bind");
    Some(HostMount {
        source: source.as_str()?.to_owned(),
        span: source.span,
    })
    .filter(|_| bind)
}

/// The secrets or configs a service lists, by name (short or long syntax).
fn listed(service: &Node, key: &str) -> Vec<String> {
    service
        .get(key)
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|i| {
            i.as_str()
                .or_else(|| i.get("source").and_then(Node::as_str))
        })
        .map(str::to_owned)
        .collect()
}
