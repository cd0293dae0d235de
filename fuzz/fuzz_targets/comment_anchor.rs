//! Arbitrary bytes as a comment's two anchors (what a browser sends as
//! base64 of `Y.encodeRelativePosition`), resolved against a real document.
//! Nothing may panic: every input is a quote or an `AnchorError`.
#![no_main]

use accord_domain::document::DocumentKind;
use accord_sync::anchors::AnchorIndex;
use accord_sync::template::initial_update;
use accord_sync::version::load_state;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = load_state(&initial_update(DocumentKind::Programme)) else {
        return;
    };
    let index = AnchorIndex::new(&doc);
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len().saturating_sub(1));
    let rest = data.get(1..).unwrap_or_default();
    let (start, end) = rest.split_at(cut.min(rest.len()));
    let _ = index.resolve(start, end);
});
