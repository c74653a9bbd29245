//! Azure custom role definitions as written (Terraform `azurerm_role_definition`, ARM
//! `Microsoft.Authorization/roleDefinitions`): the actions each permission block
//! allows less its not-actions, and how broad an action pattern is. The view
//! `wildcard-iam-action` and `privilege-escalation-action` read.

use crate::model::grants::Value;
use crate::model::iam::action_covers;
use crate::syntax::source::Span;

/// An Azure custom role definition (`azurerm_role_definition`, an ARM
/// `Microsoft.Authorization/roleDefinitions` resource): the actions it allows, less
/// its not-actions.
#[derive(Debug, Clone)]
pub(crate) struct AzureRoleDefinition {
    /// Document path of the definition (`resource.azurerm_role_definition.agent`,
    /// `resources[2]`): a stable key.
    pub(crate) path: String,
    /// Its role name as written, else its address.
    pub(crate) name: String,
    /// Where it is named.
    pub(crate) span: Span,
    /// Its `permissions` blocks: each allows its actions less its own not-actions.
    pub(crate) permissions: Vec<AzurePermission>,
}

/// One `permissions` block of an Azure role definition.
#[derive(Debug, Clone)]
pub(crate) struct AzurePermission {
    pub(crate) actions: Vec<Value>,
    pub(crate) not_actions: Vec<Value>,
}

impl AzurePermission {
    /// Whether a not-action of the block removes `action` (an action or pattern).
    pub(crate) fn excludes(&self, action: &str) -> bool {
        self.not_actions
            .iter()
            .filter_map(Value::as_str)
            .any(|n| action_covers(n, action))
    }
}

/// How broad an Azure action pattern is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AzureWildcard<'a> {
    /// `*`: every action of every resource provider.
    All,
    /// `*/write`, `*/delete`, `*/action`: one kind of operation on every provider.
    Verb(&'a str),
    /// `Microsoft.Compute/*`: every action of one resource provider.
    Provider(&'a str),
}

/// The wildcard an Azure action pattern is, if it is one of the broad shapes (`*/read`
/// and narrower patterns such as `Microsoft.Storage/*/read` are not).
pub(crate) fn azure_wildcard(action: &str) -> Option<AzureWildcard<'_>> {
    if action == "*" {
        return Some(AzureWildcard::All);
    }
    if let Some(verb) = action.strip_prefix("*/") {
        return (!verb.contains(['*', '/']) && !verb.eq_ignore_ascii_case("read"))
            .then_some(AzureWildcard::Verb(verb));
    }
    let provider = action.strip_suffix("/*")?;
    (!provider.is_empty() && !provider.contains(['*', '/']))
        .then_some(AzureWildcard::Provider(provider))
}
