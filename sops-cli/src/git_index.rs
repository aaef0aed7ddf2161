//! The git index as `sops-rs check --staged` reads it: what a commit would hold, not the work
//! tree. Entries come from `git ls-files -s -z` (paths relative to the working directory, as
//! git prints them), contents from `git cat-file blob OBJECT`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// What the index holds at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Staged {
    /// A file: the blob's object name.
    Blob(String),
    /// A symbolic link (the blob is its target, not content).
    Symlink,
    /// A submodule.
    Submodule,
}

/// One index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) path: PathBuf,
    pub(crate) staged: Staged,
}

/// The entries under the working directory, or only those the pathspecs name.
pub(crate) fn entries(pathspecs: &[PathBuf]) -> Result<Vec<Entry>, String> {
    let out = Command::new("git")
        .args(["ls-files", "-s", "-z", "--"])
        .args(pathspecs)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("git could not run ({e})"))?;
    if !out.status.success() {
        return Err("this is not a git work tree".to_owned());
    }
    Ok(parse(&out.stdout))
}

/// Parses `git ls-files -s -z`: `MODE OBJECT STAGE\tPATH\0`. Of an unmerged path, only its
/// first stage is kept.
fn parse(listing: &[u8]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let Some(tab) = record.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let head = String::from_utf8_lossy(&record[..tab]);
        let path = PathBuf::from(String::from_utf8_lossy(&record[tab + 1..]).into_owned());
        let mut fields = head.split(' ');
        let (Some(mode), Some(object)) = (fields.next(), fields.next()) else {
            continue;
        };
        let staged = match mode {
            "120000" => Staged::Symlink,
            "160000" => Staged::Submodule,
            _ => Staged::Blob(object.to_owned()),
        };
        if entries.last().is_some_and(|e| e.path == path) {
            continue;
        }
        entries.push(Entry { path, staged });
    }
    entries
}

/// The content of a blob.
pub(crate) fn read_blob(object: &str) -> std::io::Result<Vec<u8>> {
    let out = Command::new("git")
        .args(["cat-file", "blob", object])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "git cat-file blob {object} failed"
        )));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::{parse, Entry, Staged};
    use std::path::PathBuf;

    #[test]
    fn modes_and_stages_are_read() {
        let listing = b"100644 aaaa 0\tsecrets/a.yaml\x00120000 bbbb 0\tlink.yaml\x00\
            160000 cccc 0\tsub\x00100644 d1 1\tc.yaml\x00100644 d2 2\tc.yaml\x00";
        let entry = |path: &str, staged| Entry {
            path: PathBuf::from(path),
            staged,
        };
        assert_eq!(
            parse(listing),
            vec![
                entry("secrets/a.yaml", Staged::Blob("aaaa".into())),
                entry("link.yaml", Staged::Symlink),
                entry("sub", Staged::Submodule),
                entry("c.yaml", Staged::Blob("d1".into())),
            ]
        );
    }
}
