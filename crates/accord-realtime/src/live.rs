//! Roundtable rooms for the event socket: subscribers, presence, poll
//! events and coalesced tallies, across nodes through the bus.
//!
//! Votes only mark a poll dirty. A ticker recomputes each dirty poll's tally
//! from the store at most every [`TALLY_EVERY`], serialises it once per
//! audience kind and hands the same bytes to every subscriber, so a burst of
//! N votes costs N inserts plus ≤ 7 tally pushes a second, not N × viewers.
//! Other nodes hear "poll X changed" or "question Y changed"
//! (sequence-numbered) and read it from the store themselves: the database
//! is the truth, the bus only a nudge.
//!
//! A node that may have missed a nudge (a gap in the sequence numbers, a
//! high-water mark ahead of what it heard, a Redis reconnect) resyncs the
//! room: it re-reads its polls, questions and live session and pushes what
//! differs from what it last showed there, and recomputes open tallies.

use crate::bus::{Bus, BusEvent, Continuity, GapDetector};
use crate::questions::QuestionView;
use crate::questions::{self, AudienceQuestion, ParticipantQuestion};
use crate::wire::{PollView, Presence, ServerMsg, TallyView};
use accord_domain::polls::secrecy::MinGroup;
use accord_domain::polls::{results_visible, AudienceTally, Poll, PollStatus};
use accord_domain::questions::QuestionStatus;
use accord_domain::{Action, Role, Side};
use accord_store::{Question, Store};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Tally pushes per poll are at most one per this interval. Every push is
/// one write per screen, which on 10,000 phones is most of the server's
/// work: at 100 ms the pushes alone saturated a 2-core machine and
/// acknowledgements queued behind them; at 150 ms a vote still reaches
/// every screen within 250 ms (BENCHMARKS.md, poll-burst).
pub const TALLY_EVERY: Duration = Duration::from_millis(150);
/// Presence pushes per room are at most one per this interval.
const PRESENCE_EVERY: Duration = Duration::from_millis(500);
/// Each node re-announces its presence this often; older announcements expire.
const PRESENCE_HEARTBEAT: Duration = Duration::from_secs(10);
const PRESENCE_EXPIRY: Duration = Duration::from_secs(35);
/// How often each node tells the others how many notes it sent per room,
/// so a lost last note is noticed within this period (plus one tick).
pub const HIGH_WATER_EVERY: Duration = Duration::from_secs(2);
/// Rooms are marked for this long after this node last sent a note there.
const HIGH_WATER_RECENT: Duration = Duration::from_secs(60);
/// The close reason for an audience whose live session ended: the same
/// wire form as the event socket's own check (`code: text`).
const SESSION_ENDED: &str = "session_ended: The live session has ended.";
/// Messages queued for one subscriber before it counts as too slow.
pub const SUBSCRIBER_QUEUE: usize = 256;
/// Subscribers handed a tally between two yields (tokio's local run queue holds 256).
const FAN_OUT_CHUNK: usize = 256;

/// Who is watching a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Participant {
        user_id: String,
        display_name: String,
        side: Side,
        role: Role,
    },
    /// An anonymous conference attendee: sees audience polls only, and no names.
    Audience {
        member_id: String,
        live_session_id: String,
    },
}

impl Viewer {
    pub fn is_audience(&self) -> bool {
        matches!(self, Viewer::Audience { .. })
    }

    /// Whether this viewer may do `action` (the permission table; the
    /// audience may do nothing a participant's role grants).
    pub fn may(&self, action: Action) -> bool {
        match self {
            Viewer::Participant { role, side, .. } => accord_domain::allowed(action, *role, *side),
            Viewer::Audience { .. } => false,
        }
    }
}

