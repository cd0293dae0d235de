//! Review: versions, client attribution and comment threads, run against
//! SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use accord_domain::document::DocumentKind;
use accord_domain::Side;
use accord_store::testing::{fresh_store, seed_document};
use accord_store::{NewComment, NewDocument, NewUser, NewVersion, Store, StoreError};

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
    comment_threads_and_replies,
    comment_soft_delete,
    comment_resolve_and_quotes,
    open_comment_counts_per_document,
    a_poll_subject_round_trips,
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
        &accord_domain::audit::Actor::system(),
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
    let read = s.version(&first.id).await.unwrap().expect("stored");
    assert_eq!(read.summary, made);
    assert_eq!(read.state, state);
    assert_eq!(read.tree, first.tree);
    assert_eq!(read.markdown, first.markdown);
    assert_eq!(made.note, first.note);
    assert_eq!((made.up_to_seq, made.words), (42, 3));
    assert_eq!(made.created_at, 1_700_000_000);
    assert!(!made.auto);
    assert_eq!(made.restored_from, None);

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
    assert_eq!(listed[2], made);
    assert_eq!(listed[0], restored);
    assert_eq!(s.latest_version(&doc).await.unwrap(), Some(restored));

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
    // Stored deflated: less than the plain bytes, and never nothing.
    let stored = s.version_storage_bytes(&doc).await.unwrap();
    assert!(
        stored > 0 && stored < expected as i64,
        "{stored} of {expected}"
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

fn thread(doc: &str, by: &str, side: Side, body: &str, at: i64) -> NewComment {
    NewComment {
        id: id(),
        document_id: doc.into(),
        parent_id: None,
        author_id: by.into(),
        author_side: side,
        body: body.into(),
        anchor_start: Some(vec![1, 0, 255, 3]),
        anchor_end: Some(vec![1, 0, 255, 9]),
        quote: Some("the passage".into()),
        version_id: None,
        created_at: at,
    }
}

fn reply(to: &NewComment, by: &str, side: Side, body: &str, at: i64) -> NewComment {
    NewComment {
        id: id(),
        document_id: to.document_id.clone(),
        parent_id: Some(to.id.clone()),
        author_id: by.into(),
        author_side: side,
        body: body.into(),
        anchor_start: None,
        anchor_end: None,
        quote: None,
        version_id: None,
        created_at: at,
    }
}

async fn comment_threads_and_replies(s: Store) {
    let (rt, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let other = another_document(&s, &rt, &ann).await;
    assert!(s.comments_of(&doc).await.unwrap().is_empty());

    let v = s
        .insert_version(&new_version(&doc, "v1", None))
        .await
        .unwrap();
    let mut first = thread(&doc, &ann, Side::Union, "Too vague.\nSay who pays.", 100);
    first.version_id = Some(v.id.clone());
    let second = thread(&doc, &bob, Side::Employer, "Agreed", 90);
    let made = s.insert_comment(&first).await.unwrap();
    assert_eq!(made.author_name, "Ann");
    assert_eq!(made.author_side, Side::Union);
    assert_eq!(made.body, "Too vague.\nSay who pays.");
    assert_eq!(made.anchor_start, first.anchor_start);
    assert_eq!(made.anchor_end, first.anchor_end);
    assert_eq!(made.quote.as_deref(), Some("the passage"));
    assert_eq!(made.version_id, Some(v.id.clone()));
    assert_eq!(made.parent_id, None);
    assert!(!made.deleted && !made.resolved);
    assert_eq!(
        (made.edited_at, made.resolved_at, made.resolved_by.clone()),
        (None, None, None)
    );
    s.insert_comment(&second).await.unwrap();
    let r2 = reply(&first, &ann, Side::Union, "Second reply", 120);
    let r1 = reply(&first, &bob, Side::Employer, "First reply", 110);
    s.insert_comment(&r2).await.unwrap();
    let r1_made = s.insert_comment(&r1).await.unwrap();
    assert_eq!(r1_made.parent_id.as_deref(), Some(first.id.as_str()));
    assert_eq!(r1_made.author_name, "Bob");
    assert_eq!(s.comment(&r1.id).await.unwrap(), Some(r1_made.clone()));
    assert!(s.comment(&id()).await.unwrap().is_none());

    // Threads and replies, each oldest first.
    let threads = s.comments_of(&doc).await.unwrap();
    assert_eq!(
        threads
            .iter()
            .map(|t| t.comment.id.as_str())
            .collect::<Vec<_>>(),
        vec![second.id.as_str(), first.id.as_str()]
    );
    assert!(threads[0].replies.is_empty());
    assert_eq!(
        threads[1]
            .replies
            .iter()
            .map(|r| r.body.as_str())
            .collect::<Vec<_>>(),
        vec!["First reply", "Second reply"]
    );
    assert_eq!(threads[1].comment, made);
    // The thread a reply belongs to, from either id.
    let t = s.comment_thread(&r2.id).await.unwrap().expect("thread");
    assert_eq!(t, threads[1]);
    assert_eq!(s.comment_thread(&first.id).await.unwrap(), Some(t));
    assert!(s.comment_thread(&id()).await.unwrap().is_none());
    assert!(s.comments_of(&other).await.unwrap().is_empty());

    // Edits keep the row, mark the time.
    assert!(s
        .edit_comment(&r1.id, "First reply, edited", 130)
        .await
        .unwrap());
    let edited = s.comment(&r1.id).await.unwrap().unwrap();
    assert_eq!(
        (edited.body.as_str(), edited.edited_at),
        ("First reply, edited", Some(130))
    );
    assert!(!s.edit_comment(&id(), "x", 130).await.unwrap());

    // Replies go to threads of the same document only.
    let nested = reply(&r1, &ann, Side::Union, "nested", 140);
    assert!(matches!(
        s.insert_comment(&nested).await,
        Err(StoreError::NotFound("comment"))
    ));
    let mut across = reply(&first, &ann, Side::Union, "across", 140);
    across.document_id = other.clone();
    assert!(matches!(
        s.insert_comment(&across).await,
        Err(StoreError::NotFound("comment"))
    ));
    let mut orphan = reply(&first, &ann, Side::Union, "orphan", 140);
    orphan.parent_id = Some(id());
    assert!(matches!(
        s.insert_comment(&orphan).await,
        Err(StoreError::NotFound("comment"))
    ));
    assert!(matches!(
        s.insert_comment(&thread(&id(), &ann, Side::Union, "x", 1))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.insert_comment(&first).await,
        Err(StoreError::Conflict("comment"))
    ));
    assert_eq!(
        s.comment_thread(&first.id)
            .await
            .unwrap()
            .unwrap()
            .replies
            .len(),
        2
    );
}

async fn comment_soft_delete(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let with_replies = thread(&doc, &ann, Side::Union, "Thread", 100);
    let alone = thread(&doc, &bob, Side::Employer, "Alone", 101);
    let r = reply(&with_replies, &bob, Side::Employer, "Reply", 102);
    for c in [&with_replies, &alone, &r] {
        s.insert_comment(c).await.unwrap();
    }

    // A deleted reply stays in its thread, emptied.
    assert!(s.delete_comment(&r.id, 110).await.unwrap());
    assert!(
        !s.delete_comment(&r.id, 111).await.unwrap(),
        "already deleted"
    );
    let gone_reply = s.comment(&r.id).await.unwrap().unwrap();
    assert!(gone_reply.deleted);
    assert_eq!(gone_reply.body, "");
    assert_eq!(gone_reply.edited_at, Some(110));
    assert!(!s.edit_comment(&r.id, "back", 112).await.unwrap());
    let t = s.comment_thread(&with_replies.id).await.unwrap().unwrap();
    assert_eq!(t.replies, vec![gone_reply]);
    assert!(!t.is_gone());

    // A deleted thread with no replies is gone from the listing; its row stays.
    assert!(s.delete_comment(&alone.id, 120).await.unwrap());
    let t = s.comment_thread(&alone.id).await.unwrap().unwrap();
    assert!(t.is_gone() && t.comment.deleted && t.comment.body.is_empty());
    let listed = s.comments_of(&doc).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].comment.id, with_replies.id);

    // A deleted thread stays while a reply is left, and goes with the last one.
    let r2 = reply(&with_replies, &bob, Side::Employer, "Still here", 130);
    s.insert_comment(&r2).await.unwrap();
    assert!(s.delete_comment(&with_replies.id, 131).await.unwrap());
    let listed = s.comments_of(&doc).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].comment.deleted);
    assert_eq!(listed[0].comment.body, "");
    assert_eq!(listed[0].comment.quote.as_deref(), Some("the passage"));
    assert_eq!(listed[0].replies.len(), 2);
    assert!(s.delete_comment(&r2.id, 132).await.unwrap());
    assert!(s.comments_of(&doc).await.unwrap().is_empty());
    assert!(s.comment_thread(&r2.id).await.unwrap().unwrap().is_gone());
    assert!(!s.delete_comment(&id(), 133).await.unwrap());
}

