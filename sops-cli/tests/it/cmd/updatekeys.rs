//! `sops-rs updatekeys` against the reference sops 3.11.0. Verified with sops 3.11.0:
//!
//! * With a `.sops.yaml` rule that adds bob, `updatekeys -y FILE` prints (stdout)
//!   "The following changes will be made to the file's groups:", then per group `Group N`, the
//!   kept keys indented by four spaces, added keys as `+++ KEY`, removed ones as `--- KEY`
//!   (before the groups, `shamir_threshold: N`, or `+++`/`---` lines when it changes). Exit 0;
//!   bob can decrypt; the values, `lastmodified` and `mac` are untouched (same data key).
//! * A second run: exit 0, nothing on stdout, "already up to date" on stderr, file untouched.
//! * Without `-y` it asks "Is this okay? (y/n):": `n` → 0, file untouched; end of input → **1**
//!   ("EOF"); another answer → asks again.
//! * The threshold is the file's, capped by the rule's number of groups (the rule's own
//!   `shamir_threshold` is not used); a file of one group that gets two has threshold 2.
//! * No `.sops.yaml`: **1** "config file not found"; a file that does not exist: **1**; no
//!   matching rule: **1** "no matching creation rules found".

use crate::support;

use crate::support::{
    age_key_path, age_recipient, compare_runs, normalize_encrypted, read, Identity, Output,
    Sandbox, Tool,
};
use std::path::{Path, PathBuf};

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn config(sandbox: &Sandbox, body: &str) {
    sandbox.write(".sops.yaml", body);
}

fn two_recipients_rule() -> String {
    format!(
        "creation_rules:\n  - path_regex: \\.yaml$\n    age: {},{}\n",
        age_recipient("age-alice"),
        age_recipient("age-bob")
    )
}

/// Copies a fixture to `<tool>-<name>` and runs `updatekeys ARGS… FILE` with `stdin`.
fn updatekeys(
    sandbox: &Sandbox,
    tool: Tool,
    rel: &str,
    name: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> (Output, PathBuf) {
    let file = sandbox.copy_fixture(rel, &format!("{}-{name}", tool.name()));
    let mut cmd = sandbox.cmd(tool).arg("updatekeys").args(args).arg(&file);
    if let Some(s) = stdin {
        cmd = cmd.stdin(s);
    }
    (cmd.run(), file)
}

/// The lines of an encrypted YAML file that updatekeys must not touch: everything before
/// `sops:`, and `lastmodified`, `mac` and `version`.
fn untouched_part(file: &Path) -> String {
    let t = text(&read(file));
    let (values, meta) = t.split_once("\nsops:\n").expect("a YAML sops file");
    let kept: Vec<&str> = meta
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            l.starts_with("lastmodified:") || l.starts_with("mac:") || l.starts_with("version:")
        })
        .collect();
    format!("{values}\n{}", kept.join("\n"))
}

fn decrypt_as(sandbox: &Sandbox, file: &Path, identity: Identity) -> Output {
    sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(file)
        .identity(identity)
        .run()
}

#[test]
fn updatekeys_adds_bob_like_sops() {
    let sandbox = Sandbox::new();
    config(&sandbox, &two_recipients_rule());
    let rel = "sops-3.11.0/yaml-age.yaml";
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let mut runs = Vec::new();
    for tool in BOTH {
        let (out, file) = updatekeys(&sandbox, tool, rel, "add-bob.yaml", &["-y"], None);
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let bob = decrypt_as(
            &sandbox,
            &file,
            Identity::AgeKeyFile(age_key_path("age-bob")),
        );
        assert!(
            bob.success(),
            "{}: bob cannot decrypt: {}",
            tool.name(),
            bob.describe()
        );
        support::assert_same_bytes("bob's plaintext", &plain, &bob.stdout);
        support::assert_same_bytes(
            &format!(
                "{}: values, lastmodified, mac and version after updatekeys",
                tool.name()
            ),
            untouched_part(&support::fixture(rel)).as_bytes(),
            untouched_part(&file).as_bytes(),
        );
        runs.push((out, file));
    }
    let (reference, ours) = (&runs[0].0, &runs[1].0);
    assert!(text(&reference.stdout).contains("+++ "));
    if let Some(f) = compare_runs(reference, ours) {
        panic!("updatekeys -y: {f}");
    }
    support::assert_same_bytes(
        "layout after updatekeys",
        normalize_encrypted(&text(&read(&runs[0].1))).as_bytes(),
        normalize_encrypted(&text(&read(&runs[1].1))).as_bytes(),
    );

    // Up to date now: nothing to print, nothing to write.
    for (_, file) in &runs {
        let before = read(file);
        for tool in BOTH {
            let out = sandbox.cmd(tool).args(["updatekeys", "-y"]).arg(file).run();
            assert_eq!(out.code, Some(0), "{}", out.describe());
            assert!(out.stdout.is_empty(), "{}", out.describe());
            assert!(
                out.stderr_text().contains("already up to date"),
                "{}",
                out.describe()
            );
            support::assert_same_bytes("an up-to-date file", &before, &read(file));
        }
    }
}

