//! What the conference audience may receive: no draft polls, over REST and
//! the event socket alike.

use crate::events::{connect, Events};
use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use crate::polls::{join, open, poll};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(drafts_never_reach_the_audience);

async fn subscribed(app: &TestApp, cookie: &str, rt: &str) -> (Events, Value) {
    let mut ws = connect(&app.base, cookie).await.unwrap();
    ws.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    let s = ws.of_type("subscribed").await;
    (ws, s)
}

async fn drafts_never_reach_the_audience(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = body(
        app.post(&fac, &format!("/api/v1/roundtables/{rt}/live"), json!({}))
            .await,
    )
    .await;
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
