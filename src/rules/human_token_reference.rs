use std::collections::BTreeMap;

use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::catalog::{Catalog, is_placeholder, shannon_entropy};
use crate::model::extract::refs::{RefKind, references};
use crate::model::facts::{AskSource, CredentialAsk};
use crate::model::names::{NameRule, credential_like, name_parts};
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Node, PathSeg, Value};
use crate::syntax::shell::shell_words;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// A person's credential wired in by name, whatever the value next to it. The
    /// names come from one table in `rules/credentials.toml` (`[[person_name]]`, each
    /// entry with its reason): name parts (`PERSONAL`, `PAT`, `USER_TOKEN`, `XOXP`,
    /// `XOXC`, `XOXD`, `SESSION_TOKEN`, `COOKIE`, `REFRESH_TOKEN`, `OAUTH_TOKEN` of user
    /// flows), vendor names whose only token kind is a person's
    /// (`SUPABASE_ACCESS_TOKEN`, `FIGMA_API_KEY`, `LINEAR_API_KEY`, `HF_TOKEN`,
    /// `CLAUDE_CODE_OAUTH_TOKEN`, `VERCEL_TOKEN`, ...), flags of known servers
    /// (`--access-token` of the Supabase MCP server), prompt descriptions ("GitHub
    /// Personal Access Token") and pairs (an email in `JIRA_USERNAME` next to
    /// `JIRA_API_TOKEN`). It reports:
    ///
    /// - a reference that feeds a workload such a credential: `${{ secrets.JANE_PAT }}`
    ///   passed to an agent action, `GITHUB_TOKEN=${GITHUB_PAT}` in an MCP server's env,
    ///   `Authorization: Bearer ${input:github_mcp_pat}`, `${user_config.token}` whose
    ///   prompt asks for a personal token, a Kubernetes `secretKeyRef` exposed as
    ///   `GITLAB_PAT`, `-e GITHUB_PERSONAL_ACCESS_TOKEN` passing the host's token into a
    ///   container;
    /// - a placeholder or an empty value under such a name
    ///   (`"GITHUB_PERSONAL_ACCESS_TOKEN": "YOUR_GITHUB_TOKEN"`), at low confidence: the
    ///   committed config asks every user for their own token;
    /// - a literal value under such a name whose format the catalog does not know;
    /// - manifests that make every user hand a server their personal token: MCP
    ///   registry `server.json` (`environmentVariables`, arguments, `headers`),
    ///   desktop-extension `manifest.json` and plugin `userConfig`, Smithery
    ///   `configSchema` (also a username with a password: the user's own login), and
    ///   `.env` templates (`.env.example`, `.env.sample`, `.env.dist`,
    ///   `.env.template`).
    ///
    /// A credential that reaches one workload through several lines (a job's `env`, a
    /// step's input, a value written to `$GITHUB_ENV` or `$GITHUB_OUTPUT` and read by
    /// later steps) is one finding, with the other places as related locations.
    ///
    /// ## Why it matters
    /// The repository holds no secret, but the agent still runs as a person: whoever
    /// created the token. Its actions are attributed to them, it can reach everything
    /// they can, and it breaks (or keeps working) with their employment. A server that
    /// asks every user for a personal token makes each installation run as that user.
    /// Secret scanners cannot see this; the name is the evidence, so confidence is
    /// medium (low for placeholders and templates).
    ///
    /// ## What to do instead
    /// Give the agent a machine identity and name the secret after the agent: a GitHub
    /// App installation token minted per run (`actions/create-github-app-token`), a
    /// Slack bot token, an Anthropic API key owned by a workspace rather than a Claude
    /// subscription token. For a server that acts for its users, sign them in with
    /// OAuth (the MCP authorization flow) or give it an app or bot identity.
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
        summary: "A person's token is wired in by name, reference, placeholder or manifest (PAT, user token, session, subscription token)",
    }
}

