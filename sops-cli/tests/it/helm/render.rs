//! The seed's chart rendered by the real Helm 3.17.3 and 4.1.4 (issue 7's "done when"): through
//! `-f secrets://credentials.yaml` after `sops-rs helm install-plugin`, through the wrapper
//! `sops-rs helm template … -f credentials.yaml` (each hand-off: pipes, FIFOs, files), and
//! through `helm secrets template …` (the plugin's command). The Secret holds base64("test");
//! with the wrong key the run fails and prints no manifest; after every run nothing under
//! `TMPDIR`, the chart or Helm's directories holds the plaintext, and `TMPDIR` is empty.

use super::support;

use super::support::{helm, key, run, Sandbox};

fn plugin_renders(major: u32) {
    let s = Sandbox::new();
    s.install_plugin(&helm(major));
    let out =
        run(s
            .cmd(helm(major))
            .args(["template", "demo", ".", "-f", "secrets://credentials.yaml"]));
    out.assert_rendered();
    assert!(
        out.stdout.contains("name: demo-credentials"),
        "{}",
        out.describe()
    );
    s.assert_no_plaintext_on_disk();
}

#[test]
fn plugin_renders_secrets_url_helm3() {
    plugin_renders(3);
}

#[test]
fn plugin_renders_secrets_url_helm4() {
    plugin_renders(4);
}

fn plugin_wrong_key(major: u32) {
    let s = Sandbox::new();
    s.install_plugin(&helm(major));
    let out = run(s
        .cmd(helm(major))
        .args(["template", "demo", ".", "-f", "secrets://credentials.yaml"])
        .env("SOPS_AGE_KEY_FILE", key("age-bob.txt")));
    out.assert_failed_without_manifest();
    assert!(
        out.stderr.contains("credentials.yaml"),
        "the error names the file: {}",
        out.describe()
    );
    s.assert_no_plaintext_on_disk();
}

#[test]
fn plugin_fails_with_the_wrong_key_helm3() {
    plugin_wrong_key(3);
}

#[test]
fn plugin_fails_with_the_wrong_key_helm4() {
    plugin_wrong_key(4);
}

fn plugin_age_import(major: u32) {
    let s = Sandbox::new();
    s.install_plugin(&helm(major));
    let url = format!(
        "secrets+age-import://{}?credentials.yaml",
        key("age-alice.txt").display()
    );
    let out = run(s
        .cmd(helm(major))
        .args(["template", "demo", ".", "-f", &url])
        .env_remove("SOPS_AGE_KEY_FILE"));
    out.assert_rendered();
    s.assert_no_plaintext_on_disk();
}

#[test]
fn plugin_age_import_helm3() {
    plugin_age_import(3);
}

#[test]
fn plugin_age_import_helm4() {
    plugin_age_import(4);
}

fn plugin_command(major: u32) {
    let s = Sandbox::new();
    s.install_plugin(&helm(major));
    // helm sets HELM_BIN for the plugin; the wrapper runs that helm.
    let out = run(s.cmd(helm(major)).args([
        "secrets",
        "template",
        "demo",
        ".",
        "-f",
        "credentials.yaml",
    ]));
    out.assert_rendered();
    s.assert_no_plaintext_on_disk();
}

#[test]
fn plugin_command_helm_secrets_template_helm3() {
    plugin_command(3);
}

#[test]
fn plugin_command_helm_secrets_template_helm4() {
    plugin_command(4);
}

fn wrapper_renders(major: u32, handoff: Option<&str>) {
    let s = Sandbox::new();
    let mut cmd = s.sops_rs_helm(&helm(major));
    cmd.args(["template", "demo", ".", "-f", "credentials.yaml"]);
    if let Some(mode) = handoff {
        cmd.env("SOPS_RS_HELM_HANDOFF", mode);
    }
    run(&mut cmd).assert_rendered();
    s.assert_no_plaintext_on_disk();
}

#[test]
fn wrapper_renders_through_pipes_helm3() {
    wrapper_renders(3, None);
}

#[test]
fn wrapper_renders_through_pipes_helm4() {
    wrapper_renders(4, None);
}

#[test]
fn wrapper_renders_through_fifos_helm3() {
    wrapper_renders(3, Some("fifo"));
}

#[test]
fn wrapper_renders_through_fifos_helm4() {
    wrapper_renders(4, Some("fifo"));
}

#[test]
fn wrapper_renders_through_private_files_helm3() {
    wrapper_renders(3, Some("file"));
}

#[test]
fn wrapper_renders_through_private_files_helm4() {
    wrapper_renders(4, Some("file"));
}

fn wrapper_wrong_key(major: u32) {
    let s = Sandbox::new();
    let out = run(s
        .sops_rs_helm(&helm(major))
        .args(["template", "demo", ".", "-f", "credentials.yaml"])
        .env("SOPS_AGE_KEY_FILE", key("age-bob.txt")));
    out.assert_failed_without_manifest();
    assert!(
        out.stderr
            .contains("Error while decrypting file: credentials.yaml"),
        "{}",
        out.describe()
    );
    s.assert_no_plaintext_on_disk();
}

