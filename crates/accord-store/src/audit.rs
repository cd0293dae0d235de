//! The roundtable's audit trail: an append-only hash chain per roundtable.
//!
//! Entries are appended by [`append_audit!`] inside the transaction of the
//! act they record, so an act and its entry commit together or not at all.
//! The append opens with an upsert of the roundtable's `audit_heads` row,
//! which serialises appends per roundtable (a row lock on PostgreSQL, the
//! write lock on SQLite) and hands out seq numbers without gaps. Nothing
//! here updates or deletes a logged entry, and triggers refuse it on both
//! backends.

use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::audit::{Actor, AuditAction, AuditRecord, ChainBreak, ChainCheck};

/// One act to append; the seq, hashes and time come from the append.
#[derive(Debug, Clone)]
pub(crate) struct Append<'a> {
    pub roundtable_id: &'a str,
    pub at: i64,
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub subject_id: &'a str,
    pub detail: serde_json::Value,
}

impl Append<'_> {
    /// The record this append makes at `seq`.
    pub(crate) fn record(&self, seq: i64) -> AuditRecord {
        AuditRecord {
            roundtable_id: self.roundtable_id.to_owned(),
            seq,
            at: self.at,
            actor: self.actor.clone(),
            action: self.action,
            subject_id: self.subject_id.to_owned(),
            detail: self.detail.to_string(),
        }
    }
}

/// Appends `$entry` (an [`Append`]) to its roundtable's chain inside the
/// open transaction `$tx`; evaluates to `Result<(), StoreError>`.
macro_rules! append_audit {
    ($tx:expr, $entry:expr) => {{
        let entry: &$crate::audit::Append<'_> = $entry;
        async {
            let (seq, prev): (i64, String) = sqlx::query_as(
                "INSERT INTO audit_heads (roundtable_id, seq, hash) VALUES ($1, 1, $2) \
                 ON CONFLICT (roundtable_id) DO UPDATE SET seq = audit_heads.seq + 1 \
                 RETURNING seq, hash",
            )
            .bind(entry.roundtable_id)
            .bind(accord_domain::audit::GENESIS)
            .fetch_one(&mut *$tx)
            .await
            .map_err($crate::error::missing_or_conflict("roundtable", "audit entry"))?;
            let record = entry.record(seq);
            let hash = accord_domain::audit::entry_hash(&prev, &record);
            sqlx::query(
                "INSERT INTO audit_log (roundtable_id, seq, at, actor_id, actor_side, action, \
                 subject_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&record.roundtable_id)
            .bind(seq)
            .bind(record.at)
            .bind(&record.actor.user_id)
            .bind(record.actor.side.map(accord_domain::Side::as_str))
            .bind(record.action.as_str())
            .bind(&record.subject_id)
            .bind(&record.detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("UPDATE audit_heads SET hash = $2 WHERE roundtable_id = $1")
                .bind(entry.roundtable_id)
                .bind(&hash)
                .execute(&mut *$tx)
                .await?;
            Ok::<(), $crate::StoreError>(())
        }
        .await
    }};
}
pub(crate) use append_audit;

/// An audit entry as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub record: AuditRecord,
    /// The actor's display name, joined from `users`.
    pub actor_name: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

type EntryRow = (
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

const ENTRY_COLUMNS: &str = "a.roundtable_id, a.seq, a.at, a.actor_id, a.actor_side, a.action, \
     a.subject_id, a.detail, a.prev_hash, a.hash, u.display_name \
     FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id";

fn entry(row: EntryRow) -> Result<AuditEntry, StoreError> {
    let (rt, seq, at, actor_id, actor_side, action, subject_id, detail, prev_hash, hash, name) =
        row;
    Ok(AuditEntry {
        record: AuditRecord {
            roundtable_id: rt,
            seq,
            at,
            actor: Actor {
                user_id: actor_id,
                side: actor_side.map(|s| s.parse()).transpose()?,
            },
            action: action.parse()?,
            subject_id,
            detail,
        },
        actor_name: name,
        prev_hash,
        hash,
    })
}

/// What `audit verify` found for one roundtable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub roundtable_id: String,
    /// Entries checked before the first bad one (all of them when it holds).
    pub checked: i64,
    pub result: Result<(), ChainBreak>,
}

/// Entries read per query while verifying.
const VERIFY_PAGE: i64 = 5_000;

impl Store {
    /// A page of a roundtable's audit trail, newest first: entries with a
    /// seq below `before` (all when `None`), at most `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn audit_page(
        &self,
        roundtable_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} WHERE a.roundtable_id = $1 AND a.seq < $2 \
             ORDER BY a.seq DESC LIMIT $3"
        );
        let rows: Vec<EntryRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(entry).collect()
    }

    /// Every roundtable that has an audit trail (or had one begun).
    #[tracing::instrument(skip_all)]
    pub async fn audited_roundtables(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT roundtable_id FROM audit_heads UNION SELECT DISTINCT roundtable_id FROM audit_log \
             ORDER BY 1",
        )
        .fetch_all(pool)
        .await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Recomputes a roundtable's whole chain, a page at a time, and checks
    /// it ends at the recorded head.
    #[tracing::instrument(skip_all)]
    pub async fn verify_audit(&self, roundtable_id: &str) -> Result<ChainReport, StoreError> {
        let mut check = ChainCheck::default();
        let report = |check: &ChainCheck, result| ChainReport {
            roundtable_id: roundtable_id.to_owned(),
            checked: check.checked(),
            result,
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} WHERE a.roundtable_id = $1 AND a.seq > $2 \
             ORDER BY a.seq LIMIT $3"
        );
        // A tampered seq cannot make the walk skip entries unnoticed: the
        // check expects 1, 2, 3… and names the first that is not.
        let mut after = 0i64;
        loop {
            let rows: Vec<EntryRow> = on_pool!(self, pool => sqlx::query_as(&sql)
                .bind(roundtable_id)
                .bind(after)
                .bind(VERIFY_PAGE)
                .fetch_all(pool)
                .await)?;
            let n = rows.len();
            for row in rows {
                let e = entry(row)?;
                after = e.record.seq;
                if let Err(b) = check.next(&e.record, &e.prev_hash, &e.hash) {
                    return Ok(report(&check, Err(b)));
                }
            }
            if (n as i64) < VERIFY_PAGE {
                break;
            }
        }
        let head: Option<(i64, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT seq, hash FROM audit_heads WHERE roundtable_id = $1",
        )
        .bind(roundtable_id)
        .fetch_optional(pool)
        .await)?;
        let (seq, hash) = head.unwrap_or((0, accord_domain::audit::GENESIS.to_owned()));
        Ok(report(&check, check.end(seq, &hash)))
    }
}
