//! `.sops.yaml` creation rules and `stores:` settings against the reference sops 3.11.0.
//! Encrypted outputs are compared by layout (ciphertexts masked, recipients kept), so the rule
//! each program picks, its keys, groups, threshold and partial-encryption options must agree.
//!
//! Verified with sops 3.11.0:
//!
//! * The config is looked for from the working directory upwards; `path_regex` is matched
//!   against the file's path relative to the config's directory (so `^sub/deeper/` matches
//!   `deeper/x.yaml` given in `sub/`); the first matching rule wins.
//! * `key_groups` + `shamir_threshold` give a Shamir file; key flags (`--age`) replace the
//!   rule's keys but its partial-encryption options still apply; a partial-encryption flag
//!   replaces the rule's. `stores: yaml: indent: 2` indents the encrypted YAML by two spaces.
//! * `--config FILE` before the subcommand (or `SOPS_CONFIG`) names the config. (sops rejects
//!   `--config` after the subcommand; sops-rs accepts it there too.)
//! * A config that is not valid YAML: exit **1** for encrypt, decrypt, edit, rotate, set,
//!   exec-env and filestatus. An invalid `path_regex`: encrypt **1**, but decrypt and filestatus
//!   work (0): they read only `stores:`. A missing `--config` file: **1**, for decrypt too.
//! * No rule matches: **1** "no matching creation rules found", even with `--age`.
//! * A config of comments only is an empty config: decrypt 0, encrypt with `--age` 0.
//! * A field of the wrong type (`creation_rules: 5`, `shamir_threshold: x`): **1** for every
//!   command, decrypt too, with go-yaml's "cannot unmarshal" message. A key list of the wrong
//!   type (`age: 5`) and an invalid `path_regex` matter only in a rule that matching reaches:
//!   encrypt **1** (even with `--age`), but decrypt, set and rotate work.

use crate::support;

use crate::support::{
    age_recipient, assert_parity, normalize_encrypted, Failures, Output, Sandbox, Tool,
};
use std::path::Path;

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const PLAIN: &str =
    "password: p\nuser: u\nnested:\n    token: t\n    other: o\nnote_clear: visible\n";

/// The sandbox: `.sops.yaml` at the top, plaintext files under `sub/`.
fn setup() -> Sandbox {
    let sandbox = Sandbox::new();
    let (a, b, c) = (
        age_recipient("age-alice"),
        age_recipient("age-bob"),
        age_recipient("age-carol"),
    );
    sandbox.write(
        ".sops.yaml",
        format!(
            "creation_rules:\n\
             \x20 - path_regex: ^sub/deeper/.*\\.yaml$\n    age: {c}\n\
             \x20 - path_regex: sub/.*secret.*\\.yaml$\n    age: {b}\n    encrypted_regex: ^(password|token)$\n\
             \x20 - path_regex: \\.json$\n    key_groups:\n      - age: [{a}]\n      - age: [{b}]\n      - age: [{c}]\n    shamir_threshold: 2\n\
             \x20 - path_regex: clear\\.yaml$\n    age: {a}\n    unencrypted_suffix: _clear\n    mac_only_encrypted: true\n\
             \x20 - age: {a}\n\
             stores:\n  yaml:\n    indent: 2\n"
        ),
    );
    std::fs::create_dir_all(sandbox.file("sub/deeper")).unwrap();
    for name in [
        "sub/my-secret.yaml",
        "sub/deeper/secret.yaml",
        "sub/plain.yaml",
        "sub/keep-clear.yaml",
    ] {
        sandbox.write(name, PLAIN);
    }
    sandbox.write("sub/a.json", "{\"password\": \"p\", \"user\": \"u\"}\n");
    sandbox
}

