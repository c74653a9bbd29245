use crate::findings::{Confidence, Finding, Redacted, Severity};
use crate::model::extract::is_placeholder_value;
use crate::rules::{FileCx, FindingBuilder, Rule, RuleMeta};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::Node;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// A person's login, saved by a CLI, committed to the repository or copied into an
    /// image: gcloud application-default credentials of a user (`type: authorized_user`
    /// or `external_account_authorized_user`; `impersonated_service_account` with a
    /// user's source credential is reported at medium severity), kubeconfig `users:`
    /// holding a client key, a token or a password (exec plugins hold no secret but
    /// act as whoever runs them: low or medium), `.git-credentials` lines with a
    /// token, `.netrc` entries with a password, AWS shared `credentials` profiles with
    /// keys, `.npmrc` auth tokens and passwords, `.pypirc` passwords and Docker
    /// `config.json` registry logins, and Codex `auth.json` files holding a ChatGPT
    /// login (`tokens.refresh_token`, `tokens.access_token` from `codex login`: the
    /// person's ChatGPT plan). Placeholders and `${VAR}` references are silent;
    /// so are `external_account` (workload identity federation) files and in-cluster
    /// service account tokens.
    ///
    /// ## Why it matters
    /// These files are what `gcloud auth login`, `aws configure`, `npm login`,
    /// `docker login` and `git credential-store` write into someone's home directory.
    /// Whatever runs with them, an agent included, acts as that person: every call is
    /// logged under their name and reaches everything they can reach, for as long as
    /// the refresh token, key or password stays valid.
    ///
    /// ## What to do instead
    /// Give the workload its own identity: workload identity federation (OIDC) or an
    /// attached service account on Google Cloud, an IAM role (OIDC, IRSA, instance or
    /// task role) on AWS, an in-cluster service account token on Kubernetes, a deploy
    /// token or GitHub App installation token for git, trusted publishing for npm and
    /// PyPI, a registry robot account or credential helper for Docker, and an OpenAI
    /// API key of a project service account (`OPENAI_API_KEY`) for Codex in CI.
    ///
    /// ## Example
    /// ```json
    /// { "type": "authorized_user", "client_id": "…apps.googleusercontent.com", "refresh_token": "1//0…" }
    /// ```
    /// Use instead an `external_account` credential configuration for workload identity
    /// federation, which holds no secret.
    pub(crate) struct UserOauthCredentials {
        id: "user-oauth-credentials",
        family: BorrowedCredential,
        severity: High,
        confidence: High,
        summary: "A person's saved login (gcloud, kubeconfig, netrc, git, AWS, npm, PyPI, Docker, Codex) is committed",
        applies_to: |kind| matches!(
            kind,
            FileKind::GoogleCredentials
                | FileKind::Kubeconfig
                | FileKind::Netrc
                | FileKind::GitCredentials
                | FileKind::AwsCredentials
                | FileKind::AwsConfig
                | FileKind::Npmrc
                | FileKind::Pypirc
                | FileKind::DockerConfig
                | FileKind::Json
        ),
    }
}

const META: &RuleMeta = &UserOauthCredentials::META;

impl Rule for UserOauthCredentials {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        match cx.file.kind {
            FileKind::GoogleCredentials => google(cx, out),
            FileKind::Kubeconfig => kubeconfig(cx, out),
            FileKind::Netrc => netrc(cx, out),
            FileKind::GitCredentials => git_credentials(cx, out),
            FileKind::AwsCredentials | FileKind::AwsConfig => aws(cx, out),
            FileKind::Npmrc => npmrc(cx, out),
            FileKind::Pypirc => pypirc(cx, out),
            FileKind::DockerConfig => docker(cx, out),
            FileKind::Json if cx.path.ends_with("auth.json") => codex(cx, out),
            _ => {}
        }
    }
}

/// The span of a scalar's text without its surrounding quotes, so a mask or label
/// covers the value alone.
fn inner(cx: &FileCx<'_>, node: &Node) -> Span {
    let s = node.span;
    let bytes = cx.file.bytes.get(s.range()).unwrap_or_default();
    match (bytes.first(), bytes.last()) {
        (Some(&a), Some(&b)) if bytes.len() >= 2 && a == b && (a == b'"' || a == b'\'') => {
            Span::new(s.start as usize + 1, s.end as usize - 1)
        }
        _ => s,
    }
}

