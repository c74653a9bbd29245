//! Extractors: one module per format family, each turning a parsed document into the
//! typed entities of [`crate::model::facts`]. Rules read what these build instead of
//! walking documents.

pub mod asks;
mod compose;
pub mod grants;
pub mod iac;
mod k8s;
mod mcp;
pub mod refs;
mod workflow;

pub use k8s::{PodSpec, binding_subjects, pod_spec};
pub use mcp::{McpServer, mcp_servers};

use std::sync::Arc;

use crate::model::catalog::{Catalog, CredentialMatch};
use crate::model::facts::FileFacts;
use crate::model::identity::{Identity, IdentityUse};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Node, Parsed};
use crate::syntax::source::Span;

/// Extract the facts of one parsed file: its workloads, definitions, aliases and
/// grants.
pub fn extract(
    kind: FileKind,
    path: &Arc<str>,
    parsed: &Parsed,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> FileFacts {
    let mut facts = FileFacts::default();
    let cx = Extract {
        path,
        creds,
        catalog,
    };
    let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    for doc in &parsed.documents {
        match kind {
            FileKind::Terraform | FileKind::TerraformJson => crate::model::extract::iac::terraform(
                doc,
                path,
                scope,
                &mut facts.workloads,
                &mut facts.definitions,
            ),
            FileKind::CloudFormation => crate::model::extract::iac::cloudformation(
                doc,
                path,
                &mut facts.workloads,
                &mut facts.definitions,
            ),
            FileKind::Kubernetes | FileKind::HelmTemplate => cx.k8s(doc, &mut facts),
            FileKind::Compose => cx.compose(doc, &mut facts),
            FileKind::McpConfig => cx.mcp(doc, &mut facts),
            FileKind::GithubWorkflow => cx.workflow(doc, &mut facts),
            _ => {}
        }
        cx.asks(kind, doc, &mut facts);
    }
    facts.grants = grants::extract(kind, path, parsed, &facts, creds, catalog);
    for u in facts.workloads.iter().flat_map(|w| &w.identities) {
        let model = match &u.identity {
            Identity::GithubSecret(n) | Identity::EnvVar(n) => catalog.model_provider_name(n),
            Identity::Credential { model_provider, .. } => *model_provider,
            _ => false,
        };
        if model && !facts.model_keys.contains(&u.identity) {
            facts.model_keys.push(u.identity.clone());
        }
    }
    facts
}

struct Extract<'a> {
    path: &'a Arc<str>,
    creds: &'a [CredentialMatch],
    catalog: &'a Catalog,
}

impl Extract<'_> {
    /// Literal credentials inside `span`, as identities.
    pub(super) fn credentials_in(&self, span: Span, out: &mut Vec<IdentityUse>) {
        for m in self
            .creds
            .iter()
            .filter(|m| m.span.start >= span.start && m.span.end <= span.end)
        {
            let name = self
                .catalog
                .specs
                .get(m.spec)
                .map_or("credential", |s| s.name.as_str());
            out.push(IdentityUse {
                identity: Identity::Credential {
                    model_provider: self
                        .catalog
                        .specs
                        .get(m.spec)
                        .is_some_and(|s| s.model_provider),
                    hash: m.hash.clone(),
                    label: format!(
                        "{name}, {}, {}",
                        principal_kind(self.catalog, m.spec),
                        m.redacted.as_str()
                    ),
                },
                span: m.span,
            });
        }
    }
}

/// "a person's" / "a machine's" ... credential, from the catalog entry.
fn principal_kind(catalog: &Catalog, spec: usize) -> &'static str {
    use crate::model::catalog::Principal;
    match catalog.specs.get(spec).map(|s| s.principal) {
        Some(Principal::Human) => "a person's",
        Some(Principal::Delegated) => "acts for a person",
        Some(Principal::Machine) => "a machine's",
        _ => "owner unknown",
    }
}

/// `KEY: value` mappings and `- KEY=value` lists (compose `environment`).
pub fn env_pairs(node: &Node) -> Vec<(&str, Option<&Node>)> {
    if node.is_map() {
        return node
            .entries()
            .iter()
            .filter_map(|e| Some((e.key_str()?, Some(&e.value))))
            .collect();
    }
    node.items()
        .iter()
        .filter_map(|item| {
            let text = item.as_str()?;
            Some(
                text.split_once('=')
                    .map_or((text, None), |(k, _)| (k, Some(item))),
            )
        })
        .collect()
}

/// Names of `${{ secrets.NAME }}` references in a string.
pub fn github_secret_refs(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("secrets.").filter_map(move |(i, _)| {
        let rest = &text[i + "secrets.".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        // Only inside an open `${{ ... }}` expression.
        let before = &text[..i];
        let open = before.rfind("${{");
        let inside = open.is_some_and(|o| before.rfind("}}").is_none_or(|c| c < o));
        (end > 0 && inside).then(|| &rest[..end])
    })
}

/// A value that stands for a secret rather than being one: empty, a variable or
/// template reference (`${VAR}`, `$VAR`, `%VAR%`, `{{ .x }}`, `${{ secrets.X }}`), or an
/// obvious placeholder (`xxxx`, `<token>`, `changeme`). Files holding only these are
/// templates, not leaks.
pub fn is_placeholder_value(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    v.is_empty()
        || v.starts_with('$')
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || crate::model::catalog::is_placeholder(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_refs() {
        let refs: Vec<_> = github_secret_refs(
            "${{ secrets.AGENT_TOKEN }} and ${{ secrets.GITHUB_TOKEN }} not secrets.X",
        )
        .collect();
        assert_eq!(refs, vec!["AGENT_TOKEN", "GITHUB_TOKEN"]);
    }
}