/// Runs `args` in `dir` with both programs; they must agree on the exit code and, on
/// success, on the layout of what they print. Returns sops-rs's output.
fn compare_encrypt(
    sandbox: &Sandbox,
    dir: &Path,
    args: &[&str],
    code: i32,
) -> Result<Output, String> {
    let run = |tool| sandbox.cmd(tool).args(args).current_dir(dir).run();
    let (reference, ours) = (run(Tool::Sops), run(Tool::SopsRs));
    if reference.code != Some(code) {
        return Err(format!(
            "the reference sops no longer exits with {code}: {}",
            reference.describe()
        ));
    }
    if ours.code != reference.code {
        return Err(format!(
            "exit code differs: sops {:?}, sops-rs {}",
            reference.code,
            ours.describe()
        ));
    }
    let (r, o) = (
        normalize_encrypted(&text(&reference.stdout)),
        normalize_encrypted(&text(&ours.stdout)),
    );
    match support::difference(r.as_bytes(), o.as_bytes()) {
        Some(d) => Err(format!("layout differs: {d}")),
        None => Ok(ours),
    }
}

fn expect_recipients(out: &Output, names: &[&str]) -> Option<String> {
    let t = text(&out.stdout);
    let found: Vec<&str> = ["age-alice", "age-bob", "age-carol"]
        .into_iter()
        .filter(|n| t.contains(&age_recipient(n)))
        .collect();
    (found != names).then(|| format!("recipients {found:?}, expected {names:?}"))
}

#[test]
fn creation_rules_are_picked_like_sops() {
    let sandbox = setup();
    let sub = sandbox.file("sub");
    let mut failures = Failures::new();
    for (file, recipients) in [
        // ^sub/deeper/ matches though the path given is relative to sub/; the first match wins
        // over the `secret` rule.
        ("deeper/secret.yaml", &["age-carol"][..]),
        ("my-secret.yaml", &["age-bob"][..]),
        ("a.json", &["age-alice", "age-bob", "age-carol"][..]),
        ("keep-clear.yaml", &["age-alice"][..]),
        ("plain.yaml", &["age-alice"][..]),
    ] {
        let failure = match compare_encrypt(&sandbox, &sub, &["encrypt", file], 0) {
            Err(e) => Some(e),
            Ok(out) => expect_recipients(&out, recipients),
        };
        failures.check(file, failure);
    }
    failures.finish("creation rule selection");

    // stores: yaml: indent: 2.
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["encrypt", "my-secret.yaml"])
        .current_dir(&sub)
        .run()
        .expect_success();
    let t = text(&out.stdout);
    assert!(
        t.contains("\n  token: ENC[") && t.contains("\n  age:\n"),
        "indent 2:\n{t}"
    );
    // encrypted_regex from the rule: `user` and `other` stay in plaintext.
    assert!(t.contains("user: u\n") && t.contains("other: o\n"), "{t}");
}

#[test]
fn shamir_rule_needs_two_groups() {
    let sandbox = setup();
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["encrypt", "sub/a.json"])
        .run()
        .expect_success();
    let file = sandbox.write("sub/a.enc.json", &out.stdout);
    assert!(text(&out.stdout).contains("\"shamir_threshold\": 2"));
    let decrypt = |keys: &[&str]| {
        sandbox
            .cmd(Tool::Sops)
            .arg("decrypt")
            .arg(&file)
            .identity(sandbox.age_keys(keys))
            .run()
    };
    assert_eq!(decrypt(&["age-carol"]).code, Some(128));
    let two = decrypt(&["age-bob", "age-carol"]);
    assert!(two.success(), "{}", two.describe());
}

