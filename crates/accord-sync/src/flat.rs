//! The document as a flat list of text blocks, the common ground of diffs
//! and anchors: headings, paragraphs and list items, each with its plain
//! text, and the doc's "linear text" — the block texts joined by `"\n"` —
//! in which anchors are located (UTF-16, as the browser counts).
//!
//! The walk follows `render.rs`'s reading of the TipTap layout: a list item
//! is one block (its paragraphs joined by `"\n"`), a nested list gives blocks
//! one level deeper, unknown containers are read for their text, stray
//! inline content between blocks forms a paragraph.

use std::collections::HashMap;

use yrs::branch::Branch;
use yrs::types::text::YChange;
use yrs::{
    Any, BranchID, IdSet, Out, ReadTxn, Snapshot, Text, TransactionMut, XmlElementRef, XmlFragment,
    XmlOut, XmlTextRef,
};

use crate::diff::BlockKind;
use crate::render::{number_attr, tag};

fn branch_id<B: AsRef<Branch>>(b: &B) -> BranchID {
    b.as_ref().id()
}

/// Who inserted a nested branch (a line break is written by someone too).
fn author(id: &BranchID) -> Option<u64> {
    match id {
        BranchID::Nested(id) => Some(id.client.get()),
        BranchID::Root(_) => None,
    }
}

/// Deeper elements are read for their text only (as `render.rs` does).
const MAX_DEPTH: usize = 32;

/// A run of a block's text written by one client (`None`: unknown, e.g. a
/// line break, or text read without attribution). `end` is a byte offset
/// into the block's text; a run starts where the previous one ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub end: usize,
    pub by: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlatBlock {
    pub kind: BlockKind,
    pub text: String,
    pub runs: Vec<Run>,
}

/// Reads the text of an XmlText as chunks, with their authors if known.
pub(crate) trait Reader {
    type Txn: ReadTxn;
    fn txn(&self) -> &Self::Txn;
    fn text(&mut self, text: &XmlTextRef) -> Vec<(String, Option<u64>)>;
}

/// Text without authors, through a read transaction.
pub(crate) struct Plain<T>(pub T);

impl<T: ReadTxn> Reader for Plain<T> {
    type Txn = T;
    fn txn(&self) -> &T {
        &self.0
    }
    fn text(&mut self, text: &XmlTextRef) -> Vec<(String, Option<u64>)> {
        text.diff(&self.0, YChange::identity)
            .into_iter()
            .filter_map(|d| match d.insert {
                Out::Any(Any::String(s)) => Some((s.to_string(), None)),
                _ => None,
            })
            .collect()
    }
}

/// Text with the client id of every run. yrs exposes no public walk over a
/// text's items, but `diff_range` from a snapshot of now to the empty one
/// marks every item it shows as added, with its id. The "now" given to it
/// has an empty delete set: with the real one, yrs walks the whole delete
/// set for every text (which was half of a long document's diff time).
/// Deleted items it then shows are dropped here by their id instead
/// (collected ones it skips itself). It needs a write transaction, in which
/// such a snapshot splits no block and changes nothing.
pub(crate) struct Attributed<'doc> {
    txn: TransactionMut<'doc>,
    now: Snapshot,
    empty: Snapshot,
    deleted: IdSet,
}

impl<'doc> Attributed<'doc> {
    pub fn new(txn: TransactionMut<'doc>) -> Self {
        let Snapshot {
            delete_set,
            state_map,
        } = txn.snapshot();
        Attributed {
            txn,
            now: Snapshot::new(state_map, IdSet::new()),
            empty: Snapshot::default(),
            deleted: delete_set,
        }
    }
}

impl<'doc> Reader for Attributed<'doc> {
    type Txn = TransactionMut<'doc>;
    fn txn(&self) -> &TransactionMut<'doc> {
        &self.txn
    }
    fn text(&mut self, text: &XmlTextRef) -> Vec<(String, Option<u64>)> {
        let deleted = &self.deleted;
        text.diff_range(
            &mut self.txn,
            Some(&self.now),
            Some(&self.empty),
            YChange::identity,
        )
        .into_iter()
        .filter_map(|d| {
            let id = d.ychange.map(|c| c.id);
            match d.insert {
                // Each chunk is one item, so its first id tells whether it is deleted.
                Out::Any(Any::String(s)) if !id.is_some_and(|id| deleted.contains(&id)) => {
                    Some((s.to_string(), id.map(|id| id.client.get())))
                }
                _ => None,
            }
        })
        .collect()
    }
}

