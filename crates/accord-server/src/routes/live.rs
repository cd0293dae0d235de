//! Live audience sessions: a facilitator starts one and gets a join code and
//! QR code; attendees join with the code, no account needed.

use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::audience::{self, new_join_code, normalise_code};
use crate::error::{ApiError, ApiResult, ErrorKind, Problem};
use crate::extract::{ApiJson, ApiPath, ClientIp, CurrentUser};
use crate::rate_limit::{address_key, check};
use crate::sessions;
use accord_domain::audit::Actor;
use accord_domain::Action;
use accord_realtime::rights::Subject;
use accord_store::{LiveSession, NewAudienceMember, NewLiveSession, StoreError};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveOut {
    pub join_code: String,
    pub join_url: String,
    /// The join URL as a QR code, an SVG document.
    pub qr_svg: String,
    pub started_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct JoinBody {
    pub code: String,
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub roundtable_id: String,
    pub roundtable_title: String,
    pub display_name: Option<String>,
}

fn live_out(state: &AppState, headers: &HeaderMap, s: &LiveSession) -> ApiResult<LiveOut> {
    let join_url = format!("{}/live/{}", state.base_url(headers), s.join_code);
    let qr = qrcode::QrCode::new(join_url.as_bytes()).map_err(ApiError::internal)?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(LiveOut {
        join_code: s.join_code.clone(),
        join_url,
        qr_svg,
        started_at: super::rfc3339(s.created_at),
    })
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/live", tag = "live",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 201, description = "Started", body = LiveOut),
        (status = 200, description = "The session already running", body = LiveOut),
        (status = 403, description = "Only facilitators run live sessions", body = Problem),
        (status = 404, description = "Unknown roundtable, or not taking part", body = Problem)
    ))]
