//! Whether a path, login or address belongs to a person: credential locations of a
//! person's machine, personal email addresses and logins.

/// A credential location of a person's machine, named by a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialLocation {
    /// What it holds, e.g. `AWS credentials`.
    pub what: &'static str,
    /// Its usual spelling, e.g. `~/.aws`.
    pub home_path: &'static str,
    /// The path is under a home directory (`~`, `$HOME`, `/home/<user>`, `/Users/<user>`,
    /// `/root`, `C:\Users\<user>`) rather than a bare relative name such as `.aws`.
    pub in_home: bool,
    /// The path is a whole home directory, credentials and all.
    pub whole_home: bool,
}

/// Credential locations under a home directory: (path, what, whether deeper paths
/// count too).
const HOME_CREDENTIALS: &[(&str, &str, bool)] = &[
    (".aws", "AWS credentials", true),
    (".config/gcloud", "Google Cloud credentials", true),
    (".azure", "Azure CLI credentials", true),
    (".kube", "Kubernetes credentials", true),
    (".ssh", "SSH keys", true),
    (".docker/config.json", "Docker registry credentials", false),
    // The directory holds config.json; other `.docker/...` paths (buildx, contexts) do not.
    (".docker", "Docker registry credentials", false),
    (".netrc", "netrc passwords", false),
    (".git-credentials", "Git credentials", false),
    (".config/gh", "GitHub CLI token", true),
    (
        "application_default_credentials.json",
        "Google Cloud credentials",
        false,
    ),
];

/// SSH private key file names, credentials wherever they sit.
const SSH_KEY_NAMES: &[&str] = &["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa"];

/// The part of `path` below a home directory (`""` for the home itself), when `path`
/// starts at one. `path` has `/` separators.
fn below_home(path: &str) -> Option<&str> {
    const VARS: &[&str] = &[
        "$HOME",
        "${HOME}",
        "${env:HOME}",
        "${userHome}",
        "%USERPROFILE%",
        "$env:USERPROFILE",
        "${env:USERPROFILE}",
    ];
    let rest = if let Some(r) = path.strip_prefix('~') {
        // `~` or `~user`, then a separator or the end.
        match r.find('/') {
            Some(i)
                if r[..i]
                    .chars()
                    .all(|c| c.is_alphanumeric() || "._-".contains(c)) =>
            {
                &r[i..]
            }
            None if r.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) => "",
            _ => return None,
        }
    } else if let Some(v) = VARS.iter().find(|v| path.starts_with(**v)) {
        &path[v.len()..]
    } else if path == "/root" || path.starts_with("/root/") {
        &path["/root".len()..]
    } else {
        let lower = path.to_ascii_lowercase();
        let after = ["/home/", "/users/", "c:/users/"]
            .iter()
            .find(|p| lower.starts_with(**p))
            .map(|p| &path[p.len()..])?;
        let user_end = after.find('/').unwrap_or(after.len());
        if user_end == 0 {
            return None;
        }
        &after[user_end..]
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.trim_start_matches('/'))
}

fn match_credential(rel: &str, in_home: bool) -> Option<CredentialLocation> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    // Public halves and host lists sit next to keys but grant nothing.
    if matches!(name, "known_hosts" | "known_hosts.old" | "authorized_keys")
        || name.ends_with(".pub")
        || rel == ".ssh/config"
    {
        return None;
    }
    let found = HOME_CREDENTIALS.iter().find(|(p, _, deeper)| {
        rel == *p || (*deeper && rel.strip_prefix(*p).is_some_and(|r| r.starts_with('/')))
    });
    if let Some((p, what, _)) = found {
        let home_path = match *p {
            ".aws" => "~/.aws",
            ".config/gcloud" | "application_default_credentials.json" => "~/.config/gcloud",
            ".azure" => "~/.azure",
            ".kube" => "~/.kube",
            ".ssh" => "~/.ssh",
            ".docker/config.json" | ".docker" => "~/.docker/config.json",
            ".netrc" => "~/.netrc",
            ".git-credentials" => "~/.git-credentials",
            _ => "~/.config/gh",
        };
        return Some(CredentialLocation {
            what,
            home_path,
            in_home,
            whole_home: false,
        });
    }
    SSH_KEY_NAMES.contains(&name).then_some(CredentialLocation {
        what: "SSH keys",
        home_path: "~/.ssh",
        in_home,
        whole_home: false,
    })
}

