//! The roundtable's audit trail, a page at a time, newest first: who did
//! what, when, on which side, with each entry's place in the hash chain.

use super::rfc3339;
use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery, CurrentUser};
use accord_domain::audit::AuditAction;
use accord_domain::{Action, Side};
use accord_store::AuditEntry;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const PAGE_DEFAULT: u32 = 50;
const PAGE_MAX: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries with a seq below this one (the next page); the newest when absent.
    pub before: Option<i64>,
    /// At most this many (1–200, default 50).
    pub limit: Option<u32>,
}

/// Who did it: a participant, or the system (`user_id` null).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub side: Option<Side>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub subject_id: String,
    /// A small JSON object: what the act concerned.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and the entry.
    pub hash: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryOut>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<i64>,
}

fn entry_out(e: AuditEntry) -> AuditEntryOut {
    AuditEntryOut {
        seq: e.record.seq,
        at: rfc3339(e.record.at),
        actor: AuditActor {
            user_id: e.record.actor.user_id,
            display_name: e.actor_name,
            side: e.record.actor.side,
        },
        action: e.record.action,
        subject_id: e.record.subject_id,
        detail: serde_json::from_str(&e.record.detail).unwrap_or(serde_json::Value::Null),
        prev_hash: e.prev_hash,
        hash: e.hash,
    }
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/audit", tag = "audit",
    params(("id" = Uuid, Path, description = "Roundtable id"), AuditQuery),
    responses(
        (status = 200, description = "A page of the audit trail, newest first", body = AuditPage),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem),
        (status = 422, description = "A parameter is malformed", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let limit = q.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
    let entries = state
        .store
        .audit_page(&id.to_string(), q.before, limit)
        .await?;
    let next_before = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.record.seq))
        .flatten()
        .filter(|s| *s > 1);
    Ok(Json(AuditPage {
        entries: entries.into_iter().map(entry_out).collect(),
        next_before,
    }))
}
