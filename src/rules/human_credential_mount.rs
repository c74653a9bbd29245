use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::extract::{mcp_servers, pod_spec};
use crate::model::people::{CredentialLocation, credential_location};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};

declare_rule! {
    /// ## What it finds
    /// A person's credential directory or file from the host handed to a container, a
    /// pod or an MCP server: `~/.aws`, `~/.config/gcloud`, `~/.azure`, `~/.kube`,
    /// `~/.ssh`, `~/.docker/config.json`, `~/.netrc`, `~/.git-credentials`,
    /// `~/.config/gh`, spelled with `~`, `$HOME`, `${HOME}`, `/home/<user>`,
    /// `/Users/<user>`, `/root` or `C:\Users\<user>`, or a whole home directory. It
    /// reads compose `volumes` (short `src:dst` and long `type: bind` syntax) and
    /// `secrets`/`configs` files, Kubernetes `hostPath` volumes, `docker run -v`,
    /// `--volume` and `--mount type=bind` in MCP server `args` (JSON and Codex TOML),
    /// credential paths passed to MCP servers as arguments, and Dockerfile `COPY`/`ADD`
    /// of credential files (`.aws`, `.kube/config`, `id_rsa`,
    /// `application_default_credentials.json`, ...) or into credential locations
    /// (`/root/.aws`).
    ///
    /// ## Why it matters
    /// The container then runs as whoever owns that directory: every cloud call, `git
    /// push` or `kubectl` command is made with their identity, their permissions (often
    /// administrator on a developer machine) and their long-lived refresh tokens. Audit
    /// logs name the person, not the agent, and an injected prompt can use everything
    /// they can reach. A credential copied into an image also ships to every registry
    /// the image is pushed to.
    ///
    /// ## What to do instead
    /// Give the workload its own identity: IRSA or EKS Pod Identity, GKE Workload
    /// Identity, Azure Workload Identity, a per-agent IAM role. For a developer's local
    /// MCP server, pass a narrowly scoped token through `env` from a secret manager
    /// instead of the whole credential directory. Use `RUN --mount=type=secret` for
    /// build-time credentials.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   agent:
    ///     volumes:
    ///       - ~/.aws:/root/.aws:ro
    /// ```
    /// Use instead a role assumed through web identity, or `AWS_PROFILE` of a profile
    /// that assumes a per-agent role.
    pub(crate) struct HumanCredentialMount {
        id: "human-credential-mount",
        family: BorrowedCredential,
        severity: High,
        confidence: High,
        summary: "A host user's credential directory is mounted or copied into a container, pod or MCP server",
        applies_to: |kind| matches!(
            kind,
            FileKind::Compose
                | FileKind::Kubernetes
                | FileKind::HelmTemplate
                | FileKind::McpConfig
                | FileKind::Dockerfile
        ),
    }
}

const HELP: &str = "Give the workload its own identity (IRSA or EKS Pod Identity, GKE Workload Identity, a per-agent role); for a local MCP server pass a narrowly scoped token through `env` from a secret manager; for builds use `RUN --mount=type=secret`.";

impl Rule for HumanCredentialMount {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let mut hits = Vec::new();
        for doc in cx.documents() {
            match cx.file.kind {
                FileKind::Compose => compose(doc, &mut hits),
                FileKind::McpConfig => mcp(doc, &mut hits),
                FileKind::Dockerfile => dockerfile(doc, &mut hits),
                _ => k8s(doc, &mut hits),
            }
            for hit in hits.drain(..) {
                out.push(finding(cx, hit));
            }
        }
    }
}

/// One credential location handed to a workload.
struct Hit<'a> {
    /// The node holding the path (a volume string, an argument, an instruction).
    node: &'a Node,
    /// The path as written.
    path: String,
    location: CredentialLocation,
    /// How it gets in: `mounts`, `copies`, `passes`.
    verb: &'static str,
    /// For a copy into a credential location (`COPY x /root/.aws`): the source.
    copied_from: Option<String>,
    /// The workload, when the path is not inside its definition (a compose secret).
    workload: Option<String>,
}

