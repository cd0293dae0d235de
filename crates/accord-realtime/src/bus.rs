//! The bus between nodes: a tokio broadcast in one process by default, Redis
//! pub/sub when `REDIS_URL` is set.
//!
//! The bus carries low-latency notifications only; the database stays the
//! truth. Redis pub/sub is at-most-once, so every message carries its
//! publisher's id and a per-(publisher, channel) sequence number, and a
//! receiver that sees a gap, a lagging local queue or a reconnect re-reads
//! from the database instead of diverging ([`GapDetector`], [`BusEvent::Resync`]).

use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

const REDIS_PREFIX: &str = "accord:";
const WIRE_VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 16 + 8;
/// Local fan-out queue; a receiver that falls this far behind must resync.
const LOCAL_CAPACITY: usize = 8192;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// One notification, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub channel: Arc<str>,
    /// The node that published it.
    pub origin: Uuid,
    /// 1, 2, 3… per (origin, channel).
    pub seq: u64,
    pub payload: Arc<[u8]>,
}

/// What a subscriber receives.
#[derive(Debug, Clone)]
pub enum BusEvent {
    Message(Envelope),
    /// Messages may have been lost (the Redis link dropped): re-read every
    /// open channel's state from the database.
    Resync,
}

impl Envelope {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        out.push(WIRE_VERSION);
        out.extend_from_slice(self.origin.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    fn decode(channel: &str, bytes: &[u8]) -> Option<Envelope> {
        if bytes.len() < HEADER_LEN || bytes[0] != WIRE_VERSION {
            return None;
        }
        let origin = Uuid::from_slice(&bytes[1..17]).ok()?;
        let seq = u64::from_be_bytes(bytes[17..25].try_into().ok()?);
        Some(Envelope {
            channel: channel.into(),
            origin,
            seq,
            payload: bytes[HEADER_LEN..].into(),
        })
    }
}

struct Inner {
    node: Uuid,
    seqs: Mutex<HashMap<Arc<str>, u64>>,
    local: broadcast::Sender<BusEvent>,
    redis: Option<tokio::sync::Mutex<redis::aio::MultiplexedConnection>>,
}

/// Cheap to clone; every clone publishes as the same node.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl Bus {
    /// The single-node bus.
    pub fn in_process() -> Bus {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Bus {
            inner: Arc::new(Inner {
                node: Uuid::new_v4(),
                seqs: Mutex::new(HashMap::new()),
                local,
                redis: None,
            }),
        }
    }

    /// A bus shared with every node connected to the same Redis.
    pub async fn redis(url: &str) -> Result<Bus, BusError> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_async_connection().await?;
        // Subscribe before returning, so nothing published after start-up is missed.
        let pubsub = subscribe(&client).await?;
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let bus = Bus {
            inner: Arc::new(Inner {
                node: Uuid::new_v4(),
                seqs: Mutex::new(HashMap::new()),
                local,
                redis: Some(tokio::sync::Mutex::new(conn)),
            }),
        };
        tokio::spawn(relay_from_redis(client, pubsub, Arc::downgrade(&bus.inner)));
        Ok(bus)
    }

    pub fn node(&self) -> Uuid {
        self.inner.node
    }

    pub fn is_shared(&self) -> bool {
        self.inner.redis.is_some()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.inner.local.subscribe()
    }

    /// Delivers to this node's subscribers at once and, with Redis, to every
    /// other node. Returns the sequence number given to the message.
    pub async fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<u64, BusError> {
        let channel: Arc<str> = channel.into();
        let seq = {
            let mut seqs = self.inner.seqs.lock().unwrap_or_else(|p| p.into_inner());
            let n = seqs.entry(Arc::clone(&channel)).or_insert(0);
            *n += 1;
            *n
        };
        let env = Envelope {
            channel,
            origin: self.inner.node,
            seq,
            payload: payload.into(),
        };
        if let Some(conn) = &self.inner.redis {
            let key = format!("{REDIS_PREFIX}{}", env.channel);
            let bytes = env.encode();
            let mut conn = conn.lock().await;
            redis::cmd("PUBLISH")
                .arg(key)
                .arg(bytes)
                .query_async::<i64>(&mut *conn)
                .await?;
        }
        // No local subscriber is not an error.
        let _ = self.inner.local.send(BusEvent::Message(env));
        Ok(seq)
    }
}

async fn subscribe(client: &redis::Client) -> Result<redis::aio::PubSub, BusError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.psubscribe(format!("{REDIS_PREFIX}*")).await?;
    Ok(pubsub)
}

