//! The roundtable's audit trail as a hash chain: what each entry says, how
//! its hash is made from the previous one, and how a chain is checked.
//!
//! Each entry's hash is SHA-256 over the previous entry's hash and every
//! field of the entry, each written with its length, so changing, removing
//! or reordering any stored entry breaks the chain from that entry on.

use crate::roundtable::{string_enum, Side, UnknownValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The `prev_hash` of a roundtable's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

string_enum!(
    /// What an audit entry records.
    AuditAction, "audit action", {
        RoundtableCreated => "roundtable_created",
        ParticipantJoined => "participant_joined",
        ParticipantRoleChanged => "participant_role_changed",
        ParticipantRemoved => "participant_removed",
        DocumentCreated => "document_created",
        DocumentArchived => "document_archived",
        DocumentUnarchived => "document_unarchived",
        VersionCreated => "version_created",
        VersionRestored => "version_restored",
        AgreementProposed => "agreement_proposed",
        AgreementPosition => "agreement_position",
        AgreementAgreed => "agreement_agreed",
        AgreementExpired => "agreement_expired",
        AgreementWithdrawn => "agreement_withdrawn",
        AgreementSuperseded => "agreement_superseded",
        PollOpened => "poll_opened",
        PollClosed => "poll_closed",
        LiveSessionStarted => "live_session_started",
        LiveSessionEnded => "live_session_ended",
    }
);

/// Who did something: a participant on their side, or the server itself
/// (an automatic version, an agreement reaching `closes_at`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Actor {
    /// `None`: the system.
    pub user_id: Option<String>,
    pub side: Option<Side>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor::default()
    }

    pub fn user(user_id: impl Into<String>, side: Side) -> Actor {
        Actor {
            user_id: Some(user_id.into()),
            side: Some(side),
        }
    }
}

/// One entry as stored, without its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub roundtable_id: String,
    /// 1.. per roundtable, without gaps.
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor: Actor,
    pub action: AuditAction,
    pub subject_id: String,
    /// A small JSON object, hashed exactly as stored.
    pub detail: String,
}

/// The hash of `record` following an entry whose hash is `prev_hash` (hex).
pub fn entry_hash(prev_hash: &str, record: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"accord-audit-v1");
    field(prev_hash.as_bytes());
    field(record.roundtable_id.as_bytes());
    field(&record.seq.to_be_bytes());
    field(&record.at.to_be_bytes());
    field(record.actor.user_id.as_deref().unwrap_or("").as_bytes());
    field(record.actor.side.map_or("", Side::as_str).as_bytes());
    field(record.action.as_str().as_bytes());
    field(record.subject_id.as_bytes());
    field(record.detail.as_bytes());
    hex::encode(h.finalize())
}

/// Why a chain does not hold, at the first entry that breaks it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: expected seq {expected} (an entry is missing or out of order)")]
    Sequence { seq: i64, expected: i64 },
    #[error("entry {seq}: prev_hash does not match the previous entry's hash")]
    Link { seq: i64 },
    #[error("entry {seq}: hash does not match its content (the entry was changed)")]
    Content { seq: i64 },
    #[error("entry {seq}: missing (the chain's head is entry {head})")]
    Truncated { seq: i64, head: i64 },
}

impl ChainBreak {
    /// The seq of the first bad entry.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::Sequence { seq, .. }
            | ChainBreak::Link { seq }
            | ChainBreak::Content { seq }
            | ChainBreak::Truncated { seq, .. } => *seq,
        }
    }
}

