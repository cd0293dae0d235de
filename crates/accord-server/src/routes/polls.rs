//! Polls: create (or from a template), edit and delete drafts, duplicate,
//! the agenda order, open, close, vote, results (JSON and CSV).

use super::roundtables::{membership, require};
use crate::app::AppState;
use crate::audience::Caller;
use crate::error::{ApiError, ApiResult, ErrorKind, Problem};
use crate::extract::{ApiJson, ApiPath, CurrentUser};
use crate::sessions;
use accord_domain::audit::Actor;
use accord_domain::polls::secrecy::raw_answers_publishable;
use accord_domain::polls::Ballot;
use accord_domain::polls::{
    results_visible, subject_allowed, template, validate_spec, AudienceTally, BallotError,
    BallotInput, BySide, Lang, Poll, PollKind, PollSpecInput, PollStatus, PollSubject, Tally,
    TEMPLATES,
};
use accord_domain::Action;
use accord_realtime::live::{audience_sees, Viewer};
use accord_realtime::results::published;
use accord_realtime::wire::rfc3339;
use accord_realtime::wire::PollView;
use accord_store::{CastRefusal, DraftRefusal, NewPoll, OrderRefusal, StatusRefusal};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LangQuery {
    /// en (default) or da
    pub lang: Option<String>,
}

/// A poll as the caller sees it over REST (the event socket's shape).
pub use accord_realtime::wire::PollForViewer as PollOut;

/// What `POST /roundtables/{id}/polls` takes: a poll written out, or one of
/// the templates from the brief.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Documents the body; the handler reads it as JSON to tell the two apart.
pub enum CreatePoll {
    Template {
        /// A template key (`GET /poll-templates`).
        template: String,
        #[schema(value_type = Option<String>, example = "da")]
        lang: Option<String>,
        /// Default true: templates are for conference audiences.
        audience: Option<bool>,
    },
    Spec {
        #[serde(flatten)]
        spec: PollSpecInput,
        /// What the poll decides: `{version_id}`, or a passage
        /// `{document_id, comment_id}` (a comment thread anchored to it), of
        /// this roundtable. Participants' polls only.
        subject: Option<PollSubject>,
    },
}

/// A poll's results: participants get the [`Tally`] with the split by
/// side (as far as a secret poll allows), the audience an [`AudienceTally`].
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ResultsOut {
    Participant(Tally),
    Audience(AudienceTally),
}

/// A ballot was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct BallotAccepted {
    pub poll_id: Uuid,
}

/// A poll template from the DUFA report.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    pub key: &'static str,
    pub question: String,
    pub kind: PollKind,
    pub options: Vec<String>,
}

/// The poll as a caller sees it, with whether they have voted.
pub async fn poll_out(state: &AppState, poll: &Poll, caller: &Caller) -> ApiResult<PollOut> {
    let voted = state.store.has_voted(&poll.id, &caller.voter()).await?;
    Ok(PollOut {
        poll: PollView::from(poll),
        voted,
    })
}

