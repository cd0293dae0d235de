//! Secret ballots stay secret: no published figure — REST results, CSV,
//! live tallies on the socket, the audience's view — lets anyone isolate
//! one ballot, whatever the split by side or the timing of pushes.

use crate::events::connect as events;
use crate::helpers::{body, on_both_backends, Backend, TestApp};
use crate::polls::{join, open, poll};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    one_employer_in_a_secret_poll_is_not_shown,
    live_tallies_of_a_secret_poll_move_in_steps_of_k,
    the_minimum_group_is_a_setting_with_a_floor,
    a_poll_closed_with_fewer_than_k_ballots_shows_only_their_number,
);

async fn a_poll_closed_with_fewer_than_k_ballots_shows_only_their_number(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let p = poll(&app, &fac, &rt, secret_poll()).await;
    let id = p["id"].as_str().unwrap();
    open(&app, &fac, id).await;
    vote(&app, &erik, id, p["options"][1]["id"].as_str().unwrap()).await;
    let (phone, _) = join(&app, live["join_code"].as_str().unwrap()).await;
    vote(&app, &phone, id, p["options"][1]["id"].as_str().unwrap()).await;
    app.post(&fac, &format!("/api/v1/polls/{id}/close"), json!({}))
        .await;
    let r = results(&app, &fac, id).await;
    assert_eq!(r["total"], 2);
    assert_eq!(r["secrecy"]["result"], true);
    for o in r["options"].as_array().unwrap() {
        assert_eq!(
            (o["count"].clone(), o["percent"].clone()),
            (json!(0), json!(0)),
            "{r}"
        );
    }
    let a = results(&app, &phone, id).await;
    assert_eq!(
        (a["total"].clone(), a["result_withheld_below"].clone()),
        (json!(2), json!(5))
    );
    assert!(a["options"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["count"] == 0));
}

