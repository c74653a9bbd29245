//! What `human-token` and `machine-secret-literal` share: turning a catalog match
//! into a finding that names the credential's kind, its owner and the alternative,
//! with a higher severity when an AI agent holds it.

use crate::findings::{Confidence, Finding};
use crate::model::catalog::{CredentialMatch, CredentialSpec, Principal};
use crate::model::facts::Workload;
use crate::model::identity::Identity;
use crate::rules::{FileCx, RuleMeta};
use crate::syntax::source::Span;

/// Who holds a literal, its format and its hash: one finding per key.
type GroupKey<'a> = (Option<String>, usize, &'a str);
/// A match and the personal name it is held under, when that decides its owner.
type Held<'a> = (&'a CredentialMatch, Option<String>);

/// Findings for every catalog match in the file whose owner kind the rule reports:
/// one per credential per workload (per file outside workloads), the other places the
/// same secret appears (and the steps a workflow passes it on to through
/// `$GITHUB_ENV`/`$GITHUB_OUTPUT`) as related locations.
pub(crate) fn check(
    meta: &'static RuleMeta,
    cx: &FileCx<'_>,
    personal: bool,
    out: &mut Vec<Finding>,
) {
    let catalog = cx.catalog;
    // (holder, spec, hash) -> matches, in file order.
    let mut groups: Vec<(GroupKey<'_>, Vec<Held<'_>>)> = Vec::new();
    let mut seen_spans = std::collections::HashSet::new();
    for m in cx.credentials {
        let Some(spec) = catalog.specs.get(m.spec) else {
            continue;
        };
        // One secret, one finding: two formats matching the same bytes (a password
        // key inside a connection string) report once.
        if !seen_spans.insert(m.span) {
            continue;
        }
        // Credential files (`.netrc`, `.pypirc`, kubeconfig, ...) are
        // `user-oauth-credentials`' to judge; a password key there is theirs.
        if spec.provider == "generic" && spec.prefix.is_empty() && credential_file(cx.file.kind) {
            continue;
        }
        // A `.env` template's passwords are samples for the reader to replace; a token of
        // a known format there is still a leak.
        if spec.provider == "generic"
            && spec.prefix.is_empty()
            && crate::model::extract::asks::is_env_template(cx.path)
        {
            continue;
        }
        // A format that does not tell its owner, held under a name that marks a
        // person's credential (`GITLAB_PERSONAL_ACCESS_TOKEN=glpat-…`), is a person's.
        let by_name = (!spec.personal && spec.principal == Principal::Ambiguous)
            .then(|| assigned_name(cx, m.span))
            .flatten()
            .filter(|n| catalog.personal_name(n).is_some());
        if (spec.personal || by_name.is_some()) != personal {
            continue;
        }
        let key = (
            holder(cx, m.span).map(|w| w.name.clone()),
            m.spec,
            m.hash.as_str(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push((m, by_name)),
            None => groups.push((key, vec![(m, by_name)])),
        }
    }
    for (_, list) in groups {
        let (m, by_name) = &list[0];
        let Some(spec) = catalog.specs.get(m.spec) else {
            continue;
        };
        let others: Vec<Span> = list[1..]
            .iter()
            .map(|(o, _)| first_line(cx, o.span))
            .collect();
        out.push(finding(
            meta,
            cx,
            m,
            spec,
            personal,
            by_name.as_deref(),
            &others,
        ));
    }
}

fn credential_file(kind: crate::syntax::classify::FileKind) -> bool {
    use crate::syntax::classify::FileKind::*;
    matches!(
        kind,
        Netrc
            | GitCredentials
            | AwsCredentials
            | AwsConfig
            | Npmrc
            | Pypirc
            | DockerConfig
            | Kubeconfig
            | GoogleCredentials
    )
}

/// The variable a literal is assigned to: the key of the map entry (or the `name` of
/// a Kubernetes `env` item) whose value holds it.
fn assigned_name(cx: &FileCx<'_>, span: Span) -> Option<String> {
    let mut found: Option<(usize, String)> = None;
    for doc in cx.documents() {
        doc.root.walk(|_, node| {
            let mut consider = |key: Option<&str>, value: &crate::syntax::doc::Node| {
                if let Some(key) = key
                    && value.span.start <= span.start
                    && span.end <= value.span.end
                    && found
                        .as_ref()
                        .is_none_or(|(len, _)| value.span.len() < *len)
                {
                    found = Some((value.span.len(), key.to_owned()));
                }
            };
            if let (Some(name), Some(value)) = (node.get("name"), node.get("value")) {
                consider(name.as_str(), value);
            }
            for e in node.entries() {
                consider(e.key_str(), &e.value);
            }
        });
    }
    found.map(|(_, k)| k)
}

/// The workload that holds the credential: one whose literal-credential uses contain
/// its span (an MCP server's env or args, a container's env, a workflow job).
fn holder<'a>(cx: &'a FileCx<'_>, span: Span) -> Option<&'a Workload> {
    let holders = || {
        cx.facts.workloads.iter().filter(|w| {
            w.identities.iter().any(|u| {
                matches!(u.identity, Identity::Credential { .. })
                    && u.span.start <= span.start
                    && span.end <= u.span.end
            })
        })
    };
    // An agent among several holders decides the severity.
    holders()
        .find(|w| w.agent.is_some())
        .or_else(|| holders().next())
}

/// What the format says about whose credential it is.
fn owner(spec: &CredentialSpec, personal: bool) -> &'static str {
    match spec.principal {
        Principal::Human => "acts as the person who created it",
        Principal::Delegated => "acts on behalf of the person who authorised it",
        Principal::Ambiguous if personal => "usually acts as the person who created it",
        Principal::Machine => "a machine credential",
        Principal::Ambiguous => "a credential whose owner the format does not tell",
    }
}

