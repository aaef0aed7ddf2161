//! getsops/sops#2070 (sops 3.12.0): `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, a command (split like a
//! shell line, run without a shell) whose stdout is an SSH private key to decrypt with. It runs
//! for each age key tried, with `SOPS_AGE_RECIPIENT` set to that key's recipient. The reference
//! sops predates it (it looks only at the other places), so the test follows sops 3.13's code:
//! the file the reference encrypted for the SSH recipient opens with the command alone.

use crate::support::{fixture, Identity, Sandbox, Tool};

#[test]
fn the_ssh_key_command_decrypts_and_sees_the_recipient() {
    let sandbox = Sandbox::new();
    let public = std::fs::read_to_string(fixture("keys/ssh-ed25519.pub")).expect("public key");
    let public = public.trim();
    let plain = sandbox.write("plain.yaml", "token: s3cr3t\n");
    let out = sandbox
        .cmd(Tool::Sops)
        .args(["encrypt", "--age", public, plain.to_str().expect("utf-8")])
        .run();
    assert!(out.success(), "{}", out.describe());
    let file = sandbox.write("enc.yaml", &out.stdout);
    let file = file.to_str().expect("utf-8");

    let seen = sandbox.file("recipient.txt");
    let script = sandbox.script(
        "print-key.sh",
        &format!(
            "printf '%s' \"$SOPS_AGE_RECIPIENT\" > '{}'\ncat '{}'\n",
            seen.display(),
            fixture("keys/ssh-ed25519").display()
        ),
    );
    let command = format!("sh '{}'", script.display());
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", file])
        .identity(Identity::None)
        .env("SOPS_AGE_SSH_PRIVATE_KEY_CMD", &command)
        .run();
    assert!(out.success(), "{}", out.describe());
    assert_eq!(out.stdout, b"token: s3cr3t\n");
    assert_eq!(
        std::fs::read_to_string(&seen).expect("the command ran"),
        public
    );

    // A command that fails, or prints no usable key, is a decryption failure (sops's 128).
    for bad in ["sh -c 'exit 3'", "echo not-a-key"] {
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args(["decrypt", file])
            .identity(Identity::None)
            .env("SOPS_AGE_SSH_PRIVATE_KEY_CMD", bad)
            .run();
        assert_eq!(out.code, Some(128), "{bad}: {}", out.describe());
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr_text().contains("SOPS_AGE_SSH_PRIVATE_KEY_CMD"),
            "{bad}: {}",
            out.describe()
        );
    }
}
