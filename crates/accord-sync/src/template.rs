//! Starting content for new documents, as the first Yjs update of their log.

use accord_domain::document::DocumentKind;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::render::{push_heading, push_paragraph, FRAGMENT};

/// The initial v1 update for a new document of `kind`: each template
/// section as a level-2 heading followed by an empty paragraph to write in.
/// Notes start empty, as a fresh TipTap document does.
pub fn initial_update(kind: DocumentKind, lang: accord_domain::polls::Lang) -> Vec<u8> {
    let doc = Doc::new();
    let fragment = doc.get_or_insert_xml_fragment(FRAGMENT);
    {
        let mut txn = doc.transact_mut();
        for heading in kind.template_sections(lang) {
            push_heading(&mut txn, &fragment, 2, heading);
            push_paragraph(&mut txn, &fragment, "");
        }
    }
    let txn = doc.transact();
    txn.encode_state_as_update_v1(&StateVector::default())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn initial_update_en(kind: DocumentKind) -> Vec<u8> {
        initial_update(kind, accord_domain::polls::Lang::En)
    }
    use accord_domain::document::Block;

    #[test]
    fn programme_template_has_the_eight_sections_with_room_to_write() {
        let room = crate::DocRoom::load(
            Some(&initial_update_en(DocumentKind::Programme)),
            Vec::<Vec<u8>>::new(),
        )
        .unwrap();
        let doc = room.render();
        assert_eq!(doc.blocks.len(), 16);
        assert!(matches!(&doc.blocks[0], Block::Heading { level: 2, .. }));
        assert_eq!(doc.blocks[1], Block::Paragraph(vec![]));
        let md = doc.to_markdown();
        assert!(
            md.starts_with("## Objectives\n\n## Target groups\n"),
            "{md}"
        );
        assert!(md
            .contains("## Stakeholders involved from the start (workforce, managers, HR, unions)"));
        assert!(md.contains("## Delivery (build / buy / partner)"));
        assert!(md.contains("## KPIs (SMART, leading and lagging)"));
        assert!(md
            .trim_end()
            .ends_with("## Employment outcomes after training"));
    }

    #[test]
    fn recommendation_and_notes_templates() {
        let rec = crate::DocRoom::load(
            Some(&initial_update_en(DocumentKind::Recommendation)),
            Vec::<Vec<u8>>::new(),
        )
        .unwrap();
        assert!(rec.render().to_markdown().contains("## Recommendations"));
        let notes = crate::DocRoom::load(
            Some(&initial_update_en(DocumentKind::Notes)),
            Vec::<Vec<u8>>::new(),
        )
        .unwrap();
        assert!(notes.render().blocks.is_empty());
    }
}
