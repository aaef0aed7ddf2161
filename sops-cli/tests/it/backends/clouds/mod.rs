//! The cloud key backends (Azure Key Vault, GCP KMS, HuaweiCloud KMS), each tested inside a private
//! network and mount namespace (`sops_test_support::netns`) against a stand-in of its service
//! that the reference sops uses first in the same run.
//!
//! [`Cloud`] is one test's world: the namespace, the stand-in serving on 127.0.0.1:443, a
//! [`Sandbox`] (alice's age identity) and the credentials every command gets, with the test
//! CA as `SSL_CERT_FILE`. Its checks are shared by the backends' test files.

mod azure;
mod gcp;
mod hckms;

use crate::support::{age_recipient, Cmd, Identity, Output, Sandbox, Tool};
use sops_test_support::netns::{self, Namespace, Request, Response, TlsServer};
use std::path::{Path, PathBuf};

/// The plaintext every test encrypts.
const PLAIN: &str = "{\n\t\"password\": \"hunter2\",\n\t\"db\": {\n\t\t\"port\": 5432\n\t}\n}";

pub(super) struct Cloud {
    pub(super) sandbox: Sandbox,
    pub(super) server: TlsServer,
    ns: Namespace,
    env: Vec<(&'static str, String)>,
}

impl Cloud {
    /// In the re-run test process, the namespace with `handler` serving `names`; `None` in the
    /// outer process (the test ran inside and passed).
    pub(super) fn start<H>(names: &[&str], handler: H) -> Option<Cloud>
    where
        H: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let ns = netns::isolate(names)?;
        let server = ns.serve(handler);
        Some(Cloud {
            sandbox: Sandbox::new(),
            server,
            ns,
            env: Vec::new(),
        })
    }

    pub(super) fn with_env(mut self, env: Vec<(&'static str, String)>) -> Self {
        self.env = env;
        self
    }

    pub(super) fn age_recipient(&self) -> String {
        age_recipient("age-alice")
    }

    /// A command of `tool` with the CA bundle and the credentials.
    pub(super) fn cmd(&self, tool: Tool) -> Cmd<'_> {
        let mut cmd = self
            .sandbox
            .cmd(tool)
            .env("SSL_CERT_FILE", self.ns.ca_file());
        for (k, v) in &self.env {
            cmd = cmd.env(k, v);
        }
        cmd
    }

    /// Encrypts [`PLAIN`] with `flags` into `name`; fails the test unless it works.
    pub(super) fn encrypt(&self, tool: Tool, flags: &[&str], name: &str) -> PathBuf {
        self.encrypt_env(tool, flags, &[], name)
    }

    pub(super) fn encrypt_env(
        &self,
        tool: Tool,
        flags: &[&str],
        env: &[(&str, &str)],
        name: &str,
    ) -> PathBuf {
        let plain = self.sandbox.write(&format!("{name}.plain.json"), PLAIN);
        let mut cmd = self.cmd(tool).arg("encrypt").args(flags);
        for (k, v) in env {
            cmd = cmd.env(k, v);
        }
        let out = cmd.arg(&plain).run().expect_success();
        self.sandbox.write(name, &out.stdout)
    }

    pub(super) fn decrypt(&self, tool: Tool, file: &Path) -> Output {
        self.cmd(tool)
            .args(["decrypt", "--input-type", "json"])
            .arg(file)
            .run()
    }

