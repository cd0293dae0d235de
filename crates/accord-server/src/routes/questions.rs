//! Q&A: the audience and participants ask and upvote; facilitators approve,
//! hide or mark questions answered. Only approved and answered questions
//! reach the audience and members, and the audience gets them in its own
//! shape, without participants' names ([`QuestionView`]).

use super::polls::viewer_of;
use crate::app::AppState;
use crate::audience::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::rate_limit::check;
use crate::sessions;
use accord_domain::questions::QuestionStatus;
use accord_domain::text::{plain, Lines};
use accord_domain::Action;
use accord_realtime::live::Viewer;
use accord_realtime::questions::{visible_to, QuestionView};
use accord_store::{NewQuestion, Question};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest question, in characters: a question, not a speech.
pub const QUESTION_MAX: usize = 280;

#[derive(Debug, Deserialize, ToSchema)]
pub struct AskBody {
    #[schema(
        min_length = 1,
        max_length = 280,
        pattern = r"^(?:[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\r\n)*[^\s\u0000-\u001f\u007f-\u009f](?:[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\r\n)*$"
    )]
    pub text: String,
    /// Ask without showing one's name.
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModerateBody {
    pub status: QuestionStatus,
}

/// The caller's author key (their voter key) and the name they ask under
/// unless anonymous: an audience member's is the one they chose on joining.
fn author(caller: &Caller) -> (String, Option<String>) {
    let name = match caller {
        Caller::User(u) => Some(u.display_name.clone()),
        Caller::Audience(m) => m.display_name.clone(),
    };
    (caller.voter().key(), name)
}

/// Whether `viewer` (whose author key is `key`) may read `q`: askers also
/// see their own questions while they wait for moderation.
fn readable(viewer: &Viewer, key: &str, q: &Question) -> bool {
    visible_to(viewer, q) || q.author_key == key
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/questions", tag = "questions",
    params(("id" = Uuid, Path, description = "Roundtable id")), request_body = AskBody,
    responses(
        (status = 201, description = "Asked; waits for a facilitator's approval (a facilitator's own is approved)", body = QuestionView),
        (status = 404, description = "Unknown room, or not taking part", body = Problem),
        (status = 422, description = "Empty or too long", body = Problem),
        (status = 429, description = "Asking too often", body = Problem)
    ))]
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AskBody>,
) -> ApiResult<(StatusCode, Json<QuestionView>)> {
    let rt = id.to_string();
    let viewer = viewer_of(&state, &rt, &caller).await?;
    let text =
        plain(body.text.trim(), Lines::Many).map_err(|e| ApiError::invalid("text", e.message()))?;
    if text.is_empty() {
        return Err(ApiError::invalid("text", "must not be empty"));
    }
    if text.chars().count() > QUESTION_MAX {
        return Err(ApiError::invalid(
            "text",
            "is too long (at most 280 characters)",
        ));
    }
    let (key, name) = author(&caller);
    check(&state.limits.questions, &key)?;
    let q = state
        .store
        .create_question(&NewQuestion {
            id: Uuid::new_v4().to_string(),
            roundtable_id: rt.clone(),
            author_key: key,
            author_name: if body.anonymous { None } else { name },
            text: text.into_owned(),
            status: if viewer.may(Action::ModerateQuestions) {
                QuestionStatus::Approved
            } else {
                QuestionStatus::Pending
            },
            created_at: sessions::now(),
        })
        .await?;
    state.live.question_changed(&q).await;
    Ok((
        StatusCode::CREATED,
        Json(QuestionView::for_viewer(&viewer, &q, Some(false))),
    ))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/questions", tag = "questions",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses((status = 200, description = "Most upvoted first; facilitators see every status", body = [QuestionView]), (status = 404, description = "Unknown room, or not taking part", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<QuestionView>>> {
    let rt = id.to_string();
    let viewer = viewer_of(&state, &rt, &caller).await?;
    let (key, _) = author(&caller);
    let mine = state.store.my_question_votes(&rt, &key).await?;
    let out = state
        .store
        .questions_of(&rt)
        .await?
        .iter()
        .filter(|q| readable(&viewer, &key, q))
        .map(|q| QuestionView::for_viewer(&viewer, q, Some(mine.contains(&q.id))))
        .collect();
    Ok(Json(out))
}

async fn visible_question(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<(Question, Viewer)> {
    let q = state
        .store
        .question(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let viewer = viewer_of(state, &q.roundtable_id, caller).await?;
    let (key, _) = author(caller);
    if !readable(&viewer, &key, &q) {
        return Err(ApiError::not_found());
    }
    Ok((q, viewer))
}

#[utoipa::path(post, path = "/api/v1/questions/{id}/upvote", tag = "questions",
    params(("id" = Uuid, Path, description = "Question id")),
    responses((status = 200, description = "Upvoted (once per person; repeats change nothing)", body = QuestionView), (status = 404, description = "Unknown or not visible", body = Problem)))]
pub async fn upvote(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<QuestionView>> {
    let (q, viewer) = visible_question(&state, &caller, id).await?;
    let (key, _) = author(&caller);
    let q = state
        .store
        .upvote_question(&q.id, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    state.live.question_changed(&q).await;
    Ok(Json(QuestionView::for_viewer(&viewer, &q, Some(true))))
}

#[utoipa::path(patch, path = "/api/v1/questions/{id}", tag = "questions",
    params(("id" = Uuid, Path, description = "Question id")), request_body = ModerateBody,
    responses((status = 200, description = "Moderated", body = QuestionView), (status = 403, description = "Only facilitators moderate", body = Problem), (status = 404, description = "Unknown or not visible", body = Problem), (status = 422, description = "Unknown status", body = Problem)))]
pub async fn moderate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ModerateBody>,
) -> ApiResult<Json<QuestionView>> {
    let (q, viewer) = visible_question(&state, &caller, id).await?;
    if !viewer.may(Action::ModerateQuestions) {
        return Err(ApiError::forbidden("Only facilitators moderate questions."));
    }
    let q = state
        .store
        .set_question_status(&q.id, body.status)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // Hidden questions still reach facilitators; the audience learns of
    // approved and answered ones only.
    state.live.question_changed(&q).await;
    Ok(Json(QuestionView::for_viewer(&viewer, &q, None)))
}
