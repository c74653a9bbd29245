//! Long-lived cloud keys minted in infrastructure code and where they are handed over.
//!
//! Per file, [`crate::model::extract`] records the keys Terraform resources, calls of
//! well-known IAM modules and CloudFormation resources mint, the values workloads are
//! handed (Lambda and function environments, ECS container definitions, CodeBuild
//! plain-text variables, Elastic Beanstalk settings, EC2 user data, Kubernetes Secrets,
//! plain-text SSM parameters, app settings), and the `locals` and variable defaults
//! references go through. The project pass ([`flows`]) joins them within a Terraform
//! module (a directory) or a CloudFormation template: which key reaches which
//! workload, directly, through locals, variables, `templatefile` arguments or heredoc
//! interpolation.

use std::sync::Arc;

use crate::model::iam::refers_to;
use crate::syntax::source::Span;

/// What kind of long-lived key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    AwsAccessKey,
    GcpServiceAccountKey,
    AzureClientSecret,
}

/// A key minted by a resource or a module call.
#[derive(Debug, Clone)]
pub(crate) struct MintedKey {
    pub(crate) kind: KeyKind,
    /// `aws_iam_access_key`, `AWS::IAM::AccessKey`, or the module's title.
    pub(crate) ty: String,
    /// How references name it: `aws_iam_access_key.agent`, `module.ci_user`, or a
    /// CloudFormation logical id.
    pub(crate) address: String,
    /// Where the finding points (the resource type, the module's setting or name).
    pub(crate) span: Span,
    /// Its owner as written (`aws_iam_user.agent.name`, `!Ref AgentUser`).
    pub(crate) owner: String,
    /// The owner's name when it is known literally in the same module or template.
    pub(crate) owner_name: Option<String>,
    /// The attributes or outputs that hand out the key; a reference through any other
    /// (`aws_iam_access_key.x.user`) hands out nothing.
    pub(crate) outputs: Vec<String>,
    /// The fingerprint key the finding has always had.
    pub(crate) key: String,
}

/// A value a workload is handed that may carry a key.
#[derive(Debug, Clone)]
pub(crate) struct Handover {
    /// `aws_lambda_function.triage`, a CloudFormation logical id.
    pub(crate) consumer: String,
    /// `the environment of`, `the user data of`, ... (followed by the consumer).
    pub(crate) what: &'static str,
    /// The value's text: an expression's source, a string (CloudFormation references
    /// are written `${Logical}` or `${Logical.Attribute}`).
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// A `locals` entry or a variable's default: references go through `local.x`/`var.x`.
#[derive(Debug, Clone)]
pub(crate) struct NamedValue {
    /// `local.creds`, `var.key_id`.
    pub(crate) reference: String,
    pub(crate) text: String,
}

/// What one file records, with the scope its references resolve in.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyFacts {
    /// The Terraform module (directory) or CloudFormation template (path).
    pub(crate) scope: String,
    pub(crate) path: Option<Arc<str>>,
    pub(crate) keys: Vec<MintedKey>,
    pub(crate) handovers: Vec<Handover>,
    pub(crate) named: Vec<NamedValue>,
    /// IAM users of the file with a literal name: (address or logical id, name).
    pub(crate) users: Vec<(String, String)>,
}

impl KeyFacts {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.handovers.is_empty()
            && self.named.is_empty()
            && self.users.is_empty()
    }
}

/// A key and where it is handed over.
#[derive(Debug)]
pub(crate) struct KeyFlow<'a> {
    pub(crate) key: &'a MintedKey,
    pub(crate) path: Arc<str>,
    /// The owner's literal name, from the key or the scope's IAM users.
    pub(crate) owner_name: Option<&'a str>,
    /// Each handover carrying the key, with its file.
    pub(crate) to: Vec<(&'a Handover, Arc<str>)>,
}

/// Rounds of following `local.`/`var.` references: chains longer than this are not
/// followed (a cycle would otherwise never settle).
const MAX_HOPS: usize = 8;

/// Whether `text` refers to the key: its address followed by one of its outputs (or
/// a CloudFormation `${Logical}` / `${Logical.Attr}` reference).
fn names_key(text: &str, key: &MintedKey) -> bool {
    if key.ty.starts_with("AWS::") {
        let r = format!("${{{}", key.address);
        return text.match_indices(&r).any(|(i, _)| {
            let after = &text[i + r.len()..];
            after.starts_with('}') || after.starts_with('.')
        });
    }
    if !refers_to(text, &key.address) {
        return false;
    }
    if key.outputs.is_empty() {
        return true;
    }
    let prefix = format!("{}.", key.address);
    text.match_indices(&prefix).any(|(i, _)| {
        let rest = &text[i + prefix.len()..];
        let attr = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        key.outputs.iter().any(|o| o == attr)
    })
}

/// Whether `text` mentions a name (`local.creds`) as a whole: `local.creds.id`,
/// `merge(local.creds, {})`, not `local.credentials`.
fn mentions(text: &str, name: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(|c| word(c) || c == '.') && !after.is_some_and(word)
    })
}

