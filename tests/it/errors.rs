//! Bad input: always a clear 4xx problem+json, never a 500, never a partial write.

use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    bad_bodies_are_clear_errors_and_write_nothing,
    foreign_origins_are_refused,
    control_characters_are_refused_in_every_text_field,
    schemathesis_findings_stay_fixed
);

/// What schemathesis found against `/api/openapi.json`, each now a test.
async fn schemathesis_findings_stay_fixed(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.user("freja").await;
    let rt = app.roundtable(&c, "T").await;
    let res = c
        .post(app.url(&format!("/api/v1/roundtables/{rt}/documents")))
        .json(&json!({"title": "Programme", "kind": "notes"}))
        .send()
        .await
        .unwrap();
    let doc = body(res).await["id"].as_str().unwrap().to_owned();
    // A struct read from an array of its fields' values was accepted.
    let res = c
        .patch(app.url(&format!("/api/v1/documents/{doc}")))
        .json(&json!([null, null]))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["errors"][0]["field"], "body");
    // A plain GET of a socket endpoint was axum's plain-text 400.
    for path in ["/api/v1/ws".to_owned(), format!("/api/v1/yjs/{doc}")] {
        problem(
            app.get(&c, &path).await,
            StatusCode::UPGRADE_REQUIRED,
            "upgrade-required",
        )
        .await;
    }
    // The document says what errors are: problem+json, for any status.
    let doc = body(app.get(&c, "/api/openapi.json").await).await;
    let register = &doc["paths"]["/api/v1/auth/register"]["post"]["responses"];
    assert!(
        register["422"]["content"]["application/problem+json"].is_object(),
        "{register}"
    );
    assert!(register["default"]["content"]["application/problem+json"].is_object());
    // Untagged unions overlap (a value may fit both views): anyOf, not oneOf.
    for name in ["QuestionView", "ResultsOut"] {
        let schema = &doc["components"]["schemas"][name];
        assert!(
            schema["anyOf"].is_array() && schema.get("oneOf").is_none(),
            "{name}: {schema}"
        );
    }
}

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
        ("post", "/api/v1/documents/{id}/versions"),
        ("get", "/api/v1/documents/{id}/versions"),
        ("get", "/api/v1/versions/{id}"),
        ("get", "/api/v1/versions/{id}/markdown"),
        ("post", "/api/v1/versions/{id}/restore"),
        ("get", "/api/v1/documents/{id}/diff"),
        ("get", "/api/v1/documents/{id}/diff.html"),
        ("post", "/api/v1/versions/{id}/agreement"),
        ("post", "/api/v1/agreements/{id}/positions"),
        ("post", "/api/v1/agreements/{id}/withdraw"),
        ("get", "/api/v1/agreements/{id}"),
        ("get", "/api/v1/roundtables/{id}/agreements"),
        ("get", "/api/v1/roundtables/{id}/agreed"),
        ("get", "/api/v1/roundtables/{id}/audit"),
        ("get", "/api/v1/versions/{id}/export.md"),
        ("get", "/api/v1/versions/{id}/export.html"),
        ("get", "/api/v1/versions/{id}/export.docx"),
        ("get", "/api/v1/versions/{id}/export.pdf"),
        ("post", "/api/v1/documents/{id}/comments"),
        ("get", "/api/v1/documents/{id}/comments"),
        ("post", "/api/v1/comments/{id}/replies"),
        ("post", "/api/v1/comments/{id}/resolve"),
        ("post", "/api/v1/comments/{id}/reopen"),
        ("patch", "/api/v1/comments/{id}"),
        ("delete", "/api/v1/comments/{id}"),
        ("post", "/api/v1/roundtables/{id}/polls"),
        ("get", "/api/v1/roundtables/{id}/polls"),
        ("get", "/api/v1/polls/{id}"),
        ("patch", "/api/v1/polls/{id}"),
        ("delete", "/api/v1/polls/{id}"),
        ("post", "/api/v1/polls/{id}/duplicate"),
        ("put", "/api/v1/roundtables/{id}/poll-order"),
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

/// Asserts a 422 `validation` problem naming `field`.
async fn refused(res: reqwest::Response, field: &str) {
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["errors"][0]["field"], field, "{p}");
}

