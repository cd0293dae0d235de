//! Live documents on this node: one actor task per open document, owning its
//! [`DocRoom`], talking to the store and the bus.
//!
//! Each pass of the actor collects commands for a short flush window
//! ([`FLUSH_WINDOW`], when anyone else is there to hear them), applies them
//! to memory, persists this node's changes merged into one update, and only
//! then sends anything: replies, one merged update frame and one merged
//! awareness frame to every connection, and one bus message per kind to the
//! other nodes. So the fan-out cost grows with windows × connections, not
//! edits × connections, and the database sees one row per window.
//! Whatever a client has seen is already durable.

use crate::bus::{Bus, BusEvent, Continuity, Envelope, GapDetector};
use crate::protocol;
use crate::room::{Access, ConnId, DocRoom, Identity};
use crate::SyncError;
use accord_store::Store;
use bytes::Bytes;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact};

/// Commands handled per pass; bounds the latency one pass can add.
const MAX_BATCH: usize = 1024;
/// How long a pass keeps collecting once its first command arrived. Short
/// enough to go unnoticed while typing (50 editors: p99 43 ms from one
/// editor's keystroke to every other screen); long enough that a window
/// holds several edits and cursor moves (10 ms cost 25% more CPU per edit).
pub const FLUSH_WINDOW: Duration = Duration::from_millis(15);
/// Frames queued for one connection before it counts as too slow and is closed.
const CONN_QUEUE: usize = 512;
/// Frames one connection may have handed to the worker and not yet had
/// handled. A faster writer waits (its socket is not read meanwhile)
/// instead of growing the worker's queue: at most this many frames of
/// [`protocol::MAX_FRAME_BYTES`] per connection are in memory.
const CONN_INBOUND: usize = 32;
/// How long a document without connections stays in memory.
const IDLE_UNLOAD: Duration = Duration::from_secs(30);
/// Updates logged since the last snapshot that trigger a compaction.
const COMPACT_EVERY: u64 = 500;

const TAG_UPDATE: u8 = 0;
const TAG_AWARENESS: u8 = 1;

/// What the socket task sends to its client.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Frame(Bytes),
    /// Close the WebSocket with this code and reason.
    Close(u16, String),
}