#[test]
fn flags_override_the_rule_like_sops() {
    let sandbox = setup();
    let sub = sandbox.file("sub");
    let bob = age_recipient("age-bob");
    let mut failures = Failures::new();
    let cases: [(&[&str], &[&str], &str); 4] = [
        // --age replaces the keys; the rule's encrypted_regex still applies.
        (
            &["encrypt", "--age", &bob, "plain.yaml"],
            &["age-bob"],
            "user: ENC[",
        ),
        (
            &["encrypt", "--age", &bob, "my-secret.yaml"],
            &["age-bob"],
            "user: u\n",
        ),
        // A partial-encryption flag replaces the rule's.
        (
            &["encrypt", "--encrypted-regex", "^user$", "my-secret.yaml"],
            &["age-bob"],
            "password: p\n",
        ),
        (
            &["encrypt", "keep-clear.yaml"],
            &["age-alice"],
            "note_clear: visible\n",
        ),
    ];
    for (args, recipients, marker) in cases {
        let failure = match compare_encrypt(&sandbox, &sub, args, 0) {
            Err(e) => Some(e),
            Ok(out) => expect_recipients(&out, recipients).or_else(|| {
                (!text(&out.stdout).contains(marker))
                    .then(|| format!("{marker:?} not in the output"))
            }),
        };
        failures.check(&args.join(" "), failure);
    }
    failures.finish("flags over .sops.yaml");
}

#[test]
fn explicit_config_matches_sops() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.file("conf/data")).unwrap();
    sandbox.write(
        "conf/other.yaml",
        format!(
            "creation_rules:\n  - path_regex: ^data/\n    age: {}\n  - age: {}\n",
            age_recipient("age-bob"),
            age_recipient("age-carol")
        ),
    );
    sandbox.write("conf/data/f.yaml", PLAIN);
    sandbox.write("plain.yaml", PLAIN);
    let root = sandbox.path().to_path_buf();
    let mut failures = Failures::new();
    for (args, recipients) in [
        (
            &["--config", "conf/other.yaml", "encrypt", "conf/data/f.yaml"][..],
            &["age-bob"][..],
        ),
        (
            &["--config", "conf/other.yaml", "encrypt", "plain.yaml"][..],
            &["age-carol"][..],
        ),
        (
            &["--config=conf/other.yaml", "encrypt", "plain.yaml"][..],
            &["age-carol"][..],
        ),
    ] {
        let failure = match compare_encrypt(&sandbox, &root, args, 0) {
            Err(e) => Some(e),
            Ok(out) => expect_recipients(&out, recipients),
        };
        failures.check(&args.join(" "), failure);
    }
    // SOPS_CONFIG.
    let outs: Vec<Output> = BOTH
        .iter()
        .map(|&tool| {
            sandbox
                .cmd(tool)
                .args(["encrypt", "plain.yaml"])
                .env("SOPS_CONFIG", "conf/other.yaml")
                .run()
        })
        .collect();
    failures.check(
        "SOPS_CONFIG",
        outs.iter().find_map(|o| {
            expect_recipients(o, &["age-carol"]).map(|f| format!("{}: {f}", o.describe()))
        }),
    );
    failures.finish("--config");
    let missing = sandbox.file("nope.yaml");
    let missing = missing.to_str().unwrap();
    assert_parity(&sandbox, &["--config", missing, "encrypt", "plain.yaml"], 1);
    let fixture = support::fixture("sops-3.11.0/yaml-age.yaml");
    assert_parity(
        &sandbox,
        &["--config", missing, "decrypt", fixture.to_str().unwrap()],
        1,
    );
}