/// A scalar that holds a secret (not a placeholder or reference).
fn secret(node: Option<&Node>) -> Option<(&Node, &str)> {
    let node = node?;
    let text = node.as_str()?;
    (!is_placeholder_value(text)).then_some((node, text))
}

/// A finding whose primary span is the secret itself: masked in quoted source,
/// redacted in evidence.
fn on_secret(
    cx: &FileCx<'_>,
    span: Span,
    value: &str,
    visible: usize,
    message: String,
) -> FindingBuilder {
    cx.finding(META, span, message)
        .evidence(Redacted::secret(value, visible))
        .mask(span, visible)
}

/// How much of a secret evidence may show: its format's public prefix, if it has it.
fn public_prefix(value: &str, prefix: &str) -> usize {
    if value.starts_with(prefix) {
        prefix.len()
    } else {
        0
    }
}

fn google(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let root = &doc.root;
        let Some(ty) = root.get("type") else { continue };
        let kind = ty.as_str().unwrap_or("");
        let (source, severity, message, help) = match kind {
            "authorized_user" => (
                root,
                Severity::High,
                "Google credentials of type `authorized_user`: a person's Google account, as \
                 `gcloud auth application-default login` saves it; whatever loads this file acts \
                 as that person, with every project and API they can reach, until they revoke \
                 the refresh token"
                    .to_owned(),
                "Use workload identity federation (an `external_account` configuration, which \
                 holds no secret) or the service account attached to the compute the workload \
                 runs on.",
            ),
            "external_account_authorized_user" => (
                root,
                Severity::High,
                "Google credentials of type `external_account_authorized_user`: a person's \
                 workforce identity federation login; whatever loads this file acts as that \
                 person until the refresh token is revoked"
                    .to_owned(),
                "Use workload identity federation for the workload (`external_account`), not a \
                 person's workforce login.",
            ),
            "impersonated_service_account" => {
                let Some(source) = root.get("source_credentials") else {
                    continue;
                };
                let target = root
                    .get("service_account_impersonation_url")
                    .and_then(Node::as_str)
                    .and_then(impersonated_account)
                    .unwrap_or("a service account");
                (
                    source,
                    Severity::Medium,
                    format!(
                        "Google credentials of type `impersonated_service_account`: a person's \
                         refresh token (`source_credentials`) impersonating `{target}`; the \
                         calls run with the service account's rights but only as long as that \
                         person's login stays valid, and every workload with this file borrows it"
                    ),
                    "Give the workload the service account directly: attach it to the compute, \
                     or use workload identity federation with impersonation.",
                )
            }
            // `service_account` keys are `long-lived-cloud-key` findings; `external_account`
            // is workload identity federation, the recommended setup.
            _ => continue,
        };
        let Some((token, text)) = secret(source.get("refresh_token")) else {
            continue;
        };
        let token_span = inner(cx, token);
        let mut b = cx
            .finding(META, inner(cx, ty), message)
            .label("a person's Google credential")
            .severity(severity)
            .help(help)
            .evidence(Redacted::secret(text, 4))
            .key(format!("google-credentials:{kind}"))
            .related(cx.path, token_span, "refresh token: valid until revoked")
            .mask(token_span, 4);
        if let Some((cs, _)) = secret(source.get("client_secret")) {
            b = b.mask(inner(cx, cs), 0);
        }
        out.push(b.build());
    }
}

/// `…/serviceAccounts/NAME@PROJECT.iam.gserviceaccount.com:generateAccessToken` → the
/// service account's email.
fn impersonated_account(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("serviceAccounts/")?;
    Some(rest.split(':').next().unwrap_or(rest)).filter(|s| !s.is_empty())
}

/// A personal email: not a Google service account, not a bot or no-reply address.
fn looks_like_person(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let Some((local, domain)) = lower.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.ends_with("gserviceaccount.com")
        && !["noreply", "no-reply", "bot", "serviceaccount", "system:"]
            .iter()
            .any(|m| lower.contains(m))
}

/// Exec plugins that log a person in interactively.
const INTERACTIVE_EXEC: &[&str] = &["kubelogin", "oidc-login", "int128/kubelogin"];

