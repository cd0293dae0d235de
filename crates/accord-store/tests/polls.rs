//! Polls, ballots and live sessions, run against SQLite and PostgreSQL: one
//! ballot per voter under concurrency, changes of vote, secret ballots that
//! cannot be linked to their voter, and the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_domain::polls::{
    tally, tally_weighted, template, validate_spec, Ballot, BallotError, BallotInput, Lang, Poll,
    PollKind, PollSpecInput, PollStatus, ResultsVisibility, TransitionError,
};
use accord_domain::{Role, Side, Theme};
use accord_store::testing::{fresh_postgres_url, fresh_sqlite_url};
use accord_store::{
    CastOutcome, CastRefusal, DraftRefusal, LiveSession, NewAudienceMember, NewInvitation,
    NewLiveSession, NewPoll, NewRoundtable, NewUser, OrderRefusal, StatusRefusal, Store,
    StoreError, Voter,
};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { if let Some((s, url)) = super::store(false).await { super::$name(s, url).await } })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
              async fn $name() { if let Some((s, url)) = super::store(true).await { super::$name(s, url).await } })*
        }
    };
}

on_both_backends!(
    poll_lifecycle,
    change_of_vote_replaces_the_ballot,
    concurrent_duplicates_store_one_ballot,
    concurrent_voters_each_store_one,
    secret_ballots_are_unlinkable_and_final,
    concurrent_secret_duplicates_store_one,
    closed_and_draft_polls_refuse_ballots,
    nothing_lands_after_close_returns,
    unknown_option_and_bad_ballots_are_refused,
    who_may_vote,
    every_kind_round_trips_and_tallies,
    live_sessions_and_audience,
    batched_ballots_commit_together_with_their_own_outcomes,
    a_conference_batch_mixes_audience_and_participants,
    drafts_are_edited_and_deleted_opened_polls_never,
    a_duplicate_follows_its_original_and_the_order_is_one,
);

