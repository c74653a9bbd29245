use crate::findings::{Confidence, Finding, Severity};
use crate::model::extract::{McpServer, mcp_servers, pod_spec};
use crate::model::facts::Workload;
use crate::model::harness::{HarnessKnowledge, ToolClass};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::Node;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// An agent given reach over its host:
    /// - a filesystem MCP server rooted at `/`, `~`, `$HOME`, a drive root such as
    ///   `C:\`, or a parent of the repository (`..`, `../..`);
    /// - a shell MCP server (`mcp-server-commands`, `@mako10k/mcp-shell-server`,
    ///   `mcp-shell`, `shell-mcp`, Desktop Commander, or a server named `shell`,
    ///   `terminal` or `exec` that runs a shell) without an allow-list
    ///   (`--allowed-commands`, `--allow`, `ALLOWED_COMMANDS`);
    /// - an MCP server started with `docker run --privileged`, `--pid=host`,
    ///   `--network=host` or a host-root volume (`-v /:/host`);
    /// - the Docker socket (`/var/run/docker.sock`) passed to an MCP server, or mounted
    ///   into any pod or compose service;
    /// - any pod or compose service that is `privileged`;
    /// - an AI agent's pod or compose service that shares the host's network or process
    ///   namespace (`hostNetwork`, `hostPID`, `network_mode: host`), mounts a sensitive
    ///   host path (`hostPath: /`, `/etc`, `/root`, `/home`, `/proc`,
    ///   `/var/lib/kubelet`; compose `- /:/host`), or runs as root (`runAsUser: 0`,
    ///   `user: root`) with host mounts.
    ///
    /// The Docker socket and privileged mode are root on the node whatever runs there:
    /// they are reported for every workload, at medium severity, and at high for an AI
    /// agent. Host namespaces and system-path mounts are how monitoring agents, log
    /// shippers and network plugins do their job, so they are reported only for AI
    /// agents. A workload is an AI agent by evidence, which the message names: it runs
    /// an agent action or CLI, is an MCP server, is handed a model provider's key, runs
    /// an agent framework's or MCP server's image. A name (`triage-agent`) is never
    /// enough, and well-known non-AI agents (New Relic, Datadog, Sysdig, Dynatrace,
    /// Elastic, Grafana Alloy, OpenTelemetry collectors, log shippers, CI runners,
    /// service meshes, cloud node agents) are not AI agents; `[[workload]]` in
    /// `lanyard.toml` overrides the classification (`agent = true` or `false`).
    ///
    /// ## Why it matters
    /// A filesystem server rooted at `/` or above the repository lets the agent read
    /// every credential it reaches (`~/.ssh`, `~/.aws`, browser profiles, sibling
    /// projects). A shell server runs whatever a prompt injection asks for. The Docker
    /// socket, privileged mode and host mounts written as root are root on the host:
    /// in any workload, whoever takes over what runs in it takes over the node; in an
    /// AI agent, one prompt injection is enough.
    ///
    /// ## What to do instead
    /// Root filesystem servers at the project directory the task needs. Give shell
    /// servers an allow-list of the commands the task runs. Never mount the Docker
    /// socket or host system paths into an agent; run it unprivileged, as a non-root
    /// user, in its own namespaces.
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
        summary: "A workload can reach its host (Docker socket, privileged mode), or an agent can (filesystem root, shell without allow-list, host namespaces and mounts)",
        applies_to: |kind| matches!(
            kind,
            FileKind::McpConfig | FileKind::Compose | FileKind::Kubernetes | FileKind::HelmTemplate
        ),
    }
}

const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Host paths whose mount hands over the node: system configuration, kubelet and
/// container runtime state, process and device trees, home directories.
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/etc",
    "/root",
    "/home",
    "/Users",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/run/containerd",
    "/var/run",
    "/run",
];

impl Rule for AgentHostEscape {
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
        // A home directory by its absolute path: `/Users/jane`, `C:\Users\jane`.
        || crate::model::people::credential_location(a).is_some_and(|l| l.whole_home)
}

/// `..`, `../..`, `..\..`: a directory above the one the client starts in (the
/// repository).
fn is_parent_dir(arg: &str) -> bool {
    let a = arg.trim_end_matches(['/', '\\']);
    !a.is_empty() && a.split(['/', '\\']).all(|seg| seg == "..")
}

/// A host path that must not be mounted into an agent: `/`, the paths above, or a
/// home directory root.
fn is_sensitive_host_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    is_host_root(path)
        || SENSITIVE_HOST_PATHS.contains(&p)
        || ["/var/lib/kubelet/", "/root/", "/proc/", "/etc/kubernetes"]
            .iter()
            .any(|prefix| p.starts_with(prefix))
}

