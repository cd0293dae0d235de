//! Accounts and sessions.

use crate::error::conflict_on_unique;
use crate::pool::on_pool;
use crate::{NewUser, Store, StoreError, User};

type UserRow = (String, String, String, i64);

fn user((id, email, display_name, created_at): UserRow) -> User {
    User {
        id,
        email,
        display_name,
        created_at,
    }
}

impl Store {
    /// Stores a new account. A taken email is [`StoreError::Conflict`].
    #[tracing::instrument(skip_all)]
    pub async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&new.id)
        .bind(&new.email)
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(new.created_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(conflict_on_unique("email"))?;
        Ok(User {
            id: new.id.clone(),
            email: new.email.clone(),
            display_name: new.display_name.clone(),
            created_at: new.created_at,
        })
    }

    /// The account and its password hash for a normalised email.
    #[tracing::instrument(skip_all)]
    pub async fn user_with_password(
        &self,
        email: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<(String, String, String, i64, String)> = on_pool!(self, pool =>
            sqlx::query_as(
                "SELECT id, email, display_name, created_at, password_hash FROM users WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(id, email, name, at, hash)| (user((id, email, name, at)), hash)))
    }

    /// Records a session by the hash of its token.
    #[tracing::instrument(skip_all)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        created_at: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(created_at)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The user of an unexpired session.
    #[tracing::instrument(skip_all)]
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT u.id, u.email, u.display_name, u.created_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(user))
    }

    /// When an unexpired session expires; `None` once it has, or was revoked.
    #[tracing::instrument(skip_all)]
    pub async fn session_expires_at(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(t,)| t))
    }

    /// Revokes a session. Revoking an unknown session is not an error.
    #[tracing::instrument(skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
        .map(|_| ()))?;
        Ok(())
    }

    /// Drops sessions that expired before `now`; returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
