//! Live audience sessions of a roundtable and their anonymous audience
//! members, known only by a hashed cookie token.

use crate::audit::{append_audit, Append};
use crate::error::conflict_on_unique;
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::audit::{Actor, AuditAction};
use serde_json::json;

/// A live audience session of a roundtable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub id: String,
    pub roundtable_id: String,
    pub join_code: String,
    pub created_by: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewLiveSession {
    pub id: String,
    pub roundtable_id: String,
    pub join_code: String,
    pub created_by: String,
    pub created_at: i64,
}

/// An anonymous conference attendee, known only by a hashed cookie token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceMember {
    pub id: String,
    pub live_session_id: String,
    /// The roundtable of the live session, for room and poll checks.
    pub roundtable_id: String,
    pub display_name: Option<String>,
    pub created_at: i64,
    /// When the member's live session ended; `None` while it runs.
    pub session_ended_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewAudienceMember {
    pub id: String,
    pub live_session_id: String,
    /// Hex SHA-256 of the random token (a fast hash suffices: the token is
    /// random, not a password, and joins must never cost an argon2 run).
    pub token_hash: String,
    pub display_name: Option<String>,
    pub created_at: i64,
}

type LiveSessionRow = (String, String, String, String, i64, Option<i64>);
type AudienceRow = (String, String, String, Option<String>, i64, Option<i64>);

const LIVE_COLUMNS: &str = "id, roundtable_id, join_code, created_by, created_at, ended_at";
const AUDIENCE_COLUMNS: &str = "a.id, a.live_session_id, ls.roundtable_id, a.display_name, \
     a.created_at, ls.ended_at FROM audience_members a JOIN live_sessions ls ON ls.id = a.live_session_id";

fn live_session(row: LiveSessionRow) -> LiveSession {
    let (id, roundtable_id, join_code, created_by, created_at, ended_at) = row;
    LiveSession {
        id,
        roundtable_id,
        join_code,
        created_by,
        created_at,
        ended_at,
    }
}

fn audience_member(row: AudienceRow) -> AudienceMember {
    let (id, live_session_id, roundtable_id, display_name, created_at, session_ended_at) = row;
    AudienceMember {
        id,
        live_session_id,
        roundtable_id,
        display_name,
        created_at,
        session_ended_at,
    }
}