/// A fresh store and its URL (some tests look at the raw tables).
async fn store(postgres: bool) -> Option<(Store, String)> {
    let url = if postgres {
        fresh_postgres_url().await?
    } else {
        fresh_sqlite_url()
    };
    Some((
        Store::connect(&url).await.expect("connect and migrate"),
        url,
    ))
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn user(s: &Store, name: &str) -> String {
    let u = NewUser {
        id: id(),
        email: format!("{name}-{}@example.org", id()),
        display_name: name.into(),
        password_hash: "$argon2id$fake".into(),
        created_at: 1,
    };
    s.create_user(&u).await.expect("create user").id
}

/// A roundtable run by a fresh facilitator; returns (roundtable, facilitator).
async fn roundtable(s: &Store) -> (String, String) {
    let fac = user(s, "facilitator").await;
    let r = NewRoundtable {
        id: id(),
        title: "Technological upskilling".into(),
        theme: Theme::TechnologicalUpskilling,
        description: "".into(),
        created_by: fac.clone(),
        created_at: 10,
        organisation: "Steering group".into(),
    };
    (s.create_roundtable(&r).await.expect("roundtable").id, fac)
}

/// A new member of the roundtable on `side`.
async fn member(s: &Store, rt: &str, fac: &str, side: Side) -> String {
    let token = id();
    s.create_invitation(&NewInvitation {
        token_hash: token.clone(),
        roundtable_id: rt.into(),
        side,
        role: Role::Member,
        single_use: true,
        created_by: fac.into(),
        created_at: 10,
        expires_at: i64::MAX,
    })
    .await
    .unwrap();
    let u = user(s, side.as_str()).await;
    s.accept_invitation(&token, &u, "Org", 11)
        .await
        .unwrap()
        .expect("accepted");
    u
}

async fn poll_with(s: &Store, rt: &str, fac: &str, input: PollSpecInput) -> Poll {
    let spec = validate_spec(&input).expect("valid spec");
    s.create_poll(&NewPoll {
        id: id(),
        roundtable_id: rt.into(),
        created_by: fac.into(),
        created_at: 20,
        spec,
        subject: None,
    })
    .await
    .expect("create poll")
}

/// The Lisbon maturity question, opened; `secret` as asked.
async fn open_maturity(s: &Store, rt: &str, fac: &str, secret: bool) -> Poll {
    let mut input = template("maturity").unwrap().input(Lang::En);
    input.secret = secret;
    let p = poll_with(s, rt, fac, input).await;
    s.set_poll_status(
        &p.id,
        PollStatus::Open,
        21,
        &accord_domain::audit::Actor::system(),
    )
    .await
    .unwrap()
    .expect("opened")
}

fn choose(p: &Poll, positions: &[usize]) -> BallotInput {
    BallotInput {
        choices: Some(positions.iter().map(|i| p.options[*i].id.clone()).collect()),
        ..BallotInput::default()
    }
}

async fn poll_lifecycle(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let input = template("maturity").unwrap().input(Lang::Da);
    let p = poll_with(&s, &rt, &fac, input).await;
    assert_eq!(p.status, PollStatus::Draft);
    assert_eq!(p.options.len(), 5);
    assert_eq!(p.options[1].label, "Analyserer og planlægger");
    assert_eq!(s.poll(&p.id).await.unwrap(), Some(p.clone()));

    let second = poll_with(
        &s,
        &rt,
        &fac,
        PollSpecInput {
            question: "Rate it".into(),
            kind: Some(PollKind::Rating),
            scale_min: Some(0),
            scale_max: Some(10),
            results: Some(ResultsVisibility::Hidden),
            ..PollSpecInput::default()
        },
    )
    .await;
    // Both were created in the same second: they list in agenda order,
    // which puts a new poll last.
    let listed = s.polls_of(&rt).await.unwrap();
    assert_eq!(listed, vec![p.clone(), second.clone()]);
    let rating = listed.iter().find(|l| l.id == second.id).unwrap();
    assert_eq!(rating.scale_max, Some(10));
    assert!(rating.options.is_empty());

    // Draft cannot close directly.
    assert_eq!(
        s.set_poll_status(
            &p.id,
            PollStatus::Closed,
            22,
            &accord_domain::audit::Actor::system()
        )
        .await
        .unwrap(),
        Err(StatusRefusal::Transition(TransitionError {
            from: PollStatus::Draft,
            to: PollStatus::Closed
        }))
    );
    let opened = s
        .set_poll_status(
            &p.id,
            PollStatus::Open,
            23,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (opened.status, opened.opened_at),
        (PollStatus::Open, Some(23))
    );
    let closed = s
        .set_poll_status(
            &p.id,
            PollStatus::Closed,
            24,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (closed.status, closed.closed_at),
        (PollStatus::Closed, Some(24))
    );
    // Reopening a closed poll is refused.
    assert_eq!(
        s.set_poll_status(
            &p.id,
            PollStatus::Open,
            25,
            &accord_domain::audit::Actor::system()
        )
        .await
        .unwrap(),
        Err(StatusRefusal::Transition(TransitionError {
            from: PollStatus::Closed,
            to: PollStatus::Open
        }))
    );
    assert_eq!(
        s.set_poll_status(
            "nope",
            PollStatus::Open,
            25,
            &accord_domain::audit::Actor::system()
        )
        .await
        .unwrap(),
        Err(StatusRefusal::UnknownPoll)
    );
    assert_eq!(s.poll("nope").await.unwrap(), None);
}

async fn concurrent_opens_apply_once(s: &Store, rt: &str, fac: &str) {
    let p = poll_with(s, rt, fac, template("sourcing").unwrap().input(Lang::En)).await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let s = s.clone();
            let id = p.id.clone();
            tokio::spawn(async move {
                s.set_poll_status(
                    &id,
                    PollStatus::Open,
                    30,
                    &accord_domain::audit::Actor::system(),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ok(_) => ok += 1,
            Err(StatusRefusal::Transition(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent open applies");
}

async fn change_of_vote_replaces_the_ballot(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    concurrent_opens_apply_once(&s, &rt, &fac).await;
    let p = open_maturity(&s, &rt, &fac, false).await;
    let union = member(&s, &rt, &fac, Side::Union).await;
    let voter = Voter::User(union.clone());

    assert_eq!(
        s.cast_ballot(&p, &voter, &choose(&p, &[0]), 30)
            .await
            .unwrap(),
        Ok(CastOutcome::Cast)
    );
    assert_eq!(
        s.cast_ballot(&p, &voter, &choose(&p, &[1]), 30)
            .await
            .unwrap(),
        Ok(CastOutcome::Changed)
    );
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 1);
    assert!(s.has_voted(&p.id, &voter).await.unwrap());
    assert_eq!(
        s.my_ballot(&p, &voter).await.unwrap(),
        Some(Ballot::Choices(vec![p.options[1].id.clone()]))
    );

    let ballots = s.ballots_for_tally(&p).await.unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!(ballots[0].side, Some(Side::Union));
    let t = tally(&p, &ballots);
    assert_eq!(t.total, 1);
    assert_eq!(t.options[1].count, 1);
    assert_eq!(t.options[1].by_side.union, Some(1));
    assert_eq!(t.options[0].count, 0);
}

async fn concurrent_duplicates_store_one_ballot(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, false).await;
    let voter = Voter::User(member(&s, &rt, &fac, Side::Employer).await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (s, p, voter) = (s.clone(), p.clone(), voter.clone());
            tokio::spawn(async move { s.cast_ballot(&p, &voter, &choose(&p, &[i % 5]), 40).await })
        })
        .collect();
    let mut first = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ok(CastOutcome::Cast) => first += 1,
            Ok(CastOutcome::Changed) => {}
            Err(e) => panic!("refused: {e:?}"),
        }
    }
    assert_eq!(first, 1, "exactly one submission is the first ballot");
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 1);
    assert_eq!(tally(&p, &s.ballots_for_tally(&p).await.unwrap()).total, 1);
}

