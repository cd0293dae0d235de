//! What the exports say besides the document: the cover lines (title,
//! roundtable, version), the running header, and the agreement page, all
//! decided once here in the chosen language and rendered by each format.
//!
//! The agreement page is also given as a neutral [`Document`], which the
//! Markdown and PDF exports render with the same code (and the same
//! escaping) as the version's own text; HTML and DOCX draw the positions as
//! a table from the same rows.

use crate::{AgreementPage, Export, Lang};
use accord_domain::agreement::{count, Position};
use accord_domain::document::{Block, Document, Inline, ListItem, Marks};
use accord_domain::Side;

/// The block above the document: its title and what identifies the version.
pub(crate) struct Cover {
    pub title: String,
    pub meta: Vec<(&'static str, String)>,
}

/// The version as one short label: `v3 · Name`.
pub(crate) fn version_label(e: &Export) -> String {
    let v = e.lang.version_number(e.info.number);
    if e.info.name.trim().is_empty() {
        v
    } else {
        format!("{v} · {}", e.info.name.trim())
    }
}

pub(crate) fn cover(e: &Export) -> Cover {
    let l = e.lang.labels();
    Cover {
        title: e.info.document_title.clone(),
        meta: vec![
            (l.roundtable, e.info.roundtable_title.clone()),
            (l.version, version_label(e)),
            (l.created, e.info.created_at.clone()),
            (l.words, e.info.words.to_string()),
        ],
    }
}

/// A reason given with a position, and who gave it.
pub(crate) struct Reason {
    /// "Name (Organisation, Employer side)".
    pub who: String,
    pub text: String,
}

/// The agreement page, every string final.
pub(crate) struct Page {
    pub heading: &'static str,
    /// Document, State, Rule, Proposed, Decided.
    pub facts: Vec<(&'static str, String)>,
    pub sides_heading: &'static str,
    /// One line per side with an electorate: "Employer side: 2 of 3 endorsed, …".
    pub sides: Vec<String>,
    pub positions_heading: &'static str,
    /// Name, Organisation, Side, Position, Time.
    pub columns: [&'static str; 5],
    pub rows: Vec<[String; 5]>,
    pub no_positions: &'static str,
    pub objections_heading: &'static str,
    pub objections: Vec<Reason>,
    pub no_objections: &'static str,
    pub remarks_heading: &'static str,
    /// Reasons given with endorsements and abstentions.
    pub remarks: Vec<Reason>,
    pub integrity_heading: &'static str,
    /// (label, value): the version's SHA-256, then the seal.
    pub integrity: [(&'static str, String); 2],
    pub verify: (&'static str, &'static str),
}

pub(crate) fn page(e: &Export, a: &AgreementPage) -> Page {
    let lang: Lang = e.lang;
    let l = lang.labels();
    let counted: Vec<(Side, Position)> = a.positions.iter().map(|p| (p.side, p.position)).collect();
    let (employer, union) = count(&counted);
    let sides = [(Side::Employer, employer), (Side::Union, union)]
        .into_iter()
        .map(|(side, c)| {
            lang.side_count(side, a.electorate.of(side), c.endorse, c.object, c.abstain)
        })
        .collect();
    let rows = a
        .positions
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.organisation.clone(),
                lang.side(p.side).to_owned(),
                lang.position(p.position).to_owned(),
                p.at.clone(),
            ]
        })
        .collect();
    let reason = |p: &crate::PositionLine| {
        let text = p
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())?;
        let who = if p.organisation.trim().is_empty() {
            format!("{} ({})", p.name, lang.side(p.side))
        } else {
            format!("{} ({}, {})", p.name, p.organisation, lang.side(p.side))
        };
        Some(Reason {
            who,
            text: text.to_owned(),
        })
    };
    let objections = a
        .positions
        .iter()
        .filter(|p| p.position == Position::Object)
        .map(|p| {
            reason(p).unwrap_or_else(|| Reason {
                who: p.name.clone(),
                text: String::new(),
            })
        })
        .collect();
    let remarks = a
        .positions
        .iter()
        .filter(|p| p.position != Position::Object)
        .filter_map(reason)
        .collect();
    Page {
        heading: l.agreement,
        facts: vec![
            (
                l.document,
                format!("{} ({})", e.info.document_title, version_label(e)),
            ),
            (l.state, lang.state(a.state).to_owned()),
            (l.rule, lang.rule(a.quorum, a.objections_block)),
            (l.proposed, a.proposed_at.clone()),
            (
                l.decided,
                a.decided_at
                    .clone()
                    .unwrap_or_else(|| l.not_decided.to_owned()),
            ),
        ],
        sides_heading: l.sides,
        sides,
        positions_heading: l.positions,
        columns: [l.name, l.organisation, l.side, l.position, l.time],
        rows,
        no_positions: l.no_positions,
        objections_heading: l.objections,
        objections,
        no_objections: l.no_objections,
        remarks_heading: l.remarks,
        remarks,
        integrity_heading: l.integrity,
        integrity: [
            (l.version_sha256, e.info.sha256.clone()),
            (
                l.seal,
                a.seal.clone().unwrap_or_else(|| l.no_seal.to_owned()),
            ),
        ],
        verify: (l.verify, l.verify_note),
    }
}

fn text(s: &str) -> Inline {
    Inline::text(s)
}

fn bold(s: &str) -> Inline {
    Inline::Text {
        text: s.to_owned(),
        marks: Marks {
            bold: true,
            ..Marks::default()
        },
    }
}

fn italic(s: &str) -> Inline {
    Inline::Text {
        text: s.to_owned(),
        marks: Marks {
            italic: true,
            ..Marks::default()
        },
    }
}

/// Several lines as text with line breaks between them.
fn lines(s: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push(Inline::LineBreak);
        }
        out.push(text(line));
    }
    out
}

