//! The malformed-input corpus (`sops-core/tests/data/malformed/`, plus the big inputs
//! `sops_test_support::malformed` builds) against the `sops-rs` binary: `decrypt FILE` and `encrypt --age … FILE` on
//! every input, each within 10 s.
//!
//! Promises checked for every run: the process exits by itself (no signal, no stack overflow
//! abort, no hang), never with Rust's panic code 101, always with one of sops's exit codes; a
//! failure prints a message on stderr and nothing on stdout. `decrypt` fails on every input
//! (none is a valid encrypted file). `encrypt` may succeed on input that is odd but valid (a
//! huge integer, a lone surrogate), and must then print the encrypted file.

use crate::support::{age_key_path, age_recipient, repo_root, Sandbox};
use sops_test_support::malformed;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(10);

/// sops 3.11's exit codes (`cmd/sops/codes`).
const SOPS_CODES: &[i32] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 21, 23, 24, 25, 49, 51, 52, 61, 85, 91, 92, 100, 111, 128, 200, 201,
    202, 203,
];

fn sops_rs() -> PathBuf {
    sops_test_support::sops_rs_bin!()
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Runs sops-rs with `args` in `sandbox` (alice's key), killing it after [`DEADLINE`].
fn run(sandbox: &Sandbox, args: &[&str]) -> Result<Run, String> {
    let mut child = Command::new(sops_rs())
        .args(args)
        .current_dir(sandbox.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", sandbox.file("home"))
        .env("XDG_CONFIG_HOME", sandbox.file("home/.config"))
        .env("SOPS_AGE_KEY_FILE", age_key_path("age-alice"))
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start sops-rs: {e}"))?;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "did not finish within {DEADLINE:?} (a hang?); killed"
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Ok(Run {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
        elapsed: started.elapsed(),
    })
}

/// The promises for one run; `may_succeed` for `encrypt`.
fn check(run: &Run, may_succeed: bool) -> Result<(), String> {
    let code = run.code.ok_or_else(|| {
        format!(
            "killed by a signal (stack overflow? out of memory?); stderr: {}",
            first_lines(&run.stderr)
        )
    })?;
    if code == 101 {
        return Err(format!("panicked (exit 101): {}", first_lines(&run.stderr)));
    }
    if !SOPS_CODES.contains(&code) {
        return Err(format!(
            "exit {code} is not a sops exit code: {}",
            first_lines(&run.stderr)
        ));
    }
    if code == 0 {
        if !may_succeed {
            return Err("succeeded on malformed input".to_owned());
        }
        if run.stdout.is_empty() {
            return Err("succeeded and printed nothing".to_owned());
        }
        return Ok(());
    }
    if run.stderr.trim().is_empty() {
        return Err(format!("exit {code} without a message on stderr"));
    }
    if !run.stdout.is_empty() {
        return Err(format!(
            "exit {code} with {} bytes on stdout",
            run.stdout.len()
        ));
    }
    Ok(())
}

fn first_lines(text: &str) -> String {
    text.lines().take(3).collect::<Vec<_>>().join(" | ")
}

fn corpus_dir() -> PathBuf {
    repo_root().join("sops-core/tests/data/malformed")
}

fn committed_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the malformed corpus")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !matches!(&*name, "generate.py" | "MANIFEST.tsv")
        })
        .collect();
    files.sort();
    files
}

/// Runs decrypt and encrypt on every file; fails listing every broken promise.
fn run_all(sandbox: &Sandbox, files: &[PathBuf]) {
    assert!(!files.is_empty());
    let alice = age_recipient("age-alice");
    let mut failures = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let path = file.to_str().expect("UTF-8 path");
        for (what, args, may_succeed) in [
            ("decrypt", vec!["decrypt", path], false),
            ("encrypt", vec!["encrypt", "--age", &alice, path], true),
        ] {
            match run(sandbox, &args).and_then(|r| {
                check(&r, may_succeed)?;
                Ok(r)
            }) {
                Ok(r) => println!("{name} {what}: exit {:?} in {:?}", r.code, r.elapsed),
                Err(e) => failures.push(format!("{name} {what}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} run(s) broke a promise:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn committed_malformed_files_fail_cleanly() {
    let sandbox = Sandbox::new();
    let files = committed_files();
    assert!(files.len() >= 50, "only {} malformed files", files.len());
    run_all(&sandbox, &files);
}

#[test]
fn big_malformed_inputs_fail_cleanly() {
    let sandbox = Sandbox::new();
    let files: Vec<PathBuf> = malformed::big_inputs()
        .into_iter()
        .map(|(name, bytes)| sandbox.write(name, bytes))
        .collect();
    run_all(&sandbox, &files);
}

#[test]
fn documents_at_the_depth_limit_encrypt_and_decrypt() {
    let sandbox = Sandbox::new();
    let alice = age_recipient("age-alice");
    for (name, bytes) in malformed::deep_valid_inputs(sops_core::tree::MAX_DEPTH) {
        let file = sandbox.write(name, &bytes);
        let encrypted = run(
            &sandbox,
            &["encrypt", "--age", &alice, file.to_str().unwrap()],
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(encrypted.code, Some(0), "{name}: {}", encrypted.stderr);
        let ext = Path::new(name).extension().unwrap().to_str().unwrap();
        let enc_file = sandbox.write(&format!("enc-{name}.{ext}"), &encrypted.stdout);
        let decrypted = run(&sandbox, &["decrypt", enc_file.to_str().unwrap()])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decrypted.code, Some(0), "{name}: {}", decrypted.stderr);
    }
}
