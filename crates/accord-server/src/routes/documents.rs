//! Documents of a roundtable: create from a template, list, rename, archive,
//! and render the current text as Markdown or HTML.

use super::rfc3339;
use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use crate::sessions;
use accord_domain::audit::Actor;
use accord_domain::document::DocumentKind;
use accord_domain::polls::Lang;
use accord_domain::{allowed, roundtable as rules, Action, Side};
use accord_realtime::rights::Subject;
use accord_realtime::template::initial_update;
use accord_realtime::DocRoom;
use accord_store::{NewDocument, Participant, StoredDocument as Document};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDocument {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029][^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub title: String,
    /// programme | recommendation | notes. A programme starts from the
    /// upskilling-programme template, a recommendation from its own.
    #[schema(example = "programme")]
    pub kind: DocumentKind,
    /// en | da: the language of the template's section headings (the
    /// creator's; default: the browser's `Accept-Language`, else English).
    pub lang: Option<Lang>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateDocument {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029][^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub title: Option<String>,
    pub archived: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: String,
    pub roundtable_id: String,
    pub title: String,
    pub kind: DocumentKind,
    pub archived: bool,
    pub created_at: String,
    /// Whether the caller may change the text (members and facilitators; not once archived).
    pub can_edit: bool,
    pub my_side: Side,
    /// Unresolved comment threads.
    pub open_comments: u32,
}

fn out(d: Document, me: &Participant, open_comments: u32) -> DocumentOut {
    DocumentOut {
        open_comments,
        can_edit: can_edit(&d, me),
        id: d.id,
        roundtable_id: d.roundtable_id,
        title: d.title,
        kind: d.kind,
        archived: d.archived,
        created_at: rfc3339(d.created_at),
        my_side: me.side,
    }
}

pub fn can_edit(d: &Document, me: &Participant) -> bool {
    !d.archived && allowed(Action::EditDocuments, me.role, me.side)
}

/// The document and the caller's participation in its roundtable; 404 for outsiders.
pub async fn document_for(
    state: &AppState,
    id: Uuid,
    user_id: &str,
) -> ApiResult<(Document, Participant)> {
    let doc = state
        .store
        .document(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&doc.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, user_id).await?;
    Ok((doc, me))
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/documents", tag = "documents",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    request_body = CreateDocument,
    responses(
        (status = 201, description = "Created from its template", body = DocumentOut),
        (status = 403, description = "Observers cannot create documents", body = Problem),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<CreateDocument>,
) -> ApiResult<(StatusCode, Json<DocumentOut>)> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::EditDocuments)?;
    let title = rules::title(&body.title).map_err(|m| ApiError::invalid("title", m))?;
    let new = NewDocument {
        id: Uuid::new_v4().to_string(),
        roundtable_id: id.to_string(),
        title,
        kind: body.kind,
        created_by: user.id,
        created_at: sessions::now(),
    };
    let lang = body
        .lang
        .unwrap_or(match super::exports::language(None, &headers) {
            accord_export::Lang::Da => Lang::Da,
            accord_export::Lang::En => Lang::En,
        });
    let initial = initial_update(body.kind, lang);
    let actor = Actor::user(&new.created_by, me.side);
    let doc = state
        .store
        .create_document(&new, Some(&initial), &actor)
        .await?;
    Ok((StatusCode::CREATED, Json(out(doc, &me, 0))))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/documents", tag = "documents",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "The roundtable's documents", body = [DocumentOut]),
        (status = 404, description = "Unknown roundtable, or the caller does not take part", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<DocumentOut>>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let docs = state.store.documents_of(&id.to_string(), true).await?;
    let counts = state.store.open_comment_counts(&id.to_string()).await?;
    Ok(Json(
        docs.into_iter()
            .map(|d| {
                let n = counts.get(&d.id).copied().unwrap_or(0);
                out(d, &me, n)
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentOut),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DocumentOut>> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let counts = state.store.open_comment_counts(&doc.roundtable_id).await?;
    let n = counts.get(&doc.id).copied().unwrap_or(0);
    Ok(Json(out(doc, &me, n)))
}

#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = UpdateDocument,
    responses(
        (status = 200, description = "Renamed and/or (un)archived", body = DocumentOut),
        (status = 403, description = "Observers cannot change documents", body = Problem),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)
    ))]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateDocument>,
) -> ApiResult<Json<DocumentOut>> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::EditDocuments)?;
    let title = body
        .title
        .as_deref()
        .map(rules::title)
        .transpose()
        .map_err(|m| ApiError::invalid("title", m))?;
    if let Some(title) = &title {
        state.store.rename_document(&doc.id, title).await?;
    }
    if let Some(archived) = body.archived {
        let actor = Actor::user(&user.id, me.side);
        state
            .store
            .set_document_archived(&doc.id, archived, &actor, sessions::now())
            .await?;
        state
            .rights
            .changed(Subject::Document(doc.id.clone()))
            .await;
    }
    let updated = state
        .store
        .document(&doc.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let counts = state
        .store
        .open_comment_counts(&updated.roundtable_id)
        .await?;
    let n = counts.get(&updated.id).copied().unwrap_or(0);
    Ok(Json(out(updated, &me, n)))
}

async fn rendered(
    state: &AppState,
    id: Uuid,
    user_id: &str,
) -> ApiResult<accord_domain::document::Document> {
    let (doc, me) = document_for(state, id, user_id).await?;
    require(&me, Action::View)?;
    // The store is the truth: every update any client has seen is already in it.
    let log = state.store.load_document(&doc.id).await?;
    let room = DocRoom::load(
        log.snapshot.as_ref().map(|s| s.data.as_slice()),
        log.updates.iter().map(|u| u.data.as_slice()),
    )
    .map_err(ApiError::internal)?;
    Ok(room.render())
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/markdown", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The current text as Markdown", content_type = "text/markdown"),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn markdown(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let doc = rendered(&state, id, &user.id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        doc.to_markdown(),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/html", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id"), super::exports::ExportQuery),
    responses(
        (status = 200, description = "The current text as a complete, print-friendly HTML page (escaped, safe links only)", content_type = "text/html"),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn html(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<super::exports::ExportQuery>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let tree = rendered(&state, id, &user.id).await?;
    let doc = state
        .store
        .document(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let roundtable = state
        .store
        .roundtable(&doc.roundtable_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let markdown = tree.to_markdown();
    let info = accord_export::VersionInfo {
        document_title: doc.title,
        roundtable_title: roundtable.title,
        // Not a version: the text as it is now, which may change any moment.
        number: 0,
        name: String::new(),
        sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(markdown.as_bytes())),
        created_at: rfc3339(sessions::now()),
        words: u32::try_from(tree.plain_text().split_whitespace().count()).unwrap_or(u32::MAX),
    };
    let page = accord_export::html_page(&accord_export::Export {
        info: &info,
        tree: &tree,
        markdown: &markdown,
        agreement: None,
        lang: super::exports::language(q.lang.as_deref(), &headers),
    });
    Ok(super::exports::html_response(page, None))
}
