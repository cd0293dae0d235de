//! The four embedded faces of Liberation Sans (SIL OFL 1.1, see
//! `fonts/LICENSE-LiberationSans.txt`) and what layout needs from them:
//! each character's glyph and advance width, read with ttf-parser.
//!
//! One character is one glyph (no shaping): enough for Latin text with
//! æ ø å, and what lets the PDF's ToUnicode map give every glyph back its
//! character, so the text stays selectable and searchable.

use crate::ExportError;
use std::collections::HashMap;

/// Which face of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Face {
    Regular = 0,
    Bold = 1,
    Italic = 2,
    BoldItalic = 3,
}

impl Face {
    pub fn of(bold: bool, italic: bool) -> Face {
        match (bold, italic) {
            (false, false) => Face::Regular,
            (true, false) => Face::Bold,
            (false, true) => Face::Italic,
            (true, true) => Face::BoldItalic,
        }
    }

    /// The font's PostScript name.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Face::Regular => "LiberationSans",
            Face::Bold => "LiberationSans-Bold",
            Face::Italic => "LiberationSans-Italic",
            Face::BoldItalic => "LiberationSans-BoldItalic",
        }
    }

    fn data(self) -> &'static [u8] {
        match self {
            Face::Regular => include_bytes!("../../fonts/LiberationSans-Regular.ttf"),
            Face::Bold => include_bytes!("../../fonts/LiberationSans-Bold.ttf"),
            Face::Italic => include_bytes!("../../fonts/LiberationSans-Italic.ttf"),
            Face::BoldItalic => include_bytes!("../../fonts/LiberationSans-BoldItalic.ttf"),
        }
    }
}

/// A glyph and its advance, in 1/1000 of the font size (PDF glyph space).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Glyph {
    pub id: u16,
    pub advance: f32,
}

/// One parsed face with a cache of the characters looked up so far.
pub(crate) struct Font {
    pub data: &'static [u8],
    parsed: ttf_parser::Face<'static>,
    scale: f32,
    cache: HashMap<char, Glyph>,
}

impl Font {
    pub fn load(face: Face) -> Result<Font, ExportError> {
        let data = face.data();
        let parsed = ttf_parser::Face::parse(data, 0)
            .map_err(|_| ExportError::Font(face.postscript_name()))?;
        let scale = 1000.0 / f32::from(parsed.units_per_em().max(1));
        Ok(Font {
            data,
            parsed,
            scale,
            cache: HashMap::new(),
        })
    }

    /// The glyph for `c` (`.notdef`, id 0, when the font has none).
    pub fn glyph(&mut self, c: char) -> Glyph {
        if let Some(g) = self.cache.get(&c) {
            return *g;
        }
        let id = self.parsed.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        let advance = self.parsed.glyph_hor_advance(id).map_or(0.0, f32::from) * self.scale;
        let g = Glyph { id: id.0, advance };
        self.cache.insert(c, g);
        g
    }

    /// Whether the font has a glyph for `c`.
    pub fn has(&mut self, c: char) -> bool {
        self.glyph(c).id != 0
    }

    /// The width of `text` at `size` points.
    pub fn width(&mut self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).advance).sum::<f32>() * size / 1000.0
    }

    /// The advance of glyph `id` in 1/1000 em.
    pub fn advance_of(&self, id: u16) -> f32 {
        self.parsed
            .glyph_hor_advance(ttf_parser::GlyphId(id))
            .map_or(0.0, f32::from)
            * self.scale
    }

    pub fn ascent(&self) -> f32 {
        f32::from(self.parsed.ascender()) * self.scale
    }

    pub fn descent(&self) -> f32 {
        f32::from(self.parsed.descender()) * self.scale
    }

    pub fn cap_height(&self) -> f32 {
        self.parsed
            .capital_height()
            .map_or(self.ascent(), |h| f32::from(h) * self.scale)
    }

    pub fn italic_angle(&self) -> f32 {
        self.parsed.italic_angle()
    }

    /// The font's bounding box in 1/1000 em: left, bottom, right, top.
    pub fn bbox(&self) -> [f32; 4] {
        let r = self.parsed.global_bounding_box();
        [
            f32::from(r.x_min) * self.scale,
            f32::from(r.y_min) * self.scale,
            f32::from(r.x_max) * self.scale,
            f32::from(r.y_max) * self.scale,
        ]
    }
}

/// The four faces, parsed once per export (parsing reads only the table
/// directory, so it costs microseconds).
pub(crate) struct Fonts {
    fonts: [Font; 4],
}

impl Fonts {
    pub fn load() -> Result<Fonts, ExportError> {
        Ok(Fonts {
            fonts: [
                Font::load(Face::Regular)?,
                Font::load(Face::Bold)?,
                Font::load(Face::Italic)?,
                Font::load(Face::BoldItalic)?,
            ],
        })
    }

    pub fn get(&mut self, face: Face) -> &mut Font {
        &mut self.fonts[face as usize]
    }
}