/// The first line of a span: a PEM block is reported at its header, while the whole
/// block stays masked.
fn first_line(cx: &FileCx<'_>, span: Span) -> Span {
    let bytes = cx.file.bytes.get(span.range()).unwrap_or_default();
    match bytes.iter().position(|b| matches!(b, b'\n' | b'\r')) {
        Some(n) if n > 0 => Span::new(span.range().start, span.range().start + n),
        _ => span,
    }
}

fn finding(
    meta: &'static RuleMeta,
    cx: &FileCx<'_>,
    m: &CredentialMatch,
    spec: &CredentialSpec,
    personal: bool,
    by_name: Option<&str>,
    others: &[Span],
) -> Finding {
    let workload = holder(cx, m.span);
    let agent = workload.and_then(|w| w.agent.as_deref().map(|why| (w, why)));
    let owner = match by_name {
        Some(name) => format!("held as `{name}`, a name that marks a person's credential"),
        None => owner(spec, personal).to_owned(),
    };
    let mut message = format!("{}: {owner} ({})", spec.name, spec.lifetime.as_str());
    match (personal, workload, agent) {
        (true, _, Some((w, why))) => message.push_str(&format!(
            "; used by {}, an AI agent ({why}), which runs as that person: every action it takes is attributed to them and can reach all they can reach",
            w.name
        )),
        (true, Some(w), None) => message.push_str(&format!(
            "; {} runs as that person: everything it does is attributed to them and can reach all they can reach",
            w.name
        )),
        (true, None, None) => message.push_str(
            "; whatever uses it runs as that person: everything it does is attributed to them and can reach all they can reach",
        ),
        (false, _, Some((w, why))) => message.push_str(&format!(
            "; used by {}, an AI agent ({why}): committed in clear, it stays valid until someone rotates it, anyone with read access can use it, and whoever steers the agent through its inputs can make it misuse it",
            w.name
        )),
        (false, _, None) => message.push_str(
            "; committed in clear, it stays valid until someone rotates it, and anyone with read access can use it",
        ),
    }
    let mut severity = spec.severity;
    if agent.is_some() {
        severity = severity.raised();
    }
    let mut confidence = spec.confidence;
    if by_name.is_some() {
        confidence = Confidence::Medium;
    }
    let mut label = format!("{} {}", spec.name, m.redacted.as_str());
    match m.checksum_ok {
        Some(true) => confidence = Confidence::High,
        Some(false) => {
            confidence = Confidence::Low;
            label.push_str(" (checksum does not verify: possibly a fake)");
        }
        None => {}
    }
    let mut b = cx
        .finding(meta, first_line(cx, m.span), message)
        .label(label)
        .severity(severity)
        .confidence(confidence)
        .evidence(m.redacted.clone())
        .help(format!("Use {}.", spec.alternative))
        .key(format!("{}:{}", spec.id, m.hash));
    if let Some(w) = workload {
        b = b.workload(&w.name);
    }
    for &span in others {
        b = b.related(cx.path, span, "the same credential again");
    }
    for flow in cx.facts.flows.iter().filter(|f| {
        f.from.start <= m.span.start && m.span.end <= f.from.end && f.value_refs.is_empty()
    }) {
        b = b.related(
            cx.path,
            flow.from,
            format!("written to {} as `{}`", flow.via, flow.name),
        );
        for &use_ in &flow.uses {
            b = b.related(cx.path, use_, format!("read back as `{}`", flow.name));
        }
    }
    b.build()
}

#[cfg(test)]
mod tests {
    use crate::findings::{Finding, Severity};
    use crate::model::catalog::{Catalog, expand_template};
    use crate::scan::{ScanOptions, scan};

