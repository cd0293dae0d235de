//! A JSON WebSocket client for the event socket.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Events {
    ws: Ws,
}

pub async fn connect(base: &str, cookie: &str) -> Result<Events, u16> {
    let url = format!("{}/api/v1/ws", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().expect("request");
    req.headers_mut()
        .insert("cookie", cookie.parse().expect("cookie"));
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(Events { ws }),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

impl Events {
    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, m: Message) {
        self.ws.send(m).await.expect("send");
    }

    /// The next JSON message for which `pred` holds (others are skipped).
    pub async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let m = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("timed out waiting for a message")
                .expect("socket ended")
                .expect("socket error");
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).expect("server sends JSON");
                assert_eq!(v["v"], 1, "versioned: {v}");
                if pred(&v) {
                    return v;
                }
            }
        }
    }

    /// Subscribes to `room` and returns the `subscribed` snapshot.
    pub async fn subscribe(&mut self, room: &str) -> Value {
        self.send(serde_json::json!({"type": "subscribe", "room": room}))
            .await;
        self.of_type("subscribed").await
    }

    pub async fn of_type(&mut self, t: &str) -> Value {
        self.until(|v| v["type"] == t).await
    }

    /// The close frame's code and reason, reading past other messages, within `secs`.
    pub async fn closed_within(&mut self, secs: u64) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("timed out waiting for the close")
            {
                Some(Ok(Message::Close(f))) => {
                    return f.map_or((1005, String::new()), |f| {
                        (u16::from(f.code), f.reason.to_string())
                    })
                }
                Some(Ok(_)) => continue,
                _ => return (1006, String::new()),
            }
        }
    }

    /// The close frame's code, reading past other messages.
    pub async fn close_code(&mut self) -> u16 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("timed out")
            {
                Some(Ok(Message::Close(f))) => return f.map_or(1005, |f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return 1006,
            }
        }
    }
}
