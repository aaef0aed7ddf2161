//! The malformed-input corpus against the stores and the engine: never a panic, never a stack
//! overflow, never a hang, and every refusal an error with a message and a sops exit code.
//!
//! The corpus is `tests/data/malformed/` (small files written by `generate.py`, listed in its
//! `MANIFEST.tsv`) plus the big inputs of `sops_test_support::malformed`, built here. Each input
//! runs on its own thread with a 2 MiB stack (what `std::thread::spawn` gives by default, the
//! smallest stack a library caller is likely to use) and a 10 s deadline. It goes through:
//!
//! * `load_plain`, and for what loads: `emit_plain`, `emit_value`, and a whole encryption and
//!   decryption with a toy key source (the engine's walk, MAC and metadata);
//! * `load_encrypted`, `Metadata::from_mapping`, the MAC's additional data, and a decryption
//!   with a random data key (the value parser and cipher on damaged `ENC[…]` values) and with
//!   the toy key source (which holds no key for these files).
//!
//! A few inputs also have a documented outcome (the depth limit, go-yaml's aliasing rule).

use sops_core::internal::{decrypt_file, decrypt_tree, encrypt_file};
use sops_core::store::Format;
use sops_core::tree::MAX_DEPTH;
use sops_core::{DataKey, DecryptOptions, EncryptOptions, Error, KeyEntry, KeySource, Metadata};
use sops_test_support::{malformed, CleartextKey};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Only a hang detector, not a speed check: a debug build on a loaded 2-core machine took more
/// than 10 s for the 16 MiB single values, so the limit is far above any honest run.
const DEADLINE: Duration = Duration::from_secs(300);
const STACK: usize = 2 << 20;

/// The exit codes sops 3.11 uses (`cmd/sops/codes`) that a store or the engine can produce.
const SOPS_CODES: &[i32] = &[1, 2, 3, 4, 21, 23, 24, 25, 51, 52, 91, 92, 111, 128, 203];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed")
}

/// The committed files, sorted (the generator and the manifest excluded).
fn corpus_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .expect("tests/data/malformed exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !matches!(&*name, "generate.py" | "MANIFEST.tsv")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&p).unwrap();
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// A refusal must say something and carry one of sops's exit codes.
fn check_error(step: &str, e: &Error, log: &mut Vec<String>) -> Result<(), String> {
    if e.message().trim().is_empty() {
        return Err(format!("{step}: an error without a message"));
    }
    if !SOPS_CODES.contains(&e.exit_code()) {
        return Err(format!(
            "{step}: exit code {} is not one of sops's: {e}",
            e.exit_code()
        ));
    }
    log.push(format!(
        "{step}: {} ({})",
        first_line(&e.to_string()),
        e.exit_code()
    ));
    Ok(())
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    line.chars().take(1000).collect()
}

/// Runs every step on one input; returns what happened, one line per step, or the first
/// broken promise.
fn exercise(name: &str, input: &[u8]) -> Result<Vec<String>, String> {
    let format = Format::from_path(Path::new(name));
    let store = format.store();
    let mut log = Vec::new();
    let source = CleartextKey;
    let sources: [&dyn KeySource; 1] = [&source];

    match store.load_plain(input) {
        Ok(tree) => {
            log.push("load_plain: ok".to_owned());
            if let Err(e) = store.emit_plain(&tree) {
                check_error("emit_plain", &e, &mut log)?;
            }
            if let Some(branch) = tree.branches.first() {
                for (_, value) in branch.pairs().take(16) {
                    if let Err(e) = store.emit_value(value) {
                        check_error("emit_value", &e, &mut log)?;
                    }
                }
            }
            let mut recipient = KeyEntry::new("age");
            recipient.set_field("recipient", "toy");
            let options = EncryptOptions {
                key_groups: vec![vec![recipient]],
                ..Default::default()
            };
            match encrypt_file(input, format, &sources, &options) {
                Ok(encrypted) => {
                    log.push("encrypt_file: ok".to_owned());
                    match decrypt_file(&encrypted, format, &sources, &DecryptOptions::default()) {
                        Ok(_) => log.push("decrypt_file of that: ok".to_owned()),
                        Err(e) => {
                            check_error("decrypt_file of the encrypted output", &e, &mut log)?
                        }
                    }
                }
                Err(e) => check_error("encrypt_file", &e, &mut log)?,
            }
        }
        Err(e) => check_error("load_plain", &e, &mut log)?,
    }

    match store.load_encrypted(input) {
        Ok((tree, node)) => match Metadata::from_mapping(&node) {
            Ok(metadata) => {
                if let Err(e) = metadata.mac_aad() {
                    check_error("mac_aad", &e, &mut log)?;
                }
                let mut copy = tree.clone();
                match decrypt_tree(&mut copy, &metadata, &DataKey::generate(), false) {
                    Ok(()) => log.push("decrypt_tree with a random key: ok".to_owned()),
                    Err(e) => check_error("decrypt_tree with a random key", &e, &mut log)?,
                }
                match decrypt_file(input, format, &sources, &DecryptOptions::default()) {
                    Ok(_) => return Err("decrypt_file succeeded without the key".to_owned()),
                    Err(e) => check_error("decrypt_file", &e, &mut log)?,
                }
            }
            Err(e) => check_error("Metadata::from_mapping", &e, &mut log)?,
        },
        Err(e) => check_error("load_encrypted", &e, &mut log)?,
    }
    Ok(log)
}

/// [`exercise`] on a thread with a 2 MiB stack, panics caught, within the deadline.
fn run(name: &str, input: Vec<u8>) -> Result<Vec<String>, String> {
    let (tx, rx) = mpsc::channel();
    let thread_name = name.to_owned();
    let started = Instant::now();
    std::thread::Builder::new()
        .name(thread_name.clone())
        .stack_size(STACK)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| exercise(&thread_name, &input))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    Err(format!("PANIC: {what}"))
                });
            let _ = tx.send(result);
        })
        .expect("spawn a thread");
    match rx.recv_timeout(DEADLINE) {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no result within {DEADLINE:?} (a hang?) after {:?}",
            started.elapsed()
        )),
    }
}

