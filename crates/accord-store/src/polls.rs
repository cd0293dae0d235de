//! Polls and ballots (open and secret).
//!
//! The rules (what a valid poll or ballot is, which status changes are
//! allowed) live in `accord_domain::polls`; this module makes them hold under
//! concurrency:
//!
//! * one ballot per voter is the primary key `(poll_id, voter_key)`, and a
//!   change of vote is a single `INSERT … ON CONFLICT … DO UPDATE`;
//! * "the poll is open" is checked inside that same statement (on PostgreSQL
//!   with a `FOR SHARE` lock on the poll row), so once a close has returned no
//!   ballot can still be added and the final tally is final;
//! * secret ballots go to `poll_voters` (who) and `anonymous_ballots` (what)
//!   in one transaction, with nothing that links the two rows. A secret
//!   ballot therefore cannot be changed once cast.

use crate::audit::{append_audit, Append};
use crate::pool::on_pool;
use crate::{BackendKind, Store, StoreError};
use accord_domain::audit::{Actor, AuditAction};
use accord_domain::polls::{
    validate_ballot, Ballot, BallotError, BallotInput, CastBallot, Poll, PollKind, PollOption,
    PollSpec, PollStatus, PollSubject, TransitionError,
};
use accord_domain::Side;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Who casts a ballot: a roundtable participant or a conference audience member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Voter {
    /// A user id; the user must take part in the poll's roundtable.
    User(String),
    /// An audience member id; their live session must be the poll's
    /// roundtable's active one, and the poll must be open to the audience.
    Audience(String),
}

impl Voter {
    /// The key one-ballot-per-voter is enforced on. Prefixed so that a user
    /// id and an audience id can never collide.
    pub fn key(&self) -> String {
        match self {
            Voter::User(id) => format!("user:{id}"),
            Voter::Audience(id) => format!("audience:{id}"),
        }
    }
}

/// What [`Store::create_poll`] stores; the spec must come from
/// `accord_domain::polls::validate_spec`. Option ids are generated.
#[derive(Debug, Clone)]
pub struct NewPoll {
    pub id: String,
    pub roundtable_id: String,
    pub created_by: String,
    pub created_at: i64,
    pub spec: PollSpec,
    /// What the poll decides; its version, document and comment must exist
    /// (`NotFound("poll subject")` otherwise).
    pub subject: Option<PollSubject>,
}

/// A ballot that was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastOutcome {
    /// The voter's first ballot in this poll.
    Cast,
    /// The voter's earlier ballot was replaced (non-secret polls only).
    Changed,
}

/// Why a ballot was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastRefusal {
    UnknownPoll,
    /// The ballot breaks a poll rule, including "the poll is not open".
    Invalid(BallotError),
    /// The voter may not vote here: not a participant of the roundtable, an
    /// audience member in a participants-only poll, or their live session ended.
    NotEligible,
    /// The voter already cast a secret ballot, which cannot be changed.
    AlreadyVoted,
}

/// Why a poll's status was not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRefusal {
    UnknownPoll,
    Transition(TransitionError),
}

#[derive(sqlx::FromRow)]
struct PollRow {
    id: String,
    roundtable_id: String,
    question: String,
    kind: String,
    max_choices: Option<i64>,
    scale_min: Option<i64>,
    scale_max: Option<i64>,
    secret: bool,
    audience: bool,
    results: String,
    status: String,
    created_by: String,
    created_at: i64,
    opened_at: Option<i64>,
    closed_at: Option<i64>,
    subject_version_id: Option<String>,
    subject_document_id: Option<String>,
    subject_comment_id: Option<String>,
}
type OptionRow = (String, String, i64, String);
type BallotRow = (Option<String>, Option<String>, Option<i64>, Option<String>);
type GroupRow = (
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
);

