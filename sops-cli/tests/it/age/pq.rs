//! Post-quantum hybrid age keys (`age1pq1…`, `AGE-SECRET-KEY-PQ-1…`) made by
//! `sops-rs age-keygen --pq`, used by the reference sops and sops-rs both ways: from `--age`,
//! `SOPS_AGE_RECIPIENTS` and `.sops.yaml` key groups, with identities from
//! `SOPS_AGE_KEY_FILE` and `SOPS_AGE_KEY`, alone and in a key group with an X25519 key.

use super::{new_key, stdout};
use crate::support::{age_key_path, age_recipient, Identity, Sandbox, Tool};

const PLAIN: &str = "password: hunter2\nlist:\n    - 1\n    - two\n";

#[test]
fn the_reference_encrypts_to_a_sops_rs_pq_key_and_both_decrypt() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (key, recipient) = new_key(&sandbox, "pq.txt", true);
    sandbox.write("plain.yaml", PLAIN);
    let enc = stdout(sandbox.run(Tool::Sops, &["encrypt", "--age", &recipient, "plain.yaml"]));
    assert!(enc.contains(&format!("recipient: {recipient}")), "{enc}");
    sandbox.write("ref.yaml", &enc);
    for tool in [Tool::Sops, Tool::SopsRs] {
        let out = sandbox
            .cmd(tool)
            .args(["decrypt", "ref.yaml"])
            .identity(Identity::AgeKeyFile(key.clone()))
            .run();
        assert_eq!(stdout(out), PLAIN, "{}", tool.name());
    }
    // Without the identity sops-rs fails as sops does (128: no key could decrypt).
    let none = sandbox.run(Tool::SopsRs, &["decrypt", "ref.yaml"]);
    assert_eq!(none.code, Some(128), "{}", none.describe());
}

#[test]
fn sops_rs_encrypts_to_a_pq_key_and_the_reference_decrypts() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (key, recipient) = new_key(&sandbox, "pq.txt", true);
    sandbox.write("plain.yaml", PLAIN);
    let enc = stdout(
        sandbox
            .cmd(Tool::SopsRs)
            .args(["encrypt", "plain.yaml"])
            .env("SOPS_AGE_RECIPIENTS", &recipient)
            .run(),
    );
    assert!(enc.contains(&format!("recipient: {recipient}")), "{enc}");
    sandbox.write("ours.yaml", &enc);
    // The reference parses our identity text (SOPS_AGE_KEY) and opens our stanza.
    let secret = std::fs::read_to_string(&key).unwrap();
    let out = sandbox
        .cmd(Tool::Sops)
        .args(["decrypt", "ours.yaml"])
        .env("SOPS_AGE_KEY", &secret)
        .run();
    assert_eq!(stdout(out), PLAIN);
    let ours = sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", "ours.yaml"])
        .env("SOPS_AGE_KEY", &secret)
        .run();
    assert_eq!(stdout(ours), PLAIN);
}

#[test]
fn a_key_group_of_a_pq_and_an_x25519_key_opens_with_either() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (pq_key, pq) = new_key(&sandbox, "pq.txt", true);
    let alice = age_recipient("age-alice");
    sandbox.write(
        ".sops.yaml",
        format!("creation_rules:\n  - key_groups:\n      - age:\n          - {pq}\n          - {alice}\n"),
    );
    sandbox.write("plain.yaml", PLAIN);
    for (writer, name) in [(Tool::SopsRs, "ours.yaml"), (Tool::Sops, "ref.yaml")] {
        let enc = stdout(sandbox.run(writer, &["encrypt", "plain.yaml"]));
        assert!(enc.contains(&pq) && enc.contains(&alice), "{enc}");
        sandbox.write(name, enc);
    }
    for file in ["ours.yaml", "ref.yaml"] {
        for tool in [Tool::Sops, Tool::SopsRs] {
            for key in [pq_key.clone(), age_key_path("age-alice")] {
                let out = sandbox
                    .cmd(tool)
                    .args(["decrypt", file])
                    .identity(Identity::AgeKeyFile(key.clone()))
                    .run();
                assert_eq!(
                    stdout(out),
                    PLAIN,
                    "{} {file} with {}",
                    tool.name(),
                    key.display()
                );
            }
        }
    }
    // rotate keeps both entries, and the result still opens with the post-quantum key.
    let rotated = sandbox
        .cmd(Tool::SopsRs)
        .args(["rotate", "ref.yaml"])
        .identity(Identity::AgeKeyFile(pq_key.clone()))
        .run();
    let rotated = stdout(rotated);
    assert!(
        rotated.contains(&pq) && rotated.contains(&alice),
        "{rotated}"
    );
    sandbox.write("rotated.yaml", rotated);
    let out = sandbox
        .cmd(Tool::Sops)
        .args(["decrypt", "rotated.yaml"])
        .identity(Identity::AgeKeyFile(pq_key))
        .run();
    assert_eq!(stdout(out), PLAIN);
}

#[test]
fn a_damaged_pq_recipient_is_refused_like_the_reference_does() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (_, recipient) = new_key(&sandbox, "pq.txt", true);
    let damaged = format!("{}q", &recipient[..recipient.len() - 1]);
    let damaged = if damaged == recipient {
        format!("{}p", &recipient[..recipient.len() - 1])
    } else {
        damaged
    };
    sandbox.write("plain.yaml", PLAIN);
    let theirs = sandbox.run(Tool::Sops, &["encrypt", "--age", &damaged, "plain.yaml"]);
    let ours = sandbox.run(Tool::SopsRs, &["encrypt", "--age", &damaged, "plain.yaml"]);
    assert!(!theirs.success() && !ours.success());
    assert_eq!(
        ours.code,
        theirs.code,
        "{}\n{}",
        ours.describe(),
        theirs.describe()
    );
    assert!(
        ours.stderr_text().contains("post-quantum"),
        "{}",
        ours.describe()
    );
}
