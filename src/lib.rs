//! lanyard: a static IAM linter for AI agents.
//!
//! The pipeline: discover files → classify → parse into one format-neutral tree →
//! per-file rules and fact extraction → project (cross-file) rules → suppress → sort →
//! report → exit code. `main.rs` only parses arguments and calls [`cli::main`].

pub mod classify;
pub mod doc;
pub mod finding;
pub mod parse;
pub mod source;
pub mod catalog;
pub mod facts;
pub(crate) mod report;
pub(crate) mod rules;
pub mod scan;
