use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::agent::AgentSignals;
use crate::model::people::{bot_identity, personal_login};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::node_at;
use crate::syntax::doc::{Node, PathSeg};
use crate::syntax::shell::shell_words;

declare_rule! {
    /// ## What it finds
    /// A job, workload or agent image that commits, comments or calls APIs under a
    /// person's name:
    ///
    /// - `git config [--global] user.email <person>` / `user.name "<First Last>"`,
    ///   `git -c user.email=<person>`, `git commit --author=<person>` in workflow `run:`
    ///   scripts, GitLab `script:`, container commands and args, Dockerfile `RUN`;
    /// - `GIT_AUTHOR_EMAIL`, `GIT_COMMITTER_EMAIL`, `GIT_AUTHOR_NAME`,
    ///   `GIT_COMMITTER_NAME` set to a person in any environment (workflow, Kubernetes,
    ///   compose, MCP server, Dockerfile `ENV`, `.env`), and `author`/`committer`
    ///   inputs of workflow actions;
    /// - `kubectl --as=<person>` / `--as-group=<group>` and `Impersonate-User` headers
    ///   in scripts, MCP server args and headers, and container args.
    ///
    /// A person is an address at a consumer mail provider or a person-shaped address or
    /// login (see `personal-identity`), or a `First Last` name. Bot identities are never
    /// people: GitHub Actions' own (`actions@github.com`, `github-actions[bot]`), any
    /// `[bot]` account and `*[bot]@users.noreply.github.com` address, `noreply@…`
    /// senders, `*-bot@…` mailboxes, Dependabot, Renovate and other automation; neither
    /// are service accounts, automation names (`Docs Publisher`, `Nightly Sync`) and
    /// `${{ ... }}` expressions. The finding is high when the job or workload runs an
    /// AI agent (the message says why it is one), medium otherwise.
    ///
    /// Agent harness settings count too: Claude Code settings whose `env` sets the git
    /// author to a person, shell scripts and Makefiles that set `git config user.email`
    /// to a person and start an agent, and, at low severity, settings that turn off the
    /// attribution the harness adds to the agent's commits (`includeCoAuthoredBy:
    /// false`, `attribution.commit: ""`).
    ///
    /// ## Why it matters
    /// The history says a person did what the agent did: commits, reviews and API calls
    /// carry their name, audit logs and blame point at them, and nobody can later tell
    /// the agent's changes from theirs. Impersonation also gives the agent that
    /// person's rights.
    ///
    /// ## What to do instead
    /// Give the agent its own identity and let it act as itself: commit as a bot
    /// (`triage-agent[bot]` with its noreply address, or a GitHub App), call Kubernetes
    /// with the agent's own service account, and record the requesting person as a
    /// trailer or annotation (`Co-authored-by:`), not as the author.
    ///
    /// ## Example
    /// ```yaml
    /// - run: |
    ///     git config --global user.email jane.doe@gmail.com
    ///     git commit -am "agent fixes"
    /// ```
    /// Use instead `git config user.email "41898282+github-actions[bot]@users.noreply.github.com"`
    /// or a GitHub App's bot identity.
    pub(crate) struct AgentActsAsPerson {
        id: "agent-acts-as-person",
        family: AuditTrail,
        severity: High,
        confidence: Medium,
        summary: "An agent commits, comments or calls APIs under a person's name",
        applies_to: |kind| matches!(
            kind,
            FileKind::GithubWorkflow
                | FileKind::GithubAction
                | FileKind::GitlabCi
                | FileKind::Kubernetes
                | FileKind::HelmTemplate
                | FileKind::Compose
                | FileKind::McpConfig
                | FileKind::Dockerfile
                | FileKind::Dotenv
                | FileKind::ClaudeSettings
                | FileKind::Script
        ),
    }
}

const HELP: &str = "Let the agent act as itself: commit as a bot identity (a GitHub App or `<agent>[bot]` noreply address), call APIs with its own account, and name the requesting person in a trailer, not as the actor.";

