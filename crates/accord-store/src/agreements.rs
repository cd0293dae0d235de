//! Agreements on one version: proposals, positions, outcomes.
//!
//! Every change is one transaction that opens with a conditional write on
//! the agreement's row (`… WHERE state = 'open'`): on PostgreSQL that row
//! lock, on SQLite the write lock, serialises concurrent positions on one
//! agreement, so the move to `agreed` (decided by
//! `accord_domain::agreement::next` over the standing positions) happens
//! once, with one seal. Each change appends its audit entries in the same
//! transaction. At most one agreement per document is open (a partial
//! unique index); proposing another supersedes it.

use crate::audit::{append_audit, Append};
use crate::error::missing_or_conflict;
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::agreement::{
    self, AgreementState, Electorate, Event, Position, Quorum, Rule, SealedPosition,
};
use accord_domain::audit::{Actor, AuditAction};
use accord_domain::Side;
use serde_json::json;

/// What proposing stores. The electorate is who may endorse, decided by the
/// caller with the permission table, each with their side.
#[derive(Debug, Clone)]
pub struct NewAgreement {
    pub id: String,
    pub version_id: String,
    pub rule: Rule,
    pub electorate: Vec<(String, Side)>,
    pub proposed_by: Actor,
    pub created_at: i64,
    pub closes_at: Option<i64>,
}

/// An agreement as stored, with its version's number and name joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAgreement {
    pub id: String,
    pub roundtable_id: String,
    pub document_id: String,
    pub version_id: String,
    pub version_number: i64,
    pub version_name: String,
    pub sha256: String,
    pub rule: Rule,
    pub state: AgreementState,
    pub electorate: Electorate,
    pub proposed_by: String,
    pub proposed_by_name: String,
    pub created_at: i64,
    pub closes_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub seal: Option<String>,
    pub superseded_by: Option<String>,
}

/// One voter of an agreement and their standing position, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub user_id: String,
    pub display_name: String,
    /// As when they joined the roundtable; empty if they have left it.
    pub organisation: String,
    pub side: Side,
    pub position: Option<Position>,
    pub reason: Option<String>,
    /// Unix seconds of the standing position.
    pub at: Option<i64>,
}

/// An agreement with its electorate and their positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementRecord {
    pub agreement: StoredAgreement,
    /// Ordered by side, then name.
    pub voters: Vec<Voter>,
}

impl AgreementRecord {
    /// The standing positions in seal order (time, then user id).
    pub fn sealed_positions(&self) -> Vec<SealedPosition> {
        sealed(
            self.voters
                .iter()
                .filter_map(|v| Some((v.user_id.clone(), v.side, v.position?, v.at?))),
        )
    }
}

fn sealed(rows: impl Iterator<Item = (String, Side, Position, i64)>) -> Vec<SealedPosition> {
    let mut out: Vec<SealedPosition> = rows
        .map(|(user_id, side, position, at)| SealedPosition {
            user_id,
            side,
            position,
            at,
        })
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.user_id.cmp(&b.user_id)));
    out
}

/// Why a proposal was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposeRefusal {
    UnknownVersion,
    /// One side has nobody who may endorse.
    EmptySide(Side),
}

/// Why a position was not taken (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PositionRefusal {
    UnknownAgreement,
    /// Not open any more (it may have just expired: then it is now `Expired`).
    Closed(AgreementState),
    /// The caller was not in the electorate fixed when it opened.
    NotInElectorate,
    /// The hash quoted is not the version's.
    HashMismatch,
}

/// What a change did: the agreement as it now is, and what else it closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub agreement: StoredAgreement,
    /// The agreement a proposal superseded.
    pub superseded: Option<String>,
}

/// An open agreement's fields a position needs: roundtable, version hash,
/// quorum, objections block, electorate (employer, union), closes_at.
type OpenRow = (String, String, String, bool, i64, i64, Option<i64>);

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    roundtable_id: String,
    document_id: String,
    version_id: String,
    version_number: i64,
    version_name: String,
    sha256: String,
    quorum: String,
    objections_block: bool,
    state: String,
    electorate_employer: i64,
    electorate_union: i64,
    proposed_by: String,
    proposed_by_name: String,
    created_at: i64,
    closes_at: Option<i64>,
    decided_at: Option<i64>,
    seal: Option<String>,
    superseded_by: Option<String>,
}