/// What the socket task forwards to its client.
#[derive(Debug, Clone)]
pub enum LiveOut {
    Text(Bytes),
    /// Too slow or otherwise dropped by the hub: close with this reason.
    Close(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceEntry {
    pub user_id: String,
    pub display_name: String,
    pub side: Side,
}

struct Subscriber {
    viewer: Viewer,
    out: mpsc::Sender<LiveOut>,
}

#[derive(Default)]
struct Room {
    subs: HashMap<u64, Subscriber>,
    /// Presence announced by other nodes: (participants, audience count, when heard).
    remote: HashMap<Uuid, (Vec<PresenceEntry>, u64, Instant)>,
    presence_dirty: bool,
    /// This node's own people here changed since it last told the others.
    announce: bool,
    last_presence_push: Option<Instant>,
    last_announce: Option<Instant>,
    shown: Shown,
    /// Whether `shown` was filled from the store when the room opened here.
    seeded: bool,
}

/// What this room's subscribers were last shown (pushed, or loaded when
/// they subscribed), so that a resync pushes only what differs.
#[derive(Default)]
struct Shown {
    /// poll id → (status, a fingerprint of the whole view): a draft's edit
    /// changes only the second.
    polls: HashMap<String, (PollStatus, u64)>,
    /// question id → (status, votes): the only things about a question that change.
    questions: HashMap<String, (QuestionStatus, i64)>,
    /// agreement id → a fingerprint of the whole view last shown.
    agreements: HashMap<String, u64>,
}

/// A fingerprint of a poll as every client sees it: an edit changes it.
fn poll_fingerprint(p: &Poll) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&PollView::from(p))
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

/// A fingerprint of an agreement as participants see it: any position,
/// outcome or seal changes it.
fn fingerprint(v: &crate::agreements::AgreementView) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(v).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// The room's agreements as now stored.
async fn agreements_now(
    store: &Store,
    rt: &str,
) -> Result<Vec<crate::agreements::AgreementView>, accord_store::StoreError> {
    Ok(store
        .agreement_records_of(rt)
        .await?
        .iter()
        .map(crate::agreements::AgreementView::of)
        .collect())
}

#[derive(Default)]
struct Dirty {
    /// poll id → roundtable id; `true` when the change was local (so other nodes must hear of it).
    polls: HashMap<String, (String, bool)>,
}

struct Inner {
    store: Store,
    bus: Bus,
    /// Secret polls publish no figure about fewer ballots than this.
    min_group: MinGroup,
    rooms: Mutex<HashMap<String, Room>>,
    dirty: Mutex<Dirty>,
    next_id: AtomicU64,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
enum BusNote {
    Tally {
        rt: String,
        poll: String,
    },
    Poll {
        rt: String,
        poll: String,
    },
    PollRemoved {
        rt: String,
        poll: String,
    },
    PollOrder {
        rt: String,
    },
    Question {
        rt: String,
        id: String,
    },
    Presence {
        rt: String,
        participants: Vec<PresenceEntry>,
        audience: u64,
    },
    Comment {
        rt: String,
        document: String,
        thread: String,
    },
    Agreement {
        rt: String,
        id: String,
    },
}

fn channel(rt: &str) -> String {
    format!("room:{rt}")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl LiveHub {
    pub fn new(store: Store, bus: Bus, min_group: MinGroup) -> LiveHub {
        let hub = LiveHub {
            inner: Arc::new(Inner {
                store,
                bus,
                min_group,
                rooms: Mutex::new(HashMap::new()),
                dirty: Mutex::new(Dirty::default()),
                next_id: AtomicU64::new(1),
            }),
        };
        tokio::spawn(ticker(Arc::downgrade(&hub.inner)));
        tokio::spawn(listen(Arc::downgrade(&hub.inner)));
        hub
    }

    /// Adds a subscriber to a roundtable's room; returns its id.
    pub fn subscribe(&self, rt: &str, viewer: Viewer, out: mpsc::Sender<LiveOut>) -> u64 {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut rooms = lock(&self.inner.rooms);
        let room = rooms.entry(rt.to_owned()).or_default();
        room.subs.insert(id, Subscriber { viewer, out });
        room.presence_dirty = true;
        room.announce = true;
        if !std::mem::replace(&mut room.seeded, true) {
            tokio::spawn(seed(Arc::downgrade(&self.inner), rt.to_owned()));
        }
        id
    }

    /// Records what the room's subscribers have before the first of them
    /// reads its snapshot, so that anything changed after that read is
    /// different from what is recorded, and a resync after a lost note
    /// pushes it. (Recording it afterwards, a change in between whose note
    /// was lost would look as if it had been shown.)
    pub async fn open_room(&self, rt: &str) {
        let seeded = lock(&self.inner.rooms).get(rt).is_some_and(|r| r.seeded);
        if seeded {
            return;
        }
        let Some(state) = seed_state(&self.inner.store, rt).await else {
            return;
        };
        let mut rooms = lock(&self.inner.rooms);
        let room = rooms.entry(rt.to_owned()).or_default();
        if !std::mem::replace(&mut room.seeded, true) {
            apply_seed(room, state);
        }
    }

    /// Changes who a subscriber counts as (their role changed while the
    /// socket stayed open): what it is sent from now on follows `viewer`.
    pub fn set_viewer(&self, rt: &str, id: u64, viewer: Viewer) {
        let mut rooms = lock(&self.inner.rooms);
        if let Some(s) = rooms.get_mut(rt).and_then(|r| r.subs.get_mut(&id)) {
            s.viewer = viewer;
            if let Some(room) = rooms.get_mut(rt) {
                room.presence_dirty = true;
                room.announce = true;
            }
        }
    }

    pub fn unsubscribe(&self, rt: &str, id: u64) {
        let mut rooms = lock(&self.inner.rooms);
        if let Some(room) = rooms.get_mut(rt) {
            room.subs.remove(&id);
            room.presence_dirty = true;
            room.announce = true;
        }
    }

    /// Everyone in the room now, on every node, grouped by nothing (the
    /// client groups by side), plus the audience head count.
    pub fn presence(&self, rt: &str) -> (Vec<PresenceEntry>, u64) {
        let rooms = lock(&self.inner.rooms);
        rooms.get(rt).map_or((Vec::new(), 0), presence_of)
    }

    /// A vote was stored: the tally will be pushed within [`TALLY_EVERY`].
    pub fn mark_dirty(&self, rt: &str, poll_id: &str) {
        let mut d = lock(&self.inner.dirty);
        d.polls
            .entry(poll_id.to_owned())
            .and_modify(|e| e.1 = true)
            .or_insert_with(|| (rt.to_owned(), true));
    }

    /// A poll was created, opened or closed: push it now, here and elsewhere.
    pub async fn poll_changed(&self, poll: &Poll) {
        push_poll(&self.inner, poll).await;
        publish(
            &self.inner,
            &poll.roundtable_id,
            &BusNote::Poll {
                rt: poll.roundtable_id.clone(),
                poll: poll.id.clone(),
            },
        )
        .await;
        self.mark_dirty(&poll.roundtable_id, &poll.id);
    }

    /// A draft poll was deleted: tell the room's participants, here and
    /// elsewhere (the audience never saw it).
    pub async fn poll_removed(&self, rt: &str, poll_id: &str) {
        push_poll_removed(&self.inner, rt, poll_id);
        publish(
            &self.inner,
            rt,
            &BusNote::PollRemoved {
                rt: rt.to_owned(),
                poll: poll_id.to_owned(),
            },
        )
        .await;
    }

    /// The agenda order of a roundtable's polls changed: push it as now
    /// stored, here and elsewhere.
    pub async fn poll_order_changed(&self, rt: &str) {
        push_poll_order(&self.inner, rt).await;
        publish(&self.inner, rt, &BusNote::PollOrder { rt: rt.to_owned() }).await;
    }

    /// A question was asked, upvoted or moderated (`q` as now stored): push
    /// it here, and tell other nodes which one to re-read.
    pub async fn question_changed(&self, q: &Question) {
        push_question(&self.inner, q);
        publish(
            &self.inner,
            &q.roundtable_id,
            &BusNote::Question {
                rt: q.roundtable_id.clone(),
                id: q.id.clone(),
            },
        )
        .await;
    }

    /// A comment thread changed (as now stored): push it to every
    /// participant in the room, here and on the other nodes (which read it
    /// from the store); never to the audience. Returns the thread as now.
    pub async fn comment_changed(
        &self,
        rt: &str,
        document: &str,
        thread: &str,
    ) -> Result<crate::comments::CommentChange, crate::docs::HubError> {
        let change = crate::comments::thread_now(&self.inner.store, document, thread).await?;
        push_to_participants(&self.inner, rt, &change.message(&room_name(rt)));
        publish(
            &self.inner,
            rt,
            &BusNote::Comment {
                rt: rt.to_owned(),
                document: document.to_owned(),
                thread: thread.to_owned(),
            },
        )
        .await;
        Ok(change)
    }

    /// An agreement was proposed, took a position or reached an outcome:
    /// push it as now stored to every participant in the room, here and on
    /// the other nodes (which read it from the store); never to the
    /// audience. Returns the agreement as now.
    pub async fn agreement_changed(
        &self,
        rt: &str,
        id: &str,
    ) -> Result<Option<crate::agreements::AgreementView>, crate::docs::HubError> {
        let view = crate::agreements::agreement_now(&self.inner.store, id).await?;
        if let Some(v) = &view {
            push_agreement(&self.inner, rt, v);
        }
        publish(
            &self.inner,
            rt,
            &BusNote::Agreement {
                rt: rt.to_owned(),
                id: id.to_owned(),
            },
        )
        .await;
        Ok(view)
    }

    /// The tally a viewer may see now, if any.
    pub async fn tally_for(&self, poll: &Poll, viewer: &Viewer) -> Option<TallyView> {
        if !results_visible(
            poll.results,
            poll.status,
            viewer.may(Action::SeeResultsEarly),
        ) {
            return None;
        }
        let t = crate::results::published(&self.inner.store, poll, self.inner.min_group)
            .await
            .ok()?;
        Some(if viewer.is_audience() {
            TallyView::Audience(AudienceTally::from(&t))
        } else {
            TallyView::Participant(t)
        })
    }
}

fn room_name(rt: &str) -> String {
    format!("roundtable:{rt}")
}

/// A message encoded once, to hand the same bytes to many subscribers.
fn encoded(msg: &ServerMsg) -> Bytes {
    Bytes::from(msg.encode())
}

/// Everyone present on every node: this node's subscribers plus what the
/// other nodes announced, each person once.
fn presence_of(room: &Room) -> (Vec<PresenceEntry>, u64) {
    let (mut list, mut audience) = local_presence(room);
    let mut seen: HashSet<String> = list.iter().map(|e| e.user_id.clone()).collect();
    for (entries, n, _) in room.remote.values() {
        audience += n;
        for e in entries {
            if seen.insert(e.user_id.clone()) {
                list.push(e.clone());
            }
        }
    }
    list.sort_by(|a, b| {
        (a.side.as_str(), &a.display_name).cmp(&(b.side.as_str(), &b.display_name))
    });
    (list, audience)
}

/// This node's own subscribers: each person once, the audience by head.
/// Heads are distinct members, not sockets: one cookie can open any number.
fn local_presence(room: &Room) -> (Vec<PresenceEntry>, u64) {
    let mut seen = HashSet::new();
    let mut list = Vec::new();
    let mut members: HashSet<&str> = HashSet::new();
    for s in room.subs.values() {
        match &s.viewer {
            Viewer::Participant {
                user_id,
                display_name,
                side,
                ..
            } => {
                if seen.insert(user_id.clone()) {
                    list.push(PresenceEntry {
                        user_id: user_id.clone(),
                        display_name: display_name.clone(),
                        side: *side,
                    });
                }
            }
            Viewer::Audience { member_id, .. } => {
                members.insert(member_id);
            }
        }
    }
    (list, members.len() as u64)
}

/// Sends `bytes` to the subscribers `want` selects; slow ones are dropped.
fn fan_out(room: &mut Room, want: impl Fn(&Viewer) -> Option<Bytes>) {
    let mut slow = Vec::new();
    for (id, s) in &room.subs {
        if let Some(bytes) = want(&s.viewer) {
            if s.out.try_send(LiveOut::Text(bytes)).is_err() {
                slow.push(*id);
            }
        }
    }
    drop_slow(room, slow);
}

/// Closes subscribers whose queue is full.
fn drop_slow(room: &mut Room, slow: Vec<u64>) {
    for id in slow {
        if let Some(s) = room.subs.remove(&id) {
            let _ = s.out.try_send(LiveOut::Close("client too slow".into()));
            room.presence_dirty = true;
            room.announce = true;
        }
    }
}

/// Whether the audience may see a poll: an audience poll, once it is open.
/// Drafts are the facilitators' work in progress.
pub fn audience_sees(p: &Poll) -> bool {
    p.audience && p.status != PollStatus::Draft
}

async fn push_poll(inner: &Inner, poll: &Poll) {
    let msg = encoded(&ServerMsg::Poll {
        room: room_name(&poll.roundtable_id),
        poll: PollView::from(poll),
    });
    let audience_ok = audience_sees(poll);
    let mut rooms = lock(&inner.rooms);
    if let Some(room) = rooms.get_mut(&poll.roundtable_id) {
        room.shown
            .polls
            .insert(poll.id.clone(), (poll.status, poll_fingerprint(poll)));
        fan_out(room, |v| {
            (!v.is_audience() || audience_ok).then(|| msg.clone())
        });
    }
}

fn push_poll_removed(inner: &Inner, rt: &str, poll_id: &str) {
    if let Some(room) = lock(&inner.rooms).get_mut(rt) {
        room.shown.polls.remove(poll_id);
    }
    push_to_participants(
        inner,
        rt,
        &ServerMsg::PollRemoved {
            room: room_name(rt),
            poll_id: poll_id.to_owned(),
        },
    );
}

/// Pushes the agenda order as stored now, each viewer the polls they see
/// (the audience: opened audience polls only).
async fn push_poll_order(inner: &Inner, rt: &str) {
    if !watched(inner, rt) {
        return;
    }
    let polls = match inner.store.polls_of(rt).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "poll order not readable");
            return;
        }
    };
    let all = encoded(&ServerMsg::PollOrder {
        room: room_name(rt),
        poll_ids: polls.iter().map(|p| p.id.clone()).collect(),
    });
    let public = encoded(&ServerMsg::PollOrder {
        room: room_name(rt),
        poll_ids: polls
            .iter()
            .filter(|p| audience_sees(p))
            .map(|p| p.id.clone())
            .collect(),
    });
    if let Some(room) = lock(&inner.rooms).get_mut(rt) {
        fan_out(room, |v| {
            Some(if v.is_audience() {
                public.clone()
            } else {
                all.clone()
            })
        });
    }
}

