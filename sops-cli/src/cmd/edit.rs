//! `sops-rs edit` (and a bare `sops-rs FILE`): decrypt into a private temporary file, run the
//! editor, re-encrypt with the same data key. Unchanged values keep their ciphertext (the IV
//! stash), so a diff shows only what was edited. A missing file starts from sops's example.

use crate::cli::EditArgs;
use crate::common::{emit_encrypted, format_for, open_path, store_options};
use crate::error::CliError;
use crate::keys::{encrypt_options, load_config, KeySources};
use crate::tempdir::PrivateDir;
use crate::write::Role;
use sha2::{Digest, Sha256};
use sops_core::internal::{encrypt_tree_reusing, new_metadata, wrap_data_key, IvStash};
use sops_core::store::{Format, Store, StoreOptions};
use sops_core::tree::{Mapping, Node, Scalar, SeqItem, Sequence, Tree};
use sops_core::{DataKey, Metadata, MetadataLayout, SecretText, SOPS_VERSION};
use std::io::Read;
use std::path::Path;

/// Exit codes of the editor flow.
const FILE_NOT_MODIFIED: i32 = 200;
const NO_EDITOR: i32 = 201;

pub(crate) fn run(args: &EditArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let file = args.io.file.clone().ok_or_else(|| {
        CliError::new(
            crate::error::codes::NO_FILE_SPECIFIED,
            "Error: no file specified",
        )
    })?;
    crate::tempdir::signals_cancel_the_edit();
    let in_format = format_for(&file, args.io.input_type.as_deref());
    let out_format = format_for(&file, args.io.output_type.as_deref());
    let config = load_config(config_path)?;
    let options = store_options(config.as_ref(), args.io.indent);
    let sources = KeySources::from_env();
    let in_store = in_format.store_with(&options);
    let out_store = out_format.store_with(&options);
    let (mut tree, mut metadata, data_key, mut stash) = if file.exists() {
        let opened = open_path(&file, in_format, &options, &args.open, &sources)?;
        (opened.tree, opened.metadata, opened.data_key, opened.stash)
    } else {
        let encrypt = encrypt_options(&file, config.as_ref(), &args.keys, &args.partial)?;
        let mut metadata = new_metadata(&encrypt, in_format);
        let data_key = DataKey::generate();
        wrap_data_key(&mut metadata, &data_key, &sources.as_list())?;
        (
            example(in_format, in_store.as_ref())?,
            metadata,
            data_key,
            IvStash::default(),
        )
    };
    // A file in sops 3.13's layout keeps its integers typed `int`, as sops 3.13.2 reads them.
    let in_store = if metadata.layout == MetadataLayout::Sorted {
        in_format.store_with(&StoreOptions {
            json_integers: true,
            ..options
        })
    } else {
        in_store
    };
    let shown = if args.show_master_keys {
        out_store.emit_encrypted(&tree, &metadata)?
    } else {
        out_store.emit_plain(&tree)?
    };
    let dir = PrivateDir::new()
        .map_err(|e| CliError::new(3, format!("Could not create temporary directory: {e}")))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tmp-file".to_owned());
    let temp = dir
        .write_file(&name, &shown)
        .map_err(|e| CliError::new(3, format!("Could not write temporary file: {e}")))?;
    let original = Sha256::digest(&shown);
    drop(shown);
    loop {
        run_editor(&temp)?;
        let edited = std::fs::read(&temp)
            .map_err(|e| CliError::new(2, format!("Could not read edited file: {e}")))?;
        if Sha256::digest(&edited) == original {
            return Err(CliError::new(
                FILE_NOT_MODIFIED,
                "File has not changed, exiting.",
            ));
        }
        match reload(in_store.as_ref(), &edited, args.show_master_keys, in_format) {
            Ok((branches, new_metadata)) => {
                tree.branches = branches;
                if let Some(m) = new_metadata {
                    metadata = m;
                }
                break;
            }
            Err((code, message)) => wait_for_retry(code, &message)?,
        }
    }
    if version_is_older(metadata.version.as_deref()) {
        metadata.version = Some(SOPS_VERSION.to_owned());
    }
    encrypt_tree_reusing(&mut tree, &mut metadata, &data_key, Some(&mut stash))?;
    drop(dir);
    emit_encrypted(
        Some((&file, Role::InPlace)),
        out_format,
        &options,
        &tree,
        &metadata,
    )
}

/// sops's exit code for a file that holds a top-level `sops` key.
const SOPS_KEY_IN_FILE: i32 = 203;

/// The edited document, and its metadata with `--show-master-keys`; an error is an exit code
/// (used when no terminal can answer the retry prompt) and a message.
fn reload(
    store: &dyn Store,
    edited: &[u8],
    with_metadata: bool,
    format: Format,
) -> Result<(Vec<Mapping>, Option<Metadata>), (i32, String)> {
    let invalid = |prefix: &str, e: &dyn std::fmt::Display| {
        (
            crate::error::codes::COULD_NOT_READ_INPUT,
            format!("{prefix}: {e}"),
        )
    };
    if with_metadata {
        let (tree, meta) = store
            .load_encrypted(edited)
            .map_err(|e| invalid("SOPS metadata is invalid", &e))?;
        let metadata =
            Metadata::from_mapping(&meta).map_err(|e| invalid("SOPS metadata is invalid", &e))?;
        return Ok((tree.branches, Some(metadata)));
    }
    let tree = store
        .load_plain(edited)
        .map_err(|e| invalid("Could not load tree, probably due to invalid syntax", &e))?;
    // sops 3.12.2 (#2098): a top-level `sops` key (`sops_…` in dotenv) would be written next
    // to the metadata, giving a file nobody can decrypt.
    let reserved = tree.branches.first().is_some_and(|first| {
        first.get("sops").is_some()
            || (format == Format::Dotenv && first.pairs().any(|(k, _)| k.starts_with("sops_")))
    });
    if reserved {
        return Err((
            SOPS_KEY_IN_FILE,
            "the edited file has a top-level `sops` key (or `sops_` keys in dotenv), which would clash with the file's metadata: rename it".to_owned(),
        ));
    }
    Ok((tree.branches, None))
}

