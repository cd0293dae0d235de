//! `review`: the costs of review on a long document with a long history.
//!
//! Builds a document of `--blocks` paragraphs of `--words` words each, typed
//! in small updates (with deletions and retyping, so the log is long and
//! holds deleted items), then times over HTTP, on loopback: saving a
//! version, the diff of two versions of it, and listing `--threads` comment
//! threads with every anchor resolved. It also saves versions until there
//! are `--versions` and reports what they cost on disk (the SQLite file and
//! its WAL, before and after).

use crate::stats::percentile_sorted;
use crate::ws;
use accord_realtime::protocol::encode_update;
use anyhow::{bail, Context, Result};
use base64::Engine;
use futures_util::SinkExt;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::encoder::Encode;
use yrs::{
    Assoc, Doc, GetString, IndexedSequence, ReadTxn, Text, Transact, WriteTxn, XmlElementPrelim,
    XmlFragment, XmlOut, XmlTextPrelim,
};

#[derive(clap::Args)]
pub struct Args {
    /// Accord's HTTP base URL, e.g. http://127.0.0.1:18097.
    #[arg(long)]
    server_http: String,
    /// The document to build (it should be empty: a `notes` document).
    #[arg(long)]
    doc: String,
    /// Cookie header value, e.g. 'accord_session=…'.
    #[arg(long)]
    cookie: String,
    #[arg(long, default_value_t = 300)]
    blocks: usize,
    #[arg(long, default_value_t = 100)]
    words: usize,
    /// Updates each paragraph is typed in (the length of the history).
    #[arg(long, default_value_t = 10)]
    chunks: usize,
    #[arg(long, default_value_t = 1000)]
    threads: usize,
    /// Versions to have in the end, for the storage figure.
    #[arg(long, default_value_t = 100)]
    versions: usize,
    /// Timed repetitions of each request.
    #[arg(long, default_value_t = 20)]
    samples: usize,
    /// The server's SQLite file, for the storage figure.
    #[arg(long)]
    db: Option<PathBuf>,
}

const WORDS: &[&str] = &[
    "kompetence",
    "training",
    "employer",
    "union",
    "budget",
    "mentoring",
    "digital",
    "skills",
    "programme",
    "apprentice",
    "workplace",
    "agreement",
    "leave",
    "course",
    "certificate",
    "hours",
    "fund",
    "review",
    "goal",
    "measure",
];

