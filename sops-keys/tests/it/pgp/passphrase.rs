//! A passphrase-protected key: gpg-agent holds it, sops-rs never prompts, and a passphrase
//! preset in the agent (as a desktop pinentry or `gpg-preset-passphrase` would leave it) lets
//! `unwrap` through gpg succeed without a terminal.
#![cfg(feature = "pgp")]

use super::support::*;
use sops_core::KeySource;
use sops_keys::pgp::PgpKeySource;
use std::time::Duration;

const PASSPHRASE: &str = "correct horse battery staple";

/// Generates an Ed25519/Cv25519 key protected by `PASSPHRASE`; its fingerprint and keygrips.
fn generate(home: &GnupgHome) -> (String, Vec<String>) {
    let out = home.gpg(
        &[
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            PASSPHRASE,
            "--quick-gen-key",
            "Passphrase Test <passphrase@example.org>",
            "future-default",
            "default",
            "never",
        ],
        b"",
    );
    assert!(out.status.success(), "key generation: {}", stderr(&out));
    let out = home.gpg(
        &[
            "--batch",
            "--with-colons",
            "--with-keygrip",
            "--list-secret-keys",
        ],
        b"",
    );
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |kind: &str| -> Vec<String> {
        listing
            .lines()
            .filter(|l| l.starts_with(kind))
            .filter_map(|l| l.split(':').nth(9).map(str::to_owned))
            .collect()
    };
    let fp = field("fpr:").into_iter().next().expect("a fingerprint");
    (fp, field("grp:"))
}

/// Restarts the agent, forgetting every cached passphrase.
fn restart_agent(home: &GnupgHome) {
    let dir = home.path().to_str().unwrap();
    home.run("gpgconf", &["--homedir", dir, "--kill", "gpg-agent"], b"");
    home.run("gpg-connect-agent", &["/bye"], b"");
}

/// Caches `PASSPHRASE` in the agent for `grips` (needs `allow-preset-passphrase`).
fn preset(home: &GnupgHome, grips: &[String]) {
    let hex: String = PASSPHRASE.bytes().map(|b| format!("{b:02X}")).collect();
    for grip in grips {
        let command = format!("PRESET_PASSPHRASE {grip} -1 {hex}");
        let out = home.run("gpg-connect-agent", &[&command, "/bye"], b"");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            said.starts_with("OK"),
            "preset {grip}: {said} {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_passphrase_protected_key_works_through_a_primed_agent() {
    let home = GnupgHome::new(&[]);
    let (fp, grips) = generate(&home);
    let source = PgpKeySource::new(home.config().with_gpg_timeout(Duration::from_secs(20)));

    // Wrapping needs only the public key (from `gpg --export`).
    let secret: Vec<u8> = (100..132).collect();
    let mut e = entry(&fp, None);
    source.wrap(&mut e, &secret).unwrap();

    // A fresh agent cannot ask for the passphrase: no terminal, and sops-rs never prompts.
    restart_agent(&home);
    let message = unwrap_error(&source, &e);
    assert!(message.contains(&fp), "{message}");
    assert!(message.contains("gpg said:"), "{message}");

    // Once the agent knows the passphrase, gpg and sops-rs both decrypt without a prompt.
    preset(&home, &grips);
    assert_eq!(home.gpg_decrypt(e.field("enc").unwrap()), secret);
    assert_eq!(unwrap_ok(&source, &e), secret);
}

#[test]
fn a_protected_key_file_is_skipped_natively_and_reported() {
    let home = GnupgHome::new(&[]);
    let (fp, grips) = generate(&home);
    let out = home.gpg(
        &[
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            PASSPHRASE,
            "--armor",
            "--export-secret-keys",
            &fp,
        ],
        b"",
    );
    assert!(out.status.success(), "export: {}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("protected.asc");
    std::fs::write(&key_file, &out.stdout).unwrap();

    let secret = [42u8; 33];
    let mut e = entry(&fp, None);
    home.source().wrap(&mut e, &secret).unwrap();

    // Without gpg: the only key is protected, and that is what the error says.
    let native_only = PgpKeySource::new(
        sops_keys::pgp::PgpConfig::new()
            .with_key_file(&key_file)
            .with_gpg(false),
    );
    let message = unwrap_error(&native_only, &e);
    assert!(message.contains("passphrase-protected"), "{message}");
    assert!(message.contains("does not prompt"), "{message}");

    // With gpg and a primed agent, gpg takes over.
    preset(&home, &grips);
    let both = PgpKeySource::new(home.config().with_key_file(&key_file));
    match both.unwrap(&e) {
        Some(Ok(got)) => assert_eq!(got.secret_bytes(), secret),
        Some(Err(err)) => panic!("gpg fallback failed: {err}"),
        None => panic!("not mine"),
    }
}
