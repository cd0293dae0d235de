//! Q&A questions as each kind of viewer may see them.
//!
//! Participants see who asked (unless the asker chose to stay anonymous).
//! The audience never receives a participant's name or side, so
//! [`AudienceQuestion`] has no field that could carry either: a
//! participant's question reaches the audience as "from a participant". An
//! audience member's question shows the display name they chose on joining,
//! if any: they picked it to be shown, and it says nothing about the table.

use crate::live::Viewer;
use crate::wire::rfc3339;
use accord_domain::questions::QuestionStatus;
use accord_domain::Action;
use accord_store::Question;
use serde::Serialize;

/// Whether the audience and members may see it (facilitators see all).
pub fn public(q: &Question) -> bool {
    q.status.is_public()
}

/// Whether `viewer` may see `q` at all.
pub fn visible_to(viewer: &Viewer, q: &Question) -> bool {
    viewer.may(Action::ModerateQuestions) || public(q)
}

/// Who asked, as participants know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Asker {
    Participant,
    Audience,
}

/// A question as participants and facilitators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipantQuestion {
    pub id: String,
    pub text: String,
    pub from: Asker,
    /// The asker's display name, unless they asked anonymously.
    pub author_name: Option<String>,
    pub votes: i64,
    pub status: QuestionStatus,
    /// RFC 3339.
    pub created_at: String,
    /// Only in replies addressed to one caller, never in broadcasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted_by_me: Option<bool>,
}

/// Who asked, as the audience may know it: `{"from": "participant"}` or
/// `{"from": "audience", "author_name": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum AudienceAsker {
    /// Someone at the table; which one, and for which side, stays there.
    Participant,
    /// An audience member, under the name they chose to show, if any.
    Audience { author_name: Option<String> },
}

/// A question as the audience sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceQuestion {
    pub id: String,
    pub text: String,
    #[serde(flatten)]
    pub asked_by: AudienceAsker,
    pub votes: i64,
    pub status: QuestionStatus,
    /// RFC 3339.
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted_by_me: Option<bool>,
}

impl ParticipantQuestion {
    pub fn of(q: &Question, voted_by_me: Option<bool>) -> ParticipantQuestion {
        ParticipantQuestion {
            id: q.id.clone(),
            text: q.text.clone(),
            from: if q.asked_by_audience() {
                Asker::Audience
            } else {
                Asker::Participant
            },
            author_name: q.author_name.clone(),
            votes: q.votes,
            status: q.status,
            created_at: rfc3339(q.created_at),
            voted_by_me,
        }
    }
}

impl AudienceQuestion {
    pub fn of(q: &Question, voted_by_me: Option<bool>) -> AudienceQuestion {
        AudienceQuestion {
            id: q.id.clone(),
            text: q.text.clone(),
            asked_by: if q.asked_by_audience() {
                AudienceAsker::Audience {
                    author_name: q.author_name.clone(),
                }
            } else {
                AudienceAsker::Participant
            },
            votes: q.votes,
            status: q.status,
            created_at: rfc3339(q.created_at),
            voted_by_me,
        }
    }
}

/// A question in the shape its viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum QuestionView {
    Participant(ParticipantQuestion),
    Audience(AudienceQuestion),
}

impl QuestionView {
    pub fn for_viewer(viewer: &Viewer, q: &Question, voted_by_me: Option<bool>) -> QuestionView {
        if viewer.is_audience() {
            QuestionView::Audience(AudienceQuestion::of(q, voted_by_me))
        } else {
            QuestionView::Participant(ParticipantQuestion::of(q, voted_by_me))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn question(author_key: &str, author_name: Option<&str>) -> Question {
        Question {
            id: "q".into(),
            roundtable_id: "rt".into(),
            author_key: author_key.into(),
            author_name: author_name.map(Into::into),
            text: "Why?".into(),
            status: QuestionStatus::Approved,
            votes: 2,
            created_at: 0,
        }
    }

    #[test]
    fn the_audience_learns_only_that_a_participant_asked() {
        let q = question("user:u1", Some("Erik"));
        let v = serde_json::to_value(AudienceQuestion::of(&q, None)).unwrap();
        assert_eq!(
            v,
            json!({"id": "q", "text": "Why?", "from": "participant", "votes": 2,
                   "status": "approved", "created_at": "1970-01-01T00:00:00Z"})
        );
        let p = serde_json::to_value(ParticipantQuestion::of(&q, Some(true))).unwrap();
        assert_eq!(
            (&p["from"], &p["author_name"], &p["voted_by_me"]),
            (&json!("participant"), &json!("Erik"), &json!(true))
        );
    }

    #[test]
    fn an_audience_member_shows_the_name_they_chose() {
        let named = question("audience:m1", Some("Ana from Porto"));
        let v = serde_json::to_value(AudienceQuestion::of(&named, Some(false))).unwrap();
        assert_eq!(
            (&v["from"], &v["author_name"], &v["voted_by_me"]),
            (&json!("audience"), &json!("Ana from Porto"), &json!(false))
        );
        let anonymous = question("audience:m2", None);
        let v = serde_json::to_value(AudienceQuestion::of(&anonymous, None)).unwrap();
        assert_eq!(v["author_name"], json!(null));
    }
}