fn question_bytes(rt: &str, question: QuestionView) -> Bytes {
    encoded(&ServerMsg::Question {
        room: room_name(rt),
        question,
    })
}

/// Pushes `q` to whoever may see it, each in their own shape: unmoderated
/// questions reach facilitators only.
fn push_question(inner: &Inner, q: &Question) {
    let rt = &q.roundtable_id;
    let mut rooms = lock(&inner.rooms);
    let Some(room) = rooms.get_mut(rt) else {
        return;
    };
    room.shown
        .questions
        .insert(q.id.clone(), (q.status, q.votes));
    if room.subs.is_empty() {
        return;
    }
    let full = question_bytes(
        rt,
        QuestionView::Participant(ParticipantQuestion::of(q, None)),
    );
    let public = question_bytes(rt, QuestionView::Audience(AudienceQuestion::of(q, None)));
    fan_out(room, |v| {
        questions::visible_to(v, q).then(|| {
            if v.is_audience() {
                public.clone()
            } else {
                full.clone()
            }
        })
    });
}

fn push_to_participants(inner: &Inner, rt: &str, msg: &ServerMsg) {
    let mut rooms = lock(&inner.rooms);
    let Some(room) = rooms.get_mut(rt) else {
        return;
    };
    let bytes = encoded(msg);
    fan_out(room, |v| (!v.is_audience()).then(|| bytes.clone()));
}

