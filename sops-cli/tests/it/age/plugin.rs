//! age plugins: recipients `age1sopstest1…` and identities `AGE-PLUGIN-SOPSTEST-1…` handled by
//! the test plugin `age-plugin-sopstest` (test-support, built on the `age-plugin` crate) on
//! `PATH`, used by the reference sops (Go age's plugin client) and by sops-rs both ways; a
//! missing plugin; and a plugin's secret request answered on the terminal (tmux).

use super::passphrase::{decrypt_typing, shell_quote};
use crate::support::{Identity, Sandbox, Tool};
use sops_test_support::plugin::{age_test_plugin_dir, path_with_test_plugin, PLUGIN_BINARY};

const PLAIN: &str = "token: s3cr3t\n";

/// A new plugin identity file in `sandbox` and its recipient.
fn plugin_key(sandbox: &Sandbox) -> (std::path::PathBuf, String) {
    let out = std::process::Command::new(age_test_plugin_dir().join(PLUGIN_BINARY))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# recipient: "))
        .expect("a `# recipient:` line")
        .to_owned();
    assert!(text.contains("AGE-PLUGIN-SOPSTEST-1"), "{text}");
    (sandbox.write("plugin-key.txt", text), recipient)
}

fn encrypt(
    sandbox: &Sandbox,
    tool: Tool,
    recipient: &str,
    path: &std::ffi::OsStr,
) -> crate::support::Output {
    sandbox
        .cmd(tool)
        .args(["encrypt", "--age", recipient, "plain.yaml"])
        .env("PATH", path)
        .run()
}

#[test]
fn the_reference_and_sops_rs_use_the_same_plugin_both_ways() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (key, recipient) = plugin_key(&sandbox);
    sandbox.write("plain.yaml", PLAIN);
    let path = path_with_test_plugin();
    for (writer, reader) in [(Tool::Sops, Tool::SopsRs), (Tool::SopsRs, Tool::Sops)] {
        let enc = encrypt(&sandbox, writer, &recipient, &path).expect_success();
        let text = String::from_utf8(enc.stdout).unwrap();
        assert!(text.contains(&format!("recipient: {recipient}")), "{text}");
        sandbox.write("enc.yaml", &text);
        let out = sandbox
            .cmd(reader)
            .args(["decrypt", "enc.yaml"])
            .identity(Identity::AgeKeyFile(key.clone()))
            .env("PATH", &path)
            .run()
            .expect_success();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            PLAIN,
            "{} → {}",
            writer.name(),
            reader.name()
        );
    }
}

#[test]
fn a_missing_plugin_fails_with_the_references_exit_codes() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (key, recipient) = plugin_key(&sandbox);
    sandbox.write("plain.yaml", PLAIN);
    let bare = std::ffi::OsString::from("/usr/bin:/bin");
    let theirs = encrypt(&sandbox, Tool::Sops, &recipient, &bare);
    let ours = encrypt(&sandbox, Tool::SopsRs, &recipient, &bare);
    assert!(!ours.success());
    assert_eq!(
        ours.code,
        theirs.code,
        "{}\n{}",
        ours.describe(),
        theirs.describe()
    );
    assert!(
        ours.stderr_text()
            .contains("age-plugin-sopstest is not on PATH"),
        "{}",
        ours.describe()
    );

    let enc = encrypt(&sandbox, Tool::Sops, &recipient, &path_with_test_plugin()).expect_success();
    sandbox.write("enc.yaml", enc.stdout);
    let decrypt = |tool| {
        sandbox
            .cmd(tool)
            .args(["decrypt", "enc.yaml"])
            .identity(Identity::AgeKeyFile(key.clone()))
            .env("PATH", &bare)
            .run()
    };
    let (theirs, ours) = (decrypt(Tool::Sops), decrypt(Tool::SopsRs));
    assert!(!ours.success());
    assert_eq!(
        ours.code,
        theirs.code,
        "{}\n{}",
        ours.describe(),
        theirs.describe()
    );
    assert!(
        ours.stderr_text()
            .contains("age-plugin-sopstest is not on PATH"),
        "{}",
        ours.describe()
    );
}

#[test]
fn the_plugins_secret_request_is_answered_on_the_terminal() {
    let sandbox = Sandbox::with_identity(Identity::None);
    let (key, recipient) = plugin_key(&sandbox);
    sandbox.write("plain.yaml", PLAIN);
    let enc = encrypt(&sandbox, Tool::Sops, &recipient, &path_with_test_plugin()).expect_success();
    sandbox.write("secret.yaml", enc.stdout);
    let env = format!(
        "PATH={} SOPS_AGE_KEY_FILE={} SOPSTEST_PIN=2468",
        shell_quote(std::path::Path::new(&path_with_test_plugin())),
        shell_quote(&key)
    );
    for tool in [Tool::Sops, Tool::SopsRs] {
        let (code, stdout, screen) = decrypt_typing(&sandbox, tool, &env, "sopstest PIN:", "2468");
        assert_eq!(code, "0", "{}: screen:\n{screen}", tool.name());
        assert_eq!(stdout, PLAIN, "{}", tool.name());
        assert!(
            !screen.contains("2468"),
            "{}: the PIN was echoed:\n{screen}",
            tool.name()
        );
    }
}
