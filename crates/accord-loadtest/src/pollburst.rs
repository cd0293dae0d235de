//! `poll-burst`: a conference audience voting on one live poll.
//!
//! Everything is set up through the public REST API, as a facilitator would:
//! account, roundtable, live session, the maturity template poll, opened.
//! Then N audience clients join with the code, each opens the JSON event
//! socket (`/api/v1/ws`, PROTOCOL.md §1), subscribes to the roundtable and,
//! once every client is subscribed, votes once at a random moment within the
//! window. A presenter socket (the facilitator's cookie) watches as well.
//!
//! What is measured, and why this way:
//!
//! - ack latency: send → `vote_ack` on the voter's own socket;
//! - vote-to-tally on every screen: tallies carry only a total, not which
//!   ballots they contain, so votes are ranked by send time and a tally of
//!   total T received at r credits every not-yet-credited vote of rank ≤ T
//!   with r − send. A ballot counted in T was sent before r, so at least T
//!   votes were sent before r and the delay is never negative. How many
//!   votes a screen has been credited by any time equals how many it has
//!   truly seen, so the mean is exact; when ballots are stored out of send
//!   order the pairing of sends to tallies is the sorted one, which can
//!   only narrow the spread (the max is then a lower bound). All (vote,
//!   screen) pairs go into a histogram, none are sampled; pairs never
//!   covered before the drain deadline count as lost;
//! - the time from the last vote sent until every screen holds total = N;
//! - ballots stored, read back from `GET /api/v1/polls/{id}/results`.
//!
//! With several `--base` URLs (nodes sharing a database and Redis) client i
//! talks to node i mod k and the presenter to the last node, so every tally
//! a client sees for a vote cast elsewhere crossed the bus.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use rand::seq::IndexedRandom;
use rand::Rng;
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::procstat::{self, Proc, RssSampler};
use crate::stats::{fmt_ms, Histogram, LatencySummary};
use crate::ws::{self, Target, Ws};

#[derive(clap::Args)]
pub struct Args {
    /// Accord HTTP base URL(s), comma-separated: clients are spread evenly, the presenter uses the last.
    #[arg(long, value_delimiter = ',', required = true)]
    base: Vec<String>,
    /// Audience clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Seconds within which every client votes once, at a random moment.
    #[arg(long, default_value_t = 10.0)]
    window: f64,
    /// Seconds after the window for every screen to reach the final tally.
    #[arg(long, default_value_t = 30.0)]
    drain: f64,
    /// Seconds allowed for joining and subscribing every client.
    #[arg(long, default_value_t = 300.0)]
    setup_timeout: f64,
    /// Server PID(s), comma-separated, for CPU and RSS from /proc.
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Loopback source addresses to spread WebSockets over (ephemeral-port limit).
    #[arg(long, value_delimiter = ',')]
    source_ips: Vec<Ipv4Addr>,
    /// Joins in flight at once (over a shared keep-alive HTTP client).
    #[arg(long, default_value_t = 200)]
    join_concurrency: usize,
    /// WebSocket handshakes (connect + subscribe) in flight at once.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// Redis to read `INFO` counters from before and after the vote phase, e.g. 127.0.0.1:6379.
    #[arg(long)]
    redis: Option<String>,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    json: bool,
}

/// One Accord node: its REST base and its event-socket target.
#[derive(Debug, Clone)]
pub struct Node {
    pub http: String,
    pub ws: Target,
}

impl Node {
    pub fn parse(base: &str) -> Result<Self> {
        let url = reqwest::Url::parse(base).with_context(|| format!("not a URL: {base}"))?;
        if url.scheme() != "http" {
            bail!("only http:// bases are supported (got {base})");
        }
        let host = url.host_str().context("base URL has no host")?;
        let ip = ws::loopback_ip(host)?;
        let port = url.port_or_known_default().unwrap_or(80);
        Ok(Node {
            http: format!("http://{ip}:{port}"),
            ws: Target::parse(&format!("ws://{ip}:{port}/api/v1/ws"), None)?,
        })
    }
}

pub struct Config {
    pub nodes: Vec<Node>,
    pub clients: usize,
    pub window: Duration,
    pub drain: Duration,
    pub setup_timeout: Duration,
    pub server_pids: Vec<u32>,
    pub source_ips: Vec<Ipv4Addr>,
    pub join_concurrency: usize,
    pub connect_concurrency: usize,
    pub redis: Option<String>,
    pub verbose: bool,
}

/// Runs the scenario from the command line; `Ok(false)` when a ballot or a
/// final tally went missing.
pub async fn cli(a: Args) -> Result<bool> {
    let nodes = a
        .base
        .iter()
        .map(|b| Node::parse(b))
        .collect::<Result<Vec<_>>>()?;
    let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
    let cfg = Config {
        nodes,
        clients: a.clients,
        window: secs(a.window),
        drain: secs(a.drain),
        setup_timeout: secs(a.setup_timeout),
        server_pids: a.server_pid,
        source_ips: a.source_ips,
        join_concurrency: a.join_concurrency.max(1),
        connect_concurrency: a.connect_concurrency.max(1),
        redis: a.redis,
        verbose: !a.json,
    };
    let report = run(&cfg).await?;
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_human(&report);
    }
    Ok(report.complete())
}

// ---------------------------------------------------------------------------
// Pure accounting (unit-tested)

