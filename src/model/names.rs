//! Names that carry a credential, as data: the `[[person_name]]` table of the catalog
//! files (`rules/credentials.toml`).
//!
//! One table answers "does this name say whose credential it holds?" for every place a
//! credential is wired in by name: environment variables and secret names
//! (`GITHUB_PERSONAL_ACCESS_TOKEN`, `secrets.JANE_PAT`), command-line flags of known
//! servers (`--access-token` of the Supabase MCP server), prompts and schema fields
//! whose description names the credential ("GitHub Personal Access Token"), and pairs
//! (an email in `JIRA_USERNAME` next to `JIRA_API_TOKEN`). Entries may point at the
//! catalog format of their literal (`format = "supabase-access-token"`), so the same
//! entry feeds literal and by-name detection. Model-provider keys (`ANTHROPIC_API_KEY`)
//! are listed too: they grant a model, not the organisation's resources, which
//! `identity-shared-by-agents` weighs.
//!
//! Names are compared by their parts: split at `_`, `-`, `.`, spaces and camelCase
//! humps, upper-cased (`figmaApiKey` and `FIGMA_API_KEY` are the same name).

use serde::Deserialize;

/// What a name says about the credential it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    /// A person's credential (a PAT, a user token, a session).
    Personal,
    /// A model provider's API key: it buys model calls, not the organisation's data.
    ModelProvider,
}

/// One `[[person_name]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawName {
    /// Parts that appear together anywhere in the name (`PAT`, `PERSONAL_ACCESS_TOKEN`).
    #[serde(default)]
    part: Option<String>,
    /// The name, or its last parts (`SUPABASE_ACCESS_TOKEN` also matches
    /// `MY_SUPABASE_ACCESS_TOKEN`).
    #[serde(default)]
    name: Option<String>,
    /// A command-line flag (`--access-token`), read only in the command lines of
    /// `servers`.
    #[serde(default)]
    flag: Option<String>,
    /// Words in a description or prompt ("personal access token").
    #[serde(default)]
    phrase: Option<String>,
    /// With `name` or `part`: the entry applies only when one of these names is set to
    /// an email address in the same environment (Atlassian API tokens act as the
    /// account of that email).
    #[serde(default)]
    with_email: Vec<String>,
    /// Parts that must also be in the name (a `PERSONAL` name must be a credential's).
    #[serde(default)]
    needs: Vec<String>,
    /// Parts that rule the name out (`AWS_SESSION_TOKEN` is not a browser session).
    #[serde(default)]
    unless: Vec<String>,
    /// For `flag`: words of the server command line that must be present (a package).
    #[serde(default)]
    servers: Vec<String>,
    #[serde(default = "personal")]
    kind: NameKind,
    /// What the name carries, for messages ("a Supabase personal access token").
    credential: String,
    /// Why a name like this carries a person's credential.
    reason: String,
    /// The catalog format of its literal, when there is one.
    #[serde(default)]
    format: Option<String>,
    /// What to use instead (defaults to the format's alternative).
    #[serde(default)]
    alternative: Option<String>,
    #[serde(rename = "match")]
    must_match: Vec<String>,
    #[serde(rename = "no_match")]
    must_not_match: Vec<String>,
}

fn personal() -> NameKind {
    NameKind::Personal
}

/// How an entry matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Part(Vec<String>),
    Name(Vec<String>),
    Flag(String),
    Phrase(Vec<String>),
}

/// One compiled `[[person_name]]` entry.
#[derive(Debug)]
pub struct NameRule {
    pub how: NameMatch,
    pub kind: NameKind,
    pub with_email: Vec<Vec<String>>,
    pub needs: Vec<String>,
    pub unless: Vec<String>,
    pub servers: Vec<String>,
    pub credential: String,
    pub reason: String,
    /// Index into the catalog's specs.
    pub format: Option<usize>,
    pub alternative: Option<String>,
    pub must_match: Vec<String>,
    pub must_not_match: Vec<String>,
    pub source: String,
}