/// NUL made PostgreSQL fail (500) where SQLite stored it (201); ESC and BEL
/// reach whoever reads a log or an export. Every text field refuses them
/// the same way on both backends, and writes nothing.
async fn control_characters_are_refused_in_every_text_field(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let fac = app.user("freja").await;
    let rt = app.roundtable(&fac, "Real").await;
    let rt_url = |tail: &str| format!("/api/v1/roundtables/{rt}{tail}");

    for bad in ["\u{0}", "\u{7}", "\u{1b}[2J"] {
        let with = |s: &str| format!("a{bad}{s}");
        let anon = app.client();
        let res = app
            .post(
                &anon,
                "/api/v1/auth/register",
                json!({"email": "x@example.org", "password": "correct horse battery", "display_name": with("Ann")}),
            )
            .await;
        refused(res, "display_name").await;
        for (field, rt_body) in [
            ("title", json!({"title": with("T"), "theme": "other"})),
            (
                "description",
                json!({"title": "T", "theme": "other", "description": with("line\nline")}),
            ),
            (
                "organisation",
                json!({"title": "T", "theme": "other", "organisation": with("3F")}),
            ),
        ] {
            refused(app.post(&fac, "/api/v1/roundtables", rt_body).await, field).await;
        }
        let res = app
            .post(
                &fac,
                &rt_url("/documents"),
                json!({"title": with("Doc"), "kind": "notes"}),
            )
            .await;
        refused(res, "title").await;
        let res = app
            .post(
                &fac,
                &rt_url("/polls"),
                json!({"question": with("Q?"), "kind": "single", "options": ["yes", "no"]}),
            )
            .await;
        refused(res, "question").await;
        let res = app
            .post(
                &fac,
                &rt_url("/polls"),
                json!({"question": "Q?", "kind": "single", "options": ["yes", with("no")]}),
            )
            .await;
        refused(res, "options[1]").await;
        let res = app
            .post(&fac, &rt_url("/questions"), json!({"text": with("Why?")}))
            .await;
        refused(res, "text").await;
    }

    // The same rule behind invitations, open-text ballots, renames and the audience.
    let inv = app.invite(&fac, &rt, "union", "member").await;
    let token = inv["token"].as_str().unwrap();
    let ulla = app.user("ulla").await;
    let res = app
        .post(
            &ulla,
            &format!("/api/v1/invitations/{token}/accept"),
            json!({"organisation": "3F\u{0}"}),
        )
        .await;
    refused(res, "organisation").await;
    let doc = body(
        app.post(
            &fac,
            &rt_url("/documents"),
            json!({"title": "Doc", "kind": "notes"}),
        )
        .await,
    )
    .await;
    let res = fac
        .patch(app.url(&format!(
            "/api/v1/documents/{}",
            doc["id"].as_str().unwrap()
        )))
        .json(&json!({"title": "Doc\u{1b}"}))
        .send()
        .await
        .unwrap();
    refused(res, "title").await;
    let text_poll = body(
        app.post(
            &fac,
            &rt_url("/polls"),
            json!({"question": "One word?", "kind": "text", "audience": true}),
        )
        .await,
    )
    .await;
    let poll_id = text_poll["id"].as_str().unwrap();
    let res = app
        .post(&fac, &format!("/api/v1/polls/{poll_id}/open"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(
            &fac,
            &format!("/api/v1/polls/{poll_id}/ballots"),
            json!({"text": "time\u{0}"}),
        )
        .await;
    refused(res, "text").await;
    let live = body(app.post(&fac, &rt_url("/live"), json!({})).await).await;
    let res = app
        .post(
            &app.client(),
            "/api/v1/join",
            json!({"code": live["join_code"], "display_name": "Guest\u{7}"}),
        )
        .await;
    refused(res, "display_name").await;

    // Nothing was written.
    assert_eq!(count_roundtables(&app, &fac).await, 1);
    let docs = body(app.get(&fac, &rt_url("/documents")).await).await;
    assert_eq!(docs.as_array().unwrap().len(), 1);
    assert_eq!(docs[0]["title"], "Doc");
    let polls = body(app.get(&fac, &rt_url("/polls")).await).await;
    assert_eq!(polls.as_array().unwrap().len(), 1);
    let questions = body(app.get(&fac, &rt_url("/questions")).await).await;
    assert_eq!(questions.as_array().unwrap().len(), 0);
    let people = body(app.get(&fac, &rt_url("/participants")).await).await;
    assert_eq!(people.as_array().unwrap().len(), 1);
    let r = body(
        app.get(&fac, &format!("/api/v1/polls/{poll_id}/results"))
            .await,
    )
    .await;
    assert_eq!(r["total"], 0);
    let res = app
        .post(
            &app.client(),
            "/api/v1/auth/login",
            json!({"email": "x@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Multi-line fields keep tab and newline; CRLF is stored as LF.
    let res = app
        .post(
            &fac,
            "/api/v1/roundtables",
            json!({"title": "Lines", "theme": "other", "description": "one\r\ntwo\n\tthree"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(body(res).await["description"], "one\ntwo\n\tthree");
    let res = app
        .post(&fac, &rt_url("/questions"), json!({"text": "Why\r\nnot?"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(body(res).await["text"], "Why\nnot?");
}

/// The web's generated types come from `web/src/generated/openapi.json`;
/// it must be what the server serves (`cargo xtask openapi` rewrites both).
#[test]
fn the_webs_openapi_snapshot_is_what_the_server_serves() {
    let out = std::process::Command::new(crate::helpers::binary())
        .arg("openapi")
        .output()
        .expect("accord openapi");
    assert!(out.status.success());
    let served: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/generated/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("snapshot")).expect("JSON");
    assert!(
        served == committed,
        "{} is stale: run `cargo xtask openapi`",
        path.display()
    );
}
