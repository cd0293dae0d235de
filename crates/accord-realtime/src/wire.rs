//! The event socket's wire contract (PROTOCOL.md): what clients send, the
//! error codes the server answers with. One enum each, so the server, the
//! fuzz target and the documentation share one definition.

use accord_domain::polls::BallotInput;
use serde::{Deserialize, Serialize};

/// Largest client message; votes and subscriptions are tiny.
pub const MAX_CLIENT_MESSAGE: usize = 16 * 1024;

/// A message from a client of the event socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
    fn error_codes_serialise_as_their_names() {
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.as_str())
            );
        }
    }
}
