//! The driver at the edges: a file both branches added (git passes an empty base), and a file
//! under the attribute that is not a SOPS file on any side (merged as text).

use super::merge::at;
use super::Repo;

#[test]
fn a_file_added_on_both_branches_merges_key_by_key() {
    let repo = Repo::new();
    repo.git(&["branch", "theirs"]);
    let rel = "secrets/new.yaml";
    for (branch, plain) in [
        ("theirs", "shared: same-pw-5\ntheirs_only: theirs-pw-3\n"),
        ("main", "shared: same-pw-5\nours_only: ours-user-2\n"),
    ] {
        repo.git(&["checkout", "-q", branch]);
        std::fs::create_dir_all(repo.path("secrets")).expect("create secrets/");
        repo.write(rel, plain);
        repo.sops(&["encrypt", "-i", rel]);
        repo.git(&["add", rel]);
        repo.commit(&format!("add on {branch}"));
    }
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    let json = repo.reference_decrypt(rel, "age-alice", "yaml");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(at(&doc, r#"["shared"]"#), "same-pw-5");
    assert_eq!(at(&doc, r#"["ours_only"]"#), "ours-user-2");
    assert_eq!(at(&doc, r#"["theirs_only"]"#), "theirs-pw-3");

    // Added twice with different values: a conflict naming the key.
    repo.git(&["checkout", "-q", "-b", "other", "HEAD~2"]);
    std::fs::create_dir_all(repo.path("secrets")).expect("create secrets/");
    repo.write(rel, "shared: base-pw-1\n");
    repo.sops(&["encrypt", "-i", rel]);
    repo.git(&["add", rel]);
    repo.commit("add differently");
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "main"]);
    assert!(!merge.ok);
    let said = format!("{}{}", merge.stdout, merge.stderr);
    assert!(
        said.contains(r#"["shared"]: added on both sides with different values"#),
        "{said}"
    );
}

#[test]
fn a_plain_file_under_the_attribute_merges_as_text() {
    let repo = Repo::new();
    let rel = "secrets/README.txt";
    repo.write(rel, "one\ntwo\nthree\nfour\n");
    repo.git(&["add", rel]);
    repo.commit("notes");
    repo.git(&["branch", "theirs"]);
    repo.git(&["checkout", "-q", "theirs"]);
    repo.write(rel, "ONE\ntwo\nthree\nfour\n");
    repo.commit("theirs");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(rel, "one\ntwo\nthree\nFOUR\n");
    repo.commit("ours");
    let attr = repo.git(&["check-attr", "merge", "--", rel]).stdout;
    assert!(attr.contains("merge: sops"), "{attr}");
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    assert_eq!(repo.read(rel), "ONE\ntwo\nthree\nFOUR\n");
}
