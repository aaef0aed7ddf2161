//! `sops-rs rotate` (new data key, every value re-encrypted, keys added or removed) and
//! `sops-rs updatekeys` (the same data key re-wrapped for the keys `.sops.yaml` now names;
//! several files with `--yes` on several threads).

use crate::cli::{RotateArgs, UpdateKeysArgs};
use crate::common::{comma_list, emit_encrypted, format_for, open_path, store_options};
use crate::error::{codes, CliError};
use crate::keys::{kms_entries, load_config, unsupported_entries, KeySources};
use crate::write::Role;
use sops_core::internal::{encrypt_tree, wrap_data_key};
use sops_core::{DataKey, KeyEntry};
use sops_keys::age::parse_recipients;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The string form sops uses to identify a key for `--rm-*` (recipient, fingerprint, ARN…,
/// the key URI of a Vault transit key).
fn identity(entry: &KeyEntry) -> String {
    if let Some(uri) = sops_keys::vault::entry_uri(entry) {
        return uri;
    }
    // sops names an Azure key by its URL, `{vault_url}/keys/{name}/{version}`.
    if let (Some(vault), Some(name)) = (entry.field("vault_url"), entry.field("name")) {
        let version = entry.field("version").unwrap_or_default();
        return format!("{vault}/keys/{name}/{version}");
    }
    entry.identity().unwrap_or_default().to_owned()
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
    if let Some(l) = args.changes.add_age.as_deref() {
        let recipients =
            parse_recipients(l).map_err(|e| CliError::new(codes::GENERIC, e.to_string()))?;
        for r in recipients {
            let mut e = KeyEntry::new("age");
            e.set_field("recipient", r);
            added.push(e);
        }
    }
    for fp in comma_list(args.changes.add_pgp.as_deref()) {
        let mut e = KeyEntry::new("pgp");
        e.set_field("fp", fp.replace(' ', ""));
        added.push(e);
    }
    if let Some(l) = args.changes.add_kms.as_deref() {
        added.extend(kms_entries(l, args.encryption_context.as_deref(), "")?);
    }
    let c = &args.changes;
    for (list, key_type) in [
        (&c.add_gcp_kms, "gcp_kms"),
        (&c.add_azure_kv, "azure_kv"),
        (&c.add_hc_vault_transit, "hc_vault"),
        (&c.add_hckms, "hckms"),
    ] {
        if let Some(list) = list.as_deref() {
            added.extend(unsupported_entries(key_type, list));
        }
    }
    metadata.key_groups[0].extend(added);
    let removed: Vec<String> = [
        &c.rm_age,
        &c.rm_pgp,
        &c.rm_kms,
        &c.rm_gcp_kms,
        &c.rm_azure_kv,
        &c.rm_hc_vault_transit,
        &c.rm_hckms,
    ]
    .map(|list| comma_list(list.as_deref()))
    .concat();
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
    if metadata.key_groups.iter().any(Vec::is_empty) {
        // sops 3.11: `rotate --rm-age` of the last key of a group is exit 1.
        return Err(CliError::new(
            codes::GENERIC,
            "Could not generate data key: [empty key group provided]",
        ));
    }
    crate::common::default_threshold(metadata);
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
        Some((file.as_path(), Role::InPlace))
    } else {
        args.io.output.as_deref().map(|p| (p, Role::Output))
    };
    emit_encrypted(target, out_format, &options, &opened.tree, &opened.metadata)
}

/// sops's `DiffKeyGroups` for one group index: the new group's keys already in the old one
/// (in the new order), the new ones, and the old ones that go (keys compared by `ToString`).
struct GroupDiff {
    common: Vec<String>,
    added: Vec<String>,
    removed: Vec<String>,
}

fn diff_key_groups(old: &[Vec<KeyEntry>], new: &[Vec<KeyEntry>]) -> Vec<GroupDiff> {
    let ids = |g: Option<&Vec<KeyEntry>>| -> Vec<String> {
        g.map(|g| g.iter().map(identity).collect())
            .unwrap_or_default()
    };
    (0..old.len().max(new.len()))
        .map(|i| {
            let (ours, theirs) = (ids(old.get(i)), ids(new.get(i)));
            let (common, added) = theirs.iter().cloned().partition(|k| ours.contains(k));
            let removed = ours.into_iter().filter(|k| !theirs.contains(k)).collect();
            GroupDiff {
                common,
                added,
                removed,
            }
        })
        .collect()
}