fn labelled(label: &str, value: &str) -> Block {
    let mut content = vec![bold(&format!("{label}:")), text(" ")];
    content.extend(lines(value));
    Block::Paragraph(content)
}

fn bullets(items: Vec<Vec<Inline>>) -> Block {
    Block::BulletList(
        items
            .into_iter()
            .map(|content| ListItem {
                blocks: vec![Block::Paragraph(content)],
            })
            .collect(),
    )
}

fn heading(level: u8, s: &str) -> Block {
    Block::Heading {
        level,
        content: vec![text(s)],
    }
}

fn reason_items(reasons: &[Reason]) -> Vec<Vec<Inline>> {
    reasons
        .iter()
        .map(|r| {
            let mut content = vec![bold(&r.who)];
            if !r.text.is_empty() {
                content.push(text(": "));
                content.extend(lines(&r.text));
            }
            content
        })
        .collect()
}

impl Page {
    /// A position as one line of a list: name in bold, then the other columns.
    pub fn row_inlines(row: &[String; 5]) -> Vec<Inline> {
        let mut content = vec![bold(&row[0])];
        for cell in &row[1..] {
            if !cell.trim().is_empty() {
                content.push(text(" — "));
                content.push(text(cell));
            }
        }
        content
    }

    /// The page as a neutral document (positions as a list).
    pub fn to_document(&self) -> Document {
        let mut blocks = vec![heading(1, self.heading)];
        blocks.extend(self.facts.iter().map(|(l, v)| labelled(l, v)));
        blocks.push(heading(2, self.sides_heading));
        blocks.push(bullets(self.sides.iter().map(|s| vec![text(s)]).collect()));
        blocks.push(heading(2, self.positions_heading));
        if self.rows.is_empty() {
            blocks.push(Block::Paragraph(vec![text(self.no_positions)]));
        } else {
            blocks.push(bullets(self.rows.iter().map(Self::row_inlines).collect()));
        }
        blocks.extend(self.reasons_blocks());
        blocks.extend(self.integrity_blocks());
        Document { blocks }
    }

    /// Objections (or "No objections.") and any other reasons given.
    pub fn reasons_blocks(&self) -> Vec<Block> {
        let mut blocks = vec![heading(2, self.objections_heading)];
        if self.objections.is_empty() {
            blocks.push(Block::Paragraph(vec![text(self.no_objections)]));
        } else {
            blocks.push(bullets(reason_items(&self.objections)));
        }
        if !self.remarks.is_empty() {
            blocks.push(heading(2, self.remarks_heading));
            blocks.push(bullets(reason_items(&self.remarks)));
        }
        blocks
    }

    /// The hash, the seal and how to verify them.
    pub fn integrity_blocks(&self) -> Vec<Block> {
        let mut blocks = vec![heading(2, self.integrity_heading)];
        blocks.extend(self.integrity.iter().map(|(l, v)| labelled(l, v)));
        blocks.push(Block::Paragraph(vec![
            bold(&format!("{}:", self.verify.0)),
            text(" "),
            italic(self.verify.1),
        ]));
        blocks
    }
}
