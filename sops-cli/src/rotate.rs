//! `sops-rs rotate` (new data key, every value re-encrypted, keys added or removed) and
//! `sops-rs updatekeys` (the same data key re-wrapped for the keys `.sops.yaml` now names).

use crate::cli::{RotateArgs, UpdateKeysArgs};
use crate::common::{emit_encrypted, format_for, open_path, store_options};
use crate::error::{codes, CliError};
use crate::keys::{kms_entries, load_config, KeySources};
use sops_core::{encrypt_tree, wrap_data_key, DataKey, KeyEntry};
use sops_keys::age::parse_recipients;
use std::io::BufRead;
use std::path::Path;

/// The string form sops uses to identify a key for `--rm-*` (recipient, fingerprint, ARN…).
fn identity(entry: &KeyEntry) -> String {
    [
        "recipient",
        "fp",
        "arn",
        "resource_id",
        "key_id",
        "vault_url",
        "vault_address",
    ]
    .iter()
    .find_map(|f| entry.field(f))
    .unwrap_or_default()
    .to_owned()
}

fn list(s: &Option<String>) -> Vec<String> {
    s.as_deref()
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn run_rotate(args: &RotateArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let file = args
        .io
        .file
        .clone()
        .ok_or_else(|| CliError::new(codes::NO_FILE_SPECIFIED, "Error: no file specified"))?;
    if args.io.in_place && args.io.output.is_some() {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --in-place",
        ));
    }
    let in_format = format_for(&file, args.io.input_type.as_deref());
    let out_format = format_for(&file, args.io.output_type.as_deref());
    let config = load_config(config_path)?;
    let options = store_options(config.as_ref(), args.io.indent);
    let sources = KeySources::from_env();
    let mut opened = open_path(&file, in_format, &options, &args.open, &sources)?;
    let metadata = &mut opened.metadata;
    if metadata.key_groups.is_empty() {
        metadata.key_groups.push(Vec::new());
    }
    let mut added = Vec::new();
    if let Some(l) = args.add_age.as_deref() {
        let recipients = parse_recipients(l)
            .map_err(|e| CliError::new(codes::GENERIC, format!("failed to parse input, {e}")))?;
        for r in recipients {
            let mut e = KeyEntry::new("age");
            e.set_field("recipient", r);
            added.push(e);
        }
    }
    for fp in list(&args.add_pgp) {
        let mut e = KeyEntry::new("pgp");
        e.set_field("fp", fp.replace(' ', ""));
        added.push(e);
    }
    if let Some(l) = args.add_kms.as_deref() {
        added.extend(kms_entries(l, args.encryption_context.as_deref(), "")?);
    }
    metadata.key_groups[0].extend(added);
    let removed: Vec<String> =
        [list(&args.rm_age), list(&args.rm_pgp), list(&args.rm_kms)].concat();
    for group in &mut metadata.key_groups {
        group.retain(|e| !removed.contains(&identity(e)));
    }
    // Keep each existing key's created_at across the re-wrap, as sops does.
    let created: Vec<Vec<Option<String>>> = metadata
        .key_groups
        .iter()
        .map(|g| {
            g.iter()
                .map(|e| e.field("created_at").map(str::to_owned))
                .collect()
        })
        .collect();
    let data_key = DataKey::generate();
    wrap_data_key(metadata, &data_key, &sources.as_list())?;
    for (group, times) in metadata.key_groups.iter_mut().zip(created) {
        for (entry, time) in group.iter_mut().zip(times) {
            if let Some(t) = time {
                entry.set_field("created_at", t);
            }
        }
    }
    encrypt_tree(&mut opened.tree, &mut opened.metadata, &data_key)?;
    let target = if args.io.in_place {
        Some(file.as_path())
    } else {
        args.io.output.as_deref()
    };
    emit_encrypted(target, out_format, &options, &opened.tree, &opened.metadata)
}

fn key_set(groups: &[Vec<KeyEntry>]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            let mut ids: Vec<String> = g
                .iter()
                .map(|e| format!("{} {}", e.key_type, identity(e)))
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

pub(crate) fn run_updatekeys(
    args: &UpdateKeysArgs,
    config_path: Option<&Path>,
) -> Result<(), CliError> {
    let config =
        load_config(config_path)?.ok_or_else(|| CliError::new(61, "config file not found"))?;
    let options = store_options(Some(&config), None);
    let sources = KeySources::from_env();
    for file in &args.files {
        let format = format_for(file, args.input_type.as_deref());
        let rule = config.rule_for(file)?.clone();
        let mut opened = open_path(file, format, &options, &args.open, &sources)?;
        let (old, new) = (
            key_set(&opened.metadata.key_groups),
            key_set(&rule.key_groups),
        );
        if old == new {
            eprintln!("File {} already up to date", file.display());
            continue;
        }
        println!("The following changes will be made to the file's groups:");
        for (i, group) in new.iter().enumerate() {
            println!("Group {}", i + 1);
            let before = old.get(i).cloned().unwrap_or_default();
            for id in group {
                println!("    {}{id}", if before.contains(id) { "" } else { "+++ " });
            }
            for id in before.iter().filter(|id| !group.contains(id)) {
                println!("--- {id}");
            }
        }
        if !args.yes && !confirm()? {
            println!("Changes have not been applied");
            continue;
        }
        let metadata = &mut opened.metadata;
        metadata.key_groups = rule.key_groups.clone();
        let groups = metadata.key_groups.len() as u64;
        let threshold = if rule.shamir_threshold != 0 {
            rule.shamir_threshold
        } else {
            metadata.shamir_threshold
        };
        metadata.shamir_threshold = if groups > 1 {
            threshold.min(groups)
        } else {
            threshold
        };
        wrap_data_key(metadata, &opened.data_key, &sources.as_list())?;
        // Values, MAC and lastmodified are untouched: the tree is written back encrypted as read.
        let encrypted = crate::io::read_input(Some(file))?;
        let store = format.store_with(&options);
        let (tree, _) = store.load_encrypted(&encrypted)?;
        emit_encrypted(Some(file), format, &options, &tree, &opened.metadata)?;
        eprintln!("File {} synced with new keys", file.display());
    }
    Ok(())
}

fn confirm() -> Result<bool, CliError> {
    use std::io::Write;
    print!("Is this okay? (y/n):");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::new(codes::COULD_NOT_READ_INPUT, e.to_string()))?;
    Ok(line.trim() == "y")
}