fn finding(cx: &FileCx<'_>, hit: Hit<'_>) -> Finding {
    let span = cx.span_within(hit.node, &hit.path);
    let workload = cx.facts.workload_at(span).or_else(|| {
        let name = hit.workload.as_deref()?;
        cx.facts.workloads.iter().find(|w| w.name == name)
    });
    let loc = hit.location;
    let into = match (workload, cx.file.kind) {
        (Some(w), _) => format!("into {}", w.name),
        (None, FileKind::Dockerfile) => "into the image".to_owned(),
        (None, _) => "into the container".to_owned(),
    };
    let consequence = "it acts as that person, with their identity and permissions, and every call is logged under their name";
    let message = if loc.whole_home {
        format!(
            "{} the host user's whole home directory (`{}`) {into}, with every credential in it (~/.aws, ~/.ssh, ~/.kube): {consequence}",
            hit.verb, hit.path
        )
    } else if let Some(src) = &hit.copied_from {
        format!(
            "copies `{src}` {into} as {} (`{}`): credentials baked into an image ship to every registry and host that pulls it, and {consequence}",
            loc.what, hit.path
        )
    } else if loc.in_home {
        format!(
            "{} the host user's {} (`{}`) {into}: {consequence}",
            hit.verb, loc.what, hit.path
        )
    } else {
        format!(
            "{} `{}`, a copy of someone's {} ({}), {into}: {consequence}",
            hit.verb, hit.path, loc.what, loc.home_path
        )
    };
    let label = if loc.whole_home {
        "a person's home directory".to_owned()
    } else {
        format!("a person's {}", loc.what)
    };
    let mut b = cx
        .finding(&HumanCredentialMount::META, span, message)
        .label(label)
        .help(HELP)
        .evidence(Redacted::plain(hit.path.clone()));
    if loc.whole_home {
        b = b.confidence(Confidence::Medium);
    }
    let scope = match workload {
        Some(w) => {
            b = b.workload(&w.name);
            if w.agent.is_some() {
                b = b.severity(Severity::Critical);
            }
            w.name.as_str()
        }
        None => "",
    };
    b.key(format!("{scope}:{}", hit.path)).build()
}

/// The host side of a short-syntax volume `src:dst[:mode]`; a Windows drive letter
/// (`C:\Users\...`) is part of the source.
fn volume_source(spec: &str) -> &str {
    let b = spec.as_bytes();
    let drive =
        b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    let from = if drive { 2 } else { 0 };
    match spec[from..].find(':') {
        Some(i) => &spec[..from + i],
        None => spec,
    }
}

fn push_source<'a>(node: &'a Node, path: &str, verb: &'static str, hits: &mut Vec<Hit<'a>>) {
    if let Some(location) = credential_location(path) {
        hits.push(Hit {
            node,
            path: path.to_owned(),
            location,
            verb,
            copied_from: None,
            workload: None,
        });
    }
}

fn compose<'a>(doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    let services = doc
        .root
        .get("services")
        .map(Node::entries)
        .unwrap_or_default();
    for svc in services {
        for v in svc
            .value
            .get("volumes")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(spec) = v.as_str() {
                // A bare `/path` (no `:`) is an anonymous volume at that container path.
                if spec.contains(':') {
                    push_source(v, volume_source(spec), "mounts", hits);
                }
            } else if let Some(src) = v.get("source").and_then(Node::as_str) {
                let bind = v
                    .get("type")
                    .and_then(Node::as_str)
                    .is_none_or(|t| t == "bind");
                if bind && let Some(node) = v.get("source") {
                    push_source(node, src, "mounts", hits);
                }
            }
        }
    }
    // Top-level `secrets:`/`configs:` read from host files are bind-mounted into the
    // services that list them.
    for top in ["secrets", "configs"] {
        for e in doc.root.get(top).map(Node::entries).unwrap_or_default() {
            let (Some(node), Some(name)) = (e.value.get("file"), e.key_str()) else {
                continue;
            };
            let Some(path) = node.as_str() else { continue };
            let Some(location) = credential_location(path) else {
                continue;
            };
            let users = services
                .iter()
                .filter(|svc| lists(&svc.value, top, name))
                .map(|svc| format!("compose service {}", svc.key_str().unwrap_or("<unnamed>")));
            let mut any = false;
            for workload in users {
                any = true;
                hits.push(Hit {
                    node,
                    path: path.to_owned(),
                    location,
                    verb: "mounts",
                    copied_from: None,
                    workload: Some(workload),
                });
            }
            if !any {
                push_source(node, path, "mounts", hits);
            }
        }
    }
}

