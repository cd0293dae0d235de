//! `GET /api/v1/yjs/{document_id}`: the y-websocket endpoint.
//!
//! Authorisation happens before the upgrade: outsiders get a 404, and a
//! foreign Origin a 403, as plain HTTP. After the upgrade this task moves
//! bytes between the socket and the document worker
//! (`accord_realtime::docs`), with heartbeats, and re-checks its rights
//! whenever they may have changed (`socket_rights`): a participant made an
//! observer, or a document archived, turns the connection read-only (the
//! client is told with y-protocols' permission-denied message); a removed
//! participant or a session that ended closes it with 1008.
//!
//! The socket is tokio-tungstenite's own (`raw_socket`), not axum's, so a
//! large frame from the document (a joiner's whole state) is written as
//! WebSocket fragments and no connection keeps a buffer of its size.

use super::documents::{can_edit, document_for};
use super::socket_writes::{write_queued, ws_close_code_for, Wire};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiPath, CurrentUser};
use crate::origin;
use crate::raw_socket::{self, RawUpgrade, Socket};
use crate::socket_limits::{too_many_sockets, DocBudget, DOC_MAX_WAIT};
use crate::socket_rights::{lost_membership, Ended, SignIn, RECHECK_EVERY};
use accord_realtime::docs::{close, DocConnection, Outgoing};
use accord_realtime::rights::Subject;
use accord_realtime::{Access, Identity, MAX_FRAME_BYTES};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
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
        (status = 426, description = "Not a WebSocket upgrade", body = Problem),
        (status = 404, description = "Unknown, or the caller does not take part", body = Problem)
    ))]
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ws: RawUpgrade,
) -> ApiResult<Response> {
    origin::check(
        &headers,
        state.public_url.as_ref().map(|p| p.origin.as_str()),
    )?;
    let sign_in =
        SignIn::from_headers(user.clone(), &headers).ok_or_else(ApiError::unauthorized)?;
    let (doc, me) = document_for(&state, id, &user.id).await?;
    let slot = state
        .sockets
        .acquire(&user.id)
        .ok_or_else(too_many_sockets)?;
    let access = if can_edit(&doc, &me) {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    };
    let identity = Identity {
        user_id: user.id.clone(),
        name: user.display_name.clone(),
        side: me.side,
    };
    let conn = state
        .docs
        .join(&doc.id, access, Some(identity))
        .await
        .map_err(ApiError::internal)?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024);
    Ok(ws.on_upgrade(config, move |socket| async move {
        // Held for as long as the socket is open.
        let _slot = slot;
        let rights = Rights {
            state,
            sign_in,
            doc: id,
            access,
        };
        pump(socket, conn, rights).await;
    }))
}

/// What the connection was allowed when last checked, and how to check again.
struct Rights {
    state: AppState,
    sign_in: SignIn,
    doc: Uuid,
    access: Access,
}

impl Rights {
    /// The access the store grants now, with when the session expires.
    async fn current(&self) -> Result<(Access, Instant), Ended> {
        let expires = self.sign_in.check(&self.state).await?;
        let (doc, me) = document_for(&self.state, self.doc, &self.sign_in.user.id)
            .await
            .map_err(|e| lost_membership(&e))?;
        let access = if can_edit(&doc, &me) {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        Ok((access, expires))
    }

    /// Why the connection became read-only, for the client.
    async fn read_only_reason(&self) -> &'static str {
        match self.state.store.document(&self.doc.to_string()).await {
            Ok(Some(d)) if d.archived => {
                "archived: The document is archived and can no longer be edited."
            }
            _ => "observer: You are now an observer and can no longer edit.",
        }
    }
}

/// A close frame with this code and reason.
fn close_with(code: u16, reason: impl Into<String>) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into().into(),
    }))
}

