//! Named versions: what a saved version holds, and restoring one.
//!
//! A version is stored whole (a full v1 update, the neutral tree and its
//! Markdown), so reading or comparing it never needs the live document's
//! history: the live document keeps garbage collection on, which rules out
//! Yjs snapshots of it. Restoring is a new change on top of the current
//! state, never a reset of the update log: everything written since stays in
//! the history and can itself be restored.

use accord_domain::document::Document;
use sha2::{Digest, Sha256};
use yrs::types::text::YChange;
use yrs::types::{Attrs, Delta};
use yrs::{
    Any, ClientID, Doc, OffsetKind, Options, Out, ReadTxn, StateVector, Text, Transact,
    TransactionMut, Xml, XmlElementPrelim, XmlElementRef, XmlFragment, XmlFragmentRef, XmlOut,
    XmlTextPrelim, XmlTextRef,
};

use crate::render::{render, FRAGMENT};
use crate::{protocol, SyncError};

/// A document as one version of it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionContent {
    /// The whole document as one v1 update (from an empty state vector).
    pub state: Vec<u8>,
    pub document: Document,
    pub markdown: String,
    /// Lower-case hex SHA-256 of `markdown`: what an approval binds to, so
    /// that two versions with the same words compare equal whatever their
    /// Yjs history.
    pub sha256: String,
    /// Words of the plain text, counted as diffs count them (letters or
    /// digits between Unicode word boundaries).
    pub words: u32,
}

impl VersionContent {
    pub fn of(doc: &Doc) -> VersionContent {
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let document = render(doc);
        let markdown = document.to_markdown();
        let sha256 = hex::encode(Sha256::digest(markdown.as_bytes()));
        let words = crate::diff::count_words(&document.plain_text());
        VersionContent {
            state,
            document,
            markdown,
            sha256,
            words,
        }
    }
}

/// A document with UTF-16 offsets (as the browser counts) built from one
/// full v1 update, such as [`VersionContent::state`].
pub fn load_state(state: &[u8]) -> Result<Doc, SyncError> {
    load_into(utf16_doc(ClientID::random()), state)
}

fn utf16_doc(client_id: ClientID) -> Doc {
    Doc::with_options(Options {
        client_id,
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

fn load_into(doc: Doc, state: &[u8]) -> Result<Doc, SyncError> {
    let update = protocol::check_update(state)?;
    // As in `DocRoom::load`: a corrupt stored state must give an error, not a panic.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| SyncError::ApplyFailed(e.to_string()))
    }));
    match outcome {
        Ok(Ok(())) => Ok(doc),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(SyncError::ApplyFailed("update integration panicked".into())),
    }
}

/// A v1 update that, applied to `current`, makes it render as `target`
/// does: it deletes the content of the fragment and inserts a copy of the
/// target's, under a client id `current` has never seen (so the change is
/// attributed to whoever restores, not to the target's authors). Edits made
/// concurrently with the restore survive it, as any concurrent edit would.
/// `current` is not modified: the update is built on a copy.
pub fn restore_update(current: &Doc, target: &Doc) -> Result<Vec<u8>, SyncError> {
    let (state, known) = {
        let txn = current.transact();
        (
            txn.encode_state_as_update_v1(&StateVector::default()),
            txn.state_vector(),
        )
    };
    let mut client = ClientID::random();
    while known.get(&client) > 0 {
        client = ClientID::random();
    }
    let copy = load_into(utf16_doc(client), &state)?;
    let fragment = copy.get_or_insert_xml_fragment(FRAGMENT);
    let source = target.transact();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut txn = copy.transact_mut();
        let len = fragment.len(&txn);
        fragment.remove_range(&mut txn, 0, len);
        if let Some(from) = source.get_xml_fragment(FRAGMENT) {
            copy_tree(&source, &from, &mut txn, &fragment);
        }
        // Only this change: the structs it created and what it deleted.
        txn.encode_update_v1()
    }));
    outcome.map_err(|_| SyncError::ApplyFailed("copying the version panicked".into()))
}

/// Where copied children go.
enum Parent {
    Fragment(XmlFragmentRef),
    Element(XmlElementRef),
}

