//! The caching agent (`sops-rs keyservice --cache-ttl`): N `sops-rs decrypt` processes of one
//! KMS-encrypted file, started together with `SOPS_KEYSERVICE` naming the agent, cause one KMS
//! `Decrypt` at moto (counted in moto's recording), against N without the agent; and a data key
//! whose time is up is zeroized and asked of KMS again.
//!
//! N is 20 here to keep CI short; `SOPS_RS_AGENT_N=100` reproduces the README's figure (the
//! test prints both wall times).

use super::support::{Kms, Service};
use crate::support::{Identity, Sandbox, Tool};
use std::path::Path;
use std::time::{Duration, Instant};

const PLAIN: &str = "db_password: correct-horse\n";

fn processes() -> usize {
    std::env::var("SOPS_RS_AGENT_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// A file encrypted for the KMS key (by sops-rs, with the credentials).
fn encrypted_file(sandbox: &Sandbox, kms: &Kms) -> std::path::PathBuf {
    let plain = sandbox.write("plain.yaml", PLAIN);
    let mut cmd = sandbox.cmd(Tool::SopsRs).identity(Identity::None);
    for (name, value) in kms.env() {
        cmd = cmd.env(name, value);
    }
    let out = cmd
        .args(["encrypt", "--kms", &kms.arn])
        .arg(&plain)
        .run()
        .expect_success();
    sandbox.write("enc.yaml", &out.stdout)
}

/// Starts `n` `sops-rs decrypt FILE` at once (with the KMS credentials, and the agent when
/// given), waits for all, checks each printed the plaintext, and returns the wall time.
fn decrypt_together(
    sandbox: &Sandbox,
    kms: &Kms,
    agent: Option<&Service>,
    file: &Path,
    n: usize,
) -> Duration {
    let started = Instant::now();
    let running: Vec<_> = (0..n)
        .map(|_| {
            let mut cmd = sandbox.cmd(Tool::SopsRs).identity(Identity::None);
            for (name, value) in kms.env() {
                cmd = cmd.env(name, value);
            }
            if let Some(agent) = agent {
                cmd = cmd.env("SOPS_KEYSERVICE", agent.uri());
            }
            cmd.arg("decrypt").arg(file).spawn()
        })
        .collect();
    for process in running {
        let out = process.wait(Duration::from_secs(120));
        assert!(out.success(), "{}", out.describe());
        assert_eq!(String::from_utf8_lossy(&out.stdout), PLAIN);
    }
    started.elapsed()
}

#[test]
fn n_processes_through_the_agent_ask_kms_once() {
    let n = processes();
    let sandbox = Sandbox::new();
    let kms = Kms::start();
    let file = encrypted_file(&sandbox, &kms);
    assert_eq!(kms.decrypts(), 0);

    let alone = decrypt_together(&sandbox, &kms, None, &file, n);
    assert_eq!(
        kms.decrypts(),
        n,
        "without the agent every process asks KMS"
    );

    let agent = Service::start(
        &sandbox,
        Tool::SopsRs,
        &["--cache-ttl", "10m", "--verbose"],
        &kms.env(),
    );
    let shared = decrypt_together(&sandbox, &kms, Some(&agent), &file, n);
    assert_eq!(
        kms.decrypts(),
        n + 1,
        "through the agent KMS is asked once: {}",
        agent.log_text()
    );
    let log = agent.log_text();
    assert_eq!(
        log.matches("Answered from the cache").count(),
        n - 1,
        "{log}"
    );
    assert!(!log.contains("correct-horse"), "{log}");
    eprintln!(
        "{n} decrypt processes: {n} KMS Decrypt calls in {:.2} s without the agent, 1 in {:.2} s through it",
        alone.as_secs_f64(),
        shared.as_secs_f64()
    );
}

#[test]
fn an_expired_data_key_is_zeroized_and_asked_again() {
    let sandbox = Sandbox::new();
    let kms = Kms::start();
    let file = encrypted_file(&sandbox, &kms);
    let agent = Service::start(
        &sandbox,
        Tool::SopsRs,
        &["--cache-ttl", "200ms", "--verbose"],
        &kms.env(),
    );
    decrypt_together(&sandbox, &kms, Some(&agent), &file, 1);
    assert_eq!(kms.decrypts(), 1);
    // Wait on the agent's state (its log says the entry was dropped), not on a clock.
    let started = Instant::now();
    while !agent
        .log_text()
        .contains("Cached data keys expired and were zeroized")
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{}",
            agent.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    decrypt_together(&sandbox, &kms, Some(&agent), &file, 1);
    assert_eq!(
        kms.decrypts(),
        2,
        "the expired entry is asked again: {}",
        agent.log_text()
    );
}
