//! The YAML store against files written by sops 3.11: plaintext round trips byte for byte.

use sops_core::store::Format;

/// `fixtures/sops-3.11.0/<name>` of the repository.
fn fixture(name: &str) -> Vec<u8> {
    sops_test_support::fixtures::read(&sops_test_support::fixture(&format!("sops-3.11.0/{name}")))
}

#[test]
fn decrypted_outputs_of_sops_reemit_identically() {
    let store = Format::Yaml.store();
    for name in [
        "yaml-age.plain.yaml",
        "multidoc-age.plain.yaml",
        "credentials-age.plain.yaml",
        "yaml-encrypted-comment-regex.plain.yaml",
        "yaml-unencrypted-comment-regex.plain.yaml",
        "yaml-shamir-2of3.plain.yaml",
        "yaml-mac-only-encrypted.plain.yaml",
    ] {
        let input = fixture(name);
        let tree = store.load_plain(&input).unwrap();
        let out = store.emit_plain(&tree).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&input),
            "{name}"
        );
    }
}