async fn pump(mut socket: Socket, mut conn: DocConnection, mut rights: Rights) {
    // Unsplit, with one timer, as the event socket (events.rs).
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    let mut last_heard = Instant::now();
    let budget = DocBudget::default();
    let watch = rights.state.rights.watch(
        rights
            .sign_in
            .subjects()
            .into_iter()
            .chain([Subject::Document(rights.doc.to_string())])
            .collect(),
    );
    let mut recheck = tokio::time::interval_at(Instant::now() + RECHECK_EVERY, RECHECK_EVERY);
    let expiry = tokio::time::sleep(Duration::from_secs(sessions_left(&rights).await));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            incoming = socket.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = Instant::now();
                    // A fast sender waits (its socket is not read meanwhile); a flood closes.
                    let mut wait = budget.wait_for(bytes.len());
                    if wait > DOC_MAX_WAIT {
                        let _ = socket.send(close_with(close::POLICY, "rate_limited: too many changes at once; slow down")).await;
                        break;
                    }
                    while !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                        wait = budget.wait_for(bytes.len());
                    }
                    if !conn.send(bytes.to_vec()).await {
                        let _ = socket.send(close_with(close::TRY_AGAIN, "document unavailable")).await;
                        break;
                    }
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = socket.send(close_with(close::INVALID, "binary y-websocket frames only")).await;
                    break;
                }
                // Frames come reassembled into messages; `Frame` is only written.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    let reason = truncate(e.to_string());
                    let code = match ws_close_code_for(&e) {
                        close::TOO_BIG => close::TOO_BIG,
                        _ => close::INVALID,
                    };
                    let _ = socket.send(close_with(code, reason)).await;
                    break;
                }
            },
            outgoing = conn.outgoing.recv() => {
                let more = write_queued(&mut socket, outgoing, &mut conn.outgoing, |o| match o {
                    Outgoing::Frame(frame) => Wire::SendAll(raw_socket::binary(frame)),
                    Outgoing::Close(code, reason) => Wire::Last(close_with(code, reason)),
                })
                .await;
                if !more {
                    break;
                }
            }
            () = watch.changed() => {
                if !recheck_rights(&mut socket, &conn, &mut rights, expiry.as_mut()).await { break; }
            }
            _ = recheck.tick() => {
                if !recheck_rights(&mut socket, &conn, &mut rights, expiry.as_mut()).await { break; }
            }
            () = &mut expiry => {
                if !recheck_rights(&mut socket, &conn, &mut rights, expiry.as_mut()).await { break; }
            }
            () = &mut ping => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let _ = socket.send(close_with(1001, "no heartbeat")).await;
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

/// Seconds until the socket's session expires (0 if it already has: the
/// first re-check then closes the socket).
async fn sessions_left(rights: &Rights) -> u64 {
    match rights.sign_in.check(&rights.state).await {
        Ok(at) => at.saturating_duration_since(Instant::now()).as_secs() + 1,
        Err(_) => 0,
    }
}

/// Applies the rights the store grants now; `false` when the socket closed.
async fn recheck_rights(
    socket: &mut Socket,
    conn: &DocConnection,
    rights: &mut Rights,
    expiry: std::pin::Pin<&mut tokio::time::Sleep>,
) -> bool {
    match rights.current().await {
        Ok((access, expires)) => {
            expiry.reset(expires + Duration::from_secs(1));
            if access != rights.access {
                let reason = match access {
                    Access::ReadOnly => rights.read_only_reason().await,
                    Access::ReadWrite => "editor: You can edit again.",
                };
                tracing::info!(user_id = %rights.sign_in.user.id, ?access, "document access changed on an open socket");
                rights.access = access;
                if !conn.set_access(access, reason) {
                    return false;
                }
            }
            true
        }
        Err(ended) => {
            tracing::info!(user_id = %rights.sign_in.user.id, reason = ended.code(), "closing a document socket whose rights ended");
            let _ = socket.send(close_with(close::POLICY, ended.reason())).await;
            false
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
