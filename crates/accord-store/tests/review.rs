//! Review: versions, client attribution and comment threads, run against
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use accord_domain::document::DocumentKind;
use accord_domain::Side;
use accord_store::testing::{fresh_store, seed_document};
use accord_store::{NewDocument, NewUser, NewVersion, Store, StoreError};

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
    versions_round_trip,
    versions_number_per_document,
    concurrent_versions_get_distinct_numbers,
    version_storage_bytes_counts_bytes,
    attribution_first_claimant_wins,
    attribution_round_trips_every_u64,
    attribution_survives_compaction,
    concurrent_claims_leave_one_owner,
);

async fn store(postgres: bool) -> Option<Store> {
    fresh_store(postgres).await.expect("connect and migrate")
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A roundtable with one document: (roundtable, document, its creator "Ann").
async fn setup(s: &Store) -> (String, String, String) {
    let (rt, doc) = seed_document(s, None).await.expect("seed document");
    let ann = s.document(&doc).await.unwrap().unwrap().created_by;
    (rt, doc, ann)
}

async fn user(s: &Store, name: &str) -> String {
    s.create_user(&NewUser {
        id: id(),
        email: format!("{}@example.org", id()),
        display_name: name.into(),
        password_hash: "$argon2id$fake".into(),
        created_at: 1,
    })
    .await
    .unwrap()
    .id
}

async fn another_document(s: &Store, rt: &str, by: &str) -> String {
    s.create_document(
        &NewDocument {
            id: id(),
            roundtable_id: rt.into(),
            title: "Recommendation".into(),
            kind: DocumentKind::Recommendation,
            created_by: by.into(),
            created_at: 21,
        },
        None,
    )
    .await
    .unwrap()
    .id
}

fn new_version(doc: &str, name: &str, by: Option<(&str, Side)>) -> NewVersion {
    NewVersion {
        id: id(),
        document_id: doc.into(),
        name: name.into(),
        note: None,
        auto: by.is_none(),
        created_by: by.map(|(u, _)| u.to_owned()),
        created_by_side: by.map(|(_, side)| side),
        created_at: 100,
        up_to_seq: 0,
        restored_from: None,
        sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        words: 0,
        state: vec![0, 0],
        tree: r#"{"blocks":[]}"#.into(),
        markdown: String::new(),
    }
}

async fn versions_round_trip(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    assert!(s.versions_of(&doc).await.unwrap().is_empty());
    assert!(s.latest_version(&doc).await.unwrap().is_none());

    let state: Vec<u8> = (0..100_000u32).map(|i| (i % 256) as u8).collect();
    let mut first = new_version(&doc, "Draft for Monday", Some((&ann, Side::Union)));
    first.note = Some("After the break\nwith changes".into());
    first.up_to_seq = 42;
    first.words = 3;
    first.state = state.clone();
    first.tree = r#"{"blocks":[{"type":"paragraph","text":"Løn og æbler"}]}"#.into();
    first.markdown = "Løn og æbler — 🍎\n".into();
    first.created_at = 1_700_000_000;
    let made = s.insert_version(&first).await.unwrap();
    assert_eq!(made.number, 1);
    assert_eq!(made.created_by_name.as_deref(), Some("Ann"));
    assert_eq!(made.created_by_side, Some(Side::Union));
    assert_eq!(made.state, state);
    let read = s.version(&first.id).await.unwrap().expect("stored");
    assert_eq!(read, made);
    assert_eq!(read.note, first.note);
    assert_eq!(read.tree, first.tree);
    assert_eq!(read.markdown, first.markdown);
    assert_eq!((read.up_to_seq, read.words), (42, 3));
    assert_eq!(read.created_at, 1_700_000_000);
    assert!(!read.auto);
    assert_eq!(read.restored_from, None);

    // An automatic version has no creator; a restore names its source.
    let auto = s
        .insert_version(&new_version(&doc, "Before restore", None))
        .await
        .unwrap();
    assert!(auto.auto);
    assert_eq!(
        (auto.created_by, auto.created_by_name, auto.created_by_side),
        (None, None, None)
    );
    let mut restore = new_version(&doc, "Restored from v1", Some((&ann, Side::Union)));
    restore.restored_from = Some(first.id.clone());
    let restored = s.insert_version(&restore).await.unwrap();
    assert_eq!(restored.number, 3);
    assert_eq!(restored.restored_from.as_deref(), Some(first.id.as_str()));
    assert_eq!(restored.restored_from_number, Some(1));

    let listed = s.versions_of(&doc).await.unwrap();
    assert_eq!(
        listed.iter().map(|v| v.number).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(listed[2], made.summary());
    assert_eq!(listed[0], restored.summary());
    assert_eq!(
        s.latest_version(&doc).await.unwrap(),
        Some(restored.summary())
    );

    assert!(s.version(&id()).await.unwrap().is_none());
    assert!(matches!(
        s.insert_version(&new_version(&id(), "x", None)).await,
        Err(StoreError::NotFound("document"))
    ));
    let mut dup = new_version(&doc, "again", None);
    dup.id = first.id.clone();
    assert!(matches!(
        s.insert_version(&dup).await,
        Err(StoreError::Conflict("version"))
    ));
    let mut dangling = new_version(&doc, "dangling", None);
    dangling.restored_from = Some(id());
    assert!(matches!(
        s.insert_version(&dangling).await,
        Err(StoreError::NotFound(_))
    ));
    // Refused inserts leave no row and no hole in the numbering.
    assert_eq!(s.versions_of(&doc).await.unwrap().len(), 3);
    assert_eq!(
        s.insert_version(&new_version(&doc, "next", None))
            .await
            .unwrap()
            .number,
        4
    );
}

async fn versions_number_per_document(s: Store) {
    let (rt, a, ann) = setup(&s).await;
    let b = another_document(&s, &rt, &ann).await;
    let mut got = Vec::new();
    for doc in [&a, &b, &a, &a, &b] {
        let v = s
            .insert_version(&new_version(doc, "v", None))
            .await
            .unwrap();
        got.push((doc == &a, v.number));
    }
    assert_eq!(
        got,
        vec![(true, 1), (false, 1), (true, 2), (true, 3), (false, 2)]
    );
    let numbers =
        |vs: Vec<accord_store::VersionSummary>| vs.iter().map(|v| v.number).collect::<Vec<_>>();
    assert_eq!(numbers(s.versions_of(&a).await.unwrap()), vec![3, 2, 1]);
    assert_eq!(numbers(s.versions_of(&b).await.unwrap()), vec![2, 1]);
    assert!(s
        .versions_of(&a)
        .await
        .unwrap()
        .iter()
        .all(|v| v.document_id == a));
    assert_eq!(s.latest_version(&b).await.unwrap().unwrap().number, 2);
}

async fn concurrent_versions_get_distinct_numbers(s: Store) {
    let (rt, doc, ann) = setup(&s).await;
    // Many writers start at once on a document with no counter yet (the race
    // on creating it), then keep going (the race on bumping it).
    const WRITERS: usize = 8;
    const EACH: usize = 6;
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for _ in 0..WRITERS {
        let (s, doc, start) = (s.clone(), doc.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let mut numbers = Vec::new();
            for _ in 0..EACH {
                let v = s
                    .insert_version(&new_version(&doc, "auto", None))
                    .await
                    .unwrap();
                numbers.push(v.number);
            }
            numbers
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        let numbers = t.await.unwrap();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        for n in numbers {
            assert!(all.insert(n), "number {n} handed out twice");
        }
    }
    let n = (WRITERS * EACH) as i64;
    assert_eq!(all, (1..=n).collect());
    let listed: Vec<i64> = s
        .versions_of(&doc)
        .await
        .unwrap()
        .iter()
        .map(|v| v.number)
        .collect();
    assert_eq!(listed, (1..=n).rev().collect::<Vec<_>>());
    // Another document's numbering is untouched by all that.
    let other = another_document(&s, &rt, &ann).await;
    let v = s
        .insert_version(&new_version(&other, "v", None))
        .await
        .unwrap();
    assert_eq!(v.number, 1);
}

async fn version_storage_bytes_counts_bytes(s: Store) {
    let (rt, doc, ann) = setup(&s).await;
    let other = another_document(&s, &rt, &ann).await;
    assert_eq!(s.version_storage_bytes(&doc).await.unwrap(), 0);
    let mut expected = 0;
    for (i, md) in ["plain\n", "æøå — 🍎\n", ""].into_iter().enumerate() {
        let mut v = new_version(&doc, "v", None);
        v.state = vec![7; 1000 * (i + 1)];
        v.tree = format!(r#"{{"text":"{md}"}}"#);
        v.markdown = md.into();
        expected += v.state.len() + v.tree.len() + v.markdown.len();
        s.insert_version(&v).await.unwrap();
    }
    s.insert_version(&new_version(&other, "elsewhere", None))
        .await
        .unwrap();
    assert_eq!(
        s.version_storage_bytes(&doc).await.unwrap(),
        expected as i64
    );
    assert_eq!(s.version_storage_bytes(&id()).await.unwrap(), 0);
}

async fn attribution_first_claimant_wins(s: Store) {
    let (rt, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let other = another_document(&s, &rt, &ann).await;
    assert!(s.document_clients(&doc).await.unwrap().is_empty());
    assert_eq!(
        s.record_document_clients(&doc, &[1, 2, 2], &ann, Side::Union, 10)
            .await
            .unwrap(),
        2
    );
    // Bob's update carries Ann's client 2 (a relayed state) and his own 3.
    assert_eq!(
        s.record_document_clients(&doc, &[2, 3], &bob, Side::Employer, 11)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.record_document_clients(&doc, &[], &bob, Side::Employer, 12)
            .await
            .unwrap(),
        0
    );
    // The same client id in another document is a separate claim.
    s.record_document_clients(&other, &[1], &bob, Side::Employer, 13)
        .await
        .unwrap();
    let clients = s.document_clients(&doc).await.unwrap();
    assert_eq!(clients.len(), 3);
    for c in [1, 2] {
        assert_eq!(clients[&c].user_id, ann);
        assert_eq!(clients[&c].display_name, "Ann");
        assert_eq!(clients[&c].side, Side::Union);
    }
    assert_eq!(clients[&3].user_id, bob);
    assert_eq!(clients[&3].display_name, "Bob");
    assert_eq!(clients[&3].side, Side::Employer);
    let elsewhere = s.document_clients(&other).await.unwrap();
    assert_eq!(elsewhere.len(), 1);
    assert_eq!(elsewhere[&1].user_id, bob);
    assert!(matches!(
        s.record_document_clients(&id(), &[1], &ann, Side::Union, 14)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn attribution_round_trips_every_u64(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    let ids = [
        0,
        1,
        (1 << 53) - 1,
        i64::MAX as u64,
        i64::MAX as u64 + 1,
        1 << 63 | 12345,
        u64::MAX - 1,
        u64::MAX,
    ];
    s.record_document_clients(&doc, &ids, &ann, Side::Neutral, 10)
        .await
        .unwrap();
    let got: BTreeSet<u64> = s
        .document_clients(&doc)
        .await
        .unwrap()
        .into_keys()
        .collect();
    assert_eq!(got, ids.into_iter().collect());
    // Values above i64::MAX are still one claim each.
    assert_eq!(
        s.record_document_clients(
            &doc,
            &[u64::MAX, i64::MAX as u64 + 1],
            &ann,
            Side::Neutral,
            11
        )
        .await
        .unwrap(),
        0
    );
}

async fn attribution_survives_compaction(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    s.append_document_update(&doc, b"ann's edit", 30)
        .await
        .unwrap();
    s.record_document_clients(&doc, &[u64::MAX, 7], &ann, Side::Union, 30)
        .await
        .unwrap();
    let seq = s
        .append_document_update(&doc, b"bob's edit", 31)
        .await
        .unwrap();
    s.record_document_clients(&doc, &[8], &bob, Side::Employer, 31)
        .await
        .unwrap();
    let before = s.document_clients(&doc).await.unwrap();
    assert!(s
        .compact_document(&doc, seq, b"folded state", 40)
        .await
        .unwrap());
    assert!(s.load_document(&doc).await.unwrap().updates.is_empty());
    assert_eq!(s.document_clients(&doc).await.unwrap(), before);
    assert_eq!(before.len(), 3);
    assert_eq!(before[&u64::MAX].side, Side::Union);
    assert_eq!(before[&8].user_id, bob);
}

async fn concurrent_claims_leave_one_owner(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let start = Arc::new(tokio::sync::Barrier::new(2));
    // Opposite orders: claims must not deadlock on each other.
    let ids: Vec<u64> = (100..140).collect();
    let claim = |who: String, side: Side, reversed: bool| {
        let (s, doc, start) = (s.clone(), doc.clone(), start.clone());
        let mut ids = ids.clone();
        if reversed {
            ids.reverse();
        }
        tokio::spawn(async move {
            start.wait().await;
            s.record_document_clients(&doc, &ids, &who, side, 50)
                .await
                .unwrap()
        })
    };
    let a = claim(ann.clone(), Side::Union, false);
    let b = claim(bob.clone(), Side::Employer, true);
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a + b, ids.len() as u64, "each id recorded exactly once");
    let clients = s.document_clients(&doc).await.unwrap();
    assert_eq!(clients.len(), ids.len());
    let by_ann = clients.values().filter(|c| c.user_id == ann).count() as u64;
    assert_eq!(by_ann, a);
    assert!(clients
        .values()
        .all(|c| (c.user_id == ann) == (c.side == Side::Union)));
}
