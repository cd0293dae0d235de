//! The HTTP error type: every error leaves as RFC 9457 `application/problem+json`.
//!
//! `type` is a stable URN (`urn:accord:problem:<slug>`) clients can match on.
//! Internal errors never carry their text to the client; the `log_internal_errors`
//! middleware logs it inside the request span.

use accord_store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Boxed so that `Result<T, ApiError>` stays small on every handler's happy path.
#[derive(Debug)]
pub struct ApiError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: Option<String>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    internal: Option<String>,
}

/// Marks a response that hid an internal error, so middleware can log it.
#[derive(Debug, Clone)]
pub struct InternalError(pub String);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, slug: &'static str, title: &'static str) -> Self {
        ApiError(Box::new(Inner {
            status,
            slug,
            title,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            internal: None,
        }))
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found")
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in required",
        )
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed").detail(detail)
    }

    pub fn conflict(slug: &'static str, detail: &str) -> Self {
        Self::new(StatusCode::CONFLICT, slug, "Conflict").detail(detail)
    }

    pub fn bad_request(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, slug, "Bad request").detail(detail)
    }

    /// A 422 naming the invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// A 422 naming every invalid field at once.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid request",
        )
        .detail(detail);
        e.0.errors = errors;
        e
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .detail(format!("Try again in {retry_after_secs} seconds."));
        e.0.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        );
        e.0.internal = Some(cause.to_string());
        e
    }

    pub fn problem(&self) -> Problem {
        let e = &self.0;
        Problem {
            kind: format!("urn:accord:problem:{}", e.slug),
            title: e.title.to_owned(),
            status: e.status.as_u16(),
            detail: e.detail.clone(),
            errors: e.errors.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict("last_facilitator") => ApiError::conflict(
                "last-facilitator",
                "A roundtable must keep at least one facilitator.",
            ),
            StoreError::Conflict(what) => {
                ApiError::conflict("conflict", &format!("{what} already exists"))
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let e = *self.0;
        let mut res = (e.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = e.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(cause) = e.internal {
            res.extensions_mut().insert(InternalError(cause));
        }
        res
    }
}

/// Logs the hidden cause of every 5xx inside the request's span.
pub async fn log_internal_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    if let Some(InternalError(cause)) = res.extensions().get::<InternalError>() {
        tracing::error!(%cause, "request failed");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_shape() {
        let p = ApiError::invalid("email", "is not an address").problem();
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:accord:problem:validation");
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["field"], "email");
    }

    #[test]
    fn internal_text_stays_inside() {
        let res = ApiError::internal("password=hunter2 in SQL").into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.extensions().get::<InternalError>().is_some());
        let p = ApiError::internal("secret").problem();
        assert!(p.detail.is_none());
    }
}