/// Tells the user what is wrong and waits for a key before reopening the editor; with no
/// terminal to answer (stdin at end), gives up with the error.
fn wait_for_retry(code: i32, message: &str) -> Result<(), CliError> {
    eprintln!("{message}\nPress a key to return to the editor, or Ctrl+C to exit.");
    let mut byte = [0u8; 1];
    match std::io::stdin().read(&mut byte) {
        Ok(1) => Ok(()),
        _ => Err(CliError::new(code, message.to_owned())),
    }
}

/// The editor command: `SOPS_EDITOR`, else `EDITOR` (split like a shell), else vim, nano, vi.
fn editor_command() -> Result<Vec<String>, CliError> {
    for var in ["SOPS_EDITOR", "EDITOR"] {
        if let Ok(value) = std::env::var(var) {
            if !value.is_empty() {
                return shlex::split(&value)
                    .filter(|parts| !parts.is_empty())
                    .ok_or_else(|| {
                        CliError::new(
                            NO_EDITOR,
                            format!("Could not run editor: invalid ${var}: {value}"),
                        )
                    });
            }
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["vim", "nano", "vi"] {
        if std::env::split_paths(&path).any(|dir| dir.join(name).is_file()) {
            return Ok(vec![name.to_owned()]);
        }
    }
    Err(CliError::new(
        NO_EDITOR,
        "Could not run editor: no editor available: sops-rs uses the editor in SOPS_EDITOR or EDITOR, else vim, nano or vi, and none of them could be found",
    ))
}

fn run_editor(path: &Path) -> Result<(), CliError> {
    let parts = editor_command()?;
    let status = std::process::Command::new(&parts[0])
        .args(&parts[1..])
        .arg(path)
        .status()
        .map_err(|e| CliError::new(NO_EDITOR, format!("Could not run editor: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::new(
            NO_EDITOR,
            format!("Could not run editor: {status}"),
        ))
    }
}

/// True when the file's version is older than the one sops-rs writes (or missing).
fn version_is_older(version: Option<&str>) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.split(['.', '-'])
            .take(3)
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    match version {
        Some(v) if !v.is_empty() => parse(v) < parse(SOPS_VERSION),
        _ => true,
    }
}

fn text(s: &str) -> Node {
    Node::string(s)
}

/// The tree of a new file, as sops builds it: the store's example document (`EmitExample`),
/// loaded back with the input store (so comments and values come out exactly as a round trip
/// through the store makes them, e.g. INI comments with their leading space stripped). The
/// binary store's example is the welcome text itself.
fn example(format: Format, store: &dyn Store) -> Result<Tree, CliError> {
    let bytes = match format {
        Format::Binary => WELCOME.as_bytes().to_vec(),
        _ => store.emit_plain(&example_tree(format))?,
    };
    store.load_plain(&bytes).map_err(|e| {
        CliError::new(
            crate::error::codes::COULD_NOT_READ_INPUT,
            format!("Error unmarshalling file: {e}"),
        )
    })
}

const WELCOME: &str = "Welcome to SOPS! Edit this file as you please!";

/// The content sops puts into a new file: its example trees, by store.
fn example_tree(format: Format) -> Tree {
    let mut root = Mapping::default();
    let welcome = WELCOME;
    match format {
        Format::Yaml | Format::Json => {
            root.push("hello", text(welcome));
            root.push("example_key", text("example_value"));
            root.items
                .push(sops_core::tree::MapItem::Comment(SecretText::new(
                    " Example comment",
                )));
            let strings = ["example_value1", "example_value2"];
            root.push(
                "example_array",
                Node::Sequence(Sequence {
                    items: strings.iter().map(|s| SeqItem::Value(text(s))).collect(),
                }),
            );
            root.push("example_number", Node::Scalar(Scalar::Float(1234.56789)));
            let bools = [true, false];
            root.push(
                "example_booleans",
                Node::Sequence(Sequence {
                    items: bools
                        .iter()
                        .map(|b| SeqItem::Value(Node::Scalar(Scalar::Bool(*b))))
                        .collect(),
                }),
            );
        }
        Format::Ini => {
            let mut section = Mapping::default();
            section
                .items
                .push(sops_core::tree::MapItem::Comment(SecretText::new(
                    " This is an example file.",
                )));
            section.push("hello", text(welcome));
            section.push("example_key", text("example_value"));
            root.push("Welcome!", Node::Mapping(section));
        }
        Format::Dotenv | Format::Binary => {
            root.items
                .push(sops_core::tree::MapItem::Comment(SecretText::new(
                    " This is an example file.",
                )));
            root.push("hello", text(welcome));
            root.push("example_key", text("example_value"));
            root.push("example_multiline", text("foo\nbar\nbaz"));
        }
    }
    Tree {
        branches: vec![root],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_is_older(Some("3.7.1")));
        assert!(version_is_older(None));
        assert!(!version_is_older(Some("3.11.0")));
        assert!(!version_is_older(Some("3.13.2")));
    }
}
