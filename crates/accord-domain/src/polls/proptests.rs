//! Property tests: the validators never panic, and every ballot they accept
//! is tallied exactly once, with totals, side splits and percentages that add up.

use super::ballot::{validate_ballot, Ballot, BallotInput, CastBallot};
use super::secrecy::{self, shown_groups, step_due, MinGroup};
use super::spec::{validate_spec, PollSpecInput, OPTIONS_MAX, QUESTION_MAX};
use super::tally::{percent, tally, BySide};
use super::{Poll, PollKind, PollOption, PollStatus, ResultsVisibility};
use crate::roundtable::Side;
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = PollKind> {
    prop::sample::select(PollKind::ALL.to_vec())
}

fn side() -> impl Strategy<Value = Option<Side>> {
    prop::option::of(prop::sample::select(Side::ALL.to_vec()))
}

/// An open poll of any kind with 2..=8 options where options apply.
fn poll() -> impl Strategy<Value = Poll> {
    (kind(), 2usize..=8, 1u32..=8, 0i32..=9, 1i32..=10).prop_map(|(kind, n, max, lo, span)| {
        let options: Vec<PollOption> = if kind.has_options() {
            (0..n)
                .map(|i| PollOption {
                    id: format!("opt-{i}"),
                    position: i as u32,
                    label: format!("Option {i}"),
                })
                .collect()
        } else {
            Vec::new()
        };
        let hi = (lo + span).min(10).max(lo + 1);
        Poll {
            id: "poll".into(),
            roundtable_id: "rt".into(),
            question: "Q?".into(),
            kind,
            max_choices: (kind == PollKind::Multiple).then_some(max.min(n as u32)),
            scale_min: (kind == PollKind::Rating).then_some(lo),
            scale_max: (kind == PollKind::Rating).then_some(hi),
            options,
            secret: false,
            audience: true,
            results: ResultsVisibility::Live,
            status: PollStatus::Open,
            created_by: "u".into(),
            created_at: 0,
            opened_at: Some(0),
            closed_at: None,
            subject: None,
        }
    })
}

/// Option ids that are mostly known (`opt-0`..`opt-9`, some beyond the poll's
/// options) and sometimes arbitrary strings.
fn ids() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            4 => (0usize..10).prop_map(|i| format!("opt-{i}")),
            1 => any::<String>(),
        ],
        0..10,
    )
}

fn input() -> impl Strategy<Value = BallotInput> {
    (
        prop::option::of(ids()),
        prop::option::of(prop_oneof![3 => -2i64..=12, 1 => any::<i64>()]),
        prop::option::of(ids()),
        prop::option::of(prop_oneof![
            3 => "[a-zæøå ]{0,40}( og | and | time budget)?",
            1 => any::<String>(),
        ]),
    )
        .prop_map(|(choices, rating, ranking, text)| BallotInput {
            choices,
            rating,
            ranking,
            text,
        })
}

/// An input shaped for `poll`'s kind, so that a good share is accepted.
fn fitting_input(poll: &Poll) -> impl Strategy<Value = BallotInput> {
    let kind = poll.kind;
    input().prop_map(move |mut i| {
        let keep = |i: &mut BallotInput| match kind {
            PollKind::Single | PollKind::Multiple => {
                let c = i
                    .choices
                    .take()
                    .or_else(|| i.ranking.take())
                    .unwrap_or_default();
                *i = BallotInput {
                    choices: Some(c),
                    ..BallotInput::default()
                }
            }
            PollKind::Rating => {
                *i = BallotInput {
                    rating: Some(i.rating.unwrap_or(3)),
                    ..BallotInput::default()
                }
            }
            PollKind::Ranking => {
                let r = i
                    .ranking
                    .take()
                    .or_else(|| i.choices.take())
                    .unwrap_or_default();
                *i = BallotInput {
                    ranking: Some(r),
                    ..BallotInput::default()
                }
            }
            PollKind::Text => {
                *i = BallotInput {
                    text: Some(i.text.take().unwrap_or_else(|| "words".into())),
                    ..BallotInput::default()
                }
            }
        };
        keep(&mut i);
        i
    })
}

