//! `GET /api/v1/ws`: the roundtable event socket (JSON, see PROTOCOL.md).
//!
//! Authorisation happens before the upgrade (session or audience cookie,
//! Origin); each `subscribe` and each vote is checked against the store.
//! The task parses client messages, forwards hub messages, keeps the
//! heartbeat and re-checks its rights whenever they may have changed
//! (`socket_rights`): a changed role re-targets what the socket is sent
//! and tells the client (`role_changed`); a removal, a sign-out, an expired
//! session or an ended live session closes it with 1008 and a reason.

use super::polls::{cast, poll_out, viewer_of};
use super::socket_writes::{close_code_for, write_queued, Wire};
use crate::app::AppState;
use crate::audience::Caller;
use crate::error::{ApiResult, Problem};
use crate::extract::ApiWebSocket;
use crate::origin;
use crate::socket_limits::{too_many_sockets, EventBudget};
use crate::socket_rights::{
    caller_subjects, lost_membership, recheck_every, refresh, Ended, SignIn,
};
use accord_domain::polls::PollStatus;
use accord_domain::Action;
use accord_realtime::live::{audience_sees, LiveOut, Viewer, SUBSCRIBER_QUEUE};
use accord_realtime::questions::{visible_to, QuestionView};
use accord_realtime::wire::{
    decode_client, ClientMsg, ErrorCode, Presence, ServerMsg, MAX_CLIENT_MESSAGE,
};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

const PING_EVERY: Duration = Duration::from_secs(20);
const IDLE_LIMIT: Duration = Duration::from_secs(60);

#[utoipa::path(get, path = "/api/v1/ws", tag = "live",
    responses(
        (status = 101, description = "JSON event socket (PROTOCOL.md): subscribe to roundtable rooms, receive presence, polls, tallies and questions, vote"),
        (status = 401, description = "Neither signed in nor joined as audience", body = Problem),
        (status = 403, description = "Foreign Origin", body = Problem),
        (status = 426, description = "Not a WebSocket upgrade", body = Problem)
    ))]
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    ApiWebSocket(ws): ApiWebSocket,
) -> ApiResult<Response> {
    origin::check(
        &headers,
        state.public_url.as_ref().map(|p| p.origin.as_str()),
    )?;
    let key = match &caller {
        Caller::User(u) => u.id.clone(),
        Caller::Audience(m) => format!("audience:{}", m.id),
    };
    let slot = state.sockets.acquire(&key).ok_or_else(too_many_sockets)?;
    // Small buffers: a conference room holds thousands of these sockets, and
    // tungstenite zeroes the read buffer on every read attempt. Client
    // messages are a few hundred bytes; a longer one still fits (it grows).
    Ok(ws
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .read_buffer_size(1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            // Held for as long as the socket is open.
            let _slot = slot;
            let sign_in = match &caller {
                Caller::User(u) => SignIn::from_headers(u.clone(), &headers),
                Caller::Audience(_) => None,
            };
            run(socket, state, caller, sign_in).await;
        }))
}

fn msg(m: &ServerMsg) -> Message {
    Message::Text(Utf8Bytes::from(m.encode()))
}

fn error(code: ErrorCode, message: &str, poll_id: Option<&str>) -> Message {
    msg(&ServerMsg::error(code, message, poll_id))
}

/// A room this socket is subscribed to: its hub id and who it counts as there.
type Subs = HashMap<String, (u64, Viewer)>;