impl RawName {
    /// Compile against the catalog's format ids; `Err` says what is wrong.
    pub(crate) fn compile(
        self,
        source: &str,
        format_index: impl Fn(&str) -> Option<usize>,
    ) -> Result<NameRule, String> {
        let hows: Vec<NameMatch> = [
            self.part.map(|p| NameMatch::Part(name_parts(&p))),
            self.name.map(|n| NameMatch::Name(name_parts(&n))),
            self.flag.map(|f| NameMatch::Flag(f.to_ascii_lowercase())),
            self.phrase.map(|p| NameMatch::Phrase(words(&p))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let [how] = <[NameMatch; 1]>::try_from(hows)
            .map_err(|_| "needs exactly one of `part`, `name`, `flag`, `phrase`".to_owned())?;
        let empty = match &how {
            NameMatch::Part(p) | NameMatch::Name(p) | NameMatch::Phrase(p) => p.is_empty(),
            NameMatch::Flag(f) => !f.starts_with('-') || f.len() < 3,
        };
        if empty {
            return Err("an empty name, part, phrase or flag".into());
        }
        if self.must_match.is_empty() || self.must_not_match.is_empty() {
            return Err("needs `match` and `no_match` examples".into());
        }
        if self.reason.trim().is_empty() || self.credential.trim().is_empty() {
            return Err("needs a `credential` and a `reason`".into());
        }
        let format = match self.format {
            Some(id) => Some(format_index(&id).ok_or(format!("unknown format `{id}`"))?),
            None => None,
        };
        Ok(NameRule {
            how,
            kind: self.kind,
            with_email: self.with_email.iter().map(|n| name_parts(n)).collect(),
            needs: self.needs.iter().flat_map(|n| name_parts(n)).collect(),
            unless: self.unless.iter().flat_map(|n| name_parts(n)).collect(),
            servers: self
                .servers
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
            credential: self.credential,
            reason: self.reason,
            format,
            alternative: self.alternative,
            must_match: self.must_match,
            must_not_match: self.must_not_match,
            source: source.to_owned(),
        })
    }
}

impl NameRule {
    /// Whether a variable, secret, input or field name matches (pairs aside: their
    /// companion is the caller's to check, see [`NameRule::with_email`]).
    pub fn matches_name(&self, parts: &[String]) -> bool {
        let hit = match &self.how {
            NameMatch::Part(p) => contains_run(parts, p),
            NameMatch::Name(n) => parts.ends_with(n),
            NameMatch::Flag(_) | NameMatch::Phrase(_) => false,
        };
        hit && (self.needs.is_empty() || self.needs.iter().any(|n| parts.contains(n)))
            && !self.unless.iter().any(|u| parts.contains(u))
    }

    /// Whether the entry names this flag on this command line (words of the server's
    /// command and arguments).
    pub fn matches_flag(&self, flag: &str, command: &[&str]) -> bool {
        let NameMatch::Flag(f) = &self.how else {
            return false;
        };
        f.eq_ignore_ascii_case(flag)
            && (self.servers.is_empty()
                || command.iter().any(|w| {
                    let w = w.to_ascii_lowercase();
                    self.servers.iter().any(|s| w.contains(s.as_str()))
                }))
    }

    /// Whether a description or prompt names the credential.
    pub fn matches_phrase(&self, text_words: &[String]) -> bool {
        let NameMatch::Phrase(p) = &self.how else {
            return false;
        };
        contains_run(text_words, p) && !self.unless.iter().any(|u| text_words.contains(u))
    }

    /// Whether the companion of a pair is set to an email: `lookup` gives the value
    /// of a name in the same environment.
    pub fn companion_is_email<'a>(
        &self,
        mut lookup: impl FnMut(&[String]) -> Option<&'a str>,
    ) -> Option<&'a str> {
        self.with_email
            .iter()
            .filter_map(|name| lookup(name))
            .find(|v| looks_like_email(v))
    }
}

