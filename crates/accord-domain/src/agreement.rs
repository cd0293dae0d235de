//! Agreement between the two sides of social dialogue on one exact version:
//! AND across sides, each side by its own quorum, bound to the version's
//! hash. A pure state machine; the store decides the transitions inside the
//! write that records a position, so concurrent positions reach one outcome.

use crate::roundtable::{string_enum, Side, UnknownValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// How many of a side's electorate must endorse for the side to agree.
    Quorum, "quorum", {
        One => "one",
        Majority => "majority",
        All => "all",
    }
);

string_enum!(
    /// What a participant says about the proposed version, for their side.
    Position, "position", {
        Endorse => "endorse",
        Object => "object",
        Abstain => "abstain",
    }
);

string_enum!(
    /// Where an agreement is. Only `Open` accepts positions; the others are final.
    AgreementState, "agreement state", {
        Open => "open",
        Agreed => "agreed",
        Expired => "expired",
        Withdrawn => "withdrawn",
        Superseded => "superseded",
    }
);

/// The longest reason a position may give, in characters.
pub const REASON_MAX: usize = 2_000;

/// The reason given with a position: several lines, 1..=2,000 characters
/// for an objection (which must give one), optional otherwise (blank: none).
pub fn reason(position: Position, raw: Option<&str>) -> Result<Option<String>, &'static str> {
    let text = crate::text::plain(raw.unwrap_or("").trim(), crate::text::Lines::Many)
        .map_err(crate::text::TextError::message)?;
    if text.chars().count() > REASON_MAX {
        return Err("is too long (at most 2000 characters)");
    }
    if text.is_empty() {
        return match position {
            Position::Object => Err("is required for an objection"),
            Position::Endorse | Position::Abstain => Ok(None),
        };
    }
    Ok(Some(text.into_owned()))
}

/// The rule an agreement is decided by, fixed when it is proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    pub quorum: Quorum,
    /// Any standing objection keeps the agreement from being agreed.
    pub objections_block: bool,
}

/// Who may endorse for each side, counted when the agreement opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Electorate {
    pub employer: u32,
    pub union: u32,
}

impl Electorate {
    /// The electorate of `side`; neutral participants never count for a side.
    pub fn of(&self, side: Side) -> u32 {
        match side {
            Side::Employer => self.employer,
            Side::Union => self.union,
            Side::Neutral => 0,
        }
    }

    /// Both sides have somebody in them: otherwise there is nothing to agree.
    pub fn is_complete(&self) -> bool {
        self.employer > 0 && self.union > 0
    }
}

/// One side's positions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SideCount {
    pub endorse: u32,
    pub object: u32,
    pub abstain: u32,
}

/// Whether one side, with `endorsements` of an electorate of `electorate`,
/// meets `quorum`. A side with no electorate is never satisfied.
pub fn side_satisfied(quorum: Quorum, electorate: u32, endorsements: u32) -> bool {
    if electorate == 0 {
        return false;
    }
    let e = endorsements.min(electorate);
    match quorum {
        Quorum::One => e >= 1,
        // More than half: 2 of 3, 3 of 4, 1 of 1.
        Quorum::Majority => u64::from(e) * 2 > u64::from(electorate),
        Quorum::All => e == electorate,
    }
}

/// The standing positions (each participant's latest), counted per side.
/// Positions of neutral participants count for no side.
pub fn count<'a>(
    positions: impl IntoIterator<Item = &'a (Side, Position)>,
) -> (SideCount, SideCount) {
    let (mut employer, mut union) = (SideCount::default(), SideCount::default());
    for (side, position) in positions {
        let c = match side {
            Side::Employer => &mut employer,
            Side::Union => &mut union,
            Side::Neutral => continue,
        };
        match position {
            Position::Endorse => c.endorse += 1,
            Position::Object => c.object += 1,
            Position::Abstain => c.abstain += 1,
        }
    }
    (employer, union)
}

/// Whether the standing positions make the agreement agreed: both sides
/// satisfied and, when objections block, no objection standing on either.
pub fn is_agreed(
    rule: Rule,
    electorate: Electorate,
    employer: SideCount,
    union: SideCount,
) -> bool {
    let blocked = rule.objections_block && (employer.object > 0 || union.object > 0);
    !blocked
        && side_satisfied(rule.quorum, electorate.employer, employer.endorse)
        && side_satisfied(rule.quorum, electorate.union, union.endorse)
}

