//! Parsed GraphQL documents, kept by their text. Clients send the same few documents again and
//! again with new variables, and parsing one was a good part of a small request's cost. The
//! engine still validates every request; only the parse is saved.
//!
//! Bounded twice: documents longer than [`MAX_KEPT_LEN`] are parsed every time, and once
//! [`MAX_KEPT`] are kept the set is emptied and starts again, so a client sending ever-new
//! documents costs memory no more than a fixed amount and time no more than parsing.

use std::{collections::HashMap, sync::Mutex};

use async_graphql::parser::types::ExecutableDocument;

/// Longer documents are rare and parsed each time.
const MAX_KEPT_LEN: usize = 8 * 1024;
/// Documents kept at once.
const MAX_KEPT: usize = 512;

#[derive(Default)]
pub(crate) struct ParsedDocuments {
    kept: Mutex<HashMap<String, ExecutableDocument>>,
}

impl ParsedDocuments {
    /// Whether a document of this text would be kept.
    pub(crate) fn keeps(text: &str) -> bool {
        text.len() <= MAX_KEPT_LEN
    }

    /// The document parsed from `text` before, if it is kept.
    pub(crate) fn get(&self, text: &str) -> Option<ExecutableDocument> {
        if !Self::keeps(text) {
            return None;
        }
        self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(text).cloned()
    }

    /// Keeps a document that parsed (one that did not is never kept).
    pub(crate) fn keep(&self, text: &str, document: &ExecutableDocument) {
        if !Self::keeps(text) {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() >= MAX_KEPT {
            kept.clear();
        }
        kept.insert(text.to_owned(), document.clone());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.kept.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).unwrap()
    }

    #[test]
    fn a_kept_document_is_the_one_parsed() {
        let documents = ParsedDocuments::default();
        let text = "query($id: ID!) { order(id: $id) { id } }";
        assert!(documents.get(text).is_none());
        documents.keep(text, &parsed(text));
        let kept = documents.get(text).unwrap();
        assert_eq!(format!("{:?}", kept.operations), format!("{:?}", parsed(text).operations));
        assert!(documents.get("{ __typename }").is_none(), "another text is another document");
    }

    #[test]
    fn long_documents_are_not_kept_and_the_set_is_bounded() {
        let documents = ParsedDocuments::default();
        let long = format!("{{ __typename {} }}", " ".repeat(MAX_KEPT_LEN));
        documents.keep(&long, &parsed(&long));
        assert!(documents.get(&long).is_none());
        for i in 0..MAX_KEPT + 3 {
            let text = format!("{{ a{i}: __typename }}");
            documents.keep(&text, &parsed(&text));
        }
        assert!(documents.len() <= MAX_KEPT, "{} kept", documents.len());
        assert_eq!(documents.len(), 3, "emptied when full, then refilled");
    }
}
