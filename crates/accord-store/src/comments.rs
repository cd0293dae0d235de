//! Comment threads anchored to a passage of a document, and their replies.
//!
//! A thread is a top-level comment (`parent_id` NULL) carrying the anchors
//! (`Y.encodeRelativePosition` bytes, resolved by the server against the
//! live state) and the last quote they enclosed; replies hang one level
//! below it. Deleting is soft: the row stays with `deleted` set and its body
//! emptied, so a thread whose first comment is deleted keeps its replies in
//! place. A thread is *gone* once its first comment and every reply are
//! deleted; listings and counts leave gone threads out.

use std::collections::HashMap;

use crate::error::missing_or_conflict;
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::Side;

/// What writing a comment stores. A reply has `parent_id` set and no anchors.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub id: String,
    pub document_id: String,
    /// The thread this replies to (a top-level comment of the same document).
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_side: Side,
    pub body: String,
    pub anchor_start: Option<Vec<u8>>,
    pub anchor_end: Option<Vec<u8>>,
    /// The text between the anchors when the thread was made.
    pub quote: Option<String>,
    /// The version being viewed when the thread was made.
    pub version_id: Option<String>,
    pub created_at: i64,
}

/// One comment, a thread's first or a reply, with names joined from `users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredComment {
    pub id: String,
    pub document_id: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: String,
    pub author_side: Side,
    /// Empty once deleted.
    pub body: String,
    pub deleted: bool,
    pub anchor_start: Option<Vec<u8>>,
    pub anchor_end: Option<Vec<u8>>,
    pub quote: Option<String>,
    pub version_id: Option<String>,
    /// Only threads are resolved; replies stay `false`.
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolved_by_name: Option<String>,
    pub resolved_at: Option<i64>,
    pub created_at: i64,
    /// The last edit, or the deletion.
    pub edited_at: Option<i64>,
}

/// A thread: its first comment and the replies, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentThread {
    pub comment: StoredComment,
    pub replies: Vec<StoredComment>,
}

impl CommentThread {
    /// Whether nothing of the thread is left to show: its first comment and
    /// every reply are deleted.
    pub fn is_gone(&self) -> bool {
        self.comment.deleted && self.replies.iter().all(|r| r.deleted)
    }

    /// Whether the thread counts as open: not resolved, and not gone.
    pub fn is_open(&self) -> bool {
        !self.comment.resolved && !self.is_gone()
    }
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: String,
    document_id: String,
    parent_id: Option<String>,
    author_id: String,
    author_name: String,
    author_side: String,
    body: String,
    deleted: bool,
    anchor_start: Option<Vec<u8>>,
    anchor_end: Option<Vec<u8>>,
    quote: Option<String>,
    version_id: Option<String>,
    resolved: bool,
    resolved_by: Option<String>,
    resolved_by_name: Option<String>,
    resolved_at: Option<i64>,
    created_at: i64,
    edited_at: Option<i64>,
}

/// Every column is aliased: SQLite leaves unaliased result names unspecified.
const COLUMNS: &str = "c.id AS id, c.document_id AS document_id, c.parent_id AS parent_id, \
     c.author_id AS author_id, a.display_name AS author_name, c.author_side AS author_side, \
     c.body AS body, c.deleted AS deleted, c.anchor_start AS anchor_start, \
     c.anchor_end AS anchor_end, c.quote AS quote, c.version_id AS version_id, \
     c.resolved AS resolved, c.resolved_by AS resolved_by, rb.display_name AS resolved_by_name, \
     c.resolved_at AS resolved_at, c.created_at AS created_at, c.edited_at AS edited_at \
     FROM comments c JOIN users a ON a.id = c.author_id LEFT JOIN users rb ON rb.id = c.resolved_by";

