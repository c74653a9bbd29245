use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::findings::{Finding, Severity};
use crate::model::facts::github_secret_refs;
use crate::rules::{FileCx, Rule, RuleMeta};
use crate::syntax::doc::{Node, Value};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// A personal credential wired in by name, with no literal in the repository: an
    /// environment variable, secret or input whose name marks it as a person's token
    /// (`*_PERSONAL_ACCESS_TOKEN`, `*_PAT`, `*_USER_TOKEN`, `CLAUDE_CODE_OAUTH_TOKEN`)
    /// feeding a workload. For example `${{ secrets.JANE_PAT }}` passed to an agent
    /// action, `GITHUB_TOKEN=${GITHUB_PAT}` in an MCP server's env, `-e
    /// GITHUB_PERSONAL_ACCESS_TOKEN` passing the developer's own token into a container,
    /// or a Kubernetes `secretKeyRef` exposed as `GITLAB_PAT`.
    ///
    /// ## Why it matters
    /// The repository holds no secret, but the agent still runs as a person: whoever
    /// created the token. Its actions are attributed to them, it can reach everything
    /// they can, and it breaks (or keeps working) with their employment. Secret scanners
    /// cannot see this; the name is the evidence, so confidence is medium.
    ///
    /// ## What to do instead
    /// Give the agent a machine identity and name the secret after the agent: a GitHub
    /// App installation token minted per run (`actions/create-github-app-token`), a
    /// Slack bot token, an Anthropic API key owned by a workspace rather than a Claude
    /// subscription token.
    ///
    /// ## Example
    /// ```yaml
    /// - uses: anthropics/claude-code-action@v1
    ///   with:
    ///     github_token: ${{ secrets.JANE_PAT }}
    /// ```
    /// Use instead `github_token: ${{ steps.app-token.outputs.token }}` from
    /// `actions/create-github-app-token`.
    pub(crate) struct HumanTokenReference {
        id: "human-token-reference",
        family: BorrowedCredential,
        severity: High,
        confidence: Medium,
        summary: "A person's token is wired in by name (PAT, user token, Claude subscription token)",
    }
}

/// Whether a variable, secret or input name marks a person's credential.
pub(crate) fn is_personal_token_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace('-', "_");
    n == "PAT"
        || n.ends_with("_PAT")
        || n.starts_with("PAT_")
        || n.contains("_PAT_")
        || n.contains("PERSONAL_ACCESS_TOKEN")
        || n.contains("PERSONAL_TOKEN")
        || n.ends_with("USER_TOKEN")
        || n.contains("USER_ACCESS_TOKEN")
        || n.contains("USER_OAUTH_TOKEN")
        || n == "CLAUDE_CODE_OAUTH_TOKEN"
}

/// `${NAME}`, `${NAME:-default}`, `${env:NAME}` (VS Code) and `$NAME` references.
static ENV_REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::?[-=?+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{\{[^}]*?\benv\.([A-Za-z_][A-Za-z0-9_]*)").ok()
});

/// Every name a string refers to: shell/compose/VS Code variables and GitHub
/// `secrets.X`/`env.X` expressions.
fn referenced_names(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = github_secret_refs(text).collect();
    if let Some(re) = ENV_REF.as_ref() {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) {
                names.push(m.as_str());
            }
        }
    }
    names
}

fn is_reference(text: &str) -> bool {
    !referenced_names(text).is_empty()
}