/// Credits votes to one screen's tallies.
///
/// `sends` are all vote send times, sorted (the index is the rank − 1);
/// `tallies` are (receipt time, total) in receipt order. Each vote is
/// credited once, at the first tally whose total covers its rank. Returns
/// how many votes were credited; the rest were never seen on this screen.
pub fn credit_screen(sends: &[u64], tallies: &[(u64, u64)], hist: &mut Histogram) -> usize {
    let mut credited = 0usize;
    for &(received, total) in tallies {
        let upto = (total as usize).min(sends.len());
        while credited < upto {
            hist.record(received.saturating_sub(sends[credited]));
            credited += 1;
        }
    }
    credited
}

/// When a screen first held a tally of at least `expected`.
pub fn first_reaching(tallies: &[(u64, u64)], expected: u64) -> Option<u64> {
    tallies
        .iter()
        .find(|&&(_, total)| total >= expected)
        .map(|&(r, _)| r)
}

// ---------------------------------------------------------------------------
// REST set-up

/// The `name=value` pair of a Set-Cookie header, for sending back as Cookie.
fn cookie_pair(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(SET_COOKIE).iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let pair = s.split(';').next()?.trim();
        let (k, _) = pair.split_once('=')?;
        (k == name).then(|| pair.to_string())
    })
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    body: &Value,
) -> Result<(HeaderMap, Value)> {
    let mut req = http.post(url).json(body);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let resp = req.send().await.with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("POST {url}: {status}: {text}");
    }
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).with_context(|| format!("POST {url}: body is not JSON"))?
    };
    Ok((headers, v))
}

fn str_field(v: &Value, key: &str) -> Result<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("response has no string `{key}`: {v}"))
}

struct Setup {
    facilitator: String,
    roundtable: String,
    join_code: String,
    poll_id: String,
    options: Vec<String>,
}

async fn set_up(http: &reqwest::Client, base: &str) -> Result<Setup> {
    let tag: u64 = rand::rng().random_range(0..u64::MAX);
    let (h, _) = post(
        http,
        &format!("{base}/api/v1/auth/register"),
        None,
        &json!({
            "email": format!("pollburst-{tag:x}@example.org"),
            "password": format!("burst-{tag:x}-Facilitator"),
            "display_name": "Poll-burst facilitator",
        }),
    )
    .await?;
    let facilitator = cookie_pair(&h, "accord_session").context("register set no session")?;
    let c = Some(facilitator.as_str());
    let (_, rt) = post(
        http,
        &format!("{base}/api/v1/roundtables"),
        c,
        &json!({"title": "Poll-burst benchmark", "theme": "other"}),
    )
    .await?;
    let roundtable = str_field(&rt, "id")?;
    let (_, live) = post(
        http,
        &format!("{base}/api/v1/roundtables/{roundtable}/live"),
        c,
        &json!({}),
    )
    .await?;
    let join_code = str_field(&live, "join_code")?;
    let (_, poll) = post(
        http,
        &format!("{base}/api/v1/roundtables/{roundtable}/polls"),
        c,
        &json!({"template": "maturity", "lang": "en"}),
    )
    .await?;
    let poll_id = str_field(&poll, "id")?;
    let options = poll
        .get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if options.is_empty() {
        bail!("the template poll has no options: {poll}");
    }
    post(
        http,
        &format!("{base}/api/v1/polls/{poll_id}/open"),
        c,
        &json!({}),
    )
    .await?;
    Ok(Setup {
        facilitator,
        roundtable,
        join_code,
        poll_id,
        options,
    })
}

