//! The HTTP error type: every error leaves as RFC 9457 `application/problem+json`.
//!
//! `type` is a stable URN (`urn:accord:problem:<slug>`) clients can match on.
//! Internal errors never carry their text to the client; the `log_internal_errors`
//! middleware logs it inside the request span.

use accord_realtime::wire::ErrorCode;
use accord_store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every kind of error the API and the event socket report. Each knows its
/// problem slug (`urn:accord:problem:<slug>`), its HTTP status, its title
/// and the event socket's error code, so no layer maps one to another by
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    MalformedJson,
    UnreadableBody,
    UnsupportedMediaType,
    PayloadTooLarge,
    RequestTimeout,
    MethodNotAllowed,
    UpgradeRequired,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    NotFound,
    Validation,
    UnknownOption,
    TooManyChoices,
    InvalidBallot,
    Conflict,
    EmailTaken,
    AlreadyParticipant,
    LastFacilitator,
    PollNotOpen,
    PollStatus,
    AlreadyVoted,
    InvitationUnusable,
    SessionEnded,
    HashMismatch,
    AgreementClosed,
    NotInElectorate,
    EmptySide,
    RateLimited,
    NotReady,
    Internal,
}

impl ErrorKind {
    /// Every kind, so the OpenAPI document can list every problem `type`
    /// (the web translates each from it; a web test fails on a missing one).
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::MalformedJson,
        ErrorKind::UnreadableBody,
        ErrorKind::UnsupportedMediaType,
        ErrorKind::PayloadTooLarge,
        ErrorKind::RequestTimeout,
        ErrorKind::MethodNotAllowed,
        ErrorKind::UpgradeRequired,
        ErrorKind::Unauthenticated,
        ErrorKind::InvalidCredentials,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Validation,
        ErrorKind::UnknownOption,
        ErrorKind::TooManyChoices,
        ErrorKind::InvalidBallot,
        ErrorKind::Conflict,
        ErrorKind::EmailTaken,
        ErrorKind::AlreadyParticipant,
        ErrorKind::LastFacilitator,
        ErrorKind::PollNotOpen,
        ErrorKind::PollStatus,
        ErrorKind::AlreadyVoted,
        ErrorKind::InvitationUnusable,
        ErrorKind::SessionEnded,
        ErrorKind::HashMismatch,
        ErrorKind::AgreementClosed,
        ErrorKind::NotInElectorate,
        ErrorKind::EmptySide,
        ErrorKind::RateLimited,
        ErrorKind::NotReady,
        ErrorKind::Internal,
    ];

    /// (slug, HTTP status, title, event-socket code).
    fn parts(self) -> (&'static str, StatusCode, &'static str, ErrorCode) {
        use ErrorCode as C;
        use ErrorKind as K;
        use StatusCode as S;
        match self {
            K::MalformedJson => (
                "malformed-json",
                S::BAD_REQUEST,
                "Bad request",
                C::Malformed,
            ),
            K::UnreadableBody => (
                "unreadable-body",
                S::BAD_REQUEST,
                "Bad request",
                C::Malformed,
            ),
            K::UnsupportedMediaType => (
                "unsupported-media-type",
                S::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                C::Malformed,
            ),
            K::PayloadTooLarge => (
                "payload-too-large",
                S::PAYLOAD_TOO_LARGE,
                "Request body too large",
                C::Malformed,
            ),
            K::RequestTimeout => (
                "request-timeout",
                S::REQUEST_TIMEOUT,
                "Request body too slow",
                C::Malformed,
            ),
            K::MethodNotAllowed => (
                "method-not-allowed",
                S::METHOD_NOT_ALLOWED,
                "Method not allowed",
                C::Malformed,
            ),
            K::UpgradeRequired => (
                "upgrade-required",
                S::UPGRADE_REQUIRED,
                "WebSocket upgrade required",
                C::Malformed,
            ),
            K::Unauthenticated => (
                "unauthenticated",
                S::UNAUTHORIZED,
                "Sign in required",
                C::Forbidden,
            ),
            K::InvalidCredentials => (
                "invalid-credentials",
                S::UNAUTHORIZED,
                "Wrong email or password",
                C::Forbidden,
            ),
            K::Forbidden => ("forbidden", S::FORBIDDEN, "Not allowed", C::Forbidden),
            K::NotFound => ("not-found", S::NOT_FOUND, "Not found", C::UnknownPoll),
            K::Validation => (
                "validation",
                S::UNPROCESSABLE_ENTITY,
                "Invalid request",
                C::InvalidBallot,
            ),
            K::UnknownOption => (
                "unknown-option",
                S::UNPROCESSABLE_ENTITY,
                "Invalid ballot",
                C::UnknownOption,
            ),
            K::TooManyChoices => (
                "too-many-choices",
                S::UNPROCESSABLE_ENTITY,
                "Invalid ballot",
                C::TooManyChoices,
            ),
            K::InvalidBallot => (
                "invalid-ballot",
                S::UNPROCESSABLE_ENTITY,
                "Invalid ballot",
                C::InvalidBallot,
            ),
            K::Conflict => ("conflict", S::CONFLICT, "Conflict", C::Unavailable),
            K::EmailTaken => ("email-taken", S::CONFLICT, "Conflict", C::Unavailable),
            K::AlreadyParticipant => (
                "already-participant",
                S::CONFLICT,
                "Conflict",
                C::Unavailable,
            ),
            K::LastFacilitator => ("last-facilitator", S::CONFLICT, "Conflict", C::Unavailable),
            K::PollNotOpen => ("poll-not-open", S::CONFLICT, "Conflict", C::PollNotOpen),
            K::PollStatus => ("poll-status", S::CONFLICT, "Conflict", C::PollNotOpen),
            K::AlreadyVoted => ("already-voted", S::CONFLICT, "Conflict", C::AlreadyVoted),
            K::InvitationUnusable => (
                "invitation-unusable",
                S::GONE,
                "Invitation no longer valid",
                C::Unavailable,
            ),
            K::SessionEnded => ("session-ended", S::GONE, "Session ended", C::Unavailable),
            K::HashMismatch => (
                "version-hash-mismatch",
                S::CONFLICT,
                "Not the version under agreement",
                C::Unavailable,
            ),
            K::AgreementClosed => (
                "agreement-closed",
                S::CONFLICT,
                "The agreement is closed",
                C::Unavailable,
            ),
            K::NotInElectorate => (
                "not-in-electorate",
                S::FORBIDDEN,
                "Not allowed",
                C::Forbidden,
            ),
            K::EmptySide => (
                "empty-side",
                S::UNPROCESSABLE_ENTITY,
                "Nothing to agree",
                C::Unavailable,
            ),
            K::RateLimited => (
                "rate-limited",
                S::TOO_MANY_REQUESTS,
                "Too many requests",
                C::RateLimited,
            ),
            K::NotReady => (
                "not-ready",
                S::SERVICE_UNAVAILABLE,
                "Database unreachable",
                C::Unavailable,
            ),
            K::Internal => (
                "internal",
                S::INTERNAL_SERVER_ERROR,
                "Internal error",
                C::Unavailable,
            ),
        }
    }

    /// The problem's `type`: `urn:accord:problem:<slug>`.
    pub fn type_urn(self) -> String {
        format!("urn:accord:problem:{}", self.slug())
    }

    pub fn slug(self) -> &'static str {
        self.parts().0
    }

    pub fn status(self) -> StatusCode {
        self.parts().1
    }

    pub fn title(self) -> &'static str {
        self.parts().2
    }

    /// The event socket's `code` for this error.
    pub fn socket_code(self) -> ErrorCode {
        self.parts().3
    }
}

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
    kind: ErrorKind,
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
    pub fn new(kind: ErrorKind) -> Self {
        ApiError(Box::new(Inner {
            kind,
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
        self.0.kind.status()
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound)
    }

    pub fn unauthorized() -> Self {
        Self::new(ErrorKind::Unauthenticated)
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(ErrorKind::Forbidden).detail(detail)
    }

    pub fn conflict(kind: ErrorKind, detail: &str) -> Self {
        Self::new(kind).detail(detail)
    }

    pub fn bad_request(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self::new(kind).detail(detail)
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
        let mut e = Self::new(ErrorKind::Validation).detail(detail);
        e.0.errors = errors;
        e
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(ErrorKind::RateLimited)
            .detail(format!("Try again in {retry_after_secs} seconds."));
        e.0.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(ErrorKind::Internal);
        e.0.internal = Some(cause.to_string());
        e
    }

    pub fn problem(&self) -> Problem {
        let e = &self.0;
        Problem {
            kind: e.kind.type_urn(),
            title: e.kind.title().to_owned(),
            status: e.kind.status().as_u16(),
            detail: e.detail.clone(),
            errors: e.errors.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict("last_facilitator") => ApiError::conflict(
                ErrorKind::LastFacilitator,
                "A roundtable must keep at least one facilitator.",
            ),
            StoreError::Conflict(what) => {
                ApiError::conflict(ErrorKind::Conflict, &format!("{what} already exists"))
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let e = *self.0;
        let mut res = (e.kind.status(), body).into_response();
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
    fn every_kind_has_its_own_slug() {
        let mut slugs: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.slug()).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), ErrorKind::ALL.len());
        for k in ErrorKind::ALL {
            assert!(k.status().is_client_error() || k.status().is_server_error());
        }
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
