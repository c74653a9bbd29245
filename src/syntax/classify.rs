//! Decide what a file is: by path and name first, by a cheap content sniff only for
//! generic YAML/JSON whose name says nothing.

use serde::Serialize;

/// What a file is, which decides its parser and the rules that look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Dotenv,
    Dockerfile,
    Compose,
    Kubernetes,
    HelmValues,
    HelmTemplate,
    GithubWorkflow,
    GithubAction,
    GitlabCi,
    /// An MCP client configuration (`.mcp.json`, `.cursor/mcp.json`, `.codex/config.toml`, ...).
    McpConfig,
    /// Claude Code settings (`.claude/settings*.json`): permissions and env for the agent.
    ClaudeSettings,
    /// aider's configuration (`.aider.conf.yml`).
    AiderConfig,
    /// A script or Makefile that may start an agent (`*.sh`, `Makefile`, `justfile`,
    /// `*.ps1`): read as text, one command line at a time.
    Script,
    CloudFormation,
    Terraform,
    TerraformJson,
    /// A JSON credential file of Google's (`authorized_user`, `service_account`, ...).
    GoogleCredentials,
    Kubeconfig,
    Netrc,
    GitCredentials,
    AwsCredentials,
    AwsConfig,
    Npmrc,
    Pypirc,
    DockerConfig,
    /// An IAM policy document on its own (`*.json` with `Statement`).
    IamPolicy,
    Yaml,
    Json,
    Toml,
    /// Any other text file: only token rules apply.
    Text,
}

/// The syntax a kind is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    /// Strict JSON: no comments, no trailing commas.
    Json,
    /// JSON with comments and trailing commas (VS Code, Claude, Cursor configs).
    Jsonc,
    Toml,
    Hcl,
    Dotenv,
    Dockerfile,
    /// INI-style files (`~/.aws/credentials`, `.pypirc`, `.npmrc`); read as `.env`-like
    /// key/value lines grouped by section.
    Ini,
    /// Not parsed: text-level rules only.
    None,
}

impl FileKind {
    /// Whether only the content can tell what the file is (generic YAML and JSON,
    /// Helm values): [`refine`] looks.
    pub fn needs_sniffing(self) -> bool {
        matches!(
            self,
            FileKind::Yaml | FileKind::Json | FileKind::HelmValues | FileKind::HelmTemplate
        )
    }

    /// Whether failing to parse the file is normal and not worth a notice: a file under
    /// `templates/` may be any templated text (the scan reports it after all when the
    /// folder belongs to a Helm chart).
    pub fn parse_errors_expected(self) -> bool {
        self == FileKind::HelmTemplate
    }

    pub fn syntax(self) -> Syntax {
        use FileKind::*;
        match self {
            Dotenv => Syntax::Dotenv,
            Dockerfile => Syntax::Dockerfile,
            Compose | Kubernetes | HelmValues | GithubWorkflow | GithubAction | GitlabCi
            | Kubeconfig | AiderConfig | Yaml => Syntax::Yaml,
            // Go templates: rendered with the chart's values and parsed as YAML (see
            // `syntax::parse::helm`).
            HelmTemplate => Syntax::Yaml,
            CloudFormation => Syntax::Yaml, // JSON templates are YAML too; the parser handles both
            McpConfig | ClaudeSettings => Syntax::Jsonc,
            TerraformJson | GoogleCredentials | DockerConfig | IamPolicy | Json => Syntax::Json,
            Toml => Syntax::Toml,
            Terraform => Syntax::Hcl,
            AwsCredentials | AwsConfig | Pypirc | Npmrc => Syntax::Ini,
            Netrc | GitCredentials | Script | Text => Syntax::None,
        }
    }

    /// Kinds that can hold an IAM policy document: Terraform, CloudFormation and
    /// policy JSON, plus generic JSON/YAML where policies are also written.
    pub fn may_hold_iam_policies(self) -> bool {
        use FileKind::*;
        matches!(
            self,
            Terraform | TerraformJson | CloudFormation | IamPolicy | Json | Yaml
        )
    }