/// Where a branch's content lies in the linear text, for anchors.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// An XmlText starting at `start`; `bytes` holds its text when the doc
    /// counts offsets in UTF-8 bytes, to convert them.
    Text { start: u32, bytes: Option<String> },
    /// An element or the fragment: where each child starts, and its end.
    Element { children: Vec<u32>, end: u32 },
}

/// What a walk produced.
pub(crate) struct Flat {
    pub blocks: Vec<FlatBlock>,
    /// Filled only when asked for.
    pub places: HashMap<BranchID, Place>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    Item { ordered: bool, depth: u8 },
}

struct Walk<'r, R> {
    reader: &'r mut R,
    blocks: Vec<FlatBlock>,
    /// The block receiving inline content, if one is open.
    open: bool,
    /// UTF-16 length of the linear text so far.
    pos: u32,
    places: Option<HashMap<BranchID, Place>>,
    /// Child boundaries waiting for the next content to learn their offset:
    /// "before child i" is where child i's first text (or block) begins.
    pending: Vec<(BranchID, usize)>,
    keep_bytes: bool,
}

/// Flattens `fragment`. With `places`, also records where every visited
/// branch lies in the linear text (`keep_bytes`: the doc counts in bytes).
pub(crate) fn flatten<R: Reader, F: XmlFragment>(
    reader: &mut R,
    fragment: &F,
    places: bool,
    keep_bytes: bool,
) -> Flat {
    let mut walk = Walk {
        reader,
        blocks: Vec::new(),
        open: false,
        pos: 0,
        places: places.then(HashMap::new),
        pending: Vec::new(),
        keep_bytes,
    };
    let id = branch_id(fragment);
    let children: Vec<XmlOut> = fragment.children(walk.reader.txn()).collect();
    walk.container(id, children, Ctx::Top, 0);
    walk.close();
    walk.resolve_pending();
    Flat {
        blocks: walk.blocks,
        places: walk.places.unwrap_or_default(),
    }
}

