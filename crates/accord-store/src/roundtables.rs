//! Roundtables, their participants and invitation links.

use crate::audit::{append_audit, Append};
use crate::error::conflict_on_unique;
use crate::pool::on_pool;
use crate::{
    AcceptRefusal, Invitation, MyRoundtable, NewInvitation, NewRoundtable, Participant, Roundtable,
    Store, StoreError,
};
use accord_domain::audit::{Actor, AuditAction};
use accord_domain::{Role, Side};
use serde_json::json;

type RoundtableRow = (String, String, String, String, String, i64);
type MyRoundtableRow = (String, String, String, String, String, i64, String, String);
type ParticipantRow = (String, String, String, String, String, String, i64);
type InvitationRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    String,
    i64,
    i64,
    Option<i64>,
);

const PARTICIPANT_COLUMNS: &str = "p.roundtable_id, p.user_id, u.display_name, p.side, p.role, \
     p.organisation, p.joined_at FROM participants p JOIN users u ON u.id = p.user_id";

fn roundtable(row: RoundtableRow) -> Result<Roundtable, StoreError> {
    let (id, title, theme, description, created_by, created_at) = row;
    Ok(Roundtable {
        id,
        title,
        theme: theme.parse()?,
        description,
        created_by,
        created_at,
    })
}

fn participant(row: ParticipantRow) -> Result<Participant, StoreError> {
    let (roundtable_id, user_id, display_name, side, role, organisation, joined_at) = row;
    Ok(Participant {
        roundtable_id,
        user_id,
        display_name,
        side: side.parse()?,
        role: role.parse()?,
        organisation,
        joined_at,
    })
}

fn invitation(row: InvitationRow) -> Result<Invitation, StoreError> {
    let (
        token_hash,
        roundtable_id,
        roundtable_title,
        theme,
        side,
        role,
        single_use,
        created_by,
        created_at,
        expires_at,
        used_at,
    ) = row;
    Ok(Invitation {
        token_hash,
        roundtable_id,
        roundtable_title,
        theme: theme.parse()?,
        side: side.parse()?,
        role: role.parse()?,
        single_use,
        created_by,
        created_at,
        expires_at,
        used_at,
    })
}

