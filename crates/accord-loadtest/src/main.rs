//! `accord-loadtest`: load scenarios for Accord's real-time endpoints.
//!
//! Each scenario is a subcommand with its own module; the same tool runs
//! against Accord and against the reference servers so that the figures in
//! BENCHMARKS.md compare like with like. Loads only target 127.0.0.0/8.
//!
//! - `co-edit`: E editors typing into one Yjs document (`coedit`).
//! - `ramp`: `co-edit` at growing editor counts until p95 passes a limit (`ramp`).
//! - `poll-burst`: N audience clients voting on one live poll (`pollburst`).
//! - `review`: versions, diffs and comment threads on a long document (`review`).
//! - `readers`: N clients opening one large document at once (`readers`).
//! - `audit`: `accord audit verify` over a long audit trail (`audit`).

mod audit;
mod coedit;
mod pollburst;
mod procstat;
mod ramp;
mod readers;
mod review;
mod stats;
mod ws;

use std::net::Ipv4Addr;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "accord-loadtest", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// E editors on one document, each sending small updates at a steady rate.
    CoEdit(CoEditArgs),
    /// co-edit at growing editor counts; reports where p95 passes a limit.
    Ramp(RampArgs),
    /// N audience clients join a live session and vote once each within a window.
    PollBurst(pollburst::Args),
    /// Saving versions, diffs and comment threads on a long document with a long history.
    Review(review::Args),
    /// Grows a document to ~1.6 MB of Yjs state, then N clients open it at once and stay.
    Readers(readers::Args),
    /// Fills an audit trail with N entries, then times `accord audit verify` over it.
    Audit(audit::Args),
}

/// What both co-edit and ramp need: where to connect and how each editor behaves.
#[derive(Args, Clone)]
struct Common {
    /// ws:// URL of the document (Accord: ws://HOST/api/v1/yjs/<doc-id>; reference: ws://HOST/<room>).
    #[arg(long)]
    url: String,
    /// Cookie header for every connection, e.g. 'accord_session=…'.
    #[arg(long)]
    cookie: Option<String>,
    /// Updates per second per editor.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// Awareness (cursor) updates per second per editor; 0 disables them.
    #[arg(long, default_value_t = 1.0)]
    awareness_rate: f64,
    /// Seconds between connecting and the first measured update.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds to wait after the last send for every replica to catch up.
    #[arg(long, default_value_t = 15.0)]
    drain_timeout: f64,
    /// PID of the server process, for CPU and RSS from /proc.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Accord's HTTP base URL (http://127.0.0.1:PORT): also check the server's Markdown rendering.
    #[arg(long)]
    server_http: Option<String>,
    /// Loopback source addresses to spread connections over (ephemeral-port limit).
    #[arg(long, value_delimiter = ',')]
    source_ips: Vec<Ipv4Addr>,
    /// Only the first K editors are full Yjs replicas (integrate every update, compared at the
    /// end); the others only decode what they receive to time deliveries, which spares the
    /// load generator integrating editors² updates. Default: every editor is a replica.
    #[arg(long, value_name = "K")]
    replicas: Option<usize>,
    /// Connections opened at once.
    #[arg(long, default_value_t = 32)]
    connect_concurrency: usize,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CoEditArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value_t = 50)]
    editors: usize,
    /// Seconds of measured sending.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
}

#[derive(Args)]
struct RampArgs {
    #[command(flatten)]
    common: Common,
    /// Editor counts to try, in order.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200,300,500,700")]
    steps: Vec<usize>,
    /// Seconds of measured sending per step.
    #[arg(long, default_value_t = 20.0)]
    step_duration: f64,
    /// Stop at the first step whose p95 exceeds this.
    #[arg(long, default_value_t = 100.0)]
    p95_limit_ms: f64,
    /// Use a fresh room per step (`<room>-e<N>`); only for servers that create rooms on demand.
    #[arg(long)]
    room_per_step: bool,
    /// Run every step, even after p95 has passed the limit.
    #[arg(long)]
    all_steps: bool,
    /// Seconds of rest between steps.
    #[arg(long, default_value_t = 3.0)]
    pause: f64,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

impl Common {
    fn config(&self, editors: usize, duration: f64) -> Result<coedit::Config> {
        if self.replicas == Some(0) {
            anyhow::bail!("--replicas must be at least 1: the final-state checks need a replica");
        }
        Ok(coedit::Config {
            target: ws::Target::parse(&self.url, self.cookie.clone())?,
            editors,
            rate: self.rate,
            awareness_rate: self.awareness_rate,
            duration: secs(duration),
            warmup: secs(self.warmup),
            drain_timeout: secs(self.drain_timeout),
            source_ips: self.source_ips.clone(),
            connect_concurrency: self.connect_concurrency,
            server_pid: self.server_pid,
            server_http: self.server_http.clone(),
            replicas: self.replicas,
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::CoEdit(a) => {
            let cfg = a.common.config(a.editors, a.duration)?;
            let report = coedit::run(&cfg).await?;
            if a.common.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                coedit::print_human(&report);
            }
            if !report.converged() {
                std::process::exit(2);
            }
        }
        Cmd::PollBurst(a) => {
            if !pollburst::cli(a).await? {
                std::process::exit(2);
            }
        }
        Cmd::Review(a) => review::cli(a).await?,
        Cmd::Audit(a) => audit::cli(a).await?,
        Cmd::Readers(a) => {
            if !readers::cli(a).await? {
                std::process::exit(2);
            }
        }
        Cmd::Ramp(a) => {
            let base = a.common.config(0, a.step_duration)?;
            let plan = ramp::Plan {
                steps: a.steps.clone(),
                p95_limit_ms: a.p95_limit_ms,
                room_per_step: a.room_per_step,
                pause: secs(a.pause),
                verbose: !a.common.json,
                all_steps: a.all_steps,
            };
            let report = ramp::run(&base, &plan).await?;
            if a.common.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                ramp::print_human(&report, &plan);
            }
        }
    }
    Ok(())
}
