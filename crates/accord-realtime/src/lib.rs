//! Real-time plumbing for Accord: per-document workers, roundtable rooms,
//! rights, results and the bus between nodes. Knows nothing of HTTP.
//!
//! The document core (codec, room, rendering, templates) is the sans-IO
//! crate `accord-sync`, re-exported here under its old paths.
//!
//! - [`bus`]: notifications between nodes (in-process or Redis), with sequence numbers.
//! - [`docs`]: one worker task per open document.
//! - [`live`]: roundtable rooms for the event socket.
//! - [`questions`]: Q&A questions as participants and as the audience see them.
//! - [`rights`]: changes of rights, told to every open socket on every node.
//! - [`results`], [`wire`]: published results; the event socket's contract.
//! - [`comments`]: comment threads as participants see them, resolved in document order.
//! - [`versions`]: versions made from what is durable, and automatically.

pub mod agreements;
pub mod bus;
pub mod comments;
pub mod docs;
pub mod live;
pub mod questions;
pub mod results;
pub mod rights;
pub mod versions;
pub mod wire;

pub use accord_sync::{anchors, diff, protocol, render, room, template, version};

pub use accord_sync::{
    decode_frame, Access, Applied, ConnId, DocRoom, Frame, Identity, SyncError, MAX_FRAME_BYTES,
};
