//! `sops-rs groups add|delete` against the reference sops 3.11.0, and what Shamir secret
//! sharing then asks of `sops decrypt`. Verified with sops 3.11.0:
//!
//! * `groups add -f FILE --age R` prints the file with a new key group holding R (`-i` writes
//!   it back); the data key is the same. A file that goes from one group to two without
//!   `--shamir-secret-sharing-threshold` gets `shamir_threshold: 2` (all groups) written.
//! * With a threshold of 2 over three groups, any two groups' keys decrypt, one does not
//!   (**128**).
//! * `groups delete -f FILE N` removes group N (from 0); leaving fewer groups than the threshold
//!   is exit **1** ("removing this key group will make the Shamir threshold impossible to
//!   satisfy"), the file untouched.
//! * A data key that cannot be opened: exit **1** (a plain error here, not 128); a file that
//!   does not exist: **2**.
//!
//! Deliberate difference: `groups delete` of a group that does not exist makes sops **panic**
//! (slice bounds out of range, exit 2); sops-rs refuses it with exit 1 and a message.

use crate::support;

use crate::support::{
    age_key_path, age_recipient, normalize_encrypted, read, Identity, Output, Sandbox, Tool,
};
use std::path::{Path, PathBuf};

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn decrypt_with(sandbox: &Sandbox, file: &Path, keys: &[&str]) -> Output {
    sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(file)
        .identity(sandbox.age_keys(keys))
        .run()
}

/// Runs `groups ARGS…` with `tool` and every test key, on `file`.
fn groups(sandbox: &Sandbox, tool: Tool, file: &Path, args: &[&str]) -> Output {
    let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let at = full
        .iter()
        .position(|a| a == "FILE")
        .expect("FILE in the arguments");
    full[at] = file.to_str().unwrap().to_string();
    sandbox
        .cmd(tool)
        .arg("groups")
        .args(&full)
        .identity(sandbox.age_keys(&["age-alice", "age-bob", "age-carol"]))
        .run()
}

/// Builds, with `tool`, a file with three groups (alice, bob, carol) and threshold 2.
fn three_groups(sandbox: &Sandbox, tool: Tool) -> PathBuf {
    let file = sandbox.copy_fixture(
        "sops-3.11.0/yaml-age.yaml",
        &format!("{}-3.yaml", tool.name()),
    );
    let (bob, carol) = (age_recipient("age-bob"), age_recipient("age-carol"));
    for args in [
        &["add", "-f", "FILE", "-i", "--age", &bob][..],
        &[
            "add",
            "-f",
            "FILE",
            "-i",
            "--age",
            &carol,
            "--shamir-secret-sharing-threshold",
            "2",
        ],
    ] {
        let out = groups(sandbox, tool, &file, args);
        assert_eq!(out.code, Some(0), "{}", out.describe());
    }
    file
}

#[test]
fn groups_add_matches_sops() {
    let sandbox = Sandbox::new();
    let source = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let bob = age_recipient("age-bob");
    let mut layouts = Vec::new();
    for tool in BOTH {
        let out = groups(
            &sandbox,
            tool,
            &source,
            &["add", "-f", "FILE", "--age", &bob],
        );
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let added = sandbox.write(&format!("{}-added.yaml", tool.name()), &out.stdout);
        let t = text(&out.stdout);
        assert!(
            t.contains("shamir_threshold: 2") && t.contains("key_groups:"),
            "{}",
            tool.name()
        );
        // Two groups, both needed.
        assert_eq!(
            decrypt_with(&sandbox, &added, &["age-alice"]).code,
            Some(128)
        );
        assert_eq!(decrypt_with(&sandbox, &added, &["age-bob"]).code, Some(128));
        let both = decrypt_with(&sandbox, &added, &["age-alice", "age-bob"]);
        assert!(both.success(), "{}", both.describe());
        support::assert_same_bytes("decrypted with both groups", &plain, &both.stdout);
        layouts.push(normalize_encrypted(&t));
    }
    support::assert_same_bytes(
        "layout after groups add",
        layouts[0].as_bytes(),
        layouts[1].as_bytes(),
    );
    support::assert_same_bytes(
        "groups add without -i leaves the file alone",
        &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
        &read(&source),
    );
}

