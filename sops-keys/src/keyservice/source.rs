//! [`RemoteKeySource`]: a [`KeySource`] that hands one key type's wrap and unwrap to a key
//! service, so that the engine treats a remote service like any local backend.
//!
//! sops asks, for every master key, each of its key services in turn (the local one first when
//! it is enabled, then every `--keyservice` in the order given) and stops at the first that
//! succeeds. sops-core's engine already tries every source of an entry's type in list order, so
//! a caller builds that order by listing the local backends and then
//! [`RemoteKeySource::for_every_type`] of each service ([`sources_in_order`], which asks the
//! services before a local cloud KMS).

use super::client::KeyServiceClient;
use super::convert::{key_of_entry, wrapped_entry, LAYOUTS};
use super::proto::{DecryptRequest, EncryptRequest};
use sops_core::internal::CivilTime;
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use std::sync::Arc;

/// One key type (`age`, `kms`, …) served by one key service.
pub struct RemoteKeySource {
    key_type: &'static str,
    client: Arc<KeyServiceClient>,
}

impl RemoteKeySource {
    /// The service `client` for entries of `key_type`.
    pub fn new(key_type: &'static str, client: Arc<KeyServiceClient>) -> Self {
        RemoteKeySource { key_type, client }
    }

    /// One source per key type the protocol knows (age, PGP, KMS, GCP KMS, Azure Key Vault,
    /// Vault transit, HuaweiCloud KMS), all asking `client`: a remote service may hold keys of
    /// kinds this build has no local backend for.
    pub fn for_every_type(client: &Arc<KeyServiceClient>) -> Vec<RemoteKeySource> {
        LAYOUTS
            .iter()
            .map(|(key_type, _)| RemoteKeySource::new(key_type, Arc::clone(client)))
            .collect()
    }

    /// The URI of the service.
    pub fn uri(&self) -> &str {
        self.client.uri()
    }

    fn failure(&self, entry: &KeyEntry, what: &str, error: KeyError) -> KeyError {
        KeyError::new(format!(
            "failed to {what} with master key {:?} through key service {}: {error}",
            entry.identity().unwrap_or(&entry.key_type),
            self.client.uri()
        ))
    }
}

/// The key sources in the order they are asked.
///
/// sops's order is the local backends (when the local key service is enabled), then every
/// service in the order given. sops-rs keeps it for local-only backends (age, PGP: asking them
/// costs nothing), but asks the services before a local backend that is itself remote (a cloud
/// KMS): both reach the same cloud key and give the same data key, and a caching agent named in
/// `SOPS_KEYSERVICE` can then answer without a KMS call. The local cloud backend stays the
/// fallback when every service fails.
pub fn sources_in_order<'a>(
    local: Vec<&'a dyn KeySource>,
    local_enabled: bool,
    services: impl IntoIterator<Item = &'a dyn KeySource>,
) -> Vec<&'a dyn KeySource> {
    let local = if local_enabled { local } else { Vec::new() };
    let (cloud, offline): (Vec<_>, Vec<_>) = local.into_iter().partition(|s| s.is_remote());
    let mut list = offline;
    list.extend(services);
    list.extend(cloud);
    list
}

impl KeySource for RemoteKeySource {
    fn key_type(&self) -> &str {
        self.key_type
    }

    /// A key service is asked over the network, so several remote entries are asked at once.
    fn is_remote(&self) -> bool {
        true
    }

    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = key_of_entry(entry)
            .ok_or_else(|| KeyError::new(format!("no key service can use {}", entry.describe())))?;
        let request = EncryptRequest {
            key: Some(key.clone()),
            plaintext: secret.to_vec(),
        };
        let response = self
            .client
            .encrypt(request)
            .map_err(|e| self.failure(entry, "encrypt new data key", e))?;
        let enc = String::from_utf8(response.ciphertext).map_err(|_| {
            KeyError::new(format!(
                "key service {} answered a ciphertext that is not text",
                self.client.uri()
            ))
        })?;
        *entry = wrapped_entry(&key, entry, &enc, &CivilTime::now_utc().rfc3339());
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != self.key_type {
            return None;
        }
        let key = key_of_entry(entry)?;
        let request = DecryptRequest {
            key: Some(key),
            ciphertext: entry.field("enc").unwrap_or_default().as_bytes().to_vec(),
        };
        Some(
            self.client
                .decrypt(request)
                .map(|mut response| SecretBytes::new(std::mem::take(&mut response.plaintext)))
                .map_err(|e| self.failure(entry, "decrypt the data key", e)),
        )
    }
}
