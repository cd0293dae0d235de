//! Comment anchors: where a thread's passage is now.
//!
//! An anchor is a pair of Yjs relative positions as the editor makes them
//! (`Y.encodeRelativePosition` of y-prosemirror's
//! `absolutePositionToRelativePosition`): each names an item, so it moves
//! with the text around it whatever others type. Positions are located in
//! the document's *linear text* — its blocks' texts joined by `"\n"`, in
//! UTF-16 units — which is what the server orders threads by and quotes.

use std::collections::HashMap;

use yrs::updates::decoder::Decode;
use yrs::{BranchID, Doc, IndexScope, OffsetKind, ReadTxn, StateVector, StickyIndex, Transact};

use crate::flat::{flatten, Place, Plain};
use crate::render::FRAGMENT;

/// Why an anchor cannot be located.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnchorError {
    #[error("anchor does not decode as a Yjs relative position")]
    Undecodable,
    #[error("anchor points into another document")]
    ForeignDocument,
    #[error("anchor ends before it starts")]
    EndBeforeStart,
}

/// A located passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// UTF-16 offsets into the linear text; `start == end` with a thread
    /// whose quote was not empty means the passage is gone.
    pub start: u32,
    pub end: u32,
    /// The linear text between them.
    pub quote: String,
}

/// Decodes one relative position. Yjs before 13.5 wrote no association
/// byte and Yjs still reads such positions as "after"; yrs requires the
/// byte, so one is supplied when it is missing.
pub fn decode(bytes: &[u8]) -> Result<StickyIndex, AnchorError> {
    // yrs asserts (rather than errs) on client ids over 53 bits in debug
    // builds; hostile bytes must only ever give an error.
    let attempt = |b: &[u8]| {
        std::panic::catch_unwind(|| StickyIndex::decode_v1(b))
            .ok()
            .and_then(Result::ok)
    };
    if let Some(index) = attempt(bytes) {
        return Ok(index);
    }
    let mut padded = bytes.to_vec();
    padded.push(0);
    attempt(&padded).ok_or(AnchorError::Undecodable)
}

/// The linear text of one document state and where each of its branches
/// lies in it, built once to resolve many anchors. The index describes the
/// state it was built from: rebuild it after the document changes.
pub struct AnchorIndex {
    doc: Doc,
    known: StateVector,
    places: HashMap<BranchID, Place>,
    /// The linear text, UTF-16.
    linear: Vec<u16>,
    /// Where each block starts in `linear`, ascending.
    block_starts: Vec<u32>,
}

impl AnchorIndex {
    pub fn new(doc: &Doc) -> Self {
        let bytes = doc.offset_kind() == OffsetKind::Bytes;
        let mut reader = Plain(doc.transact());
        let known = reader.0.state_vector();
        let flat = match reader.0.get_xml_fragment(FRAGMENT) {
            Some(fragment) => flatten(&mut reader, &fragment, true, bytes),
            None => crate::flat::Flat {
                blocks: Vec::new(),
                places: HashMap::new(),
            },
        };
        let mut linear: Vec<u16> = Vec::new();
        let mut block_starts = Vec::with_capacity(flat.blocks.len());
        for (i, block) in flat.blocks.iter().enumerate() {
            if i > 0 {
                linear.push(u16::from(b'\n'));
            }
            block_starts.push(u32::try_from(linear.len()).unwrap_or(u32::MAX));
            linear.extend(block.text.encode_utf16());
        }
        AnchorIndex {
            doc: doc.clone(),
            known,
            places: flat.places,
            linear,
            block_starts,
        }
    }

    /// The linear text the positions refer to.
    pub fn text(&self) -> String {
        String::from_utf16_lossy(&self.linear)
    }

