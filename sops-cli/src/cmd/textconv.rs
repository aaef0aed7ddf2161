//! `sops-rs diff-textconv FILE`: the git `textconv` driver that makes `git diff`, `git log -p`
//! and `git show` print SOPS files in plaintext.
//!
//! ```text
//! git config diff.sopsdiffer.textconv "sops-rs diff-textconv"
//! echo '*.enc.yaml diff=sopsdiffer' >> .gitattributes
//! ```
//!
//! git runs the command with one path appended: the work-tree file, or a temporary copy of a
//! blob named `XXXXXX_<basename>`, so the format still follows the suffix. Unlike
//! `sops-rs decrypt`, which fails (and with it the whole `git diff`) when one side cannot be
//! decrypted, this prints the file as it is, with a note on stderr, when it is not a SOPS file
//! (say, the side before the file was first encrypted) or when no key at hand opens it. A file
//! whose MAC does not match is still shown decrypted, with a note. The output is the same as
//! `sops-rs decrypt` prints, so both sides of a diff line up.
//!
//! Never set `diff.sopsdiffer.cachetextconv`: git would store the plaintext in `refs/notes`.

use crate::cli::DiffTextconvArgs;
use crate::common::{format_for, store_options};
use crate::error::{codes, CliError};
use crate::keys::{load_config, KeySources};
use sops_core::internal::open_tree;
use sops_core::{DecryptOptions, ErrorKind};
use std::io::Write;

pub(crate) fn run(
    args: &DiffTextconvArgs,
    config_path: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let file = &args.file;
    let input = std::fs::read(file).map_err(|e| {
        CliError::new(
            codes::COULD_NOT_READ_INPUT,
            format!("sops-rs diff-textconv: cannot read {}: {e}", file.display()),
        )
    })?;
    let as_is = |why: &str| -> Result<(), CliError> {
        eprintln!(
            "sops-rs diff-textconv: {}: {why}; showing the file as it is",
            file.display()
        );
        write_stdout(&input)
    };
    // As for `decrypt`, only the `stores:` settings of `.sops.yaml` apply; a broken config is
    // ignored.
    let config = load_config(config_path).ok().flatten();
    let format = format_for(file, args.input_type.as_deref());
    let store = format.store_with(&store_options(config.as_ref(), None));
    if store.load_encrypted(&input).is_err() {
        return as_is("not a SOPS file");
    }
    let sources = KeySources::from_env();
    let open = |ignore_mac: bool| {
        let options = DecryptOptions {
            ignore_mac,
            ..DecryptOptions::default()
        };
        open_tree(&input, store.as_ref(), &sources.as_list(), &options)
    };
    let tree = match open(false) {
        Ok((tree, _)) => tree,
        Err(e) if e.kind() == ErrorKind::MacMismatch => {
            eprintln!(
                "sops-rs diff-textconv: {}: MAC mismatch (the file was changed outside sops); \
                 showing the values anyway",
                file.display()
            );
            match open(true) {
                Ok((tree, _)) => tree,
                Err(e) => return as_is(&format!("cannot decrypt ({})", e.message())),
            }
        }
        Err(e) if e.kind() == ErrorKind::DataKeyUnavailable => {
            return as_is("no key at hand can decrypt it");
        }
        Err(e) => return as_is(&format!("cannot decrypt ({})", e.message())),
    };
    let output = match store.emit_plain(&tree) {
        Ok(output) => zeroize::Zeroizing::new(output),
        Err(e) => return as_is(&format!("cannot print it decrypted ({})", e.message())),
    };
    write_stdout(&output)
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            CliError::new(
                codes::COULD_NOT_WRITE_OUTPUT,
                format!("Could not write to stdout: {e}"),
            )
        })
}