async fn concurrent_voters_each_store_one(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, false).await;
    let mut voters = Vec::new();
    for i in 0..20 {
        let side = [Side::Employer, Side::Union][i % 2];
        voters.push(Voter::User(member(&s, &rt, &fac, side).await));
    }
    let tasks: Vec<_> = voters
        .iter()
        .enumerate()
        .map(|(i, voter)| {
            let (s, p, voter) = (s.clone(), p.clone(), voter.clone());
            tokio::spawn(async move {
                // Each voter submits twice at once as well.
                let (first, second) = (choose(&p, &[1]), choose(&p, &[i % 5]));
                let a = s.cast_ballot(&p, &voter, &first, 40);
                let b = s.cast_ballot(&p, &voter, &second, 40);
                let (a, b) = tokio::join!(a, b);
                (a.unwrap(), b.unwrap())
            })
        })
        .collect();
    for t in tasks {
        let (a, b) = t.await.unwrap();
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    }
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 20);
    let ballots = s.ballots_for_tally(&p).await.unwrap();
    let t = tally(&p, &ballots);
    assert_eq!(t.total, 20);
    assert_eq!((t.by_side.employer, t.by_side.union), (10, 10));
    assert_eq!(t.options.iter().map(|o| o.count).sum::<u32>(), 20);
    let grouped = s.ballot_groups(&p).await.unwrap();
    assert!(grouped.len() <= 10, "grouped into (side, choice) pairs");
    assert_eq!(tally_weighted(&p, &grouped), t);
}

async fn secret_ballots_are_unlinkable_and_final(s: Store, url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, true).await;
    let union = member(&s, &rt, &fac, Side::Union).await;
    let employer = member(&s, &rt, &fac, Side::Employer).await;
    let voter = Voter::User(union.clone());

    assert_eq!(
        s.cast_ballot(&p, &voter, &choose(&p, &[1]), 50)
            .await
            .unwrap(),
        Ok(CastOutcome::Cast)
    );
    // A secret ballot cannot be changed.
    assert_eq!(
        s.cast_ballot(&p, &voter, &choose(&p, &[2]), 51)
            .await
            .unwrap(),
        Err(CastRefusal::AlreadyVoted)
    );
    s.cast_ballot(&p, &Voter::User(employer.clone()), &choose(&p, &[1]), 52)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 2);
    assert!(s.has_voted(&p.id, &voter).await.unwrap());
    assert_eq!(s.my_ballot(&p, &voter).await.unwrap(), None);

    let t = tally(&p, &s.ballots_for_tally(&p).await.unwrap());
    assert_eq!(t.options[1].count, 2);
    assert_eq!(
        (t.options[1].by_side.union, t.options[1].by_side.employer),
        (Some(1), Some(1))
    );

    let closed = s
        .set_poll_status(
            &p.id,
            PollStatus::Closed,
            60,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        tally(&closed, &s.ballots_for_tally(&closed).await.unwrap()).total,
        2
    );

    // Nothing in the anonymous table names or points at a voter.
    let raw = Raw::connect(&url).await;
    let mut columns = raw.columns("anonymous_ballots").await;
    columns.sort();
    assert_eq!(
        columns,
        ["choices", "id", "poll_id", "rating", "side", "text"]
    );
    for text in raw.anonymous_values().await {
        for who in [&union, &employer] {
            assert!(!text.contains(who.as_str()), "{text:?} names a voter");
        }
    }
    // The voters table says who voted, and nothing about the choice.
    let mut voter_columns = raw.columns("poll_voters").await;
    voter_columns.sort();
    assert_eq!(voter_columns, ["poll_id", "voter_key"]);
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 2);
    raw.no_insertion_order().await;
}

async fn concurrent_secret_duplicates_store_one(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, true).await;
    let voter = Voter::User(member(&s, &rt, &fac, Side::Neutral).await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (s, p, voter) = (s.clone(), p.clone(), voter.clone());
            tokio::spawn(async move { s.cast_ballot(&p, &voter, &choose(&p, &[i % 5]), 40).await })
        })
        .collect();
    let mut cast = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ok(CastOutcome::Cast) => cast += 1,
            Err(CastRefusal::AlreadyVoted) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(cast, 1);
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 1);
}

