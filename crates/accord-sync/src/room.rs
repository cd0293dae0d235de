//! One live document: its Yjs state, its awareness and its connections.
//!
//! [`DocRoom`] does no I/O. The caller feeds it frames and carries out what
//! it returns, in this order: persist [`Applied::persist`] (if any), and only
//! once that is durable send [`Applied::reply`] to the sender and the
//! update and [`Applied::awareness`] to every other connection. An update is applied to
//! memory first so that one which cannot be integrated is never written;
//! if persisting then fails, the caller must drop the room and reload it
//! from the store, since memory is ahead of the truth.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use crate::protocol::{self, Frame};
use crate::SyncError;

/// Largest single update a client may send. A whole programme document
/// pasted at once is a few hundred KiB of Yjs update; this is above that and
/// well below what lets one client fill memory (a 900 KiB update, thirty
/// times, took a server from 34 to 545 MB RSS).
pub const MAX_UPDATE_BYTES: usize = 512 * 1024;
/// Largest encoded state a document may grow to. The longest-edited
/// document seen (500 editors typing for a minute, BENCHMARKS.md) is
/// 1.6 MB; every late joiner downloads the whole state, so it is bounded.
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;

/// A connection's identity within a room, chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What a connection may do to the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Members and facilitators.
    ReadWrite,
    /// Observers and audience: they see everything and show their presence,
    /// but any change they send is refused.
    ReadOnly,
}

/// What handling one frame produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// A v1 update that changed the document: persist it before sending anything.
    pub persist: Option<Vec<u8>>,
    /// Frames for the sender only. The answer to a fresh client's step 1
    /// is the room's shared encoding of the whole document
    /// ([`DocRoom::full_state_reply`]): a clone, not a copy.
    pub reply: Vec<Bytes>,
    /// Awareness payloads (not yet framed) for every other connection of the
    /// room and other nodes; kept bare so a caller can merge them with others.
    pub awareness: Vec<Vec<u8>>,
    /// Yjs client ids this frame's sender wrote under for the first time:
    /// the caller records them as the sender's, which is what attributes
    /// text to a participant (and survives compaction of the log).
    pub claimed: Vec<u64>,
}

impl Applied {
    /// What every other connection should receive, as frames: the update
    /// (if any) first, then the awareness changes.
    pub fn broadcast_frames(&self) -> Vec<Vec<u8>> {
        self.persist
            .iter()
            .map(|u| protocol::encode_update(u))
            .chain(self.awareness.iter().map(|a| protocol::encode_awareness(a)))
            .collect()
    }
}

/// Who a connection is, as the server authenticated it. Awareness states
/// the connection sends carry this as their `user`, whatever they claimed,
/// so nobody appears under another name or side in "Editing now".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// For logs: who sent what was refused.
    pub user_id: String,
    pub name: String,
    pub side: accord_domain::Side,
}

impl Identity {
    /// The `user` field of an awareness state (the shape y-prosemirror's
    /// cursor plugin and the web's presence list read).
    fn user_json(&self, access: Access) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "side": self.side,
            "color": side_colour(self.side),
            "readOnly": access == Access::ReadOnly,
        })
    }
}

/// The cursor colour of each side (the web's `SIDE_COLOURS`).
fn side_colour(side: accord_domain::Side) -> &'static str {
    match side {
        accord_domain::Side::Employer => "#1d4ed8",
        accord_domain::Side::Union => "#b91c1c",
        accord_domain::Side::Neutral => "#4b5563",
    }
}

#[derive(Debug)]
struct Conn {
    access: Access,
    identity: Option<Identity>,
    /// Awareness client ids this connection has announced, removed on disconnect.
    awareness_clients: HashSet<u64>,
}

/// A document and everyone connected to it.
pub struct DocRoom {
    awareness: Awareness,
    /// The encoded state's size when loaded plus every update integrated
    /// since: an upper bound of what a late joiner downloads.
    size: usize,
    conns: HashMap<ConnId, Conn>,
    /// The framed sync step 2 of the whole document, encoded for the first
    /// fresh client since the last change and shared by every one after
    /// it; dropped whenever the document changes.
    full_state: Option<Bytes>,
    /// Set when an apply failed part-way: memory may hold part of a refused
    /// update, so the room must be reloaded from the store.
    poisoned: bool,
    /// Which user each Yjs client id belongs to, as far as this room knows.
    owners: HashMap<u64, String>,
}

impl std::fmt::Debug for DocRoom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocRoom")
            .field("connections", &self.conns.len())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl Default for DocRoom {
    fn default() -> Self {
        Self::new()
    }
}

impl DocRoom {
    /// An empty document.
    pub fn new() -> Self {
        DocRoom {
            awareness: Awareness::new(Doc::new()),
            size: 0,
            conns: HashMap::new(),
            full_state: None,
            poisoned: false,
            owners: HashMap::new(),
        }
    }

