//! Co-drafted documents: their metadata, the Yjs update log and snapshots.
//!
//! Every accepted update is appended with the next sequence number of its
//! document and is durable when the call returns (SQLite runs WAL with
//! `synchronous=FULL`; PostgreSQL commits synchronously). Sequence numbers
//! come from `documents.last_seq`, bumped in the appending transaction: the
//! row lock serialises appends per document, so seqs commit in order and a
//! reader always sees a gap-free prefix of the log.
//!
//! Compaction folds a prefix of the log into a snapshot and deletes that
//! prefix in one transaction; updates appended meanwhile have higher seqs
//! and are untouched. Reads of snapshot plus updates are a single statement,
//! so they see one consistent state even while a compaction commits.

use crate::audit::{append_audit, Append};
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::audit::{Actor, AuditAction};
use accord_domain::document::DocumentKind;
use serde_json::json;

/// What creating a document stores.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub id: String,
    pub roundtable_id: String,
    pub title: String,
    pub kind: DocumentKind,
    pub created_by: String,
    pub created_at: i64,
}

/// A document's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub id: String,
    pub roundtable_id: String,
    pub title: String,
    pub kind: DocumentKind,
    pub archived: bool,
    pub created_by: String,
    pub created_at: i64,
    /// The highest sequence number handed out so far.
    pub last_seq: i64,
}

/// One logged Yjs v1 update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedUpdate {
    pub seq: i64,
    pub data: Vec<u8>,
}

/// The full state as one Yjs v1 update, covering every seq up to `up_to_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSnapshot {
    pub up_to_seq: i64,
    pub data: Vec<u8>,
}

/// What is needed to rebuild a document: apply the snapshot, then the
/// updates in order (Yjs merges are idempotent, so overlap is harmless).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentLog {
    pub snapshot: Option<DocumentSnapshot>,
    /// Updates after the snapshot, in seq order.
    pub updates: Vec<LoggedUpdate>,
}

impl DocumentLog {
    /// The highest seq this log covers: what to pass to
    /// [`Store::compact_document`] with a snapshot built from this log.
    pub fn last_seq(&self) -> i64 {
        self.updates
            .last()
            .map(|u| u.seq)
            .or(self.snapshot.as_ref().map(|s| s.up_to_seq))
            .unwrap_or(0)
    }

    /// Snapshot bytes (if any) followed by every update's bytes, in order.
    pub fn parts(&self) -> impl Iterator<Item = &[u8]> {
        self.snapshot
            .iter()
            .map(|s| s.data.as_slice())
            .chain(self.updates.iter().map(|u| u.data.as_slice()))
    }
}

type DocumentRow = (String, String, String, String, bool, String, i64, i64);

const DOCUMENT_COLUMNS: &str =
    "id, roundtable_id, title, kind, archived, created_by, created_at, last_seq FROM documents";

fn document(row: DocumentRow) -> Result<StoredDocument, StoreError> {
    let (id, roundtable_id, title, kind, archived, created_by, created_at, last_seq) = row;
    Ok(StoredDocument {
        id,
        roundtable_id,
        title,
        kind: kind
            .parse()
            .map_err(|e: accord_domain::document::UnknownKind| {
                StoreError::Corrupt(e.to_string())
            })?,
        archived,
        created_by,
        created_at,
        last_seq,
    })
}

/// Rows of the single log-reading statement: (is_snapshot, seq, data).
type LogRow = (i64, i64, Vec<u8>);

fn log_from_rows(rows: Vec<LogRow>, since: i64) -> DocumentLog {
    let mut log = DocumentLog::default();
    for (is_snapshot, seq, data) in rows {
        if is_snapshot == 1 {
            log.snapshot = Some(DocumentSnapshot {
                up_to_seq: seq,
                data,
            });
        } else {
            log.updates.push(LoggedUpdate { seq, data });
        }
    }
    // A snapshot the caller is already past adds nothing.
    if log.snapshot.as_ref().is_some_and(|s| s.up_to_seq <= since) {
        log.snapshot = None;
    }
    log
}

