//! Co-drafted documents as a neutral tree, and their Markdown and HTML renderings.
//!
//! The live document is a Yjs tree (see `accord-realtime`), but exports,
//! versioning and previews must not depend on a CRDT library, so the tree
//! is converted once into [`Document`] and every rendering works from that.
//! Both renderers treat all text and attribute values as untrusted input.

use std::fmt::{self, Write as _};
use std::str::FromStr;

/// What a document is for; chooses its starting template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// An upskilling programme, drafted section by section.
    Programme,
    /// A recommendation the roundtable issues.
    Recommendation,
    /// Free-form notes.
    Notes,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Programme,
        DocumentKind::Recommendation,
        DocumentKind::Notes,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Programme => "programme",
            DocumentKind::Recommendation => "recommendation",
            DocumentKind::Notes => "notes",
        }
    }

    /// The section headings a new document of this kind starts with, in
    /// order, in the creator's language. Notes start blank so nothing is
    /// imposed on free-form writing.
    pub fn template_sections(self, lang: crate::polls::Lang) -> &'static [&'static str] {
        use crate::polls::Lang;
        match (self, lang) {
            (DocumentKind::Programme, Lang::En) => &[
                "Objectives",
                "Target groups",
                "Stakeholders involved from the start (workforce, managers, HR, unions)",
                "Delivery (build / buy / partner)",
                "Format and duration",
                "Time and budget",
                "KPIs (SMART, leading and lagging)",
                "Employment outcomes after training",
            ],
            (DocumentKind::Programme, Lang::Da) => &[
                "Formål",
                "Målgrupper",
                "Interessenter med fra start (medarbejdere, ledere, HR, fagforeninger)",
                "Gennemførelse (udvikle selv / købe / partnerskab)",
                "Form og varighed",
                "Tid og budget",
                "KPI'er (SMART, førende og bagudskuende)",
                "Beskæftigelse efter uddannelsen",
            ],
            (DocumentKind::Recommendation, Lang::En) => &[
                "Summary",
                "Background",
                "Recommendations",
                "Responsibilities and timeline",
                "How progress will be followed up",
            ],
            (DocumentKind::Recommendation, Lang::Da) => &[
                "Resumé",
                "Baggrund",
                "Anbefalinger",
                "Ansvar og tidsplan",
                "Sådan følges der op",
            ],
            (DocumentKind::Notes, _) => &[],
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A document kind name that is not one of [`DocumentKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document kind {0:?} (expected programme, recommendation or notes)")]
pub struct UnknownKind(pub String);

impl FromStr for DocumentKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A whole document: a sequence of blocks. Serialisable so that a version's
/// tree can be stored as JSON beside its Markdown and read back without Yjs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub blocks: Vec<Block>,
}

/// A block-level node.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// `level` is always within 1..=6.
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    BulletList(Vec<ListItem>),
    OrderedList {
        start: u64,
        items: Vec<ListItem>,
    },
}

/// One list entry; may hold paragraphs and nested lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListItem {
    pub blocks: Vec<Block>,
}

/// An inline node inside a heading or paragraph.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
        // Most text is plain: leaving empty marks out keeps a stored tree small.
        #[serde(default, skip_serializing_if = "Marks::is_plain")]
        marks: Marks,
    },
    LineBreak,
}

/// Formatting of a run of text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Marks {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bold: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub italic: bool,
    /// The raw target as written; renderers drop it unless [`safe_href`] accepts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Marks {
    /// No formatting at all.
    pub fn is_plain(&self) -> bool {
        *self == Marks::default()
    }
}

impl Inline {
    /// Plain text with no formatting.
    pub fn text(text: impl Into<String>) -> Inline {
        Inline::Text {
            text: text.into(),
            marks: Marks::default(),
        }
    }
}

/// The link target if it is safe to emit: only `http`, `https` and `mailto`
/// survive, so `javascript:` and `data:` links can never reach a reader.
pub fn safe_href(href: &str) -> Option<&str> {
    let trimmed = href.trim();
    let (scheme, rest) = trimmed.split_once(':')?;
    let ok = ["http", "https", "mailto"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    // Control characters and whitespace inside a URL only serve to confuse parsers.
    let clean = !trimmed.chars().any(|c| c.is_control() || c.is_whitespace());
    (ok && clean && !rest.is_empty()).then_some(trimmed)
}

impl Document {
    /// The text content only, blocks separated by newlines; handy for search and tests.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        fn inlines(out: &mut String, content: &[Inline]) {
            for i in content {
                match i {
                    Inline::Text { text, .. } => out.push_str(text),
                    Inline::LineBreak => out.push('\n'),
                }
            }
            out.push('\n');
        }
        fn blocks(out: &mut String, bs: &[Block]) {
            for b in bs {
                match b {
                    Block::Heading { content, .. } | Block::Paragraph(content) => {
                        inlines(out, content)
                    }
                    Block::BulletList(items) | Block::OrderedList { items, .. } => {
                        for item in items {
                            blocks(out, &item.blocks);
                        }
                    }
                }
            }
        }
        blocks(&mut out, &self.blocks);
        out
    }

    /// CommonMark. Empty paragraphs are dropped, since Markdown cannot show them.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        markdown_blocks(&mut out, &self.blocks);
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// An HTML fragment (no `<html>`/`<body>`), safe to embed: every text and
    /// attribute value is escaped and only [`safe_href`] links are kept.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        html_blocks(&mut out, &self.blocks);
        out
    }
}

// ---------------------------------------------------------------- Markdown

fn is_blank(content: &[Inline]) -> bool {
    content.iter().all(|i| match i {
        Inline::Text { text, .. } => text.trim().is_empty(),
        Inline::LineBreak => true,
    })
}

/// Writes `blocks` separated by blank lines, with no trailing newline.
fn markdown_blocks(out: &mut String, blocks: &[Block]) {
    let mut chunks: Vec<String> = Vec::new();
    for block in blocks {
        let chunk = match block {
            Block::Heading { level, content } => {
                if is_blank(content) {
                    continue;
                }
                let level = (*level).clamp(1, 6) as usize;
                // A heading is one line: breaks become spaces.
                let text = markdown_inlines(content, true).replace("\\\n", " ");
                format!("{} {}", "#".repeat(level), text)
            }
            Block::Paragraph(content) => {
                if is_blank(content) {
                    continue;
                }
                markdown_inlines(content, false)
            }
            Block::BulletList(items) => markdown_list(items, |_| "- ".to_owned()),
            Block::OrderedList { start, items } => {
                let start = *start;
                markdown_list(items, |i| format!("{}. ", start.saturating_add(i as u64)))
            }
        };
        if !chunk.is_empty() {
            chunks.push(chunk);
        }
    }
    out.push_str(&chunks.join("\n\n"));
}

fn markdown_list(items: &[ListItem], marker: impl Fn(usize) -> String) -> String {
    let mut lines: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let m = marker(i);
        // Continuation lines align with the item's content so they stay inside it.
        let indent = " ".repeat(m.len());
        let mut body = String::new();
        markdown_blocks(&mut body, &item.blocks);
        for (n, line) in body.split('\n').enumerate() {
            if n == 0 {
                lines.push(format!("{m}{line}").trim_end().to_owned());
            } else if line.is_empty() {
                lines.push(String::new());
            } else {
                lines.push(format!("{indent}{line}"));
            }
        }
    }
    lines.join("\n")
}

/// Runs of equal marks; adjacent inlines with the same marks are merged so
/// delimiters are not emitted back to back.
fn runs(content: &[Inline]) -> Vec<(Marks, String)> {
    let mut runs: Vec<(Marks, String)> = Vec::new();
    for inline in content {
        let (marks, text) = match inline {
            Inline::Text { text, marks } => (marks.clone(), text.as_str()),
            Inline::LineBreak => (Marks::default(), "\n"),
        };
        // Unsafe links render as plain text, so merge them as such.
        let marks = Marks {
            link: marks.link.as_deref().and_then(safe_href).map(str::to_owned),
            ..marks
        };
        match runs.last_mut() {
            Some((m, t)) if *m == marks => t.push_str(text),
            _ => runs.push((marks, text.to_owned())),
        }
    }
    runs
}

fn markdown_inlines(content: &[Inline], heading: bool) -> String {
    let mut out = String::new();
    let all = runs(content);
    // Group consecutive runs by link so a link wraps its formatted text.
    let mut i = 0;
    while i < all.len() {
        let link = all[i].0.link.clone();
        let mut j = i;
        while j < all.len() && all[j].0.link == link {
            j += 1;
        }
        let inner = markdown_emphasis(&all[i..j]);
        match link {
            Some(href) if !inner.trim().is_empty() => {
                let _ = write!(out, "[{inner}]({})", markdown_url(&href));
            }
            _ => out.push_str(&inner),
        }
        i = j;
    }
    // Hard breaks: a backslash at line end is CommonMark's explicit break.
    let mut lines = Vec::new();
    for (n, line) in out.split('\n').enumerate() {
        let escaped_start = if n == 0 && heading {
            line.to_owned()
        } else {
            escape_line_start(line)
        };
        lines.push(escaped_start);
    }
    lines.join("\\\n")
}

/// Bold/italic around runs, with surrounding whitespace kept outside the
/// delimiters (`** x**` would not be emphasis in CommonMark).
fn markdown_emphasis(runs: &[(Marks, String)]) -> String {
    let mut out = String::new();
    for (marks, text) in runs {
        let delim = match (marks.bold, marks.italic) {
            (true, true) => "***",
            (true, false) => "**",
            (false, true) => "*",
            (false, false) => "",
        };
        let escaped = escape_markdown(text);
        // Each line is wrapped on its own, since emphasis cannot span a hard break.
        let parts: Vec<String> = escaped
            .split('\n')
            .map(|part| {
                let core = part.trim();
                if delim.is_empty() || core.is_empty() {
                    return part.to_owned();
                }
                let lead = &part[..part.len() - part.trim_start().len()];
                let trail = &part[part.trim_end().len()..];
                format!("{lead}{delim}{core}{delim}{trail}")
            })
            .collect();
        out.push_str(&parts.join("\n"));
    }
    out
}

/// Backslash-escapes characters that are Markdown syntax anywhere in a line.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '~' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes what only means something at the start of a line: list markers,
/// ordered-list numbers, setext underlines and indentation (code blocks).
fn escape_line_start(line: &str) -> String {
    let stripped = line.trim_start_matches([' ', '\t']);
    let mut out = String::new();
    if stripped.len() != line.len() {
        // Leading spaces would be eaten or turn the line into a code block.
        for c in line[..line.len() - stripped.len()].chars() {
            out.push_str(if c == '\t' { "&#9;" } else { "&#32;" });
        }
    }
    let bytes = stripped.as_bytes();
    match bytes.first() {
        Some(b'-' | b'+' | b'=') => {
            out.push('\\');
            out.push_str(stripped);
        }
        Some(b'0'..=b'9') => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            match bytes.get(digits) {
                Some(b'.' | b')') => {
                    out.push_str(&stripped[..digits]);
                    out.push('\\');
                    out.push_str(&stripped[digits..]);
                }
                _ => out.push_str(stripped),
            }
        }
        _ => out.push_str(stripped),
    }
    out
}

/// A link destination in angle brackets, which may then hold spaces and parentheses.
fn markdown_url(href: &str) -> String {
    let mut out = String::from("<");
    for c in href.chars() {
        match c {
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    out.push('>');
    out
}

// -------------------------------------------------------------------- HTML

/// Escapes for both text and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Heading { level, content } => {
                let level = (*level).clamp(1, 6);
                let _ = write!(out, "<h{level}>");
                html_inlines(out, content);
                let _ = writeln!(out, "</h{level}>");
            }
            Block::Paragraph(content) => {
                out.push_str("<p>");
                html_inlines(out, content);
                out.push_str("</p>\n");
            }
            Block::BulletList(items) => {
                out.push_str("<ul>\n");
                html_items(out, items);
                out.push_str("</ul>\n");
            }
            Block::OrderedList { start, items } => {
                if *start == 1 {
                    out.push_str("<ol>\n");
                } else {
                    let _ = writeln!(out, "<ol start=\"{start}\">");
                }
                html_items(out, items);
                out.push_str("</ol>\n");
            }
        }
    }
}

fn html_items(out: &mut String, items: &[ListItem]) {
    for item in items {
        out.push_str("<li>");
        // A single paragraph renders tight, like a Markdown tight list.
        match item.blocks.as_slice() {
            [Block::Paragraph(content)] => html_inlines(out, content),
            blocks => {
                out.push('\n');
                html_blocks(out, blocks);
            }
        }
        out.push_str("</li>\n");
    }
}

fn html_inlines(out: &mut String, content: &[Inline]) {
    let all = runs(content);
    let mut i = 0;
    while i < all.len() {
        let link = all[i].0.link.clone();
        let mut j = i;
        while j < all.len() && all[j].0.link == link {
            j += 1;
        }
        if let Some(href) = &link {
            let _ = write!(
                out,
                "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">",
                escape_html(href)
            );
        }
        for (marks, text) in &all[i..j] {
            if marks.bold {
                out.push_str("<strong>");
            }
            if marks.italic {
                out.push_str("<em>");
            }
            out.push_str(&escape_html(text).replace('\n', "<br>"));
            if marks.italic {
                out.push_str("</em>");
            }
            if marks.bold {
                out.push_str("</strong>");
            }
        }
        if link.is_some() {
            out.push_str("</a>");
        }
        i = j;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::text(s)
    }
    fn marked(s: &str, bold: bool, italic: bool, link: Option<&str>) -> Inline {
        Inline::Text {
            text: s.into(),
            marks: Marks {
                bold,
                italic,
                link: link.map(str::to_owned),
            },
        }
    }

    fn sample() -> Document {
        Document {
            blocks: vec![
                Block::Heading {
                    level: 2,
                    content: vec![t("Objectives")],
                },
                Block::Paragraph(vec![
                    t("Train "),
                    marked("every", true, false, None),
                    t(" operator in "),
                    marked("safety", false, true, None),
                    t(", see "),
                    marked(
                        "the plan",
                        false,
                        false,
                        Some("https://example.org/a?b=1&c=2"),
                    ),
                    t("."),
                ]),
                Block::Paragraph(vec![]),
                Block::BulletList(vec![
                    ListItem {
                        blocks: vec![Block::Paragraph(vec![t("Workforce")])],
                    },
                    ListItem {
                        blocks: vec![
                            Block::Paragraph(vec![t("Unions")]),
                            Block::OrderedList {
                                start: 3,
                                items: vec![ListItem {
                                    blocks: vec![Block::Paragraph(vec![t("Local")])],
                                }],
                            },
                        ],
                    },
                ]),
            ],
        }
    }

    #[test]
    fn markdown_of_sample() {
        let md = sample().to_markdown();
        let expected = "## Objectives\n\n\
            Train **every** operator in *safety*, see [the plan](<https://example.org/a?b=1&c=2>).\n\n\
            - Workforce\n\
            - Unions\n\n  3. Local\n";
        assert_eq!(md, expected);
    }

    #[test]
    fn html_of_sample() {
        let html = sample().to_html();
        let expected = "<h2>Objectives</h2>\n\
            <p>Train <strong>every</strong> operator in <em>safety</em>, see \
            <a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">the plan</a>.</p>\n\
            <p></p>\n\
            <ul>\n<li>Workforce</li>\n<li>\n<p>Unions</p>\n<ol start=\"3\">\n<li>Local</li>\n</ol>\n</li>\n</ul>\n";
        assert_eq!(html, expected);
    }

    #[test]
    fn html_escapes_text_and_drops_unsafe_links() {
        let doc = Document {
            blocks: vec![Block::Paragraph(vec![
                t("<script>alert('x')</script> & \"q\""),
                marked("click", false, false, Some("javascript:alert(1)")),
                marked("mail", false, false, Some("mailto:a@b.org")),
                marked("q", false, false, Some("https://x.org/\"><img/src=x>")),
            ])],
        };
        let html = doc.to_html();
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("<a href=\"mailto:a@b.org\""));
        assert!(
            html.contains("href=\"https://x.org/&quot;&gt;&lt;img/src=x&gt;\""),
            "{html}"
        );
        let md = doc.to_markdown();
        assert!(!md.contains("javascript"), "{md}");
        assert!(md.contains("[mail](<mailto:a@b.org>)"), "{md}");
    }

    #[test]
    fn markdown_escapes_syntax() {
        let doc = Document {
            blocks: vec![
                Block::Paragraph(vec![t("# not a heading *nor* _this_ [x](y) <b> `c`")]),
                Block::Paragraph(vec![t("- not a list")]),
                Block::Paragraph(vec![t("1. not ordered")]),
                Block::Paragraph(vec![t("    not code")]),
            ],
        };
        let md = doc.to_markdown();
        assert_eq!(
            md,
            "\\# not a heading \\*nor\\* \\_this\\_ \\[x\\](y) \\<b\\> \\`c\\`\n\n\
             \\- not a list\n\n\
             1\\. not ordered\n\n\
             &#32;&#32;&#32;&#32;not code\n"
        );
    }

    #[test]
    fn emphasis_keeps_whitespace_outside_and_breaks_work() {
        let doc = Document {
            blocks: vec![Block::Paragraph(vec![
                marked(" bold ", true, false, None),
                t("x"),
                Inline::LineBreak,
                marked("both", true, true, None),
            ])],
        };
        assert_eq!(doc.to_markdown(), "&#32;**bold** x\\\n***both***\n");
        assert_eq!(
            doc.to_html(),
            "<p><strong> bold </strong>x<br><strong><em>both</em></strong></p>\n"
        );
    }

    #[test]
    fn safe_href_allows_only_web_and_mail() {
        assert_eq!(safe_href("https://a.org"), Some("https://a.org"));
        assert_eq!(safe_href(" HTTP://a.org "), Some("HTTP://a.org"));
        assert_eq!(safe_href("mailto:x@y.z"), Some("mailto:x@y.z"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "/relative",
            "https:",
            "java\nscript:x",
            "https://a b",
        ] {
            assert_eq!(safe_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip_and_programme_has_the_briefs_sections() {
        for k in DocumentKind::ALL {
            assert_eq!(k.as_str().parse::<DocumentKind>(), Ok(k));
        }
        assert!("memo".parse::<DocumentKind>().is_err());
        use crate::polls::Lang;
        let s = DocumentKind::Programme.template_sections(Lang::En);
        assert_eq!(s.len(), 8);
        assert!(s[2].contains("HR") && s[2].contains("unions"));
        for kind in DocumentKind::ALL {
            // Both languages have the same sections, and they differ.
            let (en, da) = (
                kind.template_sections(Lang::En),
                kind.template_sections(Lang::Da),
            );
            assert_eq!(en.len(), da.len(), "{kind}");
            assert!(en.iter().zip(da).all(|(e, d)| e != d), "{kind}");
        }
        assert!(DocumentKind::Programme.template_sections(Lang::Da)[1] == "Målgrupper");
        assert!(DocumentKind::Notes.template_sections(Lang::Da).is_empty());
    }

    #[test]
    fn tree_round_trips_through_json() {
        let doc = sample();
        let json = serde_json::to_string(&doc).unwrap();
        assert_eq!(serde_json::from_str::<Document>(&json).unwrap(), doc);
        // Plain text carries no marks; the shape is what stored versions hold.
        assert!(json.starts_with(
            r#"{"blocks":[{"heading":{"level":2,"content":[{"text":{"text":"Objectives"}}]}},"#
        ));
        assert!(json.contains(r#"{"text":{"text":"every","marks":{"bold":true}}}"#));
        let with_break = Document {
            blocks: vec![Block::Paragraph(vec![t("a"), Inline::LineBreak])],
        };
        let json = serde_json::to_string(&with_break).unwrap();
        assert_eq!(
            json,
            r#"{"blocks":[{"paragraph":[{"text":{"text":"a"}},"line_break"]}]}"#
        );
        assert_eq!(serde_json::from_str::<Document>(&json).unwrap(), with_break);
    }

    #[test]
    fn empty_document_renders_empty() {
        let doc = Document {
            blocks: vec![Block::Paragraph(vec![]), Block::BulletList(vec![])],
        };
        assert_eq!(doc.to_markdown(), "");
        assert_eq!(doc.plain_text(), "\n");
    }
}
