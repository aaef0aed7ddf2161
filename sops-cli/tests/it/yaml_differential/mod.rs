//! A property-based differential test of the YAML store against the reference sops 3.11.
//!
//! A seeded generator writes comment-heavy block YAML documents (see [`gen`]): nesting to
//! depth 5, mappings and sequences (sequences of mappings at both indentations), comments at
//! the head, line and foot of every node and at the start and end of the document, blank
//! lines, block scalars with every chomping indicator (also at the end of a file without a
//! final newline), flow collections with and without comments, anchors, aliases and merge
//! keys, quoted, unicode and YAML-1.1-ambiguous scalars. For each document:
//!
//! 1. the reference encrypts it; sops-rs (the library) decrypts that file and must print the
//!    bytes the reference's own decryption prints;
//! 2. sops-rs encrypts it; the reference decrypts that file and must print the bytes of the
//!    reference's own round trip (step 1).
//!
//! Documents where the reference itself is wrong (it leaves a comment encrypted and logs
//! "Found possibly unencrypted comment", or cannot read back what it wrote) are counted
//! apart as deliberate differences: sops-rs decrypts those comments (class 6 of issue 16).
//!
//! `SOPS_RS_YAML_SEED` (default fixed, so CI is reproducible) is the first case's seed; case
//! `i` uses seed + i, printed for every difference, so `SOPS_RS_YAML_SEED=<that seed>
//! SOPS_RS_YAML_CASES=1` replays one case. `SOPS_RS_YAML_CASES` (default 1000) is the number
//! of cases, `SOPS_RS_YAML_THREADS` (default 3) the threads running the reference. Each
//! difference is written to `$CARGO_TARGET_TMPDIR/yaml-differential/<seed>/` (input, both
//! encrypted files, both decryptions).
//!
//! The test fails if more documents differ than the budgets below allow (0: since the
//! comment model of go-yaml v3 is reproduced, `sops-core/src/store/yaml/goyaml/`, no generated
//! document differs), if a refusal differs, or if sops-rs leaves a comment of a class-6
//! document encrypted. `SOPS_RS_YAML_STRICT=1` fails on any difference whatever the budgets.

mod gen;

use sops_core::internal::{decrypt_file, encrypt_file};
use sops_core::{DecryptOptions, EncryptOptions, Format, KeyEntry};
use sops_keys::age::AgeKeySource;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The default first seed: fixed, so that CI runs the same documents every time.
const DEFAULT_SEED: u64 = 0x5eed_0016;

/// The share of compared documents, in percent, whose decryption by sops-rs of the
/// reference's file may differ (measured: 0 of 2471 compared in 3000 cases from the default
/// seed; it was 17 of 827, 2.1%, before the go-yaml comment model).
const DECRYPT_BUDGET_PERCENT: f64 = 0.0;

/// The share whose decryption by the reference of sops-rs's file may differ (measured: 0 of
/// 2471 in 3000 cases from the default seed; it was 418 of 827, 50.5%, with the placement by
/// indentation that came before).
const ENCRYPT_BUDGET_PERCENT: f64 = 0.0;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sops-cli lives in the workspace")
        .to_path_buf()
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        }
        _ => default,
    }
}

fn reference_bin() -> PathBuf {
    match std::env::var_os("SOPS_REFERENCE_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("sops"),
    }
}

/// What the reference did with one file.
struct Run {
    ok: bool,
    stdout: Vec<u8>,
    stderr: String,
}

fn run_reference(dir: &Path, args: &[&str], key_file: &Path) -> Run {
    let out = Command::new(reference_bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("SOPS_DISABLE_VERSION_CHECK", "1")
        .env("SOPS_AGE_KEY_FILE", key_file)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the reference sops ({}): {e}; run .ci/run (it installs it) or set SOPS_REFERENCE_BIN",
                reference_bin().display()
            )
        });
    Run {
        ok: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// How one generated document came out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    /// Both directions print the reference's bytes.
    Same,
    /// Both refused the document.
    BothRefused,
    /// The reference is wrong itself (class 6: it leaves a comment encrypted or cannot read
    /// its own file) and sops-rs decrypts the file with every comment in the clear.
    ReferenceBug,
    /// The reference is wrong itself and sops-rs too leaves a comment encrypted.
    ReferenceBugKept,
    /// sops-rs decrypting the reference's file differs.
    DecryptDiffers,
    /// The reference decrypting sops-rs's file differs.
    EncryptDiffers,
    /// Exactly one of the two refused the plain document.
    RefusalDiffers,
}

