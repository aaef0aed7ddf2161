//! Post-quantum age (`age1pq1…` / `AGE-SECRET-KEY-PQ-1…`, the `mlkem768x25519` stanza): the
//! C2SP test kit's hybrid vectors, the specification's example key, and the backend's
//! wrap/unwrap with a post-quantum identity.
//!
//! The vectors are `fixtures/age-pq/testkit/` (copied from c2sp.org/CCTV/age by
//! `fixtures/age-pq/regen.sh`); each is decrypted with the `age` crate's decryptor and the
//! identities it lists, and must end as its `expect:` line says.

use super::support::{entry, hex};
use age::armor::ArmoredReader;
use sha2::{Digest, Sha256};
use sops_core::KeySource;
use sops_keys::age::{pq, AgeKeySource};
use std::io::Read;

/// One test-kit vector: its header lines and the age file after the blank line.
struct Vector {
    name: String,
    expect: String,
    payload: Option<Vec<u8>>,
    identities: Vec<String>,
    armored: bool,
    file: Vec<u8>,
}

fn vector(path: &std::path::Path) -> Vector {
    let bytes = std::fs::read(path).unwrap();
    let split = bytes.windows(2).position(|w| w == b"\n\n").expect("header");
    let header = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut v = Vector {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        expect: String::new(),
        payload: None,
        identities: Vec::new(),
        armored: false,
        file: bytes[split + 2..].to_vec(),
    };
    let mut compressed = false;
    for line in header.lines() {
        let (key, value) = line.split_once(": ").expect("key: value");
        match key {
            "expect" => v.expect = value.to_owned(),
            "payload" => v.payload = Some(hex(value)),
            "identity" => v.identities.push(value.to_owned()),
            "armored" => v.armored = value == "yes",
            "compressed" => compressed = value == "zlib",
            _ => {}
        }
    }
    if compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&v.file[..])
            .read_to_end(&mut out)
            .unwrap();
        v.file = out;
    }
    v
}

/// What decrypting the vector gave: "success", "no match", "header failure" or
/// "payload failure", the test kit's words.
fn outcome(v: &Vector) -> String {
    let ids: Vec<Box<dyn age::Identity>> = v
        .identities
        .iter()
        .map(|s| -> Box<dyn age::Identity> {
            if s.starts_with(pq::IDENTITY_PREFIX) {
                Box::new(pq::Identity::parse(s).unwrap())
            } else {
                Box::new(s.parse::<age::x25519::Identity>().unwrap())
            }
        })
        .collect();
    let input: Box<dyn std::io::BufRead> = if v.armored {
        Box::new(std::io::BufReader::new(ArmoredReader::new(&v.file[..])))
    } else {
        Box::new(&v.file[..])
    };
    let decryptor = match age::Decryptor::new_buffered(input) {
        Ok(d) => d,
        Err(_) => return "header failure".to_owned(),
    };
    let mut reader = match decryptor.decrypt(ids.iter().map(|i| i.as_ref())) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => return "no match".to_owned(),
        Err(_) => return "header failure".to_owned(),
    };
    let mut payload = Vec::new();
    if reader.read_to_end(&mut payload).is_err() {
        return "payload failure".to_owned();
    }
    match &v.payload {
        Some(hash) if Sha256::digest(&payload).as_slice() != &hash[..] => {
            "wrong payload".to_owned()
        }
        _ => "success".to_owned(),
    }
}

#[test]
fn the_c2sp_test_kit_hybrid_vectors_end_as_expected() {
    let dir = sops_test_support::fixture("age-pq/testkit");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "CCTV-COMMIT")
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 19,
        "expected the test kit in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut successes = 0;
    for path in &paths {
        let v = vector(path);
        let got = outcome(&v);
        successes += usize::from(got == "success");
        if got != v.expect {
            failures.push(format!("{}: expected {}, got {got}", v.name, v.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(successes >= 5, "the kit has five vectors that decrypt");
}

#[test]
fn the_specification_example_identity_gives_its_recipient() {
    let text =
        std::fs::read_to_string(sops_test_support::fixture("age-pq/spec-example.txt")).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    let secret = text.lines().last().unwrap();
    let identity = pq::Identity::parse(secret).unwrap();
    assert_eq!(identity.to_public().to_string(), recipient);
    assert_eq!(&*identity.to_secret_string(), secret);
    assert_eq!(
        pq::Recipient::parse(recipient).unwrap().to_string(),
        recipient
    );
    assert_eq!(
        recipient.len(),
        1959,
        "Bech32 of 1216 bytes with HRP age1pq"
    );
}

#[test]
fn malformed_keys_are_refused_without_quoting_secrets() {
    let secret = pq::Identity::generate().to_secret_string();
    let mut damaged = secret.to_string();
    damaged.replace_range(30..31, if &damaged[30..31] == "Q" { "P" } else { "Q" });
    let err = pq::Identity::parse(&damaged).err().unwrap();
    assert!(!err.contains(&damaged[20..]), "{err}");
    let recipient = pq::Identity::generate().to_public().to_string();
    assert!(pq::Recipient::parse(&recipient[..recipient.len() - 1]).is_err());
    // An X25519 recipient is not a post-quantum one.
    let classic = "age1kqzkxccncjjnlrdyf2lamgdtlxpegqn8su4w4rt8wpnu845pgu6ssnu6xg";
    assert!(pq::Recipient::parse(classic)
        .unwrap_err()
        .contains("invalid type"));
}

#[test]
fn the_backend_wraps_for_a_pq_recipient_and_unwraps_with_its_identity() {
    let identity = pq::Identity::generate();
    let recipient = identity.to_public().to_string();
    let text = format!(
        "# public key: {recipient}\n{}\n",
        &*identity.to_secret_string()
    );
    let source = AgeKeySource::from_identity_text(&text).unwrap();
    let mut e = entry(&format!(" {recipient} "), None);
    source.wrap(&mut e, &[9; 32]).unwrap();
    assert_eq!(e.field("recipient"), Some(recipient.as_str()));
    let enc = e.field("enc").unwrap();
    assert!(enc.starts_with(sops_keys::age::ARMOR_BEGIN), "{enc}");
    let key = source.unwrap(&e).expect("the identity fits").unwrap();
    assert_eq!(key.secret_bytes(), &[9; 32]);

    // Another post-quantum identity does not fit, and says so by not answering.
    let other = pq::Identity::generate().to_secret_string();
    let stranger = AgeKeySource::from_identity_text(&other).unwrap();
    assert!(stranger.unwrap(&e).is_none());
    let listed = stranger.describe_sources();
    assert!(listed[0].to_string().contains("age1pq1"), "{listed:?}");
    assert!(!format!("{listed:?}").contains("AGE-SECRET-KEY-PQ"));
}
