//! lanyard: a static IAM linter for AI agents.
//!
//! The layers, lowest first; a module imports only from its own layer or lower ones
//! (`tests/integration/layers.rs` fails on an upward import, see docs/architecture.md):
//!
//! 0. [`syntax`]: source bytes and spans, file kinds, the one document tree, parsers.
//! 1. [`model`]: knowledge tables and the typed entities rules ask about.
//! 2. [`findings`]: sealed findings, suppression, baselines.
//! 3. `rules`: one file per rule, each querying the model.
//! 4. [`scan`]: the pipeline (discover → per file → project → finalize).
//! 5. `report`: human, JSON, SARIF, GitHub, Markdown, inventory.
//! 6. [`cli`]: arguments, settings (`lanyard.toml`), exit codes.
//!
//! `main.rs` only calls [`cli::main`].

pub mod syntax;

pub mod model;

pub mod findings;

pub(crate) mod rules;

pub mod scan;

pub(crate) mod report;

pub mod cli;

// The public paths tests, examples and fuzz targets use.
pub use cli::config;
pub use findings as finding;
pub use model::catalog;
pub use syntax::classify;

/// Ids of every built-in rule, in catalog order.
pub fn rule_ids() -> Vec<&'static str> {
    rules::registry().iter().map(|r| r.meta().id).collect()
}
