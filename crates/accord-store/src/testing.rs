//! Throw-away databases for tests: a fresh SQLite file or PostgreSQL database each time.

use crate::{NewDocument, NewRoundtable, NewUser, Store, StoreError};
use accord_domain::document::DocumentKind;
use accord_domain::Theme;

/// Where tests find PostgreSQL; overridable with `ACCORD_TEST_POSTGRES_URL`.
pub fn postgres_base_url() -> String {
    std::env::var("ACCORD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing service must fail the run (`CI=true`) rather than be skipped.
pub fn services_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Creates an empty PostgreSQL database with a unique name and returns its URL,
/// or `None` when PostgreSQL is unreachable and not required.
///
/// # Panics
/// When PostgreSQL is unreachable under `CI=true`: a skipped backend must not pass CI.
pub async fn fresh_postgres_url() -> Option<String> {
    use sqlx::Connection;
    let base = postgres_base_url();
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) if services_required() => {
            panic!("PostgreSQL is required under CI=true but unreachable at {base}: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: PostgreSQL unreachable at {base} ({e}); PostgreSQL tests skipped");
            return None;
        }
    };
    let name = format!("accord_test_{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
    {
        panic!("cannot create test database {name}: {e}");
    }
    let _ = conn.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
    Some(format!("{prefix}/{name}"))
}

/// A fresh SQLite database file URL in the system temp directory.
pub fn fresh_sqlite_url() -> String {
    let path =
        std::env::temp_dir().join(format!("accord-test-{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite://{}", path.display())
}

/// Connects a store to a fresh database of the given backend.
pub async fn fresh_store(postgres: bool) -> Result<Option<Store>, StoreError> {
    if postgres {
        match fresh_postgres_url().await {
            Some(url) => Store::connect(&url).await.map(Some),
            None => Ok(None),
        }
    } else {
        Store::connect(&fresh_sqlite_url()).await.map(Some)
    }
}

impl Store {
    /// Moves every invitation of a roundtable into the past, so black-box
    /// tests can see how expired links are refused.
    pub async fn expire_invitations_for_tests(
        &self,
        roundtable_id: &str,
    ) -> Result<(), StoreError> {
        crate::pool::on_pool!(self, pool => sqlx::query(
            "UPDATE invitations SET expires_at = 0 WHERE roundtable_id = $1",
        )
        .bind(roundtable_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}

/// A user, a roundtable and a `Programme` document with an optional
/// initial update: what document tests start from. Returns (roundtable id,
/// document id).
pub async fn seed_document(
    s: &Store,
    initial: Option<&[u8]>,
) -> Result<(String, String), StoreError> {
    let id = || uuid::Uuid::new_v4().to_string();
    let user = s
        .create_user(&NewUser {
            id: id(),
            email: format!("{}@example.org", id()),
            display_name: "Ann".into(),
            password_hash: "$argon2id$fake".into(),
            created_at: 1,
        })
        .await?
        .id;
    let rt = s
        .create_roundtable(&NewRoundtable {
            id: id(),
            title: "Upskilling".into(),
            theme: Theme::GenderDiversity,
            description: "".into(),
            created_by: user.clone(),
            created_at: 10,
            organisation: "Org".into(),
        })
        .await?
        .id;
    let doc = s
        .create_document(
            &NewDocument {
                id: id(),
                roundtable_id: rt.clone(),
                title: "Programme".into(),
                kind: DocumentKind::Programme,
                created_by: user.clone(),
                created_at: 20,
            },
            initial,
            &accord_domain::audit::Actor::user(user, accord_domain::Side::Neutral),
        )
        .await?;
    Ok((rt, doc.id))
}

impl Store {
    /// Rewrites one audit entry's detail behind the server's back, as an
    /// intruder with database access would: the append-only triggers are
    /// set aside for the one statement (on PostgreSQL inside a transaction,
    /// so they hold again for everyone else). For tamper tests only.
    pub async fn tamper_audit_entry_for_tests(
        &self,
        roundtable_id: &str,
        seq: i64,
        detail: &str,
    ) -> Result<u64, StoreError> {
        const UPDATE: &str =
            "UPDATE audit_log SET detail = $3 WHERE roundtable_id = $1 AND seq = $2";
        let n = match &self.backend {
            crate::pool::Backend::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DROP TRIGGER audit_log_no_update")
                    .execute(&mut *tx)
                    .await?;
                let n = sqlx::query(UPDATE)
                    .bind(roundtable_id)
                    .bind(seq)
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
                     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                n
            }
            crate::pool::Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
                    .execute(&mut *tx)
                    .await?;
                let n = sqlx::query(UPDATE)
                    .bind(roundtable_id)
                    .bind(seq)
                    .bind(detail)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                n
            }
        };
        Ok(n)
    }

    /// Appends `n` entries to a roundtable's audit chain, a thousand per
    /// transaction, each a real chain entry made the way every act makes
    /// one: what `accord-loadtest audit` verifies.
    pub async fn append_audit_entries_for_tests(
        &self,
        roundtable_id: &str,
        n: u64,
        at: i64,
    ) -> Result<(), StoreError> {
        use crate::audit::{append_audit, Append};
        let actor = accord_domain::audit::Actor::system();
        let mut done = 0u64;
        while done < n {
            let batch = (n - done).min(1_000);
            crate::pool::on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                for i in 0..batch {
                    append_audit!(tx, &Append {
                        roundtable_id,
                        at,
                        actor: &actor,
                        action: accord_domain::audit::AuditAction::PollOpened,
                        subject_id: "bench",
                        detail: serde_json::json!({"n": done + i, "question": "Is the programme ready?"}),
                    })?;
                }
                tx.commit().await?;
            });
            done += batch;
        }
        Ok(())
    }

    /// Tries a plain UPDATE and DELETE of the audit log, as any client of
    /// the database could: both must be refused.
    pub async fn try_rewrite_audit_for_tests(
        &self,
        roundtable_id: &str,
    ) -> (Result<u64, StoreError>, Result<u64, StoreError>) {
        let run = |sql: &'static str| async move {
            crate::pool::on_pool!(self, pool => sqlx::query(sql)
                .bind(roundtable_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(StoreError::from))
        };
        (
            run("UPDATE audit_log SET detail = '{}' WHERE roundtable_id = $1").await,
            run("DELETE FROM audit_log WHERE roundtable_id = $1").await,
        )
    }

    /// Moves every session's expiry to `at` (Unix seconds): a black-box
    /// test's way to reach an expiry without waiting thirty days.
    pub async fn expire_sessions_at_for_tests(&self, at: i64) -> Result<u64, StoreError> {
        let done = crate::pool::on_pool!(self, pool => sqlx::query("UPDATE sessions SET expires_at = $1")
            .bind(at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
