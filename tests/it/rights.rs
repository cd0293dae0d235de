//! Rights taken away end on open sockets: each case runs on two nodes
//! (PostgreSQL + Redis; the change is made on node A, the socket is open on
//! node B) and on one SQLite node. The waits (5 s) are shorter than the
//! sockets' own periodic re-check, so only the notification can pass them.

use crate::documents::{markdown, new_doc};
use crate::events::connect as events;
use crate::helpers::{body, two_nodes, Backend, TestApp};
use crate::polls::{join, open, poll};
use crate::yclient::connect as yjs;
use reqwest::{Client, StatusCode};
use serde_json::json;

/// Runs `case(a, b)` on two nodes and on one SQLite node (`a` = `b`).
macro_rules! on_two_nodes_and_sqlite {
    ($($name:ident),* $(,)?) => {
        mod two_nodes {
            $(#[tokio::test] async fn $name() {
                let Some((a, b)) = super::two_nodes().await else { return };
                super::$name(&a, &b).await
            })*
        }
        mod sqlite {
            $(#[tokio::test] async fn $name() {
                let Some(a) = super::TestApp::spawn(super::Backend::Sqlite).await else { return };
                super::$name(&a, &a).await
            })*
        }
    };
}

on_two_nodes_and_sqlite!(
    an_editor_made_observer_can_no_longer_write,
    a_removed_editor_is_disconnected_and_nothing_lands,
    signing_out_closes_every_socket_of_that_session,
    archiving_a_document_makes_open_editors_read_only,
    a_removed_participant_stops_receiving_the_room,
    a_role_change_reaches_the_event_socket,
    ending_a_live_session_closes_audience_sockets,
    an_expiring_session_closes_its_sockets,
);

