//! Roundtables, invitations, participants and who may do what.

use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    invite_both_sides_and_see_each_other,
    outsiders_cannot_tell_a_roundtable_exists,
    single_use_invitations_are_refused_on_replay,
    only_facilitators_manage,
    sides_are_fixed_and_a_facilitator_remains,
    expired_invitations_are_refused,
);

async fn invite_both_sides_and_see_each_other(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "Gender diversity").await;

    let inv = app.invite(&fac, &rt, "employer", "member").await;
    let url = inv["url"].as_str().unwrap();
    let token = inv["token"].as_str().unwrap();
    assert!(
        url.starts_with(&app.base) && url.ends_with(&format!("/invite/{token}")),
        "{url}"
    );

    // The invitee can preview before signing in.
    let preview = body(
        app.get(&app.client(), &format!("/api/v1/invitations/{token}"))
            .await,
    )
    .await;
    assert_eq!(preview["roundtable_title"], "Gender diversity");
    assert_eq!(preview["side"], "employer");

    // Accepting needs an account.
    let anon = app.client();
    problem(
        app.accept(&anon, token, "ETNO").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    let erik = app.user("erik").await;
    let res = app.accept(&erik, token, "ETNO").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await["roundtable_id"], rt.as_str());

    let ulla = app.user("ulla").await;
    let inv = app.invite(&fac, &rt, "union", "member").await;
    assert_eq!(
        app.accept(&ulla, inv["token"].as_str().unwrap(), "UNI Europa")
            .await
            .status(),
        StatusCode::OK
    );

    for c in [&fac, &erik, &ulla] {
        let people = body(
            app.get(c, &format!("/api/v1/roundtables/{rt}/participants"))
                .await,
        )
        .await;
        let seen: Vec<(String, String, String)> = people
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["display_name"].as_str().unwrap().to_owned(),
                    p["side"].as_str().unwrap().to_owned(),
                    p["organisation"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("erik".into(), "employer".into(), "ETNO".into()),
                ("freja".into(), "neutral".into(), "".into()),
                ("ulla".into(), "union".into(), "UNI Europa".into()),
            ]
        );
    }
    let mine = body(app.get(&ulla, "/api/v1/roundtables").await).await;
    assert_eq!(mine[0]["my_side"], "union");
    assert_eq!(mine[0]["my_role"], "member");
    let one = body(app.get(&erik, &format!("/api/v1/roundtables/{rt}")).await).await;
    assert_eq!(one["my_side"], "employer");
}