/// Keys whose value is a set of environment variables or headers.
const ENV_CONTAINERS: &[&str] = &[
    "env",
    "environment",
    "variables",
    "environment_variables",
    "env_vars",
    "headers",
    "secrets",
    "with",
];

/// How a person's credential reaches the file, strongest evidence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum How {
    Manifest,
    Literal,
    Pair,
    Reference,
    Prompted,
    Flag,
    Passthrough,
    Inherited,
    Template,
    Placeholder,
}

impl How {
    fn confidence(self) -> Confidence {
        match self {
            How::Template | How::Placeholder => Confidence::Low,
            _ => Confidence::Medium,
        }
    }

    /// Whether an AI agent holding it raises the severity (it runs as the person now,
    /// not only asks for their token).
    fn raised_by_agent(self) -> bool {
        !matches!(self, How::Manifest | How::Template | How::Placeholder)
    }
}

/// One place a person's credential shows up.
struct Hit<'c> {
    span: Span,
    /// The name the credential goes by (groups the places of one credential).
    name: String,
    entry: &'c NameRule,
    how: How,
    /// What the subject does with it ("is fed from `JANE_PAT`").
    detail: String,
    related: Vec<(Span, String)>,
    /// Grouped per file rather than per workload (manifest asks and the references to
    /// them).
    file_level: bool,
    /// A literal value to mask: its span.
    secret: Option<Span>,
    confidence: Option<Confidence>,
}

impl<'c> Hit<'c> {
    fn new(span: Span, name: &str, entry: &'c NameRule, how: How, detail: String) -> Self {
        Self {
            span,
            name: name.to_owned(),
            entry,
            how,
            detail,
            related: Vec::new(),
            file_level: false,
            secret: None,
            confidence: None,
        }
    }
}

impl Rule for HumanTokenReference {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let catalog = cx.catalog;
        let mut hits: Vec<Hit<'_>> = Vec::new();
        let template = cx.file.kind == FileKind::Dotenv
            && crate::model::extract::asks::is_env_template(cx.path);
        for doc in cx.documents() {
            doc.root.walk(|path, node| match &node.value {
                Value::Scalar(s) => scalar(cx, path, node, &s.text, &mut hits),
                Value::Map(_) => {
                    let contained = env_context(cx.file.kind, path);
                    for (name, name_node, value) in env_entries(node) {
                        entry(
                            cx,
                            contained && !template,
                            name,
                            name_node,
                            value,
                            &mut hits,
                        );
                    }
                    pairs(catalog, template, node, &mut hits);
                    k8s_value_from(catalog, node, &mut hits);
                }
                Value::Seq(items) => {
                    docker_env_passthrough(catalog, items, &mut hits);
                    let words: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
                    flags(cx, items.iter().map(|n| (n, n.as_str())), &words, &mut hits);
                    pairs(catalog, template, node, &mut hits);
                }
                Value::Alias(_) => {}
            });
        }
        asks(cx, &mut hits);
        report(cx, hits, out);
    }
}

/// The file kinds whose maps are environments, or a key that says so.
fn env_context(kind: FileKind, path: &[PathSeg<'_>]) -> bool {
    use FileKind::*;
    matches!(
        kind,
        McpConfig
            | ClaudeSettings
            | Dotenv
            | Compose
            | Kubernetes
            | HelmValues
            | HelmTemplate
            | GithubWorkflow
            | GithubAction
            | GitlabCi
            | Dockerfile
    ) || path
        .iter()
        .any(|seg| matches!(seg, PathSeg::Key(k) if ENV_CONTAINERS.contains(&k.to_ascii_lowercase().as_str())))
}

/// `NAME: value` pairs of a map, and `{name: NAME, value: v}` items of a Kubernetes
/// `env` list (one item at a time).
fn env_entries(node: &Node) -> Vec<(&str, &Node, Option<&Node>)> {
    if let (Some(name_node), Some(_)) = (node.get("name"), node.get("value"))
        && let Some(name) = name_node.as_str()
        && node.entries().len() <= 3
    {
        return vec![(name, name_node, node.get("value"))];
    }
    node.entries()
        .iter()
        .filter_map(|e| Some((e.key_str()?, &e.key, Some(&e.value))))
        .collect()
}

/// A value standing in for a secret someone has yet to fill in.
fn placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    v.is_empty()
        || is_placeholder(v)
        || v.ends_with("...")
        || v.ends_with('…')
        || v.to_ascii_lowercase().contains("xxx")
}

