//! The event socket's wire contract (PROTOCOL.md): what clients send, the
//! error codes the server answers with. One enum each, so the server, the
//! fuzz target and the documentation share one definition.

use crate::live::PresenceEntry;
use crate::questions::QuestionView;
use accord_domain::polls::{
    AudienceTally, BallotInput, Poll, PollKind, PollStatus, ResultsVisibility, Tally,
};
use accord_domain::{Action, Role, Side};
use serde::{Deserialize, Serialize};

/// The protocol version every server message carries as `v`.
pub const VERSION: u8 = 1;

/// A message from the server on the event socket. [`ServerMsg::encode`]
/// adds `"v": 1`; nothing else builds socket messages.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to `subscribe`: the room's current state for this viewer.
    Subscribed {
        room: String,
        polls: Vec<PollForViewer>,
        tallies: Vec<TallyView>,
        questions: Vec<QuestionView>,
        /// Participants only.
        #[serde(skip_serializing_if = "Option::is_none")]
        presence: Option<Presence>,
    },
    Presence {
        room: String,
        #[serde(flatten)]
        presence: Presence,
    },
    Poll {
        room: String,
        poll: PollView,
    },
    /// A draft poll was deleted. Participants only (the audience never
    /// receives a draft).
    PollRemoved {
        room: String,
        poll_id: String,
    },
    /// The agenda order of the room's polls changed (a reorder or a
    /// duplicate): the ids of the polls this viewer sees, in order. Polls
    /// created later go last.
    PollOrder {
        room: String,
        poll_ids: Vec<String>,
    },
    Tally {
        room: String,
        #[serde(flatten)]
        tally: TallyView,
    },
    Question {
        room: String,
        question: QuestionView,
    },
    VoteAck {
        poll_id: String,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        poll_id: Option<String>,
    },
    Pong,
    /// A comment thread on one of the room's documents was made or changed
    /// (a reply, an edit, resolved, reopened, deleted with replies left).
    /// Participants only.
    Comment {
        room: String,
        document_id: String,
        comment: Box<crate::comments::CommentView>,
    },
    /// A comment thread is gone entirely (deleted, with no replies).
    CommentRemoved {
        room: String,
        document_id: String,
        comment_id: String,
    },
    /// An agreement in the room was proposed, took a position, or reached
    /// an outcome (agreed, expired, withdrawn, superseded): the whole
    /// agreement as it now stands. Participants only.
    Agreement {
        room: String,
        agreement: Box<crate::agreements::AgreementView>,
    },
    /// The caller's role changed while the socket stayed open.
    RoleChanged {
        room: String,
        role: Role,
        side: Side,
        actions: Vec<Action>,
    },
}

#[derive(Serialize)]
struct Versioned<'a> {
    v: u8,
    #[serde(flatten)]
    msg: &'a ServerMsg,
}

impl ServerMsg {
    /// Every `type` the server sends, as PROTOCOL.md lists them.
    pub const TYPES: &'static [&'static str] = &[
        "subscribed",
        "presence",
        "poll",
        "poll_removed",
        "poll_order",
        "tally",
        "question",
        "vote_ack",
        "error",
        "pong",
        "role_changed",
        "comment",
        "comment_removed",
        "agreement",
    ];

    /// The message as sent: JSON text with `"v": 1`.
    pub fn encode(&self) -> String {
        serde_json::to_string(&Versioned {
            v: VERSION,
            msg: self,
        })
        .unwrap_or_default()
    }

    pub fn error(code: ErrorCode, message: impl Into<String>, poll_id: Option<&str>) -> ServerMsg {
        ServerMsg::Error {
            code,
            message: message.into(),
            poll_id: poll_id.map(str::to_owned),
        }
    }
}

/// Who is in a room: participants by name and side, the audience by head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presence {
    pub participants: Vec<PresenceEntry>,
    pub audience: u64,
}

/// A tally as its viewer may see it: participants the [`Tally`], the
/// audience the [`AudienceTally`] (no field for sides).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TallyView {
    Participant(Tally),
    Audience(AudienceTally),
}

/// A poll as one caller sees it: with whether they have voted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollForViewer {
    #[serde(flatten)]
    pub poll: PollView,
    pub voted: bool,
}

/// Unix seconds as RFC 3339, the one time format on the wire.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// One option of a poll as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollOptionView {
    pub id: String,
    pub label: String,
}

/// A poll as every client sees it (REST adds whether the caller voted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PollView {
    pub id: String,
    pub roundtable_id: String,
    pub question: String,
    pub kind: PollKind,
    pub options: Vec<PollOptionView>,
    pub max_choices: Option<u32>,
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    pub secret: bool,
    pub audience: bool,
    pub results: ResultsVisibility,
    pub status: PollStatus,
    /// RFC 3339.
    pub created_at: String,
    /// What the poll decides, if it names it (participants' polls only, so
    /// the audience never receives one).
    pub subject: Option<accord_domain::polls::PollSubject>,
}

