//! `sops-rs decrypt FILE FILE…` and `--output-dir`: many files in one process.
//!
//! Every file is read and parsed first. The data keys of all files are then unwrapped at once,
//! one thread per file (up to [`UNWRAP_THREADS`]), through one [`UnwrapCache`]: a master key is
//! asked once per distinct wrapped data key, and remote keys (KMS) of different files wait on
//! the network together instead of one after the other. Then each file is decrypted (a large
//! one on every core) and the results are written:
//!
//! - by default, as one multi-document YAML stream on stdout (or `--output`): each file's
//!   documents in argument order, converted to YAML as `--output-type yaml` would;
//! - with `--output-dir DIR`, one file per input in its own format (or `--output-type`), at the
//!   input's relative path under DIR (the file name alone for absolute paths or paths with
//!   `..`), in directories created 0700. Each is a fresh 0600 file (an existing file there is
//!   replaced, so a wider mode does not survive); a target that is one of the inputs, or that
//!   exists and is not a regular file (a symlink, FIFO, device), is refused before anything is
//!   written.
//!
//! Nothing is written unless every file decrypts; the first failure in argument order is
//! reported with its file name and sops's exit code for it.

use crate::cli::DecryptArgs;
use crate::common::{decrypt_options, format_for, open_error, store_options};
use crate::error::{codes, CliError};
use crate::io::{read_input, write_output};
use crate::keys::KeySources;
use crate::write::{file_id, write_file, NewFile, Policy, Role, PRIVATE_MODE};
use sops_core::internal::UnwrapCache;
use sops_core::internal::{decrypt_tree, unwrap_data_key};
use sops_core::tree::Tree;
use sops_core::Error;
use sops_core::{DataKey, Format, KeySource, Metadata};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The most files whose data keys are unwrapped at the same time.
const UNWRAP_THREADS: usize = 8;

/// True when the arguments ask for several files (more than one, or `--output-dir`).
pub(crate) fn wanted(args: &DecryptArgs) -> bool {
    !args.more_files.is_empty() || args.output_dir.is_some()
}

/// One parsed input.
struct Loaded {
    path: PathBuf,
    format: Format,
    tree: Tree,
    metadata: Metadata,
}

pub(crate) fn run(args: &DecryptArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let files: Vec<PathBuf> = args
        .io
        .file
        .iter()
        .chain(&args.more_files)
        .cloned()
        .collect();
    check_flags(args, &files)?;
    let config = crate::common::stores_config(config_path)?;
    let options = store_options(config.as_ref(), args.io.indent);
    let sources = KeySources::from_env();
    let open = decrypt_options(&args.open);

    let mut loaded = Vec::with_capacity(files.len());
    for path in files {
        crate::common::require_file(&path)?;
        let format = format_for(&path, args.io.input_type.as_deref());
        let input = read_input(Some(&path))?;
        let parsed = format
            .store_with(&options)
            .load_encrypted(&input)
            .and_then(|(tree, node)| Ok((tree, Metadata::from_mapping(&node)?)));
        match parsed {
            Ok((tree, metadata)) => loaded.push(Loaded {
                path,
                format,
                tree,
                metadata,
            }),
            Err(e) => return Err(in_file(&path, open_error(&sources, e))),
        }
    }

    let cache = UnwrapCache::new();
    let cached: Vec<_> = sources
        .as_list()
        .into_iter()
        .map(|s| cache.source(s))
        .collect();
    let list: Vec<&dyn KeySource> = cached.iter().map(|c| c as &dyn KeySource).collect();
    let keys = unwrap_all(&loaded, &list, &open.decryption_order);

    for (file, key) in loaded.iter_mut().zip(keys) {
        let decrypted =
            key.and_then(|key| decrypt_tree(&mut file.tree, &file.metadata, &key, open.ignore_mac));
        if let Err(e) = decrypted {
            return Err(in_file(&file.path, open_error(&sources, e)));
        }
    }

    match &args.output_dir {
        Some(dir) => write_dir(args, &options, dir, &loaded),
        None => {
            let stream = Tree {
                branches: loaded.into_iter().flat_map(|f| f.tree.branches).collect(),
            };
            let output =
                zeroize::Zeroizing::new(Format::Yaml.store_with(&options).emit_plain(&stream)?);
            write_output(&args.io, &output, NewFile::Plaintext)
        }
    }
}

