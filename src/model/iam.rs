//! The AWS IAM policy model: statements normalised to effect, actions, not-actions,
//! resources, not-resources, principals and conditions, whichever syntax they came
//! from (policy JSON, Terraform `jsonencode`/heredoc JSON, Terraform
//! `aws_iam_policy_document` blocks, CloudFormation YAML/JSON with intrinsic tags).
//! Rules read statements from here and never look at the syntax.

use crate::model::grants::Value;
use crate::syntax::doc::{Document, Entry, Node, PathSeg, path_string};
use crate::syntax::source::Span;

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

/// A Terraform block (`resource` or `data`) of a lowered HCL or `.tf.json` document.
#[derive(Debug, Clone, Copy)]
pub struct TfBlock<'a> {
    /// `resource` or `data`.
    pub kind: &'a str,
    pub ty: &'a str,
    pub name: &'a str,
    pub name_span: Span,
    pub body: &'a Node,
}

impl TfBlock<'_> {
    /// How other blocks refer to it: `aws_iam_role.agent`, `data.aws_iam_policy.admin`.
    pub fn address(&self) -> String {
        if self.kind == "data" {
            format!("data.{}.{}", self.ty, self.name)
        } else {
            format!("{}.{}", self.ty, self.name)
        }
    }

    /// The document path of the block (`resource.aws_iam_role.agent`), as
    /// [`Policy::path`] writes it.
    pub fn path(&self) -> String {
        format!("{}.{}.{}", self.kind, self.ty, self.name)
    }

    /// Whether any expression in the block refers to `address` (`address.attr`).
    pub fn references(&self, address: &str) -> bool {
        let mut found = false;
        self.body.walk(|_, node| {
            // HCL references are expressions; `.tf.json` writes them as "${...}" strings.
            if !found
                && let Some(s) = node.as_scalar()
                && (s.kind == crate::syntax::doc::ScalarKind::Expr || s.text.contains("${"))
            {
                found = refers_to(&s.text, address);
            }
        });
        found
    }
}

/// Whether expression text refers to a Terraform address: `address.` not preceded by an
/// identifier character or a dot (`aws_iam_role.a` is not `data.aws_iam_role.a`).
pub fn refers_to(expr: &str, address: &str) -> bool {
    expr.match_indices(address).any(|(i, _)| {
        let before = expr[..i].chars().next_back();
        let boundary =
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        boundary && expr[i + address.len()..].starts_with('.')
    })
}

/// Every `resource` and `data` block of a Terraform document (HCL or `.tf.json`).
pub fn tf_blocks(doc: &Document) -> Vec<TfBlock<'_>> {
    let mut out = Vec::new();
    for top in doc.root.entries() {
        let Some(kind @ ("resource" | "data")) = top.key_str() else {
            continue;
        };
        for by_type in top.value.entries() {
            let Some(ty) = by_type.key_str() else {
                continue;
            };
            for block in by_type.value.entries() {
                let Some(name) = block.key_str() else {
                    continue;
                };
                out.push(TfBlock {
                    kind,
                    ty,
                    name,
                    name_span: block.key.span,
                    body: &block.value,
                });
            }
        }
    }
    out
}

/// The resources of a CloudFormation template, each with its logical id (entries
/// whose id is not text are passed over).
pub fn cfn_resources(doc: &Document) -> impl Iterator<Item = (&str, &Entry)> {
    doc.root
        .get("Resources")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key_str()?, e)))
}

