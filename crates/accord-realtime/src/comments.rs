//! Comment threads as participants see them: anchored to a passage of the
//! document's current state, in document order. The audience never
//! receives them (the live room sends them to participants only).

use crate::docs::HubError;
use crate::wire::rfc3339;
use accord_domain::Side;
use accord_store::{CommentThread, Store, StoredComment};
use accord_sync::anchors::AnchorIndex;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Who wrote something, as participants know them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Author {
    pub user_id: String,
    pub display_name: String,
    pub side: Side,
}

/// Who resolved a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolver {
    pub user_id: String,
    pub display_name: String,
}

/// The two ends of a commented passage: base64 of
/// `Y.encodeRelativePosition(...)`, as the browser sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnchorView {
    pub start: String,
    pub end: String,
}

/// A reply in a thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyView {
    pub id: String,
    /// Empty once deleted.
    pub body: String,
    pub author: Author,
    /// RFC 3339.
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
}

/// A comment thread on a passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentView {
    pub id: String,
    pub document_id: String,
    /// Empty once deleted (a deleted comment with replies stays as "comment deleted").
    pub body: String,
    pub author: Author,
    /// RFC 3339.
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    pub anchor: AnchorView,
    /// The text now between the anchors; for an orphaned thread, the last it had.
    pub quote: String,
    /// The whole passage was deleted: the thread is kept and shown apart.
    pub orphaned: bool,
    pub resolved: bool,
    pub resolved_by: Option<Resolver>,
    /// The version being viewed when the comment was made.
    pub version_id: Option<String>,
    pub replies: Vec<ReplyView>,
}

/// Every thread of a document, resolved against its durable state; the
/// quotes that moved are remembered, so an orphan keeps its last one.
pub async fn of_document(store: &Store, doc_id: &str) -> Result<Vec<CommentView>, HubError> {
    let stored = store.comments_of(doc_id).await?;
    let doc = crate::versions::durable_doc(store, doc_id).await?;
    let (views, moved) = threads(stored, &AnchorIndex::new(&doc));
    if !moved.is_empty() {
        store.set_comment_quotes(&moved).await?;
    }
    Ok(views)
}

/// One thread as it is now: changed, or gone. Resolves only its own anchor.
pub async fn thread_now(
    store: &Store,
    doc_id: &str,
    thread_id: &str,
) -> Result<CommentChange, HubError> {
    let gone = || CommentChange::Removed {
        document_id: doc_id.to_owned(),
        comment_id: thread_id.to_owned(),
    };
    let Some(thread) = store.comment_thread(thread_id).await? else {
        return Ok(gone());
    };
    if thread.comment.document_id != doc_id || thread.is_gone() {
        return Ok(gone());
    }
    let doc = crate::versions::durable_doc(store, doc_id).await?;
    let (mut views, moved) = threads(vec![thread], &AnchorIndex::new(&doc));
    if !moved.is_empty() {
        store.set_comment_quotes(&moved).await?;
    }
    Ok(views
        .pop()
        .map_or_else(gone, |t| CommentChange::Changed(Box::new(t))))
}

/// What changed about a thread, as the live room tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentChange {
    Changed(Box<CommentView>),
    Removed {
        document_id: String,
        comment_id: String,
    },
}

impl CommentChange {
    /// The event socket's message for `room`.
    pub fn message(&self, room: &str) -> crate::wire::ServerMsg {
        match self {
            CommentChange::Changed(c) => crate::wire::ServerMsg::Comment {
                room: room.to_owned(),
                document_id: c.document_id.clone(),
                comment: c.clone(),
            },
            CommentChange::Removed {
                document_id,
                comment_id,
            } => crate::wire::ServerMsg::CommentRemoved {
                room: room.to_owned(),
                document_id: document_id.clone(),
                comment_id: comment_id.clone(),
            },
        }
    }
}

/// Threads with their replies, each anchor resolved against `index` (the
/// document's current state), in document order with orphaned threads last.
/// Also returns the quotes that changed, for the store to remember: an
/// orphaned thread shows the last quote it had. Deleted replies are left
/// out; a deleted comment stays (as "comment deleted") while replies hang on it.
pub fn threads(
    stored: Vec<CommentThread>,
    index: &AnchorIndex,
) -> (Vec<CommentView>, Vec<(String, String)>) {
    let mut changed = Vec::new();
    let mut out: Vec<(Option<u32>, CommentView)> = stored
        .into_iter()
        .map(|t| {
            let (position, quote, orphaned) = resolve(&t.comment, index);
            if !orphaned && t.comment.quote.as_deref() != Some(quote.as_str()) {
                changed.push((t.comment.id.clone(), quote.clone()));
            }
            let replies: Vec<ReplyView> = t
                .replies
                .iter()
                .filter(|r| !r.deleted)
                .map(reply_view)
                .collect();
            (position, thread_view(t.comment, quote, orphaned, replies))
        })
        .filter(|(_, t)| !t.deleted || !t.replies.is_empty())
        .collect();
    out.sort_by(|(a, x), (b, y)| {
        // None (orphaned) sorts last; ties by creation.
        let key = |p: &Option<u32>| p.map_or((1, 0), |p| (0, p));
        key(a).cmp(&key(b)).then(x.created_at.cmp(&y.created_at))
    });
    (out.into_iter().map(|(_, v)| v).collect(), changed)
}

/// Where a thread's passage starts now, its quote, and whether it is gone.
fn resolve(c: &StoredComment, index: &AnchorIndex) -> (Option<u32>, String, bool) {
    let last = c.quote.clone().unwrap_or_default();
    match (&c.anchor_start, &c.anchor_end) {
        (Some(start), Some(end)) => match index.resolve(start, end) {
            Ok(r) if !r.quote.is_empty() || last.is_empty() => (Some(r.start), r.quote, false),
            _ => (None, last, true),
        },
        _ => (None, last, true),
    }
}

fn author(user_id: &str, name: &str, side: Side) -> Author {
    Author {
        user_id: user_id.to_owned(),
        display_name: name.to_owned(),
        side,
    }
}

fn reply_view(r: &StoredComment) -> ReplyView {
    ReplyView {
        id: r.id.clone(),
        body: r.body.clone(),
        author: author(&r.author_id, &r.author_name, r.author_side),
        created_at: rfc3339(r.created_at),
        edited_at: r.edited_at.map(rfc3339),
        deleted: r.deleted,
    }
}

fn thread_view(
    c: StoredComment,
    quote: String,
    orphaned: bool,
    replies: Vec<ReplyView>,
) -> CommentView {
    let b64 = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map(|b| base64::engine::general_purpose::STANDARD.encode(b))
            .unwrap_or_default()
    };
    CommentView {
        anchor: AnchorView {
            start: b64(&c.anchor_start),
            end: b64(&c.anchor_end),
        },
        author: author(&c.author_id, &c.author_name, c.author_side),
        resolved_by: match (&c.resolved_by, &c.resolved_by_name) {
            (Some(id), Some(name)) => Some(Resolver {
                user_id: id.clone(),
                display_name: name.clone(),
            }),
            _ => None,
        },
        created_at: rfc3339(c.created_at),
        edited_at: c.edited_at.map(rfc3339),
        id: c.id,
        document_id: c.document_id,
        body: c.body,
        deleted: c.deleted,
        quote,
        orphaned,
        resolved: c.resolved,
        version_id: c.version_id,
        replies,
    }
}