impl Store {
    /// Starts a live audience session. `Conflict("join_code")` when the code
    /// was ever used (draw another); `Conflict("live_session_active")` when
    /// the roundtable already has a running session.
    #[tracing::instrument(skip_all)]
    pub async fn create_live_session(
        &self,
        new: &NewLiveSession,
        actor: &Actor,
    ) -> Result<LiveSession, StoreError> {
        let result: Result<(), StoreError> = on_pool!(self, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO live_sessions (id, roundtable_id, join_code, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&new.id)
            .bind(&new.roundtable_id)
            .bind(&new.join_code)
            .bind(&new.created_by)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, &Append {
                roundtable_id: &new.roundtable_id,
                at: new.created_at,
                actor,
                action: AuditAction::LiveSessionStarted,
                subject_id: &new.id,
                detail: json!({}),
            })?;
            tx.commit().await?;
            Ok(())
        }
        .await);
        match result {
            Ok(_) => {}
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => {
                // Tell the two unique rules apart by name: PostgreSQL reports
                // the constraint, SQLite the columns in its message.
                let named = format!("{} {}", db.constraint().unwrap_or(""), db.message());
                return Err(StoreError::Conflict(if named.contains("join_code") {
                    "join_code"
                } else if named.contains("live_sessions_one_active")
                    || named.contains("roundtable_id")
                {
                    "live_session_active"
                } else {
                    "live_session"
                }));
            }
            Err(e) => return Err(e),
        }
        Ok(LiveSession {
            id: new.id.clone(),
            roundtable_id: new.roundtable_id.clone(),
            join_code: new.join_code.clone(),
            created_by: new.created_by.clone(),
            created_at: new.created_at,
            ended_at: None,
        })
    }

    /// Ends a live session; its code stops working. `false` if it was not running.
    #[tracing::instrument(skip_all)]
    pub async fn end_live_session(
        &self,
        id: &str,
        now: i64,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let ended: Option<(String,)> = sqlx::query_as(
                "UPDATE live_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL \
                 RETURNING roundtable_id",
            )
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((rt,)) = ended else {
                tx.rollback().await?;
                return Ok(false);
            };
            append_audit!(tx, &Append {
                roundtable_id: &rt,
                at: now,
                actor,
                action: AuditAction::LiveSessionEnded,
                subject_id: id,
                detail: json!({}),
            })?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The running live session with this join code (exact match; normalise
    /// the code before asking). Ended sessions are not found.
    #[tracing::instrument(skip_all)]
    pub async fn live_session_by_code(
        &self,
        join_code: &str,
    ) -> Result<Option<LiveSession>, StoreError> {
        let sql = format!(
            "SELECT {LIVE_COLUMNS} FROM live_sessions WHERE join_code = $1 AND ended_at IS NULL"
        );
        let row: Option<LiveSessionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(join_code)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(live_session))
    }

    /// Whether a live session that has ended had this join code (codes are
    /// never reused, so a phone that rejoins after the end can be told so).
    #[tracing::instrument(skip_all)]
    pub async fn join_code_ended(&self, join_code: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id FROM live_sessions WHERE join_code = $1 AND ended_at IS NOT NULL",
        )
        .bind(join_code)
        .fetch_optional(pool)
        .await)?;
        Ok(row.is_some())
    }

    /// The roundtable's running live session, if any.
    #[tracing::instrument(skip_all)]
    pub async fn active_live_session(
        &self,
        roundtable_id: &str,
    ) -> Result<Option<LiveSession>, StoreError> {
        let sql = format!(
            "SELECT {LIVE_COLUMNS} FROM live_sessions WHERE roundtable_id = $1 AND ended_at IS NULL"
        );
        let row: Option<LiveSessionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(live_session))
    }

    /// Admits an audience member to a running live session; `None` when the
    /// session is unknown or has ended.
    #[tracing::instrument(skip_all)]
    pub async fn create_audience_member(
        &self,
        new: &NewAudienceMember,
    ) -> Result<Option<AudienceMember>, StoreError> {
        let n = on_pool!(self, pool => sqlx::query(
            "INSERT INTO audience_members (id, live_session_id, token_hash, display_name, created_at) \
             SELECT $1, id, $3, $4, $5 FROM live_sessions WHERE id = $2 AND ended_at IS NULL",
        )
        .bind(&new.id)
        .bind(&new.live_session_id)
        .bind(&new.token_hash)
        .bind(&new.display_name)
        .bind(new.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(conflict_on_unique("audience_token"))?;
        if n == 0 {
            return Ok(None);
        }
        let sql = format!("SELECT {AUDIENCE_COLUMNS} WHERE a.id = $1");
        let row: Option<AudienceRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(&new.id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(audience_member))
    }

    /// Renames an audience member (a re-join may bring a new name). `false`
    /// when no such member exists.
    #[tracing::instrument(skip_all)]
    pub async fn rename_audience_member(
        &self,
        id: &str,
        display_name: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = on_pool!(self, pool => sqlx::query(
            "UPDATE audience_members SET display_name = $1 WHERE id = $2",
        )
        .bind(display_name)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The audience member holding the token with this hash. Members of ended
    /// sessions are returned too (with `session_ended_at` set), so the caller
    /// can say "this session has ended" rather than "who are you?".
    #[tracing::instrument(skip_all)]
    /// An audience member by id (an open socket re-checking its session).
    #[tracing::instrument(skip_all)]
    pub async fn audience_member_by_id(
        &self,
        id: &str,
    ) -> Result<Option<AudienceMember>, StoreError> {
        let sql = format!("SELECT {AUDIENCE_COLUMNS} WHERE a.id = $1");
        let row: Option<AudienceRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(audience_member))
    }

    pub async fn audience_member_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<AudienceMember>, StoreError> {
        let sql = format!("SELECT {AUDIENCE_COLUMNS} WHERE a.token_hash = $1");
        let row: Option<AudienceRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(token_hash)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(audience_member))
    }
}