/// Keys whose values are commands or command words.
const COMMAND_KEYS: &[&str] = &[
    "run",
    "script",
    "before_script",
    "after_script",
    "command",
    "args",
    "entrypoint",
    "RUN",
    "CMD",
    "ENTRYPOINT",
];

/// Environment variables git takes its author and committer from.
const GIT_VARS: &[&str] = &[
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_EMAIL",
    "GIT_AUTHOR_NAME",
    "GIT_COMMITTER_NAME",
];

/// What the actor does under the person's name.
#[derive(Clone, Copy)]
enum Act {
    Commits,
    KubeUser,
    KubeGroup,
    Impersonates,
}

struct Hit<'a> {
    node: &'a Node,
    value: String,
    act: Act,
    confidence: Confidence,
    how: String,
}

impl Rule for AgentActsAsPerson {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        attribution_off(cx, out);
        let mut hits = Vec::new();
        for doc in cx.documents() {
            doc.root
                .walk(|path, node| collect(&doc.root, path, node, &mut hits));
        }
        // A script is read as text: only one that starts an agent is the agent's.
        let script = (cx.file.kind == FileKind::Script && !cx.facts.harness.agents.is_empty())
            .then(|| {
                let text = cx.file.text();
                Node::scalar(
                    crate::syntax::source::Span::new(0, text.len()),
                    text,
                    crate::syntax::doc::ScalarKind::Str,
                )
            });
        if let Some(node) = &script {
            if let Some(text) = node.as_str() {
                scan_words(node, &words_of(text), &mut hits);
            }
        }
        let script_agent = cx.facts.harness.agents.first().map(|a| {
            let name = crate::model::harness::HarnessKnowledge::builtin()
                .map_or(a.harness.as_str(), |k| k.harness_name(&a.harness));
            format!("the script starts {name}")
        });
        let agent_image = if cx.file.kind == FileKind::Dockerfile {
            agent_image(cx)
        } else {
            None
        };
        let mut seen = Vec::new();
        for hit in hits {
            let span = cx.span_within(hit.node, &hit.value);
            if seen.contains(&span) {
                continue;
            }
            seen.push(span);
            let workload = cx.facts.workload_at(span);
            let agent = workload
                .and_then(|w| w.agent.clone())
                .or_else(|| agent_image.clone())
                .or_else(|| script_agent.clone());
            let subject = match (workload, cx.file.kind) {
                (Some(w), _) => w.name.clone(),
                (None, FileKind::Dockerfile) => "this image".to_owned(),
                (None, FileKind::Script) => "this script".to_owned(),
                (None, FileKind::Dotenv) => "whatever loads this environment".to_owned(),
                (None, _) => "this configuration".to_owned(),
            };
            let value = &hit.value;
            let how = &hit.how;
            let mut message = match hit.act {
                Act::Commits => format!(
                    "{subject} commits as `{value}` ({how}), a person: the history credits them with what it does, and nobody can tell its changes from theirs"
                ),
                Act::KubeUser => format!(
                    "{subject} calls the Kubernetes API as `{value}` ({how}), a person: the audit log names them and the call runs with their rights"
                ),
                Act::KubeGroup => format!(
                    "{subject} calls the Kubernetes API as group `{value}` ({how}), a group of people: the call runs with their rights and is logged as theirs"
                ),
                Act::Impersonates => format!(
                    "{subject} impersonates `{value}` ({how}), a person: the audit log names them and the call runs with their rights"
                ),
            };
            if let Some(why) = &agent {
                message.push_str(&format!("; it runs an AI agent ({why})"));
            }
            let mut b = cx
                .finding(&AgentActsAsPerson::META, span, message)
                .label("a person's identity")
                .help(HELP)
                .confidence(hit.confidence)
                .evidence(Redacted::plain(value.clone()))
                .key(format!("{subject}:{how}:{value}"));
            if let Some(w) = workload {
                b = b.workload(&w.name);
            }
            if agent.is_none() {
                b = b.severity(Severity::Medium);
            }
            out.push(b.build());
        }
    }
}

