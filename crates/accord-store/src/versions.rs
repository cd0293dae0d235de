//! Versions of a document: immutable, complete copies of its content.
//!
//! A version holds the full Yjs state (one v1 update), the neutral tree as
//! JSON and its Markdown, so it renders and diffs without the live document
//! or the update log, which compaction rewrites. There is no update or
//! delete: a version, once written, is what was agreed to look at.
//!
//! Numbers count from 1 per document. They come from
//! `document_version_counters`, bumped by an upsert that opens the inserting
//! transaction: its row lock (PostgreSQL) or the write lock (SQLite)
//! serialises concurrent inserts into one document, so two never get the same
//! number, and the `documents` row that update appends lock is not touched.

use crate::audit::{append_audit, Append};
use crate::error::missing_or_conflict;
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::audit::{Actor, AuditAction};
use accord_domain::Side;
use serde_json::json;

/// What making a version stores; `number` is assigned by the store.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub id: String,
    pub document_id: String,
    pub name: String,
    pub note: Option<String>,
    /// Made by the server (idle or before a restore), not by a person.
    pub auto: bool,
    /// The user who asked for it; `None` for automatic versions.
    pub created_by: Option<String>,
    pub created_by_side: Option<Side>,
    pub created_at: i64,
    /// The update log seq the state covers.
    pub up_to_seq: i64,
    /// The version this one restores (of the same document), if it is a restore.
    pub restored_from: Option<String>,
    /// Hex SHA-256 of `markdown`.
    pub sha256: String,
    pub words: u32,
    /// The full state as one Yjs v1 update.
    pub state: Vec<u8>,
    /// The neutral document tree, as JSON.
    pub tree: String,
    pub markdown: String,
}

/// A version without its content: what listings show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    pub id: String,
    pub document_id: String,
    pub number: i64,
    pub name: String,
    pub note: Option<String>,
    pub auto: bool,
    pub created_by: Option<String>,
    /// The creator's display name, joined from `users`.
    pub created_by_name: Option<String>,
    pub created_by_side: Option<Side>,
    pub created_at: i64,
    pub up_to_seq: i64,
    pub restored_from: Option<String>,
    /// The `number` of `restored_from`, joined (the API shows numbers).
    pub restored_from_number: Option<i64>,
    pub sha256: String,
    pub words: u32,
}

/// A whole version: its summary and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub summary: VersionSummary,
    /// The full state as one Yjs v1 update.
    pub state: Vec<u8>,
    /// The neutral document tree, as JSON.
    pub tree: String,
    pub markdown: String,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    document_id: String,
    number: i64,
    name: String,
    note: Option<String>,
    auto: bool,
    created_by: Option<String>,
    created_by_name: Option<String>,
    created_by_side: Option<String>,
    created_at: i64,
    up_to_seq: i64,
    restored_from: Option<String>,
    restored_from_number: Option<i64>,
    sha256: String,
    words: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    state: Vec<u8>,
    tree: Vec<u8>,
    markdown: Vec<u8>,
}

/// Content columns are raw DEFLATE at the fastest level: a 30,000-word
/// version (Yjs state, tree JSON, Markdown) is ~0.9 MB plain and text
/// deflates several-fold, for a few milliseconds per save.
fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Corrupt(format!("version content does not inflate: {e}")))?;
    Ok(out)
}

fn inflate_text(bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(inflate(bytes)?)
        .map_err(|_| StoreError::Corrupt("version text is not UTF-8".into()))
}

/// Every column is aliased: SQLite leaves unaliased result names unspecified.
const SUMMARY_COLUMNS: &str = "v.id AS id, v.document_id AS document_id, v.number AS number, \
     v.name AS name, v.note AS note, v.auto AS auto, v.created_by AS created_by, \
     u.display_name AS created_by_name, v.created_by_side AS created_by_side, \
     v.created_at AS created_at, v.up_to_seq AS up_to_seq, v.restored_from AS restored_from, \
     r.number AS restored_from_number, v.sha256 AS sha256, v.words AS words";

const CONTENT_COLUMNS: &str = "v.state AS state, v.tree AS tree, v.markdown AS markdown";

const FROM_VERSIONS: &str = "FROM document_versions v \
     LEFT JOIN users u ON u.id = v.created_by \
     LEFT JOIN document_versions r ON r.id = v.restored_from";

fn summary(row: SummaryRow) -> Result<VersionSummary, StoreError> {
    Ok(VersionSummary {
        words: u32::try_from(row.words).map_err(|_| {
            StoreError::Corrupt(format!("version words out of range: {}", row.words))
        })?,
        created_by_side: row.created_by_side.map(|s| s.parse()).transpose()?,
        id: row.id,
        document_id: row.document_id,
        number: row.number,
        name: row.name,
        note: row.note,
        auto: row.auto,
        created_by: row.created_by,
        created_by_name: row.created_by_name,
        created_at: row.created_at,
        up_to_seq: row.up_to_seq,
        restored_from: row.restored_from,
        restored_from_number: row.restored_from_number,
        sha256: row.sha256,
    })
}

