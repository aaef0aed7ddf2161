//! helm-secrets' 3.x commands, removed in helm-secrets 4.0 but still called by old scripts
//! and helmfile/helmsman setups (helmsman#715): `dec FILE` writes the plaintext to `FILE.dec`,
//! `enc FILE` encrypts `FILE.dec` (or `FILE` itself) into `FILE`, `view FILE` prints the
//! plaintext, and `clean DIR` removes the `.dec` files under `DIR`. The `.dec` name follows
//! `HELM_SECRETS_DEC_PREFIX`, `HELM_SECRETS_DEC_SUFFIX` (default `.dec`) and
//! `HELM_SECRETS_DEC_DIR`, as in helm-secrets.

use crate::cli::Command;
use crate::error::{codes, CliError};
use crate::helm::values::{is_encrypted, process, read_local, Settings};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};

fn prefix() -> String {
    std::env::var("HELM_SECRETS_DEC_PREFIX").unwrap_or_default()
}

fn suffix() -> String {
    // An empty HELM_SECRETS_DEC_SUFFIX is kept (`${HELM_SECRETS_DEC_SUFFIX-.dec}`).
    std::env::var("HELM_SECRETS_DEC_SUFFIX").unwrap_or_else(|_| ".dec".to_owned())
}

/// helm-secrets' `_file_dec_name`: `DIR/PREFIXNAMESUFFIX`, or with `HELM_SECRETS_DEC_DIR=D`
/// `D/<dir with / as _>_PREFIXNAMESUFFIX`.
pub(crate) fn dec_name(file: &Path) -> PathBuf {
    let base = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("{}{base}{}", prefix(), suffix());
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    match std::env::var_os("HELM_SECRETS_DEC_DIR").filter(|d| !d.is_empty()) {
        Some(dec_dir) => {
            let flat = dir
                .map(|d| d.to_string_lossy().replace('/', "_"))
                .unwrap_or_else(|| ".".to_owned());
            PathBuf::from(dec_dir).join(format!("{flat}_{name}"))
        }
        None => dir
            .map(|d| d.join(&name))
            .unwrap_or_else(|| PathBuf::from(&name)),
    }
}

/// `clean DIR`: removes every regular file under `DIR` (recursively, symlinks not followed)
/// named `PREFIX*SUFFIX`, printing `removed 'PATH'` for each, as `rm -v` did.
pub(crate) fn clean(dir: &Path) -> Result<(), CliError> {
    if !dir.is_dir() {
        return Err(CliError::new(
            codes::GENERIC,
            format!("Directory does not exist: {}", dir.display()),
        ));
    }
    let (prefix, suffix) = (prefix(), suffix());
    if prefix.is_empty() && suffix.is_empty() {
        return Ok(());
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            CliError::new(codes::GENERIC, format!("cannot read {}: {e}", d.display()))
        })?;
        let mut paths: Vec<(PathBuf, std::fs::FileType)> = entries
            .flatten()
            .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
            .collect();
        paths.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, kind) in paths {
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let matches = name.len() >= prefix.len() + suffix.len()
                && name.starts_with(&prefix)
                && name.ends_with(&suffix);
            if kind.is_file() && matches {
                std::fs::remove_file(&path).map_err(|e| {
                    CliError::new(
                        codes::GENERIC,
                        format!("cannot remove {}: {e}", path.display()),
                    )
                })?;
                println!("removed '{}'", path.display());
            }
        }
    }
    Ok(())
}

pub(crate) fn dec(file: &Path, settings: &Settings) -> Result<(), CliError> {
    settings.log(format_args!("Decrypting {}", file.display()));
    let data = crate::helm::decrypted(file, settings)?;
    let target = dec_name(file);
    // The .dec file is always a fresh 0600 file (helm-secrets left it 0644, world-readable),
    // never a symlink, FIFO or device, never the encrypted file itself.
    crate::write::refuse_input(&target, file)?;
    use crate::write::{write_file, Policy, Role, PRIVATE_MODE};
    write_file(&target, &data, Policy::Private(PRIVATE_MODE), Role::Other)
}

pub(crate) fn enc(file: &Path, settings: &Settings) -> Result<(), CliError> {
    if !file.is_file() {
        return Err(CliError::new(
            codes::GENERIC,
            format!("File does not exist: {}", file.display()),
        ));
    }
    println!("Encrypting {}", file.display());
    let (name, config) = crate::helm::enter_dir_of(file, settings)?;
    let dec = dec_name(&name);
    let source = if dec.is_file() { dec } else { name.clone() };
    if is_encrypted(&crate::io::read_input(Some(&source))?) {
        return Err(CliError::new(
            codes::GENERIC,
            format!("Already encrypted: {}", source.display()),
        ));
    }
    let mut argv: Vec<&OsStr> = ["encrypt", "--input-type", "yaml", "--output-type", "yaml"]
        .map(OsStr::new)
        .to_vec();
    // Creation rules match the real name, also when the content comes from FILE.dec.
    argv.extend([OsStr::new("--filename-override"), name.as_os_str()]);
    argv.extend([OsStr::new("--output"), name.as_os_str(), source.as_os_str()]);
    match crate::helm::sops_command(&argv)? {
        Command::Encrypt(a) => crate::cmd::encrypt::run(&a, config.as_deref())?,
        _ => unreachable!("parsed an encrypt command"),
    }
    if source == name {
        println!("Encrypted {}", source.display());
    } else {
        println!("Encrypted {} to {}", source.display(), name.display());
    }
    Ok(())
}

pub(crate) fn view(file: &Path, settings: &Settings) -> Result<(), CliError> {
    let Some(bytes) = read_local(file, false, settings)? else {
        return Err(CliError::new(
            codes::GENERIC,
            format!("File does not exist: {}", file.display()),
        ));
    };
    let sources = settings.key_sources(None, None);
    let data = process(bytes, file, settings.backend, false, &sources, settings)?.data;
    let mut out = std::io::stdout().lock();
    out.write_all(&data).and_then(|_| out.flush()).map_err(|e| {
        CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            format!("Could not write to stdout: {e}"),
        )
    })
}
