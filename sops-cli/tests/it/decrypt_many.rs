//! `sops-rs decrypt FILE FILE…` and `--output-dir`: several files in one process, checked
//! against what the reference sops prints for each file alone, and the master key asked once
//! per distinct wrapped data key (counted through a logging `SOPS_GPG_EXEC`).

use crate::support::{age_recipient, assert_same_bytes, fixture, mode, Sandbox, Tool};
use std::path::PathBuf;

/// The fingerprint of `fixtures/keys/pgp-ed25519.*`.
const ED25519_FP: &str = "CC8CB3591DF8BB3CDE1036B4045E0B7A37651994";

/// The sops type name for a file name's extension.
fn format_of(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("json") => "json",
        Some("env") => "dotenv",
        _ => "yaml",
    }
}

/// Encrypts three documents of three formats with sops-rs in `sandbox`, in two directories.
fn three_files(sandbox: &Sandbox) -> Vec<&'static str> {
    std::fs::create_dir_all(sandbox.file("app")).unwrap();
    std::fs::create_dir_all(sandbox.file("db")).unwrap();
    let docs = [
        (
            "app/values.yaml",
            "# app\nimage: web\nreplicas: 3\n---\nsecond: doc\n",
        ),
        (
            "db/creds.json",
            "{\"user\": \"admin\", \"password\": \"hunter2\", \"port\": 5432}",
        ),
        ("db/extra.env", "TOKEN=abc\nDEBUG=true\n"),
    ];
    for (name, text) in docs {
        let plain = sandbox.write(&format!("{name}.plain"), text);
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args(["encrypt", "--age", &age_recipient("age-alice")])
            .args(["--input-type", format_of(name)])
            .args(["--output-type", format_of(name)])
            .arg(&plain)
            .run()
            .expect_success();
        sandbox.write(name, &out.stdout);
    }
    docs.iter().map(|(name, _)| *name).collect()
}

/// What the reference sops prints for `file` alone, with `extra` flags.
fn sops_decrypt(sandbox: &Sandbox, file: &str, extra: &[&str]) -> Vec<u8> {
    sandbox
        .cmd(Tool::Sops)
        .arg("decrypt")
        .args(extra)
        .arg(file)
        .run()
        .expect_success()
        .stdout
}

#[test]
fn several_files_print_one_yaml_stream_in_argument_order() {
    let sandbox = Sandbox::new();
    let files = three_files(&sandbox);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .arg("decrypt")
        .args(&files)
        .run()
        .expect_success();
    let mut expected = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if i > 0 {
            expected.extend_from_slice(b"---\n");
        }
        expected.extend(sops_decrypt(&sandbox, file, &["--output-type", "yaml"]));
    }
    assert_same_bytes("the stream of three files", &expected, &out.stdout);
}

#[test]
fn output_dir_writes_each_file_in_its_format_privately() {
    let sandbox = Sandbox::new();
    let files = three_files(&sandbox);
    sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", "--output-dir", "plain"])
        .args(&files)
        .run()
        .expect_success();
    for file in &files {
        let written = sandbox.file("plain").join(file);
        assert_same_bytes(
            file,
            &sops_decrypt(&sandbox, file, &[]),
            &std::fs::read(&written).unwrap(),
        );
        assert_eq!(mode(&written), 0o600, "{file}");
    }
    assert_eq!(mode(&sandbox.file("plain/db")), 0o700);
    assert_eq!(mode(&sandbox.file("plain")), 0o700);
}

