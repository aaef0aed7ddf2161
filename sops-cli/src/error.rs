//! The binary's error: a message for stderr and the exit code sops 3.11 uses.

use std::fmt;

/// sops's exit codes that the CLI itself produces (`cmd/sops/codes`).
pub(crate) mod codes {
    pub(crate) const GENERIC: i32 = 1;
    pub(crate) const COULD_NOT_READ_INPUT: i32 = 2;
    pub(crate) const COULD_NOT_WRITE_OUTPUT: i32 = 3;
    pub(crate) const CONFLICTING_PARAMETERS: i32 = 8;
    pub(crate) const INVALID_TREE_PATH: i32 = 91;
    pub(crate) const NO_FILE_SPECIFIED: i32 = 100;
}

/// An error that ends the process.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: i32,
    message: String,
}

impl CliError {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }
}

impl From<sops_core::Error> for CliError {
    fn from(e: sops_core::Error) -> Self {
        CliError {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
