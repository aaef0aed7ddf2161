//! Wrapping: the armor format sops writes, interop with the stock `age` CLI, recipient parsing.

use super::support;

use super::support::{data, entry, read};
use sops_core::KeySource;
use sops_keys::age::IdentityEnv;
use sops_keys::age::{encrypt_armored, parse_recipient, parse_recipients, AgeKeySource};
use std::path::PathBuf;
use std::process::Command;

const ALICE: &str = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";
const BOB: &str = "age1fjq5lm8yze994jsq3rztxklru0p0w966j7ct89mm9xxd5ym6j47s5au0az";

fn secret(len: usize) -> Vec<u8> {
    (0..len as u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect()
}

/// Checks the armor layout sops writes (an ASCII-armored age file, 64-column lines).
fn assert_sops_armor(enc: &str) {
    let lines: Vec<&str> = enc.split_inclusive('\n').collect();
    assert_eq!(lines[0], "-----BEGIN AGE ENCRYPTED FILE-----\n");
    assert_eq!(*lines.last().unwrap(), "-----END AGE ENCRYPTED FILE-----\n");
    let body = &lines[1..lines.len() - 1];
    assert!(!body.is_empty());
    for (i, line) in body.iter().enumerate() {
        let text = line.strip_suffix('\n').expect("LF line ends");
        assert!(!text.contains('\r'));
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)));
        if i + 1 < body.len() {
            assert_eq!(text.len(), 64, "full body lines are 64 columns");
        } else {
            assert!(!text.is_empty() && text.len() <= 64);
        }
    }
}

#[test]
fn wrap_writes_sops_armor_and_round_trips() {
    let source = AgeKeySource::from_identity_text(&read("age-alice.txt")).unwrap();
    for len in [32, 33] {
        let mut e = entry(&format!("  {ALICE}\n"), None);
        source.wrap(&mut e, &secret(len)).unwrap();
        assert_eq!(e.fields[0].0, "recipient");
        assert_eq!(e.fields[1].0, "enc");
        assert_eq!(e.field("recipient"), Some(ALICE), "stored trimmed");
        assert_sops_armor(e.field("enc").unwrap());
        let back = source.unwrap(&e).unwrap().unwrap();
        assert_eq!(back.secret_bytes(), &secret(len)[..]);
    }
}

#[test]
fn wrap_to_ssh_recipients_round_trips() {
    let ed25519 = read("ssh-ed25519.pub");
    let rsa = read("ssh-rsa.pub");
    for (public, private) in [(ed25519.trim(), "ssh-ed25519"), (rsa.trim(), "ssh-rsa")] {
        let env = IdentityEnv::new(
            [(
                "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                data(private).display().to_string(),
            )],
            None,
        );
        let source = AgeKeySource::with_env(env);
        let mut e = entry(public, None);
        source.wrap(&mut e, &secret(32)).unwrap();
        assert_sops_armor(e.field("enc").unwrap());
        let back = source.unwrap(&e).unwrap().unwrap();
        assert_eq!(back.secret_bytes(), &secret(32)[..], "{private}");
    }
}

/// The stock age CLI, if installed. CI installs it (Debian package `age`); elsewhere the
/// interop test is skipped with a note unless `CI` is set.
fn age_cli() -> Option<PathBuf> {
    let found = ["/usr/bin/age", "/usr/local/bin/age"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the age CLI is required in CI"
        );
        eprintln!("note: age CLI not installed; skipping the interop check");
    }
    found
}

#[test]
fn age_cli_decrypts_what_we_wrap() {
    let Some(age) = age_cli() else { return };
    for (recipient, identity, len) in [
        (ALICE, "age-alice.txt", 32),
        (ALICE, "age-alice.txt", 33),
        (read("ssh-ed25519.pub").trim(), "ssh-ed25519", 32),
    ] {
        let enc = encrypt_armored(recipient, &secret(len)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("enc.age");
        std::fs::write(&file, &enc).unwrap();
        let out = Command::new(&age)
            .arg("-d")
            .arg("-i")
            .arg(data(identity))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, secret(len), "{recipient}");
    }
}