    /// Locates the passage between two encoded positions. A position whose
    /// text is gone for good (its paragraph deleted, so garbage-collected)
    /// falls back on the other end's block: a start to the beginning of the
    /// end's block, an end to the end of the start's; with both gone the
    /// passage is empty at 0.
    pub fn resolve(&self, start: &[u8], end: &[u8]) -> Result<Resolved, AnchorError> {
        let start = decode(start)?;
        let end = decode(end)?;
        let txn = self.doc.transact();
        let (a, b) = match (self.locate(&txn, &start)?, self.locate(&txn, &end)?) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(b)) => (self.block_start(b).min(b), b),
            (Some(a), None) => (a, self.block_end(a).max(a)),
            (None, None) => (0, 0),
        };
        if b < a {
            return Err(AnchorError::EndBeforeStart);
        }
        let quote = String::from_utf16_lossy(&self.linear[a as usize..b as usize]);
        Ok(Resolved {
            start: a,
            end: b,
            quote,
        })
    }

    /// The position in the linear text, `None` if the position's content
    /// is gone, or an error if it never belonged to this document.
    fn locate<T: ReadTxn>(&self, txn: &T, index: &StickyIndex) -> Result<Option<u32>, AnchorError> {
        match index.scope() {
            IndexScope::Root(name) if &**name != FRAGMENT => {
                return Err(AnchorError::ForeignDocument)
            }
            IndexScope::Relative(id) | IndexScope::Nested(id) => {
                if self.known.get(&id.client) <= id.clock {
                    return Err(AnchorError::ForeignDocument);
                }
            }
            IndexScope::Root(_) => {}
        }
        let Some(offset) = index.get_offset(txn) else {
            return Ok(None);
        };
        let len = u32::try_from(self.linear.len()).unwrap_or(u32::MAX);
        let at = match self.places.get(&offset.branch.id()) {
            Some(Place::Text { start, bytes }) => {
                let within = match bytes {
                    Some(text) => utf16_of_byte_offset(text, offset.index as usize),
                    None => offset.index,
                };
                start.saturating_add(within)
            }
            Some(Place::Element { children, end }) => {
                children.get(offset.index as usize).copied().unwrap_or(*end)
            }
            // A deleted element's text, or a branch outside the fragment.
            None => return Ok(None),
        };
        Ok(Some(at.min(len)))
    }

    fn block_start(&self, at: u32) -> u32 {
        let i = self.block_starts.partition_point(|&s| s <= at);
        i.checked_sub(1)
            .and_then(|i| self.block_starts.get(i))
            .copied()
            .unwrap_or(0)
    }

    fn block_end(&self, at: u32) -> u32 {
        let i = self.block_starts.partition_point(|&s| s <= at);
        match self.block_starts.get(i) {
            Some(&next) => next.saturating_sub(1), // before the "\n"
            None => u32::try_from(self.linear.len()).unwrap_or(u32::MAX),
        }
    }
}

