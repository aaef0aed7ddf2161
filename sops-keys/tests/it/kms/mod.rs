//! The AWS KMS backend, against a private `moto_server` and the reference sops.

mod env;
mod interop;
mod parse;
mod roundtrip;
mod support;