fn kubeconfig(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for u in doc.root.get("users").map(Node::items).unwrap_or_default() {
            let name_node = u.get("name");
            let name = name_node.and_then(Node::as_str).unwrap_or("<unnamed>");
            let Some(user) = u.get("user") else { continue };
            let person = looks_like_person(name);
            let who = if person {
                format!("kubeconfig user `{name}` (a person)")
            } else {
                format!("kubeconfig user `{name}`")
            };
            let before = out.len();
            let help = "Run the workload in the cluster with its own service account (its projected \
                        token is short-lived), or give it a dedicated service account token from a \
                        secret store; never ship a person's kubeconfig.";
            if let Some((key, text)) = secret(user.get("client-key-data")) {
                let span = inner(cx, key);
                out.push(
                    on_secret(cx, span, text, 0, format!(
                        "{who} authenticates with an embedded client certificate and key: an admin's or person's kubeconfig; anyone with this file acts as the certificate's subject and groups (often `system:masters`) until it expires, and a client certificate cannot be revoked"
                    ))
                    .label("client key")
                    .help(help)
                    .key(format!("kubeconfig:{name}:client-key-data"))
                    .build(),
                );
            }
            if let Some((token, text)) = secret(user.get("token"))
                && !is_service_account_jwt(text)
            {
                let span = inner(cx, token);
                out.push(
                    on_secret(cx, span, text, 0, format!(
                        "{who} authenticates with an embedded bearer token: whoever has this file acts as the token's owner until it is revoked"
                    ))
                    .label("bearer token")
                    .confidence(if person { Confidence::High } else { Confidence::Medium })
                    .help(help)
                    .key(format!("kubeconfig:{name}:token"))
                    .build(),
                );
            }
            if let Some((pw, text)) = secret(user.get("password")) {
                let span = inner(cx, pw);
                let login = user.get("username").and_then(Node::as_str).unwrap_or(name);
                out.push(
                    on_secret(cx, span, text, 0, format!(
                        "{who} authenticates with the password of `{login}` (basic auth): a person's login to the cluster, usable by anyone with this file"
                    ))
                    .label("password")
                    .help(help)
                    .key(format!("kubeconfig:{name}:password"))
                    .build(),
                );
            }
            if let Some(config) = user.get_path(&["auth-provider", "config"]) {
                for field in ["refresh-token", "id-token", "access-token"] {
                    if let Some((tok, text)) = secret(config.get(field)) {
                        let span = inner(cx, tok);
                        out.push(
                            on_secret(cx, span, text, 0, format!(
                                "{who} holds a person's `{field}` from a login (`auth-provider`): whoever has this file acts as that person"
                            ))
                            .label(field)
                            .help(help)
                            .key(format!("kubeconfig:{name}:auth-provider:{field}"))
                            .build(),
                        );
                    }
                }
            }
            if let Some(exec) = user.get("exec") {
                let command = exec.get("command");
                let cmd = command.and_then(Node::as_str).unwrap_or("");
                let args: Vec<&str> = exec
                    .get("args")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::as_str)
                    .collect();
                let interactive = INTERACTIVE_EXEC.iter().any(|p| cmd.contains(p))
                    || args.iter().any(|a| {
                        *a == "oidc-login" || a.contains("devicecode") || a.contains("interactive")
                    });
                let severity = if interactive || person {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                let span = command.map_or(exec.span, |c| inner(cx, c));
                let shown = match args.first() {
                    Some(first) => format!("{cmd} {first}"),
                    None => cmd.to_owned(),
                };
                let how = if interactive {
                    "an interactive login plugin: it signs in a person"
                } else {
                    "an exec plugin that holds no secret but acts as whoever runs it (their cloud login)"
                };
                out.push(
                    cx.finding(META, span, format!(
                        "{who} gets its credentials from `{shown}`, {how}; inside a workload this borrows the credentials of the machine or person running it"
                    ))
                    .label("exec credential plugin")
                    .severity(severity)
                    .confidence(Confidence::Medium)
                    .help("Run the workload in the cluster with its own service account, or give the plugin the workload's own identity (IRSA, GKE workload identity) rather than a person's login.")
                    .key(format!("kubeconfig:{name}:exec"))
                    .build(),
                );
            }
            if out.len() == before
                && person
                && let Some(n) = name_node
            {
                out.push(
                    cx.finding(META, inner(cx, n), format!(
                        "{who}: a person's kubeconfig; whatever uses it acts in the cluster under their name"
                    ))
                    .label("a person's kubeconfig user")
                    .severity(Severity::Medium)
                    .confidence(Confidence::Medium)
                    .help(help)
                    .key(format!("kubeconfig:{name}"))
                    .build(),
                );
            }
        }
    }
}

