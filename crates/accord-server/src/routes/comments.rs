//! Comment threads anchored to a passage of a document, with replies; every
//! change reaches the roundtable's participants at once.

use super::documents::document_for;
use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use crate::sessions;
use accord_domain::{allowed, review, Action};
use accord_realtime::anchors::{AnchorError, AnchorIndex};
use accord_realtime::comments::{self, CommentChange, CommentView};
use accord_store::{NewComment, Participant, StoredComment, StoredDocument};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The passage: base64 of `Y.encodeRelativePosition(...)` for two
/// positions in the document's XmlFragment `default`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnchorIn {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateComment {
    /// Plain text with line breaks, 1–4,000 characters.
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
    pub anchor: AnchorIn,
    /// The version being viewed, if any.
    pub version_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentBody {
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentStatus {
    /// Unresolved threads, orphaned ones included.
    #[default]
    Open,
    Resolved,
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CommentsQuery {
    /// open (default) | resolved | all
    pub status: Option<CommentStatus>,
}

/// One thread as it is now (None once gone), told to the roundtable.
async fn announce(
    state: &AppState,
    doc: &StoredDocument,
    thread_id: &str,
) -> ApiResult<Option<CommentView>> {
    let change = state
        .live
        .comment_changed(&doc.roundtable_id, &doc.id, thread_id)
        .await
        .map_err(ApiError::internal)?;
    Ok(match change {
        CommentChange::Changed(t) => Some(*t),
        CommentChange::Removed { .. } => None,
    })
}

/// The comment, its document and the caller's participation; 404 for
/// unknown ids and for callers who do not take part.
async fn comment_for(
    state: &AppState,
    id: Uuid,
    user_id: &str,
) -> ApiResult<(StoredComment, StoredDocument, Participant)> {
    let c = state
        .store
        .comment(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let doc = state
        .store
        .document(&c.document_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&doc.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, user_id).await?;
    require(&me, Action::View)?;
    Ok((c, doc, me))
}

fn body_of(raw: &str) -> ApiResult<String> {
    review::comment_body(raw).map_err(|m| ApiError::invalid("body", m))
}

fn thread_or_gone(thread: Option<CommentView>) -> ApiResult<Json<CommentView>> {
    thread.map(Json).ok_or_else(ApiError::not_found)
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/comments", tag = "comments",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = CreateComment,
    responses(
        (status = 201, description = "The new thread, with the passage it quotes now", body = CommentView),
        (status = 404, description = "Unknown document, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid body, or an anchor that does not decode, points into another document, or ends before it starts", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateComment>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::Comment)?;
    let text = body_of(&body.body)?;
    let decode = |field: &str, b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| ApiError::invalid(field, "must be base64 of a Yjs relative position"))
    };
    let start = decode("anchor.start", &body.anchor.start)?;
    let end = decode("anchor.end", &body.anchor.end)?;
    let current = accord_realtime::versions::durable_doc(&state.store, &doc.id)
        .await
        .map_err(ApiError::internal)?;
    let resolved = AnchorIndex::new(&current)
        .resolve(&start, &end)
        .map_err(|e| match e {
            AnchorError::Undecodable => {
                ApiError::invalid("anchor", "does not decode as a Yjs relative position")
            }
            AnchorError::ForeignDocument => {
                ApiError::invalid("anchor", "points outside this document")
            }
            AnchorError::EndBeforeStart => ApiError::invalid("anchor", "ends before it starts"),
        })?;
    if resolved.quote.is_empty() {
        return Err(ApiError::invalid("anchor", "must span some text"));
    }
    if let Some(v) = body.version_id {
        let of_this = state
            .store
            .version(&v.to_string())
            .await?
            .is_some_and(|v| v.summary.document_id == doc.id);
        if !of_this {
            return Err(ApiError::invalid(
                "version_id",
                "is not a version of this document",
            ));
        }
    }
    let new = NewComment {
        id: Uuid::new_v4().to_string(),
        document_id: doc.id.clone(),
        parent_id: None,
        author_id: user.id.clone(),
        author_side: me.side,
        body: text,
        anchor_start: Some(start),
        anchor_end: Some(end),
        quote: Some(resolved.quote),
        version_id: body.version_id.map(|v| v.to_string()),
        created_at: sessions::now(),
    };
    state.store.insert_comment(&new).await?;
    let thread = announce(&state, &doc, &new.id).await?;
    Ok((StatusCode::CREATED, thread_or_gone(thread)?))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/comments", tag = "comments",
    params(("id" = Uuid, Path, description = "Document id"), CommentsQuery),
    responses(
        (status = 200, description = "Threads in document order (orphaned ones last), each with its current quote", body = [CommentView]),
        (status = 404, description = "Unknown document, or the caller does not take part", body = Problem),
        (status = 422, description = "Unknown status", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CommentsQuery>,
) -> ApiResult<Json<Vec<CommentView>>> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let status = q.status.unwrap_or_default();
    let threads = comments::of_document(&state.store, &doc.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        threads
            .into_iter()
            .filter(|t| match status {
                CommentStatus::Open => !t.resolved,
                CommentStatus::Resolved => t.resolved,
                CommentStatus::All => true,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/comments/{id}/replies", tag = "comments",
    params(("id" = Uuid, Path, description = "Thread id")),
    request_body = CommentBody,
    responses(
        (status = 201, description = "The thread with the new reply", body = CommentView),
        (status = 404, description = "Unknown thread, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid body, or the id is a reply", body = Problem)
    ))]
pub async fn reply(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let (thread, doc, me) = comment_for(&state, id, &user.id).await?;
    require(&me, Action::Comment)?;
    if thread.parent_id.is_some() {
        return Err(ApiError::invalid(
            "id",
            "replies go to the thread, not to a reply",
        ));
    }
    let new = NewComment {
        id: Uuid::new_v4().to_string(),
        document_id: doc.id.clone(),
        parent_id: Some(thread.id.clone()),
        author_id: user.id.clone(),
        author_side: me.side,
        body: body_of(&body.body)?,
        anchor_start: None,
        anchor_end: None,
        quote: None,
        version_id: None,
        created_at: sessions::now(),
    };
    state.store.insert_comment(&new).await?;
    let thread = announce(&state, &doc, &thread.id).await?;
    Ok((StatusCode::CREATED, thread_or_gone(thread)?))
}

async fn set_resolved(
    state: AppState,
    user_id: &str,
    id: Uuid,
    resolved: bool,
) -> ApiResult<Json<CommentView>> {
    let (thread, doc, me) = comment_for(&state, id, user_id).await?;
    if thread.parent_id.is_some() {
        return Err(ApiError::invalid(
            "id",
            "only a thread is resolved, not a reply",
        ));
    }
    if thread.author_id != user_id && !allowed(Action::ResolveComments, me.role, me.side) {
        return Err(ApiError::forbidden(
            "Only the thread's author and facilitators resolve or reopen it.",
        ));
    }
    state
        .store
        .set_comment_resolved(&thread.id, resolved, user_id, sessions::now())
        .await?;
    thread_or_gone(announce(&state, &doc, &thread.id).await?)
}

#[utoipa::path(post, path = "/api/v1/comments/{id}/resolve", tag = "comments",
    params(("id" = Uuid, Path, description = "Thread id")),
    responses(
        (status = 200, description = "Resolved", body = CommentView),
        (status = 403, description = "Neither the thread's author nor a facilitator", body = Problem),
        (status = 404, description = "Unknown thread, or the caller does not take part", body = Problem)
    ))]
pub async fn resolve(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CommentView>> {
    set_resolved(state, &user.id, id, true).await
}

#[utoipa::path(post, path = "/api/v1/comments/{id}/reopen", tag = "comments",
    params(("id" = Uuid, Path, description = "Thread id")),
    responses(
        (status = 200, description = "Open again", body = CommentView),
        (status = 403, description = "Neither the thread's author nor a facilitator", body = Problem),
        (status = 404, description = "Unknown thread, or the caller does not take part", body = Problem)
    ))]
pub async fn reopen(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CommentView>> {
    set_resolved(state, &user.id, id, false).await
}

/// 403 unless the caller wrote it; 404 once deleted.
fn own(c: &StoredComment, user_id: &str) -> ApiResult<()> {
    if c.deleted {
        return Err(ApiError::not_found());
    }
    if c.author_id != user_id {
        return Err(ApiError::forbidden(
            "Only its author changes or deletes a comment.",
        ));
    }
    Ok(())
}

#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments",
    params(("id" = Uuid, Path, description = "Comment or reply id")),
    request_body = CommentBody,
    responses(
        (status = 200, description = "The thread with the edited comment", body = CommentView),
        (status = 403, description = "Not the author", body = Problem),
        (status = 404, description = "Unknown or deleted, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid body", body = Problem)
    ))]
pub async fn edit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<Json<CommentView>> {
    let (c, doc, _) = comment_for(&state, id, &user.id).await?;
    own(&c, &user.id)?;
    let text = body_of(&body.body)?;
    state
        .store
        .edit_comment(&c.id, &text, sessions::now())
        .await?;
    let thread_id = c.parent_id.clone().unwrap_or(c.id);
    thread_or_gone(announce(&state, &doc, &thread_id).await?)
}

#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments",
    params(("id" = Uuid, Path, description = "Comment or reply id")),
    responses(
        (status = 204, description = "Deleted; a thread with replies stays as \"comment deleted\""),
        (status = 403, description = "Not the author", body = Problem),
        (status = 404, description = "Unknown or already deleted, or the caller does not take part", body = Problem)
    ))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let (c, doc, _) = comment_for(&state, id, &user.id).await?;
    own(&c, &user.id)?;
    state.store.delete_comment(&c.id, sessions::now()).await?;
    let thread_id = c.parent_id.clone().unwrap_or(c.id);
    announce(&state, &doc, &thread_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
