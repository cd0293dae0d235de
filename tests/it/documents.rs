//! Documents and the y-websocket endpoint: REST, sync, read-only access,
//! bad frames, durability across kill -9, two nodes converging.

use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use crate::yclient::{connect, Closed};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    documents_rest_and_template,
    two_editors_converge_and_markdown_follows,
    observers_are_read_only,
    bad_frames_close_the_connection_and_change_nothing,
    outsiders_and_foreign_origins_are_refused_at_upgrade,
    seen_edits_survive_kill_9,
    a_large_state_reaches_every_joiner_whole,
);

pub(crate) async fn new_doc(app: &TestApp, c: &Client, rt: &str, kind: &str) -> String {
    let res = app
        .post(
            c,
            &format!("/api/v1/roundtables/{rt}/documents"),
            json!({"title": "Programme", "kind": kind}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    body(res).await["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn markdown(app: &TestApp, c: &Client, doc: &str) -> String {
    let res = app
        .get(c, &format!("/api/v1/documents/{doc}/markdown"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

async fn documents_rest_and_template(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let doc = new_doc(&app, &fac, &rt, "programme").await;

    let md = markdown(&app, &fac, &doc).await;
    for heading in ["Objectives", "Target groups", "KPIs", "Employment outcomes"] {
        assert!(md.contains(heading), "template lacks {heading}: {md}");
    }
    let html = app
        .get(&obs, &format!("/api/v1/documents/{doc}/html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h2>"), "{html}");

    let list = body(
        app.get(&obs, &format!("/api/v1/roundtables/{rt}/documents"))
            .await,
    )
    .await;
    assert_eq!(list[0]["id"], doc.as_str());
    assert_eq!(list[0]["can_edit"], false, "observers read only");
    let one = body(app.get(&fac, &format!("/api/v1/documents/{doc}")).await).await;
    assert_eq!(
        (one["kind"].as_str(), one["can_edit"].as_bool()),
        (Some("programme"), Some(true))
    );

    let res = app
        .post(
            &obs,
            &format!("/api/v1/roundtables/{rt}/documents"),
            json!({"title": "x", "kind": "notes"}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/documents"),
            json!({"title": "x", "kind": "novel"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    let res = fac
        .patch(app.url(&format!("/api/v1/documents/{doc}")))
        .json(&json!({"title": "Renamed", "archived": true}))
        .send()
        .await
        .unwrap();
    let d = body(res).await;
    assert_eq!(
        (
            d["title"].as_str(),
            d["archived"].as_bool(),
            d["can_edit"].as_bool()
        ),
        (Some("Renamed"), Some(true), Some(false))
    );
    let res = obs
        .patch(app.url(&format!("/api/v1/documents/{doc}")))
        .json(&json!({"title": "Mine"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    let outsider = app.user("mallory").await;
    for path in [
        format!("/api/v1/documents/{doc}"),
        format!("/api/v1/documents/{doc}/markdown"),
    ] {
        problem(
            app.get(&outsider, &path).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
}

async fn two_editors_converge_and_markdown_follows(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (_, erik_cookie) = app
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;

    let mut a = connect(&app.base, &doc, Some(&fac_cookie), None)
        .await
        .unwrap();
    let mut b2 = connect(&app.base, &doc, Some(&erik_cookie), None)
        .await
        .unwrap();
    a.sync().await;
    b2.sync().await;
    a.append_paragraph("Union proposal: mentoring for all")
        .await;
    b2.append_paragraph("Employer proposal: 50% women in talent programmes")
        .await;
    a.wait_for_text("50% women").await;
    b2.wait_for_text("mentoring for all").await;
    assert_eq!(a.text(), b2.text(), "both editors hold the same text");
    let md = markdown(&app, &fac, &doc).await;
    assert!(
        md.contains("mentoring for all") && md.contains("50% women"),
        "{md}"
    );
}

async fn observers_are_read_only(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (_, obs_cookie) = app
        .member_and_cookie(&fac, &rt, "olga", "neutral", "observer")
        .await;
    let doc = new_doc(&app, &fac, &rt, "programme").await;
    let before = markdown(&app, &fac, &doc).await;

    let mut o = connect(&app.base, &doc, Some(&obs_cookie), None)
        .await
        .unwrap();
    o.sync().await;
    assert!(
        o.text().contains("Objectives"),
        "observers read the document"
    );
    o.append_paragraph("observer sneaks in a change").await;
    let closed = o.closed().await;
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert!(closed.reason.contains("read-only"), "{closed:?}");
    assert_eq!(
        markdown(&app, &fac, &doc).await,
        before,
        "document unchanged"
    );
}

async fn bad_frames_close_the_connection_and_change_nothing(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "programme").await;
    let before = markdown(&app, &fac, &doc).await;

    let cases: Vec<(Vec<u8>, u16)> = vec![
        (vec![0, 2], 1007),                      // truncated update message
        (vec![0, 2, 5, 1, 2], 1007),             // payload shorter than its length
        (vec![7, 1, 2, 3], 1007),                // unknown message type
        (vec![0, 2, 3, 0xff, 0xff, 0xff], 1007), // update that does not decode
        (
            vec![
                0, 2, 21, 0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
            1007,
        ), // length bomb
        (vec![0u8; 2 * 1024 * 1024], 1009),      // over the 1 MiB limit
    ];
    for (frame, code) in cases {
        let mut c = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
        c.sync().await;
        let sent = c.try_send_raw(frame.clone()).await;
        let Closed { code: got, reason } = c.closed().await;
        if code == 1009 {
            // The server may hang up while a client is still writing 2 MiB;
            // then the client sees a reset instead of the close frame.
            assert!(
                got == 1009 || got == 1006,
                "oversize closed with {got} {reason} (send: {sent:?})"
            );
        } else {
            assert_eq!(
                got,
                code,
                "frame {:?}… closed with {reason}",
                &frame[..frame.len().min(8)]
            );
            assert!(!reason.is_empty(), "a reason is given");
        }
    }
    let mut c = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    c.sync().await;
    assert_eq!(
        markdown(&app, &fac, &doc).await,
        before,
        "document unchanged"
    );
    // The document worker survived all of that: a good edit still goes through.
    c.append_paragraph("still alive").await;
    let mut d = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    d.sync().await;
    d.wait_for_text("still alive").await;
}

/// A state far larger than one WebSocket fragment (16 KiB) leaves the server
/// as fragments of one message; clients receive it whole.
async fn a_large_state_reaches_every_joiner_whole(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut writer = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    let mut watcher = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    writer.sync().await;
    watcher.sync().await;
    // About 300 KiB in one update: under the 512 KiB limit per update.
    let long: String = (0..38_000).map(|i| format!("w{i:06} ")).collect();
    writer.append_paragraph(&long).await;
    let tail = &long[long.len() - 40..];
    // Fanned out to an open connection, and the whole state to joiners.
    watcher.wait_for_text(tail).await;
    for _ in 0..2 {
        let mut joiner = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
        joiner.sync().await;
        joiner.wait_for_text(tail).await;
        assert!(joiner.text().contains(&long), "the whole text arrived");
    }
}

async fn outsiders_and_foreign_origins_are_refused_at_upgrade(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let (_, outsider) = app.user_and_cookie("mallory").await;
    assert_eq!(
        connect(&app.base, &doc, Some(&outsider), None).await.err(),
        Some(404)
    );
    assert_eq!(connect(&app.base, &doc, None, None).await.err(), Some(401));
    assert_eq!(
        connect(
            &app.base,
            &uuid::Uuid::new_v4().to_string(),
            Some(&fac_cookie),
            None
        )
        .await
        .err(),
        Some(404)
    );
    assert_eq!(
        connect(
            &app.base,
            &doc,
            Some(&fac_cookie),
            Some("https://evil.example")
        )
        .await
        .err(),
        Some(403)
    );
    assert!(connect(&app.base, &doc, Some(&fac_cookie), Some(&app.base))
        .await
        .is_ok());
}

async fn seen_edits_survive_kill_9(b: Backend) {
    let Some(mut app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut writer = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    let mut reader = connect(&app.base, &doc, Some(&cookie), None).await.unwrap();
    writer.sync().await;
    reader.sync().await;
    for i in 0..20 {
        writer
            .append_paragraph(&format!("line {i} written before the crash"))
            .await;
    }
    // Once another client has seen the last edit, it must survive a crash.
    reader.wait_for_text("line 19 written").await;
    app.kill_hard();
    let url = app.database_url.clone();
    let again = TestApp::start(&url, &[]);
    let c = again.client();
    let res = again
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "freja@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let md = markdown(&again, &c, &doc).await;
    for i in 0..20 {
        assert!(
            md.contains(&format!("line {i} written")),
            "line {i} lost: {md}"
        );
    }
    drop(fac);
}

#[tokio::test]
async fn two_nodes_converge_through_redis() {
    let Some((a, b)) = crate::helpers::two_nodes().await else {
        return;
    };
    let (fac, fac_cookie) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (_, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(&a, &fac, &rt, "notes").await;

    // The same session works on either node: the database is shared.
    let mut on_a = connect(&a.base, &doc, Some(&fac_cookie), None)
        .await
        .unwrap();
    let mut on_b = connect(&b.base, &doc, Some(&ulla_cookie), None)
        .await
        .unwrap();
    on_a.sync().await;
    on_b.sync().await;
    for i in 0..10 {
        on_a.append_paragraph(&format!("from node A {i}")).await;
        on_b.append_paragraph(&format!("from node B {i}")).await;
    }
    on_a.wait_for_text("from node B 9").await;
    on_b.wait_for_text("from node A 9").await;
    // Each paragraph arrives once even though both nodes also share the database.
    assert_eq!(on_a.text(), on_b.text());
    let c = b.client();
    let res = b
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "ulla@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let md_b = markdown(&b, &c, &doc).await;
    let md_a = markdown(&a, &fac, &doc).await;
    assert_eq!(md_a, md_b);
    for i in 0..10 {
        assert!(
            md_a.contains(&format!("from node A {i}"))
                && md_a.contains(&format!("from node B {i}"))
        );
    }
}

/// A template follows its creator's language: `lang`, else the browser's
/// `Accept-Language`, else English.
#[tokio::test]
async fn templates_follow_the_creators_language() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let url = app.url(&format!("/api/v1/roundtables/{rt}/documents"));
    let make = |payload: Value, accept: Option<&'static str>| {
        let mut req = fac.post(url.clone()).json(&payload);
        if let Some(a) = accept {
            req = req.header("accept-language", a);
        }
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::CREATED);
            body(res).await["id"].as_str().unwrap().to_owned()
        }
    };
    let da = make(
        json!({"title": "P", "kind": "programme", "lang": "da"}),
        None,
    )
    .await;
    assert!(markdown(&app, &fac, &da).await.starts_with("## Formål\n"));
    let browser = make(
        json!({"title": "R", "kind": "recommendation"}),
        Some("da-DK,da;q=0.9,en;q=0.8"),
    )
    .await;
    assert!(markdown(&app, &fac, &browser)
        .await
        .starts_with("## Resumé\n"));
    let chosen = make(
        json!({"title": "R", "kind": "recommendation", "lang": "en"}),
        Some("da"),
    )
    .await;
    assert!(markdown(&app, &fac, &chosen)
        .await
        .starts_with("## Summary\n"));
    let plain = make(json!({"title": "P", "kind": "programme"}), None).await;
    assert!(markdown(&app, &fac, &plain)
        .await
        .starts_with("## Objectives\n"));
    let res = fac
        .post(url.clone())
        .json(&json!({"title": "P", "kind": "programme", "lang": "de"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