/// A Kubernetes service account token (a JWT whose subject is
/// `system:serviceaccount:…`): a workload's identity, not a person's.
fn is_service_account_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    // Claims are small; a huge "payload" is not a token worth decoding.
    if payload.len() > 8192 {
        return false;
    }
    let decoded = base64url_decode(payload);
    let text = String::from_utf8_lossy(&decoded);
    text.contains("system:serviceaccount:")
}

/// Lenient base64url/base64 decoding without padding checks (JWT segments).
fn base64url_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    out
}

/// One whitespace-separated token of a `.netrc`, with its span (quotes excluded).
struct Tok<'a> {
    text: &'a str,
    span: Span,
}

/// Tokens of a `.netrc`: whitespace-separated, `"quoted"` values allowed (curl),
/// `#` comments to the end of the line, `macdef` bodies (up to a blank line) skipped.
fn netrc_tokens(text: &str) -> Vec<Tok<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut skip_macro = false;
    while i < b.len() {
        if skip_macro {
            // A macro body ends at the first empty line.
            match text[i..].find("\n\n") {
                Some(p) => i += p + 2,
                None => break,
            }
            skip_macro = false;
            continue;
        }
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            i = text[i..].find('\n').map_or(b.len(), |p| i + p);
            continue;
        }
        let (start, end, next) = if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            let end = j.min(b.len());
            (i + 1, end, (end + 1).min(b.len()))
        } else {
            let end = b[i..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map_or(b.len(), |p| i + p);
            (i, end, end)
        };
        let tok = &text[start..end];
        if tok == "macdef" {
            // The macro's name is on the same line; its body follows.
            i = text[next..].find('\n').map_or(b.len(), |p| next + p + 1);
            skip_macro = true;
            continue;
        }
        out.push(Tok {
            text: tok,
            span: Span::new(start, end),
        });
        i = next;
    }
    out
}

