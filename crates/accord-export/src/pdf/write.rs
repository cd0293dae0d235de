//! Laid-out pages to PDF objects with pdf-writer.
//!
//! Each face used is embedded as a subset (subsetter) CID-keyed TrueType
//! font with Identity-H encoding — the glyph ids of the subset are the CIDs —
//! its widths, and a ToUnicode map from each glyph back to its character,
//! which is what makes the text selectable and searchable (and what
//! `pdftotext` reads). Content streams and font files are deflated.

use super::fonts::{Face, Fonts};
use super::layout::{Color, PageContent, PAGE_H, PAGE_W};
use crate::ExportError;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{
    ActionType, AnnotationType, CidFontType, FontFlags, SystemInfo, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;
use std::io::Write as _;
use subsetter::GlyphRemapper;

/// What the document says about itself.
pub(crate) struct Meta<'a> {
    pub title: &'a str,
    pub lang: &'a str,
}

/// The glyphs one face uses: the subset's mapping and, for ToUnicode, the
/// character each original glyph was first drawn for.
struct Used {
    remapper: GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

/// Allocates object ids in order.
struct Ids(i32);

impl Ids {
    fn next(&mut self) -> Ref {
        self.0 += 1;
        Ref::new(self.0)
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::with_capacity(data.len() / 3), Compression::new(6));
    // Writing into a Vec cannot fail.
    if e.write_all(data).is_err() {
        return Vec::new();
    }
    e.finish().unwrap_or_default()
}

fn set_fill(content: &mut Content, color: Color) {
    match color {
        Color::Text => content.set_fill_gray(0.0),
        Color::Muted => content.set_fill_gray(0.35),
        Color::Link => content.set_fill_rgb(0.02, 0.27, 0.68),
    };
}

fn set_stroke(content: &mut Content, color: Color) {
    match color {
        Color::Text => content.set_stroke_gray(0.0),
        Color::Muted => content.set_stroke_gray(0.55),
        Color::Link => content.set_stroke_rgb(0.02, 0.27, 0.68),
    };
}

/// The six-letter tag that marks an embedded subset, one per face.
fn subset_tag(face: Face) -> &'static str {
    match face {
        Face::Regular => "ACDREG",
        Face::Bold => "ACDBLD",
        Face::Italic => "ACDITA",
        Face::BoldItalic => "ACDBIT",
    }
}

