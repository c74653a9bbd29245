//! Placeholder until the reporter lands.
pub(crate) fn write(
    _input: &super::ReportInput<'_>,
    _w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    Err(std::io::Error::other("not implemented yet"))
}