    /// Rebuilds a room from the latest snapshot and the updates logged after it.
    pub fn load<I, B>(snapshot: Option<&[u8]>, updates: I) -> Result<Self, SyncError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut room = DocRoom::new();
        let doc = room.awareness.doc().clone();
        let parts: Vec<Vec<u8>> = snapshot
            .into_iter()
            .map(<[u8]>::to_vec)
            .chain(updates.into_iter().map(|u| u.as_ref().to_vec()))
            .collect();
        // yrs can panic while integrating hostile structs (the fuzzer found an
        // out-of-bounds index in its block store); a corrupt log must give an
        // error, not take the caller down.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            for bytes in &parts {
                let update = protocol::check_update(bytes)?;
                txn.apply_update(update)
                    .map_err(|e| SyncError::ApplyFailed(e.to_string()))?;
            }
            Ok::<(), SyncError>(())
        }));
        match outcome {
            Ok(Ok(())) => {
                room.size = doc
                    .transact()
                    .encode_state_as_update_v1(&StateVector::default())
                    .len();
                Ok(room)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SyncError::ApplyFailed("update integration panicked".into())),
        }
    }

    /// The underlying document, for rendering and tests.
    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    /// Whether the room must be discarded and reloaded.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// The whole document as one v1 update: what compaction stores as a snapshot.
    pub fn snapshot(&self) -> Vec<u8> {
        self.doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// The framed sync step 2 holding the whole document: the answer to a
    /// step 1 with an empty state vector, which every fresh client sends.
    /// Encoded once per state of the document: until the document changes,
    /// every call returns the same bytes (clones of one buffer), so 500
    /// joiners of a 1.6 MB document cost 1.6 MB, not 800 MB.
    pub fn full_state_reply(&mut self) -> Bytes {
        if let Some(frame) = &self.full_state {
            return frame.clone();
        }
        let state = self
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let frame = Bytes::from(protocol::encode_sync_step2(&state));
        self.full_state = Some(frame.clone());
        frame
    }

    /// The encoded state vector.
    pub fn state_vector(&self) -> Vec<u8> {
        self.doc().transact().state_vector().encode_v1()
    }

    /// The document as a neutral tree.
    pub fn render(&self) -> accord_domain::document::Document {
        crate::render::render(self.doc())
    }

    /// Registers a connection and returns the frames to greet it with: our
    /// state vector (so a writer sends what we lack) and everyone's presence.
    /// Read-only connections get no step 1, so they have nothing to answer
    /// with a change.
    pub fn connect(&mut self, conn: ConnId, access: Access) -> Vec<Vec<u8>> {
        self.connect_as(conn, access, None)
    }

    /// [`DocRoom::connect`] for an authenticated connection, whose awareness
    /// states are stamped with `identity`.
    pub fn connect_as(
        &mut self,
        conn: ConnId,
        access: Access,
        identity: Option<Identity>,
    ) -> Vec<Vec<u8>> {
        self.conns.insert(
            conn,
            Conn {
                access,
                identity,
                awareness_clients: HashSet::new(),
            },
        );
        let mut out = Vec::new();
        if access == Access::ReadWrite {
            out.push(protocol::encode_sync_step1(
                &self.doc().transact().state_vector(),
            ));
        }
        if let Some(frame) = self.awareness_frame() {
            out.push(frame);
        }
        out
    }

    /// Tells the room who owns which Yjs client ids (read from the store,
    /// where every node records its claims).
    pub fn set_owners(&mut self, owners: impl IntoIterator<Item = (u64, String)>) {
        self.owners.extend(owners);
    }

    /// Who an authenticated connection is.
    pub fn identity(&self, conn: ConnId) -> Option<&Identity> {
        self.conns.get(&conn).and_then(|c| c.identity.as_ref())
    }

    /// Changes what an open connection may do (its participant's rights
    /// changed). Returns whether the connection is known.
    pub fn set_access(&mut self, conn: ConnId, access: Access) -> bool {
        match self.conns.get_mut(&conn) {
            Some(c) => {
                c.access = access;
                true
            }
            None => false,
        }
    }

    /// Forgets a connection. Returns the awareness payload marking its
    /// clients gone, to broadcast to the others (and other nodes).
    pub fn disconnect(&mut self, conn: ConnId) -> Option<Vec<u8>> {
        let gone = self.conns.remove(&conn)?;
        if gone.awareness_clients.is_empty() {
            return None;
        }
        let mut clients = HashMap::new();
        for id in gone.awareness_clients {
            let client = ClientID::new(id);
            let clock = self.awareness.meta(client).map(|(c, _)| c).unwrap_or(0);
            clients.insert(
                client,
                AwarenessUpdateEntry {
                    clock: clock.saturating_add(1),
                    json: "null".into(),
                },
            );
        }
        let update = AwarenessUpdate { clients };
        let payload = update.encode_v1();
        // Applying our own removal cannot fail: every entry is valid.
        let _ = self.awareness.apply_update(update);
        Some(payload)
    }

    /// Handles one frame from `conn`. On error nothing was changed (unless
    /// the room reports [`DocRoom::is_poisoned`]) and the connection should
    /// be closed with the error as reason.
    pub fn apply(&mut self, conn: ConnId, frame: &[u8]) -> Result<Applied, SyncError> {
        if self.poisoned {
            return Err(SyncError::Poisoned);
        }
        let access = self
            .conns
            .get(&conn)
            .map(|c| c.access)
            .ok_or(SyncError::UnknownConnection)?;
        let messages = protocol::decode_frame(frame)?;

        // Refuse before touching anything, so a refused frame changes nothing.
        let mut incoming = 0usize;
        for m in &messages {
            if let Frame::SyncStep2(u) | Frame::Update(u) = m {
                if u.len() > MAX_UPDATE_BYTES {
                    return Err(SyncError::UpdateTooLarge {
                        size: u.len(),
                        limit: MAX_UPDATE_BYTES,
                    });
                }
                incoming += u.len();
            }
        }
        if access == Access::ReadWrite
            && incoming > 0
            && self.size.saturating_add(incoming) > MAX_DOCUMENT_BYTES
        {
            // A change that adds nothing (a reconnecting client's step 2) still passes.
            let adds = messages.iter().any(|m| match m {
                Frame::SyncStep2(u) | Frame::Update(u) => !self.is_noop(u).unwrap_or(false),
                _ => false,
            });
            if adds {
                return Err(SyncError::DocumentFull {
                    limit: MAX_DOCUMENT_BYTES,
                });
            }
        }
        if access == Access::ReadOnly {
            for m in &messages {
                if let Frame::SyncStep2(u) | Frame::Update(u) = m {
                    if !self.is_noop(u)? {
                        return Err(SyncError::ReadOnly);
                    }
                }
            }
        }

        let claimed = if access == Access::ReadWrite {
            self.check_writers(conn, &messages)?
        } else {
            Vec::new()
        };

        // A connection may only speak for awareness clients no other
        // connection has claimed, so nobody can move someone else's cursor
        // or rename them. y-websocket clients echo others' states back with
        // the clock they received; such echoes are dropped below, but a
        // newer clock for someone else's client is a forgery.
        for m in &messages {
            if let Frame::Awareness(_, update) = m {
                for (client, entry) in &update.clients {
                    if self.claimed_by_other(conn, client.get()) {
                        let known = self.awareness.meta(*client).map_or(0, |(clock, _)| clock);
                        if entry.clock > known {
                            return Err(SyncError::BadAwareness(
                                "awareness client belongs to another connection".into(),
                            ));
                        }
                    }
                }
            }
        }

        let mut applied = Applied::default();
        let mut changes: Vec<Vec<u8>> = Vec::new();
        for m in messages {
            match m {
                Frame::SyncStep1(sv) => {
                    // A client that knows nothing gets the shared encoding;
                    // anyone else only what it lacks.
                    let reply = if sv.iter().all(|(_, &clock)| clock == 0) {
                        self.full_state_reply()
                    } else {
                        let diff = self.doc().transact().encode_state_as_update_v1(&sv);
                        Bytes::from(protocol::encode_sync_step2(&diff))
                    };
                    applied.reply.push(reply);
                }
                Frame::SyncStep2(u) | Frame::Update(u) => {
                    if access == Access::ReadWrite && self.integrate(&u)? {
                        self.size += u.len();
                        changes.push(u);
                    }
                }
                Frame::Awareness(_, mut update) => {
                    update
                        .clients
                        .retain(|client, _| !self.claimed_by_other(conn, client.get()));
                    if let Some(c) = self.conns.get(&conn) {
                        if let Some(identity) = &c.identity {
                            stamp(&mut update, &identity.user_json(c.access));
                        }
                    }
                    if update.clients.is_empty() {
                        continue;
                    }
                    let raw = update.encode_v1();
                    if let Some(c) = self.conns.get_mut(&conn) {
                        for (client, entry) in &update.clients {
                            if &*entry.json == "null" {
                                c.awareness_clients.remove(&client.get());
                            } else {
                                c.awareness_clients.insert(client.get());
                            }
                        }
                    }
                    self.awareness
                        .apply_update(update)
                        .map_err(|e| SyncError::BadAwareness(e.to_string()))?;
                    applied.awareness.push(raw);
                }
                Frame::QueryAwareness => {
                    if let Some(frame) = self.awareness_frame() {
                        applied.reply.push(Bytes::from(frame));
                    }
                }
            }
        }
        if !changes.is_empty() {
            applied.persist = Some(protocol::merge_updates(&changes)?);
            if let Some(user) = self.identity(conn).map(|i| i.user_id.clone()) {
                for client in &claimed {
                    self.owners.insert(*client, user.clone());
                }
                applied.claimed = claimed;
            }
        }
        Ok(applied)
    }

    /// Applies an update that another node already persisted (received over
    /// the bus or re-read from the store after a gap). Returns whether it
    /// changed anything, i.e. whether local connections need it.
    pub fn apply_remote_update(&mut self, update: &[u8]) -> Result<bool, SyncError> {
        if self.poisoned {
            return Err(SyncError::Poisoned);
        }
        let changed = self.integrate(update)?;
        if changed {
            self.size += update.len();
        }
        Ok(changed)
    }

    /// Applies awareness relayed from another node.
    pub fn apply_remote_awareness(&mut self, payload: &[u8]) -> Result<(), SyncError> {
        let update = protocol::decode_awareness(payload)?;
        self.awareness
            .apply_update(update)
            .map_err(|e| SyncError::BadAwareness(e.to_string()))
    }

    /// Applies an update; true if it changed the document or left parts
    /// pending (which must be kept as well, so it is worth persisting).
    /// Either way, or on failure, the shared full state is dropped: what a
    /// fresh client receives includes pending parts. An update that changes
    /// nothing (a reconnecting client's step 2) keeps it.
    fn integrate(&mut self, bytes: &[u8]) -> Result<bool, SyncError> {
        let update = protocol::check_update(bytes)?;
        let doc = self.awareness.doc().clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut txn = doc.transact_mut();
            txn.apply_update(update)?;
            Ok::<bool, yrs::error::UpdateError>(
                !txn.insert_set().is_empty()
                    || !txn.delete_set().is_empty()
                    || txn.has_missing_updates(),
            )
        }));
        if !matches!(result, Ok(Ok(false))) {
            self.full_state = None;
        }
        match result {
            Ok(Ok(changed)) => Ok(changed),
            Ok(Err(e)) => {
                self.poisoned = true;
                Err(SyncError::ApplyFailed(e.to_string()))
            }
            Err(_) => {
                self.poisoned = true;
                Err(SyncError::ApplyFailed("update integration panicked".into()))
            }
        }
    }

    /// True if `update` holds nothing the document lacks: no unknown structs
    /// and no deletion not already made. Costs a pass over the delete set,
    /// which is acceptable for the rare read-only sender.
    fn is_noop(&self, update: &[u8]) -> Result<bool, SyncError> {
        let txn = self.doc().transact();
        let sv = txn.state_vector().encode_v1();
        let rest =
            yrs::diff_updates_v1(update, &sv).map_err(|e| SyncError::BadUpdate(e.to_string()))?;
        let rest = Update::decode_v1(&rest).map_err(|e| SyncError::BadUpdate(e.to_string()))?;
        if !rest.state_vector_lower().is_empty() {
            return Ok(false);
        }
        let deleted = txn.snapshot().delete_set;
        Ok(rest.delete_set().diff(&deleted).is_empty())
    }

    /// The client ids an authenticated writer's updates add content under
    /// for the first time. Content under a client id the document already
    /// holds may only come from that id's owner: otherwise anyone could
    /// write text that the review's diff attributes to someone else (or
    /// continue the server's own, unattributed restore). Content the
    /// document already has (an update relayed from another provider) is
    /// not a claim.
    fn check_writers(&self, conn: ConnId, messages: &[Frame]) -> Result<Vec<u64>, SyncError> {
        let Some(me) = self.identity(conn).map(|i| i.user_id.as_str()) else {
            return Ok(Vec::new());
        };
        let known = self.doc().transact().state_vector();
        let mut claimed = Vec::new();
        for m in messages {
            let (Frame::SyncStep2(u) | Frame::Update(u)) = m else {
                continue;
            };
            let update = Update::decode_v1(u).map_err(|e| SyncError::BadUpdate(e.to_string()))?;
            // Not `Update::state_vector`: it counts only clients whose blocks
            // start at clock 0, so a continuation would pass unseen.
            let insertions = update.insertions(true);
            for (id, ranges) in insertions.iter() {
                let upper = ranges.into_iter().map(|r| r.end).max().unwrap_or(0);
                let have = known.get(id);
                let client = id.get();
                if upper <= have {
                    continue;
                }
                match self.owners.get(&client).map(String::as_str) {
                    Some(owner) if owner == me => {}
                    Some(_) => return Err(SyncError::ForeignClient(client)),
                    None if have > 0 => return Err(SyncError::UnknownClient(client)),
                    None => {
                        if !claimed.contains(&client) {
                            claimed.push(client);
                        }
                    }
                }
            }
        }
        Ok(claimed)
    }

    /// Whether another connection has announced this awareness client.
    fn claimed_by_other(&self, conn: ConnId, client: u64) -> bool {
        self.conns
            .iter()
            .any(|(id, c)| *id != conn && c.awareness_clients.contains(&client))
    }

    fn awareness_frame(&self) -> Option<Vec<u8>> {
        let update = self.awareness.update().ok()?;
        if update.clients.is_empty() {
            return None;
        }
        Some(protocol::encode_awareness(&update.encode_v1()))
    }
}