/// Joins `n` audience members, client i on node i mod k; returns their cookies.
async fn join_audience(
    http: &reqwest::Client,
    nodes: &[Node],
    code: &str,
    n: usize,
    concurrency: usize,
) -> Result<Vec<String>> {
    let body = json!({ "code": code });
    let results: Vec<(usize, Result<String>)> = futures_util::stream::iter(0..n)
        .map(|i| {
            let url = format!("{}/api/v1/join", nodes[i % nodes.len()].http);
            let body = &body;
            async move {
                let r = async {
                    let (h, _) = post(http, &url, None, body).await?;
                    cookie_pair(&h, "accord_audience").context("join set no audience cookie")
                }
                .await;
                (i, r)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut cookies = vec![String::new(); n];
    let mut failed = Vec::new();
    for (i, r) in results {
        match r {
            Ok(c) => cookies[i] = c,
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    if !failed.is_empty() {
        // Every client joins from this one address, which the server caps.
        let hint = if failed.iter().any(|e| e.contains("429")) {
            " (start the server with ACCORD_JOIN_NEW_MEMBERS_PER_IP above the client count, as bench/poll-burst.sh does)"
        } else {
            ""
        };
        bail!(
            "{} of {n} joins failed{hint}; first: {}",
            failed.len(),
            failed
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    Ok(cookies)
}

async fn ballots_stored(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    poll_id: &str,
) -> Result<u64> {
    let url = format!("{base}/api/v1/polls/{poll_id}/results");
    let v: Value = http
        .get(&url)
        .header(COOKIE, cookie)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    v.get("total")
        .and_then(Value::as_u64)
        .with_context(|| format!("results without a total: {v}"))
}

// ---------------------------------------------------------------------------
// Clients

/// Fields of the server messages this scenario reads; the rest is skipped.
#[derive(Deserialize)]
struct ServerMsg<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default, borrow)]
    poll_id: Option<&'a str>,
    #[serde(default)]
    total: Option<u64>,
    #[serde(default, borrow)]
    code: Option<&'a str>,
}

/// The vote start, and how many ballots make the final tally.
#[derive(Clone, Copy)]
struct Start {
    at: Instant,
    expected: u64,
}

struct Shared {
    origin: Instant,
    poll_id: String,
    subscribe: String,
    connect: Semaphore,
    subscribed: AtomicUsize,
    voters: AtomicUsize,
    failed: AtomicUsize,
    finished: AtomicUsize,
    notify: Notify,
    hard_deadline: Instant,
}

impl Shared {
    fn micros(&self, t: Instant) -> u64 {
        t.duration_since(self.origin).as_micros() as u64
    }

    fn bump(&self, counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::AcqRel);
        self.notify.notify_one();
    }
}

struct Plan {
    target: Target,
    source: Option<Ipv4Addr>,
    /// `None` for the presenter, who only watches.
    vote: Option<(Duration, String)>,
}

#[derive(Default)]
struct Outcome {
    subscribed: bool,
    presenter: bool,
    /// Microseconds since `Shared::origin`.
    sent: Option<u64>,
    acked: Option<u64>,
    vote_error: Option<String>,
    tallies: Vec<(u64, u64)>,
    error: Option<String>,
}

async fn client_task(
    plan: Plan,
    shared: Arc<Shared>,
    start: watch::Receiver<Option<Start>>,
    stop: watch::Receiver<bool>,
) -> Outcome {
    let mut out = Outcome {
        presenter: plan.vote.is_none(),
        ..Outcome::default()
    };
    if let Err(e) = client_main(&plan, &shared, start, stop, &mut out).await {
        out.error = Some(format!("{e:#}"));
    }
    if !out.subscribed {
        shared.bump(&shared.failed);
    }
    out
}

async fn connect_and_subscribe(plan: &Plan, shared: &Shared) -> Result<Ws> {
    // Bounded, so thousands of handshakes do not overflow the listen backlog.
    let _permit = shared.connect.acquire().await?;
    let mut ws = tokio::time::timeout(
        Duration::from_secs(30),
        ws::connect(&plan.target, plan.source),
    )
    .await
    .context("connect timed out")??;
    ws.send(Message::text(shared.subscribe.clone())).await?;
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let msg = tokio::time::timeout_at(until, ws.next())
            .await
            .context("no `subscribed` within 30 s")?
            .context("connection closed before `subscribed`")??;
        if let Message::Text(t) = &msg {
            let m: ServerMsg = serde_json::from_str(t.as_str())?;
            match m.kind {
                "subscribed" => return Ok(ws),
                "error" => bail!("subscribe refused: {}", t.as_str()),
                _ => {}
            }
        }
    }
}

async fn client_main(
    plan: &Plan,
    shared: &Shared,
    mut start: watch::Receiver<Option<Start>>,
    mut stop: watch::Receiver<bool>,
    out: &mut Outcome,
) -> Result<()> {
    let mut ws = connect_and_subscribe(plan, shared).await?;
    out.subscribed = true;
    if plan.vote.is_some() {
        shared.voters.fetch_add(1, Ordering::AcqRel);
    }
    shared.bump(&shared.subscribed);

    let mut begun: Option<Start> = None;
    let mut done = false;
    loop {
        if begun.is_none() {
            begun = *start.borrow_and_update();
        }
        let vote_at = match (&plan.vote, begun) {
            (Some((offset, _)), Some(s)) if out.sent.is_none() => Some(s.at + *offset),
            _ => None,
        };
        if !done {
            if let Some(s) = begun {
                let voted = out.presenter || out.acked.is_some() || out.vote_error.is_some();
                if voted && first_reaching(&out.tallies, s.expected).is_some() {
                    done = true;
                    shared.bump(&shared.finished);
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep_until(shared.hard_deadline) => break,
            changed = start.changed(), if begun.is_none() => {
                if changed.is_err() { break; }
            }
            _ = async {
                match vote_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {
                if let Some((_, option)) = &plan.vote {
                    let vote = json!({"type": "vote", "poll_id": shared.poll_id, "choices": [option]});
                    out.sent = Some(shared.micros(Instant::now()));
                    ws.send(Message::text(vote.to_string())).await?;
                }
            }
            msg = ws.next() => {
                let received = Instant::now();
                let msg = match msg {
                    None => bail!("server closed the socket"),
                    Some(m) => m?,
                };
                match msg {
                    Message::Text(t) => {
                        let m: ServerMsg = serde_json::from_str(t.as_str())
                            .with_context(|| format!("not a server message: {}", t.as_str()))?;
                        if m.poll_id.is_some_and(|p| p != shared.poll_id) {
                            continue;
                        }
                        match m.kind {
                            "tally" => out.tallies.push((shared.micros(received), m.total.unwrap_or(0))),
                            "vote_ack" => out.acked = Some(shared.micros(received)),
                            "error" => out.vote_error = Some(m.code.unwrap_or("?").to_string()),
                            _ => {}
                        }
                    }
                    Message::Close(c) => bail!("server closed the socket: {c:?}"),
                    _ => {}
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
    Ok(())
}

// ---------------------------------------------------------------------------
// The run

#[derive(Debug, Clone, Serialize)]
pub struct NodeCost {
    pub pid: u32,
    /// CPU seconds (user + system) while joining and subscribing.
    pub setup_cpu_seconds: f64,
    /// CPU seconds from the start of the window until every screen held the final tally (or the drain ended).
    pub vote_cpu_seconds: f64,
    pub vote_cpu_cores: f64,
    /// VmHWM at the end: the process's peak RSS over its whole life.
    pub peak_rss_mib: f64,
    pub rss_after_setup_mib: f64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RedisCounters {
    pub total_commands_processed: u64,
    pub publish_calls: u64,
    pub net_input_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RedisDelta {
    pub before: RedisCounters,
    pub after: RedisCounters,
    pub commands: u64,
    pub publishes: u64,
    pub input_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub nodes: Vec<String>,
    pub clients: usize,
    pub window_seconds: f64,
    pub join_seconds: f64,
    pub subscribe_seconds: f64,
    pub clients_subscribed: usize,
    pub presenter_subscribed: bool,
    pub votes_sent: u64,
    pub votes_acked: u64,
    pub vote_errors: HashMap<String, u64>,
    /// Total from `GET /api/v1/polls/{id}/results`.
    pub ballots_stored: Option<u64>,
    /// Screens: subscribed audience clients plus the presenter.
    pub screens: usize,
    pub screens_with_final_tally: usize,
    pub final_total_min: u64,
    pub final_total_max: u64,
    pub ack_latency: LatencySummary,
    /// Every (vote, screen) pair, none sampled.
    pub vote_to_tally: LatencySummary,
    pub last_vote_to_all_final_ms: Option<f64>,
    pub last_vote_to_final_p99_ms: Option<f64>,
    pub tally_pushes_per_screen_mean: f64,
    pub tally_pushes_per_screen_max: u64,
    pub tally_pushes_presenter: u64,
    pub servers: Vec<NodeCost>,
    pub loadgen_setup_cpu_seconds: f64,
    pub loadgen_vote_cpu_seconds: f64,
    /// The whole machine during the vote phase: on a shared box, latency
    /// without these says little about the server.
    pub machine: Option<MachineLoad>,
    pub redis: Option<RedisDelta>,
    pub client_errors: Vec<String>,
}

impl Report {
    /// No ballot lost and every screen holds the final tally.
    pub fn complete(&self) -> bool {
        self.votes_acked == self.clients as u64
            && self.ballots_stored == Some(self.clients as u64)
            && self.screens_with_final_tally == self.screens
            && self.final_total_min == self.clients as u64
    }
}

fn redis_counters(addr: &str) -> Result<RedisCounters> {
    let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "6379"));
    ws::loopback_ip(host)?;
    let run = |section: &str| -> Result<String> {
        let o = std::process::Command::new("redis-cli")
            .args(["-h", host, "-p", port, "info", section])
            .output()
            .context("redis-cli")?;
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let stats = run("stats")?;
    let cmds = run("commandstats")?;
    let field = |text: &str, key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    Ok(RedisCounters {
        total_commands_processed: field(&stats, "total_commands_processed:"),
        publish_calls: field(&cmds, "cmdstat_publish:calls="),
        net_input_bytes: field(&stats, "total_net_input_bytes:"),
    })
}

/// Machine-wide CPU counters: the `cpu` line of /proc/stat (ticks) and the
/// `some` total of /proc/pressure/cpu (microseconds), when the kernel has PSI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineSample {
    pub busy_ticks: u64,
    pub total_ticks: u64,
    pub pressure_some_us: Option<u64>,
}

impl MachineSample {
    fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let pressure = std::fs::read_to_string("/proc/pressure/cpu").ok();
        Self::parse(&stat, pressure.as_deref())
    }

    pub fn parse(stat: &str, pressure: Option<&str>) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        if v.len() < 5 {
            return None;
        }
        // user nice system idle iowait irq softirq steal; guest time is
        // already inside user and nice, so it is not added again.
        let total: u64 = v.iter().take(8).sum();
        let idle = v[3] + v[4];
        let pressure_some_us = pressure.and_then(|p| {
            p.lines()
                .find(|l| l.starts_with("some "))?
                .split_whitespace()
                .find_map(|f| f.strip_prefix("total="))?
                .parse()
                .ok()
        });
        Some(MachineSample {
            busy_ticks: total - idle,
            total_ticks: total,
            pressure_some_us,
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MachineLoad {
    /// Fraction of all CPUs' time that was not idle.
    pub cpu_busy: f64,
    /// Fraction of wall time in which at least one runnable task waited for a CPU.
    pub cpu_pressure_some: Option<f64>,
}

impl MachineLoad {
    pub fn between(a: &MachineSample, b: &MachineSample, wall_secs: f64) -> Self {
        let total = b.total_ticks.saturating_sub(a.total_ticks).max(1) as f64;
        MachineLoad {
            cpu_busy: b.busy_ticks.saturating_sub(a.busy_ticks) as f64 / total,
            cpu_pressure_some: match (a.pressure_some_us, b.pressure_some_us) {
                (Some(x), Some(y)) => Some(y.saturating_sub(x) as f64 / 1e6 / wall_secs.max(1e-9)),
                _ => None,
            },
        }
    }
}

fn cpu_seconds(p: Proc) -> f64 {
    p.cpu()
        .map(|t| t.total() as f64 / procstat::clk_tck() as f64)
        .unwrap_or(f64::NAN)
}

fn say(cfg: &Config, s: &str) {
    if cfg.verbose {
        eprintln!("[poll-burst] {s}");
    }
}

pub async fn run(cfg: &Config) -> Result<Report> {
    if cfg.clients == 0 || cfg.nodes.is_empty() {
        bail!("need at least one client and one --base");
    }
    let n = cfg.clients;
    let servers: Vec<Proc> = cfg.server_pids.iter().map(|&p| Proc::Pid(p)).collect();
    let cpu0: Vec<f64> = servers.iter().map(|&p| cpu_seconds(p)).collect();
    let own0 = cpu_seconds(Proc::OwnProcess);

    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(cfg.join_concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let setup_deadline = Instant::now() + cfg.setup_timeout;
    let first = &cfg.nodes[0].http;
    let s = tokio::time::timeout_at(setup_deadline, set_up(&http, first))
        .await
        .context("set-up timed out")??;
    say(
        cfg,
        &format!("poll {} open, join code {}", s.poll_id, s.join_code),
    );

    let t_join = Instant::now();
    let cookies = tokio::time::timeout_at(
        setup_deadline,
        join_audience(&http, &cfg.nodes, &s.join_code, n, cfg.join_concurrency),
    )
    .await
    .context("joins timed out")??;
    let join_seconds = t_join.elapsed().as_secs_f64();
    say(cfg, &format!("{n} joined in {join_seconds:.1} s"));

    let t_sub = Instant::now();
    let hard_deadline = setup_deadline + cfg.window + cfg.drain + Duration::from_secs(30);
    let shared = Arc::new(Shared {
        origin: t_join,
        poll_id: s.poll_id.clone(),
        subscribe: json!({"type": "subscribe", "room": format!("roundtable:{}", s.roundtable)})
            .to_string(),
        connect: Semaphore::new(cfg.connect_concurrency),
        subscribed: AtomicUsize::new(0),
        voters: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        finished: AtomicUsize::new(0),
        notify: Notify::new(),
        hard_deadline,
    });
    let (start_tx, start_rx) = watch::channel(None::<Start>);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut rng = rand::rng();
    let source = |i: usize| match cfg.source_ips.len() {
        0 => None,
        k => Some(cfg.source_ips[i % k]),
    };
    let mut tasks = Vec::with_capacity(n + 1);
    for (i, cookie) in cookies.into_iter().enumerate() {
        let mut target = cfg.nodes[i % cfg.nodes.len()].ws.clone();
        target.cookie = Some(cookie);
        let offset = cfg.window.mul_f64(rng.random_range(0.0..1.0));
        let option = s.options.choose(&mut rng).cloned().unwrap_or_default();
        let plan = Plan {
            target,
            source: source(i),
            vote: Some((offset, option)),
        };
        tasks.push(tokio::spawn(client_task(
            plan,
            shared.clone(),
            start_rx.clone(),
            stop_rx.clone(),
        )));
    }
    let mut presenter = cfg.nodes[cfg.nodes.len() - 1].ws.clone();
    presenter.cookie = Some(s.facilitator.clone());
    tasks.push(tokio::spawn(client_task(
        Plan {
            target: presenter,
            source: source(n),
            vote: None,
        },
        shared.clone(),
        start_rx.clone(),
        stop_rx.clone(),
    )));
    drop(start_rx);

    let screens_total = n + 1;
    while shared.subscribed.load(Ordering::Acquire) + shared.failed.load(Ordering::Acquire)
        < screens_total
        && Instant::now() < setup_deadline
    {
        let _ = tokio::time::timeout(Duration::from_millis(500), shared.notify.notified()).await;
    }
    let subscribed = shared.subscribed.load(Ordering::Acquire);
    let subscribe_seconds = t_sub.elapsed().as_secs_f64();
    say(
        cfg,
        &format!("{subscribed} of {screens_total} sockets subscribed in {subscribe_seconds:.1} s"),
    );
    // Clients that never subscribed do not vote, so the final tally is what subscribed.
    let voters = shared.voters.load(Ordering::Acquire) as u64;

    let cpu1: Vec<f64> = servers.iter().map(|&p| cpu_seconds(p)).collect();
    let rss1: Vec<f64> = servers
        .iter()
        .map(|p| {
            p.mem()
                .map(|m| procstat::kib_to_mib(m.vm_rss_kib))
                .unwrap_or(f64::NAN)
        })
        .collect();
    let own1 = cpu_seconds(Proc::OwnProcess);
    let machine0 = MachineSample::read();
    let redis0 = cfg.redis.as_deref().map(redis_counters).transpose()?;
    let samplers: Vec<RssSampler> = servers
        .iter()
        .map(|&p| {
            RssSampler::start(
                p,
                Duration::from_millis(250),
                cfg.window + cfg.drain + Duration::from_secs(5),
            )
        })
        .collect();

    // A short lead so every task has seen the start before its earliest vote.
    let begin = Instant::now() + Duration::from_millis(200);
    let _ = start_tx.send(Some(Start {
        at: begin,
        expected: voters,
    }));
    say(cfg, "voting");
    let drain_deadline = (begin + cfg.window + cfg.drain).min(hard_deadline);
    while shared.finished.load(Ordering::Acquire) < subscribed && Instant::now() < drain_deadline {
        let _ = tokio::time::timeout_at(drain_deadline, shared.notify.notified()).await;
    }
    let ended = Instant::now();
    let cpu2: Vec<f64> = servers.iter().map(|&p| cpu_seconds(p)).collect();
    let own2 = cpu_seconds(Proc::OwnProcess);
    let machine1 = MachineSample::read();
    let redis1 = cfg.redis.as_deref().map(redis_counters).transpose()?;
    let mut max_rss = Vec::new();
    for smp in samplers {
        max_rss.push(smp.finish().await);
    }
    say(
        cfg,
        &format!(
            "{} of {subscribed} screens done after {:.1} s",
            shared.finished.load(Ordering::Acquire),
            ended.duration_since(begin).as_secs_f64()
        ),
    );

    let _ = stop_tx.send(true);
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(Ok(o)) = tokio::time::timeout(Duration::from_secs(10), t).await {
            outcomes.push(o);
        }
    }
    let stored = ballots_stored(&http, first, &s.facilitator, &s.poll_id)
        .await
        .ok();

    let vote_secs = ended.duration_since(begin).as_secs_f64().max(1e-9);
    let server_costs = servers
        .iter()
        .enumerate()
        .map(|(i, p)| NodeCost {
            pid: cfg.server_pids[i],
            setup_cpu_seconds: cpu1[i] - cpu0[i],
            vote_cpu_seconds: cpu2[i] - cpu1[i],
            vote_cpu_cores: (cpu2[i] - cpu1[i]) / vote_secs,
            peak_rss_mib: p
                .mem()
                .map(|m| procstat::kib_to_mib(m.vm_hwm_kib.max(max_rss[i])))
                .unwrap_or(f64::NAN),
            rss_after_setup_mib: rss1[i],
        })
        .collect();
    let redis = match (redis0, redis1) {
        (Some(b), Some(a)) => Some(RedisDelta {
            commands: a.total_commands_processed - b.total_commands_processed,
            publishes: a.publish_calls - b.publish_calls,
            input_bytes: a.net_input_bytes - b.net_input_bytes,
            before: b,
            after: a,
        }),
        _ => None,
    };

    let mut r = summarize(&outcomes, voters, shared.micros(begin));
    r.nodes = cfg.nodes.iter().map(|n| n.http.clone()).collect();
    r.clients = n;
    r.window_seconds = cfg.window.as_secs_f64();
    r.join_seconds = join_seconds;
    r.subscribe_seconds = subscribe_seconds;
    r.ballots_stored = stored;
    r.servers = server_costs;
    r.loadgen_setup_cpu_seconds = own1 - own0;
    r.loadgen_vote_cpu_seconds = own2 - own1;
    r.machine = match (machine0, machine1) {
        (Some(a), Some(b)) => Some(MachineLoad::between(&a, &b, vote_secs)),
        _ => None,
    };
    r.redis = redis;
    if outcomes.len() < screens_total {
        r.client_errors.push(format!(
            "{} client tasks did not finish",
            screens_total - outcomes.len()
        ));
    }
    Ok(r)
}

fn summarize(outcomes: &[Outcome], expected: u64, begin_us: u64) -> Report {
    let mut sends: Vec<u64> = outcomes.iter().filter_map(|o| o.sent).collect();
    sends.sort_unstable();
    let mut ack = Histogram::new();
    let mut v2t = Histogram::new();
    let mut vote_errors: HashMap<String, u64> = HashMap::new();
    let mut client_errors = Vec::new();
    let (mut final_min, mut final_max) = (u64::MAX, 0);
    let mut screens = 0;
    let mut with_final = 0;
    let mut final_times = Vec::new();
    let mut missing_final = false;
    let mut pushes_sum = 0u64;
    let mut pushes_max = 0u64;
    let mut pushes_presenter = 0u64;
    let mut presenter_subscribed = false;
    for o in outcomes {
        if let Some(e) = &o.error {
            if client_errors.len() < 10 {
                client_errors.push(e.clone());
            }
        }
        if let Some(e) = &o.vote_error {
            *vote_errors.entry(e.clone()).or_default() += 1;
        }
        match (o.sent, o.acked) {
            (Some(s), Some(a)) => ack.record(a.saturating_sub(s)),
            (Some(_), None) => ack.record_lost(1),
            _ => {}
        }
        if !o.subscribed {
            continue;
        }
        screens += 1;
        let credited = credit_screen(&sends, &o.tallies, &mut v2t);
        v2t.record_lost((sends.len() - credited) as u64);
        let last = o.tallies.iter().map(|&(_, t)| t).max().unwrap_or(0);
        final_min = final_min.min(last);
        final_max = final_max.max(last);
        match first_reaching(&o.tallies, expected) {
            Some(t) => {
                with_final += 1;
                final_times.push(t);
            }
            None => missing_final = true,
        }
        let pushes = o.tallies.iter().filter(|&&(r, _)| r >= begin_us).count() as u64;
        if o.presenter {
            presenter_subscribed = true;
            pushes_presenter = pushes;
        } else {
            pushes_sum += pushes;
            pushes_max = pushes_max.max(pushes);
        }
    }
    let last_send = sends.last().copied();
    final_times.sort_unstable();
    let after_last = |t: u64| t.saturating_sub(last_send.unwrap_or(t)) as f64 / 1000.0;
    let all_final = match (missing_final, final_times.last()) {
        (false, Some(&t)) => Some(after_last(t)),
        _ => None,
    };
    let p99_final = (!final_times.is_empty()).then(|| {
        let rank = ((0.99 * screens as f64).ceil() as usize).clamp(1, screens);
        final_times.get(rank - 1).map(|&t| after_last(t))
    });
    let audience = screens.saturating_sub(usize::from(presenter_subscribed));
    Report {
        nodes: Vec::new(),
        clients: 0,
        window_seconds: 0.0,
        join_seconds: 0.0,
        subscribe_seconds: 0.0,
        clients_subscribed: audience,
        presenter_subscribed,
        votes_sent: sends.len() as u64,
        votes_acked: outcomes.iter().filter(|o| o.acked.is_some()).count() as u64,
        vote_errors,
        ballots_stored: None,
        screens,
        screens_with_final_tally: with_final,
        final_total_min: if screens == 0 { 0 } else { final_min },
        final_total_max: final_max,
        ack_latency: ack.summary(),
        vote_to_tally: v2t.summary(),
        last_vote_to_all_final_ms: all_final,
        last_vote_to_final_p99_ms: p99_final.flatten(),
        tally_pushes_per_screen_mean: pushes_sum as f64 / audience.max(1) as f64,
        tally_pushes_per_screen_max: pushes_max,
        tally_pushes_presenter: pushes_presenter,
        servers: Vec::new(),
        loadgen_setup_cpu_seconds: 0.0,
        loadgen_vote_cpu_seconds: 0.0,
        machine: None,
        redis: None,
        client_errors,
    }
}

pub fn print_human(r: &Report) {
    let lat = |s: &LatencySummary| {
        format!(
            "p50 {} / p95 {} / p99 {} / max {} ms ({} samples, {} lost)",
            fmt_ms(s.p50_ms, s.lost),
            fmt_ms(s.p95_ms, s.lost),
            fmt_ms(s.p99_ms, s.lost),
            fmt_ms(s.max_ms, s.lost),
            s.samples,
            s.lost
        )
    };
    let opt = |v: Option<f64>| v.map_or("never".to_string(), |v| format!("{v:.1} ms"));
    println!("poll-burst on {}", r.nodes.join(", "));
    println!(
        "  clients {} (subscribed {}, presenter {}), window {:.0} s",
        r.clients,
        r.clients_subscribed,
        if r.presenter_subscribed { "yes" } else { "no" },
        r.window_seconds
    );
    println!(
        "  set-up: joins {:.1} s, sockets subscribed {:.1} s",
        r.join_seconds, r.subscribe_seconds
    );
    println!(
        "  votes sent {}, acked {}, errors {:?}; ballots stored {}",
        r.votes_sent,
        r.votes_acked,
        r.vote_errors,
        r.ballots_stored
            .map_or("unknown".to_string(), |b| b.to_string())
    );
    println!(
        "  final tally: {} of {} screens hold it; last total seen min {} max {}",
        r.screens_with_final_tally, r.screens, r.final_total_min, r.final_total_max
    );
    println!("  vote ack latency:        {}", lat(&r.ack_latency));
    println!("  vote-to-tally (screens): {}", lat(&r.vote_to_tally));
    println!(
        "  last vote → every screen final: {} (p99 of screens {})",
        opt(r.last_vote_to_all_final_ms),
        opt(r.last_vote_to_final_p99_ms)
    );
    println!(
        "  tally pushes per audience screen: mean {:.1}, max {}; presenter {}",
        r.tally_pushes_per_screen_mean, r.tally_pushes_per_screen_max, r.tally_pushes_presenter
    );
    for s in &r.servers {
        println!(
            "  server {}: CPU set-up {:.1} s, vote phase {:.1} s ({:.2} cores); peak RSS (VmHWM) {:.1} MiB, RSS after set-up {:.1} MiB",
            s.pid, s.setup_cpu_seconds, s.vote_cpu_seconds, s.vote_cpu_cores, s.peak_rss_mib, s.rss_after_setup_mib
        );
    }
    println!(
        "  load generator CPU: set-up {:.1} s, vote phase {:.1} s",
        r.loadgen_setup_cpu_seconds, r.loadgen_vote_cpu_seconds
    );
    if let Some(m) = &r.machine {
        println!(
            "  machine during the vote phase: {:.0} % of all CPUs busy, some task waiting for a CPU {:.0} % of the time",
            m.cpu_busy * 100.0,
            m.cpu_pressure_some.unwrap_or(f64::NAN) * 100.0
        );
    }
    if let Some(d) = &r.redis {
        println!(
            "  redis during the vote phase: {} commands, {} PUBLISH, {} bytes in",
            d.commands, d.publishes, d.input_bytes
        );
    }
    for e in &r.client_errors {
        println!("  client error: {e}");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn exact(h: &Histogram, q: f64) -> u64 {
        h.percentile(q).unwrap()
    }

    #[test]
    fn each_vote_is_credited_once_at_the_first_covering_tally() {
        // Microseconds below 128, where the histogram is exact.
        let sends = [10, 20, 30, 40];
        // Tally of 1 at 15, then 3 at 35 (covers ranks 2 and 3), then 4 at 100.
        let tallies = [(15, 1), (35, 3), (36, 3), (100, 4)];
        let mut h = Histogram::new();
        assert_eq!(credit_screen(&sends, &tallies, &mut h), 4);
        let s = h.summary();
        assert_eq!(s.samples, 4);
        // 5, 15, 5, 60 µs.
        assert_eq!(exact(&h, 0.25), 5);
        assert_eq!(exact(&h, 0.5), 5);
        assert_eq!(exact(&h, 0.75), 15);
        assert_eq!(s.max_ms, Some(0.06));
    }

    #[test]
    fn uncovered_votes_are_not_credited_and_totals_beyond_sends_are_capped() {
        let sends = [10, 20, 30];
        let mut h = Histogram::new();
        assert_eq!(credit_screen(&sends, &[(25, 2)], &mut h), 2);
        assert_eq!(h.summary().samples, 2);
        // A screen that saw more ballots than this run sent (an earlier run's
        // ballots, say) credits only what was sent.
        let mut h = Histogram::new();
        assert_eq!(credit_screen(&sends, &[(40, 9)], &mut h), 3);
        // A tally that goes backwards (a stale push) credits nothing new.
        let mut h = Histogram::new();
        assert_eq!(
            credit_screen(&sends, &[(25, 2), (26, 1), (50, 3)], &mut h),
            3
        );
        assert_eq!(exact(&h, 1.0), 20);
        let mut h = Histogram::new();
        assert_eq!(credit_screen(&[], &[(1, 0)], &mut h), 0);
        assert_eq!(credit_screen(&sends, &[], &mut h), 0);
    }

    #[test]
    fn first_reaching_finds_the_first_final_tally() {
        let t = [(5, 1), (9, 3), (12, 3), (20, 4)];
        assert_eq!(first_reaching(&t, 3), Some(9));
        assert_eq!(first_reaching(&t, 4), Some(20));
        assert_eq!(first_reaching(&t, 5), None);
        assert_eq!(first_reaching(&[], 0), None);
    }

    #[test]
    fn summary_counts_final_tallies_and_lost_pairs() {
        let voter = |sent, acked, tallies: Vec<(u64, u64)>| Outcome {
            subscribed: true,
            sent: Some(sent),
            acked,
            tallies,
            ..Outcome::default()
        };
        let outcomes = vec![
            voter(100, Some(110), vec![(200, 1), (400, 2)]),
            voter(300, Some(320), vec![(200, 1)]),
            Outcome {
                subscribed: true,
                presenter: true,
                tallies: vec![(150, 1), (350, 2)],
                ..Outcome::default()
            },
        ];
        let r = summarize(&outcomes, 2, 0);
        assert_eq!(r.screens, 3);
        assert_eq!(r.clients_subscribed, 2);
        assert!(r.presenter_subscribed);
        assert_eq!(r.votes_sent, 2);
        assert_eq!(r.votes_acked, 2);
        assert_eq!(r.screens_with_final_tally, 2);
        assert_eq!((r.final_total_min, r.final_total_max), (1, 2));
        // Six pairs; the second voter's screen never saw vote 2.
        assert_eq!(r.vote_to_tally.samples, 5);
        assert_eq!(r.vote_to_tally.lost, 1);
        assert_eq!(r.last_vote_to_all_final_ms, None);
        assert_eq!(r.tally_pushes_presenter, 2);
        assert_eq!(r.ack_latency.max_ms, Some(0.02));
    }

    #[test]
    fn machine_load_from_proc_stat_and_pressure() {
        let a = MachineSample::parse(
            "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5\n",
            Some("some avg10=1.0 avg60=2.0 avg300=3.0 total=1000000\nfull avg10=0 total=0\n"),
        )
        .unwrap();
        assert_eq!((a.busy_ticks, a.total_ticks), (150, 1000));
        assert_eq!(a.pressure_some_us, Some(1_000_000));
        let b = MachineSample::parse(
            "cpu  250 0 100 850 50 0 0 0 0 0\n",
            Some("some avg10=1.0 avg60=2.0 avg300=3.0 total=3000000\n"),
        )
        .unwrap();
        let m = MachineLoad::between(&a, &b, 4.0);
        // 200 busy ticks of 250.
        assert_eq!(m.cpu_busy, 0.8);
        assert_eq!(m.cpu_pressure_some, Some(0.5));
        assert_eq!(MachineSample::parse("intr 1 2\n", None), None);
        assert_eq!(
            MachineSample::parse("cpu  1 2 3 4 5\n", None)
                .unwrap()
                .pressure_some_us,
            None
        );
    }

    #[test]
    fn cookie_pairs_come_from_set_cookie() {
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, "other=1; Path=/".parse().unwrap());
        h.append(
            SET_COOKIE,
            "accord_audience=abc.def; HttpOnly; SameSite=Lax; Path=/"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            cookie_pair(&h, "accord_audience").as_deref(),
            Some("accord_audience=abc.def")
        );
        assert_eq!(cookie_pair(&h, "accord_session"), None);
    }

    #[test]
    fn nodes_must_be_loopback_http() {
        let n = Node::parse("http://127.0.0.1:18100/").unwrap();
        assert_eq!(n.http, "http://127.0.0.1:18100");
        assert_eq!(n.ws.url, "ws://127.0.0.1:18100/api/v1/ws");
        assert!(Node::parse("http://localhost:1").is_ok());
        assert!(Node::parse("http://10.1.2.3:80").is_err());
        assert!(Node::parse("https://127.0.0.1:443").is_err());
        assert!(Node::parse("nonsense").is_err());
    }
}
