use crate::findings::{Finding, Severity};
use crate::model::cloud::Cluster;
use crate::model::facts::Workload;
use crate::model::grants::Value;
use crate::model::identity::Identity;
use crate::model::knowledge::Knowledge;
use crate::model::rbac::RbacObject;
use crate::rules::{FileCx, Rule};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

declare_rule! {
    /// ## What it finds
    /// Kubernetes RBAC that grants far more than a task needs, in manifests (YAML or
    /// JSON, multi-document, `kind: List`), Helm chart templates (rendered as `helm
    /// template` would with the chart's default `values.yaml` and its named templates;
    /// what cannot be known without a release renders a placeholder that grants
    /// nothing), and
    /// Terraform `kubernetes_role`/`kubernetes_cluster_role` and their bindings:
    /// - a RoleBinding or ClusterRoleBinding to the ClusterRole `cluster-admin`,
    ///   `admin` or `edit` (a ClusterRoleBinding to `cluster-admin` is critical);
    /// - a rule with `*` in `verbs`, `resources` or `apiGroups`, judged by the API
    ///   groups it covers: every verb on every resource is the equivalent of
    ///   `cluster-admin` only in every group (`apiGroups: ["*"]`); in the core group it
    ///   covers Secrets, pods and service accounts; inside named groups (a CRD group)
    ///   it is medium and the message names the groups; inside the read-only metrics
    ///   APIs (`custom.metrics.k8s.io`, `external.metrics.k8s.io`, `metrics.k8s.io`,
    ///   a table in `rules/permissions.toml`) it is not reported;
    /// - a rule that reads `secrets` in the core group (`get`, `list`, `watch`, all of
    ///   them named in the message) without `resourceNames`: high in a ClusterRole,
    ///   medium in a namespaced Role;
    /// - the verbs `escalate`, `bind` and `impersonate`;
    /// - the subresources `pods/exec`, `pods/attach`, `pods/portforward`,
    ///   `nodes/proxy` and `serviceaccounts/token`.
    ///
    /// Managed clusters whose authorization grants everything are reported too: AKS
    /// with Kubernetes RBAC disabled (Terraform `azurerm_kubernetes_cluster`
    /// `role_based_access_control_enabled = false` or `role_based_access_control {
    /// enabled = false }`, ARM `enableRBAC: false`: critical) and GKE with
    /// `enable_legacy_abac = true`.
    ///
    /// When a binding in the same file hands the grant to the service account of a
    /// workload that runs an AI agent, the severity is raised and the agent named with
    /// the evidence.
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
                | FileKind::Json
        ),
    }
}

impl Rule for K8sBroadRbac {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        let Some(k) = Knowledge::builtin() else {
            return;
        };
        let objects = &cx.facts.written().rbac;
        for obj in objects {
            if obj.kind.is_binding() {
                check_binding(cx, k, obj, out);
            } else {
                check_role(cx, k, obj, objects, out);
            }
        }
        for c in &cx.facts.cloud().clusters {
            cluster_authorization(cx, c, out);
        }
    }
}

/// Managed clusters whose authorization mode grants everything: AKS without
/// Kubernetes RBAC, GKE with legacy ABAC.
fn cluster_authorization(cx: &FileCx<'_>, c: &Cluster, out: &mut Vec<Finding>) {
    let kind = c.kind.as_str();
    if let Some(off) = &c.rbac_disabled {
        out.push(
            cx.finding(
                &K8sBroadRbac::META,
                off.span,
                format!(
                    "{kind} cluster `{}` has Kubernetes RBAC disabled: the API server authorizes every authenticated identity for everything, so any pod's token or any kubeconfig of the cluster is cluster-admin",
                    c.address
                ),
            )
            .label("RBAC disabled")
            .severity(Severity::Critical)
            .help("Enable Kubernetes RBAC (`role_based_access_control_enabled = true`, `enableRBAC: true`; it can only be set when the cluster is created) and grant each workload a Role of its own.")
            .key(format!("{}:rbac-disabled", c.address))
            .build(),
        );
    }
    if let Some(on) = &c.legacy_abac {
        out.push(
            cx.finding(
                &K8sBroadRbac::META,
                on.span,
                format!(
                    "{kind} cluster `{}` enables legacy ABAC: attribute-based policies grant access beside RBAC and are not shown by RBAC tooling, and GKE's legacy defaults give service accounts broad rights",
                    c.address
                ),
            )
            .label("legacy ABAC on")
            .help("Set `enable_legacy_abac = false` and grant access with RBAC Roles bound to each workload's own service account.")
            .key(format!("{}:legacy-abac", c.address))
            .build(),
        );
    }
}

/// An object's name as findings show it.
fn name(o: &RbacObject) -> &str {
    o.name.as_deref().unwrap_or("<unnamed>")
}