/// WebSocket close codes used here.
pub mod close {
    pub const POLICY: u16 = 1008;
    pub const INVALID: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
    pub const TRY_AGAIN: u16 = 1013;
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("store: {0}")]
    Store(#[from] accord_store::StoreError),
    #[error("stored document does not load: {0}")]
    Load(#[from] SyncError),
    #[error("a pass's updates do not merge: {0}")]
    Merge(SyncError),
    #[error("document worker is gone")]
    Gone,
}

enum Cmd {
    Connect {
        conn: ConnId,
        access: Access,
        identity: Option<Identity>,
        out: mpsc::Sender<Outgoing>,
    },
    Frame {
        conn: ConnId,
        bytes: Vec<u8>,
        /// Held until the worker has handled the frame (see [`CONN_INBOUND`]).
        _permit: tokio::sync::OwnedSemaphorePermit,
    },
    /// The connection's rights changed while it was open.
    SetAccess {
        conn: ConnId,
        access: Access,
        reason: String,
    },
    Disconnect {
        conn: ConnId,
    },
    Remote(Envelope),
    Resync,
    /// Make the content equal to a version's, as a new change.
    Restore {
        target: Vec<u8>,
        reply: RestoreReply,
    },
}

type RestoreReply = tokio::sync::oneshot::Sender<Result<Restored, HubError>>;

/// The document's full state on either side of a restore, both durable.
#[derive(Debug, Clone)]
pub struct Restored {
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

struct HubInner {
    store: Store,
    bus: Bus,
    /// How long an edited document stays untouched before an automatic version is made.
    auto_version_idle: Duration,
    rooms: Mutex<HashMap<String, mpsc::UnboundedSender<Cmd>>>,
    next_conn: AtomicU64,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct DocHub {
    inner: Arc<HubInner>,
}

/// One client's link to a live document. Dropping it disconnects.
pub struct DocConnection {
    pub conn: ConnId,
    cmds: mpsc::UnboundedSender<Cmd>,
    inbound: Arc<tokio::sync::Semaphore>,
    /// Frames (and a possible close) for the client, in order.
    pub outgoing: mpsc::Receiver<Outgoing>,
}

impl DocConnection {
    /// Hands a frame from the client to the document, waiting while
    /// [`CONN_INBOUND`] of its frames are still unhandled; `false` if the
    /// document worker is gone (the socket should close).
    pub async fn send(&self, bytes: Vec<u8>) -> bool {
        let Ok(permit) = Arc::clone(&self.inbound).acquire_owned().await else {
            return false;
        };
        self.cmds
            .send(Cmd::Frame {
                conn: self.conn,
                bytes,
                _permit: permit,
            })
            .is_ok()
    }

    /// Makes the open connection read-write or read-only; a connection made
    /// read-only is told `reason` (y-protocols' permission-denied message).
    pub fn set_access(&self, access: Access, reason: &str) -> bool {
        self.cmds
            .send(Cmd::SetAccess {
                conn: self.conn,
                access,
                reason: reason.to_owned(),
            })
            .is_ok()
    }
}

impl Drop for DocConnection {
    fn drop(&mut self) {
        let _ = self.cmds.send(Cmd::Disconnect { conn: self.conn });
    }
}

fn channel(doc_id: &str) -> String {
    format!("doc:{doc_id}")
}

impl DocHub {
    pub fn new(store: Store, bus: Bus) -> DocHub {
        DocHub::with_auto_versions(store, bus, crate::versions::AUTO_VERSION_IDLE)
    }

    /// A hub whose documents get an automatic version once edited and then
    /// left alone for `idle`.
    pub fn with_auto_versions(store: Store, bus: Bus, idle: Duration) -> DocHub {
        let hub = DocHub {
            inner: Arc::new(HubInner {
                store,
                bus,
                auto_version_idle: idle,
                rooms: Mutex::new(HashMap::new()),
                next_conn: AtomicU64::new(1),
            }),
        };
        tokio::spawn(route_bus_events(Arc::downgrade(&hub.inner)));
        hub
    }

    /// Number of documents loaded on this node.
    pub fn loaded(&self) -> usize {
        self.inner
            .rooms
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Connects a client to a document, loading it from the store if needed.
    /// An `identity` is stamped on the connection's awareness states.
    pub async fn join(
        &self,
        doc_id: &str,
        access: Access,
        identity: Option<Identity>,
    ) -> Result<DocConnection, HubError> {
        // A worker may be unloading at this very moment; a second try loads afresh.
        for _ in 0..3 {
            let cmds = self.room(doc_id).await?;
            let conn = ConnId(self.inner.next_conn.fetch_add(1, Ordering::Relaxed));
            let (out, outgoing) = mpsc::channel(CONN_QUEUE);
            let connect = Cmd::Connect {
                conn,
                access,
                identity: identity.clone(),
                out,
            };
            if cmds.send(connect).is_ok() {
                return Ok(DocConnection {
                    conn,
                    cmds,
                    inbound: Arc::new(tokio::sync::Semaphore::new(CONN_INBOUND)),
                    outgoing,
                });
            }
            self.forget(doc_id, &cmds);
        }
        Err(HubError::Gone)
    }

    /// Makes the document's content equal to `target` (a full v1 state) as
    /// a new change that every connected editor receives; returns the
    /// durable states just before and just after.
    pub async fn restore(&self, doc_id: &str, target: Vec<u8>) -> Result<Restored, HubError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let mut cmd = Some(Cmd::Restore { target, reply });
        for _ in 0..3 {
            let cmds = self.room(doc_id).await?;
            match cmd.take().map(|c| cmds.send(c)) {
                Some(Ok(())) => return answer.await.map_err(|_| HubError::Gone)?,
                Some(Err(mpsc::error::SendError(c))) => {
                    cmd = Some(c);
                    self.forget(doc_id, &cmds);
                }
                None => break,
            }
        }
        Err(HubError::Gone)
    }

    fn forget(&self, doc_id: &str, cmds: &mpsc::UnboundedSender<Cmd>) {
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if rooms.get(doc_id).is_some_and(|c| c.same_channel(cmds)) {
            rooms.remove(doc_id);
        }
    }

    async fn room(&self, doc_id: &str) -> Result<mpsc::UnboundedSender<Cmd>, HubError> {
        if let Some(c) = self.lookup(doc_id) {
            return Ok(c);
        }
        let room = load_room(&self.inner.store, doc_id).await?;
        let mut rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        // Another task may have loaded it while we read the store.
        if let Some(c) = rooms.get(doc_id).filter(|c| !c.is_closed()) {
            return Ok(c.clone());
        }
        let (tx, rx) = mpsc::unbounded_channel();
        rooms.insert(doc_id.to_owned(), tx.clone());
        let worker = Worker {
            doc_id: doc_id.to_owned(),
            room,
            conns: HashMap::new(),
            hub: Arc::downgrade(&self.inner),
            store: self.inner.store.clone(),
            bus: self.inner.bus.clone(),
            gaps: GapDetector::default(),
            since_compaction: 0,
            compacting: Arc::new(AtomicBool::new(false)),
            auto_version_idle: self.inner.auto_version_idle,
            unversioned_since: None,
            last_command: tokio::time::Instant::now(),
        };
        // A root span: the worker outlives the request that loaded the
        // document, and must not log as that request's user.
        let span = tracing::info_span!(parent: None, "document", id = %doc_id);
        tokio::spawn(worker.run(rx).instrument(span));
        Ok(tx)
    }

    fn lookup(&self, doc_id: &str) -> Option<mpsc::UnboundedSender<Cmd>> {
        let rooms = self.inner.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms.get(doc_id).filter(|c| !c.is_closed()).cloned()
    }
}

async fn load_room(store: &Store, doc_id: &str) -> Result<DocRoom, HubError> {
    let state = store.load_document(doc_id).await?;
    let mut room = DocRoom::load(
        state.snapshot.as_ref().map(|s| s.data.as_slice()),
        state.updates.iter().map(|u| u.data.as_slice()),
    )?;
    room.set_owners(owners(store, doc_id).await?);
    Ok(room)
}

/// Who owns which Yjs client id of the document, as every node recorded it.
async fn owners(store: &Store, doc_id: &str) -> Result<Vec<(u64, String)>, HubError> {
    Ok(store
        .document_clients(doc_id)
        .await?
        .into_iter()
        .map(|(client, author)| (client, author.user_id))
        .collect())
}

/// Hands bus messages for loaded documents to their workers.
async fn route_bus_events(hub: Weak<HubInner>) {
    let Some(mut rx) = hub.upgrade().map(|h| h.bus.subscribe()) else {
        return;
    };
    loop {
        let event = rx.recv().await;
        let Some(hub) = hub.upgrade() else { return };
        let rooms = hub.rooms.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Ok(BusEvent::Message(env)) => {
                if env.origin == hub.bus.node() {
                    continue;
                }
                if let Some(doc_id) = env.channel.strip_prefix("doc:") {
                    if let Some(tx) = rooms.get(doc_id) {
                        let _ = tx.send(Cmd::Remote(env));
                    }
                }
            }
            // Lost messages, here or on the Redis link: every room re-reads the store.
            Ok(BusEvent::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                for tx in rooms.values() {
                    let _ = tx.send(Cmd::Resync);
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

struct Worker {
    doc_id: String,
    room: DocRoom,
    conns: HashMap<ConnId, mpsc::Sender<Outgoing>>,
    hub: Weak<HubInner>,
    store: Store,
    bus: Bus,
    gaps: GapDetector,
    since_compaction: u64,
    compacting: Arc<AtomicBool>,
    auto_version_idle: Duration,
    /// When this node first persisted an edit that no version holds yet.
    unversioned_since: Option<tokio::time::Instant>,
    last_command: tokio::time::Instant,
}

/// What one pass will send once its updates are durable.
#[derive(Default)]
struct Pass {
    /// Frames for one connection each; a fresh joiner's whole state is the
    /// room's shared encoding, so 500 joiners in one pass hold one copy.
    replies: Vec<(ConnId, Bytes)>,
    /// This node's changes: persisted (merged), relayed, published.
    local_updates: Vec<Vec<u8>>,
    /// Changes another node already persisted: relayed only.
    remote_updates: Vec<Vec<u8>>,
    /// Awareness payloads from this node's connections: relayed, published.
    local_awareness: Vec<Vec<u8>>,
    remote_awareness: Vec<Vec<u8>>,
    /// Client ids first written under in this pass, with their writer.
    claims: Vec<(Vec<u64>, String, accord_domain::Side)>,
    /// Restores waiting for their change to be durable, with the state before.
    restores: Vec<(RestoreReply, Vec<u8>)>,
}

impl Worker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Cmd>) {
        loop {
            let first = match self.next_timer() {
                Some(at) => match tokio::time::timeout_at(at, rx.recv()).await {
                    Ok(Some(c)) => c,
                    Ok(None) => return,
                    Err(_) => {
                        if self.on_timer(&rx).await {
                            return;
                        }
                        continue;
                    }
                },
                None => match rx.recv().await {
                    Some(c) => c,
                    None => return,
                },
            };
            self.last_command = tokio::time::Instant::now();
            let mut batch = vec![first];
            // A lone connection has nobody to share a window with.
            let deadline =
                (self.conns.len() > 1).then(|| tokio::time::Instant::now() + FLUSH_WINDOW);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(c) => batch.push(c),
                    Err(mpsc::error::TryRecvError::Empty) => {
                        let Some(deadline) = deadline else { break };
                        match tokio::time::timeout_at(deadline, rx.recv()).await {
                            Ok(Some(c)) => batch.push(c),
                            // Closed: handled by the next recv. Elapsed: the window is over.
                            Ok(None) | Err(_) => break,
                        }
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            }
            if !self.pass(batch).await {
                self.unregister();
                return;
            }
        }
    }

    /// The next moment something is due without a command: an automatic
    /// version, or leaving memory when nobody is connected.
    fn next_timer(&self) -> Option<tokio::time::Instant> {
        let version = self.unversioned_since.map(|t| t + self.auto_version_idle);
        let unload = self
            .conns
            .is_empty()
            .then(|| self.last_command + IDLE_UNLOAD);
        match (version, unload) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Returns true when the worker left memory.
    async fn on_timer(&mut self, rx: &mpsc::UnboundedReceiver<Cmd>) -> bool {
        let now = tokio::time::Instant::now();
        let idle_edit = self
            .unversioned_since
            .is_some_and(|t| now >= t + self.auto_version_idle);
        let leaving = self.conns.is_empty() && now >= self.last_command + IDLE_UNLOAD;
        if idle_edit || (leaving && self.unversioned_since.is_some()) {
            self.unversioned_since = None;
            let content = accord_sync::version::VersionContent::of(self.room.doc());
            if let Err(e) = crate::versions::save_auto(&self.store, &self.doc_id, &content).await {
                tracing::warn!(error = %e, "automatic version failed");
            }
        }
        leaving && self.try_unload(rx)
    }

    fn unregister(&self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut rooms = hub.rooms.lock().unwrap_or_else(|p| p.into_inner());
            rooms.remove(&self.doc_id);
        }
    }

    /// Leaves memory if nobody came back meanwhile.
    fn try_unload(&self, rx: &mpsc::UnboundedReceiver<Cmd>) -> bool {
        let Some(hub) = self.hub.upgrade() else {
            return true;
        };
        let mut rooms = hub.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if !rx.is_empty() || !self.conns.is_empty() {
            return false;
        }
        rooms.remove(&self.doc_id);
        tracing::debug!("unloaded idle document");
        true
    }

    /// Handles one batch. Returns false when the worker must stop (the
    /// store failed, or memory can no longer be trusted).
    async fn pass(&mut self, batch: Vec<Cmd>) -> bool {
        let mut p = Pass::default();
        for cmd in batch {
            self.handle(cmd, &mut p).await;
        }
        for (clients, user, side) in std::mem::take(&mut p.claims) {
            // Recorded before the text is durable, so no persisted text is
            // left without its writer; a failure leaves it `by: null`.
            if let Err(e) = self
                .store
                .record_document_clients(&self.doc_id, &clients, &user, side, unix_now())
                .await
            {
                tracing::warn!(error = %e, "recording who writes under which client id failed");
            }
        }
        let local = if p.local_updates.is_empty() {
            None
        } else {
            let persisted = match protocol::merge_updates(&p.local_updates) {
                Ok(update) => self
                    .store
                    .append_document_updates(&self.doc_id, &[&update], unix_now())
                    .await
                    .map(|_| update)
                    .map_err(HubError::from),
                Err(e) => Err(HubError::Merge(e)),
            };
            match persisted {
                Ok(update) => Some(update),
                Err(e) => {
                    // Memory is now ahead of the truth: drop everyone (their
                    // clients resend what they have on reconnect) and reload.
                    tracing::error!(error = %e, "persisting document updates failed");
                    for out in self.conns.values() {
                        let _ = out.try_send(Outgoing::Close(
                            close::TRY_AGAIN,
                            "the document could not be saved; reconnect".into(),
                        ));
                    }
                    return false;
                }
            }
        };
        if local.is_some() {
            self.since_compaction += 1;
            self.maybe_compact();
            self.unversioned_since
                .get_or_insert_with(tokio::time::Instant::now);
        }
        for (reply, before) in std::mem::take(&mut p.restores) {
            let _ = reply.send(Ok(Restored {
                before,
                after: self.room.snapshot(),
            }));
        }
        self.send(p, local).await;
        !self.room.is_poisoned()
    }

    async fn handle(&mut self, cmd: Cmd, p: &mut Pass) {
        match cmd {
            Cmd::Connect {
                conn,
                access,
                identity,
                out,
            } => {
                for frame in self.room.connect_as(conn, access, identity) {
                    p.replies.push((conn, Bytes::from(frame)));
                }
                self.conns.insert(conn, out);
            }
            Cmd::SetAccess {
                conn,
                access,
                reason,
            } => {
                if self.room.set_access(conn, access) && access == Access::ReadOnly {
                    p.replies.push((
                        conn,
                        Bytes::from(protocol::encode_permission_denied(&reason)),
                    ));
                }
            }
            Cmd::Frame { conn, bytes, .. } => match self.apply(conn, &bytes).await {
                Ok(applied) => {
                    if !applied.claimed.is_empty() {
                        if let Some(who) = self.room.identity(conn) {
                            p.claims
                                .push((applied.claimed.clone(), who.user_id.clone(), who.side));
                        }
                    }
                    p.local_updates.extend(applied.persist);
                    p.replies
                        .extend(applied.reply.into_iter().map(|f| (conn, f)));
                    p.local_awareness.extend(applied.awareness);
                }
                Err(e) => {
                    let code = match e {
                        SyncError::TooLarge { .. } | SyncError::UpdateTooLarge { .. } => {
                            close::TOO_BIG
                        }
                        SyncError::DocumentFull { .. }
                        | SyncError::ReadOnly
                        | SyncError::ForeignClient(_)
                        | SyncError::UnknownClient(_) => close::POLICY,
                        SyncError::Poisoned | SyncError::ApplyFailed(_) => close::INTERNAL,
                        _ => close::INVALID,
                    };
                    let sender = self.room.identity(conn).map(|i| i.user_id.as_str());
                    tracing::info!(error = %e, user_id = sender, "frame refused; closing the connection");
                    if let Some(out) = self.conns.get(&conn) {
                        let _ = out.try_send(Outgoing::Close(code, e.close_reason()));
                    }
                    self.drop_conn(conn, p);
                }
            },
            Cmd::Disconnect { conn } => self.drop_conn(conn, p),
            Cmd::Remote(env) => self.remote(env, p).await,
            Cmd::Resync => self.resync(p).await,
            Cmd::Restore { target, reply } => {
                let before = self.room.snapshot();
                let made = accord_sync::version::load_state(&target)
                    .and_then(|t| accord_sync::version::restore_update(self.room.doc(), &t));
                match made {
                    Ok(update) => match self.room.apply_remote_update(&update) {
                        Ok(_) => {
                            p.local_updates.push(update);
                            p.restores.push((reply, before));
                        }
                        Err(e) => {
                            let _ = reply.send(Err(HubError::Load(e)));
                        }
                    },
                    Err(e) => {
                        let _ = reply.send(Err(HubError::Load(e)));
                    }
                }
            }
        }
    }

    /// Applies a client's frame; when it continues a client id whose owner
    /// this node has not heard of (claimed on another node), re-reads the
    /// owners once and tries again.
    async fn apply(
        &mut self,
        conn: ConnId,
        bytes: &[u8],
    ) -> Result<crate::room::Applied, SyncError> {
        match self.room.apply(conn, bytes) {
            Err(SyncError::UnknownClient(client)) => {
                match owners(&self.store, &self.doc_id).await {
                    Ok(list) => self.room.set_owners(list),
                    Err(e) => tracing::warn!(error = %e, client, "owners not readable"),
                }
                self.room.apply(conn, bytes)
            }
            other => other,
        }
    }

    fn drop_conn(&mut self, conn: ConnId, p: &mut Pass) {
        if self.conns.remove(&conn).is_some() {
            p.local_awareness.extend(self.room.disconnect(conn));
        }
    }

    async fn remote(&mut self, env: Envelope, p: &mut Pass) {
        match self.gaps.observe(&env) {
            Continuity::Stale => return,
            Continuity::Gap { missed } => {
                tracing::info!(missed, "bus gap; re-reading the document from the store");
                self.resync(p).await;
                return;
            }
            Continuity::InOrder => {}
        }
        let Some((&tag, body)) = env.payload.split_first() else {
            return;
        };
        match tag {
            TAG_UPDATE => match self.room.apply_remote_update(body) {
                Ok(true) => p.remote_updates.push(body.to_vec()),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "remote update refused"),
            },
            TAG_AWARENESS => match self.room.apply_remote_awareness(body) {
                Ok(_) => p.remote_awareness.push(body.to_vec()),
                Err(e) => tracing::warn!(error = %e, "remote awareness refused"),
            },
            _ => {}
        }
    }

    /// Brings memory up to the store (the truth) and relays what was missing.
    async fn resync(&mut self, p: &mut Pass) {
        let fresh = match load_room(&self.store, &self.doc_id).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "resync failed");
                return;
            }
        };
        let missing = {
            let Ok(sv) = StateVector::decode_v1(&self.room.state_vector()) else {
                return;
            };
            fresh.doc().transact().encode_state_as_update_v1(&sv)
        };
        match self.room.apply_remote_update(&missing) {
            Ok(true) => p.remote_updates.push(missing),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "resync update refused"),
        }
    }

    /// Sends a durable pass: replies, then one update frame and one
    /// awareness frame to every connection, then this node's part to the bus.
    async fn send(&mut self, p: Pass, local_update: Option<Vec<u8>>) {
        let mut slow = Vec::new();
        for (conn, frame) in p.replies {
            if let Some(out) = self.conns.get(&conn) {
                if too_slow(out.try_send(Outgoing::Frame(frame))) {
                    slow.push(conn);
                }
            }
        }
        let relay_update = with_remote(
            local_update.as_deref(),
            p.remote_updates,
            protocol::merge_updates,
        );
        let local_awareness = if p.local_awareness.is_empty() {
            None
        } else {
            logged(protocol::merge_awareness(&p.local_awareness))
        };
        let relay_awareness = with_remote(
            local_awareness.as_deref(),
            p.remote_awareness,
            protocol::merge_awareness,
        );
        let fanout: Vec<Bytes> = relay_update
            .map(|u| Bytes::from(protocol::encode_update(&u)))
            .into_iter()
            .chain(relay_awareness.map(|a| Bytes::from(protocol::encode_awareness(&a))))
            .collect();
        for frame in &fanout {
            for (conn, out) in &self.conns {
                if too_slow(out.try_send(Outgoing::Frame(frame.clone()))) {
                    slow.push(*conn);
                }
            }
        }
        for conn in slow {
            if let Some(out) = self.conns.remove(&conn) {
                let _ = out.try_send(Outgoing::Close(close::POLICY, "client too slow".into()));
                let _ = self.room.disconnect(conn);
            }
        }
        // Other nodes hear this node's own persisted edits and presence.
        if let Some(u) = &local_update {
            self.publish(TAG_UPDATE, u).await;
        }
        if let Some(a) = &local_awareness {
            self.publish(TAG_AWARENESS, a).await;
        }
    }

    async fn publish(&self, tag: u8, body: &[u8]) {
        let mut payload = Vec::with_capacity(body.len() + 1);
        payload.push(tag);
        payload.extend_from_slice(body);
        if let Err(e) = self.bus.publish(&channel(&self.doc_id), payload).await {
            // Other nodes notice the gap in sequence numbers and re-read the store.
            tracing::warn!(error = %e, "bus publish failed");
        }
    }

    /// Folds the update log into a snapshot in the background, from the
    /// store's own contents, so no update written meanwhile is lost.
    fn maybe_compact(&mut self) {
        if self.since_compaction < COMPACT_EVERY || self.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        self.since_compaction = 0;
        let store = self.store.clone();
        let doc_id = self.doc_id.clone();
        let flag = Arc::clone(&self.compacting);
        tokio::spawn(
            async move {
                if let Err(e) = compact(&store, &doc_id).await {
                    tracing::warn!(error = %e, "compaction failed");
                }
                flag.store(false, Ordering::Release);
            }
            .in_current_span(),
        );
    }
}

