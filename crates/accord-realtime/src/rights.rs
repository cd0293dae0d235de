//! Changes of rights, told to every open socket on every node.
//!
//! A socket is authorised when it opens, but rights change while it stays
//! open: a participant is made an observer or removed, someone signs out, a
//! document is archived, a live session ends. Whoever makes such a change
//! calls [`RightsHub::changed`] with what changed; every socket watching
//! that subject, here and (over the bus) on every other node, is woken and
//! re-reads its rights from the store. The note only says *what* changed:
//! the database says what the rights now are.
//!
//! A node that may have missed a note (a gap in the bus's sequence numbers,
//! a Redis reconnect, a lagging queue) wakes every watcher, and sockets also
//! re-check on a timer, so a lost last message costs at most that period.

use crate::bus::{Bus, BusEvent, Continuity, GapDetector};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::Notify;

const CHANNEL: &str = "rights";

/// What a change of rights is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "k", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// A person's participation (role changed, removed).
    User(String),
    /// One sign-in session (signed out), by its token's hash.
    Session(String),
    /// A document (archived).
    Document(String),
    /// A live audience session (ended).
    LiveSession(String),
}

struct Inner {
    bus: Bus,
    watchers: Mutex<HashMap<Subject, HashMap<u64, Arc<Notify>>>>,
    next_id: AtomicU64,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct RightsHub {
    inner: Arc<Inner>,
}

/// One socket's interest in some subjects; dropping it stops watching.
pub struct Watch {
    id: u64,
    subjects: Vec<Subject>,
    notify: Arc<Notify>,
    hub: Weak<Inner>,
}

impl Watch {
    /// Resolves once something this watch covers may have changed since the
    /// last call (a change that came in between is not lost).
    pub async fn changed(&self) {
        self.notify.notified().await;
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(inner) = self.hub.upgrade() {
            let mut w = lock(&inner.watchers);
            for s in &self.subjects {
                if let Some(set) = w.get_mut(s) {
                    set.remove(&self.id);
                    if set.is_empty() {
                        w.remove(s);
                    }
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RightsHub {
    pub fn new(bus: Bus) -> RightsHub {
        let hub = RightsHub {
            inner: Arc::new(Inner {
                bus,
                watchers: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        };
        tokio::spawn(listen(Arc::downgrade(&hub.inner)));
        hub
    }

    /// Watches `subjects` until the returned [`Watch`] is dropped.
    pub fn watch(&self, subjects: Vec<Subject>) -> Watch {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let notify = Arc::new(Notify::new());
        let mut w = lock(&self.inner.watchers);
        for s in &subjects {
            w.entry(s.clone())
                .or_default()
                .insert(id, Arc::clone(&notify));
        }
        Watch {
            id,
            subjects,
            notify,
            hub: Arc::downgrade(&self.inner),
        }
    }

    /// Rights about `subject` changed in the store: wake its watchers here
    /// and on every other node.
    pub async fn changed(&self, subject: Subject) {
        wake(&self.inner, &subject);
        if !self.inner.bus.is_shared() {
            return;
        }
        match serde_json::to_vec(&subject) {
            Ok(payload) => {
                if let Err(e) = self.inner.bus.publish(CHANNEL, payload).await {
                    // Other nodes' sockets still re-check on their timer.
                    tracing::warn!(error = %e, "rights change not published");
                }
            }
            Err(e) => tracing::warn!(error = %e, "rights note not serialisable"),
        }
    }

    /// Sockets watching anything, for tests and metrics.
    pub fn watching(&self) -> usize {
        let w = lock(&self.inner.watchers);
        let mut ids: Vec<u64> = w.values().flat_map(|s| s.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

fn wake(inner: &Inner, subject: &Subject) {
    if let Some(set) = lock(&inner.watchers).get(subject) {
        for n in set.values() {
            n.notify_one();
        }
    }
}

fn wake_all(inner: &Inner) {
    for set in lock(&inner.watchers).values() {
        for n in set.values() {
            n.notify_one();
        }
    }
}

async fn listen(hub: Weak<Inner>) {
    let Some(mut rx) = hub.upgrade().map(|h| h.bus.subscribe()) else {
        return;
    };
    let mut gaps = GapDetector::default();
    loop {
        let event = rx.recv().await;
        let Some(inner) = hub.upgrade() else { return };
        match event {
            Ok(BusEvent::Message(env))
                if &*env.channel == CHANNEL && env.origin != inner.bus.node() =>
            {
                if let Continuity::Gap { missed } = gaps.observe(&env) {
                    tracing::info!(missed, "rights notes lost; every socket re-checks");
                    wake_all(&inner);
                }
                match serde_json::from_slice::<Subject>(&env.payload) {
                    Ok(s) => wake(&inner, &s),
                    Err(_) => wake_all(&inner),
                }
            }
            Ok(BusEvent::Message(_)) => {}
            Ok(BusEvent::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                wake_all(&inner);
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::time::Duration;

    async fn woken(w: &Watch) -> bool {
        tokio::time::timeout(Duration::from_millis(100), w.changed())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn wakes_only_the_watchers_of_a_subject() {
        let hub = RightsHub::new(Bus::in_process());
        let ann = hub.watch(vec![
            Subject::User("ann".into()),
            Subject::Document("d1".into()),
        ]);
        let bob = hub.watch(vec![Subject::User("bob".into())]);
        hub.changed(Subject::User("ann".into())).await;
        assert!(woken(&ann).await);
        assert!(!woken(&bob).await);
        hub.changed(Subject::Document("d1".into())).await;
        assert!(woken(&ann).await, "any watched subject wakes");
        assert_eq!(hub.watching(), 2);
        drop(bob);
        assert_eq!(hub.watching(), 1);
    }

    #[tokio::test]
    async fn a_change_before_waiting_is_not_lost() {
        let hub = RightsHub::new(Bus::in_process());
        let w = hub.watch(vec![Subject::Session("s".into())]);
        hub.changed(Subject::Session("s".into())).await;
        // Nobody was waiting when it happened; the permit is kept.
        assert!(woken(&w).await);
    }

    #[test]
    fn wire_names() {
        let v = serde_json::to_value(Subject::LiveSession("x".into())).unwrap();
        assert_eq!(v, serde_json::json!({"k": "live_session", "id": "x"}));
    }
}
