//! Bad input: always a clear 4xx problem+json, never a 500, never a partial write.

use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    bad_bodies_are_clear_errors_and_write_nothing,
    foreign_origins_are_refused
);

async fn count_roundtables(app: &TestApp, c: &reqwest::Client) -> usize {
    body(app.get(c, "/api/v1/roundtables").await)
        .await
        .as_array()
        .unwrap()
        .len()
}

async fn bad_bodies_are_clear_errors_and_write_nothing(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.user("ann").await;
    let url = app.url("/api/v1/roundtables");
    let send = |body: String, ct: &'static str| {
        let c = c.clone();
        let url = url.clone();
        async move {
            c.post(url)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };

    problem(
        send("{\"title\":".into(), "application/json").await,
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
    problem(
        send("{\"title\" \"x\"}".into(), "application/json").await,
        StatusCode::BAD_REQUEST,
        "malformed-json",
    )
    .await;
    let p = problem(
        send(
            json!({"title": 5, "theme": "other"}).to_string(),
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "title");
    let p = problem(
        send(
            json!({"title": "x", "theme": "astrology"}).to_string(),
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "theme");
    problem(
        send(json!({"theme": "other"}).to_string(), "application/json").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        send(
            json!({"title": "  ", "theme": "other"}).to_string(),
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        send(
            json!({"title": "x".repeat(201), "theme": "other"}).to_string(),
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    problem(
        send(
            json!({"title": "x", "theme": "other"}).to_string(),
            "text/plain",
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
    let huge =
        json!({"title": "x", "theme": "other", "description": "a".repeat(100_000)}).to_string();
    problem(
        send(huge, "application/json").await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
    )
    .await;
    problem(
        send("null".into(), "application/json").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        count_roundtables(&app, &c).await,
        0,
        "no bad request wrote anything"
    );

    // Unknown and malformed ids are 404s.
    for path in [
        "/api/v1/roundtables/not-a-uuid",
        "/api/v1/roundtables/00000000-0000-0000-0000-000000000000/participants",
        "/api/v1/nothing-here",
    ] {
        problem(app.get(&c, path).await, StatusCode::NOT_FOUND, "not-found").await;
    }
    // A wrong method on a known route is a 405, still not a 500.
    let res = c.put(app.url("/api/v1/roundtables")).send().await.unwrap();
    problem(res, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed").await;

    let rt = app.roundtable(&c, "Real").await;
    let res = app
        .post(
            &c,
            &format!("/api/v1/roundtables/{rt}/invitations"),
            json!({"side": "management", "role": "member"}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let res = app
        .post(
            &c,
            &format!("/api/v1/roundtables/{rt}/invitations"),
            json!({"side": "union", "role": "member", "expires_in_hours": -1}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let inv = app.invite(&c, &rt, "union", "member").await;
    let ulla = app.user("ulla").await;
    let res = app
        .post(
            &ulla,
            &format!(
                "/api/v1/invitations/{}/accept",
                inv["token"].as_str().unwrap()
            ),
            json!({"organisation": ""}),
        )
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    // The refused acceptance did not use up the link.
    assert_eq!(
        app.accept(&ulla, inv["token"].as_str().unwrap(), "3F")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn foreign_origins_are_refused(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.user("ann").await;
    let body_json = json!({"title": "x", "theme": "other"});
    let res = c
        .post(app.url("/api/v1/roundtables"))
        .header("origin", "https://evil.example")
        .json(&body_json)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    let res = c
        .post(app.url("/api/v1/roundtables"))
        .header("sec-fetch-site", "cross-site")
        .json(&body_json)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(count_roundtables(&app, &c).await, 0);
    // The page's own origin is fine.
    let res = c
        .post(app.url("/api/v1/roundtables"))
        .header("origin", app.base.clone())
        .json(&body_json)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Reading is allowed from anywhere (cookies are SameSite=Lax anyway).
    let res = c
        .get(app.url("/api/v1/roundtables"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn openapi_covers_every_route() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let doc: Value = body(app.get(&app.client(), "/api/openapi.json").await).await;
    let expected = [
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/logout"),
        ("get", "/api/v1/me"),
        ("post", "/api/v1/roundtables"),
        ("get", "/api/v1/roundtables"),
        ("get", "/api/v1/roundtables/{id}"),
        ("get", "/api/v1/roundtables/{id}/participants"),
        ("patch", "/api/v1/roundtables/{id}/participants/{user_id}"),
        ("delete", "/api/v1/roundtables/{id}/participants/{user_id}"),
        ("post", "/api/v1/roundtables/{id}/invitations"),
        ("get", "/api/v1/invitations/{token}"),
        ("post", "/api/v1/invitations/{token}/accept"),
        ("post", "/api/v1/roundtables/{id}/documents"),
        ("get", "/api/v1/roundtables/{id}/documents"),
        ("get", "/api/v1/documents/{id}"),
        ("patch", "/api/v1/documents/{id}"),
        ("get", "/api/v1/documents/{id}/markdown"),
        ("get", "/api/v1/documents/{id}/html"),
        ("get", "/api/v1/yjs/{id}"),
        ("post", "/api/v1/roundtables/{id}/polls"),
        ("get", "/api/v1/roundtables/{id}/polls"),
        ("get", "/api/v1/polls/{id}"),
        ("post", "/api/v1/polls/{id}/open"),
        ("post", "/api/v1/polls/{id}/close"),
        ("post", "/api/v1/polls/{id}/ballots"),
        ("get", "/api/v1/polls/{id}/results"),
        ("get", "/api/v1/polls/{id}/results.csv"),
        ("get", "/api/v1/poll-templates"),
        ("post", "/api/v1/roundtables/{id}/live"),
        ("get", "/api/v1/roundtables/{id}/live"),
        ("delete", "/api/v1/roundtables/{id}/live"),
        ("post", "/api/v1/join"),
        ("get", "/api/v1/audience/me"),
        ("post", "/api/v1/roundtables/{id}/questions"),
        ("get", "/api/v1/roundtables/{id}/questions"),
        ("post", "/api/v1/questions/{id}/upvote"),
        ("patch", "/api/v1/questions/{id}"),
        ("get", "/api/v1/ws"),
        ("get", "/healthz"),
        ("get", "/readyz"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    for (method, path) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is undocumented"
        );
    }
    assert_eq!(
        documented,
        expected.len(),
        "a route is documented but not listed here"
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let c = app.client();
    assert_eq!(app.get(&c, "/healthz").await.status(), StatusCode::OK);
    assert_eq!(body(app.get(&c, "/readyz").await).await["status"], "ready");
    // The web UI answers deep links with its single page.
    let res = app.get(&c, "/roundtables/whatever").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}
