//! Versions of a document: save, list, read, restore, and compare any two
//! (or one and the current text), with inserted text attributed to the
//! participant — and so the side — that wrote it.

use super::documents::document_for;
use super::rfc3339;
use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorKind, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use accord_domain::document::{escape_html, Document};
use accord_domain::{review, Action, Side};
use accord_realtime::comments::Author;
use accord_realtime::diff::{self, BlockKind, BlockOp, SegmentOp};
use accord_realtime::versions::{self, VersionMeta};
use accord_store::{ClientAuthor, StoredDocument, StoredVersion, VersionSummary};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateVersion {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A saved state of a document. Immutable: no API changes or deletes one.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub id: String,
    pub document_id: String,
    /// Counts from 1 per document.
    pub number: i64,
    pub name: String,
    pub note: Option<String>,
    /// Made without anyone asking: after an edited document went quiet, or before a restore.
    pub auto: bool,
    /// Nobody, for automatic versions.
    pub created_by: Option<Author>,
    pub created_at: String,
    /// SHA-256 (hex) of the version's Markdown.
    pub sha256: String,
    pub words: u32,
    /// The number of the version this one restored.
    pub restored_from: Option<i64>,
}

/// A version with its text.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDetail {
    #[serde(flatten)]
    pub version: VersionOut,
    /// Exactly the text whose SHA-256 is `sha256`.
    pub markdown: String,
    /// The same text as an escaped HTML fragment.
    pub html: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RestoreOut {
    /// The automatic version of the text just before the restore: nothing written since is lost.
    pub before: VersionOut,
    /// The restored text, recorded as `Restored from v<n>`.
    pub restored: VersionOut,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DiffQuery {
    /// A version id.
    pub from: Uuid,
    /// A version id, or `current` for the text now.
    pub to: String,
}

/// One side of a comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffEnd {
    /// A version id, or `current`.
    pub id: String,
    pub number: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffBlockOp {
    Equal,
    Inserted,
    Deleted,
    Changed,
    Moved,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffSegmentOp {
    Equal,
    Inserted,
    Deleted,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiffBlockKind {
    Heading,
    Paragraph,
    ListItem,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffSegment {
    pub op: DiffSegmentOp,
    pub text: String,
    /// Who wrote an inserted run; null when that is not known (text from
    /// before attribution was recorded, or from a restore) — never a guess.
    pub by: Option<Author>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffBlock {
    pub op: DiffBlockOp,
    pub kind: DiffBlockKind,
    /// Headings: 1..=6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// List items: whether the list is numbered, and how deep the item sits (0 = top).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordered: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u8>,
    /// The block's text (in `from` for a deleted block).
    pub text: String,
    /// Word-level changes of changed blocks; the runs of inserted ones.
    pub segments: Vec<DiffSegment>,
    /// The writer of an inserted block, when one person wrote all of it.
    pub by: Option<Author>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SideWords {
    pub side: Side,
    pub inserted_words: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffStatsOut {
    pub inserted_words: u32,
    pub deleted_words: u32,
    pub changed_blocks: u32,
    /// Inserted words per side, from attributed runs only.
    pub by_side: Vec<SideWords>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffOut {
    pub from: DiffEnd,
    pub to: DiffEnd,
    pub blocks: Vec<DiffBlock>,
    pub stats: DiffStatsOut,
}

fn author_of(user_id: Option<&str>, name: Option<&str>, side: Option<Side>) -> Option<Author> {
    Some(Author {
        user_id: user_id?.to_owned(),
        display_name: name.unwrap_or_default().to_owned(),
        side: side?,
    })
}

pub fn summary_out(v: &VersionSummary) -> VersionOut {
    VersionOut {
        id: v.id.clone(),
        document_id: v.document_id.clone(),
        number: v.number,
        name: v.name.clone(),
        note: v.note.clone(),
        auto: v.auto,
        created_by: author_of(
            v.created_by.as_deref(),
            v.created_by_name.as_deref(),
            v.created_by_side,
        ),
        created_at: rfc3339(v.created_at),
        sha256: v.sha256.clone(),
        words: v.words,
        restored_from: v.restored_from_number,
    }
}

/// The version, its document and the caller's participation; 404 for
/// unknown ids and for callers who do not take part in its roundtable.
async fn version_for(
    state: &AppState,
    id: Uuid,
    user_id: &str,
) -> ApiResult<(StoredVersion, StoredDocument, accord_store::Participant)> {
    let version = state
        .store
        .version(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let doc = state
        .store
        .document(&version.summary.document_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&doc.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, user_id).await?;
    require(&me, Action::View)?;
    Ok((version, doc, me))
}

fn hub_error(e: accord_realtime::docs::HubError) -> ApiError {
    ApiError::internal(e)
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "versions",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = CreateVersion,
    responses(
        (status = 201, description = "Saved from what is durable: every acknowledged edit, none that was not", body = VersionOut),
        (status = 403, description = "Observers cannot save versions", body = Problem),
        (status = 404, description = "Unknown document, or the caller does not take part", body = Problem),
        (status = 422, description = "Invalid field", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateVersion>,
) -> ApiResult<(StatusCode, Json<VersionOut>)> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::SaveVersions)?;
    let name = review::version_name(&body.name).map_err(|m| ApiError::invalid("name", m))?;
    let note = body
        .note
        .as_deref()
        .map(review::version_note)
        .transpose()
        .map_err(|m| ApiError::invalid("note", m))?
        .flatten();
    let content = versions::durable_content(&state.store, &doc.id)
        .await
        .map_err(hub_error)?;
    let meta = VersionMeta {
        name,
        note,
        auto: false,
        created_by: Some((user.id.clone(), me.side)),
        restored_from: None,
    };
    let saved = versions::save(&state.store, &doc.id, &content, meta)
        .await
        .map_err(hub_error)?;
    Ok((StatusCode::CREATED, Json(summary_out(&saved))))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "versions",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document's versions, newest first", body = [VersionOut]),
        (status = 404, description = "Unknown document, or the caller does not take part", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<VersionOut>>> {
    let (doc, me) = document_for(&state, id, &user.id).await?;
    require(&me, Action::View)?;
    let all = state.store.versions_of(&doc.id).await?;
    Ok(Json(all.iter().map(summary_out).collect()))
}

#[utoipa::path(get, path = "/api/v1/versions/{id}", tag = "versions",
    params(("id" = Uuid, Path, description = "Version id")),
    responses(
        (status = 200, description = "The version with its Markdown and HTML", body = VersionDetail),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<VersionDetail>> {
    let (version, _, _) = version_for(&state, id, &user.id).await?;
    let tree: Document = serde_json::from_str(&version.tree).map_err(ApiError::internal)?;
    Ok(Json(VersionDetail {
        version: summary_out(&version.summary),
        html: tree.to_html(),
        markdown: version.markdown,
    }))
}

#[utoipa::path(get, path = "/api/v1/versions/{id}/markdown", tag = "versions",
    params(("id" = Uuid, Path, description = "Version id")),
    responses(
        (status = 200, description = "Exactly the version's Markdown: its SHA-256 is the version's `sha256`", content_type = "text/markdown"),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn markdown(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let (version, _, _) = version_for(&state, id, &user.id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        version.markdown,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/versions/{id}/restore", tag = "versions",
    params(("id" = Uuid, Path, description = "Version id")),
    responses(
        (status = 200, description = "The document now has this version's content, as a new change every editor receives", body = RestoreOut),
        (status = 403, description = "Observers cannot restore", body = Problem),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem),
        (status = 409, description = "The document is archived", body = Problem)
    ))]
pub async fn restore(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<RestoreOut>> {
    let (version, doc, me) = version_for(&state, id, &user.id).await?;
    require(&me, Action::RestoreVersions)?;
    if doc.archived {
        return Err(ApiError::conflict(
            ErrorKind::Conflict,
            "The document is archived; unarchive it to restore a version.",
        ));
    }
    let done = state
        .docs
        .restore(&doc.id, version.state.clone())
        .await
        .map_err(hub_error)?;
    let load = |state: &[u8]| {
        accord_realtime::version::load_state(state)
            .map(|d| accord_realtime::version::VersionContent::of(&d))
            .map_err(ApiError::internal)
    };
    let before = versions::save(
        &state.store,
        &doc.id,
        &load(&done.before)?,
        VersionMeta {
            name: format!("Before restoring v{}", version.summary.number),
            note: None,
            auto: true,
            created_by: None,
            restored_from: None,
        },
    )
    .await
    .map_err(hub_error)?;
    let restored = versions::save(
        &state.store,
        &doc.id,
        &load(&done.after)?,
        VersionMeta {
            name: format!("Restored from v{}", version.summary.number),
            note: None,
            auto: false,
            created_by: Some((user.id.clone(), me.side)),
            restored_from: Some(version.summary.id.clone()),
        },
    )
    .await
    .map_err(hub_error)?;
    Ok(Json(RestoreOut {
        before: summary_out(&before),
        restored: summary_out(&restored),
    }))
}

/// The two states to compare, each with how the answer names it.
async fn compared(
    state: &AppState,
    id: Uuid,
    user_id: &str,
    q: &DiffQuery,
) -> ApiResult<(DiffOut, StoredDocument)> {
    let (doc, me) = document_for(state, id, user_id).await?;
    require(&me, Action::View)?;
    let of_this = |v: Option<StoredVersion>| {
        v.filter(|v| v.summary.document_id == doc.id)
            .ok_or_else(ApiError::not_found)
    };
    let from = of_this(state.store.version(&q.from.to_string()).await?)?;
    let load = |s: &[u8]| accord_realtime::version::load_state(s).map_err(ApiError::internal);
    let (to_doc, to_end) = if q.to == "current" {
        let now = versions::durable_doc(&state.store, &doc.id)
            .await
            .map_err(hub_error)?;
        let end = DiffEnd {
            id: "current".into(),
            number: None,
            name: None,
        };
        (now, end)
    } else {
        let to_id = Uuid::parse_str(&q.to)
            .map_err(|_| ApiError::invalid("to", "must be a version id or \"current\""))?;
        let to = of_this(state.store.version(&to_id.to_string()).await?)?;
        let end = DiffEnd {
            id: to.summary.id.clone(),
            number: Some(to.summary.number),
            name: Some(to.summary.name.clone()),
        };
        (load(&to.state)?, end)
    };
    let changes = diff::diff(&load(&from.state)?, &to_doc);
    let writers = state.store.document_clients(&doc.id).await?;
    let out = DiffOut {
        from: DiffEnd {
            id: from.summary.id.clone(),
            number: Some(from.summary.number),
            name: Some(from.summary.name.clone()),
        },
        to: to_end,
        stats: stats_out(&changes, &writers),
        blocks: changes
            .blocks
            .into_iter()
            .map(|b| block_out(b, &writers))
            .collect(),
    };
    Ok((out, doc))
}

fn writer(by: Option<u64>, writers: &HashMap<u64, ClientAuthor>) -> Option<Author> {
    let a = writers.get(&by?)?;
    Some(Author {
        user_id: a.user_id.clone(),
        display_name: a.display_name.clone(),
        side: a.side,
    })
}

fn block_out(b: diff::BlockDiff, writers: &HashMap<u64, ClientAuthor>) -> DiffBlock {
    let (kind, level, ordered, depth) = match b.kind {
        BlockKind::Heading { level } => (DiffBlockKind::Heading, Some(level), None, None),
        BlockKind::Paragraph => (DiffBlockKind::Paragraph, None, None, None),
        BlockKind::ListItem { ordered, depth } => {
            (DiffBlockKind::ListItem, None, Some(ordered), Some(depth))
        }
    };
    DiffBlock {
        op: match b.op {
            BlockOp::Equal => DiffBlockOp::Equal,
            BlockOp::Inserted => DiffBlockOp::Inserted,
            BlockOp::Deleted => DiffBlockOp::Deleted,
            BlockOp::Changed => DiffBlockOp::Changed,
            BlockOp::Moved => DiffBlockOp::Moved,
        },
        kind,
        level,
        ordered,
        depth,
        text: b.text,
        by: writer(b.by, writers),
        segments: b
            .segments
            .into_iter()
            .map(|s| DiffSegment {
                op: match s.op {
                    SegmentOp::Equal => DiffSegmentOp::Equal,
                    SegmentOp::Inserted => DiffSegmentOp::Inserted,
                    SegmentOp::Deleted => DiffSegmentOp::Deleted,
                },
                by: writer(s.by, writers),
                text: s.text,
            })
            .collect(),
    }
}

fn stats_out(d: &diff::DocDiff, writers: &HashMap<u64, ClientAuthor>) -> DiffStatsOut {
    let mut by_side: Vec<SideWords> = Vec::new();
    for s in d
        .blocks
        .iter()
        .flat_map(|b| &b.segments)
        .filter(|s| s.op == SegmentOp::Inserted)
    {
        let Some(side) = s.by.and_then(|c| writers.get(&c)).map(|a| a.side) else {
            continue;
        };
        let words = u32::try_from(s.text.split_whitespace().count()).unwrap_or(u32::MAX);
        match by_side.iter_mut().find(|w| w.side == side) {
            Some(w) => w.inserted_words = w.inserted_words.saturating_add(words),
            None => by_side.push(SideWords {
                side,
                inserted_words: words,
            }),
        }
    }
    DiffStatsOut {
        inserted_words: d.stats.inserted_words,
        deleted_words: d.stats.deleted_words,
        changed_blocks: d.stats.changed_blocks,
        by_side,
    }
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/diff", tag = "versions",
    params(("id" = Uuid, Path, description = "Document id"), DiffQuery),
    responses(
        (status = 200, description = "What changed from one version to another (or to the current text), block by block and word by word", body = DiffOut),
        (status = 404, description = "Unknown document or version, a version of another document, or the caller does not take part", body = Problem),
        (status = 422, description = "A parameter is missing or malformed", body = Problem)
    ))]
pub async fn diff(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Json<DiffOut>> {
    Ok(Json(compared(&state, id, &user.id, &q).await?.0))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}/diff.html", tag = "versions",
    params(("id" = Uuid, Path, description = "Document id"), DiffQuery),
    responses(
        (status = 200, description = "The comparison as an escaped HTML fragment: <ins> with a class per side, <del>", content_type = "text/html"),
        (status = 404, description = "Unknown document or version, a version of another document, or the caller does not take part", body = Problem),
        (status = 422, description = "A parameter is missing or malformed", body = Problem)
    ))]
pub async fn diff_html(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<Response> {
    let (out, _) = compared(&state, id, &user.id, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        diff_to_html(&out),
    )
        .into_response())
}

/// Every piece of text escaped; authors named in `title` and by class.
pub fn diff_to_html(d: &DiffOut) -> String {
    let mut html = String::from("<div class=\"accord-diff\">\n");
    for b in &d.blocks {
        let op = match b.op {
            DiffBlockOp::Equal => "equal",
            DiffBlockOp::Inserted => "inserted",
            DiffBlockOp::Deleted => "deleted",
            DiffBlockOp::Changed => "changed",
            DiffBlockOp::Moved => "moved",
        };
        let tag = match (b.kind, b.level) {
            (DiffBlockKind::Heading, Some(l)) => format!("h{}", l.clamp(1, 6)),
            (DiffBlockKind::ListItem, _) => "li".to_owned(),
            _ => "p".to_owned(),
        };
        html.push_str(&format!("<{tag} class=\"block {op}\">"));
        if b.segments.is_empty() {
            let text = escape_html(&b.text);
            match b.op {
                DiffBlockOp::Deleted => html.push_str(&format!("<del>{text}</del>")),
                DiffBlockOp::Inserted => html.push_str(&ins(&text, b.by.as_ref())),
                _ => html.push_str(&text),
            }
        }
        for s in &b.segments {
            let text = escape_html(&s.text);
            match s.op {
                DiffSegmentOp::Equal => html.push_str(&text),
                DiffSegmentOp::Deleted => html.push_str(&format!("<del>{text}</del>")),
                DiffSegmentOp::Inserted => html.push_str(&ins(&text, s.by.as_ref())),
            }
        }
        html.push_str(&format!("</{tag}>\n"));
    }
    html.push_str("</div>\n");
    html
}

fn ins(text: &str, by: Option<&Author>) -> String {
    match by {
        Some(a) => format!(
            "<ins class=\"side-{}\" title=\"{} ({})\">{text}</ins>",
            a.side.as_str(),
            escape_html(&a.display_name),
            a.side.as_str()
        ),
        None => format!("<ins class=\"unattributed\">{text}</ins>"),
    }
}
