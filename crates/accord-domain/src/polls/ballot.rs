//! Ballots: what a voter submits, and the check of it against a poll.

use super::{Poll, PollKind, PollStatus};
use crate::roundtable::Side;
use crate::text::{plain, Lines};
use serde::{Deserialize, Serialize};

/// Open-text answers are at most this many characters after trimming.
pub const TEXT_MAX: usize = 280;

/// A ballot as submitted: exactly one of the fields, matching the poll's kind
/// (`choices` for single and multiple choice, `rating`, `ranking`, `text`).
///
/// Unknown fields are tolerated so the WebSocket `vote` message, which also
/// carries `type` and `poll_id`, can be read into the same shape. The rating
/// is wide so that an absurd number gets a range error, not a parse error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BallotInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A ballot that passed [`validate_ballot`] for its poll.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// Option ids of a single- or multiple-choice poll, in the poll's option order.
    Choices(Vec<String>),
    Rating(i32),
    /// Option ids, most preferred first.
    Ranking(Vec<String>),
    /// Trimmed text.
    Text(String),
}

/// A stored ballot with what tallies need to know about its voter: their
/// side for roundtable participants, `None` for the conference audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CastBallot {
    pub side: Option<Side>,
    pub ballot: Ballot,
}

/// Why a ballot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    #[error("the poll is {status}, not open")]
    PollNotOpen { status: PollStatus },
    #[error("send exactly one of choices, rating, ranking or text")]
    AmbiguousBallot,
    #[error("a {kind} poll expects {expected}")]
    WrongKind {
        kind: PollKind,
        expected: &'static str,
    },
    #[error("choose at least one option")]
    NoChoice,
    #[error("choose at most {max} option(s)")]
    TooManyChoices { max: u32 },
    #[error("unknown option: {id:?}")]
    UnknownOption { id: String },
    #[error("option {id:?} is chosen more than once")]
    DuplicateOption { id: String },
    #[error("the rating must be between {min} and {max}")]
    RatingOutOfRange { min: i32, max: i32 },
    #[error("rank at least one option")]
    EmptyRanking,
    #[error("the answer must not be empty")]
    EmptyText,
    #[error("the answer is too long (at most {TEXT_MAX} characters)")]
    TextTooLong,
    #[error("the answer must not contain control characters or line breaks")]
    TextControlChars,
}

impl BallotError {
    /// The request field at fault when the ballot's text is, for errors that
    /// are about one field's value rather than the ballot's shape.
    pub fn text_field(&self) -> Option<&'static str> {
        match self {
            BallotError::EmptyText | BallotError::TextTooLong | BallotError::TextControlChars => {
                Some("text")
            }
            _ => None,
        }
    }
}

/// The field a poll of `kind` expects, for error messages.
fn expected_field(kind: PollKind) -> &'static str {
    match kind {
        PollKind::Single | PollKind::Multiple => "choices",
        PollKind::Rating => "rating",
        PollKind::Ranking => "ranking",
        PollKind::Text => "text",
    }
}

/// Checks that every id names an option of `poll` and none repeats.
fn known_distinct(poll: &Poll, ids: &[String]) -> Result<(), BallotError> {
    for (i, id) in ids.iter().enumerate() {
        if poll.option(id).is_none() {
            return Err(BallotError::UnknownOption { id: id.clone() });
        }
        if ids[..i].contains(id) {
            return Err(BallotError::DuplicateOption { id: id.clone() });
        }
    }
    Ok(())
}