pub async fn start(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<(StatusCode, Json<LiveOut>)> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::ManagePolls)?;
    let rt = id.to_string();
    if let Some(s) = state.store.active_live_session(&rt).await? {
        return Ok((StatusCode::OK, Json(live_out(&state, &headers, &s)?)));
    }
    for _ in 0..5 {
        let new = NewLiveSession {
            id: Uuid::new_v4().to_string(),
            roundtable_id: rt.clone(),
            join_code: new_join_code(),
            created_by: user.id.clone(),
            created_at: sessions::now(),
        };
        let actor = Actor::user(&user.id, me.side);
        match state.store.create_live_session(&new, &actor).await {
            Ok(s) => return Ok((StatusCode::CREATED, Json(live_out(&state, &headers, &s)?))),
            Err(StoreError::Conflict("join_code")) => continue,
            Err(StoreError::Conflict(_)) => {
                // Started concurrently by another facilitator: return theirs.
                if let Some(s) = state.store.active_live_session(&rt).await? {
                    return Ok((StatusCode::OK, Json(live_out(&state, &headers, &s)?)));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::internal("no free join code after 5 tries"))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/live", tag = "live",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses((status = 200, description = "The running live session", body = LiveOut), (status = 404, description = "None running", body = Problem)))]
pub async fn current(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Json<LiveOut>> {
    membership(&state, id, &user.id).await?;
    let s = state
        .store
        .active_live_session(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(live_out(&state, &headers, &s)?))
}

#[utoipa::path(delete, path = "/api/v1/roundtables/{id}/live", tag = "live",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses((status = 204, description = "Ended; its code stops working"), (status = 403, description = "Not a facilitator", body = Problem), (status = 404, description = "None running", body = Problem)))]
pub async fn end(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::ManagePolls)?;
    let s = state
        .store
        .active_live_session(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let actor = Actor::user(&user.id, me.side);
    state
        .store
        .end_live_session(&s.id, sessions::now(), &actor)
        .await?;
    state
        .rights
        .changed(Subject::LiveSession(s.id.clone()))
        .await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/join", tag = "live", request_body = JoinBody,
    responses(
        (status = 200, description = "Joined; sets the anonymous `accord_audience` cookie (and, on any answer, the `accord_device` cookie that wrong codes are counted by, if the request had none). A browser whose cookie names a member of this same session stays that member (a given display name renames it)", body = Joined),
        (status = 404, description = "No running session has this code", body = Problem),
        (status = 410, description = "The session with this code has ended (`session-ended`; not counted as a wrong code)", body = Problem),
        (status = 422, description = "Invalid display name", body = Problem),
        (status = 429, description = "Too many wrong codes from this device (or, far more, from its address), or too many new members from this address", body = Problem)
    ))]
pub async fn join(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<JoinBody>,
) -> Response {
    let (device, set_device) = audience::device(&headers, state.secure_cookies());
    let res = join_as(&state, address_key(ip), &device, &headers, body).await;
    audience::with_device(res.into_response(), set_device)
}

async fn join_as(
    state: &AppState,
    ip: IpAddr,
    device: &str,
    headers: &HeaderMap,
    body: JoinBody,
) -> ApiResult<Response> {
    if let Some(wait) = state.join_guard.blocked(ip, device) {
        return Err(ApiError::too_many_requests(wait));
    }
    let display_name = match body.display_name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            accord_domain::account::display_name(n)
                .map_err(|m| ApiError::invalid("display_name", m))?,
        ),
    };
    let session = match normalise_code(&body.code) {
        Some(code) => state.store.live_session_by_code(&code).await?,
        None => None,
    };
    let Some(session) = session else {
        // A right code of a session that has ended is no guess: say so.
        if let Some(code) = normalise_code(&body.code) {
            if state.store.join_code_ended(&code).await? {
                return Err(
                    ApiError::new(ErrorKind::SessionEnded).detail("This live session has ended.")
                );
            }
        }
        state.join_guard.failed(ip, device);
        return Err(
            ApiError::not_found().detail("No live session has this code. Check it on the screen.")
        );
    };
    let roundtable = state
        .store
        .roundtable(&session.roundtable_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // A browser that already joined this session stays the same member: a
    // new member per join would give one phone a fresh ballot, upvote and
    // question allowance each time.
    let (member, token) = match audience::member_and_token(state, headers).await? {
        Some((mut m, token)) if m.live_session_id == session.id => {
            if display_name.is_some() && display_name != m.display_name {
                state
                    .store
                    .rename_audience_member(&m.id, display_name.as_deref())
                    .await?;
                m.display_name = display_name;
            }
            (m, token)
        }
        _ => {
            check(&state.limits.join_new_member_ip, &ip)?;
            let token = sessions::new_token();
            let m = state
                .store
                .create_audience_member(&NewAudienceMember {
                    id: Uuid::new_v4().to_string(),
                    live_session_id: session.id,
                    token_hash: sessions::hash_token(&token),
                    display_name,
                    created_at: sessions::now(),
                })
                .await?
                .ok_or_else(|| ApiError::not_found().detail("This live session has ended."))?;
            (m, token)
        }
    };
    let out = Joined {
        roundtable_id: member.roundtable_id,
        roundtable_title: roundtable.title,
        display_name: member.display_name,
    };
    Ok((
        [(
            header::SET_COOKIE,
            audience::cookie(&token, state.secure_cookies()),
        )],
        Json(out),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/audience/me", tag = "live",
    responses((status = 200, description = "The audience member's session (sets the `accord_device` cookie if the request had none, as every answer here does)", body = Joined), (status = 401, description = "Not joined, or the session ended", body = Problem)))]
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // The audience page asks this first, so its device is named before the
    // first join attempt.
    let (_, set_device) = audience::device(&headers, state.secure_cookies());
    audience::with_device(me_of(&state, &headers).await.into_response(), set_device)
}

async fn me_of(state: &AppState, headers: &HeaderMap) -> ApiResult<Json<Joined>> {
    let m = audience::member(state, headers)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let rt = state
        .store
        .roundtable(&m.roundtable_id)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Json(Joined {
        roundtable_id: m.roundtable_id,
        roundtable_title: rt.title,
        display_name: m.display_name,
    }))
}
