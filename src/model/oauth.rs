//! OAuth scopes declared in configuration: under keys such as `scopes`,
//! `oauth_scopes`, `GOOGLE_OAUTH_SCOPES` (a list, a string of several, or Slack's
//! `scopes: {bot, user}`), and in MCP servers' `--scopes` arguments. The view
//! `broad-oauth-scope` reads, filled once per file by [`crate::model::extract`].

use crate::model::grants::Written;

/// Scopes declared under one key or argument.
#[derive(Debug, Clone)]
pub(crate) struct ScopeDeclaration {
    /// Document path of the key (`oauth_config.scopes`, `github.args[3]`): a stable key.
    pub(crate) at: String,
    /// The key is plural, sits under an `oauth*` key, or is a `--scopes` argument:
    /// bare words are scopes here.
    pub(crate) oauth_context: bool,
    /// Each scope with the span of its own text where the source allows, else of the
    /// value holding it.
    pub(crate) scopes: Vec<Written>,
}