    pub fn name(self) -> &'static str {
        use FileKind::*;
        match self {
            Dotenv => "dotenv",
            Dockerfile => "dockerfile",
            Compose => "compose",
            Kubernetes => "kubernetes",
            HelmValues => "helm-values",
            HelmTemplate => "helm-template",
            GithubWorkflow => "github-workflow",
            GithubAction => "github-action",
            GitlabCi => "gitlab-ci",
            McpConfig => "mcp-config",
            ClaudeSettings => "claude-settings",
            AiderConfig => "aider-config",
            Script => "script",
            CloudFormation => "cloudformation",
            Terraform => "terraform",
            TerraformJson => "terraform-json",
            GoogleCredentials => "google-credentials",
            Kubeconfig => "kubeconfig",
            Netrc => "netrc",
            GitCredentials => "git-credentials",
            AwsCredentials => "aws-credentials",
            AwsConfig => "aws-config",
            Npmrc => "npmrc",
            Pypirc => "pypirc",
            DockerConfig => "docker-config",
            IamPolicy => "iam-policy",
            Yaml => "yaml",
            Json => "json",
            Toml => "toml",
            Text => "text",
        }
    }
}

/// Classify by repo-relative path (with `/`) alone. Generic YAML/JSON may be refined
/// by [`refine`] once the content is read.
pub fn classify_path(path: &str) -> FileKind {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let parent = lower
        .rsplit_once('/')
        .map(|(dir, _)| dir.rsplit('/').next().unwrap_or(dir))
        .unwrap_or("");
    let in_dir =
        |dir: &str| lower.starts_with(&format!("{dir}/")) || lower.contains(&format!("/{dir}/"));
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let yaml = matches!(ext, "yaml" | "yml");

    // Dotenv family: `.env`, `.env.local`, `prod.env`; not `.envrc` (a shell script,
    // but still a text file for token rules) and not `.env.example` style templates,
    // which are still scanned: placeholders are filtered by value, not by file name.
    if name == ".env" || name.starts_with(".env.") || (ext == "env" && name.len() > 4) {
        return FileKind::Dotenv;
    }
    if name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
    {
        return FileKind::Dockerfile;
    }
    if yaml
        && (name.starts_with("docker-compose")
            || name.starts_with("compose.")
            || name.starts_with("compose-")
            || name.starts_with("podman-compose"))
    {
        return FileKind::Compose;
    }
    if yaml && in_dir(".github/workflows") {
        return FileKind::GithubWorkflow;
    }
    if name == "action.yml" || name == "action.yaml" {
        return FileKind::GithubAction;
    }
    if name == ".gitlab-ci.yml" || (yaml && lower.contains(".gitlab-ci")) {
        return FileKind::GitlabCi;
    }
    // Helm: templates are Go templates (parsed only when they happen to be YAML),
    // values files are plain YAML.
    if in_dir("templates") && (yaml || name.ends_with(".tpl")) {
        return FileKind::HelmTemplate;
    }
    if yaml && name.starts_with("values") {
        return FileKind::HelmValues;
    }
    match name {
        ".mcp.json"
        | "mcp.json"
        | "mcp_config.json"
        | "claude_desktop_config.json"
        | "cline_mcp_settings.json"
        | "mcp_settings.json" => return FileKind::McpConfig,
        "settings.json" if parent == ".gemini" => return FileKind::McpConfig,
        "config.toml" if parent == ".codex" => return FileKind::McpConfig,
        ".aider.conf.yml" | ".aider.conf.yaml" => return FileKind::AiderConfig,
        ".claude.json" => return FileKind::McpConfig,
        _ => {}
    }
    if parent == ".claude" && name.starts_with("settings") && ext == "json" {
        return FileKind::ClaudeSettings;
    }
    // Codex custom agents and profiles: `.codex/agents/reviewer.toml`.
    if ext == "toml" && in_dir(".codex") {
        return FileKind::McpConfig;
    }
    if matches!(ext, "sh" | "bash" | "zsh" | "ps1" | "bat" | "cmd" | "mk")
        || matches!(name, "makefile" | "gnumakefile" | "justfile")
    {
        return FileKind::Script;
    }
    if name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tofu") {
        return FileKind::Terraform;
    }
    if name.ends_with(".tf.json") || name.ends_with(".tfvars.json") {
        return FileKind::TerraformJson;
    }
    if name == "application_default_credentials.json"
        || name == "credentials.db" && parent == "gcloud"
    {
        return FileKind::GoogleCredentials;
    }
    match name {
        "kubeconfig" | ".kubeconfig" => return FileKind::Kubeconfig,
        "config" if parent == ".kube" => return FileKind::Kubeconfig,
        ".netrc" | "_netrc" | "netrc" => return FileKind::Netrc,
        ".git-credentials" | "git-credentials" => return FileKind::GitCredentials,
        "credentials" if parent == ".aws" => return FileKind::AwsCredentials,
        "config" if parent == ".aws" => return FileKind::AwsConfig,
        ".npmrc" | "npmrc" => return FileKind::Npmrc,
        ".pypirc" | "pypirc" => return FileKind::Pypirc,
        "config.json" if parent == ".docker" => return FileKind::DockerConfig,
        _ => {}
    }
    match ext {
        "yaml" | "yml" => FileKind::Yaml,
        "json" => FileKind::Json,
        "jsonc" => FileKind::Json,
        "toml" => FileKind::Toml,
        _ => FileKind::Text,
    }
}