async fn closed_and_draft_polls_refuse_ballots(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let voter = Voter::User(member(&s, &rt, &fac, Side::Union).await);
    let draft = poll_with(&s, &rt, &fac, template("maturity").unwrap().input(Lang::En)).await;
    assert_eq!(
        s.cast_ballot(&draft, &voter, &choose(&draft, &[0]), 30)
            .await
            .unwrap(),
        Err(CastRefusal::Invalid(BallotError::PollNotOpen {
            status: PollStatus::Draft
        }))
    );

    for secret in [false, true] {
        let p = open_maturity(&s, &rt, &fac, secret).await;
        s.set_poll_status(
            &p.id,
            PollStatus::Closed,
            31,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
        // `p` is a stale copy that still says "open": the store must not trust it.
        assert_eq!(p.status, PollStatus::Open);
        assert_eq!(
            s.cast_ballot(&p, &voter, &choose(&p, &[0]), 32)
                .await
                .unwrap(),
            Err(CastRefusal::Invalid(BallotError::PollNotOpen {
                status: PollStatus::Closed
            })),
            "secret: {secret}"
        );
        assert_eq!(s.count_ballots(&p.id).await.unwrap(), 0);
        assert!(!s.has_voted(&p.id, &voter).await.unwrap());
    }
}

/// Votes race a close: once the close has returned, the count is final, and
/// every vote was either stored (and acknowledged) or refused as closed.
async fn nothing_lands_after_close_returns(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, false).await;
    let mut voters = Vec::new();
    for _ in 0..40 {
        voters.push(Voter::User(member(&s, &rt, &fac, Side::Union).await));
    }
    let tasks: Vec<_> = voters
        .into_iter()
        .map(|voter| {
            let (s, p) = (s.clone(), p.clone());
            tokio::spawn(async move { s.cast_ballot(&p, &voter, &choose(&p, &[1]), 70).await })
        })
        .collect();
    tokio::task::yield_now().await;
    s.set_poll_status(
        &p.id,
        PollStatus::Closed,
        71,
        &accord_domain::audit::Actor::system(),
    )
    .await
    .unwrap()
    .unwrap();
    let at_close = s.count_ballots(&p.id).await.unwrap();
    let mut acknowledged = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Ok(CastOutcome::Cast) => acknowledged += 1,
            Err(CastRefusal::Invalid(BallotError::PollNotOpen { .. })) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), at_close);
    assert_eq!(acknowledged, at_close);
}

async fn unknown_option_and_bad_ballots_are_refused(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let voter = Voter::User(member(&s, &rt, &fac, Side::Union).await);
    let p = open_maturity(&s, &rt, &fac, false).await;
    let other = open_maturity(&s, &rt, &fac, false).await;
    // An option of another poll is as unknown as a made-up one.
    for bad in [other.options[0].id.clone(), "x,y".to_string()] {
        let input = BallotInput {
            choices: Some(vec![bad.clone()]),
            ..BallotInput::default()
        };
        assert_eq!(
            s.cast_ballot(&p, &voter, &input, 30).await.unwrap(),
            Err(CastRefusal::Invalid(BallotError::UnknownOption { id: bad }))
        );
    }
    assert_eq!(
        s.cast_ballot(&p, &voter, &choose(&p, &[0, 1]), 30)
            .await
            .unwrap(),
        Err(CastRefusal::Invalid(BallotError::TooManyChoices { max: 1 }))
    );
    let text = poll_with(
        &s,
        &rt,
        &fac,
        PollSpecInput {
            question: "One word?".into(),
            kind: Some(PollKind::Text),
            ..PollSpecInput::default()
        },
    )
    .await;
    let text = s
        .set_poll_status(
            &text.id,
            PollStatus::Open,
            31,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    let empty = BallotInput {
        text: Some("   ".into()),
        ..BallotInput::default()
    };
    assert_eq!(
        s.cast_ballot(&text, &voter, &empty, 32).await.unwrap(),
        Err(CastRefusal::Invalid(BallotError::EmptyText))
    );
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 0);
    assert_eq!(s.count_ballots(&text.id).await.unwrap(), 0);
}

async fn who_may_vote(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let (other_rt, other_fac) = roundtable(&s).await;
    let outsider = member(&s, &other_rt, &other_fac, Side::Union).await;
    let p = open_maturity(&s, &rt, &fac, false).await; // templates are audience polls
    assert_eq!(
        s.cast_ballot(&p, &Voter::User(outsider), &choose(&p, &[0]), 30)
            .await
            .unwrap(),
        Err(CastRefusal::NotEligible)
    );

    let session = live_session(&s, &rt, &fac).await;
    let audience = guest(&s, &session).await;
    assert_eq!(
        s.cast_ballot(&p, &audience, &choose(&p, &[1]), 32)
            .await
            .unwrap(),
        Ok(CastOutcome::Cast)
    );
    let ballots = s.ballots_for_tally(&p).await.unwrap();
    assert_eq!(ballots.len(), 1);
    assert_eq!(ballots[0].side, None, "the audience has no side");

    // A participants-only poll is closed to the audience.
    let mut input = template("sourcing").unwrap().input(Lang::En);
    input.audience = false;
    let internal = poll_with(&s, &rt, &fac, input).await;
    let internal = s
        .set_poll_status(
            &internal.id,
            PollStatus::Open,
            33,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.cast_ballot(&internal, &audience, &choose(&internal, &[0]), 34)
            .await
            .unwrap(),
        Err(CastRefusal::NotEligible)
    );
    // Even if a stale or forged poll copy claims it is an audience poll.
    let mut forged = internal.clone();
    forged.audience = true;
    assert_eq!(
        s.cast_ballot(&forged, &audience, &choose(&internal, &[0]), 34)
            .await
            .unwrap(),
        Err(CastRefusal::NotEligible)
    );

    // Once the live session ends, its audience can no longer vote.
    assert!(s
        .end_live_session(&session.id, 35, &accord_domain::audit::Actor::system())
        .await
        .unwrap());
    assert_eq!(
        s.cast_ballot(&p, &audience, &choose(&p, &[2]), 36)
            .await
            .unwrap(),
        Err(CastRefusal::NotEligible)
    );
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 1);
    assert_eq!(s.count_ballots(&internal.id).await.unwrap(), 0);
}

