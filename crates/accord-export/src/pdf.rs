//! The PDF export: A4 pages laid out here (`pdf/layout.rs`) and written
//! with pdf-writer (`pdf/write.rs`), Liberation Sans embedded as subsets
//! (`pdf/fonts.rs`). The title and version head every page, "Page i of n"
//! foots it, and the agreement page starts on a page of its own.

mod fonts;
mod layout;
mod write;

use crate::agreement_page;
use crate::{Export, ExportError};

pub(crate) fn render(e: &Export) -> Result<Vec<u8>, ExportError> {
    let mut fonts = fonts::Fonts::load()?;
    let mut layout = layout::Layout::new(&mut fonts);
    layout.cover(&agreement_page::cover(e));
    layout.blocks(&e.tree.blocks, 0);
    if let Some(a) = e.agreement {
        layout.new_page();
        layout.blocks(&agreement_page::page(e, a).to_document().blocks, 0);
    }
    let version = agreement_page::version_label(e);
    let lang = e.lang;
    layout.decorate(&e.info.document_title, &version, |page, pages| {
        lang.page_of(page, pages)
    });
    let pages = std::mem::take(&mut layout.pages);
    let title = format!("{} — {}", e.info.document_title, version);
    write::write(
        &mut fonts,
        &pages,
        &write::Meta {
            title: &title,
            lang: e.lang.code(),
        },
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Lang, VersionInfo};
    use accord_domain::document::{Block, Document, Inline, ListItem};

    #[test]
    fn text_the_font_lacks_and_empty_structures_still_make_a_pdf() {
        let tree = Document {
            blocks: vec![
                Block::Paragraph(vec![Inline::text(
                    "emoji 🙂, 中文, עברית, bell \u{7}, tab\tend, nbsp\u{a0}here",
                )]),
                Block::Paragraph(vec![]),
                Block::BulletList(vec![ListItem { blocks: vec![] }]),
                Block::OrderedList {
                    start: u64::MAX,
                    items: vec![ListItem::default(), ListItem::default()],
                },
                Block::Heading {
                    level: 9,
                    content: vec![Inline::text("level clamped")],
                },
            ],
        };
        let info = VersionInfo {
            document_title: "T".repeat(500),
            roundtable_title: String::new(),
            number: 1,
            name: "n".repeat(300),
            sha256: String::new(),
            created_at: String::new(),
            words: 0,
        };
        for tree in [tree, Document::default()] {
            let e = Export {
                info: &info,
                tree: &tree,
                markdown: "",
                agreement: None,
                lang: Lang::En,
            };
            let bytes = render(&e).unwrap();
            assert!(bytes.starts_with(b"%PDF-"));
        }
    }
}
