//! Demo data from the DUFA report: a gender-diversity roundtable with both sides.

use crate::passwords::Passwords;
use crate::sessions;
use accord_domain::{Role, Side, Theme};
use accord_store::{NewInvitation, NewRoundtable, NewUser, Store, StoreError};

pub const DEMO_PASSWORD: &str = "dialogue-2026";

const PEOPLE: &[(&str, &str, Side, Role, &str)] = &[
    (
        "facilitator@demo.accord",
        "Freja Facilitator",
        Side::Neutral,
        Role::Facilitator,
        "DUFA steering group",
    ),
    (
        "employer@demo.accord",
        "Erik Employer",
        Side::Employer,
        Role::Member,
        "ETNO",
    ),
    (
        "union@demo.accord",
        "Ulla Union",
        Side::Union,
        Role::Member,
        "UNI Europa",
    ),
];

const DESCRIPTION: &str = "Design a digital upskilling programme that reaches women. \
Survey figures: 94% of organisations have a long-term digital strategy, yet only 19% of \
programmes involve women. Building blocks: remove bias from HR processes, mentoring by men \
and women, role models and networks, 50% women in development and talent programmes, \
return-to-work upskilling in flexible formats.";

/// Loads the demo once; running it again changes nothing. Returns a summary for the console.
pub async fn load(store: &Store) -> anyhow::Result<String> {
    if store.user_with_password(PEOPLE[0].0).await?.is_some() {
        return Ok("Demo data already present.".into());
    }
    let passwords = Passwords::new().await?;
    let hash = passwords.hash(DEMO_PASSWORD.into()).await?;
    let now = sessions::now();
    let mut ids = Vec::new();
    for (email, name, ..) in PEOPLE {
        let user = store
            .create_user(&NewUser {
                id: uuid::Uuid::new_v4().to_string(),
                email: (*email).into(),
                display_name: (*name).into(),
                password_hash: hash.clone(),
                created_at: now,
            })
            .await?;
        ids.push(user.id);
    }
    let roundtable = store
        .create_roundtable(&NewRoundtable {
            id: uuid::Uuid::new_v4().to_string(),
            title: "Gender diversity in digital upskilling".into(),
            theme: Theme::GenderDiversity,
            description: DESCRIPTION.into(),
            created_by: ids[0].clone(),
            created_at: now,
            organisation: PEOPLE[0].4.into(),
        })
        .await?;
    // Members join the way real people do: through an invitation each.
    for ((_, _, side, role, org), id) in PEOPLE.iter().zip(&ids).skip(1) {
        let token_hash = sessions::hash_token(&sessions::new_token());
        store
            .create_invitation(&NewInvitation {
                token_hash: token_hash.clone(),
                roundtable_id: roundtable.id.clone(),
                side: *side,
                role: *role,
                single_use: true,
                created_by: ids[0].clone(),
                created_at: now,
                expires_at: now + 3600,
            })
            .await?;
        store
            .accept_invitation(&token_hash, id, org, now)
            .await?
            .map_err(|r| StoreError::Corrupt(format!("demo invitation refused: {r:?}")))?;
    }
    let who: Vec<String> = PEOPLE
        .iter()
        .map(|p| format!("  {} ({})", p.0, p.4))
        .collect();
    Ok(format!(
        "Demo loaded: \"{}\". Sign in as any of these with password {DEMO_PASSWORD}:\n{}",
        roundtable.title,
        who.join("\n")
    ))
}
