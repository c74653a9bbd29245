use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::people::{CredentialLocation, credential_location};
use crate::model::runtime::{
    ComposeProject, ComposeService, ImageCopy, McpServerSpec, WorkloadKey,
};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

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
        let runtime = &cx.facts.runtime();
        match cx.file.kind {
            FileKind::Compose => runtime.compose.iter().for_each(|p| compose(p, &mut hits)),
            FileKind::McpConfig => runtime.mcp_servers.iter().for_each(|s| mcp(s, &mut hits)),
            FileKind::Dockerfile => dockerfile(&runtime.image_copies, &mut hits),
            _ => {
                for path in runtime.pods.iter().flat_map(|p| &p.host_paths) {
                    if let Some(text) = path.as_str() {
                        push_source(path.span, text, "mounts", &mut hits);
                    }
                }
            }
        }
        for hit in hits {
            out.push(finding(cx, hit));
        }
    }
}

/// One credential location handed to a workload.
struct Hit<'a> {
    /// The span of the node holding the path (a volume string, an argument, an
    /// instruction).
    span: Span,
    /// The path as written.
    path: String,
    location: CredentialLocation,
    /// How it gets in: `mounts`, `copies`, `passes`.
    verb: &'static str,
    /// For a copy into a credential location (`COPY x /root/.aws`): the source.
    copied_from: Option<String>,
    /// The workload, when the path is not inside its definition (a compose secret).
    workload: Option<&'a WorkloadKey>,
}

fn finding(cx: &FileCx<'_>, hit: Hit<'_>) -> Finding {
    let span = cx.span_in(hit.span, &hit.path);
    let workload = cx
        .facts
        .workload_at(span)
        .or_else(|| cx.facts.workload(hit.workload?));
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

fn push_source<'a>(span: Span, path: &str, verb: &'static str, hits: &mut Vec<Hit<'a>>) {
    if let Some(location) = credential_location(path) {
        hits.push(Hit {
            span,
            path: path.to_owned(),
            location,
            verb,
            copied_from: None,
            workload: None,
        });
    }
}

/// A credential location in a user's home passed to a process as a value (not a
/// mount): relative names are the process's own files.
fn passed_location(path: &str) -> Option<CredentialLocation> {
    credential_location(path).filter(|l| l.in_home && !l.whole_home)
}

fn compose<'a>(project: &'a ComposeProject, hits: &mut Vec<Hit<'a>>) {
    for mount in project.services.iter().flat_map(|s| &s.mounts) {
        push_source(mount.span, &mount.source, "mounts", hits);
    }
    // Top-level `secrets:`/`configs:` read from host files are bind-mounted into the
    // services that list them.
    for (files, secrets) in [(&project.secrets, true), (&project.configs, false)] {
        for file in files {
            let Some(location) = credential_location(&file.file) else {
                continue;
            };
            let listed = |svc: &&ComposeService| {
                let names = if secrets { &svc.secrets } else { &svc.configs };
                names.contains(&file.name)
            };
            let mut any = false;
            for svc in project.services.iter().filter(listed) {
                any = true;
                hits.push(Hit {
                    span: file.span,
                    path: file.file.clone(),
                    location,
                    verb: "mounts",
                    copied_from: None,
                    workload: Some(&svc.key),
                });
            }
            if !any {
                push_source(file.span, &file.file, "mounts", hits);
            }
        }
    }
}

/// `docker run` mount flags and credential paths in an MCP server's arguments.
fn mcp<'a>(server: &'a McpServerSpec, hits: &mut Vec<Hit<'a>>) {
    for mount in &server.mounts {
        push_source(mount.span, &mount.source, "mounts", hits);
    }
    // A credential path handed to the server itself (`--kubeconfig ~/.kube/config`).
    for value in &server.values {
        if let Some(location) = passed_location(&value.source) {
            hits.push(Hit {
                span: value.span,
                path: value.source.clone(),
                location,
                verb: "passes",
                copied_from: None,
                workload: None,
            });
        }
    }
}

/// `COPY`/`ADD` of a credential file, or into a credential location.
fn dockerfile<'a>(copies: &'a [ImageCopy], hits: &mut Vec<Hit<'a>>) {
    for copy in copies {
        let mut found = false;
        for src in &copy.sources {
            if src.starts_with("<<") || src.contains("://") {
                continue;
            }
            if let Some(location) = credential_location(src) {
                found = true;
                hits.push(Hit {
                    span: copy.span,
                    path: src.clone(),
                    location,
                    verb: "copies",
                    copied_from: None,
                    workload: None,
                });
            }
        }
        if !found && let Some(location) = passed_location(&copy.dest) {
            hits.push(Hit {
                span: copy.span,
                path: copy.dest.clone(),
                location,
                verb: "copies",
                copied_from: copy.sources.first().cloned(),
                workload: None,
            });
        }
    }
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
}
