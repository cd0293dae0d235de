//! Q&A: the audience and participants ask and upvote; facilitators approve,
//! hide or mark questions answered. Only approved and answered questions
//! reach the audience and members.

use super::polls::viewer_of;
use super::rfc3339;
use crate::app::AppState;
use crate::audience::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath};
use crate::rate_limit::check;
use crate::sessions;
use accord_domain::text::{plain, Lines};
use accord_domain::Action;
use accord_store::{NewQuestion, Question};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// Longest question, in characters: a question, not a speech.
pub const QUESTION_MAX: usize = 280;
const STATUSES: [&str; 4] = ["pending", "approved", "hidden", "answered"];

#[derive(Debug, Deserialize, ToSchema)]
pub struct AskBody {
    pub text: String,
    /// Ask without showing one's name.
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModerateBody {
    /// approved | hidden | answered | pending
    pub status: String,
}

fn public(q: &Question) -> bool {
    q.status == "approved" || q.status == "answered"
}

/// A question as everyone may see it (the author's identity never leaves).
pub fn question_json(q: &Question, voted_by_me: Option<bool>) -> Value {
    let mut v = json!({
        "id": q.id,
        "text": q.text,
        "author_name": q.author_name,
        "votes": q.votes,
        "status": q.status,
        "created_at": rfc3339(q.created_at),
    });
    if let (Some(b), Value::Object(m)) = (voted_by_me, &mut v) {
        m.insert("voted_by_me".into(), json!(b));
    }
    v
}

fn author(caller: &Caller) -> (String, Option<String>) {
    match caller {
        Caller::User(u) => (format!("user:{}", u.id), Some(u.display_name.clone())),
        Caller::Audience(m) => (format!("audience:{}", m.id), m.display_name.clone()),
    }
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/questions", tag = "questions",
    params(("id" = Uuid, Path, description = "Roundtable id")), request_body = AskBody,
    responses(
        (status = 201, description = "Asked; waits for a facilitator's approval (a facilitator's own is approved)", body = Object),
        (status = 404, description = "Unknown room, or not taking part", body = Problem),
        (status = 422, description = "Empty or too long", body = Problem),
        (status = 429, description = "Asking too often", body = Problem)
    ))]
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<AskBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
                "approved"
            } else {
                "pending"
            }
            .into(),
            created_at: sessions::now(),
        })
        .await?;
    state
        .live
        .question_changed(&rt, question_json(&q, None), public(&q))
        .await;
    Ok((StatusCode::CREATED, Json(question_json(&q, Some(false)))))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/questions", tag = "questions",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses((status = 200, description = "Most upvoted first; facilitators see every status", body = [Object]), (status = 404, description = "Unknown room, or not taking part", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Value>>> {
    let rt = id.to_string();
    let viewer = viewer_of(&state, &rt, &caller).await?;
    let (key, _) = author(&caller);
    let mine = state.store.my_question_votes(&rt, &key).await?;
    let out = state
        .store
        .questions_of(&rt)
        .await?
        .iter()
        .filter(|q| viewer.may(Action::ModerateQuestions) || public(q) || q.author_key == key)
        .map(|q| question_json(q, Some(mine.contains(&q.id))))
        .collect();
    Ok(Json(out))
}

async fn visible_question(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<(Question, bool)> {
    let q = state
        .store
        .question(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let viewer = viewer_of(state, &q.roundtable_id, caller).await?;
    let (key, _) = author(caller);
    if !(viewer.may(Action::ModerateQuestions) || public(&q) || q.author_key == key) {
        return Err(ApiError::not_found());
    }
    Ok((q, viewer.may(Action::ModerateQuestions)))
}

#[utoipa::path(post, path = "/api/v1/questions/{id}/upvote", tag = "questions",
    params(("id" = Uuid, Path, description = "Question id")),
    responses((status = 200, description = "Upvoted (once per person; repeats change nothing)", body = Object), (status = 404, description = "Unknown or not visible", body = Problem)))]
pub async fn upvote(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Value>> {
    let (q, _) = visible_question(&state, &caller, id).await?;
    let (key, _) = author(&caller);
    let q = state
        .store
        .upvote_question(&q.id, &key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    state
        .live
        .question_changed(&q.roundtable_id, question_json(&q, None), public(&q))
        .await;
    Ok(Json(question_json(&q, Some(true))))
}

#[utoipa::path(patch, path = "/api/v1/questions/{id}", tag = "questions",
    params(("id" = Uuid, Path, description = "Question id")), request_body = ModerateBody,
    responses((status = 200, description = "Moderated", body = Object), (status = 403, description = "Only facilitators moderate", body = Problem), (status = 404, description = "Unknown or not visible", body = Problem), (status = 422, description = "Unknown status", body = Problem)))]
pub async fn moderate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ModerateBody>,
) -> ApiResult<Json<Value>> {
    let (q, facilitator) = visible_question(&state, &caller, id).await?;
    if !facilitator {
        return Err(ApiError::forbidden("Only facilitators moderate questions."));
    }
    if !STATUSES.contains(&body.status.as_str()) {
        return Err(ApiError::invalid(
            "status",
            "must be pending, approved, hidden or answered",
        ));
    }
    let q = state
        .store
        .set_question_status(&q.id, &body.status)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // Hidden questions still reach facilitators; the audience learns of
    // approved and answered ones only.
    state
        .live
        .question_changed(&q.roundtable_id, question_json(&q, None), public(&q))
        .await;
    Ok(Json(question_json(&q, None)))
}