const POLL_COLUMNS: &str = "id, roundtable_id, question, kind, max_choices, scale_min, scale_max, \
     secret, audience, results, status, created_by, created_at, opened_at, closed_at, \
     subject_version_id, subject_document_id, subject_comment_id";
fn narrow<T: TryFrom<i64>>(v: Option<i64>, what: &str) -> Result<Option<T>, StoreError> {
    v.map(|n| T::try_from(n).map_err(|_| StoreError::Corrupt(format!("{what} out of range: {n}"))))
        .transpose()
}

fn poll(row: PollRow, options: Vec<PollOption>) -> Result<Poll, StoreError> {
    let subject = match (
        row.subject_version_id,
        row.subject_document_id,
        row.subject_comment_id,
    ) {
        (Some(version_id), None, None) => Some(PollSubject::Version { version_id }),
        (None, Some(document_id), Some(comment_id)) => Some(PollSubject::Passage {
            document_id,
            comment_id,
        }),
        (None, None, None) => None,
        _ => return Err(StoreError::Corrupt("poll subject half-set".into())),
    };
    Ok(Poll {
        kind: row.kind.parse()?,
        options,
        max_choices: narrow(row.max_choices, "max_choices")?,
        scale_min: narrow(row.scale_min, "scale_min")?,
        scale_max: narrow(row.scale_max, "scale_max")?,
        results: row.results.parse()?,
        status: row.status.parse()?,
        id: row.id,
        roundtable_id: row.roundtable_id,
        question: row.question,
        secret: row.secret,
        audience: row.audience,
        created_by: row.created_by,
        created_at: row.created_at,
        opened_at: row.opened_at,
        closed_at: row.closed_at,
        subject,
    })
}

fn option(row: OptionRow) -> Result<(String, PollOption), StoreError> {
    let (poll_id, id, position, label) = row;
    let position = u32::try_from(position)
        .map_err(|_| StoreError::Corrupt(format!("option position out of range: {position}")))?;
    Ok((
        poll_id,
        PollOption {
            id,
            position,
            label,
        },
    ))
}

/// The stored form of a ballot: `(choices, rating, text)`. Option ids are
/// joined with ',' — they are UUIDs generated here, so they contain none.
fn encode(ballot: &Ballot) -> (Option<String>, Option<i64>, Option<String>) {
    match ballot {
        Ballot::Choices(ids) | Ballot::Ranking(ids) => (Some(ids.join(",")), None, None),
        Ballot::Rating(r) => (None, Some(i64::from(*r)), None),
        Ballot::Text(t) => (None, None, Some(t.clone())),
    }
}

fn decode(kind: PollKind, row: BallotRow) -> Result<CastBallot, StoreError> {
    let (side, choices, rating, text) = row;
    let side: Option<Side> = side.map(|s| s.parse()).transpose()?;
    let corrupt = || StoreError::Corrupt(format!("a {kind} ballot lacks its choice"));
    let split = |c: String| c.split(',').map(str::to_owned).collect::<Vec<_>>();
    let ballot = match kind {
        PollKind::Single | PollKind::Multiple => {
            Ballot::Choices(split(choices.ok_or_else(corrupt)?))
        }
        PollKind::Ranking => Ballot::Ranking(split(choices.ok_or_else(corrupt)?)),
        PollKind::Rating => Ballot::Rating(narrow(rating, "rating")?.ok_or_else(corrupt)?),
        PollKind::Text => Ballot::Text(text.ok_or_else(corrupt)?),
    };
    Ok(CastBallot { side, ballot })
}