/// Terraform identities that hold grants.
const TF_IDENTITIES: &[&str] = &[
    "aws_iam_role",
    "aws_iam_user",
    "aws_iam_group",
    "google_service_account",
    "azurerm_user_assigned_identity",
];
/// Attributes through which a policy resource names the identities it is given to.
const TF_HOLDER_ATTRS: &[&str] = &[
    "role",
    "roles",
    "user",
    "users",
    "group",
    "groups",
    "member",
    "members",
    "principal_id",
];
/// Resources that run an AI agent as the role they reference.
const TF_AGENT_RESOURCES: &[&str] = &[
    "aws_bedrockagent_agent",
    "aws_bedrock_agent",
    "aws_bedrockagentcore_agent_runtime",
];
const CFN_AGENT_RESOURCES: &[&str] = &["AWS::Bedrock::Agent", "AWS::BedrockAgentCore::Runtime"];

/// Why the identity that holds the grant written at `path` (a policy's or a resource's
/// document path) visibly belongs to an AI agent, judging from this document alone: a
/// Bedrock agent in the document runs as the role. A name (`agent-role`) is no
/// evidence: cross-file context, where workloads are classified by what they run,
/// belongs to the identity graph (`rules::run` names the agents holding a grant).
pub fn holder_agent(doc: &Document, path: &str) -> Option<String> {
    Holders::new(doc).agent(path)
}

/// The blocks a grant flows through, from where it is written to the identities that
/// hold it: a policy document is used by a policy resource, which is attached to a
/// role; every hop is a reference to the previous one. Bounded by the number of blocks.
struct Carriers {
    /// Indexes into the document's blocks, the block the grant is written in first.
    indexes: Vec<usize>,
}

fn tf_carriers(blocks: &[TfBlock<'_>], start: usize) -> Carriers {
    let mut carriers = vec![start];
    let mut i = 0;
    while i < carriers.len() && carriers.len() <= blocks.len() {
        let current = &blocks[carriers[i]];
        if !TF_IDENTITIES.contains(&current.ty) {
            let address = current.address();
            for (j, b) in blocks.iter().enumerate() {
                if !carriers.contains(&j)
                    && !TF_AGENT_RESOURCES.contains(&b.ty)
                    && b.references(&address)
                {
                    carriers.push(j);
                }
            }
            for attr in TF_HOLDER_ATTRS {
                for value in current
                    .body
                    .get(attr)
                    .map(Node::one_or_many)
                    .unwrap_or_default()
                {
                    let Some(text) = value.as_text() else {
                        continue;
                    };
                    for (j, b) in blocks.iter().enumerate() {
                        if TF_IDENTITIES.contains(&b.ty)
                            && !carriers.contains(&j)
                            && refers_to(text, &b.address())
                        {
                            carriers.push(j);
                        }
                    }
                }
            }
        }
        i += 1;
    }
    Carriers { indexes: carriers }
}

/// Who holds the grants written in one document, for asking about many of them (the
/// extractors ask about every policy and attachment): the Terraform blocks are listed
/// once, and the carriers of each block, quadratic in the number of blocks, are
/// followed once.
pub(crate) struct Holders<'a> {
    doc: &'a Document,
    blocks: Vec<TfBlock<'a>>,
    /// Per block, its carriers once followed.
    carriers: Vec<Option<Carriers>>,
}

impl<'a> Holders<'a> {
    pub(crate) fn new(doc: &'a Document) -> Self {
        let blocks = tf_blocks(doc);
        let carriers = blocks.iter().map(|_| None).collect();
        Holders {
            doc,
            blocks,
            carriers,
        }
    }

    /// The index of the Terraform block at `resource.type.name` (or `data...`), with its
    /// carriers followed.
    fn followed(&mut self, kind: &str, ty: &str, name: &str) -> Option<usize> {
        let start = self
            .blocks
            .iter()
            .position(|b| b.kind == kind && b.ty == ty && b.name == name)?;
        if self.carriers.get(start).is_some_and(Option::is_none) {
            let found = tf_carriers(&self.blocks, start);
            if let Some(slot) = self.carriers.get_mut(start) {
                *slot = Some(found);
            }
        }
        Some(start)
    }

    /// [`enclosing_grant`], with the blocks listed once.
    pub(crate) fn enclosing(&self, span: Span) -> Option<String> {
        enclosing_in(self.doc, &self.blocks, span)
    }

