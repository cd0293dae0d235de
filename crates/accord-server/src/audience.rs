//! The conference audience: anonymous members known by a random cookie token
//! (hashed with SHA-256, never argon2: joins must stay cheap at venue scale),
//! and the caller of routes open to participants and audience alike.

use crate::app::AppState;
use crate::error::ApiError;
use crate::sessions;
use accord_store::{AudienceMember, User, Voter};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const COOKIE_NAME: &str = "accord_audience";
/// Names a browser for counting its wrong join codes, so one guesser is
/// slowed without locking out everyone behind the same address.
pub const DEVICE_COOKIE: &str = "accord_device";
/// Join codes: no 0/O, 1/I/L, so they can be read off a slide and typed on a phone.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 31^9 ≈ 2.6 × 10^13 codes: guessing one at the per-address ceiling takes
/// centuries (PROTOCOL.md shows the arithmetic). Clients show them in groups
/// of three ("ABC-DEF-GHJ").
pub const CODE_LEN: usize = 9;

/// A fresh join code (stored and compared without dashes).
pub fn new_join_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// Upper-cases and drops spaces and dashes, so "abc-def-234" finds "ABCDEF234".
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

/// The browser's device id, and the `Set-Cookie` that names a new one.
/// The id is not a credential: a client may forge or drop it, which only
/// makes it a new device, still under the per-address ceiling.
pub fn device(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(d) = sessions::token_cookie(headers, DEVICE_COOKIE) {
        return (d, None);
    }
    let d = sessions::new_token();
    let secure = if secure { "; Secure" } else { "" };
    let set = HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={d}; Path=/api/v1; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
    ))
    .ok();
    (d, set)
}

/// `res` with the device cookie added, when the request brought none.
pub fn with_device(mut res: Response, set: Option<HeaderValue>) -> Response {
    if let Some(v) = set {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
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

/// Wrong join codes, counted per device and per IP address. Only failures
/// count, so a venue behind one NAT address joins freely. A device over its
/// small limit waits; its neighbours do not. The per-address ceiling is far
/// higher and catches clients that shed their device cookie, at a rate that
/// makes guessing a live code hopeless.
pub struct JoinGuard {
    devices: Failures<String>,
    ips: Failures<IpAddr>,
}

/// Wrong codes a device may send per [`FAILURE_WINDOW`]: plenty for typos.
const DEVICE_FAILURES: u32 = 30;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

impl JoinGuard {
    /// `per_ip`: wrong codes per address and minute before it is refused.
    pub fn new(per_ip: u32) -> Self {
        JoinGuard {
            devices: Failures::new(DEVICE_FAILURES),
            ips: Failures::new(per_ip),
        }
    }

    /// Seconds to wait when this device or address has failed too often.
    pub fn blocked(&self, ip: IpAddr, device: &str) -> Option<u64> {
        self.ips
            .blocked(&ip)
            .into_iter()
            .chain(self.devices.blocked(device))
            .max()
    }

    pub fn failed(&self, ip: IpAddr, device: &str) {
        self.ips.failed(ip);
        self.devices.failed(device.to_owned());
    }

    pub fn prune(&self) {
        self.ips.prune();
        self.devices.prune();
    }
}

/// Failures per key in a fixed window.
struct Failures<K> {
    max: u32,
    map: Mutex<HashMap<K, (u32, Instant)>>,
}

impl<K: Hash + Eq> Failures<K> {
    fn new(max: u32) -> Self {
        Failures {
            max: max.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    fn blocked<Q>(&self, key: &Q) -> Option<u64>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let (n, since) = map.get(key)?;
        let left = FAILURE_WINDOW.checked_sub(since.elapsed())?;
        (*n >= self.max).then(|| left.as_secs().max(1))
    }

    fn failed(&self, key: K) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.entry(key).or_insert((0, Instant::now()));
        if e.1.elapsed() > FAILURE_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 = e.0.saturating_add(1);
    }

    fn prune(&self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (_, since)| since.elapsed() <= FAILURE_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let c = new_join_code();
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(normalise_code(&c), Some(c.clone()));
        assert_eq!(
            normalise_code(&format!(" {}-{} ", &c[..3].to_lowercase(), &c[3..])),
            Some(c)
        );
        assert_eq!(normalise_code("ABC12"), None);
        assert_eq!(normalise_code("ABCDEF"), None, "the old six-letter codes");
        assert_eq!(
            normalise_code("ABCDEFGH0"),
            None,
            "0 is not in the alphabet"
        );
        assert_eq!(normalise_code("abc def-ghj"), Some("ABCDEFGHJ".into()));
    }

    #[test]
    fn a_guessing_device_is_blocked_not_its_neighbours() {
        let g = JoinGuard::new(1000);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..DEVICE_FAILURES - 1 {
            g.failed(ip, "phone-a");
        }
        assert!(g.blocked(ip, "phone-a").is_none());
        g.failed(ip, "phone-a");
        assert!(g.blocked(ip, "phone-a").is_some());
        assert!(
            g.blocked(ip, "phone-b").is_none(),
            "same address, other device"
        );
        assert!(g.blocked([10, 0, 0, 2].into(), "phone-c").is_none());
    }

    #[test]
    fn the_address_ceiling_catches_shed_cookies() {
        let g = JoinGuard::new(5);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for i in 0..5 {
            g.failed(ip, &format!("fresh-{i}"));
        }
        assert!(g.blocked(ip, "yet-another").is_some());
        assert!(g.blocked([10, 0, 0, 2].into(), "fresh-0").is_none());
    }
}
