//! `sops-rs decrypt`: open an encrypted file and print (or write) its plaintext.

use crate::cli::DecryptArgs;
use crate::cmd::extract::{lookup, parse_path};
use crate::common::{decrypt_options, open_error, store_options};
use crate::error::CliError;
use crate::io::{plan, read_input, write_output};
use crate::keys::KeySources;
use crate::write::NewFile;
use sops_core::internal::open_loaded;
use sops_core::tree::{Node, Scalar};
use std::path::Path;

pub(crate) fn run(args: &DecryptArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    if crate::cmd::decrypt_many::wanted(args) {
        return crate::cmd::decrypt_many::run(args, config_path);
    }
    let plan = plan(&args.io, false)?;
    let extract = args.extract.as_deref().map(parse_path).transpose()?;
    // Decryption ignores creation rules, but `stores:` settings apply (see `stores_config`).
    let config = crate::common::stores_config(config_path)?;
    let options = store_options(config.as_ref(), args.io.indent);
    let input = read_input(plan.input_path.as_deref())?;
    let in_store = plan.input_format.store_with(&options);
    let out_store = plan.output_format.store_with(&options);
    let sources = KeySources::from_env();
    // The file's bytes are freed once parsed: the tree holds what is needed.
    let (tree, _metadata) = in_store
        .load_encrypted(&input)
        .and_then(|(tree, metadata_node)| {
            drop(input);
            open_loaded(
                tree,
                &metadata_node,
                &sources.as_list(),
                &decrypt_options(&args.open),
            )
        })
        .map_err(|e| open_error(&sources, e))?;
    crate::log::data_key_recovered();
    // The printed plaintext is zeroized once written, like the values it was made from.
    let output = zeroize::Zeroizing::new(match extract {
        None => out_store.emit_plain(&tree)?,
        Some(steps) => {
            let first = tree.branches.first().cloned().unwrap_or_default();
            match lookup(&first, &steps)? {
                Node::Scalar(Scalar::Str(s)) => s.as_bytes().to_vec(),
                Node::Scalar(Scalar::Bytes(b)) => b.secret_bytes().to_vec(),
                node => out_store.emit_value(&node)?,
            }
        }
    });
    write_output(&args.io, &output, NewFile::Plaintext)
}