/// References inside a string: to a personal name, to a prompt whose id or
/// description names a personal token, and literal flags of known servers inside a
/// command line.
fn scalar<'c>(
    cx: &FileCx<'c>,
    path: &[PathSeg<'_>],
    node: &Node,
    text: &str,
    hits: &mut Vec<Hit<'c>>,
) {
    let catalog = cx.catalog;
    for r in references(text) {
        match r.kind {
            RefKind::Secret | RefKind::Env => {
                if let Some(entry) = catalog.personal_name(r.name) {
                    // In a script, point at the line that uses it.
                    let span = if text.contains('\n') {
                        cx.span_within(node, r.name)
                    } else {
                        node.span
                    };
                    hits.push(Hit::new(
                        span,
                        r.name,
                        entry,
                        How::Reference,
                        format!("is fed from `{}`", r.name),
                    ));
                }
            }
            RefKind::Input | RefKind::UserConfig => {
                if let Some(ask) = cx.facts.asks.iter().find(|a| {
                    a.name == r.name && matches!(a.source, AskSource::Input | AskSource::Extension)
                }) && let Some(entry) = ask_entry(catalog, ask)
                {
                    let mut hit = Hit::new(
                        node.span,
                        r.name,
                        entry,
                        How::Prompted,
                        format!(
                            "takes `{}` from a prompt{} that asks each user for {}",
                            r.name,
                            quoted_description(ask),
                            entry.credential
                        ),
                    );
                    hit.related.push((ask.span, "the prompt".into()));
                    hit.file_level = ask.source == AskSource::Extension;
                    hits.push(hit);
                }
            }
            RefKind::StepOutput => {}
        }
    }
    // A command line written as one string (`command: "npx ... --access-token X"`).
    let key = match path.last() {
        Some(PathSeg::Key(k)) => *k,
        _ => "",
    };
    if matches!(key, "command" | "args" | "entrypoint" | "run" | "script") && text.contains("--") {
        let words = shell_words(text);
        let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        flags(cx, texts.iter().map(|t| (node, Some(*t))), &texts, hits);
    }
}

/// ` ("GitHub Personal Access Token")` when the ask has a description.
fn quoted_description(ask: &CredentialAsk) -> String {
    let d = ask.description.trim();
    if d.is_empty() {
        String::new()
    } else {
        format!(" (\"{}\")", d.chars().take(80).collect::<String>())
    }
}

/// The names-table entry that makes an ask a person's credential: its name, the
/// variables it is passed as, or its description.
fn ask_entry<'c>(catalog: &'c Catalog, ask: &CredentialAsk) -> Option<&'c NameRule> {
    catalog
        .personal_name(&ask.name)
        .or_else(|| ask.aliases.iter().find_map(|a| catalog.personal_name(a)))
        .or_else(|| {
            ask.name
                .starts_with('-')
                .then(|| catalog.personal_flag(&ask.name, &[ask.server.as_str()]))
                .flatten()
        })
        .or_else(|| catalog.personal_phrase(&ask.description))
}

