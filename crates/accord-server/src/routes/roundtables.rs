//! Roundtables and their participants.

use super::rfc3339;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, CurrentUser};
use crate::sessions;
use accord_domain::audit::Actor;
use accord_domain::{allowed, roundtable as rules, Action, Role, Side, Theme};
use accord_realtime::rights::Subject;
use accord_store::{MyRoundtable, NewRoundtable, Participant};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRoundtable {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029][^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub title: String,
    /// gender_diversity | ageing_workforce | technological_upskilling |
    /// ethnicity_and_refugees | disability_and_neurodiversity | lgbtq | other
    #[schema(example = "gender_diversity")]
    pub theme: Theme,
    #[serde(default)]
    #[schema(
        max_length = 5000,
        pattern = r"^(?:[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\r\n)*$"
    )]
    pub description: String,
    /// The organisation the creator represents (shown beside their name).
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub organisation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundtableOut {
    pub id: String,
    pub title: String,
    #[schema(example = "gender_diversity")]
    pub theme: Theme,
    pub description: String,
    pub created_at: String,
    #[schema(example = "neutral")]
    pub my_side: Side,
    #[schema(example = "facilitator")]
    pub my_role: Role,
    /// What the caller may do here (`accord_domain::allowed`), so the web
    /// offers exactly what the server would allow.
    pub my_actions: Vec<Action>,
}

impl From<MyRoundtable> for RoundtableOut {
    fn from(m: MyRoundtable) -> Self {
        RoundtableOut {
            id: m.roundtable.id,
            title: m.roundtable.title,
            theme: m.roundtable.theme,
            description: m.roundtable.description,
            created_at: rfc3339(m.roundtable.created_at),
            my_side: m.side,
            my_role: m.role,
            my_actions: Action::allowed_for(m.role, m.side),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantOut {
    pub user_id: String,
    pub display_name: String,
    #[schema(example = "union")]
    pub side: Side,
    #[schema(example = "member")]
    pub role: Role,
    pub organisation: String,
    pub joined_at: String,
}

impl From<Participant> for ParticipantOut {
    fn from(p: Participant) -> Self {
        ParticipantOut {
            user_id: p.user_id,
            display_name: p.display_name,
            side: p.side,
            role: p.role,
            organisation: p.organisation,
            joined_at: rfc3339(p.joined_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateParticipant {
    #[schema(example = "observer")]
    pub role: Role,
    /// Sides are fixed when a participant joins; sending a different side is refused.
    pub side: Option<Side>,
}

/// The caller's membership of a roundtable; 404 for outsiders, so they
/// cannot tell whether it exists.
pub async fn membership(
    state: &AppState,
    roundtable_id: Uuid,
    user_id: &str,
) -> ApiResult<Participant> {
    state
        .store
        .participant(&roundtable_id.to_string(), user_id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// 403 unless the permission table lets this participant do `action`.
pub fn require(p: &Participant, action: Action) -> ApiResult<()> {
    if allowed(action, p.role, p.side) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Your role in this roundtable does not allow this.",
        ))
    }
}

#[utoipa::path(post, path = "/api/v1/roundtables", tag = "roundtables", request_body = CreateRoundtable,
    responses(
        (status = 201, description = "Created; the caller is its facilitator", body = RoundtableOut),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<CreateRoundtable>,
) -> ApiResult<(StatusCode, Json<RoundtableOut>)> {
    let title = rules::title(&body.title).map_err(|m| ApiError::invalid("title", m))?;
    let description =
        rules::description(&body.description).map_err(|m| ApiError::invalid("description", m))?;
    let organisation = if body.organisation.trim().is_empty() {
        String::new()
    } else {
        rules::organisation(&body.organisation).map_err(|m| ApiError::invalid("organisation", m))?
    };
    let new = NewRoundtable {
        id: Uuid::new_v4().to_string(),
        title,
        theme: body.theme,
        description,
        created_by: user.id,
        created_at: sessions::now(),
        organisation,
    };
    let roundtable = state.store.create_roundtable(&new).await?;
    let out = MyRoundtable {
        roundtable,
        side: Side::Neutral,
        role: Role::Facilitator,
    };
    Ok((StatusCode::CREATED, Json(out.into())))
}

#[utoipa::path(get, path = "/api/v1/roundtables", tag = "roundtables",
    responses(
        (status = 200, description = "Roundtables the caller takes part in", body = [RoundtableOut]),
        (status = 401, description = "Not signed in", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<Json<Vec<RoundtableOut>>> {
    let mine = state.store.roundtables_of(&user.id).await?;
    Ok(Json(mine.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}", tag = "roundtables",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "The roundtable", body = RoundtableOut),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RoundtableOut>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let roundtable = state
        .store
        .roundtable(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        MyRoundtable {
            roundtable,
            side: me.side,
            role: me.role,
        }
        .into(),
    ))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/participants", tag = "roundtables",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "Everyone, with side, role and organisation", body = [ParticipantOut]),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn participants(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ParticipantOut>>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let all = state.store.participants(&id.to_string()).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

#[utoipa::path(patch, path = "/api/v1/roundtables/{id}/participants/{user_id}", tag = "roundtables",
    params(("id" = Uuid, Path, description = "Roundtable id"), ("user_id" = Uuid, Path, description = "Participant's user id")),
    request_body = UpdateParticipant,
    responses(
        (status = 200, description = "Role changed", body = ParticipantOut),
        (status = 403, description = "Not a facilitator, or an attempt to change a side", body = Problem),
        (status = 404, description = "Unknown roundtable or participant", body = Problem),
        (status = 409, description = "Would leave no facilitator", body = Problem)
    ))]
pub async fn update_participant(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<UpdateParticipant>,
) -> ApiResult<Json<ParticipantOut>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::ManageParticipants)?;
    let target = target.to_string();
    let current = state
        .store
        .participant(&id.to_string(), &target)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if body.side.is_some_and(|s| s != current.side) {
        return Err(ApiError::forbidden(
            "A participant's side is fixed when they join and cannot be changed.",
        ));
    }
    let updated = state
        .store
        .set_participant_role(
            &id.to_string(),
            &target,
            body.role,
            &Actor::user(&user.id, me.side),
            sessions::now(),
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    state.rights.changed(Subject::User(target)).await;
    Ok(Json(updated.into()))
}

#[utoipa::path(delete, path = "/api/v1/roundtables/{id}/participants/{user_id}", tag = "roundtables",
    params(("id" = Uuid, Path, description = "Roundtable id"), ("user_id" = Uuid, Path, description = "Participant's user id")),
    responses(
        (status = 204, description = "Removed (facilitators), or the caller left"),
        (status = 403, description = "Not a facilitator", body = Problem),
        (status = 404, description = "Unknown roundtable or participant", body = Problem),
        (status = 409, description = "Would leave no facilitator", body = Problem)
    ))]
pub async fn remove_participant(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let me = membership(&state, id, &user.id).await?;
    let target = target.to_string();
    // Anyone may leave; removing someone else takes a facilitator.
    if target != user.id {
        require(&me, Action::ManageParticipants)?;
    }
    if state
        .store
        .remove_participant(
            &id.to_string(),
            &target,
            &Actor::user(&user.id, me.side),
            sessions::now(),
        )
        .await?
    {
        state.rights.changed(Subject::User(target)).await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