/// `updatekeys FILE…`, as sops 3.11: for one file its error (and exit code) is returned as is;
/// with several, each failure is reported and the command fails at the end. Several files with
/// `--yes` are opened and written on several threads ([`run_many`]), printing what the
/// file-by-file run prints, in the same order on stdout and on stderr.
pub(crate) fn run_updatekeys(
    args: &UpdateKeysArgs,
    config_path: Option<&Path>,
) -> Result<(), CliError> {
    let config = load_config(config_path)?
        .ok_or_else(|| CliError::new(codes::GENERIC, "config file not found"))?;
    let options = store_options(Some(&config), None);
    let sources = KeySources::from_env();
    if args.files.len() > 1 && args.yes && !has_duplicates(&args.files) {
        return run_many(args, &config, &options, &sources);
    }
    let mut failed = 0;
    for file in &args.files {
        let result = update_file(args, &config, &options, &sources, file);
        if args.files.len() == 1 {
            return result;
        }
        if let Err(e) = result {
            eprintln!("{e}");
            failed += 1;
        }
    }
    failed_updating(failed)
}

fn failed_updating(failed: usize) -> Result<(), CliError> {
    if failed > 0 {
        return Err(CliError::new(
            codes::GENERIC,
            format!("failed updating {failed} key(s)"),
        ));
    }
    Ok(())
}

/// True when a file is named twice (through any path): the second run depends on the first,
/// so such a list goes file by file.
fn has_duplicates(files: &[PathBuf]) -> bool {
    let ids: Vec<PathBuf> = files
        .iter()
        .map(|f| f.canonicalize().unwrap_or_else(|_| f.clone()))
        .collect();
    ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id))
}

/// Several files with `--yes`: every file is opened on a worker thread, the changes are
/// printed in argument order, the changed files are written on worker threads, and then the
/// outcome of each file is reported in argument order.
fn run_many(
    args: &UpdateKeysArgs,
    config: &sops_core::config::Config,
    options: &sops_core::store::StoreOptions,
    sources: &KeySources,
) -> Result<(), CliError> {
    let prepared = crate::cmd::parallel::map(&args.files, |file| {
        prepare(args, config, options, sources, file)
    });
    for change in prepared.iter().flatten().flatten() {
        print!("{}", change.describe());
    }
    let written = crate::cmd::parallel::map(&prepared, |p| match p {
        Ok(Some(change)) => Some(apply(change, options, sources)),
        _ => None,
    });
    let mut failed = 0;
    for ((file, prepared), written) in args.files.iter().zip(prepared).zip(written) {
        match (prepared, written) {
            (Err(e), _) | (_, Some(Err(e))) => {
                eprintln!("{e}");
                failed += 1;
            }
            (Ok(None), _) => eprintln!("File {} already up to date", absolute(file).display()),
            (Ok(Some(_)), _) => {
                eprintln!("File {} synced with new keys", absolute(file).display())
            }
        }
    }
    failed_updating(failed)
}

/// One file's update, worked out and not yet written.
struct Change {
    file: PathBuf,
    format: sops_core::Format,
    /// The metadata with the rule's key groups and threshold (data key not yet wrapped).
    metadata: sops_core::Metadata,
    data_key: DataKey,
    diffs: Vec<GroupDiff>,
    old_threshold: u64,
    threshold: u64,
}

impl Change {
    /// sops's description of the change (stdout, before the prompt).
    fn describe(&self) -> String {
        use std::fmt::Write;
        let mut out = String::from("The following changes will be made to the file's groups:\n");
        let (old, new) = (self.old_threshold, self.threshold);
        if old > 0 && old == new {
            let _ = writeln!(out, "shamir_threshold: {new}");
        } else {
            if new > 0 {
                let _ = writeln!(out, "+++ shamir_threshold: {new}");
            }
            if old > 0 {
                let _ = writeln!(out, "--- shamir_threshold: {old}");
            }
        }
        for (i, diff) in self.diffs.iter().enumerate() {
            let _ = writeln!(out, "Group {}", i + 1);
            for k in &diff.common {
                let _ = writeln!(out, "    {k}");
            }
            for k in &diff.added {
                let _ = writeln!(out, "+++ {k}");
            }
            for k in &diff.removed {
                let _ = writeln!(out, "--- {k}");
            }
        }
        out
    }
}