/// One `NAME: value` of an environment.
fn entry<'c>(
    cx: &FileCx<'c>,
    contained: bool,
    name: &str,
    name_node: &Node,
    value: Option<&Node>,
    hits: &mut Vec<Hit<'c>>,
) {
    let Some(entry) = cx.catalog.personal_name(name) else {
        return;
    };
    let text = value.and_then(Node::as_text);
    // `NAME:` with no value (compose, Kubernetes) inherits the variable from whoever
    // runs it; an empty string is a blank for each user to fill in.
    if value.is_none_or(Node::is_null) || text == Some("") {
        let how = if value.is_none_or(Node::is_null) && cx.file.kind != FileKind::Dotenv {
            How::Inherited
        } else {
            How::Placeholder
        };
        let detail = if how == How::Inherited {
            format!("inherits `{name}` from the environment of whoever runs it")
        } else {
            format!("leaves `{name}` empty for each user to fill in")
        };
        hits.push(Hit::new(name_node.span, name, entry, how, detail));
        return;
    }
    let (Some(value), Some(text)) = (value, text) else {
        return;
    };
    // A reference is judged by the name it refers to (see `scalar`): a personal slot
    // filled from `${AGENT_APP_TOKEN}` holds the agent's token.
    if !references(text).is_empty() {
        return;
    }
    if !contained || !credential_like(name) {
        return;
    }
    if placeholder(text) {
        hits.push(Hit::new(
            value.span,
            name,
            entry,
            How::Placeholder,
            format!("asks for `{name}` with a placeholder"),
        ));
        return;
    }
    let trimmed = text.trim();
    let secret_like = value.as_str().is_some()
        && trimmed.len() >= 8
        && !trimmed.contains(char::is_whitespace)
        && shannon_entropy(trimmed) >= 3.0;
    if secret_like {
        let span = cx.span_within(value, trimmed);
        // A literal of a known format is `human-token`'s or `machine-secret-literal`'s.
        if cx
            .credentials
            .iter()
            .any(|m| m.span.start < span.end && span.start < m.span.end)
        {
            return;
        }
        let mut hit = Hit::new(
            span,
            name,
            entry,
            How::Literal,
            format!("holds a literal value in `{name}`"),
        );
        hit.secret = Some(span);
        hits.push(hit);
    }
}

/// A token next to a variable holding an email (`JIRA_USERNAME` + `JIRA_API_TOKEN`).
fn pairs<'c>(catalog: &'c Catalog, template: bool, node: &Node, hits: &mut Vec<Hit<'c>>) {
    // Variables of this environment: a map's entries or a Kubernetes `env` list.
    let vars: Vec<(&str, &Node, Option<&Node>)> = if node.is_seq() {
        node.items()
            .iter()
            .filter_map(|i| {
                let n = i.get("name")?;
                Some((n.as_str()?, n, i.get("value")))
            })
            .collect()
    } else {
        node.entries()
            .iter()
            .filter_map(|e| Some((e.key_str()?, &e.key, Some(&e.value))))
            .collect()
    };
    for (name, name_node, _) in &vars {
        let first = name_parts(name).into_iter().next().unwrap_or_default();
        for entry in catalog.paired_names(name) {
            // The companion of the same product first (`CONFLUENCE_USERNAME` for
            // `CONFLUENCE_API_TOKEN`), then any other the entry lists.
            let mut candidates: Vec<(&str, Span, &str)> = vars
                .iter()
                .filter(|(n, _, _)| entry.with_email.contains(&name_parts(n)))
                .filter_map(|(n, key, v)| Some((*n, key.span, v.and_then(|v| v.as_str())?)))
                .collect();
            candidates.sort_by_key(|(n, _, _)| name_parts(n).first() != Some(&first));
            // In a template any address stands for each user's own; elsewhere the
            // address must be a person's (not `confluence-agent@acme.io`).
            let companion = candidates.iter().find(|(n, _, v)| {
                entry
                    .companion_is_email(|wanted| (name_parts(n) == wanted).then_some(*v))
                    .is_some()
                    && (template || crate::model::people::personal_login(v).is_some())
            });
            if let Some((other, other_span, _)) = companion {
                let (how, detail) = if template {
                    (
                        How::Template,
                        format!(
                            "asks every user for {} (`{name}`, with their email in `{other}`)",
                            entry.credential
                        ),
                    )
                } else {
                    (
                        How::Pair,
                        format!("sets `{other}` to a person's email next to `{name}`"),
                    )
                };
                let mut hit = Hit::new(name_node.span, name, entry, how, detail);
                hit.file_level = template;
                hit.related
                    .push((*other_span, format!("`{other}`: the token's owner")));
                hits.push(hit);
                break;
            }
        }
    }
}

