//! `ref+awssecrets://` (Secrets Manager `GetSecretValue`) and `ref+awsssm://` (SSM
//! `GetParameter` with decryption, `GetParametersByPath` for a fragment), on the KMS backend's
//! SDK stack (`sops_keys::aws_http_client`: hyper with rustls on ring) and the SDK's default
//! chain, with what the chain would read from the process environment taken from the
//! caller's [`RefEnv`] instead: `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_PROFILE`,
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE`, and the endpoints below. (Credential sources further down the
//! chain, such as SSO, web identity or instance metadata, still read the process's.)
//!
//! Parameters, as vals reads them (each falls back to `VALS_<NAME>` in the [`RefEnv`]):
//! `region` (else the region of an ARN, else the SDK's chain: `AWS_REGION`, the profile…) and
//! `profile` for both; `version_stage` and `version_id` for secrets; `version`, `mode`
//! (`singleparam` reads one parameter's value as a YAML document for a fragment, instead of
//! the tree under a path) and `recursive` for SSM. `role_arn` is refused: sops-rs does not
//! assume roles for references yet. The endpoint comes from `AWS_ENDPOINT_URL`, or per service
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER` and `AWS_ENDPOINT_URL_SSM`.
//!
//! Every call runs on a current-thread tokio runtime made on first use (on a helper thread when
//! the caller is itself inside a runtime) and is bounded by [`TIMEOUT`].

use crate::env::RefEnv;
use crate::parse::Ref;
use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use sops_core::tree::{Mapping, Node};
use sops_core::SecretText;
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// How long one AWS call may take.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// The runtime and the clients (per region and profile) of one evaluation.
#[derive(Default)]
pub(crate) struct Aws {
    runtime: Option<tokio::runtime::Runtime>,
    clients: HashMap<(Option<String>, Option<String>), Clients>,
}

/// The two clients made from one SDK configuration.
#[derive(Clone)]
struct Clients {
    secrets: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
}

impl Drop for Aws {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Aws {
    /// The secret's string (or its binary value, if UTF-8).
    pub(crate) fn secret_string(&mut self, r: &Ref, env: &RefEnv) -> Result<SecretText, String> {
        refuse_role(r, env)?;
        let region = r.param("region", env).or_else(|| region_of_arn(&r.path));
        let client = self.clients(env, region, r.param("profile", env))?.secrets;
        let request = client
            .get_secret_value()
            .secret_id(&r.path)
            .set_version_stage(r.param("version_stage", env))
            .set_version_id(r.param("version_id", env));
        let mut output = self
            .run(request.send())?
            .map_err(|e| format!("get secret value: {}", describe(&e)))?;
        if let Some(text) = output.secret_string.take() {
            return Ok(SecretText::new(text));
        }
        match output.secret_binary.take().map(|b| b.into_inner()) {
            Some(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                std::str::from_utf8(&bytes)
                    .map(SecretText::new)
                    .map_err(|_| "the secret's binary value is not UTF-8 text".to_owned())
            }
            None => Err("the secret has neither SecretString nor SecretBinary".to_owned()),
        }
    }

    /// The parameter's value (`/` put in front of a relative name, as vals does), version
    /// `?version=N` if given.
    pub(crate) fn parameter(&mut self, r: &Ref, env: &RefEnv) -> Result<SecretText, String> {
        refuse_role(r, env)?;
        let mut name = parameter_name(&r.path);
        if let Some(version) = r.param("version", env) {
            version
                .parse::<u64>()
                .map_err(|_| format!("version {version:?} is not a number"))?;
            name = format!("{name}:{version}");
        }
        let client = self
            .clients(env, r.param("region", env), r.param("profile", env))?
            .ssm;
        let request = client.get_parameter().name(name).with_decryption(true);
        let output = self
            .run(request.send())?
            .map_err(|e| format!("get parameter: {}", describe(&e)))?;
        output
            .parameter
            .and_then(|p| p.value)
            .map(SecretText::new)
            .ok_or_else(|| "SSM returned no value".to_owned())
    }

