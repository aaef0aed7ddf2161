//! helm-secrets' commands in `sops-rs helm`: encrypt, decrypt (`-i`, `--terraform`), edit, the
//! 3.x aliases dec/enc/view/clean, the downloader called as helm calls it (four arguments,
//! `secrets+literal`, `secrets+age-import`, `secrets+gpg-import`), the path-safety switches,
//! and `install-plugin` next to helm-secrets.

use super::support::{key, run, sops_rs, Output, Sandbox, ALICE};
use std::process::Command;

fn helm_cmd(s: &Sandbox, args: &[&str]) -> Command {
    let mut c = s.cmd(sops_rs());
    c.arg("helm").args(args);
    c
}

fn ok(mut c: Command) -> Output {
    let out = run(&mut c);
    assert!(out.ok(), "{}", out.describe());
    out
}

fn failed(mut c: Command, message: &str) -> Output {
    let out = run(&mut c);
    assert!(!out.ok(), "expected a failure: {}", out.describe());
    assert!(
        out.stderr.contains(message),
        "expected {message:?}: {}",
        out.describe()
    );
    out
}

#[test]
fn decrypt_to_stdout_in_place_and_for_terraform() {
    let s = Sandbox::new();
    assert_eq!(
        ok(helm_cmd(&s, &["decrypt", "credentials.yaml"])).stdout,
        "password: test\n"
    );
    let out = ok(helm_cmd(
        &s,
        &["decrypt", "--terraform", "credentials.yaml"],
    ));
    assert_eq!(out.stdout, r#"{"content_base64":"cGFzc3dvcmQ6IHRlc3QK"}"#);
    s.write(
        "chart/copy.yaml",
        std::fs::read(s.chart().join("credentials.yaml")).unwrap(),
    );
    ok(helm_cmd(&s, &["decrypt", "-i", "copy.yaml"]));
    assert_eq!(
        std::fs::read_to_string(s.chart().join("copy.yaml")).unwrap(),
        "password: test\n"
    );
    failed(
        helm_cmd(&s, &["decrypt", "copy.yaml"]),
        "File is not encrypted: copy.yaml",
    );
    failed(
        helm_cmd(&s, &["decrypt", "nope.yaml"]),
        "File does not exist: nope.yaml",
    );
}

#[test]
fn encrypt_from_the_file_s_directory_and_in_place() {
    let s = Sandbox::new();
    // A creation rule next to the file, used although the command runs elsewhere (helm-secrets
    // changes into the file's directory).
    s.write(
        "values/.sops.yaml",
        format!("creation_rules:\n  - age: {ALICE}\n"),
    );
    s.write("values/new.yaml", "token: abc\n");
    let out = ok(helm_cmd(&s, &["encrypt", "../values/new.yaml"]));
    assert!(
        out.stdout.contains("mac: ENC[") && out.stdout.contains("type:str]"),
        "{}",
        out.describe()
    );
    ok(helm_cmd(&s, &["encrypt", "-i", "../values/new.yaml"]));
    let out = ok(helm_cmd(&s, &["decrypt", "../values/new.yaml"]));
    assert_eq!(out.stdout, "token: abc\n");
    failed(
        helm_cmd(&s, &["encrypt", "../values/new.yaml"]),
        "Already encrypted: new.yaml",
    );
    // SOPS_AGE_RECIPIENTS works as with sops (no rule for this file).
    s.write("chart/other.yaml", "a: b\n");
    let mut c = helm_cmd(&s, &["encrypt", "other.yaml"]);
    c.env("SOPS_AGE_RECIPIENTS", ALICE);
    assert!(ok(c).stdout.contains(ALICE));
}

#[test]
fn edit_runs_the_editor_and_re_encrypts() {
    let s = Sandbox::new();
    let editor = s.script("bin/editor", "sed -i 's/test/changed/' \"$1\"\n");
    let mut c = helm_cmd(&s, &["edit", "credentials.yaml"]);
    c.env("EDITOR", &editor);
    ok(c);
    assert_eq!(
        ok(helm_cmd(&s, &["decrypt", "credentials.yaml"])).stdout,
        "password: changed\n"
    );
    let mut c = helm_cmd(&s, &["edit", "credentials.yaml"]);
    c.env("EDITOR", "true");
    assert_eq!(
        run(&mut c).code,
        Some(200),
        "unchanged file: sops's exit 200"
    );
}

#[test]
fn legacy_dec_enc_view_clean() {
    let s = Sandbox::new();
    ok(helm_cmd(&s, &["dec", "credentials.yaml"]));
    let dec = s.chart().join("credentials.yaml.dec");
    assert_eq!(std::fs::read_to_string(&dec).unwrap(), "password: test\n");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dec).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::write(&dec, "password: again\n").unwrap();
    // As with helm-secrets, the keys come from .sops.yaml or SOPS_AGE_RECIPIENTS & co.
    let mut c = helm_cmd(&s, &["enc", "credentials.yaml"]);
    c.env("SOPS_AGE_RECIPIENTS", ALICE);
    let out = ok(c);
    assert_eq!(
        out.stdout,
        "Encrypting credentials.yaml\nEncrypted credentials.yaml.dec to credentials.yaml\n"
    );
    assert_eq!(
        ok(helm_cmd(&s, &["view", "credentials.yaml"])).stdout,
        "password: again\n"
    );
    s.write("chart/sub/x.yaml.dec", "x: 1\n");
    let out = ok(helm_cmd(&s, &["clean", "."]));
    assert_eq!(
        out.stdout,
        "removed './credentials.yaml.dec'\nremoved './sub/x.yaml.dec'\n"
    );
    assert!(!dec.exists() && s.chart().join("credentials.yaml").exists());
    let mut c = helm_cmd(&s, &["dec", "credentials.yaml"]);
    c.env("HELM_SECRETS_DEC_SUFFIX", ".plain")
        .env("HELM_SECRETS_DEC_PREFIX", "p-");
    ok(c);
    assert!(s.chart().join("p-credentials.yaml.plain").exists());
}