async fn comment_resolve_and_quotes(s: Store) {
    let (_, doc, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let t = thread(&doc, &ann, Side::Union, "Thread", 100);
    let r = reply(&t, &bob, Side::Employer, "Reply", 101);
    s.insert_comment(&t).await.unwrap();
    s.insert_comment(&r).await.unwrap();

    assert!(s
        .set_comment_resolved(&t.id, true, &bob, 150)
        .await
        .unwrap());
    let c = s.comment(&t.id).await.unwrap().unwrap();
    assert!(c.resolved);
    assert_eq!(c.resolved_by.as_deref(), Some(bob.as_str()));
    assert_eq!(c.resolved_by_name.as_deref(), Some("Bob"));
    assert_eq!(c.resolved_at, Some(150));
    assert!(!s.comment_thread(&t.id).await.unwrap().unwrap().is_open());
    // Resolved threads are still listed.
    assert!(s.comments_of(&doc).await.unwrap()[0].comment.resolved);

    assert!(s
        .set_comment_resolved(&t.id, false, &ann, 160)
        .await
        .unwrap());
    let c = s.comment(&t.id).await.unwrap().unwrap();
    assert!(!c.resolved);
    assert_eq!(
        (c.resolved_by, c.resolved_by_name, c.resolved_at),
        (None, None, None)
    );

    // Replies and unknown ids are not threads.
    assert!(!s
        .set_comment_resolved(&r.id, true, &bob, 170)
        .await
        .unwrap());
    assert!(!s.comment(&r.id).await.unwrap().unwrap().resolved);
    assert!(!s
        .set_comment_resolved(&id(), true, &bob, 170)
        .await
        .unwrap());

    let t2 = thread(&doc, &bob, Side::Employer, "Another", 102);
    s.insert_comment(&t2).await.unwrap();
    assert_eq!(
        s.set_comment_quotes(&[
            (t.id.clone(), "the new passage".into()),
            (t2.id.clone(), "across\nblocks".into()),
            (r.id.clone(), "not a thread".into()),
            (id(), "nothing".into()),
        ])
        .await
        .unwrap(),
        2
    );
    assert_eq!(s.set_comment_quotes(&[]).await.unwrap(), 0);
    let threads = s.comments_of(&doc).await.unwrap();
    assert_eq!(threads[0].comment.quote.as_deref(), Some("the new passage"));
    assert_eq!(threads[1].comment.quote.as_deref(), Some("across\nblocks"));
    assert_eq!(s.comment(&r.id).await.unwrap().unwrap().quote, None);
    // Anchors are untouched by quote updates.
    assert_eq!(threads[0].comment.anchor_start, t.anchor_start);
}

async fn open_comment_counts_per_document(s: Store) {
    let (rt, a, ann) = setup(&s).await;
    let bob = user(&s, "Bob").await;
    let b = another_document(&s, &rt, &ann).await;
    let quiet = another_document(&s, &rt, &ann).await;
    let (other_rt, elsewhere, _) = setup(&s).await;
    assert!(s.open_comment_counts(&rt).await.unwrap().is_empty());

    let open1 = thread(&a, &ann, Side::Union, "open", 1);
    let open2 = thread(&a, &bob, Side::Employer, "open too", 2);
    let resolved = thread(&a, &ann, Side::Union, "resolved", 3);
    let deleted_alone = thread(&a, &ann, Side::Union, "deleted", 4);
    let deleted_with_reply = thread(&b, &ann, Side::Union, "deleted, replied", 5);
    let deleted_reply_only = thread(&b, &ann, Side::Union, "deleted, reply deleted", 6);
    for c in [
        &open1,
        &open2,
        &resolved,
        &deleted_alone,
        &deleted_with_reply,
        &deleted_reply_only,
    ] {
        s.insert_comment(c).await.unwrap();
    }
    // Replies do not count as threads.
    for n in 0..3 {
        s.insert_comment(&reply(&open1, &bob, Side::Employer, "re", 10 + n))
            .await
            .unwrap();
    }
    s.insert_comment(&reply(&deleted_with_reply, &bob, Side::Employer, "re", 20))
        .await
        .unwrap();
    let dead_reply = reply(&deleted_reply_only, &bob, Side::Employer, "re", 21);
    s.insert_comment(&dead_reply).await.unwrap();
    s.insert_comment(&thread(
        &elsewhere,
        &ann,
        Side::Union,
        "other roundtable",
        7,
    ))
    .await
    .unwrap();
    s.set_comment_resolved(&resolved.id, true, &ann, 30)
        .await
        .unwrap();
    for c in [
        &deleted_alone.id,
        &deleted_with_reply.id,
        &deleted_reply_only.id,
        &dead_reply.id,
    ] {
        s.delete_comment(c, 31).await.unwrap();
    }

    let counts = s.open_comment_counts(&rt).await.unwrap();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert_eq!(counts[&a], 2);
    assert_eq!(counts[&b], 1);
    assert!(!counts.contains_key(&quiet));
    // The counts agree with the listing.
    for doc in [&a, &b] {
        let open = s
            .comments_of(doc)
            .await
            .unwrap()
            .iter()
            .filter(|t| t.is_open())
            .count() as u32;
        assert_eq!(open, counts[doc]);
    }
    assert_eq!(
        s.open_comment_counts(&other_rt).await.unwrap()[&elsewhere],
        1
    );
    // Archived documents keep their count.
    s.set_document_archived(&a, true, &accord_domain::audit::Actor::system(), 1)
        .await
        .unwrap();
    assert_eq!(s.open_comment_counts(&rt).await.unwrap()[&a], 2);
    s.set_comment_resolved(&resolved.id, false, &ann, 40)
        .await
        .unwrap();
    assert_eq!(s.open_comment_counts(&rt).await.unwrap()[&a], 3);
}

/// A poll naming a version, or a passage, reads back as written; a subject
/// that names nothing stored is refused and leaves no poll behind.
async fn a_poll_subject_round_trips(s: Store) {
    use accord_domain::polls::{validate_spec, PollSpecInput, PollSubject};
    use accord_store::NewPoll;
    let (rt, doc, ann) = setup(&s).await;
    let v = s
        .insert_version(&new_version(&doc, "v1", None))
        .await
        .unwrap();
    let c = thread(&doc, &ann, Side::Neutral, "this passage", 30);
    s.insert_comment(&c).await.unwrap();
    let spec = validate_spec(&PollSpecInput {
        question: "Ready?".into(),
        kind: Some(accord_domain::polls::PollKind::Single),
        options: vec!["Yes".into(), "No".into()],
        ..PollSpecInput::default()
    })
    .unwrap();
    let new = |subject| NewPoll {
        id: id(),
        roundtable_id: rt.clone(),
        created_by: ann.clone(),
        created_at: 40,
        spec: spec.clone(),
        subject,
    };
    for subject in [
        PollSubject::Version {
            version_id: v.id.clone(),
        },
        PollSubject::Passage {
            document_id: doc.clone(),
            comment_id: c.id.clone(),
        },
    ] {
        let made = s.create_poll(&new(Some(subject.clone()))).await.unwrap();
        assert_eq!(made.subject.as_ref(), Some(&subject));
        let read = s.poll(&made.id).await.unwrap().unwrap();
        assert_eq!(read.subject, Some(subject));
    }
    let before = s.polls_of(&rt).await.unwrap().len();
    let dangling = s
        .create_poll(&new(Some(PollSubject::Version { version_id: id() })))
        .await;
    assert!(
        matches!(dangling, Err(StoreError::NotFound("poll subject"))),
        "{dangling:?}"
    );
    assert_eq!(s.polls_of(&rt).await.unwrap().len(), before);
}
