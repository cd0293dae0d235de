//! Agreements: a facilitator proposes one version with a rule, each side's
//! voters endorse, object or abstain quoting the version's hash, and the
//! store decides the outcome in the write. Every change reaches the
//! roundtable's participants over the event socket, on every node.

use super::roundtables::{membership, require};
use super::versions::{summary_out, VersionOut};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorKind, Problem};
use crate::extract::{ApiJson, ApiPath, CurrentUser};
use crate::sessions;
use accord_domain::agreement::{self, AgreementState, Position, Rule};
use accord_domain::audit::Actor;
use accord_domain::{allowed, Action, Side};
use accord_realtime::agreements::AgreementView;
use accord_store::{NewAgreement, PositionRefusal, ProposeRefusal, StoredAgreement};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest an agreement may stay open.
const MAX_OPEN_SECS: i64 = 366 * 24 * 3600;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProposeAgreement {
    pub rule: Rule,
    /// RFC 3339, in the future: the agreement expires then unless agreed.
    pub closes_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TakePosition {
    pub position: Position,
    /// The SHA-256 of the version the caller reviewed: it must be the one under agreement.
    #[schema(min_length = 64, max_length = 64)]
    pub sha256: String,
    /// Required for an objection (1–2,000 characters).
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// An agreed version: the agreement and the version it sealed.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreedOut {
    pub agreement: AgreementView,
    pub version: VersionOut,
    pub document_title: String,
}

fn parse_time(field: &str, raw: &str) -> ApiResult<i64> {
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time"))
}

/// The agreement and the caller's participation; 404 for unknown ids and
/// for callers who do not take part in its roundtable.
async fn agreement_for(
    state: &AppState,
    id: Uuid,
    user_id: &str,
) -> ApiResult<(StoredAgreement, accord_store::Participant)> {
    let a = state
        .store
        .stored_agreement(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&a.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, user_id).await?;
    require(&me, Action::View)?;
    Ok((a, me))
}

/// Tells the room, on every node, and answers with the agreement as now stored.
async fn announce(state: &AppState, rt: &str, id: &str) -> ApiResult<AgreementView> {
    state
        .live
        .agreement_changed(rt, id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("agreement vanished"))
}

#[utoipa::path(post, path = "/api/v1/versions/{id}/agreement", tag = "agreements",
    params(("id" = Uuid, Path, description = "Version id")),
    request_body = ProposeAgreement,
    responses(
        (status = 201, description = "Open, with its electorate fixed now; the document's earlier open agreement is superseded", body = AgreementView),
        (status = 403, description = "Only facilitators propose", body = Problem),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem),
        (status = 409, description = "Another proposal on this document was made at the same moment", body = Problem),
        (status = 422, description = "Invalid rule or closing time, or a side has nobody who may endorse", body = Problem)
    ))]
