//! `sops-rs check` under the real pre-commit framework (PyPI `pre-commit`), in temporary git
//! repositories: `pre-commit install`, then `git commit` runs the guard as a `repo: local`,
//! `language: system` hook with the binary under test (see `precommit::support`); the
//! `--format json` report through a hook; and the shipped `.pre-commit-hooks.yaml`, validated
//! and run with `pre-commit try-repo`.

use super::support::{output, pre_commit_python, workspace, Repo, RULES, SOPS_RS};
use std::path::Path;

#[test]
fn plaintext_file_is_refused_until_encrypted_and_others_pass_untouched() {
    let repo = Repo::new(RULES);
    repo.write(
        "secrets/app.yaml",
        "db:\n  user: admin\n  password: hunter2\n",
    );
    let notes = "# not a secret\npassword: this-file-is-outside-the-rules\n";
    repo.write("notes.yaml", notes);
    let out = repo.refused_commit();
    assert!(
        out.text.contains("secrets/app.yaml: not encrypted"),
        "{}",
        out.text
    );
    assert!(!out.text.contains("notes.yaml"), "{}", out.text);
    assert!(
        !out.text.contains("hunter2"),
        "a value was printed:\n{}",
        out.text
    );

    repo.sops(&["encrypt", "-i", "secrets/app.yaml"]);
    repo.git(&["add", "-A"]);
    repo.commit("encrypted");
    assert_eq!(repo.read("notes.yaml"), notes);
    let tracked = repo.git(&["ls-files"]).text;
    assert!(tracked.contains("notes.yaml") && tracked.contains("secrets/app.yaml"));
}

