//! The key services this process asks (`--keyservice URI`, repeatable, or `SOPS_KEYSERVICE`,
//! comma-separated) and whether the local one is used (`--enable-local-keyservice`, default
//! true, or `SOPS_ENABLE_LOCAL_KEYSERVICE`), as sops reads them.
//!
//! `main` records the flags of the subcommand once ([`configure`]); subcommands without the
//! flags (`diff-textconv`, `helm`, `check`, the Helm downloader plugin) read the two variables,
//! so that a caching agent named in `SOPS_KEYSERVICE` serves every process that inherits it.
//! [`crate::keys::KeySources`] then lists the services beside the local backends.

use crate::cli::KeyServiceArgs;
use sops_keys::keyservice::{KeyServiceClient, RemoteKeySource};
use std::sync::{Arc, OnceLock};

/// What the command line or the environment said.
#[derive(Clone, Debug)]
pub(crate) struct Services {
    /// The key service URIs, in order.
    pub(crate) uris: Vec<String>,
    /// Whether the local backends are used.
    pub(crate) local: bool,
}

static CONFIGURED: OnceLock<Services> = OnceLock::new();

/// Records the key-service flags of this process's subcommand.
pub(crate) fn configure(args: &KeyServiceArgs) {
    let _ = CONFIGURED.set(Services {
        uris: clean(args.keyservice.iter().map(String::as_str)),
        local: args.enable_local_keyservice,
    });
}

/// The key services in effect: the subcommand's flags, else the environment.
pub(crate) fn current() -> Services {
    CONFIGURED.get().cloned().unwrap_or_else(from_env)
}

/// `SOPS_KEYSERVICE` and `SOPS_ENABLE_LOCAL_KEYSERVICE`, for subcommands without the flags.
fn from_env() -> Services {
    let list = std::env::var("SOPS_KEYSERVICE").unwrap_or_default();
    let local = std::env::var("SOPS_ENABLE_LOCAL_KEYSERVICE")
        .ok()
        .and_then(|v| parse_bool(&v))
        .unwrap_or(true);
    Services {
        uris: clean(list.split(',')),
        local,
    }
}

/// Go's `strconv.ParseBool`, which urfave/cli uses for boolean variables.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn clean<'a>(uris: impl Iterator<Item = &'a str>) -> Vec<String> {
    uris.map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Services {
    /// A source per key type for every service; a URI that is not one is skipped with sops's
    /// warning.
    pub(crate) fn sources(&self) -> Vec<RemoteKeySource> {
        let mut out = Vec::new();
        for uri in &self.uris {
            match KeyServiceClient::new(uri) {
                Some(client) => {
                    crate::log::log(
                        "CMD",
                        "info",
                        "Connecting to key service",
                        &[("address", uri)],
                    );
                    out.extend(RemoteKeySource::for_every_type(&Arc::new(client)));
                }
                None => eprintln!(
                    "[CMD] warning: Error parsing URI for keyservice, skipping (uri={uri})"
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bool;

    #[test]
    fn booleans_are_read_as_go_reads_them() {
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("yes"), None);
    }
}
