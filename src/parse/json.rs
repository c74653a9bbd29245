//! JSON and JSONC (placeholder until the adapter lands).
use super::ParseError;
use crate::doc::Parsed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Strict,
    Jsonc,
}

pub(crate) fn parse(_text: &str, _dialect: Dialect) -> Result<Parsed, ParseError> {
    Err(ParseError::new("JSON parsing is not implemented yet", None))
}
