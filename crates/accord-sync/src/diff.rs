//! What changed between two states of a document, block by block and word
//! by word, and who wrote what was inserted.
//!
//! The diff is computed here from two states rather than rendered by the
//! editor (y-prosemirror's snapshot rendering needs `permanentUserData`,
//! shows current attributes and a GC-free document), so the server can
//! serve it as JSON and HTML alike. Authorship is the Yjs client id of the
//! items that hold the text; the server maps client ids to participants.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp};
use unicode_segmentation::UnicodeSegmentation;
use yrs::{Doc, ReadTxn, Transact};

use crate::flat::{flatten, Attributed, FlatBlock, Plain, Run};
use crate::render::FRAGMENT;

/// The whole diff: `to`'s blocks in order, with deleted blocks where they stood.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocDiff {
    pub blocks: Vec<BlockDiff>,
    pub stats: DiffStats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockOp {
    Equal,
    Inserted,
    Deleted,
    /// The block exists on both sides with its words edited.
    Changed,
    /// The same text elsewhere in the document.
    Moved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentOp {
    Equal,
    Inserted,
    Deleted,
}

/// What a flattened block is. A list item is one block; `depth` 0 is a
/// top-level item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockKind {
    Heading { level: u8 },
    Paragraph,
    ListItem { ordered: bool, depth: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockDiff {
    pub op: BlockOp,
    /// Flattened into the block (`"kind": "heading", "level": 2`), the shape
    /// the HTTP API serves.
    #[serde(flatten)]
    pub kind: BlockKind,
    /// The block's plain text in `to` (in `from` for a deleted block).
    pub text: String,
    /// Word-level segments for changed blocks; `inserted` segments, split
    /// where the author changes, for inserted blocks; one `deleted` segment
    /// for deleted blocks; none for equal and moved blocks.
    pub segments: Vec<Segment>,
    /// The one client that wrote the block's new text (inserted and moved
    /// blocks: all of it; changed blocks: all inserted words); `None` when
    /// nobody did alone.
    pub by: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    pub op: SegmentOp,
    pub text: String,
    /// For inserted segments: the client that wrote them.
    pub by: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiffStats {
    pub inserted_words: u32,
    pub deleted_words: u32,
    pub changed_blocks: u32,
}

/// Blocks whose word overlap reaches this are one block edited, not one
/// deleted and another inserted.
const SIMILAR_ENOUGH: f32 = 0.5;
/// How many deleted blocks ahead an inserted block may be paired with: a
/// bound on the work of a wholesale rewrite.
const PAIRING_WINDOW: usize = 32;
/// A pathological paragraph gets an approximate word diff instead of a stall.
const WORD_DIFF_TIMEOUT: Duration = Duration::from_millis(250);

/// Words as the diff splits them (Unicode word boundaries, UAX #29): runs
/// of letters or digits; punctuation and emoji are not words.
pub(crate) fn count_words(text: &str) -> u32 {
    u32::try_from(text.unicode_words().count()).unwrap_or(u32::MAX)
}

/// Compares two states of a document. `from` is only read; `to` is read in
/// a write transaction that changes nothing (yrs needs one to tell who wrote
/// each run), so it must not be in a transaction already.
pub fn diff(from: &Doc, to: &Doc) -> DocDiff {
    let old = {
        let mut plain = Plain(from.transact());
        match plain.0.get_xml_fragment(FRAGMENT) {
            Some(f) => flatten(&mut plain, &f, false, false).blocks,
            None => Vec::new(),
        }
    };
    let new = {
        let fragment = to.transact().get_xml_fragment(FRAGMENT);
        match fragment {
            Some(f) => flatten(&mut Attributed::new(to.transact_mut()), &f, false, false).blocks,
            None => Vec::new(),
        }
    };
    diff_blocks(&visible(old), &visible(new))
}

/// Blank blocks show nothing to a reader (Markdown drops them too) and would
/// only give the alignment meaningless anchors.
fn visible(blocks: Vec<FlatBlock>) -> Vec<FlatBlock> {
    blocks
        .into_iter()
        .filter(|b| !b.text.trim().is_empty())
        .collect()
}

/// One step of the alignment, by index into the old and new blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Equal(usize, usize),
    Moved(usize, usize),
    /// With the word diff that showed the two blocks similar.
    Changed(usize, usize, Box<WordDiff>),
    Inserted(usize),
    Deleted(usize),
}

/// A block's text cut at Unicode word boundaries (words, spaces and
/// punctuation alike, so the pieces put together give the text back), each
/// piece as an interned id so that diffing compares integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tokens {
    ids: Vec<u32>,
    /// Byte offset of each token, and of the end.
    starts: Vec<usize>,
    /// The words' ids, sorted: a multiset to compare cheaply.
    bag: Vec<u32>,
}

/// Token ids shared by both sides of a diff.
#[derive(Default)]
struct Interner<'a>(HashMap<&'a str, u32>);

