//! Writing queued messages to a WebSocket, shared by both sockets (the
//! event socket's axum `Message`s, the document socket's tungstenite ones).

use futures_util::{Sink, SinkExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Error as WsError;

/// The close code for a socket error read from a client: 1009 when the
/// message was over the size limit, 1002 (protocol error) otherwise. Told
/// by the error's type, not its text.
pub fn close_code_for(e: axum::Error) -> u16 {
    match e.into_inner().downcast::<WsError>() {
        Ok(ws) => ws_close_code_for(&ws),
        Err(_) => 1002,
    }
}

/// [`close_code_for`] for an error of tungstenite's own stream.
pub fn ws_close_code_for(e: &WsError) -> u16 {
    match e {
        WsError::Capacity(_) => 1009,
        _ => 1002,
    }
}

/// Messages written per flush at most, so a flood cannot starve the reader.
const WRITE_BATCH: usize = 32;

/// What a queued item becomes on the wire.
pub enum Wire<M> {
    Send(M),
    /// One message's fragments, sent one after the other.
    SendAll(Vec<M>),
    /// Nothing to send for this one.
    Skip,
    /// Send this (a close frame) and end the socket.
    Last(M),
}

/// Writes `first` and whatever else is already queued in one flush: under
/// load a client gets one write (one syscall) for several messages.
/// Returns false when the socket is done: closed, failed or its queue ended.
pub async fn write_queued<T, M, S: Sink<M> + Unpin>(
    tx: &mut S,
    first: Option<T>,
    queue: &mut mpsc::Receiver<T>,
    wire: impl Fn(T) -> Wire<M>,
) -> bool {
    let mut next = first;
    for _ in 0..WRITE_BATCH {
        let Some(item) = next else { return false };
        match wire(item) {
            Wire::Send(m) => {
                if tx.feed(m).await.is_err() {
                    return false;
                }
            }
            Wire::SendAll(parts) => {
                for m in parts {
                    if tx.feed(m).await.is_err() {
                        return false;
                    }
                }
            }
            Wire::Skip => {}
            Wire::Last(m) => {
                let _ = tx.send(m).await;
                return false;
            }
        }
        match queue.try_recv() {
            Ok(item) => next = Some(item),
            Err(_) => break,
        }
    }
    tx.flush().await.is_ok()
}
