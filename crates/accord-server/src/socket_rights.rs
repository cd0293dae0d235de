//! What an open socket may still do, re-read from the store.
//!
//! Sockets are authorised when they open; afterwards each one re-checks
//! whenever the rights hub says something it depends on changed (on any
//! node), when its sign-in session expires, and every [`RECHECK_EVERY`]
//! ([`AUDIENCE_RECHECK_EVERY`] for the audience) as a
//! backstop for a lost bus message. The verdict is either "go on, with these
//! rights" or an [`Ended`] that the socket turns into a close with 1008.

use crate::app::AppState;
use crate::audience::Caller;
use crate::error::ApiError;
use crate::sessions;
use accord_realtime::rights::Subject;
use accord_store::User;
use std::time::Duration;
use tokio::time::Instant;

/// How often an open socket re-checks its rights without being told to.
/// The bus normally tells it within milliseconds; this bounds how long a
/// lost notification (Redis is at-most-once) can leave a right in place.
pub const RECHECK_EVERY: Duration = Duration::from_secs(15);
/// The same for audience sockets. A conference room holds thousands, each
/// re-check is a read of the store, and what ends an audience right (the
/// live session ending) is always announced; a lost announcement is caught
/// by the bus's gap detection, which wakes every socket. So this is only the
/// last resort: ten thousand phones every 15 s would be 667 reads a second.
pub const AUDIENCE_RECHECK_EVERY: Duration = Duration::from_secs(300);

/// How often a socket of `caller` re-checks unprompted.
pub fn recheck_every(caller: &Caller) -> Duration {
    match caller {
        Caller::User(_) => RECHECK_EVERY,
        Caller::Audience(_) => AUDIENCE_RECHECK_EVERY,
    }
}

/// Why an open socket must close. The wire form (`code: message`) is the
/// WebSocket close reason; clients show their own text for the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    SignedOut,
    Removed,
    LiveSessionOver,
    /// The rights could not be read (the store failed): refuse rather than
    /// let a possibly revoked right stand.
    Unverifiable,
}

impl Ended {
    pub fn code(self) -> &'static str {
        match self {
            Ended::SignedOut => "signed_out",
            Ended::Removed => "removed",
            Ended::LiveSessionOver => "session_ended",
            Ended::Unverifiable => "rights_unverifiable",
        }
    }

    /// The close reason (well under the 123 bytes a close frame holds).
    pub fn reason(self) -> String {
        let text = match self {
            Ended::SignedOut => "You were signed out.",
            Ended::Removed => "You no longer take part in this roundtable.",
            Ended::LiveSessionOver => "The live session has ended.",
            Ended::Unverifiable => "Your rights could not be checked; reconnect.",
        };
        format!("{}: {text}", self.code())
    }
}

/// The sign-in a socket was opened with.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub user: User,
    pub token_hash: String,
}

impl SignIn {
    /// The signed-in caller of an upgrade request (the session cookie).
    pub fn from_headers(user: User, headers: &axum::http::HeaderMap) -> Option<SignIn> {
        let token = sessions::token_from_headers(headers)?;
        Some(SignIn {
            user,
            token_hash: sessions::hash_token(&token),
        })
    }

    /// When the session expires, or [`Ended::SignedOut`] if it no longer exists.
    pub async fn check(&self, state: &AppState) -> Result<Instant, Ended> {
        let now = sessions::now();
        match state.store.session_expires_at(&self.token_hash, now).await {
            Ok(Some(at)) => {
                let left = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
                Ok(Instant::now() + Duration::from_secs(left))
            }
            Ok(None) => Err(Ended::SignedOut),
            Err(e) => {
                tracing::warn!(error = %e, "session re-check failed");
                Err(Ended::Unverifiable)
            }
        }
    }

    pub fn subjects(&self) -> Vec<Subject> {
        vec![
            Subject::User(self.user.id.clone()),
            Subject::Session(self.token_hash.clone()),
        ]
    }
}

/// Re-reads an event-socket caller: the same person, if they still may be here.
pub async fn refresh(
    state: &AppState,
    caller: &Caller,
    sign_in: Option<&SignIn>,
) -> Result<Caller, Ended> {
    match (caller, sign_in) {
        (Caller::User(u), Some(s)) => {
            s.check(state).await?;
            Ok(Caller::User(u.clone()))
        }
        // A user socket always has its session; without it nothing can be re-checked.
        (Caller::User(_), None) => Err(Ended::SignedOut),
        (Caller::Audience(m), _) => match state.store.audience_member_by_id(&m.id).await {
            Ok(Some(fresh)) if fresh.session_ended_at.is_none() => Ok(Caller::Audience(fresh)),
            Ok(_) => Err(Ended::LiveSessionOver),
            Err(e) => {
                tracing::warn!(error = %e, "audience re-check failed");
                Err(Ended::Unverifiable)
            }
        },
    }
}

/// What an event socket watches for its caller.
pub fn caller_subjects(caller: &Caller, sign_in: Option<&SignIn>) -> Vec<Subject> {
    match caller {
        Caller::User(_) => sign_in.map(SignIn::subjects).unwrap_or_default(),
        Caller::Audience(m) => vec![Subject::LiveSession(m.live_session_id.clone())],
    }
}

/// A participant lost their place in a roundtable (the API's 404 for it).
pub fn lost_membership(e: &ApiError) -> Ended {
    if e.status() == axum::http::StatusCode::NOT_FOUND {
        Ended::Removed
    } else {
        Ended::Unverifiable
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame_and_start_with_their_code() {
        for e in [
            Ended::SignedOut,
            Ended::Removed,
            Ended::LiveSessionOver,
            Ended::Unverifiable,
        ] {
            let r = e.reason();
            assert!(r.len() <= 123, "{r}");
            assert!(r.starts_with(&format!("{}: ", e.code())));
        }
    }
}
