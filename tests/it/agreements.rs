//! Agreement: a facilitator proposes one version, each side's voters take
//! positions quoting its hash, the outcome is decided once and sealed, every
//! step is on the hash-chained audit trail, and `accord audit verify`
//! catches a row changed behind the server's back.

use crate::documents::new_doc;
use crate::events::connect;
use crate::helpers::{binary, body, on_both_backends, problem, two_nodes, Backend, TestApp};
use accord_domain::agreement::{seal, Position, Rule, SealedPosition};
use accord_domain::Side;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

on_both_backends!(
    both_sides_agree_one_version_and_it_is_sealed,
    concurrent_positions_reach_one_outcome,
    nobody_takes_a_position_for_another_side_or_after_closing,
    the_audit_chain_is_append_only_and_verify_catches_tampering,
    an_agreement_expires_at_its_closing_time,
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

async fn propose(app: &TestApp, c: &Client, version: &str, rule: Value) -> reqwest::Response {
    app.post(
        c,
        &format!("/api/v1/versions/{version}/agreement"),
        json!({ "rule": rule }),
    )
    .await
}

async fn position(
    app: &TestApp,
    c: &Client,
    agreement: &str,
    position: &str,
    sha: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    app.post(
        c,
        &format!("/api/v1/agreements/{agreement}/positions"),
        json!({"position": position, "sha256": sha, "reason": reason}),
    )
    .await
}

async fn get(app: &TestApp, c: &Client, path: &str) -> Value {
    let res = app.get(c, path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    body(res).await
}

async fn audit_actions(app: &TestApp, c: &Client, rt: &str) -> Vec<String> {
    let page = get(app, c, &format!("/api/v1/roundtables/{rt}/audit?limit=200")).await;
    let mut actions: Vec<String> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    actions.reverse();
    actions
}

fn unix(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

/// The seal recomputed from the agreement as the API shows it.
fn expected_seal(a: &Value) -> String {
    let mut positions: Vec<SealedPosition> = a["voters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v["position"].is_null())
        .map(|v| SealedPosition {
            user_id: v["user_id"].as_str().unwrap().into(),
            side: v["side"].as_str().unwrap().parse::<Side>().unwrap(),
            position: v["position"].as_str().unwrap().parse::<Position>().unwrap(),
            at: unix(v["at"].as_str().unwrap()),
        })
        .collect();
    positions.sort_by(|a, b| a.at.cmp(&b.at).then(a.user_id.cmp(&b.user_id)));
    let rule: Rule = serde_json::from_value(a["rule"].clone()).unwrap();
    seal(a["sha256"].as_str().unwrap(), rule, &positions)
}

struct Table {
    app: TestApp,
    fac: Client,
    rt: String,
    doc: String,
}

async fn table(backend: Backend) -> Option<Table> {
    let app = TestApp::spawn(backend).await?;
    let fac = app.user("fac").await;
    let rt = app.roundtable(&fac, "Agree").await;
    let doc = new_doc(&app, &fac, &rt, "recommendation").await;
    Some(Table { app, fac, rt, doc })
}

async fn both_sides_agree_one_version_and_it_is_sealed(backend: Backend) {
    let Some(Table { app, fac, rt, doc }) = table(backend).await else {
        return;
    };
    let e1 = app.member(&fac, &rt, "e1", "employer", "member").await;
    let e2 = app.member(&fac, &rt, "e2", "employer", "facilitator").await;
    let (u1, u1_cookie) = app
        .member_and_cookie(&fac, &rt, "u1", "union", "member")
        .await;
    let neutral = app.member(&fac, &rt, "n1", "neutral", "member").await;
    let observer = app.member(&fac, &rt, "o1", "employer", "observer").await;
    let outsider = app.user("outsider").await;

    let v1 = save(&app, &fac, &doc, "Draft for agreement").await;
    let sha = v1["sha256"].as_str().unwrap().to_owned();
    let version = v1["id"].as_str().unwrap();

    // Everyone in the room hears of it live.
    let mut ev = connect(&app.base, &u1_cookie).await.unwrap();
    ev.subscribe(&format!("roundtable:{rt}")).await;

    // Only facilitators propose; an unknown version is 404; bad rules are 422.
    let rule = json!({"quorum": "majority", "objections_block": true});
    assert_eq!(
        propose(&app, &e1, version, rule.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    problem(
        propose(&app, &outsider, version, rule.clone()).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        propose(&app, &fac, &uuid::Uuid::new_v4().to_string(), rule.clone()).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let res = propose(
        &app,
        &fac,
        version,
        json!({"quorum": "most", "objections_block": true}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &fac,
            &format!("/api/v1/versions/{version}/agreement"),
            json!({"rule": rule, "closes_at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    let res = propose(&app, &fac, version, rule.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let a = body(res).await;
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["state"], "open");
    assert_eq!(a["sha256"], sha);
    // Facilitators and members of each side; not the neutral member, not the observer.
    assert_eq!(a["electorate"], json!({"employer": 2, "union": 1}));
    let pushed = ev.of_type("agreement").await;
    assert_eq!(pushed["agreement"]["id"], id);

    // Malformed JSON, wrong types, an unknown agreement: clear problems.
    let res = e1
        .post(app.url(&format!("/api/v1/agreements/{id}/positions")))
        .header("content-type", "application/json")
        .body("{\"position\": ")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::BAD_REQUEST, "malformed-json").await;
    let res = app
        .post(
            &e1,
            &format!("/api/v1/agreements/{id}/positions"),
            json!({"position": "maybe", "sha256": sha}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    problem(
        position(
            &app,
            &e1,
            &uuid::Uuid::new_v4().to_string(),
            "endorse",
            &sha,
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // A hash that is not the version's: 409, and nothing recorded.
    let wrong = "0".repeat(64);
    problem(
        position(&app, &e1, &id, "endorse", &wrong, None).await,
        StatusCode::CONFLICT,
        "version-hash-mismatch",
    )
    .await;
    // An objection needs a reason; control characters are refused.
    problem(
        position(&app, &u1, &id, "object", &sha, None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        position(&app, &u1, &id, "object", &sha, Some("bad\u{7}")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    // Neutral participants and observers take no position; outsiders learn nothing.
    problem(
        position(&app, &neutral, &id, "endorse", &sha, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        position(&app, &observer, &id, "endorse", &sha, None).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    problem(
        position(&app, &outsider, &id, "endorse", &sha, None).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let now = get(&app, &fac, &format!("/api/v1/agreements/{id}")).await;
    assert!(now["voters"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["position"].is_null()));

    // Someone who joins after it opened is not in its electorate.
    let late = app.member(&fac, &rt, "late", "union", "member").await;
    problem(
        position(&app, &late, &id, "endorse", &sha, None).await,
        StatusCode::FORBIDDEN,
        "not-in-electorate",
    )
    .await;

    // Both employers endorse (a majority), but the union objects: it blocks.
    for c in [&e1, &e2] {
        let res = position(&app, c, &id, "endorse", &sha, None).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = position(&app, &u1, &id, "object", &sha, Some("Budget is unclear")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let a = body(res).await;
    assert_eq!(a["state"], "open", "an objection blocks");
    assert_eq!(a["progress"]["employer"]["endorse"], 2);
    assert_eq!(a["progress"]["employer"]["satisfied"], true);
    assert_eq!(a["progress"]["union"]["object"], 1);
    let u1_row = a["voters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["display_name"] == "u1")
        .unwrap()
        .clone();
    assert_eq!(u1_row["reason"], "Budget is unclear");
    assert_eq!(u1_row["organisation"], "Org");

    // The union changes its position: agreed, and sealed.
    let res = position(&app, &u1, &id, "endorse", &sha, None).await;
    let a = body(res).await;
    assert_eq!(a["state"], "agreed");
    let s = a["seal"].as_str().unwrap();
    assert_eq!(
        s,
        expected_seal(&a),
        "the seal is the domain's, over these positions"
    );
    let live = ev
        .until(|m| m["type"] == "agreement" && m["agreement"]["state"] == "agreed")
        .await;
    assert_eq!(live["agreement"]["seal"], s);

    // Closed: no more positions, no withdrawal.
    problem(
        position(&app, &e1, &id, "object", &sha, Some("too late")).await,
        StatusCode::CONFLICT,
        "agreement-closed",
    )
    .await;
    problem(
        app.post(
            &fac,
            &format!("/api/v1/agreements/{id}/withdraw"),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "agreement-closed",
    )
    .await;

    // The agreed list, and the live document goes on without touching it.
    let agreed = get(&app, &e1, &format!("/api/v1/roundtables/{rt}/agreed")).await;
    assert_eq!(agreed.as_array().unwrap().len(), 1);
    assert_eq!(agreed[0]["version"]["id"], *version);
    assert_eq!(agreed[0]["agreement"]["seal"], s);
    let md = app
        .get(&e1, &format!("/api/v1/versions/{version}/markdown"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(md.as_bytes())),
        sha
    );

    // A newer proposal on the same document supersedes an open one.
    let v2 = save(&app, &fac, &doc, "Second").await;
    let res = propose(&app, &fac, v2["id"].as_str().unwrap(), rule.clone()).await;
    let second = body(res).await;
    let v3 = save(&app, &fac, &doc, "Third").await;
    let res = propose(&app, &fac, v3["id"].as_str().unwrap(), rule.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let third = body(res).await;
    let second_now = get(
        &app,
        &fac,
        &format!("/api/v1/agreements/{}", second["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(second_now["state"], "superseded");
    assert_eq!(second_now["superseded_by"], third["id"]);
    // Withdrawn by a facilitator, and then closed.
    let res = app
        .post(
            &fac,
            &format!(
                "/api/v1/agreements/{}/withdraw",
                third["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(body(res).await["state"], "withdrawn");
    let list = get(&app, &fac, &format!("/api/v1/roundtables/{rt}/agreements")).await;
    assert_eq!(list.as_array().unwrap().len(), 3);

    // Every step is on the audit trail, in order.
    let actions = audit_actions(&app, &fac, &rt).await;
    let agreement_steps: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("agreement_"))
        .collect();
    assert_eq!(
        agreement_steps,
        [
            "agreement_proposed",
            "agreement_position",
            "agreement_position",
            "agreement_position",
            "agreement_position",
            "agreement_agreed",
            "agreement_proposed",
            "agreement_superseded",
            "agreement_proposed",
            "agreement_withdrawn",
        ]
    );
    for expected in [
        "roundtable_created",
        "participant_joined",
        "document_created",
        "version_created",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
    // Outsiders do not see the trail.
    problem(
        app.get(&outsider, &format!("/api/v1/roundtables/{rt}/audit"))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}

async fn concurrent_positions_reach_one_outcome(backend: Backend) {
    let Some(Table { app, fac, rt, doc }) = table(backend).await else {
        return;
    };
    let mut voters = Vec::new();
    for i in 0..6 {
        voters.push(
            app.member(&fac, &rt, &format!("e{i}"), "employer", "member")
                .await,
        );
        voters.push(
            app.member(&fac, &rt, &format!("u{i}"), "union", "member")
                .await,
        );
    }
    let v = save(&app, &fac, &doc, "v").await;
    let sha = v["sha256"].as_str().unwrap().to_owned();
    let a = body(
        propose(
            &app,
            &fac,
            v["id"].as_str().unwrap(),
            json!({"quorum": "one", "objections_block": false}),
        )
        .await,
    )
    .await;
    let id = a["id"].as_str().unwrap().to_owned();
    // Everyone endorses at once: the first endorsement of each side agrees
    // it; every later one finds it closed. One outcome, one seal.
    let base = app.base.clone();
    let tasks: Vec<_> = voters
        .into_iter()
        .map(|c| {
            let (base, id, sha) = (base.clone(), id.clone(), sha.clone());
            tokio::spawn(async move {
                c.post(format!("{base}/api/v1/agreements/{id}/positions"))
                    .json(&json!({"position": "endorse", "sha256": sha}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let status = t.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::CONFLICT,
            "{status}"
        );
        ok += usize::from(status == StatusCode::OK);
    }
    let a = get(&app, &fac, &format!("/api/v1/agreements/{id}")).await;
    assert_eq!(a["state"], "agreed");
    let recorded = a["voters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v["position"].is_null())
        .count();
    assert_eq!(
        recorded, ok,
        "every accepted position, and only those, is recorded"
    );
    assert_eq!(a["seal"].as_str().unwrap(), expected_seal(&a));
    let actions = audit_actions(&app, &fac, &rt).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "agreement_agreed").count(),
        1
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "agreement_position")
            .count(),
        ok
    );
}

async fn nobody_takes_a_position_for_another_side_or_after_closing(backend: Backend) {
    let Some(Table { app, fac, rt, doc }) = table(backend).await else {
        return;
    };
    // Every role on every side.
    let mut people = Vec::new();
    for side in ["employer", "union", "neutral"] {
        for role in ["facilitator", "member", "observer"] {
            let c = app
                .member(&fac, &rt, &format!("{side}-{role}"), side, role)
                .await;
            people.push((side, role, c));
        }
    }
    let v = save(&app, &fac, &doc, "v").await;
    let sha = v["sha256"].as_str().unwrap().to_owned();
    let a = body(
        propose(
            &app,
            &fac,
            v["id"].as_str().unwrap(),
            json!({"quorum": "all", "objections_block": true}),
        )
        .await,
    )
    .await;
    let id = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["electorate"], json!({"employer": 2, "union": 2}));
    for (side, role, c) in &people {
        let res = position(&app, c, &id, "abstain", &sha, None).await;
        let may = *side != "neutral" && *role != "observer";
        if may {
            let a = body(res).await;
            // Counted for the caller's own side only.
            let mine = a["voters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["display_name"] == format!("{side}-{role}"))
                .unwrap()
                .clone();
            assert_eq!(mine["side"], *side);
            assert_eq!(mine["position"], "abstain");
        } else {
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{side} {role}");
        }
    }
    let a = get(&app, &fac, &format!("/api/v1/agreements/{id}")).await;
    assert_eq!(a["progress"]["employer"]["abstain"], 2);
    assert_eq!(a["progress"]["union"]["abstain"], 2);
    // A side with nobody in it: nothing to agree.
    let fac2 = app.user("fac2").await;
    let lonely = app.roundtable(&fac2, "Lonely").await;
    app.member(&fac2, &lonely, "only-employer", "employer", "member")
        .await;
    let d = new_doc(&app, &fac2, &lonely, "notes").await;
    let lv = save(&app, &fac2, &d, "v").await;
    problem(
        propose(
            &app,
            &fac2,
            lv["id"].as_str().unwrap(),
            json!({"quorum": "one", "objections_block": false}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty-side",
    )
    .await;
    assert!(
        get(
            &app,
            &fac2,
            &format!("/api/v1/roundtables/{lonely}/agreements")
        )
        .await
        .as_array()
        .unwrap()
        .is_empty(),
        "a refused proposal leaves nothing behind"
    );
    // Withdrawn: nobody takes a position any more.
    let res = app
        .post(
            &fac,
            &format!("/api/v1/agreements/{id}/withdraw"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    for (side, role, c) in &people {
        let res = position(&app, c, &id, "endorse", &sha, None).await;
        let may = *side != "neutral" && *role != "observer";
        let expected = if may {
            StatusCode::CONFLICT
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(res.status(), expected, "{side} {role} after withdrawal");
    }
}

fn verify(app: &TestApp, rt: Option<&str>) -> (bool, String) {
    let mut cmd = std::process::Command::new(binary());
    cmd.args(["audit", "verify"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "error");
    if let Some(rt) = rt {
        cmd.args(["--roundtable", rt]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn the_audit_chain_is_append_only_and_verify_catches_tampering(backend: Backend) {
    let Some(Table { app, fac, rt, doc }) = table(backend).await else {
        return;
    };
    app.member(&fac, &rt, "e", "employer", "member").await;
    app.member(&fac, &rt, "u", "union", "member").await;
    let v = save(&app, &fac, &doc, "v").await;
    propose(
        &app,
        &fac,
        v["id"].as_str().unwrap(),
        json!({"quorum": "one", "objections_block": false}),
    )
    .await;
    let (ok, out) = verify(&app, None);
    assert!(ok, "{out}");
    assert!(out.contains("audit ok"), "{out}");

    let store = accord_store::Store::connect(&app.database_url)
        .await
        .unwrap();
    // Neither UPDATE nor DELETE gets through, from any client of the database.
    let (update, delete) = store.try_rewrite_audit_for_tests(&rt).await;
    assert!(update.is_err() && delete.is_err(), "{update:?} {delete:?}");
    let (ok, out) = verify(&app, Some(&rt));
    assert!(ok, "{out}");

    // Behind the server's back (the triggers set aside): verify names the entry.
    assert_eq!(
        store
            .tamper_audit_entry_for_tests(&rt, 3, "{\"forged\":true}")
            .await
            .unwrap(),
        1
    );
    let (ok, out) = verify(&app, Some(&rt));
    assert!(!ok, "a changed entry must fail verify: {out}");
    assert!(out.contains(&rt) && out.contains("entry 3"), "{out}");
    let (ok, _) = verify(&app, None);
    assert!(!ok);
    store.close().await;
}

async fn an_agreement_expires_at_its_closing_time(backend: Backend) {
    let Some(Table { app, fac, rt, doc }) = table(backend).await else {
        return;
    };
    let e = app.member(&fac, &rt, "e", "employer", "member").await;
    app.member(&fac, &rt, "u", "union", "member").await;
    let v = save(&app, &fac, &doc, "v").await;
    let closes = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let res = app
        .post(
            &fac,
            &format!("/api/v1/versions/{}/agreement", v["id"].as_str().unwrap()),
            json!({
                "rule": {"quorum": "one", "objections_block": false},
                "closes_at": closes.format(&time::format_description::well_known::Rfc3339).unwrap(),
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = body(res).await["id"].as_str().unwrap().to_owned();
    let mut state = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        state = get(&app, &fac, &format!("/api/v1/agreements/{id}")).await["state"]
            .as_str()
            .unwrap()
            .to_owned();
        if state == "expired" {
            break;
        }
    }
    assert_eq!(state, "expired");
    problem(
        position(
            &app,
            &e,
            &id,
            "endorse",
            v["sha256"].as_str().unwrap(),
            None,
        )
        .await,
        StatusCode::CONFLICT,
        "agreement-closed",
    )
    .await;
    let actions = audit_actions(&app, &fac, &rt).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "agreement_expired").count(),
        1
    );
}

/// A proposal and positions on one node reach a participant on the other.
#[tokio::test]
async fn two_nodes_hear_every_step_of_an_agreement() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let fac = a.user("fac").await;
    let rt = a.roundtable(&fac, "Two nodes").await;
    let e = a.member(&fac, &rt, "e", "employer", "member").await;
    let (_u, u_cookie) = a.member_and_cookie(&fac, &rt, "u", "union", "member").await;
    let doc = new_doc(&a, &fac, &rt, "notes").await;
    let v = save(&a, &fac, &doc, "v").await;
    let mut on_b = connect(&b.base, &u_cookie).await.unwrap();
    on_b.subscribe(&format!("roundtable:{rt}")).await;
    let res = propose(
        &a,
        &fac,
        v["id"].as_str().unwrap(),
        json!({"quorum": "one", "objections_block": false}),
    )
    .await;
    let id = body(res).await["id"].as_str().unwrap().to_owned();
    let m = on_b.of_type("agreement").await;
    assert_eq!(m["agreement"]["id"], id);
    assert_eq!(m["agreement"]["state"], "open");
    position(&a, &e, &id, "endorse", v["sha256"].as_str().unwrap(), None).await;
    let m = on_b
        .until(|m| {
            m["type"] == "agreement" && m["agreement"]["progress"]["employer"]["endorse"] == 1
        })
        .await;
    assert_eq!(m["agreement"]["state"], "open");
}

/// Every export of an agreed version is that version's exact text with its
/// agreement page: read back as text, each carries the hash and the seal.
#[tokio::test]
async fn an_agreed_version_exports_with_its_agreement_page() {
    let Some(Table { app, fac, rt, .. }) = table(Backend::Sqlite).await else {
        return;
    };
    let e = app
        .member(&fac, &rt, "employer-e", "employer", "member")
        .await;
    let u = app.member(&fac, &rt, "union-u", "union", "member").await;
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/documents"),
            json!({"title": "Opkvalificering på Ærø", "kind": "recommendation"}),
        )
        .await;
    let doc = body(res).await["id"].as_str().unwrap().to_owned();
    let outsider = app.user("outsider").await;
    let v = save(&app, &fac, &doc, "Final").await;
    let (vid, sha) = (v["id"].as_str().unwrap(), v["sha256"].as_str().unwrap());
    // Before any agreement: the text only.
    let md = app
        .get(&e, &format!("/api/v1/versions/{vid}/export.md"))
        .await;
    assert_eq!(md.status(), StatusCode::OK);
    let plain = md.text().await.unwrap();
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(plain.as_bytes())),
        sha
    );

    let a = body(
        propose(
            &app,
            &fac,
            vid,
            json!({"quorum": "all", "objections_block": true}),
        )
        .await,
    )
    .await;
    let id = a["id"].as_str().unwrap();
    position(&app, &e, id, "endorse", sha, None).await;
    let agreed = body(position(&app, &u, id, "endorse", sha, None).await).await;
    let seal = agreed["seal"].as_str().unwrap();

    let fetch = |ext: &'static str| {
        let url = app.url(&format!("/api/v1/versions/{vid}/export.{ext}?lang=da"));
        let c = e.clone();
        async move {
            let res = c.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{ext}");
            let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
            let cd = res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_owned();
            (ct, cd, res.bytes().await.unwrap().to_vec())
        }
    };
    let (ct, cd, md) = fetch("md").await;
    assert!(ct.starts_with("text/markdown"));
    assert!(cd.contains("attachment") && cd.contains("-v1.md"), "{cd}");
    let md = String::from_utf8(md).unwrap();
    assert!(
        md.starts_with(&plain),
        "the version's exact text comes first"
    );
    assert!(md.contains(seal) && md.contains(sha) && md.contains("employer-e"));

    let (ct, _, html) = fetch("html").await;
    assert!(ct.starts_with("text/html"));
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.to_lowercase().starts_with("<!doctype html>"),
        "a whole page"
    );
    assert!(html.contains("lang=\"da\"") && html.contains(seal));

    let (ct, _, docx) = fetch("docx").await;
    assert!(ct.contains("wordprocessingml"));
    assert_eq!(&docx[..2], b"PK", "a zip package");

    let (ct, _, pdf) = fetch("pdf").await;
    assert_eq!(ct, "application/pdf");
    assert_eq!(&pdf[..5], b"%PDF-");
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains(&seal[..16]), "the seal is selectable text");
        assert!(
            text.contains("Opkvalificering på Ærø"),
            "Danish letters survive: {text}"
        );
        assert!(text.contains("employer-e") && text.contains("union-u"));
    }

    // Outsiders get nothing; the current text is a whole page too.
    let res = app
        .get(&outsider, &format!("/api/v1/versions/{vid}/export.pdf"))
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    let page = app
        .get(&e, &format!("/api/v1/documents/{doc}/html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.to_lowercase().starts_with("<!doctype html>"));
    assert!(
        page.contains("Current text (not a saved version)"),
        "{page}"
    );
}

/// `pdftotext` of a PDF; `None` (with a notice) when the tool is missing
/// and not required.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("accord-pdf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        _ if accord_store::testing::services_required() => {
            panic!("pdftotext (poppler-utils) is required under CI=true")
        }
        _ => {
            eprintln!("SKIPPED: pdftotext missing; the PDF's text was not read back");
            None
        }
    }
}

/// The conference audience, in the same room, is never sent an agreement,
/// and its cookie opens none over REST.
#[tokio::test]
async fn the_audience_never_receives_agreements() {
    let Some(Table { app, fac, rt, doc }) = table(Backend::Sqlite).await else {
        return;
    };
    let e = app
        .member(&fac, &rt, "employer-e", "employer", "member")
        .await;
    app.member(&fac, &rt, "union-u", "union", "member").await;
    let live = app.start_live(&fac, &rt).await;
    let (aud, aud_cookie) = crate::polls::join(&app, live["join_code"].as_str().unwrap()).await;
    let mut aud_ws = connect(&app.base, &aud_cookie).await.unwrap();
    aud_ws.subscribe(&format!("roundtable:{rt}")).await;

    let v = save(&app, &fac, &doc, "v").await;
    let a = body(
        propose(
            &app,
            &fac,
            v["id"].as_str().unwrap(),
            json!({"quorum": "one", "objections_block": false}),
        )
        .await,
    )
    .await;
    let id = a["id"].as_str().unwrap();
    position(&app, &e, id, "endorse", v["sha256"].as_str().unwrap(), None).await;
    // A facilitator's question reaches the audience; nothing about the agreement came before it.
    app.post(
        &fac,
        &format!("/api/v1/roundtables/{rt}/questions"),
        json!({"text": "Any questions?"}),
    )
    .await;
    aud_ws
        .until(|m| {
            assert_ne!(m["type"], "agreement", "the audience was sent {m}");
            m["type"] == "question"
        })
        .await;
    for path in [
        format!("/api/v1/agreements/{id}"),
        format!("/api/v1/roundtables/{rt}/agreements"),
        format!("/api/v1/roundtables/{rt}/audit"),
    ] {
        let res = app.get(&aud, &path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

/// An indicative vote on a draft: a participants' poll names the version it
/// decides; the audience cannot be shown one, and an id from elsewhere names nothing.
#[tokio::test]
async fn a_poll_names_the_version_it_decides() {
    let Some(Table { app, fac, rt, doc }) = table(Backend::Sqlite).await else {
        return;
    };
    let v = save(&app, &fac, &doc, "Draft").await;
    let vid = v["id"].as_str().unwrap();
    let spec = |subject: Value, audience: bool| {
        json!({
            "question": "Is this draft ready for agreement?",
            "kind": "single",
            "options": ["Yes", "Not yet"],
            "audience": audience,
            "subject": subject,
        })
    };
    let p = crate::polls::poll(&app, &fac, &rt, spec(json!({"version_id": vid}), false)).await;
    assert_eq!(p["subject"], json!({"version_id": vid}));
    let listed = get(&app, &fac, &format!("/api/v1/roundtables/{rt}/polls")).await;
    assert_eq!(listed[0]["subject"]["version_id"], vid);
    let url = format!("/api/v1/roundtables/{rt}/polls");
    // Shown to the conference audience: refused, a draft stays inside.
    problem(
        app.post(&fac, &url, spec(json!({"version_id": vid}), true))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    // A version of another roundtable, an unknown one, a passage that is not there, nonsense.
    let other_fac = app.user("other").await;
    let other_rt = app.roundtable(&other_fac, "Other").await;
    let other_doc = new_doc(&app, &other_fac, &other_rt, "notes").await;
    let other_v = save(&app, &other_fac, &other_doc, "theirs").await;
    for bad in [
        json!({"version_id": other_v["id"]}),
        json!({"version_id": uuid::Uuid::new_v4().to_string()}),
        json!({"document_id": doc, "comment_id": uuid::Uuid::new_v4().to_string()}),
        json!({"version_id": "not-a-uuid"}),
        json!({"document": doc}),
        json!("v1"),
    ] {
        let res = app.post(&fac, &url, spec(bad.clone(), false)).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(p["errors"][0]["field"], "subject", "{bad}: {p}");
    }
    let listed = get(&app, &fac, &format!("/api/v1/roundtables/{rt}/polls")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing half-made");
}