#[test]
fn wrapper_fails_with_the_wrong_key_helm3() {
    wrapper_wrong_key(3);
}

#[test]
fn wrapper_fails_with_the_wrong_key_helm4() {
    wrapper_wrong_key(4);
}

fn wrapper_forms(major: u32) {
    let s = Sandbox::new();
    // secrets:// in the wrapper is decrypted in-process: no plugin is installed here.
    for values in [
        vec!["--values=credentials.yaml"],
        vec!["--values", "secrets://credentials.yaml"],
        vec!["-f", "?missing.yaml,credentials.yaml"],
        vec!["-fcredentials.yaml"],
    ] {
        let out = run(s
            .sops_rs_helm(&helm(major))
            .args(["template", "demo", "."])
            .args(&values));
        out.assert_rendered();
    }
    // --set-file with a sops binary file: the raw decrypted content becomes the value.
    let plain = s.write("tmp-password.txt", "test");
    let out = run(s
        .cmd(support::sops_rs())
        .args([
            "encrypt",
            "--age",
            support::ALICE,
            "--input-type",
            "binary",
            "--output-type",
            "binary",
        ])
        .arg(&plain));
    assert!(out.ok(), "{}", out.describe());
    std::fs::remove_file(&plain).expect("remove the plaintext");
    s.write("chart/password.enc", &out.stdout);
    let out = run(s.sops_rs_helm(&helm(major)).args([
        "template",
        "demo",
        ".",
        "--set-file",
        "password=password.enc",
    ]));
    out.assert_rendered();
    s.assert_no_plaintext_on_disk();
}

#[test]
fn wrapper_value_forms_helm3() {
    wrapper_forms(3);
}

#[test]
fn wrapper_value_forms_helm4() {
    wrapper_forms(4);
}

#[test]
fn wrapper_passes_helm_s_exit_code_and_errors() {
    let s = Sandbox::new();
    let out = run(s.sops_rs_helm(&helm(3)).args([
        "template",
        "demo",
        "./no-such-chart",
        "-f",
        "credentials.yaml",
    ]));
    assert_eq!(out.code, Some(1), "{}", out.describe());
    assert!(
        out.stderr.contains("no-such-chart"),
        "helm's own error is shown: {}",
        out.describe()
    );
    s.assert_no_plaintext_on_disk();
}

fn wrapper_lint(major: u32) {
    let s = Sandbox::new();
    let out =
        run(s
            .sops_rs_helm(&helm(major))
            .args(["lint", ".", "--strict", "-f", "credentials.yaml"]));
    assert!(out.ok(), "{}", out.describe());
    // Without the values the template fails: lint really read the decrypted file.
    let out = run(s.sops_rs_helm(&helm(major)).args(["lint", ".", "--strict"]));
    assert!(!out.ok(), "{}", out.describe());
    s.assert_no_plaintext_on_disk();
}

#[test]
fn wrapper_lint_helm3() {
    wrapper_lint(3);
}

#[test]
fn wrapper_lint_helm4() {
    wrapper_lint(4);
}

#[test]
fn wrapper_install_client_dry_run_helm4() {
    // Helm 4 renders `install --dry-run=client` without a cluster (Helm 3 still asks one).
    let s = Sandbox::new();
    let out = run(s.sops_rs_helm(&helm(4)).args([
        "install",
        "demo",
        ".",
        "--dry-run=client",
        "-f",
        "credentials.yaml",
    ]));
    out.assert_rendered();
    s.assert_no_plaintext_on_disk();
}

/// The third way of issue 7: a plain values file whose `password` is a `ref+sops://` reference
/// to the encrypted `credentials.yaml`, given to the wrapper; the rendered Secret holds the
/// decrypted value and no plaintext reaches the disk.
fn wrapper_resolves_ref_sops(major: u32) {
    let s = Sandbox::new();
    s.write(
        "chart/values-ref.yaml",
        "password: ref+sops://credentials.yaml#/password\n",
    );
    let out =
        run(s
            .sops_rs_helm(&helm(major))
            .args(["template", "demo", ".", "-f", "values-ref.yaml"]));
    out.assert_rendered();
    s.assert_no_plaintext_on_disk();
    // With a key that cannot open the referenced file, the run fails before helm prints anything.
    let out = run(s
        .sops_rs_helm(&helm(major))
        .args(["template", "demo", ".", "-f", "values-ref.yaml"])
        .env("SOPS_AGE_KEY_FILE", key("age-bob.txt")));
    out.assert_failed_without_manifest();
    s.assert_no_plaintext_on_disk();
}

#[test]
fn wrapper_resolves_ref_sops_helm3() {
    wrapper_resolves_ref_sops(3);
}

#[test]
fn wrapper_resolves_ref_sops_helm4() {
    wrapper_resolves_ref_sops(4);
}