impl<R: Reader> Walk<'_, R> {
    fn enter(&mut self, id: &BranchID, n: usize) {
        if let Some(places) = &mut self.places {
            places.insert(
                id.clone(),
                Place::Element {
                    children: vec![0; n],
                    end: 0,
                },
            );
        }
    }

    fn child(&mut self, id: &BranchID, i: usize) {
        if self.places.is_some() {
            self.pending.push((id.clone(), i));
        }
    }

    fn exit(&mut self, id: &BranchID) {
        let pos = self.pos;
        if let Some(Place::Element { end, .. }) = self.places.as_mut().and_then(|p| p.get_mut(id)) {
            *end = pos;
        }
    }

    fn resolve_pending(&mut self) {
        let pos = self.pos;
        let Some(places) = &mut self.places else {
            return;
        };
        for (id, i) in self.pending.drain(..) {
            if let Some(Place::Element { children, .. }) = places.get_mut(&id) {
                if let Some(slot) = children.get_mut(i) {
                    *slot = pos;
                }
            }
        }
    }

    fn start_block(&mut self, kind: BlockKind) {
        self.close();
        if !self.blocks.is_empty() {
            self.pos += 1; // the "\n" between blocks
        }
        self.resolve_pending();
        self.blocks.push(FlatBlock {
            kind,
            text: String::new(),
            runs: Vec::new(),
        });
        self.open = true;
    }

    fn close(&mut self) {
        self.open = false;
    }

    /// Makes sure inline content has a block to go to.
    fn ensure_open(&mut self, ctx: Ctx) {
        if !self.open {
            self.start_block(match ctx {
                Ctx::Top => BlockKind::Paragraph,
                Ctx::Item { ordered, depth } => BlockKind::ListItem { ordered, depth },
            });
        }
    }

    fn push(&mut self, s: &str, by: Option<u64>) {
        if s.is_empty() {
            return;
        }
        self.resolve_pending();
        self.pos += u32::try_from(s.encode_utf16().count()).unwrap_or(u32::MAX);
        let Some(block) = self.blocks.last_mut() else {
            return;
        };
        block.text.push_str(s);
        let end = block.text.len();
        match block.runs.last_mut() {
            Some(run) if run.by == by => run.end = end,
            _ => block.runs.push(Run { end, by }),
        }
    }

    fn text(&mut self, t: &XmlTextRef, ctx: Ctx) {
        self.ensure_open(ctx);
        self.resolve_pending();
        let start = self.pos;
        let chunks = self.reader.text(t);
        if let Some(places) = &mut self.places {
            let bytes = self
                .keep_bytes
                .then(|| chunks.iter().map(|(s, _)| s.as_str()).collect::<String>());
            places.insert(branch_id(t), Place::Text { start, bytes });
        }
        for (s, by) in &chunks {
            self.push(s, *by);
        }
    }

    /// Children of the fragment, a list item or an unknown container.
    fn container(&mut self, id: BranchID, children: Vec<XmlOut>, ctx: Ctx, depth: usize) {
        self.enter(&id, children.len());
        for (i, child) in children.into_iter().enumerate() {
            self.child(&id, i);
            match child {
                XmlOut::Element(el) => self.element(&el, ctx, depth),
                XmlOut::Text(t) => self.text(&t, ctx),
                XmlOut::Fragment(f) => {
                    if depth < MAX_DEPTH {
                        let kids: Vec<XmlOut> = f.children(self.reader.txn()).collect();
                        self.container(branch_id(&f), kids, ctx, depth + 1);
                    }
                }
            }
        }
        self.exit(&id);
    }

    fn element(&mut self, el: &XmlElementRef, ctx: Ctx, depth: usize) {
        if depth >= MAX_DEPTH {
            self.ensure_open(ctx);
            self.flat_text(el);
            return;
        }
        let id = branch_id(el);
        let children: Vec<XmlOut> = el.children(self.reader.txn()).collect();
        match tag(el) {
            "paragraph" | "heading" => {
                match ctx {
                    Ctx::Top => {
                        let kind = if tag(el) == "heading" {
                            let level = number_attr(self.reader.txn(), el, "level")
                                .unwrap_or(1.0)
                                .clamp(1.0, 6.0) as u8;
                            BlockKind::Heading { level }
                        } else {
                            BlockKind::Paragraph
                        };
                        self.start_block(kind);
                    }
                    Ctx::Item { .. } => {
                        // A second paragraph of one item continues its
                        // block; it begins after the line break, so the
                        // boundary before it waits for its text.
                        if self.open {
                            let pending = std::mem::take(&mut self.pending);
                            self.push("\n", None);
                            self.pending = pending;
                        } else {
                            self.ensure_open(ctx);
                        }
                    }
                }
                self.inline(id, children, depth);
                if ctx == Ctx::Top {
                    self.close();
                }
            }
            "bulletList" | "orderedList" => {
                let ordered = tag(el) == "orderedList";
                let item_depth = match ctx {
                    Ctx::Top => 0,
                    Ctx::Item { depth, .. } => depth.saturating_add(1),
                };
                self.close();
                self.enter(&id, children.len());
                for (i, child) in children.into_iter().enumerate() {
                    self.child(&id, i);
                    let item = Ctx::Item {
                        ordered,
                        depth: item_depth,
                    };
                    match child {
                        XmlOut::Element(li) if tag(&li) == "listItem" => {
                            self.list_item(&li, item, depth + 1)
                        }
                        other => {
                            // Content straight in a list: an item of its own.
                            self.close();
                            self.container_of(other, item, depth + 1);
                            self.close();
                        }
                    }
                }
                self.exit(&id);
            }
            "listItem" => {
                let item = Ctx::Item {
                    ordered: false,
                    depth: match ctx {
                        Ctx::Top => 0,
                        Ctx::Item { depth, .. } => depth.saturating_add(1),
                    },
                };
                self.list_item(el, item, depth);
            }
            "hardBreak" => {
                self.ensure_open(ctx);
                self.enter(&id, 0);
                self.push("\n", author(&id));
                self.exit(&id);
            }
            "text" | "image" | "mention" => {
                self.ensure_open(ctx);
                self.inline(id, children, depth);
            }
            _ => {
                if ctx == Ctx::Top {
                    self.close();
                }
                self.container(id, children, ctx, depth + 1);
                if ctx == Ctx::Top {
                    self.close();
                }
            }
        }
    }

    fn list_item(&mut self, li: &XmlElementRef, item: Ctx, depth: usize) {
        self.close();
        let before = self.blocks.len();
        let kids: Vec<XmlOut> = li.children(self.reader.txn()).collect();
        if kids.is_empty() {
            self.ensure_open(item);
        }
        self.container(branch_id(li), kids, item, depth + 1);
        // Even an empty item is a block: the reader sees its bullet.
        if self.blocks.len() == before {
            self.ensure_open(item);
        }
        self.close();
    }

    fn container_of(&mut self, node: XmlOut, ctx: Ctx, depth: usize) {
        match node {
            XmlOut::Element(el) => self.element(&el, ctx, depth),
            XmlOut::Text(t) => self.text(&t, ctx),
            XmlOut::Fragment(f) => {
                let kids: Vec<XmlOut> = f.children(self.reader.txn()).collect();
                self.container(branch_id(&f), kids, ctx, depth + 1);
            }
        }
    }

    /// Inline content of a paragraph or heading.
    fn inline(&mut self, id: BranchID, children: Vec<XmlOut>, depth: usize) {
        self.enter(&id, children.len());
        for (i, child) in children.into_iter().enumerate() {
            self.child(&id, i);
            match child {
                XmlOut::Text(t) => self.text(&t, Ctx::Top),
                XmlOut::Element(inner) if tag(&inner) == "hardBreak" => {
                    let inner_id = branch_id(&inner);
                    self.enter(&inner_id, 0);
                    self.push("\n", author(&inner_id));
                    self.exit(&inner_id);
                }
                XmlOut::Element(inner) => {
                    if depth + 1 < MAX_DEPTH {
                        let kids: Vec<XmlOut> = inner.children(self.reader.txn()).collect();
                        self.inline(branch_id(&inner), kids, depth + 1);
                    } else {
                        self.flat_text(&inner);
                    }
                }
                XmlOut::Fragment(_) => {}
            }
        }
        self.exit(&id);
    }

    /// Every piece of text below `el`, iteratively so depth cannot hurt.
    fn flat_text(&mut self, el: &XmlElementRef) {
        let mut stack: Vec<XmlOut> = el.children(self.reader.txn()).collect();
        stack.reverse();
        while let Some(node) = stack.pop() {
            match node {
                XmlOut::Text(t) => {
                    for (s, by) in self.reader.text(&t) {
                        self.push(&s, by);
                    }
                }
                XmlOut::Element(e) => {
                    let mut kids: Vec<XmlOut> = e.children(self.reader.txn()).collect();
                    kids.reverse();
                    stack.extend(kids);
                }
                XmlOut::Fragment(f) => {
                    let mut kids: Vec<XmlOut> = f.children(self.reader.txn()).collect();
                    kids.reverse();
                    stack.extend(kids);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_docs::*;
    use yrs::Transact;

    fn blocks(doc: &yrs::Doc) -> Vec<(BlockKind, String)> {
        let mut plain = Plain(doc.transact());
        let f = plain.0.get_xml_fragment(crate::render::FRAGMENT).unwrap();
        flatten(&mut plain, &f, false, false)
            .blocks
            .into_iter()
            .map(|b| (b.kind, b.text))
            .collect()
    }

    #[test]
    fn the_tiptap_layout_flattens_to_blocks_in_reading_order() {
        let d = mixed_layout();
        let item = |ordered, depth| BlockKind::ListItem { ordered, depth };
        assert_eq!(
            blocks(&d),
            vec![
                (BlockKind::Heading { level: 2 }, "Title".into()),
                (BlockKind::Paragraph, "line one\nline two".into()),
                (item(false, 0), "Top".into()),
                (item(true, 1), "Deep".into()),
                (item(false, 0), "Top, continued".into()),
                (BlockKind::Paragraph, "Quoted".into()),
                (BlockKind::Paragraph, "stray".into()),
                (BlockKind::Paragraph, String::new()),
            ]
        );
        // The linear text is the rendering's plain text, less its last newline.
        let linear = crate::anchors::AnchorIndex::new(&d).text();
        assert_eq!(
            format!("{linear}\n"),
            crate::render::render(&d).plain_text()
        );
    }
}
