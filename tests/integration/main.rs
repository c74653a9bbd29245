//! The integration tests, one module per area, built as a single test binary: each file
//! under `tests/` used to be its own binary, and linking the crate and its dependencies
//! into every one of them dominated an incremental `cargo test`.
//!
//! Data the tests read stays beside this directory: `tests/snapshots/` (insta, see
//! `common::snapshot_settings`), `tests/fixtures/` (the SARIF schema) and
//! `tests/validate_schema.py`, which the library's unit tests use too.

mod common;

mod action;
mod cli;
mod demo;
mod discovery;
mod helm;
mod hostile;
mod layers;
mod pre_commit;
mod redaction;
mod rule_fixtures;
mod task_scopes;
mod workflow;
