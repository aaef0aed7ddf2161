//! `sops-rs rotate` (and the legacy `-r`) against the reference sops 3.11.0. Verified with
//! sops 3.11.0:
//!
//! * `rotate FILE` prints the file with a new data key: every value is encrypted again (new IV,
//!   ciphertext and tag), the plaintext and the layout are the same; `-i` rewrites the file
//!   (mode kept); `--output F` creates F with mode 0666 less the umask.
//! * `--add-age R` adds a recipient to the first key group (R can then decrypt); `--rm-age R`
//!   removes one (R then gets **128**); removing the last key of a group is exit **1** "Could
//!   not generate data key: [empty key group provided]"; an invalid recipient is **1**.
//! * `-i` together with `--output`: **8**.
//! * A file that does not exist: `rotate` **2** (read error), legacy `-r` **100**.
//! * Age entries without `created_at` (as in the fixtures) stay without it.

use crate::support;

use crate::support::{
    age_key_path, age_recipient, assert_parity, mode, normalize_encrypted, read, Identity, Output,
    Sandbox, Tool,
};
use std::path::Path;

const BOTH: [Tool; 2] = [Tool::Sops, Tool::SopsRs];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn decrypt_as(sandbox: &Sandbox, file: &Path, key: &str) -> Output {
    sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .arg(file)
        .identity(Identity::AgeKeyFile(age_key_path(key)))
        .run()
}

