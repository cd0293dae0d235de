//! Scenario `readers`: N clients open one large document at once.
//!
//! First the document is grown to about `--doc-bytes` of Yjs state in the
//! way the ramp grew its own: `--authors` editors, each with its own client
//! id and its own paragraph of the XmlFragment `default`, insert one to
//! three letters at random places, one transaction per insert, so the state
//! is made of many small blocks as typing makes it. Their changes are sent
//! as merged updates over a few writer connections (each within the
//! server's per-connection byte budget), and a probe connection checks that
//! the server holds all of it; the probe stays connected, so the document
//! stays loaded.
//!
//! Then N readers connect at once. Each sends sync step 1 with an empty
//! state vector (what a fresh browser sends) and waits for the server's
//! step 2, answering a step 1 from the server (read-write connections get
//! one) with the empty step 2 of an empty document. Time to synced is
//! counted from the moment the readers are let go, and also from each
//! reader's own connect. Readers only check the framing of the state they
//! receive; the first one integrates it and checks that it covers every
//! author's changes. Everyone stays connected for `--hold` seconds after
//! the last reader synced, while the server's RSS is sampled.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use accord_realtime::protocol::{
    encode_sync_step1, encode_sync_step2, encode_update, merge_updates,
};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::{watch, Notify, Semaphore};
use tokio_tungstenite::tungstenite::Message;
use yrs::block::ClientID;
use yrs::updates::decoder::Decode;
use yrs::{
    Doc, ReadTxn, StateVector, Text, Transact, Update, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

use crate::coedit::FRAGMENT;
use crate::procstat::{self, Proc, RssSampler};
use crate::stats::{fmt_ms, Histogram, LatencySummary};
use crate::ws::{self, Target, Ws};

/// Largest update sent while growing the document: well under the
/// server's 512 KiB per update and 1 MiB per frame.
const CHUNK_BYTES: usize = 128 * 1024;
/// Inserts per author between two measurements of the state's size.
const INSERTS_PER_ROUND: usize = 10;

#[derive(clap::Args)]
pub struct Args {
    /// ws:// URL of the document (Accord: ws://HOST/api/v1/yjs/<doc-id>).
    #[arg(long)]
    url: String,
    /// Cookie header for every connection, e.g. 'accord_session=…'.
    #[arg(long)]
    cookie: Option<String>,
    /// Readers opening the document at once.
    #[arg(long, default_value_t = 500)]
    readers: usize,
    /// Encoded Yjs state to grow the document to first (bytes, approximate).
    #[arg(long, default_value_t = 1_600_000)]
    doc_bytes: usize,
    /// Editors whose typing makes up that state (one paragraph each).
    #[arg(long, default_value_t = 500)]
    authors: usize,
    /// Connections the grown state is sent over.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Seconds every reader stays connected after the last one synced.
    #[arg(long, default_value_t = 10.0)]
    hold: f64,
    /// Handshakes in flight at once; 0: all readers at once.
    #[arg(long, default_value_t = 0)]
    connect_concurrency: usize,
    /// PID of the server process, for CPU and RSS from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Loopback source addresses to spread connections over (ephemeral-port limit).
    #[arg(long, value_delimiter = ',')]
    source_ips: Vec<Ipv4Addr>,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerFigures {
    pub pid: u32,
    /// VmHWM before the readers came: growing the document and the probe.
    pub peak_rss_before_mib: f64,
    /// VmHWM at the end: the peak over the process's whole life.
    pub peak_rss_mib: f64,
    pub rss_before_mib: f64,
    /// VmRSS once every reader had synced (or failed).
    pub rss_synced_mib: f64,
    /// VmRSS at the end of the hold, every reader still connected.
    pub rss_end_mib: f64,
    /// Largest VmRSS sampled (every 100 ms) from the readers' start to the end of the hold.
    pub max_sampled_rss_mib: f64,
    /// CPU seconds (user + system) from the readers' start to the end of the hold.
    pub cpu_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub url: String,
    pub readers: usize,
    pub authors: usize,
    /// The server's state as a fresh client receives it (the step 2 payload).
    pub doc_state_bytes: usize,
    pub grow_seconds: f64,
    pub synced: usize,
    pub failed: usize,
    /// From the moment the readers were let go to each one's whole step 2.
    pub time_to_synced: LatencySummary,
    /// From each reader's own connect to its whole step 2.
    pub handshake: LatencySummary,
    /// Readers whose step 2 was shorter or longer than the probe's.
    pub wrong_size: usize,
    /// The first reader integrated its state and it covered every author's changes.
    pub verified: bool,
    pub mib_received: f64,
    pub hold_s: f64,
    pub server: Option<ServerFigures>,
    pub loadgen_cpu_seconds: f64,
    pub errors: Vec<String>,
}

impl Report {
    pub fn complete(&self) -> bool {
        self.failed == 0 && self.synced == self.readers && self.wrong_size == 0 && self.verified
    }
}

pub async fn cli(a: Args) -> Result<bool> {
    if a.readers == 0 || a.authors == 0 || a.writers == 0 {
        bail!("need at least one reader, one author and one writer");
    }
    let target = Target::parse(&a.url, a.cookie.clone())?;
    let report = run(&a, &target).await?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_human(&report);
    }
    Ok(report.complete())
}

/// The authors' typing: one update per author (its whole state) and every
/// author's final clock.
pub fn author_updates(
    authors: usize,
    target_bytes: usize,
    seed: u64,
) -> (Vec<Vec<u8>>, Vec<(ClientID, u32)>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = rng.random_range(1u64..(1u64 << 50));
    let docs: Vec<_> = (0..authors as u64)
        .map(|i| {
            let doc = Doc::with_client_id(base + i);
            let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
            let text = {
                let mut txn = doc.transact_mut();
                let el = frag.push_back(&mut txn, XmlElementPrelim::empty("paragraph"));
                el.push_back(&mut txn, XmlTextPrelim::new(""))
            };
            (doc, text)
        })
        .collect();
    let state = |doc: &Doc| {
        doc.transact()
            .encode_state_as_update_v1(&StateVector::default())
    };
    // Bounded: each round adds bytes to every author's state.
    for _ in 0..100_000 {
        let total: usize = docs.iter().map(|(d, _)| state(d).len()).sum();
        if total >= target_bytes {
            break;
        }
        for (doc, text) in &docs {
            for _ in 0..INSERTS_PER_ROUND {
                let mut txn = doc.transact_mut();
                let len = text.len(&txn);
                let pos = rng.random_range(0..=len);
                let n = rng.random_range(1..=3);
                let s: String = (0..n)
                    .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                    .collect();
                text.insert(&mut txn, pos, &s);
            }
        }
    }
    let clocks = docs
        .iter()
        .map(|(d, _)| {
            (
                d.client_id(),
                d.transact().state_vector().get(&d.client_id()),
            )
        })
        .collect();
    (docs.iter().map(|(d, _)| state(d)).collect(), clocks)
}

/// The updates merged into frames of at most about [`CHUNK_BYTES`] each.
fn chunks(updates: &[Vec<u8>]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut size = 0;
    for u in updates {
        if size + u.len() > CHUNK_BYTES && !pending.is_empty() {
            out.push(merge_updates(&pending).map_err(|e| anyhow!("{e}"))?);
            pending.clear();
            size = 0;
        }
        size += u.len();
        pending.push(u.clone());
    }
    if !pending.is_empty() {
        out.push(merge_updates(&pending).map_err(|e| anyhow!("{e}"))?);
    }
    Ok(out)
}

/// lib0's variable-length unsigned integer at `*at`.
fn read_var(frame: &[u8], at: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *frame.get(*at).context("frame ends inside a number")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("number too long")
}

/// lib0's length-prefixed bytes at `*at`.
fn read_buf<'a>(frame: &'a [u8], at: &mut usize) -> Result<&'a [u8]> {
    let len = usize::try_from(read_var(frame, at)?)?;
    let end = at.checked_add(len).filter(|&e| e <= frame.len());
    let end = end.context("frame ends inside a payload")?;
    let buf = &frame[*at..end];
    *at = end;
    Ok(buf)
}