/// Incremental check of one roundtable's chain, fed entries in seq order
/// (so a long chain is checked a page at a time, without holding it all).
#[derive(Debug, Clone)]
pub struct ChainCheck {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainCheck {
    fn default() -> Self {
        ChainCheck {
            expected_seq: 1,
            prev_hash: GENESIS.to_owned(),
        }
    }
}

impl ChainCheck {
    /// Checks the next entry: its seq, its link to the previous hash, and
    /// that its hash is the hash of its content.
    pub fn next(
        &mut self,
        record: &AuditRecord,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), ChainBreak> {
        let seq = record.seq;
        if seq != self.expected_seq {
            return Err(ChainBreak::Sequence {
                seq,
                expected: self.expected_seq,
            });
        }
        if prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq });
        }
        if entry_hash(prev_hash, record) != hash {
            return Err(ChainBreak::Content { seq });
        }
        self.expected_seq += 1;
        hash.clone_into(&mut self.prev_hash);
        Ok(())
    }

    /// Checks that the chain ended where the roundtable's head says it
    /// does: removing the last entries leaves a chain that holds, but short.
    pub fn end(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if self.checked() != head_seq || self.prev_hash != head_hash {
            return Err(ChainBreak::Truncated {
                seq: self.checked() + 1,
                head: head_seq,
            });
        }
        Ok(())
    }

    /// Entries checked so far.
    pub fn checked(&self) -> i64 {
        self.expected_seq - 1
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(seq: i64, detail: &str) -> AuditRecord {
        AuditRecord {
            roundtable_id: "rt".into(),
            seq,
            at: 100 + seq,
            actor: Actor::user("u1", Side::Union),
            action: AuditAction::AgreementPosition,
            subject_id: "a1".into(),
            detail: detail.into(),
        }
    }

    /// A chain of `n` entries: (record, prev_hash, hash).
    fn chain(n: i64) -> Vec<(AuditRecord, String, String)> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let r = record(seq, &format!("{{\"n\":{seq}}}"));
                let h = entry_hash(&prev, &r);
                let out = (r, prev.clone(), h.clone());
                prev = h;
                out
            })
            .collect()
    }

    fn check(entries: &[(AuditRecord, String, String)]) -> Result<i64, ChainBreak> {
        let mut c = ChainCheck::default();
        for (r, p, h) in entries {
            c.next(r, p, h)?;
        }
        Ok(c.checked())
    }

    #[test]
    fn actions_round_trip_and_are_stored_as_sent() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(*a));
            // What the API sends is what the chain hashes.
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::from(a.as_str())
            );
        }
    }

    #[test]
    fn the_hash_binds_every_field() {
        let base = record(1, "{}");
        let h = entry_hash(GENESIS, &base);
        let mut others = vec![entry_hash("x", &base)];
        let mut push = |f: &dyn Fn(&mut AuditRecord)| {
            let mut r = base.clone();
            f(&mut r);
            others.push(entry_hash(GENESIS, &r));
        };
        push(&|r| r.roundtable_id = "rt2".into());
        push(&|r| r.seq = 2);
        push(&|r| r.at += 1);
        push(&|r| r.actor = Actor::system());
        push(&|r| r.actor.side = Some(Side::Employer));
        push(&|r| r.action = AuditAction::AgreementAgreed);
        push(&|r| r.subject_id = "a2".into());
        push(&|r| r.detail = "{ }".into());
        for o in others {
            assert_ne!(o, h);
        }
    }

    #[test]
    fn a_whole_chain_verifies() {
        assert_eq!(check(&chain(50)), Ok(50));
        assert_eq!(check(&[]), Ok(0));
    }

    proptest! {
        /// Changing any one entry's content, removing one, or swapping two
        /// is caught, and named at the first entry that no longer holds.
        #[test]
        fn tampering_is_caught_at_the_first_bad_entry(
            n in 2i64..40,
            at in 0usize..40,
            how in 0u8..4,
        ) {
            let original = chain(n);
            let mut c = original.clone();
            let i = at % c.len();
            match how {
                0 => c[i].0.detail = "{\"n\":-1}".into(),
                1 => { c.remove(i); }
                2 => c[i].0.at += 1,
                _ => {
                    let j = if i + 1 < c.len() { i + 1 } else { i - 1 };
                    c.swap(i, j);
                }
            }
            let (head_seq, head_hash) = (n, original[original.len() - 1].2.clone());
            let result = check(&c).and_then(|_| {
                let mut k = ChainCheck::default();
                for (r, p, h) in &c {
                    k.next(r, p, h)?;
                }
                k.end(head_seq, &head_hash)
            });
            let err = result.unwrap_err();
            // The first place where the stored chain differs from the true one.
            let first = c
                .iter()
                .zip(&original)
                .find(|(a, b)| a != b)
                .map_or(n, |(a, _)| a.0.seq);
            prop_assert_eq!(err.seq(), first);
        }

        /// Rewriting one entry and recomputing its hash still breaks the
        /// link of the entry after it.
        #[test]
        fn a_rehashed_entry_breaks_the_next_link(n in 2i64..30, at in 0usize..29) {
            let mut c = chain(n);
            let i = at % (c.len() - 1);
            c[i].0.detail = "{\"forged\":true}".into();
            c[i].2 = entry_hash(&c[i].1, &c[i].0);
            let err = check(&c).unwrap_err();
            prop_assert_eq!(err, ChainBreak::Link { seq: c[i + 1].0.seq });
        }
    }
}
