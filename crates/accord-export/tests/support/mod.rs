//! Sample versions for the export tests and the timing example: a small
//! document that holds every kind of block and mark (and hostile text), a
//! generated 30,000-word one, an agreement page, and running external tools
//! (LibreOffice, poppler) under the CI rule: missing under `CI=true` fails,
//! elsewhere the check is skipped with a notice.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use accord_domain::agreement::{AgreementState, Electorate, Position, Quorum};
use accord_domain::document::{Block, Document, Inline, ListItem, Marks};
use accord_domain::Side;
use accord_export::{AgreementPage, PositionLine, VersionInfo};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const SEAL: &str = "5ea15ea100000000000000000000000000000000000000000000000000c0ffee";
pub const OBJECTION: &str = "Budgettet for efteruddannelse er for vagt.\nVi ønsker et loft på 2 %.";

pub fn t(s: &str) -> Inline {
    Inline::text(s)
}

pub fn marked(s: &str, bold: bool, italic: bool, link: Option<&str>) -> Inline {
    Inline::Text {
        text: s.to_owned(),
        marks: Marks {
            bold,
            italic,
            link: link.map(str::to_owned),
        },
    }
}

fn item(content: Vec<Inline>) -> ListItem {
    ListItem {
        blocks: vec![Block::Paragraph(content)],
    }
}

/// Every block kind, every mark, Danish letters, a hostile paragraph.
pub fn sample_document() -> Document {
    Document {
        blocks: vec![
            Block::Heading {
                level: 1,
                content: vec![t("Formål med programmet")],
            },
            Block::Paragraph(vec![
                t("Alle medarbejdere på værkstedet i Ærøskøbing skal "),
                marked("gennemføre kurset", true, false, None),
                t(" inden for "),
                marked("to år", false, true, None),
                t(", se "),
                marked(
                    "planen",
                    false,
                    false,
                    Some("https://example.org/plan?a=1&b=2"),
                ),
                t("."),
                Inline::LineBreak,
                t("Anden linje efter et linjeskift."),
            ]),
            Block::Heading {
                level: 2,
                content: vec![t("Målgrupper")],
            },
            Block::BulletList(vec![
                item(vec![t("Faglærte operatører")]),
                ListItem {
                    blocks: vec![
                        Block::Paragraph(vec![t("Ufaglærte med over fem års anciennitet")]),
                        Block::OrderedList {
                            start: 1,
                            items: vec![
                                item(vec![t("Første hold i maj")]),
                                item(vec![t("Andet hold i august")]),
                            ],
                        },
                    ],
                },
            ]),
            Block::Heading {
                level: 3,
                content: vec![t("Tidsplan")],
            },
            Block::OrderedList {
                start: 3,
                items: vec![
                    item(vec![t("Kortlægning af kompetencer")]),
                    item(vec![t("Valg af udbyder")]),
                ],
            },
            Block::Paragraph(vec![
                t("<script>alert('x')</script> & \"citat\" "),
                marked("klik her", false, false, Some("javascript:alert(1)")),
            ]),
            Block::Paragraph(vec![t(&"Overenskomstforhandlingsudvalgsmedlem".repeat(8))]),
        ],
    }
}

