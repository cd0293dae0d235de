//! Two live hubs (two nodes) over one store and a bus that loses notes on
//! purpose: whatever a node misses, even the last note, it repairs from the
//! store within a few seconds, and pushes each viewer only what they may see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_domain::polls::secrecy::MinGroup;
use accord_domain::polls::{validate_spec, BallotInput, Poll, PollKind, PollSpecInput, PollStatus};
use accord_domain::{Role, Side, Theme};
use accord_realtime::bus::Bus;
use accord_realtime::live::{LiveHub, LiveOut, Viewer, HIGH_WATER_EVERY};
use accord_store::testing::fresh_store;
use accord_store::{
    NewAudienceMember, NewLiveSession, NewPoll, NewQuestion, NewRoundtable, NewUser, Question,
    Store, Voter,
};
use serde_json::Value;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

/// A lost note must be repaired within one high-water period, plus slack
/// for a loaded machine.
const REPAIRED_WITHIN: Duration = Duration::from_secs(2 * HIGH_WATER_EVERY.as_secs() + 1);

fn id() -> String {
    Uuid::new_v4().to_string()
}

struct World {
    store: Store,
    buses: Vec<Bus>,
    a: LiveHub,
    b: LiveHub,
    user: String,
    rt: String,
    session: String,
}

async fn world() -> World {
    let store = fresh_store(false).await.unwrap().unwrap();
    let buses = Bus::linked(2);
    let a = LiveHub::new(store.clone(), buses[0].clone(), MinGroup::default());
    let b = LiveHub::new(store.clone(), buses[1].clone(), MinGroup::default());
    let user = store
        .create_user(&NewUser {
            id: id(),
            email: format!("{}@example.org", id()),
            display_name: "Freja".into(),
            password_hash: "$argon2id$fake".into(),
            created_at: 1,
        })
        .await
        .unwrap()
        .id;
    let rt = store
        .create_roundtable(&NewRoundtable {
            id: id(),
            title: "Closing conference".into(),
            theme: Theme::GenderDiversity,
            description: String::new(),
            created_by: user.clone(),
            created_at: 2,
            organisation: "Org".into(),
        })
        .await
        .unwrap()
        .id;
    let session = store
        .create_live_session(
            &NewLiveSession {
                id: id(),
                roundtable_id: rt.clone(),
                join_code: "ABCDEFGHJ".into(),
                created_by: user.clone(),
                created_at: 3,
            },
            &accord_domain::audit::Actor::system(),
        )
        .await
        .unwrap()
        .id;
    World {
        store,
        buses,
        a,
        b,
        user,
        rt,
        session,
    }
}

impl World {
    fn facilitator(&self) -> Viewer {
        Viewer::Participant {
            user_id: self.user.clone(),
            display_name: "Freja".into(),
            side: Side::Neutral,
            role: Role::Facilitator,
        }
    }

    async fn audience_member(&self) -> String {
        self.store
            .create_audience_member(&NewAudienceMember {
                id: id(),
                live_session_id: self.session.clone(),
                token_hash: id(),
                display_name: Some("Attendee".into()),
                created_at: 4,
            })
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// A subscriber on node B.
    async fn watch_on_b(&self, viewer: Viewer) -> mpsc::Receiver<LiveOut> {
        let (tx, rx) = mpsc::channel(256);
        self.b.subscribe(&self.rt, viewer, tx);
        rx
    }

    async fn audience_on_b(&self) -> mpsc::Receiver<LiveOut> {
        let member_id = self.audience_member().await;
        self.watch_on_b(Viewer::Audience {
            member_id,
            live_session_id: self.session.clone(),
        })
        .await
    }

    /// Node A's next `n` notes never reach node B.
    fn lose_next_from_a(&self, n: u64) {
        self.buses[0].drop_next_for_tests(n);
    }

    async fn ask(&self, author_key: &str, name: &str, status: &str) -> Question {
        self.store
            .create_question(&NewQuestion {
                id: id(),
                roundtable_id: self.rt.clone(),
                author_key: author_key.into(),
                author_name: Some(name.into()),
                text: "How is employment measured after training?".into(),
                status: status.parse().unwrap(),
                created_at: 5,
            })
            .await
            .unwrap()
    }

    async fn audience_poll(&self) -> Poll {
        let spec = validate_spec(&PollSpecInput {
            question: "Ready?".into(),
            kind: Some(PollKind::Single),
            options: vec!["Yes".into(), "No".into()],
            max_choices: None,
            scale_min: None,
            scale_max: None,
            secret: false,
            audience: true,
            results: None,
        })
        .unwrap();
        self.store
            .create_poll(&NewPoll {
                id: id(),
                roundtable_id: self.rt.clone(),
                created_by: self.user.clone(),
                created_at: 6,
                spec,
                subject: None,
            })
            .await
            .unwrap()
    }

    async fn open(&self, poll: &Poll) -> Poll {
        self.store
            .set_poll_status(
                &poll.id,
                PollStatus::Open,
                7,
                &accord_domain::audit::Actor::system(),
            )
            .await
            .unwrap()
            .unwrap()
    }

    async fn vote(&self, poll: &Poll) {
        let member = self.audience_member().await;
        let choice = BallotInput {
            choices: Some(vec![poll.options[0].id.clone()]),
            ..BallotInput::default()
        };
        self.store
            .cast_ballot(poll, &Voter::Audience(member), &choice, 8)
            .await
            .unwrap()
            .unwrap();
        self.a.mark_dirty(&self.rt, &poll.id);
    }
}

/// The next message for which `pred` holds within `within` (others are
/// skipped), with its raw text; `None` on timeout.
async fn next(
    rx: &mut mpsc::Receiver<LiveOut>,
    within: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Option<(Value, String)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(LiveOut::Text(bytes))) => {
                let raw = String::from_utf8(bytes.to_vec()).unwrap();
                let v: Value = serde_json::from_str(&raw).unwrap();
                if pred(&v) {
                    return Some((v, raw));
                }
            }
            Ok(Some(LiveOut::Close(reason))) => panic!("closed: {reason}"),
            Ok(None) => panic!("hub dropped the subscriber"),
            Err(_) => return None,
        }
    }
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == kind
}