async fn publish(inner: &Inner, rt: &str, note: &BusNote) {
    if !inner.bus.is_shared() {
        return;
    }
    match serde_json::to_vec(note) {
        Ok(payload) => {
            if let Err(e) = inner.bus.publish(&channel(rt), payload).await {
                tracing::warn!(error = %e, "bus publish failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "bus note not serialisable"),
    }
}

/// Recomputes dirty tallies and pushes presence, at most every [`TALLY_EVERY`].
async fn ticker(hub: Weak<Inner>) {
    let mut tick = tokio::time::interval(TALLY_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_marks = Instant::now();
    loop {
        tick.tick().await;
        let Some(inner) = hub.upgrade() else { return };
        if inner.bus.is_shared() && last_marks.elapsed() >= HIGH_WATER_EVERY {
            last_marks = Instant::now();
            if let Err(e) = inner
                .bus
                .announce_high_water("room:", HIGH_WATER_RECENT)
                .await
            {
                tracing::warn!(error = %e, "high-water marks not sent");
            }
        }
        let dirty = std::mem::take(&mut lock(&inner.dirty).polls);
        for (poll_id, (rt, local)) in dirty {
            push_tally(&inner, &rt, &poll_id).await;
            if local {
                publish(
                    &inner,
                    &rt,
                    &BusNote::Tally {
                        rt: rt.clone(),
                        poll: poll_id,
                    },
                )
                .await;
            }
        }
        let announcements = presence_pass(&inner);
        for (rt, participants, audience) in announcements {
            publish(
                &inner,
                &rt.clone(),
                &BusNote::Presence {
                    rt,
                    participants,
                    audience,
                },
            )
            .await;
        }
    }
}

async fn push_tally(inner: &Inner, rt: &str, poll_id: &str) {
    let watched = lock(&inner.rooms)
        .get(rt)
        .is_some_and(|r| !r.subs.is_empty());
    if !watched {
        return;
    }
    let poll = match inner.store.poll(poll_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "tally: poll not readable");
            return;
        }
    };
    let t = match crate::results::published(&inner.store, &poll, inner.min_group).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "tally: ballots not readable");
            return;
        }
    };
    let public = encoded(&ServerMsg::Tally {
        room: room_name(rt),
        tally: TallyView::Audience(AudienceTally::from(&t)),
    });
    let full = encoded(&ServerMsg::Tally {
        room: room_name(rt),
        tally: TallyView::Participant(t),
    });
    let visible_to_all = results_visible(poll.results, poll.status, false);
    let targets: Vec<(u64, mpsc::Sender<LiveOut>, Bytes)> = {
        let rooms = lock(&inner.rooms);
        let Some(room) = rooms.get(rt) else { return };
        room.subs
            .iter()
            .filter_map(|(id, s)| {
                let bytes = if s.viewer.is_audience() {
                    (poll.audience && visible_to_all).then(|| public.clone())
                } else if visible_to_all || s.viewer.may(Action::SeeResultsEarly) {
                    Some(full.clone())
                } else {
                    None
                }?;
                Some((*id, s.out.clone(), bytes))
            })
            .collect()
    };
    // A conference room wakes thousands of socket tasks per push. Waking
    // them a chunk at a time, yielding in between, lets the sockets with a
    // vote to read or acknowledge take their turn instead of queueing
    // behind the whole room.
    let mut slow = Vec::new();
    for chunk in targets.chunks(FAN_OUT_CHUNK) {
        for (id, out, bytes) in chunk {
            if out.try_send(LiveOut::Text(bytes.clone())).is_err() {
                slow.push(*id);
            }
        }
        if targets.len() > FAN_OUT_CHUNK {
            tokio::task::yield_now().await;
        }
    }
    if !slow.is_empty() {
        let mut rooms = lock(&inner.rooms);
        if let Some(room) = rooms.get_mut(rt) {
            drop_slow(room, slow);
        }
    }
}