    /// The identities that hold the grant written at `path`, as scoped references
    /// for the identity graph to resolve (`scope:aws_iam_role.x`, `scope:cfn:Role`).
    pub(crate) fn identities(
        &mut self,
        path: &str,
        scope: &str,
    ) -> Vec<crate::model::identity::Identity> {
        let mut segs = path.split('.');
        match (segs.next(), segs.next(), segs.next()) {
            (Some(kind @ ("resource" | "data")), Some(ty), Some(name)) => {
                let name = name.split('[').next().unwrap_or(name);
                match self.followed(kind, ty, name) {
                    Some(start) => self.tf_identities(start, scope),
                    None => Vec::new(),
                }
            }
            (Some("Resources"), Some(logical), _) => cfn_holder_identities(
                self.doc,
                logical.split('[').next().unwrap_or(logical),
                scope,
            ),
            _ => Vec::new(),
        }
    }

    /// Why the identity that holds the grant written at `path` visibly belongs to an
    /// AI agent ([`holder_agent`]).
    pub(crate) fn agent(&mut self, path: &str) -> Option<String> {
        let mut segs = path.split('.');
        match (segs.next(), segs.next(), segs.next()) {
            (Some(kind @ ("resource" | "data")), Some(ty), Some(name)) => {
                let start = self.followed(kind, ty, name.split('[').next().unwrap_or(name))?;
                self.tf_agent(start)
            }
            (Some("Resources"), Some(logical), _) => {
                cfn_holder_agent(self.doc, logical.split('[').next().unwrap_or(logical))
            }
            _ => None,
        }
    }
}

/// The document path (`resource.type.name`, `Resources.Logical`) of the Terraform block
/// or CloudFormation resource whose text contains `span`.
pub fn enclosing_grant(doc: &Document, span: Span) -> Option<String> {
    enclosing_in(doc, &tf_blocks(doc), span)
}

