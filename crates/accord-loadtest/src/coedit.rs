//! Scenario `co-edit`: E editors on one document, each typing small inserts
//! at a steady rate through the standard y-websocket protocol.
//!
//! Each editor owns one paragraph of the XmlFragment `default` (the fragment
//! TipTap's Collaboration extension binds to, so Accord's Markdown rendering
//! shows the result) and inserts one to three lowercase letters at a random
//! place in it per tick; it also publishes its cursor through awareness.
//!
//! Latency needs no clock in the payload: a sender logs (editor, its own
//! clock after the change) → send instant, and a receiver, after applying
//! every update frame, looks up which logged sends its state vector now
//! covers. A delivery is thus counted when the change is integrated, which
//! is what a user would see, and merged or re-encoded updates from the
//! server are handled without any cooperation from it.
//!
//! With `replicas` below the editor count, only the first editors are full
//! replicas. The others are light: they edit their own paragraph as usual
//! but only decode what they receive, crediting a sender's clock range once
//! it joins what they already hold. Integrating every update at every editor
//! grows with the square of the editor count and saturated the load
//! generator long before the server; decoding is much cheaper.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use accord_realtime::protocol::{
    decode_frame_up_to, encode_awareness, encode_sync_step1, encode_sync_step2, encode_update,
    Frame,
};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::{watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Doc, GetString, ReadTxn, StateVector, Text, Transact, Update, XmlElementPrelim, XmlFragment,
    XmlFragmentRef, XmlTextPrelim, XmlTextRef,
};

use crate::procstat::{self, Proc, RssSampler, ServerCost};
use crate::stats::{fmt_ms, Histogram, LatencySummary};
use crate::ws::{self, Target, Ws};

/// Frames from the server may be longer than the 1 MiB it accepts: the first
/// sync step 2 of a long-edited document carries its whole state.
const SERVER_FRAME_LIMIT: usize = 64 * 1024 * 1024;

/// The fragment y-prosemirror (TipTap) binds to.
pub const FRAGMENT: &str = "default";

#[derive(Debug, Clone)]
pub struct Config {
    pub target: Target,
    pub editors: usize,
    /// Updates per second per editor.
    pub rate: f64,
    /// Awareness (cursor) updates per second per editor.
    pub awareness_rate: f64,
    pub duration: Duration,
    pub warmup: Duration,
    pub drain_timeout: Duration,
    pub source_ips: Vec<Ipv4Addr>,
    pub connect_concurrency: usize,
    pub server_pid: Option<u32>,
    /// Base URL of Accord's HTTP API, for the Markdown cross-check.
    pub server_http: Option<String>,
    /// How many editors (the first ones) are full replicas; `None`: all.
    pub replicas: Option<usize>,
}

// ---------------------------------------------------------------------------
// Latency bookkeeping (pure; unit-tested below)
// ---------------------------------------------------------------------------

/// Every measured local change: per editor, (clock after the change, when
/// it was sent), in clock order because each editor appends its own.
pub struct SendLog {
    ids: Vec<ClientID>,
    index: HashMap<ClientID, usize>,
    sends: Vec<Mutex<Vec<(u32, Instant)>>>,
}

