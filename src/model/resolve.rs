//! The project pass of the model: resolve references to defined identities across
//! files, derive the cloud identities behind annotated service accounts, and join
//! Kubernetes RBAC bindings with their roles into grants.

use std::sync::Arc;

use crate::model::extract::grants::builtin_cluster_role;
use crate::model::facts::ProjectFacts;
use crate::model::grants::{Grant, Holder, What};
use crate::model::identity::Definition;
use crate::model::identity::{Identity, IdentityUse};
use crate::syntax::source::Span;

/// An RBAC rule reached through a binding: verbs, resources, where it is written.
type BoundRule = (Vec<String>, Vec<String>, Arc<str>, Span, Span);

/// Resolve grant holders against the project's definitions and turn RBAC bindings into
/// grants of the service accounts they name.
pub(crate) fn grants(project: &mut ProjectFacts) {
    let defs = &project.definitions;
    for g in &mut project.grants.grants {
        if let Holder::Identity(id) = &mut g.holder {
            identity(id, defs);
        }
    }
    let mut rbac = Vec::new();
    for b in &project.grants.k8s_bindings {
        let role = project.grants.k8s_roles.iter().find(|r| {
            r.name == b.role_name
                && r.cluster == b.role_cluster
                && (r.cluster || r.namespace == b.namespace)
        });
        let rules: Vec<BoundRule> = match role {
            Some(r) => r
                .rules
                .iter()
                .map(|(v, res, verbs_at, resources_at)| {
                    (
                        v.clone(),
                        res.clone(),
                        Arc::clone(&r.path),
                        *verbs_at,
                        *resources_at,
                    )
                })
                .collect(),
            None => match builtin_cluster_role(&b.role_name).filter(|_| b.role_cluster) {
                Some((verbs, resources)) => vec![(
                    verbs.iter().map(|s| (*s).to_owned()).collect(),
                    resources.iter().map(|s| (*s).to_owned()).collect(),
                    Arc::clone(&b.path),
                    b.role_span,
                    b.role_span,
                )],
                None => Vec::new(),
            },
        };
        let role_kind = if b.role_cluster {
            "ClusterRole"
        } else {
            "Role"
        };
        let binding_kind = if b.cluster {
            "ClusterRoleBinding ".to_owned()
        } else {
            format!("RoleBinding {}/", b.namespace)
        };
        let via = format!("{role_kind} `{}` via {binding_kind}{}", b.role_name, b.name);
        for (ns, sa) in &b.subjects {
            for (i, (verbs, resources, path, span, resources_at)) in rules.iter().enumerate() {
                rbac.push(Grant {
                    holder: Holder::Identity(Identity::K8sServiceAccount {
                        namespace: ns.clone(),
                        name: sa.clone(),
                        implicit: sa == "default",
                    }),
                    what: What::K8s {
                        verbs: verbs.clone(),
                        resources: resources.clone(),
                        namespace: (!b.cluster).then(|| b.namespace.clone()),
                        via: via.clone(),
                        resources_at: *resources_at,
                    },
                    path: Arc::clone(path),
                    span: *span,
                    key: format!(
                        "{role_kind}/{}.rules[{i}]@{binding_kind}{}",
                        b.role_name, b.name
                    ),
                });
            }
        }
    }
    project.grants.grants.extend(rbac);
}

/// Resolve references to defined identities across files, so that one role or
/// service account is one identity however each file spells it.
pub(crate) fn identities(project: &mut ProjectFacts) {
    for a in &mut project.aliases {
        identity(&mut a.to, &project.definitions);
    }
    for w in &mut project.workloads {
        for u in &mut w.identities {
            identity(&mut u.identity, &project.definitions);
        }
        // A workload running as an annotated service account also holds the cloud
        // identity behind it (IRSA, GKE workload identity).
        let derived: Vec<IdentityUse> = w
            .identities
            .iter()
            .flat_map(|u| {
                project
                    .aliases
                    .iter()
                    .filter(|a| a.from == u.identity)
                    .map(|a| IdentityUse {
                        identity: a.to.clone(),
                        span: u.span,
                    })
            })
            .collect();
        for d in derived {
            if !w.identities.contains(&d) {
                w.identities.push(d);
            }
        }
    }
}

/// Replace scoped references (`infra:aws_iam_role.agent`, `tpl.yaml:cfn:Role`) by the
/// canonical identity their definition names, so a role referenced in Terraform joins
/// the same role written as an ARN in a workflow.
pub fn identity(identity: &mut Identity, defs: &[Definition]) {
    let (Identity::AwsRole(key) | Identity::GcpServiceAccount(key) | Identity::AzureIdentity(key)) =
        identity
    else {
        return;
    };
    let Some((scope, address)) = key
        .rsplit_once(':')
        .map(|(s, a)| (s.to_owned(), a.to_owned()))
    else {
        return;
    };
    // `scope:cfn:Logical` splits as (`scope:cfn`, `Logical`).
    let (scope, address) = match scope.strip_suffix(":cfn") {
        Some(s) => (s.to_owned(), format!("cfn:{address}")),
        None => (scope, address),
    };
    if let Some(def) = defs
        .iter()
        .find(|d| d.scope == scope && d.address == address)
    {
        *identity = def.identity.clone();
    }
}

/// Harness settings as grants of the workloads holding them: each agent's mode, and
/// every allow rule and auto-approval that no deny rule of its settings folder covers.
pub(crate) fn harness(project: &mut ProjectFacts) {
    project.harness.agents.sort_by(|a, b| {
        (&*a.path, a.span.start, &a.group).cmp(&(&*b.path, b.span.start, &b.group))
    });
    let mut out = Vec::new();
    for a in &project.harness.agents {
        let holder = Holder::Workload {
            name: a.workload.clone(),
            path: Arc::clone(&a.path),
        };
        for m in &a.modes {
            out.push(Grant {
                holder: holder.clone(),
                what: What::HarnessMode {
                    harness: a.harness.clone(),
                    mode: m.name.clone(),
                    level: m.level,
                },
                path: Arc::clone(&a.path),
                span: m.span,
                key: format!("{}:mode:{}", a.group, m.name),
            });
        }
        for ap in &a.approvals {
            let rule = format!("mcp__{}__{}", ap.server, ap.tool);
            out.push(Grant {
                holder: holder.clone(),
                what: What::HarnessTool {
                    harness: a.harness.clone(),
                    rule: rule.clone(),
                },
                path: Arc::clone(&a.path),
                span: ap.span,
                key: format!("{}:approve:{rule}", a.group),
            });
        }
    }
    let groups: Vec<String> = {
        let mut g: Vec<String> = project
            .harness
            .agents
            .iter()
            .map(|a| a.group.clone())
            .collect();
        g.sort();
        g.dedup();
        g
    };
    for group in &groups {
        for (a, r) in project.harness.effective_allows(group) {
            out.push(Grant {
                holder: Holder::Workload {
                    name: a.workload.clone(),
                    path: Arc::clone(&a.path),
                },
                what: What::HarnessTool {
                    harness: a.harness.clone(),
                    rule: r.text.clone(),
                },
                path: Arc::clone(&a.path),
                span: r.span,
                key: format!("{}:allow:{}", a.group, r.text),
            });
        }
    }
    project.grants.grants.extend(out);
}

/// The whole project pass: identities first, since grants are resolved against them.
pub fn project(project: &mut ProjectFacts) {
    identities(project);
    grants(project);
    harness(project);
}
