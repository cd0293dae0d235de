//! The HTTP edge, spoken to over raw sockets: what a slow, oversized or
//! greedy client gets, and the security headers on every response.

use crate::helpers::{on_both_backends, Backend, TestApp};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

on_both_backends!(
    oversize_bodies_are_refused_from_the_header,
    slow_clients_are_cut_off,
    connections_past_the_per_ip_cap_are_refused,
    security_headers_are_on_every_response,
);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads one response: its head, and a body of the length it declares.
async fn read_response(s: &mut TcpStream) -> (String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                return (head, body);
            }
        }
        let n = s.read(&mut chunk).await.unwrap();
        assert!(
            n > 0,
            "closed mid-response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the server closes; what it sent and how long that took.
/// `None` when it was still open after `limit`.
async fn until_closed(s: &mut TcpStream, limit: Duration) -> Option<(String, Duration)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    timeout(limit, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .ok()?;
    Some((String::from_utf8_lossy(&got).into_owned(), start.elapsed()))
}

async fn oversize_bodies_are_refused_from_the_header(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let mut s = connect(&app).await;
    // Declares 10 MB and sends a few bytes: the answer must not wait for the rest.
    s.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 10000000\r\n\r\n{\"email\"",
    )
    .await
    .unwrap();
    let (head, body) = timeout(Duration::from_secs(5), read_response(&mut s))
        .await
        .expect("413 without waiting for the body");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    assert!(
        body.contains("urn:accord:problem:payload-too-large"),
        "{body}"
    );
    // The unread body cannot be taken for the next request: the server hangs up.
    assert!(until_closed(&mut s, Duration::from_secs(5)).await.is_some());
}

async fn slow_clients_are_cut_off(b: Backend) {
    let Some(app) = TestApp::spawn_with(
        b,
        &[
            ("ACCORD_HEADER_TIMEOUT_SECS", "1"),
            ("ACCORD_BODY_TIMEOUT_SECS", "1"),
        ],
    )
    .await
    else {
        return;
    };
    // Each case would stay open for ever without its timeout; all run at once.
    let limit = Duration::from_secs(5);
    let silent = async {
        let mut s = connect(&app).await;
        until_closed(&mut s, limit)
            .await
            .expect("silent client closed")
    };
    let partial_line = async {
        let mut s = connect(&app).await;
        s.write_all(b"GET /api/v1/me HT").await.unwrap();
        until_closed(&mut s, limit)
            .await
            .expect("partial request line closed")
    };
    let dripped_headers = async {
        let s = connect(&app).await;
        let (mut r, mut w) = s.into_split();
        let start = Instant::now();
        let drip = async {
            w.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await?;
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                w.write_all(b"X-Drip: 1\r\n").await?;
            }
            #[allow(unreachable_code)]
            Ok::<(), std::io::Error>(())
        };
        let mut sink = [0u8; 1024];
        let closed = async {
            loop {
                match r.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        };
        timeout(limit, async {
            tokio::select! { _ = drip => {}, () = closed => {} }
        })
        .await
        .expect("dripped headers cut off");
        (String::new(), start.elapsed())
    };
    let idle_keep_alive = async {
        let mut s = connect(&app).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (head, _) = read_response(&mut s).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        until_closed(&mut s, limit)
            .await
            .expect("idle kept-alive connection closed")
    };
    let dripped_body = async {
        let s = connect(&app).await;
        let (mut r, mut w) = s.into_split();
        let start = Instant::now();
        let drip = async {
            w.write_all(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            )
            .await?;
            loop {
                w.write_all(b" ").await?;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            #[allow(unreachable_code)]
            Ok::<(), std::io::Error>(())
        };
        let mut got = Vec::new();
        let closed = async {
            let mut chunk = [0u8; 4096];
            loop {
                match r.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&chunk[..n]),
                }
            }
        };
        timeout(limit, async {
            tokio::select! { _ = drip => {}, () = closed => {} }
        })
        .await
        .expect("dripped body cut off");
        (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
    };
    let (silent, partial_line, dripped_headers, idle, dripped_body) = tokio::join!(
        silent,
        partial_line,
        dripped_headers,
        idle_keep_alive,
        dripped_body
    );
    for (what, (sent, after)) in [
        ("silent", &silent),
        ("partial line", &partial_line),
        ("dripped headers", &dripped_headers),
        ("idle keep-alive", &idle),
    ] {
        assert!(sent.is_empty(), "{what}: {sent}");
        assert!(after >= &Duration::from_millis(800), "{what} closed early");
        assert!(after < &Duration::from_secs(4), "{what} took {after:?}");
    }
    let (sent, after) = dripped_body;
    assert!(sent.starts_with("HTTP/1.1 408"), "dripped body: {sent}");
    assert!(
        sent.contains("urn:accord:problem:request-timeout"),
        "{sent}"
    );
    assert!(
        after >= Duration::from_millis(800),
        "dripped body cut early"
    );
    assert!(
        after < Duration::from_secs(4),
        "dripped body took {after:?}"
    );
}

async fn connections_past_the_per_ip_cap_are_refused(b: Backend) {
    let Some(app) = TestApp::spawn_with(b, &[("ACCORD_MAX_CONNECTIONS_PER_IP", "3")]).await else {
        return;
    };
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = connect(&app).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (head, _) = read_response(&mut s).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        held.push(s);
    }
    // The fourth is closed unanswered, at once.
    let mut fourth = connect(&app).await;
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (sent, _) = until_closed(&mut fourth, Duration::from_secs(3))
        .await
        .expect("the connection past the cap is closed");
    assert!(sent.is_empty(), "{sent}");
    // A place frees when a connection closes.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let mut s = connect(&app).await;
        let _ = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await;
        let mut first = [0u8; 12];
        if timeout(Duration::from_secs(1), s.read_exact(&mut first))
            .await
            .is_ok_and(|r| r.is_ok())
        {
            assert_eq!(&first, b"HTTP/1.1 200");
            break;
        }
        assert!(Instant::now() < deadline, "no place freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn csp(h: &HeaderMap) -> &str {
    h.get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The headers every response carries; returns its CSP.
fn assert_secured<'h>(what: &str, h: &'h HeaderMap) -> &'h str {
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    let policy = csp(h);
    assert!(policy.contains("script-src 'self';"), "{what}: {policy}");
    assert!(policy.contains("object-src 'none'"), "{what}: {policy}");
    assert!(
        !policy.contains("script-src 'self' 'unsafe"),
        "{what}: {policy}"
    );
    policy
}