fn check_flags(args: &DecryptArgs, files: &[PathBuf]) -> Result<(), CliError> {
    let conflict = |what: &str| {
        Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            format!(
                "Error: {what} cannot be used when decrypting several files or with --output-dir"
            ),
        ))
    };
    if files.is_empty() {
        return conflict("reading stdin");
    }
    if args.extract.is_some() {
        return conflict("--extract");
    }
    if args.io.in_place {
        return conflict("--in-place");
    }
    if args.io.filename_override.is_some() {
        return conflict("--filename-override");
    }
    if args.output_dir.is_some() && args.io.output.is_some() {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --output-dir",
        ));
    }
    let output_type = args.io.output_type.as_deref().and_then(Format::from_name);
    if args.output_dir.is_none() && output_type.is_some_and(|f| f != Format::Yaml) {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: several files are printed as one YAML stream; use --output-dir to keep \
             another output type",
        ));
    }
    Ok(())
}

/// The data key of every file, unwrapped on up to [`UNWRAP_THREADS`] threads.
fn unwrap_all(
    loaded: &[Loaded],
    sources: &[&dyn KeySource],
    order: &[String],
) -> Vec<Result<DataKey, Error>> {
    let results: Mutex<Vec<Option<Result<DataKey, Error>>>> =
        Mutex::new((0..loaded.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(file) = loaded.get(i) else { break };
        let key = unwrap_data_key(&file.metadata, sources, order);
        if let Ok(mut slots) = results.lock() {
            slots[i] = Some(key);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..loaded.len().min(UNWRAP_THREADS) {
            scope.spawn(work);
        }
        work();
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|slot| {
            slot.unwrap_or_else(|| {
                Err(Error::new(
                    sops_core::ErrorKind::DataKeyUnavailable,
                    "the data key could not be unwrapped (a key backend failed)",
                ))
            })
        })
        .collect()
}

/// Where `input` goes under `dir`: its relative path, or its file name.
fn output_path(dir: &Path, input: &Path) -> PathBuf {
    let plain_relative = input
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain_relative {
        dir.join(input)
    } else {
        dir.join(input.file_name().unwrap_or(input.as_os_str()))
    }
}

fn write_dir(
    args: &DecryptArgs,
    options: &sops_core::store::StoreOptions,
    dir: &Path,
    loaded: &[Loaded],
) -> Result<(), CliError> {
    let targets: Vec<PathBuf> = loaded.iter().map(|f| output_path(dir, &f.path)).collect();
    for (i, target) in targets.iter().enumerate() {
        if let Some(j) = targets[..i].iter().position(|t| t == target) {
            return Err(CliError::new(
                codes::CONFLICTING_PARAMETERS,
                format!(
                    "Error: {} and {} would both be written to {}; pass them with paths \
                     relative to the current directory, or decrypt them separately",
                    loaded[j].path.display(),
                    loaded[i].path.display(),
                    target.display()
                ),
            ));
        }
    }
    check_targets(&targets, loaded)?;
    let mut outputs = Vec::with_capacity(loaded.len());
    for file in loaded {
        let format = args
            .io
            .output_type
            .as_deref()
            .and_then(Format::from_name)
            .unwrap_or(file.format);
        let output = format
            .store_with(options)
            .emit_plain(&file.tree)
            .map_err(|e| in_file(&file.path, e.into()))?;
        outputs.push(zeroize::Zeroizing::new(output));
    }
    for (target, output) in targets.iter().zip(&outputs) {
        if let Some(parent) = target.parent() {
            create_private_dirs(parent).map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!("Could not create directory {}: {e}", parent.display()),
                )
            })?;
        }
        write_file(target, output, Policy::Private(PRIVATE_MODE), Role::Other)?;
    }
    Ok(())
}

/// Refuses, before anything is written, a target that is one of the inputs (through any path,
/// symlink or hard link: exit 8) or that exists and is not a regular file (a symlink, FIFO,
/// device or directory: exit 3).
fn check_targets(targets: &[PathBuf], loaded: &[Loaded]) -> Result<(), CliError> {
    let inputs: std::collections::HashMap<_, &Path> = loaded
        .iter()
        .filter_map(|f| Some((file_id(&f.path)?, f.path.as_path())))
        .collect();
    for target in targets {
        if let Some(input) = file_id(target).and_then(|id| inputs.get(&id)) {
            crate::write::refuse_input(target, input)?;
        }
        match std::fs::symlink_metadata(target) {
            Ok(meta) if !meta.file_type().is_file() => {
                return Err(CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!(
                        "Could not write output file {}: it exists and is not a regular file \
                         (--output-dir writes only regular files); remove it or choose another \
                         directory",
                        target.display()
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Creates `dir` and its missing parents with mode 0700.
fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Names the file in an error about it.
fn in_file(path: &Path, e: CliError) -> CliError {
    CliError::new(e.code, format!("{}: {e}", path.display()))
}
