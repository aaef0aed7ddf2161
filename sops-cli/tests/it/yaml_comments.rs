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
