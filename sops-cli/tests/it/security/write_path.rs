//! The one write path (issue 15, items 1 and 3): what `--output`, `-i` and the commands that
//! rewrite their file do with symlinks, hard links, FIFOs, devices, `/dev/stdout`, other
//! owners and read-only files (signals: `write_signals.rs`).
//!
//! sops opens the path with `os.Create` and writes into it. sops-rs does the same for FIFOs,
//! devices, hard-linked files and `/dev/…` paths, and replaces a regular file atomically at
//! its real path (symlinks followed), keeping its owner, group and mode. Tests that need root
//! (`chown`, `mknod`, running as another uid, a private mount namespace) say so and fail when
//! run by another user: CI runs as root.

use crate::support as common;

use common::{age_key_path, age_recipient, mode, read, set_mode, Sandbox, Tool};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PLAIN: &str = "db:\n    user: admin\n    password: s3cr3t\n";

fn require_root(what: &str) {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX);
    assert_eq!(
        uid, 0,
        "this test needs root ({what}); run the suite as root, as CI does"
    );
}

/// A plaintext file and its encryption for alice (and bob, when asked) in `dir`.
fn files(sandbox: &Sandbox, dir: &Path, with_bob: bool) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let plain = dir.join("plain.yaml");
    std::fs::write(&plain, PLAIN).unwrap();
    let mut recipients = age_recipient("age-alice");
    if with_bob {
        recipients = format!("{recipients},{}", age_recipient("age-bob"));
    }
    let out = sandbox
        .run(
            Tool::SopsRs,
            &["encrypt", "--age", &recipients, plain.to_str().unwrap()],
        )
        .expect_success();
    let encrypted = dir.join("encrypted.yaml");
    std::fs::write(&encrypted, &out.stdout).unwrap();
    (plain, encrypted)
}

fn decrypts_to_plain(sandbox: &Sandbox, file: &Path) -> bool {
    let out = sandbox.run(Tool::SopsRs, &["decrypt", file.to_str().unwrap()]);
    out.success() && out.stdout == PLAIN.as_bytes()
}

fn text(path: &Path) -> String {
    String::from_utf8_lossy(&read(path)).into_owned()
}

#[test]
fn output_through_a_symlink_writes_the_target_and_keeps_the_link() {
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    std::fs::create_dir(sandbox.file("real")).unwrap();
    let real = sandbox.file("real/out.yaml");
    std::fs::write(&real, "old\n").unwrap();
    set_mode(&real, 0o640);
    let link = sandbox.file("link.yaml");
    std::os::unix::fs::symlink("real/out.yaml", &link).unwrap();
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "decrypt",
                "--output",
                "link.yaml",
                encrypted.to_str().unwrap(),
            ],
        )
        .expect_success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(text(&real), PLAIN);
    assert_eq!(mode(&real), 0o640);
}

#[test]
fn in_place_through_a_symlink_encrypts_the_target() {
    let sandbox = Sandbox::new();
    let (plain, _) = files(&sandbox, &sandbox.file("f"), false);
    let link = sandbox.file("link.yaml");
    std::os::unix::fs::symlink(&plain, &link).unwrap();
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "encrypt",
                "-i",
                "--age",
                &age_recipient("age-alice"),
                "link.yaml",
            ],
        )
        .expect_success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(text(&plain).contains("ENC[AES256_GCM"), "{}", text(&plain));
    assert!(decrypts_to_plain(&sandbox, &plain));
}

#[test]
fn rotate_in_place_through_a_symlink_removes_the_key_from_the_real_file() {
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), true);
    let link = sandbox.file("link.yaml");
    std::os::unix::fs::symlink(&encrypted, &link).unwrap();
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "rotate",
                "-i",
                "--rm-age",
                &age_recipient("age-bob"),
                "link.yaml",
            ],
        )
        .expect_success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let bob = common::Identity::AgeKeyFile(age_key_path("age-bob"));
    let out = sandbox
        .cmd(Tool::SopsRs)
        .identity(bob)
        .args(["decrypt", encrypted.to_str().unwrap()])
        .run();
    assert!(!out.success(), "bob can still open the real file");
    assert!(decrypts_to_plain(&sandbox, &encrypted));
}

