//! Q&A questions: where each is in moderation.

use crate::roundtable::{string_enum, UnknownValue};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// A question's moderation status. Unmoderated questions reach
    /// facilitators only.
    QuestionStatus, "question status", {
        Pending => "pending",
        Approved => "approved",
        Hidden => "hidden",
        Answered => "answered",
    }
);

impl QuestionStatus {
    /// Whether members and the audience may see the question.
    pub fn is_public(self) -> bool {
        matches!(self, QuestionStatus::Approved | QuestionStatus::Answered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_approved_and_answered_are_public() {
        let public: Vec<_> = QuestionStatus::ALL
            .iter()
            .filter(|s| s.is_public())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(public, ["approved", "answered"]);
        assert_eq!(
            "hidden".parse::<QuestionStatus>(),
            Ok(QuestionStatus::Hidden)
        );
        assert!("deleted".parse::<QuestionStatus>().is_err());
    }
}