impl<'a> Interner<'a> {
    fn tokens(&mut self, text: &'a str) -> Tokens {
        let mut ids = Vec::new();
        let mut starts = Vec::new();
        let mut bag = Vec::new();
        let mut at = 0;
        for token in text.split_word_bounds() {
            let next = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
            let id = *self.0.entry(token).or_insert(next);
            ids.push(id);
            starts.push(at);
            at += token.len();
            if is_word(token) {
                bag.push(id);
            }
        }
        starts.push(at);
        bag.sort_unstable();
        Tokens { ids, starts, bag }
    }
}

impl Tokens {
    /// The byte range of tokens `i..i + len`.
    fn span(&self, i: usize, len: usize) -> (usize, usize) {
        (self.starts[i], self.starts[i + len])
    }

    /// How many of tokens `i..i + len` of `text` are words.
    fn words(&self, text: &str, i: usize, len: usize) -> u32 {
        let n = (i..i + len)
            .filter(|&k| is_word(&text[self.starts[k]..self.starts[k + 1]]))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// Two similar blocks' word diff, kept from pairing them for their segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WordDiff {
    ops: Vec<DiffOp>,
    old: Tokens,
    new: Tokens,
}

/// What `unicode_words` counts: a token with a letter or digit.
fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

/// The word diff of two token lists, approximate past a deadline.
fn word_ops(old: &Tokens, new: &Tokens) -> Vec<DiffOp> {
    let deadline = Instant::now() + WORD_DIFF_TIMEOUT;
    similar::capture_diff_slices_deadline(Algorithm::Myers, &old.ids, &new.ids, Some(deadline))
}

pub(crate) fn diff_blocks(old: &[FlatBlock], new: &[FlatBlock]) -> DocDiff {
    let steps = align(old, new);
    let mut stats = DiffStats::default();
    let blocks = steps
        .into_iter()
        .map(|step| match step {
            Step::Equal(_, n) => BlockDiff {
                op: BlockOp::Equal,
                kind: new[n].kind,
                text: new[n].text.clone(),
                segments: Vec::new(),
                by: None,
            },
            Step::Moved(_, n) => BlockDiff {
                op: BlockOp::Moved,
                kind: new[n].kind,
                text: new[n].text.clone(),
                segments: Vec::new(),
                by: sole_author(new[n].runs.iter().map(|r| r.by)),
            },
            Step::Inserted(n) => {
                let block = &new[n];
                stats.inserted_words = stats
                    .inserted_words
                    .saturating_add(count_words(&block.text));
                let mut segments = Vec::new();
                for (a, b, by) in pieces(&block.runs, 0, block.text.len(), &mut 0) {
                    push_segment(&mut segments, SegmentOp::Inserted, &block.text[a..b], by);
                }
                BlockDiff {
                    op: BlockOp::Inserted,
                    kind: block.kind,
                    text: block.text.clone(),
                    by: sole_author(segments.iter().map(|s| s.by)),
                    segments,
                }
            }
            Step::Deleted(o) => {
                let block = &old[o];
                stats.deleted_words = stats.deleted_words.saturating_add(count_words(&block.text));
                BlockDiff {
                    op: BlockOp::Deleted,
                    kind: block.kind,
                    text: block.text.clone(),
                    segments: vec![Segment {
                        op: SegmentOp::Deleted,
                        text: block.text.clone(),
                        by: None,
                    }],
                    by: None,
                }
            }
            Step::Changed(o, n, words) => {
                stats.changed_blocks += 1;
                let segments = word_segments(&old[o], &new[n], &words, &mut stats);
                BlockDiff {
                    op: BlockOp::Changed,
                    kind: new[n].kind,
                    text: new[n].text.clone(),
                    by: sole_author(
                        segments
                            .iter()
                            .filter(|s| s.op == SegmentOp::Inserted)
                            .map(|s| s.by),
                    ),
                    segments,
                }
            }
        })
        .collect();
    DocDiff { blocks, stats }
}

/// The one author among `authors`, ignoring unknown ones (line breaks
/// between paragraphs of an item have none).
fn sole_author(authors: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let mut found = None;
    for by in authors.flatten() {
        match found {
            None => found = Some(by),
            Some(f) if f == by => {}
            Some(_) => return None,
        }
    }
    found
}

/// Equal blocks by a longest common subsequence on exact text (Myers); the
/// same text found elsewhere is moved; what is left, paired in order where
/// words overlap enough, is changed; the rest inserted or deleted.
pub(crate) fn align<'a>(old: &'a [FlatBlock], new: &'a [FlatBlock]) -> Vec<Step> {
    // Interned keys make each comparison of the sequence diff an integer one.
    let mut ids: HashMap<(BlockKind, &'a str), usize> = HashMap::new();
    let mut key = |b: &'a FlatBlock| -> usize {
        let next = ids.len();
        *ids.entry((b.kind, b.text.as_str())).or_insert(next)
    };
    let old_keys: Vec<usize> = old.iter().map(&mut key).collect();
    let new_keys: Vec<usize> = new.iter().map(&mut key).collect();
    let ops = similar::capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys);

    // Hunks: the unmatched blocks of a gap, then the equal ones after it.
    struct Hunk {
        equal: Vec<(usize, usize)>,
        deleted: Vec<usize>,
        inserted: Vec<usize>,
    }
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut gap = Hunk {
        equal: Vec::new(),
        deleted: Vec::new(),
        inserted: Vec::new(),
    };
    for op in &ops {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                let mut equal: Vec<(usize, usize)> =
                    (0..len).map(|i| (old_index + i, new_index + i)).collect();
                gap.equal.append(&mut equal);
                hunks.push(gap);
                gap = Hunk {
                    equal: Vec::new(),
                    deleted: Vec::new(),
                    inserted: Vec::new(),
                };
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => gap.deleted.extend(old_index..old_index + old_len),
            DiffOp::Insert {
                new_index, new_len, ..
            } => gap.inserted.extend(new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                gap.deleted.extend(old_index..old_index + old_len);
                gap.inserted.extend(new_index..new_index + new_len);
            }
        }
    }
    hunks.push(gap);

    // Moves: exact text that left one place and arrived at another.
    let mut left: HashMap<usize, VecDeque<usize>> = HashMap::new();
    for h in &hunks {
        for &o in &h.deleted {
            left.entry(old_keys[o]).or_default().push_back(o);
        }
    }
    let mut moved_from: HashMap<usize, usize> = HashMap::new(); // new -> old
    let mut moved_old = vec![false; old.len()];
    for h in &hunks {
        for &n in &h.inserted {
            if let Some(o) = left.get_mut(&new_keys[n]).and_then(VecDeque::pop_front) {
                moved_from.insert(n, o);
                moved_old[o] = true;
            }
        }
    }

    let mut interner = Interner::default();
    let mut old_tokens: Vec<Option<Tokens>> = vec![None; old.len()];

    let mut steps = Vec::with_capacity(old.len().max(new.len()));
    for h in hunks {
        let deleted: Vec<usize> = h.deleted.into_iter().filter(|&o| !moved_old[o]).collect();
        // Pair each remaining inserted block with the most similar deleted
        // one not yet passed, within the window: (new block, the index into
        // `deleted` of the block it edits).
        type Pairing = (usize, Option<(usize, Box<WordDiff>)>);
        let mut pairs: Vec<Pairing> = Vec::with_capacity(h.inserted.len());
        let mut p = 0;
        for &n in &h.inserted {
            if moved_from.contains_key(&n) || p >= deleted.len() {
                pairs.push((n, None));
                continue;
            }
            let new_tokens = interner.tokens(&new[n].text);
            let mut best: Option<(usize, f32)> = None;
            for (j, &o) in deleted.iter().enumerate().skip(p).take(PAIRING_WINDOW) {
                let old_t = old_tokens[o].get_or_insert_with(|| interner.tokens(&old[o].text));
                let overlap = bag_overlap(&old_t.bag, &new_tokens.bag);
                if overlap >= SIMILAR_ENOUGH && best.is_none_or(|(_, b)| overlap > b) {
                    best = Some((j, overlap));
                }
            }
            // Word order matters too: confirm with the sequence ratio.
            let paired = best.and_then(|(j, _)| {
                let old_t = old_tokens[deleted[j]].as_ref()?;
                let ops = word_ops(old_t, &new_tokens);
                let ratio = similar::get_diff_ratio(&ops, old_t.ids.len(), new_tokens.ids.len());
                if ratio < SIMILAR_ENOUGH {
                    return None;
                }
                let old_t = old_tokens[deleted[j]].take()?;
                Some((
                    j,
                    Box::new(WordDiff {
                        ops,
                        old: old_t,
                        new: new_tokens,
                    }),
                ))
            });
            match paired {
                Some((j, ops)) => {
                    p = j + 1;
                    pairs.push((n, Some((j, ops))));
                }
                None => pairs.push((n, None)),
            }
        }
        // Emit in `to`'s order, each deleted block before the first new
        // block paired with a deleted block after it.
        let next_paired: Vec<usize> = {
            // For each position, the deleted index of the next pairing at or after it.
            let mut next = vec![deleted.len(); pairs.len() + 1];
            for i in (0..pairs.len()).rev() {
                next[i] = match &pairs[i].1 {
                    Some((j, _)) => *j,
                    None => next[i + 1],
                };
            }
            next
        };
        let mut d = 0;
        for (i, (n, paired)) in pairs.into_iter().enumerate() {
            while d < next_paired[i] {
                steps.push(Step::Deleted(deleted[d]));
                d += 1;
            }
            match (paired, moved_from.get(&n)) {
                (Some((j, ops)), _) => {
                    steps.push(Step::Changed(deleted[j], n, ops));
                    d = j + 1;
                }
                (None, Some(&o)) => steps.push(Step::Moved(o, n)),
                (None, None) => steps.push(Step::Inserted(n)),
            }
        }
        while d < deleted.len() {
            steps.push(Step::Deleted(deleted[d]));
            d += 1;
        }
        steps.extend(h.equal.into_iter().map(|(o, n)| Step::Equal(o, n)));
    }
    steps
}