/// Pushes changed presence to participants; returns the announcements other nodes need.
fn presence_pass(inner: &Inner) -> Vec<(String, Vec<PresenceEntry>, u64)> {
    let now = Instant::now();
    let shared = inner.bus.is_shared();
    let mut out = Vec::new();
    let mut rooms = lock(&inner.rooms);
    rooms.retain(|rt, room| {
        let before = room.remote.len();
        room.remote
            .retain(|_, (_, _, at)| now.duration_since(*at) < PRESENCE_EXPIRY);
        if room.remote.len() != before {
            room.presence_dirty = true;
        }
        let due = room
            .last_presence_push
            .is_none_or(|t| now.duration_since(t) >= PRESENCE_EVERY);
        if room.presence_dirty && due {
            room.presence_dirty = false;
            room.last_presence_push = Some(now);
            let (list, audience) = presence_of(room);
            let msg = encoded(&ServerMsg::Presence {
                room: room_name(rt),
                presence: Presence {
                    participants: list,
                    audience,
                },
            });
            fan_out(room, |v| (!v.is_audience()).then(|| msg.clone()));
        }
        // Only this node's own changes are announced: answering the others'
        // announcements would have every node re-announce forever.
        let heartbeat = room
            .last_announce
            .is_none_or(|t| now.duration_since(t) >= PRESENCE_HEARTBEAT)
            && !room.subs.is_empty();
        if shared && ((room.announce && due) || heartbeat) {
            room.announce = false;
            let (mine, n) = local_presence(room);
            room.last_announce = Some(now);
            out.push((rt.clone(), mine, n));
        }
        !room.subs.is_empty() || !room.remote.is_empty()
    });
    out
}

