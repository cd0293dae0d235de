//! Tidy checks over the source tree, as tests: each fails when an
//! invariant of `ARCHITECTURE.md` stops holding.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if p.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | "dist") {
                files(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

/// Lines of `path` before its `#[cfg(test)]` module (tests may name roles freely).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

/// "No handler decides a permission itself": a role compared or matched
/// anywhere but the permission table is a second table in the making.
#[test]
fn permissions_are_decided_only_by_the_table() {
    let root = root();
    let mut rust = Vec::new();
    files(&root.join("crates"), &[".rs"], &mut rust);
    let table = root.join("crates/accord-domain/src/permissions.rs");
    let mut found = Vec::new();
    for path in rust.iter().filter(|p| **p != table) {
        for (n, line) in code_lines(path) {
            let l = line.trim();
            if l.starts_with("//") {
                continue;
            }
            let compares = ["== Role::", "!= Role::", "matches!("].iter().any(|pat| {
                l.contains(pat) && (!pat.starts_with("matches") || l.contains("Role::"))
            }) || l.contains("is_facilitator")
                || (l.contains("Role::") && l.contains("=>"));
            if compares {
                found.push(format!("{}:{n}: {l}", path.display()));
            }
        }
    }
    let mut web = Vec::new();
    files(&root.join("web/src"), &[".ts", ".tsx"], &mut web);
    for path in web
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".test.ts"))
    {
        let text = fs::read_to_string(path).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            let role_test = [
                "my_role ===",
                "my_role !==",
                "my_role ==",
                "my_role !=",
                "role === '",
                "role !== '",
            ];
            if role_test.iter().any(|p| l.contains(p)) {
                found.push(format!("{}:{}: {l}", path.display(), i + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "roles compared outside accord_domain::allowed (ask the table, or use my_actions in the web):\n{}",
        found.join("\n")
    );
}

/// The `type` column of a PROTOCOL.md table that follows `heading`.
fn table_types(doc: &str, heading: &str) -> Vec<String> {
    let Some(start) = doc.find(heading) else {
        return Vec::new();
    };
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|l| l.split('|').nth(1))
        .map(|c| c.trim().trim_matches('`').to_owned())
        .collect()
}

/// Names in the Rust source between `anchor` and the end of its `&[…]` list.
fn listed(source: &str, anchor: &str) -> Vec<String> {
    let Some(start) = source.find(anchor) else {
        return Vec::new();
    };
    let rest = &source[start..];
    let end = rest.find("];").unwrap_or(rest.len());
    rest[..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// PROTOCOL.md's lists of message types and error codes are the enums'.
#[test]
fn protocol_md_lists_what_the_wire_enums_hold() {
    let root = root();
    let doc = fs::read_to_string(root.join("PROTOCOL.md")).unwrap_or_default();
    let wire =
        fs::read_to_string(root.join("crates/accord-realtime/src/wire.rs")).unwrap_or_default();
    let mut client = listed(&wire, "impl ClientMsg");
    let mut server = listed(&wire, "impl ServerMsg");
    // Error codes: the wire names in `as_str`.
    let codes_src = &wire[wire.find("pub fn as_str").unwrap_or(0)..];
    let codes_src = &codes_src[..codes_src.find("\n    }\n").unwrap_or(codes_src.len())];
    let mut codes: Vec<String> = codes_src
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let mut doc_client = table_types(&doc, "### Client → server");
    let mut doc_server = table_types(&doc, "### Server → client");
    let mut doc_codes = table_types(&doc, "Error codes (");
    for v in [
        &mut client,
        &mut server,
        &mut codes,
        &mut doc_client,
        &mut doc_server,
        &mut doc_codes,
    ] {
        v.sort();
    }
    assert!(!client.is_empty() && !server.is_empty() && !codes.is_empty());
    assert_eq!(doc_client, client, "client → server messages");
    assert_eq!(doc_server, server, "server → client messages");
    assert_eq!(doc_codes, codes, "error codes");
}

/// The `[dependencies]` table of a crate's manifest, as dependency names.
fn dependencies(krate: &str) -> Vec<String> {
    let manifest = fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_default();
    manifest
        .split("\n[")
        .find(|t| t.starts_with("dependencies]"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| l.split(['=', '.']).next())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect()
}

/// "accord-domain does not depend on tokio, sqlx, axum or any I/O crate";
/// "only accord-server knows HTTP"; "nothing but accord-store writes SQL".
#[test]
fn the_layers_depend_on_what_architecture_md_says() {
    let domain = dependencies("accord-domain");
    assert!(!domain.is_empty(), "accord-domain's manifest was read");
    for io in [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "redis",
        "reqwest",
        "tower-http",
    ] {
        assert!(
            !domain.iter().any(|d| d == io),
            "accord-domain depends on {io}"
        );
    }
    // "accord-sync does not depend on tokio, the store, the bus or any I/O crate."
    let sync = dependencies("accord-sync");
    assert!(!sync.is_empty(), "accord-sync's manifest was read");
    for io in [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "redis",
        "reqwest",
        "tower-http",
        "tokio-tungstenite",
        "accord-store",
        "accord-realtime",
    ] {
        assert!(!sync.iter().any(|d| d == io), "accord-sync depends on {io}");
    }
    // "accord-export does no I/O: bytes and strings out of a version."
    let export = dependencies("accord-export");
    assert!(!export.is_empty(), "accord-export's manifest was read");
    for io in [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "redis",
        "reqwest",
        "accord-store",
        "accord-realtime",
        "accord-sync",
    ] {
        assert!(
            !export.iter().any(|d| d == io),
            "accord-export depends on {io}"
        );
    }
    for krate in [
        "accord-domain",
        "accord-store",
        "accord-realtime",
        "accord-export",
    ] {
        for http in ["axum", "hyper", "hyper-util", "tower-http", "utoipa-axum"] {
            assert!(
                !dependencies(krate).iter().any(|d| d == http),
                "{krate} depends on {http}: only accord-server knows HTTP"
            );
        }
    }
    for krate in ["accord-domain", "accord-realtime", "accord-server"] {
        assert!(
            !dependencies(krate).iter().any(|d| d == "sqlx"),
            "{krate} depends on sqlx: nothing but accord-store writes SQL"
        );
    }
}

/// "No socket message is built by hand": no `json!` with a message `type`.
#[test]
fn socket_messages_are_built_by_the_wire_enum() {
    let root = root();
    let mut rust = Vec::new();
    for dir in ["crates/accord-realtime/src", "crates/accord-server/src"] {
        files(&root.join(dir), &[".rs"], &mut rust);
    }
    let mut found = Vec::new();
    for path in &rust {
        for (n, line) in code_lines(path) {
            if line.contains("json!") && line.contains("\"type\"") {
                found.push(format!("{}:{n}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "build socket messages with wire::ServerMsg:\n{}",
        found.join("\n")
    );
}

/// Which of `phrases` (lower case, single-spaced) each file holds, read
/// lower-cased with its whitespace collapsed: `path: phrase` per hit.
fn mentions(paths: &[PathBuf], phrases: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in paths {
        let text = fs::read_to_string(path).unwrap_or_default().to_lowercase();
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for phrase in phrases {
            if flat.contains(phrase) {
                found.push(format!("{}: {phrase}", path.display()));
            }
        }
    }
    found
}

/// "A version is never changed or deleted": no SQL in the store (or its
/// migrations after the one that made the table) updates or deletes a
/// row of `document_versions`.
#[test]
fn no_sql_changes_or_deletes_a_version() {
    let root = root();
    let mut sources = Vec::new();
    files(
        &root.join("crates/accord-store/src"),
        &[".rs"],
        &mut sources,
    );
    for backend in ["sqlite", "postgres"] {
        files(
            &root.join("migrations").join(backend),
            &[".sql"],
            &mut sources,
        );
    }
    let found = mentions(
        &sources,
        &[
            "update document_versions",
            "delete from document_versions",
            "drop table document_versions",
        ],
    );
    assert!(
        found.is_empty(),
        "versions are immutable (ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}

/// "The audit trail is append-only": no SQL in the store (but the tamper
/// helper tests use, behind the `testing` feature) updates, deletes or
/// truncates `audit_log`, and both backends' migrations install the
/// triggers that refuse it from anywhere else.
#[test]
fn the_audit_log_is_append_only() {
    let root = root();
    let mut sources = Vec::new();
    files(
        &root.join("crates/accord-store/src"),
        &[".rs"],
        &mut sources,
    );
    sources.retain(|p| !p.ends_with("testing.rs"));
    let found = mentions(
        &sources,
        &[
            "update audit_log",
            "delete from audit_log",
            "truncate audit_log",
            "drop trigger",
            "disable trigger",
        ],
    );
    assert!(
        found.is_empty(),
        "the audit trail is append-only (ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
    for (backend, needle) in [
        ("sqlite", "before update on audit_log"),
        ("postgres", "before update or delete on audit_log"),
    ] {
        let mut migrations = Vec::new();
        files(
            &root.join("migrations").join(backend),
            &[".sql"],
            &mut migrations,
        );
        assert!(
            !mentions(&migrations, &[needle]).is_empty(),
            "{backend} migrations lack the append-only trigger"
        );
    }
}
