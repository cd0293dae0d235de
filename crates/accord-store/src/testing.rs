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
                created_by: user,
                created_at: 20,
            },
            initial,
        )
        .await?;
    Ok((rt, doc.id))
}

impl Store {
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