/// Validates a submitted ballot against a poll, which must be open.
///
/// * single: exactly one known option id;
/// * multiple: 1..=`max_choices` distinct known ids (stored in option order,
///   so the same choice always has the same representation);
/// * rating: an integer within the poll's scale;
/// * ranking: at least one distinct known id, most preferred first. A
///   *partial* ranking (a prefix) is accepted, because audiences on phones
///   often rank only their top few; unranked options score nothing in the
///   Borda count (see [`tally`](super::tally::tally));
/// * text: 1..=[`TEXT_MAX`] characters after trimming, no control characters.
pub fn validate_ballot(poll: &Poll, input: &BallotInput) -> Result<Ballot, BallotError> {
    if poll.status != PollStatus::Open {
        return Err(BallotError::PollNotOpen {
            status: poll.status,
        });
    }
    let given = usize::from(input.choices.is_some())
        + usize::from(input.rating.is_some())
        + usize::from(input.ranking.is_some())
        + usize::from(input.text.is_some());
    if given != 1 {
        return Err(BallotError::AmbiguousBallot);
    }
    let wrong = || BallotError::WrongKind {
        kind: poll.kind,
        expected: expected_field(poll.kind),
    };
    match poll.kind {
        PollKind::Single | PollKind::Multiple => {
            let ids = input.choices.as_ref().ok_or_else(wrong)?;
            if ids.is_empty() {
                return Err(BallotError::NoChoice);
            }
            let max = match poll.kind {
                PollKind::Single => 1,
                _ => poll.max_choices.unwrap_or(poll.options.len() as u32),
            };
            known_distinct(poll, ids)?;
            if ids.len() > max as usize {
                return Err(BallotError::TooManyChoices { max });
            }
            let chosen = poll
                .options
                .iter()
                .filter(|o| ids.contains(&o.id))
                .map(|o| o.id.clone())
                .collect();
            Ok(Ballot::Choices(chosen))
        }
        PollKind::Rating => {
            let n = input.rating.ok_or_else(wrong)?;
            let (min, max) = (poll.scale_min.unwrap_or(1), poll.scale_max.unwrap_or(5));
            match i32::try_from(n) {
                Ok(r) if (min..=max).contains(&r) => Ok(Ballot::Rating(r)),
                _ => Err(BallotError::RatingOutOfRange { min, max }),
            }
        }
        PollKind::Ranking => {
            let ids = input.ranking.as_ref().ok_or_else(wrong)?;
            if ids.is_empty() {
                return Err(BallotError::EmptyRanking);
            }
            known_distinct(poll, ids)?;
            Ok(Ballot::Ranking(ids.clone()))
        }
        PollKind::Text => {
            let raw = input.text.as_ref().ok_or_else(wrong)?;
            let t = raw.trim();
            if t.is_empty() {
                return Err(BallotError::EmptyText);
            }
            if t.chars().count() > TEXT_MAX {
                return Err(BallotError::TextTooLong);
            }
            let t = plain(t, Lines::One).map_err(|_| BallotError::TextControlChars)?;
            Ok(Ballot::Text(t.into_owned()))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::polls::{PollOption, ResultsVisibility};

    /// An open poll of `kind` with options "a", "b", "c" (ids `o0`, `o1`, `o2`)
    /// where they apply.
    pub(crate) fn poll(kind: PollKind) -> Poll {
        let options = if kind.has_options() {
            ["a", "b", "c"]
                .iter()
                .enumerate()
                .map(|(i, l)| PollOption {
                    id: format!("o{i}"),
                    position: i as u32,
                    label: (*l).into(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Poll {
            id: "p".into(),
            roundtable_id: "r".into(),
            question: "q".into(),
            kind,
            options,
            max_choices: (kind == PollKind::Multiple).then_some(2),
            scale_min: (kind == PollKind::Rating).then_some(1),
            scale_max: (kind == PollKind::Rating).then_some(5),
            secret: false,
            audience: true,
            results: ResultsVisibility::Live,
            status: PollStatus::Open,
            created_by: "u".into(),
            created_at: 0,
            opened_at: Some(1),
            closed_at: None,
            subject: None,
        }
    }

    fn choices(ids: &[&str]) -> BallotInput {
        BallotInput {
            choices: Some(ids.iter().map(|s| s.to_string()).collect()),
            ..BallotInput::default()
        }
    }

    fn ranking(ids: &[&str]) -> BallotInput {
        BallotInput {
            ranking: Some(ids.iter().map(|s| s.to_string()).collect()),
            ..BallotInput::default()
        }
    }

    fn text(t: &str) -> BallotInput {
        BallotInput {
            text: Some(t.into()),
            ..BallotInput::default()
        }
    }

    fn rating(n: i64) -> BallotInput {
        BallotInput {
            rating: Some(n),
            ..BallotInput::default()
        }
    }

    #[test]
    fn only_open_polls_take_ballots() {
        for status in [PollStatus::Draft, PollStatus::Closed] {
            let mut p = poll(PollKind::Single);
            p.status = status;
            assert_eq!(
                validate_ballot(&p, &choices(&["o0"])),
                Err(BallotError::PollNotOpen { status })
            );
        }
    }

    #[test]
    fn single_choice() {
        let p = poll(PollKind::Single);
        assert_eq!(
            validate_ballot(&p, &choices(&["o1"])),
            Ok(Ballot::Choices(vec!["o1".into()]))
        );
        assert_eq!(
            validate_ballot(&p, &choices(&[])),
            Err(BallotError::NoChoice)
        );
        assert_eq!(
            validate_ballot(&p, &choices(&["o0", "o1"])),
            Err(BallotError::TooManyChoices { max: 1 })
        );
        assert_eq!(
            validate_ballot(&p, &choices(&["nope"])),
            Err(BallotError::UnknownOption { id: "nope".into() })
        );
        assert_eq!(
            validate_ballot(&p, &rating(3)),
            Err(BallotError::WrongKind {
                kind: PollKind::Single,
                expected: "choices"
            })
        );
        let mut both = choices(&["o0"]);
        both.text = Some("x".into());
        assert_eq!(
            validate_ballot(&p, &both),
            Err(BallotError::AmbiguousBallot)
        );
        assert_eq!(
            validate_ballot(&p, &BallotInput::default()),
            Err(BallotError::AmbiguousBallot)
        );
    }

    #[test]
    fn multiple_choice() {
        let p = poll(PollKind::Multiple);
        assert_eq!(
            validate_ballot(&p, &choices(&["o2", "o0"])),
            Ok(Ballot::Choices(vec!["o0".into(), "o2".into()])),
            "stored in option order"
        );
        assert_eq!(
            validate_ballot(&p, &choices(&["o0", "o1", "o2"])),
            Err(BallotError::TooManyChoices { max: 2 })
        );
        assert_eq!(
            validate_ballot(&p, &choices(&["o0", "o0"])),
            Err(BallotError::DuplicateOption { id: "o0".into() })
        );
    }

    #[test]
    fn rating_scale() {
        let p = poll(PollKind::Rating);
        assert_eq!(validate_ballot(&p, &rating(1)), Ok(Ballot::Rating(1)));
        assert_eq!(validate_ballot(&p, &rating(5)), Ok(Ballot::Rating(5)));
        for bad in [0, 6, -1, i64::MAX, i64::MIN] {
            assert_eq!(
                validate_ballot(&p, &rating(bad)),
                Err(BallotError::RatingOutOfRange { min: 1, max: 5 })
            );
        }
    }

    #[test]
    fn ranking_accepts_prefixes() {
        let p = poll(PollKind::Ranking);
        assert_eq!(
            validate_ballot(&p, &ranking(&["o2", "o0", "o1"])),
            Ok(Ballot::Ranking(vec!["o2".into(), "o0".into(), "o1".into()]))
        );
        assert_eq!(
            validate_ballot(&p, &ranking(&["o1"])),
            Ok(Ballot::Ranking(vec!["o1".into()]))
        );
        assert_eq!(
            validate_ballot(&p, &ranking(&[])),
            Err(BallotError::EmptyRanking)
        );
        assert_eq!(
            validate_ballot(&p, &ranking(&["o1", "o1"])),
            Err(BallotError::DuplicateOption { id: "o1".into() })
        );
        assert_eq!(
            validate_ballot(&p, &ranking(&["o1", "x"])),
            Err(BallotError::UnknownOption { id: "x".into() })
        );
    }

    #[test]
    fn open_text() {
        let p = poll(PollKind::Text);
        assert_eq!(
            validate_ballot(&p, &text("  time and budget ")),
            Ok(Ballot::Text("time and budget".into()))
        );
        assert_eq!(
            validate_ballot(&p, &text(" \t ")),
            Err(BallotError::EmptyText)
        );
        assert_eq!(
            validate_ballot(&p, &text(&"å".repeat(281))),
            Err(BallotError::TextTooLong)
        );
        assert!(validate_ballot(&p, &text(&"å".repeat(280))).is_ok());
        assert_eq!(
            validate_ballot(&p, &text("a\nb")),
            Err(BallotError::TextControlChars)
        );
    }

    #[test]
    fn reads_the_wire_shapes() {
        let v: BallotInput =
            serde_json::from_str(r#"{"type":"vote","poll_id":"p","choices":["o1"]}"#).unwrap();
        assert_eq!(v.choices, Some(vec!["o1".to_string()]));
        let v: BallotInput = serde_json::from_str(r#"{"rating": 4}"#).unwrap();
        assert_eq!(v.rating, Some(4));
        let v: BallotInput = serde_json::from_str(r#"{"text": "hej"}"#).unwrap();
        assert_eq!(v.text.as_deref(), Some("hej"));
    }
}