/// The `FROM … WHERE …` part shared by every ballot insert: yields the poll
/// row (as `pl`) and the voter's side only when the poll is open and the
/// voter eligible. Binds: `$1` poll id, `voter_param` the user or audience
/// member id.
fn eligible_from(voter: &Voter, backend: BackendKind, voter_param: &str) -> String {
    let from = match voter {
        Voter::User(_) => format!(
            "FROM polls pl JOIN participants p \
             ON p.roundtable_id = pl.roundtable_id AND p.user_id = {voter_param} \
             WHERE pl.id = $1 AND pl.status = 'open'"
        ),
        Voter::Audience(_) => format!(
            "FROM polls pl JOIN live_sessions ls \
             ON ls.roundtable_id = pl.roundtable_id AND ls.ended_at IS NULL \
             JOIN audience_members a ON a.live_session_id = ls.id AND a.id = {voter_param} \
             WHERE pl.id = $1 AND pl.status = 'open' AND pl.audience = TRUE"
        ),
    };
    // PostgreSQL checks the status against a snapshot, so a close could
    // commit between the check and the insert; the share lock makes the
    // close wait for in-flight ballots instead. SQLite runs one writer at a
    // time, so the statement is already atomic there.
    let lock = match backend {
        BackendKind::Postgres => " FOR SHARE OF pl",
        BackendKind::Sqlite => "",
    };
    format!("{from}{lock}")
}

fn side_column(voter: &Voter) -> &'static str {
    match voter {
        Voter::User(_) => "p.side",
        Voter::Audience(_) => "NULL",
    }
}

/// One ballot of a batch, as bound into a multi-row upsert.
struct BatchRow<'a> {
    /// Its place in the batch, for its outcome.
    index: usize,
    key: String,
    voter_id: &'a str,
    ballot: &'a (Option<String>, Option<i64>, Option<String>),
}

/// Ballots per multi-row statement: 5 parameters each stays far below
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const BALLOTS_PER_STATEMENT: usize = 500;

/// `INSERT … SELECT … FROM (VALUES …)` for `rows` ballots of one voter
/// kind: $1 poll id, $2 time, then per row (voter key, voter id, choices,
/// rating, text). The joins are [`eligible_from`]'s, so only eligible voters
/// of an open poll are written; RETURNING says which were.
fn batch_upsert_sql(audience: bool, rows: usize, backend: BackendKind) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let b = 3 + r * 5;
            format!("(${}, ${}, ${}, ${}, ${})", b, b + 1, b + 2, b + 3, b + 4)
        })
        .collect();
    let (voter_columns, joins) = if audience {
        (
            "NULL, a.id, NULL",
            "JOIN polls pl ON pl.id = $1 AND pl.status = 'open' AND pl.audience = TRUE \
             JOIN live_sessions ls ON ls.roundtable_id = pl.roundtable_id AND ls.ended_at IS NULL \
             JOIN audience_members a ON a.live_session_id = ls.id AND a.id = v.column2",
        )
    } else {
        (
            "p.user_id, NULL, p.side",
            "JOIN polls pl ON pl.id = $1 AND pl.status = 'open' \
             JOIN participants p ON p.roundtable_id = pl.roundtable_id AND p.user_id = v.column2",
        )
    };
    // See eligible_from: the share lock makes a close wait for this write.
    let lock = match backend {
        BackendKind::Postgres => " FOR SHARE OF pl",
        BackendKind::Sqlite => "",
    };
    // `WHERE TRUE` settles SQLite's parse of `… ON CONFLICT` after a join.
    format!(
        "INSERT INTO ballots (poll_id, voter_key, user_id, audience_member_id, side, \
         choices, rating, text, cast_at, updated_at) \
         SELECT pl.id, v.column1, {voter_columns}, v.column3, v.column4, v.column5, $2, $2 \
         FROM (VALUES {}) AS v {joins} WHERE TRUE{lock} \
         ON CONFLICT (poll_id, voter_key) DO UPDATE SET choices = excluded.choices, \
         rating = excluded.rating, text = excluded.text, updated_at = excluded.updated_at, \
         revision = ballots.revision + 1 \
         RETURNING voter_key, revision",
        values.join(", ")
    )
}

