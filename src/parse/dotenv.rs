//! dotenv adapter (placeholder until the adapter lands).
use super::ParseError;
use crate::doc::Parsed;

pub(crate) fn parse(_text: &str) -> Result<Parsed, ParseError> {
    Err(ParseError::new(
        "dotenv parsing is not implemented yet",
        None,
    ))
}
