//! What one connection may cost before a handler runs: how long a client may
//! take over its request head and body, how many connections one address may
//! hold open, and a body size judged from `Content-Length` before any of the
//! body is read.
//!
//! The server is served here with hyper directly, not `axum::serve`, because
//! axum gives hyper no timer, so hyper's header read timeout never runs: a
//! client that sends half a request line, or drips one header a minute,
//! holds its connection (and a file descriptor) for ever.

use crate::app::BODY_LIMIT;
use crate::error::{ApiError, ErrorKind};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::Service;

/// Time a client has to send a complete request head, counted from when the
/// connection is ready for one: just accepted, or idle after a response
/// (hyper starts the same timer there, so this is also the keep-alive idle
/// timeout). A browser sends its head in one or two packets; ten seconds
/// covers a congested venue Wi-Fi, and bounds how long a client that drips
/// bytes, or says nothing, holds a connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Time a client has to send a whole request body once its head arrived.
/// Bodies are at most [`BODY_LIMIT`] (64 KiB): twenty seconds is about
/// 26 kbit/s, slower than any phone that can use the web UI at all.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Open connections one client address may hold. A whole venue can sit
/// behind one NAT address (every phone holds its event socket open), and the
/// load generator opens 10,000 sockets from 127.0.0.1 for `poll-burst`; the
/// cap is there to stop one address from exhausting the file descriptors,
/// not to ration honest users.
pub const MAX_CONNECTIONS_PER_IP: u32 = 20_000;

/// The limits above, overridable (tests shorten the timeouts).
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Seconds to receive a request head, on a new or an idle kept-alive connection.
    #[arg(long, env = "ACCORD_HEADER_TIMEOUT_SECS", default_value_t = HEADER_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout_secs: u64,
    /// Seconds to receive a whole request body; slower bodies get 408.
    #[arg(long, env = "ACCORD_BODY_TIMEOUT_SECS", default_value_t = BODY_READ_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,
    /// Open connections per client address (per /64 for IPv6); more are closed at once.
    #[arg(long, env = "ACCORD_MAX_CONNECTIONS_PER_IP", default_value_t = MAX_CONNECTIONS_PER_IP,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: u32,
}

/// The router with the body bound in front of it.
pub fn bound_bodies(router: Router, args: &HttpArgs) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        Duration::from_secs(args.body_timeout_secs),
        bounded_body,
    ))
}

fn refusal(e: ApiError) -> Response {
    let mut res = e.into_response();
    // The rest of the body is never read, so the connection cannot carry
    // another request.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

fn too_large() -> Response {
    refusal(
        ApiError::new(ErrorKind::PayloadTooLarge)
            .detail(format!("Request bodies are limited to {BODY_LIMIT} bytes.")),
    )
}

/// Refuses a body that declares itself too large before reading any of it,
/// and reads the rest whole within the deadline, so no handler waits on a
/// client that sends slowly (the JSON bodies here are small; holding one in
/// memory costs nothing next to a connection held open).
async fn bounded_body(State(deadline): State<Duration>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large();
    }
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(deadline, read_bounded(body)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(ReadError::TooLarge)) => too_large(),
        Ok(Err(ReadError::Broken)) => refusal(ApiError::bad_request(
            ErrorKind::UnreadableBody,
            "The request body could not be read.",
        )),
        Err(_) => refusal(ApiError::new(ErrorKind::RequestTimeout).detail(format!(
            "The request body did not arrive within {} seconds.",
            deadline.as_secs()
        ))),
    }
}

enum ReadError {
    TooLarge,
    Broken,
}