/// Harness settings that remove the agent's name from its commits.
fn attribution_off(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for a in cx
        .facts
        .harness
        .agents
        .iter()
        .filter(|a| *a.path == **cx.path)
    {
        for s in &a.attribution_off {
            out.push(
                cx.finding(
                    &AgentActsAsPerson::META,
                    s.span,
                    format!(
                        "{} turns off the attribution its harness adds to commits ({}): the agent's commits carry only the name of the person who runs it, and nobody can tell its changes from theirs",
                        a.workload, s.text
                    ),
                )
                .label("attribution off")
                .help("Keep the harness's commit attribution on (`includeCoAuthoredBy: true`, or an `attribution.commit` trailer naming the agent), so the history tells the agent's commits from the person's.")
                .severity(Severity::Low)
                .confidence(Confidence::High)
                .workload(&a.workload)
                .key(format!("{}:attribution:{}", a.group, s.text))
                .build(),
            );
        }
    }
}

fn collect<'a>(root: &'a Node, path: &[PathSeg<'_>], node: &'a Node, hits: &mut Vec<Hit<'a>>) {
    let key = match path.last() {
        Some(PathSeg::Key(k)) => Some(*k),
        _ => None,
    };
    if let Some(k) = key
        && COMMAND_KEYS.contains(&k)
    {
        if let Some(text) = node.as_str() {
            scan_words(node, &words_of(text), hits);
        } else if node.is_seq() {
            // A list of arguments, or of script lines (`sh -c "..."`, GitLab `script:`).
            let mut words: Vec<(String, &Node)> = Vec::new();
            for item in node.items() {
                let Some(t) = item.as_str() else { continue };
                words.extend(shell_words(t).into_iter().map(|w| (w.text, item)));
            }
            scan_list(&words, hits);
        }
        return;
    }
    let Some(text) = node.as_str() else { return };
    let (var, value) = match (key, path) {
        // Kubernetes `env: [{ name: GIT_AUTHOR_EMAIL, value: ... }]`
        (Some("value"), [.., PathSeg::Key("env"), PathSeg::Index(_), _]) => (
            node_at(root, &path[..path.len() - 1])
                .and_then(|item| item.get("name"))
                .and_then(Node::as_str),
            text,
        ),
        (Some(k), _) => (Some(k), text),
        // Compose `environment: [GIT_AUTHOR_EMAIL=...]`
        (None, _) => match text.split_once('=') {
            Some((k, v)) if GIT_VARS.contains(&k) => (Some(k), v),
            _ => (None, text),
        },
    };
    let Some(var) = var else { return };
    if GIT_VARS.contains(&var) {
        person(node, value, Act::Commits, format!("`{var}`"), hits);
    } else if var.eq_ignore_ascii_case("Impersonate-User") {
        person(
            node,
            value,
            Act::Impersonates,
            "`Impersonate-User` header".to_owned(),
            hits,
        );
    } else if matches!(path, [.., PathSeg::Key("with"), PathSeg::Key(_)]) {
        let lower = var.to_ascii_lowercase();
        if [
            "author",
            "committer",
            "user_email",
            "user-email",
            "user_name",
        ]
        .iter()
        .any(|k| lower.contains(k))
        {
            person(
                node,
                value,
                Act::Commits,
                format!("action input `{var}`"),
                hits,
            );
        }
    }
}

fn words_of(text: &str) -> Vec<String> {
    shell_words(text).into_iter().map(|w| w.text).collect()
}

fn scan_words<'a>(node: &'a Node, words: &[String], hits: &mut Vec<Hit<'a>>) {
    let list: Vec<(String, &Node)> = words.iter().map(|w| (w.clone(), node)).collect();
    scan_list(&list, hits);
}