impl Rule for HumanTokenReference {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let mut reported: HashSet<Span> = HashSet::new();
        let mut report = |span: Span, name: &str, how: String| {
            // A literal credential here is `human-token`'s finding.
            if cx
                .credentials
                .iter()
                .any(|m| span.start <= m.span.start && m.span.end <= span.end)
            {
                return;
            }
            if !reported.insert(span) {
                return;
            }
            let workload = cx.facts.workload_at(span);
            let subject = workload.map_or_else(|| format!("`{}`", cx.path), |w| w.name.clone());
            let agent = workload.and_then(|w| w.agent.as_deref());
            let mut message = format!(
                "{subject} {how}; `{name}` names a person's token, so it runs as that person"
            );
            if let Some(why) = agent {
                message.push_str(&format!(" (an AI agent: {why})"));
            }
            let mut b = cx
                .finding(&Self::META, span, message)
                .label(format!("`{name}`: a personal credential by its name"))
                .help("Give the agent a machine identity (a GitHub App installation token, a bot token, a workspace-owned API key) and name the secret after the agent.")
                .key(format!("{}:{name}", workload.map_or("", |w| w.name.as_str())));
            if let Some(w) = workload {
                b = b.workload(&w.name);
            }
            if agent.is_some() {
                b = b.severity(Severity::Critical);
            }
            out.push(b.build());
        };
        for doc in cx.documents() {
            doc.root.walk(|_, node| match &node.value {
                Value::Scalar(s) => {
                    for name in referenced_names(&s.text) {
                        if is_personal_token_name(name) {
                            report(node.span, name, format!("is fed from `{name}`"));
                        }
                    }
                }
                Value::Map(entries) => {
                    for e in entries {
                        let Some(key) = e.key_str() else { continue };
                        // `NAME=` with no value inherits the variable from whoever runs
                        // it: the developer's own token.
                        if is_personal_token_name(key)
                            && (e.value.is_null() || e.value.as_text() == Some(""))
                        {
                            report(
                                e.key.span,
                                key,
                                format!("inherits `{key}` from the environment of whoever runs it"),
                            );
                        }
                    }
                    // Kubernetes `env: [{name: GITLAB_PAT, valueFrom: {secretKeyRef: ...}}]`.
                    if let (Some(name), Some(_)) = (node.get("name"), node.get("valueFrom"))
                        && let Some(text) = name.as_str()
                        && is_personal_token_name(text)
                    {
                        report(
                            name.span,
                            text,
                            format!("receives `{text}` from a Kubernetes secret"),
                        );
                    }
                }
                Value::Seq(items) => docker_env_passthrough(items, &mut report),
                Value::Alias(_) => {}
            });
        }
    }
}

/// `docker run -e NAME` (and `--env NAME`) without a value passes the host's variable
/// into the container: in an MCP config, the developer's token.
fn docker_env_passthrough(items: &[Node], report: &mut impl FnMut(Span, &str, String)) {
    let mut prev_is_flag = false;
    for item in items {
        let Some(text) = item.as_str() else {
            prev_is_flag = false;
            continue;
        };
        let candidate =
            text.strip_prefix("--env=")
                .or(if prev_is_flag { Some(text) } else { None });
        if let Some(name) = candidate
            && !name.contains('=')
            && !is_reference(name)
            && is_personal_token_name(name)
        {
            report(
                item.span,
                name,
                format!("passes the host's `{name}` into its container"),
            );
        }
        prev_is_flag = text == "-e" || text == "--env";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_names() {
        for n in [
            "GITHUB_PAT",
            "GH_PAT",
            "JANE_PAT",
            "pat",
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "SLACK_USER_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "gitlab-pat",
        ] {
            assert!(is_personal_token_name(n), "{n}");
        }
        for n in [
            "GITHUB_TOKEN",
            "PATH",
            "PATTERN",
            "SLACK_BOT_TOKEN",
            "ANTHROPIC_API_KEY",
            "COMPAT_MODE",
            "APP_TOKEN",
        ] {
            assert!(!is_personal_token_name(n), "{n}");
        }
    }

    #[test]
    fn references() {
        assert_eq!(
            referenced_names("${{ secrets.JANE_PAT }}"),
            vec!["JANE_PAT"]
        );
        assert_eq!(referenced_names("${GITHUB_PAT:-}"), vec!["GITHUB_PAT"]);
        assert_eq!(referenced_names("${env:GH_PAT}"), vec!["GH_PAT"]);
        assert_eq!(referenced_names("Bearer $TOKEN"), vec!["TOKEN"]);
        assert_eq!(referenced_names("${{ env.USER_PAT }}"), vec!["USER_PAT"]);
        assert!(referenced_names("plain text").is_empty());
    }
}
