//! The four exports checked from the outside: Markdown and HTML as text,
//! DOCX read back as a zip and converted by LibreOffice, PDF read back by
//! poppler (`pdftotext`, `pdffonts`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use accord_domain::document::{Block, Document};
use accord_export::{
    docx, html_page, markdown, pdf, AgreementPage, Export, Lang, VersionInfo, MARKDOWN_SEPARATOR,
};
use std::io::Read as _;
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;

const TITLE: &str = "Kompetenceløft på værkstedet";

struct Fixture {
    tree: Document,
    markdown: String,
    info: VersionInfo,
    agreement: AgreementPage,
}

fn fixture() -> Fixture {
    let tree = sample_document();
    let markdown = tree.to_markdown();
    let info = version_info(TITLE, &markdown, word_count(&tree) as u32);
    Fixture {
        tree,
        markdown,
        info,
        agreement: agreement(),
    }
}

impl Fixture {
    fn export(&self, lang: Lang, with_agreement: bool) -> Export<'_> {
        Export {
            info: &self.info,
            tree: &self.tree,
            markdown: &self.markdown,
            agreement: with_agreement.then_some(&self.agreement),
            lang,
        }
    }
}

// ---------------------------------------------------------------- Markdown

#[test]
fn markdown_is_the_exact_version_text_then_the_agreement_page() {
    let f = fixture();
    let plain = markdown(&f.export(Lang::En, false));
    assert_eq!(
        plain, f.markdown,
        "without an agreement: the stored Markdown, nothing else"
    );

    let out = markdown(&f.export(Lang::En, true));
    assert!(out.starts_with(&f.markdown));
    let (above, page) = out
        .split_once(&format!("{MARKDOWN_SEPARATOR}\n"))
        .expect("a separator line");
    assert_eq!(
        above, f.markdown,
        "every byte above the separator is the version's"
    );
    assert_eq!(sha256_hex(above), f.info.sha256, "so its SHA-256 checks");
    assert!(page.contains(SEAL), "{page}");
    assert!(page.contains(&f.info.sha256));
    for name in agreement_names() {
        assert!(page.contains(&name), "{name} missing:\n{page}");
    }
    // The reason keeps its two lines (a Markdown hard break between them).
    assert!(
        page.contains("Budgettet for efteruddannelse er for vagt.\\\n  Vi ønsker et loft på 2 %."),
        "{page}"
    );
    assert!(page.contains("**Quorum:** a majority of each side; objections do not block"));
    assert!(page.contains("Employer side: 2 of 3 endorsed, 1 objected, 0 abstained"));
    assert!(page.contains("Union side: 2 of 3 endorsed, 0 objected, 1 abstained"));
    assert!(page.contains("State:** Agreed"), "{page}");
    assert!(
        page.contains("GET /api/v1/versions/{id}/markdown"),
        "{page}"
    );
}

#[test]
fn markdown_agreement_page_in_danish_and_escaped() {
    let f = fixture();
    let mut a = agreement();
    a.positions[0].name = "*Fed* [x](javascript:alert(1)) <b>".to_owned();
    let e = Export {
        agreement: Some(&a),
        ..f.export(Lang::Da, true)
    };
    let out = markdown(&e);
    let page = out.split_once(MARKDOWN_SEPARATOR).unwrap().1;
    assert!(!page.contains("[x](javascript"), "{page}");
    assert!(!page.contains("<b>"), "{page}");
    assert!(page.contains("\\*Fed\\*"), "{page}");
    for label in [
        "# Aftale",
        "Vedtaget",
        "Arbejdsgiversiden: 2 af 3 har tilsluttet sig",
        "Lønmodtagersiden",
        "Tilsluttet",
        "Indsigelse",
        "Undlod",
        "Beslutningsregel:** et flertal på hver side; indsigelser blokerer ikke",
        "Arbejdsgiversiden: 2 af 3 har tilsluttet sig, 1 har gjort indsigelse, 0 undlod",
        "Segl",
    ] {
        assert!(page.contains(label), "{label} missing:\n{page}");
    }
}

#[test]
fn a_page_that_is_not_agreed_says_so() {
    let f = fixture();
    let mut a = agreement();
    a.state = accord_domain::agreement::AgreementState::Open;
    a.seal = None;
    a.decided_at = None;
    let e = Export {
        agreement: Some(&a),
        ..f.export(Lang::En, true)
    };
    let out = markdown(&e);
    assert!(out.contains("Open (not yet agreed)"), "{out}");
    assert!(out.contains("none (the agreement is not agreed)"), "{out}");
    assert!(out.contains("not decided"), "{out}");
}

// -------------------------------------------------------------------- HTML

