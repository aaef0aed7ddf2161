//! sops-rs decrypts the comment-heavy files of `fixtures/yaml-comments/` (written by the
//! reference sops 3.11 with `make.sh` there) to exactly what the reference prints for them.
//!
//! Each `NAME.enc.yaml` is what `sops encrypt` wrote for `NAME.plain.yaml`; `NAME.dec.yaml` is
//! what `sops decrypt` printed for it. Files found by the generator of `yaml_differential` are
//! named after their seed. `NAME.deliberate.yaml`, where present, replaces `NAME.dec.yaml`:
//! the reference leaves a comment of those files encrypted (it logs "Found possibly
//! unencrypted comment"), and sops-rs prints it decrypted (class 6 of issue 16).

use sops_core::internal::decrypt_file;
use sops_core::{DecryptOptions, Format};
use sops_keys::age::AgeKeySource;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/yaml-comments")
}

fn identity() -> AgeKeySource {
    let text = std::fs::read_to_string(fixtures().join("../keys/age-alice.txt")).expect("key");
    AgeKeySource::from_identity_text(&text).expect("alice's identity")
}

#[test]
fn reference_files_decrypt_to_what_the_reference_prints() {
    let identity = identity();
    let mut checked = 0;
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/yaml-comments")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".enc.yaml"))
        .collect();
    names.sort();
    for enc in names {
        let base = enc
            .to_string_lossy()
            .trim_end_matches(".enc.yaml")
            .to_owned();
        let deliberate = PathBuf::from(format!("{base}.deliberate.yaml"));
        let expected_path = if deliberate.exists() {
            deliberate
        } else {
            PathBuf::from(format!("{base}.dec.yaml"))
        };
        let expected = std::fs::read(&expected_path).expect("the expected decryption");
        let input = std::fs::read(&enc).expect("the encrypted file");
        let got = decrypt_file(
            &input,
            Format::Yaml,
            &[&identity],
            &DecryptOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", enc.display()));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{}",
            enc.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} fixtures in fixtures/yaml-comments"
    );
}

/// The other direction: sops-rs encrypts each `NAME.plain.yaml`, the reference decrypts that
/// file and must print its own round trip, `NAME.dec.yaml` (classes 2 and 4 of issue 16: sops
/// reads comments back where go-yaml attached them, so sops-rs must write them there). Files
/// with a `NAME.deliberate.yaml` are left out: their `NAME.dec.yaml` holds the reference's own
/// undecryptable ciphertext.
#[test]
fn reference_decrypts_sops_rs_files_to_its_own_round_trip() {
    use sops_core::internal::encrypt_file;
    use sops_core::{EncryptOptions, KeyEntry};
    let identity = identity();
    let key_file = fixtures().join("../keys/age-alice.txt");
    let recipient = sops_test_support::fixtures::age_recipient("age-alice");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut names: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures/yaml-comments")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".plain.yaml"))
        .collect();
    names.sort();
    let mut checked = 0;
    for plain_path in names {
        let base = plain_path
            .to_string_lossy()
            .trim_end_matches(".plain.yaml")
            .to_owned();
        if Path::new(&format!("{base}.deliberate.yaml")).exists() {
            continue;
        }
        let expected = std::fs::read(format!("{base}.dec.yaml")).expect("the round trip");
        let plain = std::fs::read(&plain_path).expect("the document");
        let mut entry = KeyEntry::new("age");
        entry.set_field("recipient", recipient.clone());
        let options = EncryptOptions {
            key_groups: vec![vec![entry]],
            ..Default::default()
        };
        let encrypted = encrypt_file(&plain, Format::Yaml, &[&identity], &options)
            .unwrap_or_else(|e| panic!("{}: {e}", plain_path.display()));
        let file = dir.path().join("rs.enc.yaml");
        std::fs::write(&file, &encrypted).expect("write");
        let out = sops_test_support::reference::reference_sops_command()
            .args(["decrypt", "--input-type", "yaml", "--output-type", "yaml"])
            .arg(&file)
            .env("SOPS_AGE_KEY_FILE", &key_file)
            .output()
            .expect("run the reference sops");
        assert!(
            out.status.success(),
            "{}: {}",
            plain_path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&expected),
            "{}: the reference decrypts sops-rs's file differently",
            plain_path.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} plain fixtures compared");
}
