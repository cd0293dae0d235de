//! Review: versions (complete, immutable, numbered), diffs attributed by
//! side, restore as a new change seen live, comment threads anchored to a
//! passage, automatic versions, and the same across two nodes.

use crate::documents::{markdown, new_doc};
use crate::helpers::{body, on_both_backends, problem, two_nodes, Backend, TestApp};
use crate::yclient::{connect, YClient};
use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use yrs::updates::encoder::Encode;
use yrs::{Assoc, IndexedSequence, ReadTxn, Transact, WriteTxn, XmlFragment, XmlOut};

on_both_backends!(
    versions_are_complete_numbered_and_refuse_bad_input,
    a_diff_attributes_insertions_to_the_side_that_wrote_them,
    restoring_is_a_new_change_every_editor_sees,
    a_comment_keeps_its_passage_and_orphans_are_kept,
    comment_rights_and_bad_anchors,
    an_edited_document_gets_an_automatic_version_when_it_goes_quiet,
    nobody_writes_under_another_participants_client_id,
);

async fn save(app: &TestApp, c: &Client, doc: &str, name: &str) -> Value {
    let res = app
        .post(
            c,
            &format!("/api/v1/documents/{doc}/versions"),
            json!({"name": name}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    body(res).await
}

async fn versions(app: &TestApp, c: &Client, doc: &str) -> Vec<Value> {
    let v = body(
        app.get(c, &format!("/api/v1/documents/{doc}/versions"))
            .await,
    )
    .await;
    v.as_array().unwrap().clone()
}

async fn editor(app: &TestApp, doc: &str, cookie: &str) -> YClient {
    let mut y = connect(&app.base, doc, Some(cookie), None).await.unwrap();
    y.sync().await;
    y
}

/// Waits until the durable Markdown contains `needle` (edits are acknowledged
/// to other clients only once durable, but this client's own may still be in flight).
async fn until_markdown(app: &TestApp, c: &Client, doc: &str, needle: &str) -> String {
    for _ in 0..100 {
        let md = markdown(app, c, doc).await;
        if md.contains(needle) {
            return md;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{needle:?} never became durable");
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An anchor over `needle` in the client's copy, as the browser makes one:
/// relative positions inside the paragraph's XmlText (ASCII here, so byte
/// and UTF-16 offsets agree).
fn anchor_over(y: &YClient, needle: &str) -> Value {
    let mut txn = y.doc.transact_mut();
    let fragment = txn.get_or_insert_xml_fragment("default");
    for i in 0..fragment.len(&txn) {
        let Some(XmlOut::Element(el)) = fragment.get(&txn, i) else {
            continue;
        };
        let Some(XmlOut::Text(text)) = el.get(&txn, 0) else {
            continue;
        };
        let s = yrs::GetString::get_string(&text, &txn);
        if let Some(at) = s.find(needle) {
            let start = text.sticky_index(&txn, at as u32, Assoc::After).unwrap();
            let end = text
                .sticky_index(&txn, (at + needle.len()) as u32, Assoc::Before)
                .unwrap();
            return json!({"start": b64(&start.encode_v1()), "end": b64(&end.encode_v1())});
        }
    }
    panic!("{needle:?} not in the document");
}

async fn comments_of(app: &TestApp, c: &Client, doc: &str, status: &str) -> Vec<Value> {
    let v = body(
        app.get(
            c,
            &format!("/api/v1/documents/{doc}/comments?status={status}"),
        )
        .await,
    )
    .await;
    v.as_array().unwrap().clone()
}

/// Types `text` at the start of the paragraph holding `needle`.
async fn type_before(y: &mut YClient, needle: &str, text: &str) {
    let update = {
        let mut txn = y.doc.transact_mut();
        let fragment = txn.get_or_insert_xml_fragment("default");
        let mut found = None;
        for i in 0..fragment.len(&txn) {
            if let Some(XmlOut::Element(el)) = fragment.get(&txn, i) {
                if let Some(XmlOut::Text(t)) = el.get(&txn, 0) {
                    if yrs::GetString::get_string(&t, &txn).contains(needle) {
                        found = Some(t);
                    }
                }
            }
        }
        let t = found.expect("paragraph");
        yrs::Text::insert(&t, &mut txn, 0, text);
        txn.encode_update_v1()
    };
    y.send_raw(accord_realtime::protocol::encode_update(&update))
        .await;
}

/// Deletes the paragraph holding `needle`.
async fn delete_paragraph(y: &mut YClient, needle: &str) {
    let update = {
        let mut txn = y.doc.transact_mut();
        let fragment = txn.get_or_insert_xml_fragment("default");
        let mut at = None;
        for i in 0..fragment.len(&txn) {
            if let Some(XmlOut::Element(el)) = fragment.get(&txn, i) {
                if let Some(XmlOut::Text(t)) = el.get(&txn, 0) {
                    if yrs::GetString::get_string(&t, &txn).contains(needle) {
                        at = Some(i);
                    }
                }
            }
        }
        fragment.remove_range(&mut txn, at.expect("paragraph"), 1);
        txn.encode_update_v1()
    };
    y.send_raw(accord_realtime::protocol::encode_update(&update))
        .await;
}

async fn versions_are_complete_numbered_and_refuse_bad_input(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let outsider = app.user("otto").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut y = editor(&app, &doc, &fac_cookie).await;
    y.append_paragraph("Mentoring for all new apprentices")
        .await;
    until_markdown(&app, &fac, &doc, "Mentoring").await;

    let v1 = save(&app, &fac, &doc, "First draft").await;
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["name"], "First draft");
    assert_eq!(v1["auto"], false);
    assert_eq!(v1["created_by"]["display_name"], "freja");
    assert!(v1["words"].as_i64().unwrap() > 0);
    let md = app
        .get(
            &obs,
            &format!("/api/v1/versions/{}/markdown", v1["id"].as_str().unwrap()),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(md.contains("Mentoring for all"), "{md}");
    assert_eq!(hex::encode(Sha256::digest(md.as_bytes())), v1["sha256"]);
    let full = body(
        app.get(
            &obs,
            &format!("/api/v1/versions/{}", v1["id"].as_str().unwrap()),
        )
        .await,
    )
    .await;
    assert_eq!(full["markdown"], md.as_str());
    assert!(full["html"].as_str().unwrap().contains("Mentoring"));

    y.append_paragraph("Later work").await;
    until_markdown(&app, &fac, &doc, "Later work").await;
    let v2 = save(&app, &fac, &doc, "Second").await;
    assert_eq!(v2["number"], 2);
    let list = versions(&app, &obs, &doc).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["number"], 2, "newest first");
    // The first version did not change when the text did.
    let again = app
        .get(
            &fac,
            &format!("/api/v1/versions/{}/markdown", v1["id"].as_str().unwrap()),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(again, md);

    // Observers read but do not save; outsiders see nothing.
    let res = app
        .post(
            &obs,
            &format!("/api/v1/documents/{doc}/versions"),
            json!({"name": "x"}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(
            &outsider,
            &format!("/api/v1/documents/{doc}/versions"),
            json!({"name": "x"}),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .get(
            &outsider,
            &format!("/api/v1/versions/{}", v1["id"].as_str().unwrap()),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    for bad in [
        json!({"name": ""}),
        json!({"name": "a\u{7}b"}),
        json!({"name": "x".repeat(201)}),
        json!({"name": 5}),
    ] {
        let res = app
            .post(
                &fac,
                &format!("/api/v1/documents/{doc}/versions"),
                bad.clone(),
            )
            .await;
        assert!(res.status().is_client_error(), "{bad}: {}", res.status());
    }
    let res = app
        .get(&fac, &format!("/api/v1/versions/{}", uuid::Uuid::new_v4()))
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(
        versions(&app, &fac, &doc).await.len(),
        2,
        "nothing half-written"
    );

    // An archived document may still be versioned.
    let res = reqwest_patch(
        &app,
        &fac,
        &format!("/api/v1/documents/{doc}"),
        json!({"archived": true}),
    )
    .await;
    assert_eq!(res, StatusCode::OK);
    assert_eq!(save(&app, &fac, &doc, "Archived").await["number"], 3);
}

async fn reqwest_patch(app: &TestApp, c: &Client, path: &str, v: Value) -> StatusCode {
    c.patch(app.url(path))
        .header("origin", &app.base)
        .json(&v)
        .send()
        .await
        .unwrap()
        .status()
}

async fn a_diff_attributes_insertions_to_the_side_that_wrote_them(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (uma, uma_cookie) = app
        .member_and_cookie(&fac, &rt, "uma", "union", "member")
        .await;
    let (_, erik_cookie) = app
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let other_doc = new_doc(&app, &fac, &rt, "notes").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let v1 = save(&app, &fac, &doc, "Start").await;
    let mut u = editor(&app, &doc, &uma_cookie).await;
    u.append_paragraph("Union: paid leave for <script>courses</script>")
        .await;
    let mut e = editor(&app, &doc, &erik_cookie).await;
    e.wait_for_text("paid leave").await;
    e.append_paragraph("Employer: a budget of two million")
        .await;
    until_markdown(&app, &uma, &doc, "two million").await;
    let v2 = save(&app, &uma, &doc, "Both proposals").await;
    let (id1, id2) = (v1["id"].as_str().unwrap(), v2["id"].as_str().unwrap());

    let d = body(
        app.get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={id1}&to={id2}"),
        )
        .await,
    )
    .await;
    let inserted: Vec<&Value> = d["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["op"] == "inserted")
        .collect();
    assert_eq!(inserted.len(), 2, "{d}");
    let by_text = |needle: &str| {
        inserted
            .iter()
            .find(|b| b["text"].as_str().unwrap().contains(needle))
            .unwrap()["by"]
            .clone()
    };
    assert_eq!(by_text("paid leave")["side"], "union");
    assert_eq!(by_text("paid leave")["display_name"], "uma");
    assert_eq!(by_text("two million")["side"], "employer");
    assert!(d["stats"]["inserted_words"].as_u64().unwrap() >= 10);
    let sides = d["stats"]["by_side"].as_array().unwrap();
    assert!(sides.iter().any(|s| s["side"] == "union"), "{d}");

    // The other way round, the same text is deleted; a version against itself has no change.
    let back = body(
        app.get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={id2}&to={id1}"),
        )
        .await,
    )
    .await;
    assert_eq!(
        back["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["op"] == "deleted")
            .count(),
        2
    );
    let same = body(
        app.get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={id2}&to={id2}"),
        )
        .await,
    )
    .await;
    assert!(same["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["op"] == "equal"));
    assert_eq!(same["stats"]["inserted_words"], 0);
    assert_eq!(same["stats"]["deleted_words"], 0);
    let now = body(
        app.get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={id1}&to=current"),
        )
        .await,
    )
    .await;
    assert_eq!(now["to"]["id"], "current");

    // HTML escapes what people wrote and names the side.
    let html = app
        .get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff.html?from={id1}&to={id2}"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );
    assert!(html.contains("class=\"side-union\""), "{html}");

    // Bad input: a version of another document, garbage, missing parameters.
    let foreign = save(&app, &fac, &other_doc, "Elsewhere").await;
    let fid = foreign["id"].as_str().unwrap();
    let res = app
        .get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={fid}&to={id2}"),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .get(
            &uma,
            &format!("/api/v1/documents/{doc}/diff?from={id1}&to=yesterday"),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let res = app
        .get(&uma, &format!("/api/v1/documents/{doc}/diff?to={id1}"))
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
}

async fn restoring_is_a_new_change_every_editor_sees(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let (_, erik_cookie) = app
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut a = editor(&app, &doc, &fac_cookie).await;
    a.append_paragraph("The agreed opening").await;
    until_markdown(&app, &fac, &doc, "agreed opening").await;
    let v1 = save(&app, &fac, &doc, "Opening").await;
    let mut e = editor(&app, &doc, &erik_cookie).await;
    e.append_paragraph("Erik's later work").await;
    a.wait_for_text("later work").await;
    until_markdown(&app, &fac, &doc, "later work").await;
    let id1 = v1["id"].as_str().unwrap();

    let res = app
        .post(&obs, &format!("/api/v1/versions/{id1}/restore"), json!({}))
        .await;
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    let res = app
        .post(&fac, &format!("/api/v1/versions/{id1}/restore"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let out = body(res).await;
    assert_eq!(out["before"]["auto"], true);
    assert_eq!(out["restored"]["name"], "Restored from v1");
    assert_eq!(out["restored"]["restored_from"], 1);
    assert_eq!(
        out["restored"]["sha256"], v1["sha256"],
        "the content is v1's"
    );

    // Both open editors receive it live, as a change.
    for y in [&mut a, &mut e] {
        y.wait_for_no_text("later work").await;
        assert!(y.text().contains("agreed opening"));
    }
    let md = markdown(&app, &fac, &doc).await;
    assert!(
        !md.contains("later work") && md.contains("agreed opening"),
        "{md}"
    );
    // Erik's work is not gone: it is the version made just before.
    let before = out["before"]["id"].as_str().unwrap();
    let kept = app
        .get(&fac, &format!("/api/v1/versions/{before}/markdown"))
        .await
        .text()
        .await
        .unwrap();
    assert!(kept.contains("Erik's later work"), "{kept}");
    // Editing goes on after a restore.
    e.append_paragraph("After the restore").await;
    until_markdown(&app, &fac, &doc, "After the restore").await;
}

async fn a_comment_keeps_its_passage_and_orphans_are_kept(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (obs, obs_cookie) = app
        .member_and_cookie(&fac, &rt, "olga", "neutral", "observer")
        .await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut y = editor(&app, &doc, &fac_cookie).await;
    y.append_paragraph("Training budget of two million").await;
    y.append_paragraph("A paragraph that will go").await;
    until_markdown(&app, &fac, &doc, "will go").await;

    let mut events = crate::events::connect(&app.base, &obs_cookie)
        .await
        .unwrap();
    events.subscribe(&format!("roundtable:{rt}")).await;
    // Observers are the experts who read and comment.
    let res = app
        .post(
            &obs,
            &format!("/api/v1/documents/{doc}/comments"),
            json!({"body": "Per year?\nOr in total?", "anchor": anchor_over(&y, "two million")}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let first = body(res).await;
    assert_eq!(first["quote"], "two million");
    assert_eq!(first["body"], "Per year?\nOr in total?");
    assert_eq!(first["orphaned"], false);
    assert_eq!(first["author"]["display_name"], "olga");
    let pushed = events.of_type("comment").await;
    assert_eq!(pushed["comment"]["id"], first["id"]);
    let doomed = body(
        app.post(
            &fac,
            &format!("/api/v1/documents/{doc}/comments"),
            json!({"body": "Cut this?", "anchor": anchor_over(&y, "will go")}),
        )
        .await,
    )
    .await;

    // Text typed before the passage moves it; the quote stays exact.
    type_before(&mut y, "two million", "Proposed: ").await;
    until_markdown(&app, &fac, &doc, "Proposed: Training").await;
    let list = comments_of(&app, &fac, &doc, "all").await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["quote"], "two million", "document order: {list:?}");

    // Deleting the passage orphans the thread, which keeps its last quote.
    delete_paragraph(&mut y, "will go").await;
    for _ in 0..100 {
        if !markdown(&app, &fac, &doc).await.contains("will go") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let list = comments_of(&app, &fac, &doc, "open").await;
    let orphan = list.iter().find(|c| c["id"] == doomed["id"]).unwrap();
    assert_eq!(orphan["orphaned"], true);
    assert_eq!(orphan["quote"], "will go");
    assert_eq!(list.last().unwrap()["id"], doomed["id"], "orphans last");

    // Replies, resolve, reopen; the count on the document list follows.
    let id = first["id"].as_str().unwrap();
    let res = app
        .post(
            &fac,
            &format!("/api/v1/comments/{id}/replies"),
            json!({"body": "Per year."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(body(res).await["replies"][0]["body"], "Per year.");
    let count = |list: Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == doc.as_str())
            .unwrap()["open_comments"]
            .clone()
    };
    let docs = body(
        app.get(&fac, &format!("/api/v1/roundtables/{rt}/documents"))
            .await,
    )
    .await;
    assert_eq!(count(docs), 2);
    let res = app
        .post(&obs, &format!("/api/v1/comments/{id}/resolve"), json!({}))
        .await;
    assert_eq!(
        body(res).await["resolved"],
        true,
        "the author resolves her own"
    );
    assert_eq!(comments_of(&app, &fac, &doc, "resolved").await.len(), 1);
    assert_eq!(comments_of(&app, &fac, &doc, "open").await.len(), 1);
    let docs = body(
        app.get(&fac, &format!("/api/v1/roundtables/{rt}/documents"))
            .await,
    )
    .await;
    assert_eq!(count(docs), 1);
    let res = app
        .post(&fac, &format!("/api/v1/comments/{id}/reopen"), json!({}))
        .await;
    assert_eq!(
        body(res).await["resolved"],
        false,
        "facilitators reopen anyone's"
    );

    // Deleting a thread with replies leaves it, marked deleted; edits are the author's.
    let res = c_delete(&app, &obs, &format!("/api/v1/comments/{id}")).await;
    assert_eq!(res, StatusCode::NO_CONTENT);
    let kept = comments_of(&app, &fac, &doc, "all").await;
    let t = kept.iter().find(|c| c["id"] == id).unwrap();
    assert_eq!(
        (t["deleted"].clone(), t["body"].clone()),
        (json!(true), json!(""))
    );
    let reply_id = t["replies"][0]["id"].as_str().unwrap().to_owned();
    let res = c_patch(
        &app,
        &obs,
        &format!("/api/v1/comments/{reply_id}"),
        json!({"body": "mine now"}),
    )
    .await;
    assert_eq!(res, StatusCode::FORBIDDEN);
    let res = c_patch(
        &app,
        &fac,
        &format!("/api/v1/comments/{reply_id}"),
        json!({"body": "Per year, 2027–2029."}),
    )
    .await;
    assert_eq!(res, StatusCode::OK);
    // A thread deleted without replies is gone, and everyone is told.
    let did = doomed["id"].as_str().unwrap();
    assert_eq!(
        c_delete(&app, &fac, &format!("/api/v1/comments/{did}")).await,
        StatusCode::NO_CONTENT
    );
    let gone = events.of_type("comment_removed").await;
    assert_eq!(gone["comment_id"], did);
    assert!(comments_of(&app, &fac, &doc, "all")
        .await
        .iter()
        .all(|c| c["id"] != did));
}

async fn c_delete(app: &TestApp, c: &Client, path: &str) -> StatusCode {
    c.delete(app.url(path))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap()
        .status()
}

async fn c_patch(app: &TestApp, c: &Client, path: &str, v: Value) -> StatusCode {
    reqwest_patch(app, c, path, v).await
}

async fn comment_rights_and_bad_anchors(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let outsider = app.user("otto").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let other = new_doc(&app, &fac, &rt, "notes").await;
    let mut y = editor(&app, &doc, &fac_cookie).await;
    y.append_paragraph("Ninety percent coverage").await;
    until_markdown(&app, &fac, &doc, "Ninety").await;
    let mut z = editor(&app, &other, &fac_cookie).await;
    z.append_paragraph("Elsewhere entirely").await;
    until_markdown(&app, &fac, &other, "Elsewhere").await;
    let good = anchor_over(&y, "Ninety");
    let path = format!("/api/v1/documents/{doc}/comments");

    let bad_anchors = [
        json!({"start": "%%%", "end": "%%%"}),
        json!({"start": b64(&[0xff, 0xff, 0xff]), "end": b64(&[0xff])}),
        anchor_over(&z, "Elsewhere"),
        json!({"start": good["end"], "end": good["start"]}),
    ];
    for anchor in bad_anchors {
        let res = app
            .post(&fac, &path, json!({"body": "x", "anchor": anchor}))
            .await;
        problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    }
    for bad_body in [
        json!(""),
        json!("x".repeat(4001)),
        json!("bell\u{7}"),
        json!(7),
    ] {
        let res = app
            .post(&fac, &path, json!({"body": bad_body, "anchor": good}))
            .await;
        assert!(
            res.status().is_client_error(),
            "{bad_body}: {}",
            res.status()
        );
    }
    let res = app
        .post(&outsider, &path, json!({"body": "x", "anchor": good}))
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let res = app
        .post(
            &fac,
            &format!("/api/v1/comments/{}/replies", uuid::Uuid::new_v4()),
            json!({"body": "x"}),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    assert!(
        comments_of(&app, &fac, &doc, "all").await.is_empty(),
        "nothing half-written"
    );

    let t = body(
        app.post(&fac, &path, json!({"body": "Source?", "anchor": good}))
            .await,
    )
    .await;
    let id = t["id"].as_str().unwrap();
    // A member may not resolve someone else's thread; nor edit or delete it.
    let res = app
        .post(&erik, &format!("/api/v1/comments/{id}/resolve"), json!({}))
        .await;
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(
        c_delete(&app, &erik, &format!("/api/v1/comments/{id}")).await,
        StatusCode::FORBIDDEN
    );
    let res = app
        .get(
            &fac,
            &format!("/api/v1/documents/{doc}/comments?status=maybe"),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    // Without a session, nobody comments (the conference audience included).
    let anon = app.client();
    let res = app
        .post(&anon, &path, json!({"body": "x", "anchor": good}))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn an_edited_document_gets_an_automatic_version_when_it_goes_quiet(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_AUTO_VERSION_IDLE_SECS", "1")]).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut y = editor(&app, &doc, &fac_cookie).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        versions(&app, &fac, &doc).await.is_empty(),
        "no edit, no version"
    );
    y.append_paragraph("Typed, then a pause").await;
    let mut list = Vec::new();
    for _ in 0..60 {
        list = versions(&app, &fac, &doc).await;
        if !list.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(list.len(), 1, "one automatic version");
    assert_eq!(list[0]["auto"], true);
    assert!(list[0]["created_by"].is_null());
    let md = app
        .get(
            &fac,
            &format!(
                "/api/v1/versions/{}/markdown",
                list[0]["id"].as_str().unwrap()
            ),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(md.contains("Typed, then a pause"));
    // Quiet without edits makes no more.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(versions(&app, &fac, &doc).await.len(), 1);
}

async fn nobody_writes_under_another_participants_client_id(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (_, erik_cookie) = app
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut a = editor(&app, &doc, &fac_cookie).await;
    a.append_paragraph("Freja's words").await;
    until_markdown(&app, &fac, &doc, "Freja's words").await;
    // Erik copies Freja's document, client id included, and writes on.
    let mut forger = connect(&app.base, &doc, Some(&erik_cookie), None)
        .await
        .unwrap();
    forger.doc = yrs::Doc::with_client_id(a.doc.client_id().get());
    let state = a
        .doc
        .transact()
        .encode_state_as_update_v1(&yrs::StateVector::default());
    {
        use yrs::updates::decoder::Decode;
        forger
            .doc
            .transact_mut()
            .apply_update(yrs::Update::decode_v1(&state).unwrap())
            .unwrap();
    }
    forger.sync().await;
    forger.append_paragraph("Freja agrees to everything").await;
    let closed = forger.closed().await;
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert!(closed.reason.starts_with("foreign_client"), "{closed:?}");
    let md = markdown(&app, &fac, &doc).await;
    assert!(!md.contains("agrees to everything"), "{md}");
}

#[tokio::test]
async fn a_comment_and_a_version_made_on_one_node_reach_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (fac, fac_cookie) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (uma_on_b, uma_cookie) = b
        .member_and_cookie(&fac, &rt, "uma", "union", "member")
        .await;
    let doc = new_doc(&a, &fac, &rt, "notes").await;
    let mut y = editor(&a, &doc, &fac_cookie).await;
    y.append_paragraph("Skills passport for every worker").await;
    until_markdown(&a, &fac, &doc, "Skills passport").await;

    let mut events = crate::events::connect(&b.base, &uma_cookie).await.unwrap();
    events.subscribe(&format!("roundtable:{rt}")).await;
    let anchor = anchor_over(&y, "passport");
    let res = a
        .post(
            &fac,
            &format!("/api/v1/documents/{doc}/comments"),
            json!({"body": "Which passport?", "anchor": anchor}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let pushed = events.of_type("comment").await;
    assert_eq!(pushed["document_id"], doc.as_str());
    assert_eq!(pushed["comment"]["quote"], "passport");
    assert_eq!(pushed["comment"]["author"]["side"], "neutral");

    let v = save(&a, &fac, &doc, "Made on A").await;
    let on_b = versions(&b, &uma_on_b, &doc).await;
    assert_eq!(on_b[0]["id"], v["id"]);

    // The conference audience in the same room (on B) is never sent a thread.
    let live = a.start_live(&fac, &rt).await;
    let (_, aud_cookie) = crate::polls::join(&b, live["join_code"].as_str().unwrap()).await;
    let mut audience = crate::events::connect(&b.base, &aud_cookie).await.unwrap();
    audience.subscribe(&format!("roundtable:{rt}")).await;
    let res = a
        .post(
            &fac,
            &format!("/api/v1/documents/{doc}/comments"),
            json!({"body": "Not for the audience", "anchor": anchor_over(&y, "worker")}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    events.of_type("comment").await;
    let p = crate::polls::poll(&a, &fac, &rt, json!({"template": "maturity", "lang": "en"})).await;
    crate::polls::open(&a, &fac, p["id"].as_str().unwrap()).await;
    // Messages arrive in order: everything before the poll is checked.
    audience
        .until(|m| {
            assert!(
                !m["type"].as_str().unwrap_or("").starts_with("comment"),
                "the audience got {m}"
            );
            m["type"] == "poll"
        })
        .await;

    // A restore made on A reaches an editor connected to B, live.
    let mut on_b_editor = editor(&b, &doc, &uma_cookie).await;
    on_b_editor.wait_for_text("Skills passport").await;
    on_b_editor
        .append_paragraph("Written after the version")
        .await;
    until_markdown(&a, &fac, &doc, "after the version").await;
    let res = a
        .post(
            &fac,
            &format!("/api/v1/versions/{}/restore", v["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    on_b_editor.wait_for_no_text("after the version").await;
    assert!(on_b_editor.text().contains("Skills passport"));
}