/// JSON files that their tools read as JSON with comments and trailing commas
/// (TypeScript, VS Code, dev containers, Claude and Cursor settings): parsed as JSONC
/// whatever kind their content makes them. `path` is repository-relative, with `/`.
pub fn jsonc_by_name(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_dir =
        |dir: &str| lower.starts_with(&format!("{dir}/")) || lower.contains(&format!("/{dir}/"));
    if name.ends_with(".jsonc") {
        return true;
    }
    if !name.ends_with(".json") {
        return false;
    }
    (name.starts_with("tsconfig") || name.starts_with("jsconfig"))
        || matches!(
            name,
            "devcontainer.json" | ".devcontainer.json" | "launch.json" | ".eslintrc.json"
        )
        || in_dir(".vscode")
        || in_dir(".devcontainer")
        || in_dir(".claude")
        || in_dir(".cursor")
}

/// Refine a generic YAML/JSON classification with a cheap look at the content.
pub fn refine(kind: FileKind, text: &str) -> FileKind {
    match kind {
        // A file under `templates/` without a template action is whatever its content
        // says (a workflow template, a CloudFormation template, a plain manifest).
        FileKind::HelmTemplate if !has_template_action(text) => {
            match refine(FileKind::Yaml, text) {
                FileKind::Yaml => kind,
                other => other,
            }
        }
        FileKind::Yaml | FileKind::HelmValues => {
            if text.contains("AWSTemplateFormatVersion") || has_cfn_resource(text) {
                return FileKind::CloudFormation;
            }
            // Reusable workflow copies and templates kept outside `.github/workflows/`.
            if kind == FileKind::Yaml && is_workflow(text) {
                return FileKind::GithubWorkflow;
            }
            if kind == FileKind::Yaml && text.contains("apiVersion") && text.contains("kind") {
                if text.contains("kind: Config") && text.contains("clusters:") {
                    return FileKind::Kubeconfig;
                }
                return FileKind::Kubernetes;
            }
            kind
        }
        FileKind::Json => {
            if text.contains("AWSTemplateFormatVersion") || has_cfn_resource(text) {
                return FileKind::CloudFormation;
            }
            if json_type_is_google_credential(text) {
                return FileKind::GoogleCredentials;
            }
            if text.contains("\"mcpServers\"") {
                return FileKind::McpConfig;
            }
            if text.contains("\"Statement\"") {
                return FileKind::IamPolicy;
            }
            // Azure Resource Manager templates: their resources have `apiVersion` and
            // often `kind` too, but they are no Kubernetes manifests.
            if text.contains("eploymentTemplate.json#") {
                return kind;
            }
            if text.contains("\"apiVersion\"") && text.contains("\"kind\"") {
                return FileKind::Kubernetes;
            }
            kind
        }
        _ => kind,
    }
}

