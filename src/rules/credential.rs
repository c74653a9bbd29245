//! What `human-token` and `machine-secret-literal` share: turning a catalog match
//! into a finding that names the credential's kind, its owner and the alternative.

use crate::catalog::{Catalog, CredentialMatch, CredentialSpec, Principal};
use crate::facts::Identity;
use crate::finding::{Confidence, Finding};
use crate::rules::{FileCx, RuleMeta};

/// Findings for every catalog match in the file whose owner kind the rule reports.
pub(crate) fn check(
    meta: &'static RuleMeta,
    cx: &FileCx<'_>,
    personal: bool,
    out: &mut Vec<Finding>,
) {
    let Ok(catalog) = Catalog::builtin() else {
        return;
    };
    for m in cx.credentials {
        let Some(spec) = catalog.specs.get(m.spec) else {
            continue;
        };
        if spec.personal != personal {
            continue;
        }
        out.push(finding(meta, cx, m, spec, personal));
    }
}

fn finding(
    meta: &'static RuleMeta,
    cx: &FileCx<'_>,
    m: &CredentialMatch,
    spec: &CredentialSpec,
    personal: bool,
) -> Finding {
    let workload = cx.facts.workloads.iter().find(|w| {
        w.identities
            .iter()
            .any(|u| u.span == m.span && matches!(u.identity, Identity::Credential { .. }))
    });
    let owner = match spec.principal {
        Principal::Human => "a person's credential",
        Principal::Delegated => "a credential that acts on behalf of a person",
        Principal::Machine => "a machine credential",
        Principal::Ambiguous if personal => "usually a person's credential",
        Principal::Ambiguous => "a credential whose owner the format does not tell",
    };
    let subject = workload.map_or_else(
        || "it".to_owned(),
        |w| format!("{} ({})", w.name, w.kind.as_str()),
    );
    let consequence = if personal {
        format!(
            "{subject} runs as that person: everything it does is attributed to them and can reach all they can reach"
        )
    } else {
        "a committed secret stays valid until someone rotates it, and anyone with read access can use it".to_owned()
    };
    let message = format!(
        "{} ({}, {}): {owner}; {consequence}",
        spec.name,
        spec.lifetime.as_str(),
        spec.provider
    );
    let mut confidence = spec.confidence;
    let mut label = format!("{} {}", spec.name, m.redacted.as_str());
    match m.checksum_ok {
        Some(true) => confidence = Confidence::High,
        Some(false) => {
            confidence = Confidence::Low;
            label.push_str(" (checksum does not verify: possibly a fake)");
        }
        None => {}
    }
    let mut b = cx
        .finding(meta, m.span, message)
        .label(label)
        .severity(spec.severity)
        .confidence(confidence)
        .evidence(m.redacted.clone())
        .help(format!("Use {}.", spec.alternative))
        .key(format!("{}:{}", spec.id, m.hash));
    if let Some(w) = workload {
        b = b.workload(&w.name);
    }
    b.build()
}