fn title(o: &RbacObject) -> String {
    if o.kind.cluster_scoped() {
        format!("{} `{}`", o.kind.as_str(), name(o))
    } else {
        format!("{} `{}/{}`", o.kind.as_str(), o.namespace, name(o))
    }
}

/// The fingerprint key of an object.
fn key(o: &RbacObject) -> String {
    format!("{}/{}/{}", o.kind.as_str(), o.namespace, name(o))
}

/// The agent workload of this file that runs as one of the binding's service-account
/// subjects. Same file only: cross-file joins belong to the identity graph.
fn agent_subject<'a>(cx: &'a FileCx<'_>, binding: &RbacObject) -> Option<&'a Workload> {
    let accounts: Vec<(&str, &str)> = binding
        .subjects
        .iter()
        // A subject names its kind: a `User system:serviceaccount:<ns>:<name>` is the
        // same account as the `ServiceAccount`.
        .filter(|s| s.kind.is_some())
        .filter_map(|s| s.service_account(&binding.namespace))
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

fn describe_subjects(binding: &RbacObject) -> String {
    let subjects = &binding.subjects;
    let mut names: Vec<String> = subjects
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "{} `{}`",
                s.kind.as_deref().unwrap_or("subject"),
                s.name.as_deref().unwrap_or("?")
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
                "; {} runs as this service account and is an AI agent ({}), so a prompt injection gets all of it",
                w.name,
                w.agent.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_default()
}

fn check_binding(cx: &FileCx<'_>, k: &Knowledge, b: &RbacObject, out: &mut Vec<Finding>) {
    let Some(role_ref) = &b.role_ref else {
        return;
    };
    let Some(name_node) = &role_ref.name else {
        return;
    };
    let Some(role) = name_node.as_str() else {
        return;
    };
    if role_ref.kind.as_deref() != Some("ClusterRole") {
        return;
    }
    let Some(admin) = k.k8s_admin_role(role) else {
        return;
    };
    let agent = agent_subject(cx, b);
    let scope = if b.kind.cluster_scoped() {
        "in every namespace".to_owned()
    } else {
        format!("in namespace `{}`", b.namespace)
    };
    let mut severity = if b.kind.cluster_scoped() && role == "cluster-admin" {
        Severity::Critical
    } else {
        Severity::High
    };
    if agent.is_some() {
        severity = severity.raised();
    }
    let message = format!(
        "{} grants the ClusterRole `{role}` ({}) {scope} to {}{}",
        title(b),
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
        .key(format!("{}:roleRef:{role}", key(b)));
    if let Some(w) = agent {
        f = f.workload(&w.name);
    }
    out.push(f.build());
}

/// The agent bound to this role by a binding in the same file, if any.
fn bound_agent<'a>(
    cx: &'a FileCx<'_>,
    role: &RbacObject,
    objects: &[RbacObject],
) -> Option<&'a Workload> {
    objects
        .iter()
        .filter(|b| b.kind.is_binding())
        .filter(|b| {
            b.role_ref.as_ref().is_some_and(|r| {
                r.kind.as_deref() == Some(role.kind.as_str())
                    && r.name.as_ref().and_then(Value::as_str) == Some(name(role))
                    && (role.kind.cluster_scoped() || b.namespace == role.namespace)
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

/// Which API groups a rule covers: every group (`*`), the core group (`""`, or no
/// `apiGroups` written), and the named others.
struct GroupScope<'a> {
    all: bool,
    core: bool,
    named: Vec<&'a str>,
}

impl<'a> GroupScope<'a> {
    fn of(groups: &'a [Value]) -> Self {
        let texts: Vec<&str> = groups.iter().filter_map(Value::as_str).collect();
        GroupScope {
            all: texts.contains(&"*"),
            core: groups.is_empty() || texts.iter().any(|g| matches!(*g, "" | "*")),
            named: texts
                .iter()
                .copied()
                .filter(|g| !matches!(*g, "" | "*"))
                .collect(),
        }
    }

    /// `the core API group`, `API group \`custom.metrics.k8s.io\``, ...
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.core {
            parts.push("the core API group".to_owned());
        }
        match self.named.len() {
            0 => {}
            1 => parts.push(format!("API group `{}`", self.named[0])),
            _ => parts.push(format!(
                "API groups {}",
                quoted_list(self.named.iter().copied())
            )),
        }
        parts.join(" and ")
    }

    fn rbac(&self) -> bool {
        self.all || self.named.contains(&"rbac.authorization.k8s.io")
    }
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``, each item once.
fn quoted_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for i in items {
        if !seen.contains(&i) {
            seen.push(i);
        }
    }
    let quoted: Vec<String> = seen.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a `*` in a rule grants, and how bad it is: every verb on every resource is
/// `cluster-admin` only when it covers every API group; inside one group (custom
/// metrics, a CRD group) it is that group's resources, and Secrets only when the core
/// group is covered.
fn wildcard(
    role: &RbacObject,
    scope: &GroupScope<'_>,
    all_verbs: bool,
    all_resources: bool,
    fields: &[&str],
) -> (Severity, String) {
    let cluster = role.kind.cluster_scoped();
    if all_verbs && all_resources {
        if scope.all {
            return (
                if cluster { Severity::Critical } else { Severity::High },
                "every verb on every resource in every API group, Secrets and RBAC included: the equivalent of `cluster-admin` wherever it is bound".to_owned(),
            );
        }
        let mut what = format!("every verb on every resource of {}", scope.describe());
        let severity = if scope.core || scope.rbac() {
            what.push_str(if scope.core {
                ", Secrets, pods and service accounts included"
            } else {
                ", roles and bindings included: the holder can grant itself anything"
            });
            // Every Secret and every pod of the cluster is one step from `cluster-admin`.
            if cluster {
                Severity::Critical
            } else {
                Severity::High
            }
        } else {
            what.push_str(", current and future, but nothing outside it");
            Severity::Medium
        };
        return (severity, what);
    }
    if all_verbs || all_resources {
        let what = if all_verbs {
            format!(
                "a wildcard in `{}`: every current and future verb is granted on the listed resources of {}, `delete`, `escalate` and `impersonate` included",
                fields.join("`, `"),
                scope.describe()
            )
        } else if scope.core {
            format!(
                "a wildcard in `{}`: every current and future resource of {} is granted, Secrets included",
                fields.join("`, `"),
                scope.describe()
            )
        } else {
            format!(
                "a wildcard in `{}`: every current and future resource of {} is granted",
                fields.join("`, `"),
                scope.describe()
            )
        };
        let severity = if all_resources && !scope.core && !scope.rbac() {
            Severity::Medium
        } else {
            Severity::High
        };
        return (severity, what);
    }
    (
        Severity::Medium,
        "a wildcard in `apiGroups`: the listed resources in every API group, custom resources included".to_owned(),
    )
}

fn check_role(
    cx: &FileCx<'_>,
    k: &Knowledge,
    role: &RbacObject,
    objects: &[RbacObject],
    out: &mut Vec<Finding>,
) {
    let mut hits = Vec::new();
    for (i, rule) in role.rules.iter().enumerate() {
        let verbs = &rule.verbs;
        let resources = &rule.resources;
        let groups = &rule.api_groups;
        let names = &rule.resource_names;
        let star = |items: &[Value]| items.iter().find(|n| n.is_star()).map(|n| n.span);
        let at = format!("{}:rules[{i}]", key(role));

        let wild: Vec<(&str, Span)> = [
            ("verbs", star(verbs)),
            ("resources", star(resources)),
            ("apiGroups", star(groups)),
        ]
        .into_iter()
        .filter_map(|(f, s)| Some((f, s?)))
        .collect();
        let scope = GroupScope::of(groups);
        // Wildcards wholly inside read-only APIs (metrics adapters) grant reads.
        let read_only = !scope.core
            && !scope.all
            && !scope.named.is_empty()
            && scope.named.iter().all(|g| k.k8s_read_only_group(g));
        if let Some(&(first, span)) = wild.first().filter(|_| !read_only) {
            let fields: Vec<&str> = wild.iter().map(|(f, _)| *f).collect();
            let all_verbs = fields.contains(&"verbs");
            let all_resources = fields.contains(&"resources");
            let (severity, what) = wildcard(role, &scope, all_verbs, all_resources, &fields);
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

        for v in verbs {
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

        for r in resources {
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

        // Every verb of the rule that returns a Secret's data, named together: a rule
        // granting `get`, `list` and `watch` says all three.
        let read_verbs: Vec<&Value> = verbs
            .iter()
            .filter(|v| v.as_str().is_some_and(|v| k.k8s_reads_secrets(v)))
            .collect();
        if let (Some(secrets), Some(first_verb), true, true) = (
            resources.iter().find(|r| r.as_str() == Some("secrets")),
            read_verbs.first(),
            scope.core,
            names.is_empty(),
        ) {
            let (severity, reach) = if role.kind.cluster_scoped() {
                (Severity::High, "every Secret of every namespace it is bound in (all of them with a ClusterRoleBinding)".to_owned())
            } else {
                (
                    Severity::Medium,
                    format!("every Secret in namespace `{}`", role.namespace),
                )
            };
            let named = quoted_list(read_verbs.iter().filter_map(|v| v.as_str()));
            hits.push(Hit {
                span: secrets.span,
                severity,
                label: "reads all Secrets".to_owned(),
                what: format!("{named} on `secrets` without `resourceNames`: {reach}, other workloads' credentials included"),
                help: "Name the Secrets the task reads in `resourceNames`, in a namespaced Role.",
                key: format!("{at}:secrets"),
                related: vec![(
                    first_verb.span,
                    if read_verbs.len() > 1 { "read verbs" } else { "read verb" }.to_owned(),
                )],
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
                format!("{} grants {}{}", title(role), h.what, agent_clause(agent)),
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
