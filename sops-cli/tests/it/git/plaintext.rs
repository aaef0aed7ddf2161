//! No plaintext value of a merged SOPS file reaches git or the work tree: every object
//! (`git cat-file --batch-all-objects --batch`), `MERGE_MSG`, `ORIG_HEAD`, the index and every
//! other file under the repository, during a conflicted merge and after it is resolved.

use super::merge::{SECRETS, YAML};
use super::Repo;
use std::path::Path;

/// Every file under `dir`, recursively, as bytes with its path.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read a directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.is_file() {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
}

fn assert_no_plaintext(repo: &Repo, when: &str) {
    let objects = repo
        .git(&["cat-file", "--batch-all-objects", "--batch"])
        .stdout;
    assert!(objects.contains("ENC[AES256_GCM"), "the objects were read");
    let mut all = vec![("git objects".to_owned(), objects.into_bytes())];
    files(&repo.root(), &mut all);
    for name in ["MERGE_MSG", "ORIG_HEAD", "index"] {
        if when == "conflict" || name != "MERGE_MSG" {
            assert!(
                all.iter()
                    .any(|(p, _)| p.ends_with(&format!(".git/{name}"))),
                "{name} exists {when}"
            );
        }
    }
    for (path, bytes) in &all {
        let text = String::from_utf8_lossy(bytes);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{when}: {secret} in {path}");
        }
    }
}

#[test]
fn no_plaintext_anywhere_in_the_repository() {
    let case = &YAML;
    let repo = Repo::with_file(case);
    repo.change("theirs", case, &[(case.paths[1], r#""theirs-pw-3""#)]);
    repo.change("main", case, &[(case.paths[1], r#""ours-user-2""#)]);
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(!merge.ok, "a conflict");
    assert_no_plaintext(&repo, "conflict");
    repo.sops(&["set", case.rel, case.paths[1], r#""resolved-pw-4""#]);
    repo.git(&["add", case.rel]);
    repo.git(&["commit", "-q", "--no-edit"]);
    // And a clean merge on top.
    repo.change("theirs", case, &[(case.paths[2], r#""same-pw-5""#)]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-edit", "theirs"]);
    assert_no_plaintext(&repo, "after the merges");
}
