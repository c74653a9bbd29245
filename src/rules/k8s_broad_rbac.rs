use crate::findings::{Finding, Severity};
use crate::model::facts::Workload;
use crate::model::identity::Identity;
use crate::model::knowledge::Knowledge;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Kubernetes RBAC that grants far more than a task needs, in manifests (YAML or
    /// JSON, multi-document, `kind: List`), Helm templates that parse as YAML, and
    /// Terraform `kubernetes_role`/`kubernetes_cluster_role` and their bindings:
    /// - a RoleBinding or ClusterRoleBinding to the ClusterRole `cluster-admin`,
    ///   `admin` or `edit` (a ClusterRoleBinding to `cluster-admin` is critical);
    /// - a rule with `*` in `verbs`, `resources` or `apiGroups`;
    /// - a rule that reads `secrets` (`get`, `list`, `watch`) without `resourceNames`:
    ///   high in a ClusterRole, medium in a namespaced Role;
    /// - the verbs `escalate`, `bind` and `impersonate`;
    /// - the subresources `pods/exec`, `pods/attach`, `pods/portforward`,
    ///   `nodes/proxy` and `serviceaccounts/token`.
    ///
    /// When a binding in the same file hands the grant to the service account of a
    /// workload that looks like an AI agent, the severity is raised and the agent named.
    ///
    /// ## Why it matters
    /// RBAC is the agent's blast radius inside the cluster. A wildcard grants every
    /// current and future resource; reading Secrets hands over every other workload's
    /// credentials; `escalate`, `bind` and `impersonate` let the holder grant itself
    /// more; `pods/exec` runs commands inside other workloads with their identities. A
    /// prompt-injected agent holding any of these can take over the namespace or the
    /// cluster.
    ///
    /// ## What to do instead
    /// Write a Role in the agent's namespace that lists the resources and verbs its task
    /// calls, name the Secrets it needs in `resourceNames`, and bind it to the agent's
    /// own service account with a RoleBinding.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
    /// subjects: [{ kind: ServiceAccount, name: triage-agent, namespace: agents }]
    /// ```
    /// Use instead a Role with `resources: ["configmaps"]`, `verbs: ["get"]` in
    /// namespace `agents`, bound with a RoleBinding.
    pub(crate) struct K8sBroadRbac {
        id: "k8s-broad-rbac",
        family: ExcessiveScope,
        severity: High,
        confidence: High,
        summary: "Kubernetes RBAC grants admin roles, wildcards, Secret reads, escalation or exec",
        applies_to: |kind| matches!(
            kind,
            FileKind::Kubernetes
                | FileKind::HelmTemplate
                | FileKind::Terraform
                | FileKind::TerraformJson
        ),
    }
}

impl Rule for K8sBroadRbac {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let objects: Vec<Rbac<'_>> = cx.documents().flat_map(rbac_objects).collect();
        for obj in &objects {
            if obj.is_binding() {
                check_binding(cx, k, obj, out);
            } else {
                check_role(cx, k, obj, &objects, out);
            }
        }
    }
}

/// A Role, ClusterRole or binding, from a manifest or a Terraform resource.
struct Rbac<'a> {
    /// `Role`, `ClusterRole`, `RoleBinding` or `ClusterRoleBinding`.
    kind: &'static str,
    name: &'a str,
    namespace: &'a str,
    node: &'a Node,
    /// Terraform spells fields in snake case and repeats blocks instead of lists.
    terraform: bool,
}

const KINDS: [&str; 4] = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

const TERRAFORM_KINDS: [(&str, &str); 4] = [
    ("kubernetes_role", "Role"),
    ("kubernetes_cluster_role", "ClusterRole"),
    ("kubernetes_role_binding", "RoleBinding"),
    ("kubernetes_cluster_role_binding", "ClusterRoleBinding"),
];

impl<'a> Rbac<'a> {
    fn is_binding(&self) -> bool {
        self.kind.ends_with("Binding")
    }

    fn cluster_scoped(&self) -> bool {
        self.kind.starts_with("Cluster")
    }

    fn title(&self) -> String {
        if self.cluster_scoped() {
            format!("{} `{}`", self.kind, self.name)
        } else {
            format!("{} `{}/{}`", self.kind, self.namespace, self.name)
        }
    }

