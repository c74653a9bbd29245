//! MCP client configurations: each server entry is a workload an agent calls.

use std::sync::Arc;

use crate::model::agent::AgentSignals;
use crate::model::facts::{FileFacts, Workload, WorkloadKind};
use crate::model::identity::{Identity, IdentityUse};
use crate::model::names::credential_like;
use crate::model::runtime::{HostMount, McpServerSpec, WorkloadKey, volume_source};
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

/// How an MCP server is started: its command, arguments and environment as written.
pub struct Launch<'a> {
    /// The `command` node, when there is one.
    pub command: Option<&'a Node>,
    /// `args` (a list, or one string), with spans.
    pub args: Vec<(&'a str, Span)>,
    /// `env`, each value as text (empty when it is not text).
    pub env: Vec<(&'a str, &'a str)>,
}

impl<'a> Launch<'a> {
    pub fn command_text(&self) -> Option<&'a str> {
        self.command.and_then(Node::as_str)
    }

    pub fn arg_texts(&self) -> Vec<&'a str> {
        self.args.iter().map(|(a, _)| *a).collect()
    }
}

impl<'a> McpServer<'a> {
    /// How the server is started, for telling which server it is.
    pub fn launch(&self) -> Launch<'a> {
        let args = match self.node.get("args") {
            Some(n) if n.as_str().is_some() => {
                n.as_str().map(|s| (s, n.span)).into_iter().collect()
            }
            Some(n) => n
                .items()
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s, i.span)))
                .collect(),
            None => Vec::new(),
        };
        let env = self
            .node
            .get("env")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| Some((e.key_str()?, e.value.as_text().unwrap_or(""))))
            .collect();
        Launch {
            command: self.node.get("command"),
            args,
            env,
        }
    }
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
            let key = WorkloadKey::McpServer(server.name.to_owned());
            facts.workloads.push(Workload {
                name: key.to_string(),
                key,
                kind: WorkloadKind::McpServer,
                path: Arc::clone(self.path),
                span: server.name_span,
                extent: server.name_span.join(server.node.span),
                agent: None,
                signals: mcp_member(),
                identities,
                harness: None,
            });
            facts
                .views_mut()
                .runtime
                .mcp_servers
                .push(spec(server.node));
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

/// A server in an MCP client's configuration is a tool an agent calls, whatever it is
/// called.
fn mcp_member() -> AgentSignals {
    let mut s = AgentSignals::default();
    s.strong("it is an MCP server an AI agent calls");
    s
}

/// What a server's arguments hand over: `docker run` mounts, and plain values.
fn spec(server: &Node) -> McpServerSpec {
    let mut out = McpServerSpec {
        mounts: Vec::new(),
        values: Vec::new(),
    };
    let mut pending: Option<&str> = None;
    for arg in server.get("args").map(Node::items).unwrap_or_default() {
        let Some(text) = arg.as_str() else {
            pending = None;
            continue;
        };
        if let Some(flag) = pending.take() {
            mount_arg(arg, flag, text, &mut out.mounts);
            continue;
        }
        if matches!(text, "-v" | "--volume" | "--mount") {
            pending = Some(text);
        } else if let Some(v) = text
            .strip_prefix("--volume=")
            .or_else(|| text.strip_prefix("-v="))
        {
            mount_arg(arg, "-v", v, &mut out.mounts);
        } else if let Some(m) = text.strip_prefix("--mount=") {
            mount_arg(arg, "--mount", m, &mut out.mounts);
        } else {
            // A value handed to the server itself: a bare argument, or a flag's value.
            let value = if text.starts_with('-') {
                text.split_once('=').map(|(_, v)| v)
            } else {
                Some(text)
            };
            if let Some(value) = value {
                out.values.push(HostMount {
                    source: value.to_owned(),
                    span: arg.span,
                });
            }
        }
    }
    out
}

/// The host side of a `-v src:dst` or `--mount type=bind,source=src,...` value.
fn mount_arg(node: &Node, flag: &str, value: &str, out: &mut Vec<HostMount>) {
    let source = if flag == "--mount" {
        let mut bind = true;
        let mut source = None;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", t)) => bind = t == "bind",
                Some(("source" | "src", s)) => source = Some(s),
                _ => {}
            }
        }
        source.filter(|_| bind)
    } else {
        value.contains(':').then(|| volume_source(value))
    };
    if let Some(source) = source {
        out.push(HostMount {
            source: source.to_owned(),
            span: node.span,
        });
    }
}
