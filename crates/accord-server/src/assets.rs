//! The web UI, embedded in the binary from `web/dist` at build time.
//!
//! Every GET outside `/api` that names no file gets `index.html`, so the
//! browser's router handles deep links. Unknown `/api` paths are problem+json 404s.

use crate::error::{ApiError, ErrorKind};
use axum::http::{header, Method, Uri};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct WebAssets;

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Accord</title></head><body><main><h1>Accord</h1><p>The web UI was not built into \
this binary. Build and run everything with <code>cargo xtask run</code>.</p></main></body></html>";

fn file(path: &str) -> Option<Response> {
    let asset = WebAssets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    // Vite puts content hashes in names under assets/; everything else may change.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                (header::CACHE_CONTROL, cache.to_owned()),
            ],
            asset.data,
        )
            .into_response(),
    )
}

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return ApiError::not_found().into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(ErrorKind::MethodNotAllowed).into_response();
    }
    if !path.is_empty() {
        if let Some(res) = file(path) {
            return res;
        }
        if path.starts_with("assets/") {
            return ApiError::not_found().into_response();
        }
    }
    // The conference audience gets its own light page.
    if path == "live" || path.starts_with("live/") {
        if let Some(res) = file("audience.html") {
            return res;
        }
    }
    file("index.html").unwrap_or_else(|| Html(NOT_BUILT).into_response())
}
