//! `decrypt --output-dir` and `helm dec` (issue 15, item 5): the plaintext they write is always
//! a fresh 0600 file (an existing wider file does not keep its mode), in directories created
//! 0700; an output that is an input itself, or that is not a regular file, is refused before
//! anything is written.

use crate::helm::support as helm_support;

use helm_support::{key, run, sops_rs, Sandbox, ALICE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `secrets/a.yaml` and `secrets/b.yaml` encrypted for alice, in the sandbox (not the chart).
fn secrets(s: &Sandbox) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for name in ["a", "b"] {
        let plain = s.write(
            &format!("plain/{name}.yaml"),
            format!("{name}: secret-{name}\n"),
        );
        let mut c = s.cmd(sops_rs());
        c.current_dir(s.path())
            .args(["encrypt", "--age", ALICE])
            .arg(&plain);
        let out = run(&mut c);
        assert!(out.ok(), "{}", out.describe());
        files.push(s.write(&format!("secrets/{name}.yaml"), out.stdout));
    }
    files
}

fn decrypt_to_dir(s: &Sandbox, dir: &str) -> helm_support::Output {
    let mut c = s.cmd(sops_rs());
    c.current_dir(s.path()).args([
        "decrypt",
        "secrets/a.yaml",
        "secrets/b.yaml",
        "--output-dir",
        dir,
    ]);
    run(&mut c)
}

#[test]
fn an_existing_wide_file_becomes_0600() {
    let s = Sandbox::new();
    secrets(&s);
    let old = s.write("out/secrets/a.yaml", "old\n");
    chmod(&old, 0o666);
    let out = decrypt_to_dir(&s, "out");
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "a: secret-a\n");
    assert_eq!(mode(&old), 0o600);
    let new = s.path().join("out/secrets/b.yaml");
    assert_eq!(mode(&new), 0o600);
    let mut c = s.cmd(sops_rs());
    c.current_dir(s.path())
        .args(["decrypt", "secrets/a.yaml", "--output-dir", "fresh"]);
    assert!(run(&mut c).ok());
    assert_eq!(mode(&s.path().join("fresh")), 0o700);
    assert_eq!(mode(&s.path().join("fresh/secrets")), 0o700);
}

#[test]
fn the_input_itself_is_never_overwritten() {
    let s = Sandbox::new();
    let inputs = secrets(&s);
    let before: Vec<Vec<u8>> = inputs.iter().map(|f| std::fs::read(f).unwrap()).collect();
    // `.` maps secrets/a.yaml onto itself.
    let out = decrypt_to_dir(&s, ".");
    assert_eq!(out.code, Some(8), "{}", out.describe());
    assert!(
        out.stderr.contains("is the input file"),
        "{}",
        out.describe()
    );
    // Through a symlinked directory: the same files under another name.
    std::os::unix::fs::symlink(".", s.path().join("again")).unwrap();
    let out = decrypt_to_dir(&s, "again");
    assert_eq!(out.code, Some(8), "{}", out.describe());
    for (file, before) in inputs.iter().zip(&before) {
        assert_eq!(
            &std::fs::read(file).unwrap(),
            before,
            "{} changed",
            file.display()
        );
    }
}

#[test]
fn a_target_that_is_not_a_regular_file_is_refused() {
    let s = Sandbox::new();
    secrets(&s);
    let elsewhere = s.write("elsewhere.yaml", "not yours\n");
    std::fs::create_dir_all(s.path().join("out/secrets")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, s.path().join("out/secrets/b.yaml")).unwrap();
    let out = decrypt_to_dir(&s, "out");
    assert_eq!(out.code, Some(3), "{}", out.describe());
    assert!(
        out.stderr.contains("not a regular file"),
        "{}",
        out.describe()
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "not yours\n");
    // Nothing was written, not even the other file.
    assert!(!s.path().join("out/secrets/a.yaml").exists());
    let fifo = s.path().join("out/secrets/a.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::remove_file(s.path().join("out/secrets/b.yaml")).unwrap();
    let out = decrypt_to_dir(&s, "out");
    assert_eq!(out.code, Some(3), "{}", out.describe());
}

fn helm_dec(s: &Sandbox) -> helm_support::Output {
    let mut c = s.cmd(sops_rs());
    c.args(["helm", "dec", "credentials.yaml"])
        .env("SOPS_AGE_KEY_FILE", key("age-alice.txt"));
    run(&mut c)
}

#[test]
fn helm_dec_writes_a_0600_file_over_an_old_one() {
    let s = Sandbox::new();
    let dec = s.write("chart/credentials.yaml.dec", "old\n");
    chmod(&dec, 0o644);
    let out = helm_dec(&s);
    assert!(out.ok(), "{}", out.describe());
    assert_eq!(std::fs::read_to_string(&dec).unwrap(), "password: test\n");
    assert_eq!(mode(&dec), 0o600);
    // A .dec that is a symlink is not followed.
    std::fs::remove_file(&dec).unwrap();
    let elsewhere = s.write("elsewhere.txt", "not yours\n");
    std::os::unix::fs::symlink(&elsewhere, &dec).unwrap();
    let out = helm_dec(&s);
    assert!(!out.ok(), "{}", out.describe());
    assert!(
        out.stderr.contains("not a regular file"),
        "{}",
        out.describe()
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "not yours\n");
}