async fn outsiders_cannot_tell_a_roundtable_exists(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "Private").await;
    let outsider = app.user("mallory").await;
    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/api/v1/roundtables/{rt}"),
        format!("/api/v1/roundtables/{rt}/participants"),
    ] {
        let exists = problem(
            app.get(&outsider, &path).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        let other = path.replace(&rt, &unknown.to_string());
        let missing = problem(
            app.get(&outsider, &other).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        assert_eq!(exists, missing);
    }
    let res = app
        .post(
            &outsider,
            &format!("/api/v1/roundtables/{rt}/invitations"),
            json!({"side": "union", "role": "member"}),
        )
        .await;
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(
        body(app.get(&outsider, "/api/v1/roundtables").await).await,
        json!([])
    );
    problem(
        app.get(&app.client(), &format!("/api/v1/roundtables/{rt}"))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

async fn single_use_invitations_are_refused_on_replay(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let inv = app.invite(&fac, &rt, "union", "member").await;
    let token = inv["token"].as_str().unwrap();
    let ulla = app.user("ulla").await;
    assert_eq!(
        app.accept(&ulla, token, "3F").await.status(),
        StatusCode::OK
    );
    problem(
        app.accept(&ulla, token, "3F").await,
        StatusCode::GONE,
        "invitation-unusable",
    )
    .await;
    let mallory = app.user("mallory").await;
    problem(
        app.accept(&mallory, token, "X").await,
        StatusCode::GONE,
        "invitation-unusable",
    )
    .await;
    problem(
        app.get(&mallory, &format!("/api/v1/invitations/{token}"))
            .await,
        StatusCode::GONE,
        "invitation-unusable",
    )
    .await;
    problem(
        app.get(&mallory, &format!("/api/v1/roundtables/{rt}"))
            .await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // A participant who opens a fresh link again is told so, and the link stays usable.
    let inv = app.invite(&fac, &rt, "employer", "member").await;
    let token = inv["token"].as_str().unwrap();
    problem(
        app.accept(&ulla, token, "3F").await,
        StatusCode::CONFLICT,
        "already-participant",
    )
    .await;
    assert_eq!(
        app.accept(&mallory, token, "X").await.status(),
        StatusCode::OK
    );

    // Unknown and malformed tokens.
    let fake = "A".repeat(43);
    problem(
        app.accept(&ulla, &fake, "3F").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    problem(
        app.accept(&ulla, "short", "3F").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Multi-use links admit several people.
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/invitations"),
            json!({"side": "neutral", "role": "observer", "single_use": false}),
        )
        .await;
    let token = body(res).await["token"].as_str().unwrap().to_owned();
    for name in ["o1", "o2"] {
        let c = app.user(name).await;
        assert_eq!(app.accept(&c, &token, "EU").await.status(), StatusCode::OK);
    }
}

async fn only_facilitators_manage(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let erik = app.member(&fac, &rt, "erik", "employer", "member").await;
    let obs = app.member(&fac, &rt, "olga", "neutral", "observer").await;
    let me = body(app.get(&obs, "/api/v1/me").await).await;
    let obs_id = me["id"].as_str().unwrap();

    for c in [&erik, &obs] {
        let res = app
            .post(
                c,
                &format!("/api/v1/roundtables/{rt}/invitations"),
                json!({"side": "union", "role": "member"}),
            )
            .await;
        problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let res = erik
        .patch(app.url(&format!("/api/v1/roundtables/{rt}/participants/{obs_id}")))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = erik
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/participants/{obs_id}")))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    // The facilitator can promote and remove.
    let res = fac
        .patch(app.url(&format!("/api/v1/roundtables/{rt}/participants/{obs_id}")))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(res).await["role"], "member");
    let res = fac
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/participants/{obs_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&obs, &format!("/api/v1/roundtables/{rt}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    // Anyone may leave.
    let erik_id = body(app.get(&erik, "/api/v1/me").await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = erik
        .delete(app.url(&format!("/api/v1/roundtables/{rt}/participants/{erik_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let people = body(
        app.get(&fac, &format!("/api/v1/roundtables/{rt}/participants"))
            .await,
    )
    .await;
    assert_eq!(people.as_array().unwrap().len(), 1);
}

async fn sides_are_fixed_and_a_facilitator_remains(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let ulla = app.member(&fac, &rt, "ulla", "union", "member").await;
    let ulla_id = body(app.get(&ulla, "/api/v1/me").await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let fac_id = body(app.get(&fac, "/api/v1/me").await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/roundtables/{rt}/participants");

    let res = fac
        .patch(app.url(&format!("{path}/{ulla_id}")))
        .json(&json!({"role": "member", "side": "employer"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = fac
        .patch(app.url(&format!("{path}/{fac_id}")))
        .json(&json!({"role": "facilitator", "side": "union"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = fac
        .patch(app.url(&format!("{path}/{fac_id}")))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT, "last-facilitator").await;
    let res = fac
        .delete(app.url(&format!("{path}/{fac_id}")))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::CONFLICT, "last-facilitator").await;

    let people = body(app.get(&fac, &path).await).await;
    let sides: Vec<(&str, &str)> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["side"].as_str().unwrap(), p["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sides,
        [("neutral", "facilitator"), ("union", "member")],
        "nothing changed"
    );
    let res = fac
        .patch(app.url(&format!("{path}/{}", uuid::Uuid::new_v4())))
        .json(&json!({"role": "member"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::NOT_FOUND, "not-found").await;
}

async fn expired_invitations_are_refused(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "T").await;
    let res = app
        .post(
            &fac,
            &format!("/api/v1/roundtables/{rt}/invitations"),
            json!({"side": "union", "role": "member", "expires_in_hours": 0}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let inv = app.invite(&fac, &rt, "union", "member").await;
    let token = inv["token"].as_str().unwrap();
    // Age the invitation the only way a black-box test can: in its database.
    let store = accord_store::Store::connect(&app.database_url)
        .await
        .unwrap();
    store.expire_invitations_for_tests(&rt).await.unwrap();
    let ulla = app.user("ulla").await;
    problem(
        app.get(&ulla, &format!("/api/v1/invitations/{token}"))
            .await,
        StatusCode::GONE,
        "invitation-unusable",
    )
    .await;
    problem(
        app.accept(&ulla, token, "3F").await,
        StatusCode::GONE,
        "invitation-unusable",
    )
    .await;
    problem(
        app.get(&ulla, &format!("/api/v1/roundtables/{rt}")).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
}
