//! Extractors: one module per format family, each turning a parsed document into the
//! typed entities of [`crate::model::facts`]. Rules read what these build instead of
//! walking documents.

pub mod asks;
mod audit;
mod cloud;
mod compose;
mod dockerfile;
pub mod grants;
mod harness;
pub mod iac;
mod iam;
mod k8s;
mod keys;
mod mcp;
mod modules;
mod oauth;
mod rbac;
pub mod refs;
mod settings;
mod trust;
mod workflow;

pub use k8s::{PodSpec, pod_spec};
pub use mcp::{McpServer, mcp_servers};

use std::sync::Arc;

use crate::model::catalog::{Catalog, CredentialMatch};
use crate::model::facts::FileFacts;
use crate::model::identity::{Identity, IdentityUse};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node, Parsed};
use crate::syntax::source::Span;

/// Extract the facts of one parsed file: its workloads, definitions, aliases, grants
/// and the views of grants as written. `text` is the file's decoded text.
pub fn extract(
    kind: FileKind,
    path: &Arc<str>,
    parsed: &Parsed,
    text: &str,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> FileFacts {
    let mut facts = FileFacts::default();
    let cx = Extract {
        path,
        text,
        creds,
        catalog,
    };
    let scope = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    // Keys and where they are handed, resolved in the module (Terraform) or the
    // template (CloudFormation) by the project pass.
    let mut key_facts = crate::model::keys::KeyFacts {
        scope: if kind == FileKind::CloudFormation {
            path.to_string()
        } else {
            scope.to_owned()
        },
        path: Some(Arc::clone(path)),
        ..Default::default()
    };
    for (index, doc) in parsed.documents.iter().enumerate() {
        match kind {
            FileKind::Terraform | FileKind::TerraformJson => {
                crate::model::extract::iac::terraform(
                    doc,
                    path,
                    scope,
                    &mut facts.workloads,
                    &mut facts.definitions,
                );
                audit::terraform(doc, &mut facts.views_mut().audit);
                cloud::terraform(doc, &mut facts.views_mut().cloud);
                keys::terraform(doc, &mut key_facts);
            }
            FileKind::CloudFormation => {
                crate::model::extract::iac::cloudformation(
                    doc,
                    path,
                    &mut facts.workloads,
                    &mut facts.definitions,
                );
                audit::cloudformation(doc, &mut facts.views_mut().audit);
                cloud::cloudformation(doc, &mut facts.views_mut().cloud);
                keys::cloudformation(doc, &mut key_facts);
            }
            FileKind::Kubernetes | FileKind::HelmTemplate => cx.k8s(doc, &mut facts),
            FileKind::Compose => cx.compose(doc, &mut facts),
            FileKind::McpConfig => cx.mcp(doc, &mut facts),
            FileKind::GithubWorkflow => {
                cx.workflow(doc, &mut facts);
                workflow::step_lists(doc, &mut facts.views_mut().runtime.step_lists);
            }
            FileKind::GithubAction => {
                workflow::step_lists(doc, &mut facts.views_mut().runtime.step_lists)
            }
            FileKind::Dockerfile => {
                dockerfile::image_copies(doc, &mut facts.views_mut().runtime.image_copies)
            }
            FileKind::AwsConfig => audit::aws_config(doc, &mut facts.views_mut().audit),
            // Azure Resource Manager templates are JSON files by name.
            FileKind::Json => cloud::arm(doc, &mut facts.views_mut().cloud),
            _ => {}
        }
        cx.asks(kind, doc, &mut facts);
        cx.harness(kind, doc, &mut facts);
        if crate::model::trust::holds_trust_policies(kind) {
            trust::trust_policies(doc, path, &mut facts.views_mut().trust.policies);
        }
        if matches!(kind, FileKind::Terraform | FileKind::TerraformJson) {
            trust::module_trust(doc, &mut facts.views_mut().trust.policies);
        }
        settings::settings(kind, doc, &mut facts.views_mut().settings);
        views(kind, path, scope, index, doc, text, &mut facts);
    }
    facts.shrink_views(path, scope);
    if !key_facts.is_empty() {
        facts
            .infra
            .get_or_insert_with(Box::default)
            .keys
            .push(key_facts);
    }
    for w in &mut facts.workloads {
        w.classify();
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

/// Facts of a file that is not parsed: the agents a script or Makefile starts.
pub fn extract_text(
    kind: FileKind,
    path: &Arc<str>,
    text: &str,
    creds: &[CredentialMatch],
    catalog: &Catalog,
) -> FileFacts {
    let mut facts = FileFacts::default();
    if kind == FileKind::Script {
        let cx = Extract {
            path,
            text,
            creds,
            catalog,
        };
        cx.script_harness(text, &mut facts);
        for w in &mut facts.workloads {
            w.classify();
        }
        facts.grants = grants::extract(kind, path, &Parsed::default(), &facts, creds, catalog);
    }
    facts
}

/// The views of grants as written in one document, for the file kinds that can hold
/// each: IAM policies, managed policies, GCP and Azure roles, RBAC, workflow token
/// permissions, OAuth scopes. `dir` is the file's directory.
fn views(
    kind: FileKind,
    path: &str,
    dir: &str,
    index: usize,
    doc: &Document,
    text: &str,
    facts: &mut FileFacts,
) {
    use FileKind::*;
    // Holders resolve in a Terraform module (its directory) or a CloudFormation
    // template (the file); the grants model follows them in those files only.
    let scope = match kind {
        Terraform | TerraformJson => Some(dir),
        CloudFormation => Some(path),
        _ => None,
    };
    if kind.may_hold_iam_policies() {
        // Who holds what a Terraform block grants is followed once per block, for
        // policies, attachments and role bindings alike.
        let mut reader = iam::Reader::new(doc, index, scope);
        reader.policies(&mut facts.views_mut().written.iam_policies);
        if matches!(
            kind,
            Terraform | TerraformJson | CloudFormation | Json | Yaml
        ) {
            reader.managed_policies(&mut facts.views_mut().written.managed_policies);
            reader.role_bindings(&mut facts.views_mut().written.role_bindings);
            reader.azure_roles(&mut facts.views_mut().written.azure_roles);
        }
    }
    if matches!(kind, Kubernetes | HelmTemplate | Terraform | TerraformJson) {
        rbac::rbac(doc, index, &mut facts.views_mut().written.rbac);
    }
    if kind == GithubWorkflow {
        workflow::permissions(doc, index, &mut facts.views_mut().written.workflows);
    }
    if !matches!(kind, Text | Netrc | GitCredentials | Dockerfile) {
        oauth::scopes(doc, text, &mut facts.views_mut().written.oauth_scopes);
    }
}

struct Extract<'a> {
    path: &'a Arc<str>,
    /// The file's text, which every span points into.
    text: &'a str,
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
