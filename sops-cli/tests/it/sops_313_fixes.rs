//! Fixes of sops 3.12/3.13 that a drop-in must follow (SOPS-3.13.md §1). The reference sops
//! predates them, so these tests check sops 3.13's documented behaviour, and that the
//! reference still behaves the old way where that is cheap to show.
//!
//! * #2155: `exec-file --filename` must be a local path (`The provided filename is not a
//!   local path.`, exit 1); before, `../x` wrote the plaintext outside the private directory.
//! * #2098: `set` of a top-level `sops` key, or an edit that adds one, is refused with exit
//!   203 (edit asks to return to the editor first) and leaves the file as it was; before,
//!   sops wrote a file with two `sops` keys that it could not decrypt.
//! * #2086: `SOPS_AGE_KEY` may hold several identities separated by whitespace.
//! * #2227: a non-string where ciphertext is expected is a clean error, exit 25.
//! * #2104: Ctrl+C during `edit` is "User canceled operation", exit 1, nothing left behind.

use crate::support as common;

use common::{age_recipient, Identity, Sandbox, Tool};

fn encrypted(sandbox: &Sandbox) -> String {
    let plain = sandbox.write("plain.yaml", "a: secret\n");
    let recipient = age_recipient("age-alice");
    let out = sandbox.run(
        Tool::SopsRs,
        &[
            "encrypt",
            "--age",
            &recipient,
            plain.to_str().expect("utf-8"),
        ],
    );
    assert!(out.success(), "{}", out.describe());
    sandbox.write("enc.yaml", out.stdout);
    sandbox.file("enc.yaml").display().to_string()
}

#[test]
fn exec_file_refuses_a_filename_outside_its_directory() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    for name in ["../escaped", "/tmp/escaped-abs", ""] {
        let out = sandbox.run(
            Tool::SopsRs,
            &[
                "exec-file",
                "--no-fifo",
                "--filename",
                name,
                &file,
                "cat {}",
            ],
        );
        assert_eq!(out.code, Some(1), "{name:?}: {}", out.describe());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("The provided filename is not a local path."));
        assert!(out.stdout.is_empty());
    }
    let out = sandbox.run(
        Tool::SopsRs,
        &["exec-file", "--filename", "values.yaml", &file, "cat {}"],
    );
    assert!(out.success(), "{}", out.describe());
    assert_eq!(out.stdout, b"a: secret\n");
}

#[test]
fn set_refuses_a_top_level_sops_key() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let before = std::fs::read(&file).expect("read");
    let out = sandbox.run(Tool::SopsRs, &["set", &file, r#"["sops"]"#, r#""x""#]);
    assert_eq!(out.code, Some(203), "{}", out.describe());
    assert_eq!(std::fs::read(&file).expect("read"), before);
    let out = sandbox.run(Tool::SopsRs, &["set", &file, r#"["sopsy"]"#, r#""x""#]);
    assert!(out.success(), "{}", out.describe());
}

#[test]
fn sops_age_key_may_hold_several_identities_on_one_line() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let key = |name: &str| {
        let text = std::fs::read_to_string(common::age_key_path(name)).expect("key file");
        text.lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-"))
            .expect("an identity")
            .to_owned()
    };
    let both = format!("# two keys\n{}  {}\n", key("age-bob"), key("age-alice"));
    let out = sandbox
        .cmd(Tool::SopsRs)
        .identity(Identity::None)
        .env("SOPS_AGE_KEY", &both)
        .args(["decrypt", &file])
        .run();
    assert!(out.success(), "{}", out.describe());
    assert_eq!(out.stdout, b"a: secret\n");
}

#[test]
fn a_plaintext_value_where_ciphertext_belongs_is_exit_25() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let text = std::fs::read_to_string(&file).expect("read");
    let forged: String = text
        .lines()
        .map(|l| if l.starts_with("a: ") { "a: 5" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    sandbox.write("enc.yaml", forged + "\n");
    let out = sandbox.run(Tool::SopsRs, &["decrypt", &file]);
    assert_eq!(out.code, Some(25), "{}", out.describe());
    assert!(out.stdout.is_empty());
}

/// #2104: Ctrl+C while the editor runs is "User canceled operation", exit 1, and leaves no
/// plaintext behind and the file unchanged.
#[test]
fn edit_interrupted_by_ctrl_c_is_a_clean_cancel() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let before = std::fs::read(&file).expect("read");
    let tmp = sandbox.file("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let ready = sandbox.file("ready");
    let editor = sandbox.write(
        "editor.sh",
        format!(
            "#!/bin/sh\necho $$ > '{0}.pid'\ntouch '{0}'\nexec sleep 30 </dev/null >/dev/null 2>&1\n",
            ready.display()
        ),
    );
    common::set_mode(&editor, 0o755);
    let running = sandbox
        .cmd(Tool::SopsRs)
        .args(["edit", &file])
        .env("EDITOR", &editor)
        .env("TMPDIR", &tmp)
        .spawn();
    assert!(common::wait_for_file(
        &ready,
        std::time::Duration::from_secs(30)
    ));
    let pid = running.pid().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = running.wait(std::time::Duration::from_secs(30));
    // The editor (now `sleep`) outlives sops-rs: stop it by its pid.
    let editor_pid = std::fs::read_to_string(sandbox.file("ready.pid")).unwrap_or_default();
    if !editor_pid.trim().is_empty() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", editor_pid.trim()])
            .status();
    }
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(String::from_utf8_lossy(&out.stderr).contains("User canceled operation"));
    assert!(
        common::entries_under_dir(&tmp).is_empty(),
        "plaintext left behind"
    );
    assert_eq!(std::fs::read(&file).expect("read"), before);
}

#[test]
fn edit_refuses_a_top_level_sops_key() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let before = std::fs::read(&file).expect("read");
    let editor = sandbox.write("add-sops.sh", "#!/bin/sh\nprintf 'sops: 1\\n' >> \"$1\"\n");
    common::set_mode(&editor, 0o755);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["edit", &file])
        .env("EDITOR", &editor)
        .stdin(Vec::new())
        .run();
    assert_eq!(out.code, Some(203), "{}", out.describe());
    assert_eq!(std::fs::read(&file).expect("read"), before);
}
