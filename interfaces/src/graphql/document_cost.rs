//! The size of a query document once its fragments are expanded, measured before the GraphQL
//! engine sees it.
//!
//! async-graphql's depth check and validation rules walk fragment spreads afresh at every use:
//! ten levels of fragments spreading the level below eight times cost 8^10 visits, a minute of
//! CPU from a query of 800 bytes, on a worker thread that no timeout can interrupt. Here each
//! fragment's expanded size is computed once (memoised), so the check itself is linear in the
//! document, and a document whose expansion is over the bound never reaches the engine.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

/// What one document may hold.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Fields and fragment spreads of every operation, with fragments expanded where they are
    /// spread. A large legitimate query (an order page with its lines, shipments, returns and
    /// balance) expands to a few hundred.
    pub max_expanded_selections: u64,
    /// Fragment definitions in one document.
    pub max_fragments: usize,
    /// Root fields of a mutation: each is a state change with its own audit record and counts
    /// against the plan's request rate.
    pub max_root_mutation_fields: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        Self { max_expanded_selections: 2_000, max_fragments: 100, max_root_mutation_fields: 10 }
    }
}

/// Why a document is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentRefusal {
    TooLarge {
        expanded: u64,
        limit: u64,
    },
    TooManyFragments {
        count: usize,
        limit: usize,
    },
    TooManyRootMutationFields {
        count: u64,
        limit: usize,
    },
    /// Left to the engine's validation would be fine, but a cycle has no finite size to measure.
    FragmentCycle {
        fragment: String,
    },
}

impl DocumentRefusal {
    pub fn message(&self) -> String {
        match self {
            Self::TooLarge { expanded, limit } => format!(
                "the query expands to {expanded} fields once its fragments are spread, more than the {limit} allowed"
            ),
            Self::TooManyFragments { count, limit } => {
                format!("the query defines {count} fragments, more than the {limit} allowed")
            }
            Self::TooManyRootMutationFields { count, limit } => {
                format!("a request may run at most {limit} mutations; this one has {count}")
            }
            Self::FragmentCycle { fragment } => format!("fragment '{fragment}' spreads itself"),
        }
    }
}

/// What the document will cost the caller's request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentCost {
    /// Root fields of the mutation operations (0 for queries): each counts as one request
    /// against `requests_per_minute`.
    pub root_mutation_fields: u64,
}

enum Memo {
    InProgress,
    Done(u64),
}

struct Measure<'d> {
    document: &'d ExecutableDocument,
    memo: HashMap<&'d str, Memo>,
}

impl<'d> Measure<'d> {
    /// Expanded size of a selection set: one per field and spread, plus what they expand to.
    /// Sizes saturate instead of overflowing; anything that large is refused anyway.
    fn selection_set(&mut self, set: &'d SelectionSet) -> Result<u64, DocumentRefusal> {
        let mut size = 0u64;
        for item in &set.items {
            let item_size = match &item.node {
                Selection::Field(field) => 1u64.saturating_add(self.selection_set(&field.node.selection_set.node)?),
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    1u64.saturating_add(self.fragment(spread.node.fragment_name.node.as_str())?)
                }
            };
            size = size.saturating_add(item_size);
        }
        Ok(size)
    }

    fn fragment(&mut self, name: &'d str) -> Result<u64, DocumentRefusal> {
        match self.memo.get(name) {
            Some(Memo::Done(size)) => return Ok(*size),
            Some(Memo::InProgress) => return Err(DocumentRefusal::FragmentCycle { fragment: name.to_owned() }),
            None => {}
        }
        // An unknown fragment costs nothing here; the engine's validation names it.
        let Some((key, definition)) = self.document.fragments.get_key_value(name) else {
            return Ok(0);
        };
        self.memo.insert(key.as_str(), Memo::InProgress);
        let size = self.selection_set(&definition.node.selection_set.node)?;
        self.memo.insert(key.as_str(), Memo::Done(size));
        Ok(size)
    }

    /// Root fields of a mutation, counting the fields its root fragments contribute.
    fn root_fields(&mut self, set: &'d SelectionSet) -> u64 {
        let mut count = 0u64;
        for item in &set.items {
            count = count.saturating_add(match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => self.root_fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    match self.document.fragments.get(spread.node.fragment_name.node.as_str()) {
                        // Cycles were refused by `selection_set` before this runs.
                        Some(definition) => self.root_fields(&definition.node.selection_set.node),
                        None => 0,
                    }
                }
            });
        }
        count
    }
}