fn update_file(
    args: &UpdateKeysArgs,
    config: &sops_core::config::Config,
    options: &sops_core::store::StoreOptions,
    sources: &KeySources,
    file: &Path,
) -> Result<(), CliError> {
    let Some(change) = prepare(args, config, options, sources, file)? else {
        eprintln!("File {} already up to date", absolute(file).display());
        return Ok(());
    };
    print!("{}", change.describe());
    if !args.yes && !confirm()? {
        eprintln!("File {} left unchanged", absolute(file).display());
        return Ok(());
    }
    apply(&change, options, sources)?;
    eprintln!("File {} synced with new keys", absolute(file).display());
    Ok(())
}

/// Opens `file` and compares its key groups with its creation rule's: `None` when up to date.
fn prepare(
    args: &UpdateKeysArgs,
    config: &sops_core::config::Config,
    options: &sops_core::store::StoreOptions,
    sources: &KeySources,
    file: &Path,
) -> Result<Option<Change>, CliError> {
    // sops stats the file first: a missing file or a directory is a generic error (exit 1).
    let meta = std::fs::metadata(file).map_err(|e| {
        CliError::new(
            codes::GENERIC,
            format!("stat {}: {e}", absolute(file).display()),
        )
    })?;
    if meta.is_dir() {
        return Err(CliError::new(
            codes::GENERIC,
            "can't operate on a directory",
        ));
    }
    let format = format_for(file, args.input_type.as_deref());
    let rule = config.rule_for(file).map_err(crate::keys::config_error)?;
    let opened = open_path(file, format, options, &args.open, sources)?;
    let diffs = diff_key_groups(&opened.metadata.key_groups, rule.key_groups());
    let keys_change = diffs
        .iter()
        .any(|d| !d.added.is_empty() || !d.removed.is_empty());
    // As sops 3.11: the file's threshold, capped by the number of groups of the rule (the
    // rule's own shamir_threshold is not used by updatekeys).
    let old_threshold = opened.metadata.shamir_threshold;
    let threshold = old_threshold.min(rule.key_groups().len() as u64);
    if !keys_change && threshold == old_threshold {
        return Ok(None);
    }
    let mut metadata = opened.metadata;
    metadata.key_groups = rule.key_groups().to_vec();
    metadata.shamir_threshold = threshold;
    crate::common::default_threshold(&mut metadata);
    Ok(Some(Change {
        file: file.to_path_buf(),
        format,
        metadata,
        data_key: opened.data_key,
        diffs,
        old_threshold,
        threshold,
    }))
}

/// Wraps the data key for the new groups and writes the file back.
fn apply(
    change: &Change,
    options: &sops_core::store::StoreOptions,
    sources: &KeySources,
) -> Result<(), CliError> {
    let mut metadata = change.metadata.clone();
    wrap_data_key(&mut metadata, &change.data_key, &sources.as_list())?;
    // Values, MAC and lastmodified are untouched: the tree is written back encrypted as read.
    let encrypted = crate::io::read_input(Some(&change.file))?;
    let store = change.format.store_with(options);
    let (tree, _) = store.load_encrypted(&encrypted)?;
    crate::common::emit_new_metadata(
        Some((&change.file, Role::InPlace)),
        change.format,
        options,
        &encrypted,
        &tree,
        &metadata,
    )
}

fn absolute(file: &Path) -> std::path::PathBuf {
    std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf())
}

/// sops's prompt: asks until the answer is `y` or `n`; end of input is an error (exit 1).
fn confirm() -> Result<bool, CliError> {
    use std::io::Write;
    loop {
        print!("Is this okay? (y/n):");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let read = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::new(codes::GENERIC, e.to_string()))?;
        if read == 0 {
            return Err(CliError::new(codes::GENERIC, "EOF"));
        }
        match line.trim() {
            "y" => return Ok(true),
            "n" => return Ok(false),
            _ => {}
        }
    }
}
