//! Unwrapping the data keys of files written by sops 3.11, natively and through gpg, and the
//! errors when that cannot work.
#![cfg(feature = "pgp")]

use super::support::*;
use sops_core::KeySource;
use sops_keys::pgp::{PgpConfig, PgpKeySource};
use std::time::Duration;

const ALL_KEYS: [&str; 2] = ["pgp-sops-functional-tests.asc", "pgp-ed25519.secret.asc"];

#[test]
fn fixtures_unwrap_through_gpg_agent() {
    let home = GnupgHome::new(&ALL_KEYS);
    for native in [true, false] {
        let source = PgpKeySource::new(home.config().with_native(native));
        for r in rows() {
            let got = unwrap_ok(&source, &row_entry(&r));
            assert_eq!(got, r.bytes, "{} (native first: {native})", r.file);
            assert_eq!(got, home.gpg_decrypt(&read(&r.file)), "{}", r.file);
        }
    }
}

#[test]
fn fixtures_unwrap_natively_from_armored_secret_key_files() {
    for r in rows() {
        let source = key_file_source(&[&r.key_file]);
        assert_eq!(unwrap_ok(&source, &row_entry(&r)), r.bytes, "{}", r.file);
    }
    // One source with both files opens all of them.
    let source = key_file_source(&ALL_KEYS);
    for r in rows() {
        assert_eq!(unwrap_ok(&source, &row_entry(&r)), r.bytes, "{}", r.file);
    }
}

#[test]
fn fixtures_unwrap_natively_from_a_legacy_secring() {
    // GnuPG 1.x kept secret keys in secring.gpg (binary); sops reads it with its OpenPGP
    // library. Build one by exporting from an agent home, then use it without gpg.
    let agent_home = GnupgHome::new(&ALL_KEYS);
    let exported = agent_home.gpg(&["--batch", "--export-secret-keys", RSA_FP, ED_FP], b"");
    assert!(exported.status.success(), "{}", stderr(&exported));
    let legacy = tempfile::tempdir().unwrap();
    std::fs::write(legacy.path().join("secring.gpg"), &exported.stdout).unwrap();
    let source = PgpKeySource::new(
        PgpConfig::new()
            .with_gnupg_home(legacy.path())
            .with_gpg(false),
    );
    for r in rows() {
        assert_eq!(unwrap_ok(&source, &row_entry(&r)), r.bytes, "{}", r.file);
    }
    let described = source.describe_sources().join("\n");
    assert!(described.contains("secring.gpg: 2 key(s), 2 with secret key material"));
    assert!(
        described.contains("pubring.gpg: not present"),
        "{described}"
    );
}

#[test]
fn a_missing_secret_key_names_the_fingerprint_and_what_gpg_said() {
    // Only the public half of the Ed25519 key: nothing can open the RSA fixture.
    let home = GnupgHome::new(&["pgp-ed25519.public.asc"]);
    let r = row("yaml-pgp-rsa.enc.asc");
    let message = unwrap_error(&home.source(), &row_entry(&r));
    assert!(message.contains(RSA_FP), "{message}");
    assert!(message.contains("gpg said:"), "{message}");
    assert!(
        message.contains("no OpenPGP secret key is loaded"),
        "{message}"
    );
    assert!(
        message.contains(&home.path().display().to_string()),
        "{message}"
    );
    if std::env::var("LANG").map_or(true, |l| l.starts_with("C") || l.starts_with("en")) {
        assert!(message.contains("No secret key"), "{message}");
        assert!(message.contains("hint: the secret key is not in this GnuPG home"));
    }
}

#[test]
fn a_key_file_with_the_wrong_key_lists_the_message_recipients() {
    let r = row("yaml-pgp-rsa.enc.asc");
    let source = key_file_source(&["pgp-ed25519.secret.asc"]);
    let message = unwrap_error(&source, &row_entry(&r));
    assert!(message.contains(RSA_FP), "{message}");
    // The RSA fixture is encrypted to the RSA key's encryption subkey.
    assert!(message.contains("25294A17CD90507F"), "{message}");
    assert!(message.contains("pgp-ed25519.secret.asc"), "{message}");
}