    fn scan_files(files: &[(&str, String)]) -> Vec<Finding> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let opts = ScanOptions {
            paths: vec![dir.path().to_path_buf()],
            rules: vec!["human-token", "machine-secret-literal"],
            ..ScanOptions::default()
        };
        scan(&opts).unwrap().findings
    }

    fn token(id: &str, seed: u64) -> String {
        let cat = Catalog::builtin().unwrap();
        let spec = cat.specs.iter().find(|s| s.id == id).unwrap();
        let line = expand_template(&spec.must_match[0], seed);
        let m = cat
            .scan(line.as_bytes())
            .into_iter()
            .find(|m| cat.specs[m.spec].id == id);
        line[m.unwrap().span.range()].to_owned()
    }

    #[test]
    fn a_credential_held_by_an_agent_is_one_step_more_severe() {
        let bot = token("slack-bot-token", 1);
        let pat = crate::model::catalog::github_token_with_checksum(
            "ghp_",
            &expand_template("{alnum:30}", 2),
        );
        let mcp = format!(
            r#"{{ "mcpServers": {{
                "slack": {{ "command": "npx", "env": {{ "SLACK_BOT_TOKEN": "{bot}" }} }},
                "github": {{ "command": "npx", "env": {{ "GITHUB_PERSONAL_ACCESS_TOKEN": "{pat}" }} }}
            }} }}"#
        );
        let compose = format!(
            "services:\n  web:\n    image: nginx\n    environment:\n      SLACK_BOT_TOKEN: \"{bot}\"\n"
        );
        let found = scan_files(&[(".mcp.json", mcp), ("docker-compose.yml", compose)]);
        let by = |path: &str, rule: &str| {
            found
                .iter()
                .find(|f| &*f.primary().path == path && f.rule() == rule)
                .unwrap_or_else(|| panic!("no {rule} in {path}: {found:#?}"))
        };
        let slack = by(".mcp.json", "machine-secret-literal");
        assert_eq!(
            slack.severity(),
            Severity::Critical,
            "high raised to critical"
        );
        assert!(
            slack
                .message()
                .contains("used by MCP server slack, an AI agent"),
            "{}",
            slack.message()
        );
        assert_eq!(slack.workload(), Some("MCP server slack"));
        let plain = by("docker-compose.yml", "machine-secret-literal");
        assert_eq!(plain.severity(), Severity::High, "no agent, no raise");
        assert!(!plain.message().contains("AI agent"), "{}", plain.message());
        assert_eq!(plain.workload(), Some("compose service web"));
        let github = by(".mcp.json", "human-token");
        assert_eq!(
            github.severity(),
            Severity::Critical,
            "critical stays critical"
        );
        assert!(
            github.message().starts_with(
                "GitHub classic personal access token: acts as the person who created it"
            ),
            "{}",
            github.message()
        );
        assert!(
            github
                .message()
                .contains("used by MCP server github, an AI agent")
        );
    }

    #[test]
    fn messages_name_the_kind_and_owner() {
        let gho = crate::model::catalog::github_token_with_checksum(
            "gho_",
            &expand_template("{alnum:30}", 3),
        );
        let glcbt = token("gitlab-ci-job-token", 4);
        let admin = token("anthropic-admin-key", 5);
        let env = format!("A={gho}\nB={glcbt}\nC={admin}\n");
        let found = scan_files(&[("agent.env", env)]);
        let messages: Vec<&str> = found.iter().map(|f| f.message()).collect();
        let has = |prefix: &str| messages.iter().any(|m| m.starts_with(prefix));
        assert!(
            has(
                "GitHub OAuth access token: acts on behalf of the person who authorised it (long-lived)"
            ),
            "{messages:#?}"
        );
        assert!(
            has(
                "GitLab CI job token: acts on behalf of the person who authorised it (short-lived)"
            ),
            "{messages:#?}"
        );
        assert!(
            has("Anthropic Admin API key: usually acts as the person who created it"),
            "{messages:#?}"
        );
        assert!(
            found
                .iter()
                .all(|f| f.rule() == "human-token" && f.workload().is_none())
        );
        // Medium-severity formats outside an agent keep their catalog severity.
        let ci = found
            .iter()
            .find(|f| f.message().starts_with("GitLab CI job token"))
            .unwrap();
        assert_eq!(ci.severity(), Severity::Medium);
    }

    #[test]
    fn a_pem_block_is_reported_at_its_header() {
        let body: String = (0..3)
            .map(|i| expand_template("{b64:64}\n", 10 + i))
            .collect();
        let pem = format!("-----BEGIN EC PRIVATE KEY-----\n{body}-----END EC PRIVATE KEY-----\n");
        let found = scan_files(&[("deploy/key.pem", pem)]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let span = found[0].primary().span;
        assert_eq!(span.start, 0);
        assert_eq!(span.end as usize, "-----BEGIN EC PRIVATE KEY-----".len());
    }
}
