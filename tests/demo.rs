//! The bundled demo repository fires every family, and its report is stable.

mod common;

use lanyard::finding::Family;
use lanyard::scan::{ScanOptions, scan};

#[test]
fn demo_fires_every_family() {
    let result = scan(&ScanOptions {
        paths: vec![common::fixture("demo")],
        ..ScanOptions::default()
    })
    .expect("scan runs");
    for family in Family::ALL {
        assert!(
            result.findings.iter().any(|f| f.family == family),
            "no {family} finding in fixtures/demo"
        );
    }
    assert!(
        result.notices.is_empty(),
        "demo notices: {:?}",
        result.notices
    );
}

#[test]
fn demo_human_report() {
    let (code, stdout, stderr) = common::check(&common::fixture("demo"), &[]);
    assert_eq!(
        code, 1,
        "findings at or above high fail the run; stderr: {stderr}"
    );
    insta::assert_snapshot!("demo-human", stdout);
}
