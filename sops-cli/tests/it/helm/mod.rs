//! `sops-rs helm`: helm-secrets' commands, the wrapper, and the real Helm 3 and 4.

mod backend_args;
mod commands;
mod refs_confine;
mod render;
mod sops_compat;
pub(crate) mod support;
mod wrapper;