/// A byte offset into `text` (a document counting in bytes) in UTF-16
/// units; an offset inside a character counts that character as passed.
fn utf16_of_byte_offset(text: &str, byte: usize) -> u32 {
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if i >= byte {
            break;
        }
        units += c.len_utf16() as u32;
    }
    units
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_docs::*;
    use proptest::prelude::*;
    use yrs::updates::encoder::Encode;
    use yrs::{Assoc, IndexedSequence, Text, XmlFragment, XmlTextRef};

    /// Made by Yjs 13.6.33 and @tiptap/y-tiptap 3.0.9 (as the web's editor
    /// does): a heading "Objectives", a paragraph "Train **every** operator
    /// in safety, æøå 😀 now.", a list item "Workforce", an empty paragraph;
    /// then, from another client, "Please " before "Train" and "Our " before
    /// "Objectives". Anchors are `Y.encodeRelativePosition` of
    /// `absolutePositionToRelativePosition` around each quoted passage.
    const YJS_STATE: &[u8] = &[
        1, 17, 215, 8, 0, 7, 1, 7, 100, 101, 102, 97, 117, 108, 116, 3, 7, 104, 101, 97, 100, 105,
        110, 103, 7, 0, 215, 8, 0, 6, 4, 0, 215, 8, 1, 10, 79, 98, 106, 101, 99, 116, 105, 118,
        101, 115, 40, 0, 215, 8, 0, 5, 108, 101, 118, 101, 108, 1, 125, 2, 135, 215, 8, 0, 3, 9,
        112, 97, 114, 97, 103, 114, 97, 112, 104, 7, 0, 215, 8, 13, 6, 4, 0, 215, 8, 14, 6, 84,
        114, 97, 105, 110, 32, 134, 215, 8, 20, 4, 98, 111, 108, 100, 2, 123, 125, 132, 215, 8, 21,
        5, 101, 118, 101, 114, 121, 134, 215, 8, 26, 4, 98, 111, 108, 100, 4, 110, 117, 108, 108,
        132, 215, 8, 27, 37, 32, 111, 112, 101, 114, 97, 116, 111, 114, 32, 105, 110, 32, 115, 97,
        102, 101, 116, 121, 44, 32, 195, 166, 195, 184, 195, 165, 32, 240, 159, 152, 128, 32, 110,
        111, 119, 46, 135, 215, 8, 13, 3, 10, 98, 117, 108, 108, 101, 116, 76, 105, 115, 116, 7, 0,
        215, 8, 60, 3, 8, 108, 105, 115, 116, 73, 116, 101, 109, 7, 0, 215, 8, 61, 3, 9, 112, 97,
        114, 97, 103, 114, 97, 112, 104, 7, 0, 215, 8, 62, 6, 4, 0, 215, 8, 63, 9, 87, 111, 114,
        107, 102, 111, 114, 99, 101, 135, 215, 8, 60, 3, 9, 112, 97, 114, 97, 103, 114, 97, 112,
        104, 0,
    ];
    const YJS_EDIT: &[u8] = &[
        1, 2, 174, 17, 0, 68, 215, 8, 15, 7, 80, 108, 101, 97, 115, 101, 32, 68, 215, 8, 2, 4, 79,
        117, 114, 32, 0,
    ];
    /// (name, start, end, quote as y-prosemirror's textBetween(…, "\n") gave it)
    const YJS_ANCHORS: &[(&str, &[u8], &[u8], &str)] = &[
        (
            "every_operator",
            &[0, 215, 8, 20, 65],
            &[0, 215, 8, 36, 65],
            "every operator",
        ),
        (
            "across",
            &[2, 215, 8, 1, 65],
            &[0, 215, 8, 19, 65],
            "Objectives\nTrain",
        ),
        (
            "emoji",
            &[0, 215, 8, 48, 65],
            &[0, 215, 8, 54, 65],
            "æøå 😀",
        ),
        (
            "list_item",
            &[2, 215, 8, 63, 65],
            &[0, 215, 8, 72, 65],
            "Workforce",
        ),
        (
            "empty_end",
            &[2, 215, 8, 73, 0],
            &[1, 7, 100, 101, 102, 97, 117, 108, 116, 0],
            "",
        ),
        (
            "whole",
            &[1, 7, 100, 101, 102, 97, 117, 108, 116, 65],
            &[1, 7, 100, 101, 102, 97, 117, 108, 116, 0],
            "Objectives\nTrain every operator in safety, æøå 😀 now.\nWorkforce\n",
        ),
    ];

    #[test]
    fn anchors_made_by_yjs_in_the_browser_resolve_to_their_passages() {
        let doc = crate::version::load_state(YJS_STATE).unwrap();
        let index = AnchorIndex::new(&doc);
        assert_eq!(
            index.text(),
            "Objectives\nTrain every operator in safety, æøå 😀 now.\nWorkforce\n"
        );
        for (name, start, end, quote) in YJS_ANCHORS {
            let r = index.resolve(start, end).unwrap();
            assert_eq!(r.quote, *quote, "{name}");
            assert_eq!(
                r.end - r.start,
                quote.encode_utf16().count() as u32,
                "{name}"
            );
        }
        let r = index.resolve(YJS_ANCHORS[2].1, YJS_ANCHORS[2].2).unwrap();
        // "Objectives\n" 11 + "Train every operator in safety, " 32 = 43; 😀 is two units.
        assert_eq!((r.start, r.end), (43, 49));

        // Someone typed before both passages.
        apply(&doc, YJS_EDIT);
        let index = AnchorIndex::new(&doc);
        let quote = |i: usize| {
            let (_, s, e, _) = YJS_ANCHORS[i];
            index.resolve(s, e).unwrap().quote
        };
        assert_eq!(quote(0), "every operator");
        assert_eq!(quote(2), "æøå 😀");
        assert_eq!(quote(3), "Workforce");
        // A start anchored at a block's very beginning takes in what is
        // typed there (y-prosemirror anchors before a position: assoc -1).
        assert_eq!(quote(1), "Our Objectives\nPlease Train");
    }

    #[test]
    fn yjs_positions_without_the_assoc_byte_decode() {
        let doc = crate::version::load_state(YJS_STATE).unwrap();
        let index = AnchorIndex::new(&doc);
        // Yjs before 13.5 ended the encoding after the item id; Yjs reads that as assoc 0.
        let start = &YJS_ANCHORS[0].1[..4];
        let r = index.resolve(start, YJS_ANCHORS[0].2).unwrap();
        assert_eq!(decode(start).unwrap().assoc, Assoc::After);
        // "After" char 20 (the space before "every"): starts at that space.
        assert_eq!(r.quote, " every operator");
    }

    fn anchor(t: &XmlTextRef, doc: &yrs::Doc, index: u32) -> Vec<u8> {
        // As y-prosemirror anchors: before the position.
        t.sticky_index(&doc.transact(), index, Assoc::Before)
            .unwrap()
            .encode_v1()
    }

    fn passage_doc() -> yrs::Doc {
        paragraphs(
            1,
            &[
                "Intro paragraph.",
                "We train every operator in safety.",
                "Closing.",
            ],
        )
    }

    #[test]
    fn text_typed_before_the_passage_keeps_the_quote() {
        let doc = passage_doc();
        let f = frag(&doc);
        let t = text_of(&doc.transact(), &f, 1);
        let (s, e) = (anchor(&t, &doc, 9), anchor(&t, &doc, 23));
        assert_eq!(
            AnchorIndex::new(&doc).resolve(&s, &e).unwrap().quote,
            "every operator"
        );

        let other = fork(&doc, 2);
        {
            let f = frag(&other);
            let mut txn = other.transact_mut();
            text_of(&txn, &f, 1).insert(&mut txn, 3, "really ");
            text_of(&txn, &f, 0).insert(&mut txn, 0, "An ");
            let p = f.insert(&mut txn, 0, yrs::XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, yrs::XmlTextPrelim::new("New first"));
        }
        {
            let mut txn = doc.transact_mut();
            // Concurrently, typed right after the passage.
            t.insert(&mut txn, 23, " and manager");
        }
        sync(&doc, &other);
        for d in [&doc, &other] {
            let index = AnchorIndex::new(d);
            let r = index.resolve(&s, &e).unwrap();
            assert_eq!(r.quote, "every operator");
            let text = index.text();
            let before: String = text
                .encode_utf16()
                .take(r.start as usize)
                .map(|u| u as u8 as char)
                .collect();
            assert_eq!(before, "New first\nAn Intro paragraph.\nWe really train ");
        }
    }

    #[test]
    fn deleting_the_passage_collapses_the_range() {
        let doc = passage_doc();
        let f = frag(&doc);
        let t = text_of(&doc.transact(), &f, 1);
        let (s, e) = (anchor(&t, &doc, 9), anchor(&t, &doc, 23));
        {
            let mut txn = doc.transact_mut();
            t.remove_range(&mut txn, 3, 24); // "train every operator in "
        }
        let r = AnchorIndex::new(&doc).resolve(&s, &e).unwrap();
        assert_eq!(r.quote, "");
        assert_eq!(r.start, r.end);
        // Where the passage was: after "We ".
        assert_eq!(r.start, "Intro paragraph.\nWe ".len() as u32);
    }

    #[test]
    fn deleting_the_whole_paragraph_collapses_too() {
        let doc = passage_doc();
        let f = frag(&doc);
        let t = text_of(&doc.transact(), &f, 1);
        let (s, e) = (anchor(&t, &doc, 9), anchor(&t, &doc, 23));
        {
            let mut txn = doc.transact_mut();
            f.remove_range(&mut txn, 1, 1);
        }
        // Its items are garbage-collected, here and in any copy.
        for d in [doc.clone(), fork(&doc, 9)] {
            let r = AnchorIndex::new(&d).resolve(&s, &e).unwrap();
            assert_eq!((r.start, r.end, r.quote.as_str()), (0, 0, ""));
        }
    }

    #[test]
    fn anchors_across_two_paragraphs() {
        let doc = passage_doc();
        let f = frag(&doc);
        let (t0, t1) = {
            let txn = doc.transact();
            (text_of(&txn, &f, 0), text_of(&txn, &f, 1))
        };
        let (s, e) = (anchor(&t0, &doc, 6), anchor(&t1, &doc, 8));
        let index = AnchorIndex::new(&doc);
        assert_eq!(index.resolve(&s, &e).unwrap().quote, "paragraph.\nWe train");
        assert_eq!(index.resolve(&e, &s), Err(AnchorError::EndBeforeStart));
        // The first paragraph goes: the start falls back to the end's block.
        {
            let mut txn = doc.transact_mut();
            f.remove_range(&mut txn, 0, 1);
        }
        assert_eq!(
            AnchorIndex::new(&doc).resolve(&s, &e).unwrap().quote,
            "We train"
        );
    }

    #[test]
    fn utf16_offsets_whatever_the_documents_own_counting() {
        for kind in [OffsetKind::Utf16, OffsetKind::Bytes] {
            let doc = yrs::Doc::with_options(yrs::Options {
                offset_kind: kind,
                ..yrs::Options::default()
            });
            let f = frag(&doc);
            {
                let mut txn = doc.transact_mut();
                para(&mut txn, &f, "Blåbær 😀 og æøå");
            }
            let t = text_of(&doc.transact(), &f, 0);
            // Positions in the document's own units around "😀 og".
            let (a, b) = match kind {
                OffsetKind::Utf16 => (7, 12),
                _ => ("Blåbær ".len() as u32, "Blåbær 😀 og".len() as u32),
            };
            let (s, e) = (anchor(&t, &doc, a), anchor(&t, &doc, b));
            let r = AnchorIndex::new(&doc).resolve(&s, &e).unwrap();
            assert_eq!(r.quote, "😀 og", "{kind:?}");
            assert_eq!((r.start, r.end), (7, 12), "{kind:?}");
        }
    }

    #[test]
    fn foreign_and_malformed_anchors_are_refused() {
        let doc = passage_doc();
        let index = AnchorIndex::new(&doc);
        let f = frag(&doc);
        let t = text_of(&doc.transact(), &f, 1);
        let ok = anchor(&t, &doc, 3);
        assert_eq!(index.resolve(&[], &ok), Err(AnchorError::Undecodable));
        assert_eq!(index.resolve(&ok, &[9, 9]), Err(AnchorError::Undecodable));
        // A client id over 53 bits, which yrs would assert on.
        let huge = [0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 0];
        assert_eq!(index.resolve(&huge, &ok), Err(AnchorError::Undecodable));
        // An item of another document.
        let other = paragraphs(77, &["Somewhere else"]);
        let other_frag = frag(&other);
        let elsewhere = anchor(&text_of(&other.transact(), &other_frag, 0), &other, 2);
        assert_eq!(
            index.resolve(&elsewhere, &ok),
            Err(AnchorError::ForeignDocument)
        );
        // A clock this document has not reached.
        let future =
            StickyIndex::from_id(yrs::ID::new(doc.client_id(), 10_000), Assoc::After).encode_v1();
        assert_eq!(
            index.resolve(&ok, &future),
            Err(AnchorError::ForeignDocument)
        );
        // Another root type.
        let root =
            StickyIndex::new(IndexScope::Root("prosemirror".into()), Assoc::After).encode_v1();
        assert_eq!(index.resolve(&ok, &root), Err(AnchorError::ForeignDocument));
    }

    #[test]
    fn the_linear_text_is_the_plain_text_less_its_last_newline() {
        let d = mixed_layout();
        let linear = AnchorIndex::new(&d).text();
        assert_eq!(
            format!("{linear}\n"),
            crate::render::render(&d).plain_text()
        );
        assert_eq!(
            linear,
            "Title\nline one\nline two\nTop\nDeep\nTop, continued\nQuoted\nstray\n"
        );
    }

    #[test]
    fn element_and_fragment_positions_are_before_a_child() {
        let doc = doc(1);
        let f = frag(&doc);
        let list_el = {
            let mut txn = doc.transact_mut();
            heading(&mut txn, &f, 2, "Title");
            para(&mut txn, &f, "");
            list(&mut txn, &f, false, &["One", "Two"])
        };
        let index = AnchorIndex::new(&doc);
        assert_eq!(index.text(), "Title\n\nOne\nTwo");
        let txn = doc.transact();
        let at = |branch: &dyn Fn() -> Option<StickyIndex>| branch().unwrap().encode_v1();
        // Before the fragment's child 2 (the list) .. before the list's child 1.
        let s = at(&|| f.sticky_index(&txn, 2, Assoc::After));
        let e = at(&|| list_el.sticky_index(&txn, 1, Assoc::After));
        let r = index.resolve(&s, &e).unwrap();
        assert_eq!(r.quote, "One\n");
        // The end of the fragment.
        let end = StickyIndex::new(IndexScope::Root(FRAGMENT.into()), Assoc::After).encode_v1();
        assert_eq!(index.resolve(&e, &end).unwrap().quote, "Two");
        drop(txn);

        // Before the second paragraph of an item: after the break that joins them.
        let li = {
            let mut txn = doc.transact_mut();
            let Some(yrs::XmlOut::Element(li)) = list_el.get(&txn, 0) else {
                panic!()
            };
            let p = li.insert(&mut txn, 1, yrs::XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, yrs::XmlTextPrelim::new("more"));
            li
        };
        let index = AnchorIndex::new(&doc);
        assert_eq!(index.text(), "Title\n\nOne\nmore\nTwo");
        let s = li
            .sticky_index(&doc.transact(), 1, Assoc::After)
            .unwrap()
            .encode_v1();
        assert_eq!(index.resolve(&s, &end).unwrap().quote, "more\nTwo");
    }

    // ---------------------------------------------------------- property

    #[derive(Debug, Clone)]
    enum Op {
        /// In the passage's paragraph, outside the passage.
        Beside {
            insert: bool,
            pos: usize,
            len: usize,
            word: String,
        },
        /// In some other top-level block.
        Other {
            block: usize,
            insert: bool,
            pos: usize,
            len: usize,
            word: String,
        },
        NewParagraph {
            at: usize,
            word: String,
        },
        DropParagraph {
            at: usize,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        let word = "[a-zæøå😀 ]{1,6}";
        prop_oneof![
            (any::<bool>(), any::<usize>(), 1..4usize, word).prop_map(
                |(insert, pos, len, word)| Op::Beside {
                    insert,
                    pos,
                    len,
                    word
                }
            ),
            (
                any::<usize>(),
                any::<bool>(),
                any::<usize>(),
                1..4usize,
                word
            )
                .prop_map(|(block, insert, pos, len, word)| Op::Other {
                    block,
                    insert,
                    pos,
                    len,
                    word
                }),
            (any::<usize>(), word).prop_map(|(at, word)| Op::NewParagraph { at, word }),
            any::<usize>().prop_map(|at| Op::DropParagraph { at }),
        ]
    }

    /// Applies `op` to `doc`, never touching the passage between `s` and `e`.
    fn apply_op(doc: &yrs::Doc, s: &[u8], e: &[u8], op: &Op) {
        let f = frag(doc);
        let mut txn = doc.transact_mut();
        let (start, end) = (
            decode(s).unwrap().get_offset(&txn).unwrap(),
            decode(e).unwrap().get_offset(&txn).unwrap(),
        );
        let passage = XmlTextRef::from(start.branch);
        let (p, q) = (start.index, end.index);
        let edit = |txn: &mut yrs::TransactionMut,
                    t: &XmlTextRef,
                    allowed: &[(u32, u32)],
                    insert: bool,
                    pos: usize,
                    len: usize,
                    word: &str| {
            // Ranges of indexes where an insert, or a deletion's start, may go.
            let total: u32 = allowed.iter().map(|(a, b)| b - a + 1).sum();
            if total == 0 {
                return;
            }
            let mut k = (pos % total as usize) as u32;
            for &(a, b) in allowed {
                if k <= b - a {
                    let at = a + k;
                    if insert {
                        t.insert(txn, at, word);
                    } else {
                        let n = (len as u32).min(b - at);
                        if n > 0 {
                            t.remove_range(txn, at, n);
                        }
                    }
                    return;
                }
                k -= b - a + 1;
            }
        };
        match op {
            Op::Beside {
                insert,
                pos,
                len,
                word,
            } => {
                let l = passage.len(&txn);
                // Inserting at p would land inside (the start sticks before it).
                let allowed = if *insert {
                    vec![(0, p - 1), (q, l)]
                } else {
                    vec![(0, p), (q, l)]
                };
                edit(&mut txn, &passage, &allowed, *insert, *pos, *len, word);
            }
            Op::Other {
                block,
                insert,
                pos,
                len,
                word,
            } => {
                let n = f.len(&txn);
                let Some(yrs::XmlOut::Element(el)) = f.get(&txn, (*block % n as usize) as u32)
                else {
                    return;
                };
                let Some(yrs::XmlOut::Text(t)) = el.get(&txn, 0) else {
                    return;
                };
                if t == passage {
                    return;
                }
                let l = t.len(&txn);
                edit(&mut txn, &t, &[(0, l)], *insert, *pos, *len, word);
            }
            Op::NewParagraph { at, word } => {
                let n = f.len(&txn);
                let el = f.insert(
                    &mut txn,
                    (*at % (n as usize + 1)) as u32,
                    yrs::XmlElementPrelim::empty("paragraph"),
                );
                el.insert(&mut txn, 0, yrs::XmlTextPrelim::new(word.as_str()));
            }
            Op::DropParagraph { at } => {
                let n = f.len(&txn);
                let i = (*at % n as usize) as u32;
                let Some(yrs::XmlOut::Element(el)) = f.get(&txn, i) else {
                    return;
                };
                if let Some(yrs::XmlOut::Text(t)) = el.get(&txn, 0) {
                    if t == passage {
                        return;
                    }
                }
                f.remove_range(&mut txn, i, 1);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn edits_outside_a_passage_keep_its_quote(
            a_ops in prop::collection::vec(op(), 0..12),
            b_ops in prop::collection::vec(op(), 0..12),
        ) {
            let base = paragraphs(1, &["Intro æøå.", "We train every operator 😀 in safety.", "Closing."]);
            let base_frag = frag(&base);
            let t = text_of(&base.transact(), &base_frag, 1);
            // "every operator 😀": UTF-16 indexes 9..26.
            let (s, e) = (anchor(&t, &base, 9), anchor(&t, &base, 26));
            let quote = "every operator 😀";
            prop_assert_eq!(AnchorIndex::new(&base).resolve(&s, &e).unwrap().quote, quote);
            let a = fork(&base, 2);
            let b = fork(&base, 3);
            for op in &a_ops { apply_op(&a, &s, &e, op); }
            for op in &b_ops { apply_op(&b, &s, &e, op); }
            prop_assert_eq!(AnchorIndex::new(&a).resolve(&s, &e).unwrap().quote, quote);
            sync(&a, &b);
            for d in [&a, &b] {
                let r = AnchorIndex::new(d).resolve(&s, &e).unwrap();
                prop_assert_eq!(&r.quote, quote);
                let text = AnchorIndex::new(d).text();
                let units: Vec<u16> = text.encode_utf16().collect();
                prop_assert_eq!(String::from_utf16_lossy(&units[r.start as usize..r.end as usize]), quote);
            }
        }
    }
}