#[test]
fn updatekeys_asks_for_confirmation_like_sops() {
    let sandbox = Sandbox::new();
    config(&sandbox, &two_recipients_rule());
    let rel = "sops-3.11.0/yaml-age.yaml";
    let original = read(&support::fixture(rel));
    for (stdin, code, changed) in [
        (None, 1, false),
        (Some("n\n"), 0, false),
        (Some("maybe\n"), 1, false),
        (Some("maybe\ny\n"), 0, true),
        (Some("y\n"), 0, true),
    ] {
        let mut runs = Vec::new();
        for tool in BOTH {
            let (out, file) = updatekeys(&sandbox, tool, rel, "ask.yaml", &[], stdin);
            assert_eq!(out.code, Some(code), "stdin {stdin:?}: {}", out.describe());
            assert_eq!(
                read(&file) != original,
                changed,
                "{} with stdin {stdin:?}: file changed?",
                tool.name()
            );
            runs.push(out);
        }
        if let Some(f) = compare_runs(&runs[0], &runs[1]) {
            panic!("updatekeys with stdin {stdin:?}: {f}");
        }
    }
}

#[test]
fn updatekeys_with_key_groups_and_shamir_like_sops() {
    let sandbox = Sandbox::new();
    let (a, b, c) = (
        age_recipient("age-alice"),
        age_recipient("age-bob"),
        age_recipient("age-carol"),
    );
    // One group → two; the rule's shamir_threshold (1) is not what updatekeys uses.
    config(
        &sandbox,
        &format!(
            "creation_rules:\n  - key_groups:\n      - age: [{a}]\n      - age: [{b}, {c}]\n    \
             shamir_threshold: 1\n"
        ),
    );
    let all = sandbox.age_keys(&["age-alice", "age-bob", "age-carol"]);
    for rel in [
        "sops-3.11.0/yaml-age.yaml",
        "sops-3.11.0/yaml-shamir-2of3.yaml",
    ] {
        let mut runs = Vec::new();
        for tool in BOTH {
            let file = sandbox.copy_fixture(rel, &format!("{}-groups.yaml", tool.name()));
            let out = sandbox
                .cmd(tool)
                .args(["updatekeys", "-y"])
                .arg(&file)
                .identity(all.clone())
                .run();
            assert_eq!(out.code, Some(0), "{rel}: {}", out.describe());
            runs.push((out, file));
        }
        if let Some(f) = compare_runs(&runs[0].0, &runs[1].0) {
            panic!("{rel}: {f}");
        }
        support::assert_same_bytes(
            &format!("{rel}: layout after updatekeys"),
            normalize_encrypted(&text(&read(&runs[0].1))).as_bytes(),
            normalize_encrypted(&text(&read(&runs[1].1))).as_bytes(),
        );
        // Both groups are needed: alice alone cannot decrypt, alice + carol can.
        let ours = &runs[1].1;
        assert!(text(&read(ours)).contains("shamir_threshold: 2"));
        let alone = decrypt_as(
            &sandbox,
            ours,
            Identity::AgeKeyFile(age_key_path("age-alice")),
        );
        assert_eq!(alone.code, Some(128), "{}", alone.describe());
        let two = decrypt_as(
            &sandbox,
            ours,
            sandbox.age_keys(&["age-alice", "age-carol"]),
        );
        assert!(two.success(), "{}", two.describe());
    }
}