/// The poll, if the caller may see it: participants see their roundtable's
/// polls; the audience only the audience polls of their live session's
/// roundtable, once opened (drafts are 404 to them).
pub async fn visible_poll(
    state: &AppState,
    id: &str,
    caller: &Caller,
) -> ApiResult<(Poll, Viewer)> {
    let poll = state
        .store
        .poll(id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let viewer = poll_viewer(state, &poll, caller).await?;
    Ok((poll, viewer))
}

/// How `caller` may watch `poll`; 404 when not at all.
async fn poll_viewer(state: &AppState, poll: &Poll, caller: &Caller) -> ApiResult<Viewer> {
    let viewer = viewer_of(state, &poll.roundtable_id, caller).await?;
    if viewer.is_audience() && !audience_sees(poll) {
        return Err(ApiError::not_found());
    }
    Ok(viewer)
}

/// How `caller` may watch roundtable `rt`; 404 when not at all.
pub async fn viewer_of(state: &AppState, rt: &str, caller: &Caller) -> ApiResult<Viewer> {
    match caller {
        Caller::User(u) => {
            let id = Uuid::parse_str(rt).map_err(|_| ApiError::not_found())?;
            let p = membership(state, id, &u.id).await?;
            Ok(Viewer::Participant {
                user_id: u.id.clone(),
                display_name: u.display_name.clone(),
                side: p.side,
                role: p.role,
            })
        }
        Caller::Audience(m) if m.roundtable_id == rt => Ok(Viewer::Audience {
            member_id: m.id.clone(),
            live_session_id: m.live_session_id.clone(),
        }),
        Caller::Audience(_) => Err(ApiError::not_found()),
    }
}

/// Records a ballot (REST and WebSocket share this). The store re-checks
/// "open" and eligibility inside its write, so nothing here can race a close.
pub async fn cast(
    state: &AppState,
    caller: &Caller,
    poll_id: &str,
    input: &BallotInput,
) -> ApiResult<()> {
    // The socket sends the id as free text; what is no id names no poll
    // (and never reaches SQL, where PostgreSQL would refuse a NUL).
    let poll_id = Uuid::parse_str(poll_id)
        .map_err(|_| ApiError::not_found())?
        .to_string();
    let poll = state
        .ballots
        .poll(&poll_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let viewer = poll_viewer(state, &poll, caller).await?;
    if let Viewer::Participant { role, side, .. } = &viewer {
        if !accord_domain::allowed(Action::Vote, *role, *side) {
            return Err(ApiError::forbidden("Observers do not vote."));
        }
    }
    let outcome = if poll.secret {
        state
            .store
            .cast_ballot(&poll, &caller.voter(), input, sessions::now())
            .await?
    } else {
        // Non-secret ballots go through the group-commit writer.
        state
            .ballots
            .cast(poll.clone(), caller.voter(), input.clone())
            .await
            .map_err(ApiError::internal)?
    };
    match outcome {
        Ok(_) => {
            state.live.mark_dirty(&poll.roundtable_id, &poll.id);
            Ok(())
        }
        Err(CastRefusal::UnknownPoll) => Err(ApiError::not_found()),
        Err(CastRefusal::Invalid(BallotError::PollNotOpen { status })) => Err(ApiError::conflict(
            ErrorKind::PollNotOpen,
            &format!("The poll is {status}; ballots are accepted only while it is open."),
        )),
        Err(CastRefusal::Invalid(e)) => Err(ballot_error(&e)),
        Err(CastRefusal::NotEligible) => Err(ApiError::forbidden("You cannot vote in this poll.")),
        Err(CastRefusal::AlreadyVoted) => Err(ApiError::conflict(
            ErrorKind::AlreadyVoted,
            "You have already cast your secret ballot; it cannot be changed.",
        )),
    }
}

/// 422 unless the subject is a version, or a comment thread on a
/// document, of roundtable `rt` (an id from elsewhere names nothing here).
async fn subject_in(state: &AppState, rt: &str, subject: &PollSubject) -> ApiResult<()> {
    let unknown = || ApiError::invalid("subject", "names no version or passage of this roundtable");
    let document_id = match subject {
        PollSubject::Version { version_id } => {
            let Ok(v) = Uuid::parse_str(version_id) else {
                return Err(unknown());
            };
            state
                .store
                .version_summary(&v.to_string())
                .await?
                .ok_or_else(unknown)?
                .document_id
        }
        PollSubject::Passage {
            document_id,
            comment_id,
        } => {
            let (Ok(_), Ok(c)) = (Uuid::parse_str(document_id), Uuid::parse_str(comment_id)) else {
                return Err(unknown());
            };
            let thread = state
                .store
                .comment_thread(&c.to_string())
                .await?
                .ok_or_else(unknown)?;
            if thread.comment.document_id != *document_id || thread.is_gone() {
                return Err(unknown());
            }
            document_id.clone()
        }
    };
    match state.store.document(&document_id).await? {
        Some(d) if d.roundtable_id == rt => Ok(()),
        _ => Err(unknown()),
    }
}

/// A 422 naming `field`, whose message already names it, so the detail is the message alone.
fn named_invalid(field: &str, e: &impl std::fmt::Display) -> ApiError {
    let message = e.to_string();
    ApiError::invalid(field, message.clone()).detail(message)
}

fn ballot_error(e: &BallotError) -> ApiError {
    if let Some(field) = e.text_field() {
        return named_invalid(field, e);
    }
    let kind = match e {
        BallotError::UnknownOption { .. } => ErrorKind::UnknownOption,
        BallotError::TooManyChoices { .. } => ErrorKind::TooManyChoices,
        _ => ErrorKind::InvalidBallot,
    };
    ApiError::new(kind).detail(e.to_string())
}

#[utoipa::path(post, path = "/api/v1/roundtables/{id}/polls", tag = "polls",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    request_body = CreatePoll,
    responses(
        (status = 201, description = "Created as a draft", body = PollOut),
        (status = 403, description = "Only facilitators create polls", body = Problem),
        (status = 404, description = "Unknown roundtable or template", body = Problem),
        (status = 422, description = "Invalid poll", body = Problem)
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<PollOut>)> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::ManagePolls)?;
    let subject = match body.as_object_mut().and_then(|b| b.remove("subject")) {
        None => None,
        Some(v) => parse_subject(v)?,
    };
    let spec = if let Some(key) = body.get("template").and_then(Value::as_str) {
        let t = template(key)
            .ok_or_else(|| ApiError::invalid("template", "is not a known template"))?;
        let lang = match body.get("lang").and_then(Value::as_str) {
            Some(l) => l
                .parse::<Lang>()
                .map_err(|_| ApiError::invalid("lang", "must be en or da"))?,
            None => Lang::En,
        };
        let mut input = t.input(lang);
        input.audience = body
            .get("audience")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        validate_spec(&input)
    } else {
        let input: PollSpecInput =
            serde_json::from_value(body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
        validate_spec(&input)
    }
    .map_err(|e| named_invalid(&e.field(), &e))?;
    subject_allowed(spec.audience, subject.as_ref())
        .map_err(|m| ApiError::invalid("subject", m))?;
    if let Some(s) = &subject {
        subject_in(&state, &id.to_string(), s).await?;
    }
    let poll = state
        .store
        .create_poll(&NewPoll {
            id: Uuid::new_v4().to_string(),
            roundtable_id: id.to_string(),
            created_by: user.id.clone(),
            created_at: sessions::now(),
            spec,
            subject,
        })
        .await?;
    state.live.poll_changed(&poll).await;
    let out = poll_out(&state, &poll, &Caller::User(user)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// A `subject` as sent: null clears it.
fn parse_subject(v: Value) -> ApiResult<Option<PollSubject>> {
    match v {
        Value::Null => Ok(None),
        v => serde_json::from_value(v).map(Some).map_err(|_| {
            ApiError::invalid(
                "subject",
                "must be {version_id} or {document_id, comment_id}",
            )
        }),
    }
}

/// The poll and the caller's participation in its roundtable, if they may
/// manage its polls (404 for outsiders, 403 for the rest).
async fn managed_poll(
    state: &AppState,
    user: &accord_store::User,
    id: Uuid,
) -> ApiResult<(Poll, accord_store::Participant)> {
    let poll = state
        .store
        .poll(&id.to_string())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rt = Uuid::parse_str(&poll.roundtable_id).map_err(ApiError::internal)?;
    let me = membership(state, rt, &user.id).await?;
    require(&me, Action::ManagePolls)?;
    Ok((poll, me))
}

fn not_a_draft(status: PollStatus, what: &str) -> ApiError {
    ApiError::conflict(
        ErrorKind::PollStatus,
        &format!("The poll is {status}; only a draft can be {what}."),
    )
}

/// What `PATCH /polls/{id}` takes: the poll written out, as for create.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // Documents the body; the handler reads it as JSON.
pub struct EditPoll {
    #[serde(flatten)]
    pub spec: PollSpecInput,
    /// What the poll decides (as for create); absent keeps it, null clears it.
    pub subject: Option<PollSubject>,
}

#[utoipa::path(patch, path = "/api/v1/polls/{id}", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    request_body = EditPoll,
    responses(
        (status = 200, description = "The draft as now stored", body = PollOut),
        (status = 403, description = "Only facilitators edit polls", body = Problem),
        (status = 404, description = "Unknown poll", body = Problem),
        (status = 409, description = "Not a draft", body = Problem),
        (status = 422, description = "Invalid poll", body = Problem)
    ))]
pub async fn edit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(mut body): ApiJson<Value>,
) -> ApiResult<Json<PollOut>> {
    let (poll, _) = managed_poll(&state, &user, id).await?;
    if poll.status != PollStatus::Draft {
        return Err(not_a_draft(poll.status, "edited"));
    }
    let subject = match body.as_object_mut().and_then(|b| b.remove("subject")) {
        None => poll.subject.clone(),
        Some(v) => parse_subject(v)?,
    };
    let input: PollSpecInput =
        serde_json::from_value(body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let spec = validate_spec(&input).map_err(|e| named_invalid(&e.field(), &e))?;
    subject_allowed(spec.audience, subject.as_ref())
        .map_err(|m| ApiError::invalid("subject", m))?;
    if let Some(s) = &subject {
        subject_in(&state, &poll.roundtable_id, s).await?;
    }
    match state
        .store
        .edit_draft_poll(&poll.id, &spec, subject.as_ref())
        .await?
    {
        Ok(p) => {
            state.live.poll_changed(&p).await;
            Ok(Json(poll_out(&state, &p, &Caller::User(user)).await?))
        }
        Err(DraftRefusal::UnknownPoll) => Err(ApiError::not_found()),
        Err(DraftRefusal::NotDraft(status)) => Err(not_a_draft(status, "edited")),
    }
}

#[utoipa::path(delete, path = "/api/v1/polls/{id}", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses(
        (status = 204, description = "The draft is gone"),
        (status = 403, description = "Only facilitators delete polls", body = Problem),
        (status = 404, description = "Unknown poll", body = Problem),
        (status = 409, description = "Opened or closed: ballots are never deleted", body = Problem)
    ))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let (poll, _) = managed_poll(&state, &user, id).await?;
    match state.store.delete_draft_poll(&poll.id).await? {
        Ok(gone) => {
            state.live.poll_removed(&gone.roundtable_id, &gone.id).await;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(DraftRefusal::UnknownPoll) => Err(ApiError::not_found()),
        Err(DraftRefusal::NotDraft(status)) => Err(not_a_draft(status, "deleted")),
    }
}

