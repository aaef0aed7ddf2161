//! Reading and decrypting values for Helm, shared by the wrapper, the downloader plugin and
//! the helm-secrets commands: the `HELM_SECRETS_*` settings, the path policy, helm-secrets'
//! "is it encrypted" test, in-process decryption with the keys of the environment (plus the
//! key file of `secrets+age-import://` / `secrets+gpg-import://`), and `ref+` resolution.
//!
//! Plaintext lives only in [`Zeroizing`] buffers here; where it goes next is the caller's
//! business (a pipe to helm, or stdout for the downloader).

use crate::error::{codes, CliError};
use crate::helm::args::{is_true, is_url, AllowedBackends, Backend, Scheme, SecretsUrl};
use crate::keys::KeySources;
use sops_core::store::Format;
use sops_core::tree::{Mapping, Node, Tree};
use sops_refs::PathPolicy;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Plaintext bytes, wiped when dropped.
pub(crate) type Plain = Zeroizing<Vec<u8>>;

/// What the `HELM_SECRETS_*` variables and helm-secrets' global options say.
pub(crate) struct Settings {
    pub(crate) backend: Backend,
    pub(crate) allowed: AllowedBackends,
    pub(crate) quiet: bool,
    pub(crate) ignore_missing: bool,
    pub(crate) policy: PathPolicy,
    /// `HELM_SECRETS_KEY_LOCATION_PREFIX`.
    pub(crate) key_prefix: String,
    pub(crate) allow_age_import: bool,
    pub(crate) allow_gpg_import: bool,
    /// `HELM_SECRETS_LOAD_GPG_KEYS`: key files (or directories of them) used for every file.
    pub(crate) gpg_keys: Vec<PathBuf>,
    /// `--config` / `SOPS_CONFIG`, for the `stores:` settings.
    pub(crate) config: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_flag(name: &str, default: bool) -> bool {
    env(name).map(|v| is_true(&v)).unwrap_or(default)
}

impl Settings {
    /// The settings from the environment, before any command-line option.
    pub(crate) fn from_env(config: Option<&Path>) -> Result<Settings, CliError> {
        let allowed =
            AllowedBackends::from_list(&env("HELM_SECRETS_ALLOWED_BACKENDS").unwrap_or_default());
        let backend = match env("HELM_SECRETS_BACKEND") {
            Some(name) => allowed.check(backend_named(&name)?)?,
            None => Backend::Sops,
        };
        let mut gpg_keys = Vec::new();
        if let Some(list) = env("HELM_SECRETS_LOAD_GPG_KEYS").filter(|v| v != "false") {
            for item in list.split_whitespace() {
                gpg_keys.extend(key_files_in(Path::new(item))?);
            }
        }
        Ok(Settings {
            backend,
            allowed,
            // helm-secrets is quiet by default under Argo CD.
            quiet: env_flag(
                "HELM_SECRETS_QUIET",
                std::env::var_os("ARGOCD_APP_NAME").is_some(),
            ),
            ignore_missing: env_flag("HELM_SECRETS_IGNORE_MISSING_VALUES", false),
            policy: PathPolicy::from_env(&crate::helm::refs::process_env()),
            key_prefix: env("HELM_SECRETS_KEY_LOCATION_PREFIX").unwrap_or_default(),
            allow_age_import: env_flag("HELM_SECRETS_ALLOW_AGE_IMPORT", true),
            allow_gpg_import: env_flag("HELM_SECRETS_ALLOW_GPG_IMPORT", true),
            gpg_keys,
            config: config.map(Path::to_path_buf),
        })
    }

    /// The keys for one file: the environment's, plus an age identity file or a PGP key file
    /// named by an `*-import` URL.
    pub(crate) fn key_sources(&self, age_key: Option<&Path>, gpg_key: Option<&Path>) -> KeySources {
        let age = match age_key {
            Some(path) => sops_keys::age::AgeKeySource::with_env(
                sops_keys::age_identities::IdentityEnv::from_process()
                    .with_var("SOPS_AGE_KEY_FILE", path.to_string_lossy()),
            ),
            None => sops_keys::age::AgeKeySource::from_env(),
        };
        let mut pgp = sops_keys::pgp::PgpConfig::from_env();
        for file in self.gpg_keys.iter().map(PathBuf::as_path).chain(gpg_key) {
            pgp = pgp.with_key_file(file);
        }
        KeySources::new(
            age,
            sops_keys::kms::KmsKeySource::new(),
            sops_keys::pgp::PgpKeySource::new(pgp),
        )
    }