    fn key(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    /// A field by its manifest (camelCase) or Terraform (snake_case) name.
    fn field(&self, node: &'a Node, camel: &str, snake: &str) -> Option<&'a Node> {
        if self.terraform {
            node.get(snake)
        } else {
            node.get(camel)
        }
    }

    /// Every value of a list field: a YAML sequence, or Terraform's repeated blocks.
    fn list(&self, node: &'a Node, camel: &str, snake: &'a str) -> Vec<&'a Node> {
        if self.terraform {
            node.get_all(snake)
                .flat_map(|n| {
                    if n.is_seq() {
                        n.items().iter().collect()
                    } else {
                        vec![n]
                    }
                })
                .collect()
        } else {
            node.get(camel).map(Node::one_or_many).unwrap_or_default()
        }
    }

    fn rules(&self) -> Vec<&'a Node> {
        self.list(self.node, "rules", "rule")
    }

    fn role_ref(&self) -> Option<&'a Node> {
        let r = self.field(self.node, "roleRef", "role_ref")?;
        // Terraform JSON may write a block as a one-element list.
        Some(r.items().first().unwrap_or(r))
    }

    fn subjects(&self) -> Vec<&'a Node> {
        self.list(self.node, "subjects", "subject")
    }
}

fn str_of(node: Option<&Node>) -> Option<&str> {
    node.and_then(Node::as_str)
}

fn rbac_objects(doc: &Document) -> Vec<Rbac<'_>> {
    let mut out = Vec::new();
    let root = &doc.root;
    let manifests: Vec<&Node> = if root.get("kind").and_then(Node::as_str) == Some("List") {
        root.get("items")
            .map(|i| i.items().iter().collect())
            .unwrap_or_default()
    } else {
        vec![root]
    };
    for m in manifests {
        let Some(kind) = str_of(m.get("kind")).and_then(|k| KINDS.iter().find(|x| **x == k)) else {
            continue;
        };
        let meta = m.get("metadata");
        out.push(Rbac {
            kind,
            name: str_of(meta.and_then(|m| m.get("name"))).unwrap_or("<unnamed>"),
            namespace: str_of(meta.and_then(|m| m.get("namespace"))).unwrap_or("default"),
            node: m,
            terraform: false,
        });
    }
    for resources in root.get_all("resource") {
        for (tf_type, kind) in TERRAFORM_KINDS {
            for ty in [tf_type.to_owned(), format!("{tf_type}_v1")] {
                let Some(by_name) = resources.get(&ty) else {
                    continue;
                };
                for e in by_name.entries() {
                    let body = e.value.items().first().unwrap_or(&e.value);
                    let meta = body.get("metadata");
                    let meta = meta.map(|m| m.items().first().unwrap_or(m));
                    out.push(Rbac {
                        kind,
                        name: str_of(meta.and_then(|m| m.get("name")))
                            .or(e.key_str())
                            .unwrap_or("<unnamed>"),
                        namespace: str_of(meta.and_then(|m| m.get("namespace")))
                            .unwrap_or("default"),
                        node: body,
                        terraform: true,
                    });
                }
            }
        }
    }
    out
}

/// The agent workload of this file that runs as one of the binding's service-account
/// subjects. Same file only: cross-file joins belong to the identity graph.
fn agent_subject<'a>(cx: &'a FileCx<'_>, binding: &Rbac<'_>) -> Option<&'a Workload> {
    let accounts: Vec<(String, String)> = binding
        .subjects()
        .into_iter()
        .filter_map(|s| {
            let kind = str_of(s.get("kind"))?;
            let name = str_of(s.get("name"))?;
            if kind == "ServiceAccount" {
                let ns = str_of(s.get("namespace")).unwrap_or(binding.namespace);
                return Some((ns.to_owned(), name.to_owned()));
            }
            // `User system:serviceaccount:<ns>:<name>` is the same account.
            let rest = name.strip_prefix("system:serviceaccount:")?;
            let (ns, name) = rest.split_once(':')?;
            Some((ns.to_owned(), name.to_owned()))
        })
        .collect();
    cx.facts.workloads.iter().find(|w| {
        w.agent.is_some()
            && w.identities.iter().any(|u| match &u.identity {
                Identity::K8sServiceAccount {
                    namespace, name, ..
                } => accounts.iter().any(|(ns, n)| ns == namespace && n == name),
                _ => false,
            })
    })
}