fn downloader(s: &Sandbox, url: &str) -> Command {
    // Exactly as helm runs it: certFile, keyFile, caFile (empty), then the URL.
    helm_cmd(s, &["downloader", "", "", "", url])
}

#[test]
fn downloader_protocol() {
    let s = Sandbox::new();
    assert_eq!(
        ok(downloader(&s, "secrets://credentials.yaml")).stdout,
        "password: test\n"
    );
    let abs = format!("secrets://{}", s.chart().join("credentials.yaml").display());
    assert_eq!(ok(downloader(&s, &abs)).stdout, "password: test\n");
    assert_eq!(ok(downloader(&s, "secrets://?missing.yaml")).stdout, "");
    failed(
        downloader(&s, "secrets://missing.yaml"),
        "File does not exist: missing.yaml",
    );
    s.write("chart/plain.yaml", "a: b\n");
    assert_eq!(ok(downloader(&s, "secrets://plain.yaml")).stdout, "a: b\n");
    assert_eq!(
        ok(downloader(&s, "secrets://noop!credentials.yaml"))
            .stdout
            .lines()
            .next(),
        Some(
            std::fs::read_to_string(s.chart().join("credentials.yaml"))
                .unwrap()
                .lines()
                .next()
                .unwrap()
        )
    );
    failed(
        downloader(&s, "secrets://bogus!credentials.yaml"),
        "unknown secret backend 'bogus'",
    );
    failed(
        downloader(&s, "sops://credentials.yaml"),
        "Unknown protocol",
    );

    // A literal: a whole sops-encrypted JSON document.
    let mut c = s.cmd(sops_rs());
    c.args([
        "encrypt",
        "--age",
        ALICE,
        "--input-type",
        "json",
        "--output-type",
        "json",
        "/dev/stdin",
    ]);
    let literal = {
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"{"k": "v"}"#)
            .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    let out = ok(downloader(&s, &format!("secrets+literal://{literal}")));
    assert_eq!(out.stdout, "{\n\t\"k\": \"v\"\n}\n");
    assert_eq!(
        ok(downloader(&s, "secrets+literal://plain text")).stdout,
        "plain text"
    );
}

#[test]
fn downloader_key_imports() {
    let s = Sandbox::new();
    let alice = key("age-alice.txt");
    let url = format!("secrets+age-import://{}?credentials.yaml", alice.display());
    let mut c = downloader(&s, &url);
    c.env("SOPS_AGE_KEY_FILE", key("age-bob.txt"));
    assert_eq!(ok(c).stdout, "password: test\n");
    let prefix = format!("{}/", alice.parent().unwrap().display());
    let mut c = downloader(&s, &url);
    c.env("HELM_SECRETS_KEY_LOCATION_PREFIX", &prefix);
    ok(c);
    let sneaky = format!("secrets+age-import://{prefix}../keys/age-alice.txt?credentials.yaml");
    let mut c = downloader(&s, &sneaky);
    c.env("HELM_SECRETS_KEY_LOCATION_PREFIX", format!("{prefix}age-"));
    failed(c, "is not allowed");
    let mut c = downloader(&s, &url);
    c.env("HELM_SECRETS_ALLOW_AGE_IMPORT", "false");
    failed(c, "secrets+age-import:// is not allowed");
    failed(
        downloader(&s, "secrets+age-import://credentials.yaml"),
        "Invalid syntax",
    );

    // PGP: a file encrypted to the Ed25519 test key, opened with the key file from the URL.
    let fp = "CC8CB3591DF8BB3CDE1036B4045E0B7A37651994";
    let plain = s.write("chart/plain-src.yaml", "password: pgp\n");
    let mut c = s.cmd(sops_rs());
    c.args([
        "encrypt",
        "--pgp",
        fp,
        "--input-type",
        "yaml",
        "--output-type",
        "yaml",
        "--output",
        "pgp.yaml",
    ])
    .arg(&plain)
    .env("SOPS_PGP_KEY_FILE", key("pgp-ed25519.public.asc"));
    ok(c);
    std::fs::remove_file(&plain).unwrap();
    let url = format!(
        "secrets+gpg-import://{}?pgp.yaml",
        key("pgp-ed25519.secret.asc").display()
    );
    assert_eq!(ok(downloader(&s, &url)).stdout, "password: pgp\n");
    failed(
        downloader(&s, "secrets://pgp.yaml"),
        "Error while decrypting file: pgp.yaml",
    );
}

#[test]
fn path_safety_switches() {
    let s = Sandbox::new();
    // The tree is the checkout: `.git` at the sandbox root.
    std::fs::create_dir(s.path().join(".git")).unwrap();
    std::fs::create_dir(s.path().join("values")).unwrap();
    std::fs::copy(
        s.chart().join("credentials.yaml"),
        s.path().join("values/secrets.yaml"),
    )
    .unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(
        s.chart().join("credentials.yaml"),
        outside.path().join("secrets.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), s.path().join("values/linked")).unwrap();
    std::os::unix::fs::symlink(
        s.path().join("values/secrets.yaml"),
        s.chart().join("link.yaml"),
    )
    .unwrap();
    let with = |var: &str, url: &str| {
        let mut c = downloader(&s, url);
        c.env(var, "false");
        c
    };
    const TRAVERSAL: &str = "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL";
    ok(with(TRAVERSAL, "secrets://../values/secrets.yaml"));
    ok(with(
        TRAVERSAL,
        "secrets://../chart/../values/./secrets.yaml",
    ));
    let escape = format!(
        "secrets://../../{}/secrets.yaml",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    failed(with(TRAVERSAL, &escape), "Path traversal is not allowed");
    failed(
        with(TRAVERSAL, "secrets://../values/linked/secrets.yaml"),
        "Path traversal is not allowed",
    );
    ok(downloader(&s, "secrets://../values/linked/secrets.yaml"));

    const SYMLINKS: &str = "HELM_SECRETS_VALUES_ALLOW_SYMLINKS";
    failed(with(SYMLINKS, "secrets://link.yaml"), "is a symlink");
    failed(
        with(SYMLINKS, "secrets://../values/linked/secrets.yaml"),
        "reached through a symlink",
    );
    ok(with(SYMLINKS, "secrets://../values/secrets.yaml"));

    const ABSOLUTE: &str = "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH";
    let abs = format!(
        "secrets://{}",
        s.path().join("values/secrets.yaml").display()
    );
    failed(with(ABSOLUTE, &abs), "Absolute paths are not allowed");
    ok(with(ABSOLUTE, "secrets://../values/secrets.yaml"));

    // The wrapper applies them too.
    let mut c = helm_cmd(&s, &["template", ".", "-f", "link.yaml"]);
    c.env(SYMLINKS, "false")
        .env("HELM_SECRETS_HELM_PATH", "/bin/false");
    failed(c, "is a symlink");
}

#[test]
fn install_plugin_refuses_to_sit_next_to_helm_secrets() {
    let s = Sandbox::new();
    s.write(
        "home/helm/plugins/helm-secrets/plugin.yaml",
        "name: \"secrets\"\nversion: \"4.6.0\"\n",
    );
    failed(
        helm_cmd(&s, &["install-plugin", "--helm-version", "3"]),
        "helm plugin uninstall secrets",
    );
    std::fs::remove_dir_all(s.plugins().join("helm-secrets")).unwrap();
    // No helm needed with --helm-version and --plugins-dir.
    let dir = s.path().join("elsewhere");
    let dir_arg = dir.to_string_lossy().into_owned();
    ok(helm_cmd(
        &s,
        &[
            "install-plugin",
            "--helm-version",
            "4",
            "--plugins-dir",
            &dir_arg,
        ],
    ));
    assert!(
        dir.join("sops-rs-secrets/plugin.yaml").exists()
            && dir.join("sops-rs-secrets-getter/plugin.yaml").exists()
    );
    // An earlier version's shell script goes when the plugin is written again.
    s.write(
        "elsewhere/sops-rs-secrets/bin/sops-rs-helm",
        "#!/bin/sh\nexec sops-rs helm \"$@\"\n",
    );
    // Going back to Helm 3 removes the Helm 4 getter, which Helm 3 could not load.
    ok(helm_cmd(
        &s,
        &[
            "install-plugin",
            "--helm-version=3",
            "--plugins-dir",
            &dir_arg,
        ],
    ));
    assert!(!dir.join("sops-rs-secrets-getter").exists());
    // helm runs the binary itself through a link (no shell script between them).
    let link = std::fs::read_link(dir.join("sops-rs-secrets/bin/sops-rs")).unwrap();
    assert_eq!(link, sops_rs().canonicalize().unwrap());
    assert!(!dir.join("sops-rs-secrets/bin/sops-rs-helm").exists());
    let yaml = std::fs::read_to_string(dir.join("sops-rs-secrets/plugin.yaml")).unwrap();
    assert!(
        yaml.contains("command: \"bin/sops-rs helm downloader\""),
        "{yaml}"
    );
}
