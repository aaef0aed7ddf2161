//! What the key service does with a request: the protocol key becomes a metadata entry
//! ([`fields_of_key`], one match arm per key kind in sops-keys), and the entry goes to the local
//! backend of its type in [`KeySources::as_list`]. A backend added to sops-keys and to
//! `KeySources` is served with no change here.
//!
//! Backends block (KMS waits on the network, PGP may start gpg), so each request runs on
//! tokio's blocking pool. With `--prompt` every request waits for a `y` on the terminal first,
//! one at a time. With `--cache-ttl` unwrapped data keys are kept ([`super::cache`]).

use super::cache::{Cache, Outcome};
use crate::keys::KeySources;
use sops_core::{KeyEntry, KeySource, SecretBytes};
use sops_keys::keyservice::convert::{describe_key, fields_of_key};
use sops_keys::keyservice::proto::{
    DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse, Key,
};
use std::io::{BufRead, Write};
use std::sync::Arc;
use tonic::Status;

/// The request handler: the local backends, the options and the cache.
pub(crate) struct Handler {
    sources: Arc<KeySources>,
    prompt: Option<tokio::sync::Mutex<()>>,
    cache: Option<Arc<Cache>>,
    shutdown: Arc<tokio::sync::Notify>,
}

impl Handler {
    pub(crate) fn new(
        sources: KeySources,
        prompt: bool,
        cache: Option<Arc<Cache>>,
        shutdown: Arc<tokio::sync::Notify>,
    ) -> Self {
        Handler {
            sources: Arc::new(sources),
            prompt: prompt.then(|| tokio::sync::Mutex::new(())),
            cache,
            shutdown,
        }
    }

    /// `Stop`: ends the server after this answer.
    pub(crate) fn stop(&self) {
        log("Stop requested: shutting down", &[]);
        self.shutdown.notify_one();
    }

    pub(crate) async fn encrypt(&self, request: EncryptRequest) -> Result<EncryptResponse, Status> {
        let key = request.key.clone().unwrap_or_default();
        let mut entry = fields_of_key(&key).map_err(|e| Status::not_found(e.message))?;
        log("Received encrypt request", &[("key", &describe_key(&key))]);
        self.ask(&key, "encrypt").await?;
        let plaintext = SecretBytes::new(request.plaintext.clone());
        let sources = Arc::clone(&self.sources);
        let entry = blocking(move || {
            let mut failures = Vec::new();
            for source in of_type(&sources, &entry) {
                match source.wrap(&mut entry, plaintext.secret_bytes()) {
                    Ok(()) => return Ok(entry),
                    Err(e) => failures.push(e.message),
                }
            }
            Err(no_backend(&entry, &failures))
        })
        .await?;
        let enc = entry.field("enc").unwrap_or_default();
        Ok(EncryptResponse {
            ciphertext: enc.as_bytes().to_vec(),
        })
    }

    pub(crate) async fn decrypt(&self, request: DecryptRequest) -> Result<DecryptResponse, Status> {
        let key = request.key.clone().unwrap_or_default();
        let mut entry = fields_of_key(&key).map_err(|e| Status::not_found(e.message))?;
        let enc = std::str::from_utf8(&request.ciphertext)
            .map_err(|_| Status::invalid_argument("the ciphertext is not text"))?;
        entry.set_field("enc", enc);
        log("Received decrypt request", &[("key", &describe_key(&key))]);
        self.ask(&key, "decrypt").await?;
        let sources = Arc::clone(&self.sources);
        let unwrap = move || async move {
            blocking(move || {
                let mut failures = Vec::new();
                for source in of_type(&sources, &entry) {
                    match source.unwrap(&entry) {
                        Some(Ok(secret)) => return Ok(secret),
                        Some(Err(e)) => failures.push(e.message),
                        None => {}
                    }
                }
                Err(no_backend(&entry, &failures))
            })
            .await
        };
        let secret = match &self.cache {
            None => unwrap().await?,
            Some(cache) => {
                let (secret, outcome) = cache
                    .get_or_unwrap(&key, &request.ciphertext, unwrap)
                    .await?;
                let what = match outcome {
                    Outcome::Hit => "Answered from the cache",
                    Outcome::Asked => "Asked the backend; the data key is cached",
                };
                log(what, &[("key", &describe_key(&key))]);
                secret
            }
        };
        Ok(DecryptResponse {
            plaintext: secret.secret_bytes().to_vec(),
        })
    }

    /// `--prompt`: asks on the terminal whether to answer (sops's question and its refusal).
    async fn ask(&self, key: &Key, request_type: &str) -> Result<(), Status> {
        let Some(lock) = &self.prompt else {
            return Ok(());
        };
        let _one_at_a_time = lock.lock().await;
        let question = format!(
            "\nReceived {request_type} request using {}. Respond to request? (y/n): ",
            describe_key(key)
        );
        let answer = blocking(move || {
            let stdin = std::io::stdin();
            loop {
                print!("{question}");
                let _ = std::io::stdout().flush();
                let mut line = String::new();
                match stdin.lock().read_line(&mut line) {
                    Ok(0) => return Err(Status::unknown("EOF")),
                    Ok(_) => {}
                    Err(e) => return Err(Status::unknown(e.to_string())),
                }
                match line.trim() {
                    "y" => return Ok(true),
                    "n" => return Ok(false),
                    _ => {}
                }
            }
        })
        .await?;
        if answer {
            Ok(())
        } else {
            Err(Status::permission_denied("Request rejected by user"))
        }
    }
}

/// The local sources of `entry`'s type, in order.
fn of_type<'a>(sources: &'a KeySources, entry: &KeyEntry) -> Vec<&'a dyn KeySource> {
    sources
        .as_list()
        .into_iter()
        .filter(|s| s.key_type() == entry.key_type)
        .collect()
}

/// The status when no local backend could do the work.
fn no_backend(entry: &KeyEntry, failures: &[String]) -> Status {
    if failures.is_empty() {
        return Status::unknown(format!(
            "this sops-rs key service holds no key that can use {}",
            entry.describe()
        ));
    }
    Status::unknown(failures.join("; "))
}

/// Runs blocking backend work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(Status::internal("the key backend failed")))
}

/// One `--verbose` line of the key service (never a secret: key names only).
pub(crate) fn log(msg: &str, fields: &[(&str, &str)]) {
    crate::log::log("KEYSERVICE", "info", msg, fields);
}