const COLUMNS: &str =
    "a.id AS id, a.roundtable_id AS roundtable_id, a.document_id AS document_id, \
     a.version_id AS version_id, v.number AS version_number, v.name AS version_name, \
     a.sha256 AS sha256, a.quorum AS quorum, a.objections_block AS objections_block, \
     a.state AS state, a.electorate_employer AS electorate_employer, \
     a.electorate_union AS electorate_union, a.proposed_by AS proposed_by, \
     u.display_name AS proposed_by_name, a.created_at AS created_at, a.closes_at AS closes_at, \
     a.decided_at AS decided_at, a.seal AS seal, a.superseded_by AS superseded_by \
     FROM agreements a JOIN document_versions v ON v.id = a.version_id \
     JOIN users u ON u.id = a.proposed_by";

fn count(n: i64) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("electorate out of range: {n}")))
}

fn stored(r: Row) -> Result<StoredAgreement, StoreError> {
    Ok(StoredAgreement {
        rule: Rule {
            quorum: r.quorum.parse::<Quorum>()?,
            objections_block: r.objections_block,
        },
        state: r.state.parse()?,
        electorate: Electorate {
            employer: count(r.electorate_employer)?,
            union: count(r.electorate_union)?,
        },
        id: r.id,
        roundtable_id: r.roundtable_id,
        document_id: r.document_id,
        version_id: r.version_id,
        version_number: r.version_number,
        version_name: r.version_name,
        sha256: r.sha256,
        proposed_by: r.proposed_by,
        proposed_by_name: r.proposed_by_name,
        created_at: r.created_at,
        closes_at: r.closes_at,
        decided_at: r.decided_at,
        seal: r.seal,
        superseded_by: r.superseded_by,
    })
}

/// The agreement's fields an outcome's audit entry and the seal need.
fn rule_detail(rule: Rule) -> serde_json::Value {
    json!({"quorum": rule.quorum.as_str(), "objections_block": rule.objections_block})
}

type VoterRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// An agreement's electorate with names, organisations (empty once they
/// left the roundtable) and standing positions.
const VOTER_COLUMNS: &str = "e.agreement_id, e.user_id, u.display_name, p.organisation, e.side, \
     x.position, x.reason, x.at \
     FROM agreement_electorate e JOIN users u ON u.id = e.user_id \
     JOIN agreements a ON a.id = e.agreement_id \
     LEFT JOIN participants p ON p.roundtable_id = a.roundtable_id AND p.user_id = e.user_id \
     LEFT JOIN agreement_positions x ON x.agreement_id = e.agreement_id AND x.user_id = e.user_id";

/// By side, then name.
const VOTER_ORDER: &str = "ORDER BY e.side, u.display_name, e.user_id";

/// (agreement id, voter).
fn voter(row: VoterRow) -> Result<(String, Voter), StoreError> {
    let (agreement_id, user_id, display_name, organisation, side, position, reason, at) = row;
    Ok((
        agreement_id,
        Voter {
            user_id,
            display_name,
            organisation: organisation.unwrap_or_default(),
            side: side.parse()?,
            position: position.map(|p| p.parse()).transpose()?,
            reason,
            at,
        },
    ))
}