/// The person's credential location `path` names: a credential directory or file under
/// a home directory (`~/.aws`, `$HOME/.kube/config`, `/Users/jane/.ssh`), the home
/// directory itself, or a relative path with a credential's name (`.aws`,
/// `./.kube/config`, `id_rsa`), which is what a Dockerfile `COPY` source or a compose
/// bind mount from the project directory looks like.
pub fn credential_location(path: &str) -> Option<CredentialLocation> {
    let norm = path.trim().replace('\\', "/");
    let norm = norm.trim_end_matches('/');
    if let Some(rel) = below_home(norm) {
        if rel.is_empty() {
            return Some(CredentialLocation {
                what: "home directory",
                home_path: "~",
                in_home: true,
                whole_home: true,
            });
        }
        return match_credential(rel, true);
    }
    if norm.starts_with('/') || norm.starts_with('$') || norm.contains(':') {
        return None;
    }
    let mut rel = norm;
    while let Some(r) = rel.strip_prefix("./") {
        rel = r;
    }
    match_credential(rel, false)
}

/// Consumer mail providers: an address there is a person's own.
fn consumer_mail_domain(domain: &str) -> bool {
    const EXACT: &[&str] = &[
        "gmail.com",
        "googlemail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "aol.com",
        "mail.com",
        "zoho.com",
        "live.com",
        "msn.com",
        "qq.com",
        "163.com",
        "web.de",
        "fastmail.com",
    ];
    const FAMILIES: &[&str] = &["yahoo", "hotmail", "outlook", "gmx", "yandex"];
    EXACT.contains(&domain)
        || domain
            .split_once('.')
            .is_some_and(|(first, _)| FAMILIES.contains(&first))
}

/// Domains reserved for documentation or for service identities.
fn non_personal_domain(domain: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "gserviceaccount.com",
        "noreply.github.com",
        "example.com",
        "example.org",
        "example.net",
        "contoso.com",
        "fabrikam.com",
        "domain.com",
        "company.com",
        "yourcompany.com",
        "yourdomain.com",
        "mycompany.com",
        "email.com",
    ];
    let tld = domain.rsplit('.').next().unwrap_or("");
    matches!(tld, "example" | "test" | "invalid" | "localhost" | "local")
        || domain.split('.').any(|l| l == "example")
        || SUFFIXES
            .iter()
            .any(|s| domain == *s || domain.ends_with(&format!(".{s}")))
}

/// Words that mark a mailbox or login as a service or a placeholder wherever it is.
const SERVICE_WORDS: &[&str] = &[
    "bar",
    "baz",
    "bot",
    "bots",
    "build",
    "builder",
    "builds",
    "cd",
    "changeme",
    "ci",
    "dummy",
    "email",
    "example",
    "firstname",
    "foo",
    "jenkins",
    "lastname",
    "mcp",
    "name",
    "nobody",
    "qa",
    "release",
    "releases",
    "runner",
    "sa",
    "svc",
    "test",
    "testing",
    "user",
    "username",
    "you",
    "your",
];

