//! The DOCX export, with docx-rs: what Word and LibreOffice treat as real
//! structure, not look-alike formatting.
//!
//! Headings use the built-in `Heading1`..`Heading6` styles (named
//! "heading 1".., with outline levels, so they fill the navigation pane and
//! a table of contents); lists are Word numbering — one bullet definition
//! shared by every bulleted list, and a fresh numbering instance per ordered
//! list so each starts at its own number — nested by level; links are
//! external hyperlink relationships (only [`safe_href`] targets). The title
//! and version are in the page header, "Page X of Y" fields in the footer,
//! and the agreement page starts on a new page. The package is deflated
//! (docx-rs writes it uncompressed).

use crate::agreement_page::{self, Page, Reason};
use crate::{Export, ExportError};
use accord_domain::document::{safe_href, Block, Inline, ListItem};
use docx_rs::{
    AbstractNumbering, AlignmentType, BreakType, Docx, Footer, Header, Hyperlink, HyperlinkData,
    HyperlinkType, IndentLevel, Level, LevelJc, LevelOverride, LevelText, LineSpacing, NumPages,
    NumberFormat, Numbering, NumberingId, PageMargin, PageNum, Paragraph, Run, RunFonts,
    SpecialIndentType, Start, Style, StyleType, Table, TableCell, TableRow, WidthType,
};

/// docx-rs writes abstract numbering 1 and numbering 1 itself; ours follow.
const BULLET_ABSTRACT: usize = 2;
const DECIMAL_ABSTRACT: usize = 3;
const BULLET_NUM: usize = 2;
const FIRST_FREE_NUM: usize = 3;
/// Word's list levels: 0..=8.
const MAX_LEVEL: usize = 8;
/// Indentation per list level, in twentieths of a point (0.25 inch).
const INDENT_STEP: i32 = 360;
/// Font sizes in half-points.
const HEADING_SIZES: [usize; 6] = [36, 30, 26, 24, 22, 22];
const BODY_SIZE: usize = 22;
const FONT: &str = "Arial";

struct Builder {
    docx: Docx,
    next_num: usize,
    next_link: usize,
}

pub(crate) fn render(e: &Export) -> Result<Vec<u8>, ExportError> {
    let mut b = Builder {
        docx: base(e),
        next_num: FIRST_FREE_NUM,
        next_link: 1,
    };
    let cover = agreement_page::cover(e);
    b.push(
        Paragraph::new()
            .style("Title")
            .add_run(Run::new().add_text(clean(&cover.title))),
    );
    let mut meta = Paragraph::new().style("Subtitle");
    for (i, (label, value)) in cover.meta.iter().enumerate() {
        if i > 0 {
            meta = meta.add_run(Run::new().add_text("   "));
        }
        meta = meta
            .add_run(Run::new().bold().add_text(format!("{label}: ")))
            .add_run(Run::new().add_text(clean(value)));
    }
    b.push(meta);
    b.blocks(&e.tree.blocks, 0);
    if let Some(a) = e.agreement {
        b.agreement(&agreement_page::page(e, a));
    }
    let mut stored = std::io::Cursor::new(Vec::new());
    b.docx
        .build()
        .pack(&mut stored)
        .map_err(|err| ExportError::Docx(Box::new(err)))?;
    deflate(&stored.into_inner()).map_err(|err| ExportError::Docx(Box::new(err)))
}

/// docx-rs stores every part uncompressed (a 30,000-word version: 494 KiB);
/// the same parts deflated, in the same order, are several times smaller.
fn deflate(stored: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(stored))?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(stored.len() / 4)));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i)?;
        let name = part.name().to_owned();
        out.start_file(name, options)?;
        std::io::copy(&mut part, &mut out)?;
    }
    Ok(out.finish()?.into_inner())
}

