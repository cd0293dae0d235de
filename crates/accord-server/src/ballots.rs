//! Group commit for ballots: every ballot waiting when the writer is free is
//! stored in one transaction, so a burst of thousands of votes costs a few
//! disk syncs a second instead of one per vote. At low load a batch is one
//! ballot and nothing waits.

use accord_domain::polls::{BallotInput, Poll};
use accord_store::{CastOutcome, CastRefusal, Store, Voter};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

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
}

impl BallotWriter {
    pub fn new(store: Store) -> BallotWriter {
        let (jobs, rx) = mpsc::channel(16 * 1024);
        tokio::spawn(write(store, rx));
        BallotWriter { jobs }
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