/// Kubernetes `env: [{name: GITLAB_PAT, valueFrom: {secretKeyRef: ...}}]`.
fn k8s_value_from<'c>(catalog: &'c Catalog, node: &Node, hits: &mut Vec<Hit<'c>>) {
    if let (Some(name), Some(_)) = (node.get("name"), node.get("valueFrom"))
        && let Some(text) = name.as_str()
        && let Some(entry) = catalog.personal_name(text)
    {
        hits.push(Hit::new(
            name.span,
            text,
            entry,
            How::Reference,
            format!("receives `{text}` from a Kubernetes secret"),
        ));
    }
}

/// `docker run -e NAME` (and `--env NAME`) without a value passes the host's variable
/// into the container: in an MCP config, the developer's token.
fn docker_env_passthrough<'c>(catalog: &'c Catalog, items: &[Node], hits: &mut Vec<Hit<'c>>) {
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
            && references(name).is_empty()
            && let Some(entry) = catalog.personal_name(name)
        {
            hits.push(Hit::new(
                item.span,
                name,
                entry,
                How::Passthrough,
                format!("passes the host's `{name}` into its container"),
            ));
        }
        prev_is_flag = text == "-e" || text == "--env";
    }
}

/// `--access-token X` / `--access-token=X` of a server that reads a person's token
/// there (or a flag named like one, `--github-pat`). A literal of a known format is
/// `human-token`'s finding.
fn flags<'c, 'n>(
    cx: &FileCx<'c>,
    items: impl Iterator<Item = (&'n Node, Option<&'n str>)>,
    command: &[&str],
    hits: &mut Vec<Hit<'c>>,
) {
    let items: Vec<(&Node, Option<&str>)> = items.collect();
    for (i, (node, text)) in items.iter().enumerate() {
        let Some(text) = text else { continue };
        if !text.starts_with("--") {
            continue;
        }
        let (flag, value, value_node) = match text.split_once('=') {
            Some((f, v)) => (f, Some(v), *node),
            None => match items.get(i + 1) {
                Some((n, Some(v))) if !v.starts_with('-') => (*text, Some(*v), *n),
                _ => (*text, None, *node),
            },
        };
        let Some(value) = value else { continue };
        let Some(entry) = cx.catalog.personal_flag(flag, command) else {
            continue;
        };
        let refs = references(value);
        let (how, detail, name) = if let Some(r) = refs.first() {
            (
                How::Flag,
                format!("passes `{}` as `{flag}`", r.name),
                r.name.to_owned(),
            )
        } else if placeholder(value) {
            (
                How::Placeholder,
                format!("asks for `{flag}` with a placeholder"),
                flag.to_owned(),
            )
        } else {
            let span = cx.span_within(value_node, value);
            if cx
                .credentials
                .iter()
                .any(|m| m.span.start < span.end && span.start < m.span.end)
            {
                continue;
            }
            let mut hit = Hit::new(
                span,
                flag,
                entry,
                How::Literal,
                format!("passes a literal value as `{flag}`"),
            );
            hit.secret = Some(span);
            hits.push(hit);
            continue;
        };
        hits.push(Hit::new(value_node.span, &name, entry, how, detail));
    }
}

/// Manifests and templates that ask every user for a person's credential.
fn asks<'c>(cx: &FileCx<'c>, hits: &mut Vec<Hit<'c>>) {
    let catalog = cx.catalog;
    for ask in &cx.facts.asks {
        let how = match ask.source {
            AskSource::Input => continue,
            AskSource::EnvTemplate => How::Template,
            _ => How::Manifest,
        };
        let entry = ask_entry(catalog, ask).or_else(|| login_password(catalog, cx, ask));
        let Some(entry) = entry else { continue };
        let where_ = match ask.source {
            AskSource::EnvTemplate => format!("`{}`", ask.name),
            _ => format!("`{}` in its {}", ask.name, ask.source.describe()),
        };
        let mut hit = Hit::new(
            ask.span,
            &ask.name,
            entry,
            how,
            format!("asks every user for {} ({where_})", entry.credential),
        );
        hit.file_level = true;
        hits.push(hit);
    }
}

