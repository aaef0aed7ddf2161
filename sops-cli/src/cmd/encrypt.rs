//! `sops-rs encrypt`: encrypt a plaintext file to the keys from flags or `.sops.yaml`.

use crate::cli::EncryptArgs;
use crate::common::store_options;
use crate::error::CliError;
use crate::io::{plan, read_input, write_output};
use crate::keys::{encrypt_options, load_config, KeySources};
use crate::write::NewFile;
use sops_core::internal::seal_tree;
use std::path::{Path, PathBuf};

pub(crate) fn run(args: &EncryptArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let plan = plan(&args.io, true)?;
    let config = load_config(config_path)?;
    let name: PathBuf = args
        .io
        .filename_override
        .clone()
        .or_else(|| args.io.file.clone())
        .unwrap_or_default();
    let encrypt_options = encrypt_options(&name, config.as_ref(), &args.keys, &args.partial)?;
    let options = store_options(config.as_ref(), args.io.indent);
    let input = read_input(plan.input_path.as_deref())?;
    let in_store = plan.input_format.store_with(&options);
    let out_store = plan.output_format.store_with(&options);
    let mut tree = in_store.load_plain(&input)?;
    let sources = KeySources::from_env();
    let metadata = seal_tree(
        &mut tree,
        plan.input_format,
        &sources.as_list(),
        &encrypt_options,
    )?;
    let output = out_store.emit_encrypted(&tree, &metadata)?;
    write_output(&args.io, &output, NewFile::Encrypted)
}
