//! The store's error type, with backend errors mapped to domain meanings.

/// What can go wrong in the store, as callers need to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the string names which.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A row the operation needs does not exist; the string names which.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The URL names no backend this build supports.
    #[error("unsupported database URL (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A stored value could not be read back (corrupt or foreign data).
    #[error("stored value is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl From<accord_domain::roundtable::UnknownValue> for StoreError {
    fn from(e: accord_domain::roundtable::UnknownValue) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
pub(crate) fn conflict_on_unique(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(e),
    }
}

/// Maps a foreign-key violation (a referenced row is missing) to
/// [`StoreError::NotFound`] and a unique-constraint violation to
/// [`StoreError::Conflict`].
pub(crate) fn missing_or_conflict(
    missing: &'static str,
    conflict: &'static str,
) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound(missing),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(conflict),
        _ => StoreError::Database(e),
    }
}