/// Styles, list definitions, header and footer.
fn base(e: &Export) -> Docx {
    let version = agreement_page::version_label(e);
    let (page, of) = e.lang.page_of_parts();
    let header = Header::new().add_paragraph(
        Paragraph::new()
            .style("Header")
            .add_run(Run::new().add_text(clean(&e.info.document_title)))
            .add_run(Run::new().add_text(" — "))
            .add_run(Run::new().add_text(clean(&version))),
    );
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .style("Footer")
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text(page))
            .add_page_num(PageNum::new())
            .add_run(Run::new().add_text(of))
            .add_num_pages(NumPages::new()),
    );
    let mut docx = Docx::new()
        .default_fonts(
            RunFonts::new()
                .ascii(FONT)
                .hi_ansi(FONT)
                .cs(FONT)
                .east_asia(FONT),
        )
        .default_size(BODY_SIZE)
        .default_line_spacing(LineSpacing::new().after(120).line(276))
        // A4 with 2 cm margins (in twentieths of a point).
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(1134)
                .bottom(1134)
                .left(1134)
                .right(1134)
                .header(567)
                .footer(567),
        )
        .header(header)
        .footer(footer)
        .created_at(&e.info.created_at)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .based_on("Normal")
                .next("Normal")
                .size(48)
                .bold()
                .line_spacing(LineSpacing::new().after(120)),
        )
        .add_style(
            Style::new("Subtitle", StyleType::Paragraph)
                .name("Subtitle")
                .based_on("Normal")
                .next("Normal")
                .size(18)
                .color("444444")
                .line_spacing(LineSpacing::new().after(240)),
        )
        .add_style(
            Style::new("Header", StyleType::Paragraph)
                .name("header")
                .based_on("Normal")
                .size(16)
                .color("555555"),
        )
        .add_style(
            Style::new("Footer", StyleType::Paragraph)
                .name("footer")
                .based_on("Normal")
                .size(16)
                .color("555555"),
        )
        .add_style(
            Style::new("Hyperlink", StyleType::Character)
                .name("Hyperlink")
                .color("0563C1")
                .underline("single"),
        )
        .add_style(
            Style::new("ListParagraph", StyleType::Paragraph)
                .name("List Paragraph")
                .based_on("Normal")
                .line_spacing(LineSpacing::new().after(60)),
        );
    for (i, size) in HEADING_SIZES.iter().enumerate() {
        let n = i + 1;
        docx = docx.add_style(
            Style::new(format!("Heading{n}"), StyleType::Paragraph)
                .name(format!("heading {n}"))
                .based_on("Normal")
                .next("Normal")
                .size(*size)
                .bold()
                .line_spacing(LineSpacing::new().before(280).after(100))
                .outline_lvl(i),
        );
    }
    let mut bullets = AbstractNumbering::new(BULLET_ABSTRACT);
    let mut decimal = AbstractNumbering::new(DECIMAL_ABSTRACT);
    for level in 0..=MAX_LEVEL {
        let left = INDENT_STEP * (level as i32 + 1);
        let hanging = Some(SpecialIndentType::Hanging(INDENT_STEP));
        let symbol = ["•", "◦", "▪"][level % 3];
        bullets = bullets.add_level(
            Level::new(
                level,
                Start::new(1),
                NumberFormat::new("bullet"),
                LevelText::new(symbol),
                LevelJc::new("left"),
            )
            .indent(Some(left), hanging, None, None),
        );
        decimal = decimal.add_level(
            Level::new(
                level,
                Start::new(1),
                NumberFormat::new("decimal"),
                LevelText::new(format!("%{}.", level + 1)),
                LevelJc::new("left"),
            )
            .indent(Some(left), hanging, None, None),
        );
    }
    docx.add_abstract_numbering(bullets)
        .add_abstract_numbering(decimal)
        .add_numbering(Numbering::new(BULLET_NUM, BULLET_ABSTRACT))
}

/// Drops what XML 1.0 cannot hold (control characters other than tab and
/// line breaks, which the runs turn into their own elements).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !matches!(*c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
        })
        .collect()
}

