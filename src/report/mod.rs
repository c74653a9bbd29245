pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod sarif;

pub(crate) struct ReportInput<'a> {
    pub(crate) result: &'a crate::scan::ScanResult,
    pub(crate) rules: Vec<&'static crate::rules::RuleMeta>,
}