impl SendLog {
    pub fn new(ids: &[ClientID]) -> Self {
        SendLog {
            ids: ids.to_vec(),
            index: ids.iter().enumerate().map(|(i, c)| (*c, i)).collect(),
            sends: ids.iter().map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    pub fn record(&self, editor: usize, clock_after: u32, at: Instant) {
        lock(&self.sends[editor]).push((clock_after, at));
    }

    pub fn sent(&self, editor: usize) -> usize {
        lock(&self.sends[editor]).len()
    }

    pub fn editors(&self) -> usize {
        self.sends.len()
    }

    /// Sends of `editor` with `after < clock <= upto`, in order.
    fn covered(&self, editor: usize, after: u32, upto: u32, mut f: impl FnMut(Instant)) {
        let sends = lock(&self.sends[editor]);
        let from = sends.partition_point(|(c, _)| *c <= after);
        let to = sends.partition_point(|(c, _)| *c <= upto);
        for (_, at) in &sends[from..to.max(from)] {
            f(*at);
        }
    }

    fn count_after(&self, editor: usize, after: u32) -> usize {
        let sends = lock(&self.sends[editor]);
        sends.len() - sends.partition_point(|(c, _)| *c <= after)
    }
}

/// A poisoned lock only means another editor task panicked; the log itself
/// (append-only pairs) is still consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One receiving editor's view: how far into each sender's log it has
/// already accounted. The same bookkeeping serves full replicas (`apply`)
/// and light editors (`observe`), so both count deliveries identically.
pub struct Tracker {
    me: usize,
    /// Per sender: the clock up to which this receiver holds its changes.
    seen: Vec<u32>,
    /// Light editors only: ranges received above a gap, per sender, held
    /// back until the gap fills just as a replica parks such an update.
    parked: HashMap<usize, Vec<Range<u32>>>,
    pub deliveries: u64,
}

impl Tracker {
    pub fn new(me: usize, editors: usize) -> Self {
        Tracker {
            me,
            seen: vec![0; editors],
            parked: HashMap::new(),
            deliveries: 0,
        }
    }

    /// Applies a received v1 update to `doc` and records the latency of
    /// every logged send it completes.
    pub fn apply(
        &mut self,
        log: &SendLog,
        doc: &Doc,
        update: &[u8],
        received: Instant,
        hist: &mut Histogram,
    ) -> Result<()> {
        let update = decode(update)?;
        // Where each client's content in this update ends. Reading it off the
        // update is far cheaper than a full state vector after every frame
        // (that hash-map copy was a quarter of this tool's CPU).
        let ends: Vec<(ClientID, u32)> = update
            .insertions(true)
            .iter()
            .filter_map(|(c, ranges)| ranges.into_iter().map(|r| r.end).max().map(|e| (*c, e)))
            .collect();
        let (pending_before, pending_after) = {
            let mut txn = doc.transact_mut();
            let before = txn.has_missing_updates();
            txn.apply_update(update)
                .map_err(|e| anyhow!("update apply: {e}"))?;
            (before, txn.has_missing_updates())
        };
        if pending_before || pending_after {
            // Something is parked for a missing dependency, or was just
            // released: only the document knows what is integrated now.
            let sv = doc.transact().state_vector();
            for idx in 0..self.seen.len() {
                self.account(log, idx, sv.get(&log.ids[idx]), received, hist);
            }
        } else {
            for (c, end) in ends {
                if let Some(&idx) = log.index.get(&c) {
                    self.account(log, idx, end, received, hist);
                }
            }
        }
        Ok(())
    }

    /// A light editor's receipt: reads which clock ranges the update
    /// carries, without integrating it, and records the latency of every
    /// logged send that is now held without a gap.
    ///
    /// Dependencies across clients are not checked, only each client's own
    /// clock continuity: the server forwards only what it has integrated, in
    /// order, so a sender's range never arrives before what it builds on.
    pub fn observe(
        &mut self,
        log: &SendLog,
        update: &[u8],
        received: Instant,
        hist: &mut Histogram,
    ) -> Result<()> {
        let update = decode(update)?;
        for (c, ranges) in update.insertions(true).iter() {
            let Some(&idx) = log.index.get(c) else {
                // Earlier runs' editors in a reused room: not measured.
                continue;
            };
            if idx == self.me {
                continue;
            }
            let mut held = self.seen[idx];
            let mut still_parked = Vec::new();
            let mut extend = |r: Range<u32>| {
                if r.start <= held {
                    held = held.max(r.end);
                } else {
                    still_parked.push(r);
                }
            };
            // Each client's ranges come sorted; only an earlier gap needs a
            // merge, so the common case allocates nothing per frame.
            match self.parked.remove(&idx) {
                None => ranges.into_iter().cloned().for_each(&mut extend),
                Some(mut pending) => {
                    pending.extend(ranges.into_iter().cloned());
                    pending.sort_unstable_by_key(|r| r.start);
                    pending.into_iter().for_each(&mut extend);
                }
            }
            if !still_parked.is_empty() {
                self.parked.insert(idx, still_parked);
            }
            self.account(log, idx, held, received, hist);
        }
        Ok(())
    }

    /// Whether a light editor holds every sender's change up to `expected`
    /// (its own are in its own document).
    fn observed_all(&self, log: &SendLog, expected: &[(ClientID, u32)]) -> bool {
        expected.iter().all(|(c, k)| match log.index.get(c) {
            Some(&idx) => idx == self.me || self.seen[idx] >= *k,
            None => false,
        })
    }

    fn account(
        &mut self,
        log: &SendLog,
        sender: usize,
        now_clock: u32,
        received: Instant,
        hist: &mut Histogram,
    ) {
        if sender == self.me || now_clock <= self.seen[sender] {
            return;
        }
        let mut n = 0;
        log.covered(sender, self.seen[sender], now_clock, |at| {
            hist.record(received.saturating_duration_since(at).as_micros() as u64);
            n += 1;
        });
        self.deliveries += n;
        self.seen[sender] = now_clock;
    }

    /// Logged sends of other editors this one never integrated.
    pub fn lost(&self, log: &SendLog) -> u64 {
        (0..self.seen.len())
            .filter(|&i| i != self.me)
            .map(|i| log.count_after(i, self.seen[i]) as u64)
            .sum()
    }
}

fn decode(update: &[u8]) -> Result<Update> {
    Update::decode_v1(update).map_err(|e| anyhow!("update decode: {e}"))
}

/// A state vector as sorted pairs, so two replicas compare regardless of
/// hash-map order in the encoding.
pub fn sorted_sv(sv: &StateVector) -> Vec<(u64, u32)> {
    let mut v: Vec<(u64, u32)> = sv.iter().map(|(c, k)| (c.get(), *k)).collect();
    v.sort_unstable();
    v
}

// ---------------------------------------------------------------------------
// One editor
// ---------------------------------------------------------------------------

#[derive(Clone)]
enum Phase {
    Wait,
    Run {
        warm: Instant,
        start: Instant,
        end: Instant,
    },
    Drain {
        expected: Arc<Vec<(ClientID, u32)>>,
        deadline: Instant,
    },
    Abort,
}

struct Shared {
    target: Target,
    log: SendLog,
    ids: Vec<ClientID>,
    /// Each editor's own clock after its latest change (expected final state).
    final_clock: Vec<AtomicU32>,
    synced: AtomicUsize,
    failed: AtomicUsize,
    stopped: AtomicUsize,
    notify: Notify,
    source_ips: Vec<Ipv4Addr>,
    connect: Semaphore,
    rate: f64,
    awareness_rate: f64,
    /// Editors `0..replicas` integrate what they receive; the rest are light.
    replicas: usize,
}

#[derive(Default)]
struct EditorOutcome {
    error: Option<String>,
    connected: bool,
    handshake: Duration,
    hist: Histogram,
    deliveries: u64,
    lost: u64,
    updates_sent: u64,
    awareness_sent: u64,
    skipped_ticks: u64,
    /// How late each send tick fired: a loaded load generator (or machine)
    /// shows here, not only in the server's latency.
    tick_lag: Histogram,
    update_frames_received: u64,
    awareness_received: u64,
    bytes_received: u64,
    state_vector: Vec<(u64, u32)>,
    content: String,
    paragraph: String,
    decode_errors: u64,
}

struct Editor {
    idx: usize,
    doc: Doc,
    frag: XmlFragmentRef,
    para: Option<XmlTextRef>,
    rng: StdRng,
    tracker: Tracker,
    out: EditorOutcome,
    synced: bool,
    aw_clock: u32,
    /// Full replica: integrates every update. Otherwise `doc` holds only
    /// this editor's own changes.
    replica: bool,
}

impl Editor {
    fn new(idx: usize, shared: &Shared) -> Self {
        let doc = Doc::with_client_id(shared.ids[idx].get());
        let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
        Editor {
            idx,
            doc,
            frag,
            para: None,
            rng: StdRng::seed_from_u64(shared.ids[idx].get()),
            tracker: Tracker::new(idx, shared.ids.len()),
            out: EditorOutcome::default(),
            synced: false,
            aw_clock: 0,
            replica: idx < shared.replicas,
        }
    }

    async fn handle(&mut self, ws: &mut Ws, shared: &Shared, msg: Message) -> Result<()> {
        let data = match msg {
            Message::Binary(data) => data,
            Message::Close(frame) => bail!("server closed the connection: {frame:?}"),
            _ => return Ok(()),
        };
        let received = Instant::now();
        self.out.bytes_received += data.len() as u64;
        let frames = match decode_frame_up_to(&data, SERVER_FRAME_LIMIT) {
            Ok(f) => f,
            Err(e) => {
                self.out.decode_errors += 1;
                bail!("undecodable frame from server: {e}");
            }
        };
        for frame in frames {
            match frame {
                Frame::SyncStep1(sv) => {
                    let diff = self.doc.transact().encode_diff_v1(&sv);
                    ws.send(Message::Binary(encode_sync_step2(&diff).into()))
                        .await?;
                }
                Frame::SyncStep2(u) => {
                    self.synced = true;
                    self.apply(shared, &u, received)?;
                }
                Frame::Update(u) => {
                    self.out.update_frames_received += 1;
                    self.apply(shared, &u, received)?;
                }
                Frame::Awareness(..) => self.out.awareness_received += 1,
                Frame::QueryAwareness => {}
            }
        }
        Ok(())
    }

    fn apply(&mut self, shared: &Shared, update: &[u8], received: Instant) -> Result<()> {
        if self.replica {
            self.tracker
                .apply(&shared.log, &self.doc, update, received, &mut self.out.hist)
        } else {
            self.tracker
                .observe(&shared.log, update, received, &mut self.out.hist)
        }
    }

    fn own_clock(&self) -> u32 {
        self.doc
            .transact()
            .state_vector()
            .get(&self.doc.client_id())
    }

    /// Appends this editor's paragraph (warm-up; not measured).
    fn create_paragraph(&mut self, shared: &Shared) -> Vec<u8> {
        let update = {
            let mut txn = self.doc.transact_mut();
            let el = self
                .frag
                .push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
            let text = el.push_back(&mut txn, XmlTextPrelim::new(""));
            self.para = Some(text);
            txn.encode_update_v1()
        };
        shared.final_clock[self.idx].store(self.own_clock(), Ordering::Release);
        update
    }

    /// One small insert; returns the update and the clock after it.
    fn type_some(&mut self) -> Option<(Vec<u8>, u32)> {
        let para = self.para.clone()?;
        let update = {
            let mut txn = self.doc.transact_mut();
            let len = para.len(&txn);
            let pos = self.rng.random_range(0..=len);
            let n = self.rng.random_range(1..=3);
            let s: String = (0..n)
                .map(|_| char::from(self.rng.random_range(b'a'..=b'z')))
                .collect();
            para.insert(&mut txn, pos, &s);
            txn.encode_update_v1()
        };
        Some((update, self.own_clock()))
    }

    fn awareness(&mut self) -> Vec<u8> {
        self.aw_clock += 1;
        let pos = self
            .para
            .as_ref()
            .map(|p| p.len(&self.doc.transact()))
            .unwrap_or(0);
        let json = format!(
            "{{\"user\":{{\"name\":\"editor {}\",\"color\":\"#30bced\"}},\"cursor\":{{\"anchor\":{pos},\"head\":{pos}}}}}",
            self.idx
        );
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                self.doc.client_id(),
                AwarenessUpdateEntry {
                    clock: self.aw_clock,
                    json: json.into(),
                },
            )]),
        };
        encode_awareness(&update.encode_v1())
    }

    fn covers(&self, shared: &Shared, expected: &[(ClientID, u32)]) -> bool {
        if !self.replica {
            return self.tracker.observed_all(&shared.log, expected);
        }
        let sv = self.doc.transact().state_vector();
        expected.iter().all(|(c, k)| sv.get(c) >= *k)
    }

    fn finish(mut self, shared: &Shared) -> EditorOutcome {
        self.out.deliveries = self.tracker.deliveries;
        self.out.lost = self.tracker.lost(&shared.log);
        self.out.hist.record_lost(self.out.lost);
        let txn = self.doc.transact();
        self.out.state_vector = sorted_sv(&txn.state_vector());
        self.out.content = self.frag.get_string(&txn);
        self.out.paragraph = self
            .para
            .as_ref()
            .map(|p| p.get_string(&txn))
            .unwrap_or_default();
        drop(txn);
        self.out
    }
}