#[test]
fn a_missing_gpg_binary_is_a_clear_error() {
    let r = row("yaml-pgp-ed25519.enc.asc");
    let source = PgpKeySource::new(PgpConfig::new().with_gpg_program("/nonexistent/gpg"));
    let message = unwrap_error(&source, &row_entry(&r));
    assert!(message.contains(ED_FP), "{message}");
    assert!(
        message.contains("cannot run the GnuPG program `/nonexistent/gpg`"),
        "{message}"
    );
    assert!(message.contains("SOPS_GPG_EXEC"), "{message}");
}

#[test]
fn nothing_available_is_not_mine() {
    let r = row("yaml-pgp-rsa.enc.asc");
    let source = PgpKeySource::new(PgpConfig::new().with_gpg(false));
    assert!(source.unwrap(&row_entry(&r)).is_none());
    // A public key alone is not a secret key either.
    let source = key_file_source(&["pgp-ed25519.public.asc"]);
    assert!(source.unwrap(&row_entry(&r)).is_none());
}

#[test]
fn bad_entries_are_errors_not_panics() {
    let source = key_file_source(&ALL_KEYS);
    let no_enc = entry(RSA_FP, None);
    assert!(unwrap_error(&source, &no_enc).contains("has no enc field"));
    for junk in [
        "garbage",
        "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----",
    ] {
        let message = unwrap_error(&source, &entry(RSA_FP, Some(junk)));
        assert!(message.contains(RSA_FP), "{message}");
    }
    let missing = key_file_source(&["does-not-exist.asc"]);
    assert!(missing.describe_sources()[0].ends_with("does-not-exist.asc: does not exist"));
}

#[cfg(unix)]
#[test]
fn a_hanging_gpg_is_killed_after_the_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("gpg");
    std::fs::write(&fake, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let source = PgpKeySource::new(
        PgpConfig::new()
            .with_gpg_program(fake.to_str().unwrap())
            .with_gpg_timeout(Duration::from_millis(500)),
    );
    let started = std::time::Instant::now();
    let message = unwrap_error(&source, &row_entry(&row("yaml-pgp-rsa.enc.asc")));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        message.contains("did not finish within 500 ms"),
        "{message}"
    );
}

/// Set in the child process of `from_env_reads_the_sops_variables`.
const CHILD_VAR: &str = "SOPS_RS_PGP_FROM_ENV_CHILD";

#[test]
fn from_env_reads_the_sops_variables() {
    // This process's environment is left alone: the test re-runs itself in a child process
    // with the variables set, and the child does the checking.
    if std::env::var_os(CHILD_VAR).is_some() {
        let source = PgpKeySource::from_env();
        let sources = source.describe_sources();
        let key_file = data("pgp-ed25519.secret.asc").display().to_string();
        assert_eq!(
            sources[0],
            format!("SOPS_PGP_KEY_FILE {key_file}: 1 key(s), 1 with secret key material")
        );
        assert!(sources[1].contains("gnupg-home"), "{sources:?}");
        assert!(
            sources[1].ends_with("secring.gpg: not present"),
            "{sources:?}"
        );
        assert!(sources[3].starts_with("GnuPG: `/nonexistent/sops-gpg --homedir "));
        let r = row("yaml-pgp-ed25519.enc.asc");
        assert_eq!(unwrap_ok(&source, &row_entry(&r)), r.bytes);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // The test harness names the test by its module path without the crate.
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            &format!("{module}::from_env_reads_the_sops_variables"),
            "--test-threads=1",
        ])
        .env(CHILD_VAR, "1")
        .env("SOPS_PGP_KEY_FILE", data("pgp-ed25519.secret.asc"))
        .env("GNUPGHOME", dir.path().join("gnupg-home"))
        .env("SOPS_GPG_EXEC", "/nonexistent/sops-gpg")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child: {stdout}{}", stderr(&out));
    assert!(stdout.contains("1 passed"), "{stdout}");
}