#[test]
fn one_bad_file_writes_nothing_and_names_the_file() {
    let sandbox = Sandbox::new();
    let mut files = three_files(&sandbox);
    // A file for bob only: alice cannot open it (sops's exit code 128).
    let plain = sandbox.write("bob.yaml.plain", "k: v\n");
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args([
            "encrypt",
            "--age",
            &age_recipient("age-bob"),
            "--input-type",
            "yaml",
        ])
        .args(["--output-type", "yaml"])
        .arg(&plain)
        .run()
        .expect_success();
    sandbox.write("bob.yaml", &out.stdout);
    files.insert(1, "bob.yaml");
    for extra in [&[][..], &["--output-dir", "plain"][..]] {
        let out = sandbox
            .cmd(Tool::SopsRs)
            .arg("decrypt")
            .args(extra)
            .args(&files)
            .run();
        assert_eq!(out.code, Some(128), "{}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
        assert!(
            out.stderr_text().starts_with("bob.yaml: "),
            "{}",
            out.describe()
        );
        assert!(!sandbox.file("plain").exists());
    }
    // A missing file: sops's 100, before anything is decrypted.
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", "app/values.yaml", "missing.yaml"])
        .run();
    assert_eq!(out.code, Some(100), "{}", out.describe());
}

#[test]
fn conflicting_flags_are_refused_with_sops_code_8() {
    let sandbox = Sandbox::new();
    let files = three_files(&sandbox);
    for flags in [
        &["--extract", r#"["image"]"#][..],
        &["--output-type", "json"][..],
        &["--output", "x", "--output-dir", "d"][..],
        &["--filename-override", "x.yaml"][..],
    ] {
        let out = sandbox
            .cmd(Tool::SopsRs)
            .arg("decrypt")
            .args(flags)
            .args(&files)
            .run();
        assert_eq!(out.code, Some(8), "{flags:?}: {}", out.describe());
    }
    // Two inputs that would land on the same output file.
    let abs: PathBuf = sandbox.file("app/values.yaml");
    std::fs::create_dir_all(sandbox.file("other/app")).unwrap();
    std::fs::copy(&abs, sandbox.file("other/values.yaml")).unwrap();
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args(["decrypt", "--output-dir", "d"])
        .arg(&abs)
        .arg(sandbox.file("other/values.yaml"))
        .run();
    assert_eq!(out.code, Some(8), "{}", out.describe());
    assert!(
        out.stderr_text().contains("would both be written"),
        "{}",
        out.describe()
    );
}

#[test]
fn a_master_key_is_asked_once_per_distinct_data_key() {
    let sandbox = Sandbox::new();
    sandbox.import_pgp_key(&fixture("keys/pgp-ed25519.secret.asc"));
    let fp = ED25519_FP;
    let log = sandbox.file("gpg.log");
    let wrapper = sandbox.script(
        "gpg-logging",
        &format!("echo \"$@\" >> {}\nexec gpg \"$@\"\n", log.display()),
    );
    let encrypt = |name: &str| {
        let plain = sandbox.write(&format!("{name}.plain"), format!("name: {name}\n"));
        let out = sandbox
            .cmd(Tool::SopsRs)
            .args([
                "encrypt",
                "--pgp",
                fp,
                "--input-type",
                "yaml",
                "--output-type",
                "yaml",
            ])
            .arg(&plain)
            .run()
            .expect_success();
        sandbox.write(name, &out.stdout);
    };
    encrypt("one.yaml");
    encrypt("two.yaml");
    // Copies share their wrapped data key.
    for copy in ["one-copy-a.yaml", "one-copy-b.yaml"] {
        std::fs::copy(sandbox.file("one.yaml"), sandbox.file(copy)).unwrap();
    }
    let _ = std::fs::remove_file(&log);
    let out = sandbox
        .cmd(Tool::SopsRs)
        .args([
            "decrypt",
            "one.yaml",
            "one-copy-a.yaml",
            "two.yaml",
            "one-copy-b.yaml",
        ])
        .env("SOPS_GPG_EXEC", &wrapper)
        .run()
        .expect_success();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "name: one.yaml\n---\nname: one.yaml\n---\nname: two.yaml\n---\nname: one.yaml\n"
    );
    let asked = std::fs::read_to_string(&log).unwrap_or_default();
    let decrypts = asked
        .lines()
        .filter(|l| l.split(' ').any(|a| a == "-d"))
        .count();
    assert_eq!(decrypts, 2, "gpg calls:\n{asked}");
}
