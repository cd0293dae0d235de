//! Request extractors whose rejections are problem+json, never axum's plain text.

use crate::app::AppState;
use crate::error::{ApiError, ErrorKind};
use crate::sessions;
use accord_store::User;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// JSON body; malformed JSON is a 400, wrong types a 422, oversize a 413.
/// Every body of this API is a JSON object: serde would otherwise read a
/// struct from an array of its fields' values (`[null, null]`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if !value.is_object() {
            return Err(ApiError::invalid("body", "must be a JSON object"));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                if path == "." {
                    ApiError::invalid("body", message)
                } else {
                    ApiError::invalid(&path, message)
                }
            })
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            // serde_path_to_error renders "<path>: <message>"; name the field.
            let text = e.body_text();
            let text = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text);
            match text.split_once(": ") {
                Some((path, message)) if !path.contains(' ') => ApiError::invalid(path, message),
                _ => ApiError::invalid("body", text),
            }
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::bad_request(ErrorKind::MalformedJson, e.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(ErrorKind::UnsupportedMediaType)
            .detail("Send the body as application/json."),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorKind::PayloadTooLarge).detail(other.body_text())
        }
        other => ApiError::bad_request(ErrorKind::UnreadableBody, other.body_text()),
    }
}

/// A WebSocket upgrade; a plain GET (or a broken handshake) is a 426
/// problem, not axum's plain-text 400.
pub struct ApiWebSocket(pub axum::extract::ws::WebSocketUpgrade);

impl<S: Send + Sync> FromRequestParts<S> for ApiWebSocket {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map(ApiWebSocket)
            .map_err(|e| ApiError::new(ErrorKind::UpgradeRequired).detail(e.body_text()))
    }
}

/// Path parameters; one that does not parse names nothing that exists: 404.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::not_found()),
            Err(e) => Err(ApiError::internal(e.body_text())),
        }
    }
}

/// Query parameters; one that is missing or does not parse is a 422 that
/// says which.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| ApiError::new(ErrorKind::Validation).detail(e.body_text()))
    }
}

/// The signed-in user, from the session cookie. 401 when absent or expired.
pub struct CurrentUser(pub User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token =
            sessions::token_from_headers(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let user = state
            .store
            .session_user(&sessions::hash_token(&token), sessions::now())
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        tracing::Span::current().record("user_id", user.id.as_str());
        Ok(CurrentUser(user))
    }
}

/// The peer's IP address (the direct TCP peer; no proxy headers are trusted).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| ClientIp(addr.ip()))
            .ok_or_else(|| ApiError::internal("no peer address on the connection"))
    }
}