/// Dice coefficient of two word multisets.
fn bag_overlap(a: &[u32], b: &[u32]) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (2 * common) as f32 / (a.len() + b.len()) as f32
}

/// Word-level segments of an edited block from its word diff; inserted
/// words split where their author changes.
fn word_segments(
    old: &FlatBlock,
    new: &FlatBlock,
    words: &WordDiff,
    stats: &mut DiffStats,
) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut run = 0;
    for op in &words.ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let (oi, ol) = (old_range.start, old_range.len());
        let (ni, nl) = (new_range.start, new_range.len());
        if matches!(tag, similar::DiffTag::Equal) {
            let (a, b) = words.new.span(ni, nl);
            push_segment(&mut segments, SegmentOp::Equal, &new.text[a..b], None);
            continue;
        }
        if ol > 0 {
            let n = words.old.words(&old.text, oi, ol);
            stats.deleted_words = stats.deleted_words.saturating_add(n);
            let (a, b) = words.old.span(oi, ol);
            push_segment(&mut segments, SegmentOp::Deleted, &old.text[a..b], None);
        }
        if nl > 0 {
            let n = words.new.words(&new.text, ni, nl);
            stats.inserted_words = stats.inserted_words.saturating_add(n);
            let (a, b) = words.new.span(ni, nl);
            for (x, y, by) in pieces(&new.runs, a, b, &mut run) {
                push_segment(&mut segments, SegmentOp::Inserted, &new.text[x..y], by);
            }
        }
    }
    segments
}