async fn run(mut socket: WebSocket, state: AppState, mut caller: Caller, sign_in: Option<SignIn>) {
    let (out_tx, mut out_rx) = mpsc::channel::<LiveOut>(SUBSCRIBER_QUEUE);
    let mut subs: Subs = HashMap::new();
    // One unsplit socket and one timer: this loop runs once per message for
    // every phone in the room, so each poll it saves counts.
    let ping = tokio::time::sleep(PING_EVERY);
    tokio::pin!(ping);
    let mut last_heard = Instant::now();
    let watch = state
        .rights
        .watch(caller_subjects(&caller, sign_in.as_ref()));
    let budget = EventBudget::default();
    // Spread over the period, so ten thousand phones do not re-check at once.
    let every = recheck_every(&caller);
    let first = every.mul_f64(0.5 + rand::random::<f64>() / 2.0);
    let recheck = tokio::time::sleep(first);
    tokio::pin!(recheck);
    if let Some(s) = &sign_in {
        if let Ok(expires) = s.check(&state).await {
            recheck.as_mut().reset(expires.min(Instant::now() + first));
        }
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        let _ = socket.send(Message::Close(Some(CloseFrame { code: 1003, reason: "JSON text frames only".into() }))).await;
                        break;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => { last_heard = Instant::now(); continue; }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(e)) => {
                        let code = close_code_for(e);
                        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: "message too big or malformed".into() }))).await;
                        break;
                    }
                };
                last_heard = Instant::now();
                if !budget.message() {
                    // Dropped unread: answering costs as little as possible.
                    if socket.send(error(ErrorCode::RateLimited, "too many messages; slow down", None)).await.is_err() { break; }
                    continue;
                }
                let reply = match decode_client(&text) {
                    Err(e) => vec![error(ErrorCode::Malformed, &e.to_string(), None)],
                    Ok(ClientMsg::Ping) => vec![msg(&ServerMsg::Pong)],
                    Ok(ClientMsg::Subscribe { .. }) if !budget.subscribe() => {
                        vec![error(ErrorCode::RateLimited, "too many subscriptions; slow down", None)]
                    }
                    Ok(ClientMsg::Subscribe { room }) => {
                        // Rights are read again here: an ended live session or a
                        // sign-out admits no new subscription.
                        match refresh(&state, &caller, sign_in.as_ref()).await {
                            Ok(fresh) => {
                                caller = fresh;
                                subscribe(&state, &caller, &room, &out_tx, &mut subs).await
                            }
                            Err(ended) => { close_for(&mut socket, ended).await; break; }
                        }
                    }
                    Ok(ClientMsg::Unsubscribe { room }) => {
                        if let (Some(rt), Some((id, _))) = (room.strip_prefix("roundtable:"), subs.remove(&room)) {
                            state.live.unsubscribe(rt, id);
                        }
                        vec![]
                    }
                    Ok(ClientMsg::Vote { poll_id, ballot }) => {
                        // A participant's session is re-read per vote (their
                        // membership is, inside `cast`); the audience's live
                        // session is checked by the store's write itself.
                        if let Some(s) = &sign_in {
                            if let Err(ended) = s.check(&state).await {
                                close_for(&mut socket, ended).await;
                                break;
                            }
                        }
                        match cast(&state, &caller, &poll_id, &ballot).await {
                            Ok(()) => vec![msg(&ServerMsg::VoteAck { poll_id })],
                            Err(e) => vec![error(e.kind().socket_code(), e.problem().detail.as_deref().unwrap_or("refused"), Some(&poll_id))],
                        }
                    }
                };
                let mut failed = false;
                for m in reply {
                    if socket.send(m).await.is_err() { failed = true; break; }
                }
                if failed { break; }
            }
            out = out_rx.recv() => {
                let more = write_queued(&mut socket, out, &mut out_rx, |o| match o {
                    LiveOut::Text(bytes) => Utf8Bytes::try_from(bytes).map_or(Wire::Skip, |t| Wire::Send(Message::Text(t))),
                    LiveOut::Close(reason) => Wire::Last(Message::Close(Some(CloseFrame { code: 1008, reason: reason.into() }))),
                }).await;
                if !more { break; }
            }
            () = watch.changed() => {
                if !recheck_rights(&mut socket, &state, &mut caller, sign_in.as_ref(), &mut subs).await { break; }
            }
            () = &mut recheck => {
                if !recheck_rights(&mut socket, &state, &mut caller, sign_in.as_ref(), &mut subs).await { break; }
                let mut next = Instant::now() + every;
                if let Some(s) = &sign_in {
                    if let Ok(expires) = s.check(&state).await {
                        next = next.min(expires + Duration::from_secs(1));
                    }
                }
                recheck.as_mut().reset(next);
            }
            () = &mut ping => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1001, reason: "no heartbeat".into() }))).await;
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() { break; }
                ping.as_mut().reset(Instant::now() + PING_EVERY);
            }
        }
    }
    for (room, (id, _)) in subs {
        if let Some(rt) = room.strip_prefix("roundtable:") {
            state.live.unsubscribe(rt, id);
        }
    }
}

