//! Registration, sign-in, sign-out and the current user.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorKind, FieldError, Problem};
use crate::extract::{ApiJson, ClientIp, CurrentUser};
use crate::rate_limit::{address_key, check};
use crate::sessions;
use accord_domain::account;
use accord_realtime::rights::Subject;
use accord_store::{NewUser, StoreError, User};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    /// At most 254 bytes of UTF-8 once lower-cased.
    #[schema(
        max_length = 254,
        pattern = r"^[^\s\u0000-\u001f\u007f-\u009f]+@[^\s@.\u0000-\u001f\u007f-\u009f](?:[^\s@\u0000-\u001f\u007f-\u009f]*[^\s@.\u0000-\u001f\u007f-\u009f])?$"
    )]
    pub email: String,
    #[schema(min_length = 10, max_length = 256)]
    pub password: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029][^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$"
    )]
    pub display_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    #[schema(max_length = 256)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub email: String,
    pub display_name: String,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
        }
    }
}

/// Starts a session for `user` and answers with its cookie.
async fn signed_in(state: &AppState, status: StatusCode, user: User) -> ApiResult<Response> {
    let token = sessions::new_token();
    let now = sessions::now();
    state
        .store
        .create_session(
            &sessions::hash_token(&token),
            &user.id,
            now,
            now + sessions::SESSION_TTL_SECS,
        )
        .await?;
    let cookie = sessions::cookie(Some(&token), state.secure_cookies());
    Ok((
        status,
        [(header::SET_COOKIE, cookie)],
        Json(UserOut::from(user)),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses(
        (status = 201, description = "Account created and signed in", body = UserOut),
        (status = 409, description = "Email already registered", body = Problem),
        (status = 422, description = "Invalid field", body = Problem),
        (status = 429, description = "Rate limited", body = Problem)
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RegisterBody>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| {
        errors.push(FieldError {
            field: name.to_owned(),
            message,
        })
    };
    let email = account::normalise_email(&body.email);
    if email.is_none() {
        field("email", "is not a valid email address".into());
    }
    let display_name = account::display_name(&body.display_name)
        .map_err(|m| field("display_name", m.into()))
        .ok();
    if let Err(e) = account::check_password(&body.password) {
        field("password", e.to_string());
    }
    let (Some(email), Some(display_name), true) = (email, display_name, errors.is_empty()) else {
        return Err(ApiError::invalid_fields(errors));
    };
    check(&state.limits.register_ip, &address_key(ip))?;
    state.limits.account_attempt(&email, ip)?;
    let password_hash = state
        .passwords
        .hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let new = NewUser {
        id: uuid::Uuid::new_v4().to_string(),
        email,
        display_name,
        password_hash,
        created_at: sessions::now(),
    };
    let user = match state.store.create_user(&new).await {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                ErrorKind::EmailTaken,
                "An account with this email already exists. Sign in instead.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    signed_in(&state, StatusCode::CREATED, user).await
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; sets the session cookie", body = UserOut),
        (status = 401, description = "Wrong email or password (never says which)", body = Problem),
        (status = 429, description = "Rate limited", body = Problem)
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let invalid = || {
        ApiError::new(ErrorKind::InvalidCredentials).detail("The email or password is not correct.")
    };
    check(&state.limits.login_ip, &address_key(ip))?;
    // Unparseable addresses share one bucket, so they cannot dodge the limit.
    let email = account::normalise_email(&body.email).unwrap_or_default();
    state.limits.account_attempt(&email, ip)?;
    if body.password.chars().count() > account::PASSWORD_MAX {
        return Err(invalid());
    }
    let found = if email.is_empty() {
        None
    } else {
        state.store.user_with_password(&email).await?
    };
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    let ok = state
        .passwords
        .verify(body.password, hash)
        .await
        .map_err(ApiError::internal)?;
    match user {
        Some(user) if ok => signed_in(&state, StatusCode::OK, user).await,
        _ => Err(invalid()),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out; the session is revoked server-side")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(token) = sessions::token_from_headers(&headers) {
        let hash = sessions::hash_token(&token);
        state.store.delete_session(&hash).await?;
        state.rights.changed(Subject::Session(hash)).await;
    }
    let cookie = sessions::cookie(None, state.secure_cookies());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = UserOut),
        (status = 401, description = "Not signed in", body = Problem)
    ))]
pub async fn me(CurrentUser(user): CurrentUser) -> Json<UserOut> {
    Json(user.into())
}
