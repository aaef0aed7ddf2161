//! `sops-rs groups add|delete`: change the key groups of a file, re-splitting the same data key
//! with Shamir secret sharing across the new groups.

use crate::cli::{GroupsAction, GroupsArgs, OpenArgs};
use crate::common::{emit_new_metadata, format_for, open_path, store_options};
use crate::error::{codes, CliError};
use crate::keys::{kms_entries, load_config, unsupported_entries, KeySources};
use crate::write::Role;
use sops_core::internal::wrap_data_key;
use sops_core::KeyEntry;
use std::path::Path;

pub(crate) fn run(args: &GroupsArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let (file, in_place, threshold) = match &args.action {
        GroupsAction::Add {
            file,
            in_place,
            shamir_threshold,
            ..
        } => (file, *in_place, *shamir_threshold),
        GroupsAction::Delete {
            file,
            in_place,
            shamir_threshold,
            ..
        } => (file, *in_place, *shamir_threshold),
    };
    let format = format_for(file, None);
    let config = load_config(config_path)?;
    let options = store_options(config.as_ref(), None);
    let sources = KeySources::from_env();
    // sops 3.11 reports a data key it cannot get as a plain error here: exit 1, not 128.
    let mut opened =
        open_path(file, format, &options, &OpenArgs::default(), &sources).map_err(|e| {
            match e.code {
                128 => CliError::new(codes::GENERIC, e.to_string()),
                _ => e,
            }
        })?;
    let metadata = &mut opened.metadata;
    match &args.action {
        GroupsAction::Add {
            age,
            pgp,
            kms,
            aws_profile,
            encryption_context,
            gcp_kms,
            hckms,
            azure_kv,
            hc_vault_transit,
            ..
        } => {
            let mut group = Vec::new();
            for r in age {
                let mut e = KeyEntry::new("age");
                e.set_field("recipient", r.trim());
                group.push(e);
            }
            for fp in pgp {
                let mut e = KeyEntry::new("pgp");
                e.set_field("fp", fp.replace(' ', ""));
                group.push(e);
            }
            for arn in kms {
                group.extend(kms_entries(
                    arn,
                    encryption_context.as_deref(),
                    aws_profile.as_deref().unwrap_or(""),
                )?);
            }
            for (lists, key_type) in [
                (gcp_kms, "gcp_kms"),
                (azure_kv, "azure_kv"),
                (hc_vault_transit, "hc_vault"),
                (hckms, "hckms"),
            ] {
                for list in lists {
                    group.extend(unsupported_entries(key_type, list));
                }
            }
            metadata.key_groups.push(group);
        }
        GroupsAction::Delete { index, .. } => {
            if *index >= metadata.key_groups.len() {
                return Err(CliError::new(
                    codes::GENERIC,
                    format!(
                        "key group {index} does not exist: the file has {} groups",
                        metadata.key_groups.len()
                    ),
                ));
            }
            metadata.key_groups.remove(*index);
        }
    }
    if threshold != 0 {
        metadata.shamir_threshold = threshold;
    }
    let groups = metadata.key_groups.len() as u64;
    if metadata.shamir_threshold > groups {
        if matches!(args.action, GroupsAction::Delete { .. }) {
            // sops 3.11 refuses this (exit 1) rather than lowering the threshold.
            return Err(CliError::new(
                codes::GENERIC,
                format!(
                    "removing this key group will make the Shamir threshold impossible to \
                     satisfy: Shamir threshold is {}, but we only have {groups} key groups",
                    metadata.shamir_threshold
                ),
            ));
        }
        metadata.shamir_threshold = groups;
    }
    crate::common::default_threshold(metadata);
    wrap_data_key(metadata, &opened.data_key, &sources.as_list())?;
    let encrypted = crate::io::read_input(Some(file))?;
    let (tree, _) = format.store_with(&options).load_encrypted(&encrypted)?;
    emit_new_metadata(
        in_place.then_some((file.as_path(), Role::InPlace)),
        format,
        &options,
        &encrypted,
        &tree,
        &opened.metadata,
    )
}
