//! Terraform calls of well-known public IAM modules (see [`crate::model::modules`]):
//! the extractors of policies, trust and keys read them as the resources they create.

use crate::model::modules::{InputSpec, ModuleSpec, ModuleTable, ReadsAs};
use crate::syntax::doc::{Document, Node};
use crate::syntax::source::Span;

/// A `module` block whose source is in the table and that creates something.
pub(super) struct ModuleCall<'a> {
    pub(super) name: &'a str,
    pub(super) name_span: Span,
    pub(super) body: &'a Node,
    pub(super) spec: &'static ModuleSpec,
}

/// The calls of known modules in a Terraform document (HCL or JSON), turned-off calls
/// (`create_user = false`, a `create_role` left at its `false` default) left out.
/// Switches set by an expression count as on.
pub(super) fn module_calls(doc: &Document) -> Vec<ModuleCall<'_>> {
    let Some(table) = ModuleTable::builtin() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for block in doc.root.get_all("module") {
        for e in block.entries() {
            let Some(name) = e.key_str() else { continue };
            let body = super::cloud::tf_body(&e.value);
            let Some(spec) = body
                .get("source")
                .and_then(Node::as_str)
                .and_then(|s| table.find(s))
            else {
                continue;
            };
            let call = ModuleCall {
                name,
                name_span: e.key.span,
                body,
                spec,
            };
            // Only a literal `false` turns a call off: an expression
            // (`create_role = local.account == "dev"`) may well be true.
            let on = spec.enabled.iter().all(|s| {
                call.body
                    .get(&s.input)
                    .map_or(s.default, |n| n.as_bool().unwrap_or(true))
            });
            if on {
                out.push(call);
            }
        }
    }
    out
}

impl<'a> ModuleCall<'a> {
    /// `module.<name>`, how other blocks refer to it.
    pub(super) fn address(&self) -> String {
        format!("module.{}", self.name)
    }

    /// The inputs of one kind that the call sets, with their values.
    pub(super) fn inputs(
        &self,
        kind: ReadsAs,
    ) -> impl Iterator<Item = (&'static InputSpec, &'a Node)> + '_ {
        self.spec
            .input
            .iter()
            .filter(move |i| i.reads_as == kind)
            .filter_map(|i| Some((i, self.body.get(&i.input)?)))
    }

    /// A boolean input of one kind: whether it is on (set, or by default) and where it
    /// is set. With several inputs of the kind (one per module version), a set one
    /// decides.
    pub(super) fn switch(&self, kind: ReadsAs) -> Option<Span> {
        let specs: Vec<&InputSpec> = self
            .spec
            .input
            .iter()
            .filter(|i| i.reads_as == kind)
            .collect();
        // A set input decides; an expression may be true.
        let set: Vec<(bool, Span)> = specs
            .iter()
            .filter_map(|i| {
                let n = self.body.get(&i.input)?;
                Some((n.as_bool().unwrap_or(true), n.span))
            })
            .collect();
        if !set.is_empty() {
            return set.iter().find(|(on, _)| *on).map(|(_, span)| *span);
        }
        specs
            .iter()
            .any(|i| i.default == Some(true))
            .then_some(self.name_span)
    }

    /// The literal name of what it creates (its `name_input`).
    pub(super) fn created_name(&self) -> Option<&'a str> {
        let input = self.spec.name_input.as_deref()?;
        self.body.get(input).and_then(Node::as_str)
    }
}

/// The values of a list or map input: a list's items, a map's values.
pub(super) fn values(node: &Node) -> Vec<&Node> {
    if node.is_map() {
        node.entries().iter().map(|e| &e.value).collect()
    } else {
        node.one_or_many()
    }
}
