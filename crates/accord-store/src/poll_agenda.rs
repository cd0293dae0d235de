//! A roundtable's polls as an agenda: editing and deleting drafts,
//! duplicating a poll right after itself, and the one order every listing
//! uses.
//!
//! What the SQL guarantees:
//!
//! * an edit or a delete applies only to a draft: the `UPDATE`/`DELETE` is
//!   conditional on `status = 'draft'`, so it cannot race an open (of two,
//!   one wins; the loser changes nothing). A poll that was ever open keeps
//!   its row, its options and its ballots;
//! * a duplicate is one transaction: the polls after the original move down
//!   one place and the copy takes the place after it;
//! * a reorder is one transaction that names exactly the roundtable's polls,
//!   each once; anything else changes nothing.

use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::polls::{Poll, PollOption, PollSpec, PollStatus, PollSubject};
use std::collections::HashSet;

/// Why a draft was not edited or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftRefusal {
    UnknownPoll,
    /// The poll has been opened (and perhaps closed): it is no draft.
    NotDraft(PollStatus),
}

/// Why an agenda order was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    /// The list is not exactly the roundtable's polls, each once.
    NotTheAgenda,
}

fn subject_columns(s: Option<&PollSubject>) -> (Option<&str>, Option<&str>, Option<&str>) {
    match s {
        Some(PollSubject::Version { version_id }) => (Some(version_id), None, None),
        Some(PollSubject::Passage {
            document_id,
            comment_id,
        }) => (None, Some(document_id), Some(comment_id)),
        None => (None, None, None),
    }
}

fn fresh_options(labels: &[String]) -> Vec<PollOption> {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| PollOption {
            id: uuid::Uuid::new_v4().to_string(),
            position: i as u32,
            label: label.clone(),
        })
        .collect()
}

impl Store {
    /// Replaces a draft's question, kind, options, settings and subject
    /// (the spec must come from `accord_domain::polls::validate_spec`). The
    /// options get fresh ids: a draft has no ballots that could name them.
    #[tracing::instrument(skip_all)]
    pub async fn edit_draft_poll(
        &self,
        id: &str,
        spec: &PollSpec,
        subject: Option<&PollSubject>,
    ) -> Result<Result<Poll, DraftRefusal>, StoreError> {
        let options = fresh_options(&spec.options);
        let (version, document, comment) = subject_columns(subject);
        let changed = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE polls SET question = $1, kind = $2, max_choices = $3, scale_min = $4, \
                 scale_max = $5, secret = $6, audience = $7, results = $8, \
                 subject_version_id = $9, subject_document_id = $10, subject_comment_id = $11 \
                 WHERE id = $12 AND status = 'draft'",
            )
            .bind(&spec.question)
            .bind(spec.kind.as_str())
            .bind(spec.max_choices.map(i64::from))
            .bind(spec.scale_min.map(i64::from))
            .bind(spec.scale_max.map(i64::from))
            .bind(spec.secret)
            .bind(spec.audience)
            .bind(spec.results.as_str())
            .bind(version)
            .bind(document)
            .bind(comment)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(crate::error::missing_or_conflict("poll subject", "poll"))?
            .rows_affected();
            if changed == 1 {
                sqlx::query("DELETE FROM poll_options WHERE poll_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for o in &options {
                    sqlx::query(
                        "INSERT INTO poll_options (id, poll_id, position, label) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&o.id)
                    .bind(id)
                    .bind(i64::from(o.position))
                    .bind(&o.label)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            changed
        });
        let now = self.poll(id).await?;
        match (changed, now) {
            (_, None) => Ok(Err(DraftRefusal::UnknownPoll)),
            (1, Some(p)) => Ok(Ok(p)),
            (_, Some(p)) => Ok(Err(DraftRefusal::NotDraft(p.status))),
        }
    }

