//! Accord's persistence layer: one [`Store`] API over SQLite and PostgreSQL.
//!
//! The backend is chosen once, from the URL scheme, in [`Store::connect`].
//! Everything above this crate sees the store API and plain record types,
//! never a pool. SQL is written once with `$n` placeholders, which both
//! drivers accept, and bound at run time.

mod agreements;
mod attribution;
mod audit;
mod comments;
mod documents;
mod error;
mod live_sessions;
mod poll_agenda;
mod polls;
mod pool;
mod questions;
pub mod records;
mod roundtables;
mod secret_steps;
#[cfg(feature = "testing")]
pub mod testing;
mod users;
mod versions;

pub use agreements::{
    AgreementRecord, Changed as AgreementChanged, NewAgreement, PositionRefusal, ProposeRefusal,
    StoredAgreement, Voter as AgreementVoter,
};
pub use attribution::ClientAuthor;
pub use audit::{AuditEntry, ChainReport};
pub use comments::{CommentThread, NewComment, StoredComment};
pub use documents::{DocumentLog, DocumentSnapshot, LoggedUpdate, NewDocument, StoredDocument};
pub use error::StoreError;
pub use live_sessions::{AudienceMember, LiveSession, NewAudienceMember, NewLiveSession};
pub use poll_agenda::{DraftRefusal, OrderRefusal};
pub use polls::{CastOutcome, CastRefusal, NewPoll, StatusRefusal, Voter};
pub use pool::{BackendKind, Store};
pub use questions::{NewQuestion, Question};
pub use records::*;
pub use secret_steps::SecretStep;
pub use versions::{NewVersion, StoredVersion, VersionSummary};
