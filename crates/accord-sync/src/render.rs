//! Reading the Yjs tree that TipTap/y-prosemirror writes into the neutral
//! [`Document`] of `accord-domain`, and building documents in that layout.
//!
//! Layout (XmlFragment `default`): block elements `paragraph`, `heading`
//! (attribute `level`), `bulletList`/`orderedList` (attribute `start`) of
//! `listItem`s; text is `XmlText` whose formatting attributes are the marks
//! `bold`, `italic` and `link` (`{href}`); `hardBreak` is a line break.
//! Anything else is read for its text rather than dropped, because losing
//! words in an export is worse than losing a formatting nuance.

use accord_domain::document::{Block, Document, Inline, ListItem, Marks};
use yrs::types::text::YChange;
use yrs::types::Attrs;
use yrs::{
    Any, Doc, Number, Out, ReadTxn, Text, Transact, Xml, XmlElementPrelim, XmlElementRef,
    XmlFragment, XmlFragmentRef, XmlOut, XmlTextPrelim, XmlTextRef,
};

/// Name of the root fragment TipTap's Collaboration extension binds to.
pub const FRAGMENT: &str = "default";

/// Deeper nesting is flattened: a hostile client could otherwise nest
/// elements until rendering overflows the stack.
const MAX_DEPTH: usize = 32;

/// Renders the current state of `doc`.
pub fn render(doc: &Doc) -> Document {
    let txn = doc.transact();
    match txn.get_xml_fragment(FRAGMENT) {
        Some(fragment) => Document {
            blocks: blocks_of(&txn, fragment.children(&txn).collect(), 0),
        },
        None => Document::default(),
    }
}

pub(crate) fn tag(el: &XmlElementRef) -> &str {
    el.try_tag().map(|t| &**t).unwrap_or("")
}

fn blocks_of<T: ReadTxn>(txn: &T, children: Vec<XmlOut>, depth: usize) -> Vec<Block> {
    let mut blocks = Vec::new();
    // Stray inline content between blocks is gathered into one paragraph.
    let mut loose: Vec<Inline> = Vec::new();
    for child in children {
        match child {
            XmlOut::Element(el) => match block_of(txn, &el, depth) {
                Some(bs) => {
                    if !loose.is_empty() {
                        blocks.push(Block::Paragraph(std::mem::take(&mut loose)));
                    }
                    blocks.extend(bs);
                }
                None => inline_element(txn, &el, depth, &mut loose),
            },
            XmlOut::Text(t) => text_runs(txn, &t, &mut loose),
            XmlOut::Fragment(f) => {
                if depth < MAX_DEPTH {
                    blocks.extend(blocks_of(txn, f.children(txn).collect(), depth + 1));
                }
            }
        }
    }
    if !loose.is_empty() {
        blocks.push(Block::Paragraph(loose));
    }
    blocks
}

/// The blocks an element stands for, or `None` if it is inline.
fn block_of<T: ReadTxn>(txn: &T, el: &XmlElementRef, depth: usize) -> Option<Vec<Block>> {
    let name = tag(el);
    if depth >= MAX_DEPTH {
        let mut content = Vec::new();
        flat_text(txn, el, &mut content);
        return Some(vec![Block::Paragraph(content)]);
    }
    Some(match name {
        "paragraph" => vec![Block::Paragraph(inlines_of(txn, el, depth))],
        "heading" => {
            let level = number_attr(txn, el, "level").unwrap_or(1.0).clamp(1.0, 6.0) as u8;
            vec![Block::Heading {
                level,
                content: inlines_of(txn, el, depth),
            }]
        }
        "bulletList" => vec![Block::BulletList(items_of(txn, el, depth))],
        "orderedList" => {
            let start = number_attr(txn, el, "start")
                .filter(|n| n.is_finite() && *n >= 0.0)
                .unwrap_or(1.0)
                .min(1e15) as u64;
            vec![Block::OrderedList {
                start,
                items: items_of(txn, el, depth),
            }]
        }
        "listItem" => vec![Block::BulletList(vec![ListItem {
            blocks: blocks_of(txn, el.children(txn).collect(), depth + 1),
        }])],
        "hardBreak" | "text" | "image" | "mention" => return None,
        // Unknown containers (blockquote, codeBlock, …) keep their content.
        _ => blocks_of(txn, el.children(txn).collect(), depth + 1),
    })
}

fn items_of<T: ReadTxn>(txn: &T, list: &XmlElementRef, depth: usize) -> Vec<ListItem> {
    list.children(txn)
        .map(|child| match child {
            XmlOut::Element(el) if tag(&el) == "listItem" => ListItem {
                blocks: blocks_of(txn, el.children(txn).collect(), depth + 2),
            },
            other => ListItem {
                blocks: blocks_of(txn, vec![other], depth + 2),
            },
        })
        .collect()
}