impl Parent {
    fn insert_element(&self, txn: &mut TransactionMut, index: u32, tag: &str) -> XmlElementRef {
        let prelim = XmlElementPrelim::empty(tag);
        match self {
            Parent::Fragment(f) => f.insert(txn, index, prelim),
            Parent::Element(e) => e.insert(txn, index, prelim),
        }
    }

    fn insert_text(&self, txn: &mut TransactionMut, index: u32) -> XmlTextRef {
        let prelim = XmlTextPrelim::new("");
        match self {
            Parent::Fragment(f) => f.insert(txn, index, prelim),
            Parent::Element(e) => e.insert(txn, index, prelim),
        }
    }
}

/// Deep copy of `from`'s children into the empty `into`, keeping attribute
/// values as they are (yrs' own `as_prelim` turns them into strings, which
/// would make a heading's numeric `level` a string). Iterative, so hostile
/// nesting cannot overflow the stack.
fn copy_tree<T: ReadTxn>(
    src: &T,
    from: &XmlFragmentRef,
    txn: &mut TransactionMut,
    into: &XmlFragmentRef,
) {
    let mut work: Vec<(Vec<XmlOut>, Parent)> = vec![(
        children_flat(src, from.children(src).collect()),
        Parent::Fragment(into.clone()),
    )];
    while let Some((children, parent)) = work.pop() {
        for (i, child) in children.into_iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            match child {
                XmlOut::Element(el) => {
                    let tag = el.try_tag().map(|t| t.to_string()).unwrap_or_default();
                    let copy = parent.insert_element(txn, index, &tag);
                    let attrs: Vec<(String, Any)> = el
                        .attributes(src)
                        .filter_map(|(k, v)| match v {
                            Out::Any(a) => Some((k.to_owned(), a)),
                            _ => None,
                        })
                        .collect();
                    for (k, v) in attrs {
                        copy.insert_attribute(txn, k, v);
                    }
                    let kids = children_flat(src, el.children(src).collect());
                    if !kids.is_empty() {
                        work.push((kids, Parent::Element(copy)));
                    }
                }
                XmlOut::Text(text) => {
                    let copy = parent.insert_text(txn, index);
                    copy_text(src, &text, txn, &copy);
                }
                XmlOut::Fragment(_) => {} // flattened by `children_flat`
            }
        }
    }
}

/// Children with nested fragments replaced by their own children (a
/// fragment cannot be inserted into an element; its content can).
fn children_flat<T: ReadTxn>(src: &T, children: Vec<XmlOut>) -> Vec<XmlOut> {
    if !children.iter().any(|c| matches!(c, XmlOut::Fragment(_))) {
        return children;
    }
    let mut out = Vec::new();
    let mut stack: Vec<XmlOut> = children.into_iter().rev().collect();
    while let Some(node) = stack.pop() {
        match node {
            XmlOut::Fragment(f) => {
                let kids: Vec<XmlOut> = f.children(src).collect();
                stack.extend(kids.into_iter().rev());
            }
            other => out.push(other),
        }
    }
    out
}

