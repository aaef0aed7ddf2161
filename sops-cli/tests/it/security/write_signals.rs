//! Signals during a write (issue 15, item 8): SIGINT, SIGTERM or SIGHUP while sops-rs writes
//! the temporary file beside the target leave no `.sops-rs-*` file behind and the original
//! unchanged; the temporary file is 0600 while it is incomplete.
//!
//! The signal is sent as soon as the temporary file is seen, so a run may end before that; each
//! signal is tried up to six times on an 8 MiB file.

use crate::support as common;

use common::{age_key_path, age_recipient, read, set_mode, Sandbox, Tool};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".sops-rs-")
        })
        .collect()
}

/// The size of the file that is interrupted while being written.
const BIG: u64 = 8 << 20;

/// A binary file of [`BIG`] bytes encrypted for alice: its write and fsync take a while.
fn big_encrypted(sandbox: &Sandbox) -> Vec<u8> {
    let big = sandbox.write("big.bin", vec![b'x'; BIG as usize]);
    let out = sandbox
        .run(
            Tool::SopsRs,
            &[
                "encrypt",
                "--age",
                &age_recipient("age-alice"),
                big.to_str().unwrap(),
            ],
        )
        .expect_success();
    out.stdout
}

/// Starts `decrypt` of the big file (in place or to `--output`) in a fresh directory, sends
/// `signal` as soon as the temporary file beside the target exists, and checks that none is
/// left. Returns false when the run ended before the temporary file was seen (the caller tries
/// again).
fn interrupted_while_writing(
    sandbox: &Sandbox,
    encrypted_data: &[u8],
    attempt: &str,
    signal: &str,
    in_place: bool,
) -> bool {
    let dir = sandbox.file(attempt);
    std::fs::create_dir(&dir).unwrap();
    let encrypted = dir.join("big.bin");
    std::fs::write(&encrypted, encrypted_data).unwrap();
    set_mode(&encrypted, 0o644);
    let mut command = Command::new(Tool::SopsRs.program());
    command
        .current_dir(sandbox.path())
        .env_clear()
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env("HOME", sandbox.file("home"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if in_place {
        command.args(["decrypt", "-i"]).arg(&encrypted);
    } else {
        command
            .args(["decrypt", "--output"])
            .arg(dir.join("out.bin"))
            .arg(&encrypted);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let seen = loop {
        let found = temporaries(&dir);
        if let Some(temp) = found.first() {
            if let Ok(meta) = std::fs::metadata(temp) {
                if meta.len() < BIG {
                    assert_eq!(
                        meta.mode() & 0o777,
                        0o600,
                        "a partial temporary file is not 0600"
                    );
                }
            }
            break true;
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            break false;
        }
        std::thread::yield_now();
    };
    if !seen {
        let _ = child.kill();
        let _ = child.wait();
        return false;
    }
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let left = temporaries(&dir);
    assert!(
        left.is_empty(),
        "SIG{signal} left plaintext beside the target: {left:?}"
    );
    if in_place && status.code() != Some(0) {
        // The signal may land after the rename: then the file is the whole plaintext. Either
        // way it is never a mix or a partial write.
        let now = read(&encrypted);
        let whole_plaintext = now.len() as u64 == BIG && now.iter().all(|&b| b == b'x');
        assert!(
            now == encrypted_data || whole_plaintext,
            "interrupted: the file must be the original or the whole plaintext, not {} bytes of something else",
            now.len()
        );
    }
    true
}

#[test]
fn a_signal_during_a_write_leaves_no_temporary_file() {
    let sandbox = Sandbox::new();
    let encrypted = big_encrypted(&sandbox);
    for (signal, in_place) in [("INT", true), ("TERM", false), ("HUP", true)] {
        let caught = (0..6).any(|i| {
            let attempt = format!("{signal}-{i}");
            interrupted_while_writing(&sandbox, &encrypted, &attempt, signal, in_place)
        });
        assert!(
            caught,
            "never saw the temporary file for SIG{signal}; the machine is too fast?"
        );
    }
}