fn jitter(rng: &mut StdRng, span: Duration) -> Duration {
    span.mul_f64(rng.random_range(0.0..1.0))
}

async fn send(ws: &mut Ws, frame: Vec<u8>) -> Result<()> {
    ws.send(Message::Binary(frame.into())).await?;
    Ok(())
}

/// Reads one message, or `None` once `until` passes.
async fn next_until(ws: &mut Ws, until: Instant) -> Result<Option<Message>> {
    match tokio::time::timeout_at(until.into(), ws.next()).await {
        Err(_) => Ok(None),
        Ok(None) => bail!("connection ended"),
        Ok(Some(m)) => Ok(Some(m?)),
    }
}

async fn editor_task(
    idx: usize,
    shared: Arc<Shared>,
    phase: watch::Receiver<Phase>,
    hard_deadline: Instant,
) -> EditorOutcome {
    let mut ed = Editor::new(idx, &shared);
    let result = editor_main(&mut ed, &shared, phase, hard_deadline).await;
    if !ed.out.connected || !ed.synced {
        shared.failed.fetch_add(1, Ordering::AcqRel);
        shared.notify.notify_one();
    }
    let err = result.err().map(|e| format!("editor {idx}: {e:#}"));
    let mut out = ed.finish(&shared);
    out.error = err;
    out
}

