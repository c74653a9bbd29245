//! lanyard: a static IAM linter for AI agents.
//!
//! The pipeline: discover files → classify → parse into one format-neutral tree →
//! per-file rules and fact extraction → project (cross-file) rules → suppress → sort →
//! report → exit code. `main.rs` only parses arguments and calls [`cli::main`].

pub mod catalog;
pub mod classify;
pub mod cli;
pub mod config;
pub mod doc;
pub mod facts;
pub mod finding;
pub mod grants;
pub mod parse;
pub(crate) mod report;
pub(crate) mod rules;
pub mod scan;
pub mod source;

/// Ids of every built-in rule, in catalog order.
pub fn rule_ids() -> Vec<&'static str> {
    rules::registry().iter().map(|r| r.meta().id).collect()
}
pub mod diff;
pub mod iac;
pub mod iam;
pub mod inventory;
pub mod knowledge;
pub mod suppress;
