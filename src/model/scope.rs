//! Task scopes: the `[[agent]]` declarations of `lanyard.toml`, which say what each
//! agent's job needs. The settings layer deserialises them; the model matches them to
//! workloads and compares them with grants.

use serde::Deserialize;

use crate::model::facts::{ProjectFacts, Workload, WorkloadKey};
use crate::model::grants::{AccessLevel, Grant, What, Written};
use crate::model::harness::{HarnessKnowledge, rule_covers};
use crate::model::identity::Identity;
use crate::syntax::source::Span;

/// An `[[agent]]` declaration: which workloads it names and what their task needs.
/// A platform table left out means the task needs nothing there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentDecl {
    /// Kept with its span: findings point back at the declaration.
    pub name: toml::Spanned<String>,
    /// Which workloads this is; empty means the workload named `name`.
    #[serde(default, rename = "match")]
    pub matches: AgentMatch,
    pub aws: Option<AwsNeeds>,
    pub gcp: Option<RoleNeeds>,
    pub azure: Option<RoleNeeds>,
    pub kubernetes: Option<K8sNeeds>,
    pub github: Option<GithubNeeds>,
    pub oauth: Option<OauthNeeds>,
    pub mcp: Option<McpNeeds>,
    /// Whether the agent may hold a person's credential (never, by default).
    #[serde(default)]
    pub human_credentials: bool,
    /// Tools the agent's harness may run without asking, as allow rules in the
    /// harness's own syntax (`Bash(npm test:*)`, `mcp__github__get_issue`). Left out:
    /// none.
    pub tools: Option<Vec<String>>,
    /// The most permissive mode the harness may run in: a mode name of the harness
    /// (`acceptEdits`, `auto_edit`), a Codex `approval/sandbox` pair, or a level
    /// (`plan`, `ask`, `edits`, `unattended`, `bypass`). Left out: `ask`.
    pub mode: Option<toml::Spanned<String>>,
}

/// Every key given must match (a workload named by two keys is that workload only).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AgentMatch {
    /// Exact workload name as `lanyard inventory` prints it.
    pub workload: Option<String>,
    /// Glob of the file defining the workload, relative to the scan root.
    pub path: Option<String>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    /// AWS role name or ARN.
    pub role: Option<String>,
    /// GCP service account email or account id.
    pub gcp_service_account: Option<String>,
    pub mcp_server: Option<String>,
    /// Workflow job id.
    pub job: Option<String>,
    /// Agent harness id (`claude-code`, `codex`, `gemini-cli`, ...): every workload
    /// that runs it.
    pub harness: Option<String>,
}