/// A password asked for next to a username or email in the same schema: the user's
/// own login.
fn login_password<'c>(
    catalog: &'c Catalog,
    cx: &FileCx<'_>,
    ask: &CredentialAsk,
) -> Option<&'c NameRule> {
    if ask.source == AskSource::EnvTemplate {
        return None;
    }
    let parts = name_parts(&ask.name);
    let password = parts
        .iter()
        .any(|p| matches!(p.as_str(), "PASSWORD" | "PASSWD" | "PWD"));
    let login = cx.facts.asks.iter().any(|other| {
        other.group == ask.group
            && name_parts(&other.name)
                .iter()
                .any(|p| matches!(p.as_str(), "USERNAME" | "EMAIL" | "LOGIN" | "USER"))
    });
    (password && login)
        .then(|| catalog.personal_phrase("your password"))
        .flatten()
}

/// One finding per credential per workload (per file for manifest asks), the
/// strongest evidence as its primary location and the other places as related ones.
fn report(cx: &FileCx<'_>, hits: Vec<Hit<'_>>, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(String, String), Vec<Hit<'_>>> = BTreeMap::new();
    for hit in hits {
        // A literal credential here is `human-token`'s finding.
        if cx
            .credentials
            .iter()
            .any(|m| hit.span.start <= m.span.start && m.span.end <= hit.span.end)
        {
            continue;
        }
        let workload = if hit.file_level {
            String::new()
        } else {
            cx.facts
                .workload_at(hit.span)
                .map(|w| w.name.clone())
                .unwrap_or_default()
        };
        let key = if hit.file_level {
            canonical(&hit.name)
        } else {
            hit.name.clone()
        };
        groups.entry((workload, key)).or_default().push(hit);
    }
    for ((workload_name, _), mut group) in groups {
        group.sort_by_key(|h| (h.how, h.span));
        group.dedup_by(|a, b| a.span == b.span);
        let primary = &group[0];
        let workload = cx
            .facts
            .workload_at(primary.span)
            .filter(|w| w.name == workload_name);
        let subject = workload.map_or_else(
            || {
                if primary.how == How::Manifest && !cx.facts.asks.is_empty() {
                    let server = cx
                        .facts
                        .asks
                        .iter()
                        .find(|a| a.span == primary.span)
                        .map(|a| a.server.as_str())
                        .filter(|s| !s.is_empty());
                    server.map_or_else(
                        || format!("the server in `{}`", cx.path),
                        |s| format!("the server `{s}`"),
                    )
                } else {
                    format!("`{}`", cx.path)
                }
            },
            |w| w.name.clone(),
        );
        let agent = workload.and_then(|w| w.agent.as_deref());
        let entry = primary.entry;
        let mut message = format!("{subject} {}", primary.detail);
        if let Some(why) = agent {
            message.push_str(&format!(" (an AI agent: {why})"));
        }
        match primary.how {
            How::Manifest => message.push_str(
                ": the server makes every user hand it their personal credential, so each installation acts as the user who typed it in",
            ),
            How::Template => message.push_str(
                ": the template asks every user for their own token, so whatever reads it runs as that person",
            ),
            How::Placeholder => message.push_str(&format!(
                ": the config asks every user for their own {}, so each copy runs as whoever fills it in",
                entry.credential.trim_start_matches("a ").trim_start_matches("an ")
            )),
            How::Prompted => message.push_str(", so it runs as whoever types it in"),
            _ => message.push_str(&format!(
                "; `{}` carries {}, so it runs as that person",
                primary.name, entry.credential
            )),
        }
        message.push_str(&format!(". Why: {}", entry.reason));
        let help = match primary.how {
            How::Manifest | How::Template => "Sign users in with OAuth (the MCP authorization flow) or give the server an app or bot identity of its own, instead of asking each user for a personal token.".to_owned(),
            _ => {
                let alternative = entry.alternative.clone().or_else(|| {
                    entry
                        .format
                        .and_then(|f| cx.catalog.specs.get(f))
                        .map(|s| s.alternative.clone())
                });
                match alternative {
                    Some(a) => format!("Use {a}; name the secret after the agent."),
                    None => "Give the agent a machine identity (a GitHub App installation token, a bot token, a workspace-owned API key) and name the secret after the agent.".to_owned(),
                }
            }
        };
        let mut b = cx
            .finding(&HumanTokenReference::META, primary.span, message)
            .label(format!("`{}`: {}", primary.name, entry.credential))
            .help(help)
            .confidence(primary.confidence.unwrap_or(primary.how.confidence()))
            .key(format!("{workload_name}:{}", primary.name));
        if let Some(span) = primary.secret {
            b = b
                .mask(span, 0)
                .evidence(Redacted::secret(&cx.file.slice(span), 0));
        }
        if let Some(w) = workload {
            b = b.workload(&w.name);
        }
        if agent.is_some() && primary.how.raised_by_agent() {
            b = b.severity(Severity::Critical);
        }
        let mut related: Vec<(Span, String)> = primary.related.clone();
        for other in &group[1..] {
            if let Some(span) = other.secret {
                b = b.mask(span, 0);
            }
            related.push((other.span, format!("also {}", other.detail)));
            related.extend(other.related.iter().cloned());
        }
        for hit in &group {
            for flow in cx
                .facts
                .flows
                .iter()
                .filter(|f| f.from.start <= hit.span.start && hit.span.end <= f.from.end)
                .filter(|f| f.value_refs.iter().any(|r| r == &hit.name))
            {
                related.push((
                    flow.from,
                    format!("written to {} as `{}`", flow.via, flow.name),
                ));
                for &use_ in &flow.uses {
                    related.push((use_, format!("read back as `{}`", flow.name)));
                }
            }
        }
        related.sort_by_key(|(s, _)| *s);
        related.dedup_by(|a, b| a.0 == b.0);
        for (span, text) in related {
            if span != primary.span {
                b = b.related(cx.path, span, text);
            }
        }
        out.push(b.build());
    }
}

