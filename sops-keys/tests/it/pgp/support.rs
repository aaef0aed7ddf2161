//! Helpers shared by the PGP integration tests: test data (the keys and sops-written files of
//! the repository's `fixtures/`, the rest under `tests/data/pgp`), and a throwaway GnuPG home with
//! its own `gpg-agent`.
//!
//! The tests need GnuPG 2.2 or later (`gpg`, `gpg-agent`, `gpgconf`, `gpg-connect-agent`).
//! They never change this process's environment: `GNUPGHOME` is set only on the child
//! processes they spawn, and the API gets the home explicitly.
#![allow(dead_code)]

use sops_core::KeyEntry;
use sops_keys::pgp::{PgpConfig, PgpKeySource};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The RSA key of sops's functional tests.
pub const RSA_FP: &str = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
/// The Ed25519/Cv25519 fixture key.
pub const ED_FP: &str = "CC8CB3591DF8BB3CDE1036B4045E0B7A37651994";

/// The files of the repository's `fixtures/` these tests read, by the name they use.
const SHARED: &[(&str, &str)] = &[
    (
        "pgp-sops-functional-tests.asc",
        "keys/pgp-sops-functional-tests.asc",
    ),
    ("pgp-ed25519.secret.asc", "keys/pgp-ed25519.secret.asc"),
    ("pgp-ed25519.public.asc", "keys/pgp-ed25519.public.asc"),
    ("yaml-pgp-rsa.yaml", "sops-3.11.0/yaml-pgp-rsa.yaml"),
    (
        "yaml-pgp-rsa.plain.yaml",
        "sops-3.11.0/yaml-pgp-rsa.plain.yaml",
    ),
    ("yaml-pgp-ed25519.yaml", "sops-3.11.0/yaml-pgp-ed25519.yaml"),
    (
        "yaml-pgp-ed25519.plain.yaml",
        "sops-3.11.0/yaml-pgp-ed25519.plain.yaml",
    ),
    ("yaml-age-and-pgp.yaml", "sops-3.11.0/yaml-age-and-pgp.yaml"),
    (
        "yaml-age-and-pgp.plain.yaml",
        "sops-3.11.0/yaml-age-and-pgp.plain.yaml",
    ),
];

/// A file of [`SHARED`], else `tests/data/pgp/<name>`.
pub fn data(name: &str) -> PathBuf {
    match SHARED.iter().find(|(short, _)| *short == name) {
        Some((_, rel)) => sops_test_support::fixture(rel),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join("data")
            .join("pgp")
            .join(name),
    }
}

/// The contents of [`data`]`(name)` as text.
pub fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

/// One row of `data-keys.tsv`.
pub struct Row {
    pub file: String,
    pub fp: String,
    pub key_file: String,
    pub bytes: Vec<u8>,
}

/// Every row of `data-keys.tsv`.
pub fn rows() -> Vec<Row> {
    read("data-keys.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                file: cols[0].to_owned(),
                fp: cols[1].to_owned(),
                key_file: cols[2].to_owned(),
                bytes: hex(cols[3]),
            }
        })
        .collect()
}

/// The row for `file`.
pub fn row(file: &str) -> Row {
    rows()
        .into_iter()
        .find(|r| r.file == file)
        .unwrap_or_else(|| panic!("{file} is not in data-keys.tsv"))
}

/// Decodes lowercase hex.
pub fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A `pgp` metadata entry with `fp` and, if given, `enc`.
pub fn entry(fp: &str, enc: Option<&str>) -> KeyEntry {
    let mut entry = KeyEntry::new("pgp");
    entry.set_field("fp", fp);
    if let Some(enc) = enc {
        entry.set_field("enc", enc);
    }
    entry
}

/// The entry of row `r`, with its `enc`.
pub fn row_entry(r: &Row) -> KeyEntry {
    entry(&r.fp, Some(&read(&r.file)))
}

/// A source that uses only `files` natively, without gpg.
pub fn key_file_source(files: &[&str]) -> PgpKeySource {
    let mut config = PgpConfig::new().with_gpg(false);
    for f in files {
        config = config.with_key_file(data(f));
    }
    PgpKeySource::new(config)
}

/// A temporary GnuPG home whose agent is killed when it is dropped.
pub struct GnupgHome {
    dir: tempfile::TempDir,
}

impl GnupgHome {
    /// A new home (mode 0700) allowing preset passphrases, with `keys` (files in
    /// `tests/data/pgp`) imported and the agent running.
    pub fn new(keys: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("sops-rs-gnupg-")
            .tempdir()
            .expect("temporary GnuPG home");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(dir.path(), mode).expect("chmod 700 the GnuPG home");
        }
        let conf = "allow-preset-passphrase\nmax-cache-ttl 3600\ndefault-cache-ttl 3600\n";
        std::fs::write(dir.path().join("gpg-agent.conf"), conf).unwrap();
        let home = GnupgHome { dir };
        for key in keys {
            home.import(&data(key));
        }
        home.run("gpg-connect-agent", &["/bye"], b"");
        home
    }

    /// The home directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A source using this home (native first, then gpg).
    pub fn source(&self) -> PgpKeySource {
        PgpKeySource::new(self.config())
    }

    /// A configuration using this home.
    pub fn config(&self) -> PgpConfig {
        PgpConfig::new().with_gnupg_home(self.path())
    }

    /// `gpg --batch --import file`.
    pub fn import(&self, file: &Path) {
        let file = file.to_str().unwrap();
        let out = self.gpg(&["--batch", "--import", file], b"");
        assert!(
            out.status.success(),
            "gpg --import {file}: {}",
            stderr(&out)
        );
    }

    /// Runs gpg on this home with `args`, feeding it `input`.
    pub fn gpg(&self, args: &[&str], input: &[u8]) -> Output {
        let home = self.path().to_str().unwrap();
        let mut all = vec!["--homedir", home];
        all.extend_from_slice(args);
        self.run("gpg", &all, input)
    }

    /// Runs `program` with `GNUPGHOME` set to this home.
    pub fn run(&self, program: &str, args: &[&str], input: &[u8]) -> Output {
        run_with_input(
            Command::new(program)
                .args(args)
                .env("GNUPGHOME", self.path())
                .env("LC_ALL", "C"),
            input,
        )
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e}; the PGP tests need GnuPG 2.2+ installed")
        })
    }

    /// What `gpg -d` prints for `enc`, asserting that it succeeds.
    pub fn gpg_decrypt(&self, enc: &str) -> Vec<u8> {
        let out = self.gpg(&["--no-tty", "--batch", "-d"], enc.as_bytes());
        assert!(out.status.success(), "gpg -d: {}", stderr(&out));
        out.stdout
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs `command` with `input` on stdin and captures its output.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> std::io::Result<Output> {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    child.wait_with_output()
}

/// A process's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The error message of an unwrap that must fail.
pub fn unwrap_error(source: &PgpKeySource, entry: &KeyEntry) -> String {
    use sops_core::KeySource;
    match source.unwrap(entry) {
        Some(Err(e)) => e.message,
        Some(Ok(_)) => panic!("unwrap unexpectedly succeeded"),
        None => panic!("unwrap answered None (not mine)"),
    }
}

/// The bytes of an unwrap that must succeed.
pub fn unwrap_ok(source: &PgpKeySource, entry: &KeyEntry) -> Vec<u8> {
    use sops_core::KeySource;
    match source.unwrap(entry) {
        Some(Ok(secret)) => secret.secret_bytes().to_vec(),
        Some(Err(e)) => panic!("unwrap failed: {e}"),
        None => panic!("unwrap answered None (not mine)"),
    }
}
