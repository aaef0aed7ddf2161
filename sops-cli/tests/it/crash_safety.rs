//! Crash safety: a write that fails or dies before the rename leaves the original file as it
//! was, and the private temporary file of `exec-file --no-fifo` is removed when sops-rs is
//! interrupted (SIGINT) or terminated (SIGTERM).
//!
//! sops-rs replaces a file by writing a temporary file next to it and renaming it over the
//! original. sops 3.11 truncates the file and writes into it: when that write fails (checked
//! here with a file size limit) it exits 1 and leaves a truncated file behind; sops-rs exits 3
//! ("could not write output") and the original is intact.
//!
//! A write failure is made with `ulimit -f` (RLIMIT_FSIZE), which works for root too: with
//! SIGXFSZ ignored the write fails with EFBIG; with the default action the kernel kills the
//! process in the middle of the write. A directory where no file can be created is made with
//! `chattr +i` (root) or mode 0555 (other users).

use crate::support;

use crate::support::{age_key_path, age_recipient, assert_parity, fixture, read, Sandbox, Tool};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sops_rs() -> PathBuf {
    sops_test_support::sops_rs_bin!()
}

/// A `Command` for sops-rs in `sandbox`, as the harness sets it up (alice's key, no config),
/// with stdout and stdin closed and stderr going to `stderr` in the sandbox.
fn sops_rs_command(sandbox: &Sandbox, program: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(sandbox.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.file("home"))
        .env("XDG_CONFIG_HOME", sandbox.file("home/.config"))
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(sandbox.file("stderr")).expect("stderr file"));
    command
}

/// Runs `sh -c SCRIPT` where the script ends in `exec "$0" ARGS…` with `$0` the sops-rs
/// binary: the limits the script sets apply to sops-rs. Returns the exit status (`None` for
/// a signal) and stderr.
fn sh_then_sops_rs(sandbox: &Sandbox, script: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut command = sops_rs_command(sandbox, Path::new("/bin/sh"));
    command
        .arg("-c")
        .arg(format!("{script}; exec \"$0\" \"$@\""))
        .arg(sops_rs())
        .args(args);
    let status = command.status().expect("run /bin/sh");
    let stderr = std::fs::read_to_string(sandbox.file("stderr")).unwrap_or_default();
    (status.code(), stderr)
}

/// The `.sops-rs-*` temporary files left in `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("list the directory")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".sops-rs")
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A plaintext YAML file of a few kilobytes, and its encrypted form (alice, by sops-rs), in
/// `dir`; both larger than the 1 kB file size limit the tests set.
fn files_in(sandbox: &Sandbox, dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let mut text = String::from_utf8(read(&fixture("sops-3.11.0/yaml-age.plain.yaml"))).unwrap();
    for i in 0..100 {
        text.push_str(&format!("secret_{i}: value number {i}\n"));
    }
    let plain = dir.join("plain.yaml");
    std::fs::write(&plain, &text).unwrap();
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
    let encrypted = dir.join("encrypted.yaml");
    std::fs::write(&encrypted, &out.stdout).unwrap();
    assert!(text.len() > 2048);
    (plain, encrypted)
}

#[test]
fn in_place_write_that_fails_leaves_the_original_intact() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    let (plain, encrypted) = files_in(&sandbox, &sandbox.file("files"));
    // At most 1 kB per file: the first write past it fails with EFBIG.
    let limit = "trap '' XFSZ; ulimit -f 1";
    for (file, args) in [
        (&plain, vec!["encrypt", "-i", "--age", &alice]),
        (&encrypted, vec!["decrypt", "-i"]),
    ] {
        let before = read(file);
        let mut args = args.clone();
        args.push(file.to_str().unwrap());
        let (code, stderr) = sh_then_sops_rs(&sandbox, limit, &args);
        assert_eq!(code, Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains("File too large"), "{stderr}");
        assert_eq!(read(file), before, "{args:?} changed the original");
        assert_eq!(
            leftovers(file.parent().unwrap()),
            Vec::<PathBuf>::new(),
            "the temporary file must be removed after a failed write"
        );
    }
}

#[test]
fn in_place_write_killed_before_the_rename_leaves_the_original_intact() {
    let sandbox = Sandbox::new();
    let (_, encrypted) = files_in(&sandbox, &sandbox.file("files"));
    let before = read(&encrypted);
    // SIGXFSZ left at its default: the kernel kills sops-rs in the middle of writing.
    let (code, stderr) = sh_then_sops_rs(
        &sandbox,
        "ulimit -f 1",
        &["decrypt", "-i", encrypted.to_str().unwrap()],
    );
    assert_eq!(code, None, "killed by SIGXFSZ; stderr: {stderr}");
    assert_eq!(read(&encrypted), before, "the original must be untouched");
    // A killed process cannot clean up: the partial temporary file stays, private to the owner.
    for left in leftovers(encrypted.parent().unwrap()) {
        assert_eq!(
            mode(&left),
            0o600,
            "{} is readable by others",
            left.display()
        );
        assert!(std::fs::metadata(&left).unwrap().len() <= 1024);
    }
}

