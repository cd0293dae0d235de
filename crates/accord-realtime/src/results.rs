//! What a poll's results publish: its tally, or for a secret poll what the
//! rules of `accord_domain::polls::secrecy` let through. REST, both sockets
//! and every node read results through here, so they publish the same figure.

use accord_domain::polls::secrecy::{self, MinGroup};
use accord_domain::polls::{tally_weighted, Poll, PollStatus, Tally};
use accord_store::{SecretStep, Store, StoreError};

/// The tally of `poll` as it may be published now.
pub async fn published(store: &Store, poll: &Poll, k: MinGroup) -> Result<Tally, StoreError> {
    let groups = store.ballot_groups(poll).await?;
    let t = tally_weighted(poll, &groups);
    if !poll.secret {
        return Ok(t);
    }
    match poll.status {
        PollStatus::Closed => Ok(secrecy::at_close(t, k)),
        PollStatus::Draft | PollStatus::Open => {
            let last = store.secret_step(&poll.id).await?;
            let last_ballots = last.as_ref().map(|s| s.ballots);
            let stored = if secrecy::step_due(t.total, last_ballots, k) {
                let candidate = SecretStep {
                    ballots: t.total,
                    tally: serialise(&secrecy::while_open(t, k))?,
                };
                Some(
                    store
                        .record_secret_step(&poll.id, &candidate, k.get())
                        .await?,
                )
            } else {
                last
            };
            match stored {
                Some(s) => serde_json::from_str(&s.tally)
                    .map_err(|e| StoreError::Corrupt(format!("a stored secret step: {e}"))),
                // Nothing published yet: the figure of no ballots.
                None => Ok(secrecy::while_open(tally_weighted(poll, &[]), k)),
            }
        }
    }
}

fn serialise(t: &Tally) -> Result<String, StoreError> {
    serde_json::to_string(t).map_err(|e| StoreError::Corrupt(format!("a tally: {e}")))
}
