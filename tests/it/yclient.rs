//! A minimal y-websocket client over tokio-tungstenite, built on the same
//! yrs the server uses, speaking the protocol as y-websocket's provider does.

use accord_realtime::protocol::{
    decode_frame, encode_sync_step1, encode_sync_step2, encode_update,
};
use accord_realtime::Frame;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update, WriteTxn, XmlElementPrelim, XmlFragment, XmlTextPrelim};

/// y-protocols' auth message type.
const MSG_AUTH: u8 = 2;

/// The reason of `[2, 0 (permission denied), varstring]`; reasons are short,
/// so their length fits one varint byte.
fn permission_denied_reason(frame: &[u8]) -> String {
    assert_eq!(frame.get(1), Some(&0), "permission denied");
    let len = usize::from(frame[2]);
    String::from_utf8(frame[3..3 + len].to_vec()).expect("utf-8 reason")
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct YClient {
    pub doc: Doc,
    ws: Ws,
    /// The reason of the last y-protocols "permission denied" message.
    pub denied: Option<String>,
}

/// How a connection ended, as the server said.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

/// The HTTP status an upgrade was refused with, or the connected client.
pub async fn connect(
    base: &str,
    doc_id: &str,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<YClient, u16> {
    let url = format!(
        "{}/api/v1/yjs/{doc_id}",
        base.replacen("http://", "ws://", 1)
    );
    let mut req = url.into_client_request().expect("request");
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("cookie", c.parse().expect("cookie header"));
    }
    if let Some(o) = origin {
        req.headers_mut()
            .insert("origin", o.parse().expect("origin header"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(YClient {
            doc: Doc::new(),
            ws,
            denied: None,
        }),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

impl YClient {
    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.try_send_raw(bytes).await.expect("send");
    }

    /// Sends, reporting rather than panicking when the server has already hung up.
    pub async fn try_send_raw(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| e.to_string())
    }

    /// Handshake: offer our state vector and apply what the server sends
    /// until its reply to our step 1 has arrived.
    pub async fn sync(&mut self) {
        let sv = self.doc.transact().state_vector();
        self.send_raw(encode_sync_step1(&sv)).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let frames = self
                .next_frames(deadline)
                .await
                .expect("server closed during sync");
            let mut done = false;
            for f in frames {
                done |= matches!(f, Frame::SyncStep2(_));
                self.handle(f).await;
            }
            if done {
                return;
            }
        }
    }

    async fn handle(&mut self, f: Frame) {
        match f {
            Frame::SyncStep1(sv) => {
                let diff = self.doc.transact().encode_state_as_update_v1(&sv);
                self.send_raw(encode_sync_step2(&diff)).await;
            }
            Frame::SyncStep2(u) | Frame::Update(u) => {
                let update = Update::decode_v1(&u).expect("server update decodes");
                self.doc.transact_mut().apply_update(update).expect("apply");
            }
            Frame::Awareness(..) | Frame::QueryAwareness => {}
        }
    }

    /// Reads one message; `Err` when the server closed the connection.
    async fn next_frames(&mut self, deadline: tokio::time::Instant) -> Result<Vec<Frame>, Closed> {
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("timed out waiting for the server");
            match msg {
                Some(Ok(Message::Binary(b))) if b.first() == Some(&MSG_AUTH) => {
                    self.denied = Some(permission_denied_reason(&b));
                    return Ok(Vec::new());
                }
                Some(Ok(Message::Binary(b))) => {
                    return Ok(decode_frame(&b).expect("server frame decodes"))
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame.map_or(
                        Closed {
                            code: 1005,
                            reason: String::new(),
                        },
                        |f| Closed {
                            code: u16::from(f.code),
                            reason: f.reason.to_string(),
                        },
                    ))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    return Err(Closed {
                        code: u16::from(CloseCode::Abnormal),
                        reason: String::new(),
                    })
                }
            }
        }
    }

    /// Appends a paragraph to the `default` fragment (as y-prosemirror
    /// would) and sends the resulting update.
    pub async fn append_paragraph(&mut self, text: &str) {
        let update = {
            let mut txn = self.doc.transact_mut();
            let fragment = txn.get_or_insert_xml_fragment("default");
            let len = fragment.len(&txn);
            let p = fragment.insert(&mut txn, len, XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, XmlTextPrelim::new(text));
            txn.encode_update_v1()
        };
        self.send_raw(encode_update(&update)).await;
    }

    pub fn text(&self) -> String {
        accord_realtime::render::render(&self.doc).plain_text()
    }

    /// Applies incoming frames until the text contains `needle`.
    pub async fn wait_for_text(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.text().contains(needle) {
            let frames = self
                .next_frames(deadline)
                .await
                .expect("server closed while waiting");
            for f in frames {
                self.handle(f).await;
            }
        }
    }

    /// Applies incoming frames until the text no longer contains `needle`.
    pub async fn wait_for_no_text(&mut self, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.text().contains(needle) {
            let frames = self
                .next_frames(deadline)
                .await
                .expect("server closed while waiting");
            for f in frames {
                self.handle(f).await;
            }
        }
    }

    /// Applies incoming frames until the server says the connection is read-only.
    pub async fn wait_for_denied(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.denied.is_none() {
            let frames = self
                .next_frames(deadline)
                .await
                .expect("server closed while waiting");
            for f in frames {
                self.handle(f).await;
            }
        }
        self.denied.take().unwrap_or_default()
    }

    /// Reads until the server closes the connection and returns its reason.
    pub async fn closed(&mut self) -> Closed {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.next_frames(deadline).await {
                Ok(frames) => {
                    for f in frames {
                        self.handle(f).await;
                    }
                }
                Err(c) => return c,
            }
        }
    }
}