fn describe_subjects(binding: &Rbac<'_>) -> String {
    let subjects = binding.subjects();
    let mut names: Vec<String> = subjects
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "{} `{}`",
                str_of(s.get("kind")).unwrap_or("subject"),
                str_of(s.get("name")).unwrap_or("?")
            )
        })
        .collect();
    if subjects.len() > 3 {
        names.push(format!("{} more", subjects.len() - 3));
    }
    if names.is_empty() {
        "its subjects".to_owned()
    } else {
        names.join(", ")
    }
}

fn agent_clause(agent: Option<&Workload>) -> String {
    agent
        .map(|w| {
            format!(
                "; {} runs as this service account and looks like an AI agent ({}), so a prompt injection gets all of it",
                w.name,
                w.agent.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default()
}

fn check_binding(cx: &FileCx<'_>, k: &Knowledge, b: &Rbac<'_>, out: &mut Vec<Finding>) {
    let Some(role_ref) = b.role_ref() else {
        return;
    };
    let Some(name_node) = role_ref.get("name") else {
        return;
    };
    let Some(role) = name_node.as_str() else {
        return;
    };
    if str_of(role_ref.get("kind")) != Some("ClusterRole") {
        return;
    }
    let Some(admin) = k.k8s_admin_role(role) else {
        return;
    };
    let agent = agent_subject(cx, b);
    let scope = if b.cluster_scoped() {
        "in every namespace".to_owned()
    } else {
        format!("in namespace `{}`", b.namespace)
    };
    let mut severity = if b.cluster_scoped() && role == "cluster-admin" {
        Severity::Critical
    } else {
        Severity::High
    };
    if agent.is_some() {
        severity = severity.raised();
    }
    let message = format!(
        "{} grants the ClusterRole `{role}` ({}) {scope} to {}{}",
        b.title(),
        admin.why,
        describe_subjects(b),
        agent_clause(agent)
    );
    let mut f = cx
        .finding(&K8sBroadRbac::META, name_node.span, message)
        .label(format!("built-in `{role}` role"))
        .help("Bind a Role in the workload's namespace that lists only the resources and verbs its task uses.")
        .severity(severity)
        .agent_context(agent.is_some())
        .key(format!("{}:roleRef:{role}", b.key()));
    if let Some(w) = agent {
        f = f.workload(&w.name);
    }
    out.push(f.build());
}

/// The agent bound to this role by a binding in the same file, if any.
fn bound_agent<'a>(
    cx: &'a FileCx<'_>,
    role: &Rbac<'_>,
    objects: &[Rbac<'_>],
) -> Option<&'a Workload> {
    objects
        .iter()
        .filter(|b| b.is_binding())
        .filter(|b| {
            b.role_ref().is_some_and(|r| {
                str_of(r.get("kind")) == Some(role.kind)
                    && str_of(r.get("name")) == Some(role.name)
                    && (role.cluster_scoped() || b.namespace == role.namespace)
            })
        })
        .find_map(|b| agent_subject(cx, b))
}

/// One finding under construction for a role rule.
struct Hit {
    span: Span,
    severity: Severity,
    label: String,
    what: String,
    help: &'static str,
    key: String,
    related: Vec<(Span, String)>,
}

fn check_role(
    cx: &FileCx<'_>,
    k: &Knowledge,
    role: &Rbac<'_>,
    objects: &[Rbac<'_>],
    out: &mut Vec<Finding>,
) {
    let mut hits = Vec::new();
    for (i, rule) in role.rules().into_iter().enumerate() {
        let verbs = role.list(rule, "verbs", "verbs");
        let resources = role.list(rule, "resources", "resources");
        let groups = role.list(rule, "apiGroups", "api_groups");
        let names = role.list(rule, "resourceNames", "resource_names");
        let star = |items: &[&Node]| {
            items
                .iter()
                .find(|n| n.as_str() == Some("*"))
                .map(|n| n.span)
        };
        let at = format!("{}:rules[{i}]", role.key());

        let wild: Vec<(&str, Span)> = [
            ("verbs", star(&verbs)),
            ("resources", star(&resources)),
            ("apiGroups", star(&groups)),
        ]
        .into_iter()
        .filter_map(|(f, s)| Some((f, s?)))
        .collect();
        if let Some(&(first, span)) = wild.first() {
            let fields: Vec<&str> = wild.iter().map(|(f, _)| *f).collect();
            let all_verbs = fields.contains(&"verbs");
            let all_resources = fields.contains(&"resources");
            let (severity, what) = if all_verbs && all_resources {
                (
                    if role.cluster_scoped() { Severity::Critical } else { Severity::High },
                    "every verb on every resource, Secrets and RBAC included: the equivalent of `cluster-admin` wherever it is bound".to_owned(),
                )
            } else if all_verbs || all_resources {
                (
                    Severity::High,
                    format!(
                        "a wildcard in `{}`: every current and future {}",
                        fields.join("`, `"),
                        if all_verbs {
                            "verb is granted, `delete`, `escalate` and `impersonate` included"
                        } else {
                            "resource is granted, Secrets included"
                        }
                    ),
                )
            } else {
                (
                    Severity::Medium,
                    "a wildcard in `apiGroups`: the listed resources in every API group, custom resources included".to_owned(),
                )
            };
            hits.push(Hit {
                span,
                severity,
                label: format!("`*` in {first}"),
                what,
                help: "List the API groups, resources and verbs the task uses instead of `*`.",
                key: format!("{at}:*"),
                related: wild[1..]
                    .iter()
                    .map(|(f, s)| (*s, format!("`*` in {f}")))
                    .collect(),
            });
        }

        for v in &verbs {
            if let Some(verb) = v.as_str().filter(|v| k.k8s_escalating_verb(v)) {
                hits.push(Hit {
                    span: v.span,
                    severity: Severity::High,
                    label: format!("`{verb}` verb"),
                    what: format!(
                        "the verb `{verb}`, which lets the holder {}",
                        match verb {
                            "impersonate" => "act as any user, group or service account it names",
                            "bind" => "bind roles it does not hold itself",
                            _ => "create or edit roles granting more than it holds",
                        }
                    ),
                    help: "Remove the verb; grant role management to a human-reviewed pipeline, not to a workload.",
                    key: format!("{at}:{verb}"),
                    related: Vec::new(),
                });
            }
        }

        for r in &resources {
            if let Some(res) = r.as_str().filter(|r| k.k8s_dangerous_resource(r)) {
                hits.push(Hit {
                    span: r.span,
                    severity: Severity::High,
                    label: format!("`{res}`"),
                    what: format!(
                        "`{res}`, which {}",
                        match res {
                            "serviceaccounts/token" => "mints tokens for other service accounts and acts as them",
                            "nodes/proxy" => "reaches the kubelet API and runs commands in any pod on the node",
                            _ => "runs commands in or connects to other pods, with their mounted credentials",
                        }
                    ),
                    help: "Remove the subresource; if the task needs logs, grant `pods/log` with `get`.",
                    key: format!("{at}:{res}"),
                    related: Vec::new(),
                });
            }
        }

        let core_group =
            groups.is_empty() || groups.iter().any(|g| matches!(g.as_str(), Some("" | "*")));
        let read_verb = verbs
            .iter()
            .find(|v| v.as_str().is_some_and(|v| k.k8s_reads_secrets(v)));
        if let (Some(secrets), Some(verb), true, true) = (
            resources.iter().find(|r| r.as_str() == Some("secrets")),
            read_verb,
            core_group,
            names.is_empty(),
        ) {
            let (severity, reach) = if role.cluster_scoped() {
                (Severity::High, "every Secret of every namespace it is bound in (all of them with a ClusterRoleBinding)".to_owned())
            } else {
                (
                    Severity::Medium,
                    format!("every Secret in namespace `{}`", role.namespace),
                )
            };
            hits.push(Hit {
                span: secrets.span,
                severity,
                label: "reads all Secrets".to_owned(),
                what: format!("`{}` on `secrets` without `resourceNames`: {reach}, other workloads' credentials included", verb.as_str().unwrap_or("")),
                help: "Name the Secrets the task reads in `resourceNames`, in a namespaced Role.",
                key: format!("{at}:secrets"),
                related: vec![(verb.span, "read verb".to_owned())],
            });
        }
    }
    if hits.is_empty() {
        return;
    }
    let agent = bound_agent(cx, role, objects);
    for h in hits {
        let severity = if agent.is_some() {
            h.severity.raised()
        } else {
            h.severity
        };
        let mut f = cx
            .finding(
                &K8sBroadRbac::META,
                h.span,
                format!("{} grants {}{}", role.title(), h.what, agent_clause(agent)),
            )
            .label(h.label)
            .help(h.help)
            .severity(severity)
            .agent_context(agent.is_some())
            .key(h.key);
        for (span, text) in h.related {
            f = f.related(cx.path, span, text);
        }
        if let Some(w) = agent {
            f = f.workload(&w.name);
        }
        out.push(f.build());
    }
}