impl AgentMatch {
    pub fn is_empty(&self) -> bool {
        self.workload.is_none()
            && self.path.is_none()
            && self.namespace.is_none()
            && self.service_account.is_none()
            && self.role.is_none()
            && self.gcp_service_account.is_none()
            && self.mcp_server.is_none()
            && self.job.is_none()
            && self.harness.is_none()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AwsNeeds {
    /// IAM actions, wildcards allowed (`s3:Get*`).
    #[serde(default)]
    pub actions: Vec<String>,
    /// Resource ARN patterns, wildcards allowed.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Managed policy ARNs the task accepts as attached.
    #[serde(default)]
    pub managed_policies: Vec<String>,
}

/// GCP or Azure: roles and the scopes (project, folder, organization, resource) they
/// may be granted on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RoleNeeds {
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct K8sNeeds {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    /// Namespaces; `*` accepts a cluster-wide grant.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GithubNeeds {
    /// Token permission per scope (`contents = "read"`); `"*"` stands for every scope.
    #[serde(default)]
    pub permissions: std::collections::BTreeMap<String, AccessLevel>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OauthNeeds {
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct McpNeeds {
    /// MCP server names the agent may call.
    #[serde(default)]
    pub servers: Vec<String>,
    /// Directories filesystem servers may be rooted at (a root inside one is fine).
    #[serde(default)]
    pub filesystem: Vec<String>,
}

/// `[[workload]]` in `lanyard.toml`: whether the workloads it matches run an AI agent,
/// over what the evidence says (a home-grown agent lanyard cannot recognise, or a
/// service that only calls a model API and takes no instructions from text).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WorkloadOverride {
    /// Which workloads; the keys of `[[agent]] match`, applied to what the workload's
    /// own file says before any rule runs (`role` and `gcp-service-account` match when
    /// that file names the identity, not through another file's annotations). An
    /// empty match names none.
    #[serde(rename = "match")]
    pub matches: AgentMatch,
    /// Whether they run an AI agent.
    pub agent: bool,
}

/// Apply the `[[workload]]` overrides of `lanyard.toml` to a file's workloads and
/// classify them again. The last override naming a workload wins.
pub fn apply_overrides(workloads: &mut [Workload], overrides: &[WorkloadOverride]) {
    if overrides.is_empty() {
        return;
    }
    for w in workloads {
        for o in overrides {
            if !o.matches.is_empty() && o.matches.matches(w) {
                w.signals.declared = Some(o.agent);
            }
        }
        w.classify();
    }
}

/// Whether a declaration names workload `w`.
pub fn matches(decl: &AgentDecl, w: &Workload) -> bool {
    let m = &decl.matches;
    if m.is_empty() {
        return w.name == *decl.name.get_ref();
    }
    m.matches(w)
}

impl AgentMatch {
    /// Whether every key given matches `w` (an empty match matches everything: callers
    /// decide what an empty match means).
    pub fn matches(&self, w: &Workload) -> bool {
        let m = self;
        let sa = |ns: Option<&str>, name: Option<&str>| {
            w.identities.iter().any(|u| match &u.identity {
                Identity::K8sServiceAccount {
                    namespace, name: n, ..
                } => ns.is_none_or(|x| x == namespace) && name.is_none_or(|x| x == n),
                _ => false,
            })
        };
        m.workload.as_ref().is_none_or(|x| *x == w.name)
            && m.path
                .as_ref()
                .is_none_or(|glob| crate::model::iam::action_matches(glob, &w.path))
            && (m.namespace.is_none() && m.service_account.is_none()
                || sa(m.namespace.as_deref(), m.service_account.as_deref()))
            && m.role.as_ref().is_none_or(|r| {
                let want = crate::model::identity::role_name_from_arn(r).unwrap_or(r);
                w.identities
                    .iter()
                    .any(|u| u.identity == Identity::AwsRole(want.to_owned()))
            })
            && m.gcp_service_account.as_ref().is_none_or(|s| {
                let want = crate::model::identity::gcp_account_id(s).unwrap_or(s);
                w.identities
                    .iter()
                    .any(|u| u.identity == Identity::GcpServiceAccount(want.to_owned()))
            })
            && m.mcp_server
                .as_ref()
                .is_none_or(|s| matches!(&w.key, WorkloadKey::McpServer(n) if n == s))
            && m.job
                .as_ref()
                .is_none_or(|j| matches!(&w.key, WorkloadKey::WorkflowJob(id) if id == j))
            && m.harness
                .as_ref()
                .is_none_or(|h| w.harness.as_deref() == Some(h.as_str()))
    }
}

/// The declarations that name `w`.
pub fn declarations_for<'a>(agents: &'a [AgentDecl], w: &Workload) -> Vec<&'a AgentDecl> {
    agents.iter().filter(|d| matches(d, w)).collect()
}

/// Spans (in the config file) of declarations that name no workload.
pub fn unmatched_declarations(project: &ProjectFacts, agents: &[AgentDecl]) -> Vec<Span> {
    agents
        .iter()
        .filter(|d| !project.workloads.iter().any(|w| matches(d, w)))
        .map(|d| {
            let r = d.name.span();
            Span::new(r.start, r.end)
        })
        .collect()
}

/// How a grant goes beyond a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excess {
    /// The offending value (an action, a role, a verb list).
    pub span: Span,
    /// What is granted (`grants \`s3:*\` on \`*\``).
    pub granted: String,
    /// What the task declares for this platform.
    pub declared: String,
    /// Stable, short: what exceeds (`s3:*`), for fingerprints.
    pub what: String,
}