/// What can happen to an agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A position was taken or changed; the counts are the standing ones after it.
    Position {
        employer: SideCount,
        union: SideCount,
    },
    /// `closes_at` has passed.
    Expire,
    Withdraw,
    Supersede,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the agreement is {0} and takes no more changes")]
    Closed(AgreementState),
}

/// The state after `event`. Only an open agreement changes; it becomes
/// agreed the moment the standing positions satisfy the rule.
pub fn next(
    state: AgreementState,
    rule: Rule,
    electorate: Electorate,
    event: Event,
) -> Result<AgreementState, TransitionError> {
    if state != AgreementState::Open {
        return Err(TransitionError::Closed(state));
    }
    Ok(match event {
        Event::Position { employer, union } => {
            if is_agreed(rule, electorate, employer, union) {
                AgreementState::Agreed
            } else {
                AgreementState::Open
            }
        }
        Event::Expire => AgreementState::Expired,
        Event::Withdraw => AgreementState::Withdrawn,
        Event::Supersede => AgreementState::Superseded,
    })
}

/// One position as it is sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPosition {
    pub user_id: String,
    pub side: Side,
    pub position: Position,
    /// Unix seconds.
    pub at: i64,
}

/// The seal of an agreed version: SHA-256 (hex) over the version's hash, the
/// rule and the positions in the order given (the caller orders them by
/// time, then user id). Each field is written with its length, so no two
/// different inputs run together into the same bytes.
pub fn seal(version_sha256: &str, rule: Rule, positions: &[SealedPosition]) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"accord-seal-v1");
    field(version_sha256.as_bytes());
    field(rule.quorum.as_str().as_bytes());
    field(if rule.objections_block {
        b"block"
    } else {
        b"noblock"
    });
    for p in positions {
        field(p.user_id.as_bytes());
        field(p.side.as_str().as_bytes());
        field(p.position.as_str().as_bytes());
        field(&p.at.to_be_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rule(quorum: Quorum, objections_block: bool) -> Rule {
        Rule {
            quorum,
            objections_block,
        }
    }

    #[test]
    fn an_objection_needs_a_reason() {
        assert_eq!(
            reason(Position::Object, None),
            Err("is required for an objection")
        );
        assert!(reason(Position::Object, Some("   ")).is_err());
        assert_eq!(
            reason(Position::Object, Some(" Too vague\r\non budget ")),
            Ok(Some("Too vague\non budget".into()))
        );
        assert_eq!(reason(Position::Endorse, Some("")), Ok(None));
        assert!(reason(Position::Abstain, Some("bell\u{7}")).is_err());
        assert!(reason(Position::Object, Some(&"x".repeat(REASON_MAX))).is_ok());
        assert!(reason(Position::Object, Some(&"x".repeat(REASON_MAX + 1))).is_err());
    }

    #[test]
    fn quorums_by_their_words() {
        assert!(side_satisfied(Quorum::One, 3, 1));
        assert!(!side_satisfied(Quorum::One, 3, 0));
        assert!(
            !side_satisfied(Quorum::Majority, 4, 2),
            "half is not more than half"
        );
        assert!(side_satisfied(Quorum::Majority, 4, 3));
        assert!(side_satisfied(Quorum::Majority, 1, 1));
        assert!(!side_satisfied(Quorum::All, 3, 2));
        assert!(side_satisfied(Quorum::All, 3, 3));
        assert!(
            !side_satisfied(Quorum::All, 0, 0),
            "an empty side agrees to nothing"
        );
    }

    #[test]
    fn only_an_open_agreement_changes() {
        let r = rule(Quorum::One, false);
        let e = Electorate {
            employer: 1,
            union: 1,
        };
        for s in AgreementState::ALL
            .iter()
            .filter(|s| **s != AgreementState::Open)
        {
            assert_eq!(
                next(*s, r, e, Event::Withdraw),
                Err(TransitionError::Closed(*s))
            );
        }
        assert_eq!(
            next(AgreementState::Open, r, e, Event::Expire),
            Ok(AgreementState::Expired)
        );
        assert_eq!(
            next(AgreementState::Open, r, e, Event::Supersede),
            Ok(AgreementState::Superseded)
        );
    }

    #[test]
    fn the_seal_binds_every_field() {
        let p = |user: &str, position, at| SealedPosition {
            user_id: user.into(),
            side: Side::Union,
            position,
            at,
        };
        let r = rule(Quorum::All, true);
        let base = seal("ab", r, &[p("u1", Position::Endorse, 10)]);
        assert_eq!(base.len(), 64);
        assert_eq!(base, seal("ab", r, &[p("u1", Position::Endorse, 10)]));
        for other in [
            seal("ac", r, &[p("u1", Position::Endorse, 10)]),
            seal(
                "ab",
                rule(Quorum::Majority, true),
                &[p("u1", Position::Endorse, 10)],
            ),
            seal(
                "ab",
                rule(Quorum::All, false),
                &[p("u1", Position::Endorse, 10)],
            ),
            seal("ab", r, &[p("u2", Position::Endorse, 10)]),
            seal("ab", r, &[p("u1", Position::Abstain, 10)]),
            seal("ab", r, &[p("u1", Position::Endorse, 11)]),
            seal("ab", r, &[]),
            // Fields do not run together: "u1"+"x" is not "u"+"1x".
            seal("ab", r, &[p("u1x", Position::Endorse, 10)]),
        ] {
            assert_ne!(base, other);
        }
    }

    fn positions() -> impl Strategy<Value = Vec<(Side, Position)>> {
        let side = prop_oneof![Just(Side::Employer), Just(Side::Union), Just(Side::Neutral)];
        let position = prop_oneof![
            Just(Position::Endorse),
            Just(Position::Object),
            Just(Position::Abstain)
        ];
        prop::collection::vec((side, position), 0..24)
    }

    fn quorum() -> impl Strategy<Value = Quorum> {
        prop_oneof![Just(Quorum::One), Just(Quorum::Majority), Just(Quorum::All)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Agreed exactly when each side meets its quorum and, if objections
        /// block, none stands; in whatever order the positions arrived.
        #[test]
        fn agreed_means_both_sides_and_nothing_blocking(
            mut ps in positions(),
            q in quorum(),
            block in any::<bool>(),
            extra_e in 0u32..4,
            extra_u in 0u32..4,
            seed in any::<u64>(),
        ) {
            let (e, u) = count(&ps);
            let electorate = Electorate {
                employer: e.endorse + e.object + e.abstain + extra_e,
                union: u.endorse + u.object + u.abstain + extra_u,
            };
            let r = rule(q, block);
            let agreed = is_agreed(r, electorate, e, u);
            let expect = side_satisfied(q, electorate.employer, e.endorse)
                && side_satisfied(q, electorate.union, u.endorse)
                && !(block && (e.object + u.object) > 0);
            prop_assert_eq!(agreed, expect);
            if agreed {
                prop_assert!(e.endorse >= 1 && u.endorse >= 1, "both sides endorsed");
            }
            // Order does not matter: concurrent positions reach one outcome.
            let n = ps.len().max(1);
            ps.rotate_left((seed as usize) % n);
            let (e2, u2) = count(&ps);
            prop_assert_eq!(is_agreed(r, electorate, e2, u2), agreed);
        }

        /// Without blocking objections, one more endorsement never undoes agreement.
        #[test]
        fn another_endorsement_never_undoes_agreement(
            ps in positions(),
            q in quorum(),
            side in prop_oneof![Just(Side::Employer), Just(Side::Union)],
        ) {
            let (e, u) = count(&ps);
            let electorate = Electorate {
                employer: e.endorse + e.object + e.abstain + 1,
                union: u.endorse + u.object + u.abstain + 1,
            };
            let r = rule(q, false);
            if is_agreed(r, electorate, e, u) {
                let mut more = ps.clone();
                more.push((side, Position::Endorse));
                let (e2, u2) = count(&more);
                prop_assert!(is_agreed(r, electorate, e2, u2));
            }
        }

        /// A side with nobody in it never agrees, whatever is said.
        #[test]
        fn an_empty_side_never_agrees(ps in positions(), q in quorum()) {
            let (e, u) = count(&ps);
            let electorate = Electorate { employer: 0, union: u.endorse + 1 };
            prop_assert!(!is_agreed(rule(q, false), electorate, e, u));
            prop_assert!(!electorate.is_complete());
        }
    }
}
