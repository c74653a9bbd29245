use crate::findings::Finding;
use crate::model::extract::{McpServer, mcp_servers, pod_spec};
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
    /// - the Docker socket (`/var/run/docker.sock`) passed to an MCP server or mounted
    ///   into an agent container;
    /// - an agent pod or compose service that is `privileged`, shares the host's
    ///   network or process namespace (`hostNetwork`, `hostPID`, `network_mode: host`),
    ///   mounts a sensitive host path (`hostPath: /`, `/etc`, `/root`, `/home`, `/proc`,
    ///   `/var/lib/kubelet`; compose `- /:/host`), or runs as root (`runAsUser: 0`,
    ///   `user: root`) with host mounts.
    ///
    /// ## Why it matters
    /// A filesystem server rooted at `/` or above the repository lets the agent read
    /// every credential it reaches (`~/.ssh`, `~/.aws`, browser profiles, sibling
    /// projects). A shell server runs whatever a prompt injection asks for. The Docker
    /// socket, privileged mode and host mounts written as root are root on the host.
    /// One prompt injection turns into a host compromise.
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
        summary: "An agent can reach its host: filesystem root, shell without allow-list, Docker socket, privileged mode, host mounts",
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

/// MCP servers whose tool is "run this shell command".
const SHELL_MCP_PACKAGES: &[&str] = &[
    "mcp-server-commands",
    "@mako10k/mcp-shell-server",
    "mcp-shell-server",
    "mcp-shell",
    "shell-mcp",
    "desktop-commander",
];

const SHELL_SERVER_NAMES: &[&str] = &["shell", "terminal", "exec", "bash", "cmd", "commands"];

const SHELL_BINARIES: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "fish",
    "dash",
    "ksh",
    "pwsh",
    "powershell",
    "cmd",
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
            shell_server(cx, out, &server, command_node, &workload);
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

/// A shell MCP server without an allow-list of commands.
fn shell_server(
    cx: &FileCx<'_>,
    out: &mut Vec<Finding>,
    server: &McpServer<'_>,
    command: Option<&Node>,
    workload: &str,
) {
    let args = server.node.get("args").map(Node::items).unwrap_or_default();
    let package = command.into_iter().chain(args).find_map(|n| {
        let text = n.as_str()?.to_ascii_lowercase();
        let pkg = SHELL_MCP_PACKAGES.iter().find(|p| text.contains(*p))?;
        Some((n.span, *pkg))
    });
    let named = || {
        let cmd = command?;
        let bin = basename(cmd.as_str()?);
        (SHELL_SERVER_NAMES.contains(&server.name.to_ascii_lowercase().as_str())
            && SHELL_BINARIES.contains(&bin))
        .then_some((cmd.span, bin))
    };
    let Some((span, what)) = package.or_else(named) else {
        return;
    };
    let allow_arg = args.iter().filter_map(Node::as_str).any(|a| {
        let flag = a.split('=').next().unwrap_or(a);
        matches!(
            flag,
            "--allow" | "--allowed-commands" | "--allow-commands" | "--allowlist" | "--allowed"
        )
    });
    let allow_env = server.node.get("env").is_some_and(|env| {
        env.entries().iter().any(|e| {
            e.key_str().is_some_and(|k| {
                let k = k.to_ascii_uppercase();
                k.contains("ALLOWED_COMMANDS")
                    || k.contains("ALLOWLIST")
                    || k.contains("ALLOW_COMMANDS")
            })
        })
    });
    if allow_arg || allow_env {
        return;
    }
    mcp_finding(
        cx,
        out,
        span,
        workload,
        format!(
            "MCP server `{}` runs `{what}`, which executes any command the agent asks for, and no allow-list limits it: a prompt injection runs arbitrary commands as you",
            server.name
        ),
        "shell",
        "Pass an allow-list of the commands the task runs (`--allowed-commands`, `ALLOWED_COMMANDS`), or use a purpose-built MCP server instead of a shell.",
    );
}

fn push(cx: &FileCx<'_>, out: &mut Vec<Finding>, span: Span, workload: &str, what: &str) {
    out.push(
        cx.finding(
            &AgentHostEscape::META,
            span,
            format!("{workload} looks like an AI agent and {what}: a prompt injection becomes a host compromise"),
        )
        .label(what.to_owned())
        .help("Run agents unprivileged, as a non-root user, in their own namespaces, without the Docker socket or host mounts.")
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
                    push(cx, out, v.span, workload, "mounts the Docker socket");
                } else if is_sensitive_host_path(source) {
                    push(
                        cx,
                        out,
                        v.span,
                        workload,
                        &format!("mounts the host's `{source}`"),
                    );
                }
            }
            if let Some(u) = svc
                .get("user")
                .filter(|u| host_mount && u.as_str().is_some_and(is_root_user))
            {
                push(cx, out, u.span, workload, "runs as root with host mounts");
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
        let mut host_volumes = Vec::new();
        for v in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
            let Some(p) = v.get_path(&["hostPath", "path"]) else {
                continue;
            };
            host_volumes.extend(v.get("name").and_then(Node::as_str));
            let Some(path) = p.as_str() else { continue };
            if path.starts_with(DOCKER_SOCKET) {
                push(cx, out, p.span, workload, "mounts the Docker socket");
            } else if is_sensitive_host_path(path) {
                push(
                    cx,
                    out,
                    p.span,
                    workload,
                    &format!("mounts the host's `{path}` (hostPath)"),
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
                    push(cx, out, p.span, workload, "runs a privileged container");
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
