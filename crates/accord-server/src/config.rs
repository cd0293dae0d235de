//! Command line and environment configuration.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

/// Accord: a real-time workspace for social dialogue.
#[derive(Debug, Parser)]
#[command(name = "accord", version, about, long_about = None)]
pub struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "ACCORD_JSON_LOGS")]
    pub json_logs: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (REST API, WebSockets and the web UI). Migrations run on start.
    Serve(ServeArgs),
    /// Load the demo data (a gender-diversity roundtable with both sides) and exit.
    Demo(DatabaseArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (REST, and the event socket's messages
    /// under `components.schemas.ServerMsg`/`ClientMsg`) and exit.
    Openapi,
    /// The audit trail: `accord audit verify [--roundtable ID]`.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Recompute every roundtable's hash chain (or one's); exits non-zero
    /// and names the first bad entry when a chain does not hold.
    Verify(VerifyArgs),
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Only this roundtable's chain.
    #[arg(long)]
    pub roundtable: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://path` (default, WAL) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/accord.db")]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Port 0 picks a free port (printed on start).
    #[arg(long, env = "ACCORD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Redis URL for the bus between nodes; absent means the in-process bus.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// The URL users reach this server at, used in invitation links and to
    /// check the Origin of state-changing requests. Default: http://<bind>.
    #[arg(long, env = "ACCORD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Load the demo data before serving.
    #[arg(long, env = "ACCORD_DEMO")]
    pub demo: bool,
    /// Secret polls publish no figure about fewer ballots than this: a split
    /// by side needs this many ballots on the side, and live results move
    /// in steps of this many ballots (at least 3).
    #[arg(long, env = "ACCORD_SECRET_MIN_GROUP", default_value_t = accord_domain::polls::secrecy::MIN_GROUP_DEFAULT,
          value_parser = clap::value_parser!(u32).range(i64::from(accord_domain::polls::secrecy::MIN_GROUP_FLOOR)..))]
    pub secret_min_group: u32,
    /// Seconds an edited document stays untouched before an automatic
    /// version is made (also made when it leaves memory).
    #[arg(long, env = "ACCORD_AUTO_VERSION_IDLE_SECS", default_value_t = accord_realtime::versions::AUTO_VERSION_IDLE.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub auto_version_idle_secs: u64,
    /// Open WebSockets (event and document sockets together) one account or
    /// audience member may hold; more upgrades get 429.
    #[arg(long, env = "ACCORD_MAX_SOCKETS_PER_ACCOUNT", default_value_t = crate::socket_limits::SOCKETS_PER_ACCOUNT,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_sockets_per_account: usize,
    /// New audience members one IP address may create per 10 minutes. A venue
    /// behind one NAT address stays far below it (a re-join is no new member);
    /// a script minting voters does not.
    #[arg(long, env = "ACCORD_JOIN_NEW_MEMBERS_PER_IP", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub join_new_members_per_ip: u32,
    /// Wrong join codes one IP address may send per minute, whatever device
    /// cookies it shows (each device alone gets 30). Over it, the address is
    /// refused even the right code until the minute is up.
    #[arg(long, env = "ACCORD_JOIN_FAILURES_PER_IP", default_value_t = 2000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub join_failures_per_ip: u32,
    #[command(flatten)]
    pub http: crate::http_limits::HttpArgs,
    #[command(flatten)]
    pub framing: crate::security_headers::FramingArgs,
    /// FOR TESTS ONLY: the share (0 to 1) of this node's bus messages that
    /// never reach other nodes, to show that lost notes are repaired from
    /// the database. High-water marks are never dropped. Never set it in
    /// production.
    #[arg(long, env = "ACCORD_TEST_BUS_DROP", hide = true,
          value_parser = parse_share)]
    pub test_bus_drop: Option<f64>,
}

fn parse_share(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("must be a number from 0 to 1: {raw}")),
    }
}

/// The public URL without a trailing slash, and its origin (scheme://host[:port]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub base: String,
    pub origin: String,
}

impl PublicUrl {
    /// Parses `http(s)://host[:port][/path]`.
    pub fn parse(raw: &str) -> Result<PublicUrl, String> {
        let base = raw.trim().trim_end_matches('/').to_owned();
        let rest = base
            .strip_prefix("https://")
            .or_else(|| base.strip_prefix("http://"))
            .ok_or_else(|| {
                format!("ACCORD_PUBLIC_URL must start with http:// or https://: {raw}")
            })?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!("ACCORD_PUBLIC_URL has no host: {raw}"));
        }
        let scheme_len = base.len() - rest.len();
        let origin = format!("{}{}", &base[..scheme_len], host).to_lowercase();
        Ok(PublicUrl { base, origin })
    }

    /// Whether cookies must carry `Secure`.
    pub fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_origin() {
        let u = PublicUrl::parse("https://Accord.Example.org/app/").unwrap();
        assert_eq!(u.base, "https://Accord.Example.org/app");
        assert_eq!(u.origin, "https://accord.example.org");
        assert!(u.is_https());
        let u = PublicUrl::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(u.origin, "http://127.0.0.1:8080");
        assert!(!u.is_https());
        assert!(PublicUrl::parse("ftp://x").is_err());
        assert!(PublicUrl::parse("http://").is_err());
    }
}