/// The body, or `TooLarge` as soon as it passes [`BODY_LIMIT`] (a chunked
/// body declares no length).
async fn read_bounded(body: Body) -> Result<Bytes, ReadError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ReadError::Broken)?;
        if buf.len() + chunk.len() > BODY_LIMIT {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Open connections per client address.
struct OpenConnections {
    cap: u32,
    by_ip: Mutex<HashMap<IpAddr, Count>>,
}

#[derive(Default)]
struct Count {
    open: u32,
    /// Whether the refusals of the current burst were logged, so an address
    /// hammering at the cap logs once, not once per connection.
    warned: bool,
}

/// One counted connection; dropping it (with the socket) frees the place.
struct Place {
    table: Arc<OpenConnections>,
    key: IpAddr,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut by_ip = self.table.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = by_ip.get_mut(&self.key) {
            c.open = c.open.saturating_sub(1);
            c.warned = false;
            if c.open == 0 {
                by_ip.remove(&self.key);
            }
        }
    }
}

/// The address a cap applies to. An IPv6 host is normally given a whole /64
/// and may pick any address in it, so the /64 is what identifies it.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

impl OpenConnections {
    fn new(cap: u32) -> Arc<Self> {
        Arc::new(OpenConnections {
            cap,
            by_ip: Mutex::default(),
        })
    }

    fn claim(self: &Arc<Self>, ip: IpAddr) -> Option<Place> {
        let key = client_key(ip);
        let mut by_ip = self.by_ip.lock().unwrap_or_else(|p| p.into_inner());
        let c = by_ip.entry(key).or_default();
        if c.open >= self.cap {
            if !c.warned {
                c.warned = true;
                tracing::warn!(client = %key, cap = self.cap, "connection cap reached; refusing more from this address");
            }
            return None;
        }
        c.open += 1;
        Some(Place {
            table: Arc::clone(self),
            key,
        })
    }
}

/// A socket that holds its place in [`OpenConnections`] for as long as it
/// lives, including after a WebSocket upgrade, when hyper hands it on.
struct Counted {
    stream: TcpStream,
    _place: Place,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves `router` until `shutdown` completes, then lets open requests
/// finish. Connections past the per-address cap are closed unanswered: the
/// point is to spend nothing on them.
pub async fn serve(
    mut listener: TcpListener,
    router: Router,
    args: &HttpArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // hyper's http1 builder rather than hyper-util's `auto`: `auto` first
    // waits for enough bytes to tell HTTP/2 from HTTP/1, with no timeout, so
    // a client that connects and says nothing would never meet the header
    // timeout. Only HTTP/1 is compiled in anyway.
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(args.header_timeout_secs))
        .keep_alive(true);
    let open = OpenConnections::new(args.max_connections_per_ip);
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();

    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(signal_rx);
    });
    let (close_tx, close_rx) = watch::channel(());

    loop {
        let (stream, addr) = tokio::select! {
            // axum's accept: retries, and sleeps a second on EMFILE.
            conn = axum::serve::Listener::accept(&mut listener) => conn,
            () = signal_tx.closed() => break,
        };
        let Some(place) = open.claim(addr.ip()) else {
            continue;
        };
        let Ok(()) =
            std::future::poll_fn(|cx| Service::<SocketAddr>::poll_ready(&mut make_service, cx))
                .await;
        let Ok(service) = make_service.call(addr).await;
        let io = TokioIo::new(Counted {
            stream,
            _place: place,
        });
        let service = TowerToHyperService::new(service);
        let http = http.clone();
        let signal_tx = signal_tx.clone();
        let close_rx = close_rx.clone();
        tokio::spawn(async move {
            let mut conn = pin!(http.serve_connection(io, service).with_upgrades());
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    () = signal_tx.closed(), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    close_tx.closed().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_hosts_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), IpAddr::V4([192, 0, 2, 7].into()));
    }

    #[test]
    fn places_are_freed_when_dropped() {
        let open = OpenConnections::new(2);
        let ip = IpAddr::V4([10, 0, 0, 1].into());
        let first = open.claim(ip);
        let second = open.claim(ip);
        assert!(first.is_some() && second.is_some());
        assert!(open.claim(ip).is_none());
        assert!(open.claim(IpAddr::V4([10, 0, 0, 2].into())).is_some());
        drop(first);
        assert!(open.claim(ip).is_some());
        drop(second);
    }
}
