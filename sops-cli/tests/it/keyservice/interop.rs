//! Both directions against the reference sops, with alice's age identity held only by the key
//! service: the reference client (`sops --keyservice unix://S --enable-local-keyservice=false`)
//! against `sops-rs keyservice`, and `sops-rs` as the client of `sops keyservice`.

use super::support::{alice, Service};
use crate::support::{age_recipient, Identity, Sandbox, Tool};

const PLAIN: &str = "password: hunter2\nlist:\n    - a\n    - b\n";

/// Encrypts and decrypts with `client` through `service` only, and checks that the file is
/// really alice's (her key opens it without any service) and that the client alone cannot
/// open it.
fn round_trip(sandbox: &Sandbox, client: Tool, service: &Service) {
    let plain = sandbox.write("plain.yaml", PLAIN);
    let recipient = age_recipient("age-alice");
    let uri = service.uri();
    let remote = [
        "--keyservice",
        uri.as_str(),
        "--enable-local-keyservice=false",
    ];
    let encrypted = sandbox
        .cmd(client)
        .identity(Identity::None)
        .arg("encrypt")
        .args(remote)
        .args(["--age", &recipient])
        .arg(&plain)
        .run()
        .expect_success();
    let file = sandbox.write("enc.yaml", &encrypted.stdout);
    let decrypted = sandbox
        .cmd(client)
        .identity(Identity::None)
        .arg("decrypt")
        .args(remote)
        .arg(&file)
        .run()
        .expect_success();
    assert_eq!(String::from_utf8_lossy(&decrypted.stdout), PLAIN);

    let path = file.display().to_string();
    for tool in [Tool::Sops, Tool::SopsRs] {
        let local = sandbox.run(tool, &["decrypt", &path]).expect_success();
        assert_eq!(String::from_utf8_lossy(&local.stdout), PLAIN, "{tool:?}");
    }
    let alone = sandbox
        .cmd(client)
        .identity(Identity::None)
        .args(["decrypt", &path])
        .run();
    assert_eq!(alone.code, Some(128), "{}", alone.describe());
}

#[test]
fn the_reference_client_uses_a_sops_rs_key_service() {
    let sandbox = Sandbox::new();
    let service = Service::start(&sandbox, Tool::SopsRs, &[], &alice());
    round_trip(&sandbox, Tool::Sops, &service);
}

#[test]
fn sops_rs_uses_the_reference_key_service() {
    let sandbox = Sandbox::new();
    let service = Service::start(&sandbox, Tool::Sops, &[], &alice());
    round_trip(&sandbox, Tool::SopsRs, &service);
}

/// `SOPS_KEYSERVICE` and `SOPS_ENABLE_LOCAL_KEYSERVICE` do what the flags do, and the socket
/// is private: mode 0600, and gone after `keyservice --stop`.
#[test]
fn the_variables_name_the_service_and_stop_ends_it() {
    let sandbox = Sandbox::new();
    let mut service = Service::start(&sandbox, Tool::SopsRs, &[], &alice());
    let mode = crate::support::mode(service.socket());
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");
    let recipient = age_recipient("age-alice");
    let plain = sandbox.write("plain.yaml", PLAIN);
    let encrypted = sandbox
        .cmd(Tool::SopsRs)
        .identity(Identity::None)
        .args(["encrypt", "--age", &recipient])
        .arg(&plain)
        .env("SOPS_KEYSERVICE", service.uri())
        .env("SOPS_ENABLE_LOCAL_KEYSERVICE", "false")
        .run()
        .expect_success();
    let file = sandbox.write("enc.yaml", &encrypted.stdout);
    // diff-textconv has no key-service flags: it reads the variables.
    let shown = sandbox
        .cmd(Tool::SopsRs)
        .identity(Identity::None)
        .arg("diff-textconv")
        .arg(&file)
        .env("SOPS_KEYSERVICE", service.uri())
        .run()
        .expect_success();
    assert_eq!(String::from_utf8_lossy(&shown.stdout), PLAIN);

    let socket = service.socket().display().to_string();
    sandbox
        .run(
            Tool::SopsRs,
            &[
                "keyservice",
                "--stop",
                "--network",
                "unix",
                "--address",
                &socket,
            ],
        )
        .expect_success();
    let status = service.wait_for_exit();
    assert!(status.success(), "{status}: {}", service.log_text());
    assert!(!service.socket().exists(), "the socket is removed");
}

/// `--network tcp --address :PORT` listens on loopback without a warning, and serves the
/// reference client there.
#[test]
fn tcp_with_an_empty_host_listens_on_loopback() {
    let sandbox = Sandbox::new();
    let service = Service::start_tcp(&sandbox, &alice());
    round_trip(&sandbox, Tool::Sops, &service);
    assert!(
        !service.log_text().contains("warning"),
        "{}",
        service.log_text()
    );
}
