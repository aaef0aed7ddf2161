//! The command-line surface: subcommands and flags named as in sops 3.11.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// sops-rs: encrypt and decrypt SOPS files, compatible with sops 3.11.
#[derive(Parser, Debug)]
#[command(name = "sops-rs", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Decrypt a file and print the result (stdin when no file is given).
    Decrypt(DecryptArgs),
    /// Encrypt a file and print the result (stdin when no file is given).
    Encrypt(EncryptArgs),
}

/// Flags shared by encrypt and decrypt: where the data comes from and goes to.
#[derive(Args, Debug)]
pub(crate) struct IoArgs {
    /// Write the output back to the same file instead of stdout.
    #[arg(short = 'i', long = "in-place")]
    pub(crate) in_place: bool,
    /// Save the output to this file.
    #[arg(long)]
    pub(crate) output: Option<PathBuf>,
    /// Input format: yaml, json, dotenv, ini or binary (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// Output format (default: from the file name).
    #[arg(long = "output-type")]
    pub(crate) output_type: Option<String>,
    /// Use this file name instead of the argument to pick formats (needed with stdin).
    #[arg(long = "filename-override")]
    pub(crate) filename_override: Option<PathBuf>,
    /// Indentation of YAML output (default 4) or JSON output (default a tab).
    #[arg(long)]
    pub(crate) indent: Option<i32>,
    /// The file; stdin when absent.
    pub(crate) file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    /// Print only this part of the document, e.g. '["somekey"][0]'.
    #[arg(long)]
    pub(crate) extract: Option<String>,
    /// Do not check the Message Authentication Code.
    #[arg(long = "ignore-mac")]
    pub(crate) ignore_mac: bool,
    /// Comma-separated key types to try first (default age,pgp).
    #[arg(long = "decryption-order", env = "SOPS_DECRYPTION_ORDER")]
    pub(crate) decryption_order: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    /// Comma-separated age recipients.
    #[arg(short = 'a', long = "age", env = "SOPS_AGE_RECIPIENTS")]
    pub(crate) age: Option<String>,
    /// Keys whose names end with this suffix stay in plaintext (default _unencrypted).
    #[arg(long = "unencrypted-suffix")]
    pub(crate) unencrypted_suffix: Option<String>,
    /// Only keys whose names end with this suffix are encrypted.
    #[arg(long = "encrypted-suffix")]
    pub(crate) encrypted_suffix: Option<String>,
    /// Keys matching this regular expression stay in plaintext.
    #[arg(long = "unencrypted-regex")]
    pub(crate) unencrypted_regex: Option<String>,
    /// Only keys matching this regular expression are encrypted.
    #[arg(long = "encrypted-regex")]
    pub(crate) encrypted_regex: Option<String>,
    /// Values after a comment matching this regular expression stay in plaintext.
    #[arg(long = "unencrypted-comment-regex")]
    pub(crate) unencrypted_comment_regex: Option<String>,
    /// Only values after a comment matching this regular expression are encrypted.
    #[arg(long = "encrypted-comment-regex")]
    pub(crate) encrypted_comment_regex: Option<String>,
    /// Compute the MAC over encrypted values only.
    #[arg(long = "mac-only-encrypted")]
    pub(crate) mac_only_encrypted: bool,
    /// Number of key groups needed to decrypt (Shamir secret sharing).
    #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
    pub(crate) shamir_threshold: u64,
}
