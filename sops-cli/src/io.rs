//! Reading the input (a file or stdin) and writing the output (stdout, `--output`, or the input
//! file in place). Files are written by [`crate::write`]: a regular file is replaced atomically
//! at its real path with its owner, group and mode kept; FIFOs, devices and hard-linked files
//! are written through, as sops does.

use crate::cli::IoArgs;
use crate::error::{codes, CliError};
use crate::write::{write_file, NewFile, Policy, Role};
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

/// Writes `data` where the flags say: in place, to `--output`, or to stdout. Files go through
/// [`crate::write`]; `kind` decides the mode of a file that does not exist yet.
pub(crate) fn write_output(io: &IoArgs, data: &[u8], kind: NewFile) -> Result<(), CliError> {
    let target = if io.in_place {
        io.file.as_deref().map(|p| (p, Role::InPlace))
    } else {
        io.output.as_deref().map(|p| (p, Role::Output))
    };
    match target {
        Some((path, role)) => write_file(path, data, Policy::Keep(kind), role),
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