/// Find identities in a command's words: git author settings, kubectl impersonation,
/// `Impersonate-User` headers.
fn scan_list<'a>(words: &[(String, &'a Node)], hits: &mut Vec<Hit<'a>>) {
    // Whether the current command, before the word at hand, named `git` and `config`:
    // kept as the walk goes, so a long command line is not rescanned at every word.
    let (mut git, mut config) = (false, false);
    for (i, (w, node)) in words.iter().enumerate() {
        if w == ";" {
            (git, config) = (false, false);
            continue;
        }
        let (seen_git, seen_config) = (git, config);
        let base = w.rsplit('/').next().unwrap_or(w);
        git |= base == "git";
        config |= base == "config";
        let has = |name: &str| match name {
            "git" => seen_git,
            "config" => seen_config,
            _ => false,
        };
        let next = words.get(i + 1).filter(|(n, _)| n != ";");
        // `git config user.email X`, `git -c user.email=X`
        if has("git") {
            for setting in ["user.email", "user.name"] {
                if w == setting && has("config") {
                    if let Some((v, n)) = next {
                        person(n, v, Act::Commits, format!("`git config {setting}`"), hits);
                    }
                } else if let Some(v) = w.strip_prefix(&format!("{setting}=")) {
                    person(node, v, Act::Commits, format!("`git -c {setting}`"), hits);
                }
            }
            if let Some(v) = w.strip_prefix("--author=") {
                person(
                    node,
                    v,
                    Act::Commits,
                    "`git commit --author`".to_owned(),
                    hits,
                );
            } else if w == "--author"
                && let Some((v, n)) = next
            {
                person(n, v, Act::Commits, "`git commit --author`".to_owned(), hits);
            }
        }
        if let Some((var, v)) = w.split_once('=')
            && GIT_VARS.contains(&var)
        {
            person(node, v, Act::Commits, format!("`{var}`"), hits);
        }
        for (flag, act) in [("--as", Act::KubeUser), ("--as-group", Act::KubeGroup)] {
            let how = format!("`{flag}`");
            if let Some(v) = w.strip_prefix(&format!("{flag}=")) {
                person(node, v, act, how, hits);
            } else if w == flag
                && let Some((v, n)) = next
            {
                person(n, v, act, how, hits);
            }
        }
        const HEADER: &str = "impersonate-user";
        if w.len() > HEADER.len()
            && w.as_bytes()[..HEADER.len()].eq_ignore_ascii_case(HEADER.as_bytes())
            && let Some(v) = w[HEADER.len()..].trim_start().strip_prefix(':')
        {
            let how = "`Impersonate-User` header".to_owned();
            let v = v.trim();
            if v.is_empty() {
                if let Some((v, n)) = next {
                    person(n, v, Act::Impersonates, how, hits);
                }
            } else {
                person(node, v, Act::Impersonates, how, hits);
            }
        }
    }
}

/// Record `value` if it names a person (or, for `--as-group`, a group of people).
fn person<'a>(node: &'a Node, value: &str, act: Act, how: String, hits: &mut Vec<Hit<'a>>) {
    let value = value.trim().trim_matches(['"', '\'', ',', '[', ']']);
    let confidence = match act {
        Act::KubeGroup => {
            // `system:` groups are Kubernetes' own (nodes, service accounts, masters).
            (!value.is_empty()
                && !value.starts_with("system:")
                && !value.contains(['$', '{'])
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)))
            .then_some(Confidence::Low)
        }
        // A bot's identity is nobody's: acting as `github-actions[bot]` or Renovate is
        // what automation should do.
        _ if bot_identity(value).is_some() => None,
        _ => personal_login(value).or_else(|| person_name(value).then_some(Confidence::Medium)),
    };
    if let Some(confidence) = confidence {
        hits.push(Hit {
            node,
            value: value.to_owned(),
            act,
            confidence,
            how,
        });
    }
}