impl Store {
    /// Proposes a version for agreement: supersedes the document's open
    /// agreement, if any, and opens this one with its electorate, in one
    /// transaction with both audit entries.
    #[tracing::instrument(skip_all)]
    pub async fn propose_agreement(
        &self,
        new: &NewAgreement,
    ) -> Result<Result<Changed, ProposeRefusal>, StoreError> {
        let employer = new
            .electorate
            .iter()
            .filter(|(_, s)| *s == Side::Employer)
            .count();
        let union = new
            .electorate
            .iter()
            .filter(|(_, s)| *s == Side::Union)
            .count();
        for (side, n) in [(Side::Employer, employer), (Side::Union, union)] {
            if n == 0 {
                return Ok(Err(ProposeRefusal::EmptySide(side)));
            }
        }
        let proposer = new.proposed_by.user_id.clone().unwrap_or_default();
        let superseded: Option<String> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The version's document and roundtable, read under the write
            // lock the first statement takes (SQLite: a write first).
            let found: Option<(String, String)> = sqlx::query_as(
                "UPDATE documents SET last_seq = last_seq WHERE id = \
                 (SELECT document_id FROM document_versions WHERE id = $1) \
                 RETURNING id, roundtable_id",
            )
            .bind(&new.version_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((document_id, roundtable_id)) = found else {
                tx.rollback().await?;
                return Ok(Err(ProposeRefusal::UnknownVersion));
            };
            let (sha256, number): (String, i64) =
                sqlx::query_as("SELECT sha256, number FROM document_versions WHERE id = $1")
                    .bind(&new.version_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let old: Option<(String,)> = sqlx::query_as(
                "UPDATE agreements SET state = 'superseded', decided_at = $2, superseded_by = $3 \
                 WHERE document_id = $1 AND state = 'open' RETURNING id",
            )
            .bind(&document_id)
            .bind(new.created_at)
            .bind(&new.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((old_id,)) = &old {
                append_audit!(tx, &Append {
                    roundtable_id: &roundtable_id,
                    at: new.created_at,
                    actor: &new.proposed_by,
                    action: AuditAction::AgreementSuperseded,
                    subject_id: old_id,
                    detail: json!({"by": new.id}),
                })?;
            }
            sqlx::query(
                "INSERT INTO agreements (id, roundtable_id, document_id, version_id, sha256, quorum, \
                 objections_block, state, electorate_employer, electorate_union, proposed_by, \
                 created_at, closes_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $11, $12)",
            )
            .bind(&new.id)
            .bind(&roundtable_id)
            .bind(&document_id)
            .bind(&new.version_id)
            .bind(&sha256)
            .bind(new.rule.quorum.as_str())
            .bind(new.rule.objections_block)
            .bind(employer as i64)
            .bind(union as i64)
            .bind(&proposer)
            .bind(new.created_at)
            .bind(new.closes_at)
            .execute(&mut *tx)
            .await
            .map_err(missing_or_conflict("proposer", "open agreement"))?;
            for (user_id, side) in &new.electorate {
                sqlx::query(
                    "INSERT INTO agreement_electorate (agreement_id, user_id, side) VALUES ($1, $2, $3)",
                )
                .bind(&new.id)
                .bind(user_id)
                .bind(side.as_str())
                .execute(&mut *tx)
                .await
                .map_err(missing_or_conflict("voter", "voter"))?;
            }
            append_audit!(tx, &Append {
                roundtable_id: &roundtable_id,
                at: new.created_at,
                actor: &new.proposed_by,
                action: AuditAction::AgreementProposed,
                subject_id: &new.id,
                detail: json!({
                    "version_id": new.version_id,
                    "version_number": number,
                    "sha256": sha256,
                    "rule": rule_detail(new.rule),
                    "electorate": {"employer": employer, "union": union},
                    "closes_at": new.closes_at,
                }),
            })?;
            tx.commit().await?;
            old.map(|(id,)| id)
        });
        let agreement = self
            .stored_agreement(&new.id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("proposed agreement vanished".into()))?;
        Ok(Ok(Changed {
            agreement,
            superseded,
        }))
    }

    /// Records (or changes) `user_id`'s position and, if the standing
    /// positions now satisfy the rule, makes the agreement agreed and seals
    /// it — all in one transaction. An agreement past `closes_at` is
    /// expired instead, and the position refused.
    #[tracing::instrument(skip_all)]
    pub async fn take_position(
        &self,
        agreement_id: &str,
        user_id: &str,
        position: Position,
        sha256: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Result<StoredAgreement, PositionRefusal>, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Locks the agreement while it is open: concurrent positions on
            // it wait here, so each sees the others' positions.
            let open: Option<OpenRow> = sqlx::query_as(
                "UPDATE agreements SET state = state WHERE id = $1 AND state = 'open' \
                 RETURNING roundtable_id, sha256, quorum, objections_block, electorate_employer, \
                 electorate_union, closes_at",
            )
            .bind(agreement_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((rt, version_sha, quorum, objections_block, ee, eu, closes_at)) = open else {
                let state: Option<(String,)> =
                    sqlx::query_as("SELECT state FROM agreements WHERE id = $1")
                        .bind(agreement_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                tx.rollback().await?;
                return Ok(Err(match state {
                    None => PositionRefusal::UnknownAgreement,
                    Some((s,)) => PositionRefusal::Closed(s.parse()?),
                }));
            };
            if closes_at.is_some_and(|c| c <= now) {
                sqlx::query("UPDATE agreements SET state = 'expired', decided_at = $2 WHERE id = $1")
                    .bind(agreement_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                append_audit!(tx, &Append {
                    roundtable_id: &rt,
                    at: now,
                    actor: &Actor::system(),
                    action: AuditAction::AgreementExpired,
                    subject_id: agreement_id,
                    detail: json!({"closes_at": closes_at}),
                })?;
                tx.commit().await?;
                return Ok(Err(PositionRefusal::Closed(AgreementState::Expired)));
            }
            let side: Option<(String,)> = sqlx::query_as(
                "SELECT side FROM agreement_electorate WHERE agreement_id = $1 AND user_id = $2",
            )
            .bind(agreement_id)
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((side,)) = side else {
                tx.rollback().await?;
                return Ok(Err(PositionRefusal::NotInElectorate));
            };
            if version_sha != sha256 {
                tx.rollback().await?;
                return Ok(Err(PositionRefusal::HashMismatch));
            }
            let side: Side = side.parse()?;
            sqlx::query(
                "INSERT INTO agreement_positions (agreement_id, user_id, side, position, reason, at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agreement_id, user_id) DO UPDATE \
                 SET position = excluded.position, reason = excluded.reason, at = excluded.at",
            )
            .bind(agreement_id)
            .bind(user_id)
            .bind(side.as_str())
            .bind(position.as_str())
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let actor = Actor::user(user_id, side);
            append_audit!(tx, &Append {
                roundtable_id: &rt,
                at: now,
                actor: &actor,
                action: AuditAction::AgreementPosition,
                subject_id: agreement_id,
                detail: json!({"position": position.as_str(), "reason": reason}),
            })?;
            let standing: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT user_id, side, position, at FROM agreement_positions WHERE agreement_id = $1",
            )
            .bind(agreement_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut rows = Vec::with_capacity(standing.len());
            for (u, s, p, at) in standing {
                rows.push((u, s.parse::<Side>()?, p.parse::<Position>()?, at));
            }
            let pairs: Vec<(Side, Position)> = rows.iter().map(|(_, s, p, _)| (*s, *p)).collect();
            let (employer, union) = agreement::count(&pairs);
            let rule = Rule { quorum: quorum.parse()?, objections_block };
            let electorate = Electorate { employer: count(ee)?, union: count(eu)? };
            let next = agreement::next(
                AgreementState::Open,
                rule,
                electorate,
                Event::Position { employer, union },
            )
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if next == AgreementState::Agreed {
                let seal = agreement::seal(&version_sha, rule, &sealed(rows.into_iter()));
                sqlx::query(
                    "UPDATE agreements SET state = 'agreed', decided_at = $2, seal = $3 WHERE id = $1",
                )
                .bind(agreement_id)
                .bind(now)
                .bind(&seal)
                .execute(&mut *tx)
                .await?;
                append_audit!(tx, &Append {
                    roundtable_id: &rt,
                    at: now,
                    actor: &actor,
                    action: AuditAction::AgreementAgreed,
                    subject_id: agreement_id,
                    detail: json!({
                        "sha256": version_sha,
                        "seal": seal,
                        "employer": employer.endorse,
                        "union": union.endorse,
                    }),
                })?;
            }
            tx.commit().await?;
        });
        let agreement = self
            .stored_agreement(agreement_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("agreement vanished".into()))?;
        Ok(Ok(agreement))
    }

    /// Withdraws an open agreement. `Err(state)` if it is not open; `None`
    /// if there is no such agreement.
    #[tracing::instrument(skip_all)]
    pub async fn withdraw_agreement(
        &self,
        agreement_id: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<Option<Result<StoredAgreement, AgreementState>>, StoreError> {
        let done: bool = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String,)> = sqlx::query_as(
                "UPDATE agreements SET state = 'withdrawn', decided_at = $2 \
                 WHERE id = $1 AND state = 'open' RETURNING roundtable_id",
            )
            .bind(agreement_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some((rt,)) => {
                    append_audit!(tx, &Append {
                        roundtable_id: &rt,
                        at: now,
                        actor,
                        action: AuditAction::AgreementWithdrawn,
                        subject_id: agreement_id,
                        detail: json!({}),
                    })?;
                    tx.commit().await?;
                    true
                }
                None => {
                    tx.rollback().await?;
                    false
                }
            }
        });
        let Some(a) = self.stored_agreement(agreement_id).await? else {
            return Ok(None);
        };
        Ok(Some(if done { Ok(a) } else { Err(a.state) }))
    }