async fn close_for(socket: &mut WebSocket, ended: Ended) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1008,
            reason: ended.reason().into(),
        })))
        .await;
}

/// Applies the rights the store grants now to every subscription; `false`
/// when the socket was closed.
async fn recheck_rights(
    socket: &mut WebSocket,
    state: &AppState,
    caller: &mut Caller,
    sign_in: Option<&SignIn>,
    subs: &mut Subs,
) -> bool {
    let fresh = match refresh(state, caller, sign_in).await {
        Ok(c) => c,
        Err(ended) => {
            close_for(socket, ended).await;
            return false;
        }
    };
    *caller = fresh;
    let mut notices = Vec::new();
    for (room, (id, viewer)) in subs.iter_mut() {
        let Some(rt) = room.strip_prefix("roundtable:") else {
            continue;
        };
        match viewer_of(state, rt, caller).await {
            Ok(now) if now == *viewer => {}
            Ok(now) => {
                state.live.set_viewer(rt, *id, now.clone());
                if let Viewer::Participant { role, side, .. } = &now {
                    notices.push(msg(&ServerMsg::RoleChanged {
                        room: room.clone(),
                        role: *role,
                        side: *side,
                        actions: Action::allowed_for(*role, *side),
                    }));
                }
                *viewer = now;
            }
            Err(e) => {
                close_for(socket, lost_membership(&e)).await;
                return false;
            }
        }
    }
    for m in notices {
        if socket.send(m).await.is_err() {
            return false;
        }
    }
    true
}

/// Checks the right to read, joins the room and returns the current state.
async fn subscribe(
    state: &AppState,
    caller: &Caller,
    room: &str,
    out: &mpsc::Sender<LiveOut>,
    subs: &mut Subs,
) -> Vec<Message> {
    let Some(rt) = room.strip_prefix("roundtable:") else {
        return vec![error(
            ErrorCode::UnknownRoom,
            "rooms are named roundtable:<id>",
            None,
        )];
    };
    let viewer = match viewer_of(state, rt, caller).await {
        Ok(v) => v,
        Err(_) => {
            return vec![error(
                ErrorCode::UnknownRoom,
                "no such room, or not yours",
                None,
            )]
        }
    };
    // Before the snapshot is read: see `LiveHub::open_room`.
    state.live.open_room(rt).await;
    match current_state(state, room, rt, &viewer, caller).await {
        Ok(snapshot) => {
            if !subs.contains_key(room) {
                let id = state.live.subscribe(rt, viewer.clone(), out.clone());
                subs.insert(room.to_owned(), (id, viewer));
            }
            vec![msg(&snapshot)]
        }
        Err(e) => {
            tracing::warn!(error = ?e.problem(), "subscribe failed");
            vec![error(
                ErrorCode::Unavailable,
                "the room could not be read",
                None,
            )]
        }
    }
}

/// Every visible poll (open ones with their tally where visible), and presence for participants.
async fn current_state(
    state: &AppState,
    room: &str,
    rt: &str,
    viewer: &Viewer,
    caller: &Caller,
) -> ApiResult<ServerMsg> {
    let mut polls = Vec::new();
    let mut tallies = Vec::new();
    for p in state.store.polls_of(rt).await? {
        if viewer.is_audience() && !audience_sees(&p) {
            continue;
        }
        polls.push(poll_out(state, &p, caller).await?);
        if p.status != PollStatus::Draft {
            if let Some(t) = state.live.tally_for(&p, viewer).await {
                tallies.push(t);
            }
        }
    }
    let questions: Vec<QuestionView> = state
        .store
        .questions_of(rt)
        .await?
        .iter()
        .filter(|q| visible_to(viewer, q))
        .map(|q| QuestionView::for_viewer(viewer, q, None))
        .collect();
    let presence = (!viewer.is_audience()).then(|| {
        let (participants, audience) = state.live.presence(rt);
        Presence {
            participants,
            audience,
        }
    });
    Ok(ServerMsg::Subscribed {
        room: room.to_owned(),
        polls,
        tallies,
        questions,
        presence,
    })
}
