//! Azure credentials in the order of the Go SDK's `DefaultAzureCredential`:
//!
//! 1. **environment**, client secret: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//!    `AZURE_CLIENT_SECRET` (the client-credentials grant at
//!    `{AZURE_AUTHORITY_HOST}/{tenant}/oauth2/v2.0/token`, by default on
//!    `https://login.microsoftonline.com`);
//! 2. **workload identity**: `AZURE_FEDERATED_TOKEN_FILE` with `AZURE_TENANT_ID` and
//!    `AZURE_CLIENT_ID` (the file's token as a client assertion, as on AKS);
//! 3. **managed identity**: App Service's `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`, else the
//!    instance metadata service at 169.254.169.254 (`AZURE_CLIENT_ID` picks a user-assigned
//!    identity);
//! 4. **Azure CLI**: `az account get-access-token --resource …`.
//!
//! A credential whose settings are absent is skipped; the first one that is configured is
//! used, and its failure is the error (as in the SDK, a wrong secret does not fall through to
//! the CLI). Certificate credentials (`AZURE_CLIENT_CERTIFICATE_PATH`) and the Azure Developer
//! CLI are not implemented: with only a certificate configured, the chain says so.
//!
//! Tokens are kept, per scope, until shortly before they expire. Errors never contain a
//! secret or a token.

use crate::https::{form_encode, HttpRequest, Url};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
const IMDS: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Where credentials come from: a snapshot of the relevant environment variables.
pub struct CredentialChain {
    env: HashMap<&'static str, Zeroizing<String>>,
    cache: Mutex<HashMap<String, (Zeroizing<String>, Instant)>>,
}

const VARIABLES: [&str; 9] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "AZURE_CONFIG_DIR",
];

impl CredentialChain {
    /// The chain configured from the process environment.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The chain configured from `get` (a variable's value, or `None`).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Self {
        let env = VARIABLES
            .iter()
            .filter_map(|name| {
                get(name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (*name, Zeroizing::new(v)))
            })
            .collect();
        CredentialChain {
            env,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(|v| v.as_str())
    }

