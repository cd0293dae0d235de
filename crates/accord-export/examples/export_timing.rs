//! What exporting a 30,000-word agreed version costs: DOCX and PDF (and, for
//! comparison, Markdown and HTML), the median of 5 runs and the size of each.
//!
//! ```text
//! cargo run --release -p accord-export --example export_timing [-- OUT_DIR]
//! ```
//!
//! With `OUT_DIR`, the four files are also written there to look at.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use accord_export::{docx, html_page, markdown, pdf, Export, Lang};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

/// Renders one format.
type Render<'a> = &'a dyn Fn() -> Vec<u8>;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let out_dir = std::env::args().nth(1);
    let tree = support::big_document(30_000);
    let words = support::word_count(&tree);
    let md = tree.to_markdown();
    let info = support::version_info("Kompetenceløft i industrien 2027", &md, words as u32);
    let agreement = support::agreement();
    let e = Export {
        info: &info,
        tree: &tree,
        markdown: &md,
        agreement: Some(&agreement),
        lang: Lang::Da,
    };
    println!(
        "{words} words in {} top-level blocks; stored Markdown {} bytes; median of {RUNS} runs",
        tree.blocks.len(),
        md.len()
    );
    let formats: [(&str, &str, Render); 4] = [
        ("markdown", "md", &|| markdown(&e).into_bytes()),
        ("html", "html", &|| html_page(&e).into_bytes()),
        ("docx", "docx", &|| docx(&e).unwrap()),
        ("pdf", "pdf", &|| pdf(&e).unwrap()),
    ];
    for (name, ext, render) in formats {
        let mut times = Vec::with_capacity(RUNS);
        let mut bytes = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            bytes = render();
            times.push(start.elapsed());
        }
        println!(
            "{name:>8}: {:>8.1} ms  {:>9} bytes ({:.0} KiB)",
            median(times).as_secs_f64() * 1000.0,
            bytes.len(),
            bytes.len() as f64 / 1024.0
        );
        if let Some(dir) = &out_dir {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(format!("{dir}/export.{ext}"), &bytes).unwrap();
        }
    }
}