async fn editor_main(
    ed: &mut Editor,
    shared: &Shared,
    mut phase: watch::Receiver<Phase>,
    hard_deadline: Instant,
) -> Result<()> {
    // Connect and handshake, a bounded number at a time so a large run
    // does not overflow the server's listen backlog.
    let t0 = Instant::now();
    let mut ws = {
        let _permit = shared.connect.acquire().await?;
        let source = match shared.source_ips.len() {
            0 => None,
            n => Some(shared.source_ips[ed.idx % n]),
        };
        let mut ws =
            tokio::time::timeout(Duration::from_secs(30), ws::connect(&shared.target, source))
                .await
                .context("connect timed out")??;
        ed.out.connected = true;
        let sv = ed.doc.transact().state_vector();
        send(&mut ws, encode_sync_step1(&sv)).await?;
        let until = Instant::now() + Duration::from_secs(30);
        while !ed.synced {
            let msg = next_until(&mut ws, until)
                .await?
                .context("no sync step 2 within 30 s")?;
            ed.handle(&mut ws, shared, msg).await?;
        }
        ws
    };
    ed.out.handshake = t0.elapsed();
    shared.synced.fetch_add(1, Ordering::AcqRel);
    shared.notify.notify_one();

    // Wait for the start signal, still reading (pings, others' handshakes).
    let (warm, start, end) = loop {
        if Instant::now() > hard_deadline {
            bail!("never started");
        }
        let current = phase.borrow_and_update().clone();
        match current {
            Phase::Run { warm, start, end } => break (warm, start, end),
            Phase::Abort => return Ok(()),
            _ => {}
        }
        tokio::select! {
            changed = phase.changed() => changed?,
            msg = next_until(&mut ws, hard_deadline) => {
                if let Some(msg) = msg? { ed.handle(&mut ws, shared, msg).await?; }
            }
        }
    };

    // Warm-up: create one's paragraph at a jittered moment in the first
    // half, so the editors do not all append at once.
    let para_at = warm + jitter(&mut ed.rng, (start - warm) / 2);
    let edit_period = Duration::from_secs_f64(1.0 / shared.rate);
    let aw_period = Duration::from_secs_f64(1.0 / shared.awareness_rate.max(1e-3));
    let mut next_edit = start + jitter(&mut ed.rng, edit_period);
    let mut next_aw = start + jitter(&mut ed.rng, aw_period);
    let mut made_paragraph = false;
    // Bounded by `end`; the count bound is a backstop against a clock bug.
    let max_iterations = 10_000_000u64;
    for _ in 0..max_iterations {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if !made_paragraph && now >= para_at {
            made_paragraph = true;
            let u = ed.create_paragraph(shared);
            send(&mut ws, encode_update(&u)).await?;
            continue;
        }
        if made_paragraph && now >= next_edit {
            ed.out.tick_lag.record((now - next_edit).as_micros() as u64);
            if let Some((u, clock)) = ed.type_some() {
                shared.log.record(ed.idx, clock, Instant::now());
                shared.final_clock[ed.idx].store(clock, Ordering::Release);
                send(&mut ws, encode_update(&u)).await?;
                ed.out.updates_sent += 1;
            }
            next_edit += edit_period;
            // A late editor skips ticks rather than bursting to catch up;
            // the shortfall shows as `skipped_ticks`.
            let now = Instant::now();
            if next_edit < now {
                let behind = (now - next_edit).as_secs_f64() / edit_period.as_secs_f64();
                let skip = behind.floor() as u32 + 1;
                next_edit += edit_period * skip;
                ed.out.skipped_ticks += u64::from(skip);
            }
            continue;
        }
        if now >= next_aw && shared.awareness_rate > 0.0 {
            let frame = ed.awareness();
            send(&mut ws, frame).await?;
            ed.out.awareness_sent += 1;
            next_aw += aw_period;
            if next_aw < Instant::now() {
                next_aw = Instant::now() + aw_period;
            }
            continue;
        }
        let mut wake = end.min(next_edit).min(next_aw);
        if !made_paragraph {
            wake = wake.min(para_at);
        }
        if let Some(msg) = next_until(&mut ws, wake).await? {
            ed.handle(&mut ws, shared, msg).await?;
        }
    }
    shared.stopped.fetch_add(1, Ordering::AcqRel);
    shared.notify.notify_one();

    // Drain: keep applying until this replica has every change anyone made.
    loop {
        let current = phase.borrow_and_update().clone();
        match current {
            Phase::Drain { expected, deadline } => {
                while !ed.covers(shared, &expected) {
                    match next_until(&mut ws, deadline.min(hard_deadline)).await? {
                        Some(msg) => ed.handle(&mut ws, shared, msg).await?,
                        None => break,
                    }
                }
                break;
            }
            Phase::Abort => break,
            _ => {}
        }
        if Instant::now() > hard_deadline {
            bail!("no drain signal");
        }
        tokio::select! {
            changed = phase.changed() => changed?,
            msg = next_until(&mut ws, hard_deadline) => {
                if let Some(msg) = msg? { ed.handle(&mut ws, shared, msg).await?; }
            }
        }
    }
    // Close politely but do not wait long for the server's close.
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    Ok(())
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub url: String,
    pub editors: usize,
    pub rate_per_editor: f64,
    pub awareness_rate_per_editor: f64,
    pub duration_s: f64,
    /// Editors that were full replicas (the others only decoded updates).
    pub replicas: usize,
    pub connected: usize,
    pub connect_failures: usize,
    pub handshake_max_ms: f64,
    pub updates_sent: u64,
    pub updates_target: u64,
    pub skipped_ticks: u64,
    /// Lateness of the editors' send ticks: the load generator's own health.
    pub tick_lag: LatencySummary,
    pub awareness_sent: u64,
    pub deliveries: u64,
    pub expected_deliveries: u64,
    pub lost_deliveries: u64,
    pub updates_per_s: f64,
    pub deliveries_per_s: f64,
    pub update_frames_received: u64,
    pub awareness_frames_received: u64,
    pub mib_received: f64,
    pub latency: LatencySummary,
    pub clients_equal: bool,
    pub server_equal: Option<bool>,
    pub markdown_has_all_paragraphs: Option<bool>,
    pub final_chars: usize,
    pub server: Option<ServerCost>,
    pub loadgen_cpu_seconds: f64,
    pub errors: Vec<String>,
}

impl Report {
    pub fn converged(&self) -> bool {
        self.clients_equal && self.server_equal != Some(false) && self.lost_deliveries == 0
    }
}

