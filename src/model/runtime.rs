//! What each workload runs with, per format: Kubernetes pod specs (service account,
//! token automount, host paths), compose services (volumes, the secrets and configs
//! they list), MCP servers (the mounts and values their arguments hand over), workflow
//! jobs and composite actions (steps: `uses`, `run` commands, `with` inputs), and what
//! a Dockerfile copies into its image. [`crate::model::extract`] fills these once per
//! file; rules iterate them instead of walking the document tree.

use crate::model::settings::Field;
use crate::syntax::source::Span;

/// What identifies a workload inside its file, typed, so that rules and views match
/// workloads by what they are and never by their display name. Its [`Display`] is the
/// workload's human-readable name (`Deployment agents/triage`, `workflow job triage`).
///
/// [`Display`]: std::fmt::Display
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKey {
    K8sPod {
        kind: String,
        namespace: String,
        name: String,
    },
    ComposeService(String),
    McpServer(String),
    /// A workflow job, by its id.
    WorkflowJob(String),
    /// Terraform (resource type, function/agent/display name) or CloudFormation
    /// (resource type, logical id).
    Cloud {
        ty: String,
        name: String,
    },
    /// An agent harness found on its own (a settings file, a command line outside any
    /// other workload), by the name it is shown under.
    Harness(String),
}

impl std::fmt::Display for WorkloadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkloadKey::K8sPod {
                kind,
                namespace,
                name,
            } => write!(f, "{kind} {namespace}/{name}"),
            WorkloadKey::ComposeService(name) => write!(f, "compose service {name}"),
            WorkloadKey::McpServer(name) => write!(f, "MCP server {name}"),
            WorkloadKey::WorkflowJob(id) => write!(f, "workflow job {id}"),
            WorkloadKey::Cloud { ty, name } => write!(f, "{ty} {name}"),
            WorkloadKey::Harness(name) => f.write_str(name),
        }
    }
}

/// A Kubernetes pod spec.
#[derive(Debug, Clone)]
pub(crate) struct Pod {
    /// The pod's workload.
    pub(crate) key: WorkloadKey,
    pub(crate) namespace: String,
    /// The `kind:` value (where a pod without a service account is pointed at).
    pub(crate) kind_span: Span,
    /// `serviceAccountName` (or the older `serviceAccount`), when set.
    pub(crate) service_account: Option<Field>,
    /// `automountServiceAccountToken`, when set to a boolean.
    pub(crate) automount_token: Option<bool>,
    /// `hostPath.path` of its volumes.
    pub(crate) host_paths: Vec<Field>,
}

/// The host side of a volume, a bind mount or a `docker run` mount flag.
#[derive(Debug, Clone)]
pub(crate) struct HostMount {
    /// The host path as written.
    pub(crate) source: String,
    /// The node holding it (a volume string, a `source:` value, an argument).
    pub(crate) span: Span,
}

/// One compose document: its services and the host files its top-level `secrets:`
/// and `configs:` read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ComposeProject {
    pub(crate) services: Vec<ComposeService>,
    pub(crate) secrets: Vec<ComposeFile>,
    pub(crate) configs: Vec<ComposeFile>,
}

#[derive(Debug, Clone)]
pub(crate) struct ComposeService {
    pub(crate) key: WorkloadKey,
    /// The host side of each volume: short `src:dst[:mode]` syntax, or long syntax of
    /// `type: bind` (or no type). A bare `/path` (an anonymous volume) has none.
    pub(crate) mounts: Vec<HostMount>,
    /// Names of the top-level secrets it lists (short or long syntax).
    pub(crate) secrets: Vec<String>,
    /// Names of the top-level configs it lists.
    pub(crate) configs: Vec<String>,
}

/// A top-level compose secret or config read from a host file.
#[derive(Debug, Clone)]
pub(crate) struct ComposeFile {
    pub(crate) name: String,
    /// The `file:` value.
    pub(crate) file: String,
    pub(crate) span: Span,
}

/// An MCP server entry of a client configuration, with what its arguments hand over.
#[derive(Debug, Clone)]
pub(crate) struct McpServerSpec {
    /// `docker run` mounts in its arguments (`-v`, `--volume`, `--mount type=bind`).
    pub(crate) mounts: Vec<HostMount>,
    /// Values handed to the server itself: arguments that are no flag, and the values
    /// of `--flag=value` arguments (mount flags aside).
    pub(crate) values: Vec<HostMount>,
}

/// Steps that run together: a workflow job's, or a composite action's `runs.steps`.
#[derive(Debug, Clone)]
pub(crate) struct StepList {
    /// For a workflow job, its id as written (`None` when the key is not a scalar);
    /// `None` with `composite` for an action.
    pub(crate) job: Option<String>,
    pub(crate) composite: bool,
    pub(crate) steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) uses: Option<Field>,
    pub(crate) run: Option<Field>,
    /// The simple commands of a literal `run:` script, as shell words (quotes
    /// removed), split at `;`, `&&`, `||`, `|` and newlines.
    pub(crate) commands: Vec<Vec<String>>,
    /// `with:` inputs, in order.
    pub(crate) with: Vec<(String, Field)>,
}

impl Step {
    /// The first `with:` input named `name`.
    pub(crate) fn input(&self, name: &str) -> Option<&Field> {
        self.with.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A Dockerfile `COPY`/`ADD` from the build context.
#[derive(Debug, Clone)]
pub(crate) struct ImageCopy {
    /// The instruction's arguments.
    pub(crate) span: Span,
    pub(crate) sources: Vec<String>,
    pub(crate) dest: String,
}

/// What the workloads of one file run with.
#[derive(Debug, Default)]
pub(crate) struct Runtime {
    pub(crate) pods: Vec<Pod>,
    pub(crate) compose: Vec<ComposeProject>,
    pub(crate) mcp_servers: Vec<McpServerSpec>,
    pub(crate) step_lists: Vec<StepList>,
    pub(crate) image_copies: Vec<ImageCopy>,
}

/// The host side of a short-syntax volume `src:dst[:mode]`; a Windows drive letter
/// (`C:\Users\...`) is part of the source.
pub(crate) fn volume_source(spec: &str) -> &str {
    let b = spec.as_bytes();
    let drive =
        b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/');
    let from = if drive { 2 } else { 0 };
    match spec[from..].find(':') {
        Some(i) => &spec[..from + i],
        None => spec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_sources() {
        assert_eq!(volume_source("~/.aws:/root/.aws:ro"), "~/.aws");
        assert_eq!(
            volume_source("C:\\Users\\jane\\.aws:/root/.aws"),
            "C:\\Users\\jane\\.aws"
        );
        assert_eq!(volume_source("/data"), "/data");
    }

    #[test]
    fn keys_display_as_workload_names() {
        let pod = WorkloadKey::K8sPod {
            kind: "Deployment".into(),
            namespace: "agents".into(),
            name: "triage".into(),
        };
        assert_eq!(pod.to_string(), "Deployment agents/triage");
        assert_eq!(
            WorkloadKey::WorkflowJob("triage".into()).to_string(),
            "workflow job triage"
        );
        assert_eq!(
            WorkloadKey::Cloud {
                ty: "aws_lambda_function".into(),
                name: "agent".into()
            }
            .to_string(),
            "aws_lambda_function agent"
        );
    }
}