/// Every minted key with the handovers of its scope that carry it: directly, or
/// through locals and variable defaults of the same scope (chains of up to
/// [`MAX_HOPS`]).
pub(crate) fn flows(facts: &[KeyFacts]) -> Vec<KeyFlow<'_>> {
    let mut scopes: Vec<&str> = facts.iter().map(|f| f.scope.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let mut out = Vec::new();
    for scope in scopes {
        let files: Vec<&KeyFacts> = facts.iter().filter(|f| f.scope == scope).collect();
        let named: Vec<&NamedValue> = files.iter().flat_map(|f| &f.named).collect();
        for file in &files {
            let Some(path) = &file.path else { continue };
            for key in &file.keys {
                // The named values that carry the key, found round by round.
                let mut carriers: Vec<&str> = Vec::new();
                for _ in 0..MAX_HOPS {
                    let before = carriers.len();
                    for n in &named {
                        if carriers.contains(&n.reference.as_str()) {
                            continue;
                        }
                        if names_key(&n.text, key) || carriers.iter().any(|c| mentions(&n.text, c))
                        {
                            carriers.push(&n.reference);
                        }
                    }
                    if carriers.len() == before {
                        break;
                    }
                }
                let to: Vec<(&Handover, Arc<str>)> = files
                    .iter()
                    .filter_map(|f| f.path.as_ref().map(|p| (f, p)))
                    .flat_map(|(f, p)| f.handovers.iter().map(move |h| (h, Arc::clone(p))))
                    .filter(|(h, _)| {
                        names_key(&h.text, key) || carriers.iter().any(|c| mentions(&h.text, c))
                    })
                    .collect();
                let owner_name = key.owner_name.as_deref().or_else(|| {
                    files
                        .iter()
                        .flat_map(|f| &f.users)
                        .find_map(|(address, name)| {
                            // CloudFormation owners are written `${Logical}`.
                            let named = if key.ty.starts_with("AWS::") {
                                key.owner.trim_start_matches("${").trim_end_matches('}') == address
                            } else {
                                refers_to(&key.owner, address)
                            };
                            named.then_some(name.as_str())
                        })
                });
                out.push(KeyFlow {
                    key,
                    path: Arc::clone(path),
                    owner_name,
                    to,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(address: &str, outputs: &[&str]) -> MintedKey {
        MintedKey {
            kind: KeyKind::AwsAccessKey,
            ty: "aws_iam_access_key".into(),
            address: address.into(),
            span: Span::default(),
            owner: "aws_iam_user.ci.name".into(),
            owner_name: None,
            outputs: outputs.iter().map(|o| (*o).to_owned()).collect(),
            key: String::new(),
        }
    }

    #[test]
    fn references_reach_handovers_through_locals_and_variables() {
        let facts = vec![
            KeyFacts {
                scope: "infra".into(),
                path: Some(Arc::from("infra/iam.tf")),
                keys: vec![key("aws_iam_access_key.ci", &["id", "secret"])],
                users: vec![("aws_iam_user.ci".into(), "jane.doe".into())],
                ..KeyFacts::default()
            },
            KeyFacts {
                scope: "infra".into(),
                path: Some(Arc::from("infra/app.tf")),
                named: vec![
                    NamedValue {
                        reference: "local.creds".into(),
                        text: "{ id = aws_iam_access_key.ci.id }".into(),
                    },
                    NamedValue {
                        reference: "local.env".into(),
                        text: "merge(local.creds, {})".into(),
                    },
                ],
                handovers: vec![
                    Handover {
                        consumer: "aws_lambda_function.a".into(),
                        what: "the environment of",
                        text: "local.env.id".into(),
                        span: Span::default(),
                    },
                    Handover {
                        consumer: "aws_instance.b".into(),
                        what: "the user data of",
                        text: "templatefile(\"init.sh\", { key = aws_iam_access_key.ci.secret })"
                            .into(),
                        span: Span::default(),
                    },
                    Handover {
                        consumer: "aws_instance.c".into(),
                        what: "the user data of",
                        text: "aws_iam_access_key.ci.user".into(),
                        span: Span::default(),
                    },
                ],
                ..KeyFacts::default()
            },
            // Another module's locals do not count.
            KeyFacts {
                scope: "other".into(),
                path: Some(Arc::from("other/app.tf")),
                handovers: vec![Handover {
                    consumer: "aws_lambda_function.d".into(),
                    what: "the environment of",
                    text: "aws_iam_access_key.ci.secret".into(),
                    span: Span::default(),
                }],
                ..KeyFacts::default()
            },
        ];
        let f = flows(&facts);
        assert_eq!(f.len(), 1);
        let consumers: Vec<&str> = f[0].to.iter().map(|(h, _)| h.consumer.as_str()).collect();
        assert_eq!(consumers, ["aws_lambda_function.a", "aws_instance.b"]);
        assert_eq!(f[0].owner_name, Some("jane.doe"));
    }

    #[test]
    fn cloudformation_references() {
        let mut k = key("AgentKey", &[]);
        k.ty = "AWS::IAM::AccessKey".into();
        assert!(names_key("${AgentKey}", &k));
        assert!(names_key("export S=${AgentKey.SecretAccessKey}", &k));
        assert!(!names_key("${AgentKeyRotation}", &k));
    }
}