/// The last path component without a Windows `.exe`.
fn basename(command: &str) -> &str {
    let name = command.rsplit(['/', '\\']).next().unwrap_or(command);
    name.strip_suffix(".exe").unwrap_or(name)
}

const FS_HELP: &str = "Root filesystem servers at the directory the task needs (e.g. `./workspace`); never pass the Docker socket to an agent.";

fn mcp_finding(
    cx: &FileCx<'_>,
    out: &mut Vec<Finding>,
    span: Span,
    workload: &str,
    message: String,
    key: &str,
    help: &str,
) {
    out.push(
        cx.finding(&AgentHostEscape::META, span, message)
            .label("host-level reach")
            .help(help)
            .workload(workload)
            .key(format!("{workload}:{key}"))
            .build(),
    );
}

fn mcp(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for server in mcp_servers(doc) {
            let args = server.node.get("args").map(Node::items).unwrap_or_default();
            let command_node = server.node.get("command");
            let command = command_node.and_then(Node::as_str).unwrap_or("");
            let filesystem = command.contains("server-filesystem")
                || args
                    .iter()
                    .any(|a| a.as_str().is_some_and(|s| s.contains("server-filesystem")));
            let workload = format!("MCP server {}", server.name);
            for arg in args {
                let Some(text) = arg.as_str() else { continue };
                let message = if filesystem && is_host_root(text) {
                    format!(
                        "filesystem MCP server `{}` is rooted at `{text}`: the agent can read and write every file there, credentials included",
                        server.name
                    )
                } else if filesystem && is_parent_dir(text) {
                    format!(
                        "filesystem MCP server `{}` is rooted at `{text}`, above the repository: the agent can read and write sibling projects, and the home directory's credentials when the checkout sits in it",
                        server.name
                    )
                } else if text.contains(DOCKER_SOCKET) {
                    format!(
                        "MCP server `{}` is handed the Docker socket: that is root on the host",
                        server.name
                    )
                } else {
                    continue;
                };
                mcp_finding(cx, out, arg.span, &workload, message, text, FS_HELP);
            }
            if matches!(basename(command), "docker" | "podman") {
                docker_run(cx, out, server.name, &workload, args);
            }
            command_server(cx, out, &server, &workload);
        }
    }
}

/// `docker run` flags in an MCP server's arguments that give the container the host.
fn docker_run(
    cx: &FileCx<'_>,
    out: &mut Vec<Finding>,
    server: &str,
    workload: &str,
    args: &[Node],
) {
    let text = |i: usize| args.get(i).and_then(Node::as_str);
    for (i, arg) in args.iter().enumerate() {
        let Some(a) = arg.as_str() else { continue };
        // `--flag=value` or `--flag value`.
        let (flag, value) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (a, text(i + 1)),
        };
        let what = match flag {
            "--privileged" => Some("runs its container `--privileged`".to_owned()),
            "--pid" | "--network" | "--net" | "--ipc" | "--uts" if value == Some("host") => {
                Some(format!("shares the host's namespace (`{flag}=host`)"))
            }
            "-v" | "--volume" => value
                .and_then(|v| v.split(':').next())
                .filter(|src| is_sensitive_host_path(src) && !src.starts_with(DOCKER_SOCKET))
                .map(|src| format!("mounts the host's `{src}` into its container")),
            "--mount" => value
                .filter(|v| v.contains("bind"))
                .and_then(|v| {
                    v.split(',').find_map(|kv| {
                        let (k, src) = kv.split_once('=')?;
                        matches!(k, "source" | "src").then_some(src)
                    })
                })
                .filter(|src| is_sensitive_host_path(src))
                .map(|src| format!("mounts the host's `{src}` into its container")),
            _ => None,
        };
        if let Some(what) = what {
            mcp_finding(
                cx,
                out,
                arg.span,
                workload,
                format!(
                    "MCP server `{server}` {what}: a prompt injection becomes a host compromise"
                ),
                a,
                "Run the server's container unprivileged, in its own namespaces, with only the directories the task needs mounted.",
            );
        }
    }
}

