//! Documents and their update log, run against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use accord_domain::document::DocumentKind;
use accord_store::testing::{fresh_store, seed_document};
use accord_store::{DocumentLog, Store, StoreError};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(s) = super::store(false).await { super::$name(s).await } })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(s) = super::store(true).await { super::$name(s).await } })*
        }
    };
}

on_both_backends!(
    document_metadata,
    append_and_load,
    compaction_folds_a_prefix,
    compaction_concurrent_with_appends_loses_nothing,
    concurrent_appends_get_distinct_seqs,
);

async fn store(postgres: bool) -> Option<Store> {
    fresh_store(postgres).await.expect("connect and migrate")
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn setup(s: &Store, initial: Option<&[u8]>) -> (String, String) {
    seed_document(s, initial).await.expect("seed document")
}

/// The update payloads a log stands for; snapshots in these tests are the
/// concatenation of the one-byte-tagged payloads they fold.
fn payloads(log: &DocumentLog) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    if let Some(s) = &log.snapshot {
        for chunk in s.data.chunks(8) {
            out.insert(chunk.to_vec());
        }
    }
    for u in &log.updates {
        out.insert(u.data.clone());
    }
    out
}

fn payload(n: u64) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

async fn document_metadata(s: Store) {
    let (rt, doc) = setup(&s, Some(b"template")).await;
    let got = s.document(&doc).await.unwrap().expect("found");
    assert_eq!(got.kind, DocumentKind::Programme);
    assert_eq!(got.last_seq, 1);
    assert!(!got.archived);
    assert!(s.rename_document(&doc, "Programme 2027").await.unwrap());
    assert!(!s.rename_document(&id(), "x").await.unwrap());
    assert_eq!(
        s.document(&doc).await.unwrap().unwrap().title,
        "Programme 2027"
    );
    assert_eq!(s.documents_of(&rt, false).await.unwrap().len(), 1);
    assert!(s
        .set_document_archived(&doc, true, &accord_domain::audit::Actor::system(), 1)
        .await
        .unwrap());
    assert!(s.documents_of(&rt, false).await.unwrap().is_empty());
    let all = s.documents_of(&rt, true).await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].archived);
    assert!(s.document(&id()).await.unwrap().is_none());
    let log = s.load_document(&doc).await.unwrap();
    assert_eq!(log.updates.len(), 1);
    assert_eq!(log.updates[0].seq, 1);
    assert_eq!(log.updates[0].data, b"template");
}

