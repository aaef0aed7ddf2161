//! A key service that is down, or that refuses (`--prompt` answered `n`): sops-rs fails as the
//! reference client does, with the same exit codes (128 when the data key cannot be recovered,
//! 1 when it cannot be wrapped) and gRPC's words for the cause.

use super::support::{alice, Service};
use crate::support::{age_recipient, Identity, Sandbox, Tool};

/// Runs `args` with both tools, with no identity and only the key service `uri`.
fn both(sandbox: &Sandbox, uri: &str, args: &[&str]) -> [crate::support::Output; 2] {
    [Tool::Sops, Tool::SopsRs].map(|tool| {
        sandbox
            .cmd(tool)
            .identity(Identity::None)
            .arg(args[0])
            .args(["--keyservice", uri, "--enable-local-keyservice=false"])
            .args(&args[1..])
            .run()
    })
}

#[test]
fn a_service_that_is_down_fails_as_in_sops() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write("plain.yaml", "a: b\n").display().to_string();
    let recipient = age_recipient("age-alice");
    let encrypted = sandbox
        .run(Tool::SopsRs, &["encrypt", "--age", &recipient, &plain])
        .expect_success();
    let file = sandbox
        .write("enc.yaml", &encrypted.stdout)
        .display()
        .to_string();
    let nowhere = format!("unix://{}", sandbox.file("nobody-listens.sock").display());
    for uri in [nowhere.as_str(), "tcp://127.0.0.1:1"] {
        let [sops, ours] = both(&sandbox, uri, &["decrypt", &file]);
        assert_eq!(sops.code, Some(128), "{}", sops.describe());
        assert_eq!(ours.code, sops.code, "{}", ours.describe());
        assert!(
            ours.stderr_text().contains("code = Unavailable"),
            "{}",
            ours.describe()
        );
        let [sops, ours] = both(&sandbox, uri, &["encrypt", "--age", &recipient, &plain]);
        assert_eq!(sops.code, Some(1), "{}", sops.describe());
        assert_eq!(ours.code, sops.code, "{}", ours.describe());
        assert!(
            ours.stderr_text().contains("code = Unavailable"),
            "{}",
            ours.describe()
        );
        assert!(ours.stdout.is_empty());
    }
}

#[test]
fn a_refused_request_fails_as_in_sops() {
    let sandbox = Sandbox::new();
    let plain = sandbox.write("plain.yaml", "a: b\n").display().to_string();
    let recipient = age_recipient("age-alice");
    let encrypted = sandbox
        .run(Tool::SopsRs, &["encrypt", "--age", &recipient, &plain])
        .expect_success();
    let file = sandbox
        .write("enc.yaml", &encrypted.stdout)
        .display()
        .to_string();
    // Two refusals (one per client), then the service's stdin ends.
    let service = Service::start_with_stdin(
        &sandbox,
        Tool::SopsRs,
        &["--prompt"],
        &alice(),
        Some("n\nn\n"),
    );
    let [sops, ours] = both(&sandbox, &service.uri(), &["decrypt", &file]);
    assert_eq!(sops.code, Some(128), "{}", sops.describe());
    assert_eq!(ours.code, sops.code, "{}", ours.describe());
    for out in [&sops, &ours] {
        let stderr = out.stderr_text();
        assert!(stderr.contains("PermissionDenied"), "{}", out.describe());
        assert!(stderr.contains("Request rejected"), "{}", out.describe());
    }
    let asked = std::fs::read_to_string(sandbox.file("ks.out")).unwrap_or_default();
    assert_eq!(
        asked.matches("Respond to request? (y/n)").count(),
        2,
        "{asked}"
    );
}
