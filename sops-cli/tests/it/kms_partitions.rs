//! getsops/sops#2042 (sops 3.12.0): the `ARN+ROLE_ARN` form of a KMS key splits at `+arn:` in
//! every AWS partition, not only at `+arn:aws:iam::`. The reference sops predates it: given
//! `arn:aws-cn:kms:…:key/k+arn:aws-cn:iam::…:role/r` it asks KMS for a key of that whole name.
//!
//! A private `moto_server` holds a key in `cn-north-1` (partition `aws-cn`) and one in
//! `us-gov-west-1` (`aws-us-gov`). sops-rs encrypts for `KEY+ROLE` of each; the metadata must
//! hold the key ARN and the role apart, and the reference, which reads `arn` and `role` from the
//! metadata, must decrypt the result (assuming the role through moto's STS). Where the reference
//! has the fix (a newer binary), its own metadata must say the same.

use crate::support::{Identity, Output, Sandbox, Tool};
use sops_test_support::MotoServer;
use std::io::{Read, Write};
use std::net::TcpStream;

const ACCOUNT: &str = "123456789012";

/// Creates a KMS key in `region` through moto's JSON API and returns its ARN.
fn create_key(moto: &MotoServer, region: &str) -> String {
    let body = "{}";
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.CreateKey\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/kms/aws4_request, \
         SignedHeaders=host, Signature=0\r\n\
         Content-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        port = moto.port(),
        len = body.len(),
    );
    let mut stream = TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    stream
        .write_all(request.as_bytes())
        .expect("send CreateKey");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read CreateKey");
    let start = response
        .find("\"Arn\": \"")
        .map(|i| i + 8)
        .or_else(|| response.find("\"Arn\":\"").map(|i| i + 7))
        .unwrap_or_else(|| panic!("no ARN in moto's answer: {response}"));
    let end = start + response[start..].find('"').expect("end of the ARN");
    response[start..end].to_owned()
}

fn run(sandbox: &Sandbox, moto: &MotoServer, tool: Tool, region: &str, args: &[&str]) -> Output {
    let none = sandbox.file("no-such-aws-file");
    sandbox
        .cmd(tool)
        .args(args)
        .identity(Identity::None)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", region)
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .env("AWS_CONFIG_FILE", &none)
        .env("AWS_SHARED_CREDENTIALS_FILE", &none)
        .run()
}

/// The value of `field:` in the first `kms` entry of a YAML file sops wrote.
fn kms_field(text: &str, field: &str) -> Option<String> {
    let kms = text.find("\n    kms:\n")?;
    text[kms..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with("          ") || l.starts_with("        - "))
        .map(|l| l.trim_start_matches([' ', '-']))
        .find_map(|l| l.strip_prefix(&format!("{field}: ")).map(str::to_owned))
}

#[test]
fn role_arns_of_every_partition_are_split_off() {
    let moto = MotoServer::start();
    let sandbox = Sandbox::new();
    let plain = sandbox.write("plain.yaml", "password: hunter2\n");
    let plain = plain.to_str().expect("utf-8");
    for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")] {
        let key = create_key(&moto, region);
        assert!(
            key.starts_with(&format!("arn:{partition}:kms:{region}:")),
            "{key}"
        );
        let role = format!("arn:{partition}:iam::{ACCOUNT}:role/sops-rs-test");
        // Spaces are removed before the split, as in sops.
        let spec = format!("{key} + {role}");

        let out = run(
            &sandbox,
            &moto,
            Tool::SopsRs,
            region,
            &["encrypt", "--kms", &spec, plain],
        );
        assert!(out.success(), "{partition}: {}", out.describe());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(
            kms_field(&text, "arn").as_deref(),
            Some(key.as_str()),
            "{text}"
        );
        assert_eq!(
            kms_field(&text, "role").as_deref(),
            Some(role.as_str()),
            "{text}"
        );
        let file = sandbox.write(&format!("{partition}.enc.yaml"), &text);
        let file = file.to_str().expect("utf-8");
        for tool in [Tool::Sops, Tool::SopsRs] {
            let out = run(&sandbox, &moto, tool, region, &["decrypt", file]);
            assert!(out.success(), "{partition}: {}", out.describe());
            assert_eq!(out.stdout, b"password: hunter2\n", "{}", tool.name());
        }

        // The reference before #2042 takes the whole string for the key ARN and fails; once
        // it has the fix, it must split as sops-rs does.
        let out = run(
            &sandbox,
            &moto,
            Tool::Sops,
            region,
            &["encrypt", "--kms", &spec, plain],
        );
        if out.success() {
            let theirs = String::from_utf8(out.stdout).expect("utf-8");
            assert_eq!(kms_field(&theirs, "arn"), kms_field(&text, "arn"));
            assert_eq!(kms_field(&theirs, "role"), kms_field(&text, "role"));
        } else {
            assert!(
                out.stderr_text().contains(&format!("{key}+{role}")),
                "{}",
                out.describe()
            );
        }
    }
}