async fn every_kind_round_trips_and_tallies(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let voters = [
        member(&s, &rt, &fac, Side::Employer).await,
        member(&s, &rt, &fac, Side::Union).await,
        member(&s, &rt, &fac, Side::Union).await,
    ];
    for secret in [false, true] {
        for key in ["obstacles", "union_involvement", "inclusion_word"] {
            let mut input = template(key).unwrap().input(Lang::En);
            input.secret = secret;
            let p = poll_with(&s, &rt, &fac, input).await;
            let p = s
                .set_poll_status(
                    &p.id,
                    PollStatus::Open,
                    40,
                    &accord_domain::audit::Actor::system(),
                )
                .await
                .unwrap()
                .unwrap();
            for (i, v) in voters.iter().enumerate() {
                let input = match p.kind {
                    PollKind::Multiple => choose(&p, &[0, 1 + i % 3]),
                    PollKind::Rating => BallotInput {
                        rating: Some(2 + i as i64),
                        ..BallotInput::default()
                    },
                    _ => BallotInput {
                        text: Some(["Time and budget", "tid og budget", "unions early"][i].into()),
                        ..BallotInput::default()
                    },
                };
                assert_eq!(
                    s.cast_ballot(&p, &Voter::User(v.clone()), &input, 41)
                        .await
                        .unwrap(),
                    Ok(CastOutcome::Cast),
                    "{key}"
                );
            }
            let ballots = s.ballots_for_tally(&p).await.unwrap();
            let t = tally(&p, &ballots);
            assert_eq!(t.total, 3);
            assert_eq!((t.by_side.employer, t.by_side.union), (1, 2));
            assert_eq!(tally_weighted(&p, &s.ballot_groups(&p).await.unwrap()), t);
            match p.kind {
                PollKind::Multiple => assert_eq!(t.options[0].count, 3),
                PollKind::Rating => assert_eq!(t.rating.unwrap().mean, Some(3.0)),
                _ => assert_eq!(t.words[0].word, "budget"),
            }
        }
    }
    // Ranking, with a partial ranking among the ballots.
    let p = poll_with(
        &s,
        &rt,
        &fac,
        PollSpecInput {
            question: "Rank the obstacles".into(),
            kind: Some(PollKind::Ranking),
            options: vec!["Time".into(), "Skills".into(), "Planning".into()],
            ..PollSpecInput::default()
        },
    )
    .await;
    let p = s
        .set_poll_status(
            &p.id,
            PollStatus::Open,
            40,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    let rank = |order: &[usize]| BallotInput {
        ranking: Some(order.iter().map(|i| p.options[*i].id.clone()).collect()),
        ..BallotInput::default()
    };
    for (v, order) in voters.iter().zip([&[2usize, 0, 1][..], &[0, 2, 1], &[2]]) {
        s.cast_ballot(&p, &Voter::User(v.clone()), &rank(order), 41)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        s.my_ballot(&p, &Voter::User(voters[2].clone()))
            .await
            .unwrap(),
        Some(Ballot::Ranking(vec![p.options[2].id.clone()]))
    );
    let t = tally(&p, &s.ballots_for_tally(&p).await.unwrap());
    let top: Vec<(&str, u64)> = t
        .ranking
        .iter()
        .map(|r| (r.label.as_str(), r.points))
        .collect();
    assert_eq!(top, [("Planning", 8), ("Time", 5), ("Skills", 2)]);
}

async fn live_sessions_and_audience(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let new = |code: &str| NewLiveSession {
        id: id(),
        roundtable_id: rt.clone(),
        join_code: code.into(),
        created_by: fac.clone(),
        created_at: 50,
    };
    let live = s
        .create_live_session(&new("ABCD-2345"), &accord_domain::audit::Actor::system())
        .await
        .unwrap();
    assert_eq!(live.ended_at, None);
    assert_eq!(
        s.live_session_by_code("ABCD-2345").await.unwrap(),
        Some(live.clone())
    );
    assert_eq!(
        s.active_live_session(&rt).await.unwrap(),
        Some(live.clone())
    );
    assert!(matches!(
        s.create_live_session(&new("WXYZ-6789"), &accord_domain::audit::Actor::system())
            .await,
        Err(StoreError::Conflict("live_session_active"))
    ));

    let hash = "a".repeat(64);
    let m = s
        .create_audience_member(&NewAudienceMember {
            id: id(),
            live_session_id: live.id.clone(),
            token_hash: hash.clone(),
            display_name: Some("Guest".into()),
            created_at: 51,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.roundtable_id, rt);
    assert_eq!(
        s.audience_member_by_token(&hash).await.unwrap(),
        Some(m.clone())
    );
    assert_eq!(s.audience_member_by_token("nope").await.unwrap(), None);
    assert!(s
        .rename_audience_member(&m.id, Some("Renamed"))
        .await
        .unwrap());
    assert_eq!(
        s.audience_member_by_token(&hash)
            .await
            .unwrap()
            .unwrap()
            .display_name
            .as_deref(),
        Some("Renamed")
    );
    assert!(!s.rename_audience_member(&id(), None).await.unwrap());
    assert!(matches!(
        s.create_audience_member(&NewAudienceMember {
            id: id(),
            live_session_id: live.id.clone(),
            token_hash: hash.clone(),
            display_name: None,
            created_at: 51,
        })
        .await,
        Err(StoreError::Conflict("audience_token"))
    ));

    assert!(s
        .end_live_session(&live.id, 60, &accord_domain::audit::Actor::system())
        .await
        .unwrap());
    assert!(!s
        .end_live_session(&live.id, 61, &accord_domain::audit::Actor::system())
        .await
        .unwrap());
    assert_eq!(s.live_session_by_code("ABCD-2345").await.unwrap(), None);
    assert_eq!(s.active_live_session(&rt).await.unwrap(), None);
    assert_eq!(
        s.audience_member_by_token(&hash)
            .await
            .unwrap()
            .unwrap()
            .session_ended_at,
        Some(60)
    );
    assert_eq!(
        s.create_audience_member(&NewAudienceMember {
            id: id(),
            live_session_id: live.id.clone(),
            token_hash: "b".repeat(64),
            display_name: None,
            created_at: 62,
        })
        .await
        .unwrap(),
        None,
        "an ended session admits nobody"
    );
    // Codes are never reused, even after their session ended.
    assert!(matches!(
        s.create_live_session(&new("ABCD-2345"), &accord_domain::audit::Actor::system())
            .await,
        Err(StoreError::Conflict("join_code"))
    ));
    let next = s
        .create_live_session(&new("WXYZ-6789"), &accord_domain::audit::Actor::system())
        .await
        .unwrap();
    assert_eq!(s.active_live_session(&rt).await.unwrap(), Some(next));
}

/// Raw access to the tables, to check what the store API cannot show.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(url: &str) -> Raw {
        if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    async fn columns(&self, table: &str) -> Vec<String> {
        let rows: Vec<(String,)> = match self {
            Raw::Sqlite(p) => sqlx::query_as("SELECT name FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(p)
                .await
                .unwrap(),
            Raw::Postgres(p) => sqlx::query_as(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
            )
            .bind(table)
            .fetch_all(p)
            .await
            .unwrap(),
        };
        rows.into_iter().map(|(c,)| c).collect()
    }

    /// Every anonymous ballot's stored values, as text.
    async fn anonymous_values(&self) -> Vec<String> {
        let sql = "SELECT id || ' ' || poll_id || ' ' || COALESCE(side, '') || ' ' || \
                   COALESCE(choices, '') || ' ' || COALESCE(text, '') FROM anonymous_ballots";
        let rows: Vec<(String,)> = match self {
            Raw::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            Raw::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        };
        assert!(!rows.is_empty());
        rows.into_iter().map(|(v,)| v).collect()
    }

    /// SQLite: the secret tables have no rowid that would count up in
    /// insertion order. PostgreSQL: after the close, all rows of the poll
    /// share one xmin, so the writing transaction pairs nobody.
    async fn no_insertion_order(&self) {
        match self {
            Raw::Sqlite(p) => {
                for table in ["anonymous_ballots", "poll_voters"] {
                    let r = sqlx::query(&format!("SELECT rowid FROM {table}"))
                        .fetch_all(p)
                        .await;
                    assert!(r.is_err(), "{table} must be WITHOUT ROWID");
                }
            }
            Raw::Postgres(p) => {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(DISTINCT xmin::text) FROM \
                     (SELECT xmin FROM anonymous_ballots UNION ALL SELECT xmin FROM poll_voters) t",
                )
                .fetch_one(p)
                .await
                .unwrap();
                assert_eq!(n, 1, "closing rewrote every secret row in one transaction");
            }
        }
    }
}

async fn batched_ballots_commit_together_with_their_own_outcomes(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, false).await;
    let e = Voter::User(member(&s, &rt, &fac, Side::Employer).await);
    let u = Voter::User(member(&s, &rt, &fac, Side::Union).await);
    let outsider = Voter::User(user(&s, "outsider").await);
    let bad = BallotInput {
        choices: Some(vec!["nope".into()]),
        ..BallotInput::default()
    };
    let batch = vec![
        (e.clone(), choose(&p, &[0])),
        (u.clone(), choose(&p, &[1])),
        (e.clone(), choose(&p, &[2])),
        (u.clone(), bad),
        (outsider, choose(&p, &[0])),
    ];
    let out = s.cast_open_ballots(&p, &batch, 30).await.unwrap();
    assert_eq!(out[0], Ok(CastOutcome::Cast));
    assert_eq!(out[1], Ok(CastOutcome::Cast));
    assert_eq!(
        out[2],
        Ok(CastOutcome::Changed),
        "a second ballot in the same batch changes the first"
    );
    assert!(matches!(
        out[3],
        Err(CastRefusal::Invalid(BallotError::UnknownOption { .. }))
    ));
    assert_eq!(out[4], Err(CastRefusal::NotEligible));
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 2);
    let t = tally(&p, &s.ballots_for_tally(&p).await.unwrap());
    assert_eq!(
        (t.options[1].count, t.options[2].count, t.options[0].count),
        (1, 1, 0)
    );

    // Closed polls refuse the whole batch, one outcome each.
    s.set_poll_status(
        &p.id,
        PollStatus::Closed,
        40,
        &accord_domain::audit::Actor::system(),
    )
    .await
    .unwrap()
    .unwrap();
    let out = s
        .cast_open_ballots(&p, &[(e, choose(&p, &[3]))], 41)
        .await
        .unwrap();
    assert!(matches!(
        out[0],
        Err(CastRefusal::Invalid(BallotError::PollNotOpen { .. }))
    ));
    // Secret polls are never batched.
    let secret = open_maturity(&s, &rt, &fac, true).await;
    assert!(s
        .cast_open_ballots(&secret, &[(u, choose(&secret, &[0]))], 42)
        .await
        .is_err());
}