#[test]
fn updatekeys_errors_match_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let f = file.to_str().unwrap();
    // No .sops.yaml at all.
    support::assert_parity(&sandbox, &["updatekeys", "-y", f], 1);
    config(&sandbox, &two_recipients_rule());
    let missing = sandbox.file("missing.yaml");
    support::assert_parity(
        &sandbox,
        &["updatekeys", "-y", missing.to_str().unwrap()],
        1,
    );
    // The rule is for .yaml files only.
    let json = sandbox.copy_fixture("sops-3.11.0/json-age.json", "secrets.json");
    support::assert_parity(&sandbox, &["updatekeys", "-y", json.to_str().unwrap()], 1);
    support::assert_same_bytes(
        "a file updatekeys refused",
        &read(&support::fixture("sops-3.11.0/json-age.json")),
        &read(&json),
    );
}

/// What an updatekeys run reported on stderr about each file, in order (sops adds timestamps
/// and "Syncing keys" lines; the outcomes and their order are what must agree).
fn outcomes(out: &Output) -> Vec<String> {
    out.stderr_text()
        .lines()
        .filter_map(|l| {
            let name = l
                .split([' ', '"'])
                .find(|w| w.starts_with('/'))
                .and_then(|w| w.trim_end_matches(':').rsplit('/').next())
                .map(|n| n.trim_start_matches("sops-rs-").trim_start_matches("sops-"));
            if l.contains("synced with new keys") {
                Some(format!("synced {}", name.unwrap_or("?")))
            } else if l.contains("already up to date") {
                Some(format!("up to date {}", name.unwrap_or("?")))
            } else if l.contains("no matching creation rules") {
                Some("no matching rule".to_owned())
            } else if l.contains("stat ") {
                Some(format!("stat {}", name.unwrap_or("?")))
            } else if l.contains("failed updating") {
                Some(l.trim().to_owned())
            } else {
                None
            }
        })
        .collect()
}

/// Several files with `-y` (opened and written on several threads by sops-rs): the same
/// stdout, exit code, outcomes in argument order and resulting files as sops file by file,
/// with a file to change, one without a matching rule, a missing one, one already up to date
/// and another to change.
#[test]
fn updatekeys_many_files_like_sops() {
    let sandbox = Sandbox::new();
    config(&sandbox, &two_recipients_rule());
    let mut runs = Vec::new();
    for tool in BOTH {
        let name = |n: &str| format!("{}-{n}", tool.name());
        let a = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", &name("a.yaml"));
        let b = sandbox.copy_fixture("sops-3.11.0/json-age.json", &name("b.json"));
        let missing = sandbox.file(&name("missing.yaml"));
        let (up, e) = updatekeys(
            &sandbox,
            tool,
            "sops-3.11.0/yaml-age.yaml",
            "e.yaml",
            &["-y"],
            None,
        );
        assert_eq!(up.code, Some(0), "{}", up.describe());
        let c = sandbox.copy_fixture("sops-3.11.0/credentials-age.yaml", &name("c.yaml"));
        let before_b = read(&b);
        let before_e = read(&e);
        let out = sandbox
            .cmd(tool)
            .args(["updatekeys", "-y"])
            .args([&a, &b, &missing, &e, &c])
            .run();
        assert_eq!(
            read(&b),
            before_b,
            "{}: the file without a rule is untouched",
            tool.name()
        );
        assert_eq!(
            read(&e),
            before_e,
            "{}: the up-to-date file is untouched",
            tool.name()
        );
        for (file, plain) in [(&a, "yaml-age"), (&c, "credentials-age")] {
            let bob = decrypt_as(
                &sandbox,
                file,
                Identity::AgeKeyFile(age_key_path("age-bob")),
            );
            assert!(
                bob.success(),
                "{}: bob cannot decrypt {}: {}",
                tool.name(),
                file.display(),
                bob.describe()
            );
            support::assert_same_bytes(
                "bob's plaintext",
                &read(&support::fixture(&format!(
                    "sops-3.11.0/{plain}.plain.yaml"
                ))),
                &bob.stdout,
            );
        }
        runs.push(out);
    }
    let (reference, ours) = (&runs[0], &runs[1]);
    assert_eq!(reference.code, Some(1), "{}", reference.describe());
    if let Some(f) = compare_runs(reference, ours) {
        panic!("updatekeys -y FILE…: {f}");
    }
    let expected = [
        "synced a.yaml",
        "no matching rule",
        "stat missing.yaml",
        "up to date e.yaml",
        "synced c.yaml",
        "failed updating 2 key(s)",
    ];
    assert_eq!(outcomes(reference), expected, "{}", reference.describe());
    assert_eq!(outcomes(ours), expected, "{}", ours.describe());
}
