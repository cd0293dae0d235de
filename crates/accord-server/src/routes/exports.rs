//! A version's exact text as a file: Markdown, a standalone HTML page,
//! DOCX and PDF (rendered by `accord-export`). An agreed version carries its
//! agreement page in every format: the rule, who took which position, the
//! version's SHA-256 and the seal.

use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, ApiQuery, CurrentUser};
use accord_domain::agreement::AgreementState;
use accord_domain::document::Document;
use accord_domain::Action;
use accord_export::{AgreementPage, Export, Lang, PositionLine, VersionInfo};
use accord_realtime::wire::rfc3339;
use accord_store::{AgreementRecord, StoredVersion};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `en` or `da`: the language of the header and the agreement page
    /// (default: the browser's `Accept-Language`, else English).
    pub lang: Option<String>,
}

/// The export's language: `?lang=`, else the first of `Accept-Language`
/// that is English or Danish, else English.
pub fn language(q: Option<&str>, headers: &HeaderMap) -> Lang {
    if let Some(l) = q.and_then(Lang::from_code) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|part| Lang::from_code(part.split(';').next().unwrap_or("")))
        .next()
        .unwrap_or_default()
}

/// The agreement page of an agreed agreement.
pub fn agreement_page(r: &AgreementRecord) -> AgreementPage {
    let a = &r.agreement;
    let by_id: std::collections::HashMap<&str, &accord_store::AgreementVoter> =
        r.voters.iter().map(|v| (v.user_id.as_str(), v)).collect();
    AgreementPage {
        quorum: a.rule.quorum,
        objections_block: a.rule.objections_block,
        state: a.state,
        proposed_at: rfc3339(a.created_at),
        decided_at: a.decided_at.map(rfc3339),
        electorate: a.electorate,
        positions: r
            .sealed_positions()
            .iter()
            .filter_map(|p| {
                let v = by_id.get(p.user_id.as_str())?;
                Some(PositionLine {
                    name: v.display_name.clone(),
                    organisation: v.organisation.clone(),
                    side: p.side,
                    position: p.position,
                    at: rfc3339(p.at),
                    reason: v.reason.clone(),
                })
            })
            .collect(),
        seal: a.seal.clone(),
    }
}

/// Everything an export of one version reads, checked against the caller.
struct Exported {
    info: VersionInfo,
    tree: Document,
    markdown: String,
    agreement: Option<AgreementPage>,
}

async fn exported(state: &AppState, id: Uuid, user_id: &str) -> ApiResult<Exported> {
    let StoredVersion {
        summary,
        tree,
        markdown,
        ..
    } = state
        .store
        .version(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let doc = state
        .store
        .document(&summary.document_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&doc.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, user_id).await?;
    require(&me, Action::View)?;
    let roundtable = state
        .store
        .roundtable(&doc.roundtable_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    // The newest agreement that agreed this version, if any.
    let agreed = state
        .store
        .agreements_of_version(&summary.id)
        .await?
        .into_iter()
        .find(|a| a.state == AgreementState::Agreed);
    let agreement = match agreed {
        Some(a) => state
            .store
            .agreement(&a.id)
            .await?
            .map(|r| agreement_page(&r)),
        None => None,
    };
    let tree: Document = serde_json::from_str(&tree).map_err(ApiError::internal)?;
    Ok(Exported {
        info: VersionInfo {
            document_title: doc.title,
            roundtable_title: roundtable.title,
            number: summary.number,
            name: summary.name,
            sha256: summary.sha256,
            created_at: rfc3339(summary.created_at),
            words: summary.words,
        },
        tree,
        markdown,
        agreement,
    })
}

/// `Content-Disposition: attachment` naming the file `<stem><suffix>.<ext>`:
/// ASCII letters and digits of the stem kept, the rest as `-` (at most 80),
/// and the whole UTF-8 name in `filename*` (RFC 6266).
pub fn attachment_name(stem: &str, suffix: &str, ext: &str) -> HeaderValue {
    disposition("attachment", stem, suffix, ext)
}

fn disposition(kind: &str, stem: &str, suffix: &str, ext: &str) -> HeaderValue {
    let stem: String = stem.chars().take(80).collect();
    let ascii: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let ascii = if ascii.is_empty() {
        "document".to_owned()
    } else {
        ascii
    };
    let utf8: String = format!("{}{suffix}.{ext}", stem.trim())
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}{suffix}.{ext}\"; filename*=UTF-8''{utf8}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn version_disposition(kind: &str, info: &VersionInfo, ext: &str) -> HeaderValue {
    disposition(
        kind,
        &info.document_title,
        &format!("-v{}", info.number),
        ext,
    )
}

/// A rendered export with its type and name.
fn file(e: &Exported, content_type: &'static str, ext: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                version_disposition("attachment", &e.info, ext),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        body,
    )
        .into_response()
}

