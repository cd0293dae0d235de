//! Password hashing with argon2id on a bounded blocking pool.
//!
//! Hashing costs ~19 MiB and tens of milliseconds of CPU. It runs on
//! `spawn_blocking`, behind a semaphore sized to the cores, so a burst of
//! logins queues here instead of stalling the async workers that move
//! WebSocket traffic, and never holds more than `permits × 19 MiB`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// OWASP's minimum for argon2id: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("hashing pool closed")]
    Closed,
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified when an account does not exist, so timing does not tell.
    dummy_hash: Arc<str>,
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

fn verify_now(password: &str, hash: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(hash).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

impl Passwords {
    /// The pool, and the dummy hash made on it like every other hash: a
    /// start-up hash on the async runtime would hold a worker for the tens
    /// of milliseconds argon2 takes, while the listener may already serve.
    pub async fn new() -> Result<Self, PasswordError> {
        Self::with_dummy(|| hash_now("not a real password; equalises timing")).await
    }

    async fn with_dummy(
        make: impl FnOnce() -> Result<String, PasswordError> + Send + 'static,
    ) -> Result<Self, PasswordError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut passwords = Passwords {
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::from(""),
        };
        passwords.dummy_hash = passwords.run(make).await?.into();
        Ok(passwords)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Closed)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work)).await?
    }

    /// An argon2id PHC string for a new password.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        self.run(move || hash_now(&password)).await
    }

    /// Checks a password against a stored hash, or against a dummy hash when
    /// there is no account, so both cases cost the same.
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let ok = self.run(move || verify_now(&password, &hash)).await?;
        Ok(ok && exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new().await.unwrap();
        let h = p.hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p
            .verify("correct horse battery".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!p
            .verify("wrong horse battery".into(), Some(h))
            .await
            .unwrap());
        assert!(!p
            .verify("not a real password; equalises timing".into(), None)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn the_dummy_hash_is_made_on_the_blocking_pool() {
        // `Handle::block_on` panics on an async worker thread and is allowed on
        // the blocking pool, so this hasher succeeds only under spawn_blocking.
        let p = Passwords::with_dummy(|| {
            tokio::runtime::Handle::current().block_on(async {});
            hash_now("probe")
        })
        .await
        .unwrap();
        assert!(p.dummy_hash.starts_with("$argon2id$"));
    }
}
