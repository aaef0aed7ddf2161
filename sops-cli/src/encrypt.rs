//! `sops-rs encrypt`: encrypt a plaintext file to the given recipients.

use crate::cli::EncryptArgs;
use crate::decrypt::store_options;
use crate::error::{codes, CliError};
use crate::io::{plan, read_input, write_output};
use crate::keys::{recipient_group, KeySources};
use sops_core::{seal_tree, EncryptOptions, PartialRule};

pub(crate) fn run(args: &EncryptArgs) -> Result<(), CliError> {
    let plan = plan(&args.io, true)?;
    let partial = partial_rule(args)?;
    let group = recipient_group(args.age.as_deref())?;
    let input = read_input(plan.input_path.as_deref())?;
    let options = store_options(args.io.indent);
    let in_store = plan.input_format.store_with(&options);
    let out_store = plan.output_format.store_with(&options);
    let mut tree = in_store.load_plain(&input)?;
    let sources = KeySources::from_env();
    let encrypt_options = EncryptOptions {
        key_groups: vec![group],
        shamir_threshold: args.shamir_threshold,
        partial,
        mac_only_encrypted: args.mac_only_encrypted,
    };
    let metadata = seal_tree(
        &mut tree,
        plan.input_format,
        &sources.as_list(),
        &encrypt_options,
    )?;
    let output = out_store.emit_encrypted(&tree, &metadata)?;
    write_output(&args.io, &output)
}

/// The one partial-encryption option given; more than one is an error, as in sops.
fn partial_rule(args: &EncryptArgs) -> Result<Option<PartialRule>, CliError> {
    let given: Vec<(&str, PartialRule)> = [
        (
            "--unencrypted-suffix",
            args.unencrypted_suffix
                .clone()
                .map(PartialRule::UnencryptedSuffix),
        ),
        (
            "--encrypted-suffix",
            args.encrypted_suffix
                .clone()
                .map(PartialRule::EncryptedSuffix),
        ),
        (
            "--unencrypted-regex",
            args.unencrypted_regex
                .clone()
                .map(PartialRule::UnencryptedRegex),
        ),
        (
            "--encrypted-regex",
            args.encrypted_regex
                .clone()
                .map(PartialRule::EncryptedRegex),
        ),
        (
            "--unencrypted-comment-regex",
            args.unencrypted_comment_regex
                .clone()
                .map(PartialRule::UnencryptedCommentRegex),
        ),
        (
            "--encrypted-comment-regex",
            args.encrypted_comment_regex
                .clone()
                .map(PartialRule::EncryptedCommentRegex),
        ),
    ]
    .into_iter()
    .filter_map(|(name, rule)| rule.filter(|r| !rule_is_empty(r)).map(|r| (name, r)))
    .collect();
    match given.len() {
        0 => Ok(None),
        1 => Ok(given.into_iter().next().map(|(_, r)| r)),
        _ => Err(CliError::new(
            codes::GENERIC,
            format!(
                "cannot use more than one of {}: choose one partial-encryption option",
                given.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn rule_is_empty(rule: &PartialRule) -> bool {
    match rule {
        PartialRule::UnencryptedSuffix(s)
        | PartialRule::EncryptedSuffix(s)
        | PartialRule::UnencryptedRegex(s)
        | PartialRule::EncryptedRegex(s)
        | PartialRule::UnencryptedCommentRegex(s)
        | PartialRule::EncryptedCommentRegex(s) => s.is_empty(),
    }
}
