//! Two nodes, one of which loses every note it sends on the bus: the other
//! still shows its questions, read from the database, to each viewer in
//! their own shape.

use crate::events::connect;
use crate::helpers::{body, two_nodes_with};
use crate::polls::join;
use serde_json::json;

#[tokio::test]
async fn questions_reach_the_other_node_even_when_every_note_is_lost() {
    // Node A loses all its bus messages but its high-water marks.
    let Some((a, b)) = two_nodes_with(&[("ACCORD_TEST_BUS_DROP", "1")], &[]).await else {
        return;
    };
    let (fac, fac_cookie) = a.user_and_cookie("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let erik = a.member(&fac, &rt, "erikvoss", "employer", "member").await;
    let live = a.start_live(&fac, &rt).await;
    let (_, aud_cookie) = join(&b, live["join_code"].as_str().unwrap()).await;
    let room = format!("roundtable:{rt}");
    let mut fac_ws = connect(&b.base, &fac_cookie).await.unwrap();
    fac_ws.subscribe(&room).await;
    let mut aud_ws = connect(&b.base, &aud_cookie).await.unwrap();
    aud_ws.subscribe(&room).await;

    let url = format!("/api/v1/roundtables/{rt}/questions");
    let q = body(
        a.post(&erik, &url, json!({"text": "What does it cost?"}))
            .await,
    )
    .await;
    let qid = q["id"].as_str().unwrap().to_owned();
    // The facilitator on B learns of the pending question within a
    // high-water period (`until` gives up after 10 s).
    let pending = fac_ws
        .until(|v| v["type"] == "question" && v["question"]["id"] == qid.as_str())
        .await;
    assert_eq!(pending["question"]["status"], "pending");
    assert_eq!(pending["question"]["author_name"], "erikvoss");

    let res = fac
        .patch(a.url(&format!("/api/v1/questions/{qid}")))
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let pushed = aud_ws
        .until(|v| v["type"] == "question" && v["question"]["id"] == qid.as_str())
        .await;
    assert_eq!(pushed["question"]["status"], "approved");
    assert_eq!(pushed["question"]["from"], "participant");
    let raw = pushed.to_string();
    assert!(
        !raw.contains("erikvoss") && !raw.contains("employer"),
        "no name or side for the audience: {raw}"
    );
    let approved = fac_ws
        .until(|v| v["type"] == "question" && v["question"]["status"] == "approved")
        .await;
    assert_eq!(approved["question"]["id"], qid.as_str());
}

/// The node that proposes and records positions loses every note it sends:
/// a participant on the other node still sees the agreement and its
/// outcome, re-read from the database when the high-water mark shows a gap.
#[tokio::test]
async fn agreements_reach_the_other_node_even_when_every_note_is_lost() {
    let Some((a, b)) = two_nodes_with(&[("ACCORD_TEST_BUS_DROP", "1")], &[]).await else {
        return;
    };
    let fac = a.user("freja").await;
    let rt = a.roundtable(&fac, "T").await;
    let e = a.member(&fac, &rt, "e", "employer", "member").await;
    let (u, u_cookie) = a.member_and_cookie(&fac, &rt, "u", "union", "member").await;
    let doc = crate::documents::new_doc(&a, &fac, &rt, "notes").await;
    let v = body(
        a.post(
            &fac,
            &format!("/api/v1/documents/{doc}/versions"),
            json!({"name": "v"}),
        )
        .await,
    )
    .await;
    let sha = v["sha256"].as_str().unwrap();
    let mut on_b = connect(&b.base, &u_cookie).await.unwrap();
    on_b.subscribe(&format!("roundtable:{rt}")).await;
    let proposed = body(
        a.post(
            &fac,
            &format!("/api/v1/versions/{}/agreement", v["id"].as_str().unwrap()),
            json!({"rule": {"quorum": "one", "objections_block": false}}),
        )
        .await,
    )
    .await;
    let id = proposed["id"].as_str().unwrap();
    for c in [&e, &u] {
        let res = a
            .post(
                c,
                &format!("/api/v1/agreements/{id}/positions"),
                json!({"position": "endorse", "sha256": sha}),
            )
            .await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
    }
    let agreed = on_b
        .until(|m| m["type"] == "agreement" && m["agreement"]["state"] == "agreed")
        .await;
    assert_eq!(agreed["agreement"]["id"], id);
    assert!(agreed["agreement"]["seal"].is_string());
}
