//! Accounts, sessions, rate limits.

use crate::helpers::{body, on_both_backends, problem, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    register_sign_in_sign_out,
    login_never_reveals_accounts,
    weak_and_invalid_registration_refused,
    logout_revokes_the_session_server_side,
    login_limit_is_per_account_and_address,
);

async fn register_sign_in_sign_out(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.client();
    let res = app
        .post(&c, "/api/v1/auth/register", json!({"email": "Mette@Example.org", "password": "correct horse battery", "display_name": " Mette "}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("accord_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http must not set Secure");
    let me = body(res).await;
    assert_eq!(me["email"], "mette@example.org");
    assert_eq!(me["display_name"], "Mette");
    assert_eq!(body(app.get(&c, "/api/v1/me").await).await["id"], me["id"]);

    // The same address in another case is the same account.
    let again = app
        .post(&app.client(), "/api/v1/auth/register", json!({"email": "METTE@example.org", "password": "another long one", "display_name": "M"}))
        .await;
    problem(again, StatusCode::CONFLICT, "email-taken").await;

    let res = app.post(&c, "/api/v1/auth/logout", json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        app.get(&c, "/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;

    let c2 = app.client();
    let res = app
        .post(
            &c2,
            "/api/v1/auth/login",
            json!({"email": "mETTE@example.ORG", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body(app.get(&c2, "/api/v1/me").await).await["id"], me["id"]);
}

async fn login_never_reveals_accounts(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.user("ann").await;
    let c = app.client();
    let wrong = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "ann@example.org", "password": "not the password"}),
        )
        .await;
    let wrong = problem(wrong, StatusCode::UNAUTHORIZED, "invalid-credentials").await;
    let nobody = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "nobody@example.org", "password": "not the password"}),
        )
        .await;
    let nobody = problem(nobody, StatusCode::UNAUTHORIZED, "invalid-credentials").await;
    assert_eq!(wrong, nobody, "the two failures must be indistinguishable");
}

async fn weak_and_invalid_registration_refused(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.client();
    let res = app
        .post(
            &c,
            "/api/v1/auth/register",
            json!({"email": "not-an-address", "password": "short", "display_name": ""}),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "display_name", "password"]);
    let res = app
        .post(
            &c,
            "/api/v1/auth/register",
            json!({"email": "a@example.org", "password": "Password123", "display_name": "A"}),
        )
        .await;
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(p["errors"][0]["field"], "password");
    // Nothing was written: the address is still free.
    app.user("a").await;
}

async fn logout_revokes_the_session_server_side(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.client();
    let res = app
        .post(&c, "/api/v1/auth/register", json!({"email": "r@example.org", "password": "correct horse battery", "display_name": "R"}))
        .await;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    app.post(&c, "/api/v1/auth/logout", json!({})).await;
    // Replaying the old cookie after sign-out must not work.
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    problem(replay, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

/// A client whose connections come from `ip`, another loopback address:
/// the server trusts only the TCP peer, so this is another address to it.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

async fn login_limit_is_per_account_and_address(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    app.user("target").await;
    let attacker = client_from([127, 0, 0, 2]);
    let mut limited = None;
    for _ in 0..15 {
        let res = app
            .post(
                &attacker,
                "/api/v1/auth/login",
                json!({"email": "target@example.org", "password": "guess guess guess"}),
            )
            .await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = limited.expect("the limit must trigger within 15 attempts");
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    problem(res, StatusCode::TOO_MANY_REQUESTS, "rate-limited").await;
    // From the guessing address even the right password waits: the limit
    // counts attempts, not failures, so a 429 says nothing about a guess.
    let res = app
        .post(
            &attacker,
            "/api/v1/auth/login",
            json!({"email": "TARGET@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner, on their own address, is not locked out by it.
    let res = app
        .post(
            &app.client(),
            "/api/v1/auth/login",
            json!({"email": "target@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Nor is another account at the guessing address.
    app.user("other").await;
    let res = app
        .post(
            &client_from([127, 0, 0, 2]),
            "/api/v1/auth/login",
            json!({"email": "other@example.org", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn https_public_url_sets_secure_cookies() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("ACCORD_PUBLIC_URL", "https://accord.example.org")],
    )
    .await
    .unwrap();
    let res = app
        .post(&app.client(), "/api/v1/auth/register", json!({"email": "s@example.org", "password": "correct horse battery", "display_name": "S"}))
        .await;
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
}

#[tokio::test]
async fn demo_data_has_both_sides() {
    let url = accord_store::testing::fresh_sqlite_url();
    let out = std::process::Command::new(crate::helpers::binary())
        .args(["demo"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = TestApp::start(&url, &[]);
    let c = app.client();
    let res = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "union@demo.accord", "password": "dialogue-2026"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = body(app.get(&c, "/api/v1/roundtables").await).await;
    assert_eq!(list[0]["theme"], "gender_diversity");
    let id = list[0]["id"].as_str().unwrap();
    let people = body(
        app.get(&c, &format!("/api/v1/roundtables/{id}/participants"))
            .await,
    )
    .await;
    let sides: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, ["employer", "neutral", "union"]);
}
