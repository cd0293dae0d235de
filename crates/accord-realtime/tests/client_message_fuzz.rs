//! Fuzz-style test on stable Rust for the event socket's client messages:
//! valid messages, mutated byte by byte, and random text through
//! `decode_client` and ballot validation. The cargo-fuzz target
//! (`fuzz/fuzz_targets/event_message.rs`) explores far more but needs
//! nightly; this deterministic run keeps "never panics" checked on every
//! `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_domain::polls::{
    validate_ballot, Poll, PollKind, PollOption, PollStatus, ResultsVisibility,
};
use accord_realtime::wire::{decode_client, ClientMsg, MAX_CLIENT_MESSAGE};

/// xorshift64*: a failure reproduces from its iteration number.
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

fn poll(kind: PollKind) -> Poll {
    Poll {
        id: "p".into(),
        roundtable_id: "rt".into(),
        question: "Q?".into(),
        kind,
        max_choices: (kind == PollKind::Multiple).then_some(2),
        scale_min: (kind == PollKind::Rating).then_some(1),
        scale_max: (kind == PollKind::Rating).then_some(5),
        options: (0..4)
            .filter(|_| kind.has_options())
            .map(|i| PollOption {
                id: format!("opt-{i}"),
                position: i,
                label: format!("O{i}"),
            })
            .collect(),
        secret: false,
        audience: true,
        results: ResultsVisibility::Live,
        status: PollStatus::Open,
        created_by: "u".into(),
        created_at: 0,
        opened_at: Some(0),
        closed_at: None,
        subject: None,
    }
}

const SEEDS: &[&str] = &[
    r#"{"type":"subscribe","room":"roundtable:3f2c"}"#,
    r#"{"type":"unsubscribe","room":"roundtable:3f2c"}"#,
    r#"{"type":"vote","poll_id":"p","choices":["opt-0","opt-1"]}"#,
    r#"{"type":"vote","poll_id":"p","rating":4}"#,
    r#"{"type":"vote","poll_id":"p","ranking":["opt-2","opt-0"]}"#,
    r#"{"type":"vote","poll_id":"p","text":"mentoring og tid"}"#,
    r#"{"type":"ping"}"#,
];

#[test]
fn twenty_thousand_hostile_messages_never_panic() {
    let polls: Vec<Poll> = PollKind::ALL.iter().map(|k| poll(*k)).collect();
    let mut rng = Rng(0x5eed_0fac_c04d);
    let mut decoded = 0;
    for i in 0..20_000 {
        let mut bytes = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
        match rng.below(6) {
            // Well-formed votes with hostile values: what reaches the validators.
            4 | 5 => {
                let id = |rng: &mut Rng| match rng.below(3) {
                    0 => format!("opt-{}", rng.below(6)),
                    1 => "\\u0000".to_owned(),
                    _ => "x".repeat(rng.below(300)),
                };
                let ids: Vec<String> = (0..rng.below(8))
                    .map(|_| format!("\"{}\"", id(&mut rng)))
                    .collect();
                let n = rng.next() as i64;
                bytes = match rng.below(4) {
                    0 => format!(
                        r#"{{"type":"vote","poll_id":"p","choices":[{}]}}"#,
                        ids.join(",")
                    ),
                    1 => format!(r#"{{"type":"vote","poll_id":"p","rating":{}}}"#, n % 20),
                    2 => format!(
                        r#"{{"type":"vote","poll_id":"p","ranking":[{}],"rating":{n}}}"#,
                        ids.join(",")
                    ),
                    _ => format!(
                        r#"{{"type":"vote","poll_id":"p","text":"{}"}}"#,
                        "å ".repeat(rng.below(200))
                    ),
                }
                .into_bytes();
            }
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
            }
            1 => bytes.truncate(rng.below(bytes.len())),
            2 => {
                let at = rng.below(bytes.len());
                let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, junk);
            }
            _ => bytes = (0..rng.below(256)).map(|_| rng.next() as u8).collect(),
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(msg) = decode_client(text) {
            decoded += 1;
            if let ClientMsg::Vote { ballot, .. } = msg {
                for p in &polls {
                    let _ = validate_ballot(p, &ballot);
                }
            }
        }
        assert!(i < 20_000);
    }
    assert!(
        decoded > 1_000,
        "the mutations still reach the validators ({decoded})"
    );
    // The size limit holds before any parsing.
    assert!(decode_client(&"[".repeat(MAX_CLIENT_MESSAGE + 1)).is_err());
    // Deep nesting within the limit is an error, not a stack overflow.
    assert!(decode_client(&"[".repeat(MAX_CLIENT_MESSAGE)).is_err());
}
