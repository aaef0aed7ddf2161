//! helm-secrets' sops backend runs `sops BACKEND_ARGS… --decrypt --input-type T --output-type T
//! …`: the user's `-a`/`--backend-args`/`HELM_SECRETS_BACKEND_ARGS` come first, split by the
//! shell (`eval "set -- ${args} \"\$@\""` in `scripts/lib/backends/sops.sh`). With sops-rs as
//! its sops, `--verbose` there logs as sops does and a repeated `--output-type` takes the last
//! value, as in sops.
//!
//! The command lines below are the ones helm-secrets builds. When `HELM_SECRETS_PLUGIN_DIR`
//! names a helm-secrets checkout (with `scripts/run.sh`) and `SOPS_RS_HELM3` a helm binary,
//! the last test also runs its real scripts with `HELM_SECRETS_SOPS_PATH=sops-rs`.

use crate::support as common;

use common::{age_recipient, Sandbox, Tool};

fn encrypted(sandbox: &Sandbox) -> String {
    let plain = sandbox.write("secrets.yaml", "a: secret\n");
    let recipient = age_recipient("age-alice");
    let out = sandbox.run(
        Tool::SopsRs,
        &[
            "encrypt",
            "--age",
            &recipient,
            "-i",
            plain.to_str().expect("utf-8"),
        ],
    );
    assert!(out.success(), "{}", out.describe());
    plain.display().to_string()
}

/// `_sops` of helm-secrets: the backend args (split on whitespace), then its own.
fn backend(sandbox: &Sandbox, backend_args: &str, own: &[&str]) -> common::Output {
    let mut args: Vec<&str> = backend_args.split_whitespace().collect();
    args.extend(own);
    sandbox.run(Tool::SopsRs, &args)
}

#[test]
fn decrypt_with_backend_args_first() {
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let own = [
        "--decrypt",
        "--input-type",
        "yaml",
        "--output-type",
        "yaml",
        &file,
    ];
    for backend_args in [
        "--output-type yaml",
        "--output-type json",
        "--verbose",
        "--verbose --output-type yaml --ignore-mac",
    ] {
        let out = backend(&sandbox, backend_args, &own);
        assert!(out.success(), "{backend_args}: {}", out.describe());
        assert_eq!(out.stdout, b"a: secret\n", "{backend_args}");
        let logged = String::from_utf8_lossy(&out.stderr).contains("Data key recovered");
        assert_eq!(logged, backend_args.contains("--verbose"), "{backend_args}");
    }
    let output = sandbox.file("out.yaml").display().to_string();
    let own = [
        "--decrypt",
        "--input-type",
        "yaml",
        "--output-type",
        "yaml",
        "--output",
        &output,
        &file,
    ];
    let out = backend(&sandbox, "--verbose --output-type yaml", &own);
    assert!(out.success(), "{}", out.describe());
    assert_eq!(std::fs::read(&output).expect("output"), b"a: secret\n");
}

#[test]
fn encrypt_and_edit_with_backend_args_first() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("new.yaml", "b: 2\n").display().to_string();
    let recipient = age_recipient("age-alice");
    let args = format!("--verbose --age {recipient} --output-type yaml");
    let own = [
        "--encrypt",
        "--input-type",
        "yaml",
        "--output-type",
        "yaml",
        "--in-place",
        &file,
    ];
    let out = backend(&sandbox, &args, &own);
    assert!(out.success(), "{}", out.describe());
    let text = std::fs::read_to_string(&file).expect("encrypted");
    assert!(
        text.contains("mac: ENC[") && text.contains(",type:str]"),
        "{text}"
    );
    let edit = sandbox
        .cmd(Tool::SopsRs)
        .args(["--verbose", "--output-type", "yaml"])
        .args(["--input-type", "yaml", "--output-type", "yaml", &file])
        .env("EDITOR", "true")
        .env("SOPS_EDITOR", "true")
        .run();
    // Unchanged: sops's "File has not changed" exit 200, not a usage error.
    assert_eq!(edit.code, Some(200), "{}", edit.describe());
}

#[test]
fn the_real_helm_secrets_scripts_when_available() {
    let (Some(plugin), Some(helm)) = (
        std::env::var_os("HELM_SECRETS_PLUGIN_DIR"),
        std::env::var_os("SOPS_RS_HELM3"),
    ) else {
        eprintln!("HELM_SECRETS_PLUGIN_DIR or SOPS_RS_HELM3 not set: skipped");
        return;
    };
    let sandbox = Sandbox::new();
    let file = encrypted(&sandbox);
    let run_sh = std::path::Path::new(&plugin).join("scripts/run.sh");
    for (flag_args, env_args) in [
        (vec!["-a", "--output-type yaml --verbose"], ""),
        (
            vec!["--backend-args", "--output-type json --output-type yaml"],
            "",
        ),
        (vec![], "--verbose --output-type yaml"),
    ] {
        let out = std::process::Command::new("sh")
            .arg(&run_sh)
            .args(flag_args.iter().copied().chain(["decrypt", &file]))
            .current_dir(sandbox.path())
            .env("HOME", sandbox.file("home"))
            .env("SOPS_AGE_KEY_FILE", common::age_key_path("age-alice"))
            .env("HELM_SECRETS_SOPS_PATH", Tool::SopsRs.program())
            .env("HELM_PLUGIN_DIR", &plugin)
            .env("HELM_BIN", &helm)
            .env("HELM_SECRETS_BACKEND_ARGS", env_args)
            .output()
            .expect("run helm-secrets' run.sh");
        assert!(
            out.status.success(),
            "{flag_args:?} {env_args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("a: secret"), "{stdout}");
    }
}