    /// `tool` decrypts `file` to [`PLAIN`].
    pub(super) fn assert_decrypts(&self, tool: Tool, file: &Path) {
        let out = self.decrypt(tool, file).expect_success();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.trim_end(),
            PLAIN,
            "{} decrypted {} to something else",
            tool.name(),
            file.display()
        );
    }

    /// The key groups of an encrypted JSON file.
    pub(super) fn key_groups(&self, file: &Path) -> Vec<serde_json::Value> {
        metadata(file)["key_groups"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// With `rule` as `.sops.yaml`, making two groups (this backend's key, alice's age key)
    /// with `shamir_threshold: 2`: both tools write and read such files, neither group alone
    /// opens them, and `rotate`, `updatekeys` and `groups` keep this backend's entries usable
    /// by the reference.
    pub(super) fn check_group_commands(&self, rule: &str, flag: &str, key: &str, key_type: &str) {
        // Age-only files first, while there is no .sops.yaml.
        let age_only = self.encrypt(
            Tool::SopsRs,
            &["--age", &self.age_recipient()],
            "age-only.json",
        );
        let update = self.encrypt(
            Tool::SopsRs,
            &["--age", &self.age_recipient()],
            "update.json",
        );
        self.sandbox.write(".sops.yaml", rule);
        let reference = self.encrypt(Tool::Sops, &[], "groups-by-sops.json");
        self.assert_decrypts(Tool::Sops, &reference);
        self.assert_decrypts(Tool::SopsRs, &reference);
        let ours = self.encrypt(Tool::SopsRs, &[], "groups-by-sops-rs.json");
        self.assert_decrypts(Tool::Sops, &ours);
        assert_eq!(metadata(&ours)["shamir_threshold"], 2);
        let groups = self.key_groups(&ours);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert_eq!(groups[0][key_type].as_array().map(Vec::len), Some(1));
        // One share is not enough: without the age identity neither tool opens it.
        for tool in [Tool::Sops, Tool::SopsRs] {
            let out = self
                .cmd(tool)
                .identity(Identity::None)
                .args(["decrypt", "--input-type", "json"])
                .arg(&ours)
                .run();
            assert_eq!(out.code, Some(128), "{}", out.describe());
        }

        // rotate -i: a new data key, wrapped again for both groups.
        self.cmd(Tool::SopsRs)
            .args(["rotate", "-i"])
            .arg(&ours)
            .run()
            .expect_success();
        self.assert_decrypts(Tool::Sops, &ours);

        // groups add / delete with this backend's flag.
        let added = self
            .cmd(Tool::SopsRs)
            .args(["groups", "add", "-f"])
            .arg(&ours)
            .args(["-i", flag, key])
            .run();
        added.expect_success();
        assert_eq!(self.key_groups(&ours).len(), 3);
        self.assert_decrypts(Tool::Sops, &ours);
        self.cmd(Tool::SopsRs)
            .args(["groups", "delete", "-f"])
            .arg(&ours)
            .args(["-i", "2"])
            .run()
            .expect_success();
        assert_eq!(self.key_groups(&ours).len(), 2);
        self.assert_decrypts(Tool::Sops, &ours);

        // An age-only file: rotate --add-… makes this backend's key enough on its own;
        // rotate --rm-… takes it away again.
        let add = format!("--add-{}", flag.trim_start_matches("--"));
        self.cmd(Tool::SopsRs)
            .args(["rotate", "-i", &add, key])
            .arg(&age_only)
            .run()
            .expect_success();
        let out = self
            .cmd(Tool::Sops)
            .identity(Identity::None)
            .args(["decrypt", "--input-type", "json"])
            .arg(&age_only)
            .run()
            .expect_success();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), PLAIN);
        let rm = format!("--rm-{}", flag.trim_start_matches("--"));
        self.cmd(Tool::SopsRs)
            .args(["rotate", "-i", &rm, key])
            .arg(&age_only)
            .run()
            .expect_success();
        assert!(entries(&age_only, key_type).is_empty());

        // updatekeys: an age-only file gets the rule's two groups.
        self.cmd(Tool::SopsRs)
            .args(["updatekeys", "-y"])
            .arg(&update)
            .run()
            .expect_success();
        assert_eq!(self.key_groups(&update).len(), 2);
        self.assert_decrypts(Tool::Sops, &update);
    }

    /// With `wrong` credentials (or, with empty values, none) both tools fail to decrypt
    /// `file` and to encrypt with `encrypt_flags`, with the same exit codes; sops-rs's message
    /// has a hint and never the `secret`.
    pub(super) fn check_wrong_credentials(
        &self,
        file: &Path,
        wrong: &[(&'static str, String)],
        encrypt_flags: &[&str],
        secret: &str,
    ) {
        let plain = self.sandbox.write("wrong.plain.json", PLAIN);
        let run = |tool: Tool, decrypt: bool| {
            let mut cmd = self.cmd(tool).identity(Identity::None);
            for (k, v) in wrong {
                cmd = cmd.env(k, v);
            }
            if decrypt {
                cmd.args(["decrypt", "--input-type", "json"])
                    .arg(file)
                    .run()
            } else {
                cmd.arg("encrypt").args(encrypt_flags).arg(&plain).run()
            }
        };
        for decrypt in [true, false] {
            let theirs = run(Tool::Sops, decrypt);
            let ours = run(Tool::SopsRs, decrypt);
            assert!(!theirs.success(), "{}", theirs.describe());
            assert_eq!(
                ours.code,
                theirs.code,
                "{}\n{}",
                ours.describe(),
                theirs.describe()
            );
            let text = ours.stderr_text();
            assert!(text.contains("hint"), "{}", ours.describe());
            if !secret.is_empty() {
                assert!(
                    !text.contains(secret),
                    "the secret is in the message: {text}"
                );
            }
        }
    }
}

fn metadata(file: &Path) -> serde_json::Value {
    let text = std::fs::read(file).expect("read the encrypted file");
    let json: serde_json::Value = serde_json::from_slice(&text).expect("an encrypted JSON file");
    json["sops"].clone()
}

/// The `azure_kv` entries of the first key group of an encrypted JSON file (sops writes a
/// single group's entries at the top of `sops`).
pub(super) fn azure_kv_entries(file: &Path) -> Vec<serde_json::Value> {
    entries(file, "azure_kv")
}

pub(super) fn entries(file: &Path, key_type: &str) -> Vec<serde_json::Value> {
    let sops = metadata(file);
    let list = sops
        .get(key_type)
        .or_else(|| sops["key_groups"][0].get(key_type))
        .and_then(|v| v.as_array())
        .cloned();
    list.unwrap_or_default()
}