pub fn sha256_hex(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn version_info(title: &str, markdown: &str, words: u32) -> VersionInfo {
    VersionInfo {
        document_title: title.to_owned(),
        roundtable_title: "Kompetenceløft i industrien".to_owned(),
        number: 3,
        name: "Endelig udgave".to_owned(),
        sha256: sha256_hex(markdown),
        created_at: "2026-12-01T09:30:00Z".to_owned(),
        words,
    }
}

fn position(name: &str, org: &str, side: Side, position: Position, at: &str) -> PositionLine {
    PositionLine {
        name: name.to_owned(),
        organisation: org.to_owned(),
        side,
        position,
        at: at.to_owned(),
        reason: None,
    }
}

/// Agreed by a majority of each side, with one standing objection.
pub fn agreement() -> AgreementPage {
    let mut objection = position(
        "Søren Ødegaard",
        "Dansk Industri",
        Side::Employer,
        Position::Object,
        "2026-12-02T10:05:00Z",
    );
    objection.reason = Some(OBJECTION.to_owned());
    let mut abstention = position(
        "Åse Lund",
        "3F",
        Side::Union,
        Position::Abstain,
        "2026-12-02T10:06:00Z",
    );
    abstention.reason = Some("Afventer bestyrelsen".to_owned());
    AgreementPage {
        quorum: Quorum::Majority,
        objections_block: false,
        state: AgreementState::Agreed,
        proposed_at: "2026-12-02T09:00:00Z".to_owned(),
        decided_at: Some("2026-12-02T10:07:00Z".to_owned()),
        electorate: Electorate {
            employer: 3,
            union: 3,
        },
        positions: vec![
            position(
                "Anna Kjær",
                "Dansk Industri",
                Side::Employer,
                Position::Endorse,
                "2026-12-02T10:00:00Z",
            ),
            position(
                "Bent Hansen",
                "Dansk Metal",
                Side::Union,
                Position::Endorse,
                "2026-12-02T10:01:00Z",
            ),
            position(
                "Carla Østergaard",
                "Grundfos A/S",
                Side::Employer,
                Position::Endorse,
                "2026-12-02T10:02:00Z",
            ),
            objection,
            abstention,
            position(
                "Dorte Bæk",
                "3F",
                Side::Union,
                Position::Endorse,
                "2026-12-02T10:07:00Z",
            ),
        ],
        seal: Some(SEAL.to_owned()),
    }
}

pub fn agreement_names() -> Vec<String> {
    agreement().positions.into_iter().map(|p| p.name).collect()
}

const WORDS: &[&str] = &[
    "medarbejdere",
    "kompetencer",
    "uddannelse",
    "fagforening",
    "arbejdsgiver",
    "overenskomst",
    "løn",
    "ændring",
    "økonomi",
    "årlig",
    "præcis",
    "træning",
    "område",
    "første",
    "rådgivning",
    "fællesskab",
    "tillidsrepræsentant",
    "og",
    "i",
    "på",
    "for",
    "til",
    "med",
    "at",
    "skal",
    "kan",
    "programme",
    "upskilling",
    "workforce",
    "the",
    "of",
    "and",
    "shop",
    "floor",
    "safety",
    "budget",
    "digital",
    "værktøjer",
    "opfølgning",
    "målsætning",
    "kursus",
    "læring",
];

/// A deterministic word stream.
struct Words(u64);

impl Words {
    fn next(&mut self) -> &'static str {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        WORDS[((self.0 >> 33) as usize) % WORDS.len()]
    }

    fn sentence(&mut self, n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(self.next());
        }
        s
    }
}

/// About 300 blocks and at least `target` words: headings, paragraphs with
/// bold, italic and links, bulleted and numbered lists with nested levels.
pub fn big_document(target: usize) -> Document {
    let mut w = Words(42);
    let mut blocks = Vec::new();
    let mut count = 0;
    let mut section = 0;
    while count < target {
        section += 1;
        let title = format!("Afsnit {section}: {}", w.sentence(3));
        count += title.split_whitespace().count();
        blocks.push(Block::Heading {
            level: if section % 3 == 0 { 3 } else { 2 },
            content: vec![t(&title)],
        });
        for _ in 0..5 {
            let (a, b, c) = (w.sentence(60), w.sentence(4), w.sentence(50));
            count += 114;
            blocks.push(Block::Paragraph(vec![
                t(&format!("{a} ")),
                marked(&b, section % 2 == 0, section % 2 == 1, None),
                t(" "),
                marked(
                    "overenskomsten",
                    false,
                    false,
                    Some("https://example.org/ok"),
                ),
                t(&format!(" {c}.")),
            ]));
        }
        let items: Vec<ListItem> = (0..4)
            .map(|_| {
                count += 12;
                item(vec![t(&w.sentence(12))])
            })
            .collect();
        let nested = Block::OrderedList {
            start: 1,
            items: (0..2)
                .map(|_| {
                    count += 8;
                    item(vec![t(&w.sentence(8))])
                })
                .collect(),
        };
        let mut items = items;
        items[1].blocks.push(nested);
        blocks.push(Block::BulletList(items));
    }
    Document { blocks }
}

pub fn word_count(doc: &Document) -> usize {
    doc.plain_text().split_whitespace().count()
}

/// A fresh directory for one test's files.
pub fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "accord-export-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The tool's path, or `None` (and a notice) when it is missing outside CI;
/// under `CI=true` a missing tool fails the test.
pub fn tool(name: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{name} is missing and CI=true: install it ({install})");
        }
        eprintln!("SKIPPED: {name} is not installed ({install}); the check did not run");
    }
    found
}

/// Runs a command to completion within `limit`, returning its stdout.
pub fn run(cmd: &mut Command, limit: Duration) -> String {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            assert!(
                status.success(),
                "{cmd:?} failed: {status}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{cmd:?} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
