//! The y-websocket binary protocol: decoding and encoding frames, and
//! coalescing pending updates and awareness before fan-out.
//!
//! A frame (one WebSocket binary message) holds one or more messages:
//!
//! ```text
//! message  = varuint(type) body
//! type 0   = sync:  varuint(sub) varbuf(payload)
//!            sub 0 = step 1 (state vector), 1 = step 2 (update), 2 = update
//! type 1   = awareness: varbuf(awareness update)
//! type 3   = query awareness (no body)
//! ```
//!
//! Decoding is strict: a frame is either decoded completely (every payload
//! parsed, nothing left over) or refused, so a caller never acts on half a frame.

use std::collections::HashMap;

use yrs::encoding::read::{Cursor, Read};
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{StateVector, Update};

use crate::SyncError;

/// Largest frame accepted; larger ones are refused before any parsing.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// A frame holding more messages than this is refused: each message may
/// cost a reply, and a 1 MiB frame of one-byte queries would amplify traffic.
pub const MAX_MESSAGES_PER_FRAME: usize = 16;

const MSG_SYNC: u64 = 0;
const MSG_AWARENESS: u64 = 1;
const MSG_AUTH: u64 = 2;
const MSG_QUERY_AWARENESS: u64 = 3;
/// y-protocols' auth message: the only kind it defines.
const AUTH_PERMISSION_DENIED: u64 = 0;
const SYNC_STEP1: u64 = 0;
const SYNC_STEP2: u64 = 1;
const SYNC_UPDATE: u64 = 2;

/// One decoded message. Update payloads are kept as bytes (already proven
/// to decode) so they can be persisted and relayed verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    SyncStep1(StateVector),
    SyncStep2(Vec<u8>),
    Update(Vec<u8>),
    /// The raw payload and its decoded form.
    Awareness(Vec<u8>, AwarenessUpdate),
    QueryAwareness,
}

fn malformed(what: &str, e: impl std::fmt::Display) -> SyncError {
    SyncError::Malformed(format!("{what}: {e}"))
}

/// Runs a yrs decoder, turning a panic into an error: some yrs releases
/// assert on hostile input (e.g. client ids over 53 bits) instead of
/// returning an error, and a decoder of untrusted bytes must never take the
/// document worker down.
fn guarded<T>(what: &str, decode: impl FnOnce() -> Result<T, SyncError>) -> Result<T, SyncError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
        .unwrap_or_else(|_| Err(SyncError::Malformed(format!("{what} does not decode"))))
}

/// Decodes a whole frame from a client, validating every payload, or
/// refuses it (also when it is over [`MAX_FRAME_BYTES`]).
pub fn decode_frame(frame: &[u8]) -> Result<Vec<Frame>, SyncError> {
    decode_frame_up_to(frame, MAX_FRAME_BYTES)
}

/// [`decode_frame`] with another size limit: what the server sends, e.g.
/// the whole state of a large document, may be longer than what it accepts.
pub fn decode_frame_up_to(frame: &[u8], limit: usize) -> Result<Vec<Frame>, SyncError> {
    guarded("frame", || decode_frame_unguarded(frame, limit))
}

