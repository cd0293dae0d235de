//! `GET /api/v1/yjs/{document_id}`: the y-websocket endpoint.
//!
//! Authorisation happens before the upgrade: outsiders get a 404, and a
//! foreign Origin a 403, as plain HTTP. After the upgrade this task only
//! moves bytes between the socket and the document worker
//! (`accord_realtime::docs`), with heartbeats.

use super::documents::{can_edit, document_for};
use super::socket_writes::{write_queued, Wire};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, CurrentUser};
use crate::origin;
use accord_realtime::docs::{close, DocConnection, Outgoing};
use accord_realtime::{Access, MAX_FRAME_BYTES};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

const PING_EVERY: Duration = Duration::from_secs(20);
/// A client silent for this long (no frame, no pong) is gone.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

#[utoipa::path(get, path = "/api/v1/yjs/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id (the y-websocket room name)")),
    responses(
        (status = 101, description = "WebSocket speaking the y-websocket protocol (sync + awareness). Observers are read-only."),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 403, description = "Foreign Origin", body = Problem),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    origin::check(
        &headers,
        state.public_url.as_ref().map(|p| p.origin.as_str()),
    )?;
    let (doc, me) = document_for(&state, id, &user.id).await?;
    let access = if can_edit(&doc, &me) {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let conn = state
        .docs
        .join(&doc.id, access)
        .await
        .map_err(ApiError::internal)?;
    Ok(ws
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| pump(socket, conn)))
}

async fn pump(socket: WebSocket, mut conn: DocConnection) {
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = Instant::now();
    let close = |code: u16, reason: String| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        tokio::select! {
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = Instant::now();
                    if !conn.send(bytes.to_vec()) {
                        let _ = tx.send(close(close::TRY_AGAIN, "document unavailable".into())).await;
                        break;
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = tx.send(close(close::INVALID, "binary y-websocket frames only".into())).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    let reason = e.to_string();
                    let code = if reason.contains("too long") || reason.contains("size") {
                        close::TOO_BIG
                    } else {
                        close::INVALID
                    };
                    let _ = tx.send(close(code, truncate(reason))).await;
                    break;
                }
            },
            outgoing = conn.outgoing.recv() => {
                let more = write_queued(&mut tx, outgoing, &mut conn.outgoing, |o| match o {
                    Outgoing::Frame(frame) => Wire::Send(Message::Binary(frame)),
                    Outgoing::Close(code, reason) => Wire::Last(close(code, reason)),
                })
                .await;
                if !more {
                    break;
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let _ = tx.send(close(1001, "no heartbeat".into())).await;
                    break;
                }
                if tx.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > 123 {
        let mut end = 123;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}