#[test]
fn sops_truncates_the_file_when_its_write_fails() {
    // For contrast, and to notice if sops changes: sops 3.11 writes in place.
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    let (plain, _) = files_in(&sandbox, &sandbox.file("files"));
    let before = read(&plain);
    let sops = support::reference_sops().to_path_buf();
    let mut command = sops_rs_command(&sandbox, Path::new("/bin/sh"));
    let status = command
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(&sops)
        .args(["encrypt", "-i", "--age", &alice, plain.to_str().unwrap()])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let after = read(&plain);
    assert_ne!(
        after, before,
        "sops 3.11 no longer truncates: update the module comment"
    );
    assert!(after.len() <= 1024);
}

/// Makes `dir` refuse new files, even to root, until dropped.
struct Unwritable {
    dir: PathBuf,
    immutable: bool,
}

impl Unwritable {
    fn new(dir: &Path) -> Option<Unwritable> {
        let immutable = Command::new("chattr")
            .arg("+i")
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !immutable {
            support::set_mode(dir, 0o555);
        }
        // Does it work? (mode 0555 does not stop root.)
        let probe = dir.join(".probe");
        if std::fs::write(&probe, b"x").is_ok() {
            let _ = std::fs::remove_file(&probe);
            support::set_mode(dir, 0o755);
            return None;
        }
        Some(Unwritable {
            dir: dir.to_path_buf(),
            immutable,
        })
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if self.immutable {
            let _ = Command::new("chattr").arg("-i").arg(&self.dir).status();
        } else {
            support::set_mode(&self.dir, 0o755);
        }
    }
}

#[test]
fn in_place_write_in_a_directory_without_room_leaves_the_original_intact() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    let dir = sandbox.file("locked");
    let (plain, encrypted) = files_in(&sandbox, &dir);
    let (plain_before, encrypted_before) = (read(&plain), read(&encrypted));
    let Some(_lock) = Unwritable::new(&dir) else {
        eprintln!("SKIPPED: cannot make a directory unwritable here (root without chattr)");
        return;
    };
    let out = sandbox.run(
        Tool::SopsRs,
        &["encrypt", "-i", "--age", &alice, plain.to_str().unwrap()],
    );
    assert_eq!(out.code, Some(3), "{}", out.describe());
    let out = sandbox.run(
        Tool::SopsRs,
        &["decrypt", "-i", encrypted.to_str().unwrap()],
    );
    assert_eq!(out.code, Some(3), "{}", out.describe());
    assert!(out.stdout.is_empty());
    assert_eq!(read(&plain), plain_before);
    assert_eq!(read(&encrypted), encrypted_before);
}

#[test]
fn output_into_a_missing_directory_fails_like_sops() {
    let sandbox = Sandbox::new();
    let encrypted = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "encrypted.yaml");
    let before = read(&encrypted);
    let target = sandbox.file("missing/out.yaml");
    let (_, ours) = assert_parity(
        &sandbox,
        &[
            "decrypt",
            "--output",
            target.to_str().unwrap(),
            encrypted.to_str().unwrap(),
        ],
        3,
    );
    assert!(ours.stdout.is_empty());
    assert!(!sandbox.file("missing").exists());
    assert_eq!(read(&encrypted), before);
}

// --- exec-file --no-fifo and signals -------------------------------------------------------

/// Starts `exec-file --no-fifo` with a command that records its pid and sleeps, waits until the
/// plaintext file exists, sends `signal` to sops-rs, and checks what is left.
fn exec_file_interrupted(signal: &str, expected_code: i32) {
    let sandbox = Sandbox::new();
    let tmp = sandbox.file("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let encrypted = sandbox.copy_fixture("sops-3.11.0/yaml-age.yaml", "encrypted.yaml");
    let pid_file = sandbox.file("command.pid");
    let script = format!(
        "test -s {{}} && echo $$ > {}; exec sleep 60",
        pid_file.display()
    );
    let mut child = sops_rs_command(&sandbox, &sops_rs())
        .env("TMPDIR", &tmp)
        .args([
            "exec-file",
            "--no-fifo",
            encrypted.to_str().unwrap(),
            &script,
        ])
        .spawn()
        .expect("start sops-rs");

    // Wait for the command: it checked that the plaintext file is there.
    let started = Instant::now();
    while !pid_file.exists()
        || std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .is_empty()
    {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "sops-rs exited early ({status}): {}",
                std::fs::read_to_string(sandbox.file("stderr")).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the command never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sleeper = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    let private: Vec<PathBuf> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(private.len(), 1, "one private directory: {private:?}");
    assert_eq!(mode(&private[0]), 0o700);
    let files: Vec<PathBuf> = std::fs::read_dir(&private[0])
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "the plaintext file: {files:?}");
    assert_eq!(mode(&files[0]), 0o600);

    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = Command::new("kill").args(["-KILL", &sleeper]).status();
            panic!("sops-rs did not exit after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The command is sops-rs's child, not killed with it here (a terminal would signal the
    // whole process group): stop it.
    let _ = Command::new("kill").args(["-KILL", &sleeper]).status();

    assert_eq!(status.code(), Some(expected_code), "after SIG{signal}");
    let left: Vec<PathBuf> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        left.is_empty(),
        "the plaintext must be removed on SIG{signal}: {left:?}"
    );
}

#[test]
fn exec_file_no_fifo_removes_the_plaintext_on_sigterm() {
    // 128 + 15, as a shell reports a process killed by SIGTERM.
    exec_file_interrupted("TERM", 143);
}

#[test]
fn exec_file_no_fifo_removes_the_plaintext_on_sigint() {
    // sops's "keyboard interrupt" code.
    exec_file_interrupted("INT", 85);
}