/// An MCP server that runs commands on the host, a cluster or a cloud account for
/// whoever asks (a table in `rules/harness.toml`), without an allow-list or a
/// read-only switch.
fn command_server(cx: &FileCx<'_>, out: &mut Vec<Finding>, server: &McpServer<'_>, workload: &str) {
    let Some(k) = HarnessKnowledge::builtin() else {
        return;
    };
    let launch = server.launch();
    let command_node = launch.command;
    let Some(m) = k.mcp_server(
        server.name,
        launch.command_text(),
        &launch.arg_texts(),
        &launch.env,
    ) else {
        return;
    };
    if m.restricted
        || !matches!(
            m.def.class,
            ToolClass::Shell | ToolClass::Kubernetes | ToolClass::Cloud
        )
    {
        return;
    }
    // Point at the word that names the server: its package, else the command.
    let names_server = |t: &str| {
        let t = t.to_ascii_lowercase();
        m.def
            .matches
            .iter()
            .any(|p| t.contains(&p.to_ascii_lowercase()))
    };
    let command_word = command_node.and_then(|n| n.as_str().map(|t| (t, n.span)));
    let span = launch
        .args
        .iter()
        .chain(command_word.as_ref())
        .find(|(t, _)| names_server(t))
        .map(|(_, span)| *span)
        .or(command_node.map(|n| n.span))
        .unwrap_or(server.name_span);
    let reach = match m.def.class {
        ToolClass::Kubernetes => "a prompt injection changes the cluster with your kubeconfig",
        ToolClass::Cloud => "a prompt injection changes the cloud account with your credentials",
        _ => "a prompt injection runs arbitrary commands as you",
    };
    let help = if m.def.restricted_by.is_empty() {
        "Use a purpose-built MCP server with narrow tools instead of one that runs anything, or run this one in a sandbox without your credentials.".to_owned()
    } else {
        format!(
            "Restrict the server (`{}`), or use a purpose-built MCP server instead of one that runs anything.",
            m.def.restricted_by.join("`, `")
        )
    };
    mcp_finding(
        cx,
        out,
        span,
        workload,
        format!(
            "MCP server `{}` {}, and nothing restricts it: {reach}",
            server.name, m.def.what
        ),
        "shell",
        &help,
    );
}

/// How far a host-reach check holds: the Docker socket and privileged mode are root on
/// the node in any workload; host namespaces and system-path mounts are how node agents
/// (monitoring, log shippers, CNI) do their job, and alarming only in an AI agent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    AnyWorkload,
    AgentOnly,
}

fn push(
    cx: &FileCx<'_>,
    out: &mut Vec<Finding>,
    span: Span,
    workload: &Workload,
    what: &str,
    reach: Reach,
) {
    let name = workload.name.as_str();
    let (message, severity, confidence) = match (&workload.agent, reach) {
        (Some(why), _) => (
            format!(
                "{name} is an AI agent ({why}) and {what}: a prompt injection becomes a host compromise"
            ),
            Severity::High,
            workload.agent_confidence(),
        ),
        (None, Reach::AnyWorkload) => (
            format!("{name} {what}: whoever takes over what runs in it takes over the host"),
            Severity::Medium,
            Confidence::High,
        ),
        (None, Reach::AgentOnly) => return,
    };
    out.push(
        cx.finding(&AgentHostEscape::META, span, message)
            .label(what.to_owned())
            .help("Run workloads, agents above all, unprivileged, as a non-root user, in their own namespaces, without the Docker socket or host mounts.")
            .severity(severity)
            .confidence(confidence)
            .agent_context(workload.agent.is_some())
            .workload(name)
            .key(format!("{name}:{what}"))
            .build(),
    );
}

fn workload_named<'a>(cx: &'a FileCx<'_>, name: &str) -> Option<&'a Workload> {
    cx.facts.workloads.iter().find(|w| w.name == name)
}

