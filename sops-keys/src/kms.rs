//! The AWS KMS master-key backend: wraps the data key (or a Shamir share) with KMS `Encrypt` and
//! unwraps it with KMS `Decrypt`, as sops 3.11 does.
//!
//! A `kms` metadata entry holds, in this order: `arn` (the key or alias ARN), `role` (an IAM
//! role to assume first; omitted when empty), `context` (the KMS encryption context, keys
//! sorted; omitted when empty), `created_at`, `enc` (standard base64 of the `CiphertextBlob`) and
//! `aws_profile` (always written, possibly `""`).
//!
//! The region comes from the ARN (see [`region_from_arn`](crate::kms_parse::region_from_arn));
//! credentials come from the AWS SDK's default chain (environment, shared config and
//! credentials files with `aws_profile` as the profile, SSO, `credential_process`, container and
//! instance metadata) unless [`KmsOptions::credentials`] is set. Endpoints follow
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_KMS` and `AWS_ENDPOINT_URL_STS` unless
//! [`KmsOptions::endpoint_url`] is set. With a `role`, STS `AssumeRole` is called with the
//! session name from [`sts_session_name`](crate::kms_parse::sts_session_name) and KMS is called
//! with the temporary credentials.
//!
//! The [`KeySource`] trait is synchronous: a [`KmsKeySource`] owns one current-thread tokio
//! runtime, built on first use, and one KMS client per (region, profile, role). Every call is
//! bounded by [`KmsOptions::timeout`].
//!
//! # Example
//!
//! What the CLI does for `--kms ARN+ROLE --encryption-context app:billing` (this needs AWS, or
//! a local `moto_server` named by `AWS_ENDPOINT_URL`):
//!
//! ```no_run
//! use sops_core::KeySource;
//! use sops_keys::kms::KmsKeySource;
//! use sops_keys::kms_parse::{parse_arn_list, parse_encryption_context};
//!
//! # fn main() -> Result<(), sops_core::KeyError> {
//! let context = parse_encryption_context("app:billing")?; // invalid: exit code 6
//! let list = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\
//!             +arn:aws:iam::111122223333:role/sops";
//! let mut entries = parse_arn_list(list, &context, "");
//! let source = KmsKeySource::new();
//! source.wrap(&mut entries[0], &[7; 32])?; // adds created_at and enc
//! let data_key = source.unwrap(&entries[0]).expect("a kms entry")?;
//! assert_eq!(data_key.secret_bytes(), &[7; 32]);
//! # Ok(()) }
//! ```

use crate::kms_client::KmsClients;
use crate::kms_parse::{format_encryption_context, split_arn_role};
use sops_core::internal::CivilTime;
use sops_core::tree::{Mapping, Node, Scalar};
use sops_core::{KeyEntry, KeyError, KeySource, SecretBytes};
use std::collections::BTreeMap;
use std::time::Duration;
use zeroize::Zeroizing;

/// The metadata list this backend handles.
pub const KEY_TYPE: &str = "kms";

/// How long one wrap or unwrap may take (client setup, role assumption and the KMS call).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One KMS master key: what an entry says about where and how to call KMS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KmsKey {
    /// The key or alias ARN, e.g. `arn:aws:kms:eu-west-1:111122223333:key/…`.
    pub arn: String,
    /// The IAM role ARN to assume before calling KMS; empty for none.
    pub role: String,
    /// The KMS encryption context; empty for none.
    pub context: BTreeMap<String, String>,
    /// The AWS shared-config profile to use; empty for the default.
    pub aws_profile: String,
}

impl KmsKey {
    /// A key with every part given.
    pub fn new(
        arn: impl Into<String>,
        role: impl Into<String>,
        context: BTreeMap<String, String>,
        aws_profile: impl Into<String>,
    ) -> Self {
        KmsKey {
            arn: arn.into(),
            role: role.into(),
            context,
            aws_profile: aws_profile.into(),
        }
    }

    /// A key from one element of a `--kms` list: spaces removed, `…+arn:aws:iam::…` split into
    /// ARN and role (see [`split_arn_role`]).
    pub fn from_arn_string(
        item: &str,
        context: BTreeMap<String, String>,
        aws_profile: impl Into<String>,
    ) -> Self {
        let (arn, role) = split_arn_role(item);
        KmsKey::new(arn, role, context, aws_profile)
    }

