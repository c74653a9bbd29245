use crate::classify::FileKind;
use crate::doc::Node;
use crate::facts::{mcp_servers, pod_spec};
use crate::finding::Finding;
use crate::rules::{FileCx, Rule, RuleMeta};
use crate::source::Span;

declare_rule! {
    /// ## What it finds
    /// An agent given reach over its host: a filesystem MCP server rooted at `/`, `~`,
    /// `$HOME` or a drive root such as `C:\`; the Docker socket
    /// (`/var/run/docker.sock`) passed to an MCP server or mounted into an agent
    /// container; an agent container or pod that is `privileged` or shares the host's
    /// network or process namespace (`hostNetwork`, `hostPID`, `network_mode: host`).
    ///
    /// ## Why it matters
    /// A filesystem server rooted at `/` lets the agent read every credential on the
    /// machine (`~/.ssh`, `~/.aws`, browser profiles). The Docker socket and privileged
    /// mode are root on the host. One prompt injection turns into a host compromise.
    ///
    /// ## What to do instead
    /// Root filesystem servers at the project directory the task needs. Never mount the
    /// Docker socket into an agent; run it unprivileged, in its own namespaces.
    ///
    /// ## Example
    /// ```json
    /// { "mcpServers": { "fs": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/"] } } }
    /// ```
    /// Use instead `"args": ["-y", "@modelcontextprotocol/server-filesystem", "./workspace"]`.
    pub(crate) struct AgentHostEscape {
        id: "agent-host-escape",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An agent can reach its host: filesystem root, Docker socket, privileged mode",
    }
}

const DOCKER_SOCKET: &str = "/var/run/docker.sock";

impl Rule for AgentHostEscape {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn applies_to(&self, kind: FileKind) -> bool {
        matches!(
            kind,
            FileKind::McpConfig | FileKind::Compose | FileKind::Kubernetes | FileKind::HelmTemplate
        )
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        match cx.file.kind {
            FileKind::McpConfig => mcp(cx, out),
            FileKind::Compose => compose(cx, out),
            _ => k8s(cx, out),
        }
    }
}

fn is_host_root(arg: &str) -> bool {
    let a = arg.trim_end_matches(['/', '\\']);
    matches!(
        a,
        "" | "~" | "$HOME" | "${HOME}" | "%USERPROFILE%" | "/home" | "/Users" | "/root"
    ) || (a.len() == 2 && a.ends_with(':') && a.as_bytes()[0].is_ascii_alphabetic())
}

fn mcp(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for server in mcp_servers(doc) {
            let args = server.node.get("args").map(Node::items).unwrap_or_default();
            let command = server
                .node
                .get("command")
                .and_then(Node::as_str)
                .unwrap_or("");
            let filesystem = command.contains("server-filesystem")
                || args
                    .iter()
                    .any(|a| a.as_str().is_some_and(|s| s.contains("server-filesystem")));
            let workload = format!("MCP server {}", server.name);
            for arg in args {
                let Some(text) = arg.as_str() else { continue };
                let hit = if filesystem && is_host_root(text) {
                    Some(format!(
                        "filesystem MCP server `{}` is rooted at `{text}`: the agent can read and write every file there, credentials included",
                        server.name
                    ))
                } else if text.contains(DOCKER_SOCKET) {
                    Some(format!(
                        "MCP server `{}` is handed the Docker socket: that is root on the host",
                        server.name
                    ))
                } else {
                    None
                };
                if let Some(message) = hit {
                    out.push(
                        cx.finding(&AgentHostEscape::META, arg.span, message)
                            .label("host-level reach")
                            .help("Root filesystem servers at the directory the task needs (e.g. `./workspace`); never pass the Docker socket to an agent.")
                            .workload(&workload)
                            .key(format!("{workload}:{text}"))
                            .build(),
                    );
                }
            }
        }
    }
}

fn push(cx: &FileCx<'_>, out: &mut Vec<Finding>, span: Span, workload: &str, what: &str) {
    out.push(
        cx.finding(
            &AgentHostEscape::META,
            span,
            format!("{workload} looks like an AI agent and {what}: a prompt injection becomes a host compromise"),
        )
        .label(what.to_owned())
        .help("Run agents unprivileged in their own namespaces, without the Docker socket or host mounts.")
        .workload(workload)
        .key(format!("{workload}:{what}"))
        .build(),
    );
}

fn agent_workload<'a>(cx: &'a FileCx<'_>, name: &str) -> Option<&'a str> {
    cx.facts
        .workloads
        .iter()
        .find(|w| w.name == name && w.agent.is_some())
        .map(|w| w.name.as_str())
}

fn compose(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for entry in doc
            .root
            .get("services")
            .map(Node::entries)
            .unwrap_or_default()
        {
            let name = format!("compose service {}", entry.key_str().unwrap_or(""));
            let Some(workload) = agent_workload(cx, &name) else {
                continue;
            };
            let svc = &entry.value;
            if let Some(p) = svc.get("privileged").filter(|p| p.as_bool() == Some(true)) {
                push(cx, out, p.span, workload, "runs privileged");
            }
            if let Some(n) = svc
                .get("network_mode")
                .filter(|n| n.as_str() == Some("host"))
            {
                push(cx, out, n.span, workload, "shares the host network");
            }
            if let Some(n) = svc.get("pid").filter(|n| n.as_str() == Some("host")) {
                push(cx, out, n.span, workload, "shares the host's processes");
            }
            for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
                let source = v
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| v.get("source").and_then(Node::as_str).map(str::to_owned));
                if source.is_some_and(|s| s.starts_with(DOCKER_SOCKET)) {
                    push(cx, out, v.span, workload, "mounts the Docker socket");
                }
            }
        }
    }
}

fn k8s(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let Some(pod) = pod_spec(doc) else { continue };
        let name = format!("{} {}/{}", pod.kind, pod.namespace, pod.name);
        let Some(workload) = agent_workload(cx, &name) else {
            continue;
        };
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if let Some(n) = pod.spec.get(key).filter(|n| n.as_bool() == Some(true)) {
                push(cx, out, n.span, workload, &format!("sets `{key}: true`"));
            }
        }
        for c in pod
            .spec
            .get("containers")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(p) = c
                .get_path(&["securityContext", "privileged"])
                .filter(|p| p.as_bool() == Some(true))
            {
                push(cx, out, p.span, workload, "runs a privileged container");
            }
        }
        for v in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            if let Some(p) = v
                .get_path(&["hostPath", "path"])
                .filter(|p| p.as_str().is_some_and(|s| s.starts_with(DOCKER_SOCKET)))
            {
                push(cx, out, p.span, workload, "mounts the Docker socket");
            }
        }
    }
}
