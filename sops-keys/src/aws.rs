//! The AWS SDK glue shared by every AWS caller in sops-rs: the KMS backend (`kms`, with the
//! feature of that name) and the CLI's `ref+awssecrets://` and `ref+awsssm://` references.
//!
//! Enabled by the `aws` feature (the `kms` feature turns it on). It holds the pieces that must
//! be the same for all of them:
//!
//! * **HTTP**: hyper with rustls on the `ring` provider ([`http_client`], [`new_http_client`]),
//!   so no second TLS stack is linked.
//! * **Configuration**: [`sdk_config`] for the common case (the SDK's default chain, a region
//!   and a profile if given) and [`load_sdk_config`] with [`ConfigSettings`] for everything the
//!   KMS backend needs (an endpoint for all services, a profile whose credentials take
//!   precedence over the environment's, fixed credentials). Without overrides the SDK reads
//!   `AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL` and the per-service
//!   `AWS_ENDPOINT_URL_<SERVICE>`, the shared config and credentials files, SSO,
//!   `credential_process`, and container and instance metadata.
//! * **Blocking calls**: [`BlockingRuntime`], a current-thread tokio runtime built on first use
//!   that runs one call at a time with a time limit, from plain or async code.
//! * **Error text**: [`describe_sdk_error`] (`Code: message` when the service answered, else
//!   [`error_chain`]), so every AWS failure reads the same way.
//!
//! # Example
//!
//! The configuration for another AWS service, loaded from synchronous code. A client is then
//! made from it as usual (`aws_sdk_secretsmanager::Client::new(&config)`), its calls run with
//! the same [`BlockingRuntime`], and their errors are read with [`describe_sdk_error`].
//!
//! ```
//! use sops_keys::aws::{sdk_config, BlockingRuntime};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), sops_keys::aws::RuntimeError> {
//! let runtime = BlockingRuntime::new();
//! let config = runtime.block_on(Duration::from_secs(30), || sdk_config(Some("eu-west-1"), None))?;
//! assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
//! # Ok(()) }
//! ```

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

/// A new HTTP client for AWS SDK clients: hyper with rustls on `ring`.
///
/// Connections are pooled per HTTP client and are tied to the tokio runtime that opened them,
/// so code that owns its own runtime should own its own HTTP client too.
pub fn new_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The process-wide HTTP client (see [`new_http_client`]), built on first use. [`sdk_config`]
/// uses it.
pub fn http_client() -> SharedHttpClient {
    static HTTP: OnceLock<SharedHttpClient> = OnceLock::new();
    HTTP.get_or_init(new_http_client).clone()
}

/// What to override in the SDK's default configuration chain. The default overrides nothing.
/// Holds credentials, so it has no `Debug`.
#[derive(Clone, Default)]
pub struct ConfigSettings {
    /// The region; `None`: the chain's (`AWS_REGION`, the profile's `region`, …).
    pub region: Option<String>,
    /// The shared-config profile; `None`: `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// Whether the profile's credentials take precedence over credentials in the environment,
    /// as in the Go SDK v2 that sops uses for KMS. Without it the SDK's default order holds
    /// (environment first). Only matters when [`profile`](Self::profile) is set.
    pub prefer_profile_credentials: bool,
    /// One endpoint for every service (e.g. a local `moto_server`), taking precedence over
    /// `AWS_ENDPOINT_URL*`; `None`: the SDK decides.
    pub endpoint_url: Option<String>,
    /// Fixed credentials to use instead of the chain's (and the profile's).
    pub credentials: Option<Credentials>,
}

/// Loads an SDK configuration from the default chain with `settings`' overrides, sending
/// requests (including credential and role requests) through `http`.
pub async fn load_sdk_config(settings: &ConfigSettings, http: SharedHttpClient) -> SdkConfig {
    let region = settings.region.clone().map(Region::new);
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http.clone());
    if let Some(region) = &region {
        loader = loader.region(region.clone());
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
        if settings.prefer_profile_credentials {
            use aws_config::profile::ProfileFileCredentialsProvider;
            use aws_config::provider_config::ProviderConfig;
            let provider_config = ProviderConfig::without_region()
                .with_region(region)
                .with_http_client(http);
            let from_profile = ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build();
            loader = loader.credentials_provider(from_profile);
        }
    }
    if let Some(credentials) = &settings.credentials {
        loader = loader.credentials_provider(credentials.clone());
    }
    loader.load().await
}

