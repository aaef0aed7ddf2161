//! Encrypting and decrypting the data key with sequoia-openpgp, without the gpg binary.
//!
//! Encryption writes what sops' Go OpenPGP library writes: one public-key encrypted session
//! key packet (v3) per encryption-capable key of the certificate, a symmetrically encrypted
//! integrity-protected data packet (v1, AES-256), and inside it a binary literal packet with an
//! empty file name and date 0 holding the raw secret. The result is ASCII-armored with a CRC
//! line and no headers, and has no trailing newline. SEIPD v2 (RFC 9580 AEAD) is never used,
//! because GnuPG 2.2 cannot read it.
//!
//! Certificates are checked against sequoia's standard policy at the current time; expired or
//! revoked certificates and encryption keys are refused with the date or the reason.
//!
//! Decryption accepts armored or binary messages and uses any loaded secret key that a
//! session-key packet names (or every key, for anonymous recipients). Passphrase-protected
//! secret keys are skipped, never prompted for.

use super::keyring::{FpQuery, Keyring};
use sequoia_openpgp as openpgp;

use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message, Recipient};
use openpgp::types::{DataFormat, Features, RevocationStatus, SymmetricAlgorithm};
use openpgp::{Cert, KeyHandle};
use std::cell::Cell;
use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Encrypts `secret` to the key(s) of `cert` that `query` selects, armored as sops writes it.
pub(crate) fn encrypt(cert: &Cert, query: &FpQuery, secret: &[u8]) -> Result<String, String> {
    let policy = StandardPolicy::new();
    let fp = cert.fingerprint().to_hex();
    let valid = cert
        .with_policy(&policy, None)
        .map_err(|e| format!("certificate {fp} is not usable under the standard policy: {e}"))?;
    if let RevocationStatus::Revoked(sigs) = valid.revocation_status() {
        return Err(format!("certificate {fp} is revoked{}", reason(&sigs)));
    }
    if valid.alive().is_err() {
        return Err(match valid.primary_key().key_expiration_time() {
            Some(t) => format!("certificate {fp} expired on {}", date(t)),
            None => format!("certificate {fp} is not valid at the current time"),
        });
    }
    // A primary fingerprint selects every encryption key; a subkey fingerprint selects that
    // subkey (gpg does the same for `FP!`).
    let names_primary = query.matches(&fp);
    let mut refused = Vec::new();
    let mut recipients = Vec::new();
    for ka in valid
        .keys()
        .supported()
        .for_storage_encryption()
        .for_transport_encryption()
    {
        let key = ka.key();
        let key_fp = key.fingerprint().to_hex();
        let selected = (names_primary && !query.exact) || query.matches(&key_fp);
        if !selected {
            continue;
        }
        if let RevocationStatus::Revoked(sigs) = ka.revocation_status() {
            refused.push(format!("key {key_fp} is revoked{}", reason(&sigs)));
        } else if ka.alive().is_err() {
            refused.push(match ka.key_expiration_time() {
                Some(t) => format!("key {key_fp} expired on {}", date(t)),
                None => format!("key {key_fp} is not valid yet"),
            });
        } else {
            let features = Features::empty().set_seipdv1();
            recipients.push(Recipient::new(features, KeyHandle::from(key.keyid()), key));
        }
    }
    if recipients.is_empty() {
        let detail = if refused.is_empty() {
            "it has no encryption-capable key sops-rs supports".to_owned()
        } else {
            refused.join(", ")
        };
        return Err(format!("certificate {fp} cannot be encrypted to: {detail}"));
    }
    let fail = |e: openpgp::anyhow::Error| format!("OpenPGP encryption failed: {e}");
    let mut binary = Vec::with_capacity(1024);
    let message = Message::new(&mut binary);
    let message = Encryptor::for_recipients(message, recipients)
        .symmetric_algo(SymmetricAlgorithm::AES256)
        .build()
        .map_err(fail)?;
    let mut literal = LiteralWriter::new(message)
        .format(DataFormat::Binary)
        .build()
        .map_err(fail)?;
    literal
        .write_all(secret)
        .map_err(|e| fail(openpgp::anyhow::Error::from(e)))?;
    literal.finalize().map_err(fail)?;
    armor(&binary)
}

/// ASCII armor as Go's `armor.Encode` writes it for sops: begin line, blank line, base64 in
/// 64-column lines, `=` CRC-24 line, end line, no trailing newline.
pub(crate) fn armor(binary: &[u8]) -> Result<String, String> {
    use openpgp::armor::{Kind, Writer};
    let fail = |e: std::io::Error| format!("cannot armor the message: {e}");
    let mut writer =
        Writer::new(Vec::with_capacity(binary.len() * 2), Kind::Message).map_err(fail)?;
    writer.write_all(binary).map_err(fail)?;
    let out = writer.finalize().map_err(fail)?;
    let text = String::from_utf8(out).map_err(|_| "armor is not UTF-8".to_owned())?;
    Ok(text.replace("\r\n", "\n").trim_end().to_owned())
}