async fn an_expiring_session_closes_its_sockets(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (_, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(a, &fac, &rt, "notes").await;
    // Every session now ends in three seconds.
    let store = accord_store::Store::connect(&a.database_url).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(store.expire_sessions_at_for_tests(now + 3).await.unwrap() > 0);
    let mut editor = yjs(&b.base, &doc, Some(&ulla_cookie), None).await.unwrap();
    editor.sync().await;
    let mut ev = events(&b.base, &ulla_cookie).await.unwrap();
    ev.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    ev.of_type("subscribed").await;
    let (code, reason) = ev.closed_within(8).await;
    assert_eq!(code, 1008);
    assert!(reason.starts_with("signed_out:"), "{reason}");
    let closed = editor.closed().await;
    assert_eq!(closed.code, 1008, "{closed:?}");
    assert!(closed.reason.starts_with("signed_out:"), "{closed:?}");
    store.close().await;
}

async fn set_role(app: &TestApp, fac: &Client, rt: &str, user: &str, role: &str) {
    let res = fac
        .patch(app.url(&format!("/api/v1/roundtables/{rt}/participants/{user}")))
        .json(&json!({"role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn user_id(app: &TestApp, c: &Client) -> String {
    body(app.get(c, "/api/v1/me").await).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn remove(app: &TestApp, fac: &Client, rt: &str, user: &str) {
    let res = fac
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/participants/{user}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

async fn an_editor_made_observer_can_no_longer_write(a: &TestApp, b: &TestApp) {
    let (fac, fac_cookie) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (ulla, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(a, &fac, &rt, "notes").await;
    let mut watcher = yjs(&a.base, &doc, Some(&fac_cookie), None).await.unwrap();
    watcher.sync().await;
    let mut editor = yjs(&b.base, &doc, Some(&ulla_cookie), None).await.unwrap();
    editor.sync().await;
    editor.append_paragraph("written as a member").await;
    watcher.wait_for_text("written as a member").await;

    let uid = user_id(a, &ulla).await;
    set_role(a, &fac, &rt, &uid, "observer").await;
    let reason = editor.wait_for_denied().await;
    assert!(reason.starts_with("observer:"), "{reason}");

    // The socket is read-only now: a change is refused and closes it.
    editor.append_paragraph("written as an observer").await;
    let closed = editor.closed().await;
    assert_eq!(closed.code, 1008, "{closed:?}");
    let md = markdown(a, &fac, &doc).await;
    assert!(md.contains("written as a member"));
    assert!(!md.contains("written as an observer"), "{md}");
    // The facilitator's screen never received it either.
    watcher.append_paragraph("facilitator still writes").await;
    let mut reader = yjs(&b.base, &doc, Some(&fac_cookie), None).await.unwrap();
    reader.sync().await;
    reader.wait_for_text("facilitator still writes").await;
    assert!(!reader.text().contains("written as an observer"));
    assert!(!watcher.text().contains("written as an observer"));
}

async fn a_removed_editor_is_disconnected_and_nothing_lands(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (ulla, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(a, &fac, &rt, "notes").await;
    let mut editor = yjs(&b.base, &doc, Some(&ulla_cookie), None).await.unwrap();
    editor.sync().await;
    let uid = user_id(a, &ulla).await;
    remove(a, &fac, &rt, &uid).await;
    let closed = editor.closed().await;
    assert_eq!(closed.code, 1008);
    assert!(closed.reason.starts_with("removed:"), "{closed:?}");
    // Whatever the client still manages to send is not applied.
    let _ = editor.try_send_raw(vec![0, 2, 0]).await;
    assert!(!markdown(a, &fac, &doc).await.contains("removed"));
    assert_eq!(
        yjs(&b.base, &doc, Some(&ulla_cookie), None).await.err(),
        Some(404)
    );
}

async fn signing_out_closes_every_socket_of_that_session(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (ulla, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(a, &fac, &rt, "notes").await;
    let mut editor = yjs(&b.base, &doc, Some(&ulla_cookie), None).await.unwrap();
    editor.sync().await;
    let mut ev = events(&b.base, &ulla_cookie).await.unwrap();
    ev.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    ev.of_type("subscribed").await;
    // Another sign-in of the same person stays open.
    let other = a.client();
    let res = a
        .post(
            &other,
            "/api/v1/auth/login",
            json!({"email": "ulla@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let other_cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let mut other_ev = events(&b.base, &other_cookie).await.unwrap();
    other_ev
        .send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    other_ev.of_type("subscribed").await;

    let res = a.post(&ulla, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let closed = editor.closed().await;
    assert_eq!((closed.code, &closed.reason[..11]), (1008, "signed_out:"));
    let (code, reason) = ev.closed_within(5).await;
    assert_eq!(code, 1008);
    assert!(reason.starts_with("signed_out:"), "{reason}");
    other_ev.send(json!({"type": "ping"})).await;
    other_ev.of_type("pong").await;
}

async fn archiving_a_document_makes_open_editors_read_only(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (_, ulla_cookie) = a
        .member_and_cookie(&fac, &rt, "ulla", "union", "member")
        .await;
    let doc = new_doc(a, &fac, &rt, "notes").await;
    let mut editor = yjs(&b.base, &doc, Some(&ulla_cookie), None).await.unwrap();
    editor.sync().await;
    let res = fac
        .patch(a.url(&format!("/api/v1/documents/{doc}")))
        .json(&json!({"archived": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let reason = editor.wait_for_denied().await;
    assert!(reason.starts_with("archived:"), "{reason}");
    editor.append_paragraph("after the archive").await;
    assert_eq!(editor.closed().await.code, 1008);
    assert!(!markdown(a, &fac, &doc).await.contains("after the archive"));
}

async fn a_removed_participant_stops_receiving_the_room(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (erik, erik_cookie) = a
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let mut ev = events(&b.base, &erik_cookie).await.unwrap();
    ev.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    ev.of_type("subscribed").await;
    let uid = user_id(a, &erik).await;
    remove(a, &fac, &rt, &uid).await;
    let (code, reason) = ev.closed_within(5).await;
    assert_eq!(code, 1008);
    assert!(reason.starts_with("removed:"), "{reason}");
    // A new socket cannot join the room again.
    let mut again = events(&b.base, &erik_cookie).await.unwrap();
    again
        .send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    let e = again.of_type("error").await;
    assert_eq!(e["code"], "unknown_room");
}

async fn a_role_change_reaches_the_event_socket(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (erik, erik_cookie) = a
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let p = poll(a, &fac, &rt, json!({"template": "maturity", "lang": "en"})).await;
    let pid = p["id"].as_str().unwrap().to_owned();
    open(a, &fac, &pid).await;
    let mut ev = events(&b.base, &erik_cookie).await.unwrap();
    ev.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    ev.of_type("subscribed").await;
    let uid = user_id(a, &erik).await;
    set_role(a, &fac, &rt, &uid, "observer").await;
    let m = ev.of_type("role_changed").await;
    assert_eq!(
        (m["role"].as_str(), m["side"].as_str()),
        (Some("observer"), Some("employer"))
    );
    let choice = p["options"][0]["id"].as_str().unwrap();
    ev.send(json!({"type": "vote", "poll_id": pid, "choices": [choice]}))
        .await;
    let e = ev
        .until(|v| v["type"] == "error" || v["type"] == "vote_ack")
        .await;
    assert_eq!(e["type"], "error", "an observer's vote is refused: {e}");
}

async fn ending_a_live_session_closes_audience_sockets(a: &TestApp, b: &TestApp) {
    let (fac, _) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let live = a.start_live(&fac, &rt).await;
    let (_, cookie) = join(b, live["join_code"].as_str().unwrap()).await;
    let mut phone = events(&b.base, &cookie).await.unwrap();
    phone
        .send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    phone.of_type("subscribed").await;
    let res = fac
        .delete(a.url(&format!("/api/v1/roundtables/{rt}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (code, reason) = phone.closed_within(5).await;
    assert_eq!(code, 1008);
    assert!(reason.starts_with("session_ended:"), "{reason}");
    // The cookie of an ended session opens no socket any more.
    assert_eq!(events(&b.base, &cookie).await.err(), Some(401));
}

/// A refused frame is logged as its sender's, not as whoever opened the
/// document first (the worker's span once inherited that request's user).
#[tokio::test]
async fn a_refused_frame_is_logged_with_its_sender() {
    let log = std::env::temp_dir().join(format!("accord-log-{}.jsonl", uuid::Uuid::new_v4()));
    let app = TestApp::start_logging_to(
        &accord_store::testing::fresh_sqlite_url(),
        &[("RUST_LOG", "info"), ("ACCORD_JSON_LOGS", "true")],
        Some(&log),
    );
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (olga, olga_cookie) = app
        .member_and_cookie(&fac, &rt, "olga", "neutral", "observer")
        .await;
    let doc = new_doc(&app, &fac, &rt, "notes").await;
    let mut first = yjs(&app.base, &doc, Some(&fac_cookie), None).await.unwrap();
    first.sync().await;
    let mut observer = yjs(&app.base, &doc, Some(&olga_cookie), None)
        .await
        .unwrap();
    observer.sync().await;
    observer.append_paragraph("defaced").await;
    assert_eq!(observer.closed().await.code, 1008);
    let (fac_id, olga_id) = (user_id(&app, &fac).await, user_id(&app, &olga).await);
    let mut line = None;
    for _ in 0..50 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        line = text
            .lines()
            .find(|l| l.contains("frame refused"))
            .map(str::to_owned);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = line.expect("a log line for the refused frame");
    assert!(line.contains(&olga_id), "{line}");
    assert!(!line.contains(&fac_id), "{line}");
    let _ = std::fs::remove_file(&log);
}