#[utoipa::path(post, path = "/api/v1/polls/{id}/duplicate", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses(
        (status = 201, description = "A new draft with the same question, kind, options, settings and subject, right after the original in the agenda", body = PollOut),
        (status = 403, description = "Only facilitators duplicate polls", body = Problem),
        (status = 404, description = "Unknown poll", body = Problem)
    ))]
pub async fn duplicate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, Json<PollOut>)> {
    let (poll, _) = managed_poll(&state, &user, id).await?;
    let copy = state
        .store
        .duplicate_poll(
            &poll.id,
            &Uuid::new_v4().to_string(),
            &user.id,
            sessions::now(),
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    state.live.poll_changed(&copy).await;
    state.live.poll_order_changed(&copy.roundtable_id).await;
    let out = poll_out(&state, &copy, &Caller::User(user)).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// What `PUT /roundtables/{id}/poll-order` takes.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PollOrder {
    /// Exactly the roundtable's polls, each once, in agenda order.
    pub poll_ids: Vec<Uuid>,
}

#[utoipa::path(put, path = "/api/v1/roundtables/{id}/poll-order", tag = "polls",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    request_body = PollOrder,
    responses(
        (status = 200, description = "The polls in their new order", body = [PollOut]),
        (status = 403, description = "Only facilitators order polls", body = Problem),
        (status = 404, description = "Unknown roundtable, or not taking part", body = Problem),
        (status = 422, description = "Not exactly the roundtable's polls, each once", body = Problem)
    ))]
