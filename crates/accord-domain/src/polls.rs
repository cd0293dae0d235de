//! Polls: their kinds, lifecycle and visibility rules, plus (in submodules)
//! spec validation, ballot validation, tallying and templates.
//!
//! Everything here is pure: the store persists what these functions accept,
//! and the server shows what [`tally`](tally::tally) computes. Ids are plain
//! strings (UUIDs in practice) and times Unix seconds, as in the store.

pub mod ballot;
pub mod secrecy;
pub mod spec;
pub mod tally;
pub mod templates;

#[cfg(test)]
mod proptests;

use crate::roundtable::{string_enum, UnknownValue};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use ballot::{validate_ballot, Ballot, BallotError, BallotInput, CastBallot};
pub use spec::{validate_spec, PollSpec, PollSpecInput, SpecError};
pub use tally::{result_label, tally, tally_weighted, AudienceTally, BySide, Tally};
pub use templates::{template, PollTemplate, TEMPLATES};

string_enum!(
    /// What a poll asks for. The wire and storage names are the issue's.
    PollKind, "poll kind", {
        Single => "single",
        Multiple => "multiple",
        Rating => "rating",
        Ranking => "ranking",
        Text => "text",
    }
);

impl PollKind {
    /// Whether polls of this kind carry a list of options.
    pub fn has_options(self) -> bool {
        matches!(
            self,
            PollKind::Single | PollKind::Multiple | PollKind::Ranking
        )
    }
}

string_enum!(
    /// A language poll templates and result labels come in.
    Lang, "language", {
        En => "en",
        Da => "da",
    }
);

string_enum!(
    /// When people other than facilitators may see a poll's results.
    ResultsVisibility, "results visibility", {
        Live => "live",
        OnClose => "on_close",
        Hidden => "hidden",
    }
);

string_enum!(
    /// Where a poll is in its life: prepared, taking ballots, or finished.
    PollStatus, "poll status", {
        Draft => "draft",
        Open => "open",
        Closed => "closed",
    }
);

/// A refused status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} poll cannot become {to}")]
pub struct TransitionError {
    pub from: PollStatus,
    pub to: PollStatus,
}

impl PollStatus {
    /// Checks a status change. Only draft → open → closed is allowed: a
    /// closed poll is never reopened, because its result may already have
    /// been announced, and a draft is never closed without having been open.
    pub fn transition(self, to: PollStatus) -> Result<PollStatus, TransitionError> {
        match (self, to) {
            (PollStatus::Draft, PollStatus::Open) | (PollStatus::Open, PollStatus::Closed) => {
                Ok(to)
            }
            _ => Err(TransitionError { from: self, to }),
        }
    }
}

/// One answer a poll offers, with its stable id and display position (0-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOption {
    pub id: String,
    pub position: u32,
    pub label: String,
}

/// What a poll decides, when it names it: a version of a document, or a
/// passage (the comment thread anchored to it). A poll with a subject is
/// for participants only (see [`subject_allowed`]), so the audience never
/// hears of a draft.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged, deny_unknown_fields)]
pub enum PollSubject {
    Version {
        version_id: String,
    },
    Passage {
        document_id: String,
        comment_id: String,
    },
}

/// Whether a poll may name a subject: only a participants' poll may, since
/// a subject is a draft the audience must not see.
pub fn subject_allowed(audience: bool, subject: Option<&PollSubject>) -> Result<(), &'static str> {
    match (audience, subject) {
        (true, Some(_)) => {
            Err("a poll open to the conference audience cannot name a draft as its subject")
        }
        _ => Ok(()),
    }
}

/// A poll as stored. Built by the store from a [`PollSpec`] it accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub id: String,
    pub roundtable_id: String,
    pub question: String,
    pub kind: PollKind,
    /// In display order; empty for rating and text polls.
    pub options: Vec<PollOption>,
    /// Only for multiple-choice polls.
    pub max_choices: Option<u32>,
    /// Only for rating polls.
    pub scale_min: Option<i32>,
    pub scale_max: Option<i32>,
    pub secret: bool,
    pub audience: bool,
    pub results: ResultsVisibility,
    pub status: PollStatus,
    pub created_by: String,
    pub created_at: i64,
    pub opened_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// What the poll decides, if it names it.
    pub subject: Option<PollSubject>,
}

impl Poll {
    /// The option with this id, if the poll has one.
    pub fn option(&self, id: &str) -> Option<&PollOption> {
        self.options.iter().find(|o| o.id == id)
    }
}

/// Whether a viewer may see a poll's results now.
///
/// Facilitators always may: they run the session and must be able to decide
/// when to reveal. Everyone else sees `live` results once the poll has opened
/// (a draft has nothing to show), `on_close` results once it is closed, and
/// `hidden` results never.
pub fn results_visible(
    visibility: ResultsVisibility,
    status: PollStatus,
    sees_early: bool,
) -> bool {
    if sees_early {
        return true;
    }
    match visibility {
        ResultsVisibility::Live => status != PollStatus::Draft,
        ResultsVisibility::OnClose => status == PollStatus::Closed,
        ResultsVisibility::Hidden => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names() {
        let kinds: Vec<&str> = PollKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, ["single", "multiple", "rating", "ranking", "text"]);
        for k in PollKind::ALL {
            assert_eq!(k.as_str().parse::<PollKind>(), Ok(*k));
        }
        for v in ResultsVisibility::ALL {
            assert_eq!(v.as_str().parse::<ResultsVisibility>(), Ok(*v));
        }
        for s in PollStatus::ALL {
            assert_eq!(s.as_str().parse::<PollStatus>(), Ok(*s));
        }
        assert_eq!(ResultsVisibility::OnClose.as_str(), "on_close");
        assert!("Single".parse::<PollKind>().is_err());
    }

    #[test]
    fn lifecycle_only_moves_forward() {
        use PollStatus::*;
        assert_eq!(Draft.transition(Open), Ok(Open));
        assert_eq!(Open.transition(Closed), Ok(Closed));
        for (from, to) in [
            (Closed, Open),
            (Closed, Draft),
            (Open, Draft),
            (Draft, Closed),
            (Open, Open),
            (Closed, Closed),
            (Draft, Draft),
        ] {
            assert_eq!(from.transition(to), Err(TransitionError { from, to }));
        }
    }

    #[test]
    fn visibility_rules() {
        use PollStatus::*;
        use ResultsVisibility::*;
        for v in ResultsVisibility::ALL {
            for s in PollStatus::ALL {
                assert!(results_visible(*v, *s, true));
            }
        }
        assert!(!results_visible(Live, Draft, false));
        assert!(results_visible(Live, Open, false));
        assert!(results_visible(Live, Closed, false));
        assert!(!results_visible(OnClose, Open, false));
        assert!(results_visible(OnClose, Closed, false));
        assert!(!results_visible(Hidden, Closed, false));
    }
}
