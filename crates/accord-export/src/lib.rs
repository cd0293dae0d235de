//! Exports of one immutable version — Markdown, a standalone HTML page, DOCX
//! and PDF — each optionally followed by the version's *agreement page*.
//!
//! Pure: bytes and strings out of a [`Export`], no I/O, no runtime, no store.
//! Every format renders the neutral tree ([`accord_domain::document::Document`])
//! and shares the agreement page's content (`agreement_page.rs`) and every
//! label (`labels.rs`), so the four say the same thing in the same words.
//!
//! - [`markdown`]: the version's exact Markdown byte for byte, so its SHA-256
//!   can be checked, then a separator line and the agreement page.
//! - [`html_page`]: one print-friendly HTML5 page, inline style, no script.
//! - [`docx`]: `docx-rs`; Word heading styles, real numbering, hyperlinks.
//! - [`pdf`]: our own layout over `pdf-writer` + `subsetter` + `ttf-parser`,
//!   with Liberation Sans embedded (subset) from `fonts/` (SIL OFL 1.1,
//!   `fonts/LICENSE-LiberationSans.txt`).
//!
//! # Why this PDF stack
//!
//! Measured on this project's 2-core machine, clean builds of the export
//! dependencies alone (a fresh target directory, the workspace's dev profile,
//! while another build shared the machine): `docx-rs` alone 1 min 55 s;
//! `docx-rs` + `pdf-writer` + `subsetter` (without its variable-font
//! feature) + `ttf-parser` 2 min 22 s, so the PDF part costs ~26 s;
//! `docx-rs` + `krilla` (with `simple-text`) 4 min 48 s, ~3 min for the PDF
//! part, because krilla brings skrifa/read-fonts/write-fonts and rustybuzz.
//! `printpdf` 0.12 needs Rust 1.88 and its text layout pulls azul's layout
//! engine; `typst` is heavier still. pdf-writer and subsetter are the crates
//! typst (and krilla) themselves write PDFs with, maintained, MIT/Apache-2.0,
//! and their MSRV (1.85) is the workspace's. What they leave to us is
//! layout: greedy line breaking by the font's advance widths (no kerning or
//! ligatures, which Latin prose does not need), words longer than a line
//! broken, pages, headers and footers — `pdf/layout.rs`, a few hundred lines.
//! `cargo build -p accord-export` from a fresh target directory (dev
//! profile, accord-domain and every dependency included) took 1 min 52 s and
//! 2 min 10 s in two runs on that machine, sharing it with other builds.
//! `--timings` shows docx-rs as the critical path (61 s of it, starting
//! after quick-xml/encoding_rs/zip); pdf-writer (12 s), subsetter (10 s) and
//! ttf-parser (7 s) build beside it. Writing WordprocessingML by hand over
//! `zip` would roughly halve the clean build, at the price of owning the
//! DOCX schema; not worth it while the workspace's other crates take longer.
//!
//! # Cost
//!
//! A 30,000-word version with its agreement page (`examples/export_timing.rs`,
//! release build, median of 5): DOCX 21 ms, 59 KiB; PDF 59 ms, 267 KiB
//! (65 A4 pages); HTML 1.3 ms; Markdown 0.1 ms.

mod agreement_page;
mod docx;
mod html;
pub(crate) mod labels;
mod markdown;
mod pdf;

use accord_domain::agreement::{AgreementState, Electorate, Position, Quorum};
use accord_domain::document::Document;
use accord_domain::Side;
use serde::{Deserialize, Serialize};

/// The language of the labels the export itself writes (the header, the
/// agreement page, page numbers); the document's own text is as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Da,
}

impl Lang {
    /// The BCP 47 code: `en`, `da`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Da => "da",
        }
    }

    /// `en` or `da` (case-insensitive, a region such as `da-DK` ignored).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or("").trim();
        if primary.eq_ignore_ascii_case("da") {
            Some(Lang::Da)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// What identifies the exported version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub document_title: String,
    pub roundtable_title: String,
    /// The version number, shown as "v3"; 0 for the current text, which
    /// is no saved version.
    pub number: i64,
    /// The version's name.
    pub name: String,
    /// Hex SHA-256 of the version's exact Markdown ([`Export::markdown`]).
    pub sha256: String,
    /// RFC 3339.
    pub created_at: String,
    pub words: u32,
}

/// The agreement on this version, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementPage {
    pub quorum: Quorum,
    pub objections_block: bool,
    /// Usually `Agreed`; the page says which state it is in.
    pub state: AgreementState,
    /// RFC 3339.
    pub proposed_at: String,
    /// RFC 3339, when agreed.
    pub decided_at: Option<String>,
    pub electorate: Electorate,
    /// The standing positions, in seal order.
    pub positions: Vec<PositionLine>,
    /// Hex SHA-256, present when agreed.
    pub seal: Option<String>,
}

/// One participant's position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionLine {
    pub name: String,
    pub organisation: String,
    pub side: Side,
    pub position: Position,
    /// RFC 3339.
    pub at: String,
    pub reason: Option<String>,
}

/// Everything one export reads.
#[derive(Debug, Clone, Copy)]
pub struct Export<'a> {
    pub info: &'a VersionInfo,
    pub tree: &'a Document,
    /// The version's exact stored Markdown (what [`VersionInfo::sha256`] hashes).
    pub markdown: &'a str,
    pub agreement: Option<&'a AgreementPage>,
    pub lang: Lang,
}

/// A format that could not be produced. Markdown and HTML cannot fail.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not package the DOCX file")]
    Docx(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("could not read the embedded font {0}")]
    Font(&'static str),
    #[error("could not subset the embedded font {font}: {reason}")]
    Subset { font: &'static str, reason: String },
}

/// The version's Markdown exactly as stored, then, with an agreement page,
/// the separator line [`MARKDOWN_SEPARATOR`] and the page in Markdown.
pub fn markdown(e: &Export) -> String {
    markdown::render(e)
}

/// One standalone, print-friendly HTML5 page.
pub fn html_page(e: &Export) -> String {
    html::render(e)
}

/// A Word document (Office Open XML).
pub fn docx(e: &Export) -> Result<Vec<u8>, ExportError> {
    docx::render(e)
}

/// A PDF with its fonts embedded.
pub fn pdf(e: &Export) -> Result<Vec<u8>, ExportError> {
    pdf::render(e)
}

/// The separator line between a Markdown export's version text and its
/// agreement page: the SHA-256 covers every byte before this line.
pub const MARKDOWN_SEPARATOR: &str = markdown::SEPARATOR;
