//! The store's story, told once and run against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use accord_domain::{Role, Side, Theme};
use accord_store::testing::fresh_store;
use accord_store::{AcceptRefusal, NewInvitation, NewRoundtable, NewUser, Store, StoreError};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { if let Some(s) = super::store(false).await { super::$name(s).await } })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { if let Some(s) = super::store(true).await { super::$name(s).await } })*
        }
    };
}

on_both_backends!(
    accounts_and_sessions,
    roundtable_membership,
    invitations_single_use,
    invitations_expire,
    concurrent_acceptance_admits_one,
    last_facilitator_is_kept,
);

async fn store(postgres: bool) -> Option<Store> {
    fresh_store(postgres).await.expect("connect and migrate")
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn user(s: &Store, email: &str) -> String {
    let u = NewUser {
        id: id(),
        email: email.into(),
        display_name: email.split('@').next().unwrap_or("x").into(),
        password_hash: "$argon2id$fake".into(),
        created_at: 1,
    };
    s.create_user(&u).await.expect("create user").id
}

async fn roundtable(s: &Store, by: &str) -> String {
    let r = NewRoundtable {
        id: id(),
        title: "Gender diversity".into(),
        theme: Theme::GenderDiversity,
        description: "".into(),
        created_by: by.into(),
        created_at: 10,
        organisation: "Steering group".into(),
    };
    s.create_roundtable(&r).await.expect("create roundtable").id
}

async fn invite(s: &Store, rt: &str, by: &str, token: &str, single_use: bool, expires_at: i64) {
    s.create_invitation(&NewInvitation {
        token_hash: token.into(),
        roundtable_id: rt.into(),
        side: Side::Union,
        role: Role::Member,
        single_use,
        created_by: by.into(),
        created_at: 10,
        expires_at,
    })
    .await
    .expect("create invitation");
}

async fn accounts_and_sessions(s: Store) {
    s.ping().await.expect("ping");
    let ann = user(&s, "ann@example.org").await;
    let dup = NewUser {
        id: id(),
        email: "ann@example.org".into(),
        display_name: "Other".into(),
        password_hash: "h".into(),
        created_at: 2,
    };
    assert!(matches!(
        s.create_user(&dup).await,
        Err(StoreError::Conflict("email"))
    ));
    let (found, hash) = s
        .user_with_password("ann@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, ann);
    assert_eq!(hash, "$argon2id$fake");
    assert!(s
        .user_with_password("bob@example.org")
        .await
        .unwrap()
        .is_none());

    s.create_session("h1", &ann, 100, 200).await.unwrap();
    assert_eq!(
        s.session_user("h1", 150).await.unwrap().map(|u| u.id),
        Some(ann.clone())
    );
    assert!(
        s.session_user("h1", 200).await.unwrap().is_none(),
        "expired"
    );
    assert!(s.session_user("h2", 150).await.unwrap().is_none());
    s.delete_session("h1").await.unwrap();
    assert!(
        s.session_user("h1", 150).await.unwrap().is_none(),
        "revoked"
    );
    s.create_session("h3", &ann, 100, 120).await.unwrap();
    assert_eq!(s.delete_expired_sessions(130).await.unwrap(), 1);
}

async fn roundtable_membership(s: Store) {
    let ann = user(&s, "ann@example.org").await;
    let bob = user(&s, "bob@example.org").await;
    let rt = roundtable(&s, &ann).await;
    let mine = s.roundtables_of(&ann).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].side, mine[0].role),
        (Side::Neutral, Role::Facilitator)
    );
    assert!(s.roundtables_of(&bob).await.unwrap().is_empty());
    assert!(s.participant(&rt, &bob).await.unwrap().is_none());
    assert_eq!(
        s.roundtable(&rt).await.unwrap().unwrap().theme,
        Theme::GenderDiversity
    );
    assert!(s.roundtable("nope").await.unwrap().is_none());

    invite(&s, &rt, &ann, "t1", true, 1_000).await;
    let p = s
        .accept_invitation("t1", &bob, "3F", 20)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.side, p.role, p.organisation.as_str()),
        (Side::Union, Role::Member, "3F")
    );
    assert_eq!(p.display_name, "bob");
    let all = s.participants(&rt).await.unwrap();
    assert_eq!(all.len(), 2);

    let p = s
        .set_participant_role(
            &rt,
            &bob,
            Role::Observer,
            &accord_domain::audit::Actor::system(),
            1,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.role, Role::Observer);
    assert!(s
        .set_participant_role(
            &rt,
            "nobody",
            Role::Member,
            &accord_domain::audit::Actor::system(),
            1
        )
        .await
        .unwrap()
        .is_none());
    assert!(s
        .remove_participant(&rt, &bob, &accord_domain::audit::Actor::system(), 1)
        .await
        .unwrap());
    assert!(!s
        .remove_participant(&rt, &bob, &accord_domain::audit::Actor::system(), 1)
        .await
        .unwrap());
    assert_eq!(s.participants(&rt).await.unwrap().len(), 1);
}