fn netrc(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    let tokens = netrc_tokens(cx.file.text());
    // (machine, login, password) of each entry.
    let mut entries: Vec<(&str, &str, Option<&Tok<'_>>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let value = tokens.get(i + 1);
        match tokens[i].text {
            "machine" => {
                entries.push((value.map_or("", |t| t.text), "", None));
                i += 2;
            }
            "default" => {
                entries.push(("default", "", None));
                i += 1;
            }
            "login" | "password" | "account" if !entries.is_empty() => {
                if let (Some(e), Some(v)) = (entries.last_mut(), value) {
                    match tokens[i].text {
                        "login" => e.1 = v.text,
                        "password" => e.2 = Some(v),
                        _ => {}
                    }
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    for (machine, login, password) in entries {
        let Some(pw) = password.filter(|p| !is_placeholder_value(p.text)) else {
            continue;
        };
        let login = if login.is_empty() {
            "<no login>"
        } else {
            login
        };
        out.push(
            on_secret(cx, pw.span, pw.text, 0, format!(
                "`.netrc` holds the password of `{login}` for `{machine}`: curl, git, pip and ftp send it automatically, so whatever runs with this file logs in as that person"
            ))
            .label("password")
            .confidence(Confidence::Medium)
            .help("Use a deploy token or a machine account scoped to this host, provided at run time from a secret store (or the host's workload identity), not a person's saved login.")
            .key(format!("netrc:{machine}:{login}"))
            .build(),
        );
    }
}

/// Git users whose tokens are machine credentials (GitHub App installation tokens,
/// GitLab CI job tokens, Bitbucket access tokens).
const MACHINE_GIT_USERS: &[&str] = &["x-access-token", "gitlab-ci-token", "x-token-auth"];

fn git_credentials(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    let text = cx.file.text();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let trimmed = line.trim_end();
        let Some(scheme_end) = trimmed.find("://") else {
            continue;
        };
        let auth_start = scheme_end + 3;
        let rest = &trimmed[auth_start..];
        let authority = rest.split('/').next().unwrap_or(rest);
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        let host = &authority[at + 1..];
        let Some((user, pw)) = userinfo.split_once(':') else {
            continue;
        };
        if is_placeholder_value(pw) || MACHINE_GIT_USERS.contains(&user) || pw.starts_with("ghs_") {
            continue;
        }
        let pw_start = line_start + auth_start + user.len() + 1;
        let span = Span::new(pw_start, pw_start + pw.len());
        out.push(
            on_secret(cx, span, pw, 0, format!(
                "`.git-credentials` stores the git login of `{user}` for `{host}` (what `git credential-store` writes): a person's password or token that reads and pushes as them wherever it is used"
            ))
            .label("token or password")
            .confidence(Confidence::Medium)
            .help("Use a deploy key or deploy token, or a GitHub App installation token minted per run (in Actions, the workflow's GITHUB_TOKEN), not a person's saved login.")
            .key(format!("git-credentials:{user}@{host}"))
            .build(),
        );
    }
}

fn aws(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for section in doc.root.entries() {
            let profile = section.key_str().unwrap_or("default");
            let p = &section.value;
            let Some((sk, text)) = secret(p.get("aws_secret_access_key")) else {
                continue;
            };
            let key_id = p.get("aws_access_key_id");
            let temporary = key_id
                .and_then(Node::as_str)
                .is_some_and(|k| k.starts_with("ASIA"))
                || p.get("aws_session_token").is_some();
            let span = inner(cx, sk);
            let (severity, what, until) = if temporary {
                (
                    Severity::Medium,
                    "temporary session credentials of someone's login",
                    "the session expires",
                )
            } else {
                (
                    Severity::High,
                    "a long-lived access key of an IAM user, as `aws configure` saves it in a person's `~/.aws/credentials`",
                    "the key is rotated",
                )
            };
            let mut b = on_secret(cx, span, text, 0, format!(
                "AWS profile `{profile}` holds {what}: whoever runs with this file acts as that user, with all of their permissions, until {until}"
            ))
            .label("secret access key")
            .severity(severity)
            .confidence(Confidence::Medium)
            .help("Give the workload an IAM role: OIDC federation in CI, IRSA or EKS Pod Identity on Kubernetes, an instance or task role elsewhere; people use IAM Identity Center (SSO). Never ship a credentials file.")
            .key(format!("aws-credentials:{profile}"));
            if let Some(id) = key_id {
                b = b.related(cx.path, inner(cx, id), "access key ID");
            }
            if let Some((tok, _)) = secret(p.get("aws_session_token")) {
                b = b.mask(inner(cx, tok), 0);
            }
            out.push(b.build());
        }
    }
}

/// Every `key = value` of an INI file, top level and in sections.
fn ini_entries(root: &Node) -> impl Iterator<Item = (&str, &Node)> {
    root.entries().iter().flat_map(|e| {
        let own = (!e.value.is_map()).then(|| (e.key_str().unwrap_or(""), &e.value));
        own.into_iter().chain(
            e.value
                .entries()
                .iter()
                .map(|c| (c.key_str().unwrap_or(""), &c.value)),
        )
    })
}

fn npmrc(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for (key, value) in ini_entries(&doc.root) {
            let (scope, setting) = key.rsplit_once(':').unwrap_or(("", key));
            if !matches!(setting, "_authToken" | "_auth" | "_password") {
                continue;
            }
            let Some((v, text)) = secret(Some(value)) else {
                continue;
            };
            let registry = if scope.is_empty() {
                "the default registry"
            } else {
                scope.trim_start_matches("//")
            };
            let span = inner(cx, v);
            out.push(
                on_secret(cx, span, text, public_prefix(text, "npm_"), format!(
                    "`.npmrc` holds an npm login (`{setting}`) for {registry}: `npm login` saves a person's credential here, and anything using this file reads and publishes packages as them"
                ))
                .label("npm credential")
                .confidence(Confidence::Medium)
                .help("Publish with trusted publishing (OIDC) or a granular automation token scoped to the packages, injected at run time (`//registry.npmjs.org/:_authToken=${NPM_TOKEN}`).")
                .key(format!("npmrc:{key}"))
                .build(),
            );
        }
    }
}

fn pypirc(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for section in doc.root.entries() {
            let repo = section.key_str().unwrap_or("pypi");
            let Some((pw, text)) = secret(section.value.get("password")) else {
                continue;
            };
            let user = section
                .value
                .get("username")
                .and_then(Node::as_str)
                .unwrap_or("");
            let what = if user == "__token__" {
                "an API token of a PyPI account".to_owned()
            } else {
                format!("the password of PyPI user `{user}`")
            };
            let span = inner(cx, pw);
            out.push(
                on_secret(cx, span, text, public_prefix(text, "pypi-"), format!(
                    "`.pypirc` section `{repo}` holds {what}: anything using this file uploads packages as that person"
                ))
                .label("PyPI credential")
                .confidence(Confidence::Medium)
                .help("Publish with trusted publishing (OIDC from CI), or a project-scoped token injected at run time (`TWINE_PASSWORD` from a secret store).")
                .key(format!("pypirc:{repo}"))
                .build(),
            );
        }
    }
}

