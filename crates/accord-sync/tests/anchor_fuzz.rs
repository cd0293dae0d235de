//! Fuzz-style test on stable Rust for the comment-anchor decoder (the
//! cargo-fuzz target `comment_anchor` explores more): random bytes and
//! mutated real anchors never panic; each gives a quote or an error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_domain::document::DocumentKind;
use accord_sync::anchors::AnchorIndex;
use accord_sync::template::initial_update;
use accord_sync::version::load_state;
use yrs::updates::encoder::Encode;
use yrs::{Assoc, IndexedSequence, ReadTxn, Transact, XmlFragment, XmlOut};

/// xorshift64*: deterministic, so a failure reproduces from its iteration number.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn random_and_mutated_anchors_never_panic() {
    let doc = load_state(&initial_update(
        DocumentKind::Programme,
        accord_domain::polls::Lang::En,
    ))
    .unwrap();
    // Real anchors into the template's first text, to mutate.
    let real: Vec<Vec<u8>> = {
        let txn = doc.transact();
        let f = txn.get_xml_fragment("default").unwrap();
        let mut out = Vec::new();
        for i in 0..f.len(&txn) {
            if let Some(XmlOut::Element(el)) = f.get(&txn, i) {
                if let Some(XmlOut::Text(t)) = el.get(&txn, 0) {
                    for (at, assoc) in [(0, Assoc::After), (3, Assoc::Before)] {
                        if let Some(s) = t.sticky_index(&txn, at, assoc) {
                            out.push(s.encode_v1());
                        }
                    }
                }
            }
        }
        out
    };
    assert!(!real.is_empty());
    let index = AnchorIndex::new(&doc);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..20_000u64 {
        let pick = |rng: &mut Rng| -> Vec<u8> {
            if rng.next().is_multiple_of(3) {
                let n = (rng.next() % 24) as usize;
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                let mut b = real[(rng.next() % real.len() as u64) as usize].clone();
                let flips = 1 + rng.next() % 3;
                for _ in 0..flips {
                    let at = (rng.next() % (b.len() as u64 + 1)) as usize;
                    match rng.next() % 3 {
                        0 if at < b.len() => b[at] = rng.next() as u8,
                        1 => b.insert(at.min(b.len()), rng.next() as u8),
                        _ => b.truncate(at),
                    }
                }
                b
            }
        };
        let (start, end) = (pick(&mut rng), pick(&mut rng));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = index.resolve(&start, &end);
        }));
        assert!(
            outcome.is_ok(),
            "iteration {i}: {start:?} / {end:?} panicked"
        );
    }
}