/// Until `rx` is closed by the hub, skipping messages; the close reason.
async fn closed(rx: &mut mpsc::Receiver<LiveOut>, within: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(LiveOut::Text(_))) => {}
            Ok(Some(LiveOut::Close(reason))) => return Some(reason),
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Lets node B read the room's state when it opens there.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_lost_question_note_is_repaired_and_the_audience_gets_no_name() {
    let w = world().await;
    let mut fac = w.watch_on_b(w.facilitator()).await;
    let mut aud = w.audience_on_b().await;
    settle().await;

    w.lose_next_from_a(1);
    let q = w.ask(&format!("user:{}", id()), "Erik", "approved").await;
    w.a.question_changed(&q).await;

    let (seen, _) = next(&mut fac, REPAIRED_WITHIN, is("question"))
        .await
        .expect("the facilitator on B gets the question despite the lost note");
    assert_eq!(seen["question"]["id"], q.id.as_str());
    assert_eq!(seen["question"]["author_name"], "Erik");
    let (seen, raw) = next(&mut aud, REPAIRED_WITHIN, is("question"))
        .await
        .expect("the audience on B gets the approved question");
    assert_eq!(seen["question"]["from"], "participant");
    assert!(!raw.contains("Erik"), "no participant name: {raw}");
    assert!(seen["question"].get("author_name").is_none(), "{raw}");

    // Nothing lost now: a moderation reaches B at once, as the store has it.
    let hidden = w
        .store
        .set_question_status(&q.id, accord_domain::questions::QuestionStatus::Hidden)
        .await
        .unwrap()
        .unwrap();
    w.a.question_changed(&hidden).await;
    let (seen, _) = next(&mut fac, Duration::from_millis(500), is("question"))
        .await
        .expect("pushed without waiting for a mark");
    assert_eq!(seen["question"]["status"], "hidden");
}

#[tokio::test]
async fn a_lost_last_tally_note_is_repaired() {
    let w = world().await;
    let mut fac = w.watch_on_b(w.facilitator()).await;
    let mut aud = w.audience_on_b().await;
    settle().await;
    let poll = w.open(&w.audience_poll().await).await;
    w.a.poll_changed(&poll).await;
    let (p, _) = next(&mut aud, Duration::from_secs(2), is("poll"))
        .await
        .expect("the opened poll reaches B");
    assert_eq!(p["poll"]["status"], "open");

    w.vote(&poll).await;
    let total = |n: u64| move |v: &Value| v["type"] == "tally" && v["total"] == n;
    next(&mut fac, Duration::from_secs(2), total(1))
        .await
        .expect("the first vote's tally reaches B");
    // Let A's ticker send that vote's note before losing the next one.
    tokio::time::sleep(Duration::from_millis(400)).await;

    w.lose_next_from_a(1);
    w.vote(&poll).await;
    // Node A sends nothing after this lost note: only its high-water mark
    // can tell B that it missed one.
    let (t, _) = next(&mut fac, REPAIRED_WITHIN, total(2))
        .await
        .expect("B recomputes the tally after the lost last note");
    assert_eq!(t["options"][0]["count"], 2);
    let (t, raw) = next(&mut aud, REPAIRED_WITHIN, total(2))
        .await
        .expect("and the audience gets it too");
    assert!(t.get("by_side").is_none(), "{raw}");
}

#[tokio::test]
async fn drafts_stay_with_participants_and_a_resync_ends_an_ended_session() {
    let w = world().await;
    let mut fac = w.watch_on_b(w.facilitator()).await;
    let mut aud = w.audience_on_b().await;
    settle().await;

    let draft = w.audience_poll().await;
    w.a.poll_changed(&draft).await;
    let (p, _) = next(&mut fac, Duration::from_secs(2), is("poll"))
        .await
        .expect("facilitators see the draft");
    assert_eq!(p["poll"]["status"], "draft");
    let opened = w.open(&draft).await;
    w.a.poll_changed(&opened).await;
    let (p, _) = next(&mut aud, Duration::from_secs(2), is("poll"))
        .await
        .expect("the audience sees the poll once open");
    assert_eq!(p["poll"]["status"], "open", "the draft was never pushed");

    // Opening marked the poll dirty: let A's ticker send that note first.
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The session ends; the last note from A, which would make B look, is lost.
    w.store
        .end_live_session(&w.session, 9, &accord_domain::audit::Actor::system())
        .await
        .unwrap();
    w.lose_next_from_a(1);
    let q = w.ask(&format!("audience:{}", id()), "Ana", "pending").await;
    w.a.question_changed(&q).await;
    assert_eq!(
        closed(&mut aud, REPAIRED_WITHIN).await.as_deref(),
        Some("session_ended: The live session has ended.")
    );
    let (seen, _) = next(&mut fac, REPAIRED_WITHIN, is("question"))
        .await
        .expect("participants stay and get the repaired question");
    assert_eq!(seen["question"]["status"], "pending");
}