#[test]
fn recipient_list_is_split_and_trimmed() {
    let ssh = read("ssh-ed25519.pub");
    let list = format!(" {ALICE} ,{BOB},{}", ssh.trim());
    let parsed = parse_recipients(&list).unwrap();
    assert_eq!(
        parsed,
        vec![ALICE.to_owned(), BOB.to_owned(), ssh.trim().to_owned()]
    );
    assert!(parse_recipients("").unwrap().is_empty());
    assert_eq!(parse_recipient(&format!("\t{BOB} ")).unwrap(), BOB);
}

#[test]
fn malformed_recipients_give_clear_errors() {
    let cases = [
        (
            "age1notbech32",
            "failed to parse input as Bech32-encoded age public key",
        ),
        (&ALICE[..ALICE.len() - 1], "Bech32-encoded age public key"),
        ("age1yubikey1qwerty", "failed to use age plugin recipient"),
        (
            "age1pq1abcdef",
            "failed to parse input as post-quantum age public key",
        ),
        (
            "ssh-ed25519 AAAAnotbase64!",
            "failed to parse input as age-ssh public key",
        ),
        ("pgp:ABCDEF", "unknown recipient type"),
        ("", "unknown recipient type"),
    ];
    for (recipient, want) in cases {
        let err = parse_recipient(recipient).unwrap_err().to_string();
        assert!(err.contains(want), "{recipient:?}: {err}");
        assert!(
            err.contains(&format!("{:?}", recipient.trim())),
            "names the input: {err}"
        );
    }
    let err = parse_recipients(&format!("{ALICE},,{BOB}")).unwrap_err();
    assert!(err.to_string().contains("unknown recipient type"), "{err}");

    let source = AgeKeySource::with_env(IdentityEnv::empty());
    let mut e = entry("age1bogus", None);
    let err = source.wrap(&mut e, &secret(32)).unwrap_err();
    assert!(err.to_string().contains("age1bogus"), "{err}");
    assert_eq!(e.field("enc"), None);
    let mut e = sops_core::KeyEntry::new("age");
    assert!(source.wrap(&mut e, &secret(32)).is_err());
}

/// `sops` itself, if on PATH (the reference binary is installed where this was written).
/// The reference sops, or `None` (with a note) when there is none: this check is skipped then.
fn sops_cli() -> Option<PathBuf> {
    match sops_test_support::reference::try_reference_sops() {
        Ok(path) => Some(path.to_path_buf()),
        Err(why) => {
            eprintln!("note: skipping the sops interop check: {why}");
            None
        }
    }
}

#[test]
fn sops_decrypts_a_file_whose_enc_we_wrote() {
    let Some(sops) = sops_cli() else { return };
    // Re-wrap yaml-age.yaml's data key with our code and put it in place of sops' own `enc`.
    let data_key = support::expected("alice.enc.age").bytes;
    let enc = encrypt_armored(ALICE, &data_key).unwrap();
    let original = read("yaml-age.yaml");
    let start = original.find("-----BEGIN AGE").unwrap() - 12;
    let end_marker = "-----END AGE ENCRYPTED FILE-----\n";
    let end = original.find(end_marker).unwrap() + end_marker.len();
    let indented: String = enc.lines().map(|l| format!("            {l}\n")).collect();
    let rewritten = format!("{}{indented}{}", &original[..start], &original[end..]);
    assert_ne!(rewritten, original);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secret.yaml");
    std::fs::write(&file, rewritten).unwrap();
    let out = Command::new(sops)
        .args(["decrypt", "--input-type", "yaml", "--output-type", "yaml"])
        .arg(&file)
        .env("SOPS_AGE_KEY_FILE", data("age-alice.txt"))
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_CMD")
        .env_remove("SOPS_AGE_SSH_PRIVATE_KEY_FILE")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        read("yaml-age.plain.yaml")
    );
}
