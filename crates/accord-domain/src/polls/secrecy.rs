//! What a secret poll may publish. A ballot is only secret if no published
//! figure lets anyone isolate it: not a split by side where one employer
//! voted, not the difference between two live tallies a ballot apart, not
//! the total minus every split that is shown.
//!
//! The rules, for a minimum group of `k` ballots (k ≥ [`MIN_GROUP_FLOOR`]):
//! - while the poll is open, its tally is published in steps: a new figure
//!   only once at least `k` ballots more than in the last one are in
//!   ([`step_due`]), and without any split by side (a split published at
//!   two steps could be differenced for one side);
//! - once closed, the final tally, with the split of each voter group that
//!   has at least `k` ballots, as long as the groups withheld add up to none
//!   or at least `k` ballots, so the total minus the shown splits isolates
//!   nobody either ([`shown_groups`]);
//! - a poll closed with fewer than `k` ballots publishes only how many there
//!   were: with one ballot the result *is* the ballot.
//!
//! What is left: the final tally differs from the last live step by the
//! ballots cast after it, which may be fewer than `k`. A facilitator who
//! wants that closed too keeps results hidden until the poll closes.

use super::tally::{BySide, Tally};
use serde::{Deserialize, Serialize};

/// The default minimum group (the server setting `ACCORD_SECRET_MIN_GROUP`).
pub const MIN_GROUP_DEFAULT: u32 = 5;
/// The lowest minimum group the server accepts: with 2, each of two voters
/// learns the other's choice from the split.
pub const MIN_GROUP_FLOOR: u32 = 3;

/// Whether a text poll's raw answers (the texts, never who wrote them) may
/// be exported: always for an open ballot; for a secret one only once it is
/// closed and holds at least k ballots, in an order that says nothing of
/// when each was cast.
pub fn raw_answers_publishable(
    secret: bool,
    status: super::PollStatus,
    ballots: u64,
    k: MinGroup,
) -> bool {
    !secret || (status == super::PollStatus::Closed && ballots >= u64::from(k.get()))
}

/// The smallest number of ballots a secret poll's published figure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinGroup(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the minimum group of a secret poll must be at least {MIN_GROUP_FLOOR}, not {0}")]
pub struct MinGroupTooSmall(pub u32);

