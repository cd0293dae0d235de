//! The live figures of open secret polls (`secret_tally_steps`): the last
//! tally each published, as the caller serialised it. A new one replaces it
//! only with at least `min_group` more ballots, decided inside the write, so
//! two nodes computing a step at once cannot publish figures closer than that.

use crate::pool::on_pool;
use crate::{Store, StoreError};

/// A published live figure: the ballots it counts and the tally, serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretStep {
    pub ballots: u32,
    pub tally: String,
}

fn step((ballots, tally): (i64, String)) -> Result<SecretStep, StoreError> {
    let ballots = u32::try_from(ballots)
        .map_err(|_| StoreError::Corrupt(format!("step ballots out of range: {ballots}")))?;
    Ok(SecretStep { ballots, tally })
}

impl Store {
    /// The last live figure of a secret poll, if it published one.
    #[tracing::instrument(skip_all)]
    pub async fn secret_step(&self, poll_id: &str) -> Result<Option<SecretStep>, StoreError> {
        let row: Option<(i64, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT ballots, tally FROM secret_tally_steps WHERE poll_id = $1",
        )
        .bind(poll_id)
        .fetch_optional(pool)
        .await)?;
        row.map(step).transpose()
    }

    /// Records `candidate` as the poll's figure if it counts at least
    /// `min_group` more ballots than the one stored (or none is); returns
    /// whichever figure is stored afterwards.
    #[tracing::instrument(skip_all)]
    pub async fn record_secret_step(
        &self,
        poll_id: &str,
        candidate: &SecretStep,
        min_group: u32,
    ) -> Result<SecretStep, StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO secret_tally_steps (poll_id, ballots, tally) VALUES ($1, $2, $3) \
             ON CONFLICT (poll_id) DO UPDATE SET ballots = excluded.ballots, tally = excluded.tally \
             WHERE secret_tally_steps.ballots + $4 <= excluded.ballots",
        )
        .bind(poll_id)
        .bind(i64::from(candidate.ballots))
        .bind(&candidate.tally)
        .bind(i64::from(min_group))
        .execute(pool)
        .await
        .map(|_| ()))?;
        self.secret_step(poll_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a recorded step vanished".into()))
    }
}
