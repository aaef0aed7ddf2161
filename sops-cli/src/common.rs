//! Steps shared by the subcommands: formats and store settings, opening an encrypted file with
//! the available keys, writing a re-encrypted file back, and `filestatus`.

use crate::cli::{FilestatusArgs, OpenArgs};
use crate::error::{codes, CliError};
use crate::keys::KeySources;
use crate::write::{write_file, NewFile, Policy, Role};
use sops_core::config::Config;
use sops_core::internal::{open_file, OpenedFile};
use sops_core::store::{Format, StoreOptions};
use sops_core::{DecryptOptions, ErrorKind, Metadata};
use std::path::Path;

/// The config of commands that use only its `stores:` settings (decrypt, exec-env, exec-file,
/// filestatus). As sops 3.11 (`LoadStoresConfig`): a missing explicit config, one that is not
/// YAML or one with fields of the wrong type is an error (exit 1), but the creation rules are
/// not checked (an invalid `path_regex` or two partial-encryption options in a rule do not stop
/// a decryption).
pub(crate) fn stores_config(explicit: Option<&Path>) -> Result<Option<Config>, CliError> {
    crate::keys::load_config(explicit)
}

/// Decryption options from `--ignore-mac` and `--decryption-order`.
pub(crate) fn decrypt_options(open: &OpenArgs) -> DecryptOptions {
    DecryptOptions {
        ignore_mac: open.ignore_mac,
        decryption_order: comma_list(open.decryption_order.as_deref()),
    }
}

/// The trimmed, non-empty items of a comma-separated flag value (none when absent).
pub(crate) fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The `--indent` given before a subcommand (`sops --indent 2 decrypt f`), which sops 3.13
/// applies to the output of every subcommand (sops 3.12 ignored it there).
static GLOBAL_INDENT: std::sync::OnceLock<i32> = std::sync::OnceLock::new();

/// Records the `--indent` given before the subcommand (see [`store_options`]).
pub(crate) fn set_global_indent(indent: i32) {
    let _ = GLOBAL_INDENT.set(indent);
}

/// Store settings: `.sops.yaml`'s `stores:` section, then `--indent` (the subcommand's own,
/// else the one given before the subcommand).
pub(crate) fn store_options(config: Option<&Config>, indent: Option<i32>) -> StoreOptions {
    let mut options = config.map(Config::stores).unwrap_or_default();
    if let Some(n) = indent.or_else(|| GLOBAL_INDENT.get().copied()) {
        if n > 0 {
            options.yaml_indent = n as usize;
        }
        options.yaml_negative_indent = n < 0;
        options.json_indent = n;
        options.json_binary_indent = n;
    }
    options
}

/// The format named by `explicit`, else the one the path implies.
pub(crate) fn format_for(path: &Path, explicit: Option<&str>) -> Format {
    explicit
        .and_then(Format::from_name)
        .unwrap_or_else(|| Format::from_path(path))
}

/// Fails with sops's exit code 100 when `path` does not exist.
pub(crate) fn require_file(path: &Path) -> Result<(), CliError> {
    if path.exists() {
        Ok(())
    } else {
        Err(CliError::new(
            codes::NO_FILE_SPECIFIED,
            format!(
                "Error: cannot operate on non-existent file {:?}",
                path.display().to_string()
            ),
        ))
    }
}

/// Maps an error from opening an encrypted file: sops reports load failures with exit 1.
pub(crate) fn open_error(sources: &KeySources, e: sops_core::Error) -> CliError {
    if e.kind() == ErrorKind::InvalidInput {
        CliError::new(codes::GENERIC, e.to_string())
    } else {
        sources.explain(e)
    }
}

/// Reads and decrypts `path` for changes. A missing file is sops's "Error reading file" (exit
/// 2), as for `sops set|unset|rotate|groups` (the legacy `-r` checks existence first: 100).
pub(crate) fn open_path(
    path: &Path,
    format: Format,
    options: &StoreOptions,
    open: &OpenArgs,
    sources: &KeySources,
) -> Result<OpenedFile, CliError> {
    let input = crate::io::read_input(Some(path))?;
    let store = format.store_with(options);
    open_file(
        &input,
        store.as_ref(),
        &sources.as_list(),
        &decrypt_options(open),
    )
    .inspect(|_| crate::log::data_key_recovered())
    .map_err(|e| open_error(sources, e))
}