#[test]
fn a_hard_linked_file_is_written_through_and_stays_linked() {
    let sandbox = Sandbox::new();
    let (plain, _) = files(&sandbox, &sandbox.file("f"), false);
    let other = sandbox.file("other-name.yaml");
    std::fs::hard_link(&plain, &other).unwrap();
    let inode = std::fs::metadata(&plain).unwrap().ino();
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "encrypt",
                "-i",
                "--age",
                &age_recipient("age-alice"),
                plain.to_str().unwrap(),
            ],
        )
        .expect_success();
    let meta = std::fs::metadata(&plain).unwrap();
    assert_eq!(
        (meta.ino(), meta.nlink()),
        (inode, 2),
        "the hard link was split"
    );
    assert!(text(&other).contains("ENC[AES256_GCM"));
}

#[test]
fn in_place_keeps_owner_group_and_mode() {
    require_root("chown to 1234:1234");
    let sandbox = Sandbox::new();
    let (plain, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    for file in [&plain, &encrypted] {
        std::os::unix::fs::chown(file, Some(1234), Some(1234)).unwrap();
        set_mode(file, 0o640);
    }
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "encrypt",
                "-i",
                "--age",
                &age_recipient("age-alice"),
                plain.to_str().unwrap(),
            ],
        )
        .expect_success();
    sandbox
        .run(
            Tool::SopsRs,
            &["decrypt", "-i", encrypted.to_str().unwrap()],
        )
        .expect_success();
    for file in [&plain, &encrypted] {
        let meta = std::fs::metadata(file).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid(), mode(file)),
            (1234, 1234, 0o640),
            "{}",
            file.display()
        );
    }
    assert_eq!(text(&encrypted), PLAIN);
}

/// Runs `program ARGS` as uid/gid 1234 in `dir`, with alice's key.
fn as_user_1234(program: &Path, dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::os::unix::process::CommandExt;
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
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
fn a_read_only_file_is_not_overwritten_by_its_owner() {
    require_root("to run sops-rs as uid 1234");
    let sandbox = Sandbox::new();
    set_mode(sandbox.path(), 0o755);
    // The directory is the user's: a rename would be allowed, writing the file is not.
    let dir = sandbox.file("user");
    let (_, encrypted) = files(&sandbox, &dir, false);
    let before = read(&encrypted);
    for path in [&dir, &encrypted] {
        std::os::unix::fs::chown(path, Some(1234), Some(1234)).unwrap();
    }
    set_mode(&encrypted, 0o400);
    let (code, ours) = as_user_1234(
        &Tool::SopsRs.program(),
        &dir,
        &["decrypt", "-i", "encrypted.yaml"],
    );
    assert_eq!(code, Some(3), "{ours}");
    assert_eq!(
        ours.trim_end(),
        format!(
            "Could not open in-place file for writing: open {}: permission denied",
            encrypted.display()
        )
    );
    assert_eq!(read(&encrypted), before);
    assert_eq!(mode(&encrypted), 0o400);
    // sops (run the same way) refuses with the same message and code.
    let sops = sandbox.file("sops");
    std::fs::copy(common::reference_sops(), &sops).unwrap();
    set_mode(&sops, 0o755);
    let (code, theirs) = as_user_1234(&sops, &dir, &["decrypt", "-i", "encrypted.yaml"]);
    assert_eq!(code, Some(3), "{theirs}");
    assert_eq!(ours.trim_end(), theirs.trim_end());
}

#[test]
fn output_to_a_fifo_feeds_its_reader() {
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    let fifo = sandbox.file("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Start late: sops-rs must wait for a reader, as sops does.
            std::thread::sleep(Duration::from_millis(300));
            std::fs::read(&fifo).unwrap()
        })
    };
    sandbox
        .run(
            Tool::SopsRs,
            &["decrypt", "--output", "pipe", encrypted.to_str().unwrap()],
        )
        .expect_success();
    assert_eq!(reader.join().unwrap(), PLAIN.as_bytes());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn output_to_a_character_device_writes_into_it() {
    require_root("mknod");
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    // A /dev/null of the test's own (major 1, minor 3), not the system's.
    let null = sandbox.file("null");
    let made = Command::new("mknod")
        .args(["-m", "666"])
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(made.success(), "mknod failed");
    let rdev = std::fs::metadata(&null).unwrap().rdev();
    sandbox
        .run(
            Tool::SopsRs,
            &["decrypt", "--output", "null", encrypted.to_str().unwrap()],
        )
        .expect_success();
    let meta = std::fs::symlink_metadata(&null).unwrap();
    assert!(meta.file_type().is_char_device(), "the device was replaced");
    assert_eq!((meta.rdev(), mode(&null)), (rdev, 0o666));
}