/// Rebuilds the document from the store and replaces the log up to the
/// last update read by one snapshot.
pub async fn compact(store: &Store, doc_id: &str) -> Result<(), HubError> {
    let state = store.load_document(doc_id).await?;
    if state.updates.is_empty() {
        return Ok(());
    }
    let up_to = state.last_seq();
    let room = DocRoom::load(
        state.snapshot.as_ref().map(|s| s.data.as_slice()),
        state.updates.iter().map(|u| u.data.as_slice()),
    )?;
    store
        .compact_document(doc_id, up_to, &room.snapshot(), unix_now())
        .await?;
    tracing::debug!(up_to, "document compacted");
    Ok(())
}

/// Whether a failed send means the connection is too slow: its queue is
/// full. A closed queue means its socket task has ended; the connection's
/// disconnect follows whatever frames it sent last, and those must still be
/// applied, so it is forgotten then (forgetting it now refused them as
/// "unknown connection", and a client that sent and closed lost its edits).
fn too_slow(sent: Result<(), mpsc::error::TrySendError<Outgoing>>) -> bool {
    matches!(sent, Err(mpsc::error::TrySendError::Full(_)))
}

/// [`protocol::merge_updates`] or [`protocol::merge_awareness`].
type Merge = fn(&[Vec<u8>]) -> Result<Vec<u8>, SyncError>;

/// `local` and `remote` merged into one by `merge`; `local` alone is
/// borrowed as it is.
fn with_remote(
    local: Option<&[u8]>,
    mut remote: Vec<Vec<u8>>,
    merge: Merge,
) -> Option<Cow<'_, [u8]>> {
    if remote.is_empty() {
        return local.map(Cow::Borrowed);
    }
    remote.extend(local.map(<[u8]>::to_vec));
    logged(merge(&remote)).map(Cow::Owned)
}

/// A merge that failed is logged and its frame skipped: the next pass or a
/// reconnect's sync brings the clients up to date.
fn logged(merged: Result<Vec<u8>, SyncError>) -> Option<Vec<u8>> {
    merged
        .map_err(|e| tracing::error!(error = %e, "merging relayed changes failed"))
        .ok()
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