async fn a_conference_batch_mixes_audience_and_participants(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let p = open_maturity(&s, &rt, &fac, false).await; // an audience poll
    let e = Voter::User(member(&s, &rt, &fac, Side::Employer).await);
    let session = live_session(&s, &rt, &fac).await;
    // More than one statement's worth of audience ballots.
    let mut guests = Vec::new();
    for _ in 0..520 {
        guests.push(guest(&s, &session).await);
    }
    // Someone from another roundtable's session is not eligible here.
    let (other_rt, other_fac) = roundtable(&s).await;
    let stranger = guest(&s, &live_session(&s, &other_rt, &other_fac).await).await;

    let mut batch: Vec<(Voter, BallotInput)> = guests
        .iter()
        .enumerate()
        .map(|(i, g)| (g.clone(), choose(&p, &[i % 5])))
        .collect();
    batch.push((e.clone(), choose(&p, &[4])));
    batch.push((stranger, choose(&p, &[0])));
    // The first guest changes their mind within the same batch.
    batch.push((guests[0].clone(), choose(&p, &[3])));
    let out = s.cast_open_ballots(&p, &batch, 40).await.unwrap();
    assert!(out[..520].iter().all(|o| *o == Ok(CastOutcome::Cast)));
    assert_eq!(out[520], Ok(CastOutcome::Cast));
    assert_eq!(out[521], Err(CastRefusal::NotEligible));
    assert_eq!(out[522], Ok(CastOutcome::Changed));
    assert_eq!(s.count_ballots(&p.id).await.unwrap(), 521);
    let t = tally(&p, &s.ballots_for_tally(&p).await.unwrap());
    // 520 guests over options 0..5 (104 each), guest 0 moved from 0 to 3, plus the employer on 4.
    let counts: Vec<u32> = t.options.iter().map(|o| o.count).collect();
    assert_eq!(counts, vec![103, 104, 104, 105, 105]);
}