/// Sends an agreement to the room's participants (never the audience) and
/// remembers what they were shown.
fn push_agreement(inner: &Inner, rt: &str, v: &crate::agreements::AgreementView) {
    if let Some(room) = lock(&inner.rooms).get_mut(rt) {
        room.shown.agreements.insert(v.id.clone(), fingerprint(v));
    }
    push_to_participants(
        inner,
        rt,
        &ServerMsg::Agreement {
            room: room_name(rt),
            agreement: Box::new(v.clone()),
        },
    );
}

/// Whether anyone on this node watches the room (else notes need no store reads).
fn watched(inner: &Inner, rt: &str) -> bool {
    lock(&inner.rooms)
        .get(rt)
        .is_some_and(|r| !r.subs.is_empty())
}

/// Applies other nodes' notes: each names what changed, and this node reads
/// it from the store.
async fn listen(hub: Weak<Inner>) {
    let Some(mut rx) = hub.upgrade().map(|h| h.bus.subscribe()) else {
        return;
    };
    // This listener outlives its rooms, so it cannot know whether a
    // publisher's earlier notes predate what its subscribers loaded: the
    // first one heard with a number above 1 resyncs the room once.
    let mut gaps = GapDetector::from_start();
    loop {
        let event = rx.recv().await;
        let Some(inner) = hub.upgrade() else { return };
        let env = match event {
            Ok(BusEvent::Message(env))
                if env.origin != inner.bus.node() && env.channel.starts_with("room:") =>
            {
                env
            }
            Ok(BusEvent::Message(_)) => continue,
            Ok(BusEvent::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                resync_all(&inner).await;
                continue;
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        let continuity = gaps.observe(&env);
        if let Continuity::Gap { missed } = continuity {
            tracing::info!(missed, channel = %env.channel, "bus notes lost; resyncing the room from the store");
            if let Some(rt) = env.channel.strip_prefix("room:") {
                resync_room(&inner, rt).await;
            }
        }
        if env.mark || continuity == Continuity::Stale {
            continue;
        }
        let Ok(note) = serde_json::from_slice::<BusNote>(&env.payload) else {
            continue;
        };
        match note {
            BusNote::Tally { rt, poll } => {
                lock(&inner.dirty).polls.entry(poll).or_insert((rt, false));
            }
            BusNote::Poll { rt, poll } => {
                if !watched(&inner, &rt) {
                    continue;
                }
                if let Ok(Some(p)) = inner.store.poll(&poll).await {
                    push_poll(&inner, &p).await;
                }
                lock(&inner.dirty).polls.entry(poll).or_insert((rt, false));
            }
            BusNote::PollRemoved { rt, poll } => {
                if watched(&inner, &rt) {
                    push_poll_removed(&inner, &rt, &poll);
                }
            }
            BusNote::PollOrder { rt } => push_poll_order(&inner, &rt).await,
            BusNote::Question { rt, id } => {
                if !watched(&inner, &rt) {
                    continue;
                }
                match inner.store.question(&id).await {
                    Ok(Some(q)) if q.roundtable_id == rt => push_question(&inner, &q),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "question not readable; resyncing the room");
                        resync_room(&inner, &rt).await;
                    }
                }
            }
            BusNote::Comment {
                rt,
                document,
                thread,
            } => {
                if !watched(&inner, &rt) {
                    continue;
                }
                match crate::comments::thread_now(&inner.store, &document, &thread).await {
                    Ok(change) => {
                        push_to_participants(&inner, &rt, &change.message(&room_name(&rt)));
                    }
                    Err(e) => tracing::warn!(error = %e, "comment thread not readable"),
                }
            }
            BusNote::Agreement { rt, id } => {
                if !watched(&inner, &rt) {
                    continue;
                }
                match crate::agreements::agreement_now(&inner.store, &id).await {
                    Ok(Some(v)) if v.roundtable_id == rt => push_agreement(&inner, &rt, &v),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "agreement not readable"),
                }
            }
            BusNote::Presence {
                rt,
                participants,
                audience,
            } => {
                let mut rooms = lock(&inner.rooms);
                let room = rooms.entry(rt).or_default();
                room.remote
                    .insert(env.origin, (participants, audience, Instant::now()));
                room.presence_dirty = true;
            }
        }
    }
}

