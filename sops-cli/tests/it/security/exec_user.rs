//! `exec-env`/`exec-file --user NAME` (issue 15, item 4): the command runs with the user's uid,
//! primary gid and supplementary groups, and `HOME`, `USER`, `LOGNAME` are the user's (after
//! the secrets), as sops 3.13.2 does; an unknown user, or a caller that is not root, is exit 1
//! before the command runs.
//!
//! The user is made up: the tests run sops-rs in a private mount namespace (`unshare --mount`)
//! where `/etc/passwd` and `/etc/group` are bind-mounted copies that add `sopsuser` (uid 4321,
//! gid 4321, member of groups 5001 and 5002). That needs root, as CI has; run by another user
//! these tests fail and say so.

use crate::support as common;

use common::{age_key_path, age_recipient, Sandbox, Tool};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PLAIN: &str = "HOME: from-the-secret\npassword: s3cr3t\n";

fn require_root() {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    assert_eq!(
        uid, 0,
        "these tests need root (a private mount namespace, switching users); run them as root, \
         as CI does"
    );
}

/// A sandbox others may enter, with the encrypted secrets, made-up account files and a TMPDIR.
fn setup() -> (Sandbox, PathBuf) {
    let sandbox = Sandbox::new();
    common::set_mode(sandbox.path(), 0o755);
    let plain = sandbox.write("plain.yaml", PLAIN);
    let out = sandbox
        .run(
            Tool::SopsRs,
            &[
                "encrypt",
                "--age",
                &age_recipient("age-alice"),
                plain.to_str().unwrap(),
            ],
        )
        .expect_success();
    let encrypted = sandbox.write("secrets.yaml", &out.stdout);
    common::set_mode(&encrypted, 0o644);
    let mut passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd.push_str("sopsuser:x:4321:4321:made up:/home/sopsuser:/bin/sh\n");
    let mut group = std::fs::read_to_string("/etc/group").unwrap();
    group.push_str("sopsuser:x:4321:\nsops-a:x:5001:someone,sopsuser\nsops-b:x:5002:sopsuser\n");
    group.push_str("sops-c:x:5003:someone\n");
    sandbox.write("passwd", passwd);
    sandbox.write("group", group);
    let tmp = sandbox.file("tmp");
    std::fs::create_dir(&tmp).unwrap();
    common::set_mode(&tmp, 0o755);
    (sandbox, encrypted)
}

/// Runs `sh -c SCRIPT` (with `$0` = sops-rs) in a private mount namespace where the made-up
/// account files are in place. Returns (exit code, stdout, stderr).
fn in_namespace(sandbox: &Sandbox, script: &str) -> (Option<i32>, String, String) {
    require_root();
    let setup = "mount --bind passwd /etc/passwd && mount --bind group /etc/group";
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!("{setup} && {script}"))
        .arg(Tool::SopsRs.program())
        .current_dir(sandbox.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TMPDIR", sandbox.file("tmp"))
        .env("HOME", sandbox.file("home"))
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare (util-linux)");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What the command prints about itself: uid, gid, sorted groups, HOME USER LOGNAME.
const WHO: &str = "id -u; id -g; id -G | tr \" \" \"\\n\" | sort -n | tr \"\\n\" \" \"; \
                   echo; echo \"$HOME $USER $LOGNAME\"";
const SOPSUSER: &str = "4321\n4321\n4321 5001 5002 \n/home/sopsuser sopsuser sopsuser\n";

fn check_who(out: &(Option<i32>, String, String), expected_tail: &str) {
    let (code, stdout, stderr) = out;
    assert_eq!(*code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(
        stdout,
        &format!("{SOPSUSER}{expected_tail}"),
        "stderr: {stderr}"
    );
}

#[test]
fn exec_env_runs_the_command_as_the_user() {
    let (sandbox, _) = setup();
    for flags in [
        "",
        "--pristine",
        "--same-process",
        "--pristine --same-process",
    ] {
        let script = format!(
            "\"$0\" exec-env {flags} --user sopsuser secrets.yaml 'PATH=/usr/bin:/bin; {WHO}; \
             echo $password'"
        );
        check_who(&in_namespace(&sandbox, &script), "s3cr3t\n");
    }
}

#[test]
fn exec_file_gives_the_user_the_file_and_runs_as_them() {
    let (sandbox, _) = setup();
    for flags in ["", "--no-fifo"] {
        let script = format!(
            "\"$0\" exec-file {flags} --user sopsuser secrets.yaml '{WHO}; cat {{}}; \
             stat -c %u {{}}'"
        );
        check_who(&in_namespace(&sandbox, &script), &format!("{PLAIN}4321\n"));
    }
    let left: Vec<_> = std::fs::read_dir(sandbox.file("tmp")).unwrap().collect();
    assert!(left.is_empty(), "the private directory was left: {left:?}");
}

#[test]
fn an_unknown_user_is_refused_before_the_command_runs() {
    let (sandbox, _) = setup();
    for command in ["exec-env", "exec-file"] {
        let script = format!("\"$0\" {command} --user no-such-user secrets.yaml 'touch ran'");
        let (code, _, stderr) = in_namespace(&sandbox, &script);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(
            stderr.contains("user: unknown user no-such-user"),
            "{stderr}"
        );
        assert!(!sandbox.file("ran").exists(), "{command} ran the command");
    }
}

fn run_as_1234(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let out = Command::new(Tool::SopsRs.program())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("TMPDIR", dir.join("tmp"))
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .uid(1234)
        .gid(1234)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_caller_that_is_not_root_cannot_switch() {
    require_root();
    let (sandbox, _) = setup();
    let marker = sandbox.file("tmp/ran");
    for command in ["exec-env", "exec-file"] {
        let (code, stderr) = run_as_1234(
            sandbox.path(),
            &[
                command,
                "--user",
                "root",
                "secrets.yaml",
                &format!("touch {}", marker.display()),
            ],
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("operation not permitted"), "{stderr}");
        assert!(!marker.exists(), "{command} ran the command as the caller");
    }
}