/// The sync messages of one y-websocket frame, (sub-type, payload), read
/// without decoding the payloads; other messages are skipped.
fn sync_messages(frame: &[u8]) -> Result<Vec<(u64, &[u8])>> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < frame.len() {
        match read_var(frame, &mut at)? {
            0 => {
                let sub = read_var(frame, &mut at)?;
                out.push((sub, read_buf(frame, &mut at)?));
            }
            1 => {
                read_buf(frame, &mut at)?;
            }
            2 => {
                read_var(frame, &mut at)?;
                read_buf(frame, &mut at)?;
            }
            3 => {}
            other => bail!("unknown message type {other}"),
        }
    }
    Ok(out)
}

/// Sends `step1` and reads until the server's step 2; returns its payload.
/// A step 1 from the server is answered with `answer` (an empty step 2).
async fn sync(ws: &mut Ws, answer: &[u8], until: Instant) -> Result<Vec<u8>> {
    ws.send(Message::Binary(
        encode_sync_step1(&StateVector::default()).into(),
    ))
    .await?;
    loop {
        let msg = match tokio::time::timeout_at(until.into(), ws.next()).await {
            Err(_) => bail!("no sync step 2 in time"),
            Ok(None) => bail!("connection ended before sync step 2"),
            Ok(Some(m)) => m?,
        };
        let data = match msg {
            Message::Binary(d) => d,
            Message::Close(f) => bail!("server closed the connection: {f:?}"),
            _ => continue,
        };
        let mut step2 = None;
        let mut reply = false;
        for (sub, payload) in sync_messages(&data)? {
            match sub {
                0 => reply = true,
                1 => step2 = Some(payload.to_vec()),
                _ => {}
            }
        }
        if reply {
            ws.send(Message::Binary(answer.to_vec().into())).await?;
        }
        if let Some(s) = step2 {
            return Ok(s);
        }
    }
}

