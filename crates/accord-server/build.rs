//! Rebuild when the web UI is rebuilt: release builds embed `web/dist`.
fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
}
