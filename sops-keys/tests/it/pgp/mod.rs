//! The PGP backend, natively and through GnuPG, and interop with the reference sops.

mod interop;
mod passphrase;
mod support;
mod unwrap;
mod wrap;
