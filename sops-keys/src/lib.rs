//! Master-key backends for sops-core.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