fn docker(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        for reg in doc.root.get("auths").map(Node::entries).unwrap_or_default() {
            let registry = reg.key_str().unwrap_or("<registry>");
            for field in ["auth", "identitytoken"] {
                let Some((v, text)) = secret(reg.value.get(field)) else {
                    continue;
                };
                let span = inner(cx, v);
                let what = if field == "auth" {
                    "`user:password`, only base64-encoded"
                } else {
                    "an identity token from an interactive login"
                };
                out.push(
                    on_secret(cx, span, text, 0, format!(
                        "Docker `config.json` holds the `docker login` of {registry} ({what}): whoever has this file pulls and pushes images as that account"
                    ))
                    .label("registry login")
                    .confidence(Confidence::Medium)
                    .help("Use the registry's workload identity (ECR, Artifact Registry, ACR), a credential helper (`credHelpers`), or a robot account's token injected at run time.")
                    .key(format!("docker-config:{registry}:{field}"))
                    .build(),
                );
            }
        }
    }
}

/// Codex `auth.json` after `codex login` with ChatGPT: `tokens` with the login's
/// refresh and access tokens (an `OPENAI_API_KEY` login has no `tokens`).
fn codex(cx: &FileCx<'_>, out: &mut Vec<Finding>) {
    for doc in cx.documents() {
        let Some(tokens) = doc.root.get("tokens") else {
            continue;
        };
        let login = tokens.get("account_id").is_some()
            || tokens.get("id_token").is_some()
            || doc.root.get("last_refresh").is_some();
        if !login {
            continue;
        }
        let mut masks = Vec::new();
        for field in ["refresh_token", "access_token", "id_token"] {
            if let Some((v, text)) = secret(tokens.get(field)) {
                masks.push((inner(cx, v), text, field));
            }
        }
        let Some(&(span, text, field)) = masks.first() else {
            continue;
        };
        let mut b = on_secret(cx, span, text, 0, format!(
            "Codex `auth.json` holds a ChatGPT login (`tokens.{field}`), as `codex login` saves it: whatever runs Codex with this file acts as that person and spends their ChatGPT plan, for as long as the refresh token stays valid"
        ))
        .label("a person's ChatGPT login")
        .help("Run Codex with an OpenAI API key of a project service account (`OPENAI_API_KEY`, `sk-svcacct-`) from a secret store, never a copied `auth.json`.")
        .key("codex-auth:tokens");
        for &(other, _, _) in &masks[1..] {
            b = b.mask(other, 0);
        }
        out.push(b.build());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_tokens_skip_comments_macros_and_unquote() {
        let text = "# c\nmachine a login \"u v\" password p1\nmacdef init\ncd x\n\nmachine b password p2\n";
        let toks: Vec<&str> = netrc_tokens(text).iter().map(|t| t.text).collect();
        assert_eq!(
            toks,
            [
                "machine", "a", "login", "u v", "password", "p1", "machine", "b", "password", "p2"
            ]
        );
        for t in netrc_tokens(text) {
            assert_eq!(&text[t.span.range()], t.text);
        }
        // Unterminated quotes and trailing backslashes stay in bounds.
        let _ = netrc_tokens("password \"abc\\");
    }

    #[test]
    fn service_account_tokens_are_recognised() {
        let payload = "{\"sub\":\"system:serviceaccount:agents:triage\"}";
        let enc = base64_for_test(payload.as_bytes());
        assert!(is_service_account_jwt(&format!(
            "eyJhbGciOiJSUzI1NiJ9.{enc}.sig"
        )));
        assert!(!is_service_account_jwt("opaque-token"));
        assert_eq!(base64url_decode(&enc), payload.as_bytes());
    }

    fn base64_for_test(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn persons_and_machines() {
        assert!(looks_like_person("jane.doe@acme.com"));
        assert!(!looks_like_person("ci@proj.iam.gserviceaccount.com"));
        assert!(!looks_like_person("deploy-bot@acme.com"));
        assert!(!looks_like_person("kubernetes-admin"));
        assert_eq!(
            impersonated_account(
                "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/agent@p.iam.gserviceaccount.com:generateAccessToken"
            ),
            Some("agent@p.iam.gserviceaccount.com")
        );
    }
}