/// `Jane Doe`, `Marie-Claire O'Neil`: two to four capitalised words of letters, none
/// of them a word bots and services are named with.
fn person_name(text: &str) -> bool {
    const NOT_PEOPLE: &[&str] = &[
        "bot",
        "bots",
        "github",
        "gitlab",
        "actions",
        "action",
        "ci",
        "cd",
        "agent",
        "claude",
        "copilot",
        "codex",
        "gemini",
        "aider",
        "automation",
        "automated",
        "build",
        "builder",
        "release",
        "deploy",
        "deployer",
        "dependabot",
        "renovate",
        "service",
        "team",
        "admin",
        "system",
        "runner",
        "jenkins",
        "pipeline",
        "workflow",
        "robot",
        "user",
        "your",
        "name",
        "first",
        "last",
        "auto",
        "automatic",
        "update",
        "updater",
        "updates",
        "publisher",
        "publish",
        "docs",
        "pages",
        "sync",
        "manager",
        "version",
        "changelog",
        "merge",
        "bump",
        "nightly",
        "scheduled",
        "cron",
        "mirror",
        "translation",
        "translations",
        "formatter",
        "lint",
        "linter",
        "dependency",
        "dependencies",
        "security",
        "maintainer",
        "maintainers",
        "actions-user",
        "releaser",
        "tag",
        "tagger",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && text.len() <= 60
        && !text.contains("[bot]")
        && words.iter().all(|w| {
            let mut chars = w.chars();
            chars.next().is_some_and(char::is_uppercase)
                && chars.all(|c| c.is_alphabetic() || "'-.".contains(c))
                && !NOT_PEOPLE.contains(&w.to_lowercase().as_str())
        })
}

/// Why a Dockerfile builds an agent image, from what it builds on and installs: an
/// agent framework's or MCP server's base image, an agent package or CLI installed, a
/// model provider's key set. Its path or a base image's name alone says nothing.
fn agent_image(cx: &FileCx<'_>) -> Option<String> {
    let mut signals = AgentSignals::default();
    for doc in cx.documents() {
        for from in doc.root.get_all("FROM") {
            if let Some(image) = from.as_text().and_then(|t| t.split_whitespace().next()) {
                signals.image(image);
            }
        }
        for env in doc.root.get_all("ENV") {
            for e in env.entries() {
                if let Some(k) = e.key_str() {
                    signals.env_var(k, false);
                }
            }
        }
        for run in doc.root.get_all("RUN") {
            if let Some(text) = run.as_text() {
                let words = words_of(text);
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                signals.command(&words);
            }
        }
    }
    signals
        .decide()
        .map(|why| format!("it builds an agent image: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_people_and_of_bots() {
        for n in ["Jane Doe", "Marie-Claire O'Neil", "José María Pérez"] {
            assert!(person_name(n), "{n}");
        }
        for n in [
            "github-actions[bot]",
            "GitHub Actions",
            "Claude Agent",
            "Release Bot",
            "jane doe",
            "Jane",
            "Your Name",
            "${{ github.actor }}",
            "Docs Publisher",
            "Auto Update",
            "Nightly Sync",
        ] {
            assert!(!person_name(n), "{n}");
        }
    }

    #[test]
    fn hostile_text_never_panics() {
        let pieces = [
            "Impersonate-User",
            ":",
            "--as",
            "=",
            "git",
            "config",
            "user.email",
            "é",
            "\"",
            "'",
            "\\",
            ";",
            " ",
            "日本",
            "\u{202e}",
        ];
        let node = Node::scalar(
            crate::syntax::source::Span::default(),
            "",
            crate::syntax::doc::ScalarKind::Str,
        );
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let t = format!("{a}{b}{c}");
                    let words: Vec<(String, &Node)> = shell_words(&t)
                        .into_iter()
                        .map(|w| (w.text, &node))
                        .collect();
                    let mut hits = Vec::new();
                    scan_list(&words, &mut hits);
                    let _ = person_name(&t);
                }
            }
        }
    }
}
