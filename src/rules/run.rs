//! Running the rules: over one file, and over the project. The pipeline hands each
//! file's context here and gets sealed findings back; everything a finding needs from
//! the model after its rule built it (who holds a grant, which agents run as them) is
//! added here, through the builder, so the pipeline knows no rule, family or platform.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::findings::{Family, Finding, Label};
use crate::model::facts::{ProjectFacts, Workload};
use crate::syntax::classify::FileKind;
use crate::syntax::source::Span;

use super::{FileCx, ProjectCx, Rule, registry};

/// What the rules made of one file.
pub(crate) struct FileRun {
    pub(crate) findings: Vec<Finding>,
    /// Secret spans (with their public prefix length) that rules know of beyond the
    /// credential catalog's matches; reports must never quote them.
    pub(crate) masks: Vec<(Span, usize)>,
}

/// Run the selected rules that apply to the file, tie grants to their holders, and
/// collect the secrets every rule knows of in the file.
pub(crate) fn check_file(cx: &FileCx<'_>, selected: &[&'static dyn Rule]) -> FileRun {
    let kind = cx.file.kind;
    let mut findings = Vec::new();
    for rule in selected.iter().filter(|r| r.applies_to(kind)) {
        rule.check_file(cx, &mut findings);
    }
    let findings = findings
        .into_iter()
        .map(|f| with_holders(cx, f))
        .collect::<Vec<_>>();
    // Secrets that rules know of beyond the catalog's matches. Rules left out by
    // `--select` still run for this: another rule's snippet may quote the same line.
    let mut masks: Vec<(Span, usize)> = findings
        .iter()
        .flat_map(|f| f.mask().iter().copied())
        .collect();
    let all_selected = selected.len() == registry().len();
    for rule in registry().iter().filter(|r| {
        !all_selected && r.applies_to(kind) && !selected.iter().any(|s| s.meta().id == r.meta().id)
    }) {
        let mut unselected = Vec::new();
        rule.check_file(cx, &mut unselected);
        masks.extend(unselected.iter().flat_map(|f| f.mask().iter().copied()));
    }
    FileRun { findings, masks }
}

/// A grant finding names the identities holding it, for the project pass to name the
/// agents that use them: IAM policies through the roles and users they attach to, RBAC
/// bindings through their service-account subjects.
fn with_holders(cx: &FileCx<'_>, f: Finding) -> Finding {
    if f.family() != Family::ExcessiveScope {
        return f;
    }
    let Some(parsed) = cx.parsed else { return f };
    let kind = cx.file.kind;
    let span = f.primary().span;
    let holders = match kind {
        FileKind::Terraform | FileKind::TerraformJson | FileKind::CloudFormation => {
            let scope = if kind == FileKind::CloudFormation {
                cx.path.to_string()
            } else {
                cx.path
                    .rsplit_once('/')
                    .map_or("", |(dir, _)| dir)
                    .to_owned()
            };
            parsed.documents.iter().find_map(|d| {
                crate::model::iam::enclosing_grant(d, span)
                    .map(|path| crate::model::iam::holder_identities(d, &path, &scope))
            })
        }
        // A manifest that is no binding names no holders: the finding stays as built.
        FileKind::Kubernetes | FileKind::HelmTemplate if f.holders().is_empty() => cx
            .facts
            .trust()
            .bindings
            .iter()
            .find(|b| b.extent.start <= span.start && span.end <= b.extent.end)
            .map(|b| b.service_accounts()),
        _ => None,
    };
    match holders {
        Some(h) => f.amend().holders(h).build(),
        None => f,
    }
}

/// Run the selected rules' project pass, each contained: a rule that panics loses its
/// cross-file findings, which the returned ids name. Then name the agents holding each
/// grant.
pub(crate) fn check_project(
    cx: &ProjectCx<'_>,
    selected: &[&'static dyn Rule],
    findings: &mut Vec<Finding>,
) -> Vec<&'static str> {
    let mut failed = Vec::new();
    for rule in selected {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let mut out = Vec::new();
            rule.check_project(cx, &mut out);
            out
        }));
        match caught {
            Ok(out) => findings.extend(out),
            Err(_) => failed.push(rule.meta().id),
        }
    }
    let all = std::mem::take(findings);
    *findings = all
        .into_iter()
        .map(|f| with_agent_context(f, cx.facts))
        .collect();
    failed
}

/// Grants held by identities that AI agents run as, in any file: name the agents,
/// point at where they take the identity, and raise the severity once (unless the rule
/// already did so from the same file).
fn with_agent_context(f: Finding, project: &ProjectFacts) -> Finding {
    if f.holders().is_empty() {
        return f;
    }
    let mut agents: Vec<(&Workload, Span)> = Vec::new();
    for holder in f.holders() {
        let mut id = holder.clone();
        crate::model::resolve::identity(&mut id, &project.definitions);
        for w in project.workloads.iter().filter(|w| w.agent.is_some()) {
            for u in w.identities.iter().filter(|u| u.identity == id) {
                if !agents
                    .iter()
                    .any(|(a, _)| a.name == w.name && a.path == w.path)
                {
                    agents.push((w, u.span));
                }
            }
        }
    }
    if agents.is_empty() {
        return f;
    }
    let names: Vec<&str> = agents.iter().map(|(w, _)| w.name.as_str()).collect();
    // Every message that calls something an agent says why.
    let described: Vec<String> = agents
        .iter()
        .map(|(w, _)| format!("{} ({})", w.name, w.agent.as_deref().unwrap_or("")))
        .collect();
    let known = f.agent_context();
    let message =
        (!known).then(|| format!("{}; held by AI agent {}", f.message(), described.join(", ")));
    let severity = f.severity().raised();
    let workload = f
        .workload()
        .is_none()
        .then(|| names.first().map(|n| (*n).to_owned()));
    let mut b = f.amend();
    for (w, span) in &agents {
        let why = w.agent.as_deref().unwrap_or("");
        b = b.related_label(Label::new(
            &w.path,
            *span,
            format!("{} holds this grant ({why})", w.name),
        ));
    }
    if let Some(message) = message {
        b = b.severity(severity).message(message).agent_context(true);
    }
    if let Some(Some(name)) = workload {
        b = b.workload(name);
    }
    b.build()
}
