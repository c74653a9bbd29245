use crate::classify::FileKind;
use crate::doc::{Node, PathSeg, path_string};
use crate::finding::{Finding, Severity};
use crate::rules::{FileCx, Rule, RuleMeta};

declare_rule! {
    /// ## What it finds
    /// An IAM policy statement that allows every action (`"Action": "*"`), every action
    /// of a service (`"s3:*"`), or everything except a list (`NotAction` with
    /// `Effect: Allow`). Read from Terraform (`jsonencode({...})`, heredoc JSON,
    /// `data "aws_iam_policy_document"` statement blocks), CloudFormation (YAML with
    /// `!Ref`/`!Sub`/`!GetAtt`, or JSON) and standalone policy JSON files.
    ///
    /// ## Why it matters
    /// No agent task needs every action. A wildcard grants today's and tomorrow's
    /// actions alike, including the ones that delete data, change permissions or move
    /// money, so a prompt-injected or confused agent can do all of it.
    ///
    /// ## What to do instead
    /// List the actions the agent's task calls (IAM Access Analyzer or CloudTrail show
    /// which it used) and scope `Resource` to the ARNs it works on.
    ///
    /// ## Example
    /// ```hcl
    /// policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
    /// ```
    /// Use instead `Action = ["s3:GetObject"]` on `arn:aws:s3:::invoices/*`.
    pub(crate) struct WildcardIamAction {
        id: "wildcard-iam-action",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "An IAM policy statement allows every action, or every action of a service",
    }
}

impl Rule for WildcardIamAction {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn applies_to(&self, kind: FileKind) -> bool {
        matches!(
            kind,
            FileKind::Terraform
                | FileKind::TerraformJson
                | FileKind::CloudFormation
                | FileKind::IamPolicy
                | FileKind::Json
                | FileKind::Yaml
        )
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        for doc in cx.documents() {
            doc.root.walk(|path, node| {
                for st in statements(path, node) {
                    check_statement(cx, path, &st, out);
                }
            });
        }
    }
}

/// A policy statement, whichever syntax it came from.
struct Statement<'a> {
    effect: Option<&'a str>,
    actions: Option<&'a Node>,
    not_actions: Option<&'a Node>,
}

/// Statements rooted at `node`: the entries of a JSON-style `Statement` list or map,
/// or a Terraform `statement` block of `aws_iam_policy_document`.
fn statements<'a>(path: &[PathSeg<'a>], node: &'a Node) -> Vec<Statement<'a>> {
    let mut out = Vec::new();
    if let Some(list) = node
        .get_ci("Statement")
        .filter(|_| node.get("statement").is_none())
    {
        let items: Vec<&Node> = if list.is_map() {
            vec![list]
        } else {
            list.items().iter().collect()
        };
        for st in items.into_iter().filter(|s| s.is_map()) {
            out.push(Statement {
                effect: st.get_ci("Effect").and_then(Node::as_str),
                actions: st.get_ci("Action"),
                not_actions: st.get_ci("NotAction"),
            });
        }
    }
    // Terraform: data "aws_iam_policy_document" "x" { statement { actions = [...] } }
    let in_policy_document = path.contains(&PathSeg::Key("aws_iam_policy_document"));
    if in_policy_document {
        for st in node.get_all("statement").filter(|s| s.is_map()) {
            out.push(Statement {
                effect: st.get("effect").and_then(Node::as_str),
                actions: st.get("actions"),
                not_actions: st.get("not_actions"),
            });
        }
    }
    out
}

fn check_statement(
    cx: &FileCx<'_>,
    path: &[PathSeg<'_>],
    st: &Statement<'_>,
    out: &mut Vec<Finding>,
) {
    // Terraform's policy document defaults to Allow; JSON policies require Effect, and a
    // statement without one is treated as Allow so a typo cannot hide a wildcard.
    if st.effect.is_some_and(|e| !e.eq_ignore_ascii_case("allow")) {
        return;
    }
    let where_ = path_string(path);
    if let Some(not) = st.not_actions {
        out.push(
            cx.finding(&WildcardIamAction::META, not.span, "IAM statement allows everything except the listed actions (`NotAction` with `Allow`): every other action, present and future, is granted")
                .label("NotAction with Effect Allow")
                .help("Replace `NotAction` with an explicit `Action` list of what the task needs.")
                .key(format!("{where_}:NotAction"))
                .build(),
        );
    }
    for action in st.actions.map(Node::one_or_many).unwrap_or_default() {
        let Some(text) = action.as_str() else {
            continue;
        };
        let all = text == "*";
        let service = text.strip_suffix(":*").filter(|s| !s.contains('*'));
        if !all && service.is_none() {
            continue;
        }
        let message = match service {
            Some(svc) => format!("IAM statement allows every `{svc}` action (`{text}`), far beyond what one task needs"),
            None => "IAM statement allows every action on every service (`*`): this is administrator access".to_owned(),
        };
        let mut b = cx
            .finding(&WildcardIamAction::META, action.span, message)
            .label(if all { "all actions" } else { "all actions of the service" })
            .help("List the specific actions the task calls and scope `Resource` to the ARNs it works on.")
            .key(format!("{where_}:{text}"));
        if all {
            b = b.severity(Severity::Critical);
        }
        out.push(b.build());
    }
}