pub async fn run(cfg: &Config) -> Result<Report> {
    if cfg.editors == 0 || cfg.rate <= 0.0 {
        bail!("need at least one editor and a positive rate");
    }
    let n = cfg.editors;
    let replicas = cfg.replicas.unwrap_or(n).min(n);
    if replicas == 0 {
        bail!("need at least one full replica for the final-state checks");
    }
    // Fresh random ids per run: a ramp reuses the server's room, and two
    // replicas sharing a client id would corrupt the document.
    let base = rand::rng().random_range(1u64..(1u64 << 52));
    let ids: Vec<ClientID> = (0..n as u64).map(|i| ClientID::new(base + i)).collect();
    let shared = Arc::new(Shared {
        target: cfg.target.clone(),
        log: SendLog::new(&ids),
        ids: ids.clone(),
        final_clock: (0..n).map(|_| AtomicU32::new(0)).collect(),
        synced: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        stopped: AtomicUsize::new(0),
        notify: Notify::new(),
        source_ips: cfg.source_ips.clone(),
        connect: Semaphore::new(cfg.connect_concurrency.max(1)),
        rate: cfg.rate,
        awareness_rate: cfg.awareness_rate,
        replicas,
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Wait);
    let connect_budget = Duration::from_secs(60) + Duration::from_millis(100 * n as u64);
    let hard_deadline = Instant::now()
        + connect_budget
        + cfg.warmup
        + cfg.duration
        + cfg.drain_timeout
        + Duration::from_secs(30);
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            tokio::spawn(editor_task(
                i,
                shared.clone(),
                phase_rx.clone(),
                hard_deadline,
            ))
        })
        .collect();

    // Wait until every editor is synced or has failed.
    let connect_deadline = Instant::now() + connect_budget;
    while shared.synced.load(Ordering::Acquire) + shared.failed.load(Ordering::Acquire) < n {
        if Instant::now() > connect_deadline {
            break;
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), shared.notify.notified()).await;
    }
    let synced = shared.synced.load(Ordering::Acquire);
    if synced < n {
        let _ = phase_tx.send(Phase::Abort);
        let outcomes = join_all(tasks).await;
        let errors: Vec<String> = outcomes
            .iter()
            .filter_map(|o| o.error.clone())
            .take(5)
            .collect();
        bail!(
            "only {synced} of {n} editors connected and synced; first errors: {}",
            errors.join("; ")
        );
    }

    let server = cfg.server_pid.map(Proc::Pid);
    let warm = Instant::now();
    let start = warm + cfg.warmup;
    let end = start + cfg.duration;
    let _ = phase_tx.send(Phase::Run { warm, start, end });

    // Cost is measured from the first measured send to the end of the drain:
    // connection set-up and warm-up are not part of "per update".
    tokio::time::sleep_until(start.into()).await;
    let cpu_before = server.map(|p| p.cpu()).transpose()?;
    let rss_before = server.map(|p| p.mem()).transpose()?;
    let own_before = Proc::OwnProcess.cpu()?;
    let sampler = server.map(|p| {
        RssSampler::start(
            p,
            Duration::from_millis(250),
            cfg.duration + cfg.drain_timeout + Duration::from_secs(60),
        )
    });

    tokio::time::sleep_until(end.into()).await;
    let stop_deadline = Instant::now() + Duration::from_secs(10);
    while shared.stopped.load(Ordering::Acquire) < synced && Instant::now() < stop_deadline {
        let _ = tokio::time::timeout(Duration::from_millis(100), shared.notify.notified()).await;
    }
    let expected: Vec<(ClientID, u32)> = ids
        .iter()
        .zip(&shared.final_clock)
        .map(|(c, k)| (*c, k.load(Ordering::Acquire)))
        .filter(|(_, k)| *k > 0)
        .collect();
    let drain_deadline = Instant::now() + cfg.drain_timeout;
    let _ = phase_tx.send(Phase::Drain {
        expected: Arc::new(expected),
        deadline: drain_deadline,
    });
    let outcomes = join_all(tasks).await;
    let drained = Instant::now();

    let own_after = Proc::OwnProcess.cpu()?;
    let tck = procstat::clk_tck() as f64;
    let updates_sent: u64 = outcomes.iter().map(|o| o.updates_sent).sum();
    let server_cost = match (server, cpu_before, rss_before, sampler) {
        (Some(p), Some(before), Some(rss0), Some(sampler)) => {
            let after = p.cpu()?;
            let mem = p.mem()?;
            let max_rss = sampler.finish().await.max(mem.vm_rss_kib);
            let cpu_seconds = (after.total() - before.total()) as f64 / tck;
            let wall = drained.duration_since(start).as_secs_f64();
            Some(ServerCost {
                pid: cfg.server_pid.unwrap_or(0),
                cpu_seconds,
                cpu_ms_per_update: cpu_seconds * 1000.0 / updates_sent.max(1) as f64,
                cpu_cores: cpu_seconds / wall.max(1e-9),
                peak_rss_mib: procstat::kib_to_mib(mem.vm_hwm_kib),
                max_sampled_rss_mib: procstat::kib_to_mib(max_rss),
                rss_before_mib: procstat::kib_to_mib(rss0.vm_rss_kib),
            })
        }
        _ => None,
    };

    // The server's own replica, fetched on a fresh connection.
    let server_state = fetch_server_state(&cfg.target).await;
    let markdown = match &cfg.server_http {
        Some(base) => Some(fetch_markdown(base, &cfg.target).await),
        None => None,
    };

    let mut report = summarize(cfg, &shared, outcomes, server_state, markdown);
    report.server = server_cost;
    report.loadgen_cpu_seconds = (own_after.total() - own_before.total()) as f64 / tck;
    Ok(report)
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<EditorOutcome>>) -> Vec<EditorOutcome> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap_or_else(|e| EditorOutcome {
            error: Some(format!("editor task failed: {e}")),
            ..Default::default()
        }));
    }
    out
}

struct ServerState {
    state_vector: Vec<(u64, u32)>,
    content: String,
}

async fn fetch_server_state(target: &Target) -> Result<ServerState> {
    let mut ws = ws::connect(target, None).await?;
    let doc = Doc::new();
    let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
    send(&mut ws, encode_sync_step1(&StateVector::default())).await?;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let msg = next_until(&mut ws, until)
            .await?
            .context("server sent no sync step 2")?;
        let Message::Binary(data) = msg else { continue };
        let frames = decode_frame_up_to(&data, SERVER_FRAME_LIMIT).map_err(|e| anyhow!("{e}"))?;
        let step2 = frames.into_iter().find_map(|f| match f {
            Frame::SyncStep2(u) => Some(u),
            _ => None,
        });
        if let Some(u) = step2 {
            let update = Update::decode_v1(&u).map_err(|e| anyhow!("{e}"))?;
            doc.transact_mut()
                .apply_update(update)
                .map_err(|e| anyhow!("{e}"))?;
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    let txn = doc.transact();
    Ok(ServerState {
        state_vector: sorted_sv(&txn.state_vector()),
        content: frag.get_string(&txn),
    })
}

async fn fetch_markdown(base: &str, target: &Target) -> Result<String> {
    let base = base.trim_end_matches('/');
    let host = base
        .strip_prefix("http://")
        .context("--server-http must be an http:// URL")?;
    let host = host.split('/').next().unwrap_or("");
    ws::loopback_ip(host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host))?;
    let url = format!("{base}/api/v1/documents/{}/markdown", target.room());
    let mut req = reqwest::Client::new().get(&url);
    if let Some(c) = &target.cookie {
        req = req.header("Cookie", c);
    }
    let resp = req.send().await?.error_for_status()?;
    Ok(resp.text().await?)
}