fn inlines_of<T: ReadTxn>(txn: &T, el: &XmlElementRef, depth: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    for child in el.children(txn) {
        match child {
            XmlOut::Text(t) => text_runs(txn, &t, &mut out),
            XmlOut::Element(inner) => inline_element(txn, &inner, depth + 1, &mut out),
            XmlOut::Fragment(_) => {}
        }
    }
    out
}

fn inline_element<T: ReadTxn>(txn: &T, el: &XmlElementRef, depth: usize, out: &mut Vec<Inline>) {
    if tag(el) == "hardBreak" {
        out.push(Inline::LineBreak);
    } else if depth < MAX_DEPTH {
        // Block content nested where inline is expected: keep its words.
        for child in el.children(txn) {
            match child {
                XmlOut::Text(t) => text_runs(txn, &t, out),
                XmlOut::Element(inner) => inline_element(txn, &inner, depth + 1, out),
                XmlOut::Fragment(_) => {}
            }
        }
    }
}

/// Every piece of text below `el`, iteratively so depth cannot hurt.
fn flat_text<T: ReadTxn>(txn: &T, el: &XmlElementRef, out: &mut Vec<Inline>) {
    let mut stack: Vec<XmlOut> = el.children(txn).collect();
    stack.reverse();
    while let Some(node) = stack.pop() {
        match node {
            XmlOut::Text(t) => text_runs(txn, &t, out),
            XmlOut::Element(e) => {
                let mut kids: Vec<XmlOut> = e.children(txn).collect();
                kids.reverse();
                stack.extend(kids);
            }
            XmlOut::Fragment(f) => {
                let mut kids: Vec<XmlOut> = f.children(txn).collect();
                kids.reverse();
                stack.extend(kids);
            }
        }
    }
}

fn text_runs<T: ReadTxn>(txn: &T, text: &XmlTextRef, out: &mut Vec<Inline>) {
    for diff in text.diff(txn, YChange::identity) {
        let s = match &diff.insert {
            Out::Any(Any::String(s)) => s.to_string(),
            _ => continue,
        };
        let marks = diff.attributes.as_deref().map(marks_of).unwrap_or_default();
        out.push(Inline::Text { text: s, marks });
    }
}