fn words(rng: &mut rand::rngs::StdRng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

struct Http {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl Http {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
    }

    async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let mut r = self.req(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// Milliseconds per request, `n` times.
    async fn timed(
        &self,
        n: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u64>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            self.json(method.clone(), path, body.clone()).await?;
            out.push(t.elapsed().as_micros() as u64);
        }
        Ok(out)
    }
}

fn summary(label: &str, mut micros: Vec<u64>) {
    micros.sort_unstable();
    let ms = |q: f64| percentile_sorted(&micros, q).map_or(f64::NAN, |v| v as f64 / 1000.0);
    println!(
        "{label:<40} n={:<4} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
        micros.len(),
        ms(0.50),
        ms(0.95),
        ms(1.0)
    );
}

fn db_bytes(db: &Option<PathBuf>) -> Option<u64> {
    let db = db.as_ref()?;
    let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    Some(size(db.clone()) + size(wal))
}

/// Sends one update and keeps the local doc as the source of truth.
async fn send(socket: &mut ws::Ws, update: Vec<u8>) -> Result<()> {
    socket
        .send(Message::Binary(encode_update(&update).into()))
        .await
        .context("send update")
}

pub async fn cli(a: Args) -> Result<()> {
    let http = Http {
        client: reqwest::Client::new(),
        base: a.server_http.trim_end_matches('/').to_owned(),
        cookie: a.cookie.clone(),
    };
    let ws_url = format!(
        "{}/api/v1/yjs/{}",
        http.base.replacen("http://", "ws://", 1),
        a.doc
    );
    let target = ws::Target::parse(&ws_url, Some(a.cookie.clone()))?;
    let mut socket = ws::connect(&target, None).await?;
    let doc = Doc::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);

    // --- Build the document: every paragraph in `chunks` updates, one word retyped each time.
    let started = Instant::now();
    let mut updates = 0usize;
    for b in 0..a.blocks {
        let update = {
            let mut txn = doc.transact_mut();
            let f = txn.get_or_insert_xml_fragment("default");
            let len = f.len(&txn);
            let p = f.insert(&mut txn, len, XmlElementPrelim::empty("paragraph"));
            p.insert(&mut txn, 0, XmlTextPrelim::new(format!("§{b} ")));
            txn.encode_update_v1()
        };
        send(&mut socket, update).await?;
        updates += 1;
        for _ in 0..a.chunks {
            let update = {
                let mut txn = doc.transact_mut();
                let f = txn.get_or_insert_xml_fragment("default");
                let Some(XmlOut::Element(p)) = f.get(&txn, b as u32) else {
                    bail!("paragraph {b} missing");
                };
                let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
                    bail!("text {b} missing");
                };
                let len = t.len(&txn);
                t.insert(
                    &mut txn,
                    len,
                    &format!("{} ", words(&mut rng, a.words / a.chunks.max(1))),
                );
                // Retype a word: history with deletions, as drafting has.
                if len > 20 {
                    let at = rng.random_range(4..len - 12);
                    t.remove_range(&mut txn, at, 5);
                    t.insert(&mut txn, at, "draft");
                }
                txn.encode_update_v1()
            };
            send(&mut socket, update).await?;
            updates += 1;
        }
        if b % 20 == 19 {
            // Let the server keep up (its worker persists in 15 ms windows).
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let marker = format!("§{} ", a.blocks - 1);
    let path_md = format!("/api/v1/documents/{}/markdown", a.doc);
    let deadline = Instant::now() + Duration::from_secs(120);
    let expected_words = {
        let txn = doc.transact();
        let f = txn.get_xml_fragment("default").context("fragment")?;
        let mut n = 0;
        for i in 0..f.len(&txn) {
            if let Some(XmlOut::Element(p)) = f.get(&txn, i) {
                if let Some(XmlOut::Text(t)) = p.get(&txn, 0) {
                    n += t.get_string(&txn).split_whitespace().count();
                }
            }
        }
        n
    };
    loop {
        let md = http
            .req(reqwest::Method::GET, &path_md)
            .send()
            .await?
            .text()
            .await?;
        if md.contains(&marker) && md.split_whitespace().count() >= expected_words {
            println!(
                "document: {} blocks, {} words, {} updates sent, {} KiB of Markdown, built in {:.1} s",
                a.blocks,
                expected_words,
                updates,
                md.len() / 1024,
                started.elapsed().as_secs_f64()
            );
            break;
        }
        if Instant::now() > deadline {
            bail!("the server never held the whole document");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // --- Saving a version -------------------------------------------------------------------
    let versions_path = format!("/api/v1/documents/{}/versions", a.doc);
    let body = serde_json::json!({"name": "Benchmark"});
    summary(
        "POST versions (save a version)",
        http.timed(
            a.samples,
            reqwest::Method::POST,
            &versions_path,
            Some(body.clone()),
        )
        .await?,
    );
    let first = http
        .json(reqwest::Method::GET, &versions_path, None)
        .await?;
    let from = first[0]["id"].as_str().context("version id")?.to_owned();

    // --- A diff of two such versions: a tenth of the paragraphs changed ---------------------
    for b in (0..a.blocks).step_by(10) {
        let update = {
            let mut txn = doc.transact_mut();
            let f = txn.get_or_insert_xml_fragment("default");
            let Some(XmlOut::Element(p)) = f.get(&txn, b as u32) else {
                continue;
            };
            let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
                continue;
            };
            t.insert(&mut txn, 4, &format!("{} ", words(&mut rng, 8)));
            txn.encode_update_v1()
        };
        send(&mut socket, update).await?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v = http
        .json(reqwest::Method::POST, &versions_path, Some(body.clone()))
        .await?;
    let to = v["id"].as_str().context("version id")?.to_owned();
    let diff_path = format!("/api/v1/documents/{}/diff?from={from}&to={to}", a.doc);
    let d = http.json(reqwest::Method::GET, &diff_path, None).await?;
    println!(
        "diff: {} blocks, {} inserted words, {} changed blocks",
        d["blocks"].as_array().map_or(0, Vec::len),
        d["stats"]["inserted_words"],
        d["stats"]["changed_blocks"]
    );
    summary(
        "GET diff (two versions)",
        http.timed(a.samples, reqwest::Method::GET, &diff_path, None)
            .await?,
    );
    let diff_now = format!("/api/v1/documents/{}/diff?from={from}&to=current", a.doc);
    summary(
        "GET diff (a version and now)",
        http.timed(a.samples, reqwest::Method::GET, &diff_now, None)
            .await?,
    );

    // --- Comment threads: `threads` anchored passages, then list them resolved --------------
    let comments_path = format!("/api/v1/documents/{}/comments", a.doc);
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    let t0 = Instant::now();
    for i in 0..a.threads {
        let anchor = {
            let txn = doc.transact_mut();
            let f = txn.get_xml_fragment("default").context("fragment")?;
            let b = (i * 7) % a.blocks;
            let Some(XmlOut::Element(p)) = f.get(&txn, b as u32) else {
                bail!("paragraph {b} missing");
            };
            let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
                bail!("text {b} missing");
            };
            let len = t.len(&txn);
            let start = (i as u32 * 13) % len.saturating_sub(12).max(1);
            let s = t
                .sticky_index(&txn, start, Assoc::After)
                .context("anchor")?;
            let e = t
                .sticky_index(&txn, start + 10, Assoc::Before)
                .context("anchor")?;
            serde_json::json!({"start": b64(s.encode_v1()), "end": b64(e.encode_v1())})
        };
        http.json(
            reqwest::Method::POST,
            &comments_path,
            Some(serde_json::json!({"body": format!("Thread {i}: is this right?"), "anchor": anchor})),
        )
        .await?;
    }
    println!(
        "{} threads made in {:.1} s",
        a.threads,
        t0.elapsed().as_secs_f64()
    );
    let list_path = format!("{comments_path}?status=all");
    let listed = http.json(reqwest::Method::GET, &list_path, None).await?;
    let n = listed.as_array().map_or(0, Vec::len);
    if n != a.threads {
        bail!("listed {n} threads, made {}", a.threads);
    }
    summary(
        "GET comments (every anchor resolved)",
        http.timed(a.samples, reqwest::Method::GET, &list_path, None)
            .await?,
    );

    // --- Storage: versions up to `versions`, each after a small edit -------------------------
    let have = http
        .json(reqwest::Method::GET, &versions_path, None)
        .await?
        .as_array()
        .map_or(0, Vec::len);
    let before = db_bytes(&a.db);
    for i in have..a.versions {
        let update = {
            let mut txn = doc.transact_mut();
            let f = txn.get_or_insert_xml_fragment("default");
            let b = (i * 11) % a.blocks;
            let Some(XmlOut::Element(p)) = f.get(&txn, b as u32) else {
                continue;
            };
            let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
                continue;
            };
            t.insert(&mut txn, 4, "edit ");
            txn.encode_update_v1()
        };
        send(&mut socket, update).await?;
        tokio::time::sleep(Duration::from_millis(30)).await;
        http.json(reqwest::Method::POST, &versions_path, Some(body.clone()))
            .await?;
    }
    let md_len = http
        .req(reqwest::Method::GET, &path_md)
        .send()
        .await?
        .text()
        .await?
        .len();
    match (before, db_bytes(&a.db)) {
        (Some(b), Some(after)) => {
            let added = a.versions.saturating_sub(have).max(1);
            let per = after.saturating_sub(b) as f64 / added as f64;
            println!(
                "storage: {added} more versions (to {}) grew the database by {:.1} MiB: {:.0} KiB per version; the Markdown alone is {} KiB",
                a.versions,
                after.saturating_sub(b) as f64 / 1048576.0,
                per / 1024.0,
                md_len / 1024
            );
        }
        _ => println!("storage: pass --db to measure"),
    }
    Ok(())
}