/// Replaces the `user` of every state in `update` with the server's; a
/// state that is not a JSON object cannot carry it and is dropped.
fn stamp(update: &mut AwarenessUpdate, user: &serde_json::Value) {
    update.clients.retain(|_, entry| {
        if &*entry.json == "null" {
            return true;
        }
        match serde_json::from_str::<serde_json::Value>(&entry.json) {
            Ok(serde_json::Value::Object(mut state)) => {
                state.insert("user".into(), user.clone());
                entry.json = serde_json::Value::Object(state).to_string().into();
                true
            }
            _ => false,
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::protocol::{decode_frame, encode_sync_step1, encode_update};
    use yrs::{GetString, Text, XmlFragment, XmlTextPrelim};

    const A: ConnId = ConnId(1);
    const B: ConnId = ConnId(2);

    fn edit(doc: &Doc, s: &str) -> Vec<u8> {
        let text = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
        txn.encode_diff_v1(&before)
    }

    fn text(doc: &Doc) -> String {
        let t = doc.get_or_insert_text("t");
        let s = t.get_string(&doc.transact());
        s
    }

    /// Plays a y-websocket client: applies what the server sends.
    fn client_receive<F: AsRef<[u8]>>(doc: &Doc, frames: &[F]) -> Vec<Vec<u8>> {
        let mut replies = Vec::new();
        for f in frames {
            for m in decode_frame(f.as_ref()).unwrap() {
                match m {
                    Frame::SyncStep1(sv) => {
                        let u = doc.transact().encode_state_as_update_v1(&sv);
                        replies.push(protocol::encode_sync_step2(&u));
                    }
                    Frame::SyncStep2(u) | Frame::Update(u) => doc
                        .transact_mut()
                        .apply_update(Update::decode_v1(&u).unwrap())
                        .unwrap(),
                    _ => {}
                }
            }
        }
        replies
    }

    #[test]
    fn two_clients_converge_through_the_room() {
        let mut room = DocRoom::new();
        let (a, b) = (Doc::new(), Doc::new());
        edit(&a, "from a;");
        edit(&b, "from b;");
        for (id, doc) in [(A, &a), (B, &b)] {
            let greet = room.connect(id, Access::ReadWrite);
            let replies = client_receive(doc, &greet);
            let mut frame = encode_sync_step1(&doc.transact().state_vector());
            for r in replies {
                frame.extend(r);
            }
            let applied = room.apply(id, &frame).unwrap();
            assert!(applied.persist.is_some());
            client_receive(doc, &applied.reply);
            let other = if id == A { &b } else { &a };
            client_receive(other, &applied.broadcast_frames());
        }
        let u = edit(&a, " more");
        let applied = room.apply(A, &encode_update(&u)).unwrap();
        client_receive(&b, &applied.broadcast_frames());
        assert_eq!(text(&a), text(&b));
        assert_eq!(text(room.doc()), text(&a));
        assert!(text(&a).contains("from a;") && text(&a).contains("from b;"));

        // Resending a known update changes nothing, so there is nothing to persist.
        let again = room.apply(A, &encode_update(&u)).unwrap();
        assert_eq!(again.persist, None);
        assert!(again.broadcast_frames().is_empty());
    }

    #[test]
    fn fresh_joiners_share_one_encoding_until_the_document_changes() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        room.connect(B, Access::ReadOnly);
        let writer = Doc::new();
        let first = edit(&writer, "shared state");
        room.apply(A, &encode_update(&first)).unwrap();
        let fresh = encode_sync_step1(&StateVector::default());

        let to_a = room.apply(A, &fresh).unwrap().reply;
        let to_b = room.apply(B, &fresh).unwrap().reply;
        assert_eq!((to_a.len(), to_b.len()), (1, 1));
        assert_eq!(
            to_a[0].as_ptr(),
            to_b[0].as_ptr(),
            "two fresh joiners get the very same bytes"
        );
        assert_eq!(to_a[0], room.full_state_reply());
        let joiner = Doc::new();
        client_receive(&joiner, &to_b);
        assert_eq!(text(&joiner), "shared state");

        // A client that already holds something gets only what it lacks.
        let behind = room
            .apply(B, &encode_sync_step1(&Doc::new().transact().state_vector()))
            .unwrap()
            .reply;
        assert_eq!(
            behind[0].as_ptr(),
            to_a[0].as_ptr(),
            "an empty state vector is fresh"
        );
        let knows = room
            .apply(B, &encode_sync_step1(&joiner.transact().state_vector()))
            .unwrap()
            .reply;
        assert_ne!(knows[0].as_ptr(), to_a[0].as_ptr());
        assert!(knows[0].len() < to_a[0].len());

        // Resending what the room has changes nothing: the encoding stays.
        assert_eq!(room.apply(A, &encode_update(&first)).unwrap().persist, None);
        assert_eq!(room.full_state_reply().as_ptr(), to_a[0].as_ptr());

        // An edit drops it: the next fresh joiner gets the new state.
        room.apply(A, &encode_update(&edit(&writer, " and more")))
            .unwrap();
        let after_edit = room.apply(B, &fresh).unwrap().reply;
        assert_ne!(after_edit[0], to_a[0]);
        let late = Doc::new();
        client_receive(&late, &after_edit);
        assert_eq!(text(&late), "shared state and more");
        assert_eq!(
            room.apply(A, &fresh).unwrap().reply[0].as_ptr(),
            after_edit[0].as_ptr(),
            "shared again until the next change"
        );

        // So does a change that another node persisted.
        let remote = Doc::new();
        client_receive(&remote, &after_edit);
        assert!(room
            .apply_remote_update(&edit(&remote, " from afar"))
            .unwrap());
        let after_remote = room.apply(B, &fresh).unwrap().reply;
        let last = Doc::new();
        client_receive(&last, &after_remote);
        assert_eq!(text(&last), "shared state and more from afar");
    }

    #[test]
    fn two_rooms_exchanging_persisted_updates_converge() {
        let (mut r1, mut r2) = (DocRoom::new(), DocRoom::new());
        r1.connect(A, Access::ReadWrite);
        r2.connect(B, Access::ReadWrite);
        let (a, b) = (Doc::new(), Doc::new());
        let p1 = r1
            .apply(A, &encode_update(&edit(&a, "x")))
            .unwrap()
            .persist
            .unwrap();
        let p2 = r2
            .apply(B, &encode_update(&edit(&b, "y")))
            .unwrap()
            .persist
            .unwrap();
        assert!(r1.apply_remote_update(&p2).unwrap());
        assert!(r2.apply_remote_update(&p1).unwrap());
        assert!(!r2.apply_remote_update(&p1).unwrap());
        assert_eq!(text(r1.doc()), text(r2.doc()));
        assert_eq!(r1.snapshot().len(), r2.snapshot().len());
    }

    #[test]
    fn read_only_changes_are_refused_and_leave_the_doc_unchanged() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        let writer = Doc::new();
        room.apply(A, &encode_update(&edit(&writer, "official")))
            .unwrap();
        let before = room.snapshot();

        let greet = room.connect(B, Access::ReadOnly);
        assert!(greet
            .iter()
            .all(|f| !matches!(decode_frame(f).unwrap()[0], Frame::SyncStep1(_))));
        let observer = Doc::new();
        // The observer may still sync down.
        let applied = room
            .apply(B, &encode_sync_step1(&observer.transact().state_vector()))
            .unwrap();
        client_receive(&observer, &applied.reply);
        assert_eq!(text(&observer), "official");
        // An empty step 2 (what every client answers a step 1 with) is harmless.
        let empty = observer
            .transact()
            .encode_state_as_update_v1(&room.doc().transact().state_vector());
        assert!(room.apply(B, &protocol::encode_sync_step2(&empty)).is_ok());
        // A real change is not.
        let err = room
            .apply(B, &encode_update(&edit(&observer, " defaced")))
            .unwrap_err();
        assert!(matches!(err, SyncError::ReadOnly));
        let full = observer
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(matches!(
            room.apply(B, &protocol::encode_sync_step2(&full)),
            Err(SyncError::ReadOnly)
        ));
        // A deletion of known content is a change too.
        let del = {
            let t = observer.get_or_insert_text("t");
            let mut txn = observer.transact_mut();
            let before = txn.state_vector();
            t.remove_range(&mut txn, 0, 3);
            txn.encode_diff_v1(&before)
        };
        assert!(matches!(
            room.apply(B, &encode_update(&del)),
            Err(SyncError::ReadOnly)
        ));
        assert_eq!(room.snapshot(), before);
        assert_eq!(text(room.doc()), "official");
        assert!(!room.is_poisoned());
    }

    #[test]
    fn bad_frames_are_errors_and_change_nothing() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        let d = Doc::new();
        room.apply(A, &encode_update(&edit(&d, "keep"))).unwrap();
        let before = room.snapshot();
        let good = encode_update(&edit(&d, "more"));
        for cut in 1..good.len() {
            assert!(room.apply(A, &good[..cut]).is_err());
        }
        // A valid update followed by garbage in the same frame: nothing applied.
        let mut mixed = good.clone();
        mixed.extend([0, 2, 5, 1, 2]);
        assert!(room.apply(A, &mixed).is_err());
        assert!(room.apply(A, &[]).is_err());
        assert!(matches!(
            room.apply(ConnId(99), &good),
            Err(SyncError::UnknownConnection)
        ));
        assert_eq!(room.snapshot(), before);
    }

    #[test]
    fn awareness_is_relayed_and_cleared_on_disconnect() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadOnly);
        let client = ClientID::new(42);
        let aw = AwarenessUpdate {
            clients: HashMap::from([(
                client,
                AwarenessUpdateEntry {
                    clock: 1,
                    json: "{\"user\":{\"name\":\"Obs\"}}".into(),
                },
            )]),
        };
        let applied = room
            .apply(A, &protocol::encode_awareness(&aw.encode_v1()))
            .unwrap();
        assert_eq!(applied.persist, None);
        assert_eq!(applied.awareness.len(), 1);
        // A newcomer sees the presence at once.
        let greet = room.connect(B, Access::ReadWrite);
        assert!(greet.iter().any(|f| matches!(
            decode_frame(f).unwrap()[0],
            Frame::Awareness(_, ref u) if u.clients.contains_key(&client)
        )));
        let gone = room.disconnect(A).unwrap();
        match decode_frame(&protocol::encode_awareness(&gone))
            .unwrap()
            .as_slice()
        {
            [Frame::Awareness(_, u)] => {
                assert_eq!(&*u.clients[&client].json, "null");
                assert_eq!(u.clients[&client].clock, 2);
            }
            other => panic!("{other:?}"),
        }
        let reply = room.apply(B, &protocol::encode_query_awareness()).unwrap();
        assert!(reply.reply.is_empty(), "no one is present any more");
    }

    #[test]
    fn nobody_speaks_for_another_connections_awareness_client() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        room.connect(B, Access::ReadOnly);
        let claim = |clock, name: &str| {
            let aw = AwarenessUpdate {
                clients: HashMap::from([(
                    ClientID::new(7),
                    AwarenessUpdateEntry {
                        clock,
                        json: format!("{{\"user\":{{\"name\":\"{name}\"}}}}").into(),
                    },
                )]),
            };
            protocol::encode_awareness(&aw.encode_v1())
        };
        room.apply(A, &claim(1, "Ann")).unwrap();
        // y-websocket clients echo states they received: harmless, dropped.
        let echo = room.apply(B, &claim(1, "Ann")).unwrap();
        assert!(echo.awareness.is_empty());
        assert!(matches!(
            room.apply(B, &claim(2, "Mallory")),
            Err(SyncError::BadAwareness(_))
        ));
        // Ann may keep updating her own state.
        room.apply(A, &claim(3, "Ann")).unwrap();
    }

    #[test]
    fn awareness_user_is_the_servers_not_the_clients() {
        let mut room = DocRoom::new();
        let obs = Identity {
            user_id: "u-olga".into(),
            name: "Olga".into(),
            side: accord_domain::Side::Union,
        };
        room.connect_as(A, Access::ReadOnly, Some(obs));
        let forged = |json: &str| {
            let aw = AwarenessUpdate {
                clients: HashMap::from([(
                    ClientID::new(9),
                    AwarenessUpdateEntry {
                        clock: 1,
                        json: json.into(),
                    },
                )]),
            };
            protocol::encode_awareness(&aw.encode_v1())
        };
        let applied = room
            .apply(
                A,
                &forged(r#"{"user":{"name":"Fac (facilitator)","side":"employer"},"cursor":null}"#),
            )
            .unwrap();
        let relayed = protocol::decode_awareness(&applied.awareness[0]).unwrap();
        let state: serde_json::Value =
            serde_json::from_str(&relayed.clients[&ClientID::new(9)].json).unwrap();
        assert_eq!(
            state,
            serde_json::json!({"user": {"name": "Olga", "side": "union", "color": "#b91c1c", "readOnly": true}, "cursor": null})
        );
        // A state that cannot carry a user is not relayed at all.
        let applied = room.apply(A, &forged("[1,2]")).unwrap();
        assert!(applied.awareness.is_empty());
    }

    #[test]
    fn a_downgraded_connection_can_no_longer_write() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        let d = Doc::new();
        room.apply(A, &encode_update(&edit(&d, "before"))).unwrap();
        assert!(room.set_access(A, Access::ReadOnly));
        assert!(matches!(
            room.apply(A, &encode_update(&edit(&d, " after"))),
            Err(SyncError::ReadOnly)
        ));
        assert_eq!(text(room.doc()), "before");
        assert!(!room.set_access(B, Access::ReadOnly), "unknown connection");
    }

    #[test]
    fn oversize_updates_and_a_full_document_change_nothing() {
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        let d = Doc::new();
        room.apply(A, &encode_update(&edit(&d, "kept"))).unwrap();
        let before = room.snapshot();
        let big = edit(&d, &"x".repeat(MAX_UPDATE_BYTES));
        assert!(matches!(
            room.apply(A, &encode_update(&big)),
            Err(SyncError::UpdateTooLarge { .. })
        ));
        assert_eq!(room.snapshot(), before);
        room.size = MAX_DOCUMENT_BYTES - 4;
        let more = edit(&Doc::new(), "one more paragraph");
        let err = room.apply(A, &encode_update(&more)).unwrap_err();
        assert!(matches!(err, SyncError::DocumentFull { .. }));
        assert!(err.close_reason().starts_with("document_full:"));
        assert_eq!(room.snapshot(), before);
        // Syncing what the room already has is still fine when it is full.
        let have = room
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(room.apply(A, &protocol::encode_sync_step2(&have)).is_ok());
    }

    #[test]
    fn load_replays_snapshot_then_updates() {
        let d = Doc::new();
        let frag = d.get_or_insert_xml_fragment("default");
        {
            let mut txn = d.transact_mut();
            frag.insert(&mut txn, 0, XmlTextPrelim::new("x"));
        }
        let snap = d
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let later = vec![edit(&d, "a"), edit(&d, "b")];
        let room = DocRoom::load(Some(&snap), &later).unwrap();
        assert_eq!(text(room.doc()), "ab");
        assert!(DocRoom::load(Some(&[1, 2, 3][..]), Vec::<Vec<u8>>::new()).is_err());
    }

    #[test]
    fn fuzzer_found_inputs_are_errors_not_panics() {
        // An update whose struct refers to a clock far past its client's blocks:
        // yrs 0.28.1 indexes out of bounds while resolving the dependency.
        let crash: &[u8] = &[
            3, 1, 255, 255, 255, 255, 45, 1, 1, 1, 0, 1, 1, 1, 0, 38, 99, 1, 3, 1, 1, 1, 1, 1, 1,
            0, 1, 0, 38, 1, 1, 3,
        ];
        let _ = DocRoom::load(Some(crash), Vec::<Vec<u8>>::new());
        let mut room = DocRoom::new();
        room.connect(A, Access::ReadWrite);
        let _ = room.apply(A, &encode_update(crash));
        // Seven bytes claiming ~2^32 clients; one client claiming ~2^35 structs.
        assert!(DocRoom::load(
            Some(&[0xff, 0xff, 0xff, 0xff, 0x0f, 2, 0][..]),
            Vec::<Vec<u8>>::new()
        )
        .is_err());
        assert!(DocRoom::load(
            Some(&[1, 251, 251, 251, 251, 46, 48, 32][..]),
            Vec::<Vec<u8>>::new()
        )
        .is_err());
    }

    #[test]
    fn room_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<DocRoom>();
    }
}

