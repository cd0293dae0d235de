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