/// The byte range `[from, to)` cut where authorship changes. `run` is the
/// index of the first run that may still cover `from`, kept across calls
/// because ranges come in increasing order.
fn pieces(
    runs: &[Run],
    from: usize,
    to: usize,
    run: &mut usize,
) -> Vec<(usize, usize, Option<u64>)> {
    let mut out = Vec::new();
    let mut a = from;
    while a < to {
        while *run < runs.len() && runs[*run].end <= a {
            *run += 1;
        }
        let Some(r) = runs.get(*run) else {
            out.push((a, to, None));
            break;
        };
        let b = r.end.min(to);
        out.push((a, b, r.by));
        a = b;
    }
    out
}

fn push_segment(segments: &mut Vec<Segment>, op: SegmentOp, text: &str, by: Option<u64>) {
    if text.is_empty() {
        return;
    }
    match segments.last_mut() {
        Some(last) if last.op == op && last.by == by => last.text.push_str(text),
        _ => segments.push(Segment {
            op,
            text: text.to_owned(),
            by,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::test_docs::*;
    use proptest::prelude::*;
    use yrs::{GetString, Text, XmlFragment};

    fn ops(d: &DocDiff) -> Vec<(BlockOp, &str)> {
        d.blocks.iter().map(|b| (b.op, b.text.as_str())).collect()
    }

    #[test]
    fn equal_changed_inserted_deleted_with_word_segments() {
        let from = doc(1);
        {
            let f = frag(&from);
            let mut txn = from.transact_mut();
            heading(&mut txn, &f, 2, "Objectives");
            para(&mut txn, &f, "Train every operator in safety.");
            para(&mut txn, &f, "An old paragraph nobody wanted");
            para(&mut txn, &f, "Closing words");
        }
        let to = fork(&from, 2);
        {
            let f = frag(&to);
            let mut txn = to.transact_mut();
            text_of(&txn, &f, 1).insert(&mut txn, 12, "new ");
            f.remove_range(&mut txn, 2, 1);
            let p = f.insert(&mut txn, 2, yrs::XmlElementPrelim::empty("paragraph"));
            p.insert(
                &mut txn,
                0,
                yrs::XmlTextPrelim::new("Something else entirely"),
            );
        }
        let d = diff(&from, &to);
        assert_eq!(
            ops(&d),
            vec![
                (BlockOp::Equal, "Objectives"),
                (BlockOp::Changed, "Train every new operator in safety."),
                (BlockOp::Deleted, "An old paragraph nobody wanted"),
                (BlockOp::Inserted, "Something else entirely"),
                (BlockOp::Equal, "Closing words"),
            ]
        );
        assert_eq!(d.blocks[0].kind, BlockKind::Heading { level: 2 });
        let changed = &d.blocks[1];
        assert_eq!(
            changed.segments,
            vec![
                Segment {
                    op: SegmentOp::Equal,
                    text: "Train every ".into(),
                    by: None
                },
                Segment {
                    op: SegmentOp::Inserted,
                    text: "new ".into(),
                    by: Some(2)
                },
                Segment {
                    op: SegmentOp::Equal,
                    text: "operator in safety.".into(),
                    by: None
                },
            ]
        );
        assert_eq!(changed.by, Some(2));
        assert_eq!(d.blocks[3].by, Some(2));
        assert_eq!(
            d.blocks[3].segments,
            vec![Segment {
                op: SegmentOp::Inserted,
                text: "Something else entirely".into(),
                by: Some(2)
            }]
        );
        assert_eq!(d.blocks[2].segments[0].op, SegmentOp::Deleted);
        assert_eq!(
            d.stats,
            DiffStats {
                inserted_words: 1 + 3,
                deleted_words: 5,
                changed_blocks: 1
            }
        );
    }

    #[test]
    fn a_paragraph_moved_elsewhere_is_moved() {
        let from = paragraphs(1, &["One", "Two", "Three", "Four"]);
        let to = fork(&from, 2);
        {
            let f = frag(&to);
            let mut txn = to.transact_mut();
            // As ProseMirror moves a block: delete it, insert a copy.
            f.remove_range(&mut txn, 0, 1);
            para(&mut txn, &f, "One");
        }
        let d = diff(&from, &to);
        assert_eq!(
            ops(&d),
            vec![
                (BlockOp::Equal, "Two"),
                (BlockOp::Equal, "Three"),
                (BlockOp::Equal, "Four"),
                (BlockOp::Moved, "One"),
            ]
        );
        assert_eq!(d.blocks[3].by, Some(2));
        assert_eq!(d.stats, DiffStats::default());
    }

    #[test]
    fn authors_split_segments_and_a_mixed_block_has_no_single_author() {
        let from = paragraphs(1, &["Intro"]);
        let a = fork(&from, 10);
        {
            let f = frag(&a);
            let mut txn = a.transact_mut();
            para(&mut txn, &f, "Hello");
        }
        let b = fork(&a, 20);
        {
            let f = frag(&b);
            let mut txn = b.transact_mut();
            text_of(&txn, &f, 1).insert(&mut txn, 5, " world");
        }
        sync(&a, &b);
        let d = diff(&from, &b);
        let inserted = &d.blocks[1];
        assert_eq!(inserted.op, BlockOp::Inserted);
        assert_eq!(inserted.text, "Hello world");
        assert_eq!(
            inserted.segments,
            vec![
                Segment {
                    op: SegmentOp::Inserted,
                    text: "Hello".into(),
                    by: Some(10)
                },
                Segment {
                    op: SegmentOp::Inserted,
                    text: " world".into(),
                    by: Some(20)
                },
            ]
        );
        assert_eq!(inserted.by, None);
        assert_eq!(d.stats.inserted_words, 2);
    }

    #[test]
    fn attribution_holds_after_deletions_with_gc_on_or_off() {
        let from = paragraphs(1, &["Keep this sentence as it is"]);
        for skip_gc in [false, true] {
            let to = yrs::Doc::with_options(yrs::Options {
                client_id: yrs::ClientID::new(2),
                skip_gc,
                ..yrs::Options::default()
            });
            apply(&to, &state(&from));
            {
                let f = frag(&to);
                let mut txn = to.transact_mut();
                let t = text_of(&txn, &f, 0);
                t.insert(&mut txn, 27, " and typo");
                t.remove_range(&mut txn, 5, 5); // "this "
            }
            {
                let f = frag(&to);
                let mut txn = to.transact_mut();
                let t = text_of(&txn, &f, 0);
                let len = t.len(&txn);
                t.remove_range(&mut txn, len - 4, 4); // "typo"
                t.insert(&mut txn, len - 4, "more");
            }
            // The same holds on a copy loaded from the state.
            for to in [to.clone(), fork(&to, 3)] {
                let d = diff(&from, &to);
                assert_eq!(d.blocks.len(), 1);
                let b = &d.blocks[0];
                assert_eq!(b.op, BlockOp::Changed);
                assert_eq!(
                    b.text, "Keep sentence as it is and more",
                    "skip_gc {skip_gc}"
                );
                let inserted: Vec<_> = b
                    .segments
                    .iter()
                    .filter(|s| s.op == SegmentOp::Inserted)
                    .map(|s| (s.text.as_str(), s.by))
                    .collect();
                assert_eq!(inserted, vec![(" and more", Some(2))]);
                let deleted: Vec<_> = b
                    .segments
                    .iter()
                    .filter(|s| s.op == SegmentOp::Deleted)
                    .map(|s| s.text.as_str())
                    .collect();
                assert_eq!(deleted, vec!["this "]);
                assert!(!b.segments.iter().any(|s| s.text.contains("typo")));
            }
        }
    }

    #[test]
    fn lists_flatten_to_items_with_depth() {
        let from = doc(1);
        let to = doc(1);
        {
            let f = frag(&to);
            let mut txn = to.transact_mut();
            let l = list(&mut txn, &f, true, &["First", "Second"]);
            // A nested bullet list in the second item.
            let Some(yrs::XmlOut::Element(li)) = l.get(&txn, 1) else {
                panic!()
            };
            let nested = li.insert(&mut txn, 1, yrs::XmlElementPrelim::empty("bulletList"));
            let item = nested.insert(&mut txn, 0, yrs::XmlElementPrelim::empty("listItem"));
            let p = item.insert(&mut txn, 0, yrs::XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, yrs::XmlTextPrelim::new("Nested"));
        }
        let d = diff(&from, &to);
        let kinds: Vec<_> = d.blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (
                    BlockKind::ListItem {
                        ordered: true,
                        depth: 0
                    },
                    "First"
                ),
                (
                    BlockKind::ListItem {
                        ordered: true,
                        depth: 0
                    },
                    "Second"
                ),
                (
                    BlockKind::ListItem {
                        ordered: false,
                        depth: 1
                    },
                    "Nested"
                ),
            ]
        );
        assert!(d.blocks.iter().all(|b| b.op == BlockOp::Inserted));
    }

    #[test]
    fn a_block_turned_into_a_heading_is_changed() {
        let from = paragraphs(1, &["Budget"]);
        let to = doc(2);
        {
            let f = frag(&to);
            let mut txn = to.transact_mut();
            heading(&mut txn, &f, 3, "Budget");
        }
        let d = diff(&from, &to);
        assert_eq!(ops(&d), vec![(BlockOp::Changed, "Budget")]);
        assert_eq!(d.blocks[0].kind, BlockKind::Heading { level: 3 });
        assert!(d.blocks[0]
            .segments
            .iter()
            .all(|s| s.op == SegmentOp::Equal));
    }

    #[test]
    fn json_shape_is_what_the_api_serves() {
        let block = BlockDiff {
            op: BlockOp::Changed,
            kind: BlockKind::Heading { level: 2 },
            text: "A b".into(),
            segments: vec![Segment {
                op: SegmentOp::Inserted,
                text: "b".into(),
                by: Some(7),
            }],
            by: Some(7),
        };
        let json = serde_json::to_value(&block).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "op": "changed", "kind": "heading", "level": 2, "text": "A b",
                "segments": [{"op": "inserted", "text": "b", "by": 7}], "by": 7
            })
        );
        assert_eq!(serde_json::from_value::<BlockDiff>(json).unwrap(), block);
        let item = serde_json::to_value(BlockKind::ListItem {
            ordered: false,
            depth: 1,
        })
        .unwrap();
        assert_eq!(
            item,
            serde_json::json!({"kind": "list_item", "ordered": false, "depth": 1})
        );
    }

    #[test]
    fn missing_fragments_diff_as_empty() {
        let d = diff(&yrs::Doc::new(), &yrs::Doc::new());
        assert!(d.blocks.is_empty());
        let d = diff(&yrs::Doc::new(), &paragraphs(1, &["x"]));
        assert_eq!(ops(&d), vec![(BlockOp::Inserted, "x")]);
    }

    // ---------------------------------------------------------- properties

    const WORDS: &[&str] = &[
        "the", "plan", "training", "workers", "union", "budget", "æøå", "safety", "now", "a",
    ];

    fn block_text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), 1..8).prop_map(|w| w.join(" "))
    }

    #[derive(Debug, Clone)]
    enum Edit {
        /// Replace block i's text.
        Rewrite(usize, String),
        /// Append a word to block i.
        Append(usize, String),
        Insert(usize, String),
        Delete(usize),
        Move(usize, usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (any::<usize>(), block_text()).prop_map(|(i, t)| Edit::Rewrite(i, t)),
            (any::<usize>(), prop::sample::select(WORDS))
                .prop_map(|(i, w)| Edit::Append(i, w.to_string())),
            (any::<usize>(), block_text()).prop_map(|(i, t)| Edit::Insert(i, t)),
            any::<usize>().prop_map(Edit::Delete),
            (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Edit::Move(i, j)),
        ]
    }

    fn apply_edits(base: &yrs::Doc, client: u64, edits: &[Edit]) -> yrs::Doc {
        let d = fork(base, client);
        let f = frag(&d);
        for e in edits {
            let mut txn = d.transact_mut();
            let n = f.len(&txn) as usize;
            let insert_para = |txn: &mut yrs::TransactionMut, at: usize, text: &str| {
                let p = f.insert(txn, at as u32, yrs::XmlElementPrelim::empty("paragraph"));
                p.insert(txn, 0, yrs::XmlTextPrelim::new(text));
            };
            match e {
                Edit::Insert(i, t) => insert_para(&mut txn, i % (n + 1), t),
                _ if n == 0 => {}
                Edit::Rewrite(i, t) => {
                    let t0 = text_of(&txn, &f, (i % n) as u32);
                    let len = t0.len(&txn);
                    t0.remove_range(&mut txn, 0, len);
                    t0.insert(&mut txn, 0, t);
                }
                Edit::Append(i, w) => {
                    let t0 = text_of(&txn, &f, (i % n) as u32);
                    let len = t0.len(&txn);
                    t0.insert(&mut txn, len, &format!(" {w}"));
                }
                Edit::Delete(i) => f.remove_range(&mut txn, (i % n) as u32, 1),
                Edit::Move(i, j) => {
                    let i = i % n;
                    let text = text_of(&txn, &f, i as u32).get_string(&txn);
                    f.remove_range(&mut txn, i as u32, 1);
                    insert_para(&mut txn, j % n, &text);
                }
            }
        }
        d
    }

    fn texts(doc: &yrs::Doc) -> Vec<String> {
        let mut plain = Plain(doc.transact());
        let f = plain.0.get_xml_fragment(FRAGMENT).unwrap();
        visible(flatten(&mut plain, &f, false, false).blocks)
            .into_iter()
            .map(|b| b.text)
            .collect()
    }

    fn side(block: &BlockDiff, skip: SegmentOp) -> String {
        block
            .segments
            .iter()
            .filter(|s| s.op != skip)
            .map(|s| s.text.as_str())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn both_sides_can_be_rebuilt_from_the_diff(
            base in prop::collection::vec(block_text(), 0..8),
            edits in prop::collection::vec(edit(), 0..8),
        ) {
            let refs: Vec<&str> = base.iter().map(String::as_str).collect();
            let from = paragraphs(1, &refs);
            let to = apply_edits(&from, 2, &edits);
            let d = diff(&from, &to);

            let rebuilt_to: Vec<String> = d.blocks.iter().filter_map(|b| match b.op {
                BlockOp::Equal | BlockOp::Moved => Some(b.text.clone()),
                BlockOp::Changed => Some(side(b, SegmentOp::Deleted)),
                BlockOp::Inserted => { assert_eq!(side(b, SegmentOp::Deleted), b.text); Some(b.text.clone()) }
                BlockOp::Deleted => None,
            }).collect();
            prop_assert_eq!(&rebuilt_to, &texts(&to));
            for b in &d.blocks {
                if b.op == BlockOp::Changed {
                    prop_assert_eq!(&side(b, SegmentOp::Deleted), &b.text);
                }
            }

            // The from side, in from's order, through the alignment.
            let old: Vec<FlatBlock> = {
                let mut plain = Plain(from.transact());
                let f = plain.0.get_xml_fragment(FRAGMENT).unwrap();
                visible(flatten(&mut plain, &f, false, false).blocks)
            };
            let new: Vec<FlatBlock> = {
                let f = to.transact().get_xml_fragment(FRAGMENT).unwrap();
                visible(flatten(&mut Attributed::new(to.transact_mut()), &f, false, false).blocks)
            };
            let steps = align(&old, &new);
            prop_assert_eq!(steps.len(), d.blocks.len());
            let mut from_side: Vec<(usize, String)> = steps.iter().zip(&d.blocks).filter_map(|(s, b)| match *s {
                Step::Equal(o, _) | Step::Moved(o, _) => Some((o, b.text.clone())),
                Step::Changed(o, _, _) => Some((o, side(b, SegmentOp::Inserted))),
                Step::Deleted(o) => Some((o, side(b, SegmentOp::Inserted))),
                Step::Inserted(_) => None,
            }).collect();
            from_side.sort_by_key(|(o, _)| *o);
            let indices: Vec<usize> = from_side.iter().map(|(o, _)| *o).collect();
            prop_assert_eq!(indices, (0..old.len()).collect::<Vec<_>>());
            let rebuilt_from: Vec<String> = from_side.into_iter().map(|(_, t)| t).collect();
            prop_assert_eq!(rebuilt_from, texts(&from));
            // Every new block is used once, in order.
            let news: Vec<usize> = steps.iter().filter_map(|s| match *s {
                Step::Equal(_, n) | Step::Moved(_, n) | Step::Changed(_, n, _) | Step::Inserted(n) => Some(n),
                Step::Deleted(_) => None,
            }).collect();
            prop_assert_eq!(news, (0..new.len()).collect::<Vec<_>>());
        }

        #[test]
        fn a_document_against_itself_is_all_equal(
            base in prop::collection::vec(block_text(), 0..8),
            edits in prop::collection::vec(edit(), 0..6),
        ) {
            let refs: Vec<&str> = base.iter().map(String::as_str).collect();
            let a = apply_edits(&paragraphs(1, &refs), 2, &edits);
            let d = diff(&a, &a);
            prop_assert!(d.blocks.iter().all(|b| b.op == BlockOp::Equal && b.segments.is_empty()));
            prop_assert_eq!(d.stats, DiffStats::default());
            prop_assert_eq!(d.blocks.len(), texts(&a).len());
        }

        #[test]
        fn words_typed_by_a_client_are_attributed_to_it(
            base in prop::collection::vec(block_text(), 1..6),
            typed in prop::collection::vec((any::<usize>(), any::<usize>(), "[A-Z]{2,6}"), 1..10),
        ) {
            let refs: Vec<&str> = base.iter().map(String::as_str).collect();
            let from = paragraphs(1, &refs);
            let other = fork(&from, 42);
            {
                let f = frag(&other);
                for (block, at, word) in &typed {
                    let mut txn = other.transact_mut();
                    let t = text_of(&txn, &f, (block % base.len()) as u32);
                    let s = t.get_string(&txn);
                    // At a word boundary: before a space, or at the end.
                    let mut bounds: Vec<usize> = s.char_indices().filter(|(_, c)| *c == ' ').map(|(i, _)| i).collect();
                    bounds.push(s.len());
                    let byte = bounds[at % bounds.len()];
                    let index = s[..byte].encode_utf16().count() as u32;
                    t.insert(&mut txn, index, &format!(" {word}"));
                }
            }
            // Client 1 meanwhile keeps typing elsewhere; both merge.
            let to = fork(&from, 1_000);
            {
                let f = frag(&to);
                let mut txn = to.transact_mut();
                para(&mut txn, &f, "later text");
            }
            sync(&to, &other);
            let d = diff(&from, &to);
            let mut seen = String::new();
            for b in &d.blocks {
                for s in &b.segments {
                    if s.op == SegmentOp::Inserted && s.text.chars().any(char::is_alphanumeric) {
                        // Lower case is the base's (client 1, in a block now
                        // counted as inserted) or the later paragraph's.
                        let upper = s.text.chars().any(|c| c.is_ascii_uppercase());
                        if upper {
                            prop_assert_eq!(s.by, Some(42), "{:?}", s);
                            seen.push_str(&s.text);
                        } else {
                            prop_assert!(matches!(s.by, Some(1 | 1_000)), "{:?}", s);
                        }
                    }
                }
            }
            for (_, _, word) in &typed {
                prop_assert!(seen.contains(word.as_str()), "{} not attributed in {:?}", word, d);
            }
        }
    }
}