pub(crate) fn write(
    fonts: &mut Fonts,
    pages: &[PageContent],
    meta: &Meta,
) -> Result<Vec<u8>, ExportError> {
    // First pass: which glyphs each face draws.
    let mut used: [Option<Used>; 4] = [None, None, None, None];
    for run in pages.iter().flat_map(|p| &p.runs) {
        let font = fonts.get(run.face);
        let u = used[run.face as usize].get_or_insert_with(|| Used {
            remapper: GlyphRemapper::new(),
            chars: BTreeMap::new(),
        });
        for c in run.text.chars() {
            let g = font.glyph(c);
            u.remapper.remap(g.id);
            if g.id != 0 {
                u.chars.entry(g.id).or_insert(c);
            }
        }
    }

    let mut pdf = Pdf::new();
    let mut ids = Ids(0);
    let catalog = ids.next();
    let tree = ids.next();
    let info = ids.next();
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };

    // The fonts.
    let mut font_refs: Vec<(Face, Ref)> = Vec::new();
    for face in [Face::Regular, Face::Bold, Face::Italic, Face::BoldItalic] {
        let Some(u) = &used[face as usize] else {
            continue;
        };
        let font = fonts.get(face);
        let type0 = ids.next();
        let cid = ids.next();
        let descriptor = ids.next();
        let file = ids.next();
        let to_unicode = ids.next();
        font_refs.push((face, type0));
        let base = format!("{}+{}", subset_tag(face), face.postscript_name());

        let subset =
            subsetter::subset(font.data, 0, &u.remapper).map_err(|err| ExportError::Subset {
                font: face.postscript_name(),
                reason: err.to_string(),
            })?;

        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(to_unicode);

        // Widths by new glyph id, which runs 0..n in the remapper's order.
        let widths: Vec<f32> = u
            .remapper
            .remapped_gids()
            .map(|old| font.advance_of(old))
            .collect();
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();

        let mut flags = FontFlags::NON_SYMBOLIC;
        if matches!(face, Face::Italic | Face::BoldItalic) {
            flags |= FontFlags::ITALIC;
        }
        let [l, b, r, t] = font.bbox();
        pdf.font_descriptor(descriptor)
            .name(Name(base.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(l, b, r, t))
            .italic_angle(font.italic_angle())
            .ascent(font.ascent())
            .descent(font.descent())
            .cap_height(font.cap_height())
            .stem_v(if matches!(face, Face::Bold | Face::BoldItalic) {
                120.0
            } else {
                80.0
            })
            .font_file2(file);

        pdf.stream(file, &deflate(&subset))
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), subset.len() as i32);

        let mut cmap = UnicodeCmap::new(Name(b"Accord-UCS"), system_info);
        for (old, c) in &u.chars {
            if let Some(new) = u.remapper.get(*old) {
                cmap.pair(new, *c);
            }
        }
        pdf.cmap(to_unicode, &cmap.finish());
    }

    // The pages.
    let mut page_ids = Vec::with_capacity(pages.len());
    for page in pages {
        let page_id = ids.next();
        let content_id = ids.next();
        page_ids.push(page_id);
        let mut content = Content::new();
        for rule in &page.rules {
            set_stroke(&mut content, rule.color);
            content
                .set_line_width(rule.width)
                .move_to(rule.x0, rule.y)
                .line_to(rule.x1, rule.y)
                .stroke();
        }
        content.begin_text();
        let mut current: Option<(Face, f32, Color)> = None;
        let mut bytes = Vec::new();
        for run in &page.runs {
            let Some(u) = &used[run.face as usize] else {
                continue;
            };
            let font = fonts.get(run.face);
            if current.map(|(f, s, _)| (f, s)) != Some((run.face, run.size)) {
                content.set_font(Name(font_name(run.face).as_bytes()), run.size);
            }
            if current.map(|(_, _, c)| c) != Some(run.color) {
                set_fill(&mut content, run.color);
            }
            current = Some((run.face, run.size, run.color));
            bytes.clear();
            for c in run.text.chars() {
                let new = u.remapper.get(font.glyph(c).id).unwrap_or(0);
                bytes.extend_from_slice(&new.to_be_bytes());
            }
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, run.y]);
            content.show(Str(&bytes));
        }
        content.end_text();
        let stream = deflate(&content.finish());
        pdf.stream(content_id, &stream).filter(Filter::FlateDecode);

        let annotation_ids: Vec<Ref> = page.links.iter().map(|_| ids.next()).collect();
        for (link, id) in page.links.iter().zip(&annotation_ids) {
            let [l, b, r, t] = link.rect;
            let mut annotation = pdf.annotation(*id);
            annotation
                .subtype(AnnotationType::Link)
                .rect(Rect::new(l, b, r, t))
                .border(0.0, 0.0, 0.0, None);
            annotation
                .action()
                .action_type(ActionType::Uri)
                .uri(Str(link.href.as_bytes()));
            annotation.finish();
        }

        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree)
            .contents(content_id);
        if !annotation_ids.is_empty() {
            p.annotations(annotation_ids);
        }
        let mut resources = p.resources();
        let mut font_dict = resources.fonts();
        for (face, r) in &font_refs {
            font_dict.pair(Name(font_name(*face).as_bytes()), *r);
        }
        font_dict.finish();
        resources.finish();
        p.finish();
    }

    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.catalog(catalog).pages(tree).lang(TextStr(meta.lang));
    pdf.document_info(info)
        .title(TextStr(meta.title))
        .creator(TextStr("Accord"))
        .producer(TextStr("accord-export"));
    Ok(pdf.finish())
}

/// The resource name of a face in every page's font dictionary.
fn font_name(face: Face) -> &'static str {
    match face {
        Face::Regular => "F0",
        Face::Bold => "F1",
        Face::Italic => "F2",
        Face::BoldItalic => "F3",
    }
}
