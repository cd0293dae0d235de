//! `audit`: what `accord audit verify` costs per 100,000 entries.
//!
//! Makes a roundtable in the given (fresh) database, appends `--entries`
//! real chain entries to its audit trail through the store, then runs the
//! `accord audit verify --roundtable` binary `--samples` times and prints
//! the wall time of each run and the median per 100,000 entries.

use accord_store::{NewRoundtable, NewUser, Store};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// A fresh database (`sqlite://…` or `postgres://…`); migrations run.
    #[arg(long)]
    database_url: String,
    /// The `accord` binary to time (a release build: target/release/accord).
    #[arg(long)]
    accord: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    entries: u64,
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    samples: u16,
}

pub async fn cli(a: Args) -> Result<()> {
    let store = Store::connect(&a.database_url)
        .await
        .context("connect to the database")?;
    let id = || uuid::Uuid::new_v4().to_string();
    let user = store
        .create_user(&NewUser {
            id: id(),
            email: format!("{}@bench.accord", id()),
            display_name: "Bench".into(),
            password_hash: "$argon2id$bench".into(),
            created_at: 1,
        })
        .await?;
    let rt = store
        .create_roundtable(&NewRoundtable {
            id: id(),
            title: "Audit bench".into(),
            theme: accord_domain::Theme::Other,
            description: String::new(),
            created_by: user.id,
            created_at: 1,
            organisation: "Bench".into(),
        })
        .await?;
    let filled = Instant::now();
    store
        .append_audit_entries_for_tests(&rt.id, a.entries, 2)
        .await?;
    let fill_secs = filled.elapsed().as_secs_f64();
    store.close().await;
    // The roundtable's own creation is entry 1.
    let total = a.entries + 1;
    println!(
        "audit: {total} entries appended in {fill_secs:.1} s ({:.0} entries/s, 1,000 per transaction)",
        a.entries as f64 / fill_secs
    );
    let mut runs = Vec::with_capacity(usize::from(a.samples));
    for _ in 0..a.samples {
        let started = Instant::now();
        let out = Command::new(&a.accord)
            .args(["audit", "verify", "--roundtable", &rt.id])
            .env("DATABASE_URL", &a.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .context("run accord audit verify")?;
        let secs = started.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "verify failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let said = String::from_utf8_lossy(&out.stdout);
        if !said.contains(&format!("{total} entries")) {
            bail!("verify checked a different count: {said}");
        }
        runs.push(secs);
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[runs.len() / 2];
    println!(
        "audit verify: {total} entries, runs {:?} s; median {median:.2} s = {:.2} s per 100,000 entries ({:.0} entries/s), process start and migrations included",
        runs.iter().map(|r| (r * 100.0).round() / 100.0).collect::<Vec<_>>(),
        median * 100_000.0 / total as f64,
        total as f64 / median
    );
    Ok(())
}
