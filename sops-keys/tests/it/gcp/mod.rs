//! `sops_keys::gcp` against the GCP KMS stand-in, in process, inside a private namespace:
//! service-account JSON in `GOOGLE_CREDENTIALS`, a sovereign universe domain, the errors.

use sops_core::{KeyEntry, KeySource};
use sops_keys::gcp::{check_resource_id, GcpKmsKeySource};
use sops_test_support::cloud::gcp::{self, GcpServer};
use sops_test_support::netns;

const UNIVERSE: &str = "sovereign.example";

#[test]
fn a_service_account_in_another_universe_wraps_and_unwraps() {
    let kms_host = format!("cloudkms.{UNIVERSE}");
    let Some(ns) = netns::isolate(&[kms_host.as_str(), gcp::TOKEN_HOST]) else {
        return;
    };
    let state = GcpServer::new();
    let server = ns.serve(move |r| state.handle(r));
    std::env::set_var("GOOGLE_CREDENTIALS", GcpServer::service_account_json());
    std::env::set_var("SOPS_GCP_KMS_UNIVERSE_DOMAIN", UNIVERSE);
    let source = GcpKmsKeySource::new();
    let mut entry = KeyEntry::new("gcp_kms");
    entry.set_field("resource_id", gcp::RESOURCE_ID);
    source.wrap(&mut entry, &[3; 32]).expect("wrap");
    let names: Vec<&str> = entry.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["resource_id", "created_at", "enc"]);
    let back = source
        .unwrap(&entry)
        .expect("a gcp_kms entry")
        .expect("unwrap");
    assert_eq!(back.secret_bytes(), &[3; 32]);
    let requests = server.requests();
    assert!(requests
        .iter()
        .all(|r| r.header("host") == Some(kms_host.as_str())));
    // A self-signed service-account JWT, not a static token.
    let auth = requests[0].header("authorization").unwrap();
    assert_eq!(auth.strip_prefix("Bearer ").unwrap().split('.').count(), 3);

    // A resource the credentials may not use: the error names it and hints at the role.
    let mut other = KeyEntry::new("gcp_kms");
    let id = "projects/p/locations/global/keyRings/r/cryptoKeys/other";
    other.set_field("resource_id", id);
    let error = source.wrap(&mut other, &[3; 32]).unwrap_err().to_string();
    assert!(error.contains(id) && error.contains("hint"), "{error}");
    assert!(!error.contains("PRIVATE KEY"), "{error}");
}

#[test]
fn resource_ids_are_checked_as_sops_checks_them() {
    assert!(check_resource_id(gcp::RESOURCE_ID).is_ok());
    for bad in [
        "projects/p/locations/l/keyRings/r",
        "projects//locations/l/keyRings/r/cryptoKeys/k",
        "projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
    ] {
        assert!(check_resource_id(bad).is_err(), "{bad}");
    }
}