    /// `[helm-secrets]`-style progress lines on stderr, unless quiet.
    pub(crate) fn log(&self, message: std::fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("[sops-rs helm] {message}");
        }
    }
}

pub(crate) fn backend_named(name: &str) -> Result<Backend, CliError> {
    Backend::from_name(name).ok_or_else(|| {
        CliError::new(
            codes::GENERIC,
            format!("unknown secret backend '{name}': sops-rs knows sops, vals and noop"),
        )
    })
}

/// A key file, or every file in a key directory (helm-secrets' `_gpg_load_keys`).
fn key_files_in(path: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| {
            CliError::new(
                codes::GENERIC,
                format!("cannot read {}: {e}", path.display()),
            )
        })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// helm-secrets' test for the sops backend: a line matching `mac.*,type:str]`, i.e. the
/// `mac: ENC[AES256_GCM,…,type:str]` line of the metadata (any format).
/// A byte search rather than a regex, so a downloader run compiles none: a line matches when
/// `,type:str]` follows its first `mac` (any later `mac` leaves less after it).
pub(crate) fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        find(line, b"mac").is_some_and(|i| find(&line[i + 3..], b",type:str]").is_some())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// helm-secrets' "auto" type of an encrypted file: YAML when a line is `sops:`, binary when
/// `"data": "ENC` appears, JSON otherwise.
pub(crate) fn detect_format(bytes: &[u8]) -> Format {
    if bytes
        .split(|&b| b == b'\n')
        .any(|line| line.trim_ascii_end() == b"sops:")
    {
        Format::Yaml
    } else if contains(bytes, b"\"data\": \"ENC") {
        Format::Binary
    } else {
        Format::Json
    }
}

/// Decrypts a sops file in `format` and emits its plaintext in the same format.
pub(crate) fn decrypt(
    bytes: &[u8],
    format: Format,
    sources: &KeySources,
    settings: &Settings,
) -> Result<Plain, CliError> {
    let config = crate::common::stores_config(settings.config.as_deref())?;
    let store = format.store_with(&crate::common::store_options(config.as_ref(), None));
    let (tree, _) = sops_core::internal::open_tree(
        bytes,
        store.as_ref(),
        &sources.as_list(),
        &Default::default(),
    )
    .map_err(|e| crate::common::open_error(sources, e))?;
    Ok(Zeroizing::new(store.emit_plain(&tree)?))
}

/// The result of processing one file.
pub(crate) struct Processed {
    pub(crate) data: Plain,
    /// False when `data` is the input unchanged (helm may read the original).
    pub(crate) changed: bool,
}