/// Runs `script` with `sh` in a private mount namespace whose `/dev` is a fresh tmpfs holding
/// `stdout` and `fd` links and a `null` device; `$0` is sops-rs. Returns (exit code, stdout,
/// stderr).
fn in_private_dev(sandbox: &Sandbox, script: &str) -> (Option<i32>, Vec<u8>, String) {
    let setup = "mount -t tmpfs tmpfs /dev && ln -s /proc/self/fd /dev/fd && \
                 ln -s /proc/self/fd/1 /dev/stdout && mknod -m 666 /dev/null c 1 3";
    let out = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(format!("{setup} && {script}"))
        .arg(Tool::SopsRs.program())
        .current_dir(sandbox.path())
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env("HOME", sandbox.file("home"))
        .stdin(Stdio::null())
        .output()
        .expect("run unshare (util-linux)");
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn output_to_dev_stdout_reaches_stdout_and_leaves_dev_alone() {
    require_root("a private mount namespace");
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    let e = encrypted.to_str().unwrap();
    // A pipe as stdout.
    let (code, stdout, stderr) = in_private_dev(
        &sandbox,
        &format!(
            "\"$0\" decrypt --output /dev/stdout {e} && \"$0\" decrypt --output /dev/null {e} \
             && test -L /dev/stdout && test -c /dev/null && echo ok >&2"
        ),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, PLAIN.as_bytes());
    assert!(
        stderr.contains("ok"),
        "/dev/stdout or /dev/null was replaced: {stderr}"
    );
    // A regular file as stdout: written through, so the shell's file gets the data.
    let out = sandbox.file("out.txt");
    let (code, _, stderr) = in_private_dev(
        &sandbox,
        &format!("\"$0\" decrypt --output /dev/stdout {e} > out.txt && test -L /dev/stdout"),
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(text(&out), PLAIN);
}

#[test]
fn a_new_plaintext_output_is_0600_and_an_existing_one_keeps_its_mode() {
    let sandbox = Sandbox::new();
    let (_, encrypted) = files(&sandbox, &sandbox.file("f"), false);
    let e = encrypted.to_str().unwrap();
    sandbox
        .run(Tool::SopsRs, &["decrypt", "--output", "new.yaml", e])
        .expect_success();
    assert_eq!(mode(&sandbox.file("new.yaml")), 0o600);
    let existing = sandbox.write("existing.yaml", "x\n");
    set_mode(&existing, 0o644);
    sandbox
        .run(Tool::SopsRs, &["decrypt", "--output", "existing.yaml", e])
        .expect_success();
    assert_eq!(mode(&existing), 0o644);
    assert_eq!(text(&existing), PLAIN);
    // A dangling symlink: its target is created (as sops does), 0600.
    std::os::unix::fs::symlink("made-by-link.yaml", sandbox.file("dangling.yaml")).unwrap();
    sandbox
        .run(Tool::SopsRs, &["decrypt", "--output", "dangling.yaml", e])
        .expect_success();
    assert_eq!(text(&sandbox.file("made-by-link.yaml")), PLAIN);
    assert_eq!(mode(&sandbox.file("made-by-link.yaml")), 0o600);
}