/// Measures every operation of `document` (the engine picks one by name later; a document whose
/// unused operations are huge is refused too, as it would have to be validated whole).
pub fn measure(document: &ExecutableDocument, limits: &DocumentLimits) -> Result<DocumentCost, DocumentRefusal> {
    if document.fragments.len() > limits.max_fragments {
        return Err(DocumentRefusal::TooManyFragments { count: document.fragments.len(), limit: limits.max_fragments });
    }
    let mut measure = Measure { document, memo: HashMap::with_capacity(document.fragments.len()) };
    let mut expanded = 0u64;
    for name in document.fragments.keys() {
        // Unused fragments are validated too, so they count once each.
        expanded = expanded.saturating_add(measure.fragment(name.as_str())?);
    }
    let mut root_mutation_fields = 0u64;
    for (_, operation) in document.operations.iter() {
        expanded = expanded.saturating_add(measure.selection_set(&operation.node.selection_set.node)?);
        if operation.node.ty == OperationType::Mutation {
            root_mutation_fields =
                root_mutation_fields.saturating_add(measure.root_fields(&operation.node.selection_set.node));
        }
    }
    if expanded > limits.max_expanded_selections {
        return Err(DocumentRefusal::TooLarge { expanded, limit: limits.max_expanded_selections });
    }
    if root_mutation_fields > limits.max_root_mutation_fields as u64 {
        return Err(DocumentRefusal::TooManyRootMutationFields {
            count: root_mutation_fields,
            limit: limits.max_root_mutation_fields,
        });
    }
    Ok(DocumentCost { root_mutation_fields })
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn cost(query: &str) -> Result<DocumentCost, DocumentRefusal> {
        measure(&parse_query(query).expect("parses"), &DocumentLimits::default())
    }

    /// Ten levels of fragments, each spreading the level below eight times: 8^10 fields.
    fn fragment_bomb() -> String {
        let mut doc = String::from("query { ...F9 }\nfragment F0 on Query { __typename }\n");
        for level in 1..10 {
            let spreads = vec![format!("...F{}", level - 1); 8].join(" ");
            doc.push_str(&format!("fragment F{level} on Query {{ {spreads} }}\n"));
        }
        doc
    }

    #[test]
    fn an_ordinary_query_passes() {
        let q = "query($id: ID!) { order(id: $id) { id ...Lines shipments { id status } } }
                 fragment Lines on Order { lines { sku quantity unitPrice { amount currency } } }";
        assert_eq!(cost(q), Ok(DocumentCost { root_mutation_fields: 0 }));
    }

    #[test]
    fn a_fragment_bomb_is_refused_by_its_expanded_size() {
        match cost(&fragment_bomb()) {
            Err(DocumentRefusal::TooLarge { expanded, limit }) => {
                assert!(expanded > 8u64.pow(9), "{expanded}");
                assert_eq!(limit, 2_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cycles_are_refused_without_looping() {
        let q = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(matches!(cost(q), Err(DocumentRefusal::FragmentCycle { .. })));
    }

    #[test]
    fn root_mutation_fields_are_counted_through_fragments_and_capped() {
        let ten: String =
            (0..10).map(|i| format!("m{i}: confirmOrder(input: {{id: \"x\"}}) {{ order {{ id }} }} ")).collect();
        assert_eq!(cost(&format!("mutation {{ {ten} }}")), Ok(DocumentCost { root_mutation_fields: 10 }));
        let via_fragment = format!("mutation {{ ...M extra: me {{ subject }} }} fragment M on Mutation {{ {ten} }}");
        assert_eq!(cost(&via_fragment), Err(DocumentRefusal::TooManyRootMutationFields { count: 11, limit: 10 }));
    }

    #[test]
    fn too_many_fragments_are_refused() {
        let fragments: String = (0..101).map(|i| format!("fragment F{i} on Query {{ __typename }}\n")).collect();
        assert!(matches!(
            cost(&format!("{{ __typename }} {fragments}")),
            Err(DocumentRefusal::TooManyFragments { count: 101, limit: 100 })
        ));
    }
}
