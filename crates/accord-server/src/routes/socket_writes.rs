//! Writing queued messages to a WebSocket, shared by both sockets.

use axum::extract::ws::Message;
use futures_util::{Sink, SinkExt};
use tokio::sync::mpsc;

/// The close code for a socket error read from a client: 1009 when the
/// message was over the size limit, 1002 (protocol error) otherwise. Told
/// by the error's type, not its text.
pub fn close_code_for(e: axum::Error) -> u16 {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e.into_inner().downcast::<WsError>() {
        Ok(ws) if matches!(*ws, WsError::Capacity(_)) => 1009,
        _ => 1002,
    }
}

/// Messages written per flush at most, so a flood cannot starve the reader.
const WRITE_BATCH: usize = 32;

/// What a queued item becomes on the wire.
pub enum Wire {
    Send(Message),
    /// Nothing to send for this one.
    Skip,
    /// Send this (a close frame) and end the socket.
    Last(Message),
}

/// Writes `first` and whatever else is already queued in one flush: under
/// load a client gets one write (one syscall) for several messages.
/// Returns false when the socket is done: closed, failed or its queue ended.
pub async fn write_queued<T, S: Sink<Message> + Unpin>(
    tx: &mut S,
    first: Option<T>,
    queue: &mut mpsc::Receiver<T>,
    wire: impl Fn(T) -> Wire,
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