/// Runs `inputs`; fails listing every broken promise. Returns each input's log.
fn run_all(inputs: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<String>)> {
    assert!(!inputs.is_empty());
    let mut failures = Vec::new();
    let mut logs = Vec::new();
    for (name, input) in inputs {
        let started = Instant::now();
        match run(&name, input) {
            Ok(log) => {
                // Shown with --nocapture: what each input did.
                println!("{name} ({:?}):\n  {}", started.elapsed(), log.join("\n  "));
                logs.push((name, log))
            }
            Err(failure) => failures.push(format!("{name}: {failure}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} input(s) broke a promise:\n{}",
        failures.len(),
        failures.join("\n")
    );
    logs
}

fn log_of(logs: &[(String, Vec<String>)], name: &str) -> String {
    logs.iter()
        .find(|(n, _)| n == name)
        .map(|(_, log)| log.join("\n"))
        .unwrap_or_else(|| panic!("{name} is not in the corpus"))
}

fn assert_outcome(logs: &[(String, Vec<String>)], name: &str, step: &str, message: &str) {
    let log = log_of(logs, name);
    assert!(
        log.lines()
            .any(|l| l.starts_with(step) && l.contains(message)),
        "{name}: expected a `{step}` line with {message:?}; what happened:\n{log}"
    );
}

#[test]
fn corpus_has_at_least_fifty_files_and_a_manifest() {
    let files = corpus_files();
    assert!(files.len() >= 50, "only {} malformed files", files.len());
    let manifest = std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).unwrap();
    for (name, _) in &files {
        assert!(
            manifest.lines().any(|l| l.split('\t').next() == Some(name)),
            "{name} is not in MANIFEST.tsv: rerun generate.py"
        );
    }
}

#[test]
fn committed_malformed_files_fail_cleanly() {
    let logs = run_all(corpus_files());
    // Documented outcomes: a line of the log with the step and this text.
    for (name, step, message) in [
        (
            "yaml-alias-bomb.yaml",
            "load_plain",
            "document contains excessive aliasing",
        ),
        (
            "yaml-alias-deep.yaml",
            "load_plain",
            "exceeded max depth of 1000",
        ),
        (
            "yaml-deep-block-1001.yaml",
            "load_plain",
            "exceeded max depth of 1000",
        ),
        (
            "yaml-deep-flow-300.yaml",
            "load_plain",
            "recursion limit exceeded",
        ),
        (
            "json-deep-1001.json",
            "load_plain",
            "nesting exceeds 1000 levels",
        ),
        ("yaml-invalid-utf8.yaml", "load_plain", "not valid UTF-8"),
        ("yaml-huge-uint.yaml", "load_plain", "uint64"),
        (
            "enc-bad-base64-data.yaml",
            "decrypt_tree with a random key",
            "base64",
        ),
        (
            "enc-unknown-type.yaml",
            "decrypt_tree with a random key",
            "unknown datatype",
        ),
        (
            "meta-version-number.yaml",
            "Metadata::from_mapping",
            "version",
        ),
        (
            "meta-two-partial-rules.yaml",
            "Metadata::from_mapping",
            "more than one",
        ),
        (
            "yaml-nul-byte.yaml",
            "load_plain",
            "control characters are not allowed",
        ),
        (
            "yaml-control-chars.yaml",
            "load_plain",
            "control characters are not allowed",
        ),
        (
            "env-flatten-list-bomb.env",
            "load_encrypted",
            "beyond 65536 entries",
        ),
        ("yaml-utf16le-bom.yaml", "encrypt_file", "ok"),
        ("yaml-utf16be-bom.yaml", "encrypt_file", "ok"),
    ] {
        assert_outcome(&logs, name, step, message);
    }
}

#[test]
fn big_malformed_inputs_fail_cleanly() {
    let inputs = malformed::big_inputs()
        .into_iter()
        .map(|(n, b)| (n.to_owned(), b))
        .collect();
    let logs = run_all(inputs);
    for (name, message) in [
        ("big-yaml-deep-flow-100k.yaml", "recursion limit exceeded"),
        (
            "big-yaml-deep-block-100k.yaml",
            "exceeded max depth of 1000",
        ),
        ("big-yaml-deep-map-3000.yaml", "exceeded max depth of 1000"),
        (
            "big-yaml-deep-flow-map-100k.yaml",
            "recursion limit exceeded",
        ),
        (
            "big-json-deep-object-100k.json",
            "nesting exceeds 1000 levels",
        ),
        (
            "big-json-deep-array-100k.json",
            "nesting exceeds 1000 levels",
        ),
        ("big-json-deep-9999.json", "nesting exceeds 1000 levels"),
        (
            "big-yaml-wide-alias.yaml",
            "document contains excessive aliasing",
        ),
    ] {
        assert_outcome(&logs, name, "load_plain", message);
    }
}

#[test]
fn documents_at_the_depth_limit_round_trip_on_a_small_stack() {
    let inputs: Vec<(String, Vec<u8>)> = malformed::deep_valid_inputs(MAX_DEPTH)
        .into_iter()
        .map(|(n, b)| (n.to_owned(), b))
        .collect();
    let logs = run_all(inputs);
    for (name, log) in &logs {
        assert!(
            log.iter().any(|l| l == "decrypt_file of that: ok"),
            "{name} at depth {MAX_DEPTH} must encrypt and decrypt:\n{}",
            log.join("\n")
        );
    }
}

// --- fuzzing regressions -----------------------------------------------------------------

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/regressions")
}

/// The store outputs of `input` settle as the fuzz targets require (see `fuzz/src/lib.rs`):
/// every output loads again, and within three rounds the output stops changing, unless the
/// input has comments. INI is exempt from both: sops's INI library writes values it cannot
/// read back, and values ending in backslashes lose one on every round.
fn check_settles<T>(
    input: &[u8],
    first: Vec<u8>,
    load: impl Fn(&[u8]) -> Result<T, Error>,
    emit: impl Fn(&T) -> Result<Vec<u8>, Error>,
    may_not_load: bool,
) -> Result<(), String> {
    let mut previous = first;
    for _ in 0..3 {
        let tree = match load(&previous) {
            Ok(t) => t,
            Err(_) if may_not_load => return Ok(()),
            Err(e) => return Err(format!("the store's own output does not load: {e}")),
        };
        let next = emit(&tree).map_err(|e| format!("the reloaded tree does not emit: {e}"))?;
        if next == previous {
            return Ok(());
        }
        previous = next;
    }
    if may_not_load || input.contains(&b'#') || input.contains(&b';') {
        return Ok(());
    }
    Err("the output does not settle in three rounds".to_owned())
}

#[test]
fn fuzz_regressions_hold() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(regressions_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    names.sort();
    assert!(names.len() >= 11, "regression files are missing");
    let mut failures = Vec::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(&path).unwrap();
        let format = Format::from_path(&path);
        let store = format.store();
        let may_not_load = format == Format::Ini;
        let check = || -> Result<(), String> {
            if name.starts_with("enc_value-") {
                let text = std::str::from_utf8(&input).map_err(|e| e.to_string())?;
                assert!(sops_core::internal::cipher::parse_encrypted(text).is_none());
                return Ok(());
            }
            if let Ok(tree) = store.load_plain(&input) {
                if let Ok(first) = store.emit_plain(&tree) {
                    check_settles(
                        &input,
                        first,
                        |b| store.load_plain(b),
                        |t| store.emit_plain(t),
                        may_not_load,
                    )?;
                }
            }
            if let Ok((tree, node)) = store.load_encrypted(&input) {
                // Metadata without any key is written as nothing (as sops writes it).
                let with_keys = Metadata::from_mapping(&node)
                    .ok()
                    .filter(|m| m.key_groups.iter().any(|g| !g.is_empty()));
                if let Some(metadata) = with_keys {
                    let first = store
                        .emit_encrypted(&tree, &metadata)
                        .map_err(|e| e.to_string())?;
                    let load = |b: &[u8]| -> Result<_, Error> {
                        let (tree, node) = store.load_encrypted(b)?;
                        Ok((tree, Metadata::from_mapping(&node)?))
                    };
                    check_settles(
                        &input,
                        first,
                        load,
                        |(t, m)| store.emit_encrypted(t, m),
                        may_not_load,
                    )?;
                }
            }
            Ok(())
        };
        if let Err(e) = check() {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn regressions_have_the_documented_outcome() {
    let read = |name: &str| std::fs::read(regressions_dir().join(name)).unwrap();
    // A single group with only an unknown key type survives a write.
    let store = Format::Json.store();
    let (tree, node) = store
        .load_encrypted(&read("json_store-single-group-unknown-key-type.json"))
        .unwrap();
    let metadata = Metadata::from_mapping(&node).unwrap();
    let written = store.emit_encrypted(&tree, &metadata).unwrap();
    let (_, node) = store.load_encrypted(&written).unwrap();
    assert_eq!(Metadata::from_mapping(&node).unwrap(), metadata);
    assert!(String::from_utf8_lossy(&written).contains("\"key_groups\""));
    // A literal block keeps leading line breaks: sops 3.11 writes exactly these bytes.
    let store = Format::Yaml.store();
    let tree = store
        .load_plain(&read("yaml_store-literal-with-leading-newlines.yaml"))
        .unwrap();
    assert_eq!(
        String::from_utf8(store.emit_plain(&tree).unwrap()).unwrap(),
        "a: |4\n\n\n       x\n"
    );
    // A comment ends at a lone CR: the key after it is read once.
    let tree = Format::Yaml
        .store()
        .load_plain(&read("yaml_store-comment-ends-at-a-lone-cr.yaml"))
        .unwrap();
    let keys: Vec<&str> = tree.branches[0].pairs().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "c"]);
    // Control characters are refused as sops refuses them.
    let Err(err) = Format::Yaml
        .store()
        .load_plain(&read("yaml_store-nul-in-comment.yaml"))
    else {
        panic!("a NUL in a comment must be refused");
    };
    assert!(
        err.message().contains("control characters are not allowed"),
        "{err}"
    );
}
