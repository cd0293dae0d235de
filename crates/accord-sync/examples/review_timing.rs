//! Rough timings of the review functions on a long, much-edited document
//! (300 blocks, about 30,000 words, three authors' interleaved edits and
//! deletions). A benchmark, not a test: it prints and asserts nothing about time.
//! `cargo run -p accord-sync --release --example review_timing`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use accord_sync::anchors::AnchorIndex;
use accord_sync::diff::diff;
use accord_sync::render::FRAGMENT;
use accord_sync::version::{load_state, restore_update, VersionContent};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Assoc, ClientID, Doc, IndexedSequence, Number, OffsetKind, Options, ReadTxn, StateVector,
    Text, Transact, Update, Xml, XmlElementPrelim, XmlFragment, XmlOut, XmlTextPrelim, XmlTextRef,
};

const WORDS: &[&str] = &[
    "training",
    "operators",
    "safety",
    "union",
    "management",
    "budget",
    "the",
    "and",
    "of",
    "skills",
    "programme",
    "æøå",
    "workforce",
    "outcomes",
    "delivery",
    "partner",
    "time",
];

fn words(seed: usize, n: usize) -> String {
    (0..n)
        .map(|i| WORDS[(seed * 31 + i * 7 + i / 3) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn doc(client: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(client),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

fn state(d: &Doc) -> Vec<u8> {
    d.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

fn apply(d: &Doc, u: &[u8]) {
    d.transact_mut()
        .apply_update(Update::decode_v1(u).unwrap())
        .unwrap();
}

fn texts(d: &Doc) -> Vec<XmlTextRef> {
    let f = d.get_or_insert_xml_fragment(FRAGMENT);
    let txn = d.transact();
    f.children(&txn)
        .filter_map(|c| match c {
            XmlOut::Element(el) => match el.get(&txn, 0) {
                Some(XmlOut::Text(t)) => Some(t),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn main() {
    let base = doc(1);
    let f = base.get_or_insert_xml_fragment(FRAGMENT);
    {
        let mut txn = base.transact_mut();
        for i in 0..300u32 {
            let (tag, text) = if i % 10 == 0 {
                ("heading", words(i as usize, 4))
            } else {
                ("paragraph", words(i as usize, 110))
            };
            let el = f.insert(&mut txn, i, XmlElementPrelim::empty(tag));
            if tag == "heading" {
                el.insert_attribute(&mut txn, "level", Any::Number(Number::Int(2)));
            }
            el.insert(&mut txn, 0, XmlTextPrelim::new(text));
        }
    }
    // Three authors edit word by word, deleting as they go.
    let merged = doc(9);
    apply(&merged, &state(&base));
    for client in [2u64, 3, 4] {
        let d = doc(client);
        apply(&d, &state(&base));
        for (n, t) in texts(&d).iter().enumerate() {
            if n % 3 != (client as usize) % 3 {
                continue;
            }
            for k in 0..20u32 {
                let mut txn = d.transact_mut();
                let len = t.len(&txn);
                let at = (k * 37 + client as u32 * 11) % len.max(1);
                t.insert(&mut txn, at, " new");
                if k % 4 == 0 && len > at + 12 {
                    t.remove_range(&mut txn, at + 6, 3);
                }
            }
        }
        apply(&merged, &state(&d));
    }
    let current = load_state(&state(&merged)).unwrap();

    let t = Instant::now();
    let v = VersionContent::of(&current);
    println!(
        "VersionContent::of: {:?} ({} words, {} bytes of state)",
        t.elapsed(),
        v.words,
        v.state.len()
    );

    let from = load_state(&VersionContent::of(&base).state).unwrap();
    let t = Instant::now();
    let d = diff(&from, &current);
    println!(
        "diff: {:?} ({} blocks, {} changed, +{} -{} words)",
        t.elapsed(),
        d.blocks.len(),
        d.stats.changed_blocks,
        d.stats.inserted_words,
        d.stats.deleted_words
    );

    let t = Instant::now();
    let update = restore_update(&current, &from).unwrap();
    println!("restore_update: {:?} ({} bytes)", t.elapsed(), update.len());

    // 1,000 anchors spread over the document, made on the base.
    let base_texts = texts(&base);
    let anchors: Vec<(Vec<u8>, Vec<u8>)> = {
        let txn = base.transact();
        (0..1000)
            .map(|i| {
                let t = &base_texts[(i * 7) % base_texts.len()];
                let len = t.len(&txn);
                let a = (i as u32 * 13) % (len / 2).max(1);
                let s = t.sticky_index(&txn, a, Assoc::Before).unwrap().encode_v1();
                let e = t
                    .sticky_index(&txn, a + len / 4, Assoc::Before)
                    .unwrap()
                    .encode_v1();
                (s, e)
            })
            .collect()
    };
    let t = Instant::now();
    let index = AnchorIndex::new(&current);
    let built = t.elapsed();
    let mut quoted = 0;
    for (s, e) in &anchors {
        quoted += index.resolve(s, e).unwrap().quote.len();
    }
    println!(
        "AnchorIndex::new: {built:?}; with 1,000 resolves: {:?} ({quoted} bytes quoted)",
        t.elapsed()
    );
}
