//! Security headers on every response, pages and API alike.
//!
//! * `Content-Security-Policy`: scripts only from this origin, never inline
//!   (the Vite build emits none: `index.html` and `audience.html` load one
//!   module each), no plugins, no `<base>`, forms post only here, and no
//!   framing (`frame-ancestors 'none'`) except presenter pages, which the
//!   origins in `ACCORD_FRAME_ANCESTORS` may frame (a projector running
//!   slides or a streaming overlay).
//!
//!   Styles allow `'unsafe-inline'`: TipTap injects its editor stylesheet as
//!   a `<style>` element (without it ProseMirror loses `white-space:
//!   pre-wrap` and collapses typed spaces), and collaboration carets and
//!   selections carry inline colours. What inline styles could still do
//!   after an HTML injection is exfiltrate through `url()`; `default-src
//!   'self'` and `img-src 'self' data:` leave no foreign place to send it.
//! * `X-Content-Type-Options: nosniff`: a JSON or CSV body is never run as a
//!   script or rendered as HTML.
//! * `Referrer-Policy: same-origin`: invitation tokens and join codes are in
//!   URL paths (`/invite/<token>`, `/live/<code>`), so no other site may see
//!   even the origin a participant came from (which Accord a union or an
//!   employer uses is itself information). `no-referrer` would also hide the
//!   path, but browsers then send `Origin: null` on plain form posts, which
//!   `origin::refuse_foreign_origin` refuses.
//! * `Strict-Transport-Security` only when `ACCORD_PUBLIC_URL` is https:
//!   on plain http it would promise what the server does not keep. One year,
//!   without `includeSubDomains`, since the other hosts of the domain are
//!   not this deployment's to commit.

use crate::config::PublicUrl;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Who may frame the presenter view.
#[derive(Debug, Clone, clap::Args)]
pub struct FramingArgs {
    /// Origins that may frame presenter pages (/roundtables/<id>/present),
    /// separated by spaces or commas, e.g. `https://slides.example.org`.
    /// Unset: no page may be framed.
    #[arg(long, env = "ACCORD_FRAME_ANCESTORS")]
    pub frame_ancestors: Option<String>,
}

const HSTS: &str = "max-age=31536000";

/// The policies, built once at start-up.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    page: HeaderValue,
    presenter: HeaderValue,
    hsts: bool,
}

/// Checks one `ACCORD_FRAME_ANCESTORS` entry: `'self'` or an http(s) origin,
/// optionally with a `*.` host wildcard. Anything else could end the
/// directive early (`;`) or widen it (`*`, a bare scheme).
fn frame_ancestor(entry: &str) -> Result<&str, String> {
    let refuse = || {
        format!(
            "ACCORD_FRAME_ANCESTORS: {entry:?} is not an origin like https://slides.example.org"
        )
    };
    if entry == "'self'" {
        return Ok(entry);
    }
    let rest = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .ok_or_else(refuse)?;
    let host = match rest.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return Err(refuse()),
        None => rest,
    };
    let bare = host.strip_prefix("*.").unwrap_or(host);
    let label_ok =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if bare.split('.').all(label_ok) {
        Ok(entry)
    } else {
        Err(refuse())
    }
}

impl SecurityHeaders {
    pub fn new(framing: &FramingArgs, public_url: Option<&PublicUrl>) -> Result<Self, String> {
        let ancestors = framing
            .frame_ancestors
            .as_deref()
            .unwrap_or_default()
            .split([' ', ','])
            .filter(|e| !e.is_empty())
            .map(frame_ancestor)
            .collect::<Result<Vec<_>, _>>()?;
        // CSP 3 lets 'self' cover this host's ws:/wss:, but older Safari does
        // not; the configured origin's socket scheme is named as well.
        let socket = public_url
            .map(|p| {
                let ws = p
                    .origin
                    .replacen("https://", "wss://", 1)
                    .replacen("http://", "ws://", 1);
                format!(" {ws}")
            })
            .unwrap_or_default();
        let policy = |frame_ancestors: &str| {
            format!(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; connect-src 'self'{socket}; object-src 'none'; \
                 base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
            )
        };
        let value = |s: String| HeaderValue::from_str(&s).map_err(|e| e.to_string());
        let presenter = if ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            ancestors.join(" ")
        };
        Ok(SecurityHeaders {
            page: value(policy("'none'"))?,
            presenter: value(policy(&presenter))?,
            hsts: public_url.is_some_and(PublicUrl::is_https),
        })
    }
}

