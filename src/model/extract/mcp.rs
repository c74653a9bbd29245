//! MCP client configurations: each server entry is a workload an agent calls.

use std::sync::Arc;

use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::model::identity::{Identity, IdentityUse};
use crate::model::names::credential_like;
use crate::syntax::doc::PathSeg;
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

use super::Extract;

/// An MCP server entry of a client configuration.
pub struct McpServer<'a> {
    pub name: &'a str,
    pub name_span: Span,
    pub node: &'a Node,
}

/// Server entries under every key MCP clients use: `mcpServers` (Claude, Cursor,
/// Gemini, Windsurf, Kiro), `servers` (VS Code), `mcp_servers` (Codex TOML).
pub fn mcp_servers(doc: &Document) -> Vec<McpServer<'_>> {
    let mut out = Vec::new();
    for key in ["mcpServers", "servers", "mcp_servers"] {
        let containers = [doc.root.get(key), doc.root.get_path(&["mcp", key])];
        for container in containers.into_iter().flatten() {
            for e in container.entries() {
                if e.value.is_map() {
                    out.push(McpServer {
                        name: e.key_str().unwrap_or("<unnamed>"),
                        name_span: e.key.span,
                        node: &e.value,
                    });
                }
            }
        }
    }
    out
}

impl Extract<'_> {
    pub(super) fn mcp(&self, doc: &Document, facts: &mut FileFacts) {
        for server in mcp_servers(doc) {
            let mut identities = Vec::new();
            self.credentials_in(server.node.span, &mut identities);
            secret_references(server.node, &mut identities);
            facts.workloads.push(Workload {
                name: format!("MCP server {}", server.name),
                kind: WorkloadKind::McpServer,
                path: Arc::clone(self.path),
                span: server.name_span,
                extent: server.name_span.join(server.node.span),
                agent: Some("it is an MCP server an AI agent calls".into()),
                identities,
            });
        }
    }
}

/// Credentials a server entry takes by reference: environment variables of whoever
/// runs it (`${GITHUB_TOKEN}`) and prompted values (`${input:github_pat}`,
/// `${user_config.token}`), when the reference or the variable it fills is named like
/// a credential. Two servers handed the same one share an identity.
fn secret_references(server: &Node, out: &mut Vec<IdentityUse>) {
    use super::refs::{RefKind, references};
    server.walk(|path, node| {
        let Some(text) = node.as_str() else { return };
        let key = match path.last() {
            Some(PathSeg::Key(k)) => *k,
            _ => "",
        };
        for r in references(text) {
            let identity = match r.kind {
                RefKind::Env if credential_like(r.name) || credential_like(key) => {
                    Identity::EnvVar(r.name.to_owned())
                }
                RefKind::Input | RefKind::UserConfig => Identity::Prompt(r.name.to_owned()),
                _ => continue,
            };
            if !out.iter().any(|u| u.identity == identity) {
                out.push(IdentityUse {
                    identity,
                    span: node.span,
                });
            }
        }
    });
}
