//! The bus between nodes: a tokio broadcast in one process by default, Redis
//! pub/sub when `REDIS_URL` is set.
//!
//! The bus carries low-latency notifications only; the database stays the
//! truth. Redis pub/sub is at-most-once, so every message carries its
//! publisher's id and a per-(publisher, channel) sequence number, and a
//! receiver that sees a gap, a lagging local queue or a reconnect re-reads
//! from the database instead of diverging ([`GapDetector`], [`BusEvent::Resync`]).
//!
//! A gap shows only once a later message arrives, so a lost *last* message
//! would go unnoticed. Listeners that must notice it have the bus announce
//! high-water marks ([`Bus::announce_high_water`]): every few seconds, the
//! last sequence number this node gave on each channel it used recently.

use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use uuid::Uuid;

const REDIS_PREFIX: &str = "accord:";
/// The first byte on the wire: a message, or a high-water mark (no payload).
const WIRE_VERSION: u8 = 1;
const WIRE_MARK: u8 = 2;
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
    /// 1, 2, 3… per (origin, channel); for a mark, the last one given.
    pub seq: u64,
    /// A high-water mark, not a message: it has no payload, and says only
    /// that `origin` has published `seq` messages on `channel` so far.
    pub mark: bool,
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
        out.push(if self.mark { WIRE_MARK } else { WIRE_VERSION });
        out.extend_from_slice(self.origin.as_bytes());
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    fn decode(channel: &str, bytes: &[u8]) -> Option<Envelope> {
        if bytes.len() < HEADER_LEN || !matches!(bytes[0], WIRE_VERSION | WIRE_MARK) {
            return None;
        }
        let origin = Uuid::from_slice(&bytes[1..17]).ok()?;
        let seq = u64::from_be_bytes(bytes[17..25].try_into().ok()?);
        Some(Envelope {
            channel: channel.into(),
            origin,
            seq,
            mark: bytes[0] == WIRE_MARK,
            payload: bytes[HEADER_LEN..].into(),
        })
    }
}

struct Inner {
    node: Uuid,
    /// Per channel: the last sequence number given, and when.
    seqs: Mutex<HashMap<Arc<str>, (u64, Instant)>>,
    local: broadcast::Sender<BusEvent>,
    link: Link,
    faults: Faults,
}

/// How messages reach the other nodes.
enum Link {
    /// There are none.
    Alone,
    Redis(tokio::sync::Mutex<redis::aio::MultiplexedConnection>),
    /// Other buses in this process ([`Bus::linked`]).
    InProcess(Arc<Mutex<Vec<Weak<Inner>>>>),
}

/// Losses injected on purpose, so tests can show what repairs them. Off
/// unless a test (or `ACCORD_TEST_BUS_DROP`) turns them on.
#[derive(Default)]
struct Faults {
    next: AtomicU64,
    /// The share of messages lost, in millionths.
    share: AtomicU64,
    /// Error-diffusion accumulator: the share is met exactly, not by chance.
    owed: Mutex<u64>,
}

impl Faults {
    fn lose(&self) -> bool {
        if self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            return true;
        }
        let share = self.share.load(Ordering::Relaxed);
        if share == 0 {
            return false;
        }
        let mut owed = lock(&self.owed);
        *owed += share;
        if *owed >= MILLION {
            *owed -= MILLION;
            true
        } else {
            false
        }
    }
}