/// Decrypts `enc` with the secret keys in `ring`. The error says which keys the message is for
/// and which secret keys were available.
pub(crate) fn decrypt(enc: &str, ring: &Keyring) -> Result<Zeroizing<Vec<u8>>, String> {
    let policy = StandardPolicy::new();
    let asked = Cell::new(false);
    let helper = Helper {
        ring,
        asked: &asked,
        recipients: Vec::new(),
        skipped: Vec::new(),
    };
    let not_a_message =
        |e: &dyn std::fmt::Display| format!("the enc field is not a readable OpenPGP message: {e}");
    let builder = DecryptorBuilder::from_bytes(enc.as_bytes()).map_err(|e| not_a_message(&e))?;
    let mut decryptor = match builder.with_policy(&policy, None, helper) {
        Ok(d) => d,
        Err(e) if asked.get() || !ring.has_secrets() => {
            return Err(no_key_message(ring, &e.to_string()))
        }
        Err(e) => return Err(not_a_message(&e)),
    };
    let mut out = Zeroizing::new(Vec::with_capacity(64));
    decryptor
        .read_to_end(&mut out)
        .map_err(|e| format!("OpenPGP decryption failed: {e}"))?;
    if !decryptor.message_processed() {
        return Err("the OpenPGP message is truncated".to_owned());
    }
    Ok(out)
}

/// Explains a failed decryption: the recipients and the keys that were available.
fn no_key_message(ring: &Keyring, error: &str) -> String {
    if !ring.has_secrets() {
        return format!("no OpenPGP secret key is loaded ({})", ring.describe());
    }
    format!("{error} (secret keys looked for in: {})", ring.describe())
}

/// Finds secret keys for the session-key packets and reports what it saw.
struct Helper<'a> {
    ring: &'a Keyring,
    /// Set once the message's session-key packets were read: a later error is about keys.
    asked: &'a Cell<bool>,
    recipients: Vec<String>,
    skipped: Vec<String>,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(Vec::new())
    }

    fn check(&mut self, _structure: MessageStructure) -> openpgp::Result<()> {
        // sops messages are not signed; signatures, if any, are not checked.
        Ok(())
    }
}

impl DecryptionHelper for Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        self.asked.set(true);
        for pkesk in pkesks {
            let handle = pkesk.recipient();
            self.recipients.push(match &handle {
                Some(h) => h.to_hex(),
                None => "anonymous".to_owned(),
            });
            for (cert_fp, key) in self.ring.secret_keys(handle.as_ref()) {
                if key.secret().is_encrypted() {
                    self.skipped.push(format!(
                        "{} (of {cert_fp}) is passphrase-protected",
                        key.keyid().to_hex()
                    ));
                    continue;
                }
                let Ok(mut pair) = key.into_keypair() else {
                    continue;
                };
                if let Some((algo, sk)) = pkesk.decrypt(&mut pair, sym_algo) {
                    if decrypt(algo, &sk) {
                        return Ok(None);
                    }
                }
            }
        }
        let mut message = format!(
            "none of the loaded secret keys opens this message (it is encrypted to key ID {})",
            self.recipients.join(", ")
        );
        if !self.skipped.is_empty() {
            message.push_str(&format!(
                "; skipped, sops-rs does not prompt for passphrases: {}",
                self.skipped.join(", ")
            ));
        }
        Err(openpgp::anyhow::anyhow!(message))
    }
}

/// `: <reason>` for a revocation, if it states one.
fn reason(sigs: &[&openpgp::packet::Signature]) -> String {
    sigs.iter()
        .find_map(|s| s.reason_for_revocation())
        .map(|(code, text)| {
            let text = String::from_utf8_lossy(text);
            if text.trim().is_empty() {
                format!(" ({code})")
            } else {
                format!(" ({code}: {})", text.trim())
            }
        })
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS UTC` for `t`.
fn date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::{armor, date};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn dates() {
        assert_eq!(date(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_545_214);
        assert_eq!(date(t), "2026-11-24 18:33:34 UTC");
    }

    #[test]
    fn armor_has_crc_and_no_trailing_newline() {
        let text = armor(&[0xa3, 0x01, 0x02]).unwrap();
        assert!(text.starts_with("-----BEGIN PGP MESSAGE-----\n\n"));
        assert!(text.ends_with("\n-----END PGP MESSAGE-----"));
        let crc_line = text.lines().rev().nth(1).unwrap();
        assert!(crc_line.starts_with('=') && crc_line.len() == 5);
    }
}