/// The version `id` as the caller may read it, rendered by `f` in the
/// language the query or the browser asks for.
async fn rendered<T: Send + 'static>(
    state: &AppState,
    id: Uuid,
    user_id: &str,
    q: &ExportQuery,
    headers: &HeaderMap,
    f: fn(&Export) -> Result<T, accord_export::ExportError>,
) -> ApiResult<(Exported, T)> {
    let e = exported(state, id, user_id).await?;
    render(e, language(q.lang.as_deref(), headers), f).await
}

/// The export of `e` in `lang`, on a blocking thread (a 30,000-word PDF
/// takes a while and must not hold an async worker).
async fn render<T: Send + 'static>(
    e: Exported,
    lang: Lang,
    f: fn(&Export) -> Result<T, accord_export::ExportError>,
) -> ApiResult<(Exported, T)> {
    tokio::task::spawn_blocking(move || {
        let out = f(&Export {
            info: &e.info,
            tree: &e.tree,
            markdown: &e.markdown,
            agreement: e.agreement.as_ref(),
            lang,
        });
        out.map(|o| (e, o))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/api/v1/versions/{id}/export.md", tag = "exports",
    params(("id" = Uuid, Path, description = "Version id"), ExportQuery),
    responses(
        (status = 200, description = "The version's exact Markdown (its SHA-256 is the version's), then for an agreed version a separator line and the agreement page", content_type = "text/markdown"),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn markdown(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (e, text) = rendered(&state, id, &user.id, &q, &headers, |x| {
        Ok(accord_export::markdown(x))
    })
    .await?;
    Ok(file(
        &e,
        "text/markdown; charset=utf-8",
        "md",
        text.into_bytes(),
    ))
}

#[utoipa::path(get, path = "/api/v1/versions/{id}/export.html", tag = "exports",
    params(("id" = Uuid, Path, description = "Version id"), ExportQuery),
    responses(
        (status = 200, description = "A complete, print-friendly HTML page of the version (and its agreement page)", content_type = "text/html"),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn html(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (e, page) = rendered(&state, id, &user.id, &q, &headers, |x| {
        Ok(accord_export::html_page(x))
    })
    .await?;
    Ok(html_response(
        page,
        Some(version_disposition("inline", &e.info, "html")),
    ))
}

/// A standalone export page: its own inline style, nothing else may load.
pub fn html_response(page: String, disposition: Option<HeaderValue>) -> Response {
    let mut res = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                ),
            ),
        ],
        page,
    )
        .into_response();
    if let Some(d) = disposition {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, d);
    }
    res
}

#[utoipa::path(get, path = "/api/v1/versions/{id}/export.docx", tag = "exports",
    params(("id" = Uuid, Path, description = "Version id"), ExportQuery),
    responses(
        (status = 200, description = "The version as a Word document (headings, lists, bold/italic, links), with its agreement page", content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn docx(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (e, bytes) = rendered(&state, id, &user.id, &q, &headers, accord_export::docx).await?;
    Ok(file(
        &e,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        bytes,
    ))
}

#[utoipa::path(get, path = "/api/v1/versions/{id}/export.pdf", tag = "exports",
    params(("id" = Uuid, Path, description = "Version id"), ExportQuery),
    responses(
        (status = 200, description = "The version as a PDF (fonts embedded, page numbers, title and version in the header), with its agreement page", content_type = "application/pdf"),
        (status = 404, description = "Unknown version, or the caller does not take part", body = Problem)
    ))]
pub async fn pdf(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (e, bytes) = rendered(&state, id, &user.id, &q, &headers, accord_export::pdf).await?;
    Ok(file(&e, "application/pdf", "pdf", bytes))
}