#[test]
fn broken_and_odd_configs_match_sops() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "enc.yaml");
    sandbox.copy_fixture("sops-3.11.0/credentials-age.yaml", "cred.yaml");
    sandbox.write("plain.yaml", PLAIN);
    let mut failures = Failures::new();
    let mut check = |config: &str, args: &[&str], code: i32| {
        sandbox.write(".sops.yaml", config);
        let run = |tool| sandbox.cmd(tool).args(args).env("EDITOR", "true").run();
        let (reference, ours) = (run(Tool::Sops), run(Tool::SopsRs));
        let case = format!("config {config:?}: {}", args.join(" "));
        if reference.code != Some(code) {
            failures.push(
                &case,
                format!(
                    "the reference sops no longer exits with {code}: {}",
                    reference.describe()
                ),
            );
        }
        let failure = (ours.code != reference.code).then(|| {
            format!(
                "exit code differs: sops {:?}, sops-rs {}",
                reference.code,
                ours.describe()
            )
        });
        failures.check(&case, failure);
    };
    let not_yaml = "creation_rules: [\n";
    check(not_yaml, &["encrypt", "--age", &alice, "plain.yaml"], 1);
    check(not_yaml, &["decrypt", "enc.yaml"], 1);
    check(not_yaml, &["-d", "enc.yaml"], 1);
    check(not_yaml, &["edit", "enc.yaml"], 1);
    check(not_yaml, &["rotate", "enc.yaml"], 1);
    check(not_yaml, &["set", "enc.yaml", "[\"a\"]", "1"], 1);
    check(not_yaml, &["exec-env", "cred.yaml", "true"], 1);
    check(not_yaml, &["filestatus", "enc.yaml"], 1);
    let bad_regex = format!("creation_rules:\n  - path_regex: \"[\"\n    age: {alice}\n");
    check(&bad_regex, &["encrypt", "plain.yaml"], 1);
    check(&bad_regex, &["decrypt", "enc.yaml"], 0);
    check(&bad_regex, &["filestatus", "enc.yaml"], 0);
    let two_partial = format!(
        "creation_rules:\n  - encrypted_regex: a\n    unencrypted_regex: b\n    age: {alice}\n"
    );
    check(&two_partial, &["encrypt", "plain.yaml"], 1);
    check(&two_partial, &["decrypt", "enc.yaml"], 0);
    let json_only = format!("creation_rules:\n  - path_regex: \\.json$\n    age: {alice}\n");
    check(&json_only, &["encrypt", "plain.yaml"], 1);
    check(&json_only, &["encrypt", "--age", &alice, "plain.yaml"], 1);
    check(&json_only, &["edit", "new.yaml"], 1);
    check(&json_only, &["decrypt", "enc.yaml"], 0);
    check("# only a comment\n", &["decrypt", "enc.yaml"], 0);
    check(
        "# only a comment\n",
        &["encrypt", "--age", &alice, "plain.yaml"],
        0,
    );
    check("", &["encrypt", "--age", &alice, "plain.yaml"], 0);
    check("# only a comment\n", &["encrypt", "plain.yaml"], 1);
    // A field of the wrong type fails every command that reads the config; a key list of the
    // wrong type only the commands that use the matching rule.
    let wrong_type = "creation_rules: 5\n";
    check(wrong_type, &["encrypt", "--age", &alice, "plain.yaml"], 1);
    check(wrong_type, &["decrypt", "enc.yaml"], 1);
    check(wrong_type, &["rotate", "enc.yaml"], 1);
    check(wrong_type, &["filestatus", "enc.yaml"], 1);
    check(wrong_type, &["edit", "new.yaml"], 1);
    let wrong_threshold = format!("creation_rules:\n  - shamir_threshold: x\n    age: {alice}\n");
    check(&wrong_threshold, &["encrypt", "plain.yaml"], 1);
    check(&wrong_threshold, &["decrypt", "enc.yaml"], 1);
    let wrong_key_list = "creation_rules:\n  - age: 5\n";
    check(
        wrong_key_list,
        &["encrypt", "--age", &alice, "plain.yaml"],
        1,
    );
    check(wrong_key_list, &["decrypt", "enc.yaml"], 0);
    check(wrong_key_list, &["set", "enc.yaml", "[\"a\"]", "1"], 0);
    // A broken rule matters only when matching reaches it.
    let broken_later = format!("creation_rules:\n  - age: {alice}\n  - path_regex: \"[\"\n");
    check(&broken_later, &["encrypt", "plain.yaml"], 0);
    check(&bad_regex, &["rotate", "enc.yaml"], 0);
    failures.finish("broken configs");
    assert!(!sandbox.file("new.yaml").exists());
}