pub async fn propose(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ProposeAgreement>,
) -> ApiResult<(StatusCode, Json<AgreementView>)> {
    let version = state
        .store
        .version_summary(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let doc = state
        .store
        .document(&version.document_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&doc.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(&state, rt, &user.id).await?;
    require(&me, Action::ProposeAgreements)?;
    let now = sessions::now();
    let closes_at = body
        .closes_at
        .as_deref()
        .map(|raw| parse_time("closes_at", raw))
        .transpose()?;
    if let Some(c) = closes_at {
        if c <= now {
            return Err(ApiError::invalid("closes_at", "must be in the future"));
        }
        if c > now + MAX_OPEN_SECS {
            return Err(ApiError::invalid(
                "closes_at",
                "must be within a year from now",
            ));
        }
    }
    // The electorate, by the one permission table: who may endorse, each for their side.
    let electorate: Vec<(String, Side)> = state
        .store
        .participants(&doc.roundtable_id)
        .await?
        .into_iter()
        .filter(|p| allowed(Action::Endorse, p.role, p.side))
        .map(|p| (p.user_id, p.side))
        .collect();
    let new = NewAgreement {
        id: Uuid::new_v4().to_string(),
        version_id: version.id.clone(),
        rule: body.rule,
        electorate,
        proposed_by: Actor::user(&user.id, me.side),
        created_at: now,
        closes_at,
    };
    let changed = match state.store.propose_agreement(&new).await? {
        Ok(c) => c,
        Err(ProposeRefusal::UnknownVersion) => return Err(ApiError::not_found()),
        Err(ProposeRefusal::EmptySide(side)) => {
            return Err(ApiError::new(ErrorKind::EmptySide).detail(format!(
                "Nobody on the {side} side may endorse: there is nothing to agree."
            )))
        }
    };
    if let Some(old) = &changed.superseded {
        announce(&state, &doc.roundtable_id, old).await?;
    }
    let view = announce(&state, &doc.roundtable_id, &changed.agreement.id).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/positions", tag = "agreements",
    params(("id" = Uuid, Path, description = "Agreement id")),
    request_body = TakePosition,
    responses(
        (status = 200, description = "The position counts for the caller's side; the agreement as it now stands (agreed and sealed the moment both sides are satisfied)", body = AgreementView),
        (status = 403, description = "The caller may not take a position (neutral, observer, or not in the electorate fixed when it opened)", body = Problem),
        (status = 404, description = "Unknown agreement, or the caller does not take part", body = Problem),
        (status = 409, description = "The hash is not the version's, or the agreement is closed", body = Problem),
        (status = 422, description = "Invalid field (an objection needs a reason)", body = Problem)
    ))]
pub async fn take_position(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TakePosition>,
) -> ApiResult<Json<AgreementView>> {
    let (a, me) = agreement_for(&state, id, &user.id).await?;
    require(&me, Action::Endorse)?;
    let reason = agreement::reason(body.position, body.reason.as_deref())
        .map_err(|m| ApiError::invalid("reason", m))?;
    let sha256 = body.sha256.trim().to_ascii_lowercase();
    let result = state
        .store
        .take_position(
            &a.id,
            &user.id,
            body.position,
            &sha256,
            reason.as_deref(),
            sessions::now(),
        )
        .await?;
    match result {
        Ok(_) => Ok(Json(announce(&state, &a.roundtable_id, &a.id).await?)),
        Err(PositionRefusal::UnknownAgreement) => Err(ApiError::not_found()),
        Err(PositionRefusal::Closed(s)) => {
            if s == AgreementState::Expired && a.state == AgreementState::Open {
                // It expired just now, in this request: everyone hears of it.
                announce(&state, &a.roundtable_id, &a.id).await?;
            }
            Err(ApiError::conflict(
                ErrorKind::AgreementClosed,
                &format!("The agreement is {s} and takes no more positions."),
            ))
        }
        Err(PositionRefusal::NotInElectorate) => Err(ApiError::new(ErrorKind::NotInElectorate)
            .detail("Only those who could endorse when the agreement opened take a position.")),
        Err(PositionRefusal::HashMismatch) => Err(ApiError::conflict(
            ErrorKind::HashMismatch,
            "The SHA-256 given is not that of the version under agreement: review that version first.",
        )),
    }
}

#[utoipa::path(post, path = "/api/v1/agreements/{id}/withdraw", tag = "agreements",
    params(("id" = Uuid, Path, description = "Agreement id")),
    responses(
        (status = 200, description = "Withdrawn", body = AgreementView),
        (status = 403, description = "Only facilitators withdraw", body = Problem),
        (status = 404, description = "Unknown agreement, or the caller does not take part", body = Problem),
        (status = 409, description = "The agreement is not open", body = Problem)
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AgreementView>> {
    let (a, me) = agreement_for(&state, id, &user.id).await?;
    require(&me, Action::ProposeAgreements)?;
    let actor = Actor::user(&user.id, me.side);
    match state
        .store
        .withdraw_agreement(&a.id, &actor, sessions::now())
        .await?
    {
        None => Err(ApiError::not_found()),
        Some(Err(s)) => Err(ApiError::conflict(
            ErrorKind::AgreementClosed,
            &format!("The agreement is {s}; only an open one can be withdrawn."),
        )),
        Some(Ok(_)) => Ok(Json(announce(&state, &a.roundtable_id, &a.id).await?)),
    }
}

#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements",
    params(("id" = Uuid, Path, description = "Agreement id")),
    responses(
        (status = 200, description = "State, rule, per-side progress, who took which position with reasons, and the seal once agreed", body = AgreementView),
        (status = 404, description = "Unknown agreement, or the caller does not take part", body = Problem)
    ))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AgreementView>> {
    let (a, _) = agreement_for(&state, id, &user.id).await?;
    let view = accord_realtime::agreements::agreement_now(&state.store, &a.id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/agreements", tag = "agreements",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "Every agreement of the roundtable, newest first", body = [AgreementView]),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<AgreementView>>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let records = state.store.agreement_records_of(&id.to_string()).await?;
    Ok(Json(records.iter().map(AgreementView::of).collect()))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/agreed", tag = "agreements",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "The agreed versions, newest agreement first", body = [AgreedOut]),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem)
    ))]
pub async fn agreed(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<AgreedOut>>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let mut agreed: Vec<_> = state
        .store
        .agreement_records_of(&id.to_string())
        .await?
        .into_iter()
        .filter(|r| r.agreement.state == AgreementState::Agreed)
        .collect();
    agreed.sort_by(|a, b| {
        b.agreement
            .decided_at
            .cmp(&a.agreement.decided_at)
            .then(a.agreement.id.cmp(&b.agreement.id))
    });
    let mut out = Vec::with_capacity(agreed.len());
    for record in agreed {
        let a = &record.agreement;
        let (Some(version), Some(doc)) = (
            state.store.version_summary(&a.version_id).await?,
            state.store.document(&a.document_id).await?,
        ) else {
            continue;
        };
        out.push(AgreedOut {
            agreement: AgreementView::of(&record),
            version: summary_out(&version),
            document_title: doc.title,
        });
    }
    Ok(Json(out))
}

/// Expires every agreement past its `closes_at` and tells its room; run on
/// a timer by every node (the store's update is conditional, so each
/// agreement expires once).
pub async fn expire_due(state: &AppState) {
    match state.store.expire_due_agreements(sessions::now()).await {
        Ok(expired) => {
            for a in expired {
                if let Err(e) = state.live.agreement_changed(&a.roundtable_id, &a.id).await {
                    tracing::warn!(error = %e, "expired agreement not announced");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "agreement expiry failed"),
    }
}
