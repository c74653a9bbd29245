//! GitHub Actions token permissions as written: the workflow's `permissions`, each
//! job's own, and the steps that may write with the token. The view
//! `gha-broad-permissions` and the grants model read, filled once per file by
//! [`crate::model::extract`].

use crate::syntax::source::Span;

/// A workflow document with `jobs`.
#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    /// Index of the document in its file.
    pub(crate) doc: usize,
    /// The top-level `permissions`, which jobs without their own inherit.
    pub(crate) permissions: Option<Permissions>,
    pub(crate) jobs: Vec<Job>,
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The job id (`<job>` when the key is not text).
    pub(crate) id: String,
    /// Where the job's key is written: its workload's span.
    pub(crate) key_span: Span,
    pub(crate) permissions: Option<Permissions>,
    /// The job's `env`, as `(name, value)` when the value is a literal.
    pub(crate) env: Vec<(String, Option<String>)>,
    pub(crate) steps: Vec<Step>,
}

/// A `permissions` value: `read-all`/`write-all`, or a mapping of scopes to levels.
#[derive(Debug, Clone)]
pub(crate) struct Permissions {
    pub(crate) span: Span,
    /// The value when it is one word (`write-all`, `read-all`).
    pub(crate) text: Option<String>,
    pub(crate) scopes: Vec<PermissionScope>,
}

/// `contents: write`: the scope, the level when written as a literal, and where the
/// level is written.
#[derive(Debug, Clone)]
pub(crate) struct PermissionScope {
    pub(crate) scope: Option<String>,
    pub(crate) level: Option<String>,
    pub(crate) span: Span,
}

impl Permissions {
    /// The first entry for `scope`, as a mapping lookup finds it.
    pub(crate) fn get(&self, scope: &str) -> Option<&PermissionScope> {
        self.scopes
            .iter()
            .find(|s| s.scope.as_deref() == Some(scope))
    }
}

/// A step: the action it uses, the commands it runs, its `with` inputs and `env`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Step {
    pub(crate) uses: Option<String>,
    pub(crate) run: Option<String>,
    pub(crate) with: Vec<(String, Option<String>)>,
    pub(crate) env: Vec<(String, Option<String>)>,
}

/// The literal value of the first `(name, value)` pair named `name`.
pub(crate) fn lookup<'a>(pairs: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_deref())
}