/// Whether the state in `update` covers every author's final clock.
fn covers(update: &[u8], clocks: &[(ClientID, u32)]) -> Result<bool> {
    Ok(missing(update, clocks)? == 0)
}

/// How many authors' changes the state in `update` lacks (wholly or in part).
fn missing(update: &[u8], clocks: &[(ClientID, u32)]) -> Result<usize> {
    let doc = Doc::new();
    let u = Update::decode_v1(update).map_err(|e| anyhow!("{e}"))?;
    doc.transact_mut()
        .apply_update(u)
        .map_err(|e| anyhow!("{e}"))?;
    let sv = doc.transact().state_vector();
    Ok(clocks.iter().filter(|(c, k)| sv.get(c) < *k).count())
}

fn empty_step2() -> Vec<u8> {
    let doc = Doc::new();
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    encode_sync_step2(&update)
}

/// Grows the document; returns a connected probe (which keeps it loaded),
/// the state's size as a fresh client receives it and the authors' clocks.
async fn grow(a: &Args, target: &Target) -> Result<(Ws, usize, Vec<(ClientID, u32)>)> {
    let seed = rand::rng().random();
    let (updates, clocks) = author_updates(a.authors, a.doc_bytes, seed);
    let frames: Vec<Vec<u8>> = chunks(&updates)?.iter().map(|u| encode_update(u)).collect();
    let writers = a.writers.min(frames.len()).max(1);
    let (release, released) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut sent = Vec::new();
    for w in 0..writers {
        let mine: Vec<Vec<u8>> = frames.iter().skip(w).step_by(writers).cloned().collect();
        let target = target.clone();
        let (done, done_rx) = tokio::sync::oneshot::channel();
        sent.push(done_rx);
        let mut released = released.clone();
        tasks.push(tokio::spawn(async move {
            let mut ws = ws::connect(&target, None).await?;
            for f in mine {
                ws.send(Message::Binary(f.into())).await?;
            }
            let _ = done.send(());
            // Connected (and reading) until the probe has seen everything:
            // a client that closes at once may lose frames the server has
            // not handled yet (see BENCHMARKS.md, readers).
            loop {
                tokio::select! {
                    changed = released.changed() => if changed.is_err() || *released.borrow() { break },
                    m = ws.next() => if !matches!(m, Some(Ok(_))) { break },
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
            Ok::<(), anyhow::Error>(())
        }));
    }
    for done in sent {
        // A writer that failed drops its sender; its task's error is reported below.
        let _ = done.await;
    }
    let probed = probe_until_complete(target, &clocks).await;
    let _ = release.send(true);
    for t in tasks {
        t.await.context("writer task")??;
    }
    let (probe, size) = probed?;
    Ok((probe, size, clocks))
}

/// A connection whose sync step 2 covers every author's changes, and its size.
async fn probe_until_complete(target: &Target, clocks: &[(ClientID, u32)]) -> Result<(Ws, usize)> {
    // The probe: retried until the server's state holds every author's
    // changes (they are persisted, then applied, in 15 ms windows).
    let answer = empty_step2();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut probe = ws::connect(target, None).await?;
        let state = sync(
            &mut probe,
            &answer,
            Instant::now() + Duration::from_secs(30),
        )
        .await?;
        let lacking = missing(&state, clocks)?;
        if lacking == 0 {
            return Ok((probe, state.len()));
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), probe.close(None)).await;
        if Instant::now() > deadline {
            bail!(
                "the server's state ({} bytes) still lacks the changes of {lacking} of {} authors",
                state.len(),
                clocks.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[derive(Default)]
struct Outcome {
    since_go: Option<Duration>,
    handshake: Option<Duration>,
    bytes: usize,
    verified: Option<bool>,
    error: Option<String>,
}

struct Shared {
    target: Target,
    source_ips: Vec<Ipv4Addr>,
    connect: Option<Semaphore>,
    answer: Vec<u8>,
    clocks: Vec<(ClientID, u32)>,
    done: AtomicUsize,
    notify: Notify,
}

async fn reader(
    idx: usize,
    shared: Arc<Shared>,
    go: Instant,
    mut release: watch::Receiver<bool>,
) -> Outcome {
    let mut out = Outcome::default();
    let result: Result<Option<Ws>> = async {
        let _permit = match &shared.connect {
            Some(s) => Some(s.acquire().await?),
            None => None,
        };
        let started = Instant::now();
        let source = match shared.source_ips.len() {
            0 => None,
            n => Some(shared.source_ips[idx % n]),
        };
        let until = started + Duration::from_secs(120);
        let mut ws = tokio::time::timeout_at(until.into(), ws::connect(&shared.target, source))
            .await
            .context("connect timed out")??;
        let state = sync(&mut ws, &shared.answer, until).await?;
        let now = Instant::now();
        out.since_go = Some(now - go);
        out.handshake = Some(now - started);
        out.bytes = state.len();
        if idx == 0 {
            out.verified = Some(covers(&state, &shared.clocks)?);
        }
        Ok(Some(ws))
    }
    .await;
    let ws = match result {
        Ok(ws) => ws,
        Err(e) => {
            out.error = Some(format!("reader {idx}: {e:#}"));
            None
        }
    };
    shared.done.fetch_add(1, Ordering::AcqRel);
    shared.notify.notify_one();
    // Stay connected, reading (pings, presence) until released.
    if let Some(mut ws) = ws {
        loop {
            tokio::select! {
                changed = release.changed() => if changed.is_err() || *release.borrow() { break },
                msg = ws.next() => match msg {
                    Some(Ok(Message::Close(f))) => {
                        out.error = Some(format!("reader {idx}: closed while holding: {f:?}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        out.error = Some(format!("reader {idx}: {e}"));
                        break;
                    }
                    None => break,
                },
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    }
    out
}

async fn run(a: &Args, target: &Target) -> Result<Report> {
    let server = a.server_pid.map(Proc::Pid);
    let grow_started = Instant::now();
    let (mut probe, doc_state_bytes, clocks) = grow(a, target).await?;
    let grow_seconds = grow_started.elapsed().as_secs_f64();
    // The probe stays connected (and read) so the document stays loaded.
    let (stop_probe, mut probe_stop) = watch::channel(false);
    let probe_task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = probe_stop.changed() => break,
                m = probe.next() => if !matches!(m, Some(Ok(_))) { break },
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), probe.close(None)).await;
    });
    // Let the writers' connections and the worker settle.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let before = server.map(|p| p.mem()).transpose()?;
    let cpu_before = server.map(|p| p.cpu()).transpose()?;
    let own_before = Proc::OwnProcess.cpu()?;
    let hold = Duration::from_secs_f64(a.hold.max(0.0));
    let sampler = server.map(|p| {
        RssSampler::start(
            p,
            Duration::from_millis(100),
            hold + Duration::from_secs(300),
        )
    });

    let shared = Arc::new(Shared {
        target: target.clone(),
        source_ips: a.source_ips.clone(),
        connect: (a.connect_concurrency > 0).then(|| Semaphore::new(a.connect_concurrency)),
        answer: empty_step2(),
        clocks,
        done: AtomicUsize::new(0),
        notify: Notify::new(),
    });
    let (release_tx, release_rx) = watch::channel(false);
    let go = Instant::now();
    let tasks: Vec<_> = (0..a.readers)
        .map(|i| tokio::spawn(reader(i, shared.clone(), go, release_rx.clone())))
        .collect();
    let deadline = go + Duration::from_secs(180);
    while shared.done.load(Ordering::Acquire) < a.readers && Instant::now() < deadline {
        let _ = tokio::time::timeout(Duration::from_millis(100), shared.notify.notified()).await;
    }
    let synced_mem = server.map(|p| p.mem()).transpose()?;
    tokio::time::sleep(hold).await;
    let end_mem = server.map(|p| p.mem()).transpose()?;
    let cpu_after = server.map(|p| p.cpu()).transpose()?;
    let own_after = Proc::OwnProcess.cpu()?;
    let _ = release_tx.send(true);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        outcomes.push(t.await.unwrap_or_else(|e| Outcome {
            error: Some(format!("reader task failed: {e}")),
            ..Default::default()
        }));
    }
    let _ = stop_probe.send(true);
    let _ = probe_task.await;

    let tck = procstat::clk_tck() as f64;
    let mib = procstat::kib_to_mib;
    let server_figures = match (server, before, synced_mem, end_mem, cpu_before, cpu_after) {
        (Some(_), Some(b), Some(s), Some(e), Some(c0), Some(c1)) => {
            let max = match sampler {
                Some(s) => s.finish().await,
                None => 0,
            };
            Some(ServerFigures {
                pid: a.server_pid.unwrap_or(0),
                peak_rss_before_mib: mib(b.vm_hwm_kib),
                peak_rss_mib: mib(e.vm_hwm_kib),
                rss_before_mib: mib(b.vm_rss_kib),
                rss_synced_mib: mib(s.vm_rss_kib),
                rss_end_mib: mib(e.vm_rss_kib),
                max_sampled_rss_mib: mib(max.max(s.vm_rss_kib).max(e.vm_rss_kib)),
                cpu_seconds: (c1.total() - c0.total()) as f64 / tck,
            })
        }
        _ => None,
    };
    let mut since_go = Histogram::new();
    let mut handshake = Histogram::new();
    let mut report = Report {
        scenario: "readers",
        url: target.url.clone(),
        readers: a.readers,
        authors: a.authors,
        doc_state_bytes,
        grow_seconds,
        synced: 0,
        failed: 0,
        time_to_synced: since_go.summary(),
        handshake: handshake.summary(),
        wrong_size: 0,
        verified: false,
        mib_received: 0.0,
        hold_s: hold.as_secs_f64(),
        server: server_figures,
        loadgen_cpu_seconds: (own_after.total() - own_before.total()) as f64 / tck,
        errors: Vec::new(),
    };
    let mut bytes = 0usize;
    for o in outcomes {
        match (o.since_go, o.handshake) {
            (Some(g), Some(h)) => {
                report.synced += 1;
                since_go.record(g.as_micros() as u64);
                handshake.record(h.as_micros() as u64);
                bytes += o.bytes;
                if o.bytes != doc_state_bytes {
                    report.wrong_size += 1;
                }
            }
            _ => report.failed += 1,
        }
        if let Some(v) = o.verified {
            report.verified = v;
        }
        if let Some(e) = o.error {
            if report.errors.len() < 10 {
                report.errors.push(e);
            }
        }
    }
    since_go.record_lost(report.failed as u64);
    handshake.record_lost(report.failed as u64);
    report.time_to_synced = since_go.summary();
    report.handshake = handshake.summary();
    report.mib_received = bytes as f64 / (1024.0 * 1024.0);
    Ok(report)
}

pub fn print_human(r: &Report) {
    println!("readers  {}", r.url);
    println!(
        "  document: {} bytes of Yjs state from {} authors (grown in {:.1} s)",
        r.doc_state_bytes, r.authors, r.grow_seconds
    );
    println!(
        "  readers {}: {} synced, {} failed, {} with a wrong size; first reader's state complete: {}; {:.1} MiB received",
        r.readers,
        r.synced,
        r.failed,
        r.wrong_size,
        if r.verified { "yes" } else { "NO" },
        r.mib_received
    );
    for (name, l) in [
        ("time to synced (from go)", &r.time_to_synced),
        ("handshake (own connect)", &r.handshake),
    ] {
        println!(
            "  {name} ms  p50 {}  p95 {}  p99 {}  max {}",
            fmt_ms(l.p50_ms, l.lost),
            fmt_ms(l.p95_ms, l.lost),
            fmt_ms(l.p99_ms, l.lost),
            fmt_ms(l.max_ms, 0)
        );
    }
    if let Some(s) = &r.server {
        println!(
            "  server pid {}: peak RSS (VmHWM) {:.1} MiB (before the readers {:.1} MiB); RSS before {:.1}, all synced {:.1}, end of {:.0} s hold {:.1}, max sampled {:.1} MiB; {:.2} CPU s",
            s.pid,
            s.peak_rss_mib,
            s.peak_rss_before_mib,
            s.rss_before_mib,
            s.rss_synced_mib,
            r.hold_s,
            s.rss_end_mib,
            s.max_sampled_rss_mib,
            s.cpu_seconds
        );
    }
    println!("  load generator: {:.2} CPU s", r.loadgen_cpu_seconds);
    for e in &r.errors {
        println!("  error: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn authors_grow_a_state_of_about_the_size_asked_for() {
        let (updates, clocks) = author_updates(20, 20_000, 7);
        assert_eq!(updates.len(), 20);
        let merged = merge_updates(&updates).unwrap();
        assert!(merged.len() >= 19_000, "{}", merged.len());
        assert!(covers(&merged, &clocks).unwrap());
        assert!(!covers(&updates[0], &clocks).unwrap());
        let frames = chunks(&updates).unwrap();
        assert!(frames.iter().all(|f| f.len() <= CHUNK_BYTES + 2_000));
        let again = merge_updates(&frames).unwrap();
        assert!(covers(&again, &clocks).unwrap());
    }

    #[test]
    fn sync_messages_are_read_without_decoding_payloads() {
        let step1 = encode_sync_step1(&StateVector::default());
        let step2 = encode_sync_step2(&[9, 9, 9]);
        let mut frame = vec![1, 2, 7, 7, 3];
        frame.extend(&step1);
        frame.extend(&step2);
        let got = sync_messages(&frame).unwrap();
        assert_eq!(got, vec![(0, &[0u8][..]), (1, &[9, 9, 9][..])]);
        assert!(sync_messages(&[0, 1, 5, 1]).is_err());
        assert!(sync_messages(&[9]).is_err());
    }
}
