//! Arbitrary bytes into the event socket's client-message decoder, then
//! through what the server does with a decoded vote before it reaches the
//! store: ballot validation against polls of every kind. Nothing may panic.
#![no_main]

use accord_domain::polls::{validate_ballot, Poll, PollKind, PollOption, PollStatus, ResultsVisibility};
use accord_realtime::wire::{decode_client, ClientMsg};
use libfuzzer_sys::fuzz_target;

fn poll(kind: PollKind) -> Poll {
    Poll {
        id: "p".into(),
        roundtable_id: "rt".into(),
        question: "Q?".into(),
        kind,
        max_choices: (kind == PollKind::Multiple).then_some(2),
        scale_min: (kind == PollKind::Rating).then_some(1),
        scale_max: (kind == PollKind::Rating).then_some(5),
        options: if kind.has_options() {
            (0..4)
                .map(|i| PollOption { id: format!("opt-{i}"), position: i, label: format!("O{i}") })
                .collect()
        } else {
            Vec::new()
        },
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

fuzz_target!(|data: &[u8]| {
    // The socket only hands over text frames, which tungstenite has checked are UTF-8.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ClientMsg::Vote { ballot, .. }) = decode_client(text) {
        for kind in PollKind::ALL {
            let _ = validate_ballot(&poll(*kind), &ballot);
        }
    }
});
