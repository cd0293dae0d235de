//! The Markdown export: the version's stored Markdown byte for byte, so its
//! SHA-256 can be checked by hashing what stands above [`SEPARATOR`], then
//! the agreement page rendered by the domain's own Markdown writer (which
//! escapes names and reasons like any document text).

use crate::agreement_page;
use crate::Export;

/// The line between the version's text and the agreement page. An HTML
/// comment, so rendered Markdown does not show it; it can interrupt a
/// paragraph or end a list, so it never becomes part of the last block.
pub(crate) const SEPARATOR: &str = "<!-- accord:agreement-page -->";

pub(crate) fn render(e: &Export) -> String {
    let mut out = String::with_capacity(e.markdown.len() + 4096);
    out.push_str(e.markdown);
    let Some(a) = e.agreement else {
        return out;
    };
    // The stored Markdown always ends with a newline (or is empty); if a
    // caller passed one that does not, the separator still needs its own line.
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(SEPARATOR);
    out.push_str("\n\n---\n\n");
    out.push_str(&agreement_page::page(e, a).to_document().to_markdown());
    out
}