impl Store {
    /// Creates a document; `initial` (e.g. a template) becomes update seq 1
    /// in the same transaction, so a document never exists half-made.
    #[tracing::instrument(skip_all)]
    pub async fn create_document(
        &self,
        new: &NewDocument,
        initial: Option<&[u8]>,
        actor: &Actor,
    ) -> Result<StoredDocument, StoreError> {
        let last_seq = i64::from(initial.is_some());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO documents (id, roundtable_id, title, kind, archived, created_by, created_at, last_seq) \
                 VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7)",
            )
            .bind(&new.id)
            .bind(&new.roundtable_id)
            .bind(&new.title)
            .bind(new.kind.as_str())
            .bind(&new.created_by)
            .bind(new.created_at)
            .bind(last_seq)
            .execute(&mut *tx)
            .await
            .map_err(crate::error::conflict_on_unique("document"))?;
            if let Some(data) = initial {
                sqlx::query(
                    "INSERT INTO document_updates (document_id, seq, data, created_at) VALUES ($1, 1, $2, $3)",
                )
                .bind(&new.id)
                .bind(data)
                .bind(new.created_at)
                .execute(&mut *tx)
                .await?;
            }
            append_audit!(tx, &Append {
                roundtable_id: &new.roundtable_id,
                at: new.created_at,
                actor,
                action: AuditAction::DocumentCreated,
                subject_id: &new.id,
                detail: json!({"title": new.title, "kind": new.kind.as_str()}),
            })?;
            tx.commit().await?;
        });
        Ok(StoredDocument {
            id: new.id.clone(),
            roundtable_id: new.roundtable_id.clone(),
            title: new.title.clone(),
            kind: new.kind,
            archived: false,
            created_by: new.created_by.clone(),
            created_at: new.created_at,
            last_seq,
        })
    }

    /// A roundtable's documents, oldest first; archived ones only if asked.
    #[tracing::instrument(skip_all)]
    pub async fn documents_of(
        &self,
        roundtable_id: &str,
        include_archived: bool,
    ) -> Result<Vec<StoredDocument>, StoreError> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} WHERE roundtable_id = $1 AND (archived = FALSE OR $2) \
             ORDER BY created_at, id"
        );
        let rows: Vec<DocumentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .bind(include_archived)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(document).collect()
    }

    /// A document by id.
    #[tracing::instrument(skip_all)]
    pub async fn document(&self, id: &str) -> Result<Option<StoredDocument>, StoreError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} WHERE id = $1");
        let row: Option<DocumentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(document).transpose()
    }

    /// Renames a document; false if there is no such document.
    #[tracing::instrument(skip_all)]
    pub async fn rename_document(&self, id: &str, title: &str) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => sqlx::query("UPDATE documents SET title = $2 WHERE id = $1")
            .bind(id)
            .bind(title)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Archives (or restores) a document; false if there is no such
    /// document. A change (not a repeat) is recorded in the audit trail.
    #[tracing::instrument(skip_all)]
    pub async fn set_document_archived(
        &self,
        id: &str,
        archived: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed: Option<(String,)> = sqlx::query_as(
                "UPDATE documents SET archived = $2 WHERE id = $1 AND archived <> $2 RETURNING roundtable_id",
            )
            .bind(id)
            .bind(archived)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((rt,)) = &changed {
                append_audit!(tx, &Append {
                    roundtable_id: rt,
                    at: now,
                    actor,
                    action: if archived {
                        AuditAction::DocumentArchived
                    } else {
                        AuditAction::DocumentUnarchived
                    },
                    subject_id: id,
                    detail: json!({}),
                })?;
                tx.commit().await?;
                return Ok(true);
            }
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM documents WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            tx.rollback().await?;
            Ok(exists.is_some())
        })
    }

    /// Appends one update and returns its seq once it is durable.
    #[tracing::instrument(skip_all)]
    pub async fn append_document_update(
        &self,
        document_id: &str,
        data: &[u8],
        at: i64,
    ) -> Result<i64, StoreError> {
        let seqs = self
            .append_document_updates(document_id, &[data], at)
            .await?;
        seqs.first()
            .copied()
            .ok_or(StoreError::Corrupt("no seq assigned".into()))
    }

    /// Appends several updates in one transaction (one fsync for the lot)
    /// and returns their seqs, consecutive and in order.
    #[tracing::instrument(skip_all, fields(n = updates.len()))]
    pub async fn append_document_updates(
        &self,
        document_id: &str,
        updates: &[&[u8]],
        at: i64,
    ) -> Result<Vec<i64>, StoreError> {
        if updates.is_empty() {
            return Ok(Vec::new());
        }
        let n = i64::try_from(updates.len())
            .map_err(|_| StoreError::Corrupt("batch too large".into()))?;
        let last: i64 = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Taking the row lock first serialises appends to this document.
            let last: Option<(i64,)> = sqlx::query_as(
                "UPDATE documents SET last_seq = last_seq + $2 WHERE id = $1 RETURNING last_seq",
            )
            .bind(document_id)
            .bind(n)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((last,)) = last else {
                return Err(StoreError::NotFound("document"));
            };
            let first = last - n + 1;
            for (i, data) in updates.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO document_updates (document_id, seq, data, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(document_id)
                .bind(first + i as i64)
                .bind(*data)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            last
        });
        Ok((last - n + 1..=last).collect())
    }

    /// Everything needed to rebuild the document: its snapshot and the updates after it.
    #[tracing::instrument(skip_all)]
    pub async fn load_document(&self, document_id: &str) -> Result<DocumentLog, StoreError> {
        self.document_updates_since(document_id, 0).await
    }

    /// What a node that has applied every update up to `since` lacks.
    /// If compaction already folded some of those into the snapshot, the
    /// snapshot is included and the caller applies it first.
    #[tracing::instrument(skip_all)]
    pub async fn document_updates_since(
        &self,
        document_id: &str,
        since: i64,
    ) -> Result<DocumentLog, StoreError> {
        // One statement, so snapshot and updates come from the same moment.
        let rows: Vec<LogRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT CAST(1 AS BIGINT) AS is_snapshot, up_to_seq AS seq, data FROM document_snapshots WHERE document_id = $1 \
             UNION ALL \
             SELECT CAST(0 AS BIGINT) AS is_snapshot, seq, data FROM document_updates WHERE document_id = $1 AND seq > $2 \
             ORDER BY is_snapshot DESC, seq",
        )
        .bind(document_id)
        .bind(since)
        .fetch_all(pool)
        .await)?;
        let mut log = log_from_rows(rows, since);
        // Updates already inside the snapshot need not be applied twice.
        if let Some(s) = &log.snapshot {
            let up_to = s.up_to_seq;
            log.updates.retain(|u| u.seq > up_to);
        }
        Ok(log)
    }

    /// Stores `snapshot` as covering every update up to `up_to_seq` and
    /// deletes those updates, atomically. `up_to_seq` must be the
    /// [`DocumentLog::last_seq`] of the log the snapshot was built from.
    /// Returns false (and changes nothing) if a snapshot at least as recent
    /// already exists.
    #[tracing::instrument(skip_all)]
    pub async fn compact_document(
        &self,
        document_id: &str,
        up_to_seq: i64,
        snapshot: &[u8],
        at: i64,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // A no-op write rather than a SELECT: SQLite must take the write
            // lock up front (upgrading a read lock fails with SQLITE_BUSY when
            // an append commits in between), and PostgreSQL then holds the row.
            let last: Option<(i64,)> = sqlx::query_as(
                "UPDATE documents SET last_seq = last_seq WHERE id = $1 RETURNING last_seq",
            )
            .bind(document_id)
            .fetch_optional(&mut *tx)
            .await?;
            match last {
                None => return Err(StoreError::NotFound("document")),
                Some((last,)) if up_to_seq > last || up_to_seq < 1 => {
                    return Err(StoreError::Corrupt(format!(
                        "cannot compact up to seq {up_to_seq}: log ends at {last}"
                    )))
                }
                Some(_) => {}
            }
            // The WHERE makes a slower, older compaction lose to a newer one.
            let stored = sqlx::query(
                "INSERT INTO document_snapshots (document_id, up_to_seq, data, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (document_id) DO UPDATE \
                 SET up_to_seq = excluded.up_to_seq, data = excluded.data, created_at = excluded.created_at \
                 WHERE document_snapshots.up_to_seq < excluded.up_to_seq",
            )
            .bind(document_id)
            .bind(up_to_seq)
            .bind(snapshot)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if stored.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM document_updates WHERE document_id = $1 AND seq <= $2")
                .bind(document_id)
                .bind(up_to_seq)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(true)
    }
}