/// Whether a compose service lists secret or config `name` (short or long syntax).
fn lists(service: &Node, key: &str, name: &str) -> bool {
    service
        .get(key)
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|i| {
            i.as_str()
                .or_else(|| i.get("source").and_then(Node::as_str))
                == Some(name)
        })
}

fn k8s<'a>(doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    let Some(pod) = pod_spec(doc) else { return };
    for v in pod.spec.get("volumes").map(Node::items).unwrap_or_default() {
        if let Some(node) = v.get_path(&["hostPath", "path"])
            && let Some(path) = node.as_str()
        {
            push_source(node, path, "mounts", hits);
        }
    }
}

/// `docker run` mount flags and plain credential paths in an MCP server's arguments.
fn mcp<'a>(doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    for server in mcp_servers(doc) {
        let args = server.node.get("args").map(Node::items).unwrap_or_default();
        let mut pending: Option<&str> = None;
        for arg in args {
            let Some(text) = arg.as_str() else {
                pending = None;
                continue;
            };
            if let Some(flag) = pending.take() {
                mount_arg(arg, flag, text, hits);
                continue;
            }
            match text {
                "-v" | "--volume" | "--mount" => pending = Some(text),
                _ => {
                    if let Some(v) = text
                        .strip_prefix("--volume=")
                        .or_else(|| text.strip_prefix("-v="))
                    {
                        mount_arg(arg, "-v", v, hits);
                    } else if let Some(m) = text.strip_prefix("--mount=") {
                        mount_arg(arg, "--mount", m, hits);
                    } else if !text.starts_with('-') {
                        // A credential path handed to the server itself (`--kubeconfig
                        // ~/.kube/config`), relative names excluded: those are the
                        // server's own files.
                        if let Some(location) = credential_location(text)
                            && location.in_home
                            && !location.whole_home
                        {
                            hits.push(Hit {
                                node: arg,
                                path: text.to_owned(),
                                location,
                                verb: "passes",
                                copied_from: None,
                                workload: None,
                            });
                        }
                    } else if let Some((_, value)) = text.split_once('=') {
                        if let Some(location) = credential_location(value)
                            && location.in_home
                            && !location.whole_home
                        {
                            hits.push(Hit {
                                node: arg,
                                path: value.to_owned(),
                                location,
                                verb: "passes",
                                copied_from: None,
                                workload: None,
                            });
                        }
                    }
                }
            }
        }
    }
}

fn mount_arg<'a>(node: &'a Node, flag: &str, value: &str, hits: &mut Vec<Hit<'a>>) {
    if flag == "--mount" {
        let mut bind = true;
        let mut source = None;
        for part in value.split(',') {
            match part.split_once('=') {
                Some(("type", t)) => bind = t == "bind",
                Some(("source" | "src", s)) => source = Some(s),
                _ => {}
            }
        }
        if bind && let Some(src) = source {
            push_source(node, src, "mounts", hits);
        }
    } else if value.contains(':') {
        push_source(node, volume_source(value), "mounts", hits);
    }
}