impl Store {
    /// Creates a poll in draft with its options, in one transaction, last
    /// in its roundtable's agenda.
    #[tracing::instrument(skip_all)]
    pub async fn create_poll(&self, new: &NewPoll) -> Result<Poll, StoreError> {
        let spec = &new.spec;
        let options: Vec<PollOption> = spec
            .options
            .iter()
            .enumerate()
            .map(|(i, label)| PollOption {
                id: uuid::Uuid::new_v4().to_string(),
                position: i as u32,
                label: label.clone(),
            })
            .collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO polls (id, roundtable_id, question, kind, max_choices, scale_min, \
                 scale_max, secret, audience, results, status, created_by, created_at, \
                 subject_version_id, subject_document_id, subject_comment_id, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, $12, $13, $14, $15, \
                 (SELECT COALESCE(MAX(position), -1) + 1 FROM polls WHERE roundtable_id = $2))",
            )
            .bind(&new.id)
            .bind(&new.roundtable_id)
            .bind(&spec.question)
            .bind(spec.kind.as_str())
            .bind(spec.max_choices.map(i64::from))
            .bind(spec.scale_min.map(i64::from))
            .bind(spec.scale_max.map(i64::from))
            .bind(spec.secret)
            .bind(spec.audience)
            .bind(spec.results.as_str())
            .bind(&new.created_by)
            .bind(new.created_at)
            .bind(match &new.subject {
                Some(PollSubject::Version { version_id }) => Some(version_id),
                _ => None,
            })
            .bind(match &new.subject {
                Some(PollSubject::Passage { document_id, .. }) => Some(document_id),
                _ => None,
            })
            .bind(match &new.subject {
                Some(PollSubject::Passage { comment_id, .. }) => Some(comment_id),
                _ => None,
            })
            .execute(&mut *tx)
            .await
            .map_err(crate::error::missing_or_conflict("poll subject", "poll"))?;
            for o in &options {
                sqlx::query(
                    "INSERT INTO poll_options (id, poll_id, position, label) VALUES ($1, $2, $3, $4)",
                )
                .bind(&o.id)
                .bind(&new.id)
                .bind(i64::from(o.position))
                .bind(&o.label)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(Poll {
            id: new.id.clone(),
            roundtable_id: new.roundtable_id.clone(),
            question: spec.question.clone(),
            kind: spec.kind,
            options,
            max_choices: spec.max_choices,
            scale_min: spec.scale_min,
            scale_max: spec.scale_max,
            secret: spec.secret,
            audience: spec.audience,
            results: spec.results,
            status: PollStatus::Draft,
            created_by: new.created_by.clone(),
            created_at: new.created_at,
            opened_at: None,
            closed_at: None,
            subject: new.subject.clone(),
        })
    }