#[cfg(test)]
mod ownership_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::protocol::encode_update;
    use yrs::{Text, WriteTxn};

    fn person(id: &str) -> Identity {
        Identity {
            user_id: id.into(),
            name: id.into(),
            side: accord_domain::Side::Union,
        }
    }

    fn typed(doc: &Doc, s: &str) -> Vec<u8> {
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let text = txn.get_or_insert_text("t");
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
        txn.encode_diff_v1(&before)
    }

    #[test]
    fn a_writer_claims_its_client_id_once() {
        let mut room = DocRoom::new();
        room.connect_as(ConnId(1), Access::ReadWrite, Some(person("ann")));
        let doc = Doc::with_client_id(7);
        let first = room
            .apply(ConnId(1), &encode_update(&typed(&doc, "a")))
            .unwrap();
        assert_eq!(first.claimed, vec![7]);
        let again = room
            .apply(ConnId(1), &encode_update(&typed(&doc, "b")))
            .unwrap();
        assert!(again.claimed.is_empty(), "already hers");
        assert!(again.persist.is_some());
    }

    #[test]
    fn nobody_writes_under_someone_elses_client_id() {
        let mut room = DocRoom::new();
        room.connect_as(ConnId(1), Access::ReadWrite, Some(person("ann")));
        room.connect_as(ConnId(2), Access::ReadWrite, Some(person("bob")));
        let anns = Doc::with_client_id(7);
        let first = typed(&anns, "ann's text");
        room.apply(ConnId(1), &encode_update(&first)).unwrap();
        // Bob replays Ann's state and continues under her client id.
        let forged = Doc::with_client_id(7);
        forged
            .transact_mut()
            .apply_update(Update::decode_v1(&first).unwrap())
            .unwrap();
        let err = room
            .apply(ConnId(2), &encode_update(&typed(&forged, " (not really)")))
            .unwrap_err();
        assert!(matches!(err, SyncError::ForeignClient(7)), "{err:?}");
        // Relaying Ann's content, which the room has, is not a claim.
        let relayed = room.apply(ConnId(2), &encode_update(&first)).unwrap();
        assert!(relayed.claimed.is_empty() && relayed.persist.is_none());
        // Deleting Ann's text writes no struct: allowed, and no claim.
        let bobs = Doc::with_client_id(8);
        bobs.transact_mut()
            .apply_update(Update::decode_v1(&first).unwrap())
            .unwrap();
        let deletion = {
            let mut txn = bobs.transact_mut();
            let before = txn.state_vector();
            let text = txn.get_or_insert_text("t");
            text.remove_range(&mut txn, 0, 4);
            txn.encode_diff_v1(&before)
        };
        let deleted = room.apply(ConnId(2), &encode_update(&deletion)).unwrap();
        assert!(deleted.claimed.is_empty() && deleted.persist.is_some());
    }

    #[test]
    fn content_without_a_known_owner_cannot_be_continued_until_the_owners_are_read() {
        // Ann wrote on another node: this room has her text, not her claim.
        let anns = Doc::with_client_id(9);
        let first = typed(&anns, "from node A");
        let mut room = DocRoom::load(Some(&first), Vec::<Vec<u8>>::new()).unwrap();
        room.connect_as(ConnId(1), Access::ReadWrite, Some(person("ann")));
        let more = encode_update(&typed(&anns, " and more"));
        let err = room.apply(ConnId(1), &more).unwrap_err();
        assert!(matches!(err, SyncError::UnknownClient(9)), "{err:?}");
        room.set_owners([(9, "ann".to_string())]);
        let ok = room.apply(ConnId(1), &more).unwrap();
        assert!(ok.persist.is_some() && ok.claimed.is_empty());
    }
}