#[test]
fn plaintext_value_pasted_into_an_encrypted_file_is_refused_by_key_path() {
    let repo = Repo::new(RULES);
    repo.write("secrets/app.yaml", "db:\n  password: hunter2\nlist: [a]\n");
    repo.sops(&["encrypt", "-i", "secrets/app.yaml"]);
    repo.git(&["add", "-A"]);
    repo.commit("encrypted");

    let text = repo.read("secrets/app.yaml");
    let pasted = text.replacen("sops:", "api_key: sk-live-0123456789\nsops:", 1);
    repo.write("secrets/app.yaml", &pasted);
    let out = repo.refused_commit();
    assert!(
        out.text
            .contains(r#"secrets/app.yaml: plaintext string at ["api_key"]"#),
        "{}",
        out.text
    );
    assert!(
        !out.text.contains("sk-live"),
        "a value was printed:\n{}",
        out.text
    );
}

#[test]
fn encrypted_regex_rule_leaves_other_keys_in_plaintext() {
    let repo = Repo::new(RULES);
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  token: c2VjcmV0\n";
    repo.write("k8s/db.yaml", secret);
    repo.sops(&["encrypt", "-i", "k8s/db.yaml"]);
    let encrypted = repo.read("k8s/db.yaml");
    assert!(encrypted.contains("name: db") && encrypted.contains("token: ENC["));
    repo.git(&["add", "-A"]);
    repo.commit("k8s secret");

    // A plaintext label outside `data` is fine; a plaintext key under `data` is not.
    let labelled = encrypted.replacen("    name: db\n", "    name: db\n    labels: {app: db}\n", 1);
    repo.write("k8s/db.yaml", &labelled);
    repo.git(&["add", "-A"]);
    repo.commit("a label");
    let pasted = labelled.replacen("\ndata:\n", "\ndata:\n    password: aHVudGVyMg==\n", 1);
    repo.write("k8s/db.yaml", &pasted);
    let out = repo.refused_commit();
    assert!(
        out.text
            .contains(r#"k8s/db.yaml: plaintext string at ["data"]["password"]"#),
        "{}",
        out.text
    );
}

#[test]
fn verify_mac_catches_a_tampered_value() {
    let repo = Repo::new(RULES);
    repo.write(
        "secrets/app.yaml",
        "password: hunter2\nport_unencrypted: 5432\n",
    );
    repo.sops(&["encrypt", "-i", "secrets/app.yaml"]);
    let files = [
        "run",
        "--hook-stage",
        "manual",
        "sops-rs-check-mac",
        "--files",
    ];
    let out = repo.pre_commit_ok(&[&files[..], &["secrets/app.yaml"]].concat());
    assert!(out.text.contains("Passed"), "{}", out.text);

    let text = repo.read("secrets/app.yaml");
    let tampered = text.replacen("port_unencrypted: 5432", "port_unencrypted: 6543", 1);
    repo.write("secrets/app.yaml", &tampered);
    // Every value is still encrypted: the plain check passes, only the MAC tells.
    repo.pre_commit_ok(&["run", "sops-rs-check", "--files", "secrets/app.yaml"]);
    let out = repo.pre_commit(&[&files[..], &["secrets/app.yaml"]].concat());
    assert!(!out.ok, "{}", out.text);
    assert!(
        out.text.contains("secrets/app.yaml: MAC mismatch"),
        "{}",
        out.text
    );
}

#[test]
fn json_report_through_pre_commit() {
    let repo = Repo::new(RULES);
    repo.write("secrets/plain.yaml", "token: abc\n");
    repo.write("secrets/app.yaml", "password: hunter2\n");
    repo.sops(&["encrypt", "-i", "secrets/app.yaml"]);
    let text = repo.read("secrets/app.yaml");
    repo.write(
        "secrets/app.yaml",
        &text.replacen("sops:", "n: 42\nsops:", 1),
    );
    repo.write("README.md", "hello\n");
    let out = repo.pre_commit(&[
        "run",
        "--hook-stage",
        "manual",
        "sops-rs-check-json",
        "--files",
        "secrets/plain.yaml",
        "secrets/app.yaml",
        "README.md",
    ]);
    assert!(!out.ok, "{}", out.text);
    // pre-commit frames the hook's output; the JSON document is the block from `{` to `}`.
    let start = out.text.find("\n{").expect("a JSON document") + 1;
    let end = out.text.rfind("\n}").expect("the end of the document") + 2;
    let doc: serde_json::Value =
        serde_json::from_str(&out.text[start..end]).expect("the output is JSON");
    assert_eq!(doc["ok"], false);
    assert_eq!(
        (doc["checked"].as_u64(), doc["failed"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(doc["skipped"], 1);
    let files = doc["files"].as_array().expect("files");
    let by_name = |name: &str| {
        files
            .iter()
            .find(|f| f["file"] == name)
            .unwrap_or_else(|| panic!("{name} is missing from {doc}"))
    };
    let plain = by_name("secrets/plain.yaml");
    assert_eq!(plain["status"], "failed");
    assert_eq!(plain["rules"][0]["index"], 0);
    assert_eq!(plain["rules"][0]["path_regex"], "^secrets/.*\\.yaml$");
    assert_eq!(plain["problems"][0]["kind"], "not_encrypted");
    let app = by_name("secrets/app.yaml");
    let problem = &app["problems"][0];
    assert_eq!(problem["kind"], "plaintext_value");
    assert_eq!(problem["path"], r#"["n"]"#);
    assert_eq!(problem["type"], "int");
    assert!(problem["message"].is_string());
    assert!(app["warnings"].as_array().is_some_and(Vec::is_empty));
    assert!(app["mac"].is_null());
    let readme = by_name("README.md");
    assert_eq!(readme["status"], "skipped");
    assert_eq!(readme["skip_reason"], "no creation rule matches");
    assert!(!out.text.contains("hunter2") && !out.text.contains("abc"));
}

/// The shipped `.pre-commit-hooks.yaml` is a valid manifest, and its `language: system` hook
/// runs the `sops-rs` on PATH. (The `language: rust` hook builds a release binary with
/// `cargo install`, which this test does not do.)
#[test]
fn shipped_manifest_works_with_an_installed_binary() {
    let repo = Repo::new(RULES);
    let manifest = workspace().join(".pre-commit-hooks.yaml");
    let manifest = manifest.to_str().expect("a UTF-8 path");
    repo.pre_commit_ok(&["validate-manifest", manifest]);

    // try-repo needs a git repository holding the manifest: a copy of it, committed.
    let hooks = repo.tmp.path().join("hooks");
    std::fs::create_dir(&hooks).expect("create the hooks repository");
    std::fs::copy(manifest, hooks.join(".pre-commit-hooks.yaml")).expect("copy the manifest");
    let hooks = hooks.to_str().expect("a UTF-8 path");
    for args in [
        &["init", "-q", hooks][..],
        &["-C", hooks, "add", "."],
        &["-C", hooks, "commit", "-q", "-m", "hooks"],
    ] {
        repo.git(args);
    }
    repo.write("secrets/plain.yaml", "token: abc\n");
    let path = format!(
        "{}:{}",
        Path::new(SOPS_RS).parent().expect("a directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let try_repo = |file: &str| {
        let args = [
            "-m",
            "pre_commit",
            "try-repo",
            hooks,
            "sops-rs-check-system",
            "--files",
            file,
        ];
        let out = output(
            repo.command(pre_commit_python())
                .args(args)
                .env("PATH", &path),
        );
        (out.ok, out.text)
    };
    let (ok, text) = try_repo("secrets/plain.yaml");
    assert!(
        !ok && text.contains("secrets/plain.yaml: not encrypted"),
        "{text}"
    );
    let (ok, text) = try_repo(".sops.yaml");
    assert!(ok, "{text}");
}
