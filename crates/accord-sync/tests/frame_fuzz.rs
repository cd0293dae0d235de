//! Fuzz-style test on stable Rust: random and mutated-valid frames into a room.
//!
//! The cargo-fuzz target (`fuzz/`) explores far more, but needs nightly; this
//! deterministic run keeps the same properties checked on every `cargo test`:
//! nothing panics, a refused frame leaves the document unchanged, a
//! read-only connection never changes it, and what is persisted replays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use accord_domain::document::DocumentKind;
use accord_sync::protocol::{self, encode_awareness, encode_sync_step1, encode_update};
use accord_sync::template::initial_update;
use accord_sync::{Access, ConnId, DocRoom};
use yrs::block::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Doc, ReadTxn, StateVector, Text, Transact, WriteTxn, XmlElementPrelim, XmlFragment,
    XmlTextPrelim,
};

/// xorshift64*: deterministic, so a failure reproduces from its iteration number.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Real frames of every kind, as TipTap clients would send them.
fn valid_frames(rng: &mut Rng) -> Vec<Vec<u8>> {
    let doc = Doc::new();
    let template = initial_update(DocumentKind::Programme, accord_domain::polls::Lang::En);
    doc.transact_mut()
        .apply_update(yrs::Update::decode_v1(&template).unwrap())
        .unwrap();
    let mut frames = vec![
        encode_sync_step1(&doc.transact().state_vector()),
        protocol::encode_query_awareness(),
    ];
    for i in 0..40 {
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let frag = txn.get_or_insert_xml_fragment("default");
        let n = frag.len(&txn);
        match i % 4 {
            0 => {
                let p = frag.insert(&mut txn, n, XmlElementPrelim::empty("paragraph"));
                p.insert(&mut txn, 0, XmlTextPrelim::new(format!("para {i}")));
            }
            1 => {
                let p = frag.insert(
                    &mut txn,
                    rng.below(n as usize + 1) as u32,
                    XmlElementPrelim::empty("paragraph"),
                );
                let t = p.insert(&mut txn, 0, XmlTextPrelim::new(""));
                let bold: Attrs =
                    HashMap::from([(Arc::<str>::from("bold"), Any::Map(Arc::new(HashMap::new())))]);
                t.insert_with_attributes(&mut txn, 0, "bold text", bold);
            }
            2 if n > 2 => {
                frag.remove_range(&mut txn, rng.below(n as usize - 1) as u32, 1);
            }
            _ => {
                let l = frag.insert(&mut txn, n, XmlElementPrelim::empty("bulletList"));
                let li = l.insert(&mut txn, 0, XmlElementPrelim::empty("listItem"));
                let p = li.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
                p.insert(&mut txn, 0, XmlTextPrelim::new("item"));
            }
        }
        let update = txn.encode_diff_v1(&before);
        drop(txn);
        frames.push(encode_update(&update));
        if i % 10 == 0 {
            frames.push(protocol::encode_sync_step2(
                &doc.transact()
                    .encode_state_as_update_v1(&StateVector::default()),
            ));
        }
        let aw = AwarenessUpdate {
            clients: HashMap::from([(
                ClientID::new(rng.next() % 1000),
                AwarenessUpdateEntry {
                    clock: i,
                    json: format!("{{\"user\":{{\"name\":\"u{i}\"}},\"cursor\":{i}}}").into(),
                },
            )]),
        };
        frames.push(encode_awareness(&aw.encode_v1()));
    }
    frames
}

