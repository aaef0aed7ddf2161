//! `sops_keys::hckms` against the HuaweiCloud KMS stand-in (which checks the AK/SK signature of
//! every request), in process, inside a private namespace.

use sops_core::{KeyEntry, KeySource};
use sops_keys::hckms::{HckmsKey, HckmsKeySource};
use sops_test_support::cloud::hckms::{self, HckmsServer};
use sops_test_support::netns;

#[test]
fn signed_requests_wrap_and_unwrap_and_a_wrong_key_is_refused() {
    let Some(ns) = netns::isolate(&HckmsServer::host_names()) else {
        return;
    };
    let state = HckmsServer::new();
    let server = ns.serve(move |r| state.handle(r));
    for (k, v) in HckmsServer::credential_env(hckms::SECRET_KEY) {
        std::env::set_var(k, v);
    }
    let source = HckmsKeySource::new();
    let mut entry = KeyEntry::new("hckms");
    entry.set_field("key_id", HckmsServer::key_id());
    source.wrap(&mut entry, &[5; 32]).expect("wrap");
    let names: Vec<&str> = entry.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["key_id", "created_at", "enc"]);
    let back = source
        .unwrap(&entry)
        .expect("an hckms entry")
        .expect("unwrap");
    assert_eq!(back.secret_bytes(), &[5; 32]);
    let auth = server.requests()[0]
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(auth.starts_with("SDK-HMAC-SHA256 Access="), "{auth}");

    std::env::set_var("HUAWEICLOUD_SDK_SK", "not-the-secret-key");
    let Some(Err(error)) = source.unwrap(&entry) else {
        panic!("a wrong secret key unwrapped the data key");
    };
    let error = error.to_string();
    assert!(error.contains(&HckmsServer::key_id()), "{error}");
    assert!(
        error.contains("APIGW.0301") && error.contains("hint"),
        "{error}"
    );
    assert!(!error.contains("not-the-secret-key"), "{error}");
}

#[test]
fn key_ids_parse_as_sops_parses_them() {
    let key = HckmsKey::parse(" tr-west-1 : 1234-abcd ").unwrap();
    assert_eq!(
        (key.region.as_str(), key.uuid.as_str()),
        ("tr-west-1", "1234-abcd")
    );
    for bad in ["no-colon", ":uuid", "region:", "a/b:uuid"] {
        assert!(HckmsKey::parse(bad).is_err(), "{bad}");
    }
}
