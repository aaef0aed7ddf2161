//! The driver at the edges: a file both branches added (git passes an empty base), and a file
//! under the attribute that is not a SOPS file on any side (merged as text), recipients added
//! on both branches, and a partial-encryption rule changed on one.

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

#[test]
fn recipients_added_on_both_branches_are_merged_as_a_set() {
    use super::{alice, bob, sops_yaml};
    let case = &super::merge::YAML;
    let repo = Repo::with_file(case);
    let carol = sops_test_support::age_recipient("age-carol");
    for (branch, extra) in [("theirs", carol.clone()), ("main", bob())] {
        repo.git(&["checkout", "-q", branch]);
        repo.write(".sops.yaml", &sops_yaml(&[alice(), extra]));
        repo.sops(&["updatekeys", "-y", case.rel]);
        repo.commit("a recipient");
    }
    // .sops.yaml itself conflicts (a text file); the SOPS file does not.
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    let said = format!("{}{}", merge.stdout, merge.stderr);
    assert!(said.contains("Merge conflict in .sops.yaml"), "{said}");
    assert!(
        !said.contains(&format!("Merge conflict in {}", case.rel)),
        "{said}"
    );
    assert!(repo.git(&["ls-files", "-u", case.rel]).stdout.is_empty());
    repo.write(".sops.yaml", &sops_yaml(&[alice(), bob(), carol]));
    for key in ["age-alice", "age-bob", "age-carol"] {
        let json = repo.reference_decrypt(case.rel, key, case.input_type);
        assert!(json.contains("base-pw-1"), "{key}");
    }
}

#[test]
fn a_partial_encryption_rule_changed_on_one_branch_applies_to_the_merge() {
    let case = &super::merge::YAML;
    let repo = Repo::with_file(case);
    repo.git(&["checkout", "-q", "theirs"]);
    repo.sops(&["decrypt", "-i", case.rel]);
    repo.sops(&[
        "encrypt",
        "-i",
        "--encrypted-regex",
        "^(password|api_token)$",
        case.rel,
    ]);
    repo.commit("only passwords and tokens encrypted");
    repo.change("main", case, &[(case.paths[1], r#""ours-user-2""#)]);
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    let merged = repo.read(case.rel);
    assert!(merged.contains("user: base-user-1\n"), "{merged}");
    assert!(
        merged.contains("encrypted_regex: ^(password|api_token)$"),
        "{merged}"
    );
    assert!(!merged.contains("ours-user-2"), "{merged}");
    let doc = repo.decrypted(case);
    assert_eq!(at(&doc, case.paths[1]), "ours-user-2");
    assert_eq!(at(&doc, case.paths[2]), "base-tok-1");
}