/// Words that mark a mailbox or login as a role or team rather than a person; at a
/// consumer mail provider they are just part of someone's address.
const ROLE_WORDS: &[&str] = &[
    "abuse",
    "accounts",
    "alerts",
    "all",
    "anonymous",
    "api",
    "app",
    "apps",
    "billing",
    "careers",
    "com",
    "contact",
    "data",
    "default",
    "dev",
    "devops",
    "devs",
    "everyone",
    "finance",
    "first",
    "git",
    "github",
    "gitlab",
    "group",
    "guest",
    "hello",
    "help",
    "hostmaster",
    "hr",
    "info",
    "io",
    "it",
    "jobs",
    "last",
    "legal",
    "mail",
    "me",
    "monitoring",
    "net",
    "office",
    "oncall",
    "only",
    "ops",
    "org",
    "owner",
    "platform",
    "postmaster",
    "press",
    "prod",
    "read",
    "readonly",
    "root",
    "sales",
    "security",
    "shared",
    "someone",
    "sre",
    "staging",
    "support",
    "team",
    "webmaster",
    "write",
];

/// Substrings that mark a mailbox or login as a service's.
const SERVICE_MARKERS: &[&str] = &[
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "[bot]",
    "service",
    "automation",
    "robot",
    "deploy",
    "system",
    "agent",
    "admin",
    "notification",
    "alert",
];

