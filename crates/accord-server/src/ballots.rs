//! The vote path's shortcuts. Group commit: every ballot waiting when the
//! writer is free is stored in one transaction, so a burst of thousands of
//! votes costs a few disk syncs a second instead of one per vote (at low
//! load a batch is one ballot and nothing waits). And open polls are read
//! once a second, not once per vote.

use accord_domain::polls::{BallotInput, Poll, PollStatus};
use accord_store::{CastOutcome, CastRefusal, Store, StoreError, Voter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long an open poll read from the store serves later votes. A poll's
/// question and options never change, and the write re-checks that the
/// poll is still open, so a poll closed meanwhile refuses the ballot anyway.
const OPEN_POLL_TTL: Duration = Duration::from_secs(1);
/// Cached polls at most; a conference has a handful open at a time.
const OPEN_POLL_CAP: usize = 1024;

/// Ballots stored per transaction at most.
const MAX_BATCH: usize = 1000;

type Outcome = Result<Result<CastOutcome, CastRefusal>, String>;

struct Job {
    poll: Poll,
    voter: Voter,
    input: BallotInput,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Clone)]
pub struct BallotWriter {
    jobs: mpsc::Sender<Job>,
    store: Store,
    open_polls: Arc<Mutex<HashMap<String, (Instant, Poll)>>>,
}

impl BallotWriter {
    pub fn new(store: Store) -> BallotWriter {
        let (jobs, rx) = mpsc::channel(16 * 1024);
        tokio::spawn(write(store.clone(), rx));
        BallotWriter {
            jobs,
            store,
            open_polls: Arc::default(),
        }
    }

    /// The poll a vote is for: from the cache while it is open, else from
    /// the store (a draft or closed poll is never cached, so opening one
    /// is seen at once).
    pub async fn poll(&self, id: &str) -> Result<Option<Poll>, StoreError> {
        let now = Instant::now();
        {
            let cache = self.open_polls.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((read, poll)) = cache.get(id) {
                if now.duration_since(*read) < OPEN_POLL_TTL {
                    return Ok(Some(poll.clone()));
                }
            }
        }
        let poll = self.store.poll(id).await?;
        let mut cache = self.open_polls.lock().unwrap_or_else(|p| p.into_inner());
        match &poll {
            Some(p) if p.status == PollStatus::Open => {
                if cache.len() >= OPEN_POLL_CAP {
                    cache.retain(|_, (read, _)| now.duration_since(*read) < OPEN_POLL_TTL);
                }
                if cache.len() < OPEN_POLL_CAP {
                    cache.insert(id.to_owned(), (now, p.clone()));
                }
            }
            _ => {
                cache.remove(id);
            }
        }
        Ok(poll)
    }

    /// Stores a non-secret ballot with the next batch; returns its outcome
    /// once the batch is durable.
    pub async fn cast(&self, poll: Poll, voter: Voter, input: BallotInput) -> Outcome {
        let (reply, done) = oneshot::channel();
        self.jobs
            .send(Job {
                poll,
                voter,
                input,
                reply,
            })
            .await
            .map_err(|_| "ballot writer stopped".to_owned())?;
        done.await
            .map_err(|_| "ballot writer dropped the ballot".to_owned())?
    }
}

async fn write(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        // One transaction per poll in the batch (almost always exactly one).
        let mut by_poll: HashMap<String, Vec<Job>> = HashMap::new();
        for j in batch {
            by_poll.entry(j.poll.id.clone()).or_default().push(j);
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for (_, jobs) in by_poll {
            let poll = jobs[0].poll.clone();
            let (pairs, replies): (Vec<(Voter, BallotInput)>, Vec<oneshot::Sender<Outcome>>) = jobs
                .into_iter()
                .map(|j| ((j.voter, j.input), j.reply))
                .unzip();
            match store.cast_open_ballots(&poll, &pairs, now).await {
                Ok(outcomes) => {
                    for (reply, outcome) in replies.into_iter().zip(outcomes) {
                        let _ = reply.send(Ok(outcome));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "storing a batch of ballots failed");
                    for reply in replies {
                        let _ = reply.send(Err(e.to_string()));
                    }
                }
            }
        }
    }
}
