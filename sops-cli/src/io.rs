//! Reading the input (a file or stdin) and writing the output (stdout, `--output`, or the input
//! file in place). Files are replaced atomically: a temporary file in the same directory,
//! fsync, rename, the original mode kept, so a failed write leaves the original intact.

use crate::cli::IoArgs;
use crate::error::{codes, CliError};
use sops_core::Format;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Where the data comes from and which formats apply, after checking the flags.
pub(crate) struct Plan {
    pub(crate) input_path: Option<PathBuf>,
    pub(crate) input_format: Format,
    pub(crate) output_format: Format,
}

/// Checks flag conflicts as sops does and picks formats: `--input-type`/`--output-type`, else
/// the file name (or `--filename-override`); on stdin without a name the output follows the
/// input type.
pub(crate) fn plan(io: &IoArgs, stdin_needs_name: bool) -> Result<Plan, CliError> {
    if io.in_place && io.output.is_some() {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: cannot operate on both --output and --in-place",
        ));
    }
    if io.in_place && io.file.is_none() {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: cannot use --in-place when reading from stdin",
        ));
    }
    if stdin_needs_name && io.file.is_none() && io.filename_override.is_none() {
        return Err(CliError::new(
            codes::CONFLICTING_PARAMETERS,
            "Error: must specify --filename-override when reading from stdin",
        ));
    }
    let name = io.filename_override.as_deref().or(io.file.as_deref());
    let named = |t: &Option<String>| t.as_deref().and_then(Format::from_name);
    let input_format = named(&io.input_type)
        .or_else(|| name.map(Format::from_path))
        .unwrap_or(Format::Binary);
    let output_format = named(&io.output_type)
        .or_else(|| name.map(Format::from_path))
        .unwrap_or(input_format);
    if let Some(path) = &io.file {
        if !path.exists() {
            return Err(CliError::new(
                codes::NO_FILE_SPECIFIED,
                format!(
                    "Error: cannot operate on non-existent file {:?}",
                    path.display().to_string()
                ),
            ));
        }
    }
    Ok(Plan {
        input_path: io.file.clone(),
        input_format,
        output_format,
    })
}

/// Reads the whole input.
pub(crate) fn read_input(path: Option<&Path>) -> Result<Vec<u8>, CliError> {
    match path {
        Some(p) => std::fs::read(p).map_err(|e| {
            CliError::new(
                codes::COULD_NOT_READ_INPUT,
                format!("Error reading file {}: {e}", p.display()),
            )
        }),
        None => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_READ_INPUT,
                    format!("Error reading from stdin: {e}"),
                )
            })?;
            Ok(buf)
        }
    }
}

/// What is being written, which decides the mode of a newly created `--output` file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputKind {
    /// Decrypted data: a new file gets mode 0600 (sops would use 0644 less the umask).
    Plaintext,
    /// An encrypted file: a new file gets 0666 less the umask, as sops does.
    Encrypted,
}

/// Writes `data` where the flags say: in place, to `--output`, or to stdout.
pub(crate) fn write_output(io: &IoArgs, data: &[u8], kind: OutputKind) -> Result<(), CliError> {
    let target = if io.in_place {
        io.file.as_deref()
    } else {
        io.output.as_deref()
    };
    match target {
        Some(path) => replace_file_as(path, data, kind).map_err(|e| {
            CliError::new(
                codes::COULD_NOT_WRITE_OUTPUT,
                format!("Could not write output file {}: {e}", path.display()),
            )
        }),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(data).and_then(|_| out.flush()).map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!("Could not write to stdout: {e}"),
                )
            })
        }
    }
}

fn default_mode(kind: OutputKind) -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if kind == OutputKind::Encrypted {
            return Some(std::fs::Permissions::from_mode(0o666 & !umask()));
        }
    }
    let _ = kind;
    None
}

/// The process umask, from `/proc/self/status` (Linux); 022 where it cannot be read.
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// Atomically replaces (or creates) `path` with `data`, keeping an existing file's mode; a
/// newly created file's mode depends on what it holds (see [`OutputKind`]).
pub(crate) fn replace_file_as(path: &Path, data: &[u8], kind: OutputKind) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mode = std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions())
        .or_else(|| default_mode(kind));
    let mut temp = tempfile::Builder::new()
        .prefix(".sops-rs-")
        .tempfile_in(&dir)?;
    temp.write_all(data)?;
    if let Some(perms) = mode {
        temp.as_file().set_permissions(perms)?;
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