struct Context {
    recipient: String,
    key_file: PathBuf,
    identity: AgeKeySource,
    out_dir: PathBuf,
}

impl Context {
    fn new() -> Context {
        let key_file = repo_root().join("fixtures/keys/age-alice.txt");
        let text = std::fs::read_to_string(&key_file).expect("the alice key file");
        let recipient = text
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .expect("a public key comment")
            .trim()
            .to_owned();
        let identity = AgeKeySource::from_identity_text(&text).expect("alice's identity");
        let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("yaml-differential");
        Context {
            recipient,
            key_file,
            identity,
            out_dir,
        }
    }

    fn sops_rs_encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, sops_core::Error> {
        let mut entry = KeyEntry::new("age");
        entry.set_field("recipient", self.recipient.clone());
        let options = EncryptOptions {
            key_groups: vec![vec![entry]],
            ..Default::default()
        };
        encrypt_file(plain, Format::Yaml, &[&self.identity], &options)
    }

    fn sops_rs_decrypt(&self, encrypted: &[u8]) -> Result<Vec<u8>, sops_core::Error> {
        decrypt_file(
            encrypted,
            Format::Yaml,
            &[&self.identity],
            &DecryptOptions::default(),
        )
    }

    /// Runs both directions for one document.
    fn check(&self, seed: u64, plain: &[u8]) -> Outcome {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        std::fs::write(d.join("plain.yaml"), plain).expect("write the document");
        let key = &self.key_file;
        let enc = run_reference(d, &["encrypt", "--age", &self.recipient, "plain.yaml"], key);
        let ours = self.sops_rs_encrypt(plain);
        if !enc.ok {
            return match ours {
                Err(_) => Outcome::BothRefused,
                Ok(_) => {
                    self.keep(
                        seed,
                        plain,
                        &[("reference-encrypt.err", enc.stderr.as_bytes())],
                    );
                    Outcome::RefusalDiffers
                }
            };
        }
        let Ok(ours) = ours else {
            self.keep(seed, plain, &[("reference.enc.yaml", &enc.stdout)]);
            return Outcome::RefusalDiffers;
        };
        std::fs::write(d.join("ref.enc.yaml"), &enc.stdout).expect("write");
        let round = run_reference(d, &["decrypt", "ref.enc.yaml"], key);
        let decrypted = self.sops_rs_decrypt(&enc.stdout);
        if !round.ok || round.stderr.contains("possibly unencrypted comment") {
            // sops-rs must do better: decrypt the file with every comment in the clear.
            let ours_text = match &decrypted {
                Ok(b) => b.clone(),
                Err(e) => format!("error: {e}").into_bytes(),
            };
            let clear = decrypted.is_ok() && !String::from_utf8_lossy(&ours_text).contains("ENC[");
            self.keep(
                seed,
                plain,
                &[
                    ("reference-bug", b""),
                    ("reference.enc.yaml", &enc.stdout),
                    ("reference.dec.yaml", &round.stdout),
                    ("sops-rs.dec.yaml", &ours_text),
                ],
            );
            return if clear {
                Outcome::ReferenceBug
            } else {
                Outcome::ReferenceBugKept
            };
        }
        if decrypted.as_deref().ok() != Some(&round.stdout[..]) {
            let ours_text = match &decrypted {
                Ok(b) => b.clone(),
                Err(e) => format!("error: {e}").into_bytes(),
            };
            self.keep(
                seed,
                plain,
                &[
                    ("reference.enc.yaml", &enc.stdout),
                    ("reference.dec.yaml", &round.stdout),
                    ("sops-rs.dec.yaml", &ours_text),
                ],
            );
            return Outcome::DecryptDiffers;
        }
        std::fs::write(d.join("rs.enc.yaml"), &ours).expect("write");
        let theirs = run_reference(d, &["decrypt", "rs.enc.yaml"], key);
        if !theirs.ok || theirs.stdout != round.stdout {
            let got = if theirs.ok {
                theirs.stdout.clone()
            } else {
                theirs.stderr.clone().into_bytes()
            };
            self.keep(
                seed,
                plain,
                &[
                    ("sops-rs.enc.yaml", &ours),
                    ("reference.dec.yaml", &round.stdout),
                    ("reference-of-sops-rs.dec.yaml", &got),
                ],
            );
            return Outcome::EncryptDiffers;
        }
        Outcome::Same
    }