/// A run of text with its marks; newlines become line breaks, tabs tabs.
fn text_run(text: &str, bold: bool, italic: bool) -> Run {
    let mut run = Run::new();
    if bold {
        run = run.bold();
    }
    if italic {
        run = run.italic();
    }
    for (i, line) in clean(text).split('\n').enumerate() {
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                run = run.add_tab();
            }
            if !part.is_empty() {
                run = run.add_text(part);
            }
        }
    }
    run
}

impl Builder {
    fn push(&mut self, p: Paragraph) {
        let docx = std::mem::take(&mut self.docx);
        self.docx = docx.add_paragraph(p);
    }

    fn push_table(&mut self, t: Table) {
        let docx = std::mem::take(&mut self.docx);
        self.docx = docx.add_table(t);
    }

    /// An external hyperlink with a relationship id unique in this document
    /// (docx-rs numbers them from a process-wide counter that is not safe
    /// against concurrent exports).
    fn hyperlink(&mut self, href: &str) -> Hyperlink {
        let mut link = Hyperlink::new(href, HyperlinkType::External);
        if let HyperlinkData::External { rid, .. } = &mut link.link {
            *rid = format!("rIdAccordLink{}", self.next_link);
            self.next_link += 1;
        }
        link
    }

    fn inlines(&mut self, mut p: Paragraph, content: &[Inline]) -> Paragraph {
        let mut i = 0;
        while i < content.len() {
            match &content[i] {
                Inline::LineBreak => {
                    p = p.add_run(Run::new().add_break(BreakType::TextWrapping));
                    i += 1;
                }
                Inline::Text { text, marks } => {
                    let href = marks.link.as_deref().and_then(safe_href);
                    match href {
                        None => {
                            p = p.add_run(text_run(text, marks.bold, marks.italic));
                            i += 1;
                        }
                        Some(href) => {
                            // Neighbouring runs with the same target share one link.
                            let mut link = self.hyperlink(href);
                            while let Some(Inline::Text { text, marks }) = content.get(i) {
                                if marks.link.as_deref().and_then(safe_href) != Some(href) {
                                    break;
                                }
                                link = link.add_run(
                                    text_run(text, marks.bold, marks.italic).style("Hyperlink"),
                                );
                                i += 1;
                            }
                            p = p.add_hyperlink(link);
                        }
                    }
                }
            }
        }
        p
    }

    fn blocks(&mut self, blocks: &[Block], depth: usize) {
        for block in blocks {
            match block {
                Block::Heading { level, content } => {
                    let level = (*level).clamp(1, 6);
                    let p = Paragraph::new()
                        .style(&format!("Heading{level}"))
                        .keep_next(true);
                    let p = self.inlines(p, content);
                    self.push(p);
                }
                Block::Paragraph(content) => {
                    let mut p = Paragraph::new();
                    if depth > 0 {
                        // A further paragraph inside a list item lines up with its text.
                        p = p.indent(Some(INDENT_STEP * depth as i32), None, None, None);
                    }
                    let p = self.inlines(p, content);
                    self.push(p);
                }
                Block::BulletList(items) => self.list(items, BULLET_NUM, depth),
                Block::OrderedList { start, items } => {
                    let num = self.next_num;
                    self.next_num += 1;
                    let level = depth.min(MAX_LEVEL);
                    let start = usize::try_from(*start).unwrap_or(usize::MAX);
                    let docx = std::mem::take(&mut self.docx);
                    self.docx = docx.add_numbering(
                        Numbering::new(num, DECIMAL_ABSTRACT)
                            .overrides(vec![LevelOverride::new(level).start(start)]),
                    );
                    self.list(items, num, depth);
                }
            }
        }
    }