impl Store {
    /// Creates a roundtable and makes its creator the neutral facilitator, atomically.
    #[tracing::instrument(skip_all)]
    pub async fn create_roundtable(&self, new: &NewRoundtable) -> Result<Roundtable, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO roundtables (id, title, theme, description, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&new.id)
            .bind(&new.title)
            .bind(new.theme.as_str())
            .bind(&new.description)
            .bind(&new.created_by)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO participants (roundtable_id, user_id, side, role, organisation, joined_at) \
                 VALUES ($1, $2, 'neutral', 'facilitator', $3, $4)",
            )
            .bind(&new.id)
            .bind(&new.created_by)
            .bind(&new.organisation)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
            append_audit!(tx, &Append {
                roundtable_id: &new.id,
                at: new.created_at,
                actor: &Actor::user(&new.created_by, Side::Neutral),
                action: AuditAction::RoundtableCreated,
                subject_id: &new.id,
                detail: json!({"title": new.title, "theme": new.theme.as_str()}),
            })?;
            tx.commit().await?;
        });
        Ok(Roundtable {
            id: new.id.clone(),
            title: new.title.clone(),
            theme: new.theme,
            description: new.description.clone(),
            created_by: new.created_by.clone(),
            created_at: new.created_at,
        })
    }

    /// The roundtables `user_id` takes part in, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn roundtables_of(&self, user_id: &str) -> Result<Vec<MyRoundtable>, StoreError> {
        let rows: Vec<MyRoundtableRow> = on_pool!(self, pool => sqlx::query_as(
                "SELECT r.id, r.title, r.theme, r.description, r.created_by, r.created_at, p.side, p.role \
                 FROM roundtables r JOIN participants p ON p.roundtable_id = r.id \
                 WHERE p.user_id = $1 ORDER BY r.created_at DESC, r.id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(
                |(id, title, theme, description, created_by, created_at, side, role)| {
                    Ok(MyRoundtable {
                        roundtable: roundtable((
                            id,
                            title,
                            theme,
                            description,
                            created_by,
                            created_at,
                        ))?,
                        side: side.parse()?,
                        role: role.parse()?,
                    })
                },
            )
            .collect()
    }

    /// A roundtable by id.
    #[tracing::instrument(skip_all)]
    pub async fn roundtable(&self, id: &str) -> Result<Option<Roundtable>, StoreError> {
        let row: Option<RoundtableRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, title, theme, description, created_by, created_at FROM roundtables WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        row.map(roundtable).transpose()
    }

    /// One participant of a roundtable, if `user_id` takes part in it.
    #[tracing::instrument(skip_all)]
    pub async fn participant(
        &self,
        roundtable_id: &str,
        user_id: &str,
    ) -> Result<Option<Participant>, StoreError> {
        let sql =
            format!("SELECT {PARTICIPANT_COLUMNS} WHERE p.roundtable_id = $1 AND p.user_id = $2");
        let row: Option<ParticipantRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await)?;
        row.map(participant).transpose()
    }

    /// Everyone in a roundtable, by side then name.
    #[tracing::instrument(skip_all)]
    pub async fn participants(&self, roundtable_id: &str) -> Result<Vec<Participant>, StoreError> {
        let sql = format!(
            "SELECT {PARTICIPANT_COLUMNS} WHERE p.roundtable_id = $1 \
             ORDER BY p.side, u.display_name, p.user_id"
        );
        let rows: Vec<ParticipantRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(roundtable_id)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(participant).collect()
    }

    /// Changes a participant's role. Refuses (`Conflict("last_facilitator")`)
    /// to leave a roundtable without a facilitator. `None`: no such participant.
    #[tracing::instrument(skip_all)]
    pub async fn set_participant_role(
        &self,
        roundtable_id: &str,
        user_id: &str,
        role: Role,
        actor: &Actor,
        now: i64,
    ) -> Result<Option<Participant>, StoreError> {
        let changed = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
                "UPDATE participants SET role = $1 WHERE roundtable_id = $2 AND user_id = $3",
            )
            .bind(role.as_str())
            .bind(roundtable_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let (facilitators,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM participants WHERE roundtable_id = $1 AND role = 'facilitator'",
            )
            .bind(roundtable_id)
            .fetch_one(&mut *tx)
            .await?;
            if facilitators == 0 {
                tx.rollback().await?;
                return Err(StoreError::Conflict("last_facilitator"));
            }
            if changed > 0 {
                append_audit!(tx, &Append {
                    roundtable_id,
                    at: now,
                    actor,
                    action: AuditAction::ParticipantRoleChanged,
                    subject_id: user_id,
                    detail: json!({"role": role.as_str()}),
                })?;
            }
            tx.commit().await?;
            changed
        });
        if changed == 0 {
            return Ok(None);
        }
        self.participant(roundtable_id, user_id).await
    }

    /// Removes a participant; `false` if they were not one. Refuses to remove
    /// the last facilitator.
    #[tracing::instrument(skip_all)]
    pub async fn remove_participant(
        &self,
        roundtable_id: &str,
        user_id: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM participants WHERE roundtable_id = $1 AND user_id = $2")
                .bind(roundtable_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let (facilitators,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM participants WHERE roundtable_id = $1 AND role = 'facilitator'",
            )
            .bind(roundtable_id)
            .fetch_one(&mut *tx)
            .await?;
            if facilitators == 0 {
                tx.rollback().await?;
                return Err(StoreError::Conflict("last_facilitator"));
            }
            if removed > 0 {
                append_audit!(tx, &Append {
                    roundtable_id,
                    at: now,
                    actor,
                    action: AuditAction::ParticipantRemoved,
                    subject_id: user_id,
                    detail: json!({}),
                })?;
            }
            tx.commit().await?;
            Ok(removed > 0)
        })
    }

    /// Stores a new invitation link.
    #[tracing::instrument(skip_all)]
    pub async fn create_invitation(&self, new: &NewInvitation) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO invitations (token_hash, roundtable_id, side, role, single_use, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&new.token_hash)
        .bind(&new.roundtable_id)
        .bind(new.side.as_str())
        .bind(new.role.as_str())
        .bind(new.single_use)
        .bind(&new.created_by)
        .bind(new.created_at)
        .bind(new.expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_on_unique("invitation"))?;
        Ok(())
    }

    /// An invitation by the hash of its token.
    #[tracing::instrument(skip_all)]
    pub async fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        let row: Option<InvitationRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT i.token_hash, i.roundtable_id, r.title, r.theme, i.side, i.role, i.single_use, \
             i.created_by, i.created_at, i.expires_at, i.used_at \
             FROM invitations i JOIN roundtables r ON r.id = i.roundtable_id WHERE i.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await)?;
        row.map(invitation).transpose()
    }

    /// Accepts an invitation for `user_id`, atomically: the token is marked
    /// used and the participant added in one transaction, so two concurrent
    /// acceptances of a single-use token cannot both succeed.
    #[tracing::instrument(skip_all)]
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        user_id: &str,
        organisation: &str,
        now: i64,
    ) -> Result<Result<Participant, AcceptRefusal>, StoreError> {
        let outcome: Result<(), AcceptRefusal> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Write first: it takes the write lock before any read (SQLite
            // cannot upgrade a read transaction without risking SQLITE_BUSY).
            let claimed = sqlx::query(
                "UPDATE invitations SET used_at = $1, used_by = $2 WHERE token_hash = $3 \
                 AND expires_at > $1 AND (single_use = FALSE OR used_at IS NULL)",
            )
            .bind(now)
            .bind(user_id)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                let row: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "SELECT expires_at, used_at FROM invitations WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                tx.rollback().await?;
                Err(match row {
                    None => AcceptRefusal::Unknown,
                    Some((expires_at, _)) if expires_at <= now => AcceptRefusal::Expired,
                    Some(_) => AcceptRefusal::AlreadyUsed,
                })
            } else {
                let inserted = sqlx::query(
                    "INSERT INTO participants (roundtable_id, user_id, side, role, organisation, joined_at) \
                     SELECT roundtable_id, $1, side, role, $2, $3 FROM invitations WHERE token_hash = $4",
                )
                .bind(user_id)
                .bind(organisation)
                .bind(now)
                .bind(token_hash)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => {
                        let (rt, side, role): (String, String, String) = sqlx::query_as(
                            "SELECT roundtable_id, side, role FROM invitations WHERE token_hash = $1",
                        )
                        .bind(token_hash)
                        .fetch_one(&mut *tx)
                        .await?;
                        append_audit!(tx, &Append {
                            roundtable_id: &rt,
                            at: now,
                            actor: &Actor::user(user_id, side.parse()?),
                            action: AuditAction::ParticipantJoined,
                            subject_id: user_id,
                            detail: json!({"role": role, "side": side, "organisation": organisation}),
                        })?;
                        tx.commit().await?;
                        Ok(())
                    }
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                        tx.rollback().await?;
                        Err(AcceptRefusal::AlreadyParticipant)
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        });
        if let Err(refusal) = outcome {
            return Ok(Err(refusal));
        }
        let roundtable_id = self
            .invitation(token_hash)
            .await?
            .map(|i| i.roundtable_id)
            .ok_or_else(|| StoreError::Corrupt("accepted invitation vanished".into()))?;
        match self.participant(&roundtable_id, user_id).await? {
            Some(p) => Ok(Ok(p)),
            None => Err(StoreError::Corrupt("accepted participant vanished".into())),
        }
    }
}