/// `root`, `0`, `0:0`, `root:root`: compose `user` values that mean uid 0.
fn is_root_user(user: &str) -> bool {
    matches!(user.split(':').next(), Some("root" | "0"))
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
            let Some(workload) = workload_named(cx, &name) else {
                continue;
            };
            let svc = &entry.value;
            if let Some(p) = svc.get("privileged").filter(|p| p.as_bool() == Some(true)) {
                push(
                    cx,
                    out,
                    p.span,
                    workload,
                    "runs privileged",
                    Reach::AnyWorkload,
                );
            }
            if let Some(n) = svc
                .get("network_mode")
                .filter(|n| n.as_str() == Some("host"))
            {
                push(
                    cx,
                    out,
                    n.span,
                    workload,
                    "shares the host network",
                    Reach::AgentOnly,
                );
            }
            if let Some(n) = svc.get("pid").filter(|n| n.as_str() == Some("host")) {
                push(
                    cx,
                    out,
                    n.span,
                    workload,
                    "shares the host's processes",
                    Reach::AgentOnly,
                );
            }
            let mut host_mount = false;
            for v in svc.get("volumes").map(Node::items).unwrap_or_default() {
                let source = v
                    .as_str()
                    .map(|s| s.split(':').next().unwrap_or(s))
                    .or_else(|| v.get("source").and_then(Node::as_str));
                let Some(source) = source else { continue };
                // A bind mount of an absolute or home path (named volumes have neither).
                host_mount |= source.starts_with(['/', '~', '$']);
                if source.starts_with(DOCKER_SOCKET) {
                    push(
                        cx,
                        out,
                        v.span,
                        workload,
                        "mounts the Docker socket",
                        Reach::AnyWorkload,
                    );
                } else if is_sensitive_host_path(source) {
                    push(
                        cx,
                        out,
                        v.span,
                        workload,
                        &format!("mounts the host's `{source}`"),
                        Reach::AgentOnly,
                    );
                }
            }
            if let Some(u) = svc
                .get("user")
                .filter(|u| host_mount && u.as_str().is_some_and(is_root_user))
            {
                push(
                    cx,
                    out,
                    u.span,
                    workload,
                    "runs as root with host mounts",
                    Reach::AgentOnly,
                );
            }
            // `volumes_from: [tools]`: the agent gets every volume of that service, the
            // Docker socket included, whatever that service is called.
            let services = doc.root.get("services");
            for from in svc.get("volumes_from").map(Node::items).unwrap_or_default() {
                let Some(text) = from.as_str() else { continue };
                let other = text.split(':').next().unwrap_or(text);
                let socket = services
                    .and_then(|s| s.get(other))
                    .and_then(|o| o.get("volumes"))
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .any(|v| v.as_str().is_some_and(|s| s.starts_with(DOCKER_SOCKET)));
                if socket {
                    push(
                        cx,
                        out,
                        from.span,
                        workload,
                        &format!("gets the Docker socket through `volumes_from: {other}`"),
                        Reach::AnyWorkload,
                    );
                }
            }
        }
    }
}

fn k8s(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let Some(pod) = pod_spec(doc) else { continue };
        let name = format!("{} {}/{}", pod.kind, pod.namespace, pod.name);
        let Some(workload) = workload_named(cx, &name) else {
            continue;
        };
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            if let Some(n) = pod.spec.get(key).filter(|n| n.as_bool() == Some(true)) {
                push(
                    cx,
                    out,
                    n.span,
                    workload,
                    &format!("sets `{key}: true`"),
                    Reach::AgentOnly,
                );
            }
        }
        let mut host_volumes = Vec::new();
        for v in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            let Some(p) = v.get_path(&["hostPath", "path"]) else {
                continue;
            };
            host_volumes.extend(v.get("name").and_then(Node::as_str));
            let Some(path) = p.as_str() else { continue };
            if path.starts_with(DOCKER_SOCKET) {
                push(
                    cx,
                    out,
                    p.span,
                    workload,
                    "mounts the Docker socket",
                    Reach::AnyWorkload,
                );
            } else if is_sensitive_host_path(path) {
                push(
                    cx,
                    out,
                    p.span,
                    workload,
                    &format!("mounts the host's `{path}` (hostPath)"),
                    Reach::AgentOnly,
                );
            }
        }
        let pod_user = pod.spec.get_path(&["securityContext", "runAsUser"]);
        for list in ["containers", "initContainers"] {
            for c in pod.spec.get(list).map(Node::items).unwrap_or_default() {
                if let Some(p) = c
                    .get_path(&["securityContext", "privileged"])
                    .filter(|p| p.as_bool() == Some(true))
                {
                    push(
                        cx,
                        out,
                        p.span,
                        workload,
                        "runs a privileged container",
                        Reach::AnyWorkload,
                    );
                }
                let mounts_host = c
                    .get("volumeMounts")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .any(|m| {
                        m.get("name")
                            .and_then(Node::as_str)
                            .is_some_and(|n| host_volumes.contains(&n))
                    });
                let user = c.get_path(&["securityContext", "runAsUser"]).or(pod_user);
                if let Some(u) = user.filter(|u| mounts_host && u.as_str() == Some("0")) {
                    push(
                        cx,
                        out,
                        u.span,
                        workload,
                        "runs as root (`runAsUser: 0`) with hostPath mounts",
                        Reach::AgentOnly,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        for p in ["..", "../..", "../", "..\\..", "../../"] {
            assert!(is_parent_dir(p), "{p}");
        }
        for p in [".", "../x", "./..", "", "..."] {
            assert!(!is_parent_dir(p), "{p}");
        }
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/var/lib/kubelet/pods",
            "/root/.ssh",
            "~",
            "/proc/1",
        ] {
            assert!(is_sensitive_host_path(p), "{p}");
        }
        for p in ["/etc/ssl/certs", "./workspace", "/srv/data", "/var/log"] {
            assert!(!is_sensitive_host_path(p), "{p}");
        }
        assert!(is_root_user("0:0") && is_root_user("root") && !is_root_user("1000"));
        assert_eq!(basename("C:\\Windows\\cmd.exe"), "cmd");
    }
}
