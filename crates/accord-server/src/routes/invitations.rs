//! Invitation links: facilitators create them; whoever holds one joins on its side and role.

use super::rfc3339;
use super::roundtables::{membership, require, ParticipantOut};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorKind, Problem};
use crate::extract::{ApiJson, ApiPath, CurrentUser};
use crate::sessions;
use accord_domain::{roundtable as rules, Action, Role, Side, Theme};
use accord_store::{AcceptRefusal, Invitation, NewInvitation};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

const DEFAULT_TTL_HOURS: u32 = 7 * 24;
const MAX_TTL_HOURS: u32 = 30 * 24;

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateInvitation {
    #[schema(example = "union")]
    pub side: Side,
    #[schema(example = "member")]
    pub role: Role,
    /// Single-use links (default) admit one person; others admit anyone until they expire.
    #[serde(default = "default_true")]
    pub single_use: bool,
    /// Lifetime in hours, 1 to 720 (default 168, one week).
    #[schema(minimum = 1, maximum = 720)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationOut {
    /// Shown once; the server keeps only its hash.
    pub token: String,
    pub url: String,
    pub expires_at: String,
    pub side: Side,
    pub role: Role,
    pub single_use: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPreview {
    pub roundtable_id: String,
    pub roundtable_title: String,
    pub theme: Theme,
    pub side: Side,
    pub role: Role,
    pub expires_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInvitation {
    /// The organisation the participant represents, e.g. "3F" or "ETNO".
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub organisation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub roundtable_id: String,
    pub side: Side,
    pub role: Role,
    pub participant: ParticipantOut,
}

fn gone(detail: &str) -> ApiError {
    ApiError::new(ErrorKind::InvitationUnusable).detail(detail)
}

/// A usable invitation by token, or the error that explains why not.
async fn usable(state: &AppState, token: &str) -> ApiResult<Invitation> {
    if !sessions::looks_like_token(token) {
        return Err(ApiError::not_found());
    }
    let inv = state
        .store
        .invitation(&sessions::hash_token(token))
        .await?
        .ok_or_else(ApiError::not_found)?;
    if inv.expires_at <= sessions::now() {
        return Err(gone(
            "This invitation has expired. Ask the facilitator for a new link.",
        ));
    }
    if inv.single_use && inv.used_at.is_some() {
        return Err(gone("This invitation has already been used."));
    }
    Ok(inv)
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/invitations", tag = "invitations",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    request_body = CreateInvitation,
    responses(
        (status = 201, description = "Invitation link", body = InvitationOut),
        (status = 403, description = "Only facilitators invite", body = Problem),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationOut>)> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::Invite)?;
    let hours = body.expires_in_hours.unwrap_or(DEFAULT_TTL_HOURS);
    if !(1..=MAX_TTL_HOURS).contains(&hours) {
        return Err(ApiError::invalid(
            "expires_in_hours",
            "must be between 1 and 720",
        ));
    }
    let token = sessions::new_token();
    let now = sessions::now();
    let expires_at = now + i64::from(hours) * 3600;
    state
        .store
        .create_invitation(&NewInvitation {
            token_hash: sessions::hash_token(&token),
            roundtable_id: id.to_string(),
            side: body.side,
            role: body.role,
            single_use: body.single_use,
            created_by: user.id,
            created_at: now,
            expires_at,
        })
        .await?;
    let url = format!("{}/invite/{token}", state.base_url(&headers));
    Ok((
        StatusCode::CREATED,
        Json(InvitationOut {
            token,
            url,
            expires_at: rfc3339(expires_at),
            side: body.side,
            role: body.role,
            single_use: body.single_use,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/invitations/{token}", tag = "invitations",
    params(("token" = String, Path, description = "Invitation token")),
    responses(
        (status = 200, description = "What the invitation is for (no sign-in needed)", body = InvitationPreview),
        (status = 404, description = "Unknown token", body = Problem),
        (status = 410, description = "Expired or already used", body = Problem)
    ))]
pub async fn preview(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<InvitationPreview>> {
    let inv = usable(&state, &token).await?;
    Ok(Json(InvitationPreview {
        roundtable_id: inv.roundtable_id,
        roundtable_title: inv.roundtable_title,
        theme: inv.theme,
        side: inv.side,
        role: inv.role,
        expires_at: rfc3339(inv.expires_at),
    }))
}

#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", tag = "invitations",
    params(("token" = String, Path, description = "Invitation token")),
    request_body = AcceptInvitation,
    responses(
        (status = 200, description = "Joined on the invitation's side and role", body = Accepted),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 404, description = "Unknown token", body = Problem),
        (status = 409, description = "Already a participant", body = Problem),
        (status = 410, description = "Expired or already used", body = Problem),
        (status = 422, description = "Invalid organisation", body = Problem)
    ))]
pub async fn accept(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(token): ApiPath<String>,
    ApiJson(body): ApiJson<AcceptInvitation>,
) -> ApiResult<Json<Accepted>> {
    let organisation = rules::organisation(&body.organisation)
        .map_err(|m| ApiError::invalid("organisation", m))?;
    if !sessions::looks_like_token(&token) {
        return Err(ApiError::not_found());
    }
    let outcome = state
        .store
        .accept_invitation(
            &sessions::hash_token(&token),
            &user.id,
            &organisation,
            sessions::now(),
        )
        .await?;
    match outcome {
        Ok(p) => Ok(Json(Accepted {
            roundtable_id: p.roundtable_id.clone(),
            side: p.side,
            role: p.role,
            participant: p.into(),
        })),
        Err(AcceptRefusal::Unknown) => Err(ApiError::not_found()),
        Err(AcceptRefusal::Expired) => Err(gone(
            "This invitation has expired. Ask the facilitator for a new link.",
        )),
        Err(AcceptRefusal::AlreadyUsed) => Err(gone("This invitation has already been used.")),
        Err(AcceptRefusal::AlreadyParticipant) => Err(ApiError::conflict(
            ErrorKind::AlreadyParticipant,
            "You already take part in this roundtable.",
        )),
    }
}
