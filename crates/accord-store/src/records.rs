//! Plain records the store returns. Ids are UUID strings; times are Unix seconds.

use accord_domain::{Role, Side, Theme};

/// A registered account (never carries the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub created_at: i64,
}

/// What registration stores. `email` must already be normalised.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: i64,
}

/// A roundtable as seen by one participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roundtable {
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub description: String,
    pub created_by: String,
    pub created_at: i64,
}

/// A roundtable together with the caller's own membership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyRoundtable {
    pub roundtable: Roundtable,
    pub side: Side,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct NewRoundtable {
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub description: String,
    pub created_by: String,
    pub created_at: i64,
    /// The creator joins as facilitator on the neutral side, for this organisation.
    pub organisation: String,
}

/// Someone's place in a roundtable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub roundtable_id: String,
    pub user_id: String,
    pub display_name: String,
    pub side: Side,
    pub role: Role,
    pub organisation: String,
    pub joined_at: i64,
}

/// An invitation link, stored by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub token_hash: String,
    pub roundtable_id: String,
    pub roundtable_title: String,
    pub theme: Theme,
    pub side: Side,
    pub role: Role,
    pub single_use: bool,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub roundtable_id: String,
    pub side: Side,
    pub role: Role,
    pub single_use: bool,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Why an invitation could not be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptRefusal {
    Unknown,
    Expired,
    AlreadyUsed,
    AlreadyParticipant,
}