    /// The document a fragment selects from: with `mode=singleparam` the parameter's value as
    /// YAML, else every parameter under the path as a tree (`/p/a/b` is `a: {b: …}` for path
    /// `/p`), `recursive=true` for more than one level.
    pub(crate) fn parameter_document(&mut self, r: &Ref, env: &RefEnv) -> Result<Node, String> {
        if r.param("mode", env).as_deref() == Some("singleparam") {
            let text = self.parameter(r, env)?;
            return crate::local::parse_document(text.as_bytes(), sops_core::store::Format::Yaml);
        }
        refuse_role(r, env)?;
        let path = parameter_name(&r.path);
        let recursive = r.param("recursive", env).as_deref() == Some("true");
        let client = self
            .clients(env, r.param("region", env), r.param("profile", env))?
            .ssm;
        let mut root = Mapping::default();
        let mut found = false;
        let mut token = None;
        loop {
            let request = client
                .get_parameters_by_path()
                .path(&path)
                .recursive(recursive)
                .with_decryption(true)
                .set_next_token(token.take());
            let output = self
                .run(request.send())?
                .map_err(|e| format!("get parameters by path: {}", describe(&e)))?;
            for parameter in output.parameters.unwrap_or_default() {
                let (Some(name), Some(value)) = (parameter.name, parameter.value) else {
                    continue;
                };
                let relative = name
                    .strip_prefix(path.trim_end_matches('/'))
                    .unwrap_or(&name);
                let parts: Vec<&str> = relative.trim_start_matches('/').split('/').collect();
                insert(&mut root, &parts, SecretText::new(value));
                found = true;
            }
            token = output.next_token;
            if token.is_none() {
                break;
            }
        }
        if !found {
            return Err(format!("no parameters found under {path}"));
        }
        Ok(Node::Mapping(root))
    }

    /// The clients for `region` and `profile`, their configuration loaded once.
    fn clients(
        &mut self,
        env: &RefEnv,
        region: Option<String>,
        profile: Option<String>,
    ) -> Result<Clients, String> {
        let key = (region, profile);
        if let Some(clients) = self.clients.get(&key) {
            return Ok(clients.clone());
        }
        let (region, profile) = (key.0.as_deref(), key.1.as_deref());
        let config = self.run(sdk_config(env, region, profile))?;
        if config.region().is_none() {
            return Err(
                "no AWS region: add ?region=… to the reference or set AWS_REGION".to_owned(),
            );
        }
        let mut secrets = aws_sdk_secretsmanager::config::Builder::from(&config);
        if let Some(url) = env.non_empty("AWS_ENDPOINT_URL_SECRETS_MANAGER") {
            secrets = secrets.endpoint_url(url);
        }
        let mut ssm = aws_sdk_ssm::config::Builder::from(&config);
        if let Some(url) = env.non_empty("AWS_ENDPOINT_URL_SSM") {
            ssm = ssm.endpoint_url(url);
        }
        let clients = Clients {
            secrets: aws_sdk_secretsmanager::Client::from_conf(secrets.build()),
            ssm: aws_sdk_ssm::Client::from_conf(ssm.build()),
        };
        self.clients.insert(key.clone(), clients.clone());
        Ok(clients)
    }

    /// Runs `future` to completion within [`TIMEOUT`].
    fn run<F: Future + Send>(&mut self, future: F) -> Result<F::Output, String>
    where
        F::Output: Send,
    {
        if self.runtime.is_none() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the AWS client runtime: {e}"))?;
            self.runtime = Some(runtime);
        }
        let runtime = self.runtime.as_ref().expect("made above");
        let drive = move || {
            runtime.block_on(async move { tokio::time::timeout(TIMEOUT, future).await.ok() })
        };
        let output = if tokio::runtime::Handle::try_current().is_err() {
            drive()
        } else {
            std::thread::scope(|scope| scope.spawn(drive).join()).unwrap_or(None)
        };
        output.ok_or_else(|| format!("no answer from AWS within {} s", TIMEOUT.as_secs()))
    }
}

