//! Which participant each Yjs client id of a document belongs to.
//!
//! The server knows who sent each update (it authenticated the socket) and
//! records the client ids the update carries; a diff then attributes
//! inserted text by the client ids of the items holding it. The first
//! claimant of an id keeps it: a later update carrying someone else's
//! structs (a relayed or restored state) cannot take it over. The table is
//! apart from the update log, so compaction, which rewrites the log, never
//! touches it.
//!
//! Client ids are `u64` (Yjs uses 53 bits, yrs any 64); they are stored in a
//! BIGINT bit-cast to `i64`, so every value round-trips exactly.

use std::collections::HashMap;

use crate::error::missing_or_conflict;
use crate::pool::on_pool;
use crate::{Store, StoreError};
use accord_domain::Side;

/// The participant a client id belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthor {
    pub user_id: String,
    /// Joined from `users`, so a renamed account shows its current name.
    pub display_name: String,
    /// The side they spoke for when the id was first seen.
    pub side: Side,
}

/// The stored form of a client id: the same 64 bits, read as signed.
fn stored_id(client_id: u64) -> i64 {
    i64::from_ne_bytes(client_id.to_ne_bytes())
}

fn client_id(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

impl Store {
    /// Records `user_id` (speaking for `side`) as the owner of each client id
    /// not already owned in this document; ids already claimed keep their
    /// owner. Returns how many ids were newly recorded.
    /// `NotFound("document or user")` if either does not exist.
    #[tracing::instrument(skip_all, fields(n = client_ids.len()))]
    pub async fn record_document_clients(
        &self,
        document_id: &str,
        client_ids: &[u64],
        user_id: &str,
        side: Side,
        at: i64,
    ) -> Result<u64, StoreError> {
        if client_ids.is_empty() {
            return Ok(0);
        }
        // In one order for every caller: two transactions claiming the same
        // ids in opposite orders would deadlock on PostgreSQL.
        let mut ids: Vec<i64> = client_ids.iter().map(|&c| stored_id(c)).collect();
        ids.sort_unstable();
        ids.dedup();
        let added = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut added = 0;
            for &id in &ids {
                added += sqlx::query(
                    "INSERT INTO document_clients (document_id, client_id, user_id, side, first_seen) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (document_id, client_id) DO NOTHING",
                )
                .bind(document_id)
                .bind(id)
                .bind(user_id)
                .bind(side.as_str())
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(missing_or_conflict("document or user", "document client"))?
                .rows_affected();
            }
            tx.commit().await?;
            added
        });
        Ok(added)
    }

    /// Every recorded client id of a document and whom it belongs to.
    #[tracing::instrument(skip_all)]
    pub async fn document_clients(
        &self,
        document_id: &str,
    ) -> Result<HashMap<u64, ClientAuthor>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT c.client_id, c.user_id, u.display_name, c.side \
             FROM document_clients c JOIN users u ON u.id = c.user_id WHERE c.document_id = $1",
        )
        .bind(document_id)
        .fetch_all(pool)
        .await)?;
        rows.into_iter()
            .map(|(id, user_id, display_name, side)| {
                Ok((
                    client_id(id),
                    ClientAuthor {
                        user_id,
                        display_name,
                        side: side.parse()?,
                    },
                ))
            })
            .collect()
    }
}
