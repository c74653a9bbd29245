//! Infrastructure facts that only mean something next to other files: what the
//! repository's audit settings cover (CloudTrail data events, GCP Data Access logs,
//! Azure diagnostic settings) and the clusters that need them. A file's views are
//! dropped after its own rules ran; this small part of them is kept for the project
//! pass, where `audit-logging-disabled` joins it with the grants of agents.

use std::sync::Arc;

use crate::model::audit::{AuditFacts, IacFormat};
use crate::model::cloud::{CloudFacts, ClusterKind};
use crate::model::keys::KeyFacts;
use crate::syntax::source::Span;

/// A CloudTrail trail and the S3 object data events it records.
#[derive(Debug, Clone)]
pub(crate) struct TrailCoverage {
    pub(crate) address: String,
    pub(crate) path: Arc<str>,
    pub(crate) span: Span,
    /// See [`crate::model::audit::Trail::s3_data_events`].
    pub(crate) s3_objects: Vec<String>,
}

impl TrailCoverage {
    /// Whether the trail records data events on objects of `bucket` (a bucket name, or
    /// the Terraform address of an `aws_s3_bucket`).
    pub(crate) fn records_objects_of(&self, bucket: &str) -> bool {
        self.s3_objects.iter().any(|v| {
            let v = v.trim();
            // All buckets: `arn:aws:s3` (the classic selector's "all"), `arn:aws:s3:::`,
            // or an advanced selector without an ARN filter.
            v == "*"
                || v.trim_end_matches(':') == "arn:aws:s3"
                || v.strip_prefix("arn:")
                    .and_then(|r| r.split_once(":s3:::"))
                    .is_some_and(|(_, rest)| {
                        rest.is_empty() || rest.split('/').next() == Some(bucket)
                    })
                // A reference to the bucket (`${aws_s3_bucket.reports.arn}/`).
                || (bucket.contains('.') && v.contains(bucket))
        })
    }
}

/// A GCP audit config: which service and which log types it turns on.
#[derive(Debug, Clone)]
pub(crate) struct GcpAuditCoverage {
    /// `allServices` or a service (`storage.googleapis.com`).
    pub(crate) service: String,
    pub(crate) log_types: Vec<String>,
    pub(crate) path: Arc<str>,
    pub(crate) span: Span,
}

/// A managed cluster that keeps no logs of its own (AKS without Container Insights),
/// unless a diagnostic setting elsewhere sends its logs somewhere.
#[derive(Debug, Clone)]
pub(crate) struct UnmonitoredCluster {
    pub(crate) kind: ClusterKind,
    /// `azurerm_kubernetes_cluster.agents`, an ARM resource name.
    pub(crate) address: String,
    /// The Terraform module (directory) it is defined in.
    pub(crate) dir: String,
    pub(crate) path: Arc<str>,
    pub(crate) span: Span,
}

/// An Azure diagnostic setting's target, as written.
#[derive(Debug, Clone)]
pub(crate) struct DiagnosticTarget {
    pub(crate) dir: String,
    pub(crate) target: String,
}

/// What one file, or the whole project, adds to the joins.
#[derive(Debug, Default)]
pub(crate) struct InfraFacts {
    pub(crate) trails: Vec<TrailCoverage>,
    pub(crate) gcp_audit: Vec<GcpAuditCoverage>,
    pub(crate) unmonitored: Vec<UnmonitoredCluster>,
    pub(crate) diagnostic_targets: Vec<DiagnosticTarget>,
    /// Keys minted, values handed to workloads, locals and defaults (see
    /// [`crate::model::keys`]), one entry per file.
    pub(crate) keys: Vec<KeyFacts>,
}

impl InfraFacts {
    pub(crate) fn is_empty(&self) -> bool {
        let InfraFacts {
            trails,
            gcp_audit,
            unmonitored,
            diagnostic_targets,
            keys,
        } = self;
        trails.is_empty()
            && gcp_audit.is_empty()
            && unmonitored.is_empty()
            && diagnostic_targets.is_empty()
            && keys.is_empty()
    }

    pub(crate) fn merge(&mut self, other: InfraFacts) {
        let InfraFacts {
            trails,
            gcp_audit,
            unmonitored,
            diagnostic_targets,
            keys,
        } = other;
        self.trails.extend(trails);
        self.gcp_audit.extend(gcp_audit);
        self.unmonitored.extend(unmonitored);
        self.diagnostic_targets.extend(diagnostic_targets);
        self.keys.extend(keys);
    }

    /// The part of a file's views the project pass needs; `dir` is the file's
    /// directory (its Terraform module).
    pub(crate) fn of_views(
        audit: &AuditFacts,
        cloud: &CloudFacts,
        path: &Arc<str>,
        dir: &str,
    ) -> InfraFacts {
        InfraFacts {
            trails: audit
                .trails
                .iter()
                .map(|t| TrailCoverage {
                    address: t.address.clone(),
                    path: Arc::clone(path),
                    span: t.span,
                    s3_objects: t.s3_data_events.clone(),
                })
                .collect(),
            gcp_audit: audit
                .gcp_configs
                .iter()
                .map(|c| GcpAuditCoverage {
                    service: c
                        .service
                        .as_ref()
                        .and_then(|s| s.as_text())
                        .unwrap_or("")
                        .to_owned(),
                    log_types: c.log_configs.iter().map(|l| l.log_type.clone()).collect(),
                    path: Arc::clone(path),
                    span: c.span,
                })
                .collect(),
            unmonitored: cloud
                .clusters
                .iter()
                // Diagnostic settings are read from Terraform only: an ARM cluster
                // cannot be told covered or not.
                .filter(|c| {
                    c.kind == ClusterKind::Aks && !c.monitored && c.format == IacFormat::Terraform
                })
                .map(|c| UnmonitoredCluster {
                    kind: c.kind,
                    address: c.address.clone(),
                    dir: dir.to_owned(),
                    path: Arc::clone(path),
                    span: c.span,
                })
                .collect(),
            diagnostic_targets: audit
                .diagnostic_targets
                .iter()
                .filter_map(|t| t.as_text())
                .map(|t| DiagnosticTarget {
                    dir: dir.to_owned(),
                    target: t.to_owned(),
                })
                .collect(),
            keys: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_coverage_of_buckets() {
        let trail = |values: &[&str]| TrailCoverage {
            address: "t".into(),
            path: Arc::from("t.tf"),
            span: Span::default(),
            s3_objects: values.iter().map(|v| (*v).to_owned()).collect(),
        };
        assert!(trail(&["arn:aws:s3"]).records_objects_of("reports"));
        assert!(trail(&["arn:aws:s3:::"]).records_objects_of("reports"));
        assert!(trail(&["*"]).records_objects_of("reports"));
        assert!(trail(&["arn:aws:s3:::reports/"]).records_objects_of("reports"));
        assert!(!trail(&["arn:aws:s3:::other/"]).records_objects_of("reports"));
        assert!(
            trail(&["${aws_s3_bucket.reports.arn}/"]).records_objects_of("aws_s3_bucket.reports")
        );
        assert!(!trail(&[]).records_objects_of("reports"));
    }
}