    /// A poll with its options, by id.
    #[tracing::instrument(skip_all)]
    pub async fn poll(&self, id: &str) -> Result<Option<Poll>, StoreError> {
        let sql = format!("SELECT {POLL_COLUMNS} FROM polls WHERE id = $1");
        let row: Option<PollRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let options: Vec<OptionRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT poll_id, id, position, label FROM poll_options WHERE poll_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await)?;
        let options = options
            .into_iter()
            .map(|r| option(r).map(|(_, o)| o))
            .collect::<Result<_, _>>()?;
        poll(row, options).map(Some)
    }

    /// Every poll of a roundtable in agenda order (the facilitator's; new
    /// polls last), with their options.
    #[tracing::instrument(skip_all)]
    pub async fn polls_of(&self, roundtable_id: &str) -> Result<Vec<Poll>, StoreError> {
        let sql = format!(
            "SELECT {POLL_COLUMNS} FROM polls WHERE roundtable_id = $1 \
             ORDER BY position, created_at, id"
        );
        let rows: Vec<PollRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .fetch_all(pool)
            .await)?;
        let option_rows: Vec<OptionRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT o.poll_id, o.id, o.position, o.label FROM poll_options o \
             JOIN polls pl ON pl.id = o.poll_id WHERE pl.roundtable_id = $1 \
             ORDER BY o.poll_id, o.position",
        )
        .bind(roundtable_id)
        .fetch_all(pool)
        .await)?;
        let mut by_poll: HashMap<String, Vec<PollOption>> = HashMap::new();
        for r in option_rows {
            let (poll_id, o) = option(r)?;
            by_poll.entry(poll_id).or_default().push(o);
        }
        rows.into_iter()
            .map(|row| {
                let options = by_poll.remove(&row.id).unwrap_or_default();
                poll(row, options)
            })
            .collect()
    }

    /// Opens or closes a poll, following the domain's draft → open → closed
    /// rule. The update is conditional on the status it was checked against,
    /// so of two concurrent changes only one applies.
    #[tracing::instrument(skip_all)]
    pub async fn set_poll_status(
        &self,
        id: &str,
        to: PollStatus,
        now: i64,
        actor: &Actor,
    ) -> Result<Result<Poll, StatusRefusal>, StoreError> {
        let Some(current) = self.poll(id).await? else {
            return Ok(Err(StatusRefusal::UnknownPoll));
        };
        if let Err(e) = current.status.transition(to) {
            return Ok(Err(StatusRefusal::Transition(e)));
        }
        let sql = match to {
            PollStatus::Open => {
                "UPDATE polls SET status = 'open', opened_at = $1 WHERE id = $2 AND status = $3"
            }
            PollStatus::Closed => {
                "UPDATE polls SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = $3"
            }
            // transition() never allows moving to draft.
            PollStatus::Draft => {
                return Ok(Err(StatusRefusal::Transition(TransitionError {
                    from: current.status,
                    to,
                })))
            }
        };
        let scrub =
            to == PollStatus::Closed && current.secret && self.kind() == BackendKind::Postgres;
        let changed = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(sql)
                .bind(now)
                .bind(id)
                .bind(current.status.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed > 0 && scrub {
                // Rows written by one ballot's transaction share PostgreSQL's
                // xmin, which would pair each voter with their ballot. Rewriting
                // every row of the poll here gives them all this transaction's
                // xmin. (Old row versions linger until VACUUM; the voters table
                // is only readable by the database owner in any case.)
                for scrub_sql in [
                    "UPDATE poll_voters SET voter_key = voter_key WHERE poll_id = $1",
                    "UPDATE anonymous_ballots SET side = side WHERE poll_id = $1",
                ] {
                    sqlx::query(scrub_sql).bind(id).execute(&mut *tx).await?;
                }
            }
            if changed > 0 {
                append_audit!(tx, &Append {
                    roundtable_id: &current.roundtable_id,
                    at: now,
                    actor,
                    action: if to == PollStatus::Open {
                        AuditAction::PollOpened
                    } else {
                        AuditAction::PollClosed
                    },
                    subject_id: id,
                    detail: json!({"question": current.question, "secret": current.secret}),
                })?;
            }
            tx.commit().await?;
            changed
        });
        let after = self
            .poll(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("poll vanished during a status change".into()))?;
        if changed == 0 {
            // Someone else changed the status first; report against theirs.
            return Ok(Err(StatusRefusal::Transition(TransitionError {
                from: after.status,
                to,
            })));
        }
        Ok(Ok(after))
    }

    /// Validates and stores a ballot; a non-secret ballot replaces the
    /// voter's earlier one. `poll` may be a cached copy: the store re-checks
    /// that the poll is open, and that the voter may vote, in the write.
    #[tracing::instrument(skip_all)]
    pub async fn cast_ballot(
        &self,
        poll: &Poll,
        voter: &Voter,
        input: &BallotInput,
        now: i64,
    ) -> Result<Result<CastOutcome, CastRefusal>, StoreError> {
        if matches!(voter, Voter::Audience(_)) && !poll.audience {
            return Ok(Err(CastRefusal::NotEligible));
        }
        let ballot = match validate_ballot(poll, input) {
            Ok(b) => b,
            Err(e) => return Ok(Err(CastRefusal::Invalid(e))),
        };
        let (choices, rating, text) = encode(&ballot);
        let (voter_id, user_id, audience_id) = match voter {
            Voter::User(id) => (id, Some(id), None),
            Voter::Audience(id) => (id, None, Some(id)),
        };
        let from = eligible_from(voter, self.kind(), "$3");
        let side = side_column(voter);
        let key = voter.key();

        let stored: Option<CastOutcome> = if poll.secret {
            let claim = format!(
                "INSERT INTO poll_voters (poll_id, voter_key) SELECT pl.id, $2 {from} \
                 ON CONFLICT (poll_id, voter_key) DO NOTHING"
            );
            let store_ballot = format!(
                "INSERT INTO anonymous_ballots (id, poll_id, side, choices, rating, text) \
                 SELECT $3, pl.id, {side}, $4, $5, $6 {}",
                eligible_from(voter, self.kind(), "$2")
            );
            // A fresh random id: the ballot's key carries no order or identity.
            let ballot_id = uuid::Uuid::new_v4().to_string();
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let claimed = sqlx::query(&claim)
                    .bind(&poll.id)
                    .bind(&key)
                    .bind(voter_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    tx.rollback().await?;
                    None
                } else {
                    let inserted = sqlx::query(&store_ballot)
                        .bind(&poll.id)
                        .bind(voter_id)
                        .bind(&ballot_id)
                        .bind(&choices)
                        .bind(rating)
                        .bind(&text)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if inserted == 1 {
                        tx.commit().await?;
                        Some(CastOutcome::Cast)
                    } else {
                        tx.rollback().await?;
                        None
                    }
                }
            })
        } else {
            // `revision` tells a first ballot from a change without a second
            // query (timestamps can coincide within a second).
            let upsert = format!(
                "INSERT INTO ballots (poll_id, voter_key, user_id, audience_member_id, side, \
                 choices, rating, text, cast_at, updated_at) \
                 SELECT pl.id, $2, $4, $5, {side}, $6, $7, $8, $9, $9 {from} \
                 ON CONFLICT (poll_id, voter_key) DO UPDATE SET choices = excluded.choices, \
                 rating = excluded.rating, text = excluded.text, updated_at = excluded.updated_at, \
                 revision = ballots.revision + 1 \
                 RETURNING revision"
            );
            let revision: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(&upsert)
                .bind(&poll.id)
                .bind(&key)
                .bind(voter_id)
                .bind(user_id)
                .bind(audience_id)
                .bind(&choices)
                .bind(rating)
                .bind(&text)
                .bind(now)
                .fetch_optional(pool)
                .await)?;
            revision.map(|(r,)| {
                if r <= 1 {
                    CastOutcome::Cast
                } else {
                    CastOutcome::Changed
                }
            })
        };
        if let Some(outcome) = stored {
            return Ok(Ok(outcome));
        }

        // Nothing was written: find out why, for a precise error.
        let Some(fresh) = self.poll(&poll.id).await? else {
            return Ok(Err(CastRefusal::UnknownPoll));
        };
        if fresh.status != PollStatus::Open {
            return Ok(Err(CastRefusal::Invalid(BallotError::PollNotOpen {
                status: fresh.status,
            })));
        }
        if fresh.secret && self.has_voted(&fresh.id, voter).await? {
            return Ok(Err(CastRefusal::AlreadyVoted));
        }
        Ok(Err(CastRefusal::NotEligible))
    }

    /// Casts many non-secret ballots of one poll in ONE transaction (a group
    /// commit): under a conference burst each commit costs a disk sync, so
    /// one sync per batch instead of per ballot is what lets thousands of
    /// votes land within seconds. Each ballot gets its own outcome, exactly
    /// as [`Store::cast_ballot`] would give it; secret polls are refused here
    /// (their two-table write stays one transaction per ballot).
    #[tracing::instrument(skip_all, fields(n = ballots.len()))]
    pub async fn cast_open_ballots(
        &self,
        poll: &Poll,
        ballots: &[(Voter, BallotInput)],
        now: i64,
    ) -> Result<Vec<Result<CastOutcome, CastRefusal>>, StoreError> {
        if poll.secret {
            return Err(StoreError::Corrupt(
                "secret ballots cannot be batched".into(),
            ));
        }
        // What to write for each ballot, or why it is refused before writing.
        let mut planned = Vec::with_capacity(ballots.len());
        for (voter, input) in ballots {
            if matches!(voter, Voter::Audience(_)) && !poll.audience {
                planned.push(Err(CastRefusal::NotEligible));
                continue;
            }
            match validate_ballot(poll, input) {
                Ok(b) => planned.push(Ok(encode(&b))),
                Err(e) => planned.push(Err(CastRefusal::Invalid(e))),
            }
        }
        // One multi-row upsert per voter kind, so a batch is a handful of
        // statements, not one round trip to the database per ballot. A voter
        // twice in one batch goes in a later statement, since one upsert
        // may not touch a row twice.
        let mut statements: BTreeMap<(bool, usize), Vec<BatchRow<'_>>> = BTreeMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (index, ((voter, _), plan)) in ballots.iter().zip(&planned).enumerate() {
            let Ok(ballot) = plan else { continue };
            let key = voter.key();
            let round = seen.entry(key.clone()).or_insert(0);
            let (audience, voter_id) = match voter {
                Voter::User(id) => (false, id.as_str()),
                Voter::Audience(id) => (true, id.as_str()),
            };
            statements
                .entry((audience, *round))
                .or_default()
                .push(BatchRow {
                    index,
                    key,
                    voter_id,
                    ballot,
                });
            *round += 1;
        }
        let mut written: Vec<Option<Option<i64>>> = vec![None; ballots.len()];
        // The usual conference batch is one statement, atomic by itself:
        // skipping BEGIN and COMMIT saves two trips to SQLite's writer thread.
        let single = statements.len() == 1
            && statements
                .values()
                .all(|v| v.len() <= BALLOTS_PER_STATEMENT);
        on_pool!(self, pool => {
            let mut tx = if single { None } else { Some(pool.begin().await?) };
            for ((audience, _), rows) in &statements {
                for chunk in rows.chunks(BALLOTS_PER_STATEMENT) {
                    let sql = batch_upsert_sql(*audience, chunk.len(), self.kind());
                    let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(&poll.id).bind(now);
                    for row in chunk {
                        let (choices, rating, text) = row.ballot;
                        q = q
                            .bind(&row.key)
                            .bind(row.voter_id)
                            .bind(choices)
                            .bind(*rating)
                            .bind(text);
                    }
                    let returned = match &mut tx {
                        Some(tx) => q.fetch_all(&mut **tx).await?,
                        None => q.fetch_all(pool).await?,
                    };
                    let revisions: HashMap<String, i64> = returned.into_iter().collect();
                    for row in chunk {
                        written[row.index] = Some(revisions.get(&row.key).copied());
                    }
                }
            }
            if let Some(tx) = tx {
                tx.commit().await?;
            }
        });
        let mut out = Vec::with_capacity(ballots.len());
        for (i, plan) in planned.into_iter().enumerate() {
            match (plan, written[i]) {
                (Err(refusal), _) => out.push(Err(refusal)),
                (Ok(_), Some(Some(r))) => out.push(Ok(if r <= 1 {
                    CastOutcome::Cast
                } else {
                    CastOutcome::Changed
                })),
                // Not written: the same diagnosis as a single cast.
                (Ok(_), _) => {
                    let fresh = self.poll(&poll.id).await?;
                    out.push(Err(match fresh {
                        None => CastRefusal::UnknownPoll,
                        Some(p) if p.status != PollStatus::Open => {
                            CastRefusal::Invalid(BallotError::PollNotOpen { status: p.status })
                        }
                        Some(_) => CastRefusal::NotEligible,
                    }));
                }
            }
        }
        Ok(out)
    }

    /// Whether `voter` has a ballot in the poll (secret or not).
    #[tracing::instrument(skip_all)]
    pub async fn has_voted(&self, poll_id: &str, voter: &Voter) -> Result<bool, StoreError> {
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM ballots WHERE poll_id = $1 AND voter_key = $2) \
             + (SELECT COUNT(*) FROM poll_voters WHERE poll_id = $1 AND voter_key = $2)",
        )
        .bind(poll_id)
        .bind(voter.key())
        .fetch_one(pool)
        .await)?;
        Ok(n > 0)
    }

    /// The voter's current ballot, so a reconnecting client can show it.
    /// Always `None` for a secret poll: the store cannot tell.
    #[tracing::instrument(skip_all)]
    pub async fn my_ballot(
        &self,
        poll: &Poll,
        voter: &Voter,
    ) -> Result<Option<Ballot>, StoreError> {
        if poll.secret {
            return Ok(None);
        }
        let row: Option<BallotRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT side, choices, rating, text FROM ballots WHERE poll_id = $1 AND voter_key = $2",
        )
        .bind(&poll.id)
        .bind(voter.key())
        .fetch_optional(pool)
        .await)?;
        row.map(|r| decode(poll.kind, r).map(|c| c.ballot))
            .transpose()
    }

    /// How many ballots a poll holds (secret and non-secret alike).
    #[tracing::instrument(skip_all)]
    pub async fn count_ballots(&self, poll_id: &str) -> Result<u64, StoreError> {
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM ballots WHERE poll_id = $1) \
             + (SELECT COUNT(*) FROM anonymous_ballots WHERE poll_id = $1)",
        )
        .bind(poll_id)
        .fetch_one(pool)
        .await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every ballot of a poll with its voter's side (`None` for the
    /// audience), in no meaningful order. For large polls prefer
    /// [`Store::ballot_groups`].
    #[tracing::instrument(skip_all)]
    pub async fn ballots_for_tally(&self, poll: &Poll) -> Result<Vec<CastBallot>, StoreError> {
        let rows: Vec<BallotRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT side, choices, rating, text FROM ballots WHERE poll_id = $1 \
             UNION ALL SELECT side, choices, rating, text FROM anonymous_ballots WHERE poll_id = $1",
        )
        .bind(&poll.id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(|r| decode(poll.kind, r)).collect()
    }

    /// The ballots of a poll grouped into identical (side, choice) pairs with
    /// their number, for `accord_domain::polls::tally_weighted`. A choice
    /// poll with thousands of ballots comes back as a few dozen rows.
    #[tracing::instrument(skip_all)]
    pub async fn ballot_groups(&self, poll: &Poll) -> Result<Vec<(CastBallot, u32)>, StoreError> {
        let rows: Vec<GroupRow> = on_pool!(self, pool => sqlx::query_as(
                "SELECT side, choices, rating, text, COUNT(*) FROM ( \
                 SELECT side, choices, rating, text FROM ballots WHERE poll_id = $1 \
                 UNION ALL SELECT side, choices, rating, text FROM anonymous_ballots WHERE poll_id = $1 \
                 ) b GROUP BY side, choices, rating, text",
            )
            .bind(&poll.id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|(side, choices, rating, text, n)| {
                let n = u32::try_from(n)
                    .map_err(|_| StoreError::Corrupt(format!("ballot count out of range: {n}")))?;
                Ok((decode(poll.kind, (side, choices, rating, text))?, n))
            })
            .collect()
    }
}
