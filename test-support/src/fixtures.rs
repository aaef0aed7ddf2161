//! Where the test data lives: the repository's `fixtures/` directory and the keys in it.
//!
//! Every path is found from this crate's own `CARGO_MANIFEST_DIR` (`<repo>/test-support`), so
//! the tests of every crate read the same files, wherever Cargo runs them from. Reading a
//! missing file fails the test with its path.

use std::path::{Path, PathBuf};

/// The root of the repository (the workspace).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support lives inside the workspace")
        .to_path_buf()
}

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures")
}

/// `fixtures/<rel>`, e.g. `fixture("sops-3.11.0/yaml-age.yaml")`.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

/// `fixtures/keys/<name>.txt`, e.g. `age_key_path("age-alice")`.
pub fn age_key_path(name: &str) -> PathBuf {
    fixture(&format!("keys/{name}.txt"))
}

/// The `age1…` recipient of an age identity file in `fixtures/keys`, from its
/// `# public key:` line.
pub fn age_recipient(name: &str) -> String {
    let path = age_key_path(name);
    let text = String::from_utf8(read(&path)).expect("key files are UTF-8");
    text.lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap_or_else(|| panic!("{} has no `# public key:` line", path.display()))
        .trim()
        .to_string()
}

/// Reads a file, failing the test with the path if that is impossible.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Reads a file as UTF-8 text, failing the test with the path if that is impossible.
pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