    /// Reads a `kms` metadata entry. `role` and `aws_profile` may be absent or null; `context`
    /// may be absent, null or a mapping whose values are strings (null values are skipped, as
    /// sops does; integer and boolean values are taken as their text).
    pub fn from_entry(entry: &KeyEntry) -> Result<Self, KeyError> {
        let arn = optional_string(entry, "arn")?
            .ok_or_else(|| KeyError::new("the kms key entry has no arn"))?;
        let role = optional_string(entry, "role")?.unwrap_or_default();
        let aws_profile = optional_string(entry, "aws_profile")?.unwrap_or_default();
        let context = match field_node(entry, "context") {
            None | Some(Node::Scalar(Scalar::Null)) => BTreeMap::new(),
            Some(Node::Mapping(map)) => context_from_mapping(map, &arn)?,
            Some(other) => {
                return Err(KeyError::new(format!(
                    "the context of kms key {arn} is a {}, not a mapping",
                    other.kind_name()
                )))
            }
        };
        Ok(KmsKey::new(arn, role, context, aws_profile))
    }

    /// A metadata entry template for this key, ready for [`KeySource::wrap`]: `arn`, `role`
    /// (if not empty), `context` (if not empty) and `aws_profile`.
    pub fn to_entry(&self) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        self.push_identity(&mut entry);
        entry.set_field("aws_profile", self.aws_profile.clone());
        entry
    }

    /// The complete entry in sops 3.11's field order.
    fn to_wrapped_entry(&self, created_at: String, enc: String) -> KeyEntry {
        let mut entry = KeyEntry::new(KEY_TYPE);
        self.push_identity(&mut entry);
        entry.set_field("created_at", created_at);
        entry.set_field("enc", enc);
        entry.set_field("aws_profile", self.aws_profile.clone());
        entry
    }

    fn push_identity(&self, entry: &mut KeyEntry) {
        entry.set_field("arn", self.arn.clone());
        if !self.role.is_empty() {
            entry.set_field("role", self.role.clone());
        }
        if !self.context.is_empty() {
            let mut map = Mapping::default();
            for (k, v) in &self.context {
                map.push(k.clone(), Node::string(v.clone()));
            }
            entry
                .fields
                .push(("context".to_owned(), Node::Mapping(map)));
        }
    }

    /// The key as sops prints it: `arn[+role][|context[|profile]]`.
    pub fn describe(&self) -> String {
        let mut out = self.arn.clone();
        if !self.role.is_empty() {
            out.push('+');
            out.push_str(&self.role);
        }
        let context = format_encryption_context(&self.context);
        if !self.aws_profile.is_empty() {
            out.push_str(&format!("|{context}|{}", self.aws_profile));
        } else if !context.is_empty() {
            out.push_str(&format!("|{context}"));
        }
        out
    }
}

fn field_node<'a>(entry: &'a KeyEntry, name: &str) -> Option<&'a Node> {
    entry.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn optional_string(entry: &KeyEntry, name: &str) -> Result<Option<String>, KeyError> {
    match field_node(entry, name) {
        None | Some(Node::Scalar(Scalar::Null)) => Ok(None),
        Some(node) => match node.as_str() {
            Some(s) => Ok(Some(s.to_owned())),
            None => Err(KeyError::new(format!(
                "the `{name}` field of a kms key entry is a {}, not a string",
                node.kind_name()
            ))),
        },
    }
}

fn context_from_mapping(map: &Mapping, arn: &str) -> Result<BTreeMap<String, String>, KeyError> {
    let mut out = BTreeMap::new();
    for (key, value) in map.pairs() {
        let text = match value {
            Node::Scalar(Scalar::Null) => continue,
            Node::Scalar(Scalar::Int(i)) => i.to_string(),
            Node::Scalar(Scalar::Bool(b)) => b.to_string(),
            other => match other.as_str() {
                Some(s) => s.to_owned(),
                None => {
                    return Err(KeyError::new(format!(
                        "the context of kms key {arn} has a {} value for `{key}`; values must \
                         be strings",
                        other.kind_name()
                    )))
                }
            },
        };
        out.insert(key.to_owned(), text);
    }
    Ok(out)
}