/// y-prosemirror names overlapping marks `name--hash`; only the name matters here.
fn marks_of(attrs: &Attrs) -> Marks {
    let mut marks = Marks::default();
    for (key, value) in attrs.iter() {
        if matches!(value, Any::Null | Any::Undefined) {
            continue;
        }
        let name = key.split("--").next().unwrap_or("");
        match name {
            "bold" | "strong" => marks.bold = true,
            "italic" | "em" => marks.italic = true,
            "link" => {
                if let Any::Map(m) = value {
                    if let Some(Any::String(href)) = m.get("href") {
                        marks.link = Some(href.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    marks
}

pub(crate) fn number_attr<T: ReadTxn>(txn: &T, el: &XmlElementRef, name: &str) -> Option<f64> {
    match el.get_attribute(txn, name)? {
        Out::Any(Any::Number(n)) => n.as_f64(),
        Out::Any(Any::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

/// Appends a heading (as TipTap writes it: numeric `level`) to `fragment`.
pub fn push_heading(
    txn: &mut yrs::TransactionMut,
    fragment: &XmlFragmentRef,
    level: u8,
    text: &str,
) {
    let index = fragment.len(txn);
    let heading = fragment.insert(txn, index, XmlElementPrelim::empty("heading"));
    heading.insert_attribute(
        txn,
        "level",
        Any::Number(Number::Int(i64::from(level.clamp(1, 6)))),
    );
    if !text.is_empty() {
        heading.insert(txn, 0, XmlTextPrelim::new(text));
    }
}

/// Appends a paragraph of plain text (empty text gives an empty paragraph).
pub fn push_paragraph(txn: &mut yrs::TransactionMut, fragment: &XmlFragmentRef, text: &str) {
    let index = fragment.len(txn);
    let p = fragment.insert(txn, index, XmlElementPrelim::empty("paragraph"));
    if !text.is_empty() {
        p.insert(txn, 0, XmlTextPrelim::new(text));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    fn attrs(pairs: &[(&str, Any)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (Arc::<str>::from(*k), v.clone()))
            .collect()
    }

    /// Builds what y-prosemirror writes for a small TipTap document.
    fn tiptap_doc() -> Doc {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
        let mut txn = doc.transact_mut();
        push_heading(&mut txn, &frag, 2, "Objectives");

        let p = frag.insert(&mut txn, 1, XmlElementPrelim::empty("paragraph"));
        let t = p.insert(&mut txn, 0, XmlTextPrelim::new(""));
        t.insert(&mut txn, 0, "Train ");
        t.insert_with_attributes(
            &mut txn,
            6,
            "every",
            attrs(&[("bold", Any::Map(Arc::new(HashMap::new())))]),
        );
        // y-prosemirror ends marks explicitly with nulls, else text inherits them.
        let plain = attrs(&[
            ("bold", Any::Null),
            ("italic", Any::Null),
            ("link", Any::Null),
        ]);
        t.insert_with_attributes(&mut txn, 11, " operator in ", plain.clone());
        t.insert_with_attributes(
            &mut txn,
            24,
            "safety",
            attrs(&[("italic", Any::Map(Arc::new(HashMap::new())))]),
        );
        t.insert_with_attributes(&mut txn, 30, ", see ", plain.clone());
        let link = Any::Map(Arc::new(HashMap::from([
            (
                "href".to_owned(),
                Any::from("https://example.org/plan?a=1&b=2"),
            ),
            ("target".to_owned(), Any::from("_blank")),
        ])));
        t.insert_with_attributes(&mut txn, 36, "the plan", attrs(&[("link", link)]));
        t.insert_with_attributes(&mut txn, 44, " <now>.", plain);

        let list = frag.insert(&mut txn, 2, XmlElementPrelim::empty("bulletList"));
        for (i, word) in ["Workforce", "HR"].iter().enumerate() {
            let li = list.insert(&mut txn, i as u32, XmlElementPrelim::empty("listItem"));
            let p = li.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, XmlTextPrelim::new(*word));
        }
        let ol = frag.insert(&mut txn, 3, XmlElementPrelim::empty("orderedList"));
        ol.insert_attribute(&mut txn, "start", Any::Number(Number::Int(1)));
        let li = ol.insert(&mut txn, 0, XmlElementPrelim::empty("listItem"));
        let p = li.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
        let t = p.insert(&mut txn, 0, XmlTextPrelim::new("Bad "));
        t.insert_with_attributes(
            &mut txn,
            4,
            "link",
            attrs(&[(
                "link",
                Any::Map(Arc::new(HashMap::from([(
                    "href".to_owned(),
                    Any::from("javascript:alert(1)"),
                )]))),
            )]),
        );
        let p = frag.insert(&mut txn, 4, XmlElementPrelim::empty("paragraph"));
        p.insert(&mut txn, 0, XmlTextPrelim::new("line one"));
        p.insert(&mut txn, 1, XmlElementPrelim::empty("hardBreak"));
        p.insert(&mut txn, 2, XmlTextPrelim::new("line two"));
        frag.insert(&mut txn, 5, XmlElementPrelim::empty("paragraph"));
        drop(txn);
        doc
    }

    #[test]
    fn tiptap_layout_renders_to_markdown() {
        let md = render(&tiptap_doc()).to_markdown();
        assert_eq!(
            md,
            "## Objectives\n\n\
             Train **every** operator in *safety*, see [the plan](<https://example.org/plan?a=1&b=2>) \\<now\\>.\n\n\
             - Workforce\n\
             - HR\n\n\
             1. Bad link\n\n\
             line one\\\nline two\n"
        );
    }

    #[test]
    fn tiptap_layout_renders_to_html() {
        let html = render(&tiptap_doc()).to_html();
        assert_eq!(
            html,
            "<h2>Objectives</h2>\n\
             <p>Train <strong>every</strong> operator in <em>safety</em>, see \
             <a href=\"https://example.org/plan?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\">the plan</a> &lt;now&gt;.</p>\n\
             <ul>\n<li>Workforce</li>\n<li>HR</li>\n</ul>\n\
             <ol>\n<li>Bad link</li>\n</ol>\n\
             <p>line one<br>line two</p>\n\
             <p></p>\n"
        );
    }

    #[test]
    fn rendering_survives_an_update_round_trip() {
        let a = tiptap_doc();
        let update = a
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let room = crate::DocRoom::load(Some(&update), Vec::<Vec<u8>>::new()).unwrap();
        assert_eq!(room.render(), render(&a));
    }

    #[test]
    fn hostile_nesting_does_not_overflow() {
        let doc = Doc::new();
        let frag = doc.get_or_insert_xml_fragment(FRAGMENT);
        {
            let mut txn = doc.transact_mut();
            let mut el = frag.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
            for _ in 0..5000 {
                el = el.insert(&mut txn, 0, XmlElementPrelim::empty("bulletList"));
            }
            el.insert(&mut txn, 0, XmlTextPrelim::new("deep"));
        }
        let rendered = render(&doc);
        assert!(rendered.plain_text().contains("deep"));
        let _ = rendered.to_markdown();
        let _ = rendered.to_html();
    }

    #[test]
    fn missing_fragment_renders_empty() {
        assert_eq!(render(&Doc::new()), Document::default());
    }
}
