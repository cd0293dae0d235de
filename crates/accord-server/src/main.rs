//! The `accord` binary: parses the command line and starts the server.

mod app;
mod assets;
mod audience;
mod ballots;
mod config;
mod demo;
mod error;
mod extract;
mod http_limits;
mod memory;
mod openapi_doc;
mod origin;
mod passwords;
mod rate_limit;
mod raw_socket;
mod routes;
mod security_headers;
mod sessions;
mod socket_limits;
mod socket_rights;
mod telemetry;

use clap::Parser;
use config::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    memory::return_large_blocks_to_os();
    let cli = Cli::parse();
    telemetry::init(cli.json_logs);
    match cli.command {
        Command::Serve(serve) => {
            let app = app::Application::build(serve).await?;
            app.run_until_stopped().await
        }
        Command::Demo(db) => {
            let store = accord_store::Store::connect(&db.database_url).await?;
            let summary = demo::load(&store).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&openapi_doc::document())?
            );
            Ok(())
        }
        Command::Audit(config::AuditCommand::Verify(args)) => audit_verify(args).await,
        Command::Migrate(db) => {
            accord_store::Store::connect(&db.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
    }
}

/// `accord audit verify`: every chain (or one) recomputed from the store;
/// an error names the first bad entry, so the exit status is non-zero.
async fn audit_verify(args: config::VerifyArgs) -> anyhow::Result<()> {
    let store = accord_store::Store::connect(&args.db.database_url).await?;
    let roundtables = match args.roundtable {
        Some(id) => vec![id.to_string()],
        None => store.audited_roundtables().await?,
    };
    let started = std::time::Instant::now();
    let (mut entries, mut bad) = (0i64, Vec::new());
    for rt in &roundtables {
        let report = store.verify_audit(rt).await?;
        entries += report.checked;
        if let Err(b) = &report.result {
            bad.push(format!("roundtable {rt}: {b}"));
        }
    }
    if !bad.is_empty() {
        anyhow::bail!("audit chain broken:\n{}", bad.join("\n"));
    }
    println!(
        "audit ok: {} roundtable(s), {entries} entries verified in {} ms",
        roundtables.len(),
        started.elapsed().as_millis()
    );
    Ok(())
}