fn quoted(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        return "nothing".to_owned();
    }
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Wildcard containment for everything lanyard compares: `general` (declared) covers
/// `specific` (granted), with `*` and `?` on both sides.
pub fn covers(general: &str, specific: &str) -> bool {
    crate::model::iam::action_covers(general, specific)
}

fn any_covers(declared: &[String], granted: &str) -> bool {
    declared.iter().any(|d| covers(d, granted))
}

/// Whether filesystem root `granted` lies inside a declared root.
fn root_inside(declared: &str, granted: &str) -> bool {
    let norm = |p: &str| {
        let p = p.strip_prefix("./").unwrap_or(p);
        let p = p.trim_end_matches('/');
        if p.is_empty() || p == "." {
            ".".to_owned()
        } else {
            p.to_owned()
        }
    };
    let (d, g) = (norm(declared), norm(granted));
    if g.split('/').any(|seg| seg == "..") && !d.split('/').any(|seg| seg == "..") {
        return false;
    }
    g == d
        || covers(&d, &g)
        || (d == "." && !g.starts_with('/') && !g.starts_with('~') && !g.starts_with('$'))
        || g.strip_prefix(&d).is_some_and(|rest| rest.starts_with('/'))
        || (d == "/" && g.starts_with('/'))
}

/// How `g` goes beyond `decl`; `None` when the declaration covers it.
pub fn excess_of(g: &Grant, decl: &AgentDecl) -> Option<Excess> {
    let none = Vec::new();
    match &g.what {
        What::Aws { actions, resources } => {
            let aws = decl.aws.as_ref();
            let da = aws.map_or(&none, |a| &a.actions);
            let dr = aws.map_or(&none, |a| &a.resources);
            let extra_actions: Vec<&Written> = actions
                .iter()
                .filter(|a| !any_covers(da, &a.text))
                .collect();
            let extra_resources: Vec<&Written> = resources
                .iter()
                .filter(|r| !any_covers(dr, &r.text))
                .collect();
            let first = extra_actions.first().or(extra_resources.first())?;
            let names = |w: &[Written]| w.iter().map(|x| x.text.clone()).collect::<Vec<_>>();
            let mut beyond: Vec<String> = extra_actions.iter().map(|a| a.text.clone()).collect();
            beyond.extend(extra_resources.iter().map(|r| format!("on {}", r.text)));
            Some(Excess {
                span: first.span,
                granted: format!(
                    "grants {} on {}",
                    quoted(&names(actions)),
                    quoted(&names(resources))
                ),
                declared: if aws.is_none() {
                    "no AWS access".to_owned()
                } else {
                    format!("{} on {}", quoted(da), quoted(dr))
                },
                what: beyond.join(" "),
            })
        }
        What::AwsManaged { arn } => {
            let declared = decl.aws.as_ref().map_or(&none, |a| &a.managed_policies);
            (!any_covers(declared, arn)).then(|| Excess {
                span: g.span,
                granted: format!(
                    "attaches the managed policy `{arn}`, whose statements are not in the repository"
                ),
                declared: if declared.is_empty() {
                    "no managed policy".to_owned()
                } else {
                    format!("the managed policies {}", quoted(declared))
                },
                what: arn.clone(),
            })
        }
        What::Gcp { role, scope } | What::Azure { role, scope } => {
            let (needs, platform) = match &g.what {
                What::Gcp { .. } => (decl.gcp.as_ref(), "GCP"),
                _ => (decl.azure.as_ref(), "Azure"),
            };
            let roles = needs.map_or(&none, |n| &n.roles);
            let scopes = needs.map_or(&none, |n| &n.scopes);
            let role_ok = any_covers(roles, role);
            let scope_ok = any_covers(scopes, scope);
            (!(role_ok && scope_ok)).then(|| Excess {
                span: g.span,
                granted: format!("grants the {platform} role `{role}` on `{scope}`"),
                declared: if needs.is_none() {
                    format!("no {platform} role")
                } else {
                    format!("the roles {} on {}", quoted(roles), quoted(scopes))
                },
                what: format!("{role} on {scope}"),
            })
        }
        What::K8s {
            verbs,
            resources,
            namespace,
            via,
            resources_at,
        } => {
            let k = decl.kubernetes.as_ref();
            let dv = k.map_or(&none, |k| &k.verbs);
            let dr = k.map_or(&none, |k| &k.resources);
            let dn = k.map_or(&none, |k| &k.namespaces);
            let mut beyond: Vec<String> = verbs
                .iter()
                .filter(|v| !any_covers(dv, v))
                .cloned()
                .collect();
            let span = if beyond.is_empty() && resources.iter().any(|r| !any_covers(dr, r)) {
                *resources_at
            } else {
                g.span
            };
            beyond.extend(resources.iter().filter(|r| !any_covers(dr, r)).cloned());
            let where_ = match namespace {
                Some(ns) if !any_covers(dn, ns) => Some(format!("namespace {ns}")),
                None if !dn.iter().any(|d| d == "*") => Some("every namespace".to_owned()),
                _ => None,
            };
            beyond.extend(where_);
            if beyond.is_empty() {
                return None;
            }
            let in_ns = namespace
                .as_ref()
                .map_or("in every namespace".to_owned(), |ns| {
                    format!("in namespace `{ns}`")
                });
            Some(Excess {
                span,
                granted: format!(
                    "grants {} on {} {in_ns} ({via})",
                    quoted(verbs),
                    quoted(resources)
                ),
                declared: if k.is_none() {
                    "no Kubernetes access".to_owned()
                } else {
                    format!("{} on {} in {}", quoted(dv), quoted(dr), quoted(dn))
                },
                what: beyond.join(" "),
            })
        }
        What::Github { scope, level } => {
            let perms = decl.github.as_ref().map(|gh| &gh.permissions);
            let allowed = perms
                .and_then(|p| p.get(scope.as_str()).or_else(|| p.get("*")))
                .copied()
                .unwrap_or(AccessLevel::None);
            (*level > allowed).then(|| Excess {
                span: g.span,
                granted: format!("gives the GitHub token `{scope}: {}`", level.as_str()),
                declared: match perms {
                    Some(p) if !p.is_empty() => format!(
                        "the token permissions {}",
                        p.iter()
                            .map(|(k, v)| format!("`{k}: {}`", v.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    _ => "no GitHub token permission".to_owned(),
                },
                what: format!("{scope}:{}", level.as_str()),
            })
        }
        What::Oauth { scope } => {
            let declared = decl.oauth.as_ref().map_or(&none, |o| &o.scopes);
            (!any_covers(declared, scope)).then(|| Excess {
                span: g.span,
                granted: format!("requests the OAuth scope `{scope}`"),
                declared: format!("the OAuth scopes {}", quoted(declared)),
                what: scope.clone(),
            })
        }
        What::McpServer { server } => {
            let declared = decl.mcp.as_ref().map_or(&none, |m| &m.servers);
            (!any_covers(declared, server)).then(|| Excess {
                span: g.span,
                granted: format!("is the MCP server `{server}`"),
                declared: format!("the MCP servers {}", quoted(declared)),
                what: server.clone(),
            })
        }
        What::McpRoot { server, root } => {
            let declared = decl.mcp.as_ref().map_or(&none, |m| &m.filesystem);
            (!declared.iter().any(|d| root_inside(d, root))).then(|| Excess {
                span: g.span,
                granted: format!(
                    "reads and writes files under `{root}` (filesystem server `{server}`)"
                ),
                declared: format!("the filesystem roots {}", quoted(declared)),
                what: root.clone(),
            })
        }
        What::HumanCredential { label } => (!decl.human_credentials).then(|| Excess {
            span: g.span,
            granted: format!("holds a person's credential ({label})"),
            declared: "`human-credentials = false`".to_owned(),
            what: "human-credential".to_owned(),
        }),
        What::HarnessMode { mode, level, .. } => {
            let k = HarnessKnowledge::builtin()?;
            let declared = decl.mode.as_ref().map(|m| m.get_ref().as_str());
            let allowed = declared.and_then(|m| k.declared_level(m)).unwrap_or(1);
            (*level > allowed).then(|| Excess {
                span: g.span,
                granted: format!("runs in the mode `{mode}` ({})", level_name(*level)),
                declared: match declared {
                    Some(m) => format!("the mode `{m}` ({})", level_name(allowed)),
                    None => "the harness's asking mode (no `mode` declared)".to_owned(),
                },
                what: format!("mode {mode}"),
            })
        }
        What::HarnessTool { harness, rule } => {
            let declared = decl.tools.as_deref().unwrap_or_default();
            (!declared.iter().any(|d| rule_covers(d, rule))).then(|| Excess {
                span: g.span,
                granted: format!("runs `{rule}` without asking ({harness})"),
                declared: if decl.tools.is_none() {
                    "no tools run without asking".to_owned()
                } else {
                    format!("the tools {}", quoted(declared))
                },
                what: rule.clone(),
            })
        }
    }
}

/// The name of a level of the harness mode scale.
pub fn level_name(level: u8) -> &'static str {
    match level {
        0 => "plan: reads only",
        1 => "ask: asks before edits and commands",
        2 => "edits: edits without asking",
        3 => "unattended: acts without asking within limits",
        _ => "bypass: acts without asking, with no limit",
    }
}

/// How `g` goes beyond every declaration that names its workload (the first
/// declaration's view); `None` when one of them covers it.
pub fn excess(g: &Grant, decls: &[&AgentDecl]) -> Option<Excess> {
    let mut first = None;
    for d in decls {
        match excess_of(g, d) {
            None => return None,
            Some(e) if first.is_none() => first = Some(e),
            Some(_) => {}
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::grants::{Holder, written};
    use std::sync::Arc;

    /// A declaration as `lanyard.toml` writes it (the settings layer above reads the
    /// same table).
    fn decl(toml: &str) -> AgentDecl {
        #[derive(Deserialize)]
        struct File {
            agent: Vec<AgentDecl>,
        }
        let f: File = toml::from_str(&format!("[[agent]]\nname = \"a\"\n{toml}")).unwrap();
        f.agent.into_iter().next().unwrap()
    }

    fn aws_grant(actions: &[&str], resources: &[&str]) -> Grant {
        let w = |t: &&str| written(t, Span::new(0, 1));
        Grant {
            holder: Holder::Identity(Identity::AwsRole("r".into())),
            what: What::Aws {
                actions: actions.iter().map(w).collect(),
                resources: resources.iter().map(w).collect(),
            },
            path: Arc::from("x"),
            span: Span::new(0, 1),
            key: "k".into(),
        }
    }

    #[test]
    fn wildcards_compare_in_both_directions() {
        let exact = decl(
            "aws = { actions = [\"s3:GetObject\"], resources = [\"arn:aws:s3:::invoices/*\"] }",
        );
        // A granted wildcard exceeds a declared action it contains.
        let e = excess_of(
            &aws_grant(&["s3:Get*"], &["arn:aws:s3:::invoices/*"]),
            &exact,
        )
        .unwrap();
        assert_eq!(e.what, "s3:Get*");
        assert!(excess_of(&aws_grant(&["s3:*"], &["*"]), &exact).is_some());
        // A declared wildcard covers the actions and resources it contains.
        let broad =
            decl("aws = { actions = [\"s3:Get*\"], resources = [\"arn:aws:s3:::invoices/*\"] }");
        assert_eq!(
            excess_of(
                &aws_grant(
                    &["s3:GetObject", "S3:getobjectacl"],
                    &["arn:aws:s3:::invoices/2024/*"]
                ),
                &broad
            ),
            None
        );
        // ...but not what merely overlaps it.
        assert!(excess_of(&aws_grant(&["s3:*"], &["arn:aws:s3:::invoices/*"]), &broad).is_some());
        let e = excess_of(&aws_grant(&["s3:GetObject"], &["arn:aws:s3:::*"]), &broad).unwrap();
        assert_eq!(e.what, "on arn:aws:s3:::*");
        // No AWS table: any statement exceeds.
        let e = excess_of(&aws_grant(&["s3:GetObject"], &["*"]), &decl("")).unwrap();
        assert_eq!(e.declared, "no AWS access");
    }

    #[test]
    fn other_platforms_compare_levels_globs_and_roots() {
        let d = decl(
            "github = { permissions = { contents = \"write\", issues = \"read\" } }\n\
             mcp = { servers = [\"github\"], filesystem = [\"./workspace\"] }\n\
             kubernetes = { verbs = [\"get\", \"list\"], resources = [\"configmaps\"], namespaces = [\"agents\"] }\n\
             gcp = { roles = [\"roles/storage.*\"], scopes = [\"projects/acme\"] }",
        );
        let g = |what: What| Grant {
            holder: Holder::Identity(Identity::AwsRole("r".into())),
            what,
            path: Arc::from("x"),
            span: Span::new(0, 1),
            key: "k".into(),
        };
        let gh = |scope: &str, level| What::Github {
            scope: scope.into(),
            level,
        };
        assert!(excess_of(&g(gh("contents", AccessLevel::Read)), &d).is_none());
        assert!(excess_of(&g(gh("issues", AccessLevel::Write)), &d).is_some());
        assert!(excess_of(&g(gh("*", AccessLevel::Read)), &d).is_some());
        let root = |r: &str| What::McpRoot {
            server: "fs".into(),
            root: r.into(),
        };
        assert!(excess_of(&g(root("./workspace/docs")), &d).is_none());
        assert!(excess_of(&g(root("workspace")), &d).is_none());
        assert!(excess_of(&g(root("/")), &d).is_some());
        assert!(excess_of(&g(root("./workspace/../..")), &d).is_some());
        let k8s = |verbs: &[&str], ns: Option<&str>| What::K8s {
            verbs: verbs.iter().map(|s| (*s).to_owned()).collect(),
            resources: vec!["configmaps".into()],
            namespace: ns.map(str::to_owned),
            via: String::new(),
            resources_at: Span::new(0, 1),
        };
        assert!(excess_of(&g(k8s(&["get"], Some("agents"))), &d).is_none());
        assert!(excess_of(&g(k8s(&["*"], Some("agents"))), &d).is_some());
        assert!(excess_of(&g(k8s(&["get"], None)), &d).is_some());
        let gcp = |role: &str, scope: &str| What::Gcp {
            role: role.into(),
            scope: scope.into(),
        };
        assert!(excess_of(&g(gcp("roles/storage.objectViewer", "projects/acme")), &d).is_none());
        assert!(excess_of(&g(gcp("roles/owner", "projects/acme")), &d).is_some());
        assert!(excess_of(&g(gcp("roles/storage.objectViewer", "organizations/1")), &d).is_some());
        let human = What::HumanCredential { label: "x".into() };
        assert!(excess_of(&g(human.clone()), &d).is_some());
        assert!(excess_of(&g(human), &decl("human-credentials = true")).is_none());
    }
}