fn looks_like_service(local: &str) -> bool {
    let lower = local.to_ascii_lowercase();
    SERVICE_MARKERS.iter().any(|m| lower.contains(m))
        || lower
            .split(['.', '-', '_'])
            .any(|w| SERVICE_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

fn looks_like_role(local: &str) -> bool {
    looks_like_service(local)
        || local
            .to_ascii_lowercase()
            .split(['.', '-', '_'])
            .any(|w| ROLE_WORDS.contains(&w.trim_end_matches(|c: char| c.is_ascii_digit())))
}

/// `first.last`, `first.m.last`: letters in two or three dot-separated words.
fn first_dot_last(login: &str) -> bool {
    let words: Vec<&str> = login.split('.').collect();
    (2..=3).contains(&words.len())
        && login.len() <= 48
        && words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        && words.first().is_some_and(|w| w.len() >= 2)
        && words.last().is_some_and(|w| w.len() >= 2)
        && !looks_like_role(login)
}

/// Bots and automation services by their usual login or display name: GitHub's own
/// apps, dependency updaters, release tools, CI services and coding agents.
const KNOWN_BOTS: &[&str] = &[
    "github-actions",
    "dependabot",
    "dependabot-preview",
    "renovate",
    "renovatebot",
    "renovate-bot",
    "mergify",
    "greenkeeper",
    "snyk-bot",
    "pre-commit-ci",
    "allcontributors",
    "all-contributors",
    "imgbot",
    "semantic-release-bot",
    "release-please",
    "changeset-bot",
    "codecov",
    "github-merge-queue",
    "copilot-swe-agent",
    "claude",
    "devin-ai-integration",
    "coderabbitai",
];

/// Why a login, address or `Name <address>` is a bot's, when it plainly is: GitHub
/// Actions' commit identity (`actions@github.com`, `github-actions[bot]`), a GitHub
/// App's `[bot]` account or its `*[bot]@users.noreply.github.com` address, a no-reply
/// sender (`noreply@…`), a `*-bot@…` or `bot@…` mailbox, Dependabot, Renovate and the
/// other automation in [`KNOWN_BOTS`]. A bot's identity is nobody's: committing or
/// calling APIs as one is what automation should do.
pub fn bot_identity(text: &str) -> Option<&'static str> {
    let t = text.trim().trim_matches(['"', '\'']);
    // `Renovate Bot <bot@renovateapp.com>`: either half can tell.
    if let (Some(open), true) = (t.rfind('<'), t.ends_with('>')) {
        return bot_identity(&t[open + 1..t.len() - 1]).or_else(|| bot_identity(t[..open].trim()));
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("[bot]") {
        return Some("a GitHub App's bot account");
    }
    let (local, domain) = lower.split_once('@').unwrap_or((lower.as_str(), ""));
    // `41898282+github-actions[bot]`, `12345+dependabot`: the id prefix of noreply logins.
    let local = local.split_once('+').map_or(local, |(_, l)| l);
    if domain == "github.com" && matches!(local, "actions" | "action" | "noreply") {
        return Some("GitHub Actions' commit identity");
    }
    if [
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
    ]
    .iter()
    .any(|n| local.starts_with(n))
    {
        return Some("a no-reply sender");
    }
    let words: Vec<&str> = local
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| matches!(*w, "bot" | "bots")) {
        return Some("a bot account");
    }
    let name = lower.replace([' ', '_'], "-");
    if KNOWN_BOTS.iter().any(|b| {
        name == *b
            || local == *b
            || name
                .strip_prefix(b)
                .is_some_and(|r| r.starts_with(['-', '.']))
    }) {
        return Some("an automation service's account");
    }
    None
}

/// How sure we are that `text` names a person: an email address at a consumer mail
/// provider (high), a person-shaped address at any other domain (`first.last`,
/// `flast`, `first`: medium), or a bare `first.last` login (medium). Service
/// identities, bots ([`bot_identity`]), role mailboxes, documentation domains and
/// templated values are not people.
pub fn personal_login(text: &str) -> Option<crate::model::rating::Confidence> {
    use crate::model::rating::Confidence;
    let mut t = text.trim();
    // `Jane Doe <jane@example.org>`
    if let (Some(open), true) = (t.rfind('<'), t.ends_with('>')) {
        t = &t[open + 1..t.len() - 1];
    }
    if t.is_empty() || t.contains(['$', '{', '}', '<', '>', ' ', '%']) || bot_identity(t).is_some()
    {
        return None;
    }
    let Some((local, domain)) = t.split_once('@') else {
        return first_dot_last(t).then_some(Confidence::Medium);
    };
    let domain = domain.to_ascii_lowercase();
    let valid = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
        && domain.contains('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid || non_personal_domain(&domain) {
        return None;
    }
    // A `+tag` still delivers to the person's mailbox.
    let mailbox = local.split('+').next().unwrap_or(local);
    if mailbox.is_empty() || looks_like_service(mailbox) {
        return None;
    }
    if consumer_mail_domain(&domain) {
        return Some(Confidence::High);
    }
    if looks_like_role(mailbox) {
        return None;
    }
    let letters = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic());
    let person_shaped = first_dot_last(mailbox)
        || (letters(mailbox) && (2..=20).contains(&mailbox.len()))
        || mailbox
            .split_once(['_', '-'])
            .is_some_and(|(a, b)| letters(a) && letters(b) && a.len() >= 2 && b.len() >= 2);
    person_shaped.then_some(Confidence::Medium)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_are_not_people() {
        for bot in [
            "actions@github.com",
            "action@github.com",
            "github-actions[bot]",
            "41898282+github-actions[bot]@users.noreply.github.com",
            "49699333+dependabot[bot]@users.noreply.github.com",
            "docs-agent[bot]@users.noreply.github.com",
            "noreply@acme-corp.io",
            "no-reply@acme-corp.io",
            "release-bot@acme-corp.io",
            "bot@renovateapp.com",
            "Renovate Bot <bot@renovateapp.com>",
            "dependabot",
            "renovate",
            "semantic-release-bot",
            "GitHub Actions <actions@github.com>",
            "github-actions",
        ] {
            assert!(bot_identity(bot).is_some(), "{bot}");
            assert_eq!(personal_login(bot), None, "{bot}");
        }
        for person in [
            "jane.doe@gmail.com",
            "jane@github.com",
            "abbott@acme-corp.io",
            "Jane Doe <jane.doe@acme-corp.io>",
            "talbot.smith@acme-corp.io",
        ] {
            assert_eq!(bot_identity(person), None, "{person}");
        }
        assert!(personal_login("jane.doe@gmail.com").is_some());
        assert!(personal_login("talbot.smith@acme-corp.io").is_some());
    }
}