impl From<&Poll> for PollView {
    fn from(p: &Poll) -> Self {
        PollView {
            id: p.id.clone(),
            roundtable_id: p.roundtable_id.clone(),
            question: p.question.clone(),
            kind: p.kind,
            options: p
                .options
                .iter()
                .map(|o| PollOptionView {
                    id: o.id.clone(),
                    label: o.label.clone(),
                })
                .collect(),
            max_choices: p.max_choices,
            scale_min: p.scale_min,
            scale_max: p.scale_max,
            secret: p.secret,
            audience: p.audience,
            results: p.results,
            status: p.status,
            created_at: rfc3339(p.created_at),
            subject: p.subject.clone(),
        }
    }
}

/// Largest client message; votes and subscriptions are tiny.
pub const MAX_CLIENT_MESSAGE: usize = 16 * 1024;

/// A message from a client of the event socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Subscribe {
        room: String,
    },
    Unsubscribe {
        room: String,
    },
    Vote {
        poll_id: String,
        #[serde(flatten)]
        ballot: BallotInput,
    },
    Ping,
}

impl ClientMsg {
    /// Every `type` a client may send, as PROTOCOL.md lists them.
    pub const TYPES: &'static [&'static str] = &["subscribe", "unsubscribe", "vote", "ping"];
}

/// Why a client message was refused (the `code` of an `error` message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a message this protocol knows.
    Malformed,
    /// No such room, or not the caller's.
    UnknownRoom,
    /// No such poll, or not visible to the caller.
    UnknownPoll,
    PollNotOpen,
    UnknownOption,
    TooManyChoices,
    InvalidBallot,
    /// A secret ballot, once cast, cannot be changed.
    AlreadyVoted,
    /// The caller's role does not allow it.
    Forbidden,
    /// Too many messages (or subscriptions) in a short time.
    RateLimited,
    /// The server could not handle it now; try again.
    Unavailable,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Malformed,
        ErrorCode::UnknownRoom,
        ErrorCode::UnknownPoll,
        ErrorCode::PollNotOpen,
        ErrorCode::UnknownOption,
        ErrorCode::TooManyChoices,
        ErrorCode::InvalidBallot,
        ErrorCode::AlreadyVoted,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Malformed => "malformed",
            ErrorCode::UnknownRoom => "unknown_room",
            ErrorCode::UnknownPoll => "unknown_poll",
            ErrorCode::PollNotOpen => "poll_not_open",
            ErrorCode::UnknownOption => "unknown_option",
            ErrorCode::TooManyChoices => "too_many_choices",
            ErrorCode::InvalidBallot => "invalid_ballot",
            ErrorCode::AlreadyVoted => "already_voted",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

/// Why a text frame was refused by [`decode_client`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {size} bytes exceeds the {MAX_CLIENT_MESSAGE}-byte limit")]
    TooLarge { size: usize },
    #[error("not a valid message: {0}")]
    Invalid(String),
}

/// Reads one client text frame. Never panics, whatever the bytes.
pub fn decode_client(text: &str) -> Result<ClientMsg, DecodeError> {
    if text.len() > MAX_CLIENT_MESSAGE {
        return Err(DecodeError::TooLarge { size: text.len() });
    }
    serde_json::from_str(text).map_err(|e| DecodeError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_each_type() {
        assert_eq!(
            decode_client(r#"{"type":"subscribe","room":"roundtable:x"}"#).unwrap(),
            ClientMsg::Subscribe {
                room: "roundtable:x".into()
            }
        );
        let vote = decode_client(r#"{"type":"vote","poll_id":"p","choices":["a"]}"#).unwrap();
        assert!(
            matches!(vote, ClientMsg::Vote { ref poll_id, ref ballot } if poll_id == "p" && ballot.choices.as_deref() == Some(&["a".to_owned()][..]))
        );
        assert_eq!(
            decode_client(r#"{"type":"ping"}"#).unwrap(),
            ClientMsg::Ping
        );
        assert!(decode_client(r#"{"type":"shout"}"#).is_err());
        assert!(decode_client("[1,2").is_err());
        assert!(matches!(
            decode_client(&" ".repeat(MAX_CLIENT_MESSAGE + 1)),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn server_messages_carry_the_version_and_their_type() {
        let m = ServerMsg::error(ErrorCode::UnknownPoll, "no such poll", Some("p"));
        let v: serde_json::Value = serde_json::from_str(&m.encode()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"v": 1, "type": "error", "code": "unknown_poll", "message": "no such poll", "poll_id": "p"})
        );
        let v: serde_json::Value = serde_json::from_str(&ServerMsg::Pong.encode()).unwrap();
        assert_eq!(v, serde_json::json!({"v": 1, "type": "pong"}));
        let v: serde_json::Value = serde_json::from_str(
            &ServerMsg::Presence {
                room: "roundtable:r".into(),
                presence: Presence {
                    participants: vec![],
                    audience: 3,
                },
            }
            .encode(),
        )
        .unwrap();
        assert_eq!(v["type"], "presence");
        assert_eq!(v["audience"], 3);
    }

    #[test]
    fn error_codes_serialise_as_their_names() {
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
    }
}
