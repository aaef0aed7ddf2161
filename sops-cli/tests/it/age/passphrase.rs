//! `SOPS_AGE_KEY_FILE` pointing at an identity file that is itself encrypted with a passphrase
//! (`age -p`): the passphrase is asked for on the terminal (driven through tmux) and never
//! echoed; without a terminal nothing is asked and both tools fail with 128, naming the cause.
//!
//! The encrypted identity file is made here with the `age` crate at scrypt work factor 2^10,
//! so that the debug build opens it quickly; age and sops accept any work factor up to 2^22.

use crate::support::{
    age_key_path, age_recipient, program_on_path, read, Identity, Sandbox, TmuxServer, Tool,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PASSPHRASE: &str = "correct horse battery";
const PLAIN: &str = "password: hunter2\n";

/// Writes alice's identity file encrypted with `passphrase`, armored, as `name`.
fn encrypted_identity(sandbox: &Sandbox, name: &str, passphrase: &str) -> PathBuf {
    let mut recipient = ::age::scrypt::Recipient::new(passphrase.to_owned().into());
    recipient.set_work_factor(10);
    let encryptor = ::age::Encryptor::with_recipients(std::iter::once(&recipient as _)).unwrap();
    let mut out = Vec::new();
    let armor =
        ::age::armor::ArmoredWriter::wrap_output(&mut out, ::age::armor::Format::AsciiArmor)
            .unwrap();
    let mut writer = encryptor.wrap_output(armor).unwrap();
    writer.write_all(&read(&age_key_path("age-alice"))).unwrap();
    writer.finish().unwrap().finish().unwrap();
    sandbox.write(name, out)
}

/// A file encrypted by the reference for alice.
fn alice_file(sandbox: &Sandbox) {
    sandbox.write("plain.yaml", PLAIN);
    let enc = sandbox
        .run(
            Tool::Sops,
            &[
                "encrypt",
                "--age",
                &age_recipient("age-alice"),
                "plain.yaml",
            ],
        )
        .expect_success();
    sandbox.write("secret.yaml", enc.stdout);
}

/// What both tools ask.
const PROMPT: &str = "Enter passphrase for identity 'SOPS_AGE_KEY_FILE':";

fn key_env(key: &Path) -> String {
    format!("SOPS_AGE_KEY_FILE={}", shell_quote(key))
}

pub(super) fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn without_a_terminal_nothing_is_asked_and_both_fail_with_128() {
    let setsid = program_on_path("setsid").expect("setsid (util-linux) is not installed");
    let sandbox = Sandbox::with_identity(Identity::None);
    alice_file(&sandbox);
    let key = encrypted_identity(&sandbox, "keys.age", PASSPHRASE);
    for tool in [Tool::Sops, Tool::SopsRs] {
        // setsid: no controlling terminal, so /dev/tty cannot be opened.
        let out = Command::new(&setsid)
            .arg("-w")
            .arg(tool.program())
            .args(["decrypt", "secret.yaml"])
            .current_dir(sandbox.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sandbox.file("home"))
            .env("GNUPGHOME", sandbox.file("gnupg"))
            .env("SOPS_DISABLE_VERSION_CHECK", "1")
            .env("SOPS_AGE_KEY_FILE", &key)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(128), "{}: {stderr}", tool.name());
        assert!(out.stdout.is_empty());
        assert!(
            stderr.contains("passphrase") && stderr.contains("/dev/tty"),
            "{stderr}"
        );
        assert!(!stderr.contains(PASSPHRASE));
    }
}

/// Runs `tool decrypt secret.yaml` in a tmux terminal with the extra variables `env` (shell
/// words, quoted), waits for `prompt`, types `typed`, and returns (exit code, stdout, the
/// screen after the run).
pub(super) fn decrypt_typing(
    sandbox: &Sandbox,
    tool: Tool,
    env: &str,
    prompt: &str,
    typed: &str,
) -> (String, String, String) {
    let tmux = program_on_path("tmux").expect("tmux is not installed (bash .ci/run installs it)");
    let rc = sandbox.file(&format!("rc-{}", tool.name()));
    let out = sandbox.file(&format!("out-{}", tool.name()));
    let server = TmuxServer::new(
        tmux,
        sandbox.file(&format!("tmux-{}.sock", tool.name())),
        "pp",
    );
    let script = format!(
        "cd {dir} && env -i PATH=\"$PATH\" TERM=xterm HOME={home} GNUPGHOME={gnupg} \
         SOPS_DISABLE_VERSION_CHECK=1 {env} {program} decrypt secret.yaml \
         > {out}; echo $? > {rc}.tmp && mv {rc}.tmp {rc}; sleep 30",
        dir = shell_quote(sandbox.path()),
        home = shell_quote(&sandbox.file("home")),
        gnupg = shell_quote(&sandbox.file("gnupg")),
        program = shell_quote(&tool.program()),
        out = shell_quote(&out),
        rc = shell_quote(&rc),
    );
    let started = server.run(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "pp",
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    assert!(
        started.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    server.wait_for(prompt);
    server.run(&["send-keys", "-t", "pp", "-l", typed]);
    server.run(&["send-keys", "-t", "pp", "Enter"]);
    assert!(
        crate::support::wait_for_file(&rc, Duration::from_secs(60)),
        "{}: the command did not end; screen:\n{}",
        tool.name(),
        server.screen()
    );
    let code = std::fs::read_to_string(&rc).unwrap().trim().to_owned();
    let stdout = std::fs::read_to_string(&out).unwrap();
    (code, stdout, server.screen())
}

#[test]
fn the_passphrase_is_asked_on_the_terminal_without_echo() {
    let sandbox = Sandbox::with_identity(Identity::None);
    alice_file(&sandbox);
    let key = encrypted_identity(&sandbox, "keys.age", PASSPHRASE);
    for tool in [Tool::Sops, Tool::SopsRs] {
        let (code, stdout, screen) =
            decrypt_typing(&sandbox, tool, &key_env(&key), PROMPT, PASSPHRASE);
        assert_eq!(code, "0", "{}: screen:\n{screen}", tool.name());
        assert_eq!(stdout, PLAIN, "{}", tool.name());
        assert!(
            !screen.contains("horse"),
            "{}: the passphrase was echoed:\n{screen}",
            tool.name()
        );
    }
}

#[test]
fn a_wrong_passphrase_fails_with_128_and_says_so() {
    let sandbox = Sandbox::with_identity(Identity::None);
    alice_file(&sandbox);
    let key = encrypted_identity(&sandbox, "keys.age", PASSPHRASE);
    for tool in [Tool::Sops, Tool::SopsRs] {
        let (code, stdout, screen) =
            decrypt_typing(&sandbox, tool, &key_env(&key), PROMPT, "wrong horse");
        assert_eq!(code, "128", "{}: screen:\n{screen}", tool.name());
        assert!(stdout.is_empty());
        assert!(
            screen.contains("incorrect passphrase"),
            "{}: screen:\n{screen}",
            tool.name()
        );
    }
}
