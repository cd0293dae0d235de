//! The sans-IO document core of co-drafting, in the manner of y-sweet's core:
//! it takes bytes and states and returns states, renderings and what to
//! send; it does no I/O. The server owns sockets, the store and the bus, and
//! asks a [`DocRoom`] what to persist, what to answer and what to broadcast.
//!
//! - [`protocol`]: the y-websocket wire format, strict decoding, coalescing.
//! - [`room`]: one live document with its connections and awareness.
//! - [`render`]: the TipTap/y-prosemirror tree as a neutral document.
//! - [`template`]: starting content for new documents.
//! - [`version`]: what a saved version stores, and restoring one as a new
//!   change rather than a rewrite of history.
//! - [`diff`]: what changed between two states, and who wrote it, so a
//!   reviewer sees edits without trusting the editor to show them.
//! - [`anchors`]: comment anchors (Yjs relative positions) located in the
//!   current text, so a thread follows its passage through others' edits.

pub mod anchors;
pub mod diff;
mod flat;
pub mod protocol;
pub mod render;
pub mod room;
pub mod template;
pub mod version;

#[cfg(test)]
mod test_docs;

pub use protocol::{decode_frame, Frame, MAX_FRAME_BYTES};
pub use room::{Access, Applied, ConnId, DocRoom, Identity};

/// Why a frame was refused. The `Display` text is short enough to serve as a
/// WebSocket close reason once truncated to 123 bytes.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("frame of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("unsupported message type {0}")]
    Unsupported(u64),
    #[error("update does not decode: {0}")]
    BadUpdate(String),
    #[error("bad awareness update: {0}")]
    BadAwareness(String),
    #[error("read-only access: changes are not accepted")]
    ReadOnly,
    /// The reason starts with a code the web shows its own text for.
    #[error("update_too_large: an update of {size} bytes exceeds the {limit}-byte limit")]
    UpdateTooLarge { size: usize, limit: usize },
    #[error("document_full: the document has reached its {limit}-byte limit")]
    DocumentFull { limit: usize },
    #[error("unknown connection")]
    UnknownConnection,
    /// The update decoded but could not be integrated; the room is poisoned.
    #[error("update could not be applied: {0}")]
    ApplyFailed(String),
    /// The update continues a Yjs client id another participant writes under.
    #[error("foreign_client: client id {0} belongs to another participant")]
    ForeignClient(u64),
    /// The update continues a client id whose owner this room does not know:
    /// the caller re-reads the owners from the store and tries once more.
    #[error("foreign_client: client id {0} has no known owner")]
    UnknownClient(u64),
    /// An earlier failure left memory unreliable: reload the room from the store.
    #[error("document must be reloaded")]
    Poisoned,
}

impl SyncError {
    /// The reason text, cut to fit a WebSocket close frame (123 bytes).
    pub fn close_reason(&self) -> String {
        let mut s = self.to_string();
        if s.len() > 123 {
            let mut end = 123;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        s
    }
}