#[test]
fn html_is_a_standalone_page_with_hostile_text_escaped() {
    let f = fixture();
    let out = html_page(&f.export(Lang::Da, true));
    assert!(
        out.starts_with("<!doctype html>\n<html lang=\"da\">"),
        "{out}"
    );
    assert!(out.contains("<meta charset=\"utf-8\">"));
    assert!(out.contains(&format!("<title>{TITLE} — v3 · Endelig udgave</title>")));
    assert!(out.contains("@media print") && out.contains("@page"));
    assert!(out.contains("page-break-before: always"));
    assert!(out.contains("Side \" counter(page) \" af \" counter(pages)"));
    // No script and nothing loaded from elsewhere.
    assert!(!out.contains("<script"), "hostile text reached the page");
    assert!(out.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!out.contains("javascript:"), "an unsafe link survived");
    assert!(!out.contains("<link") && !out.contains(" src="));
    assert!(out.contains("href=\"https://example.org/plan?a=1&amp;b=2\""));
    // The agreement page.
    assert!(out.contains("<section class=\"agreement\""));
    assert!(out.contains("<th scope=\"col\">Navn</th>"));
    assert!(out.contains("<td>Søren Ødegaard</td><td>Dansk Industri</td><td>Arbejdsgiversiden</td><td>Indsigelse</td>"));
    assert!(out.contains("Budgettet for efteruddannelse er for vagt.<br>Vi ønsker et loft på 2 %."));
    assert!(out.contains(SEAL) && out.contains(&f.info.sha256));

    let mut a = agreement();
    a.positions[0].name = "<img src=x onerror=alert(1)>".to_owned();
    a.positions[3].reason = Some("</td><script>x</script>".to_owned());
    let hostile = VersionInfo {
        document_title: "</title><script>alert(1)</script>".to_owned(),
        ..f.info.clone()
    };
    let out = html_page(&Export {
        info: &hostile,
        agreement: Some(&a),
        ..f.export(Lang::En, true)
    });
    assert!(out.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(!out.contains("<script") && !out.contains("<img"), "{out}");
    assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

// -------------------------------------------------------------------- DOCX

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut s = String::new();
    file.read_to_string(&mut s).unwrap();
    s
}

#[test]
fn docx_uses_heading_styles_numbering_and_safe_hyperlinks() {
    let f = fixture();
    let bytes = docx(&f.export(Lang::En, true)).unwrap();
    let doc = zip_entry(&bytes, "word/document.xml");
    for n in 1..=3 {
        assert!(
            doc.contains(&format!("<w:pStyle w:val=\"Heading{n}\" />")),
            "Heading{n} style missing"
        );
    }
    let styles = zip_entry(&bytes, "word/styles.xml");
    assert!(styles.contains("w:styleId=\"Heading1\""));
    assert!(styles.contains("<w:name w:val=\"heading 1\" />"));
    assert!(doc.contains("<w:numPr>"), "lists are not numbered");
    assert!(
        doc.contains("<w:ilvl w:val=\"1\" />"),
        "no nested list level"
    );
    let numbering = zip_entry(&bytes, "word/numbering.xml");
    assert!(numbering.contains("<w:numFmt w:val=\"bullet\" />"));
    assert!(numbering.contains("<w:numFmt w:val=\"decimal\" />"));
    assert!(
        numbering.contains("<w:startOverride w:val=\"3\" />"),
        "ordered list start lost"
    );
    assert!(doc.contains("<w:b />"), "no bold run");
    assert!(doc.contains("<w:i />"), "no italic run");
    assert!(doc.contains("<w:hyperlink"), "no hyperlink");
    assert!(
        doc.contains("<w:pageBreakBefore"),
        "agreement page not on a new page"
    );
    let rels = zip_entry(&bytes, "word/_rels/document.xml.rels");
    assert!(
        rels.contains("https://example.org/plan?a=1&amp;b=2"),
        "{rels}"
    );
    assert!(!rels.contains("javascript") && !doc.contains("javascript:"));
    assert!(doc.contains("&lt;script&gt;"));
    let header = zip_entry(&bytes, "word/header1.xml");
    assert!(header.contains(TITLE) && header.contains("v3"), "{header}");
    let footer = zip_entry(&bytes, "word/footer1.xml");
    assert!(footer.contains("NUMPAGES"), "{footer}");
}

#[test]
fn docx_reads_back_through_libreoffice() {
    let Some(soffice) = tool("soffice", "apt-get install -y libreoffice-writer-nogui") else {
        return;
    };
    let f = fixture();
    let dir = temp_dir("docx");
    let path = write(
        &dir,
        "export.docx",
        &docx(&f.export(Lang::Da, true)).unwrap(),
    );
    run(
        Command::new(soffice)
            // Its own profile, so parallel conversions do not fight over one.
            .arg(format!(
                "-env:UserInstallation=file://{}/profile",
                dir.display()
            ))
            .args(["--headless", "--convert-to", "txt:Text", "--outdir"])
            .arg(&dir)
            .arg(&path),
        Duration::from_secs(180),
    );
    let text = std::fs::read_to_string(dir.join("export.txt")).unwrap();
    for expected in [
        TITLE,
        "Formål med programmet",
        "Målgrupper",
        "Tidsplan",
        "Faglærte operatører",
        "Andet hold i august",
        "Kortlægning af kompetencer",
        "gennemføre kurset",
        "Ærøskøbing",
        "Aftale",
        "Søren Ødegaard",
        "Vi ønsker et loft på 2 %.",
        SEAL,
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Numbering is real: LibreOffice writes the numbers it computed.
    assert!(text.contains("3. Kortlægning af kompetencer"), "{text}");
    assert!(text.contains("4. Valg af udbyder"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

// --------------------------------------------------------------------- PDF

#[test]
fn pdf_has_embedded_fonts_danish_text_headers_and_page_numbers() {
    let Some(pdftotext) = tool("pdftotext", "apt-get install -y poppler-utils") else {
        return;
    };
    let Some(pdffonts) = tool("pdffonts", "apt-get install -y poppler-utils") else {
        return;
    };
    let f = fixture();
    let dir = temp_dir("pdf");
    for lang in [Lang::En, Lang::Da] {
        let path = write(&dir, "export.pdf", &pdf(&f.export(lang, true)).unwrap());
        let txt = dir.join("export.txt");
        run(
            Command::new(&pdftotext).arg("-layout").arg(&path).arg(&txt),
            Duration::from_secs(60),
        );
        let text = std::fs::read_to_string(&txt).unwrap();
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert!(
            pages.len() >= 2,
            "the agreement page is on a page of its own"
        );
        let n = pages.len();
        for (i, page) in pages.iter().enumerate() {
            let first = page.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            assert!(
                first.contains(TITLE) && first.contains("v3 · Endelig udgave"),
                "page {} header: {first:?}",
                i + 1
            );
            let page_of = match lang {
                Lang::En => format!("Page {} of {n}", i + 1),
                Lang::Da => format!("Side {} af {n}", i + 1),
            };
            assert!(
                page.contains(&page_of),
                "{page_of:?} missing on page {}",
                i + 1
            );
        }
        for expected in [
            "Ærøskøbing",
            "værkstedet",
            "Formål med programmet",
            "Søren Ødegaard",
            "Åse Lund",
            "<script>alert('x')</script>",
            SEAL,
            f.info.sha256.as_str(),
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing ({lang:?}):\n{text}"
            );
        }
        let agreement_page = pages[n - 1];
        let heading = if lang == Lang::Da {
            "Aftale"
        } else {
            "Agreement"
        };
        assert!(agreement_page.contains(heading) && agreement_page.contains(SEAL));
        assert!(
            !pages[0].contains(SEAL),
            "the agreement page starts a new page"
        );
        // The long word was broken, not cut or overflowing: all of it is there.
        let joined: String = text.split_whitespace().collect();
        assert!(joined.contains(&"Overenskomstforhandlingsudvalgsmedlem".repeat(8)));
        assert!(text.contains("1. Første hold i maj") || text.contains("1.  Første hold i maj"));

        let fonts = run(Command::new(&pdffonts).arg(&path), Duration::from_secs(60));
        let rows: Vec<&str> = fonts
            .lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(rows.len() >= 3, "regular, bold and italic faces:\n{fonts}");
        for row in rows {
            assert!(row.contains("LiberationSans"), "{row}");
            // emb, sub, uni: embedded, subset, with a ToUnicode map.
            assert!(row.contains(" yes yes yes "), "not embedded: {row}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------ 30,000 words

#[test]
fn a_30000_word_version_renders_in_every_format() {
    let tree = big_document(30_000);
    let words = word_count(&tree);
    assert!(words >= 30_000, "{words}");
    assert!(tree.blocks.len() >= 250, "{} blocks", tree.blocks.len());
    let md = tree.to_markdown();
    let info = version_info("Stort dokument", &md, words as u32);
    let a = agreement();
    let e = Export {
        info: &info,
        tree: &tree,
        markdown: &md,
        agreement: Some(&a),
        lang: Lang::Da,
    };
    let time = |name: &str, f: &dyn Fn() -> usize| {
        let start = Instant::now();
        let size = f();
        eprintln!(
            "{words} words, {} blocks: {name} {:.1} ms, {} bytes",
            tree.blocks.len(),
            start.elapsed().as_secs_f64() * 1000.0,
            size
        );
        size
    };
    assert!(time("markdown", &|| markdown(&e).len()) > md.len());
    assert!(time("html", &|| html_page(&e).len()) > md.len());
    assert!(time("docx", &|| docx(&e).unwrap().len()) > 10_000);
    let pdf_size = time("pdf", &|| pdf(&e).unwrap().len());
    assert!(pdf_size > 10_000);
    assert!(matches!(tree.blocks[0], Block::Heading { .. }));
}
