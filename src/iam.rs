//! The AWS IAM policy model: statements normalised to effect, actions, not-actions,
//! resources, not-resources, principals and conditions, whichever syntax they came
//! from (policy JSON, Terraform `jsonencode`/heredoc JSON, Terraform
//! `aws_iam_policy_document` blocks, CloudFormation YAML/JSON with intrinsic tags).
//! Rules read statements from here and never look at the syntax.

use crate::doc::{Document, Node, PathSeg, path_string};
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One value of a list field (`Action`, `Resource`, ...), with where it is written.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The value's text; for an expression (a Terraform reference, `!GetAtt`), its source
    /// text, which is never a wildcard.
    pub text: &'a str,
    pub span: Span,
    /// Whether the value is a literal (as opposed to a reference or intrinsic function).
    pub literal: bool,
}

impl Item<'_> {
    pub fn is_star(&self) -> bool {
        self.literal && self.text == "*"
    }
}

/// A principal of a trust policy statement.
#[derive(Debug, Clone, Copy)]
pub struct Principal<'a> {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for `"Principal": "*"`.
    pub kind: &'a str,
    pub value: Item<'a>,
}

#[derive(Debug)]
pub struct Statement<'a> {
    pub node: &'a Node,
    pub sid: Option<&'a str>,
    pub effect: Effect,
    pub actions: Vec<Item<'a>>,
    /// `Some` when the statement uses `NotAction`.
    pub not_actions: Option<Vec<Item<'a>>>,
    pub resources: Vec<Item<'a>>,
    pub not_resources: Option<Vec<Item<'a>>>,
    pub principals: Vec<Principal<'a>>,
    pub condition: Option<&'a Node>,
}

impl Statement<'_> {
    pub fn allows(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// Whether the statement applies to every resource (`Resource: "*"`, or
    /// `NotResource`, which is everything but a list).
    pub fn on_every_resource(&self) -> bool {
        self.not_resources.is_some() || self.resources.iter().any(Item::is_star)
    }

    /// The span of the resource field (for findings about the resource), falling back
    /// to the statement.
    pub fn resource_span(&self) -> Span {
        self.resources
            .iter()
            .find(|r| r.is_star())
            .or(self.resources.first())
            .map_or(self.node.span, |r| r.span)
    }
}

/// A policy document and its statements.
#[derive(Debug)]
pub struct Policy<'a> {
    pub node: &'a Node,
    /// Where the document sits in its file (`resource.aws_iam_role_policy.agent.policy`),
    /// a stable key for fingerprints.
    pub path: String,
    pub statements: Vec<Statement<'a>>,
}

/// Every policy document in a parsed document: maps with a `Statement` key (policy
/// JSON, `jsonencode`, heredocs, CloudFormation `PolicyDocument`) and Terraform
/// `aws_iam_policy_document` data sources.
pub fn policies(doc: &Document) -> Vec<Policy<'_>> {
    let mut out = Vec::new();
    doc.root.walk(|path, node| {
        if let Some(list) = node.get_ci("Statement")
            && node.get("statement").is_none()
        {
            let items: Vec<&Node> = if list.is_map() {
                vec![list]
            } else {
                list.items().iter().collect()
            };
            let statements = items
                .into_iter()
                .filter(|s| s.is_map())
                .map(json_statement)
                .collect();
            out.push(Policy {
                node,
                path: path_string(path),
                statements,
            });
        } else if is_policy_document_block(path) {
            let statements: Vec<Statement<'_>> = node
                .get_all("statement")
                .filter(|s| s.is_map())
                .map(hcl_statement)
                .collect();
            if !statements.is_empty() {
                out.push(Policy {
                    node,
                    path: path_string(path),
                    statements,
                });
            }
        }
    });
    out
}

/// `data "aws_iam_policy_document" "name" { ... }` lowers to
/// `data.aws_iam_policy_document.name`; the body is the node at that exact path.
fn is_policy_document_block(path: &[PathSeg<'_>]) -> bool {
    matches!(
        path,
        [.., PathSeg::Key("aws_iam_policy_document"), PathSeg::Key(_)]
    ) && path.iter().rev().nth(2) == Some(&PathSeg::Key("data"))
}

fn items(node: Option<&Node>) -> Vec<Item<'_>> {
    let Some(node) = node else { return Vec::new() };
    node.one_or_many()
        .into_iter()
        .filter_map(|n| {
            let s = n.as_scalar()?;
            let literal = n.tag().is_none() && n.as_str().is_some();
            Some(Item {
                text: s.text.as_str(),
                span: n.span,
                literal,
            })
        })
        .collect()
}

fn effect(text: Option<&str>) -> Effect {
    // A statement without a (recognisable) effect is read as Allow, so a typo cannot
    // hide a grant; AWS would reject it, Terraform's policy document defaults to Allow.
    match text {
        Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
        _ => Effect::Allow,
    }
}

fn json_statement(st: &Node) -> Statement<'_> {
    let mut principals = Vec::new();
    for key in ["Principal", "NotPrincipal"] {
        let Some(p) = st.get_ci(key) else { continue };
        if p.is_map() {
            for e in p.entries() {
                let kind = e.key_str().unwrap_or("");
                for value in items(Some(&e.value)) {
                    principals.push(Principal { kind, value });
                }
            }
        } else {
            for value in items(Some(p)) {
                principals.push(Principal { kind: "*", value });
            }
        }
    }
    Statement {
        node: st,
        sid: st.get_ci("Sid").and_then(Node::as_str),
        effect: effect(st.get_ci("Effect").and_then(Node::as_str)),
        actions: items(st.get_ci("Action")),
        not_actions: st.get_ci("NotAction").map(|n| items(Some(n))),
        resources: items(st.get_ci("Resource")),
        not_resources: st.get_ci("NotResource").map(|n| items(Some(n))),
        principals,
        condition: st.get_ci("Condition"),
    }
}

