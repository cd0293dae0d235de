//! Polls, the conference audience and the event socket.

use crate::events::connect;
use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    participants_vote_and_see_the_split_by_side,
    audience_joins_with_a_code_and_votes,
    votes_over_the_socket_reach_every_screen,
    bad_socket_input_gets_clear_errors,
    rejoining_from_the_same_browser_is_the_same_member,
    new_members_per_address_are_capped,
    a_guessing_device_does_not_lock_out_its_venue,
    wrong_codes_per_address_have_a_ceiling,
    drafts_are_edited_and_deleted_and_opened_polls_are_not,
    duplicates_and_the_agenda_order_reach_every_listing,
);

pub(crate) async fn poll(app: &TestApp, c: &Client, rt: &str, body_json: Value) -> Value {
    let res = app
        .post(c, &format!("/api/v1/roundtables/{rt}/polls"), body_json)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    body(res).await
}

pub(crate) async fn open(app: &TestApp, c: &Client, poll_id: &str) {
    let res = app
        .post(c, &format!("/api/v1/polls/{poll_id}/open"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

fn option(p: &Value, i: usize) -> String {
    p["options"][i]["id"].as_str().unwrap().to_owned()
}

async fn participants_vote_and_see_the_split_by_side(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let ulla = app.member(&fac, &rt, "ulla", "union", "member").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let p = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en", "audience": false}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["status"], "draft");
    assert_eq!(p["options"].as_array().unwrap().len(), 5);

    let vote = |c: &Client, ballot: Value| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/polls/{id}/ballots"));
        async move { c.post(url).json(&ballot).send().await.unwrap() }
    };
    problem(
        vote(&erik, json!({"choices": [option(&p, 1)]})).await,
        StatusCode::CONFLICT,
        "poll-not-open",
    )
    .await;
    problem(
        app.post(&erik, &format!("/api/v1/polls/{id}/open"), json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    open(&app, &fac, id).await;

    assert_eq!(
        vote(&erik, json!({"choices": [option(&p, 0)]}))
            .await
            .status(),
        StatusCode::CREATED
    );
    // A change of vote replaces the ballot.
    assert_eq!(
        vote(&erik, json!({"choices": [option(&p, 1)]}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        vote(&ulla, json!({"choices": [option(&p, 1)]}))
            .await
            .status(),
        StatusCode::CREATED
    );
    problem(
        vote(&obs, json!({"choices": [option(&p, 1)]})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        vote(&ulla, json!({"choices": ["nope"]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown-option",
    )
    .await;
    problem(
        vote(&ulla, json!({"choices": [option(&p, 1), option(&p, 2)]})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too-many-choices",
    )
    .await;
    problem(
        vote(&ulla, json!({"text": "hi"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-ballot",
    )
    .await;
    problem(
        vote(&ulla, json!({"choices": "x"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;

    let r = body(app.get(&ulla, &format!("/api/v1/polls/{id}/results")).await).await;
    assert_eq!(r["total"], 2);
    assert_eq!(r["options"][1]["count"], 2);
    assert_eq!(r["options"][1]["percent"], 100);
    assert_eq!(
        r["options"][1]["by_side"],
        json!({"employer": 1, "union": 1, "neutral": 0, "audience": 0})
    );
    assert_eq!(
        r["options"][0]["count"], 0,
        "the changed vote left option 0"
    );

    let res = app
        .post(&fac, &format!("/api/v1/polls/{id}/close"), json!({}))
        .await;
    assert_eq!(body(res).await["status"], "closed");
    problem(
        vote(&ulla, json!({"choices": [option(&p, 2)]})).await,
        StatusCode::CONFLICT,
        "poll-not-open",
    )
    .await;
    problem(
        app.post(&fac, &format!("/api/v1/polls/{id}/open"), json!({}))
            .await,
        StatusCode::CONFLICT,
        "poll-status",
    )
    .await;
    let res = app
        .get(&fac, &format!("/api/v1/polls/{id}/results.csv"))
        .await;
    let name = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let csv = res.text().await.unwrap();
    // Named after the question, and the file says what it is about.
    assert!(name.starts_with("attachment; filename=\""), "{name}");
    assert!(
        !name.contains(id),
        "named after the question, not the id: {name}"
    );
    let question = p["question"].as_str().unwrap();
    assert!(
        csv.starts_with(&format!("\"question\",\"{question}\"\n\"kind\",")),
        "{csv}"
    );
    assert!(csv.contains("\"status\",\"closed\""), "{csv}");
    assert!(
        csv.contains("\noption,count,percent,employer,union,neutral,audience\n"),
        "{csv}"
    );
    assert!(csv.contains("\"total\",2,100,1,1,0,0"), "{csv}");

    // Bad poll definitions.
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/polls"),
            json!({"question": "Q", "kind": "single", "options": ["only one"]}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let res = app
        .post(
            &erik,
            &format!("/api/v1/roundtables/{rt}/polls"),
            json!({"template": "maturity"}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/polls"),
            json!({"template": "horoscope"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let outsider = app.user("mallory").await;
    problem(
        app.get(&outsider, &format!("/api/v1/polls/{id}/results"))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Hidden results stay hidden from members, not from facilitators.
    let h = poll(&app, &fac, &rt, json!({"question": "Secret?", "kind": "single", "options": ["a", "b"], "secret": true, "results": "hidden"})).await;
    let hid = h["id"].as_str().unwrap();
    open(&app, &fac, hid).await;
    let url = format!("/api/v1/polls/{hid}/ballots");
    assert_eq!(
        app.post(&erik, &url, json!({"choices": [option(&h, 0)]}))
            .await
            .status(),
        StatusCode::CREATED
    );
    problem(
        app.post(&erik, &url, json!({"choices": [option(&h, 1)]}))
            .await,
        StatusCode::CONFLICT,
        "already-voted",
    )
    .await;
    problem(
        app.get(&erik, &format!("/api/v1/polls/{hid}/results"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // The facilitator may look early, but an open secret poll shows no
    // figure of fewer than k ballots, to them either (polls::secrecy).
    assert_eq!(
        body(app.get(&fac, &format!("/api/v1/polls/{hid}/results")).await).await["total"],
        0
    );
    app.post(&fac, &format!("/api/v1/polls/{hid}/close"), json!({}))
        .await;
    assert_eq!(
        body(app.get(&fac, &format!("/api/v1/polls/{hid}/results")).await).await["total"],
        1
    );
}

pub(crate) async fn join(app: &TestApp, code: &str) -> (Client, String) {
    let c = app.client();
    let res = app
        .post(
            &c,
            "/api/v1/join",
            json!({"code": code, "display_name": "Attendee"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (c, cookie)
}

async fn audience_joins_with_a_code_and_votes(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "Lisbon closing conference").await;
    let live = app
        .post(&fac, &format!("/api/v1/roundtables/{rt}/live"), json!({}))
        .await;
    assert_eq!(live.status(), StatusCode::CREATED);
    let live = body(live).await;
    let code = live["join_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9);
    assert!(live["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(live["join_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/live/{code}")));
    // Starting again returns the running session.
    let again = app.start_live(&fac, &rt).await;
    assert_eq!(again["join_code"], code.as_str());

    let p = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    let internal = poll(
        &app,
        &fac,
        &rt,
        json!({"question": "Internal?", "kind": "single", "options": ["yes", "no"]}),
    )
    .await;
    open(&app, &fac, p["id"].as_str().unwrap()).await;
    open(&app, &fac, internal["id"].as_str().unwrap()).await;

    // Codes are forgiving about case and dashes.
    let (aud, _) = join(
        &app,
        &format!("{}-{}", &code[..3].to_lowercase(), &code[3..]),
    )
    .await;
    let me = body(app.get(&aud, "/api/v1/audience/me").await).await;
    assert_eq!(me["roundtable_title"], "Lisbon closing conference");
    let listed = body(
        app.get(&aud, &format!("/api/v1/roundtables/{rt}/polls"))
            .await,
    )
    .await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the audience sees audience polls only"
    );
    let pid = p["id"].as_str().unwrap();
    let res = app
        .post(
            &aud,
            &format!("/api/v1/polls/{pid}/ballots"),
            json!({"choices": [option(&p, 1)]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let iid = internal["id"].as_str().unwrap();
    let res = app
        .post(
            &aud,
            &format!("/api/v1/polls/{iid}/ballots"),
            json!({"choices": [option(&internal, 0)]}),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    problem(
        app.get(&aud, &format!("/api/v1/roundtables/{rt}")).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let r = body(app.get(&aud, &format!("/api/v1/polls/{pid}/results")).await).await;
    assert_eq!(r["total"], 1);
    assert!(
        r.get("by_side").is_none() && r["options"][1].get("by_side").is_none(),
        "no split for the audience: {r}"
    );
    let r = body(app.get(&fac, &format!("/api/v1/polls/{pid}/results")).await).await;
    assert_eq!(r["by_side"]["audience"], 1);

    // Ending the session retires its code and its audience.
    let res = fac
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&aud, "/api/v1/audience/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    // The old code admits nobody any more, and says why.
    let late = app.client();
    let res = app.post(&late, "/api/v1/join", json!({"code": code})).await;
    problem(res, StatusCode::GONE, "session-ended").await;

    // Wrong codes: a clear 404, then a 429 for a guessing address.
    let c = app.client();
    let mut limited = false;
    for _ in 0..40 {
        let res = app
            .post(&c, "/api/v1/join", json!({"code": "ZZZZZZ"}))
            .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        problem(res, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert!(limited, "code guessing is rate limited");
    problem(
        app.post(&c, "/api/v1/join", json!({"code": 12})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
}

async fn votes_over_the_socket_reach_every_screen(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let (_, erik_cookie) = app
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let live = app.start_live(&fac, &rt).await;
    let p = poll(
        &app,
        &fac,
        &rt,
        json!({"template": "maturity", "lang": "en"}),
    )
    .await;
    let pid = p["id"].as_str().unwrap().to_owned();
    open(&app, &fac, &pid).await;
    let room = format!("roundtable:{rt}");

    let mut presenter = connect(&app.base, &fac_cookie).await.unwrap();
    let s = presenter.subscribe(&room).await;
    assert_eq!(s["polls"][0]["id"], pid.as_str());
    assert!(s["presence"].is_object());

    let mut erik = connect(&app.base, &erik_cookie).await.unwrap();
    erik.subscribe(&room).await;
    let presence = presenter
        .until(|v| {
            v["type"] == "presence" && v["participants"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
    assert!(presence["participants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["display_name"] == "erik" && p["side"] == "employer"));

    let mut screens = Vec::new();
    for _ in 0..3 {
        let (_, cookie) = join(&app, live["join_code"].as_str().unwrap()).await;
        let mut a = connect(&app.base, &cookie).await.unwrap();
        let s = a.subscribe(&room).await;
        assert!(s.get("presence").is_none(), "no names for the audience");
        screens.push(a);
    }
    for a in &mut screens {
        a.send(json!({"type": "vote", "poll_id": pid, "choices": [option(&p, 1)]}))
            .await;
        let ack = a
            .until(|v| v["type"] == "vote_ack" || v["type"] == "error")
            .await;
        assert_eq!(ack["type"], "vote_ack", "{ack}");
    }
    erik.send(json!({"type": "vote", "poll_id": pid, "choices": [option(&p, 0)]}))
        .await;
    erik.of_type("vote_ack").await;

    let t = presenter
        .until(|v| v["type"] == "tally" && v["total"] == 4)
        .await;
    assert_eq!(t["options"][1]["count"], 3);
    assert_eq!(t["by_side"]["employer"], 1);
    for a in &mut screens {
        let t = a.until(|v| v["type"] == "tally" && v["total"] == 4).await;
        assert!(
            t.get("by_side").is_none(),
            "audience tallies carry no sides: {t}"
        );
    }
    // Closing is pushed to everyone.
    app.post(&fac, &format!("/api/v1/polls/{pid}/close"), json!({}))
        .await;
    for a in &mut screens {
        let m = a.until(|v| v["type"] == "poll").await;
        assert_eq!(m["poll"]["status"], "closed");
    }
    // A reconnecting client gets the current state, not a replay.
    let (_, cookie) = join(&app, live["join_code"].as_str().unwrap()).await;
    let mut late = connect(&app.base, &cookie).await.unwrap();
    let s = late.subscribe(&room).await;
    assert_eq!(s["polls"][0]["status"], "closed");
    assert_eq!(s["tallies"][0]["total"], 4);
}

async fn bad_socket_input_gets_clear_errors(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    assert_eq!(
        crate::events::connect(&app.base, "accord_session=nope")
            .await
            .err(),
        Some(401)
    );
    let mut ws = connect(&app.base, &cookie).await.unwrap();
    ws.send_raw(tokio_tungstenite::tungstenite::Message::Text(
        "{not json".into(),
    ))
    .await;
    assert_eq!(ws.of_type("error").await["code"], "malformed");
    ws.send(json!({"type": "subscribe", "room": format!("roundtable:{}", uuid::Uuid::new_v4())}))
        .await;
    assert_eq!(ws.of_type("error").await["code"], "unknown_room");
    ws.send(json!({"type": "vote", "poll_id": uuid::Uuid::new_v4().to_string(), "choices": []}))
        .await;
    assert_eq!(ws.of_type("error").await["code"], "unknown_poll");
    ws.send(json!({"type": "ping"})).await;
    ws.of_type("pong").await;
    ws.send(json!({"type": "subscribe", "room": format!("roundtable:{rt}")}))
        .await;
    ws.of_type("subscribed").await;
    ws.send_raw(tokio_tungstenite::tungstenite::Message::Text(
        "x".repeat(64 * 1024).into(),
    ))
    .await;
    let code = ws.close_code().await;
    assert!(
        code == 1009 || code == 1006,
        "oversize message closes the socket: {code}"
    );
}

#[tokio::test]
async fn two_nodes_share_tallies_and_presence() {
    let Some((a, b)) = crate::helpers::two_nodes().await else {
        return;
    };
    let (fac, fac_cookie) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let (_, erik_cookie) = a
        .member_and_cookie(&fac, &rt, "erik", "employer", "member")
        .await;
    let live = a.start_live(&fac, &rt).await;
    let p = poll(&a, &fac, &rt, json!({"template": "maturity", "lang": "en"})).await;
    let pid = p["id"].as_str().unwrap().to_owned();
    open(&a, &fac, &pid).await;
    let room = format!("roundtable:{rt}");

    // The viewer is on node B, the voters on node A.
    let mut viewer = connect(&b.base, &fac_cookie).await.unwrap();
    viewer.subscribe(&room).await;
    let mut erik = connect(&a.base, &erik_cookie).await.unwrap();
    erik.subscribe(&room).await;
    let pres = viewer
        .until(|v| {
            v["type"] == "presence" && v["participants"].as_array().is_some_and(|a| a.len() == 2)
        })
        .await;
    assert!(
        pres["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["display_name"] == "erik"),
        "presence spans nodes"
    );

    for _ in 0..5 {
        let (_, cookie) = join(&a, live["join_code"].as_str().unwrap()).await;
        let mut v = connect(&a.base, &cookie).await.unwrap();
        v.send(json!({"type": "vote", "poll_id": pid, "choices": [option(&p, 1)]}))
            .await;
        v.of_type("vote_ack").await;
    }
    let t = viewer
        .until(|v| v["type"] == "tally" && v["total"] == 5)
        .await;
    assert_eq!(t["options"][1]["count"], 5);
}

#[tokio::test]
async fn questions_are_moderated_upvoted_once_and_pushed() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap();
    let (aud, aud_cookie) = join(&app, code).await;
    let (aud2, _) = join(&app, code).await;
    let room = format!("roundtable:{rt}");
    let mut mod_ws = connect(&app.base, &fac_cookie).await.unwrap();
    mod_ws.subscribe(&room).await;
    let mut aud_ws = connect(&app.base, &aud_cookie).await.unwrap();
    aud_ws.subscribe(&room).await;

    let url = format!("/api/v1/roundtables/{rt}/questions");
    let q = body(
        app.post(
            &aud,
            &url,
            json!({"text": "  How do we measure employment after training?  "}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (q["status"].as_str(), q["text"].as_str()),
        (
            Some("pending"),
            Some("How do we measure employment after training?")
        )
    );
    let qid = q["id"].as_str().unwrap().to_owned();
    // The facilitator hears of it at once; the audience only once approved.
    assert_eq!(
        mod_ws.of_type("question").await["question"]["id"],
        qid.as_str()
    );
    assert_eq!(
        body(app.get(&aud2, &url).await).await,
        json!([]),
        "pending questions are not public"
    );
    assert_eq!(body(app.get(&erik, &url).await).await, json!([]));
    problem(
        app.post(&aud2, &format!("/api/v1/questions/{qid}/upvote"), json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let patch = |c: &Client, status: &str| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/questions/{qid}"));
        let status = status.to_owned();
        async move {
            c.patch(url)
                .json(&json!({"status": status}))
                .send()
                .await
                .unwrap()
        }
    };
    problem(
        patch(&erik, "approved").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        patch(&fac, "deleted").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        body(patch(&fac, "approved").await).await["status"],
        "approved"
    );
    let pushed = aud_ws.until(|v| v["type"] == "question").await;
    assert_eq!(pushed["question"]["status"], "approved");
    assert!(pushed["question"].get("author_key").is_none());
    problem(
        patch(&erik, "hidden").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;

    for _ in 0..2 {
        let up = body(
            app.post(&aud2, &format!("/api/v1/questions/{qid}/upvote"), json!({}))
                .await,
        )
        .await;
        assert_eq!(up["votes"], 1, "one upvote per person");
    }
    let listed = body(app.get(&aud2, &url).await).await;
    assert_eq!(listed[0]["voted_by_me"], true);

    problem(
        app.post(&aud, &url, json!({"text": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        app.post(&aud, &url, json!({"text": "x".repeat(281)})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    let mut limited = false;
    for i in 0..5 {
        let res = app
            .post(&aud, &url, json!({"text": format!("question {i}")}))
            .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    assert!(limited, "asking is rate limited per person");
    // Another attendee behind the same address is not affected.
    assert_eq!(
        app.post(&aud2, &url, json!({"text": "mine"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn rejoining_from_the_same_browser_is_the_same_member(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap().to_owned();
    let p = poll(&app, &fac, &rt, json!({"question": "Secret?", "kind": "single", "options": ["a", "b"], "secret": true, "audience": true})).await;
    let pid = p["id"].as_str().unwrap();
    open(&app, &fac, pid).await;
    let q = body(
        app.post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/questions"),
            json!({"text": "Who pays for the training?"}),
        )
        .await,
    )
    .await;
    let upvote = format!("/api/v1/questions/{}/upvote", q["id"].as_str().unwrap());
    let ballots = format!("/api/v1/polls/{pid}/ballots");

    let (phone, first_cookie) = join(&app, &code).await;
    assert_eq!(
        app.post(&phone, &ballots, json!({"choices": [option(&p, 0)]}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        body(app.post(&phone, &upvote, json!({})).await).await["votes"],
        1
    );

    // The same browser (same cookie jar) joins again, with a new name.
    let res = app
        .post(
            &phone,
            "/api/v1/join",
            json!({"code": code.to_lowercase(), "display_name": "Renamed"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await["display_name"], "Renamed");
    problem(
        app.post(&phone, &ballots, json!({"choices": [option(&p, 1)]}))
            .await,
        StatusCode::CONFLICT,
        "already-voted",
    )
    .await;
    assert_eq!(
        body(app.post(&phone, &upvote, json!({})).await).await["votes"],
        1,
        "one upvote per person, however often they join"
    );
    // The first cookie still names the same (renamed) member.
    let me = reqwest::Client::new()
        .get(app.url("/api/v1/audience/me"))
        .header("cookie", &first_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(body(me).await["display_name"], "Renamed");
    // Counted once: the secret poll's figure, read after it closes.
    let closed = app
        .post(&fac, &format!("/api/v1/polls/{pid}/close"), json!({}))
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let r = body(app.get(&fac, &format!("/api/v1/polls/{pid}/results")).await).await;
    assert_eq!(r["total"], 1);

    // A cookie of an ended session joins the next session afresh.
    let res = fac
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let next = app.start_live(&fac, &rt).await;
    let res = app
        .post(
            &phone,
            "/api/v1/join",
            json!({"code": next["join_code"], "display_name": "Again"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            != Some(first_cookie.as_str()),
        "a new member with a new cookie"
    );
    assert_eq!(
        body(app.get(&phone, "/api/v1/audience/me").await).await["display_name"],
        "Again"
    );
}

async fn new_members_per_address_are_capped(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_JOIN_NEW_MEMBERS_PER_IP", "3")]).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap();
    let (first, _) = join(&app, code).await;
    join(&app, code).await;
    join(&app, code).await;
    let res = app
        .post(&app.client(), "/api/v1/join", json!({"code": code}))
        .await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    problem(res, StatusCode::TOO_MANY_REQUESTS, "rate-limited").await;
    // Joining again as an existing member creates no one, so it is not capped.
    let res = app
        .post(&first, "/api/v1/join", json!({"code": code}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// The `accord_device` cookie a response sets, with its attributes.
fn device_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("accord_device="))
        .map(str::to_owned)
}

async fn a_guessing_device_does_not_lock_out_its_venue(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9);

    // The audience page learns its device before the first try.
    let prankster = app.client();
    let res = app.get(&prankster, "/api/v1/audience/me").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let set = device_cookie(&res).expect("a device cookie on the first visit");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let res = app.get(&prankster, "/api/v1/audience/me").await;
    assert_eq!(device_cookie(&res), None, "a known device keeps its cookie");

    let mut limited = false;
    for _ in 0..40 {
        let res = app
            .post(&prankster, "/api/v1/join", json!({"code": "ZZZZZZZZZ"}))
            .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        problem(res, StatusCode::NOT_FOUND, "not-found").await;
    }
    assert!(limited, "a guessing device is rate limited");
    problem(
        app.post(&prankster, "/api/v1/join", json!({"code": code}))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
    )
    .await;

    // A neighbour behind the same address joins with the right code.
    let neighbour = app.client();
    let res = app
        .post(
            &neighbour,
            "/api/v1/join",
            json!({"code": format!("{}-{}-{}", &code[..3], &code[3..6].to_lowercase(), &code[6..])}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        device_cookie(&res).is_some(),
        "a first join attempt names the device"
    );
    // Even a failed first attempt names the device.
    let res = app
        .post(&app.client(), "/api/v1/join", json!({"code": "nope"}))
        .await;
    assert!(device_cookie(&res).is_some());
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
}

async fn wrong_codes_per_address_have_a_ceiling(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_JOIN_FAILURES_PER_IP", "5")]).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    // A script that drops its cookies is a new device every time.
    let script = reqwest::Client::new();
    for _ in 0..5 {
        let res = app
            .post(&script, "/api/v1/join", json!({"code": "ZZZZZZZZZ"}))
            .await;
        problem(res, StatusCode::NOT_FOUND, "not-found").await;
    }
    problem(
        app.post(&script, "/api/v1/join", json!({"code": "ZZZZZZZZZ"}))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
    )
    .await;
    // Over the ceiling the address is refused outright, or the right code
    // would tell the guesser it was right.
    problem(
        app.post(
            &app.client(),
            "/api/v1/join",
            json!({"code": live["join_code"]}),
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
    )
    .await;
}

/// A text poll's CSV carries the answers as written ("paid time" stays one
/// answer, not two words); an open ballot's with their side, a secret one's
/// without, sorted, only once closed with at least k ballots.
#[tokio::test]
async fn text_poll_csv_keeps_raw_answers_and_never_a_secret_voter() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let mut voters = Vec::new();
    for (i, side) in ["employer", "union", "employer", "union", "employer"]
        .iter()
        .enumerate()
    {
        voters.push(
            app.member(&fac, &rt, &format!("v{i}"), side, "member")
                .await,
        );
    }
    let csv_of = |id: String| {
        let url = app.url(&format!("/api/v1/polls/{id}/results.csv"));
        let c = fac.clone();
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    for secret in [false, true] {
        let p = poll(
            &app,
            &fac,
            &rt,
            json!({"question": format!("What helps most? {secret}"), "kind": "text",
                   "audience": false, "secret": secret, "results": "live"}),
        )
        .await;
        let id = p["id"].as_str().unwrap().to_owned();
        open(&app, &fac, &id).await;
        let answers = [
            "paid time",
            "=HYPERLINK(\"x\")",
            "mentors",
            "paid time",
            "zeal",
        ];
        for (c, text) in voters.iter().zip(answers) {
            let res = app
                .post(
                    c,
                    &format!("/api/v1/polls/{id}/ballots"),
                    json!({"text": text}),
                )
                .await;
            assert!(res.status().is_success(), "{}", res.status());
        }
        let csv = csv_of(id.clone()).await;
        if secret {
            assert!(
                !csv.contains("\nanswer"),
                "no raw answers while open: {csv}"
            );
            app.post(&fac, &format!("/api/v1/polls/{id}/close"), json!({}))
                .await;
            let csv = csv_of(id).await;
            let tail = csv.split("\nanswer\n").nth(1).expect("answers once closed");
            assert_eq!(
                tail.lines().collect::<Vec<_>>(),
                [
                    "\"'=HYPERLINK(\"\"x\"\")\"",
                    "\"mentors\"",
                    "\"paid time\"",
                    "\"paid time\"",
                    "\"zeal\""
                ],
                "sorted, formulas defused, no side: {csv}"
            );
        } else {
            let tail = csv.split("\nanswer,side\n").nth(1).expect("raw answers");
            let lines: Vec<&str> = tail.lines().collect();
            assert_eq!(lines.len(), 5, "{csv}");
            assert!(lines.contains(&"\"paid time\",employer"), "{csv}");
            assert!(lines.contains(&"\"paid time\",union"), "{csv}");
            assert!(
                !csv.contains("v0") && !csv.contains("v1"),
                "no names: {csv}"
            );
        }
    }
}

fn question_spec(q: &str) -> Value {
    json!({"question": q, "kind": "single", "options": ["Yes", "No"]})
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn drafts_are_edited_and_deleted_and_opened_polls_are_not(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let mut socket = connect(&app.base, &fac_cookie).await.unwrap();
    socket.subscribe(&format!("roundtable:{rt}")).await;

    let draft = poll(&app, &fac, &rt, question_spec("Lunch?")).await;
    let id = draft["id"].as_str().unwrap();
    let patch = |c: &Client, id: &str, body: Value| {
        let req = c.patch(app.url(&format!("/api/v1/polls/{id}"))).json(&body);
        async move { req.send().await.unwrap() }
    };
    let delete = |c: &Client, id: &str| {
        let req = c.delete(app.url(&format!("/api/v1/polls/{id}")));
        async move { req.send().await.unwrap() }
    };

    let res = patch(
        &fac,
        id,
        json!({"question": "Lunch at noon?", "kind": "multiple", "options": ["Soup", "Bread", "Both"],
               "max_choices": 2, "secret": true, "results": "on_close"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let edited = body(res).await;
    assert_eq!(edited["question"], "Lunch at noon?");
    assert_eq!(edited["kind"], "multiple");
    assert_eq!(edited["secret"], true);
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["options"].as_array().unwrap().len(), 3);
    let pushed = socket
        .until(|v| v["type"] == "poll" && v["poll"]["question"] == "Lunch at noon?")
        .await;
    assert_eq!(pushed["poll"]["id"], id);
    let again = body(app.get(&fac, &format!("/api/v1/polls/{id}")).await).await;
    assert_eq!(again["question"], "Lunch at noon?");

    // The same validation as create; observers and members may not edit.
    problem(
        patch(
            &fac,
            id,
            json!({"question": " ", "kind": "single", "options": ["A", "B"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        patch(&obs, id, question_spec("Mine?")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        patch(&erik, id, question_spec("Mine?")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(delete(&obs, id).await, StatusCode::FORBIDDEN, "forbidden").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    problem(
        patch(&fac, &unknown, question_spec("X?")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        delete(&fac, &unknown).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Open and closed polls refuse both, and stay as they were.
    let voted = poll(&app, &fac, &rt, question_spec("Vote?")).await;
    let vid = voted["id"].as_str().unwrap();
    open(&app, &fac, vid).await;
    let ballot = json!({"choices": [option(&voted, 0)]});
    assert_eq!(
        app.post(&erik, &format!("/api/v1/polls/{vid}/ballots"), ballot)
            .await
            .status(),
        StatusCode::CREATED
    );
    for closing in [false, true] {
        if closing {
            app.post(&fac, &format!("/api/v1/polls/{vid}/close"), json!({}))
                .await;
        }
        let before = body(app.get(&fac, &format!("/api/v1/polls/{vid}")).await).await;
        problem(
            patch(&fac, vid, question_spec("Changed?")).await,
            StatusCode::CONFLICT,
            "poll-status",
        )
        .await;
        problem(delete(&fac, vid).await, StatusCode::CONFLICT, "poll-status").await;
        let after = body(app.get(&fac, &format!("/api/v1/polls/{vid}")).await).await;
        assert_eq!(before, after);
    }
    let r = body(app.get(&fac, &format!("/api/v1/polls/{vid}/results")).await).await;
    assert_eq!(r["total"], 1, "the ballot is still there");

    let res = delete(&fac, id).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let removed = socket.of_type("poll_removed").await;
    assert_eq!(removed["poll_id"], id);
    problem(
        app.get(&fac, &format!("/api/v1/polls/{id}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let list = body(
        app.get(&fac, &format!("/api/v1/roundtables/{rt}/polls"))
            .await,
    )
    .await;
    assert_eq!(ids(&list), [vid]);
}

async fn duplicates_and_the_agenda_order_reach_every_listing(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let (fac, fac_cookie) = app.user_and_cookie("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let a = poll(&app, &fac, &rt, question_spec("A?")).await;
    let b_ = poll(&app, &fac, &rt, question_spec("B?")).await;
    let c = poll(&app, &fac, &rt, question_spec("C?")).await;
    let (a, b_, c) = (
        a["id"].as_str().unwrap().to_owned(),
        b_["id"].as_str().unwrap().to_owned(),
        c["id"].as_str().unwrap().to_owned(),
    );
    let list = |who: &Client| {
        let req = who.get(app.url(&format!("/api/v1/roundtables/{rt}/polls")));
        async move { ids(&body(req.send().await.unwrap()).await) }
    };
    assert_eq!(
        list(&fac).await,
        [a.clone(), b_.clone(), c.clone()],
        "oldest first until reordered"
    );

    let mut socket = connect(&app.base, &fac_cookie).await.unwrap();
    socket.subscribe(&format!("roundtable:{rt}")).await;

    // A duplicate of an open poll: a draft right after it.
    open(&app, &fac, &a).await;
    let res = app
        .post(&fac, &format!("/api/v1/polls/{a}/duplicate"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let copy = body(res).await;
    assert_eq!(copy["status"], "draft");
    assert_eq!(copy["question"], "A?");
    assert_eq!(copy["options"].as_array().unwrap().len(), 2);
    let d = copy["id"].as_str().unwrap().to_owned();
    assert_ne!(d, a);
    assert_eq!(
        list(&fac).await,
        [a.clone(), d.clone(), b_.clone(), c.clone()]
    );
    let order = socket.of_type("poll_order").await;
    assert_eq!(order["poll_ids"], json!([a, d, b_, c]));
    problem(
        app.post(&obs, &format!("/api/v1/polls/{a}/duplicate"), json!({}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        app.post(
            &fac,
            &format!("/api/v1/polls/{}/duplicate", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Reorder: the list, the socket and a fresh snapshot follow it.
    let put = |who: &Client, body: Value| {
        let req = who
            .put(app.url(&format!("/api/v1/roundtables/{rt}/poll-order")))
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let wanted = vec![c.clone(), a.clone(), b_.clone(), d.clone()];
    let res = put(&fac, json!({"poll_ids": wanted})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ids(&body(res).await), wanted);
    assert_eq!(list(&fac).await, wanted);
    assert_eq!(list(&obs).await, wanted, "one order for everyone");
    let order = socket
        .until(|v| v["type"] == "poll_order" && v["poll_ids"][0] == c.as_str())
        .await;
    assert_eq!(order["poll_ids"], json!(wanted));
    let mut fresh = connect(&app.base, &fac_cookie).await.unwrap();
    let snap = fresh.subscribe(&format!("roundtable:{rt}")).await;
    assert_eq!(ids(&snap["polls"]), wanted);

    // Wrong lists change nothing.
    for wrong in [
        json!({"poll_ids": [c, a, b_]}),
        json!({"poll_ids": [c, a, b_, d, d]}),
        json!({"poll_ids": [c, a, b_, uuid::Uuid::new_v4()]}),
        json!({"poll_ids": "nope"}),
    ] {
        problem(
            put(&fac, wrong).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
    }
    assert_eq!(list(&fac).await, wanted);
    problem(
        put(&obs, json!({"poll_ids": wanted})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let nowhere = uuid::Uuid::new_v4();
    let res = fac
        .put(app.url(&format!("/api/v1/roundtables/{nowhere}/poll-order")))
        .json(&json!({"poll_ids": []}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::NOT_FOUND, "not-found").await;

    // A new poll goes last.
    let e = poll(&app, &fac, &rt, question_spec("E?")).await;
    let mut with_e = wanted.clone();
    with_e.push(e["id"].as_str().unwrap().to_owned());
    assert_eq!(list(&fac).await, with_e);
}

/// A phone that rejoins with the code of a session that has ended is told
/// so (410 `session-ended`), not that the code is wrong; its open socket was
/// closed with the same reason.
#[tokio::test]
async fn a_rejoin_after_the_end_says_the_session_has_ended() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let live = app.start_live(&fac, &rt).await;
    let code = live["join_code"].as_str().unwrap().to_owned();
    let (_, cookie) = join(&app, &code).await;
    let mut ws = crate::events::connect(&app.base, &cookie).await.unwrap();
    ws.subscribe(&format!("roundtable:{rt}")).await;
    let res = fac
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (close, reason) = ws.closed_within(10).await;
    assert_eq!(close, 1008);
    assert!(reason.starts_with("session_ended"), "{reason}");
    let again = app
        .post(&app.client(), "/api/v1/join", json!({"code": code}))
        .await;
    problem(again, StatusCode::GONE, "session-ended").await;
    // A code that never existed is still just wrong.
    let wrong = app
        .post(&app.client(), "/api/v1/join", json!({"code": "ZZZZ-9999"}))
        .await;
    problem(wrong, StatusCode::NOT_FOUND, "not-found").await;
}
