//! `sops-rs decrypt`: open an encrypted file and print (or write) its plaintext.

use crate::cli::DecryptArgs;
use crate::error::{codes, CliError};
use crate::extract::{lookup, parse_path};
use crate::io::{plan, read_input, write_output};
use crate::keys::KeySources;
use sops_core::store::StoreOptions;
use sops_core::tree::{Node, Scalar};
use sops_core::{open_tree, DecryptOptions, ErrorKind};

pub(crate) fn run(args: &DecryptArgs) -> Result<(), CliError> {
    let plan = plan(&args.io, false)?;
    let extract = args.extract.as_deref().map(parse_path).transpose()?;
    let input = read_input(plan.input_path.as_deref())?;
    let options = store_options(args.io.indent);
    let in_store = plan.input_format.store_with(&options);
    let out_store = plan.output_format.store_with(&options);
    let sources = KeySources::from_env();
    let decrypt_options = DecryptOptions {
        ignore_mac: args.ignore_mac,
        decryption_order: args
            .decryption_order
            .as_deref()
            .map(|s| {
                s.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let (tree, _metadata) = open_tree(
        &input,
        in_store.as_ref(),
        &sources.as_list(),
        &decrypt_options,
    )
    .map_err(|e| {
        // sops reports every load failure of an encrypted file with exit code 1.
        if e.kind() == ErrorKind::InvalidInput {
            CliError::new(codes::GENERIC, e.to_string())
        } else {
            sources.explain(e)
        }
    })?;
    let output = match extract {
        None => out_store.emit_plain(&tree)?,
        Some(steps) => {
            let first = tree.branches.first().cloned().unwrap_or_default();
            match lookup(&first, &steps)? {
                Node::Scalar(Scalar::Str(s)) => s.as_bytes().to_vec(),
                Node::Scalar(Scalar::Bytes(b)) => b.secret_bytes().to_vec(),
                node => out_store.emit_value(&node)?,
            }
        }
    };
    write_output(&args.io, &output)
}

/// Store settings from `--indent` (the `.sops.yaml` `stores:` section comes with issue 6).
pub(crate) fn store_options(indent: Option<i32>) -> StoreOptions {
    let mut options = StoreOptions::default();
    if let Some(n) = indent {
        if n > 0 {
            options.yaml_indent = n as usize;
        }
        options.json_indent = n;
        options.json_binary_indent = n;
    }
    options
}