    /// Deletes a draft with its options; returns it as it was. A poll that
    /// was ever opened is never deleted (its ballots stay).
    #[tracing::instrument(skip_all)]
    pub async fn delete_draft_poll(
        &self,
        id: &str,
    ) -> Result<Result<Poll, DraftRefusal>, StoreError> {
        let Some(before) = self.poll(id).await? else {
            return Ok(Err(DraftRefusal::UnknownPoll));
        };
        if before.status != PollStatus::Draft {
            return Ok(Err(DraftRefusal::NotDraft(before.status)));
        }
        // Options and any tally step go with the poll (ON DELETE CASCADE).
        let deleted = on_pool!(self, pool => sqlx::query(
            "DELETE FROM polls WHERE id = $1 AND status = 'draft'",
        )
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected());
        if deleted == 1 {
            return Ok(Ok(before));
        }
        Ok(Err(match self.poll(id).await? {
            Some(p) => DraftRefusal::NotDraft(p.status),
            None => DraftRefusal::UnknownPoll,
        }))
    }

    /// A new draft copying the poll's question, kind, options, settings and
    /// subject, placed right after it in the agenda. `None` if there is no
    /// such poll.
    #[tracing::instrument(skip_all)]
    pub async fn duplicate_poll(
        &self,
        id: &str,
        new_id: &str,
        created_by: &str,
        now: i64,
    ) -> Result<Option<Poll>, StoreError> {
        let Some(original) = self.poll(id).await? else {
            return Ok(None);
        };
        let labels: Vec<String> = original.options.iter().map(|o| o.label.clone()).collect();
        let options = fresh_options(&labels);
        let (version, document, comment) = subject_columns(original.subject.as_ref());
        let inserted = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The original's place, read inside the write (it may have moved).
            let place: Option<(i64,)> = sqlx::query_as("SELECT position FROM polls WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            match place {
                None => {
                    tx.rollback().await?;
                    false
                }
                Some((place,)) => {
                    sqlx::query(
                        "UPDATE polls SET position = position + 1 \
                         WHERE roundtable_id = $1 AND position > $2",
                    )
                    .bind(&original.roundtable_id)
                    .bind(place)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO polls (id, roundtable_id, question, kind, max_choices, scale_min, \
                         scale_max, secret, audience, results, status, created_by, created_at, \
                         subject_version_id, subject_document_id, subject_comment_id, position) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, $12, $13, $14, $15, $16)",
                    )
                    .bind(new_id)
                    .bind(&original.roundtable_id)
                    .bind(&original.question)
                    .bind(original.kind.as_str())
                    .bind(original.max_choices.map(i64::from))
                    .bind(original.scale_min.map(i64::from))
                    .bind(original.scale_max.map(i64::from))
                    .bind(original.secret)
                    .bind(original.audience)
                    .bind(original.results.as_str())
                    .bind(created_by)
                    .bind(now)
                    .bind(version)
                    .bind(document)
                    .bind(comment)
                    .bind(place + 1)
                    .execute(&mut *tx)
                    .await
                    .map_err(crate::error::missing_or_conflict("poll subject", "poll"))?;
                    for o in &options {
                        sqlx::query(
                            "INSERT INTO poll_options (id, poll_id, position, label) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(&o.id)
                        .bind(new_id)
                        .bind(i64::from(o.position))
                        .bind(&o.label)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    true
                }
            }
        });
        if !inserted {
            return Ok(None);
        }
        self.poll(new_id).await
    }

    /// Sets the agenda order of a roundtable's polls: `ids` must be exactly
    /// its polls, each once.
    #[tracing::instrument(skip_all)]
    pub async fn set_poll_order(
        &self,
        roundtable_id: &str,
        ids: &[String],
    ) -> Result<Result<(), OrderRefusal>, StoreError> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        if wanted.len() != ids.len() {
            return Ok(Err(OrderRefusal::NotTheAgenda));
        }
        let ok = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let have: Vec<(String,)> =
                sqlx::query_as("SELECT id FROM polls WHERE roundtable_id = $1")
                    .bind(roundtable_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let same = have.len() == ids.len()
                && have.iter().all(|(id,)| wanted.contains(id.as_str()));
            if same {
                for (i, id) in ids.iter().enumerate() {
                    sqlx::query("UPDATE polls SET position = $1 WHERE id = $2 AND roundtable_id = $3")
                        .bind(i as i64)
                        .bind(id)
                        .bind(roundtable_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            same
        });
        Ok(if ok {
            Ok(())
        } else {
            Err(OrderRefusal::NotTheAgenda)
        })
    }
}