fn decode_frame_unguarded(frame: &[u8], limit: usize) -> Result<Vec<Frame>, SyncError> {
    if frame.len() > limit {
        return Err(SyncError::TooLarge {
            size: frame.len(),
            limit,
        });
    }
    if frame.is_empty() {
        return Err(SyncError::Malformed("empty frame".into()));
    }
    let mut cursor = Cursor::new(frame);
    let mut out = Vec::new();
    while cursor.has_content() {
        if out.len() == MAX_MESSAGES_PER_FRAME {
            return Err(SyncError::Malformed(format!(
                "more than {MAX_MESSAGES_PER_FRAME} messages in one frame"
            )));
        }
        let kind: u64 = cursor
            .read_var()
            .map_err(|e| malformed("message type", e))?;
        let msg = match kind {
            MSG_SYNC => {
                let sub: u64 = cursor.read_var().map_err(|e| malformed("sync type", e))?;
                let payload = cursor
                    .read_buf()
                    .map_err(|e| malformed("sync payload", e))?;
                match sub {
                    SYNC_STEP1 => {
                        plausible_count("state vector", payload)?;
                        Frame::SyncStep1(
                            StateVector::decode_v1(payload)
                                .map_err(|e| malformed("state vector", e))?,
                        )
                    }
                    SYNC_STEP2 => {
                        check_update(payload)?;
                        Frame::SyncStep2(payload.to_vec())
                    }
                    SYNC_UPDATE => {
                        check_update(payload)?;
                        Frame::Update(payload.to_vec())
                    }
                    other => {
                        return Err(SyncError::Malformed(format!(
                            "unknown sync message type {other}"
                        )))
                    }
                }
            }
            MSG_AWARENESS => {
                let payload = cursor
                    .read_buf()
                    .map_err(|e| malformed("awareness payload", e))?;
                let update = decode_awareness(payload)?;
                Frame::Awareness(payload.to_vec(), update)
            }
            MSG_QUERY_AWARENESS => Frame::QueryAwareness,
            other => return Err(SyncError::Unsupported(other)),
        };
        out.push(msg);
    }
    Ok(out)
}

/// Refuses a payload whose leading count claims more entries than it has
/// bytes. yrs reserves that many hash-map slots before reading them, and
/// hashbrown initialises its control bytes, so a 7-byte update claiming
/// 2^28 clients would touch hundreds of MiB (found by the fuzzer under
/// `-malloc_limit_mb=512`). Every entry takes at least one byte, so a
/// count above the length is always a lie.
fn plausible_count(what: &str, payload: &[u8]) -> Result<(), SyncError> {
    let mut cursor = Cursor::new(payload);
    let count: u64 = cursor.read_var().map_err(|e| malformed(what, e))?;
    if count > payload.len() as u64 {
        return Err(SyncError::Malformed(format!(
            "{what} claims {count} entries in {} bytes",
            payload.len()
        )));
    }
    Ok(())
}

/// Proves a v1 update decodes, without applying it.
pub fn check_update(update: &[u8]) -> Result<Update, SyncError> {
    plausible_count("update", update).map_err(|e| SyncError::BadUpdate(e.to_string()))?;
    guarded("update", || {
        Update::decode_v1(update).map_err(|e| SyncError::BadUpdate(e.to_string()))
    })
}

pub(crate) fn decode_awareness(payload: &[u8]) -> Result<AwarenessUpdate, SyncError> {
    plausible_count("awareness update", payload)
        .map_err(|e| SyncError::BadAwareness(e.to_string()))?;
    let update = guarded("awareness update", || {
        AwarenessUpdate::decode_v1(payload).map_err(|e| SyncError::BadAwareness(e.to_string()))
    })?;
    // Every state must be JSON, as every y-protocols client will JSON.parse it.
    for entry in update.clients.values() {
        if serde_json::from_str::<serde::de::IgnoredAny>(&entry.json).is_err() {
            return Err(SyncError::BadAwareness("client state is not JSON".into()));
        }
    }
    Ok(update)
}

/// `[0, 0, sv]`: asks the peer for what it has that we lack.
pub fn encode_sync_step1(state_vector: &StateVector) -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep1(state_vector.clone())).encode_v1()
}

/// `[0, 1, update]`: the answer to a step 1.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    Message::Sync(SyncMessage::SyncStep2(update.to_vec())).encode_v1()
}

/// `[0, 2, update]`: an incremental change.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    Message::Sync(SyncMessage::Update(update.to_vec())).encode_v1()
}

/// `[1, awareness]` from an already-encoded awareness update.
pub fn encode_awareness(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 6);
    write_var(&mut out, MSG_AWARENESS);
    write_var(&mut out, payload.len() as u64);
    out.extend_from_slice(payload);
    out
}

/// `[3]`.
/// y-protocols' "permission denied" auth message: y-websocket clients hand
/// `reason` to their `permissionDeniedHandler`. Sent when an open
/// connection becomes read-only.
pub fn encode_permission_denied(reason: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(reason.len() + 4);
    write_var(&mut out, MSG_AUTH);
    write_var(&mut out, AUTH_PERMISSION_DENIED);
    write_var(&mut out, reason.len() as u64);
    out.extend_from_slice(reason.as_bytes());
    out
}