fn comment(row: CommentRow) -> Result<StoredComment, StoreError> {
    Ok(StoredComment {
        author_side: row.author_side.parse()?,
        id: row.id,
        document_id: row.document_id,
        parent_id: row.parent_id,
        author_id: row.author_id,
        author_name: row.author_name,
        body: row.body,
        deleted: row.deleted,
        anchor_start: row.anchor_start,
        anchor_end: row.anchor_end,
        quote: row.quote,
        version_id: row.version_id,
        resolved: row.resolved,
        resolved_by: row.resolved_by,
        resolved_by_name: row.resolved_by_name,
        resolved_at: row.resolved_at,
        created_at: row.created_at,
        edited_at: row.edited_at,
    })
}

/// Groups comments (in creation order) into threads, in the order their
/// first comments were made. Replies whose thread is not among the rows
/// are dropped (there are none: a reply's parent is in the same document).
fn threads(rows: Vec<CommentRow>) -> Result<Vec<CommentThread>, StoreError> {
    let mut threads: Vec<CommentThread> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut replies = Vec::new();
    for row in rows {
        let c = comment(row)?;
        if c.parent_id.is_some() {
            replies.push(c);
        } else {
            index.insert(c.id.clone(), threads.len());
            threads.push(CommentThread {
                comment: c,
                replies: Vec::new(),
            });
        }
    }
    for r in replies {
        if let Some(&i) = r.parent_id.as_ref().and_then(|p| index.get(p)) {
            threads[i].replies.push(r);
        }
    }
    Ok(threads)
}

