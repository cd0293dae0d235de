//! WebSocket connection helpers shared by the scenarios.
//!
//! Every connection is plain `ws://` to a loopback address: this tool is a
//! load generator, and refusing anything outside 127.0.0.0/8 keeps a typo
//! from pointing it at someone else's machine. Sockets may be bound to one
//! of several loopback source addresses so that runs with many connections
//! do not run out of ephemeral ports on a single (source, destination) pair.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::{bail, Context, Result};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Request};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

/// A checked `ws://` URL on the loopback network.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub addr: SocketAddr,
    pub cookie: Option<String>,
}

impl Target {
    pub fn parse(url: &str, cookie: Option<String>) -> Result<Self> {
        let req = url
            .into_client_request()
            .with_context(|| format!("not a WebSocket URL: {url}"))?;
        let uri = req.uri();
        if uri.scheme_str() != Some("ws") {
            bail!("only ws:// URLs are supported (got {url})");
        }
        let host = uri.host().context("URL has no host")?;
        let port = uri.port_u16().unwrap_or(80);
        let ip = loopback_ip(host)?;
        Ok(Target {
            url: url.to_string(),
            addr: SocketAddr::new(IpAddr::V4(ip), port),
            cookie,
        })
    }

    /// The last path segment: the room name, or Accord's document id.
    pub fn room(&self) -> &str {
        let path = self.url.split('?').next().unwrap_or("");
        path.rsplit('/').next().unwrap_or("")
    }

    /// The same server with another room name (ramp steps on fresh rooms).
    pub fn with_room(&self, room: &str) -> Result<Self> {
        let path = self.url.split('?').next().unwrap_or("");
        let base = path.rsplit_once('/').map(|(b, _)| b).unwrap_or(path);
        Target::parse(&format!("{base}/{room}"), self.cookie.clone())
    }

    fn request(&self) -> Result<Request<()>> {
        let mut req = self.url.as_str().into_client_request()?;
        if let Some(cookie) = &self.cookie {
            req.headers_mut()
                .insert("Cookie", HeaderValue::from_str(cookie).context("cookie")?);
        }
        Ok(req)
    }
}

/// Resolves a host to a loopback IPv4 address, refusing anything else.
pub fn loopback_ip(host: &str) -> Result<Ipv4Addr> {
    let ip = if host.eq_ignore_ascii_case("localhost") {
        Ipv4Addr::LOCALHOST
    } else {
        host.parse::<Ipv4Addr>()
            .with_context(|| format!("host {host} is not an IPv4 address or localhost"))?
    };
    if !ip.is_loopback() {
        bail!("refusing to load {ip}: only 127.0.0.0/8 is allowed");
    }
    Ok(ip)
}

/// Opens a TCP connection (optionally from a given loopback source address)
/// and performs the WebSocket upgrade.
pub async fn connect(target: &Target, source: Option<Ipv4Addr>) -> Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        if !ip.is_loopback() {
            bail!("source address {ip} is not a loopback address");
        }
        socket
            .bind(SocketAddr::new(IpAddr::V4(ip), 0))
            .with_context(|| format!("bind to {ip}"))?;
    }
    let stream = socket
        .connect(target.addr)
        .await
        .with_context(|| format!("connect to {}", target.addr))?;
    // Updates are a few dozen bytes: Nagle plus delayed ACKs would add tens
    // of milliseconds to exactly the latency being measured.
    stream.set_nodelay(true)?;
    // tungstenite zero-fills its whole read buffer (128 KiB by default) on
    // every read; with thousands of small frames a second that memset was a
    // quarter of this tool's CPU. Larger messages still grow the buffer.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (ws, _resp) =
        tokio_tungstenite::client_async_with_config(target.request()?, stream, Some(config))
            .await
            .with_context(|| format!("WebSocket upgrade at {}", target.url))?;
    Ok(ws)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn only_loopback_ws_urls_are_accepted() {
        let t = Target::parse("ws://127.0.0.1:1234/room-a", None).unwrap();
        assert_eq!(t.addr, "127.0.0.1:1234".parse().unwrap());
        assert_eq!(t.room(), "room-a");
        let t = Target::parse("ws://localhost:9/api/v1/yjs/abc?x=1", None).unwrap();
        assert_eq!(t.room(), "abc");
        assert_eq!(
            t.with_room("def").unwrap().url,
            "ws://localhost:9/api/v1/yjs/def"
        );
        Target::parse("ws://127.9.8.7:1/x", None).unwrap();
        assert!(Target::parse("ws://10.0.0.1:1/x", None).is_err());
        assert!(Target::parse("ws://example.com/x", None).is_err());
        assert!(Target::parse("wss://127.0.0.1/x", None).is_err());
        assert!(Target::parse("http://127.0.0.1/x", None).is_err());
    }
}
