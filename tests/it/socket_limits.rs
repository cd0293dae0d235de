//! Limits on open sockets: per account, per message rate, per document
//! quota. Each is a behaviour a script shows and a person never reaches.

use crate::documents::{markdown, new_doc};
use crate::events::connect as events;
use crate::helpers::{on_both_backends, Backend, TestApp};
use crate::polls::{join, open, poll};
use crate::yclient::connect as yjs;
use accord_realtime::protocol::encode_update;
use serde_json::json;
use yrs::{Transact, WriteTxn, XmlElementPrelim, XmlFragment, XmlTextPrelim};

on_both_backends!(
    an_account_holds_a_bounded_number_of_sockets,
    a_vote_flood_is_answered_rate_limited,
    oversize_and_flooding_document_updates_are_refused,
);

async fn an_account_holds_a_bounded_number_of_sockets(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_MAX_SOCKETS_PER_ACCOUNT", "3")]).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut open_ones = Vec::new();
    for _ in 0..2 {
        open_ones.push(events(&app.base, &cookie).await.unwrap());
    }
    // Document sockets count with event sockets.
    let editor = yjs(&app.base, &doc, Some(&cookie), None).await.unwrap();
    assert_eq!(events(&app.base, &cookie).await.err(), Some(429));
    assert_eq!(
        yjs(&app.base, &doc, Some(&cookie), None).await.err(),
        Some(429)
    );
    // Someone else is not affected.
    let (_, other) = app.user_and_cookie("erik").await;
    assert!(events(&app.base, &other).await.is_ok());
    drop(editor);
    // The place is freed once the server has seen the close.
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(s) = events(&app.base, &cookie).await {
            reopened = Some(s);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a closed socket frees its place");
}

async fn a_vote_flood_is_answered_rate_limited(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let p = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    let choice = p["options"][0]["id"].as_str().unwrap().to_owned();
    open(&app, &fac, &pid).await;
    let (_, cookie) = join(&app, live["join_code"].as_str().unwrap()).await;
    let mut phone = events(&app.base, &cookie).await.unwrap();
    for _ in 0..300 {
        phone
            .send(json!({"type": "vote", "poll_id": pid, "choices": [choice]}))
            .await;
    }
    let (mut acks, mut limited) = (0, 0);
    while acks + limited < 300 {
        let m = phone
            .until(|v| v["type"] == "vote_ack" || v["type"] == "error")
            .await;
        if m["type"] == "vote_ack" {
            acks += 1;
        } else {
            assert_eq!(m["code"], "rate_limited", "{m}");
            limited += 1;
        }
    }
    assert!((1..100).contains(&acks), "{acks} of 300 votes acknowledged");
    // Subscribing in a loop is refused too.
    let mut sub_limited = false;
    for _ in 0..20 {
        phone
            .send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
            .await;
    }
    for _ in 0..20 {
        let m = phone
            .until(|v| v["type"] == "subscribed" || v["type"] == "error")
            .await;
        if m["code"] == "rate_limited" {
            sub_limited = true;
            break;
        }
    }
    assert!(sub_limited);
}

/// An update appending one paragraph of `size` bytes to `doc`.
fn paragraph_update(doc: &yrs::Doc, size: usize) -> Vec<u8> {
    let mut txn = doc.transact_mut();
    let f = txn.get_or_insert_xml_fragment("default");
    let len = f.len(&txn);
    let p = f.insert(&mut txn, len, XmlElementPrelim::empty("paragraph"));
    p.insert(&mut txn, 0, XmlTextPrelim::new("y".repeat(size)));
    txn.encode_update_v1()
}

async fn oversize_and_flooding_document_updates_are_refused(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;

    let mut c = yjs(&app.base, &doc, Some(&cookie), None).await.unwrap();
    c.sync().await;
    let big = paragraph_update(&c.doc, 600 * 1024);
    c.send_raw(encode_update(&big)).await;
    let closed = c.closed().await;
    assert_eq!(closed.code, 1009, "{closed:?}");
    assert!(closed.reason.starts_with("update_too_large:"), "{closed:?}");
    assert!(!markdown(&app, &fac, &doc).await.contains("yyyyyyyyyy"));

    // Updates within the limit, but faster than any typist or paste: the
    // sender is slowed, then cut off.
    let mut c = yjs(&app.base, &doc, Some(&cookie), None).await.unwrap();
    c.sync().await;
    for _ in 0..4 {
        let u = paragraph_update(&c.doc, 400 * 1024);
        if c.try_send_raw(encode_update(&u)).await.is_err() {
            break;
        }
    }
    let closed = c.closed().await;
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert!(closed.reason.starts_with("rate_limited:"), "{closed:?}");
}
