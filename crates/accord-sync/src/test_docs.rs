//! Building TipTap-shaped Yjs documents in tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use yrs::updates::decoder::Decode;
use yrs::{
    Any, ClientID, Doc, Number, OffsetKind, Options, ReadTxn, StateVector, Transact,
    TransactionMut, Update, Xml, XmlElementPrelim, XmlElementRef, XmlFragment, XmlFragmentRef,
    XmlOut, XmlTextPrelim, XmlTextRef,
};

use crate::render::FRAGMENT;

/// A document with a fixed client id, counting in UTF-16 like the browser.
pub fn doc(client: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(client),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

pub fn state(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

pub fn apply(doc: &Doc, update: &[u8]) {
    doc.transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
}

/// Both documents end up with everything either had.
pub fn sync(a: &Doc, b: &Doc) {
    let sa = state(a);
    let sb = state(b);
    apply(b, &sa);
    apply(a, &sb);
}

/// A copy of `doc` under another client id.
pub fn fork(doc_: &Doc, client: u64) -> Doc {
    let d = doc(client);
    apply(&d, &state(doc_));
    d
}

pub fn frag(doc: &Doc) -> XmlFragmentRef {
    doc.get_or_insert_xml_fragment(FRAGMENT)
}

/// Appends a paragraph whose text is one XmlText (none if empty).
pub fn para(txn: &mut TransactionMut, f: &XmlFragmentRef, text: &str) -> XmlElementRef {
    let i = f.len(txn);
    let p = f.insert(txn, i, XmlElementPrelim::empty("paragraph"));
    if !text.is_empty() {
        p.insert(txn, 0, XmlTextPrelim::new(text));
    }
    p
}

pub fn heading(txn: &mut TransactionMut, f: &XmlFragmentRef, level: i64, text: &str) {
    let i = f.len(txn);
    let h = f.insert(txn, i, XmlElementPrelim::empty("heading"));
    h.insert_attribute(txn, "level", Any::Number(Number::Int(level)));
    h.insert(txn, 0, XmlTextPrelim::new(text));
}

/// Appends a list of one-paragraph items.
pub fn list(
    txn: &mut TransactionMut,
    f: &XmlFragmentRef,
    ordered: bool,
    items: &[&str],
) -> XmlElementRef {
    let i = f.len(txn);
    let tag = if ordered { "orderedList" } else { "bulletList" };
    let l = f.insert(txn, i, XmlElementPrelim::empty(tag));
    for (j, item) in items.iter().enumerate() {
        let li = l.insert(txn, j as u32, XmlElementPrelim::empty("listItem"));
        let p = li.insert(txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(txn, 0, XmlTextPrelim::new(*item));
    }
    l
}

/// The XmlText of the `n`th top-level block (which must have one).
pub fn text_of<T: ReadTxn>(txn: &T, f: &XmlFragmentRef, n: u32) -> XmlTextRef {
    let Some(XmlOut::Element(el)) = f.get(txn, n) else {
        panic!("block {n} is no element")
    };
    match el.get(txn, 0) {
        Some(XmlOut::Text(t)) => t,
        _ => panic!("block {n} has no text"),
    }
}

/// A document of paragraphs, one per text, written by `client`.
pub fn paragraphs(client: u64, texts: &[&str]) -> Doc {
    let d = doc(client);
    let f = frag(&d);
    {
        let mut txn = d.transact_mut();
        for t in texts {
            para(&mut txn, &f, t);
        }
    }
    d
}

/// Every shape the flattening knows: heading, hard break, a list item with
/// a nested list and a second paragraph, an unknown container, stray text,
/// an empty paragraph.
pub fn mixed_layout() -> Doc {
    let d = doc(1);
    let f = frag(&d);
    {
        let mut txn = d.transact_mut();
        heading(&mut txn, &f, 2, "Title");
        let p = para(&mut txn, &f, "line one");
        p.insert(&mut txn, 1, XmlElementPrelim::empty("hardBreak"));
        p.insert(&mut txn, 2, XmlTextPrelim::new("line two"));
        let l = list(&mut txn, &f, false, &["Top"]);
        let Some(XmlOut::Element(li)) = l.get(&txn, 0) else {
            panic!()
        };
        let nested = li.insert(&mut txn, 1, XmlElementPrelim::empty("orderedList"));
        let item = nested.insert(&mut txn, 0, XmlElementPrelim::empty("listItem"));
        let p = item.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("Deep"));
        // A second paragraph of the top item, after its nested list.
        let p = li.insert(&mut txn, 2, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("Top, continued"));
        // Unknown container, stray text, an empty paragraph.
        let q = f.insert(&mut txn, 3, XmlElementPrelim::empty("blockquote"));
        let p = q.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("Quoted"));
        f.insert(&mut txn, 4, XmlTextPrelim::new("stray"));
        para(&mut txn, &f, "");
    }
    d
}
