//! Arbitrary bytes into the y-websocket frame decoder and the room.
//!
//! The first byte picks how the rest is used, so one target covers the
//! frame decoder, update decoding and integration (as a writer, as a
//! read-only observer, as a peer node), merging and rendering. Nothing may
//! panic or abort, and a refused frame must leave the document unchanged.
#![no_main]

use accord_domain::document::DocumentKind;
use accord_sync::protocol::{check_update, decode_frame, merge_awareness, merge_updates};
use accord_sync::template::initial_update;
use accord_sync::{Access, ConnId, DocRoom};
use libfuzzer_sys::fuzz_target;

/// A room holding the programme template, so fuzzed updates meet real structure.
fn seeded_room() -> DocRoom {
    let template = initial_update(DocumentKind::Programme);
    match DocRoom::load(Some(&template), Vec::<Vec<u8>>::new()) {
        Ok(room) => room,
        Err(e) => panic!("template does not load: {e}"),
    }
}

/// libfuzzer-sys aborts on every panic, even one our guards catch. The API
/// promise is "no panic escapes", so panics are left to unwind: one that
/// escapes still reaches libfuzzer-sys' own catch and counts as a crash.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fuzz_target!(|data: &[u8]| {
    quiet_panics();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 6 {
        0 | 1 => {
            let mut room = seeded_room();
            let access = if mode % 6 == 0 {
                Access::ReadWrite
            } else {
                Access::ReadOnly
            };
            room.connect(ConnId(1), access);
            let before = room.snapshot();
            match room.apply(ConnId(1), rest) {
                Ok(applied) => {
                    if access == Access::ReadOnly {
                        assert!(applied.persist.is_none());
                        assert_eq!(
                            room.snapshot(),
                            before,
                            "read-only frame changed the document"
                        );
                    }
                    // What we would persist must replay to the same document.
                    if let Some(update) = &applied.persist {
                        if !room.is_poisoned() {
                            let replay = DocRoom::load(Some(&before), [update])
                                .expect("a persisted update must replay");
                            let _ = replay.render();
                        }
                    }
                }
                Err(_) => {
                    if !room.is_poisoned() {
                        assert_eq!(
                            room.snapshot(),
                            before,
                            "refused frame changed the document"
                        );
                    }
                }
            }
            if !room.is_poisoned() {
                let doc = room.render();
                let _ = doc.to_markdown();
                let _ = doc.to_html();
            }
            let _ = room.disconnect(ConnId(1));
        }
        2 => {
            // As an update from a peer node or the store.
            let mut room = seeded_room();
            let _ = room.apply_remote_update(rest);
            if !room.is_poisoned() {
                let _ = room.render().to_markdown();
            }
        }
        3 => {
            // Split into two updates and merge them.
            let cut = rest
                .first()
                .map(|&b| b as usize)
                .unwrap_or(0)
                .min(rest.len());
            let (a, b) = rest.split_at(cut);
            if check_update(a).is_ok() && check_update(b).is_ok() {
                let _ = merge_updates(&[a.to_vec(), b.to_vec()]);
            }
        }
        4 => {
            let _ = merge_awareness(&[rest.to_vec()]);
            let _ = decode_frame(rest);
        }
        _ => {
            // Loading a stored log that is corrupt must fail cleanly.
            let _ = DocRoom::load(Some(rest), Vec::<Vec<u8>>::new());
        }
    }
});