impl Store {
    /// Writes a thread or, with `parent_id`, a reply to one. A reply's parent
    /// must be a thread (not a reply) of the same document, else
    /// `NotFound("comment")`; a missing document, author or version is
    /// `NotFound("document, user or version")`.
    #[tracing::instrument(skip_all)]
    pub async fn insert_comment(&self, new: &NewComment) -> Result<StoredComment, StoreError> {
        // A reply is inserted from its parent's row, so a parent that is
        // missing, a reply itself or in another document inserts nothing.
        let sql = if new.parent_id.is_some() {
            "INSERT INTO comments (id, document_id, parent_id, author_id, author_side, body, deleted, \
             anchor_start, anchor_end, quote, version_id, resolved, created_at) \
             SELECT $1, $2, p.id, $4, $5, $6, FALSE, $7, $8, $9, $10, FALSE, $11 \
             FROM comments p WHERE p.id = $3 AND p.parent_id IS NULL AND p.document_id = $2"
        } else {
            "INSERT INTO comments (id, document_id, parent_id, author_id, author_side, body, deleted, \
             anchor_start, anchor_end, quote, version_id, resolved, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7, $8, $9, $10, FALSE, $11)"
        };
        let inserted = on_pool!(self, pool => sqlx::query(sql)
            .bind(&new.id)
            .bind(&new.document_id)
            .bind(&new.parent_id)
            .bind(&new.author_id)
            .bind(new.author_side.as_str())
            .bind(&new.body)
            .bind(&new.anchor_start)
            .bind(&new.anchor_end)
            .bind(&new.quote)
            .bind(&new.version_id)
            .bind(new.created_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(missing_or_conflict("document, user or version", "comment"))?;
        if inserted == 0 {
            return Err(StoreError::NotFound("comment"));
        }
        self.comment(&new.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("comment vanished".into()))
    }

    /// One comment (thread or reply) by id, deleted or not.
    #[tracing::instrument(skip_all)]
    pub async fn comment(&self, id: &str) -> Result<Option<StoredComment>, StoreError> {
        let sql = format!("SELECT {COLUMNS} WHERE c.id = $1");
        let row: Option<CommentRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
        row.map(comment).transpose()
    }

    /// The whole thread `id` belongs to (`id` may be the thread's or a
    /// reply's), gone or not: after a deletion [`CommentThread::is_gone`]
    /// tells whether to announce a change or a removal.
    #[tracing::instrument(skip_all)]
    pub async fn comment_thread(&self, id: &str) -> Result<Option<CommentThread>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} WHERE c.id = (SELECT COALESCE(parent_id, id) FROM comments WHERE id = $1) \
             OR c.parent_id = (SELECT COALESCE(parent_id, id) FROM comments WHERE id = $1) \
             ORDER BY c.created_at, c.id"
        );
        let rows: Vec<CommentRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_all(pool).await)?;
        Ok(threads(rows)?.into_iter().next())
    }

    /// A document's threads with their replies, in the order they were made
    /// (the server orders them by position); gone threads are left out,
    /// resolved ones are included.
    #[tracing::instrument(skip_all)]
    pub async fn comments_of(&self, document_id: &str) -> Result<Vec<CommentThread>, StoreError> {
        let sql = format!("SELECT {COLUMNS} WHERE c.document_id = $1 ORDER BY c.created_at, c.id");
        let rows: Vec<CommentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(document_id)
            .fetch_all(pool)
            .await)?;
        let mut all = threads(rows)?;
        all.retain(|t| !t.is_gone());
        Ok(all)
    }

    /// Replaces a comment's body; false if there is no such comment or it
    /// is deleted.
    #[tracing::instrument(skip_all)]
    pub async fn edit_comment(&self, id: &str, body: &str, at: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE comments SET body = $2, edited_at = $3 WHERE id = $1 AND deleted = FALSE",
        )
        .bind(id)
        .bind(body)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Soft-deletes a comment: the row stays, `deleted` set, body emptied,
    /// `edited_at` = `at`; anchors and quote stay with a thread's replies.
    /// False if there is no such comment or it was already deleted.
    #[tracing::instrument(skip_all)]
    pub async fn delete_comment(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE comments SET deleted = TRUE, body = '', edited_at = $2 WHERE id = $1 AND deleted = FALSE",
        )
        .bind(id)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Resolves (by `by`, at `at`) or reopens a thread; reopening clears who
    /// resolved it and when. False if `id` is no thread (a reply's id
    /// changes nothing).
    #[tracing::instrument(skip_all)]
    pub async fn set_comment_resolved(
        &self,
        id: &str,
        resolved: bool,
        by: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let (by, at) = if resolved {
            (Some(by), Some(at))
        } else {
            (None, None)
        };
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE comments SET resolved = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $1 AND parent_id IS NULL",
        )
        .bind(id)
        .bind(resolved)
        .bind(by)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(missing_or_conflict("user", "comment"))?;
        Ok(done == 1)
    }

    /// Stores the quotes threads' anchors now enclose, in one transaction
    /// (`(thread id, quote)`); ids of replies or of nothing are skipped.
    /// Returns how many threads were updated.
    #[tracing::instrument(skip_all, fields(n = quotes.len()))]
    pub async fn set_comment_quotes(&self, quotes: &[(String, String)]) -> Result<u64, StoreError> {
        if quotes.is_empty() {
            return Ok(0);
        }
        // Rows locked in one order by every caller, so two concurrent
        // callers cannot deadlock on PostgreSQL.
        let mut sorted: Vec<&(String, String)> = quotes.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let done = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut done = 0;
            for (id, quote) in &sorted {
                done += sqlx::query("UPDATE comments SET quote = $2 WHERE id = $1 AND parent_id IS NULL")
                    .bind(id)
                    .bind(quote)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Open threads (unresolved, not gone) per document of a roundtable,
    /// archived documents included; documents without any are absent.
    #[tracing::instrument(skip_all)]
    pub async fn open_comment_counts(
        &self,
        roundtable_id: &str,
    ) -> Result<HashMap<String, u32>, StoreError> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT c.document_id, COUNT(*) FROM comments c JOIN documents d ON d.id = c.document_id \
             WHERE d.roundtable_id = $1 AND c.parent_id IS NULL AND c.resolved = FALSE \
             AND (c.deleted = FALSE OR EXISTS \
                  (SELECT 1 FROM comments r WHERE r.parent_id = c.id AND r.deleted = FALSE)) \
             GROUP BY c.document_id",
        )
        .bind(roundtable_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(doc, n)| {
                let n = u32::try_from(n)
                    .map_err(|_| StoreError::Corrupt(format!("comment count out of range: {n}")))?;
                Ok((doc, n))
            })
            .collect()
    }
}