/// `/roundtables/<id>/present`, the page shown on a projector.
fn is_presenter_page(path: &str) -> bool {
    let mut parts = path.trim_end_matches('/').split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(""), Some("roundtables"), Some(id), Some("present"), None) if !id.is_empty()
    )
}

/// A route that sets its own policy (the document HTML export) keeps it.
async fn content_security_policy(
    State(headers): State<Arc<SecurityHeaders>>,
    req: Request,
    next: Next,
) -> Response {
    let presenter = is_presenter_page(req.uri().path());
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| {
            if presenter {
                headers.presenter.clone()
            } else {
                headers.page.clone()
            }
        });
    res
}

/// The router with every security header on its responses, including the
/// refusals of layers inside it.
pub fn apply(router: Router, headers: SecurityHeaders) -> Router {
    let hsts = headers.hsts;
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(headers),
            content_security_policy,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ));
    if hsts {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        ))
    } else {
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framing(v: &str) -> FramingArgs {
        FramingArgs {
            frame_ancestors: Some(v.into()),
        }
    }

    #[test]
    fn frame_ancestors_are_origins_only() {
        for ok in [
            "https://slides.example.org",
            "http://127.0.0.1:9000",
            "https://*.example.org",
            "'self'",
        ] {
            assert_eq!(frame_ancestor(ok), Ok(ok));
        }
        for bad in [
            "*",
            "https:",
            "https://",
            "https://a.org/path",
            "https://a.org; script-src *",
            "'unsafe-inline'",
            "javascript:alert(1)",
            "https://a.org:",
            "https://a..org",
        ] {
            assert!(frame_ancestor(bad).is_err(), "{bad}");
        }
        let h = SecurityHeaders::new(&framing("https://a.org, https://b.org"), None).unwrap();
        let p = h.presenter.to_str().unwrap();
        assert!(
            p.ends_with("frame-ancestors https://a.org https://b.org"),
            "{p}"
        );
        assert!(h.page.to_str().unwrap().ends_with("frame-ancestors 'none'"));
        assert!(SecurityHeaders::new(&framing("https://a.org;x"), None).is_err());
    }

    #[test]
    fn presenter_pages() {
        assert!(is_presenter_page("/roundtables/abc/present"));
        assert!(is_presenter_page("/roundtables/abc/present/"));
        assert!(!is_presenter_page("/roundtables/abc"));
        assert!(!is_presenter_page("/roundtables//present"));
        assert!(!is_presenter_page("/roundtables/abc/present/x"));
        assert!(!is_presenter_page("/api/v1/roundtables/abc/present"));
    }

    #[test]
    fn hsts_and_sockets_follow_the_public_url() {
        let none = FramingArgs {
            frame_ancestors: None,
        };
        let https = PublicUrl::parse("https://accord.example.org").unwrap();
        let h = SecurityHeaders::new(&none, Some(&https)).unwrap();
        assert!(h.hsts);
        assert!(h
            .page
            .to_str()
            .unwrap()
            .contains("connect-src 'self' wss://accord.example.org;"));
        let http = PublicUrl::parse("http://127.0.0.1:8080").unwrap();
        assert!(!SecurityHeaders::new(&none, Some(&http)).unwrap().hsts);
        assert!(!SecurityHeaders::new(&none, None).unwrap().hsts);
    }
}
