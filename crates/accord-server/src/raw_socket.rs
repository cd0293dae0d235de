//! A WebSocket whose large binary messages leave as fragments, for the
//! y-websocket endpoint.
//!
//! tungstenite copies every frame it writes into its connection's write
//! buffer and keeps that buffer's capacity for as long as the connection
//! lives, so a socket that once wrote a document's whole state (1.6 MB for
//! the longest-edited one) held 1.6 MB until it closed: 300 joiners of such
//! a document made a 307 MiB peak (BENCHMARKS.md). Written as fragments of
//! at most [`FRAGMENT_BYTES`] (a first Binary frame without FIN, then
//! Continuation frames; browsers and y-websocket reassemble them into one
//! message), no frame, and so no buffer, is larger than a fragment.
//!
//! axum's `WebSocket` hides tokio-tungstenite's stream and its `Message`
//! has no frame variant, so the upgrade is done here: axum's own extractor
//! checks the request (a plain GET is still a 426), and the connection's
//! upgrade future, which hyper hands to both, is completed with
//! tokio-tungstenite's stream of our own.

use crate::error::{ApiError, ErrorKind};
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// An upgraded connection.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// The largest frame written: the write buffer (16 KiB) plus one fragment
/// is the most a connection's buffer holds, whatever it sends.
pub const FRAGMENT_BYTES: usize = 16 * 1024;

/// A checked WebSocket upgrade request (HTTP/1.1); a plain GET or a broken
/// handshake is a 426 problem, as with `ApiWebSocket`.
pub struct RawUpgrade {
    on_upgrade: OnUpgrade,
    key: HeaderValue,
}

impl<S: Send + Sync> FromRequestParts<S> for RawUpgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // axum's extractor takes the upgrade future out of the request;
        // hyper's is a shared handle, so a clone taken first stays live.
        let on_upgrade = parts.extensions.get::<OnUpgrade>().cloned();
        let checked = axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(ErrorKind::UpgradeRequired).detail(e.body_text()))?;
        drop(checked);
        let key = parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned();
        match (on_upgrade, key) {
            (Some(on_upgrade), Some(key)) => Ok(RawUpgrade { on_upgrade, key }),
            _ => Err(ApiError::new(ErrorKind::UpgradeRequired)
                .detail("a WebSocket upgrade over HTTP/1.1 is required")),
        }
    }
}

impl RawUpgrade {
    /// The 101 response; once hyper has switched protocols, `callback` runs
    /// with the socket (in a task of its own).
    pub fn on_upgrade<C, Fut>(self, config: WebSocketConfig, callback: C) -> Response
    where
        C: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let RawUpgrade { on_upgrade, key } = self;
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(u) => u,
                Err(e) => {
                    tracing::debug!(error = %e, "WebSocket upgrade failed");
                    return;
                }
            };
            let socket = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(config),
            )
            .await;
            callback(socket).await;
        });
        match HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
            Ok(accept) => Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header(header::CONNECTION, HeaderValue::from_static("upgrade"))
                .header(header::UPGRADE, HeaderValue::from_static("websocket"))
                .header(header::SEC_WEBSOCKET_ACCEPT, accept)
                .body(Body::empty())
                .unwrap_or_else(|e| ApiError::internal(e).into_response()),
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// `payload` as one binary message: one frame when it fits in
/// [`FRAGMENT_BYTES`], otherwise its fragments in order (slices of the same
/// bytes, not copies). They must be written one after the other, with no
/// other data message between them (control frames may come between).
pub fn binary(payload: Bytes) -> Vec<Message> {
    if payload.len() <= FRAGMENT_BYTES {
        return vec![Message::Binary(payload)];
    }
    let count = payload.len().div_ceil(FRAGMENT_BYTES);
    (0..count)
        .map(|i| {
            let start = i * FRAGMENT_BYTES;
            let end = (start + FRAGMENT_BYTES).min(payload.len());
            let opcode = if i == 0 {
                OpCode::Data(Data::Binary)
            } else {
                OpCode::Data(Data::Continue)
            };
            Message::Frame(Frame::message(
                payload.slice(start..end),
                opcode,
                i + 1 == count,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn small_messages_are_whole_and_large_ones_fragments_of_the_same_bytes() {
        let small = Bytes::from(vec![7u8; FRAGMENT_BYTES]);
        assert_eq!(binary(small.clone()), vec![Message::Binary(small)]);

        let big = Bytes::from(
            (0..FRAGMENT_BYTES * 3 + 5)
                .map(|i| i as u8)
                .collect::<Vec<_>>(),
        );
        let parts = binary(big.clone());
        assert_eq!(parts.len(), 4);
        let mut joined = Vec::new();
        for (i, m) in parts.iter().enumerate() {
            let Message::Frame(f) = m else {
                panic!("fragment {i} is {m:?}")
            };
            let h = f.header();
            assert_eq!(h.is_final, i == 3, "FIN only on the last");
            let want = if i == 0 { Data::Binary } else { Data::Continue };
            assert_eq!(h.opcode, OpCode::Data(want));
            assert!(f.payload().len() <= FRAGMENT_BYTES);
            // A slice of the message's own buffer, not a copy.
            assert_eq!(f.payload().as_ptr(), big[i * FRAGMENT_BYTES..].as_ptr());
            joined.extend_from_slice(f.payload());
        }
        assert_eq!(joined, big);
    }

    #[tokio::test]
    async fn fragments_written_in_turn_arrive_as_one_message() {
        let (server_io, client_io) = tokio::io::duplex(64 * 1024);
        let config = WebSocketConfig::default().write_buffer_size(16 * 1024);
        let mut server =
            WebSocketStream::from_raw_socket(server_io, Role::Server, Some(config)).await;
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let state = Bytes::from(
            (0..1_600_000u32)
                .map(|i| (i % 251) as u8)
                .collect::<Vec<_>>(),
        );
        let small = Bytes::from_static(b"after");
        let writer = {
            let state = state.clone();
            let small = small.clone();
            tokio::spawn(async move {
                use futures_util::SinkExt;
                for m in binary(state).into_iter().chain(binary(small)) {
                    server.feed(m).await.unwrap();
                }
                server.flush().await.unwrap();
                server
            })
        };
        use futures_util::StreamExt;
        assert_eq!(
            client.next().await.unwrap().unwrap(),
            Message::Binary(state)
        );
        assert_eq!(
            client.next().await.unwrap().unwrap(),
            Message::Binary(small)
        );
        drop(writer.await.unwrap());
    }
}
