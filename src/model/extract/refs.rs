//! References inside string values: the names a value stands for instead of holding a
//! secret (`${{ secrets.X }}`, `${X}`, `${env:X}`, `$X`, `${input:x}`,
//! `${user_config.x}`, `${{ steps.s.outputs.x }}`).

use std::sync::LazyLock;

use regex::Regex;

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// A GitHub Actions secret (`${{ secrets.X }}`).
    Secret,
    /// An environment variable (`${X}`, `$X`, `${env:X}`, `${{ env.X }}`).
    Env,
    /// A VS Code input prompt (`${input:x}`).
    Input,
    /// A desktop extension or plugin's user configuration (`${user_config.x}`).
    UserConfig,
    /// A workflow step output (`${{ steps.s.outputs.x }}`), named in full.
    StepOutput,
}

/// One reference found in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    pub kind: RefKind,
    pub name: &'a str,
}

static REF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\$\{input:([A-Za-z0-9_.-]+)\}",
        r"|\$\{user_config\.([A-Za-z0-9_-]+)\}",
        r"|\$\{\{[^}]*?\b(steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+)",
        r"|\$\{\{[^}]*?\benv\.([A-Za-z_][A-Za-z0-9_]*)",
        r"|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::?[-=?+][^}]*)?\}",
        r"|\$([A-Za-z_][A-Za-z0-9_]*)",
    ))
    .ok()
});

/// Every reference in `text`, in order.
pub fn references(text: &str) -> Vec<Reference<'_>> {
    if !text.contains('$') {
        return Vec::new();
    }
    let mut out: Vec<Reference<'_>> = super::github_secret_refs(text)
        .map(|name| Reference {
            kind: RefKind::Secret,
            name,
        })
        .collect();
    if let Some(re) = REF.as_ref() {
        for c in re.captures_iter(text) {
            let kinds = [
                RefKind::Input,
                RefKind::UserConfig,
                RefKind::StepOutput,
                RefKind::Env,
                RefKind::Env,
                RefKind::Env,
            ];
            for (i, kind) in kinds.into_iter().enumerate() {
                if let Some(m) = c.get(i + 1) {
                    out.push(Reference {
                        kind,
                        name: m.as_str(),
                    });
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(text: &str) -> Vec<(RefKind, &str)> {
        references(text)
            .into_iter()
            .map(|r| (r.kind, r.name))
            .collect()
    }

    #[test]
    fn kinds() {
        assert_eq!(
            refs("${{ secrets.JANE_PAT }}"),
            vec![(RefKind::Secret, "JANE_PAT")]
        );
        assert_eq!(refs("${GITHUB_PAT:-}"), vec![(RefKind::Env, "GITHUB_PAT")]);
        assert_eq!(refs("${env:GH_PAT}"), vec![(RefKind::Env, "GH_PAT")]);
        assert_eq!(refs("Bearer $TOKEN"), vec![(RefKind::Env, "TOKEN")]);
        assert_eq!(
            refs("${{ env.USER_PAT }}"),
            vec![(RefKind::Env, "USER_PAT")]
        );
        assert_eq!(
            refs("Bearer ${input:github_mcp_pat}"),
            vec![(RefKind::Input, "github_mcp_pat")]
        );
        assert_eq!(
            refs("${user_config.github_token}"),
            vec![(RefKind::UserConfig, "github_token")]
        );
        assert_eq!(
            refs("${{ steps.mint.outputs.token }}"),
            vec![(RefKind::StepOutput, "steps.mint.outputs.token")]
        );
        assert!(refs("plain text").is_empty());
    }
}
