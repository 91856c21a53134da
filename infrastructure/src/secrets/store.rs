//! The `ConfigStore` as the rest of the process sees it: documents go in and come out with their
//! secrets in plain text, and are stored with them sealed. Opening happens when a version is read
//! (`current` when the revision moved, the latest version before an edit), never per request: the
//! catalog serves the opened config from memory.

use std::sync::Arc;

use application::ports::{
    AuditRecord, ConfigKind, ConfigSnapshot, ConfigStore, ConfigVersion, ConfigWrite, StoreError,
};
use async_trait::async_trait;

use super::{
    documents::{open_document, seal_document},
    sealing::SecretBox,
};

pub struct SealedConfigStore {
    inner: Arc<dyn ConfigStore>,
    secrets: Arc<SecretBox>,
}

impl SealedConfigStore {
    pub fn new(inner: Arc<dyn ConfigStore>, secrets: Arc<SecretBox>) -> Self {
        Self { inner, secrets }
    }

    fn open(&self, mut version: ConfigVersion) -> Result<ConfigVersion, StoreError> {
        version.document = open_document(&version.document, &place(version.kind, &version.key), &self.secrets)
            .map_err(|e| StoreError::Internal(format!("{} {}: {e}", version.kind.as_str(), version.key)))?;
        Ok(version)
    }
}

/// A document's place, the first part of every secret's associated data.
pub(super) fn place(kind: ConfigKind, key: &str) -> String {
    format!("{}/{key}/", kind.as_str())
}

#[async_trait]
impl ConfigStore for SealedConfigStore {
    async fn current(&self) -> Result<ConfigSnapshot, StoreError> {
        let snapshot = self.inner.current().await?;
        let documents = snapshot.documents.into_iter().map(|v| self.open(v)).collect::<Result<_, _>>()?;
        Ok(ConfigSnapshot { documents, revision: snapshot.revision })
    }

    async fn revision(&self) -> Result<i64, StoreError> {
        self.inner.revision().await
    }

    /// What is returned carries the documents as given, secrets in plain text, like `current`.
    async fn write(
        &self,
        writes: &[ConfigWrite],
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<ConfigVersion>, StoreError> {
        let sealed: Vec<ConfigWrite> = writes
            .iter()
            .map(|w| ConfigWrite {
                document: seal_document(&w.document, &place(w.kind, &w.key), &self.secrets),
                ..w.clone()
            })
            .collect();
        let mut stored = self.inner.write(&sealed, audit).await?;
        for (version, write) in stored.iter_mut().zip(writes) {
            version.document = write.document.clone();
        }
        Ok(stored)
    }

    async fn history(
        &self,
        kind: ConfigKind,
        key: &str,
        first: u64,
        before: Option<i64>,
    ) -> Result<Vec<ConfigVersion>, StoreError> {
        let versions = self.inner.history(kind, key, first, before).await?;
        versions.into_iter().map(|v| self.open(v)).collect()
    }
}
