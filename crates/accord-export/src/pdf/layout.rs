//! Layout of the neutral tree onto A4 pages: positioned runs of text, link
//! areas and rules, ready for `write.rs` to turn into PDF objects.
//!
//! Lines are filled greedily by the fonts' advance widths; a word wider
//! than the line is broken between characters so nothing overflows.
//! Headings keep with the first line after them; list items hang their
//! bullet or number left of the text, one indent step per level.

use super::fonts::{Face, Fonts};
use crate::agreement_page::Cover;
use accord_domain::document::{safe_href, Block, Inline, ListItem, Marks};

/// A4 in points.
pub(crate) const PAGE_W: f32 = 595.276;
pub(crate) const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 62.0;
/// The top and bottom of the text area (the header and footer sit outside).
const TOP: f32 = PAGE_H - 78.0;
const BOTTOM: f32 = 72.0;
const BODY: f32 = 10.5;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.4;
const HEADING_SIZES: [f32; 6] = [18.0, 15.0, 13.0, 12.0, 11.0, 10.5];
const LIST_INDENT: f32 = 20.0;
const PARAGRAPH_GAP: f32 = 6.0;
const ITEM_GAP: f32 = 2.0;
const MARGINALIA: f32 = 8.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Color {
    Text,
    Muted,
    Link,
}

/// Text in one face, size and colour, starting at `x` on baseline `y`.
pub(crate) struct TextRun {
    pub face: Face,
    pub size: f32,
    pub x: f32,
    pub y: f32,
    pub text: String,
    pub color: Color,
}

/// A clickable area: left, bottom, right, top.
pub(crate) struct LinkArea {
    pub rect: [f32; 4],
    pub href: String,
}

/// A horizontal line.
pub(crate) struct Rule {
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub width: f32,
    pub color: Color,
}

#[derive(Default)]
pub(crate) struct PageContent {
    pub runs: Vec<TextRun>,
    pub links: Vec<LinkArea>,
    pub rules: Vec<Rule>,
}

impl PageContent {
    fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.rules.is_empty()
    }
}

/// A piece of a line in one face, possibly a link.
#[derive(Debug, Clone)]
struct Piece {
    face: Face,
    link: Option<String>,
    text: String,
    width: f32,
}

enum Token {
    Word(Vec<Piece>),
    Space(Piece),
    Break,
}

struct Line {
    pieces: Vec<Piece>,
    width: f32,
}

/// A list marker waiting for the first line of its item.
struct Marker {
    text: String,
    right: f32,
}

pub(crate) struct Layout<'f> {
    fonts: &'f mut Fonts,
    pub pages: Vec<PageContent>,
    /// The top of the next line on the current page.
    y: f32,
    marker: Option<Marker>,
}

/// Characters that take no room and print nothing: soft hyphens, zero-width
/// spaces and joiners, the byte-order mark, controls.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}'
    ) || c.is_control()
}