    /// A token for `scope` (e.g. `https://vault.azure.net/.default`).
    pub fn token(&self, scope: &str) -> Result<Zeroizing<String>, String> {
        if let Some((token, until)) = self.cache.lock().expect("token cache").get(scope) {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch(scope)?;
        // Renew five minutes early, as the SDKs do.
        let until = Instant::now() + lifetime.saturating_sub(Duration::from_secs(300));
        self.cache
            .lock()
            .expect("token cache")
            .insert(scope.to_owned(), (token.clone(), until));
        Ok(token)
    }

    /// Drops the token kept for `scope`.
    pub fn forget(&self, scope: &str) {
        self.cache.lock().expect("token cache").remove(scope);
    }

    fn fetch(&self, scope: &str) -> Result<(Zeroizing<String>, Duration), String> {
        let tenant = self.var("AZURE_TENANT_ID");
        let client = self.var("AZURE_CLIENT_ID");
        if let (Some(tenant), Some(client), Some(secret)) =
            (tenant, client, self.var("AZURE_CLIENT_SECRET"))
        {
            let form = Zeroizing::new(format!(
                "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
                form_encode(client),
                form_encode(secret),
                form_encode(scope)
            ));
            return self.entra_token(tenant, &form).map_err(|e| {
                format!("EnvironmentCredential (client secret of AZURE_CLIENT_ID {client}): {e}")
            });
        }
        if let (Some(tenant), Some(client), Some(file)) =
            (tenant, client, self.var("AZURE_FEDERATED_TOKEN_FILE"))
        {
            let assertion = Zeroizing::new(
                std::fs::read_to_string(file)
                    .map_err(|e| format!("WorkloadIdentityCredential: cannot read AZURE_FEDERATED_TOKEN_FILE {file}: {e}"))?,
            );
            let form = Zeroizing::new(format!(
                "grant_type=client_credentials&client_id={}&client_assertion_type={}&client_assertion={}&scope={}",
                form_encode(client),
                form_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                form_encode(assertion.trim()),
                form_encode(scope)
            ));
            return self.entra_token(tenant, &form).map_err(|e| {
                format!("WorkloadIdentityCredential (AZURE_CLIENT_ID {client}): {e}")
            });
        }
        let mut tried = Vec::new();
        if self.var("AZURE_CLIENT_CERTIFICATE_PATH").is_some() {
            tried.push("EnvironmentCredential: client certificates (AZURE_CLIENT_CERTIFICATE_PATH) are not supported by sops-rs yet; use a client secret".to_owned());
        } else {
            tried.push("EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set".to_owned());
        }
        match self.managed_identity(scope) {
            Ok(Some(token)) => return Ok(token),
            Ok(None) => tried
                .push("ManagedIdentityCredential: no managed identity endpoint answered".into()),
            Err(e) => return Err(format!("ManagedIdentityCredential: {e}")),
        }
        match self.azure_cli(scope) {
            Ok(token) => return Ok(token),
            Err(e) => tried.push(format!("AzureCLICredential: {e}")),
        }
        Err(format!(
            "no Azure credential is available:\n  {}\n  hint: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run `az login`",
            tried.join("\n  ")
        ))
    }

    fn entra_token(
        &self,
        tenant: &str,
        form: &str,
    ) -> Result<(Zeroizing<String>, Duration), String> {
        let authority = self
            .var("AZURE_AUTHORITY_HOST")
            .unwrap_or(DEFAULT_AUTHORITY)
            .trim_end_matches('/');
        let url = Url::parse(&format!("{authority}/{tenant}/oauth2/v2.0/token"))
            .filter(|u| u.tls)
            .ok_or_else(|| format!("the authority host {authority:?} is not an https URL"))?;
        let response = HttpRequest::new("POST", &url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(form.as_bytes())
            .send()
            .map_err(|e| e.to_string())?;
        let json = response.json();
        if !response.is_success() {
            let code = json["error"].as_str().unwrap_or("");
            let description = json["error_description"].as_str().unwrap_or("");
            let first_line = description.lines().next().unwrap_or("");
            return Err(format!(
                "Microsoft Entra ID refused the token request (HTTP {}): {code}: {first_line}\n  \
                 hint: check AZURE_TENANT_ID, AZURE_CLIENT_ID and the client's secret or federated token",
                response.status
            ));
        }
        token_from_json(&json)
            .ok_or_else(|| "Microsoft Entra ID's answer has no access_token".into())
    }

    fn managed_identity(
        &self,
        scope: &str,
    ) -> Result<Option<(Zeroizing<String>, Duration)>, String> {
        let resource = scope.trim_end_matches("/.default");
        let client = self
            .var("AZURE_CLIENT_ID")
            .map(|c| format!("&client_id={}", form_encode(c)))
            .unwrap_or_default();
        let (url, header) = match (self.var("IDENTITY_ENDPOINT"), self.var("IDENTITY_HEADER")) {
            (Some(endpoint), Some(secret)) => (
                format!(
                    "{endpoint}?api-version=2019-08-01&resource={}{client}",
                    form_encode(resource)
                ),
                ("X-IDENTITY-HEADER", secret.to_owned()),
            ),
            _ => (
                format!(
                    "{IMDS}?api-version=2018-02-01&resource={}{client}",
                    form_encode(resource)
                ),
                ("Metadata", "true".to_owned()),
            ),
        };
        let url = Url::parse(&url).ok_or("the managed identity endpoint is not a URL")?;
        let response = match HttpRequest::new("GET", &url)
            .header(header.0, header.1)
            .connect_timeout(Duration::from_secs(1))
            .send()
        {
            Ok(response) => response,
            Err(_) => return Ok(None), // no endpoint here: not on Azure
        };
        if !response.is_success() {
            let json = response.json();
            let description = json["error_description"].as_str().unwrap_or("");
            return Err(format!(
                "the endpoint refused the token request (HTTP {}): {description}",
                response.status
            ));
        }
        token_from_json(&response.json())
            .map(Some)
            .ok_or_else(|| "the endpoint's answer has no access_token".into())
    }

    fn azure_cli(&self, scope: &str) -> Result<(Zeroizing<String>, Duration), String> {
        let resource = scope.trim_end_matches("/.default");
        let mut command = std::process::Command::new("az");
        command.args([
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
            resource,
        ]);
        if let Some(tenant) = self.var("AZURE_TENANT_ID") {
            command.args(["--tenant", tenant]);
        }
        let out = command
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|_| "the Azure CLI (`az`) is not installed".to_owned())?;
        let stdout = Zeroizing::new(out.stdout);
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(format!(
                "`az account get-access-token` failed: {}",
                stderr.lines().next().unwrap_or("").trim()
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap_or_default();
        let token = json["accessToken"]
            .as_str()
            .ok_or("`az account get-access-token` printed no accessToken")?;
        let lifetime = json["expires_on"]
            .as_u64()
            .and_then(|at| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?
                    .as_secs();
                at.checked_sub(now)
            })
            .unwrap_or(300);
        Ok((
            Zeroizing::new(token.to_owned()),
            Duration::from_secs(lifetime),
        ))
    }
}

fn token_from_json(json: &serde_json::Value) -> Option<(Zeroizing<String>, Duration)> {
    let token = json["access_token"].as_str()?;
    let lifetime = match &json["expires_in"] {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .unwrap_or(300);
    Some((
        Zeroizing::new(token.to_owned()),
        Duration::from_secs(lifetime),
    ))
}