const MILLION: u64 = 1_000_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Cheap to clone; every clone publishes as the same node.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl Bus {
    fn with_link(link: Link) -> Bus {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Bus {
            inner: Arc::new(Inner {
                node: Uuid::new_v4(),
                seqs: Mutex::new(HashMap::new()),
                local,
                link,
                faults: Faults::default(),
            }),
        }
    }

    /// The single-node bus.
    pub fn in_process() -> Bus {
        Bus::with_link(Link::Alone)
    }

    /// `n` nodes in one process that hear each other as they would over
    /// Redis (each its own node id and sequence numbers; nothing echoed
    /// back to its sender): several hubs under test without a Redis server.
    pub fn linked(n: usize) -> Vec<Bus> {
        let peers = Arc::new(Mutex::new(Vec::new()));
        let buses: Vec<Bus> = (0..n)
            .map(|_| Bus::with_link(Link::InProcess(Arc::clone(&peers))))
            .collect();
        *lock(&peers) = buses.iter().map(|b| Arc::downgrade(&b.inner)).collect();
        buses
    }

    /// A bus shared with every node connected to the same Redis.
    pub async fn redis(url: &str) -> Result<Bus, BusError> {
        let client = redis::Client::open(url)?;
        let conn = client.get_multiplexed_async_connection().await?;
        // Subscribe before returning, so nothing published after start-up is missed.
        let pubsub = subscribe(&client).await?;
        let bus = Bus::with_link(Link::Redis(tokio::sync::Mutex::new(conn)));
        tokio::spawn(relay_from_redis(client, pubsub, Arc::downgrade(&bus.inner)));
        Ok(bus)
    }

    pub fn node(&self) -> Uuid {
        self.inner.node
    }

    pub fn is_shared(&self) -> bool {
        !matches!(self.inner.link, Link::Alone)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.inner.local.subscribe()
    }

    /// **For tests only:** the next `n` messages this node publishes are
    /// numbered but never reach other nodes, as Redis pub/sub may lose them.
    /// High-water marks are not lost: they are what must repair the loss.
    pub fn drop_next_for_tests(&self, n: u64) {
        self.inner.faults.next.fetch_add(n, Ordering::Relaxed);
    }

    /// **For tests only:** this share (0 to 1) of the messages this node
    /// publishes from now on never reaches other nodes (exactly that share,
    /// evenly spread: 0.5 loses every second one). High-water marks are not
    /// lost. The server sets it from `ACCORD_TEST_BUS_DROP`.
    pub fn drop_share_for_tests(&self, share: f64) {
        let millionths = (share.clamp(0.0, 1.0) * MILLION as f64).round() as u64;
        self.inner.faults.share.store(millionths, Ordering::Relaxed);
    }

    /// Numbers a message for `channel`.
    fn envelope(&self, channel: Arc<str>, payload: Vec<u8>) -> Envelope {
        let mut seqs = lock(&self.inner.seqs);
        let entry = seqs
            .entry(Arc::clone(&channel))
            .or_insert((0, Instant::now()));
        entry.0 += 1;
        entry.1 = Instant::now();
        Envelope {
            channel,
            origin: self.inner.node,
            seq: entry.0,
            mark: false,
            payload: payload.into(),
        }
    }

    /// Delivers to this node's subscribers at once and, when shared, to every
    /// other node. Returns the sequence number given to the message.
    pub async fn publish(&self, channel: &str, payload: Vec<u8>) -> Result<u64, BusError> {
        let channel: Arc<str> = channel.into();
        let lost = self.inner.faults.lose();
        let env = match &self.inner.link {
            Link::Alone => self.envelope(channel, payload),
            Link::InProcess(peers) => {
                let env = self.envelope(channel, payload);
                if !lost {
                    to_peers(&self.inner, peers, &env);
                }
                env
            }
            Link::Redis(conn) => {
                // Numbered under the connection's lock, so messages go out in
                // sequence order and a mark never overtakes the message it counts.
                let mut conn = conn.lock().await;
                let env = self.envelope(channel, payload);
                if !lost {
                    redis::cmd("PUBLISH")
                        .arg(format!("{REDIS_PREFIX}{}", env.channel))
                        .arg(env.encode())
                        .query_async::<i64>(&mut *conn)
                        .await?;
                }
                env
            }
        };
        let seq = env.seq;
        // No local subscriber is not an error.
        let _ = self.inner.local.send(BusEvent::Message(env));
        Ok(seq)
    }

    /// Tells the other nodes, for every channel starting with `prefix` that
    /// this node published on within `recent`, how many messages it has
    /// published there: a receiver that heard fewer lost some, even the last
    /// one. Returns how many marks were sent.
    pub async fn announce_high_water(
        &self,
        prefix: &str,
        recent: Duration,
    ) -> Result<usize, BusError> {
        let marks = |seqs: &HashMap<Arc<str>, (u64, Instant)>| -> Vec<Envelope> {
            seqs.iter()
                .filter(|(c, (_, at))| c.starts_with(prefix) && at.elapsed() < recent)
                .map(|(c, (seq, _))| Envelope {
                    channel: Arc::clone(c),
                    origin: self.inner.node,
                    seq: *seq,
                    mark: true,
                    payload: Arc::from(&[][..]),
                })
                .collect()
        };
        match &self.inner.link {
            Link::Alone => Ok(0),
            Link::InProcess(peers) => {
                let marks = marks(&lock(&self.inner.seqs));
                for m in &marks {
                    to_peers(&self.inner, peers, m);
                }
                Ok(marks.len())
            }
            Link::Redis(conn) => {
                let mut conn = conn.lock().await;
                let marks = marks(&lock(&self.inner.seqs));
                if marks.is_empty() {
                    return Ok(0);
                }
                let mut pipe = redis::pipe();
                for m in &marks {
                    pipe.cmd("PUBLISH")
                        .arg(format!("{REDIS_PREFIX}{}", m.channel))
                        .arg(m.encode())
                        .ignore();
                }
                pipe.query_async::<()>(&mut *conn).await?;
                Ok(marks.len())
            }
        }
    }
}