fn poll_and_votes() -> impl Strategy<Value = (Poll, Vec<(Option<Side>, BallotInput)>)> {
    poll().prop_flat_map(|p| {
        let votes = prop::collection::vec((side(), fitting_input(&p)), 0..60);
        (Just(p), votes)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ballot_validator_never_panics(p in poll(), status in prop::sample::select(PollStatus::ALL.to_vec()), i in input()) {
        let mut p = p;
        p.status = status;
        let out = validate_ballot(&p, &i);
        if status != PollStatus::Open {
            prop_assert!(out.is_err());
        }
    }

    #[test]
    fn spec_validator_never_panics(
        question in prop_oneof![any::<String>(), "[ a-z?]{0,600}"],
        kind in prop::option::of(kind()),
        options in prop::collection::vec(prop_oneof![any::<String>(), "[a-c ]{0,3}"], 0..25),
        max_choices in prop::option::of(any::<i64>()),
        scale_min in prop::option::of(-3i64..14),
        scale_max in prop::option::of(-3i64..14),
    ) {
        let input = PollSpecInput { question, kind, options, max_choices, scale_min, scale_max, ..PollSpecInput::default() };
        if let Ok(spec) = validate_spec(&input) {
            prop_assert!(!spec.question.is_empty() && spec.question.chars().count() <= QUESTION_MAX);
            if spec.kind.has_options() {
                prop_assert!((2..=OPTIONS_MAX).contains(&spec.options.len()));
            } else {
                prop_assert!(spec.options.is_empty());
            }
            if let Some(m) = spec.max_choices {
                prop_assert!(m >= 1 && m as usize <= spec.options.len());
            }
            if let (Some(lo), Some(hi)) = (spec.scale_min, spec.scale_max) {
                prop_assert!(0 <= lo && lo < hi && hi <= 10);
            }
        }
    }

    #[test]
    fn accepted_ballots_are_tallied_exactly_once((p, votes) in poll_and_votes()) {
        let accepted: Vec<CastBallot> = votes
            .iter()
            .filter_map(|(side, i)| validate_ballot(&p, i).ok().map(|ballot| CastBallot { side: *side, ballot }))
            .collect();
        let t = tally(&p, &accepted);
        let n = accepted.len() as u32;

        prop_assert_eq!(t.total, n);
        prop_assert_eq!(t.by_side.values().into_iter().sum::<u32>(), n);

        match p.kind {
            PollKind::Single => {
                prop_assert_eq!(t.options.iter().map(|o| o.count).sum::<u32>(), n);
                for o in &t.options {
                    let expected = accepted.iter().filter(|b| b.ballot == Ballot::Choices(vec![o.option_id.clone()])).count() as u32;
                    prop_assert_eq!(o.count, expected);
                    prop_assert_eq!(o.by_side.values().into_iter().map(|v| v.unwrap_or(0)).sum::<u32>(), o.count);
                }
                if n > 0 {
                    let sum: i64 = t.options.iter().map(|o| i64::from(o.percent)).sum();
                    // Each percentage is off by at most half a point.
                    let slack = (p.options.len() as i64 + 1) / 2;
                    prop_assert!((sum - 100).abs() <= slack, "percent sum {}", sum);
                }
            }
            PollKind::Multiple => {
                let chosen: usize = accepted.iter().map(|b| match &b.ballot { Ballot::Choices(c) => c.len(), _ => 0 }).sum();
                prop_assert_eq!(t.options.iter().map(|o| o.count as usize).sum::<usize>(), chosen);
                for o in &t.options {
                    prop_assert!(o.count <= n);
                    prop_assert_eq!(o.percent, percent(o.count, n));
                }
            }
            PollKind::Rating => {
                let r = t.rating.clone();
                prop_assert!(r.is_some());
                if let Some(r) = r {
                    prop_assert_eq!(r.distribution.iter().map(|d| d.count).sum::<u32>(), n);
                    if let Some(mean) = r.mean {
                        prop_assert!(mean >= f64::from(p.scale_min.unwrap_or(1)) - 1e-9);
                        prop_assert!(mean <= f64::from(p.scale_max.unwrap_or(5)) + 1e-9);
                    } else {
                        prop_assert_eq!(n, 0);
                    }
                }
            }
            PollKind::Ranking => {
                prop_assert_eq!(t.ranking.iter().map(|s| s.first_choices).sum::<u32>(), n);
                let opts = p.options.len() as u64;
                let expected: u64 = accepted.iter().map(|b| match &b.ballot {
                    Ballot::Ranking(r) => (0..r.len() as u64).map(|i| opts - i).sum::<u64>(),
                    _ => 0,
                }).sum();
                prop_assert_eq!(t.ranking.iter().map(|s| s.points).sum::<u64>(), expected);
                prop_assert!(t.ranking.windows(2).all(|w| w[0].points >= w[1].points));
            }
            PollKind::Text => {
                prop_assert!(t.words.len() <= 50);
                prop_assert!(t.words.iter().all(|w| w.count >= 1 && w.count <= n));
                prop_assert!(t.words.iter().all(|w| w.word == w.word.to_lowercase()));
            }
        }
    }

    #[test]
    fn shown_groups_never_isolate_a_ballot(
        e in 0u32..20, u in 0u32..20, n in 0u32..20, a in 0u32..40, k in 3u32..8,
    ) {
        let counts = BySide { employer: e, union: u, neutral: n, audience: a };
        let k = MinGroup::new(k).unwrap_or_default();
        let shown = shown_groups(counts, k);
        let mut hidden = 0;
        for (count, s) in counts.zip(shown).values() {
            if *s {
                prop_assert!(*count >= k.get(), "a shown group has at least k ballots");
            } else {
                hidden += *count;
            }
        }
        // With nothing shown, the total is the only figure (a poll's result is public).
        let any_shown = shown.values().iter().any(|s| **s);
        prop_assert!(!any_shown || hidden == 0 || hidden >= k.get(), "total minus the shown splits covers {} ballots", hidden);
    }

    #[test]
    fn a_closed_secret_poll_splits_only_what_isolates_nobody((p, votes) in poll_and_votes(), k in 3u32..7) {
        let accepted: Vec<CastBallot> = votes
            .iter()
            .filter_map(|(side, i)| validate_ballot(&p, i).ok().map(|ballot| CastBallot { side: *side, ballot }))
            .collect();
        let k = MinGroup::new(k).unwrap_or_default();
        let full = tally(&p, &accepted);
        let t = secrecy::at_close(full.clone(), k);
        let counts = t.by_side;
        let shown = t.secrecy.map(|w| w.sides.map(|h| !h)).unwrap_or_default();
        let mut hidden_total = 0;
        for (c, s) in counts.zip(shown).values() {
            if !*s { hidden_total += *c; }
        }
        let any_shown = shown.values().iter().any(|s| **s);
        prop_assert!(!any_shown || hidden_total == 0 || hidden_total >= k.get());
        let withheld_result = t.secrecy.is_some_and(|w| w.result);
        prop_assert_eq!(withheld_result, t.total < k.get(), "fewer than k ballots publish only their number");
        if withheld_result {
            prop_assert!(t.options.iter().all(|o| o.count == 0 && o.by_side.values().iter().all(|v| v.is_none())));
            prop_assert!(t.words.is_empty());
            prop_assert!(t.rating.as_ref().is_none_or(|r| r.mean.is_none()));
            return Ok(());
        }
        for (o, f) in t.options.iter().zip(&full.options) {
            prop_assert_eq!(o.count, f.count, "the overall figures are untouched");
            for ((v, c), full_v) in o.by_side.zip(counts).values().iter().zip(f.by_side.values()) {
                if let Some(v) = v {
                    prop_assert!(*c >= k.get());
                    prop_assert_eq!(Some(*v), *full_v);
                }
            }
        }
        for r in &t.ranking {
            for (v, c) in r.by_side.zip(counts).values() {
                prop_assert!(v.is_none() || *c >= k.get());
            }
        }
        if let Some(r) = &t.rating {
            for (v, c) in r.mean_by_side.zip(counts).values() {
                prop_assert!(v.is_none() || *c >= k.get());
            }
        }
    }

    #[test]
    fn an_open_secret_poll_publishes_steps_of_k_without_splits(arrivals in prop::collection::vec(1u32..4, 0..40), k in 3u32..7) {
        let k = MinGroup::new(k).unwrap_or_default();
        let mut total = 0;
        let mut published: Vec<u32> = Vec::new();
        for a in arrivals {
            total += a;
            if step_due(total, published.last().copied(), k) {
                published.push(total);
            }
        }
        let mut prev = 0;
        for p in &published {
            prop_assert!(p - prev >= k.get(), "two figures {} ballots apart", p - prev);
            prev = *p;
        }
        let poll = poll_fixture();
        let t = secrecy::while_open(tally(&poll, &[]), k);
        prop_assert!(t.options.iter().all(|o| o.by_side.values().iter().all(|v| v.is_none())));
        prop_assert!(t.secrecy.is_some_and(|w| w.live_step));
    }
}

fn poll_fixture() -> Poll {
    Poll {
        id: "p".into(),
        roundtable_id: "rt".into(),
        question: "Q?".into(),
        kind: PollKind::Single,
        max_choices: None,
        scale_min: None,
        scale_max: None,
        options: (0..3)
            .map(|i| PollOption {
                id: format!("opt-{i}"),
                position: i,
                label: format!("O{i}"),
            })
            .collect(),
        secret: true,
        audience: true,
        results: ResultsVisibility::Live,
        status: PollStatus::Open,
        created_by: "u".into(),
        created_at: 0,
        opened_at: Some(0),
        closed_at: None,
        subject: None,
    }
}