/// The SDK configuration for `region` and `profile` (from the reference, else from `env`):
/// the default chain on [`sops_keys::aws_http_client`], given the credentials, profile files
/// and global endpoint `env` names.
async fn sdk_config(
    env: &RefEnv,
    region: Option<&str>,
    profile: Option<&str>,
) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(sops_keys::aws_http_client());
    let region = region
        .or_else(|| env.non_empty("AWS_REGION"))
        .or_else(|| env.non_empty("AWS_DEFAULT_REGION"));
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    if let Some(profile) = profile.or_else(|| env.non_empty("AWS_PROFILE")) {
        loader = loader.profile_name(profile);
    }
    if let Some(files) = profile_files(env) {
        loader = loader.profile_files(files);
    }
    if let Some(credentials) = env_credentials(env) {
        loader = loader.credentials_provider(credentials);
    }
    if let Some(url) = env.non_empty("AWS_ENDPOINT_URL") {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The static credentials of `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with
/// `AWS_SESSION_TOKEN`), as the chain's environment provider reads them.
fn env_credentials(env: &RefEnv) -> Option<Credentials> {
    let id = env
        .non_empty("AWS_ACCESS_KEY_ID")
        .or_else(|| env.non_empty("AWS_ACCESS_KEY"))?;
    let secret = env
        .non_empty("AWS_SECRET_ACCESS_KEY")
        .or_else(|| env.non_empty("AWS_SECRET_KEY"))?;
    let token = env.non_empty("AWS_SESSION_TOKEN").map(str::to_owned);
    Some(Credentials::new(id, secret, token, None, "Environment"))
}

/// The profile files `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` name (a missing one
/// counts as empty, as the SDK treats it); `None` when neither is set.
fn profile_files(env: &RefEnv) -> Option<aws_runtime::env_config::file::EnvConfigFiles> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    let config = env.non_empty("AWS_CONFIG_FILE");
    let credentials = env.non_empty("AWS_SHARED_CREDENTIALS_FILE");
    if config.is_none() && credentials.is_none() {
        return None;
    }
    let mut files = EnvConfigFiles::builder()
        .include_default_config_file(config.is_none())
        .include_default_credentials_file(credentials.is_none());
    for (kind, path) in [
        (EnvConfigFileKind::Config, config),
        (EnvConfigFileKind::Credentials, credentials),
    ] {
        match path {
            Some(path) if std::path::Path::new(path).exists() => {
                files = files.with_file(kind, path);
            }
            Some(_) => files = files.with_contents(kind, ""),
            None => {}
        }
    }
    Some(files.build())
}

/// A parameter name with a leading `/`, as vals sends it.
fn parameter_name(path: &str) -> String {
    if path.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

fn refuse_role(r: &Ref, env: &RefEnv) -> Result<(), String> {
    match r.param("role_arn", env) {
        Some(_) => Err(
            "the role_arn parameter is not supported by sops-rs; assume the role \
                        before running (AWS_PROFILE with role_arn in ~/.aws/config)"
                .to_owned(),
        ),
        None => Ok(()),
    }
}

/// The region of `arn:aws:secretsmanager:REGION:…`.
fn region_of_arn(path: &str) -> Option<String> {
    path.starts_with("arn:")
        .then(|| path.split(':').nth(3))
        .flatten()
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
}

/// Puts `value` at `parts` in `root`, making mappings on the way (a value in the way is
/// replaced by a mapping, as vals does with `recursive`).
fn insert(root: &mut Mapping, parts: &[&str], value: SecretText) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        root.remove(first);
        root.push(*first, Node::Scalar(sops_core::tree::Scalar::Str(value)));
        return;
    }
    if !matches!(root.get(first), Some(Node::Mapping(_))) {
        root.remove(first);
        root.push(*first, Node::Mapping(Mapping::default()));
    }
    let child = root.items.iter_mut().rev().find_map(|item| match item {
        sops_core::tree::MapItem::Pair(k, Node::Mapping(m)) if k == first => Some(m),
        _ => None,
    });
    if let Some(child) = child {
        insert(child, rest, value);
    }
}

/// `Code: message` for a service error, else the chain of causes.
fn describe<E, R>(error: &aws_sdk_ssm::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ssm::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
    if let (SdkError::ServiceError(_), Some(code)) = (error, error.code()) {
        return match error.message() {
            Some(text) if !text.is_empty() => format!("{code}: {text}"),
            _ => code.to_owned(),
        };
    }
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_regions() {
        assert_eq!(parameter_name("team/db"), "/team/db");
        assert_eq!(parameter_name("/team/db"), "/team/db");
        let arn = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:db-AbCdEf";
        assert_eq!(region_of_arn(arn).as_deref(), Some("eu-west-3"));
        assert_eq!(region_of_arn("db/creds"), None);
    }

    #[test]
    fn parameter_trees_nest_and_replace() {
        let mut root = Mapping::default();
        insert(&mut root, &["a", "b"], SecretText::new("1"));
        insert(&mut root, &["a", "c"], SecretText::new("2"));
        insert(&mut root, &["d"], SecretText::new("3"));
        let a = root.get("a").and_then(Node::as_mapping).unwrap();
        assert_eq!(a.get("b").and_then(Node::as_str), Some("1"));
        assert_eq!(a.get("c").and_then(Node::as_str), Some("2"));
        insert(&mut root, &["d", "e"], SecretText::new("4"));
        let d = root.get("d").and_then(Node::as_mapping).unwrap();
        assert_eq!(d.get("e").and_then(Node::as_str), Some("4"));
    }
}
