//! The README tells a new user two commands; they must stay true.

use crate::support::{assert_same_bytes, fixture, read, repo_root, Identity, Sandbox, Tool};

const INSTALL_AND_DECRYPT: &str = "cargo install --path sops-cli && SOPS_AGE_KEY_FILE=fixtures/keys/age-alice.txt sops-rs decrypt fixtures/sops-3.11.0/yaml-age.yaml";

#[test]
fn readme_names_the_two_commands() {
    let readme = String::from_utf8(read(&repo_root().join("README.md"))).expect("UTF-8");
    assert!(
        readme.contains(INSTALL_AND_DECRYPT),
        "README.md must show: {INSTALL_AND_DECRYPT}"
    );
    assert!(readme.contains(".ci/run"), "README.md must name .ci/run");
}

#[test]
fn readme_decrypt_command_prints_the_plaintext() {
    // The second half of the first command, run as written: from the repository root, with a
    // relative key path.
    let sandbox = Sandbox::with_identity(Identity::None);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", "fixtures/sops-3.11.0/yaml-age.yaml"])
        .env("SOPS_AGE_KEY_FILE", "fixtures/keys/age-alice.txt")
        .current_dir(repo_root())
        .run();
    assert!(out.success(), "{}", out.describe());
    assert_same_bytes(
        "the README's decrypt command",
        &read(&fixture("sops-3.11.0/yaml-age.plain.yaml")),
        &out.stdout,
    );
}