fn mutate(rng: &mut Rng, frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !f.is_empty() => {
                let i = rng.below(f.len());
                f[i] ^= 1 << rng.below(8);
            }
            1 if !f.is_empty() => {
                let i = rng.below(f.len());
                f[i] = rng.next() as u8;
            }
            2 => f.truncate(rng.below(f.len() + 1)),
            3 => {
                let i = rng.below(f.len() + 1);
                f.insert(i, rng.next() as u8);
            }
            4 if f.len() > 3 => {
                // Inflate a length-prefix-looking byte into a huge varint.
                let i = 2 + rng.below(f.len() - 2);
                f.splice(i..i, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
            5 if !f.is_empty() => {
                let i = rng.below(f.len());
                f.remove(i);
            }
            _ => {
                let extra: Vec<u8> = (0..rng.below(8)).map(|_| rng.next() as u8).collect();
                f.extend(extra);
            }
        }
    }
    f
}

fn fresh_room() -> DocRoom {
    DocRoom::load(
        Some(&initial_update(
            DocumentKind::Programme,
            accord_domain::polls::Lang::En,
        )),
        Vec::<Vec<u8>>::new(),
    )
    .unwrap()
}

#[test]
fn twenty_thousand_random_and_mutated_frames() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let corpus = valid_frames(&mut rng);
    let (writer, reader) = (ConnId(1), ConnId(2));
    let mut room = fresh_room();
    room.connect(writer, Access::ReadWrite);
    room.connect(reader, Access::ReadOnly);
    let mut persisted: Vec<Vec<u8>> = Vec::new();
    let base = room.snapshot();
    let (mut accepted, mut refused, mut reloads) = (0u32, 0u32, 0u32);

    for i in 0..20_000u32 {
        let frame = match rng.below(10) {
            0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
            1 => corpus[rng.below(corpus.len())].clone(),
            _ => {
                let pick = rng.below(corpus.len());
                mutate(&mut rng, &corpus[pick])
            }
        };
        let conn = if rng.below(4) == 0 { reader } else { writer };
        let before = room.snapshot();
        match room.apply(conn, &frame) {
            Ok(applied) => {
                accepted += 1;
                if conn == reader {
                    assert!(applied.persist.is_none(), "iteration {i}");
                    assert_eq!(room.snapshot(), before, "read-only changed the doc at {i}");
                }
                if let Some(p) = applied.persist {
                    persisted.push(p);
                }
            }
            Err(_) if room.is_poisoned() => {
                // What the server does: reload from what was persisted.
                reloads += 1;
                room = DocRoom::load(Some(&base), &persisted).unwrap();
                room.connect(writer, Access::ReadWrite);
                room.connect(reader, Access::ReadOnly);
            }
            Err(_) => {
                refused += 1;
                assert_eq!(
                    room.snapshot(),
                    before,
                    "refused frame changed the doc at {i}"
                );
            }
        }
        if i % 1000 == 0 {
            let doc = room.render();
            let _ = (doc.to_markdown(), doc.to_html());
        }
    }
    // The log of persisted updates rebuilds exactly the live document.
    let replay = DocRoom::load(Some(&base), &persisted).unwrap();
    assert_eq!(replay.render(), room.render());
    assert!(
        accepted > 1000 && refused > 1000,
        "accepted {accepted}, refused {refused}"
    );
    eprintln!(
        "accepted {accepted}, refused {refused}, reloads {reloads}, persisted {}",
        persisted.len()
    );
}

#[test]
fn length_bombs_in_every_position() {
    let mut room = fresh_room();
    room.connect(ConnId(1), Access::ReadWrite);
    let before = room.snapshot();
    let huge = [0xffu8, 0xff, 0xff, 0xff, 0xff, 0x1f]; // ~2^40 as a varint
    let prefixes: [&[u8]; 5] = [&[0, 0], &[0, 1], &[0, 2], &[1], &[0, 2, 21]];
    for prefix in prefixes {
        for fill in [0x00u8, 0x01, 0xff] {
            let mut frame = prefix.to_vec();
            frame.extend(huge);
            frame.extend(huge);
            frame.extend(std::iter::repeat_n(fill, 21));
            assert!(room.apply(ConnId(1), &frame).is_err(), "{frame:?}");
        }
    }
    assert_eq!(room.snapshot(), before);
    assert!(!room.is_poisoned());
}