pub async fn set_order(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PollOrder>,
) -> ApiResult<Json<Vec<PollOut>>> {
    let me = membership(&state, id, &user.id).await?;
    require(&me, Action::ManagePolls)?;
    let rt = id.to_string();
    let ids: Vec<String> = body.poll_ids.iter().map(Uuid::to_string).collect();
    match state.store.set_poll_order(&rt, &ids).await? {
        Ok(()) => {}
        Err(OrderRefusal::NotTheAgenda) => {
            return Err(ApiError::invalid(
                "poll_ids",
                "must name every poll of this roundtable exactly once",
            ))
        }
    }
    state.live.poll_order_changed(&rt).await;
    let caller = Caller::User(user);
    let mut out = Vec::new();
    for p in state.store.polls_of(&rt).await? {
        out.push(poll_out(&state, &p, &caller).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/roundtables/{id}/polls", tag = "polls",
    params(("id" = Uuid, Path, description = "Roundtable id")),
    responses(
        (status = 200, description = "Polls the caller may see (the audience: audience polls only), in agenda order", body = [PollOut]),
        (status = 404, description = "Unknown roundtable, or not taking part", body = Problem)
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<PollOut>>> {
    let viewer = viewer_of(&state, &id.to_string(), &caller).await?;
    let mut out = Vec::new();
    for p in state.store.polls_of(&id.to_string()).await? {
        if viewer.is_audience() && (!p.audience || p.status == PollStatus::Draft) {
            continue;
        }
        out.push(poll_out(&state, &p, &caller).await?);
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses((status = 200, description = "The poll", body = PollOut), (status = 404, description = "Unknown or not visible", body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PollOut>> {
    let (poll, _) = visible_poll(&state, &id.to_string(), &caller).await?;
    Ok(Json(poll_out(&state, &poll, &caller).await?))
}

async fn set_status(
    state: &AppState,
    user: accord_store::User,
    id: Uuid,
    to: PollStatus,
) -> ApiResult<Json<PollOut>> {
    let caller = Caller::User(user);
    let (poll, viewer) = visible_poll(state, &id.to_string(), &caller).await?;
    if !viewer.may(Action::ManagePolls) {
        return Err(ApiError::forbidden(
            "Only facilitators open and close polls.",
        ));
    }
    let actor = match &viewer {
        Viewer::Participant { user_id, side, .. } => Actor::user(user_id, *side),
        Viewer::Audience { .. } => Actor::system(),
    };
    match state
        .store
        .set_poll_status(&poll.id, to, sessions::now(), &actor)
        .await?
    {
        Ok(p) => {
            state.live.poll_changed(&p).await;
            Ok(Json(poll_out(state, &p, &caller).await?))
        }
        Err(StatusRefusal::UnknownPoll) => Err(ApiError::not_found()),
        Err(StatusRefusal::Transition(e)) => {
            Err(ApiError::conflict(ErrorKind::PollStatus, &e.to_string()))
        }
    }
}

#[utoipa::path(post, path = "/api/v1/polls/{id}/open", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses((status = 200, description = "Opened", body = PollOut), (status = 403, description = "Not a facilitator", body = Problem), (status = 409, description = "Not a draft", body = Problem)))]
pub async fn open(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PollOut>> {
    set_status(&state, user, id, PollStatus::Open).await
}

#[utoipa::path(post, path = "/api/v1/polls/{id}/close", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses((status = 200, description = "Closed; the tally is final", body = PollOut), (status = 403, description = "Not a facilitator", body = Problem), (status = 409, description = "Not open", body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<PollOut>> {
    set_status(&state, user, id, PollStatus::Closed).await
}

#[utoipa::path(post, path = "/api/v1/polls/{id}/ballots", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    request_body(content = BallotInput, description = "`{choices: [option id…]}` | `{rating: n}` | `{ranking: [option id…]}` | `{text}`"),
    responses(
        (status = 201, description = "Stored (a non-secret ballot replaces the caller's earlier one)", body = BallotAccepted),
        (status = 403, description = "Not eligible (observer, participants-only poll)", body = Problem),
        (status = 404, description = "Unknown or not visible", body = Problem),
        (status = 409, description = "Poll not open, or secret ballot already cast", body = Problem),
        (status = 422, description = "Invalid ballot (unknown option, too many choices, empty text…)", body = Problem)
    ))]
pub async fn ballot(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<BallotInput>,
) -> ApiResult<(StatusCode, Json<BallotAccepted>)> {
    cast(&state, &caller, &id.to_string(), &input).await?;
    Ok((StatusCode::CREATED, Json(BallotAccepted { poll_id: id })))
}

async fn results_for(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<(Poll, Tally, bool)> {
    let (poll, viewer) = visible_poll(state, &id.to_string(), caller).await?;
    if !results_visible(
        poll.results,
        poll.status,
        viewer.may(Action::SeeResultsEarly),
    ) {
        return Err(ApiError::forbidden("Results are not visible yet."));
    }
    let t = published(&state.store, &poll, state.min_group).await?;
    Ok((poll, t, viewer.is_audience()))
}

#[utoipa::path(get, path = "/api/v1/polls/{id}/results", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses(
        (status = 200, description = "Total and, per option, count and percentage; participants also get the split by side", body = ResultsOut),
        (status = 403, description = "Results hidden for now", body = Problem),
        (status = 404, description = "Unknown or not visible", body = Problem)
    ))]
pub async fn results(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ResultsOut>> {
    let (_, t, audience) = results_for(&state, &caller, id).await?;
    Ok(Json(if audience {
        ResultsOut::Audience(AudienceTally::from(&t))
    } else {
        ResultsOut::Participant(t)
    }))
}

fn csv_field(s: &str) -> String {
    // Quote always; defuse spreadsheet formulas in user text.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[utoipa::path(get, path = "/api/v1/polls/{id}/results.csv", tag = "polls",
    params(("id" = Uuid, Path, description = "Poll id")),
    responses((status = 200, description = "Results as CSV (no voter is named)", content_type = "text/csv"), (status = 403, description = "Results hidden for now", body = Problem)))]
pub async fn results_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let (poll, t, audience) = results_for(&state, &caller, id).await?;
    let mut out = String::new();
    // What the file is about, first: a CSV opened weeks later names its poll.
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let about: [(&str, String); 8] = [
        ("question", poll.question.clone()),
        ("kind", poll.kind.as_str().to_owned()),
        ("secret ballot", yes_no(poll.secret).to_owned()),
        ("open to the audience", yes_no(poll.audience).to_owned()),
        ("results shown", poll.results.as_str().to_owned()),
        ("status", poll.status.as_str().to_owned()),
        ("opened", poll.opened_at.map(rfc3339).unwrap_or_default()),
        ("closed", poll.closed_at.map(rfc3339).unwrap_or_default()),
    ];
    for (k, v) in about {
        out.push_str(&format!("{},{}\n", csv_field(k), csv_field(&v)));
    }
    out.push_str(&format!(
        "{},{}\n\n",
        csv_field("exported"),
        csv_field(&rfc3339(sessions::now()))
    ));
    if audience {
        out.push_str("option,count,percent\n");
    } else {
        out.push_str("option,count,percent,employer,union,neutral,audience\n");
    }
    // A group a secret poll withholds shows why, not a number.
    let withheld = t
        .secrecy
        .map(|w| format!("fewer than {}", w.min_group))
        .unwrap_or_default();
    let cells = |s: BySide<Option<String>>| {
        [s.employer, s.union, s.neutral, s.audience].map(|v| v.unwrap_or_else(|| withheld.clone()))
    };
    let mut row = |label: &str, count: String, percent: String, sides: [String; 4]| {
        out.push_str(&csv_field(label));
        out.push_str(&format!(",{count},{percent}"));
        if !audience {
            out.push_str(&format!(",{}", sides.join(",")));
        }
        out.push('\n');
    };
    for o in &t.options {
        row(
            &o.label,
            o.count.to_string(),
            o.percent.to_string(),
            cells(o.by_side.map(|v| v.map(|n| n.to_string()))),
        );
    }
    if let Some(r) = &t.rating {
        for d in &r.distribution {
            row(
                &d.value.to_string(),
                d.count.to_string(),
                d.percent.to_string(),
                Default::default(),
            );
        }
    }
    for r in &t.ranking {
        row(
            &r.label,
            r.points.to_string(),
            String::new(),
            cells(r.by_side.map(|v| v.map(|n| n.to_string()))),
        );
    }
    for w in &t.words {
        row(
            &w.word,
            w.count.to_string(),
            String::new(),
            Default::default(),
        );
    }
    let s = t.by_side;
    row(
        "total",
        t.total.to_string(),
        "100".into(),
        [s.employer, s.union, s.neutral, s.audience].map(|n| n.to_string()),
    );
    // Text polls: the answers as written (never who wrote them), for participants.
    if poll.kind == PollKind::Text && !audience {
        let ballots = state.store.ballots_for_tally(&poll).await?;
        if raw_answers_publishable(
            poll.secret,
            poll.status,
            u64::from(t.total),
            state.min_group,
        ) {
            let mut answers: Vec<(String, Option<accord_domain::Side>)> = ballots
                .into_iter()
                .filter_map(|b| match b.ballot {
                    Ballot::Text(text) => Some((text, b.side)),
                    _ => None,
                })
                .collect();
            out.push('\n');
            if poll.secret {
                // No side, and an order that says nothing of who voted when.
                answers.sort_by(|a, b| a.0.cmp(&b.0));
                out.push_str("answer\n");
                for (text, _) in answers {
                    out.push_str(&format!("{}\n", csv_field(&text)));
                }
            } else {
                out.push_str("answer,side\n");
                for (text, side) in answers {
                    let side = side.map_or("audience", accord_domain::Side::as_str);
                    out.push_str(&format!("{},{side}\n", csv_field(&text)));
                }
            }
        }
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                super::exports::attachment_name(&poll.question, "", "csv"),
            ),
        ],
        out,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/poll-templates", tag = "polls", params(LangQuery),
    responses((status = 200, description = "Poll templates from the DUFA report", body = [TemplateOut])))]
pub async fn templates(Query(q): Query<LangQuery>) -> Json<Vec<TemplateOut>> {
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| l.parse::<Lang>().ok())
        .unwrap_or(Lang::En);
    Json(
        TEMPLATES
            .iter()
            .map(|t| {
                let i = t.input(lang);
                TemplateOut {
                    key: t.key,
                    question: i.question,
                    kind: t.kind,
                    options: i.options,
                }
            })
            .collect(),
    )
}
