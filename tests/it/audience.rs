//! What the conference audience may receive: no participant's name or side
//! in questions, and no draft polls, over REST and the event socket alike.

use crate::events::{connect, Events};
use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use crate::polls::{join, open, poll};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    the_audience_never_receives_participants_names_or_sides,
    drafts_never_reach_the_audience,
    a_deleted_draft_and_the_agenda_tell_the_audience_nothing_of_drafts,
);

/// A participant's name and side, as they must never appear in audience traffic.
const NAME: &str = "erikvoss";
const SIDE: &str = "employer";

fn assert_anonymous(raw: &str) {
    for secret in [NAME, SIDE, "freja"] {
        assert!(
            !raw.contains(secret),
            "{secret:?} reached the audience: {raw}"
        );
    }
}

async fn subscribed(app: &TestApp, cookie: &str, rt: &str) -> (Events, Value) {
    let mut ws = connect(&app.base, cookie).await.unwrap();
    ws.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    let s = ws.of_type("subscribed").await;
    (ws, s)
}

async fn moderate(app: &TestApp, c: &Client, qid: &str, status: &str) -> Value {
    let res = c
        .patch(app.url(&format!("/api/v1/questions/{qid}")))
        .json(&json!({"status": status}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    body(res).await
}

async fn the_audience_never_receives_participants_names_or_sides(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "Lisbon closing conference").await;
    let erik = app.member(&fac, &rt, NAME, SIDE, "member").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap();
    // `join` gives every attendee the display name "Attendee".
    let (aud, aud_cookie) = join(&app, code).await;
    let (mut aud_ws, _) = subscribed(&app, &aud_cookie, &rt).await;
    let url = format!("/api/v1/roundtables/{rt}/questions");

    // A participant asks under their name; participants see it.
    let asked = body(
        app.post(
            &erik,
            &url,
            json!({"text": "What does the training cost per person?"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (asked["from"].as_str(), asked["author_name"].as_str()),
        (Some("participant"), Some(NAME))
    );
    let qid = asked["id"].as_str().unwrap().to_owned();
    moderate(&app, &fac, &qid, "approved").await;

    // The audience hears of it as "from a participant", and nothing more.
    let pushed = aud_ws
        .until(|v| v["type"] == "question" && v["question"]["id"] == qid.as_str())
        .await;
    assert_anonymous(&pushed.to_string());
    assert_eq!(pushed["question"]["from"], "participant");
    assert_eq!(pushed["question"]["status"], "approved");
    let listed = app.get(&aud, &url).await.text().await.unwrap();
    assert!(listed.contains(&qid), "{listed}");
    assert_anonymous(&listed);
    let upvoted = app
        .post(&aud, &format!("/api/v1/questions/{qid}/upvote"), json!({}))
        .await
        .text()
        .await
        .unwrap();
    assert_anonymous(&upvoted);
    // A facilitator's own question is approved at once, and as anonymous.
    app.post(&fac, &url, json!({"text": "Shall we take a short break?"}))
        .await;
    let pushed = aud_ws
        .until(|v| v["type"] == "question" && v["question"]["id"] != qid.as_str())
        .await;
    assert_anonymous(&pushed.to_string());
    // A late audience socket's snapshot is no different.
    let (_, late_cookie) = join(&app, code).await;
    let (_, snapshot) = subscribed(&app, &late_cookie, &rt).await;
    assert_eq!(snapshot["questions"].as_array().unwrap().len(), 2);
    assert_anonymous(&snapshot.to_string());

    // An attendee who chose a display name is shown under it; anonymously, not.
    let named = body(
        app.post(&aud, &url, json!({"text": "Will the slides be shared?"}))
            .await,
    )
    .await;
    assert_eq!(
        (named["from"].as_str(), named["author_name"].as_str()),
        (Some("audience"), Some("Attendee"))
    );
    let unnamed = body(
        app.post(&aud, &url, json!({"text": "Who pays?", "anonymous": true}))
            .await,
    )
    .await;
    assert_eq!(unnamed["from"], "audience");
    assert_eq!(unnamed["author_name"], Value::Null);

    // Participants still see who asked.
    let for_fac = body(app.get(&fac, &url).await).await;
    let mine = for_fac
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == qid.as_str())
        .unwrap();
    assert_eq!(mine["author_name"], NAME);
}

async fn drafts_never_reach_the_audience(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let (aud, aud_cookie) = join(&app, live["join_code"].as_str().unwrap()).await;
    let (mut fac_ws, _) = subscribed(&app, &fac_cookie, &rt).await;
    let (mut aud_ws, _) = subscribed(&app, &aud_cookie, &rt).await;

    let p = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    assert_eq!(
        (p["audience"].as_bool(), p["status"].as_str()),
        (Some(true), Some("draft"))
    );
    let pid = p["id"].as_str().unwrap().to_owned();
    let m = fac_ws.of_type("poll").await;
    assert_eq!(m["poll"]["status"], "draft", "facilitators see their draft");

    // Not over REST...
    for path in [
        format!("/api/v1/polls/{pid}"),
        format!("/api/v1/polls/{pid}/results"),
    ] {
        problem(
            app.get(&aud, &path).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    // ...nor over the socket: the first poll the audience hears of is the opened one.
    open(&app, &fac, &pid).await;
    let m = aud_ws.of_type("poll").await;
    assert_eq!(m["poll"]["status"], "open", "{m}");
    assert_eq!(
        app.get(&aud, &format!("/api/v1/polls/{pid}"))
            .await
            .status(),
        StatusCode::OK
    );
}

/// A draft that is made, reordered and deleted leaves no trace on the
/// audience's socket: no `poll_removed`, and an agenda naming only polls it sees.
async fn a_deleted_draft_and_the_agenda_tell_the_audience_nothing_of_drafts(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let (_, aud_cookie) = join(&app, live["join_code"].as_str().unwrap()).await;
    let (mut aud_ws, _) = subscribed(&app, &aud_cookie, &rt).await;
    let shown = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    let shown_id = shown["id"].as_str().unwrap().to_owned();
    open(&app, &fac, &shown_id).await;
    let draft = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let res = fac
        .put(app.url(&format!("/api/v1/roundtables/{rt}/poll-order")))
        .json(&json!({"poll_ids": [draft_id, shown_id]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let res = fac
        .delete(app.url(&format!("/api/v1/polls/{draft_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // A question the audience does see marks the end of what it was sent.
    app.post(
        &fac,
        &format!("/api/v1/roundtables/{rt}/questions"),
        json!({"text": "Any questions?"}),
    )
    .await;
    let draft_id = draft_id.clone();
    aud_ws
        .until(move |m| {
            let raw = m.to_string();
            assert!(
                !raw.contains(&draft_id),
                "a draft reached the audience: {raw}"
            );
            assert_ne!(m["type"], "poll_removed", "{raw}");
            m["type"] == "question"
        })
        .await;
}
