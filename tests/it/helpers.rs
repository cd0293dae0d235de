//! `TestApp`: the real binary on port 0 with a fresh database, plus typed request helpers.

use accord_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for each listed async fn(Backend).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })*
        }
    };
}
pub(crate) use on_both_backends;

pub fn binary() -> PathBuf {
    // The test executable lives in target/<profile>/deps; the binary one level up.
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("accord");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p accord-server`; `cargo xtask test` does)",
        bin.display()
    );
    bin
}

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    child: Child,
}

impl TestApp {
    /// `kill -9`: no shutdown hook runs, nothing is flushed.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// Starts the server on a fresh database; `None` when the backend is
    /// unavailable and not required (the skip is printed).
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, env: &[(&str, &str)]) -> Option<TestApp> {
        let database_url = match backend {
            Backend::Sqlite => fresh_sqlite_url(),
            Backend::Postgres => fresh_postgres_url().await?,
        };
        Some(Self::start(&database_url, env))
    }

    pub fn start(database_url: &str, env: &[(&str, &str)]) -> TestApp {
        Self::start_logging_to(database_url, env, None)
    }

    /// [`TestApp::start`] with the server's log (stderr) written to `log`.
    pub fn start_logging_to(
        database_url: &str,
        env: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> TestApp {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .env("ACCORD_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env_remove("ACCORD_PUBLIC_URL")
            .env_remove("REDIS_URL")
            .env_remove("ACCORD_DEMO")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
                None => Stdio::inherit(),
            });
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start accord");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("accord exited before listening")
                .expect("read stdout");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim_end_matches(')').to_owned();
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        TestApp {
            base: addr,
            database_url: database_url.to_owned(),
            child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    pub async fn post(&self, c: &Client, path: &str, body: Value) -> Response {
        c.post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, c: &Client, path: &str) -> Response {
        c.get(self.url(path)).send().await.expect("request")
    }

    /// Registers `name` (email `<name>@example.org`) and returns a signed-in client.
    pub async fn user(&self, name: &str) -> Client {
        self.user_and_cookie(name).await.0
    }

    /// Like [`TestApp::user`], also returning the `accord_session=…` cookie
    /// for clients that are not reqwest (WebSockets).
    pub async fn user_and_cookie(&self, name: &str) -> (Client, String) {
        let c = self.client();
        let res = self
            .post(
                &c,
                "/api/v1/auth/register",
                json!({"email": format!("{name}@example.org"), "password": "correct horse battery", "display_name": name}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {name}");
        let cookie = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (c, cookie)
    }

    pub async fn roundtable(&self, c: &Client, title: &str) -> String {
        let res = self
            .post(
                c,
                "/api/v1/roundtables",
                json!({"title": title, "theme": "gender_diversity", "description": "d"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        body(res).await["id"].as_str().unwrap().to_owned()
    }

    pub async fn invite(&self, c: &Client, rt: &str, side: &str, role: &str) -> Value {
        let res = self
            .post(
                c,
                &format!("/api/v1/roundtables/{rt}/invitations"),
                json!({"side": side, "role": role}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        body(res).await
    }

    pub async fn accept(&self, c: &Client, token: &str, organisation: &str) -> Response {
        self.post(
            c,
            &format!("/api/v1/invitations/{token}/accept"),
            json!({"organisation": organisation}),
        )
        .await
    }

    /// Starts (or returns) the roundtable's live audience session.
    pub async fn start_live(&self, facilitator: &Client, rt: &str) -> Value {
        let res = self
            .post(
                facilitator,
                &format!("/api/v1/roundtables/{rt}/live"),
                json!({}),
            )
            .await;
        assert!(
            res.status().is_success(),
            "start live session: {}",
            res.status()
        );
        body(res).await
    }

    /// A participant on `side` with `role`, joined through an invitation.
    pub async fn member(
        &self,
        facilitator: &Client,
        rt: &str,
        name: &str,
        side: &str,
        role: &str,
    ) -> Client {
        self.member_and_cookie(facilitator, rt, name, side, role)
            .await
            .0
    }

    /// A participant joined through an invitation, with their session cookie.
    pub async fn member_and_cookie(
        &self,
        facilitator: &Client,
        rt: &str,
        name: &str,
        side: &str,
        role: &str,
    ) -> (Client, String) {
        let (c, cookie) = self.user_and_cookie(name).await;
        let inv = self.invite(facilitator, rt, side, role).await;
        let res = self.accept(&c, inv["token"].as_str().unwrap(), "Org").await;
        assert_eq!(res.status(), StatusCode::OK);
        (c, cookie)
    }
}

/// The JSON body of a response.
pub async fn body(res: Response) -> Value {
    res.json().await.expect("json body")
}

/// Asserts a problem+json error with this status and type slug; returns the body.
pub async fn problem(res: Response, status: StatusCode, slug: &str) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let v = body(res).await;
    assert_eq!(v["type"], format!("urn:accord:problem:{slug}"), "{v}");
    assert_eq!(v["status"], status.as_u16());
    v
}

/// Redis for two-node tests; `None` (with a printed skip) when unreachable
/// and not required.
pub fn redis_url() -> Option<String> {
    let url =
        std::env::var("ACCORD_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:6379".parse().expect("address"),
        std::time::Duration::from_secs(2),
    )
    .is_ok();
    if reachable {
        Some(url)
    } else if accord_store::testing::services_required() {
        panic!("Redis is required under CI=true but unreachable at {url}");
    } else {
        eprintln!("SKIPPED: Redis unreachable at {url}; two-node tests skipped");
        None
    }
}

/// Two server processes sharing one fresh PostgreSQL database and Redis.
pub async fn two_nodes() -> Option<(TestApp, TestApp)> {
    two_nodes_with(&[], &[]).await
}

/// Like [`two_nodes`], each node with its own extra environment.
pub async fn two_nodes_with(
    a_env: &[(&str, &str)],
    b_env: &[(&str, &str)],
) -> Option<(TestApp, TestApp)> {
    let redis = redis_url()?;
    let db = accord_store::testing::fresh_postgres_url().await?;
    let mut a = vec![("REDIS_URL", redis.as_str())];
    a.extend_from_slice(a_env);
    let mut b = vec![("REDIS_URL", redis.as_str())];
    b.extend_from_slice(b_env);
    Some((TestApp::start(&db, &a), TestApp::start(&db, &b)))
}
