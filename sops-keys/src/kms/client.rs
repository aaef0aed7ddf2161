//! The AWS side of the KMS backend: its options, cached SDK clients, role assumption, the
//! `Encrypt`/`Decrypt` calls, timeouts and error messages that name the key.
//!
//! Each `KmsKeySource` owns one [`BlockingRuntime`] and one HTTP client (both from
//! [`crate::aws`]), so the synchronous [`KeySource`](sops_core::KeySource) methods work from
//! plain code and from inside another tokio runtime. Clients are cached per (region, profile,
//! role) and share that HTTP client.

use super::key::{format_encryption_context, KmsKey};
use super::parse::{hostname, region_from_arn, sts_session_name};
use crate::aws::{
    error_chain, load_sdk_config, new_http_client, service_error, BlockingRuntime, ConfigSettings,
    RuntimeError,
};
use aws_sdk_kms::config::{Credentials, SharedHttpClient};
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use sops_core::{KeyError, SecretBytes};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};
use zeroize::Zeroizing;

/// How long one wrap or unwrap may take (client setup, role assumption and the KMS call).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

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

/// Settings for [`KmsKeySource`](super::KmsKeySource). The default uses the SDK's environment and a 30 s timeout.
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

/// Which client serves a key: region, profile, role.
type ClientKey = (String, String, String);

/// A cached client and, for assumed roles, when its temporary credentials expire.
type CachedClient = (aws_sdk_kms::Client, Option<SystemTime>);

/// Temporary credentials are replaced this long before they expire.
const EXPIRY_MARGIN: Duration = Duration::from_secs(300);

/// The runtime, the HTTP client and the KMS clients of one `KmsKeySource`.
pub(crate) struct KmsClients {
    options: KmsOptions,
    runtime: BlockingRuntime,
    http: OnceLock<SharedHttpClient>,
    clients: Mutex<HashMap<ClientKey, CachedClient>>,
}

