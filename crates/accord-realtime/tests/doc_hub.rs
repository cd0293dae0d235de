//! The document worker: edits arriving together are stored as one row and
//! reach every other connection as one update frame, and nothing is lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_realtime::bus::Bus;
use accord_realtime::docs::{DocConnection, DocHub, Outgoing};
use accord_realtime::protocol::{encode_update, merge_updates};
use accord_realtime::{decode_frame, Access, DocRoom, Frame};
use accord_store::testing::{fresh_store, seed_document};
use std::time::Duration;
use yrs::{Doc, GetString, ReadTxn, Text, Transact};

/// Frames the connection has been sent so far, waiting up to `quiet` for more.
async fn received(conn: &mut DocConnection, quiet: Duration) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Ok(Some(o)) = tokio::time::timeout(quiet, conn.outgoing.recv()).await {
        match o {
            Outgoing::Frame(bytes) => out.extend(decode_frame(&bytes).unwrap()),
            Outgoing::Close(code, reason) => panic!("closed {code}: {reason}"),
        }
    }
    out
}

fn edit(doc: &Doc, s: &str) -> Vec<u8> {
    let text = doc.get_or_insert_text("t");
    let mut txn = doc.transact_mut();
    let before = txn.state_vector();
    let len = text.len(&txn);
    text.insert(&mut txn, len, s);
    txn.encode_diff_v1(&before)
}

// One thread: every edit below is queued before the worker's next pass runs.
#[tokio::test(flavor = "current_thread")]
async fn edits_sent_together_are_one_row_and_one_frame() {
    let store = fresh_store(false).await.unwrap().unwrap();
    let (_, doc_id) = seed_document(&store, None).await.unwrap();
    let hub = DocHub::new(store.clone(), Bus::in_process());
    let a = hub.join(&doc_id, Access::ReadWrite, None).await.unwrap();
    let b = hub.join(&doc_id, Access::ReadWrite, None).await.unwrap();
    let mut watcher = hub.join(&doc_id, Access::ReadOnly, None).await.unwrap();
    received(&mut watcher, Duration::from_millis(100)).await;

    let (doc_a, doc_b) = (Doc::new(), Doc::new());
    let mut sent = Vec::new();
    for i in 0..20 {
        for (conn, doc, who) in [(&a, &doc_a, "a"), (&b, &doc_b, "b")] {
            let u = edit(doc, &format!("{who}{i} "));
            assert!(conn.send(encode_update(&u)).await);
            sent.push(u);
        }
    }

    let updates: Vec<Vec<u8>> = received(&mut watcher, Duration::from_millis(300))
        .await
        .into_iter()
        .filter_map(|f| match f {
            Frame::Update(u) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 1, "40 edits relayed as one merged frame");

    let log = store.load_document(&doc_id).await.unwrap();
    assert_eq!(log.updates.len(), 1, "40 edits stored as one row");
    let stored = DocRoom::load(None, log.updates.iter().map(|u| u.data.as_slice())).unwrap();
    let expected = DocRoom::load(None, [merge_updates(&sent).unwrap()]).unwrap();
    let text = |d: &Doc| d.get_or_insert_text("t").get_string(&d.transact());
    assert_eq!(text(stored.doc()), text(expected.doc()));
    let relayed = DocRoom::load(None, &updates).unwrap();
    assert_eq!(text(relayed.doc()), text(expected.doc()));
    for i in 0..20 {
        assert!(text(stored.doc()).contains(&format!("a{i} ")));
        assert!(text(stored.doc()).contains(&format!("b{i} ")));
    }
}

/// A client whose socket is closing (nothing can be sent to it any more)
/// still has its last frames applied: it is forgotten by its disconnect,
/// which comes after them, not as "too slow" the first time a frame for it
/// cannot be queued. Those frames were refused as "unknown connection".
#[tokio::test]
async fn frames_of_a_closing_connection_are_still_applied() {
    let store = fresh_store(false).await.unwrap().unwrap();
    let (_, doc_id) = seed_document(&store, None).await.unwrap();
    let hub = DocHub::new(store.clone(), Bus::in_process());
    let mut leaving = hub.join(&doc_id, Access::ReadWrite, None).await.unwrap();
    let mut watcher = hub.join(&doc_id, Access::ReadOnly, None).await.unwrap();
    received(&mut watcher, Duration::from_millis(100)).await;
    // The socket task is gone: what the worker sends it can no longer be queued.
    let (_, dangling) = tokio::sync::mpsc::channel(1);
    drop(std::mem::replace(&mut leaving.outgoing, dangling));

    let doc = Doc::new();
    let text = |frames: &[Frame]| {
        let room = DocRoom::load(
            None,
            frames.iter().filter_map(|f| match f {
                Frame::Update(u) => Some(u.clone()),
                _ => None,
            }),
        )
        .unwrap();
        let t = room.doc().get_or_insert_text("t");
        let s = t.get_string(&room.doc().transact());
        s
    };
    assert!(leaving.send(encode_update(&edit(&doc, "first "))).await);
    let mut seen = received(&mut watcher, Duration::from_millis(300)).await;
    assert_eq!(text(&seen), "first ");
    // The worker has tried to send the first edit back to `leaving` by now.
    assert!(leaving.send(encode_update(&edit(&doc, "last"))).await);
    seen.extend(received(&mut watcher, Duration::from_millis(300)).await);
    assert_eq!(
        text(&seen),
        "first last",
        "the last frame was applied and relayed"
    );
    drop(leaving);
    let log = store.load_document(&doc_id).await.unwrap();
    let stored = DocRoom::load(None, log.updates.iter().map(|u| u.data.as_slice())).unwrap();
    let t = stored.doc().get_or_insert_text("t");
    assert_eq!(t.get_string(&stored.doc().transact()), "first last");
}