fn summarize(
    cfg: &Config,
    shared: &Shared,
    outcomes: Vec<EditorOutcome>,
    server_state: Result<ServerState>,
    markdown: Option<Result<String>>,
) -> Report {
    let mut hist = Histogram::new();
    let mut tick_lag = Histogram::new();
    let mut errors: Vec<String> = Vec::new();
    for o in &outcomes {
        hist.merge(&o.hist);
        tick_lag.merge(&o.tick_lag);
        if let Some(e) = &o.error {
            errors.push(e.clone());
        }
    }
    let connected = outcomes.iter().filter(|o| o.connected).count();
    let sum = |f: fn(&EditorOutcome) -> u64| outcomes.iter().map(f).sum::<u64>();
    let updates_sent = sum(|o| o.updates_sent);
    let deliveries = sum(|o| o.deliveries);
    let lost = sum(|o| o.lost);
    let expected: u64 = (0..shared.log.editors())
        .map(|i| shared.log.sent(i) as u64 * (outcomes.len() as u64 - 1))
        .sum();
    // Editors `0..replicas` are the replicas; light editors' documents hold
    // only their own changes, so there is nothing to compare them on.
    let replicas = shared.replicas.min(outcomes.len());
    let first = outcomes.first();
    let clients_equal = outcomes[..replicas]
        .iter()
        .all(|o| first.is_some_and(|f| f.state_vector == o.state_vector && f.content == o.content));
    let server_equal = match server_state {
        Ok(s) => {
            Some(first.is_some_and(|f| f.state_vector == s.state_vector && f.content == s.content))
        }
        Err(e) => {
            errors.push(format!("server state: {e:#}"));
            None
        }
    };
    let markdown_has_all_paragraphs = match markdown {
        None => None,
        Some(Ok(md)) => Some(
            outcomes
                .iter()
                .all(|o| o.paragraph.is_empty() || md.contains(&o.paragraph)),
        ),
        Some(Err(e)) => {
            errors.push(format!("markdown: {e:#}"));
            None
        }
    };
    let secs = cfg.duration.as_secs_f64();
    errors.truncate(10);
    Report {
        scenario: "co-edit",
        url: cfg.target.url.clone(),
        editors: cfg.editors,
        rate_per_editor: cfg.rate,
        awareness_rate_per_editor: cfg.awareness_rate,
        duration_s: secs,
        replicas,
        connected,
        connect_failures: cfg.editors - connected,
        handshake_max_ms: outcomes
            .iter()
            .map(|o| o.handshake.as_secs_f64() * 1000.0)
            .fold(0.0, f64::max),
        updates_sent,
        updates_target: (cfg.rate * secs * cfg.editors as f64).round() as u64,
        skipped_ticks: sum(|o| o.skipped_ticks),
        tick_lag: tick_lag.summary(),
        awareness_sent: sum(|o| o.awareness_sent),
        deliveries,
        expected_deliveries: expected,
        lost_deliveries: lost,
        updates_per_s: updates_sent as f64 / secs,
        deliveries_per_s: deliveries as f64 / secs,
        update_frames_received: sum(|o| o.update_frames_received),
        awareness_frames_received: sum(|o| o.awareness_received),
        mib_received: sum(|o| o.bytes_received) as f64 / (1024.0 * 1024.0),
        latency: hist.summary(),
        clients_equal,
        server_equal,
        markdown_has_all_paragraphs,
        final_chars: first.map(|f| f.content.len()).unwrap_or(0),
        server: None,
        loadgen_cpu_seconds: 0.0,
        errors,
    }
}