impl KmsClients {
    pub(crate) fn new(options: KmsOptions) -> Self {
        KmsClients {
            options,
            runtime: BlockingRuntime::new(),
            http: OnceLock::new(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// KMS `Encrypt` with `KeyId` = ARN, the secret as plaintext and the key's context.
    pub(crate) fn encrypt(&self, key: &KmsKey, secret: &[u8]) -> Result<Vec<u8>, KeyError> {
        let region = region_from_arn(&key.arn)?;
        self.block_on(key, || async {
            let client = self.client(key, &region).await?;
            let output = client
                .encrypt()
                .key_id(&key.arn)
                .plaintext(Blob::new(secret))
                .set_encryption_context(context_map(key))
                .send()
                .await
                .map_err(|e| call_error("encrypt", key, &e))?;
            output.ciphertext_blob.map(Blob::into_inner).ok_or_else(|| {
                KeyError::new(format!(
                    "AWS KMS returned no ciphertext for key {}",
                    key.arn
                ))
            })
        })
    }

    /// KMS `Decrypt` with `KeyId` = ARN (as sops 3.11 sends it), the blob and the context.
    pub(crate) fn decrypt(&self, key: &KmsKey, blob: Vec<u8>) -> Result<SecretBytes, KeyError> {
        let region = region_from_arn(&key.arn)?;
        self.block_on(key, || async {
            let client = self.client(key, &region).await?;
            let mut output = client
                .decrypt()
                .key_id(&key.arn)
                .ciphertext_blob(Blob::new(blob))
                .set_encryption_context(context_map(key))
                .send()
                .await
                .map_err(|e| call_error("decrypt", key, &e))?;
            match output.plaintext.take() {
                Some(plain) => Ok(SecretBytes::new(plain.into_inner())),
                None => Err(KeyError::new(format!(
                    "AWS KMS returned no plaintext for key {}",
                    key.arn
                ))),
            }
        })
    }

    /// Runs the future made by `make` on this source's runtime, bounded by the timeout.
    fn block_on<T, F, Fut>(&self, key: &KmsKey, make: F) -> Result<T, KeyError>
    where
        T: Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<T, KeyError>>,
    {
        let limit = self.options.timeout;
        match self.runtime.block_on(limit, make) {
            Ok(result) => result,
            Err(RuntimeError::Start(why)) => Err(KeyError::new(format!(
                "cannot start the AWS KMS client runtime: {why}"
            ))),
            Err(RuntimeError::TimedOut(_)) => Err(KeyError::new(format!(
                "timed out after {} s waiting for AWS KMS (key {})",
                limit.as_secs_f32(),
                key.arn
            ))),
            Err(RuntimeError::Panicked) => Err(KeyError::new(format!(
                "the AWS KMS call for key {} failed unexpectedly",
                key.arn
            ))),
        }
    }

    /// The cached client for `key`, or a new one (assuming the role if there is one, again
    /// when the role's credentials are about to expire).
    async fn client(&self, key: &KmsKey, region: &str) -> Result<aws_sdk_kms::Client, KeyError> {
        let cache_key = (region.to_owned(), key.aws_profile.clone(), key.role.clone());
        if let Some((client, expiry)) = self.lock_clients().get(&cache_key) {
            let fresh = expiry.is_none_or(|at| SystemTime::now() + EXPIRY_MARGIN < at);
            if fresh {
                return Ok(client.clone());
            }
        }
        let config = self.load_config(region, &key.aws_profile).await;
        let cached = if key.role.is_empty() {
            (aws_sdk_kms::Client::new(&config), None)
        } else {
            let (credentials, expiry) = assume_role(&config, key).await?;
            let conf = aws_sdk_kms::config::Builder::from(&config)
                .credentials_provider(credentials)
                .build();
            (aws_sdk_kms::Client::from_conf(conf), expiry)
        };
        let client = cached.0.clone();
        self.lock_clients().insert(cache_key, cached);
        Ok(client)
    }

    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, CachedClient>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The SDK configuration for one region and profile: the default chain (or, as in sops
    /// with the Go SDK v2, the named profile's credentials before the environment's),
    /// overridden by the options' endpoint and credentials.
    async fn load_config(&self, region: &str, profile: &str) -> aws_config::SdkConfig {
        let http = self.http.get_or_init(new_http_client).clone();
        let settings = ConfigSettings {
            region: Some(region.to_owned()),
            profile: Some(profile.to_owned()).filter(|p| !p.is_empty()),
            prefer_profile_credentials: true,
            endpoint_url: self.options.endpoint_url.clone(),
            credentials: self.options.credentials.as_ref().map(|given| {
                Credentials::new(
                    given.access_key_id.clone(),
                    given.secret_access_key.as_str(),
                    given.session_token.as_ref().map(|t| t.as_str().to_owned()),
                    None,
                    "sops-rs KmsOptions",
                )
            }),
        };
        load_sdk_config(&settings, http).await
    }
}

/// STS `AssumeRole` for `key.role` with sops' session name; the temporary credentials and
/// when they expire.
async fn assume_role(
    config: &aws_config::SdkConfig,
    key: &KmsKey,
) -> Result<(Credentials, Option<SystemTime>), KeyError> {
    let fail = |why: String| {
        KeyError::new(format!(
            "failed to assume role '{}' for AWS KMS key {}: {why}",
            key.role, key.arn
        ))
    };
    let session_name = sts_session_name(&hostname()?);
    let output = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(&key.role)
        .role_session_name(session_name)
        .send()
        .await
        .map_err(|e| {
            let mut why = describe(&e);
            if why.contains("loading credentials") {
                why.push_str(&credentials_hint(key));
            }
            fail(why)
        })?;
    let given = output
        .credentials()
        .ok_or_else(|| fail("STS returned no credentials".to_owned()))?;
    let expiry = SystemTime::try_from(*given.expiration()).ok();
    let credentials = Credentials::new(
        given.access_key_id(),
        given.secret_access_key(),
        Some(given.session_token().to_owned()),
        expiry,
        "sops-rs AssumeRole",
    );
    Ok((credentials, expiry))
}

/// The key's context for the SDK; `None` when empty.
fn context_map(key: &KmsKey) -> Option<HashMap<String, String>> {
    if key.context.is_empty() {
        return None;
    }
    Some(key.context.clone().into_iter().collect())
}

/// The message for a failed `Encrypt` or `Decrypt`: the ARN, what AWS said and a hint.
fn call_error<E, R>(what: &str, key: &KmsKey, error: &SdkError<E, R>) -> KeyError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut message = format!(
        "failed to {what} sops data key with AWS KMS key {}: {}",
        key.arn,
        describe(error)
    );
    let context = match format_encryption_context(&key.context) {
        c if c.is_empty() => "none".to_owned(),
        c => c,
    };
    match error.code() {
        Some("InvalidCiphertextException" | "AccessDeniedException" | "IncorrectKeyException")
            if what == "decrypt" =>
        {
            message.push_str(&format!(
                " (the encryption context ({context}) may not match the one the data key was \
                 encrypted with, or the ciphertext belongs to another key)"
            ));
        }
        Some("NotFoundException") => message.push_str(
            " (the key does not exist in this region or is not visible to these credentials)",
        ),
        Some("UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException") => {
            message.push_str(" (check the AWS credentials or the aws_profile)")
        }
        _ => {}
    }
    if message.contains("loading credentials") {
        message.push_str(&credentials_hint(key));
    }
    KeyError::new(message)
}

/// Advice for a failure to find credentials.
fn credentials_hint(key: &KmsKey) -> String {
    if key.aws_profile.is_empty() {
        " (no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or \
         AWS_PROFILE, or configure ~/.aws/config)"
            .to_owned()
    } else {
        format!(
            " (no usable AWS credentials for aws_profile '{}': check that the profile exists in \
             ~/.aws/config or ~/.aws/credentials)",
            key.aws_profile
        )
    }
}

/// `Code: message` for service errors; otherwise the chain of causes, saying whether the
/// endpoint could not be reached or the connection timed out.
fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let Some(text) = service_error(error) {
        return text;
    }
    let chain = error_chain(error);
    let causes = chain.strip_prefix("dispatch failure: ").unwrap_or(&chain);
    let causes = causes.strip_prefix("other: ").unwrap_or(causes).to_owned();
    match error {
        SdkError::DispatchFailure(d) if d.is_io() => {
            format!("could not reach the endpoint: {causes}")
        }
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            format!("the connection timed out: {causes}")
        }
        _ => causes,
    }
}
