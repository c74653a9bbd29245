//! Layer 0, syntax: source bytes and spans, file kinds, the one format-neutral document
//! tree, the parse adapters, and hygiene for text that came from scanned files.
//! Imports nothing else of the crate.

pub mod classify;
pub mod doc;
pub mod parse;
pub mod shell;
pub mod source;
pub mod text;