/// Fills a room's [`Shown`] from the store when a subscriber arrives
/// without [`LiveHub::open_room`] having run (it normally has: the event
/// socket opens the room before reading its snapshot).
async fn seed(hub: Weak<Inner>, rt: String) {
    let Some(inner) = hub.upgrade() else { return };
    let Some(state) = seed_state(&inner.store, &rt).await else {
        return;
    };
    let mut rooms = lock(&inner.rooms);
    if let Some(room) = rooms.get_mut(&rt) {
        apply_seed(room, state);
    }
}

/// A room's polls and questions as stored now.
type Seed = (
    Vec<Poll>,
    Vec<Question>,
    Vec<crate::agreements::AgreementView>,
);

async fn seed_state(store: &Store, rt: &str) -> Option<Seed> {
    match (
        store.polls_of(rt).await,
        store.questions_of(rt).await,
        agreements_now(store, rt).await,
    ) {
        (Ok(p), Ok(q), Ok(a)) => Some((p, q, a)),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            tracing::warn!(error = %e, "room state not readable; its first resync pushes all");
            None
        }
    }
}

fn apply_seed(room: &mut Room, (polls, questions, agreements): Seed) {
    for a in agreements {
        let f = fingerprint(&a);
        room.shown.agreements.entry(a.id).or_insert(f);
    }
    for p in polls {
        let f = poll_fingerprint(&p);
        room.shown.polls.entry(p.id).or_insert((p.status, f));
    }
    for q in questions {
        room.shown
            .questions
            .entry(q.id)
            .or_insert((q.status, q.votes));
    }
}