/// Decrypts `bytes` (read from `path`) if they are encrypted, and resolves `ref+` references
/// when the backend is vals or `refs` asks for it and there are any.
pub(crate) fn process(
    bytes: Plain,
    path: &Path,
    backend: Backend,
    refs: bool,
    sources: &KeySources,
    settings: &Settings,
) -> Result<Processed, CliError> {
    if backend == Backend::Noop {
        return Ok(Processed {
            data: bytes,
            changed: false,
        });
    }
    let what = |e: CliError| {
        CliError::new(
            e.code,
            format!("Error while decrypting file: {}: {e}", path.display()),
        )
    };
    let mut out = Processed {
        data: bytes,
        changed: false,
    };
    if is_encrypted(&out.data) {
        out.data = decrypt(&out.data, detect_format(&out.data), sources, settings).map_err(what)?;
        out.changed = true;
    }
    if (refs || backend == Backend::Vals) && contains(&out.data, b"ref+") {
        let resolved = crate::helm::refs::resolve_refs_in_yaml(&out.data, path).map_err(|e| {
            CliError::new(
                e.code,
                format!(
                    "Error while resolving references in {}: {e}",
                    path.display()
                ),
            )
        })?;
        if resolved != *out.data {
            out.data = Zeroizing::new(resolved);
            out.changed = true;
        }
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads a local values file through the path policy (open, then check what was opened);
/// `Ok(None)` when it is missing and may be (`?file`, `--ignore-missing-values`).
pub(crate) fn read_local(
    path: &Path,
    optional: bool,
    settings: &Settings,
) -> Result<Option<Plain>, CliError> {
    match crate::helm::paths::read_values(&settings.policy, path)? {
        Some(bytes) => Ok(Some(bytes)),
        None if optional || settings.ignore_missing => Ok(None),
        None => Err(CliError::new(
            codes::GENERIC,
            format!("File does not exist: {}", path.display()),
        )),
    }
}

/// What a `secrets*://` URL stands for, decrypted: the downloader prints it, the wrapper
/// hands it to helm. `refs` resolves `ref+` references even with the sops backend (the
/// wrapper's `-f` values).
pub(crate) fn fetch(url: &SecretsUrl, refs: bool, settings: &Settings) -> Result<Plain, CliError> {
    let backend = url.backend.unwrap_or(settings.backend);
    let (age_key, gpg_key) = match url.scheme {
        Scheme::Secrets | Scheme::Literal => (None, None),
        Scheme::AgeImport | Scheme::GpgImport => {
            let age = url.scheme == Scheme::AgeImport;
            let (allowed, name) = if age {
                (settings.allow_age_import, "secrets+age-import")
            } else {
                (settings.allow_gpg_import, "secrets+gpg-import")
            };
            if !allowed {
                return Err(CliError::new(codes::GENERIC, format!("{name}:// is not allowed in this context!")));
            }
            let key = url.key.as_deref().unwrap_or_default();
            let key = crate::helm::paths::check_key_location(key, &settings.key_prefix)?;
            if age {
                (Some(key), None)
            } else {
                (None, Some(key))
            }
        }
        Scheme::AgeImportKubernetes | Scheme::GpgImportKubernetes => {
            return Err(CliError::new(
                codes::GENERIC,
                "secrets+*-import-kubernetes:// is not supported by sops-rs: mount the key and use secrets+age-import:// or secrets+gpg-import://",
            ))
        }
    };
    let sources = settings.key_sources(age_key.as_deref(), gpg_key.as_deref());
    if url.scheme == Scheme::Literal {
        return literal(&url.inner, backend, &sources, settings);
    }
    if is_url(&url.inner) {
        return Err(CliError::new(
            codes::GENERIC,
            format!(
                "{}: sops-rs reads secrets:// files from local paths only; fetch remote files first",
                url.inner
            ),
        ));
    }
    let path = Path::new(&url.inner);
    let Some(bytes) = read_local(path, url.optional, settings)? else {
        return Ok(Zeroizing::new(Vec::new()));
    };
    Ok(process(bytes, path, backend, refs, &sources, settings)?.data)
}

/// `secrets+literal://…`: a whole sops-encrypted JSON document is decrypted (to JSON), a `ref+`
/// is resolved with the vals backend, anything else is printed as it is.
fn literal(
    text: &str,
    backend: Backend,
    sources: &KeySources,
    settings: &Settings,
) -> Result<Plain, CliError> {
    match backend {
        Backend::Noop => Ok(Zeroizing::new(text.as_bytes().to_vec())),
        Backend::Sops if is_encrypted(text.as_bytes()) => {
            decrypt(text.as_bytes(), Format::Json, sources, settings)
                .map_err(|e| CliError::new(e.code, format!("Unable to decrypt literal value: {e}")))
        }
        Backend::Sops => Ok(Zeroizing::new(text.as_bytes().to_vec())),
        Backend::Vals => {
            // Resolve `value: <literal>` as a one-key YAML document and take the value back.
            let store = Format::Yaml.store();
            let mut root = Mapping::default();
            root.push("value", Node::string(text));
            let doc = store.emit_plain(&Tree {
                branches: vec![root],
            })?;
            let resolved = Zeroizing::new(crate::helm::refs::resolve_refs_in_yaml(
                &doc,
                Path::new("."),
            )?);
            let tree = store.load_plain(&resolved)?;
            match tree.branches.first().and_then(|m| m.get("value")) {
                Some(node) => match node.as_str() {
                    Some(s) => Ok(Zeroizing::new(s.as_bytes().to_vec())),
                    None => Ok(Zeroizing::new(store.emit_value(node)?)),
                },
                None => Ok(Zeroizing::new(Vec::new())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_test_is_helm_secrets_grep() {
        assert!(is_encrypted(
            b"sops:\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n"
        ));
        assert!(is_encrypted(
            b"{\"sops\": {\"mac\": \"ENC[AES256_GCM,data:x,type:str]\"}}"
        ));
        assert!(!is_encrypted(b"password: test\n"));
        assert!(!is_encrypted(b"mac: x\n,type:str]\n"));
    }

    #[test]
    fn auto_format() {
        assert_eq!(detect_format(b"a: b\nsops:\r\n  mac: x\n"), Format::Yaml);
        assert_eq!(
            detect_format(b"{\n\t\"data\": \"ENC[AES256_GCM,x]\"\n}"),
            Format::Binary
        );
        assert_eq!(
            detect_format(b"{\"a\": \"ENC[x]\", \"sops\": {}}"),
            Format::Json
        );
    }
}