/// `COPY`/`ADD` of a credential file, or into a credential location.
fn dockerfile<'a>(doc: &'a Document, hits: &mut Vec<Hit<'a>>) {
    for e in doc.root.entries() {
        if !matches!(e.key_str(), Some("COPY" | "ADD")) {
            continue;
        }
        let Some(text) = e.value.as_str() else {
            continue;
        };
        // Heredoc bodies follow the first line; only the arguments name paths.
        let line = text.lines().next().unwrap_or("");
        let words = copy_words(line);
        if words.iter().any(|w| w.starts_with("--from=")) {
            // Copied from another build stage or image, not from the build context.
            continue;
        }
        let paths: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let Some((dest, sources)) = paths.split_last() else {
            continue;
        };
        let mut found = false;
        for src in sources {
            if src.starts_with("<<") || src.contains("://") {
                continue;
            }
            if let Some(location) = credential_location(src) {
                found = true;
                hits.push(Hit {
                    node: &e.value,
                    path: (*src).to_owned(),
                    location,
                    verb: "copies",
                    copied_from: None,
                    workload: None,
                });
            }
        }
        if !found
            && let Some(location) = credential_location(dest)
            && location.in_home
            && !location.whole_home
        {
            hits.push(Hit {
                node: &e.value,
                path: (*dest).to_owned(),
                location,
                verb: "copies",
                copied_from: sources.first().map(|s| (*s).to_owned()),
                workload: None,
            });
        }
    }
}

/// The words of `COPY`/`ADD` arguments, in shell form or JSON exec form.
fn copy_words(line: &str) -> Vec<&str> {
    let t = line.trim();
    if let Some(inner) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .split(',')
            .map(|w| w.trim().trim_matches('"'))
            .filter(|w| !w.is_empty())
            .collect();
    }
    t.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(path: &str) -> Option<(&'static str, bool, bool)> {
        credential_location(path).map(|l| (l.what, l.in_home, l.whole_home))
    }

    #[test]
    fn credential_locations() {
        let aws = Some(("AWS credentials", true, false));
        for p in [
            "~/.aws",
            "~/.aws/",
            "$HOME/.aws/credentials",
            "${HOME}/.aws",
            "/home/jane/.aws",
            "/Users/jane/.aws",
            "/root/.aws",
            "C:\\Users\\jane\\.aws",
            "%USERPROFILE%\\.aws",
            "~jane/.aws",
        ] {
            assert_eq!(what(p), aws, "{p}");
        }
        assert_eq!(what(".aws"), Some(("AWS credentials", false, false)));
        assert_eq!(
            what("./.kube/config"),
            Some(("Kubernetes credentials", false, false))
        );
        assert_eq!(what("keys/id_ed25519"), Some(("SSH keys", false, false)));
        assert_eq!(
            what("~/.docker/config.json").map(|w| w.0),
            Some("Docker registry credentials")
        );
        assert_eq!(what("~"), Some(("home directory", true, true)));
        assert_eq!(what("/home/jane"), Some(("home directory", true, true)));
        for p in [
            "~/.aws-cache",
            "~/.docker/buildx",
            "~/.ssh/known_hosts",
            "~/.ssh/id_rsa.pub",
            "~/.ssh/config",
            "~/projects/app",
            "./workspace",
            "/var/run/docker.sock",
            "/home",
            "aws-cache",
            "${PWD}",
            "/etc/.aws",
        ] {
            assert_eq!(what(p), None, "{p}");
        }
    }

    #[test]
    fn volume_sources_and_copy_words() {
        assert_eq!(volume_source("~/.aws:/root/.aws:ro"), "~/.aws");
        assert_eq!(
            volume_source("C:\\Users\\jane\\.aws:/root/.aws"),
            "C:\\Users\\jane\\.aws"
        );
        assert_eq!(volume_source("/data"), "/data");
        assert_eq!(
            copy_words("--chown=app .aws /root/.aws"),
            ["--chown=app", ".aws", "/root/.aws"]
        );
        assert_eq!(copy_words("[\"a b\", \"/dst/\"]"), ["a b", "/dst/"]);
    }
}