/// Re-reads a room from the store after notes may have been lost: pushes
/// polls and questions whose state differs from what was shown here,
/// recomputes the tallies of open polls and of polls whose status was
/// missed, and closes audience sockets whose live session has ended.
async fn resync_room(inner: &Inner, rt: &str) {
    if !watched(inner, rt) {
        return;
    }
    match inner.store.polls_of(rt).await {
        Ok(polls) => {
            let gone: Vec<String> = lock(&inner.rooms)
                .get(rt)
                .map(|r| {
                    r.shown
                        .polls
                        .keys()
                        .filter(|id| !polls.iter().any(|p| &p.id == *id))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for id in gone {
                push_poll_removed(inner, rt, &id);
            }
            for p in polls {
                let shown = lock(&inner.rooms)
                    .get(rt)
                    .and_then(|r| r.shown.polls.get(&p.id).copied());
                let missed = shown.map(|(status, _)| status) != Some(p.status);
                if missed || shown.map(|(_, f)| f) != Some(poll_fingerprint(&p)) {
                    push_poll(inner, &p).await;
                }
                if p.status == PollStatus::Open || (missed && p.status == PollStatus::Closed) {
                    lock(&inner.dirty)
                        .polls
                        .entry(p.id)
                        .or_insert((rt.to_owned(), false));
                }
            }
            // The order may have changed too; it is cheap to say again.
            push_poll_order(inner, rt).await;
        }
        Err(e) => tracing::warn!(error = %e, "resync: polls not readable"),
    }
    match inner.store.questions_of(rt).await {
        Ok(list) => {
            for q in list {
                let shown = lock(&inner.rooms)
                    .get(rt)
                    .and_then(|r| r.shown.questions.get(&q.id).cloned());
                if shown.as_ref() != Some(&(q.status, q.votes)) {
                    push_question(inner, &q);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "resync: questions not readable"),
    }
    match agreements_now(&inner.store, rt).await {
        Ok(list) => {
            for a in list {
                let shown = lock(&inner.rooms)
                    .get(rt)
                    .and_then(|r| r.shown.agreements.get(&a.id).copied());
                if shown != Some(fingerprint(&a)) {
                    push_agreement(inner, rt, &a);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "resync: agreements not readable"),
    }
    match inner.store.active_live_session(rt).await {
        Ok(active) => {
            let active = active.map(|s| s.id);
            let mut rooms = lock(&inner.rooms);
            if let Some(room) = rooms.get_mut(rt) {
                let over: Vec<u64> = room
                    .subs
                    .iter()
                    .filter(|(_, s)| {
                        matches!(&s.viewer, Viewer::Audience { live_session_id, .. }
                            if active.as_deref() != Some(live_session_id.as_str()))
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for id in over {
                    if let Some(s) = room.subs.remove(&id) {
                        let _ = s.out.try_send(LiveOut::Close(SESSION_ENDED.into()));
                        room.presence_dirty = true;
                        room.announce = true;
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "resync: live session not readable"),
    }
}

async fn resync_all(inner: &Inner) {
    let rts: Vec<String> = lock(&inner.rooms).keys().cloned().collect();
    for rt in rts {
        resync_room(inner, &rt).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[tokio::test]
    async fn presence_counts_people_once_and_audience_by_head() {
        let store = accord_store::Store::connect("sqlite::memory:")
            .await
            .unwrap();
        let hub = LiveHub::new(store, Bus::in_process(), MinGroup::default());
        let (tx, _rx) = mpsc::channel(8);
        let ann = Viewer::Participant {
            user_id: "u1".into(),
            display_name: "Ann".into(),
            side: Side::Union,
            role: Role::Member,
        };
        let a = hub.subscribe("rt", ann.clone(), tx.clone());
        hub.subscribe("rt", ann, tx.clone());
        hub.subscribe(
            "rt",
            Viewer::Audience {
                member_id: "m1".into(),
                live_session_id: "s".into(),
            },
            tx.clone(),
        );
        let (list, audience) = hub.presence("rt");
        assert_eq!((list.len(), audience), (1, 1));
        // One phone's many sockets (tabs, reconnects, a script) are one head.
        for _ in 0..50 {
            hub.subscribe(
                "rt",
                Viewer::Audience {
                    member_id: "m1".into(),
                    live_session_id: "s".into(),
                },
                tx.clone(),
            );
        }
        hub.subscribe(
            "rt",
            Viewer::Audience {
                member_id: "m2".into(),
                live_session_id: "s".into(),
            },
            tx.clone(),
        );
        assert_eq!(hub.presence("rt").1, 2, "audience counted by member");
        hub.unsubscribe("rt", a);
        assert_eq!(
            hub.presence("rt").0.len(),
            1,
            "a second tab keeps Ann present"
        );
    }

    #[tokio::test]
    async fn a_node_does_not_answer_presence_with_presence() {
        let store = accord_store::Store::connect("sqlite::memory:")
            .await
            .unwrap();
        let buses = Bus::linked(3);
        let (a, b, observer) = (&buses[0], &buses[1], &buses[2]);
        let _hub_a = LiveHub::new(store.clone(), a.clone(), MinGroup::default());
        let hub_b = LiveHub::new(store, b.clone(), MinGroup::default());
        let mut heard = observer.subscribe();
        let (tx, _rx) = mpsc::channel(64);
        hub_b.subscribe(
            "rt",
            Viewer::Participant {
                user_id: "u1".into(),
                display_name: "Ann".into(),
                side: Side::Union,
                role: Role::Member,
            },
            tx,
        );
        let mut from = HashMap::new();
        let until = Instant::now() + Duration::from_millis(1500);
        while let Ok(Ok(BusEvent::Message(e))) =
            tokio::time::timeout_at(until.into(), heard.recv()).await
        {
            *from.entry(e.origin).or_insert(0) += 1;
        }
        assert_eq!(from.get(&b.node()), Some(&1), "B announces Ann once");
        assert_eq!(from.get(&a.node()), None, "A has no one to announce");
    }
}
