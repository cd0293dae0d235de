//! Making versions: from what is durable in the store (on request), from a
//! document worker's memory (which holds only what it persisted) when an
//! edited document has been left alone, and around a restore.

use crate::docs::{unix_now, HubError};
use accord_domain::Side;
use accord_store::{NewVersion, Store, VersionSummary};
use accord_sync::version::VersionContent;
use std::time::Duration;

/// How long an edited document stays untouched before an automatic version
/// is made (`ACCORD_AUTO_VERSION_IDLE_SECS`): a pause in drafting, the way
/// Google Docs groups its history.
pub const AUTO_VERSION_IDLE: Duration = Duration::from_secs(300);

/// Who asked for a version, and what it is called.
#[derive(Debug, Clone)]
pub struct VersionMeta {
    pub name: String,
    pub note: Option<String>,
    pub auto: bool,
    pub created_by: Option<(String, Side)>,
    pub restored_from: Option<String>,
}

/// The document exactly as the store holds it: every acknowledged edit, and
/// none that was not (an edit is acknowledged only once it is durable).
pub async fn durable_content(store: &Store, doc_id: &str) -> Result<VersionContent, HubError> {
    Ok(VersionContent::of(&durable_doc(store, doc_id).await?))
}

/// The document's durable state as a Doc that counts in UTF-16, as the
/// browser's anchors do.
pub async fn durable_doc(store: &Store, doc_id: &str) -> Result<yrs::Doc, HubError> {
    let log = store.load_document(doc_id).await?;
    let parts: Vec<Vec<u8>> = log.parts().map(<[u8]>::to_vec).collect();
    let merged = accord_sync::protocol::merge_updates(&parts).map_err(HubError::Merge)?;
    Ok(accord_sync::version::load_state(&merged)?)
}

/// Stores `content` as the document's next version.
pub async fn save(
    store: &Store,
    doc_id: &str,
    content: &VersionContent,
    meta: VersionMeta,
) -> Result<VersionSummary, HubError> {
    let up_to_seq = store
        .document(doc_id)
        .await?
        .map(|d| d.last_seq)
        .unwrap_or(0);
    let tree = serde_json::to_string(&content.document)
        .map_err(|e| HubError::Load(accord_sync::SyncError::Malformed(e.to_string())))?;
    let (created_by, created_by_side) = match meta.created_by {
        Some((user, side)) => (Some(user), Some(side)),
        None => (None, None),
    };
    let new = NewVersion {
        id: uuid::Uuid::new_v4().to_string(),
        document_id: doc_id.to_owned(),
        name: meta.name,
        note: meta.note,
        auto: meta.auto,
        created_by,
        created_by_side,
        created_at: unix_now(),
        up_to_seq,
        restored_from: meta.restored_from,
        sha256: content.sha256.clone(),
        words: content.words,
        state: content.state.clone(),
        tree,
        markdown: content.markdown.clone(),
    };
    Ok(store.insert_version(&new).await?)
}

/// The automatic version of an edited document gone quiet, unless a version
/// already holds everything the log does (another node made one, or
/// someone saved one by hand).
pub async fn save_auto(
    store: &Store,
    doc_id: &str,
    content: &VersionContent,
) -> Result<Option<VersionSummary>, HubError> {
    let latest = store.latest_version(doc_id).await?;
    if let Some(v) = &latest {
        if v.sha256 == content.sha256 {
            return Ok(None);
        }
    }
    let meta = VersionMeta {
        name: "Automatic version".into(),
        note: None,
        auto: true,
        created_by: None,
        restored_from: None,
    };
    save(store, doc_id, content, meta).await.map(Some)
}