/// Static AWS credentials given to the backend directly instead of the default chain.
/// The secret parts are zeroized on drop; there is deliberately no `Debug`.
#[derive(Clone)]
pub struct KmsCredentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Zeroizing<String>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
}

impl KmsCredentials {
    /// Long-term credentials: an access key id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        KmsCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: None,
        }
    }
}

/// Settings for [`KmsKeySource`]. The default uses the SDK's environment and a 30 s timeout.
#[derive(Clone)]
pub struct KmsOptions {
    /// One endpoint for KMS and STS (e.g. a local `moto_server`), taking precedence over
    /// `AWS_ENDPOINT_URL*`. `None`: the SDK decides.
    pub endpoint_url: Option<String>,
    /// Credentials to use instead of the default chain (and instead of `aws_profile`'s).
    pub credentials: Option<KmsCredentials>,
    /// The limit for each wrap or unwrap, setup and role assumption included.
    pub timeout: Duration,
}

impl Default for KmsOptions {
    fn default() -> Self {
        KmsOptions {
            endpoint_url: None,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The AWS KMS [`KeySource`]. Holds clients and possibly credentials, so it has no `Debug`.
pub struct KmsKeySource {
    clients: KmsClients,
}

impl Default for KmsKeySource {
    fn default() -> Self {
        Self::new()
    }
}

impl KmsKeySource {
    /// A source configured like sops: from the process environment and AWS config files.
    pub fn new() -> Self {
        Self::with_options(KmsOptions::default())
    }

    /// A source with explicit settings (endpoint, credentials, timeout).
    pub fn with_options(options: KmsOptions) -> Self {
        KmsKeySource {
            clients: KmsClients::new(options),
        }
    }

    /// Encrypts `secret` with `key` and returns the `enc` text (standard base64 of the
    /// ciphertext blob). Errors name the ARN.
    pub fn encrypt(&self, key: &KmsKey, secret: &[u8]) -> Result<String, KeyError> {
        let blob = self.clients.encrypt(key, secret)?;
        Ok(aws_smithy_types::base64::encode(blob))
    }

    /// Decrypts the `enc` text of `key`'s entry. Errors name the ARN and, when KMS refuses the
    /// ciphertext, say that the encryption context may not match.
    pub fn decrypt(&self, key: &KmsKey, enc: &str) -> Result<SecretBytes, KeyError> {
        // Go's StdEncoding skips CR and LF; nothing else is tolerated.
        let text: String = enc.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        let blob = aws_smithy_types::base64::decode(text).map_err(|e| {
            KeyError::new(format!(
                "error base64-decoding the encrypted data key of AWS KMS key {}: {e}",
                key.arn
            ))
        })?;
        self.clients.decrypt(key, blob)
    }
}

impl KeySource for KmsKeySource {
    fn key_type(&self) -> &str {
        KEY_TYPE
    }

    /// KMS is a network call: several KMS keys of a group are asked at once.
    fn is_remote(&self) -> bool {
        true
    }

    /// Encrypts with KMS and rewrites the entry in sops' field order. A valid `created_at`
    /// already in the entry is kept (as sops keeps it on `rotate`); otherwise it is now.
    fn wrap(&self, entry: &mut KeyEntry, secret: &[u8]) -> Result<(), KeyError> {
        let key = KmsKey::from_entry(entry)?;
        let enc = self.encrypt(&key, secret)?;
        let created_at = entry
            .field("created_at")
            .filter(|t| sops_core::internal::parse_rfc3339(t).is_some())
            .map(str::to_owned)
            .unwrap_or_else(|| CivilTime::now_utc().rfc3339());
        *entry = key.to_wrapped_entry(created_at, enc);
        Ok(())
    }

    fn unwrap(&self, entry: &KeyEntry) -> Option<Result<SecretBytes, KeyError>> {
        if entry.key_type != KEY_TYPE {
            return None;
        }
        let result = KmsKey::from_entry(entry).and_then(|key| match entry.field("enc") {
            Some(enc) if !enc.is_empty() => self.decrypt(&key, enc),
            _ => Err(KeyError::new(format!(
                "the kms key entry for {} has no enc field",
                key.arn
            ))),
        });
        Some(result)
    }
}
