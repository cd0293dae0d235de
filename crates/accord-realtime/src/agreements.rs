//! Agreements as participants see them: the rule, the electorate, each
//! voter's standing position with names and reasons, and the seal. The
//! same view answers REST and goes out on the event socket; the audience
//! never receives it (the live room sends it to participants only).

use crate::docs::HubError;
use crate::wire::rfc3339;
use accord_domain::agreement::{self, AgreementState, Electorate, Position, Rule, SideCount};
use accord_domain::Side;
use accord_store::{AgreementRecord, Store, StoredAgreement};
use serde::{Deserialize, Serialize};

/// Each side's standing positions, and whether the side meets the quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SideProgress {
    pub endorse: u32,
    pub object: u32,
    pub abstain: u32,
    /// Who may take a position for this side.
    pub electorate: u32,
    /// The side meets the rule's quorum (objections aside).
    pub satisfied: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub employer: SideProgress,
    pub union: SideProgress,
}

/// One member of the electorate and where they stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoterView {
    pub user_id: String,
    pub display_name: String,
    pub organisation: String,
    pub side: Side,
    /// Null while they have taken none.
    pub position: Option<Position>,
    pub reason: Option<String>,
    /// RFC 3339, of the standing position.
    pub at: Option<String>,
}

/// An agreement on one version, for participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementView {
    pub id: String,
    pub roundtable_id: String,
    pub document_id: String,
    pub version_id: String,
    pub version_number: i64,
    pub version_name: String,
    /// The version's SHA-256: the hash every position quotes.
    pub sha256: String,
    pub rule: Rule,
    pub state: AgreementState,
    /// Fixed when the agreement opened.
    pub electorate: Electorate,
    pub progress: Progress,
    /// The electorate, by side then name, with their positions.
    pub voters: Vec<VoterView>,
    pub proposed_by: ProposerView,
    /// RFC 3339.
    pub created_at: String,
    pub closes_at: Option<String>,
    /// When it was agreed, expired, withdrawn or superseded.
    pub decided_at: Option<String>,
    /// SHA-256 over the version's hash, the rule and the ordered positions; once agreed.
    pub seal: Option<String>,
    /// The agreement that superseded this one.
    pub superseded_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposerView {
    pub user_id: String,
    pub display_name: String,
}

fn side_progress(rule: Rule, electorate: u32, c: SideCount) -> SideProgress {
    SideProgress {
        endorse: c.endorse,
        object: c.object,
        abstain: c.abstain,
        electorate,
        satisfied: agreement::side_satisfied(rule.quorum, electorate, c.endorse),
    }
}

impl AgreementView {
    /// The view of a stored agreement with its voters.
    pub fn of(record: &AgreementRecord) -> AgreementView {
        let a = &record.agreement;
        let pairs: Vec<(Side, Position)> = record
            .voters
            .iter()
            .filter_map(|v| Some((v.side, v.position?)))
            .collect();
        let (employer, union) = agreement::count(&pairs);
        let mut view = summary(a);
        view.progress = Progress {
            employer: side_progress(a.rule, a.electorate.employer, employer),
            union: side_progress(a.rule, a.electorate.union, union),
        };
        view.voters = record
            .voters
            .iter()
            .map(|v| VoterView {
                user_id: v.user_id.clone(),
                display_name: v.display_name.clone(),
                organisation: v.organisation.clone(),
                side: v.side,
                position: v.position,
                reason: v.reason.clone(),
                at: v.at.map(rfc3339),
            })
            .collect();
        view
    }
}

/// The fields of an agreement that need no voters (progress and voters empty).
fn summary(a: &StoredAgreement) -> AgreementView {
    let none = |electorate| SideProgress {
        endorse: 0,
        object: 0,
        abstain: 0,
        electorate,
        satisfied: false,
    };
    AgreementView {
        id: a.id.clone(),
        roundtable_id: a.roundtable_id.clone(),
        document_id: a.document_id.clone(),
        version_id: a.version_id.clone(),
        version_number: a.version_number,
        version_name: a.version_name.clone(),
        sha256: a.sha256.clone(),
        rule: a.rule,
        state: a.state,
        electorate: a.electorate,
        progress: Progress {
            employer: none(a.electorate.employer),
            union: none(a.electorate.union),
        },
        voters: Vec::new(),
        proposed_by: ProposerView {
            user_id: a.proposed_by.clone(),
            display_name: a.proposed_by_name.clone(),
        },
        created_at: rfc3339(a.created_at),
        closes_at: a.closes_at.map(rfc3339),
        decided_at: a.decided_at.map(rfc3339),
        seal: a.seal.clone(),
        superseded_by: a.superseded_by.clone(),
    }
}

/// The agreement as now stored, if it exists.
pub async fn agreement_now(store: &Store, id: &str) -> Result<Option<AgreementView>, HubError> {
    Ok(store.agreement(id).await?.map(|r| AgreementView::of(&r)))
}
