//! Refuses state-changing requests from foreign origins (CSRF defence in depth
//! beside SameSite=Lax cookies). WebSocket upgrades call [`check`] themselves.

use crate::app::AppState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// `Ok` when the request carries no foreign `Origin` (or `Sec-Fetch-Site`).
/// The allowed origin is the configured public URL's; without one, the
/// origin must name the host the request was sent to.
pub fn check(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), ApiError> {
    let refuse = || ApiError::forbidden("Requests from another site are refused.");
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(refuse());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Non-browser clients send no Origin; browsers always do on POST.
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refuse())?.to_ascii_lowercase();
    let allowed = match public_origin {
        Some(p) => origin == p,
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_ascii_lowercase);
            host.is_some_and(|h| {
                origin == format!("http://{h}") || origin == format!("https://{h}")
            })
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(refuse())
    }
}

pub async fn refuse_foreign_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let public = state.public_url.as_ref().map(|p| p.origin.as_str());
        if let Err(e) = check(req.headers(), public) {
            return e.into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn origins() {
        let p = Some("https://accord.example.org");
        assert!(check(&headers(&[]), p).is_ok());
        assert!(check(&headers(&[("origin", "https://accord.example.org")]), p).is_ok());
        assert!(check(&headers(&[("origin", "https://evil.example")]), p).is_err());
        assert!(check(&headers(&[("sec-fetch-site", "cross-site")]), p).is_err());
        let h = headers(&[
            ("origin", "http://127.0.0.1:9000"),
            ("host", "127.0.0.1:9000"),
        ]);
        assert!(check(&h, None).is_ok());
        let h = headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:9000"),
        ]);
        assert!(check(&h, None).is_err());
        assert!(check(&headers(&[("origin", "null")]), None).is_err());
    }
}