/// A live session of `rt` with a unique join code.
async fn live_session(s: &Store, rt: &str, fac: &str) -> LiveSession {
    s.create_live_session(
        &NewLiveSession {
            id: id(),
            roundtable_id: rt.to_owned(),
            join_code: format!("C{}", &id()[..8]),
            created_by: fac.to_owned(),
            created_at: 30,
        },
        &accord_domain::audit::Actor::system(),
    )
    .await
    .unwrap()
}

/// An attendee who joined `session`, as a voter.
async fn guest(s: &Store, session: &LiveSession) -> Voter {
    let member = s
        .create_audience_member(&NewAudienceMember {
            id: id(),
            live_session_id: session.id.clone(),
            token_hash: id(),
            display_name: None,
            created_at: 31,
        })
        .await
        .unwrap()
        .unwrap();
    Voter::Audience(member.id)
}

fn spec(question: &str, options: &[&str]) -> PollSpecInput {
    PollSpecInput {
        question: question.into(),
        kind: Some(PollKind::Single),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        ..PollSpecInput::default()
    }
}

fn questions(polls: &[Poll]) -> Vec<&str> {
    polls.iter().map(|p| p.question.as_str()).collect()
}

async fn drafts_are_edited_and_deleted_opened_polls_never(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let draft = poll_with(&s, &rt, &fac, spec("Lunch?", &["Yes", "No"])).await;
    let mut edited = spec("Lunch at noon?", &["Yes", "No", "Later"]);
    edited.secret = true;
    let after = s
        .edit_draft_poll(&draft.id, &validate_spec(&edited).unwrap(), None)
        .await
        .unwrap()
        .expect("a draft is edited");
    assert_eq!(after.question, "Lunch at noon?");
    assert!(after.secret);
    assert_eq!(after.status, PollStatus::Draft);
    let labels: Vec<_> = after.options.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["Yes", "No", "Later"]);
    assert_eq!(s.poll(&draft.id).await.unwrap().unwrap(), after);

    // Open and closed polls refuse both, and nothing about them changes.
    let open = open_maturity(&s, &rt, &fac, false).await;
    let voter = member(&s, &rt, &fac, Side::Union).await;
    s.cast_ballot(&open, &Voter::User(voter), &choose(&open, &[0]), 22)
        .await
        .unwrap()
        .unwrap();
    let any = validate_spec(&spec("Changed?", &["A", "B"])).unwrap();
    assert_eq!(
        s.edit_draft_poll(&open.id, &any, None).await.unwrap(),
        Err(DraftRefusal::NotDraft(PollStatus::Open))
    );
    assert_eq!(
        s.delete_draft_poll(&open.id).await.unwrap(),
        Err(DraftRefusal::NotDraft(PollStatus::Open))
    );
    let closed = s
        .set_poll_status(
            &open.id,
            PollStatus::Closed,
            23,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.edit_draft_poll(&open.id, &any, None).await.unwrap(),
        Err(DraftRefusal::NotDraft(PollStatus::Closed))
    );
    assert_eq!(
        s.delete_draft_poll(&open.id).await.unwrap(),
        Err(DraftRefusal::NotDraft(PollStatus::Closed))
    );
    assert_eq!(s.poll(&open.id).await.unwrap().unwrap(), closed);
    assert_eq!(s.count_ballots(&open.id).await.unwrap(), 1);

    let gone = s
        .delete_draft_poll(&draft.id)
        .await
        .unwrap()
        .expect("deleted");
    assert_eq!(gone.id, draft.id);
    assert!(s.poll(&draft.id).await.unwrap().is_none());
    assert_eq!(
        s.delete_draft_poll(&draft.id).await.unwrap(),
        Err(DraftRefusal::UnknownPoll)
    );
    assert_eq!(
        s.edit_draft_poll(&draft.id, &any, None).await.unwrap(),
        Err(DraftRefusal::UnknownPoll)
    );
    assert_eq!(s.polls_of(&rt).await.unwrap().len(), 1);
}

