//! Account knowledge as data (`rules/accounts.toml`): where files keep environment
//! variables, the words that make an account name generic, and role session names
//! that name nobody. Compiled once; the settings extractor and rules ask it.

use std::sync::OnceLock;

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../rules/accounts.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Accounts {
    env: Env,
    account: AccountWords,
    session: Sessions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Env {
    containers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountWords {
    generic: Vec<String>,
    shared_prefixes: Vec<String>,
    filler: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sessions {
    generic: Vec<String>,
}

impl Accounts {
    /// The knowledge shipped in the binary. A test proves it parses, so `None` only
    /// happens if the embedded file was broken at build time.
    pub(crate) fn builtin() -> Option<&'static Accounts> {
        static A: OnceLock<Option<Accounts>> = OnceLock::new();
        A.get_or_init(|| toml::from_str(BUILTIN).ok()).as_ref()
    }

    /// Whether a key (already lowercased) holds a set of environment variables.
    pub(crate) fn env_container(&self, lower_key: &str) -> bool {
        self.env.containers.iter().any(|c| c == lower_key)
    }

    /// The generic word that makes an account name shared, if it is: every word of it
    /// is generic or filler (`admin`, `ci-user`, `service-account`, `admin-role`), or it
    /// starts with a shared prefix (`shared-agents`, `team_platform`).
    pub(crate) fn generic_account(&self, name: &str) -> Option<&str> {
        let lower = name.trim().to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split(['-', '_', '.', ' '])
            .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
            .filter(|w| !w.is_empty())
            .collect();
        let generic = |w: &str| {
            self.account
                .generic
                .iter()
                .find(|g| g.as_str() == w)
                .map(String::as_str)
        };
        if let Some(first) = words.first()
            && words.len() > 1
            && let Some(g) = generic(first).filter(|g| {
                self.account
                    .shared_prefixes
                    .iter()
                    .any(|p| p.as_str() == *g)
            })
        {
            return Some(g);
        }
        let mut found = None;
        for w in &words {
            match generic(w) {
                Some(g) => found = found.or(Some(g)),
                None if self.account.filler.iter().any(|f| f == w) => {}
                None => return None,
            }
        }
        found
    }

    /// Whether a role session name names no agent and no run.
    pub(crate) fn generic_session_name(&self, name: &str) -> bool {
        let lower = name.trim().to_ascii_lowercase();
        !lower.contains('$') && self.session.generic.contains(&lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> &'static Accounts {
        Accounts::builtin().expect("rules/accounts.toml parses")
    }

    #[test]
    fn generic_and_own_names() {
        for name in [
            "admin",
            "root",
            "shared",
            "team",
            "service-account",
            "serviceaccount",
            "ci",
            "automation",
            "shared-agents",
            "team_platform",
            "admin-role",
            "ci-user",
            "Administrator",
        ] {
            assert!(accounts().generic_account(name).is_some(), "{name}");
        }
        for name in [
            "triage-agent",
            "svc-triage",
            "ci-runner-triage",
            "default",
            "sa",
            "role",
            "deploy-agent",
            "",
            "rooted",
        ] {
            assert!(accounts().generic_account(name).is_none(), "{name}");
        }
    }

    #[test]
    fn sessions_and_env_containers() {
        let a = accounts();
        assert!(a.generic_session_name(" GitHubActions "));
        assert!(!a.generic_session_name("triage-agent-${{ github.run_id }}"));
        assert!(!a.generic_session_name("$ci"));
        assert!(a.env_container("env") && a.env_container("env_vars"));
        assert!(!a.env_container("ENV"));
    }
}
