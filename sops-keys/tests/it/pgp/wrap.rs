//! Wrapping: the entry sops writes, the OpenPGP message format, each way of finding the
//! certificate, and the keys that must be refused.
#![cfg(feature = "pgp")]

use super::support::*;
use sequoia_openpgp as openpgp;
use sops_core::KeySource;
use sops_keys::pgp::{PgpConfig, PgpKeySource};

const ALL_KEYS: [&str; 2] = ["pgp-sops-functional-tests.asc", "pgp-ed25519.secret.asc"];

fn wrapped(source: &PgpKeySource, fp: &str, secret: &[u8]) -> sops_core::KeyEntry {
    let mut e = entry(fp, None);
    source
        .wrap(&mut e, secret)
        .unwrap_or_else(|err| panic!("wrap: {err}"));
    e
}

#[test]
fn wrap_writes_created_at_enc_fp_in_order() {
    let source = key_file_source(&["pgp-ed25519.public.asc"]);
    let e = wrapped(
        &source,
        "CC8C B359 1DF8 BB3C DE10  36B4 045E 0B7A 3765 1994",
        &[1; 32],
    );
    let names: Vec<&str> = e.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["created_at", "enc", "fp"]);
    assert_eq!(e.field("fp"), Some(ED_FP), "spaces are removed");
    let created = e.field("created_at").unwrap();
    assert_eq!(created.len(), 20, "{created}");
    assert!(
        created.ends_with('Z') && &created[10..11] == "T",
        "{created}"
    );
    let enc = e.field("enc").unwrap();
    assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----\n\n"), "{enc}");
    assert!(
        enc.ends_with("\n-----END PGP MESSAGE-----"),
        "no trailing newline: {enc:?}"
    );
    assert!(!enc.contains('\r'));
    let lines: Vec<&str> = enc.lines().collect();
    let crc = lines[lines.len() - 2];
    assert!(crc.starts_with('=') && crc.len() == 5, "CRC line: {crc}");
    assert!(lines[2..lines.len() - 2].iter().all(|l| l.len() <= 64));
}

#[test]
fn the_message_is_a_binary_literal_with_empty_name_and_date_zero() {
    let home = GnupgHome::new(&ALL_KEYS);
    let source = key_file_source(&["pgp-ed25519.public.asc"]);
    let e = wrapped(&source, ED_FP, &[9; 32]);
    let out = home.gpg(
        &["--batch", "--list-packets"],
        e.field("enc").unwrap().as_bytes(),
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains("mode b"), "{listing}");
    assert!(listing.contains("created 0"), "{listing}");
    assert!(listing.contains("name=\"\""), "{listing}");
    assert!(listing.contains("raw data: 32 bytes"), "{listing}");
    // A v3 session-key packet for the Cv25519 subkey, and SEIPD v1 (GnuPG 2.2 reads no v2).
    assert!(
        listing.contains("pubkey enc packet: version 3"),
        "{listing}"
    );
    assert!(listing.contains("953A7DD47B5EF0F4"), "{listing}");
    assert!(listing.contains("mdc_method: 2"), "{listing}");
}

#[test]
fn gpg_decrypts_what_sops_rs_wraps_from_key_files() {
    let home = GnupgHome::new(&ALL_KEYS);
    let source = key_file_source(&["pgp-sops-functional-tests.asc", "pgp-ed25519.public.asc"]);
    for (fp, secret) in [
        (RSA_FP, vec![0x5a; 32]),
        (ED_FP, (0..33).collect::<Vec<u8>>()),
    ] {
        let e = wrapped(&source, fp, &secret);
        assert_eq!(home.gpg_decrypt(e.field("enc").unwrap()), secret, "{fp}");
        // And back natively, from the secret key files.
        assert_eq!(unwrap_ok(&key_file_source(&ALL_KEYS), &e), secret, "{fp}");
    }
}

#[test]
fn the_certificate_comes_from_gpg_export_when_no_file_has_it() {
    let home = GnupgHome::new(&["pgp-sops-functional-tests.asc", "pgp-ed25519.public.asc"]);
    let source = home.source();
    for fp in [RSA_FP, ED_FP, &ED_FP.to_lowercase()] {
        let e = wrapped(&source, fp, &[7; 32]);
        let enc = e.field("enc").unwrap();
        // sequoia's packets, not gpg's: a new-format session-key packet header (0xC1).
        assert!(enc.contains("\n\nw"), "{enc}");
        assert_eq!(unwrap_ok(&key_file_source(&ALL_KEYS), &e), [7; 32], "{fp}");
    }
}

