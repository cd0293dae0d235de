//! The HTML export: one standalone HTML5 page for reading and printing.
//!
//! An inline style sheet (print rules, A4 page margins, page numbers where
//! the browser supports page margin boxes), no script and no external
//! resource. The document body is the domain's `to_html` (escaped, only
//! safe links); everything else passes through `escape_html` here.

use crate::agreement_page::{self, Page, Reason};
use crate::Export;
use accord_domain::document::escape_html;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { color-scheme: light; }
html { font-family: Georgia, Cambria, "Liberation Serif", "Times New Roman", serif;
  font-size: 12pt; line-height: 1.5; color: #111; background: #fff; }
body { max-width: 44rem; margin: 2rem auto; padding: 0 1.25rem; }
h1, h2, h3, h4, h5, h6, .meta, .agreement, table { font-family: "Helvetica Neue", Arial,
  "Liberation Sans", sans-serif; line-height: 1.25; }
h1, h2, h3, h4, h5, h6 { margin: 1.4em 0 .5em; }
header.version { border-bottom: 1px solid #999; margin-bottom: 1.5rem; }
header.version h1 { font-size: 1.9rem; margin: 0 0 .4rem; }
.meta { list-style: none; margin: 0 0 .8rem; padding: 0; font-size: .85rem; color: #333; }
.meta li { display: inline-block; margin-right: 1.25rem; }
.label { font-weight: bold; }
main { overflow-wrap: break-word; }
a { color: #0645ad; }
.agreement { margin-top: 3rem; border-top: 2px solid #333; padding-top: 1rem;
  break-before: page; page-break-before: always; }
.agreement dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.agreement dt { font-weight: bold; }
.agreement dd { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #aaa; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
.hash { font-family: "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace;
  font-size: .85rem; overflow-wrap: anywhere; }
.verify { font-size: .9rem; }
@page { size: A4; margin: 20mm 18mm 22mm; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; margin: 0; padding: 0; }
  a { color: inherit; }
  a[href]::after { content: " <" attr(href) ">"; font-size: .8em; overflow-wrap: anywhere; }
  h1, h2, h3, h4, h5, h6 { break-after: avoid; page-break-after: avoid; }
  li, tr, dd { break-inside: avoid; }
  .agreement { margin-top: 0; border-top: none; }
  th { background: none; }
}
"#;

pub(crate) fn render(e: &Export) -> String {
    let mut out = String::with_capacity(e.markdown.len() * 2 + 8192);
    let cover = agreement_page::cover(e);
    let version = agreement_page::version_label(e);
    let (page, of) = e.lang.page_of_parts();
    out.push_str("<!doctype html>\n");
    let _ = writeln!(out, "<html lang=\"{}\">", e.lang.code());
    out.push_str("<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>{} — {}</title>",
        escape_html(&cover.title),
        escape_html(&version)
    );
    out.push_str("<style>");
    out.push_str(STYLE);
    // The labels are ours (no user text reaches the style sheet).
    let _ = writeln!(
        out,
        "@page {{ @bottom-center {{ content: \"{page}\" counter(page) \"{of}\" counter(pages); \
         font: 9pt Arial, sans-serif; }} }}"
    );
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str("<header class=\"version\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape_html(&cover.title));
    out.push_str("<ul class=\"meta\">\n");
    for (label, value) in &cover.meta {
        let _ = writeln!(
            out,
            "<li><span class=\"label\">{}:</span> {}</li>",
            escape_html(label),
            escape_html(value)
        );
    }
    out.push_str("</ul>\n</header>\n<main>\n");
    out.push_str(&e.tree.to_html());
    out.push_str("</main>\n");
    if let Some(a) = e.agreement {
        agreement(&mut out, &agreement_page::page(e, a));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Text that may hold several lines.
fn lines(s: &str) -> String {
    escape_html(s).replace('\n', "<br>")
}

fn reasons(out: &mut String, reasons: &[Reason]) {
    out.push_str("<ul>\n");
    for r in reasons {
        let _ = write!(out, "<li><strong>{}</strong>", escape_html(&r.who));
        if !r.text.is_empty() {
            let _ = write!(out, ": {}", lines(&r.text));
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
}

fn agreement(out: &mut String, p: &Page) {
    out.push_str("<section class=\"agreement\" aria-labelledby=\"agreement\">\n");
    let _ = writeln!(out, "<h2 id=\"agreement\">{}</h2>", escape_html(p.heading));
    out.push_str("<dl>\n");
    for (label, value) in &p.facts {
        let _ = writeln!(
            out,
            "<dt>{}</dt><dd>{}</dd>",
            escape_html(label),
            lines(value)
        );
    }
    out.push_str("</dl>\n");
    let _ = writeln!(out, "<h3>{}</h3>\n<ul>", escape_html(p.sides_heading));
    for s in &p.sides {
        let _ = writeln!(out, "<li>{}</li>", escape_html(s));
    }
    out.push_str("</ul>\n");
    let _ = writeln!(out, "<h3>{}</h3>", escape_html(p.positions_heading));
    if p.rows.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape_html(p.no_positions));
    } else {
        out.push_str("<table>\n<thead><tr>");
        for c in p.columns {
            let _ = write!(out, "<th scope=\"col\">{}</th>", escape_html(c));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &p.rows {
            out.push_str("<tr>");
            for cell in row {
                let _ = write!(out, "<td>{}</td>", escape_html(cell));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    let _ = writeln!(out, "<h3>{}</h3>", escape_html(p.objections_heading));
    if p.objections.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape_html(p.no_objections));
    } else {
        reasons(out, &p.objections);
    }
    if !p.remarks.is_empty() {
        let _ = writeln!(out, "<h3>{}</h3>", escape_html(p.remarks_heading));
        reasons(out, &p.remarks);
    }
    let _ = writeln!(out, "<h3>{}</h3>\n<dl>", escape_html(p.integrity_heading));
    for (label, value) in &p.integrity {
        let _ = writeln!(
            out,
            "<dt>{}</dt><dd class=\"hash\">{}</dd>",
            escape_html(label),
            escape_html(value)
        );
    }
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<p class=\"verify\"><strong>{}:</strong> <em>{}</em></p>",
        escape_html(p.verify.0),
        escape_html(p.verify.1)
    );
    out.push_str("</section>\n");
}
