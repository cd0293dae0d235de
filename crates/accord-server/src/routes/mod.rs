//! REST routes under `/api/v1`, each documented in the OpenAPI document.

pub mod agreements;
pub mod audit;
pub mod auth;
pub mod comments;
pub mod documents;
pub mod events;
pub mod exports;
pub mod health;
pub mod invitations;
pub mod live;
pub mod polls;
pub mod questions;
pub mod roundtables;
mod socket_writes;
pub mod versions;
pub mod yjs;

use crate::app::AppState;
use crate::error::{FieldError, Problem};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Accord API",
        description = "Real-time workspace for social dialogue. Errors are RFC 9457 \
                       application/problem+json with a stable `type` URN \
                       (urn:accord:problem:<slug>). Sign-in sets the HttpOnly \
                       `accord_session` cookie."
    ),
    components(schemas(Problem, FieldError, comments::CommentStatus)),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "roundtables", description = "Roundtables and participants"),
        (name = "invitations", description = "Invitation links"),
        (name = "polls", description = "Polls, ballots and results"),
        (name = "live", description = "Live audience sessions and the event socket"),
        (name = "questions", description = "Q&A: ask, upvote, moderate"),
        (name = "documents", description = "Co-drafted documents and the y-websocket endpoint"),
        (name = "versions", description = "Versions of a document: save, read, restore, compare"),
        (name = "comments", description = "Comment threads anchored to a passage"),
        (name = "agreements", description = "Both sides formally agree one exact version"),
        (name = "audit", description = "The roundtable's hash-chained audit trail"),
        (name = "exports", description = "A version as Markdown, HTML, DOCX or PDF, with its agreement page"),
        (name = "health", description = "Liveness and readiness")
    )
)]
struct ApiDoc;

/// Every API route, with its OpenAPI description collected as it is added.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(roundtables::create, roundtables::list))
        .routes(routes!(roundtables::get))
        .routes(routes!(roundtables::participants))
        .routes(routes!(
            roundtables::update_participant,
            roundtables::remove_participant
        ))
        .routes(routes!(invitations::create))
        .routes(routes!(invitations::preview))
        .routes(routes!(invitations::accept))
        .routes(routes!(documents::create, documents::list))
        .routes(routes!(documents::get, documents::update))
        .routes(routes!(documents::markdown))
        .routes(routes!(documents::html))
        .routes(routes!(yjs::upgrade))
        .routes(routes!(versions::create, versions::list))
        .routes(routes!(versions::get))
        .routes(routes!(versions::markdown))
        .routes(routes!(versions::restore))
        .routes(routes!(versions::diff))
        .routes(routes!(versions::diff_html))
        .routes(routes!(agreements::propose))
        .routes(routes!(agreements::take_position))
        .routes(routes!(agreements::withdraw))
        .routes(routes!(agreements::get))
        .routes(routes!(agreements::list))
        .routes(routes!(agreements::agreed))
        .routes(routes!(audit::list))
        .routes(routes!(exports::markdown))
        .routes(routes!(exports::html))
        .routes(routes!(exports::docx))
        .routes(routes!(exports::pdf))
        .routes(routes!(comments::create, comments::list))
        .routes(routes!(comments::reply))
        .routes(routes!(comments::resolve))
        .routes(routes!(comments::reopen))
        .routes(routes!(comments::edit, comments::delete))
        .routes(routes!(polls::create, polls::list))
        .routes(routes!(polls::get, polls::edit, polls::delete))
        .routes(routes!(polls::duplicate))
        .routes(routes!(polls::set_order))
        .routes(routes!(polls::open))
        .routes(routes!(polls::close))
        .routes(routes!(polls::ballot))
        .routes(routes!(polls::results))
        .routes(routes!(polls::results_csv))
        .routes(routes!(polls::templates))
        .routes(routes!(live::start, live::current, live::end))
        .routes(routes!(live::join))
        .routes(routes!(live::me))
        .routes(routes!(questions::ask, questions::list))
        .routes(routes!(questions::upvote))
        .routes(routes!(questions::moderate))
        .routes(routes!(events::upgrade))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// RFC 3339 text for a stored Unix time.
pub use accord_realtime::wire::rfc3339;