/// A Go template action (`{{ ... }}`), not a GitHub expression (`${{ ... }}`).
fn has_template_action(text: &str) -> bool {
    text.match_indices("{{")
        .any(|(i, _)| i == 0 || text.as_bytes()[i - 1] != b'$')
}

/// A GitHub Actions workflow by its top-level keys: `on:` (which YAML 1.1 tools write
/// `"on":` or `true:`) and `jobs:`, each at the start of a line.
fn is_workflow(text: &str) -> bool {
    let mut on = false;
    let mut jobs = false;
    for line in text.lines() {
        let key = line.split(':').next().unwrap_or("");
        if line.len() > key.len() {
            match key.trim_end() {
                "on" | "\"on\"" | "'on'" | "true" => on = true,
                "jobs" => jobs = true,
                _ => {}
            }
        }
        if on && jobs {
            return true;
        }
    }
    false
}

fn has_cfn_resource(text: &str) -> bool {
    // `Type: AWS::IAM::Role` (YAML) or `"Type": "AWS::IAM::Role"` (JSON).
    text.contains("Resources")
        && (text.contains("Type: AWS::")
            || text.contains("\"AWS::")
            || text.contains("Type: 'AWS::")
            || text.contains("Type: \"AWS::"))
}

fn json_type_is_google_credential(text: &str) -> bool {
    const TYPES: [&str; 5] = [
        "\"authorized_user\"",
        "\"service_account\"",
        "\"external_account\"",
        "\"external_account_authorized_user\"",
        "\"impersonated_service_account\"",
    ];
    text.contains("\"type\"") && TYPES.iter().any(|t| text.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_jsonc_files_by_name() {
        for p in [
            "tsconfig.json",
            "web/tsconfig.build.json",
            "jsconfig.json",
            ".devcontainer/devcontainer.json",
            ".devcontainer.json",
            ".vscode/settings.json",
            "app/.vscode/launch.json",
            ".claude/agents.json",
            "x.jsonc",
        ] {
            assert!(jsonc_by_name(p), "{p}");
        }
        for p in [
            "package.json",
            "policy.json",
            "vscode/settings.json",
            "tsconfig.yaml",
        ] {
            assert!(!jsonc_by_name(p), "{p}");
        }
    }

    #[test]
    fn names_and_paths() {
        let cases = [
            (".env", FileKind::Dotenv),
            ("svc/.env.production", FileKind::Dotenv),
            ("deploy/prod.env", FileKind::Dotenv),
            ("Dockerfile", FileKind::Dockerfile),
            ("agents/Containerfile", FileKind::Dockerfile),
            ("docker-compose.yml", FileKind::Compose),
            ("compose.yaml", FileKind::Compose),
            (".github/workflows/ci.yml", FileKind::GithubWorkflow),
            ("actions/setup/action.yml", FileKind::GithubAction),
            (".gitlab-ci.yml", FileKind::GitlabCi),
            (
                "charts/agent/templates/deployment.yaml",
                FileKind::HelmTemplate,
            ),
            ("charts/agent/values.yaml", FileKind::HelmValues),
            ("charts/agent/values-prod.yaml", FileKind::HelmValues),
            (".mcp.json", FileKind::McpConfig),
            (".cursor/mcp.json", FileKind::McpConfig),
            (".vscode/mcp.json", FileKind::McpConfig),
            (".kiro/settings/mcp.json", FileKind::McpConfig),
            ("claude_desktop_config.json", FileKind::McpConfig),
            (".codeium/windsurf/mcp_config.json", FileKind::McpConfig),
            (".codex/config.toml", FileKind::McpConfig),
            (".gemini/settings.json", FileKind::McpConfig),
            (".claude/settings.local.json", FileKind::ClaudeSettings),
            (".codex/agents/reviewer.toml", FileKind::McpConfig),
            (".aider.conf.yml", FileKind::AiderConfig),
            ("Makefile", FileKind::Script),
            ("scripts/run-agent.sh", FileKind::Script),
            ("tools/agent.ps1", FileKind::Script),
            ("infra/main.tf", FileKind::Terraform),
            ("infra/main.tf.json", FileKind::TerraformJson),
            (
                "gcloud/application_default_credentials.json",
                FileKind::GoogleCredentials,
            ),
            ("home/.kube/config", FileKind::Kubeconfig),
            (".netrc", FileKind::Netrc),
            (".git-credentials", FileKind::GitCredentials),
            ("home/.aws/credentials", FileKind::AwsCredentials),
            (".aws/config", FileKind::AwsConfig),
            (".npmrc", FileKind::Npmrc),
            (".pypirc", FileKind::Pypirc),
            (".docker/config.json", FileKind::DockerConfig),
            ("src/main.rs", FileKind::Text),
            ("conf/app.toml", FileKind::Toml),
        ];
        for (path, kind) in cases {
            assert_eq!(classify_path(path), kind, "{path}");
        }
    }

    #[test]
    fn content_refines_generic_files() {
        assert_eq!(
            refine(FileKind::Yaml, "apiVersion: apps/v1\nkind: Deployment\n"),
            FileKind::Kubernetes
        );
        assert_eq!(
            refine(FileKind::Yaml, "AWSTemplateFormatVersion: '2010-09-09'\n"),
            FileKind::CloudFormation
        );
        assert_eq!(
            refine(
                FileKind::Json,
                r#"{"type": "authorized_user", "client_id": "x"}"#
            ),
            FileKind::GoogleCredentials
        );
        assert_eq!(
            refine(
                FileKind::Json,
                r#"{"Version": "2012-10-17", "Statement": []}"#
            ),
            FileKind::IamPolicy
        );
        assert_eq!(refine(FileKind::Yaml, "name: x\n"), FileKind::Yaml);
        let workflow =
            "name: review\non:\n  pull_request:\njobs:\n  review:\n    runs-on: ubuntu-latest\n";
        assert_eq!(refine(FileKind::Yaml, workflow), FileKind::GithubWorkflow);
        assert_eq!(
            refine(FileKind::Yaml, "\"on\": push\njobs: {}\n"),
            FileKind::GithubWorkflow
        );
        // Indented keys belong to something else.
        assert_eq!(
            refine(FileKind::Yaml, "ci:\n  on: push\n  jobs: []\n"),
            FileKind::Yaml
        );
        assert_eq!(refine(FileKind::Yaml, "jobs:\n  a: 1\n"), FileKind::Yaml);
        // Under `templates/`: a workflow (with `${{ }}` expressions) is a workflow, a
        // file with template actions stays a Helm template.
        let templated = "on: push\njobs:\n  a:\n    env: { T: \"${{ secrets.T }}\" }\n";
        assert_eq!(
            refine(FileKind::HelmTemplate, templated),
            FileKind::GithubWorkflow
        );
        assert_eq!(
            refine(FileKind::HelmTemplate, "kind: Pod\nname: {{ .Values.x }}\n"),
            FileKind::HelmTemplate
        );
        assert_eq!(
            refine(FileKind::HelmTemplate, "apiVersion: v1\nkind: Pod\n"),
            FileKind::Kubernetes
        );
    }
}
