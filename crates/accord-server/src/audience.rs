//! The conference audience: anonymous members known by a random cookie token
//! (hashed with SHA-256, never argon2: joins must stay cheap at venue scale),
//! and the caller of routes open to participants and audience alike.

use crate::app::AppState;
use crate::error::ApiError;
use crate::sessions;
use accord_store::{AudienceMember, User, Voter};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE_NAME: &str = "accord_audience";
/// Join codes: no 0/O, 1/I/L, so they can be read off a slide and typed on a phone.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 6;

/// A fresh join code (31^6 ≈ 887 million codes).
pub fn new_join_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Upper-cases and drops spaces and dashes, so "abc-123" finds "ABC123".
pub fn normalise_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

pub fn cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The audience member of an unexpired live session, if the cookie names one.
pub async fn member(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<AudienceMember>, ApiError> {
    Ok(member_and_token(state, headers).await?.map(|(m, _)| m))
}

/// [`member`], with the cookie's token (to send the same cookie back).
pub async fn member_and_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(AudienceMember, String)>, ApiError> {
    let Some(t) = sessions::token_cookie(headers, COOKIE_NAME) else {
        return Ok(None);
    };
    let m = state
        .store
        .audience_member_by_token(&sessions::hash_token(&t))
        .await?;
    Ok(m.filter(|m| m.session_ended_at.is_none()).map(|m| (m, t)))
}

/// Whoever is calling: a signed-in user (preferred) or an audience member.
pub enum Caller {
    User(User),
    Audience(AudienceMember),
}

impl Caller {
    pub fn voter(&self) -> Voter {
        match self {
            Caller::User(u) => Voter::User(u.id.clone()),
            Caller::Audience(m) => Voter::Audience(m.id.clone()),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(t) = sessions::token_from_headers(&parts.headers) {
            if let Some(u) = state
                .store
                .session_user(&sessions::hash_token(&t), sessions::now())
                .await?
            {
                return Ok(Caller::User(u));
            }
        }
        match member(state, &parts.headers).await? {
            Some(m) => Ok(Caller::Audience(m)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// Failed join attempts per IP address. Only failures count, so a whole
/// venue behind one NAT address joins freely while code guessing is slowed.
#[derive(Default)]
pub struct JoinGuard {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

const FAILURE_WINDOW: Duration = Duration::from_secs(60);
const MAX_FAILURES: u32 = 30;

impl JoinGuard {
    /// Seconds to wait when this address has failed too often recently.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (n, since) = map.get(&ip)?;
        let left = FAILURE_WINDOW.checked_sub(since.elapsed())?;
        (*n >= MAX_FAILURES).then(|| left.as_secs().max(1))
    }

    pub fn failed(&self, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() > FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub fn prune(&self) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, since)| since.elapsed() <= FAILURE_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let c = new_join_code();
        assert_eq!(normalise_code(&c), Some(c.clone()));
        assert_eq!(
            normalise_code(&format!(" {}-{} ", &c[..3].to_lowercase(), &c[3..])),
            Some(c)
        );
        assert_eq!(normalise_code("ABC12"), None);
        assert_eq!(normalise_code("ABCDE0"), None, "0 is not in the alphabet");
    }

    #[test]
    fn only_failures_block() {
        let g = JoinGuard::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..MAX_FAILURES - 1 {
            g.failed(ip);
        }
        assert!(g.blocked(ip).is_none());
        g.failed(ip);
        assert!(g.blocked(ip).is_some());
        assert!(g.blocked([10, 0, 0, 2].into()).is_none());
    }
}
