//! `git merge` of branches that changed the same SOPS file, through the driver `git setup`
//! configured: clean merges in four formats keep every untouched ciphertext, the same change
//! twice is one change, a real conflict fails the merge and names the key path, and branches
//! that rotated the data key or added a recipient merge with ones that changed values.

use super::{alice, bob, sops_yaml, values, Repo};
use serde_json::Value;

/// A file in one format: its plaintext and the paths of three values (a, b, c) in it.
pub(super) struct Case {
    pub(super) rel: &'static str,
    pub(super) input_type: &'static str,
    pub(super) plain: &'static str,
    pub(super) paths: [&'static str; 3],
}

pub(super) const YAML: Case = Case {
    rel: "secrets/app.yaml",
    input_type: "yaml",
    plain:
        "# database\ndb:\n    user: base-user-1\n    password: base-pw-1\napi_token: base-tok-1\n",
    paths: [
        r#"["db"]["user"]"#,
        r#"["db"]["password"]"#,
        r#"["api_token"]"#,
    ],
};

const JSON: Case = Case {
    rel: "secrets/app.json",
    input_type: "json",
    plain: r#"{"db": {"user": "base-user-1", "password": "base-pw-1"}, "api_token": "base-tok-1"}"#,
    paths: [
        r#"["db"]["user"]"#,
        r#"["db"]["password"]"#,
        r#"["api_token"]"#,
    ],
};

const DOTENV: Case = Case {
    rel: "secrets/app.env",
    input_type: "dotenv",
    plain: "DB_USER=base-user-1\nDB_PASSWORD=base-pw-1\nAPI_TOKEN=base-tok-1\n",
    paths: [r#"["DB_USER"]"#, r#"["DB_PASSWORD"]"#, r#"["API_TOKEN"]"#],
};

const INI: Case = Case {
    rel: "secrets/app.ini",
    input_type: "ini",
    plain: "[db]\nuser = base-user-1\npassword = base-pw-1\n\n[api]\ntoken = base-tok-1\n",
    paths: [
        r#"["db"]["user"]"#,
        r#"["db"]["password"]"#,
        r#"["api"]["token"]"#,
    ],
};

/// Every plaintext value the tests write, for the searches for plaintext.
pub(super) const SECRETS: [&str; 7] = [
    "base-user-1",
    "base-pw-1",
    "base-tok-1",
    "ours-user-2",
    "theirs-pw-3",
    "resolved-pw-4",
    "same-pw-5",
];

impl Repo {
    /// `case`'s file encrypted and committed on `main`, and a branch `theirs` from there.
    pub(super) fn with_file(case: &Case) -> Repo {
        let repo = Repo::new();
        repo.write(case.rel, case.plain);
        repo.sops(&["encrypt", "-i", case.rel]);
        repo.git(&["add", case.rel]);
        repo.git(&["commit", "-q", "-m", "base"]);
        repo.git(&["branch", "theirs"]);
        repo
    }

    /// On `branch`: `sops-rs set` each (path, JSON value), then commit.
    pub(super) fn change(&self, branch: &str, case: &Case, sets: &[(&str, &str)]) {
        self.git(&["checkout", "-q", branch]);
        for (path, value) in sets {
            self.sops(&["set", case.rel, path, value]);
        }
        self.commit(&format!("change on {branch}"));
    }

    /// The file's values as the reference sops decrypts them (JSON).
    pub(super) fn decrypted(&self, case: &Case) -> Value {
        let json = self.reference_decrypt(case.rel, "age-alice", case.input_type);
        serde_json::from_str(&json).expect("sops prints JSON")
    }
}

/// The value at `path` (sops index syntax) of decrypted JSON.
pub(super) fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    path.trim_matches(|c| c == '[' || c == ']')
        .split("][")
        .fold(doc, |v, key| &v[key.trim_matches('"')])
}

fn different_keys_merge_cleanly(case: &Case) {
    let repo = Repo::with_file(case);
    let base = values(&repo.read(case.rel));
    repo.change("theirs", case, &[(case.paths[1], r#""theirs-pw-3""#)]);
    let theirs = values(&repo.read(case.rel));
    repo.change("main", case, &[(case.paths[0], r#""ours-user-2""#)]);
    let ours = values(&repo.read(case.rel));

    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    let merged = values(&repo.read(case.rel));
    // a is ours' ciphertext, b theirs', c the base's: byte for byte.
    assert_eq!(merged.len(), 3, "{merged:?}");
    assert_eq!(
        merged,
        [ours[0].clone(), theirs[1].clone(), base[2].clone()]
    );
    assert_eq!(ours[2], base[2]);

    let doc = repo.decrypted(case);
    assert_eq!(at(&doc, case.paths[0]), "ours-user-2");
    assert_eq!(at(&doc, case.paths[1]), "theirs-pw-3");
    assert_eq!(at(&doc, case.paths[2]), "base-tok-1");
    assert!(repo.git(&["status", "--porcelain"]).stdout.is_empty());
}

#[test]
fn yaml_branches_changing_different_keys_merge_cleanly() {
    different_keys_merge_cleanly(&YAML);
}

#[test]
fn json_branches_changing_different_keys_merge_cleanly() {
    different_keys_merge_cleanly(&JSON);
}

#[test]
fn dotenv_branches_changing_different_keys_merge_cleanly() {
    different_keys_merge_cleanly(&DOTENV);
}

#[test]
fn ini_branches_changing_different_keys_merge_cleanly() {
    different_keys_merge_cleanly(&INI);
}

#[test]
fn the_same_change_on_both_sides_merges() {
    let case = &JSON;
    let repo = Repo::with_file(case);
    repo.change("theirs", case, &[(case.paths[1], r#""same-pw-5""#)]);
    repo.change("main", case, &[(case.paths[1], r#""same-pw-5""#)]);
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    assert_eq!(at(&repo.decrypted(case), case.paths[1]), "same-pw-5");
}

#[test]
fn a_conflict_fails_the_merge_names_the_key_and_can_be_resolved() {
    let case = &YAML;
    let repo = Repo::with_file(case);
    repo.change("theirs", case, &[(case.paths[1], r#""theirs-pw-3""#)]);
    repo.change(
        "main",
        case,
        &[
            (case.paths[1], r#""ours-user-2""#),
            (case.paths[2], r#""same-pw-5""#),
        ],
    );
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(!merge.ok, "the merge must fail:\n{}", merge.stdout);
    let said = format!("{}{}", merge.stdout, merge.stderr);
    assert!(
        said.contains(r#"["db"]["password"]: changed on both sides"#),
        "{said}"
    );
    assert!(said.contains("sops-rs set secrets/app.yaml"), "{said}");
    assert!(
        !said.contains("api_token"),
        "only the conflicting key: {said}"
    );
    // git keeps the three versions; the work-tree file is a valid SOPS file with ours.
    let unmerged = repo.git(&["ls-files", "-u"]).stdout;
    assert_eq!(unmerged.lines().count(), 3, "{unmerged}");
    let doc = repo.decrypted(case);
    assert_eq!(at(&doc, case.paths[1]), "ours-user-2");
    assert_eq!(at(&doc, case.paths[2]), "same-pw-5");

    repo.sops(&["set", case.rel, case.paths[1], r#""resolved-pw-4""#]);
    repo.git(&["add", case.rel]);
    repo.git(&["commit", "-q", "--no-edit"]);
    assert_eq!(at(&repo.decrypted(case), case.paths[1]), "resolved-pw-4");
}

#[test]
fn a_rotated_branch_merges_with_one_that_changed_values() {
    let case = &YAML;
    let repo = Repo::with_file(case);
    let base = values(&repo.read(case.rel));
    repo.git(&["checkout", "-q", "theirs"]);
    repo.sops(&["rotate", "-i", case.rel]);
    repo.commit("rotate");
    let theirs = values(&repo.read(case.rel));
    repo.change("main", case, &[(case.paths[0], r#""ours-user-2""#)]);

    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    // Their new data key encrypts the result: unchanged values keep their ciphertext, none
    // keeps the old key's.
    let merged = values(&repo.read(case.rel));
    assert_eq!(merged[1..], theirs[1..]);
    assert!(merged.iter().all(|v| !base.contains(v)), "{merged:?}");
    let doc = repo.decrypted(case);
    assert_eq!(at(&doc, case.paths[0]), "ours-user-2");
    assert_eq!(at(&doc, case.paths[1]), "base-pw-1");
}

#[test]
fn a_branch_that_added_a_recipient_merges_with_one_that_changed_values() {
    let case = &DOTENV;
    for (keys_on, values_on) in [("theirs", "main"), ("main", "theirs")] {
        let repo = Repo::with_file(case);
        repo.git(&["checkout", "-q", keys_on]);
        repo.write(".sops.yaml", &sops_yaml(&[alice(), bob()]));
        repo.sops(&["updatekeys", "-y", case.rel]);
        repo.commit("add bob");
        repo.change(values_on, case, &[(case.paths[0], r#""ours-user-2""#)]);
        repo.git(&["checkout", "-q", "main"]);
        let before = [
            values(&repo.read(case.rel)),
            values(&repo.git(&["show", &format!("theirs:{}", case.rel)]).stdout),
        ];

        let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
        assert!(merge.ok, "{keys_on}: {}{}", merge.stdout, merge.stderr);
        let merged = values(&repo.read(case.rel));
        assert!(
            merged
                .iter()
                .all(|v| before.iter().flatten().any(|b| b == v)),
            "every value keeps a ciphertext it had: {merged:?}"
        );
        for key in ["age-alice", "age-bob"] {
            let json = repo.reference_decrypt(case.rel, key, case.input_type);
            let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
            assert_eq!(at(&doc, case.paths[0]), "ours-user-2", "{keys_on}, {key}");
        }
    }
}

#[test]
fn comments_changed_on_one_side_merge_with_values_changed_on_the_other() {
    let case = &YAML;
    let repo = Repo::with_file(case);
    repo.git(&["checkout", "-q", "theirs"]);
    let edit = repo
        .command(super::SOPS_RS.as_ref(), &["edit", case.rel], "age-alice")
        .env("SOPS_EDITOR", "sed -i s/database/primary-database/")
        .output()
        .expect("run sops-rs edit");
    assert!(
        edit.status.success(),
        "{}",
        String::from_utf8_lossy(&edit.stderr)
    );
    repo.commit("comment");
    repo.change("main", case, &[(case.paths[1], r#""ours-user-2""#)]);
    let merge = repo.run("git".as_ref(), &["merge", "--no-edit", "theirs"]);
    assert!(merge.ok, "{}{}", merge.stdout, merge.stderr);
    let mut cmd = sops_test_support::reference_sops_command();
    let out = cmd
        .args(["decrypt"])
        .arg(repo.path(case.rel))
        .env(
            "SOPS_AGE_KEY_FILE",
            sops_test_support::age_key_path("age-alice"),
        )
        .output()
        .expect("run the reference sops");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("# primary-database\n"), "{text}");
    assert!(text.contains("password: ours-user-2"), "{text}");
}