fn enclosing_in(doc: &Document, blocks: &[TfBlock<'_>], span: Span) -> Option<String> {
    let inside = |outer: Span| outer.start <= span.start && span.end <= outer.end;
    if let Some(b) = blocks
        .iter()
        .find(|b| inside(b.name_span.join(b.body.span)))
    {
        return Some(b.path());
    }
    doc.root
        .get("Resources")?
        .entries()
        .iter()
        .find(|e| inside(e.key.span.join(e.value.span)))
        .and_then(|e| e.key_str())
        .map(|k| format!("Resources.{k}"))
}

/// The identities that hold the grant written at `path`, as scoped references for the
/// identity graph to resolve (`scope:aws_iam_role.x`, `scope:cfn:Role`).
pub fn holder_identities(
    doc: &Document,
    path: &str,
    scope: &str,
) -> Vec<crate::model::identity::Identity> {
    Holders::new(doc).identities(path, scope)
}

impl Holders<'_> {
    fn tf_identities(&self, start: usize, scope: &str) -> Vec<crate::model::identity::Identity> {
        use crate::model::identity::Identity;
        let Some(Some(carriers)) = self.carriers.get(start) else {
            return Vec::new();
        };
        let blocks = &self.blocks;
        let mut out: Vec<Identity> = Vec::new();
        for b in carriers.indexes.iter().map(|&c| &blocks[c]) {
            if b.ty == "aws_iam_role" {
                out.push(Identity::AwsRole(format!("{scope}:{}", b.address())));
                continue;
            }
            // A role defined in another file of the module: keep the reference for the
            // identity graph to resolve.
            for attr in TF_HOLDER_ATTRS {
                for value in b.body.get(attr).map(Node::one_or_many).unwrap_or_default() {
                    let Some(text) = value.as_text() else {
                        continue;
                    };
                    for (i, _) in text.match_indices("aws_iam_role.") {
                        let rest = &text[i + "aws_iam_role.".len()..];
                        let end = rest
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                            .unwrap_or(rest.len());
                        if end > 0 && refers_to(text, &format!("aws_iam_role.{}", &rest[..end])) {
                            out.push(Identity::AwsRole(format!(
                                "{scope}:aws_iam_role.{}",
                                &rest[..end]
                            )));
                        }
                    }
                }
            }
        }
        // Each holder once, in the order found (a role named by two attachments).
        let mut unique: Vec<Identity> = Vec::with_capacity(out.len());
        for id in out {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        unique
    }

    fn tf_agent(&self, start: usize) -> Option<String> {
        let Some(Some(carriers)) = self.carriers.get(start) else {
            return None;
        };
        let blocks = &self.blocks;
        for &c in &carriers.indexes {
            let b = &blocks[c];
            if TF_IDENTITIES.contains(&b.ty) {
                let address = b.address();
                if let Some(agent) = blocks
                    .iter()
                    .find(|a| TF_AGENT_RESOURCES.contains(&a.ty) && a.references(&address))
                {
                    return Some(format!(
                        "Bedrock agent `{}` runs as `{address}`",
                        agent.name
                    ));
                }
            }
        }
        None
    }
}

/// The roles a CloudFormation resource grants to: itself if it is a role, and the
/// roles it names in `Roles`.
fn cfn_holder_identities(
    doc: &Document,
    logical: &str,
    scope: &str,
) -> Vec<crate::model::identity::Identity> {
    use crate::model::identity::Identity;
    let Some(resource) = doc.root.get("Resources").and_then(|r| r.get(logical)) else {
        return Vec::new();
    };
    let ty = resource.get("Type").and_then(Node::as_str).unwrap_or("");
    let mut out = Vec::new();
    if ty == "AWS::IAM::Role" {
        out.push(Identity::AwsRole(format!("{scope}:cfn:{logical}")));
    }
    for item in resource
        .get_path(&["Properties", "Roles"])
        .map(Node::items)
        .unwrap_or_default()
    {
        if let Some(r) = item
            .as_text()
            .or_else(|| item.get("Ref").and_then(Node::as_text))
        {
            out.push(Identity::AwsRole(format!("{scope}:cfn:{r}")));
        }
    }
    out
}

fn cfn_holder_agent(doc: &Document, logical: &str) -> Option<String> {
    let resources = doc.root.get("Resources")?;
    let resource = resources.get(logical)?;
    let ty = resource.get("Type").and_then(Node::as_str).unwrap_or("");
    let props = resource.get("Properties");
    let mut holders: Vec<&str> = Vec::new();
    if matches!(ty, "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group") {
        holders.push(logical);
    } else if let Some(props) = props {
        for key in ["Roles", "Users", "Groups"] {
            for item in props.get(key).map(Node::items).unwrap_or_default() {
                // `!Ref AgentRole` lowers to a tagged scalar, `{"Ref": "AgentRole"}` to a map.
                if let Some(text) = item
                    .as_text()
                    .or_else(|| item.get("Ref").and_then(Node::as_text))
                {
                    holders.push(text);
                }
            }
        }
    }
    for holder in &holders {
        for e in resources.entries() {
            let agent_ty = e.value.get("Type").and_then(Node::as_str).unwrap_or("");
            if !CFN_AGENT_RESOURCES.contains(&agent_ty) {
                continue;
            }
            let mut runs_as = false;
            if let Some(p) = e.value.get("Properties") {
                p.walk(|_, n| {
                    if let Some(t) = n.as_text()
                        && (t == *holder
                            || t.strip_prefix(*holder).is_some_and(|r| r.starts_with('.')))
                    {
                        runs_as = true;
                    }
                });
            }
            if runs_as {
                return Some(format!(
                    "Bedrock agent `{}` runs as `{holder}`",
                    e.key_str().unwrap_or("")
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;
    use crate::syntax::source::SourceFile;

    fn parsed(path: &str, text: &str) -> crate::syntax::doc::Parsed {
        let kind =
            crate::syntax::classify::refine(crate::syntax::classify::classify_path(path), text);
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
        assert!(IamStatement::from(st).on_every_resource());
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

    #[test]
    fn deny_statements_subtract() {
        let text = r#"{"Statement": [
            {"Effect": "Allow", "Action": ["*", "s3:GetObject", "iam:PassRole"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:*", "s3:Delete*"], "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["s3:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]}"#;
        let p = parsed("policy.json", text);
        let policy = &policies(&p.documents[0])[0];
        let owned = IamPolicy {
            doc: 0,
            path: policy.path.clone(),
            statements: policy.statements.iter().map(IamStatement::from).collect(),
            holders: Vec::new(),
            agent: None,
        };
        let all = [owned];
        let denies = denies_for(&all[0], &all);
        // The conditional Deny applies only sometimes: it does not subtract.
        assert_eq!(denies.len(), 2);
        let allow = &all[0].statements[0];
        assert_eq!(cut("iam:PassRole", allow, &denies), Cut::Denied);
        assert_eq!(cut("s3:GetObject", allow, &denies), Cut::Kept);
        // `Deny NotAction s3:*` denies every other service.
        assert_eq!(cut("kms:Decrypt", allow, &denies), Cut::Denied);
        assert_eq!(
            cut("*", allow, &denies),
            Cut::Narrowed(vec![
                "iam:*".to_owned(),
                "s3:Delete*".to_owned(),
                "all but `s3:*`".to_owned()
            ])
        );
        assert!(every_of_a_kind("arn:aws:iam::123456789012:role/*"));
        assert!(every_of_a_kind("arn:aws:s3:::*"));
        assert!(!every_of_a_kind("arn:aws:s3:::bucket/*"));
        assert!(!every_of_a_kind(
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/*"
        ));
    }

    #[test]
    fn holders_named_or_run_as_agents() {
        let tf = r#"
resource "aws_iam_role" "worker" { name = "ticket-runner" }
resource "aws_iam_role" "plain" { name = "reports" }
resource "aws_bedrockagent_agent" "triage" { agent_resource_role_arn = aws_iam_role.worker.arn }
data "aws_iam_policy_document" "d" {
  statement { actions = ["s3:PutObject"] }
}
resource "aws_iam_policy" "p" { policy = data.aws_iam_policy_document.d.json }
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.p.arn
}
resource "aws_iam_role_policy" "q" {
  role   = aws_iam_role.plain.id
  policy = jsonencode({ Statement = [] })
}
"#;
        let p = parsed("main.tf", tf);
        let doc = &p.documents[0];
        let why = holder_agent(doc, "data.aws_iam_policy_document.d").unwrap_or_default();
        assert!(why.contains("Bedrock agent `triage`"), "{why}");
        assert_eq!(
            holder_agent(doc, "resource.aws_iam_role_policy.q.policy"),
            None
        );
        assert!(refers_to("${aws_iam_role.a.arn}", "aws_iam_role.a"));
        assert!(!refers_to("data.aws_iam_role.a.arn", "aws_iam_role.a"));
        assert!(!refers_to("aws_iam_role.ab.arn", "aws_iam_role.a"));

        let cfn = "Resources:\n  Runner:\n    Type: AWS::IAM::Role\n  Agent:\n    Type: AWS::Bedrock::Agent\n    Properties:\n      AgentResourceRoleArn: !GetAtt Runner.Arn\n";
        let p = parsed("template.yaml", cfn);
        let why = holder_agent(&p.documents[0], "Resources.Runner.Properties").unwrap_or_default();
        assert!(
            why.contains("Bedrock agent `Agent` runs as `Runner`"),
            "{why}"
        );
    }
}

/// An IAM policy document of a file with its statements, who holds it and whether an
/// AI agent visibly does: the view the IAM rules and the grants model read, filled once
/// per file by [`crate::model::extract`].
#[derive(Debug, Clone)]
pub(crate) struct IamPolicy {
    /// Index of the document in its file.
    pub(crate) doc: usize,
    /// Where the document sits in its file ([`Policy::path`]): a stable key.
    pub(crate) path: String,
    pub(crate) statements: Vec<IamStatement>,
    /// The identities it is granted to, as scoped references: Terraform and
    /// CloudFormation only, none for a trust policy (it says who may assume a role,
    /// not what the role may do).
    pub(crate) holders: Vec<crate::model::identity::Identity>,
    /// Why its holder visibly belongs to an AI agent ([`holder_agent`]).
    pub(crate) agent: Option<String>,
}

/// One statement of an [`IamPolicy`], owned.
#[derive(Debug, Clone)]
pub(crate) struct IamStatement {
    pub(crate) span: Span,
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    /// Values of `Action`; literal unless a reference or intrinsic function.
    pub(crate) actions: Vec<Value>,
    /// `Some` when the statement uses `NotAction`.
    pub(crate) not_actions: Option<Vec<Value>>,
    pub(crate) resources: Vec<Value>,
    pub(crate) not_resources: Option<Vec<Value>>,
    /// It names a `Principal`: a trust or resource policy statement, which grants
    /// nothing to an identity holding the policy.
    pub(crate) has_principal: bool,
    /// The `AWS` principals it names, as written (`arn:aws:iam::123456789012:root`).
    pub(crate) aws_principals: Vec<String>,
    pub(crate) conditional: bool,
    /// Its `Condition` keys with their values, as written.
    pub(crate) conditions: Vec<ConditionKey>,
}

/// One key of a statement's `Condition` (`iam:PassedToService`) and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionKey {
    pub(crate) key: String,
    pub(crate) values: Vec<String>,
}

/// The keys of a `Condition`: the JSON form (`{"StringEquals": {"key": [values]}}`),
/// and Terraform `condition { test, variable, values }` blocks.
fn condition_keys(st: &Node) -> Vec<ConditionKey> {
    let mut out = Vec::new();
    if let Some(c) = st.get_ci("Condition") {
        for op in c.entries() {
            for e in op.value.entries() {
                let Some(key) = e.key_str() else { continue };
                out.push(ConditionKey {
                    key: key.to_owned(),
                    values: e
                        .value
                        .one_or_many()
                        .into_iter()
                        .filter_map(Node::as_text)
                        .map(str::to_owned)
                        .collect(),
                });
            }
        }
    }
    for block in st.get_all("condition") {
        let Some(key) = block.get("variable").and_then(Node::as_text) else {
            continue;
        };
        out.push(ConditionKey {
            key: key.to_owned(),
            values: block
                .get("values")
                .map(Node::one_or_many)
                .unwrap_or_default()
                .into_iter()
                .filter_map(Node::as_text)
                .map(str::to_owned)
                .collect(),
        });
    }
    out
}

impl IamStatement {
    pub(crate) fn allows(&self) -> bool {
        self.effect == Effect::Allow
    }

    /// Whether the statement applies to every resource (`Resource: "*"`, or
    /// `NotResource`, which is everything but a list).
    pub(crate) fn on_every_resource(&self) -> bool {
        self.not_resources.is_some() || self.resources.iter().any(Value::is_star)
    }

    /// The span of the resource field (for findings about the resource), falling back
    /// to the statement.
    pub(crate) fn resource_span(&self) -> Span {
        self.resources
            .iter()
            .find(|r| r.is_star())
            .or(self.resources.first())
            .map_or(self.span, |r| r.span)
    }
}

impl From<&Statement<'_>> for IamStatement {
    fn from(st: &Statement<'_>) -> Self {
        let values = |items: &[Item<'_>]| {
            items
                .iter()
                .map(|i| Value {
                    text: i.text.to_owned(),
                    literal: i.literal,
                    span: i.span,
                })
                .collect::<Vec<_>>()
        };
        IamStatement {
            span: st.node.span,
            sid: st.sid.map(str::to_owned),
            effect: st.effect,
            actions: values(&st.actions),
            not_actions: st.not_actions.as_deref().map(values),
            resources: values(&st.resources),
            not_resources: st.not_resources.as_deref().map(values),
            has_principal: !st.principals.is_empty(),
            aws_principals: st
                .principals
                .iter()
                .filter(|p| p.kind == "AWS")
                .map(|p| p.value.text.to_owned())
                .collect(),
            conditional: st.condition.is_some(),
            conditions: condition_keys(st.node),
        }
    }
}

impl IamStatement {
    /// The statement of AWS's default key policy: `kms:*` for the account's root
    /// principal, which hands the key to the account's IAM policies rather than to
    /// anyone (`arn:aws:iam::123456789012:root`, `!Sub arn:${AWS::Partition}:iam::
    /// ${AWS::AccountId}:root`, `${data.aws_caller_identity.current.account_id}`).
    pub(crate) fn is_default_key_policy(&self) -> bool {
        let root = |p: &String| {
            p.ends_with(":root")
                || (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
                || p.contains("AWS::AccountId")
                || p.contains("account_id")
        };
        self.allows()
            && !self.aws_principals.is_empty()
            && self.aws_principals.iter().all(root)
            && !self.actions.is_empty()
            && self
                .actions
                .iter()
                .all(|a| a.text.eq_ignore_ascii_case("kms:*"))
    }

    /// Whether every resource is named: no `*`, no `NotResource`, no ARN of every
    /// resource of a kind (`arn:aws:s3:::*`, `arn:aws:iam::123456789012:role/*`,
    /// `...:secret:*`). A Terraform reference names one resource.
    pub(crate) fn pinned_to_arns(&self) -> bool {
        self.not_resources.is_none()
            && !self.resources.is_empty()
            && self
                .resources
                .iter()
                .all(|r| !r.literal || !every_of_a_kind(&r.text))
    }
}

/// `*`, or an ARN whose resource part is `*`, `type/*` or `type:*`.
fn every_of_a_kind(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let fields: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, service, _, _, part] = fields.as_slice() else {
        return false;
    };
    // S3 ARNs name a bucket with no resource type: `bucket/*` is one bucket's objects.
    if *service == "s3" {
        return part.starts_with('*');
    }
    part.starts_with('*')
        || part
            .split_once(['/', ':'])
            .is_some_and(|(kind, rest)| rest == "*" && !kind.contains('*'))
}

/// How the explicit Deny statements that apply to a grant cut one allowed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cut {
    /// No Deny touches it.
    Kept,
    /// A Deny on the same resources covers the whole action: nothing is left.
    Denied,
    /// Part of what the action grants is denied: these Deny actions (or `all but ...`)
    /// take it away.
    Narrowed(Vec<String>),
}

/// The Deny statements that apply to what `policy` grants: its own, and those of the
/// other policies in `all` (one file's) held by the same identities. An explicit Deny
/// wins over any Allow, so they subtract. A Deny with a `Condition` applies only
/// sometimes and a Deny with a `Principal` belongs to a resource policy: neither
/// subtracts.
pub(crate) fn denies_for<'a>(policy: &'a IamPolicy, all: &'a [IamPolicy]) -> Vec<&'a IamStatement> {
    let same_holder = |other: &IamPolicy| {
        std::ptr::eq(other, policy)
            || (!policy.holders.is_empty()
                && other.holders.iter().any(|h| policy.holders.contains(h)))
    };
    all.iter()
        .filter(|p| same_holder(p))
        .flat_map(|p| p.statements.iter())
        .filter(|st| st.effect == Effect::Deny && !st.has_principal && !st.conditional)
        .collect()
}

/// What the Deny statements leave of `action` allowed by `allow`.
pub(crate) fn cut(action: &str, allow: &IamStatement, denies: &[&IamStatement]) -> Cut {
    let mut narrowed: Vec<String> = Vec::new();
    for deny in denies {
        if !deny_covers_resources(deny, allow) {
            continue;
        }
        if let Some(not) = &deny.not_actions {
            // `Deny NotAction [...]` denies everything but the list.
            let spared: Vec<&str> = not
                .iter()
                .filter(|n| {
                    n.literal && action_matches(&n.text, action) || action_covers(action, &n.text)
                })
                .map(|n| n.text.as_str())
                .collect();
            if spared.is_empty() {
                return Cut::Denied;
            }
            if !spared.iter().any(|n| action_covers(n, action)) {
                narrowed.push(format!("all but `{}`", spared.join("`, `")));
            }
            continue;
        }
        for d in deny.actions.iter().filter(|d| d.literal) {
            if action_covers(&d.text, action) {
                return Cut::Denied;
            }
            if action_covers(action, &d.text) && !narrowed.contains(&d.text) {
                narrowed.push(d.text.clone());
            }
        }
    }
    if narrowed.is_empty() {
        Cut::Kept
    } else {
        Cut::Narrowed(narrowed)
    }
}

/// Whether a Deny applies to every resource the Allow names: it is on `*`, or each
/// resource the Allow names is matched by one of the Deny's.
fn deny_covers_resources(deny: &IamStatement, allow: &IamStatement) -> bool {
    if deny.not_resources.is_some() {
        return false;
    }
    if deny.resources.iter().any(Value::is_star) {
        return true;
    }
    allow.not_resources.is_none()
        && !allow.resources.is_empty()
        && allow.resources.iter().all(|r| {
            r.literal
                && deny
                    .resources
                    .iter()
                    .any(|d| d.literal && action_covers(&d.text, &r.text))
        })
}

/// A managed policy attached by ARN or name (AWS-managed, or defined elsewhere), whose
/// statements are not in the file: Terraform `*_policy_attachment.policy_arn`,
/// `aws_iam_role.managed_policy_arns`, `aws_iam_role_policy_attachments_exclusive`,
/// CloudFormation `ManagedPolicyArns`.
#[derive(Debug, Clone)]
pub(crate) struct ManagedPolicy {
    /// Index of the document in its file.
    pub(crate) doc: usize,
    /// Document path of the attaching resource (`resource.aws_iam_role.agent`,
    /// `Resources.AgentRole`): a stable key, and where the holder is looked up.
    pub(crate) path: String,
    /// Its Terraform address (`aws_iam_role.agent`) or CloudFormation logical id.
    pub(crate) name: String,
    pub(crate) by: Attacher,
    /// The value as written (for an expression, its source text).
    pub(crate) written: Option<String>,
    /// The policy ARN or name the value stands for, as far as the file tells: a
    /// Terraform template without its quotes or the `data "aws_iam_policy"` it refers
    /// to, a CloudFormation `!Sub`/`!Join` evaluated (`AWS::Partition` is `aws`).
    pub(crate) policy: Option<String>,
    pub(crate) span: Span,
    /// The identities it is attached to, as scoped references (Terraform and
    /// CloudFormation files only).
    pub(crate) holders: Vec<crate::model::identity::Identity>,
    /// Why its holder visibly belongs to an AI agent ([`holder_agent`]).
    pub(crate) agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attacher {
    /// A Terraform resource of type `ty`, and the holder it names in text
    /// (`role = aws_iam_role.agent.name`), if any.
    Terraform { ty: String, holder: Option<String> },
    /// A CloudFormation resource; `principal` is `role`, `user` or `group` for
    /// `AWS::IAM::Role`, `User` or `Group`.
    CloudFormation { principal: Option<&'static str> },
}
