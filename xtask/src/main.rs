//! `cargo xtask run` builds the web UI and the server and runs it;
//! `cargo xtask test` runs every test suite. No dependencies beyond std and
//! anyhow, so it compiles in seconds.

use anyhow::{bail, Context, Result};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

fn npm(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(dir);
    c
}

/// `npm ci` when the lock file is newer than the installed tree (or there is none).
fn npm_install(dir: &Path) -> Result<()> {
    let marker = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (marker.metadata(), lock.metadata()) {
        (Ok(m), Ok(l)) => m.modified()? >= l.modified()?,
        _ => false,
    };
    if !fresh {
        run(&mut npm(dir, &["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

fn build_web() -> Result<()> {
    let web = root().join("web");
    npm_install(&web)?;
    run(&mut npm(&web, &["run", "build"]))
}

fn reachable(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

fn cmd_run(rest: &[String]) -> Result<()> {
    build_web()?;
    let mut c = Command::new(env!("CARGO"));
    c.current_dir(root())
        .args([
            "run",
            "--release",
            "-p",
            "accord-server",
            "--bin",
            "accord",
            "--",
            "serve",
        ])
        .args(rest);
    run(&mut c)
}

/// Rewrites the server's OpenAPI snapshot and the web types generated from it.
fn cmd_openapi() -> Result<()> {
    run(Command::new(env!("CARGO")).current_dir(root()).args([
        "build",
        "-p",
        "accord-server",
        "--bin",
        "accord",
    ]))?;
    let out = Command::new(root().join("target/debug/accord"))
        .arg("openapi")
        .output()
        .context("cannot run accord openapi")?;
    if !out.status.success() {
        bail!("accord openapi failed");
    }
    std::fs::write(root().join("web/src/generated/openapi.json"), &out.stdout)?;
    let codegen = root().join("web/codegen");
    npm_install(&codegen)?;
    run(&mut npm(&codegen, &["run", "generate"]))
}

fn cmd_test() -> Result<()> {
    let mut skipped = Vec::new();
    for (name, addr) in [
        ("PostgreSQL", "127.0.0.1:5432"),
        ("Redis", "127.0.0.1:6379"),
    ] {
        if !reachable(addr) {
            if ci() {
                bail!("{name} is required under CI=true but nothing answers at {addr}");
            }
            skipped.push(format!("{name} tests (nothing at {addr})"));
        }
    }

    build_web()?;
    run(&mut npm(&root().join("web"), &["test"]))?;
    // The web's API types are generated from the OpenAPI snapshot (a Rust
    // test checks the snapshot against the server): stale types fail here.
    let codegen = root().join("web/codegen");
    npm_install(&codegen)?;
    run(&mut npm(&codegen, &["run", "check"]))?;

    let cargo = env!("CARGO");
    // The black-box tests start the real binary: build it first.
    run(Command::new(cargo).current_dir(root()).args([
        "build",
        "-p",
        "accord-server",
        "--bin",
        "accord",
    ]))?;
    let nextest = Command::new(cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if nextest {
        run(Command::new(cargo).current_dir(root()).args([
            "nextest",
            "run",
            "--workspace",
            "--no-fail-fast",
        ]))?;
        // nextest does not run doctests.
        run(Command::new(cargo)
            .current_dir(root())
            .args(["test", "--workspace", "--doc"]))?;
    } else {
        run(Command::new(cargo).current_dir(root()).args([
            "test",
            "--workspace",
            "--no-fail-fast",
        ]))?;
    }

    let chromium = Path::new("/usr/bin/chromium").exists();
    if chromium {
        let e2e = root().join("tests/e2e");
        npm_install(&e2e)?;
        let bin = root().join("target/debug/accord");
        run(npm(&e2e, &["test"]).env("ACCORD_BIN", bin))?;
    } else if ci() {
        bail!(
            "Chromium is required under CI=true for the browser tests (apt-get install chromium)"
        );
    } else {
        skipped.push("browser tests (no /usr/bin/chromium; apt-get install chromium)".into());
    }

    if skipped.is_empty() {
        eprintln!("xtask test: every suite ran");
    } else {
        eprintln!("xtask test: SKIPPED {}", skipped.join("; "));
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => cmd_run(&args[1..]),
        Some("test") => cmd_test(),
        Some("openapi") => cmd_openapi(),
        _ => {
            eprintln!("usage: cargo xtask run [serve options]   build the web UI and the server, then serve");
            eprintln!("       cargo xtask test                  run every test suite");
            eprintln!("       cargo xtask openapi               rewrite the OpenAPI snapshot and the web's generated types");
            std::process::exit(2);
        }
    }
}