impl Store {
    /// Stores a version under the document's next number, atomically (also
    /// under concurrent inserts, on every node). `NotFound("document")` if
    /// there is no such document.
    #[tracing::instrument(skip_all)]
    pub async fn insert_version(&self, new: &NewVersion) -> Result<VersionSummary, StoreError> {
        let select = format!("SELECT {SUMMARY_COLUMNS} {FROM_VERSIONS} WHERE v.id = $1");
        let row: SummaryRow = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // A write first: it takes the lock that serialises this document's
            // inserts before anything is read (SQLite cannot upgrade a read).
            let (number,): (i64,) = sqlx::query_as(
                "INSERT INTO document_version_counters (document_id, last_number) VALUES ($1, 1) \
                 ON CONFLICT (document_id) DO UPDATE \
                 SET last_number = document_version_counters.last_number + 1 \
                 RETURNING last_number",
            )
            .bind(&new.document_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(missing_or_conflict("document", "version number"))?;
            sqlx::query(
                "INSERT INTO document_versions (id, document_id, number, name, note, auto, created_by, \
                 created_by_side, created_at, up_to_seq, restored_from, sha256, words, state, tree, markdown) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(&new.id)
            .bind(&new.document_id)
            .bind(number)
            .bind(&new.name)
            .bind(&new.note)
            .bind(new.auto)
            .bind(&new.created_by)
            .bind(new.created_by_side.map(Side::as_str))
            .bind(new.created_at)
            .bind(new.up_to_seq)
            .bind(&new.restored_from)
            .bind(&new.sha256)
            .bind(i64::from(new.words))
            .bind(deflate(&new.state))
            .bind(deflate(new.tree.as_bytes()))
            .bind(deflate(new.markdown.as_bytes()))
            .execute(&mut *tx)
            .await
            .map_err(missing_or_conflict("created_by user or restored_from version", "version"))?;
            let (rt,): (String,) = sqlx::query_as("SELECT roundtable_id FROM documents WHERE id = $1")
                .bind(&new.document_id)
                .fetch_one(&mut *tx)
                .await?;
            let actor = match (&new.created_by, new.created_by_side) {
                (Some(user), Some(side)) => Actor::user(user, side),
                _ => Actor::system(),
            };
            append_audit!(tx, &Append {
                roundtable_id: &rt,
                at: new.created_at,
                actor: &actor,
                action: if new.restored_from.is_some() {
                    AuditAction::VersionRestored
                } else {
                    AuditAction::VersionCreated
                },
                subject_id: &new.id,
                detail: json!({
                    "document_id": new.document_id,
                    "number": number,
                    "name": new.name,
                    "auto": new.auto,
                    "sha256": new.sha256,
                    "restored_from": new.restored_from,
                }),
            })?;
            let row: SummaryRow = sqlx::query_as(&select)
                .bind(&new.id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        summary(row)
    }

    /// A document's versions without their content, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn versions_of(&self, document_id: &str) -> Result<Vec<VersionSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} {FROM_VERSIONS} WHERE v.document_id = $1 ORDER BY v.number DESC"
        );
        let rows: Vec<SummaryRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(document_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(summary).collect()
    }

    /// A version without its content, by id (nothing inflated).
    #[tracing::instrument(skip_all)]
    pub async fn version_summary(&self, id: &str) -> Result<Option<VersionSummary>, StoreError> {
        let sql = format!("SELECT {SUMMARY_COLUMNS} {FROM_VERSIONS} WHERE v.id = $1");
        let row: Option<SummaryRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(summary).transpose()
    }

    /// A version with its content, by id.
    #[tracing::instrument(skip_all)]
    pub async fn version(&self, id: &str) -> Result<Option<StoredVersion>, StoreError> {
        let sql =
            format!("SELECT {SUMMARY_COLUMNS}, {CONTENT_COLUMNS} {FROM_VERSIONS} WHERE v.id = $1");
        let row: Option<VersionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(|r| {
            Ok(StoredVersion {
                summary: summary(r.summary)?,
                state: inflate(&r.state)?,
                tree: inflate_text(&r.tree)?,
                markdown: inflate_text(&r.markdown)?,
            })
        })
        .transpose()
    }

    /// The document's highest-numbered version, without its content.
    #[tracing::instrument(skip_all)]
    pub async fn latest_version(
        &self,
        document_id: &str,
    ) -> Result<Option<VersionSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} {FROM_VERSIONS} WHERE v.document_id = $1 \
             ORDER BY v.number DESC LIMIT 1"
        );
        let row: Option<SummaryRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(document_id)
            .fetch_optional(pool)
            .await)?;
        row.map(summary).transpose()
    }

    /// The bytes a document's versions hold: the sum over its versions of
    /// the stored (deflated) lengths of state, tree and markdown. What the
    /// rows carry, without indexes.
    #[tracing::instrument(skip_all)]
    pub async fn version_storage_bytes(&self, document_id: &str) -> Result<i64, StoreError> {
        let (bytes,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(octet_length(state) + octet_length(tree) + octet_length(markdown)), 0) AS BIGINT) \
             FROM document_versions WHERE document_id = $1",
        )
        .bind(document_id)
        .fetch_one(pool)
        .await)?;
        Ok(bytes)
    }
}