/// Text with its formatting: each chunk carries its full attribute set, so
/// a plain chunk after a bold one is written as plain.
fn copy_text<T: ReadTxn>(src: &T, from: &XmlTextRef, txn: &mut TransactionMut, into: &XmlTextRef) {
    let attrs: Vec<(String, Any)> = from
        .attributes(src)
        .filter_map(|(k, v)| match v {
            Out::Any(a) => Some((k.to_owned(), a)),
            _ => None,
        })
        .collect();
    for (k, v) in attrs {
        into.insert_attribute(txn, k, v);
    }
    let delta: Vec<Delta<Any>> = from
        .diff(src, YChange::identity)
        .into_iter()
        .filter_map(|chunk| match chunk.insert {
            Out::Any(value) => Some(Delta::Inserted(
                value,
                chunk.attributes.map(|a| Box::new(Attrs::clone(&a))),
            )),
            // Shared types embedded in text are not written by the editor.
            _ => None,
        })
        .collect();
    into.apply_delta(txn, delta);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::render::{push_heading, push_paragraph};
    use std::collections::HashMap;
    use std::sync::Arc;
    use yrs::updates::decoder::Decode;
    use yrs::{GetString, Update};

    fn doc_with(client: u64, f: impl FnOnce(&mut TransactionMut, &XmlFragmentRef)) -> Doc {
        let doc = Doc::with_options(Options {
            client_id: ClientID::new(client),
            offset_kind: OffsetKind::Utf16,
            ..Options::default()
        });
        let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
        f(&mut doc.transact_mut(), &frag);
        doc
    }

    fn state(doc: &Doc) -> Vec<u8> {
        doc.transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    fn apply(doc: &Doc, update: &[u8]) {
        doc.transact_mut()
            .apply_update(Update::decode_v1(update).unwrap())
            .unwrap();
    }

    fn sync(a: &Doc, b: &Doc) {
        apply(b, &state(a));
        apply(a, &state(b));
    }

    fn md(doc: &Doc) -> String {
        render(doc).to_markdown()
    }

    fn attrs(pairs: &[(&str, Any)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (Arc::<str>::from(*k), v.clone()))
            .collect()
    }

    /// Formatting, a link, a hard break and lists: what the copy must keep.
    fn rich(client: u64) -> Doc {
        doc_with(client, |txn, frag| {
            push_heading(txn, frag, 2, "Objectives æøå 😀");
            let p = frag.insert(txn, 1, XmlElementPrelim::empty("paragraph"));
            let t = p.insert(txn, 0, XmlTextPrelim::new("Train "));
            t.insert_with_attributes(
                txn,
                6,
                "every",
                attrs(&[("bold", Any::Map(Arc::new(HashMap::new())))]),
            );
            t.insert_with_attributes(txn, 11, " operator, see ", attrs(&[("bold", Any::Null)]));
            let link = Any::Map(Arc::new(HashMap::from([(
                "href".to_owned(),
                Any::from("https://example.org/plan"),
            )])));
            t.insert_with_attributes(txn, 26, "the plan", attrs(&[("link", link)]));
            t.insert_with_attributes(txn, 34, ".", attrs(&[("link", Any::Null)]));
            p.insert(txn, 1, XmlElementPrelim::empty("hardBreak"));
            p.insert(txn, 2, XmlTextPrelim::new("second line"));
            let ol = frag.insert(txn, 2, XmlElementPrelim::empty("orderedList"));
            ol.insert_attribute(txn, "start", Any::Number(yrs::Number::Int(3)));
            for (i, word) in ["Workforce", "HR"].iter().enumerate() {
                let li = ol.insert(txn, i as u32, XmlElementPrelim::empty("listItem"));
                let p = li.insert(txn, 0, XmlElementPrelim::empty("paragraph"));
                p.insert(txn, 0, XmlTextPrelim::new(*word));
            }
        })
    }

    #[test]
    fn version_content_holds_state_tree_markdown_hash_and_words() {
        let doc = rich(1);
        let v = VersionContent::of(&doc);
        assert_eq!(v.document, render(&doc));
        assert_eq!(v.markdown, v.document.to_markdown());
        assert!(v.markdown.contains("**every**"), "{}", v.markdown);
        assert_eq!(v.sha256, hex::encode(Sha256::digest(v.markdown.as_bytes())));
        assert_eq!(v.sha256.len(), 64);
        // "Objectives æøå 😀" 2 (an emoji is no word), "Train every
        // operator, see the plan." 6, "second line" 2, "Workforce", "HR".
        assert_eq!(v.words, 12);
        let loaded = load_state(&v.state).unwrap();
        assert_eq!(loaded.offset_kind(), OffsetKind::Utf16);
        assert_eq!(VersionContent::of(&loaded).markdown, v.markdown);
        assert_eq!(VersionContent::of(&loaded).sha256, v.sha256);
    }

    #[test]
    fn load_state_refuses_garbage() {
        assert!(load_state(&[0xff, 0xff, 0xff]).is_err());
        assert!(load_state(&[]).is_err());
        // An empty update is a valid, empty document.
        assert_eq!(md(&load_state(Update::EMPTY_V1).unwrap()), "");
    }

    #[test]
    fn restore_makes_current_render_as_the_target() {
        let target = rich(1);
        let current = load_state(&state(&target)).unwrap();
        // Work continues after the version: edits by two more clients.
        let other = doc_with(2, |_, _| {});
        apply(&other, &state(&current));
        {
            let frag = other.get_or_insert_xml_fragment(FRAGMENT);
            let mut txn = other.transact_mut();
            push_paragraph(&mut txn, &frag, "Added later");
            frag.remove_range(&mut txn, 0, 1);
        }
        apply(&current, &state(&other));
        assert_ne!(md(&current), md(&target));

        let before = state(&current);
        let sv_before = current.transact().state_vector();
        let update = restore_update(&current, &target).unwrap();
        assert_eq!(state(&current), before, "current is not modified");

        apply(&current, &update);
        assert_eq!(md(&current), md(&target));
        assert_eq!(render(&current), render(&target));
        // A new change by a client nobody used before.
        let clients: Vec<u64> = Update::decode_v1(&update)
            .unwrap()
            .insertions(true)
            .client_ids()
            .map(|c| c.get())
            .collect();
        assert_eq!(clients.len(), 1);
        assert_eq!(sv_before.get(&ClientID::new(clients[0])), 0);
        // Attribute values keep their types: `level` stays a number.
        let txn = current.transact();
        let frag = txn.get_xml_fragment(FRAGMENT).unwrap();
        let Some(XmlOut::Element(h)) = frag.get(&txn, 0) else {
            panic!("heading first")
        };
        assert_eq!(
            h.get_attribute(&txn, "level"),
            Some(Out::Any(Any::Number(yrs::Number::Int(2))))
        );
    }

    #[test]
    fn the_update_log_is_only_appended() {
        // The log as the store keeps it: each change one row.
        let author = doc_with(1, |txn, frag| push_paragraph(txn, frag, "First draft"));
        let mut log = vec![state(&author)];
        let v1 = load_state(&log[0]).unwrap();
        let sv = author.transact().state_vector();
        {
            let frag = author.get_or_insert_xml_fragment(FRAGMENT);
            let mut txn = author.transact_mut();
            push_paragraph(&mut txn, &frag, "Second thoughts");
        }
        log.push(author.transact().encode_state_as_update_v1(&sv));
        let current = load_state(&state(&author)).unwrap();
        log.push(restore_update(&current, &v1).unwrap());

        let replayed = Doc::new();
        for row in &log {
            apply(&replayed, row);
        }
        assert_eq!(md(&replayed), "First draft\n");
        // Nothing was rewritten: the earlier rows are still what built it,
        // and the restored-over text is still in the history it can return to.
        let again = restore_update(&replayed, &load_state(&state(&author)).unwrap()).unwrap();
        apply(&replayed, &again);
        assert_eq!(md(&replayed), "First draft\n\nSecond thoughts\n");
    }

    #[test]
    fn concurrent_edits_survive_a_restore() {
        let target = doc_with(1, |txn, frag| push_paragraph(txn, frag, "Old wording"));
        let current = load_state(&state(&target)).unwrap();
        {
            let frag = current.get_or_insert_xml_fragment(FRAGMENT);
            let mut txn = current.transact_mut();
            push_paragraph(&mut txn, &frag, "New wording");
        }
        let update = restore_update(&current, &target).unwrap();
        // Meanwhile someone else, who has not seen the restore, adds a paragraph.
        let peer = doc_with(7, |_, _| {});
        apply(&peer, &state(&current));
        {
            let frag = peer.get_or_insert_xml_fragment(FRAGMENT);
            let mut txn = peer.transact_mut();
            push_paragraph(&mut txn, &frag, "Typed during the restore");
        }
        apply(&current, &update);
        sync(&current, &peer);
        assert_eq!(md(&current), md(&peer));
        assert_eq!(md(&current), "Old wording\n\nTyped during the restore\n");
    }

    #[test]
    fn restoring_an_empty_version_empties_the_document() {
        let current = rich(3);
        let update = restore_update(&current, &Doc::new()).unwrap();
        apply(&current, &update);
        assert_eq!(md(&current), "");
        let txn = current.transact();
        assert_eq!(txn.get_xml_fragment(FRAGMENT).unwrap().len(&txn), 0);
    }

    #[test]
    fn restore_into_a_document_without_content_yet() {
        let target = rich(1);
        let current = Doc::new();
        apply(&current, &restore_update(&current, &target).unwrap());
        assert_eq!(md(&current), md(&target));
        let txn = current.transact();
        let frag = txn.get_xml_fragment(FRAGMENT).unwrap();
        assert!(frag.get_string(&txn).contains("second line"));
    }
}
