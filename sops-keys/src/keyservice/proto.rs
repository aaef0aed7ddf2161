//! The messages of sops's key service protocol (`keyservice.proto` beside this file, from
//! getsops/sops, MPL-2.0), written by hand with `prost`'s derives so that no `protoc` and no
//! build script are needed. Field numbers and types follow the `.proto` exactly; the service has
//! no package, so its methods are [`ENCRYPT_PATH`] and [`DECRYPT_PATH`].
//!
//! Messages that carry a data key ([`EncryptRequest`], [`DecryptResponse`]) zeroize it when
//! dropped and print it as `[redacted]` in `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroize;

/// The gRPC path of `KeyService.Encrypt`.
pub const ENCRYPT_PATH: &str = "/KeyService/Encrypt";
/// The gRPC path of `KeyService.Decrypt`.
pub const DECRYPT_PATH: &str = "/KeyService/Decrypt";
/// The gRPC service name (no package in the `.proto`).
pub const SERVICE_NAME: &str = "KeyService";
/// sops-rs's own method, not in sops's protocol: asks a `sops-rs keyservice` to shut down
/// (`sops-rs keyservice --stop`). Request and answer are [`Empty`].
pub const STOP_PATH: &str = "/sops_rs.KeyServiceAgent/Stop";

/// A message without fields, for [`STOP_PATH`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

/// `message Key`: one master key, of one of the kinds sops knows.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Key {
    /// `oneof key_type`.
    #[prost(oneof = "KeyType", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub key_type: Option<KeyType>,
}

/// The `key_type` oneof of [`Key`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum KeyType {
    /// `KmsKey kms_key = 1`.
    #[prost(message, tag = "1")]
    KmsKey(KmsKey),
    /// `PgpKey pgp_key = 2`.
    #[prost(message, tag = "2")]
    PgpKey(PgpKey),
    /// `GcpKmsKey gcp_kms_key = 3`.
    #[prost(message, tag = "3")]
    GcpKmsKey(GcpKmsKey),
    /// `AzureKeyVaultKey azure_keyvault_key = 4`.
    #[prost(message, tag = "4")]
    AzureKeyvaultKey(AzureKeyVaultKey),
    /// `VaultKey vault_key = 5`.
    #[prost(message, tag = "5")]
    VaultKey(VaultKey),
    /// `AgeKey age_key = 6`.
    #[prost(message, tag = "6")]
    AgeKey(AgeKey),
    /// `HckmsKey hckms_key = 7`.
    #[prost(message, tag = "7")]
    HckmsKey(HckmsKey),
}

/// `message PgpKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PgpKey {
    /// `string fingerprint = 1`.
    #[prost(string, tag = "1")]
    pub fingerprint: String,
}

/// `message KmsKey`. The context is a sorted map, so that a key always encodes to the same
/// bytes (the caching agent keys its entries by them).
#[derive(Clone, PartialEq, prost::Message)]
pub struct KmsKey {
    /// `string arn = 1`.
    #[prost(string, tag = "1")]
    pub arn: String,
    /// `string role = 2`.
    #[prost(string, tag = "2")]
    pub role: String,
    /// `map<string, string> context = 3`.
    #[prost(btree_map = "string, string", tag = "3")]
    pub context: BTreeMap<String, String>,
    /// `string aws_profile = 4`.
    #[prost(string, tag = "4")]
    pub aws_profile: String,
}

/// `message GcpKmsKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GcpKmsKey {
    /// `string resource_id = 1`.
    #[prost(string, tag = "1")]
    pub resource_id: String,
}

/// `message VaultKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VaultKey {
    /// `string vault_address = 1`.
    #[prost(string, tag = "1")]
    pub vault_address: String,
    /// `string engine_path = 2`.
    #[prost(string, tag = "2")]
    pub engine_path: String,
    /// `string key_name = 3`.
    #[prost(string, tag = "3")]
    pub key_name: String,
}

/// `message AzureKeyVaultKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AzureKeyVaultKey {
    /// `string vault_url = 1`.
    #[prost(string, tag = "1")]
    pub vault_url: String,
    /// `string name = 2`.
    #[prost(string, tag = "2")]
    pub name: String,
    /// `string version = 3`.
    #[prost(string, tag = "3")]
    pub version: String,
}

/// `message AgeKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AgeKey {
    /// `string recipient = 1`.
    #[prost(string, tag = "1")]
    pub recipient: String,
}

/// `message HckmsKey`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HckmsKey {
    /// `string key_id = 1`.
    #[prost(string, tag = "1")]
    pub key_id: String,
}

/// `message EncryptRequest`: the plaintext is a data key (or a Shamir share of one).
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
pub struct EncryptRequest {
    /// `Key key = 1`.
    #[prost(message, optional, tag = "1")]
    pub key: Option<Key>,
    /// `bytes plaintext = 2`.
    #[prost(bytes = "vec", tag = "2")]
    pub plaintext: Vec<u8>,
}

/// `message EncryptResponse`: the wrapped key, as the metadata's `enc` field holds it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct EncryptResponse {
    /// `bytes ciphertext = 1`.
    #[prost(bytes = "vec", tag = "1")]
    pub ciphertext: Vec<u8>,
}

/// `message DecryptRequest`: the ciphertext is the metadata's `enc` field.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DecryptRequest {
    /// `Key key = 1`.
    #[prost(message, optional, tag = "1")]
    pub key: Option<Key>,
    /// `bytes ciphertext = 2`.
    #[prost(bytes = "vec", tag = "2")]
    pub ciphertext: Vec<u8>,
}

/// `message DecryptResponse`: the plaintext is a data key (or a Shamir share of one).
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
pub struct DecryptResponse {
    /// `bytes plaintext = 1`.
    #[prost(bytes = "vec", tag = "1")]
    pub plaintext: Vec<u8>,
}

impl fmt::Debug for EncryptRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptRequest")
            .field("key", &self.key)
            .field("plaintext", &"[redacted]")
            .finish()
    }
}

impl fmt::Debug for DecryptResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptResponse")
            .field("plaintext", &"[redacted]")
            .finish()
    }
}

impl Drop for EncryptRequest {
    fn drop(&mut self) {
        self.plaintext.zeroize();
    }
}

impl Drop for DecryptResponse {
    fn drop(&mut self) {
        self.plaintext.zeroize();
    }
}