async fn append_and_load(s: Store) {
    let (_, doc) = setup(&s, None).await;
    assert_eq!(s.load_document(&doc).await.unwrap(), DocumentLog::default());
    assert_eq!(s.append_document_update(&doc, b"a", 30).await.unwrap(), 1);
    assert_eq!(s.append_document_update(&doc, b"b", 31).await.unwrap(), 2);
    let seqs = s
        .append_document_updates(&doc, &[b"c", b"d", b"e"], 32)
        .await
        .unwrap();
    assert_eq!(seqs, vec![3, 4, 5]);
    assert!(s
        .append_document_updates(&doc, &[], 32)
        .await
        .unwrap()
        .is_empty());
    let log = s.load_document(&doc).await.unwrap();
    let data: Vec<&[u8]> = log.parts().collect();
    assert_eq!(data, vec![&b"a"[..], b"b", b"c", b"d", b"e"]);
    assert_eq!(log.last_seq(), 5);
    let since = s.document_updates_since(&doc, 3).await.unwrap();
    assert_eq!(
        since.updates.iter().map(|u| u.seq).collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!(since.snapshot.is_none());
    assert!(matches!(
        s.append_document_update(&id(), b"x", 1).await,
        Err(StoreError::NotFound("document"))
    ));
    // Large binary payloads (every byte value) survive the round trip.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let seq = s.append_document_update(&doc, &big, 33).await.unwrap();
    let log = s.document_updates_since(&doc, seq - 1).await.unwrap();
    assert_eq!(log.updates[0].data, big);
}

async fn compaction_folds_a_prefix(s: Store) {
    let (_, doc) = setup(&s, None).await;
    for n in 1..=5 {
        s.append_document_update(&doc, &payload(n), 30)
            .await
            .unwrap();
    }
    let log = s.load_document(&doc).await.unwrap();
    let snap: Vec<u8> = log.parts().flatten().copied().collect();
    assert!(s
        .compact_document(&doc, log.last_seq(), &snap, 40)
        .await
        .unwrap());
    s.append_document_update(&doc, &payload(6), 41)
        .await
        .unwrap();
    let after = s.load_document(&doc).await.unwrap();
    assert_eq!(after.snapshot.as_ref().unwrap().up_to_seq, 5);
    assert_eq!(after.updates.len(), 1);
    assert_eq!(after.updates[0].seq, 6);
    assert_eq!(payloads(&after), (1..=6).map(payload).collect());
    // An older compaction arriving late changes nothing.
    assert!(!s.compact_document(&doc, 3, b"stale", 42).await.unwrap());
    assert_eq!(s.load_document(&doc).await.unwrap(), after);
    // A node that had seen up to 2 must take the snapshot; one past it need not.
    let gap = s.document_updates_since(&doc, 2).await.unwrap();
    assert!(gap.snapshot.is_some());
    assert_eq!(payloads(&gap), (1..=6).map(payload).collect());
    let caught_up = s.document_updates_since(&doc, 5).await.unwrap();
    assert!(caught_up.snapshot.is_none());
    assert_eq!(caught_up.updates.len(), 1);
    // Seqs keep growing after the log was emptied.
    let log = s.load_document(&doc).await.unwrap();
    let snap: Vec<u8> = log.parts().flatten().copied().collect();
    assert!(s.compact_document(&doc, 6, &snap, 43).await.unwrap());
    assert!(s.load_document(&doc).await.unwrap().updates.is_empty());
    assert_eq!(
        s.append_document_update(&doc, &payload(7), 44)
            .await
            .unwrap(),
        7
    );
    // Nonsense bounds are refused.
    assert!(s.compact_document(&doc, 99, b"x", 45).await.is_err());
    assert!(matches!(
        s.compact_document(&id(), 1, b"x", 45).await,
        Err(StoreError::NotFound("document"))
    ));
}

async fn compaction_concurrent_with_appends_loses_nothing(s: Store) {
    let (_, doc) = setup(&s, None).await;
    const N: u64 = 300;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let done = done.clone();
        let s = s.clone();
        let doc = doc.clone();
        tokio::spawn(async move {
            for n in 1..=N {
                if n % 10 == 0 {
                    let batch = [payload(n * 1000), payload(n * 1000 + 1)];
                    let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
                    s.append_document_updates(&doc, &refs, 50).await.unwrap();
                } else {
                    s.append_document_update(&doc, &payload(n), 50)
                        .await
                        .unwrap();
                }
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let compactor = {
        let s = s.clone();
        let doc = doc.clone();
        tokio::spawn(async move {
            let mut compactions = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let log = s.load_document(&doc).await.unwrap();
                if !log.updates.is_empty() {
                    let snap: Vec<u8> = log.parts().flatten().copied().collect();
                    if s.compact_document(&doc, log.last_seq(), &snap, 60)
                        .await
                        .unwrap()
                    {
                        compactions += 1;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
            compactions
        })
    };
    writer.await.unwrap();
    let compactions = compactor.await.unwrap();
    assert!(compactions > 0, "the compactor never ran during the writes");
    let expected: BTreeSet<Vec<u8>> = (1..=N)
        .flat_map(|n| {
            if n % 10 == 0 {
                vec![payload(n * 1000), payload(n * 1000 + 1)]
            } else {
                vec![payload(n)]
            }
        })
        .collect();
    let log = s.load_document(&doc).await.unwrap();
    assert_eq!(payloads(&log), expected);
    assert_eq!(log.last_seq(), (N + N / 10) as i64);
}

async fn concurrent_appends_get_distinct_seqs(s: Store) {
    let (_, doc) = setup(&s, None).await;
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let s = s.clone();
        let doc = doc.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for n in 0..25u64 {
                seqs.push(
                    s.append_document_update(&doc, &payload(w * 100 + n), 70)
                        .await
                        .unwrap(),
                );
            }
            seqs
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        for seq in t.await.unwrap() {
            assert!(all.insert(seq), "seq {seq} handed out twice");
        }
    }
    assert_eq!(all, (1..=100).collect());
    let log = s.load_document(&doc).await.unwrap();
    assert_eq!(log.updates.len(), 100);
    assert!(log.updates.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
}