/// Whether a name is a credential's (`*_TOKEN`, `*_API_KEY`, `*_PASSWORD`, `*_PAT`),
/// not a key's identifier or location (`AWS_ACCESS_KEY_ID`, `TOKEN_URL`).
pub fn credential_like(name: &str) -> bool {
    const CREDENTIAL: [&str; 14] = [
        "TOKEN",
        "KEY",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PWD",
        "PAT",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
        "COOKIE",
        "APIKEY",
        "PASS",
        "PASSPHRASE",
    ];
    const NOT_LAST: [&str; 12] = [
        "ID", "URL", "URI", "PATH", "FILE", "NAME", "HOST", "PORT", "REGION", "ENDPOINT", "TYPE",
        "HEADER",
    ];
    let parts = name_parts(name);
    parts.iter().any(|p| CREDENTIAL.contains(&p.as_str()))
        && !parts.last().is_some_and(|p| NOT_LAST.contains(&p.as_str()))
}

/// A value that is an email address (not a template).
pub fn looks_like_email(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !v.contains(['$', '{', '<', ' '])
                && !domain.ends_with('.')
        }
        None => false,
    }
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The upper-cased parts of a name: split at anything not alphanumeric and at camelCase
/// humps (`figmaApiKey` → `FIGMA API KEY`, `XMLHttpToken` → `XML HTTP TOKEN`).
pub fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    for chunk in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = chunk.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (prev, cur) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let hump = (prev.is_ascii_lowercase() || prev.is_ascii_digit())
                && cur.is_ascii_uppercase()
                || prev.is_ascii_uppercase() && cur.is_ascii_uppercase() && next_lower;
            if hump {
                parts.push(chars[start..i].iter().collect::<String>());
                start = i;
            }
        }
        if start < chars.len() {
            parts.push(chars[start..].iter().collect::<String>());
        }
    }
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.to_ascii_uppercase())
        .collect()
}

/// The upper-cased words of a description.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect()
}

#[cfg(test)]
/// A name example of a pair entry: `JIRA_API_TOKEN + JIRA_USERNAME=jane@acme.io`.
pub(crate) fn split_pair_example(example: &str) -> (&str, Option<(&str, &str)>) {
    match example.split_once(" + ") {
        Some((name, rest)) => (name.trim(), rest.split_once('=')),
        None => (example.trim(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_names() {
        let p = |s: &str| name_parts(s).join("_");
        assert_eq!(p("figmaApiKey"), "FIGMA_API_KEY");
        assert_eq!(
            p("GITHUB_PERSONAL_ACCESS_TOKEN"),
            "GITHUB_PERSONAL_ACCESS_TOKEN"
        );
        assert_eq!(p("github-mcp-pat"), "GITHUB_MCP_PAT");
        assert_eq!(p("X-Figma-Token"), "X_FIGMA_TOKEN");
        assert_eq!(p("XMLHttpToken"), "XML_HTTP_TOKEN");
        assert_eq!(
            p("__Secure-next-auth.session-token"),
            "SECURE_NEXT_AUTH_SESSION_TOKEN"
        );
        assert_eq!(p("hf_token"), "HF_TOKEN");
        assert_eq!(p("token2Value"), "TOKEN2_VALUE");
        assert!(name_parts("").is_empty());
    }

    #[test]
    fn credential_names() {
        for n in [
            "GITHUB_TOKEN",
            "figmaApiKey",
            "DB_PASSWORD",
            "GH_PAT",
            "SLACK_COOKIE",
        ] {
            assert!(credential_like(n), "{n}");
        }
        for n in [
            "AWS_ACCESS_KEY_ID",
            "TOKEN_URL",
            "HOME",
            "FIGMA_FILE_ID",
            "PATH",
        ] {
            assert!(!credential_like(n), "{n}");
        }
    }

    #[test]
    fn emails() {
        assert!(looks_like_email("jane.doe@acme.io"));
        assert!(looks_like_email("\"you@email.com\""));
        assert!(!looks_like_email("${JIRA_USER}"));
        assert!(!looks_like_email("jane"));
        assert!(!looks_like_email("<your-email>@example"));
    }
}