    fn list(&mut self, items: &[ListItem], num: usize, depth: usize) {
        let level = depth.min(MAX_LEVEL);
        for item in items {
            let (first, rest) = match item.blocks.split_first() {
                Some((Block::Paragraph(content), rest)) => (Some(content), rest),
                _ => (None, item.blocks.as_slice()),
            };
            let numbered = Paragraph::new()
                .style("ListParagraph")
                .numbering(NumberingId::new(num), IndentLevel::new(level));
            let numbered = match first {
                Some(content) => self.inlines(numbered, content),
                // An item that starts with a list still gets its own marker.
                None => numbered,
            };
            self.push(numbered);
            self.blocks(rest, depth + 1);
        }
    }

    fn heading(&mut self, level: usize, text: &str, page_break: bool) {
        self.push(
            Paragraph::new()
                .style(&format!("Heading{level}"))
                .keep_next(true)
                .page_break_before(page_break)
                .add_run(text_run(text, false, false)),
        );
    }

    fn labelled(&mut self, label: &str, value: &str) {
        self.push(
            Paragraph::new()
                .add_run(text_run(&format!("{label}: "), true, false))
                .add_run(text_run(value, false, false)),
        );
    }

    fn bullets(&mut self, items: impl IntoIterator<Item = Vec<Run>>) {
        for runs in items {
            let mut p = Paragraph::new()
                .style("ListParagraph")
                .numbering(NumberingId::new(BULLET_NUM), IndentLevel::new(0));
            for r in runs {
                p = p.add_run(r);
            }
            self.push(p);
        }
    }

    fn reasons(&mut self, reasons: &[Reason]) {
        self.bullets(reasons.iter().map(|r| {
            let mut runs = vec![text_run(&r.who, true, false)];
            if !r.text.is_empty() {
                runs.push(text_run(": ", false, false));
                runs.push(text_run(&r.text, false, false));
            }
            runs
        }));
    }

    fn agreement(&mut self, p: &Page) {
        self.heading(1, p.heading, true);
        for (label, value) in &p.facts {
            self.labelled(label, value);
        }
        self.heading(2, p.sides_heading, false);
        self.bullets(p.sides.iter().map(|s| vec![text_run(s, false, false)]));
        self.heading(2, p.positions_heading, false);
        if p.rows.is_empty() {
            self.push(Paragraph::new().add_run(text_run(p.no_positions, false, false)));
        } else {
            // Column widths in twentieths of a point, summing to the text width.
            const GRID: [usize; 5] = [1938, 1800, 2000, 1750, 2150];
            let cell = |text: &str, bold: bool, width: usize| {
                TableCell::new().width(width, WidthType::Dxa).add_paragraph(
                    Paragraph::new()
                        .line_spacing(LineSpacing::new().after(0))
                        .add_run(text_run(text, bold, false).size(18)),
                )
            };
            let row = |cells: &mut dyn Iterator<Item = &str>, bold: bool| {
                TableRow::new(cells.zip(GRID).map(|(c, w)| cell(c, bold, w)).collect())
            };
            let mut rows = vec![row(&mut p.columns.iter().copied(), true)];
            rows.extend(
                p.rows
                    .iter()
                    .map(|r| row(&mut r.iter().map(String::as_str), false)),
            );
            self.push_table(
                Table::new(rows)
                    .set_grid(GRID.to_vec())
                    .width(9638, WidthType::Dxa),
            );
        }
        self.heading(2, p.objections_heading, false);
        if p.objections.is_empty() {
            self.push(Paragraph::new().add_run(text_run(p.no_objections, false, false)));
        } else {
            self.reasons(&p.objections);
        }
        if !p.remarks.is_empty() {
            self.heading(2, p.remarks_heading, false);
            self.reasons(&p.remarks);
        }
        self.heading(2, p.integrity_heading, false);
        for (label, value) in &p.integrity {
            self.labelled(label, value);
        }
        self.push(
            Paragraph::new()
                .add_run(text_run(&format!("{}: ", p.verify.0), true, false))
                .add_run(text_run(p.verify.1, false, true)),
        );
    }
}