/// Forwards other nodes' messages to local subscribers; reconnects with
/// back-off and asks subscribers to resync after any interruption.
async fn relay_from_redis(
    client: redis::Client,
    first: redis::aio::PubSub,
    bus: std::sync::Weak<Inner>,
) {
    let mut pubsub = Some(first);
    let mut backoff = Duration::from_millis(100);
    loop {
        let current = match pubsub.take() {
            Some(p) => p,
            None => match subscribe(&client).await {
                Ok(p) => {
                    backoff = Duration::from_millis(100);
                    match bus.upgrade() {
                        Some(inner) => {
                            let _ = inner.local.send(BusEvent::Resync);
                        }
                        None => return,
                    }
                    p
                }
                Err(e) => {
                    tracing::warn!(error = %e, "redis bus reconnect failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        let mut stream = current.into_on_message();
        while let Some(msg) = stream.next().await {
            let Some(inner) = bus.upgrade() else { return };
            let channel: String = msg.get_channel_name().to_owned();
            let Some(channel) = channel.strip_prefix(REDIS_PREFIX) else {
                continue;
            };
            match Envelope::decode(channel, msg.get_payload_bytes()) {
                Some(env) if env.origin == inner.node => {}
                Some(env) => {
                    let _ = inner.local.send(BusEvent::Message(env));
                }
                None => tracing::warn!(channel, "undecodable bus message dropped"),
            }
        }
        if bus.upgrade().is_none() {
            return;
        }
        tracing::warn!("redis bus subscription ended; reconnecting");
    }
}

/// Whether a message follows the previous one from the same publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    InOrder,
    /// Messages were lost: re-read the channel's state from the database.
    Gap {
        missed: u64,
    },
    /// Already seen (or older): ignore.
    Stale,
}

/// Tracks the last sequence number per (publisher, channel).
#[derive(Debug, Default)]
pub struct GapDetector {
    last: HashMap<(Uuid, Arc<str>), u64>,
}

impl GapDetector {
    pub fn observe(&mut self, env: &Envelope) -> Continuity {
        let key = (env.origin, Arc::clone(&env.channel));
        match self.last.get(&key).copied() {
            // The first message heard from a publisher follows whatever state
            // this node loaded from the database.
            None => {
                self.last.insert(key, env.seq);
                Continuity::InOrder
            }
            Some(prev) if env.seq <= prev => Continuity::Stale,
            Some(prev) => {
                self.last.insert(key, env.seq);
                if env.seq == prev + 1 {
                    Continuity::InOrder
                } else {
                    Continuity::Gap {
                        missed: env.seq - prev - 1,
                    }
                }
            }
        }
    }

    /// Forgets a channel (e.g. when its room closes).
    pub fn forget(&mut self, channel: &str) {
        self.last.retain(|(_, c), _| &**c != channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(origin: Uuid, seq: u64) -> Envelope {
        Envelope {
            channel: "poll:1".into(),
            origin,
            seq,
            payload: Arc::from(&b"x"[..]),
        }
    }

    #[test]
    fn wire_round_trip() {
        let e = env(Uuid::new_v4(), 42);
        assert_eq!(Envelope::decode("poll:1", &e.encode()), Some(e));
        assert_eq!(Envelope::decode("c", &[1, 2, 3]), None);
        let mut bad = env(Uuid::new_v4(), 1).encode();
        bad[0] = 9;
        assert_eq!(Envelope::decode("c", &bad), None);
    }

    #[test]
    fn gaps_are_detected_per_publisher() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut g = GapDetector::default();
        assert_eq!(g.observe(&env(a, 5)), Continuity::InOrder);
        assert_eq!(g.observe(&env(a, 6)), Continuity::InOrder);
        assert_eq!(g.observe(&env(b, 1)), Continuity::InOrder);
        assert_eq!(g.observe(&env(a, 9)), Continuity::Gap { missed: 2 });
        assert_eq!(g.observe(&env(a, 9)), Continuity::Stale);
        assert_eq!(g.observe(&env(a, 3)), Continuity::Stale);
        g.forget("poll:1");
        assert_eq!(g.observe(&env(a, 100)), Continuity::InOrder);
    }

    #[tokio::test]
    async fn in_process_delivers_with_sequence_numbers() {
        let bus = Bus::in_process();
        let mut rx = bus.subscribe();
        assert_eq!(bus.publish("c", b"one".to_vec()).await.ok(), Some(1));
        assert_eq!(bus.publish("c", b"two".to_vec()).await.ok(), Some(2));
        assert_eq!(bus.publish("d", b"three".to_vec()).await.ok(), Some(1));
        for (ch, seq, body) in [("c", 1, "one"), ("c", 2, "two"), ("d", 1, "three")] {
            match rx.recv().await {
                Ok(BusEvent::Message(e)) => {
                    assert_eq!(
                        (&*e.channel, e.seq, &*e.payload),
                        (ch, seq, body.as_bytes())
                    );
                    assert_eq!(e.origin, bus.node());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}