#[test]
fn two_of_three_groups_decrypt_like_sops() {
    let sandbox = Sandbox::new();
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let mut layouts = Vec::new();
    for tool in BOTH {
        let file = three_groups(&sandbox, tool);
        for keys in [
            ["age-alice", "age-bob"],
            ["age-alice", "age-carol"],
            ["age-bob", "age-carol"],
        ] {
            let out = decrypt_with(&sandbox, &file, &keys);
            assert!(
                out.success(),
                "{} {keys:?}: {}",
                tool.name(),
                out.describe()
            );
            support::assert_same_bytes("decrypted", &plain, &out.stdout);
        }
        for key in ["age-alice", "age-bob", "age-carol"] {
            let out = sandbox
                .cmd(Tool::Sops)
                .arg("decrypt")
                .arg(&file)
                .identity(Identity::AgeKeyFile(age_key_path(key)))
                .run();
            assert_eq!(
                out.code,
                Some(128),
                "{} with {key} only: {}",
                tool.name(),
                out.describe()
            );
        }
        layouts.push(normalize_encrypted(&text(&read(&file))));
    }
    support::assert_same_bytes(
        "layout of three groups",
        layouts[0].as_bytes(),
        layouts[1].as_bytes(),
    );
}

#[test]
fn groups_delete_matches_sops() {
    let sandbox = Sandbox::new();
    let mut files = Vec::new();
    for tool in BOTH {
        files.push((tool, three_groups(&sandbox, tool)));
    }
    // Deleting below the threshold is refused; both files stay as they are.
    for (tool, file) in &files {
        let before = read(file);
        let out = groups(
            &sandbox,
            *tool,
            file,
            &[
                "delete",
                "-f",
                "FILE",
                "-i",
                "--shamir-secret-sharing-threshold",
                "3",
                "1",
            ],
        );
        assert_eq!(out.code, Some(1), "{}", out.describe());
        support::assert_same_bytes("the file after a refused delete", &before, &read(file));
        let out = groups(&sandbox, *tool, file, &["delete", "-f", "FILE", "7"]);
        match tool {
            Tool::Sops => assert_eq!(out.code, Some(2), "sops panics: {}", out.describe()),
            Tool::SopsRs => assert_eq!(out.code, Some(1), "{}", out.describe()),
        }
        support::assert_same_bytes("the file after deleting group 7", &before, &read(file));
    }
    // Delete bob's group: alice + carol, threshold 2.
    let mut layouts = Vec::new();
    for (tool, file) in &files {
        let out = groups(&sandbox, *tool, file, &["delete", "-f", "FILE", "-i", "1"]);
        assert_eq!(out.code, Some(0), "{}", out.describe());
        assert_eq!(
            decrypt_with(&sandbox, file, &["age-alice", "age-bob"]).code,
            Some(128)
        );
        assert!(decrypt_with(&sandbox, file, &["age-alice", "age-carol"]).success());
        layouts.push(normalize_encrypted(&text(&read(file))));
    }
    support::assert_same_bytes(
        "layout after groups delete",
        layouts[0].as_bytes(),
        layouts[1].as_bytes(),
    );
}

#[test]
fn groups_errors_match_sops() {
    let sandbox = Sandbox::new();
    let bob = age_recipient("age-bob");
    let missing = sandbox.file("missing.yaml");
    for tool in BOTH {
        let out = groups(
            &sandbox,
            tool,
            &missing,
            &["add", "-f", "FILE", "--age", &bob],
        );
        assert_eq!(out.code, Some(2), "{}", out.describe());
        let out = groups(&sandbox, tool, &missing, &["delete", "-f", "FILE", "0"]);
        assert_eq!(out.code, Some(2), "{}", out.describe());
        // carol cannot open alice's file.
        let file = support::fixture("sops-3.11.0/yaml-age.yaml");
        let out = sandbox
            .cmd(tool)
            .args(["groups", "add", "-f"])
            .arg(&file)
            .args(["--age", &bob])
            .identity(Identity::AgeKeyFile(age_key_path("age-carol")))
            .run();
        assert_eq!(out.code, Some(1), "{}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
}
