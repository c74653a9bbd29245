use crate::findings::{Confidence, Finding, Severity};
use crate::model::knowledge::Knowledge;
use crate::model::oauth::ScopeDeclaration;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;

declare_rule! {
    /// ## What it finds
    /// Declared OAuth scopes that grant everything: Google `cloud-platform`,
    /// `https://mail.google.com/`, full `drive`, Workspace `admin.directory.*`; GitHub
    /// classic scopes `repo`, `admin:*`, `delete_repo`, `write:packages`; Microsoft Graph
    /// `*.ReadWrite.All`, `Directory.*`, `.default`; Slack `admin*`. Read from values of
    /// keys named `scope`, `scopes`, `oauth_scopes`, `oauthScopes`, `*_SCOPES` (a list,
    /// or a string of space- or comma-separated scopes) in YAML, JSON, TOML, HCL and
    /// `.env` files: Terraform `service_account { scopes }` and GKE
    /// `node_config { oauth_scopes }`, Slack app manifests (`oauth_config.scopes.bot`
    /// and `.user`), MCP server `env` and `--scopes` arguments. Bare words such as
    /// `repo` count only where the key or a list of several scopes shows they are OAuth
    /// scopes. Read-only variants (`.readonly`) stay silent.
    ///
    /// ## Why it matters
    /// A scope is the ceiling of what a token can do. An agent holding `repo` can read
    /// and push to every private repository of the person who consented, and
    /// `cloud-platform` leaves only IAM between the agent and every Google Cloud API.
    /// A prompt injection inherits the whole ceiling, not the task.
    ///
    /// ## What to do instead
    /// Request the narrow scopes the task calls (`drive.file`, `gmail.readonly`,
    /// `read:org`, `chat:write`), or move to a GitHub App or a dedicated service
    /// account whose permissions are scoped to the resources the agent works on.
    ///
    /// ## Example
    /// ```yaml
    /// oauth_config:
    ///   scopes:
    ///     user: [admin, channels:history]
    /// ```
    /// Use instead `bot: [channels:history, chat:write]` with a bot token.
    pub(crate) struct BroadOauthScope {
        id: "broad-oauth-scope",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "A declared OAuth scope grants a whole account, tenant or cloud instead of what the task needs",
        applies_to: |kind| !matches!(
            kind,
            FileKind::Text | FileKind::Netrc | FileKind::GitCredentials | FileKind::Dockerfile
        ),
    }
}

impl Rule for BroadOauthScope {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        for declared in &cx.facts.written().oauth_scopes {
            report(cx, k, declared, out);
        }
    }
}

fn report(cx: &FileCx<'_>, k: &Knowledge, f: &ScopeDeclaration, out: &mut Vec<Finding>) {
    for declared in &f.scopes {
        let (scope, span) = (declared.text.as_str(), declared.span);
        let Some(broad) = k.broad_scope(scope) else {
            continue;
        };
        let bare = !scope.contains([':', '/', '.']);
        if bare && !f.oauth_context && f.scopes.len() < 2 {
            continue;
        }
        let consumer = if cx.file.kind == FileKind::McpConfig {
            Some("an MCP server an AI agent calls".to_owned())
        } else {
            cx.facts.workload_at(span).and_then(|w| {
                Some(format!(
                    "{}, which looks like an AI agent ({})",
                    w.name,
                    w.agent.as_deref()?
                ))
            })
        };
        let mut message = format!(
            "OAuth scope `{scope}` ({}) grants {}",
            broad.provider, broad.why
        );
        match &consumer {
            Some(c) => message.push_str(&format!(
                "; it is requested for {c}, so a prompt injection inherits all of it"
            )),
            None => message
                .push_str(": every token issued with it carries that reach, whatever the task"),
        }
        let mut b = cx
            .finding(&BroadOauthScope::META, span, message)
            .label(format!("broad {} scope", broad.provider))
            .help(match &broad.instead {
                Some(i) => format!("Request {i}."),
                None => "Request only the scopes the task calls.".to_owned(),
            })
            .key(format!("{}:{scope}", f.at));
        if bare {
            b = b.confidence(Confidence::Medium);
        }
        if consumer.is_some() {
            b = b.severity(Severity::Critical);
        }
        if let Some(w) = cx.facts.workload_at(span) {
            b = b.workload(&w.name);
        }
        out.push(b.build());
    }
}