    /// Keeps a differing case's files for a look.
    fn keep(&self, seed: u64, plain: &[u8], files: &[(&str, &[u8])]) {
        let dir = self.out_dir.join(format!("{seed:#x}"));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("plain.yaml"), plain);
        for (name, bytes) in files {
            let _ = std::fs::write(dir.join(name), bytes);
        }
    }
}

#[test]
fn generated_documents_match_the_reference() {
    let first = env_number("SOPS_RS_YAML_SEED", DEFAULT_SEED);
    let cases = env_number("SOPS_RS_YAML_CASES", 1000) as usize;
    let threads = env_number("SOPS_RS_YAML_THREADS", 3).max(1) as usize;
    let strict = std::env::var_os("SOPS_RS_YAML_STRICT").is_some_and(|v| v == "1");
    eprintln!("yaml_differential: {cases} cases from seed {first:#x} on {threads} threads");
    let context = Context::new();
    let _ = std::fs::remove_dir_all(&context.out_dir);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(u64, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= cases {
                    break;
                }
                let seed = first.wrapping_add(i as u64);
                let plain = gen::document(seed);
                let outcome = context.check(seed, plain.as_bytes());
                results.lock().expect("results").push((seed, outcome));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|r| r.0);
    let count = |o: Outcome| results.iter().filter(|r| r.1 == o).count();
    let differing: Vec<&(u64, Outcome)> = results
        .iter()
        .filter(|r| {
            matches!(
                r.1,
                Outcome::DecryptDiffers | Outcome::EncryptDiffers | Outcome::RefusalDiffers
            )
        })
        .collect();
    let compared = cases
        - count(Outcome::BothRefused)
        - count(Outcome::ReferenceBug)
        - count(Outcome::ReferenceBugKept);
    eprintln!(
        "yaml_differential: {} of {compared} compared documents match ({:.1}%); \
         decrypt differs {}, encrypt differs {}, refusal differs {}; \
         reference bugs (class 6) {} (sops-rs decrypts every comment of {} of them), \
         refused by both {}",
        count(Outcome::Same),
        100.0 * count(Outcome::Same) as f64 / compared.max(1) as f64,
        count(Outcome::DecryptDiffers),
        count(Outcome::EncryptDiffers),
        count(Outcome::RefusalDiffers),
        count(Outcome::ReferenceBug) + count(Outcome::ReferenceBugKept),
        count(Outcome::ReferenceBug),
        count(Outcome::BothRefused),
    );
    for (seed, outcome) in differing.iter().take(40) {
        eprintln!("  seed {seed:#x}: {outcome:?}");
    }
    if !differing.is_empty() {
        eprintln!(
            "  the files of each are in {}; replay one with SOPS_RS_YAML_SEED=<seed> SOPS_RS_YAML_CASES=1",
            context.out_dir.display()
        );
    }
    if strict {
        assert!(
            differing.is_empty() && count(Outcome::ReferenceBugKept) == 0,
            "{} generated documents differ from the reference",
            differing.len()
        );
        return;
    }
    let percent = |o: Outcome| 100.0 * count(o) as f64 / compared.max(1) as f64;
    assert!(
        percent(Outcome::DecryptDiffers) <= DECRYPT_BUDGET_PERCENT,
        "sops-rs decrypts {} of {compared} of the reference's files differently (budget {DECRYPT_BUDGET_PERCENT}%)",
        count(Outcome::DecryptDiffers)
    );
    assert!(
        percent(Outcome::EncryptDiffers) <= ENCRYPT_BUDGET_PERCENT,
        "the reference decrypts {} of {compared} of sops-rs's files differently (budget {ENCRYPT_BUDGET_PERCENT}%)",
        count(Outcome::EncryptDiffers)
    );
    assert_eq!(count(Outcome::RefusalDiffers), 0, "refusals differ");
    assert_eq!(
        count(Outcome::ReferenceBugKept),
        0,
        "sops-rs left a comment encrypted where the reference does (class 6)"
    );
}