async fn a_duplicate_follows_its_original_and_the_order_is_one(s: Store, _url: String) {
    let (rt, fac) = roundtable(&s).await;
    let a = poll_with(&s, &rt, &fac, spec("A", &["1", "2"])).await;
    let b = poll_with(&s, &rt, &fac, spec("B", &["1", "2"])).await;
    let c = poll_with(&s, &rt, &fac, spec("C", &["1", "2"])).await;
    // Same created_at for all three: the agenda, not the clock, orders them.
    assert_eq!(questions(&s.polls_of(&rt).await.unwrap()), ["A", "B", "C"]);

    let opened = s
        .set_poll_status(
            &a.id,
            PollStatus::Open,
            30,
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .unwrap();
    let copy = s
        .duplicate_poll(&a.id, &id(), &fac, 31)
        .await
        .unwrap()
        .expect("duplicated");
    assert_eq!(copy.status, PollStatus::Draft);
    assert_eq!(copy.question, opened.question);
    assert_eq!(copy.kind, opened.kind);
    assert_eq!(
        (copy.secret, copy.audience, copy.results),
        (opened.secret, opened.audience, opened.results)
    );
    let labels = |p: &Poll| {
        p.options
            .iter()
            .map(|o| o.label.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(labels(&copy), labels(&opened));
    assert!(copy
        .options
        .iter()
        .all(|o| opened.options.iter().all(|x| x.id != o.id)));
    let listed = s.polls_of(&rt).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            a.id.as_str(),
            copy.id.as_str(),
            b.id.as_str(),
            c.id.as_str()
        ]
    );
    assert!(s
        .duplicate_poll(&id(), &id(), &fac, 32)
        .await
        .unwrap()
        .is_none());

    // A reorder names exactly the roundtable's polls; the list follows it.
    let order = vec![c.id.clone(), a.id.clone(), b.id.clone(), copy.id.clone()];
    s.set_poll_order(&rt, &order)
        .await
        .unwrap()
        .expect("reordered");
    let ids: Vec<String> = s
        .polls_of(&rt)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, order);
    for wrong in [
        vec![c.id.clone(), a.id.clone(), b.id.clone()],
        vec![c.id.clone(), a.id.clone(), b.id.clone(), b.id.clone()],
        vec![
            c.id.clone(),
            a.id.clone(),
            b.id.clone(),
            copy.id.clone(),
            id(),
        ],
        vec![c.id.clone(), a.id.clone(), b.id.clone(), id()],
    ] {
        assert_eq!(
            s.set_poll_order(&rt, &wrong).await.unwrap(),
            Err(OrderRefusal::NotTheAgenda)
        );
    }
    let ids: Vec<String> = s
        .polls_of(&rt)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, order, "a refused order changes nothing");
    // Another roundtable's poll is not this agenda's.
    let (other, ofac) = roundtable(&s).await;
    let stranger = poll_with(&s, &other, &ofac, spec("X", &["1", "2"])).await;
    let mut mixed = order.clone();
    mixed[0] = stranger.id.clone();
    assert_eq!(
        s.set_poll_order(&rt, &mixed).await.unwrap(),
        Err(OrderRefusal::NotTheAgenda)
    );

    // New polls go last; a deleted draft leaves the rest in order.
    let d = poll_with(&s, &rt, &fac, spec("D", &["1", "2"])).await;
    s.delete_draft_poll(&b.id).await.unwrap().unwrap();
    let ids: Vec<String> = s
        .polls_of(&rt)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, [c.id.clone(), a.id.clone(), copy.id.clone(), d.id]);
}