async fn invitations_single_use(s: Store) {
    let ann = user(&s, "ann@example.org").await;
    let bob = user(&s, "bob@example.org").await;
    let cem = user(&s, "cem@example.org").await;
    let rt = roundtable(&s, &ann).await;
    invite(&s, &rt, &ann, "once", true, 1_000).await;
    assert_eq!(
        s.accept_invitation("once", &ann, "x", 20).await.unwrap(),
        Err(AcceptRefusal::AlreadyParticipant)
    );
    // The refused attempt must not have used up the token.
    assert!(s
        .accept_invitation("once", &bob, "x", 20)
        .await
        .unwrap()
        .is_ok());
    assert_eq!(
        s.accept_invitation("once", &cem, "x", 21).await.unwrap(),
        Err(AcceptRefusal::AlreadyUsed)
    );
    assert_eq!(
        s.accept_invitation("unknown", &cem, "x", 21).await.unwrap(),
        Err(AcceptRefusal::Unknown)
    );
    invite(&s, &rt, &ann, "many", false, 1_000).await;
    assert!(s
        .accept_invitation("many", &cem, "x", 22)
        .await
        .unwrap()
        .is_ok());
    let inv = s.invitation("many").await.unwrap().unwrap();
    assert!(!inv.single_use);
    assert_eq!(inv.roundtable_title, "Gender diversity");
}

async fn invitations_expire(s: Store) {
    let ann = user(&s, "ann@example.org").await;
    let bob = user(&s, "bob@example.org").await;
    let rt = roundtable(&s, &ann).await;
    invite(&s, &rt, &ann, "old", true, 50).await;
    assert_eq!(
        s.accept_invitation("old", &bob, "x", 50).await.unwrap(),
        Err(AcceptRefusal::Expired)
    );
    assert!(s.participant(&rt, &bob).await.unwrap().is_none());
}

async fn concurrent_acceptance_admits_one(s: Store) {
    let ann = user(&s, "ann@example.org").await;
    let rt = roundtable(&s, &ann).await;
    invite(&s, &rt, &ann, "race", true, 1_000).await;
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(user(&s, &format!("u{i}@example.org")).await);
    }
    let tasks: Vec<_> = users
        .iter()
        .map(|u| {
            let s = s.clone();
            let u = u.clone();
            tokio::spawn(async move { s.accept_invitation("race", &u, "x", 30).await })
        })
        .collect();
    let mut admitted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(Ok(_)) => admitted += 1,
            Ok(Err(AcceptRefusal::AlreadyUsed)) => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(admitted, 1);
    assert_eq!(s.participants(&rt).await.unwrap().len(), 2);
}

async fn last_facilitator_is_kept(s: Store) {
    let ann = user(&s, "ann@example.org").await;
    let rt = roundtable(&s, &ann).await;
    assert!(matches!(
        s.set_participant_role(
            &rt,
            &ann,
            Role::Member,
            &accord_domain::audit::Actor::system(),
            1
        )
        .await,
        Err(StoreError::Conflict("last_facilitator"))
    ));
    assert!(matches!(
        s.remove_participant(&rt, &ann, &accord_domain::audit::Actor::system(), 1)
            .await,
        Err(StoreError::Conflict("last_facilitator"))
    ));
    assert_eq!(
        s.participant(&rt, &ann).await.unwrap().unwrap().role,
        Role::Facilitator
    );
}