/// Manifest asks and the references to them group by name regardless of case and
/// separators (`github_token` and `GITHUB_TOKEN`).
fn canonical(name: &str) -> String {
    name_parts(name).join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_names_come_from_the_table() {
        let cat = Catalog::builtin().unwrap();
        for n in [
            "GITHUB_PAT",
            "GH_PAT",
            "JANE_PAT",
            "pat",
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "SLACK_USER_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "gitlab-pat",
            "SUPABASE_ACCESS_TOKEN",
            "figmaApiKey",
        ] {
            assert!(cat.personal_name(n).is_some(), "{n}");
        }
        for n in [
            "GITHUB_TOKEN",
            "PATH",
            "PATTERN",
            "SLACK_BOT_TOKEN",
            "ANTHROPIC_API_KEY",
            "COMPAT_MODE",
            "APP_TOKEN",
            "AWS_SESSION_TOKEN",
        ] {
            assert!(cat.personal_name(n).is_none(), "{n}");
        }
    }

    #[test]
    fn placeholders() {
        for v in [
            "YOUR_GITHUB_TOKEN",
            "your-token-here",
            "",
            "ATAT...",
            "<TOKEN>",
            "sbp_your_personal_access_token",
            "xxxxx",
        ] {
            assert!(placeholder(v), "{v}");
        }
        for seed in 0..20 {
            let v = crate::model::catalog::expand_template("{alnum:16}", seed);
            assert!(!placeholder(&v), "{v}");
        }
    }
}