async fn security_headers_are_on_every_response(b: Backend) {
    let Some(app) = TestApp::spawn(b).await else {
        return;
    };
    let c = app.client();
    let page = app.get(&c, "/").await;
    let api = app.get(&c, "/healthz").await;
    let error = app.get(&c, "/api/v1/me").await;
    assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    let too_large = c
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(vec![b' '; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let presenter = app
        .get(
            &c,
            "/roundtables/00000000-0000-0000-0000-000000000000/present",
        )
        .await;
    for (what, res) in [
        ("page", &page),
        ("api", &api),
        ("error", &error),
        ("413", &too_large),
        ("presenter", &presenter),
    ] {
        let policy = assert_secured(what, res.headers());
        assert!(
            policy.ends_with("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
        assert!(
            res.headers().get("strict-transport-security").is_none(),
            "{what}: HSTS over plain http"
        );
    }
    drop(app);

    // An https public URL adds HSTS; listed origins may frame presenter pages only.
    let Some(app) = TestApp::spawn_with(
        b,
        &[
            ("ACCORD_PUBLIC_URL", "https://accord.example.org"),
            (
                "ACCORD_FRAME_ANCESTORS",
                "https://slides.example.org https://*.stream.example",
            ),
        ],
    )
    .await
    else {
        return;
    };
    let c = app.client();
    for path in ["/", "/healthz", "/api/v1/me"] {
        let res = app.get(&c, path).await;
        assert_secured(path, res.headers());
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000"
        );
        assert!(
            csp(res.headers()).ends_with("frame-ancestors 'none'"),
            "{path}"
        );
    }
    let res = app
        .get(
            &c,
            "/roundtables/00000000-0000-0000-0000-000000000000/present",
        )
        .await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let policy = assert_secured("presenter", res.headers());
    assert!(
        policy.ends_with("frame-ancestors https://slides.example.org https://*.stream.example"),
        "{policy}"
    );
    // A refused POST (foreign to the https origin) still carries them.
    let res = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"email": "a@b.c", "password": "x"}),
        )
        .await;
    assert!(res.status().is_client_error());
    assert_secured("refused", res.headers());
}