/// Text cut to `max` points wide, with an ellipsis when cut.
pub(crate) fn fit(fonts: &mut Fonts, face: Face, text: &str, size: f32, max: f32) -> String {
    let text: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !invisible(*c))
        .collect();
    let font = fonts.get(face);
    if font.width(&text, size) <= max {
        return text;
    }
    let budget = max - font.width("…", size);
    let mut out = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let cw = font.glyph(c).advance * size / 1000.0;
        if w + cw > budget {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

impl<'f> Layout<'f> {
    pub fn new(fonts: &'f mut Fonts) -> Layout<'f> {
        Layout {
            fonts,
            pages: vec![PageContent::default()],
            y: TOP,
            marker: None,
        }
    }

    fn page(&mut self) -> &mut PageContent {
        if self.pages.is_empty() {
            self.pages.push(PageContent::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn at_top(&self) -> bool {
        self.pages.last().is_none_or(PageContent::is_empty)
    }

    pub fn new_page(&mut self) {
        if !self.at_top() {
            self.pages.push(PageContent::default());
        }
        self.y = TOP;
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, h: f32) {
        if !self.at_top() {
            self.y -= h;
        }
    }

    fn tokens(&mut self, content: &[Inline], size: f32, bold: bool) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut word: Vec<Piece> = Vec::new();
        fn flush(tokens: &mut Vec<Token>, word: &mut Vec<Piece>) {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(word)));
            }
        }
        for inline in content {
            let (text, marks) = match inline {
                Inline::Text { text, marks } => (text.as_str(), marks),
                Inline::LineBreak => {
                    flush(&mut tokens, &mut word);
                    tokens.push(Token::Break);
                    continue;
                }
            };
            let face = Face::of(bold || marks.bold, marks.italic);
            let link = marks.link.as_deref().and_then(safe_href);
            for c in text.chars() {
                if c == '\n' {
                    flush(&mut tokens, &mut word);
                    tokens.push(Token::Break);
                } else if c.is_whitespace() && c != '\u{a0}' && c != '\u{202f}' {
                    flush(&mut tokens, &mut word);
                    if !matches!(
                        tokens.last(),
                        Some(Token::Space(_)) | None | Some(Token::Break)
                    ) {
                        tokens.push(Token::Space(Piece {
                            face,
                            link: link.map(str::to_owned),
                            text: " ".to_owned(),
                            width: 0.0,
                        }));
                    }
                } else if !invisible(c) {
                    match word.last_mut() {
                        Some(p) if p.face == face && p.link.as_deref() == link => p.text.push(c),
                        _ => word.push(Piece {
                            face,
                            link: link.map(str::to_owned),
                            text: c.to_string(),
                            width: 0.0,
                        }),
                    }
                }
            }
        }
        flush(&mut tokens, &mut word);
        for t in &mut tokens {
            match t {
                Token::Word(pieces) => {
                    for p in pieces {
                        p.width = self.fonts.get(p.face).width(&p.text, size);
                    }
                }
                Token::Space(p) => p.width = self.fonts.get(p.face).width(" ", size),
                Token::Break => {}
            }
        }
        tokens
    }

    /// Greedy line filling; words wider than `max` are broken.
    fn lines(&mut self, tokens: Vec<Token>, max: f32, size: f32) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut cur = Line {
            pieces: Vec::new(),
            width: 0.0,
        };
        let mut space: Option<Piece> = None;
        for token in tokens {
            match token {
                Token::Break => {
                    lines.push(std::mem::replace(
                        &mut cur,
                        Line {
                            pieces: Vec::new(),
                            width: 0.0,
                        },
                    ));
                    space = None;
                }
                Token::Space(p) => space = Some(p),
                Token::Word(pieces) => {
                    let w: f32 = pieces.iter().map(|p| p.width).sum();
                    let sp = match (&space, cur.pieces.is_empty()) {
                        (Some(s), false) => s.width,
                        _ => 0.0,
                    };
                    if cur.width + sp + w <= max {
                        if let (Some(s), false) = (space.take(), cur.pieces.is_empty()) {
                            cur.width += s.width;
                            cur.pieces.push(s);
                        }
                        cur.width += w;
                        cur.pieces.extend(pieces);
                        continue;
                    }
                    space = None;
                    if !cur.pieces.is_empty() {
                        lines.push(std::mem::replace(
                            &mut cur,
                            Line {
                                pieces: Vec::new(),
                                width: 0.0,
                            },
                        ));
                    }
                    if w <= max {
                        cur.width = w;
                        cur.pieces = pieces;
                    } else {
                        self.break_word(pieces, max, size, &mut lines, &mut cur);
                    }
                }
            }
        }
        if !cur.pieces.is_empty() {
            lines.push(cur);
        }
        lines
    }

    /// Splits a word too wide for any line between characters; the last
    /// part stays in `cur` so the next word can follow it.
    fn break_word(
        &mut self,
        pieces: Vec<Piece>,
        max: f32,
        size: f32,
        lines: &mut Vec<Line>,
        cur: &mut Line,
    ) {
        for piece in pieces {
            let font = self.fonts.get(piece.face);
            let mut part = String::new();
            let mut part_w = 0.0;
            for c in piece.text.chars() {
                let cw = font.glyph(c).advance * size / 1000.0;
                // At least one character per line, however narrow the line.
                if cur.width + part_w + cw > max && (cur.width + part_w) > 0.0 {
                    if !part.is_empty() {
                        cur.pieces.push(Piece {
                            face: piece.face,
                            link: piece.link.clone(),
                            text: std::mem::take(&mut part),
                            width: part_w,
                        });
                        cur.width += part_w;
                    }
                    lines.push(std::mem::replace(
                        cur,
                        Line {
                            pieces: Vec::new(),
                            width: 0.0,
                        },
                    ));
                    part_w = 0.0;
                }
                part.push(c);
                part_w += cw;
            }
            if !part.is_empty() {
                cur.pieces.push(Piece {
                    face: piece.face,
                    link: piece.link,
                    text: part,
                    width: part_w,
                });
                cur.width += part_w;
            }
        }
    }

    /// Places one line whose box is `size * LEADING` high, starting at `x`.
    fn line(&mut self, line: Line, x: f32, size: f32, color: Color) {
        let height = size * LEADING;
        if self.y - height < BOTTOM {
            self.new_page();
        }
        let baseline = self.y - size * 1.05;
        if let Some(m) = self.marker.take() {
            let w = self.fonts.get(Face::Regular).width(&m.text, BODY);
            self.page().runs.push(TextRun {
                face: Face::Regular,
                size: BODY,
                x: m.right - w,
                y: baseline,
                text: m.text,
                color: Color::Text,
            });
        }
        // Runs of this line merge only with each other (not with the marker).
        let first_run = self.page().runs.len();
        let mut cx = x;
        for piece in line.pieces {
            let color = if piece.link.is_some() {
                Color::Link
            } else {
                color
            };
            let x0 = cx;
            cx += piece.width;
            let page = self.page();
            if let Some(href) = piece.link {
                match page.links.last_mut() {
                    Some(l)
                        if l.href == href
                            && (l.rect[2] - x0).abs() < 0.01
                            && l.rect[1] < baseline
                            && l.rect[3] > baseline =>
                    {
                        l.rect[2] = cx;
                    }
                    _ => page.links.push(LinkArea {
                        rect: [x0, baseline - size * 0.25, cx, baseline + size * 0.9],
                        href,
                    }),
                }
                page.rules.push(Rule {
                    x0,
                    x1: cx,
                    y: baseline - size * 0.12,
                    width: 0.5,
                    color: Color::Link,
                });
            }
            let mergeable = page.runs.len() > first_run;
            match page.runs.last_mut() {
                Some(r) if mergeable && r.face == piece.face && r.color == color => {
                    r.text.push_str(&piece.text)
                }
                _ => page.runs.push(TextRun {
                    face: piece.face,
                    size,
                    x: x0,
                    y: baseline,
                    text: piece.text,
                    color,
                }),
            }
        }
        self.y -= height;
    }

    /// A paragraph at left edge `x`; nothing for a blank one unless a list
    /// marker waits for a line.
    fn paragraph(&mut self, content: &[Inline], x: f32, size: f32, bold: bool, color: Color) {
        let tokens = self.tokens(content, size, bold);
        let lines = self.lines(tokens, PAGE_W - MARGIN_X - x, size);
        if lines.iter().all(|l| l.pieces.is_empty()) {
            if self.marker.is_some() {
                self.line(
                    Line {
                        pieces: Vec::new(),
                        width: 0.0,
                    },
                    x,
                    size,
                    color,
                );
            }
            return;
        }
        for line in lines {
            self.line(line, x, size, color);
        }
    }

    fn heading(&mut self, level: u8, content: &[Inline], x: f32) {
        let size = HEADING_SIZES[usize::from(level.clamp(1, 6)) - 1];
        let tokens = self.tokens(content, size, true);
        let lines = self.lines(tokens, PAGE_W - MARGIN_X - x, size);
        if lines.iter().all(|l| l.pieces.is_empty()) {
            return;
        }
        self.gap(size * 0.8);
        // Keep the heading with the first line of what follows.
        let needed = lines.len() as f32 * size * LEADING + BODY * LEADING;
        if self.y - needed < BOTTOM {
            self.new_page();
        }
        for line in lines {
            self.line(line, x, size, Color::Text);
        }
        self.y -= size * 0.3;
    }

    fn bullet(&mut self, depth: usize) -> String {
        let wanted = ['•', '◦', '▪'][depth % 3];
        if self.fonts.get(Face::Regular).has(wanted) {
            wanted.to_string()
        } else {
            "-".to_owned()
        }
    }

    /// Blocks at list depth `depth` (0: the body).
    pub fn blocks(&mut self, blocks: &[Block], depth: usize) {
        let x = MARGIN_X + depth as f32 * LIST_INDENT;
        for block in blocks {
            match block {
                Block::Heading { level, content } => self.heading(*level, content, x),
                Block::Paragraph(content) => {
                    self.paragraph(content, x, BODY, false, Color::Text);
                    self.y -= if depth > 0 { ITEM_GAP } else { PARAGRAPH_GAP };
                }
                Block::BulletList(items) => {
                    let bullet = self.bullet(depth);
                    for item in items {
                        self.item(item, bullet.clone(), depth + 1);
                    }
                    self.y -= PARAGRAPH_GAP - ITEM_GAP;
                }
                Block::OrderedList { start, items } => {
                    for (i, item) in items.iter().enumerate() {
                        let n = start.saturating_add(i as u64);
                        self.item(item, format!("{n}."), depth + 1);
                    }
                    self.y -= PARAGRAPH_GAP - ITEM_GAP;
                }
            }
        }
    }

    fn item(&mut self, item: &ListItem, marker: String, depth: usize) {
        let x = MARGIN_X + depth as f32 * LIST_INDENT;
        self.marker = Some(Marker {
            text: marker,
            right: x - 6.0,
        });
        self.blocks(&item.blocks, depth);
        if self.marker.is_some() {
            // An empty item still shows its marker.
            self.line(
                Line {
                    pieces: Vec::new(),
                    width: 0.0,
                },
                x,
                BODY,
                Color::Text,
            );
            self.y -= ITEM_GAP;
        }
    }

    /// The title block of the first page.
    pub fn cover(&mut self, cover: &Cover) {
        self.paragraph(
            &[Inline::text(cover.title.as_str())],
            MARGIN_X,
            20.0,
            true,
            Color::Text,
        );
        self.y -= 4.0;
        let mut meta = Vec::new();
        for (i, (label, value)) in cover.meta.iter().enumerate() {
            if i > 0 {
                meta.push(Inline::text("   "));
            }
            meta.push(Inline::Text {
                text: format!("{label}:\u{a0}"),
                marks: Marks {
                    bold: true,
                    ..Marks::default()
                },
            });
            meta.push(Inline::text(value.as_str()));
        }
        self.paragraph(&meta, MARGIN_X, 9.0, false, Color::Muted);
        self.y -= 6.0;
        let y = self.y;
        self.page().rules.push(Rule {
            x0: MARGIN_X,
            x1: PAGE_W - MARGIN_X,
            y,
            width: 0.75,
            color: Color::Muted,
        });
        self.y -= 14.0;
    }

    /// The running header (title left, version right) and "Page i of n"
    /// footer on every page.
    pub fn decorate(
        &mut self,
        title: &str,
        version: &str,
        page_of: impl Fn(usize, usize) -> String,
    ) {
        let width = PAGE_W - 2.0 * MARGIN_X;
        let version = fit(self.fonts, Face::Regular, version, MARGINALIA, width * 0.38);
        let version_w = self.fonts.get(Face::Regular).width(&version, MARGINALIA);
        let title = fit(
            self.fonts,
            Face::Bold,
            title,
            MARGINALIA,
            width - version_w - 18.0,
        );
        let total = self.pages.len();
        let header_y = PAGE_H - 48.0;
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.runs.push(TextRun {
                face: Face::Bold,
                size: MARGINALIA,
                x: MARGIN_X,
                y: header_y,
                text: title.clone(),
                color: Color::Muted,
            });
            page.runs.push(TextRun {
                face: Face::Regular,
                size: MARGINALIA,
                x: PAGE_W - MARGIN_X - version_w,
                y: header_y,
                text: version.clone(),
                color: Color::Muted,
            });
            page.rules.push(Rule {
                x0: MARGIN_X,
                x1: PAGE_W - MARGIN_X,
                y: header_y - 6.0,
                width: 0.5,
                color: Color::Muted,
            });
            let footer = page_of(i + 1, total);
            let footer_w = self.fonts.get(Face::Regular).width(&footer, MARGINALIA);
            page.runs.push(TextRun {
                face: Face::Regular,
                size: MARGINALIA,
                x: (PAGE_W - footer_w) / 2.0,
                y: 40.0,
                text: footer,
                color: Color::Muted,
            });
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn broken(text: &str, max: f32) -> Vec<Line> {
        let mut fonts = Fonts::load().unwrap();
        let mut layout = Layout::new(&mut fonts);
        let content = [
            Inline::text(text),
            Inline::Text {
                text: " fed tekst".into(),
                marks: Marks {
                    bold: true,
                    ..Marks::default()
                },
            },
        ];
        let tokens = layout.tokens(&content, BODY, false);
        layout.lines(tokens, max, BODY)
    }

    fn line_text(line: &Line) -> String {
        line.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn lines_fit_and_keep_every_character() {
        let long = "Arbejdsmiljøorganisationsrepræsentant".repeat(4);
        let text =
            format!("Kort tekst om  æbler, øl og   ål før {long} og efter den lange ord-kæde.");
        for max in [40.0, 120.0, 300.0, 471.0] {
            let lines = broken(&text, max);
            assert!(lines.len() > 1, "{max}: wrapped");
            for line in &lines {
                let measured: f32 = line.pieces.iter().map(|p| p.width).sum();
                assert!((measured - line.width).abs() < 0.01);
                assert!(
                    line.width <= max + 0.01,
                    "{max}: {:?} is {} wide",
                    line_text(line),
                    line.width
                );
                assert!(!line_text(line).starts_with(' ') && !line_text(line).ends_with(' '));
            }
            let all: String = lines
                .iter()
                .map(line_text)
                .collect::<String>()
                .split_whitespace()
                .collect();
            let want: String = format!("{text} fed tekst").split_whitespace().collect();
            assert_eq!(all, want, "{max}: nothing lost");
        }
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_between_characters() {
        let word = "x".repeat(400);
        let lines = broken(&word, 100.0);
        assert!(lines.len() > 10);
        assert!(lines.iter().all(|l| l.width <= 100.0 + 0.01));
        // The bold words after it follow on the last part's line when they fit.
        assert!(line_text(&lines[lines.len() - 1]).ends_with("fed tekst"));
    }

    #[test]
    fn breaks_and_spaces() {
        let mut fonts = Fonts::load().unwrap();
        let mut layout = Layout::new(&mut fonts);
        let content = [
            Inline::text("a\nb"),
            Inline::LineBreak,
            Inline::text("  c  d\u{ad}e\u{200b}f"),
        ];
        let tokens = layout.tokens(&content, BODY, false);
        let lines = layout.lines(tokens, 400.0, BODY);
        let texts: Vec<String> = lines.iter().map(line_text).collect();
        assert_eq!(texts, ["a", "b", "c def"]);
    }
}