/// sops's `UpdateMasterKeysWithKeyServices`: with several key groups and no threshold, the
/// threshold becomes the number of groups and is written to the file (`shamir_threshold: N`).
pub(crate) fn default_threshold(metadata: &mut Metadata) {
    let groups = metadata.key_groups.len() as u64;
    if groups > 1 && metadata.shamir_threshold == 0 {
        metadata.shamir_threshold = groups;
    }
}

/// Writes an encrypted tree to `dest` (or to stdout when `dest` is `None`) through
/// [`crate::write`]; the role picks sops's message for a target that cannot be opened.
pub(crate) fn emit_encrypted(
    dest: Option<(&Path, Role)>,
    format: Format,
    options: &StoreOptions,
    tree: &sops_core::tree::Tree,
    metadata: &Metadata,
) -> Result<(), CliError> {
    let output = format.store_with(options).emit_encrypted(tree, metadata)?;
    write_output(dest, &output)
}

/// [`emit_encrypted`] for a rewrite that changes only the metadata (`updatekeys`, `groups`) of
/// the file whose bytes are `original`. A single-document YAML file in sops 3.13's layout keeps
/// its data part byte for byte, as sops 3.13 writes its unchanged tree back: comments it kept on
/// their scalar's line (`a: ENC[…] #ENC[…]`) stay there, which the tree of sops-rs cannot
/// express. Everything else is [`emit_encrypted`].
pub(crate) fn emit_new_metadata(
    dest: Option<(&Path, Role)>,
    format: Format,
    options: &StoreOptions,
    original: &[u8],
    tree: &sops_core::tree::Tree,
    metadata: &Metadata,
) -> Result<(), CliError> {
    let output = format.store_with(options).emit_encrypted(tree, metadata)?;
    if format != Format::Yaml || metadata.layout != sops_core::MetadataLayout::Sorted {
        return write_output(dest, &output);
    }
    match (metadata_line(original), metadata_line(&output)) {
        (Some(kept), Some(new)) => {
            let mut spliced = original[..kept].to_vec();
            spliced.extend_from_slice(&output[new..]);
            write_output(dest, &spliced)
        }
        _ => write_output(dest, &output),
    }
}

/// Where the line `sops:` of a single-document YAML file begins, when it is there exactly once.
fn metadata_line(text: &[u8]) -> Option<usize> {
    let mut found = None;
    let mut start = 0;
    for line in text.split(|b| *b == b'\n') {
        if line == b"---" || line == b"..." || line.starts_with(b"--- ") {
            return None;
        }
        if line == b"sops:" {
            if found.is_some() {
                return None;
            }
            found = Some(start);
        }
        start += line.len() + 1;
    }
    found
}

fn write_output(dest: Option<(&Path, Role)>, output: &[u8]) -> Result<(), CliError> {
    match dest {
        // A new file gets 0666 less the umask, as sops creates encrypted files.
        Some((p, role)) => write_file(p, output, Policy::Keep(NewFile::Encrypted), role),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(output).map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!("Could not write to stdout: {e}"),
                )
            })
        }
    }
}

/// `filestatus`: `{"encrypted":true}` when the file has metadata with a MAC and a version.
pub(crate) fn filestatus(
    args: &FilestatusArgs,
    config_path: Option<&Path>,
) -> Result<(), CliError> {
    // sops loads the config for its `stores:` settings: one that is not YAML is exit 1.
    stores_config(config_path)?;
    let format = format_for(&args.file, args.input_type.as_deref());
    let input = std::fs::read(&args.file).map_err(|e| {
        CliError::new(
            codes::GENERIC,
            format!(
                "cannot check file status: cannot load encrypted file: Error reading file: {e}"
            ),
        )
    })?;
    let store = format.store();
    let encrypted = match store.load_encrypted(&input) {
        // Metadata that is there but does not parse (no `lastmodified`, no keys, two partial
        // options…) is an error in sops 3.11 (exit 1), not "not encrypted".
        Ok((_, meta)) => match Metadata::from_mapping(&meta) {
            Ok(m) => !m.mac.is_empty() && m.version.as_deref().is_some_and(|v| !v.is_empty()),
            Err(e) => {
                return Err(CliError::new(
                    codes::GENERIC,
                    format!(
                        "cannot check file status: cannot load encrypted file: {}",
                        e.message()
                    ),
                ))
            }
        },
        Err(e) if e.kind() == ErrorKind::InvalidInput => {
            return Err(CliError::new(
                codes::GENERIC,
                format!(
                    "cannot check file status: cannot load encrypted file: {}",
                    e.message()
                ),
            ))
        }
        Err(_) => false,
    };
    println!("{{\"encrypted\":{encrypted}}}");
    Ok(())
}
