//! The sops key service both ways and the caching agent: `sops-rs keyservice` serving the
//! reference client, `sops-rs --keyservice` using the reference `sops keyservice`, the age, PGP
//! and KMS (moto) backends through a service, a service that is down or refuses, and
//! `--cache-ttl` making N processes ask KMS once.
//!
//! In every test the master keys are held by the service process only; the clients run with no
//! identity, no GnuPG keyring and (unless a test says otherwise) no AWS credentials.

mod agent;
mod backends;
mod failures;
mod interop;
mod support;
