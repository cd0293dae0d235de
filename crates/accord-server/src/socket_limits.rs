//! Limits on WebSockets: how many one account (or audience member) holds
//! open, and how fast one socket may send.
//!
//! The per-IP connection cap (`http_limits`) must stay high for a venue
//! behind one NAT address; these limits are per person, so they can be low.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Open sockets (both kinds together) one account may hold by default: a
/// person with a dozen tabs, each with an event socket and a document,
/// stays far below it; a script opening thousands does not. The load
/// generator lifts it (`bench/co-edit.sh`: 500 editors share one account).
pub const SOCKETS_PER_ACCOUNT: usize = 64;

/// Event-socket messages a second, after a burst: a phone votes, pings every
/// 20 s and subscribes once; a busy facilitator's page sends a few a second.
const MESSAGES_PER_SECOND: u32 = 10;
const MESSAGE_BURST: u32 = 30;
/// Subscriptions read the whole room from the store: a reconnecting page
/// subscribes once, a loop would read the database as fast as it can send.
const SUBSCRIBE_EVERY: Duration = Duration::from_secs(2);
const SUBSCRIBE_BURST: u32 = 5;
/// Document bytes a second one y-websocket connection may send, after a
/// burst of a whole [`accord_realtime::MAX_FRAME_BYTES`] frame: typing is
/// bytes a keystroke, a pasted programme a few hundred KiB once.
const DOC_BYTES_PER_SECOND: u32 = 64 * 1024;
/// A sender who would have to wait longer than this is not editing but
/// flooding: the socket closes instead.
pub const DOC_MAX_WAIT: Duration = Duration::from_secs(5);

/// The refusal of one socket too many (429, like other limits).
pub fn too_many_sockets() -> crate::error::ApiError {
    crate::error::ApiError::too_many_requests(5)
        .detail("Too many open connections for one person: close some tabs and try again.")
}

/// Open sockets per key (user id or audience member id).
pub struct SocketCounts {
    max: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One counted socket; dropping it frees the place.
pub struct SocketSlot {
    key: String,
    counts: Arc<SocketCounts>,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl SocketCounts {
    pub fn new(max: usize) -> Arc<SocketCounts> {
        Arc::new(SocketCounts {
            max,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more socket of `key`, unless it holds `max` already.
    pub fn acquire(self: &Arc<Self>, key: &str) -> Option<SocketSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(key.to_owned()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(SocketSlot {
            key: key.to_owned(),
            counts: Arc::clone(self),
        })
    }
}

fn quota(per: Duration, burst: u32) -> Quota {
    Quota::with_period(per)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// How fast one event socket may send.
pub struct EventBudget {
    messages: DefaultDirectRateLimiter,
    subscribes: DefaultDirectRateLimiter,
}

impl Default for EventBudget {
    fn default() -> Self {
        EventBudget {
            messages: RateLimiter::direct(quota(
                Duration::from_secs(1) / MESSAGES_PER_SECOND,
                MESSAGE_BURST,
            )),
            subscribes: RateLimiter::direct(quota(SUBSCRIBE_EVERY, SUBSCRIBE_BURST)),
        }
    }
}

impl EventBudget {
    /// Whether one more message may be handled now.
    pub fn message(&self) -> bool {
        self.messages.check().is_ok()
    }

    /// Whether one more subscription may be handled now.
    pub fn subscribe(&self) -> bool {
        self.subscribes.check().is_ok()
    }
}

/// How fast one y-websocket connection may send document bytes.
pub struct DocBudget(DefaultDirectRateLimiter);

impl Default for DocBudget {
    fn default() -> Self {
        let per_byte = Duration::from_secs(1) / DOC_BYTES_PER_SECOND;
        DocBudget(RateLimiter::direct(quota(
            per_byte.max(Duration::from_nanos(1)),
            accord_realtime::MAX_FRAME_BYTES as u32,
        )))
    }
}

impl DocBudget {
    /// Zero if `bytes` more may be handled now (and takes them from the
    /// budget); otherwise how long to wait before asking again.
    pub fn wait_for(&self, bytes: usize) -> Duration {
        let n =
            NonZeroU32::new(u32::try_from(bytes).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        match self.0.check_n(n) {
            Ok(Ok(())) => Duration::ZERO,
            Ok(Err(not_until)) => not_until.wait_time_from(DefaultClock::default().now()),
            // Larger than the whole burst: never allowed (the frame limit refuses it first).
            Err(_) => Duration::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_holds_at_most_max_sockets() {
        let c = SocketCounts::new(2);
        let a = c.acquire("ann");
        let b = c.acquire("ann");
        assert!(a.is_some() && b.is_some());
        assert!(c.acquire("ann").is_none());
        assert!(c.acquire("bob").is_some(), "others unaffected");
        drop(a);
        assert!(
            c.acquire("ann").is_some(),
            "a closed socket frees its place"
        );
    }

    #[test]
    fn a_message_flood_is_cut_after_the_burst() {
        let b = EventBudget::default();
        let passed = (0..200).filter(|_| b.message()).count();
        assert!(
            (MESSAGE_BURST as usize..MESSAGE_BURST as usize + 5).contains(&passed),
            "{passed}"
        );
        let subs = (0..50).filter(|_| b.subscribe()).count();
        assert_eq!(subs, SUBSCRIBE_BURST as usize);
    }

    #[test]
    fn document_bytes_past_the_burst_wait() {
        let b = DocBudget::default();
        assert_eq!(b.wait_for(512 * 1024), Duration::ZERO);
        assert_eq!(b.wait_for(512 * 1024), Duration::ZERO);
        let wait = b.wait_for(512 * 1024);
        assert!(wait > Duration::from_secs(4), "{wait:?}");
    }
}
