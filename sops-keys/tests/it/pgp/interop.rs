//! Interop with the reference sops 3.11: the data key of a sops-written file is re-wrapped by
//! sops-rs, the new `enc` replaces the old one in a copy of the file, and the real
//! `sops decrypt` must still print the plaintext, both through gpg (a GnuPG home with an agent)
//! and through its Go OpenPGP library (a legacy `secring.gpg`, with gpg made unavailable).
//!
//! The reference binary is `$SOPS_REFERENCE_BIN`, else `sops` on `PATH`.
#![cfg(feature = "pgp")]

use super::support::*;
use sops_core::KeySource;
use std::path::Path;
use std::process::Command;

const ALL_KEYS: [&str; 2] = ["pgp-sops-functional-tests.asc", "pgp-ed25519.secret.asc"];

/// (fixture, enc file) pairs: RSA, Ed25519, and the pgp entry of an age+pgp file.
const CASES: [(&str, &str); 3] = [
    ("yaml-pgp-rsa.yaml", "yaml-pgp-rsa.enc.asc"),
    ("yaml-pgp-ed25519.yaml", "yaml-pgp-ed25519.enc.asc"),
    ("yaml-age-and-pgp.yaml", "yaml-age-and-pgp.enc.asc"),
];

fn sops_binary() -> &'static Path {
    sops_test_support::reference_sops()
}

/// `enc` as it appears in the YAML literal block: indented, blank lines left empty.
fn as_block(enc: &str, indent: &str) -> String {
    enc.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{indent}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fixture with its pgp `enc` replaced by `new_enc`.
fn substitute(yaml: &str, old_enc: &str, new_enc: &str) -> String {
    let begin = yaml
        .find("-----BEGIN PGP MESSAGE-----")
        .expect("a PGP message");
    let line_start = yaml[..begin].rfind('\n').map_or(0, |i| i + 1);
    let indent = &yaml[line_start..begin];
    let old_block = as_block(old_enc, indent);
    assert!(yaml.contains(&old_block), "the enc block is where expected");
    let out = yaml.replacen(&old_block, &as_block(new_enc, indent), 1);
    assert_ne!(out, yaml);
    out
}

/// Runs `sops decrypt file` with `env`; its stdout, asserting success.
fn sops_decrypt(file: &Path, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(sops_binary());
    command
        .args(["decrypt", "--input-type", "yaml", "--output-type", "yaml"])
        .arg(file)
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env_remove("SOPS_AGE_KEY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("SOPS_AGE_KEY_CMD");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = run_with_input(&mut command, b"").unwrap_or_else(|e| {
        panic!(
            "cannot run the reference sops `{}`: {e}",
            sops_binary().display()
        )
    });
    assert!(
        out.status.success(),
        "sops decrypt {}: {}",
        file.display(),
        stderr(&out)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes a copy of each fixture whose `enc` sops-rs wrapped (same data key); returns the
/// copies with their expected plaintexts.
fn rewrapped_copies(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let secret_keys = key_file_source(&ALL_KEYS);
    let public_keys = key_file_source(&["pgp-sops-functional-tests.asc", "pgp-ed25519.public.asc"]);
    let mut out = Vec::new();
    for (fixture, enc_file) in CASES {
        let r = row(enc_file);
        let data_key = unwrap_ok(&secret_keys, &row_entry(&r));
        assert_eq!(data_key, r.bytes);
        let mut fresh = entry(&r.fp, None);
        public_keys.wrap(&mut fresh, &data_key).unwrap();
        let new_enc = fresh.field("enc").unwrap();
        assert_ne!(new_enc, read(enc_file));
        let path = dir.join(fixture);
        std::fs::write(&path, substitute(&read(fixture), &read(enc_file), new_enc)).unwrap();
        let plain = read(&fixture.replace(".yaml", ".plain.yaml"));
        out.push((path, plain));
    }
    out
}

#[test]
fn reference_sops_decrypts_sops_rs_enc_through_gpg() {
    let home = GnupgHome::new(&ALL_KEYS);
    let dir = tempfile::tempdir().unwrap();
    let gnupghome = home.path().to_str().unwrap();
    for (path, plain) in rewrapped_copies(dir.path()) {
        let got = sops_decrypt(&path, &[("GNUPGHOME", gnupghome)]);
        assert_eq!(got, plain, "{}", path.display());
    }
}

#[test]
fn reference_sops_decrypts_sops_rs_enc_with_its_go_openpgp_library() {
    // A legacy keyring is what sops's Go OpenPGP code reads; gpg is made unavailable so that
    // nothing else can have done the decryption.
    let agent_home = GnupgHome::new(&ALL_KEYS);
    let exported = agent_home.gpg(&["--batch", "--export-secret-keys", RSA_FP, ED_FP], b"");
    assert!(exported.status.success(), "{}", stderr(&exported));
    let legacy = tempfile::tempdir().unwrap();
    std::fs::write(legacy.path().join("secring.gpg"), &exported.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("GNUPGHOME", legacy.path().to_str().unwrap()),
        ("SOPS_GPG_EXEC", "/nonexistent/gpg"),
    ];
    for (path, plain) in rewrapped_copies(dir.path()) {
        assert_eq!(sops_decrypt(&path, &env), plain, "{}", path.display());
    }
}

#[test]
fn sops_rs_reads_what_the_reference_sops_wraps_with_gpg() {
    // The fixtures' own enc values come from sops 3.11 falling back to `gpg --encrypt`;
    // check the other way round too, with a fresh wrap by the reference binary.
    let home = GnupgHome::new(&ALL_KEYS);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.yaml");
    std::fs::write(&plain, "secret: value\n").unwrap();
    let mut command = Command::new(sops_binary());
    command
        .args(["encrypt", "--pgp", ED_FP])
        .arg(&plain)
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env("GNUPGHOME", home.path());
    let out = run_with_input(&mut command, b"").expect("the reference sops");
    assert!(out.status.success(), "sops encrypt: {}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let start = text.find("-----BEGIN PGP MESSAGE-----").unwrap();
    let end = text.find("-----END PGP MESSAGE-----").unwrap() + 25;
    let enc: String = text[start..end]
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n");
    let e = entry(ED_FP, Some(&enc));
    let natively = unwrap_ok(&key_file_source(&ALL_KEYS), &e);
    assert_eq!(natively.len(), 32);
    assert_eq!(natively, home.gpg_decrypt(&enc));
}