fn hcl_statement(st: &Node) -> Statement<'_> {
    let mut principals = Vec::new();
    for key in ["principals", "not_principals"] {
        for block in st.get_all(key) {
            let kind = block.get("type").and_then(Node::as_str).unwrap_or("");
            for value in items(block.get("identifiers")) {
                principals.push(Principal { kind, value });
            }
        }
    }
    Statement {
        node: st,
        sid: st.get("sid").and_then(Node::as_str),
        effect: effect(st.get("effect").and_then(Node::as_str)),
        actions: items(st.get("actions")),
        not_actions: st.get("not_actions").map(|n| items(Some(n))),
        resources: items(st.get("resources")),
        not_resources: st.get("not_resources").map(|n| items(Some(n))),
        principals,
        condition: st.get("condition"),
    }
}

/// Whether an IAM action pattern (`s3:Get*`, `*`, `iam:PassRole`) matches an action,
/// case-insensitively, as IAM does.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(pattern.as_bytes(), action.as_bytes(), false)
}

/// Whether every action `specific` can match is also matched by `general` (wildcards
/// on both sides: `s3:*` covers `s3:Get*`; `s3:Get*` does not cover `s3:*`).
pub fn action_covers(general: &str, specific: &str) -> bool {
    glob(general.as_bytes(), specific.as_bytes(), true)
}

/// Iterative glob with `*` and `?`, ASCII case-insensitive. With `text_has_wildcards`,
/// a `*` or `?` in the text stands for unknown characters, so only a `*` in the
/// pattern may consume it.
fn glob(pattern: &[u8], text: &[u8], text_has_wildcards: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        let tc = text[t];
        let text_wild = text_has_wildcards && (tc == b'*' || tc == b'?');
        match pattern.get(p) {
            Some(b'*') => {
                backtrack = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') if !(text_has_wildcards && tc == b'*') => {
                p += 1;
                t += 1;
                continue;
            }
            Some(pc) if !text_wild && pc.eq_ignore_ascii_case(&tc) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match backtrack {
            Some((bp, bt)) => {
                p = bp + 1;
                t = bt + 1;
                backtrack = Some((bp, bt + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;
    use crate::source::SourceFile;

    fn parsed(path: &str, text: &str) -> crate::doc::Parsed {
        let kind = crate::classify::refine(crate::classify::classify_path(path), text);
        let file = SourceFile::new(path, kind, text.as_bytes().to_vec());
        parse::parse(&file).unwrap().unwrap()
    }

    #[test]
    fn wildcards_match_case_insensitively() {
        assert!(action_matches("*", "iam:PassRole"));
        assert!(action_matches("s3:Get*", "s3:GetObject"));
        assert!(action_matches("S3:getobject", "s3:GetObject"));
        assert!(action_matches("iam:*Policy*", "iam:PutRolePolicy"));
        assert!(action_matches("ec2:?escribe*", "ec2:DescribeInstances"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
        assert!(!action_matches("s3:GetObject", "s3:GetObjectAcl"));
    }

    #[test]
    fn coverage_in_both_directions() {
        assert!(action_covers("s3:*", "s3:Get*"));
        assert!(action_covers("*", "s3:*"));
        assert!(action_covers("s3:Get*", "s3:GetObject"));
        assert!(!action_covers("s3:Get*", "s3:*"));
        assert!(!action_covers("s3:GetObject", "s3:Get*"));
        assert!(!action_covers("s3:?et*", "s3:*"));
    }

    #[test]
    fn statements_from_every_syntax_with_exact_spans() {
        let tf = r#"
resource "aws_iam_role_policy" "p" {
  policy = jsonencode({
    Statement = [{
      Effect = "Allow"
      Action = [
        "s3:GetObject",
        "s3:*",
      ]
      Resource = "*"
    }]
  })
}

data "aws_iam_policy_document" "d" {
  statement {
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.x.arn]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}
"#;
        let p = parsed("main.tf", tf);
        let pols = policies(&p.documents[0]);
        assert_eq!(pols.len(), 2);
        let st = &pols[0].statements[0];
        assert_eq!(st.actions.len(), 2);
        assert_eq!(&tf[st.actions[1].span.range()], "\"s3:*\"");
        assert!(st.on_every_resource());
        assert_eq!(pols[0].path, "resource.aws_iam_role_policy.p.policy");
        let d = &pols[1].statements[0];
        assert_eq!(d.actions[0].text, "iam:PassRole");
        assert!(!d.resources[0].literal, "a reference is not a wildcard");
        assert_eq!(d.principals[0].kind, "Service");
        assert_eq!(d.principals[0].value.text, "lambda.amazonaws.com");

        let cfn = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - PolicyDocument:\n            Statement:\n              - Effect: Deny\n                NotAction: iam:*\n                Resource: !GetAtt T.Arn\n";
        let p = parsed("template.yaml", cfn);
        let pols = policies(&p.documents[0]);
        let st = &pols[0].statements[0];
        assert_eq!(st.effect, Effect::Deny);
        assert_eq!(st.not_actions.as_ref().map(Vec::len), Some(1));
        assert!(!st.resources[0].literal && st.resources[0].text == "T.Arn");
        assert_eq!(&cfn[st.resources[0].span.range()], "T.Arn");
    }
}