    /// Expires every open agreement whose `closes_at` has passed, each in
    /// its own transaction (safe to run on every node at once: the update
    /// is conditional). Returns the expired agreements.
    #[tracing::instrument(skip_all)]
    pub async fn expire_due_agreements(
        &self,
        now: i64,
    ) -> Result<Vec<StoredAgreement>, StoreError> {
        let due: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id FROM agreements WHERE state = 'open' AND closes_at <= $1",
        )
        .bind(now)
        .fetch_all(pool)
        .await)?;
        let mut out = Vec::new();
        for (id,) in due {
            let expired: bool = on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                let row: Option<(String, Option<i64>)> = sqlx::query_as(
                    "UPDATE agreements SET state = 'expired', decided_at = $2 \
                     WHERE id = $1 AND state = 'open' AND closes_at <= $2 \
                     RETURNING roundtable_id, closes_at",
                )
                .bind(&id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                match row {
                    Some((rt, closes_at)) => {
                        append_audit!(tx, &Append {
                            roundtable_id: &rt,
                            at: now,
                            actor: &Actor::system(),
                            action: AuditAction::AgreementExpired,
                            subject_id: &id,
                            detail: json!({"closes_at": closes_at}),
                        })?;
                        tx.commit().await?;
                        true
                    }
                    None => {
                        tx.rollback().await?;
                        false
                    }
                }
            });
            if expired {
                if let Some(a) = self.stored_agreement(&id).await? {
                    out.push(a);
                }
            }
        }
        Ok(out)
    }

    /// An agreement without its voters.
    #[tracing::instrument(skip_all)]
    pub async fn stored_agreement(&self, id: &str) -> Result<Option<StoredAgreement>, StoreError> {
        let sql = format!("SELECT {COLUMNS} WHERE a.id = $1");
        let row: Option<Row> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(stored).transpose()
    }

    /// An agreement with its electorate and their standing positions.
    #[tracing::instrument(skip_all)]
    pub async fn agreement(&self, id: &str) -> Result<Option<AgreementRecord>, StoreError> {
        let Some(agreement) = self.stored_agreement(id).await? else {
            return Ok(None);
        };
        let sql = format!("SELECT {VOTER_COLUMNS} WHERE e.agreement_id = $1 {VOTER_ORDER}");
        let rows: Vec<VoterRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id)
            .fetch_all(pool)
            .await)?;
        let voters = rows
            .into_iter()
            .map(|r| voter(r).map(|(_, v)| v))
            .collect::<Result<_, _>>()?;
        Ok(Some(AgreementRecord { agreement, voters }))
    }

    /// A roundtable's agreements with their voters, newest first: two
    /// queries however many agreements (what the list and a room's seed read).
    #[tracing::instrument(skip_all)]
    pub async fn agreement_records_of(
        &self,
        roundtable_id: &str,
    ) -> Result<Vec<AgreementRecord>, StoreError> {
        let agreements = self.agreements_of(roundtable_id).await?;
        let sql = format!("SELECT {VOTER_COLUMNS} WHERE a.roundtable_id = $1 {VOTER_ORDER}");
        let rows: Vec<VoterRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .fetch_all(pool)
            .await)?;
        let mut by_agreement: std::collections::HashMap<String, Vec<Voter>> =
            std::collections::HashMap::new();
        for r in rows {
            let (agreement_id, v) = voter(r)?;
            by_agreement.entry(agreement_id).or_default().push(v);
        }
        Ok(agreements
            .into_iter()
            .map(|agreement| AgreementRecord {
                voters: by_agreement.remove(&agreement.id).unwrap_or_default(),
                agreement,
            })
            .collect())
    }

    /// A roundtable's agreements, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn agreements_of(
        &self,
        roundtable_id: &str,
    ) -> Result<Vec<StoredAgreement>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} WHERE a.roundtable_id = $1 ORDER BY a.created_at DESC, a.id");
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(stored).collect()
    }

    /// The agreements on one version, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn agreements_of_version(
        &self,
        version_id: &str,
    ) -> Result<Vec<StoredAgreement>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} WHERE a.version_id = $1 ORDER BY a.created_at DESC, a.id");
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(version_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(stored).collect()
    }
}