/// The SDK configuration for `region` and `profile` (each overriding the default chain when
/// given) on the process-wide [`http_client`]. What the `ref+awssecrets://` and
/// `ref+awsssm://` resolvers use.
pub async fn sdk_config(region: Option<&str>, profile: Option<&str>) -> SdkConfig {
    let settings = ConfigSettings {
        region: region.map(str::to_owned),
        profile: profile.map(str::to_owned),
        ..ConfigSettings::default()
    };
    load_sdk_config(&settings, http_client()).await
}

/// `Code: message` (or just `Code`) when the service answered with an error code; `None` for
/// every other failure (no connection, a timeout, no credentials, …).
pub fn service_error<E, R>(error: &SdkError<E, R>) -> Option<String>
where
    E: ProvideErrorMetadata,
{
    let SdkError::ServiceError(service) = error else {
        return None;
    };
    let code = service.err().code()?;
    Some(match service.err().message() {
        Some(text) if !text.is_empty() => format!("{code}: {text}"),
        _ => code.to_owned(),
    })
}

/// A failed SDK call in one line: [`service_error`]'s `Code: message`, else the
/// [`error_chain`] of causes.
pub fn describe_sdk_error<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    service_error(error).unwrap_or_else(|| error_chain(error))
}

/// Every message in `error`'s chain of sources, joined with `: `, leaving out a message the
/// one before it already contains (the SDK's errors often repeat their cause).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// Why [`BlockingRuntime::block_on`] gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    /// The tokio runtime could not be built (the operating system's reason).
    Start(String),
    /// The call did not finish within the limit.
    TimedOut(Duration),
    /// The helper thread running the call panicked.
    Panicked,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Start(why) => write!(f, "cannot start the AWS client runtime: {why}"),
            RuntimeError::TimedOut(limit) => {
                write!(f, "no answer from AWS within {} s", limit.as_secs_f32())
            }
            RuntimeError::Panicked => f.write_str("the AWS call failed unexpectedly"),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// A current-thread tokio runtime, built on first use, for calling the async SDK from
/// synchronous code.
///
/// When [`block_on`](Self::block_on) is called from inside another tokio runtime, the call runs
/// on a scoped helper thread, since blocking inside a runtime would panic. Dropping it never
/// blocks, inside a runtime or not.
#[derive(Default)]
pub struct BlockingRuntime {
    runtime: OnceLock<Result<tokio::runtime::Runtime, String>>,
}

impl BlockingRuntime {
    /// A runtime that is built on the first call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs the future that `make` builds to completion, waiting at most `limit`.
    pub fn block_on<T, F, Fut>(&self, limit: Duration, make: F) -> Result<T, RuntimeError>
    where
        T: Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = T>,
    {
        let runtime = self
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|why| RuntimeError::Start(why.clone()))?;
        let drive =
            move || runtime.block_on(async move { tokio::time::timeout(limit, make()).await.ok() });
        let output = if tokio::runtime::Handle::try_current().is_err() {
            drive()
        } else {
            std::thread::scope(|scope| scope.spawn(drive).join())
                .map_err(|_| RuntimeError::Panicked)?
        };
        output.ok_or(RuntimeError::TimedOut(limit))
    }
}

/// Dropping a runtime inside another runtime's context would panic; this never blocks.
impl Drop for BlockingRuntime {
    fn drop(&mut self) {
        if let Some(Ok(runtime)) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn error_chain_joins_causes_and_skips_repeats() {
        let error = Layer(
            "dispatch failure",
            Some(Box::new(Layer(
                "io error: connection refused",
                Some(Box::new(Layer("connection refused", None))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "dispatch failure: io error: connection refused"
        );
    }

    #[test]
    fn block_on_times_out_and_works_inside_a_runtime() {
        let runtime = BlockingRuntime::new();
        assert_eq!(
            runtime.block_on(Duration::from_secs(5), || async { 7 }),
            Ok(7)
        );
        let slow = runtime.block_on(Duration::from_millis(10), || {
            tokio::time::sleep(Duration::from_secs(5))
        });
        assert_eq!(slow, Err(RuntimeError::TimedOut(Duration::from_millis(10))));
        let outer = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let inner =
            outer.block_on(async { runtime.block_on(Duration::from_secs(5), || async { 8 }) });
        assert_eq!(inner, Ok(8));
    }

    #[test]
    fn runtime_errors_read_like_the_reference_resolvers_messages() {
        let timed_out = RuntimeError::TimedOut(Duration::from_secs(30));
        assert_eq!(timed_out.to_string(), "no answer from AWS within 30 s");
        let start = RuntimeError::Start("no threads".to_owned());
        assert_eq!(
            start.to_string(),
            "cannot start the AWS client runtime: no threads"
        );
    }
}