/// Every `ENC[…]` value (the MAC's included): data, IV and tag. (Not the data alone: a
/// one-byte value has a 1 in 256 chance of getting the same ciphertext byte again.)
fn ciphertexts(file: &str) -> Vec<String> {
    file.split("ENC[AES256_GCM,")
        .skip(1)
        .map(|rest| rest.split(']').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn rotate_reencrypts_every_value_like_sops() {
    let sandbox = Sandbox::new();
    let original = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let before = ciphertexts(&text(&read(&original)));
    assert!(before.len() > 20);
    let mut layouts = Vec::new();
    for tool in BOTH {
        let out = sandbox.cmd(tool).arg("rotate").arg(&original).run();
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let rotated = sandbox.write(&format!("{}-rotated.yaml", tool.name()), &out.stdout);
        let back = decrypt_as(&sandbox, &rotated, "age-alice").expect_success();
        support::assert_same_bytes(
            &format!("sops decrypt after {} rotate", tool.name()),
            &plain,
            &back.stdout,
        );
        let after = ciphertexts(&text(&out.stdout));
        assert_eq!(after.len(), before.len(), "{}", tool.name());
        let kept: Vec<&String> = after.iter().filter(|c| before.contains(c)).collect();
        assert!(
            kept.is_empty(),
            "{}: values kept their ciphertext through rotate: {kept:?}",
            tool.name()
        );
        assert!(
            !text(&out.stdout).contains("created_at"),
            "{}: no created_at appears for age entries that had none",
            tool.name()
        );
        layouts.push(normalize_encrypted(&text(&out.stdout)));
    }
    support::assert_same_bytes(
        "layout of the rotated file",
        layouts[0].as_bytes(),
        layouts[1].as_bytes(),
    );
    support::assert_same_bytes(
        "rotate without -i leaves the file alone",
        &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
        &read(&original),
    );
}

#[test]
fn rotate_in_place_and_to_an_output_file_like_sops() {
    let sandbox = Sandbox::new();
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let mut new_modes = Vec::new();
    for tool in BOTH {
        let file = sandbox.copy_fixture(
            "sops-3.11.0/yaml-age.yaml",
            &format!("{}.yaml", tool.name()),
        );
        support::set_mode(&file, 0o600);
        let out = sandbox.cmd(tool).args(["rotate", "-i"]).arg(&file).run();
        assert!(out.success() && out.stdout.is_empty(), "{}", out.describe());
        assert_eq!(
            format!("{:o}", mode(&file)),
            "600",
            "{}: -i keeps the mode",
            tool.name()
        );
        assert_ne!(
            read(&file),
            read(&support::fixture("sops-3.11.0/yaml-age.yaml"))
        );
        support::assert_same_bytes(
            "decrypt after rotate -i",
            &plain,
            &decrypt_as(&sandbox, &file, "age-alice")
                .expect_success()
                .stdout,
        );

        let target = sandbox.file(&format!("{}-out.yaml", tool.name()));
        let out = sandbox
            .cmd(tool)
            .args(["rotate", "--output"])
            .arg(&target)
            .arg(&file)
            .run();
        assert!(out.success() && out.stdout.is_empty(), "{}", out.describe());
        new_modes.push(mode(&target));
        support::assert_same_bytes(
            "decrypt of the --output file",
            &plain,
            &decrypt_as(&sandbox, &target, "age-alice")
                .expect_success()
                .stdout,
        );
    }
    assert_eq!(
        format!("{:o}", new_modes[1]),
        format!("{:o}", new_modes[0]),
        "a new encrypted --output file gets the mode sops gives it (0666 less the umask)"
    );
    let file = sandbox.file("sops-rs.yaml");
    let out = sandbox.file("conflict.yaml");
    assert_parity(
        &sandbox,
        &[
            "rotate",
            "-i",
            "--output",
            out.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        8,
    );
}

#[test]
fn add_age_lets_bob_decrypt_and_rm_age_locks_alice_out() {
    let sandbox = Sandbox::new();
    let source = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let plain = read(&support::fixture("sops-3.11.0/yaml-age.plain.yaml"));
    let bob = age_recipient("age-bob");
    let alice = age_recipient("age-alice");
    let mut layouts = Vec::new();
    for tool in BOTH {
        assert_eq!(decrypt_as(&sandbox, &source, "age-bob").code, Some(128));
        let out = sandbox
            .cmd(tool)
            .args(["rotate", "--add-age", &bob])
            .arg(&source)
            .run();
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let added = sandbox.write(&format!("{}-added.yaml", tool.name()), &out.stdout);
        for key in ["age-alice", "age-bob"] {
            let back = decrypt_as(&sandbox, &added, key);
            assert!(
                back.success(),
                "{} after {} --add-age: {}",
                key,
                tool.name(),
                back.describe()
            );
            support::assert_same_bytes("decrypted", &plain, &back.stdout);
        }

        let out = sandbox
            .cmd(tool)
            .args(["rotate", "--rm-age", &alice])
            .arg(&added)
            .run();
        assert_eq!(out.code, Some(0), "{}", out.describe());
        let removed = sandbox.write(&format!("{}-removed.yaml", tool.name()), &out.stdout);
        assert!(decrypt_as(&sandbox, &removed, "age-bob").success());
        let locked_out = decrypt_as(&sandbox, &removed, "age-alice");
        assert_eq!(
            locked_out.code,
            Some(128),
            "{}: alice was removed: {}",
            tool.name(),
            locked_out.describe()
        );
        layouts.push((
            normalize_encrypted(&text(&read(&added))),
            normalize_encrypted(&text(&read(&removed))),
        ));
    }
    support::assert_same_bytes(
        "layout after --add-age",
        layouts[0].0.as_bytes(),
        layouts[1].0.as_bytes(),
    );
    support::assert_same_bytes(
        "layout after --rm-age",
        layouts[0].1.as_bytes(),
        layouts[1].1.as_bytes(),
    );
    // The legacy form does the same.
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["-r", "--add-age", &bob])
        .arg(&source)
        .run();
    assert!(out.success(), "{}", out.describe());
    let legacy = sandbox.write("legacy-added.yaml", &out.stdout);
    assert!(decrypt_as(&sandbox, &legacy, "age-bob").success());
}

#[test]
fn refused_rotations_match_sops() {
    let sandbox = Sandbox::new();
    let file = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "secrets.yaml");
    let f = file.to_str().unwrap();
    let alice = age_recipient("age-alice");
    // The only key of the only group.
    assert_parity(&sandbox, &["rotate", "--rm-age", &alice, f], 1);
    assert_parity(&sandbox, &["rotate", "-i", "--rm-age", &alice, f], 1);
    assert_parity(&sandbox, &["rotate", "--add-age", "not-a-recipient", f], 1);
    // Removing a key that is not there is no error (the output is random: layouts compared).
    let layouts: Vec<String> = BOTH
        .iter()
        .map(|&tool| {
            let out = sandbox
                .cmd(tool)
                .args(["rotate", "--rm-age", &age_recipient("age-carol"), f])
                .run();
            assert_eq!(out.code, Some(0), "{}", out.describe());
            normalize_encrypted(&text(&out.stdout))
        })
        .collect();
    support::assert_same_bytes("layout", layouts[0].as_bytes(), layouts[1].as_bytes());
    support::assert_same_bytes(
        "the file after refused rotations",
        &read(&support::fixture("sops-3.11.0/yaml-age.yaml")),
        &read(&file),
    );
    let missing = sandbox.file("missing.yaml");
    assert_parity(&sandbox, &["rotate", missing.to_str().unwrap()], 2);
    assert_parity(&sandbox, &["-r", missing.to_str().unwrap()], 100);
    // The wrong key cannot rotate.
    for tool in BOTH {
        let out = sandbox
            .cmd(tool)
            .args(["rotate", f])
            .identity(Identity::AgeKeyFile(age_key_path("age-carol")))
            .run();
        assert_eq!(out.code, Some(128), "{}", out.describe());
    }
}
