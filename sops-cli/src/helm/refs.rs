//! The Helm path's use of `sops-refs`: `ref+` references in values files resolved with the
//! process's environment (which also holds the path switches and `ARGOCD_APP_NAME`, see
//! `sops_refs::PathPolicy`) and, for `ref+sops://`, the key sources `sops-rs decrypt` uses, made
//! on first use. Failures exit 1 (see the `sops_refs` crate for the messages).

use crate::error::{codes, CliError};
use crate::keys::KeySources;
use sops_refs::{RefEnv, Resolver, SopsKeys};
use std::cell::OnceCell;
use std::path::Path;

/// The environment's key sources, made when a `ref+sops://` reference first needs them.
#[derive(Default)]
struct EnvKeys(OnceCell<KeySources>);

impl EnvKeys {
    fn sources(&self) -> &KeySources {
        self.0.get_or_init(KeySources::from_env)
    }
}

impl SopsKeys for EnvKeys {
    fn key_sources(&self) -> Vec<&dyn sops_core::KeySource> {
        self.sources().as_list()
    }

    fn explain(&self, error: sops_core::Error) -> String {
        crate::common::open_error(self.sources(), error).to_string()
    }
}

/// The process's environment, as `sops-refs` reads it (variables that are not UTF-8 are left
/// out, as `std::env::var` would not read them either).
pub(crate) fn process_env() -> RefEnv {
    RefEnv::from_vars(
        std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }),
    )
}

/// Resolves every reference in the values file `bytes` read from `path` (see
/// [`Resolver::resolve_yaml`]).
pub(crate) fn resolve_refs_in_yaml(bytes: &[u8], path: &Path) -> Result<Vec<u8>, CliError> {
    let env = process_env();
    let keys = EnvKeys::default();
    Resolver::new(&env)
        .with_keys(&keys)
        .resolve_yaml(bytes, path)
        .map_err(|e| CliError::new(codes::GENERIC, e.to_string()))
}