/// What Redis does for [`Link::InProcess`]: every other node hears it.
fn to_peers(me: &Inner, peers: &Mutex<Vec<Weak<Inner>>>, env: &Envelope) {
    for peer in lock(peers).iter().filter_map(Weak::upgrade) {
        if peer.node != me.node {
            let _ = peer.local.send(BusEvent::Message(env.clone()));
        }
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
    from_start: bool,
}

impl GapDetector {
    /// A detector that also counts what came before the first message it
    /// heard from a publisher: for a listener that keeps no per-channel
    /// state of its own, and so cannot tell whether those messages predate
    /// what its subscribers loaded or were lost since. Costs one resync per
    /// (publisher, channel) when first heard.
    pub fn from_start() -> GapDetector {
        GapDetector {
            last: HashMap::new(),
            from_start: true,
        }
    }

    pub fn observe(&mut self, env: &Envelope) -> Continuity {
        let key = (env.origin, Arc::clone(&env.channel));
        let prev = match self.last.get(&key).copied() {
            Some(prev) => prev,
            None if self.from_start => 0,
            // The first message heard from a publisher follows whatever state
            // this node loaded from the database.
            None => {
                self.last.insert(key, env.seq);
                return if env.mark {
                    Continuity::Stale
                } else {
                    Continuity::InOrder
                };
            }
        };
        if env.seq <= prev {
            return Continuity::Stale;
        }
        self.last.insert(key, env.seq);
        // A message should be the next one; a mark counts those already sent.
        let expected = if env.mark { prev } else { prev + 1 };
        if env.seq == expected {
            Continuity::InOrder
        } else {
            Continuity::Gap {
                missed: env.seq - expected,
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
            mark: false,
            payload: Arc::from(&b"x"[..]),
        }
    }

    fn mark(origin: Uuid, seq: u64) -> Envelope {
        Envelope {
            mark: true,
            payload: Arc::from(&[][..]),
            ..env(origin, seq)
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
        let m = mark(Uuid::new_v4(), 7);
        assert_eq!(Envelope::decode("poll:1", &m.encode()), Some(m));
    }

    #[test]
    fn a_mark_reveals_a_lost_last_message() {
        let a = Uuid::new_v4();
        let mut g = GapDetector::default();
        assert_eq!(g.observe(&env(a, 1)), Continuity::InOrder);
        assert_eq!(g.observe(&mark(a, 1)), Continuity::Stale, "nothing lost");
        assert_eq!(g.observe(&mark(a, 3)), Continuity::Gap { missed: 2 });
        assert_eq!(g.observe(&mark(a, 3)), Continuity::Stale, "reported once");
        assert_eq!(g.observe(&env(a, 3)), Continuity::Stale);
        assert_eq!(g.observe(&env(a, 4)), Continuity::InOrder);
        // Without history, a first mark proves nothing lost...
        assert_eq!(g.observe(&mark(Uuid::new_v4(), 9)), Continuity::Stale);
    }

    #[test]
    fn from_start_counts_what_came_before_the_first_message() {
        let a = Uuid::new_v4();
        let mut g = GapDetector::from_start();
        assert_eq!(g.observe(&env(a, 1)), Continuity::InOrder);
        assert_eq!(
            g.observe(&env(Uuid::new_v4(), 4)),
            Continuity::Gap { missed: 3 }
        );
        // ...but counted from the start, the one message never heard is lost.
        assert_eq!(
            g.observe(&mark(Uuid::new_v4(), 1)),
            Continuity::Gap { missed: 1 }
        );
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

    async fn heard(rx: &mut broadcast::Receiver<BusEvent>) -> Vec<(u64, bool)> {
        let mut out = Vec::new();
        while let Ok(Ok(BusEvent::Message(e))) =
            tokio::time::timeout(Duration::from_millis(50), rx.recv()).await
        {
            out.push((e.seq, e.mark));
        }
        out
    }

    #[tokio::test]
    async fn linked_nodes_hear_each_other_and_losses_are_marked() {
        let nodes = Bus::linked(2);
        let (a, b) = (&nodes[0], &nodes[1]);
        assert!(a.is_shared() && a.node() != b.node());
        let mut at_b = b.subscribe();
        a.publish("room:1", b"one".to_vec()).await.unwrap();
        a.drop_next_for_tests(1);
        a.publish("room:1", b"two".to_vec()).await.unwrap();
        a.publish("doc:1", b"other".to_vec()).await.unwrap();
        assert_eq!(heard(&mut at_b).await, vec![(1, false), (1, false)]);
        assert_eq!(
            a.announce_high_water("room:", Duration::from_secs(1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            heard(&mut at_b).await,
            vec![(2, true)],
            "the lost one is counted"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(
            a.announce_high_water("room:", Duration::from_millis(10))
                .await
                .unwrap(),
            0,
            "only recently used channels"
        );
    }

    #[tokio::test]
    async fn a_share_of_messages_is_lost_exactly() {
        let nodes = Bus::linked(2);
        let mut at_b = nodes[1].subscribe();
        nodes[0].drop_share_for_tests(0.5);
        for _ in 0..6 {
            nodes[0].publish("c", vec![]).await.unwrap();
        }
        let seqs: Vec<u64> = heard(&mut at_b).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![1, 3, 5]);
    }
}
