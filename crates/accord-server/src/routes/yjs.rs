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

async fn pump(mut socket: WebSocket, mut conn: DocConnection) {
    // Unsplit, with one timer, as the event socket (events.rs).
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    let mut last_heard = Instant::now();
    let close = |code: u16, reason: String| {
        Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = Instant::now();
                    if !conn.send(bytes.to_vec()) {
                        let _ = socket.send(close(close::TRY_AGAIN, "document unavailable".into())).await;
                        break;
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = socket.send(close(close::INVALID, "binary y-websocket frames only".into())).await;
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
                    let _ = socket.send(close(code, truncate(reason))).await;
                    break;
                }
            },
            outgoing = conn.outgoing.recv() => {
                let more = write_queued(&mut socket, outgoing, &mut conn.outgoing, |o| match o {
                    Outgoing::Frame(frame) => Wire::Send(Message::Binary(frame)),
                    Outgoing::Close(code, reason) => Wire::Last(close(code, reason)),
                })
                .await;
                if !more {
                    break;
                }
            }
            () = &mut ping => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let _ = socket.send(close(1001, "no heartbeat".into())).await;
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
                ping.as_mut().reset(Instant::now() + PING_EVERY);
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
