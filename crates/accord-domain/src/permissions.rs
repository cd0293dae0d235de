//! The one place that decides who may do what inside a roundtable.
//!
//! Every handler asks [`allowed`] with the caller's role and side; nothing else
//! in the code base encodes a permission rule. Non-participants have no role
//! and are refused before this table is consulted (they get a 404, so they do
//! not learn that the roundtable exists).

use crate::roundtable::{Role, Side};
use serde::Serialize;

/// Something a participant can try to do in a roundtable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See the roundtable, its participants and its documents.
    View,
    /// Create invitation links.
    Invite,
    /// Change another participant's role or remove them.
    ManageParticipants,
    /// Create documents and edit their text.
    EditDocuments,
    /// Comment on documents (observers are the experts who read and comment).
    Comment,
    /// Save a named version of a document.
    SaveVersions,
    /// Make a document's text equal to an earlier version, as a new change.
    RestoreVersions,
    /// Resolve or reopen anyone's comment thread (authors may their own).
    ResolveComments,
    /// Create, open and close polls; run a live audience session.
    ManagePolls,
    /// Cast a ballot in a participants' poll.
    Vote,
    /// Endorse or object to a document version on behalf of one's side.
    Endorse,
    /// Propose a version for agreement, or withdraw a proposal.
    ProposeAgreements,
    /// Approve, answer or hide questions, and see those not yet approved.
    ModerateQuestions,
    /// See a poll's results while they are still hidden from everyone else
    /// ("when the poll closes", "hidden").
    SeeResultsEarly,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: &'static [Action] = &[
        Action::View,
        Action::Invite,
        Action::ManageParticipants,
        Action::EditDocuments,
        Action::Comment,
        Action::SaveVersions,
        Action::RestoreVersions,
        Action::ResolveComments,
        Action::ManagePolls,
        Action::Vote,
        Action::Endorse,
        Action::ProposeAgreements,
        Action::ModerateQuestions,
        Action::SeeResultsEarly,
    ];

    /// Every action `role` on `side` may perform, in declaration order (what
    /// the API tells the web, so it offers exactly what the server allows).
    pub fn allowed_for(role: Role, side: Side) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| allowed(*a, role, side))
            .collect()
    }
}

/// Whether a participant with `role` on `side` may perform `action`.
pub fn allowed(action: Action, role: Role, side: Side) -> bool {
    use Action::*;
    use Role::*;
    match action {
        View | Comment => true,
        Invite | ManageParticipants | ManagePolls | ModerateQuestions | SeeResultsEarly
        | ResolveComments | ProposeAgreements => role == Facilitator,
        EditDocuments | SaveVersions | RestoreVersions | Vote => {
            matches!(role, Facilitator | Member)
        }
        // Agreement is between the two sides of social dialogue: a neutral
        // participant (typically the facilitator) never endorses for a side.
        Endorse => matches!(role, Facilitator | Member) && side != Side::Neutral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected matrix written out in full, independently of `allowed`.
    /// Columns: facilitator, member, observer; each as (employer, union, neutral).
    fn expected(action: Action) -> [[bool; 3]; 3] {
        const ALL: [bool; 3] = [true, true, true];
        const NONE: [bool; 3] = [false, false, false];
        const SIDES: [bool; 3] = [true, true, false];
        match action {
            Action::View => [ALL, ALL, ALL],
            Action::Invite => [ALL, NONE, NONE],
            Action::ManageParticipants => [ALL, NONE, NONE],
            Action::EditDocuments => [ALL, ALL, NONE],
            Action::Comment => [ALL, ALL, ALL],
            Action::SaveVersions => [ALL, ALL, NONE],
            Action::RestoreVersions => [ALL, ALL, NONE],
            Action::ResolveComments => [ALL, NONE, NONE],
            Action::ManagePolls => [ALL, NONE, NONE],
            Action::Vote => [ALL, ALL, NONE],
            Action::Endorse => [SIDES, SIDES, NONE],
            Action::ProposeAgreements => [ALL, NONE, NONE],
            Action::ModerateQuestions => [ALL, NONE, NONE],
            Action::SeeResultsEarly => [ALL, NONE, NONE],
        }
    }

    #[test]
    fn every_action_role_side_combination() {
        let roles = [Role::Facilitator, Role::Member, Role::Observer];
        let sides = [Side::Employer, Side::Union, Side::Neutral];
        assert_eq!(Role::ALL, roles);
        assert_eq!(Side::ALL, sides);
        let mut checked = 0;
        for &action in Action::ALL {
            let table = expected(action);
            for (ri, &role) in roles.iter().enumerate() {
                for (si, &side) in sides.iter().enumerate() {
                    assert_eq!(
                        allowed(action, role, side),
                        table[ri][si],
                        "{action:?} by {role:?} on {side:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, Action::ALL.len() * 9);
    }

    #[test]
    fn allowed_for_lists_exactly_the_allowed_actions() {
        for &role in Role::ALL {
            for &side in Side::ALL {
                let list = Action::allowed_for(role, side);
                for &a in Action::ALL {
                    assert_eq!(list.contains(&a), allowed(a, role, side));
                }
            }
        }
    }
}