impl MinGroup {
    pub fn new(k: u32) -> Result<MinGroup, MinGroupTooSmall> {
        if k < MIN_GROUP_FLOOR {
            Err(MinGroupTooSmall(k))
        } else {
            Ok(MinGroup(k))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for MinGroup {
    fn default() -> Self {
        MinGroup(MIN_GROUP_DEFAULT)
    }
}

/// What a secret poll's published tally leaves out, so clients can say so
/// ("fewer than 5 ballots", "results move in steps of 5").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withheld {
    /// The minimum group `k`.
    pub min_group: u32,
    /// The voter groups whose split by side is withheld.
    pub sides: BySide<bool>,
    /// The poll is open: the figures are those of the last step of at least
    /// `min_group` new ballots, not of every ballot in so far.
    pub live_step: bool,
    /// Fewer than `min_group` ballots in all: no figure but their number.
    #[serde(default)]
    pub result: bool,
}

/// Whether an open secret poll with `total` ballots has a new figure to
/// publish, after one of `last` ballots (`None`: nothing published yet).
pub fn step_due(total: u32, last: Option<u32>, k: MinGroup) -> bool {
    total >= last.unwrap_or(0).saturating_add(k.get())
}

/// Which voter groups' splits a closed secret poll shows, given each
/// group's number of ballots: only groups of at least `k`, and while the
/// groups withheld hold between 1 and `k − 1` ballots together, the
/// smallest shown group is withheld as well.
pub fn shown_groups(counts: BySide<u32>, k: MinGroup) -> BySide<bool> {
    let k = k.get();
    let mut shown = counts.map(|n| n >= k);
    loop {
        let pairs = counts.zip(shown);
        let hidden: u32 = pairs
            .values()
            .iter()
            .filter(|(_, s)| !*s)
            .map(|(n, _)| *n)
            .sum();
        if hidden == 0 || hidden >= k {
            return shown;
        }
        let smallest = [
            (pairs.employer, 0),
            (pairs.union, 1),
            (pairs.neutral, 2),
            (pairs.audience, 3),
        ]
        .into_iter()
        .filter(|((_, s), _)| *s)
        .min_by_key(|((n, _), i)| (*n, *i));
        match smallest {
            Some((_, 0)) => shown.employer = false,
            Some((_, 1)) => shown.union = false,
            Some((_, 2)) => shown.neutral = false,
            Some(_) => shown.audience = false,
            None => return shown,
        }
    }
}

/// The figure a secret poll publishes once closed.
pub fn at_close(mut t: Tally, k: MinGroup) -> Tally {
    let shown = shown_groups(t.by_side, k);
    withhold(&mut t, shown.map(|s| !s), k, false);
    if t.total < k.get() {
        withhold_result(&mut t);
    }
    t
}

/// Keeps only the number of ballots (and how many came from each group).
fn withhold_result(t: &mut Tally) {
    for o in &mut t.options {
        o.count = 0;
        o.percent = 0;
    }
    for r in &mut t.ranking {
        r.points = 0;
        r.first_choices = 0;
    }
    if let Some(r) = &mut t.rating {
        r.mean = None;
        for d in &mut r.distribution {
            d.count = 0;
            d.percent = 0;
        }
    }
    t.words.clear();
    if let Some(w) = &mut t.secrecy {
        w.result = true;
    }
}

/// The figure a secret poll publishes while open (at a step): no split by side.
pub fn while_open(mut t: Tally, k: MinGroup) -> Tally {
    withhold(&mut t, BySide::default().map(|()| true), k, true);
    t
}

fn withhold(t: &mut Tally, hide: BySide<bool>, k: MinGroup, live_step: bool) {
    for o in &mut t.options {
        o.by_side = o.by_side.zip(hide).map(|(v, h)| if h { None } else { v });
    }
    for r in &mut t.ranking {
        r.by_side = r.by_side.zip(hide).map(|(v, h)| if h { None } else { v });
    }
    if let Some(r) = &mut t.rating {
        r.mean_by_side = r
            .mean_by_side
            .zip(hide)
            .map(|(v, h)| if h { None } else { v });
    }
    t.secrecy = Some(Withheld {
        min_group: k.get(),
        sides: hide,
        live_step,
        result: false,
    });
}

#[cfg(test)]
mod raw_answer_tests {
    use super::*;
    use crate::polls::PollStatus;

    #[test]
    fn secret_raw_answers_only_when_closed_and_k_strong() {
        let k = MinGroup::new(5).unwrap_or(MinGroup(5));
        assert!(raw_answers_publishable(false, PollStatus::Open, 1, k));
        assert!(!raw_answers_publishable(true, PollStatus::Open, 50, k));
        assert!(!raw_answers_publishable(true, PollStatus::Closed, 4, k));
        assert!(raw_answers_publishable(true, PollStatus::Closed, 5, k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(e: u32, u: u32, n: u32, a: u32) -> BySide<u32> {
        BySide {
            employer: e,
            union: u,
            neutral: n,
            audience: a,
        }
    }

    #[test]
    fn the_minimum_group_has_a_floor() {
        assert!(MinGroup::new(2).is_err());
        assert_eq!(MinGroup::new(3).map(MinGroup::get), Ok(3));
        assert_eq!(MinGroup::default().get(), 5);
    }

    #[test]
    fn one_employer_is_never_shown_nor_derivable() {
        let k = MinGroup::default();
        // One employer among 12 union voters: showing the union split would
        // give the employer's ballot as total minus union.
        let shown = shown_groups(counts(1, 12, 0, 0), k);
        assert!(!shown.employer && !shown.union);
        // Two large sides and a small one: the smallest large side is withheld too.
        let shown = shown_groups(counts(6, 9, 2, 0), k);
        assert_eq!(
            (shown.employer, shown.union, shown.neutral),
            (false, true, false)
        );
        // Enough everywhere: everything is shown.
        let shown = shown_groups(counts(5, 7, 0, 30), k);
        assert!(shown.employer && shown.union && !shown.neutral && shown.audience);
    }

    #[test]
    fn steps_are_at_least_k_ballots_apart() {
        let k = MinGroup::new(3).unwrap_or_default();
        assert!(!step_due(2, None, k));
        assert!(step_due(3, None, k));
        assert!(!step_due(5, Some(3), k));
        assert!(step_due(6, Some(3), k));
    }
}