#[test]
fn gpg_encrypt_is_the_fallback() {
    let home = GnupgHome::new(&ALL_KEYS);
    let source = PgpKeySource::new(home.config().with_native(false));
    let e = wrapped(&source, RSA_FP, &[3; 32]);
    let enc = e.field("enc").unwrap();
    assert!(enc.starts_with("-----BEGIN PGP MESSAGE-----"), "{enc}");
    assert!(
        enc.ends_with("-----END PGP MESSAGE-----"),
        "trimmed: {enc:?}"
    );
    assert_eq!(unwrap_ok(&key_file_source(&ALL_KEYS), &e), [3; 32]);
    assert_eq!(unwrap_ok(&source, &e), [3; 32]);
}

#[test]
fn an_unknown_fingerprint_reports_every_place_looked() {
    let home = GnupgHome::new(&["pgp-ed25519.public.asc"]);
    let mut e = entry(RSA_FP, None);
    let err = home.source().wrap(&mut e, &[0; 32]).unwrap_err().message;
    assert!(
        err.contains(&format!("no certificate for {RSA_FP}")),
        "{err}"
    );
    assert!(err.contains("pubring.gpg: not present"), "{err}");
    assert!(err.contains("gpg --encrypt"), "{err}");
    assert_eq!(e.fields.len(), 1, "a failed wrap leaves the entry alone");
    let mut e = entry("", None);
    assert!(home.source().wrap(&mut e, &[0; 32]).is_err());
    let no_gpg = PgpKeySource::new(PgpConfig::new().with_gpg_program("/nonexistent/gpg"));
    let err = no_gpg
        .wrap(&mut entry(RSA_FP, None), &[0; 32])
        .unwrap_err()
        .message;
    assert!(
        err.contains("cannot run the GnuPG program `/nonexistent/gpg`"),
        "{err}"
    );
}

/// A Cv25519 certificate made with sequoia, created two years ago.
fn generated(validity_days: Option<u64>) -> (openpgp::Cert, openpgp::packet::Signature) {
    use openpgp::cert::{CertBuilder, CipherSuite};
    use std::time::{Duration, SystemTime};
    let day = Duration::from_secs(86_400);
    let mut builder = CertBuilder::new()
        .add_userid("sops-rs test <test@example.org>")
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(SystemTime::now() - 730 * day)
        .add_storage_encryption_subkey();
    builder = builder.set_validity_period(validity_days.map(|d| day * d as u32));
    builder.generate().unwrap()
}

fn write_cert(dir: &tempfile::TempDir, cert: &openpgp::Cert) -> std::path::PathBuf {
    use openpgp::serialize::SerializeInto;
    let path = dir
        .path()
        .join(format!("{}.asc", cert.fingerprint().to_hex()));
    std::fs::write(&path, cert.armored().to_vec().unwrap()).unwrap();
    path
}

#[test]
fn expired_and_revoked_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (expired, _) = generated(Some(30));
    let (revoked, revocation) = generated(None);
    let (revoked, _) = revoked.insert_packets(revocation).unwrap();
    let (good, _) = generated(None);
    let config = [&expired, &revoked, &good]
        .into_iter()
        .fold(PgpConfig::new().with_gpg(false), |c, cert| {
            c.with_key_file(write_cert(&dir, cert))
        });
    let source = PgpKeySource::new(config);

    let fp = expired.fingerprint().to_hex();
    let err = source
        .wrap(&mut entry(&fp, None), &[0; 32])
        .unwrap_err()
        .message;
    assert!(
        err.contains(&format!("certificate {fp} expired on ")),
        "{err}"
    );

    let fp = revoked.fingerprint().to_hex();
    let err = source
        .wrap(&mut entry(&fp, None), &[0; 32])
        .unwrap_err()
        .message;
    assert!(
        err.contains(&format!("certificate {fp} is revoked")),
        "{err}"
    );

    let e = wrapped(&source, &good.fingerprint().to_hex(), &[1; 32]);
    assert!(e.field("enc").is_some());
}