pub fn print_human(r: &Report) {
    let l = &r.latency;
    println!("co-edit  {}", r.url);
    println!(
        "  editors {} ({} connected, max handshake {:.0} ms), {} upd/s/editor, awareness {}/s/editor, {:.0} s",
        r.editors,
        r.connected,
        r.handshake_max_ms,
        r.rate_per_editor,
        r.awareness_rate_per_editor,
        r.duration_s
    );
    println!(
        "  sent      {} updates (target {}, {} ticks skipped), {} awareness",
        r.updates_sent, r.updates_target, r.skipped_ticks, r.awareness_sent
    );
    println!(
        "  delivered {} of {} expected ({} lost); {:.1} updates/s sent, {:.0} deliveries/s",
        r.deliveries, r.expected_deliveries, r.lost_deliveries, r.updates_per_s, r.deliveries_per_s
    );
    println!(
        "  received  {} update frames, {} awareness frames, {:.1} MiB",
        r.update_frames_received, r.awareness_frames_received, r.mib_received
    );
    println!(
        "  latency ms  p50 {}  p95 {}  p99 {}  max {}  mean {}",
        fmt_ms(l.p50_ms, l.lost),
        fmt_ms(l.p95_ms, l.lost),
        fmt_ms(l.p99_ms, l.lost),
        fmt_ms(l.max_ms, 0),
        fmt_ms(l.mean_ms, 0)
    );
    let opt = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "not checked",
    };
    println!(
        "  final state: clients equal {} ({} replicas compared), equal to server {}, markdown has every paragraph {} ({} chars of XML)",
        opt(Some(r.clients_equal)),
        r.replicas,
        opt(r.server_equal),
        opt(r.markdown_has_all_paragraphs),
        r.final_chars
    );
    if let Some(s) = &r.server {
        println!(
            "  server pid {}: {:.2} CPU s ({:.2} cores), {:.4} CPU ms/update, peak RSS {:.1} MiB (VmHWM), max sampled RSS {:.1} MiB, RSS before {:.1} MiB",
            s.pid, s.cpu_seconds, s.cpu_cores, s.cpu_ms_per_update, s.peak_rss_mib, s.max_sampled_rss_mib, s.rss_before_mib
        );
    }
    println!(
        "  load generator: {:.2} CPU s; send-tick lag ms p50 {} p99 {} max {}",
        r.loadgen_cpu_seconds,
        fmt_ms(r.tick_lag.p50_ms, 0),
        fmt_ms(r.tick_lag.p99_ms, 0),
        fmt_ms(r.tick_lag.max_ms, 0)
    );
    for e in &r.errors {
        println!("  error: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn insert(doc: &Doc, text: &XmlTextRef, s: &str) -> (Vec<u8>, u32) {
        let u = {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, s);
            txn.encode_update_v1()
        };
        let clock = doc.transact().state_vector().get(&doc.client_id());
        (u, clock)
    }

    fn paragraph(doc: &Doc) -> (Vec<u8>, XmlTextRef) {
        let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
        let mut txn = doc.transact_mut();
        let el = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
        let t = el.push_back(&mut txn, XmlTextPrelim::new(""));
        (txn.encode_update_v1(), t)
    }

    #[test]
    fn tracker_records_each_send_once_when_its_clock_is_covered() {
        let a = Doc::with_client_id(11);
        let b = Doc::with_client_id(22);
        let log = SendLog::new(&[a.client_id(), b.client_id()]);
        let mut tb = Tracker::new(1, 2);
        let mut hist = Histogram::new();
        let t0 = Instant::now();

        // The paragraph is not logged (warm-up) and yields no delivery.
        let (p, text) = paragraph(&a);
        tb.apply(&log, &b, &p, t0, &mut hist).unwrap();
        assert_eq!(tb.deliveries, 0);

        // Three sends; the first two arrive merged in one update.
        let (u1, c1) = insert(&a, &text, "ab");
        log.record(0, c1, t0);
        let (u2, c2) = insert(&a, &text, "c");
        log.record(0, c2, t0 + Duration::from_millis(5));
        let (u3, c3) = insert(&a, &text, "def");
        log.record(0, c3, t0 + Duration::from_millis(10));
        assert!(c1 < c2 && c2 < c3);
        assert_eq!(log.sent(0), 3);

        let merged = yrs::merge_updates_v1([u1.as_slice(), u2.as_slice()]).unwrap();
        tb.apply(&log, &b, &merged, t0 + Duration::from_millis(20), &mut hist)
            .unwrap();
        assert_eq!(tb.deliveries, 2);
        assert_eq!(tb.lost(&log), 1);
        // Receiving the same bytes again counts nothing twice.
        tb.apply(&log, &b, &merged, t0 + Duration::from_millis(30), &mut hist)
            .unwrap();
        assert_eq!(tb.deliveries, 2);

        tb.apply(&log, &b, &u3, t0 + Duration::from_millis(40), &mut hist)
            .unwrap();
        assert_eq!(tb.deliveries, 3);
        assert_eq!(tb.lost(&log), 0);
        // Latencies: 20 ms, 15 ms, 30 ms.
        assert_eq!(hist.count(), 3);
        assert_eq!(hist.percentile(1.0), Some(30_000));
        // The histogram keeps ~1.6 % precision; the extremes are exact.
        let p1 = hist.percentile(0.01).unwrap();
        assert!((15_000..=15_300).contains(&p1), "{p1}");
        let p50 = hist.percentile(0.5).unwrap();
        assert!((20_000..=20_400).contains(&p50), "{p50}");

        let frag = b.get_or_insert_xml_fragment(FRAGMENT);
        assert_eq!(
            frag.get_string(&b.transact()),
            "<paragraph>abcdef</paragraph>"
        );
        assert_eq!(
            sorted_sv(&a.transact().state_vector()),
            sorted_sv(&b.transact().state_vector())
        );
    }

    #[test]
    fn own_updates_echoed_back_are_not_deliveries() {
        let a = Doc::with_client_id(11);
        let log = SendLog::new(&[a.client_id()]);
        let mut ta = Tracker::new(0, 1);
        let mut hist = Histogram::new();
        let (_, text) = paragraph(&a);
        let (u, c) = insert(&a, &text, "x");
        log.record(0, c, Instant::now());
        ta.apply(&log, &a, &u, Instant::now(), &mut hist).unwrap();
        assert_eq!(ta.deliveries, 0);
        assert_eq!(ta.lost(&log), 0);
        assert_eq!(hist.count(), 0);
    }

    #[test]
    fn out_of_order_updates_count_once_integrated() {
        let a = Doc::with_client_id(11);
        let b = Doc::with_client_id(22);
        let c = Doc::with_client_id(33);
        let log = SendLog::new(&[a.client_id(), b.client_id(), c.client_id()]);
        let t0 = Instant::now();
        let (p, text) = paragraph(&a);
        let (u1, k1) = insert(&a, &text, "a");
        log.record(0, k1, t0);
        // C receives u1 before the paragraph it depends on.
        let mut tc = Tracker::new(2, 3);
        let mut hist = Histogram::new();
        tc.apply(&log, &c, &u1, t0 + Duration::from_millis(1), &mut hist)
            .unwrap();
        assert_eq!(tc.deliveries, 0, "parked, not integrated");
        tc.apply(&log, &c, &p, t0 + Duration::from_millis(2), &mut hist)
            .unwrap();
        assert_eq!(tc.deliveries, 1);
        assert_eq!(hist.percentile(1.0), Some(2_000));
        let _ = b;
    }

    /// A full replica and a light editor receiving the same frames.
    struct Both {
        doc: Doc,
        full: Tracker,
        light: Tracker,
        full_hist: Histogram,
        light_hist: Histogram,
    }

    impl Both {
        fn new(me: usize, editors: usize) -> Self {
            Both {
                doc: Doc::with_client_id(99),
                full: Tracker::new(me, editors),
                light: Tracker::new(me, editors),
                full_hist: Histogram::new(),
                light_hist: Histogram::new(),
            }
        }

        /// Feeds one frame to both and checks they agree so far.
        fn feed(&mut self, log: &SendLog, update: &[u8], at: Instant) -> u64 {
            let before = self.light.deliveries;
            self.full
                .apply(log, &self.doc, update, at, &mut self.full_hist)
                .unwrap();
            self.light
                .observe(log, update, at, &mut self.light_hist)
                .unwrap();
            assert_eq!(self.full.deliveries, self.light.deliveries);
            assert_eq!(self.full.lost(log), self.light.lost(log));
            assert_eq!(self.full_hist.summary(), self.light_hist.summary());
            self.light.deliveries - before
        }
    }

    fn ms(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_millis(n)
    }

    #[test]
    fn light_tracker_credits_what_a_replica_credits() {
        let a = Doc::with_client_id(11);
        let b = Doc::with_client_id(22);
        // Editor 2 is the receiver; it sends nothing itself.
        let log = SendLog::new(&[a.client_id(), b.client_id(), ClientID::new(99)]);
        let t0 = Instant::now();
        let (pa, ta) = paragraph(&a);
        let (pb, tb) = paragraph(&b);
        let sends = |doc: &Doc, text: &XmlTextRef, who: usize, at: u64| {
            let (u, c) = insert(doc, text, "xy");
            log.record(who, c, ms(t0, at));
            u
        };
        let a1 = sends(&a, &ta, 0, 1);
        let b1 = sends(&b, &tb, 1, 2);
        let a2 = sends(&a, &ta, 0, 3);
        let a3 = sends(&a, &ta, 0, 4);
        let b2 = sends(&b, &tb, 1, 5);
        let merge = |us: &[&[u8]]| yrs::merge_updates_v1(us.iter().copied()).unwrap();

        let mut r = Both::new(2, 3);
        assert_eq!(r.feed(&log, &merge(&[&pa, &pb]), ms(t0, 10)), 0);
        // One merged frame carrying two senders' ranges.
        assert_eq!(r.feed(&log, &merge(&[&a1, &b1]), ms(t0, 20)), 2);
        // a3 before a2: nothing until the gap fills, then both at once.
        assert_eq!(r.feed(&log, &a3, ms(t0, 30)), 0);
        assert_eq!(r.light.lost(&log), 3);
        assert_eq!(r.feed(&log, &a2, ms(t0, 40)), 2);
        // Repeats and overlaps count nothing twice.
        assert_eq!(r.feed(&log, &merge(&[&a1, &b1]), ms(t0, 50)), 0);
        assert_eq!(r.feed(&log, &merge(&[&a2, &a3]), ms(t0, 55)), 0);
        assert_eq!(r.feed(&log, &b2, ms(t0, 60)), 1);
        let whole_a = a
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert_eq!(r.feed(&log, &whole_a, ms(t0, 70)), 0);
        assert_eq!(r.light.deliveries, 5);
        assert_eq!(r.light.lost(&log), 0);
        // Latencies 19, 18, 37, 36 and 55 ms.
        assert_eq!(r.light_hist.count(), 5);
        assert_eq!(r.light_hist.percentile(1.0), Some(55_000));
    }

    #[test]
    fn light_tracker_holds_back_a_gap_inside_a_merged_update() {
        let a = Doc::with_client_id(11);
        let log = SendLog::new(&[a.client_id(), ClientID::new(99)]);
        let t0 = Instant::now();
        let (pa, ta) = paragraph(&a);
        let mut us = Vec::new();
        for i in 0..3 {
            let (u, c) = insert(&a, &ta, "q");
            log.record(0, c, ms(t0, i));
            us.push(u);
        }
        let mut r = Both::new(1, 2);
        r.feed(&log, &pa, ms(t0, 5));
        // Sends 0 and 2 merged: the server's merge leaves a skip where 1 was.
        let gapped = yrs::merge_updates_v1([us[0].as_slice(), us[2].as_slice()]).unwrap();
        assert_eq!(r.feed(&log, &gapped, ms(t0, 10)), 1);
        assert_eq!(r.light.lost(&log), 2);
        assert_eq!(r.feed(&log, &us[1], ms(t0, 20)), 2);
        assert_eq!(r.feed(&log, &gapped, ms(t0, 30)), 0);
        assert_eq!(r.light.lost(&log), 0);
    }

    #[test]
    fn light_and_full_agree_on_shuffled_overlapping_frames() {
        for seed in 0..20u64 {
            let docs: Vec<Doc> = (1..=3).map(|c| Doc::with_client_id(c * 10)).collect();
            let mut ids: Vec<ClientID> = docs.iter().map(|d| d.client_id()).collect();
            ids.push(ClientID::new(99));
            let log = SendLog::new(&ids);
            let t0 = Instant::now();
            let mut frames: Vec<Vec<u8>> = Vec::new();
            for (who, d) in docs.iter().enumerate() {
                let (p, t) = paragraph(d);
                frames.push(p);
                for i in 0..6 {
                    let (u, c) = insert(d, &t, "z");
                    log.record(who, c, ms(t0, i));
                    frames.push(u);
                }
            }
            let mut rng = StdRng::seed_from_u64(seed);
            // Merged pairs (possibly across senders, possibly gapped) and
            // duplicates, as a relaying server might produce.
            for _ in 0..8 {
                let i = rng.random_range(0..frames.len());
                let j = rng.random_range(0..frames.len());
                let m =
                    yrs::merge_updates_v1([frames[i].as_slice(), frames[j].as_slice()]).unwrap();
                frames.push(m);
            }
            for i in (1..frames.len()).rev() {
                frames.swap(i, rng.random_range(0..=i));
            }
            let mut r = Both::new(3, 4);
            for (k, f) in frames.iter().enumerate() {
                r.feed(&log, f, ms(t0, 10 + k as u64));
            }
            assert_eq!(r.light.deliveries, 18, "seed {seed}");
            assert_eq!(r.light.lost(&log), 0, "seed {seed}");
        }
    }

    #[test]
    fn light_tracker_ignores_its_own_echo_and_unknown_clients() {
        let me = Doc::with_client_id(11);
        let stranger = Doc::with_client_id(77);
        let log = SendLog::new(&[me.client_id(), ClientID::new(22)]);
        let (p, text) = paragraph(&me);
        let (u, c) = insert(&me, &text, "x");
        log.record(0, c, Instant::now());
        let (q, _) = paragraph(&stranger);
        let mut t = Tracker::new(0, 2);
        let mut hist = Histogram::new();
        for f in [&p, &u, &q] {
            t.observe(&log, f, Instant::now(), &mut hist).unwrap();
        }
        assert_eq!(t.deliveries, 0);
        assert_eq!(t.lost(&log), 0);
        assert_eq!(hist.count(), 0);
    }

    #[test]
    fn light_drain_waits_for_every_sender_but_itself() {
        let a = Doc::with_client_id(11);
        let log = SendLog::new(&[a.client_id(), ClientID::new(22)]);
        let (p, text) = paragraph(&a);
        let (u, c) = insert(&a, &text, "x");
        log.record(0, c, Instant::now());
        let expected = [(a.client_id(), c), (ClientID::new(22), 5)];
        let mut t = Tracker::new(1, 2);
        let mut hist = Histogram::new();
        assert!(!t.observed_all(&log, &expected));
        t.observe(&log, &u, Instant::now(), &mut hist).unwrap();
        assert!(!t.observed_all(&log, &expected), "u waits for p");
        t.observe(&log, &p, Instant::now(), &mut hist).unwrap();
        assert!(t.observed_all(&log, &expected));
        assert!(!t.observed_all(&log, &[(ClientID::new(5), 1)]));
    }

    #[test]
    fn garbage_updates_are_errors() {
        let a = Doc::new();
        let log = SendLog::new(&[a.client_id()]);
        let mut t = Tracker::new(0, 1);
        let mut h = Histogram::new();
        assert!(t
            .apply(&log, &a, &[0xff, 0xff, 0xff], Instant::now(), &mut h)
            .is_err());
        assert!(t
            .observe(&log, &[0xff, 0xff, 0xff], Instant::now(), &mut h)
            .is_err());
    }
}