pub fn encode_query_awareness() -> Vec<u8> {
    vec![MSG_QUERY_AWARENESS as u8]
}

fn write_var(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Merges v1 updates into one equivalent update.
pub fn merge_updates(updates: &[Vec<u8>]) -> Result<Vec<u8>, SyncError> {
    match updates {
        [] => Ok(Update::new().encode_v1()),
        [one] => Ok(one.clone()),
        many => yrs::merge_updates_v1(many).map_err(|e| SyncError::BadUpdate(e.to_string())),
    }
}

/// Merges encoded awareness updates, keeping the newest state per client
/// (a later update wins a tie, as it would when applied in order).
pub fn merge_awareness(payloads: &[Vec<u8>]) -> Result<Vec<u8>, SyncError> {
    let mut merged = AwarenessUpdate {
        clients: HashMap::new(),
    };
    for payload in payloads {
        let update = decode_awareness(payload)?;
        for (client, entry) in update.clients {
            match merged.clients.get(&client) {
                Some(prev) if prev.clock > entry.clock => {}
                _ => {
                    merged.clients.insert(client, entry);
                }
            }
        }
    }
    Ok(merged.encode_v1())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn hostile_client_id_is_refused_not_panicked() {
        // An update whose client id does not fit 53 bits made yrs 0.28 assert.
        let frame = [
            0u8, 2, 21, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(decode_frame(&frame).is_err());
    }
    use yrs::{Doc, GetString, ReadTxn, Text, Transact};

    fn text_update(doc: &Doc, s: &str) -> Vec<u8> {
        let text = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let len = text.len(&txn);
        text.insert(&mut txn, len, s);
        txn.encode_diff_v1(&before)
    }

    #[test]
    fn round_trips_every_message_type() {
        let doc = Doc::new();
        let u = text_update(&doc, "hi");
        let sv = doc.transact().state_vector();
        let mut frame = encode_sync_step1(&sv);
        frame.extend(encode_sync_step2(&u));
        frame.extend(encode_update(&u));
        frame.extend(encode_query_awareness());
        let aw = AwarenessUpdate {
            clients: HashMap::from([(
                yrs::block::ClientID::new(7),
                yrs::sync::awareness::AwarenessUpdateEntry {
                    clock: 1,
                    json: "{\"user\":{\"name\":\"A\"}}".into(),
                },
            )]),
        }
        .encode_v1();
        frame.extend(encode_awareness(&aw));
        let frames = decode_frame(&frame).unwrap();
        assert_eq!(frames.len(), 5);
        assert_eq!(frames[0], Frame::SyncStep1(sv));
        assert_eq!(frames[1], Frame::SyncStep2(u.clone()));
        assert_eq!(frames[2], Frame::Update(u));
        assert_eq!(frames[3], Frame::QueryAwareness);
        assert!(matches!(&frames[4], Frame::Awareness(raw, _) if *raw == aw));
    }

    #[test]
    fn truncated_and_garbage_frames_are_errors() {
        let doc = Doc::new();
        let frame = encode_update(&text_update(&doc, "hello world"));
        for cut in 0..frame.len() {
            assert!(decode_frame(&frame[..cut]).is_err(), "cut at {cut}");
        }
        for bad in [
            &[0u8, 9, 0][..],
            &[2, 0][..],
            &[7][..],
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ][..],
            &[1, 3, 1, 1, 1][..],
            &[0, 2, 3, 0xff, 0xff, 0xff][..],
        ] {
            assert!(decode_frame(bad).is_err(), "{bad:?}");
        }
        let mut trailing = frame.clone();
        trailing.push(0);
        assert!(decode_frame(&trailing).is_err());
    }

    #[test]
    fn oversized_frames_are_refused_before_parsing() {
        let big = vec![0u8; MAX_FRAME_BYTES + 1];
        assert!(matches!(
            decode_frame(&big),
            Err(SyncError::TooLarge { .. })
        ));
    }

    #[test]
    fn awareness_with_non_json_state_is_refused() {
        let aw = AwarenessUpdate {
            clients: HashMap::from([(
                yrs::block::ClientID::new(7),
                yrs::sync::awareness::AwarenessUpdateEntry {
                    clock: 1,
                    json: "{not json".into(),
                },
            )]),
        }
        .encode_v1();
        assert!(matches!(
            decode_frame(&encode_awareness(&aw)),
            Err(SyncError::BadAwareness(_))
        ));
    }

    #[test]
    fn length_bomb_update_is_refused_without_allocating() {
        // An update claiming 2^40 clients, then 2^40 structs: a few bytes asking for terabytes.
        let mut bomb = Vec::new();
        write_var(&mut bomb, 1 << 40);
        write_var(&mut bomb, 1 << 40);
        write_var(&mut bomb, 1);
        write_var(&mut bomb, 0);
        while bomb.len() < 21 {
            bomb.push(0xff);
        }
        assert!(check_update(&bomb).is_err());
        // The same bomb inside a frame, and a frame whose own length prefix lies.
        assert!(decode_frame(&encode_update(&bomb)).is_err());
        let mut lying = vec![0u8, 2];
        write_var(&mut lying, 1 << 40);
        lying.extend([0u8; 8]);
        assert!(decode_frame(&lying).is_err());
        // A 21-byte frame of the classic shape: [0, 0, 0xff …].
        let mut classic = vec![0u8, 0];
        classic.extend([0xffu8; 18]);
        classic.push(0x0f);
        assert_eq!(classic.len(), 21);
        assert!(decode_frame(&classic).is_err());
        // The fuzzer's find: 7 bytes claiming ~2^32 clients, and a 2^28 variant.
        assert!(check_update(&[0xff, 0xff, 0xff, 0xff, 0x0f, 2, 0]).is_err());
        let mut medium = Vec::new();
        write_var(&mut medium, 1 << 28);
        medium.extend([0u8; 4]);
        assert!(check_update(&medium).is_err());
        // A state vector claiming 2^40 entries.
        let mut sv = Vec::new();
        write_var(&mut sv, 1 << 40);
        let mut frame = vec![0u8, 0];
        write_var(&mut frame, sv.len() as u64);
        frame.extend(&sv);
        assert!(decode_frame(&frame).is_err());
    }

    #[test]
    fn merged_updates_equal_applying_each() {
        let a = Doc::new();
        let parts = [
            text_update(&a, "one "),
            text_update(&a, "two "),
            text_update(&a, "three"),
        ];
        let merged = merge_updates(&parts).unwrap();
        let b = Doc::new();
        let t = b.get_or_insert_text("t");
        b.transact_mut()
            .apply_update(Update::decode_v1(&merged).unwrap())
            .unwrap();
        assert_eq!(t.get_string(&b.transact()), "one two three");
    }

    #[test]
    fn a_window_of_edits_and_cursors_merges_into_one_update_and_one_awareness() {
        let a = Doc::new();
        let updates: Vec<Vec<u8>> = (0..10).map(|i| text_update(&a, &format!("{i}"))).collect();
        let client = yrs::block::ClientID::new(1);
        let cursors: Vec<Vec<u8>> = [3u32, 5, 4]
            .into_iter()
            .map(|clock| {
                AwarenessUpdate {
                    clients: HashMap::from([(
                        client,
                        yrs::sync::awareness::AwarenessUpdateEntry {
                            clock,
                            json: format!("{{\"c\":{clock}}}").into(),
                        },
                    )]),
                }
                .encode_v1()
            })
            .collect();
        let b = Doc::new();
        let t = b.get_or_insert_text("t");
        let merged = merge_updates(&updates).unwrap();
        b.transact_mut()
            .apply_update(Update::decode_v1(&merged).unwrap())
            .unwrap();
        assert_eq!(t.get_string(&b.transact()), "0123456789");
        let aw = decode_awareness(&merge_awareness(&cursors).unwrap()).unwrap();
        assert_eq!(aw.clients[&client].clock, 5, "the newest state wins");
    }
}