async fn vote(app: &TestApp, c: &Client, poll: &str, choice: &str) {
    let res = app
        .post(
            c,
            &format!("/api/v1/polls/{poll}/ballots"),
            json!({"choices": [choice]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn results(app: &TestApp, c: &Client, poll: &str) -> Value {
    let res = app.get(c, &format!("/api/v1/polls/{poll}/results")).await;
    assert_eq!(res.status(), StatusCode::OK);
    body(res).await
}

fn secret_poll() -> Value {
    json!({"question": "Which first?", "kind": "single", "options": ["Mentoring", "Pay audit"],
           "secret": true, "audience": true, "results": "live"})
}

async fn one_employer_in_a_secret_poll_is_not_shown(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let mut union = Vec::new();
    for name in ["ulla", "uffe", "una", "ulf", "ursula", "uma"] {
        union.push(app.member(&fac, &rt, name, "union", "member").await);
    }
    let p = poll(&app, &fac, &rt, secret_poll()).await;
    let id = p["id"].as_str().unwrap();
    let (a, b_) = (
        p["options"][0]["id"].as_str().unwrap(),
        p["options"][1]["id"].as_str().unwrap(),
    );
    open(&app, &fac, id).await;
    vote(&app, &erik, id, a).await;
    for u in &union {
        vote(&app, u, id, b_).await;
    }
    let close = app
        .post(&fac, &format!("/api/v1/polls/{id}/close"), json!({}))
        .await;
    assert_eq!(close.status(), StatusCode::OK);

    let r = results(&app, &fac, id).await;
    assert_eq!(r["total"], 7);
    assert_eq!(r["options"][0]["count"], 1, "the overall result stands");
    // The lone employer's split is withheld, and so is the union's: the
    // total minus the union split would be the employer's ballot.
    for o in r["options"].as_array().unwrap() {
        assert!(o["by_side"]["employer"].is_null(), "{r}");
        assert!(o["by_side"]["union"].is_null(), "{r}");
    }
    assert_eq!(r["secrecy"]["min_group"], 5);
    assert_eq!(r["secrecy"]["sides"]["employer"], true);

    let csv = app
        .get(&fac, &format!("/api/v1/polls/{id}/results.csv"))
        .await
        .text()
        .await
        .unwrap();
    let mentoring = csv.lines().find(|l| l.contains("Mentoring")).unwrap();
    assert_eq!(
        mentoring,
        "\"Mentoring\",1,14,fewer than 5,fewer than 5,fewer than 5,fewer than 5"
    );

    // A rating poll where only the union votes: its five ballots are a group.
    let rp = poll(
        &app,
        &fac,
        &rt,
        json!({"question": "How ready?", "kind": "rating", "scale_min": 1, "scale_max": 5,
               "secret": true, "audience": false, "results": "live"}),
    )
    .await;
    let rid = rp["id"].as_str().unwrap();
    open(&app, &fac, rid).await;
    let rate = |c: &Client, n: i64| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/polls/{rid}/ballots"));
        async move {
            c.post(url)
                .json(&json!({"rating": n}))
                .send()
                .await
                .unwrap()
        }
    };
    for u in &union[..5] {
        assert_eq!(rate(u, 5).await.status(), StatusCode::CREATED);
    }
    app.post(&fac, &format!("/api/v1/polls/{rid}/close"), json!({}))
        .await;
    let r = results(&app, &fac, rid).await;
    assert_eq!(r["rating"]["mean_by_side"]["union"], 5.0, "{r}");
    // One employer more, and the union's mean would give the employer's rating away.
    let rp = poll(
        &app,
        &fac,
        &rt,
        json!({"question": "How urgent?", "kind": "rating", "scale_min": 1, "scale_max": 5,
               "secret": true, "audience": false, "results": "live"}),
    )
    .await;
    let rid = rp["id"].as_str().unwrap().to_owned();
    open(&app, &fac, &rid).await;
    for (c, n) in std::iter::once((&erik, 1)).chain(union[..5].iter().map(|u| (u, 5))) {
        let res = c
            .post(app.url(&format!("/api/v1/polls/{rid}/ballots")))
            .json(&json!({"rating": n}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    app.post(&fac, &format!("/api/v1/polls/{rid}/close"), json!({}))
        .await;
    let r = results(&app, &fac, &rid).await;
    assert!(r["rating"]["mean_by_side"]["employer"].is_null(), "{r}");
    assert!(r["rating"]["mean_by_side"]["union"].is_null(), "{r}");
    assert!((r["rating"]["mean"].as_f64().unwrap() - 26.0 / 6.0).abs() < 1e-9);
}

async fn live_tallies_of_a_secret_poll_move_in_steps_of_k(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_SECRET_MIN_GROUP", "3")]).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap().to_owned();
    let p = poll(&app, &fac, &rt, secret_poll()).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let a = p["options"][0]["id"].as_str().unwrap().to_owned();
    open(&app, &fac, &id).await;
    let room = format!("roundtable:{rt}");
    let mut presenter = events(&app.base, &fac_cookie).await.unwrap();
    presenter.subscribe(&room).await;
    let mut phones = Vec::new();
    for _ in 0..7 {
        let (c, cookie) = join(&app, &code).await;
        phones.push((c, cookie));
    }
    let mut watcher = events(&app.base, &phones[6].1).await.unwrap();
    watcher.subscribe(&room).await;

    // Each ballot lands on its own, slower than the push interval, as an
    // attacker watching the screen would hope.
    let mut seen = Vec::new();
    for (i, (c, _)) in phones.iter().take(6).enumerate() {
        vote(&app, c, &id, &a).await;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let r = results(&app, &fac, &id).await;
        seen.push(r["total"].as_u64().unwrap());
        assert!(
            r["options"][0]["by_side"]["audience"].is_null(),
            "no split while open: {r}"
        );
        let audience_view = results(&app, c, &id).await;
        assert!(
            audience_view.get("secrecy").is_none()
                && audience_view["options"][0].get("by_side").is_none()
        );
        assert_eq!(audience_view["live_step_of"], 3, "ballot {i}");
    }
    assert_eq!(
        seen,
        [0, 0, 3, 3, 3, 6],
        "figures only at every third ballot"
    );
    // Every tally the screens received was one of those steps.
    for screen in [&mut presenter, &mut watcher] {
        let t = screen
            .until(|v| v["type"] == "tally" && v["total"] == 6)
            .await;
        assert_eq!(t["options"][0]["count"], 6);
    }
    let mut totals = Vec::new();
    let mut late = events(&app.base, &fac_cookie).await.unwrap();
    let s = late.subscribe(&room).await;
    totals.extend(
        s["tallies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["total"].clone()),
    );
    assert_eq!(totals, [json!(6)]);
}

async fn the_minimum_group_is_a_setting_with_a_floor(b: Backend) {
    // Below the floor the server refuses to start rather than run with a weak rule.
    let db = match b {
        Backend::Sqlite => accord_store::testing::fresh_sqlite_url(),
        Backend::Postgres => match accord_store::testing::fresh_postgres_url().await {
            Some(u) => u,
            None => return,
        },
    };
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("serve")
        .env("ACCORD_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &db)
        .env("ACCORD_SECRET_MIN_GROUP", "2")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ACCORD_SECRET_MIN_GROUP")
            || String::from_utf8_lossy(&out.stderr).contains("secret-min-group")
    );
}
