//! The flags and arguments of each subcommand, built from the shared groups of
//! [`super::shared`].

use super::shared::{IoArgs, KeyArgs, KeyChangeArgs, KeyServiceArgs, OpenArgs, PartialArgs};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    /// More files (sops-rs only): all are decrypted in one process and printed as one
    /// multi-document YAML stream, or written under --output-dir.
    #[arg(value_name = "MORE_FILES")]
    pub(crate) more_files: Vec<PathBuf>,
    /// Write each decrypted file under this directory, at its relative path, mode 0600
    /// (sops-rs only).
    #[arg(long = "output-dir", value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// Print only this part of the document, e.g. '["somekey"][0]'.
    #[arg(long)]
    pub(crate) extract: Option<String>,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
    #[command(flatten)]
    pub(crate) partial: PartialArgs,
    #[command(flatten)]
    pub(crate) services: KeyServiceArgs,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct EditArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
    #[command(flatten)]
    pub(crate) partial: PartialArgs,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// Show the metadata (master keys) in the editor too.
    #[arg(short = 's', long = "show-master-keys")]
    pub(crate) show_master_keys: bool,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    pub(crate) io: IoArgs,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    #[command(flatten)]
    pub(crate) changes: KeyChangeArgs,
    /// KMS encryption context for added keys.
    #[arg(long = "encryption-context")]
    pub(crate) encryption_context: Option<String>,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct UpdateKeysArgs {
    /// Do not ask for confirmation.
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The files to update.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct SetArgs {
    /// Read the value from the file named by the third argument.
    #[arg(long = "value-file")]
    pub(crate) value_file: bool,
    /// Read the value from stdin (then only two arguments are given).
    #[arg(long = "value-stdin")]
    pub(crate) value_stdin: bool,
    /// Do not change the file when the value is already set.
    #[arg(long)]
    pub(crate) idempotent: bool,
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// Output format (default: the input format).
    #[arg(long = "output-type")]
    pub(crate) output_type: Option<String>,
    /// Accepted for compatibility: the file keeps its key groups and threshold.
    #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
    pub(crate) shamir_threshold: u64,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The file.
    pub(crate) file: PathBuf,
    /// The path, e.g. '["key"][0]'.
    pub(crate) path: String,
    /// The value as JSON (or a file name with --value-file).
    pub(crate) value: Option<String>,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct UnsetArgs {
    /// A missing key is not an error.
    #[arg(long)]
    pub(crate) idempotent: bool,
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// Output format (default: the input format).
    #[arg(long = "output-type")]
    pub(crate) output_type: Option<String>,
    /// Accepted for compatibility: the file keeps its key groups and threshold.
    #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
    pub(crate) shamir_threshold: u64,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The file.
    pub(crate) file: PathBuf,
    /// The path, e.g. '["key"]'.
    pub(crate) path: String,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct ExecEnvArgs {
    /// Do not pass the current environment to the command.
    #[arg(long)]
    pub(crate) pristine: bool,
    /// Replace this process with the command instead of running a child.
    #[arg(long = "same-process")]
    pub(crate) same_process: bool,
    /// Accepted for compatibility; the command runs in the foreground.
    #[arg(long)]
    pub(crate) background: bool,
    /// Run the command as this user (sops-rs must run as root): their uid, groups, HOME, USER
    /// and LOGNAME.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The encrypted file.
    pub(crate) file: PathBuf,
    /// The command, run with /bin/sh -c.
    pub(crate) command: String,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct ExecFileArgs {
    /// Write a regular 0600 file instead of a FIFO.
    #[arg(long = "no-fifo")]
    pub(crate) no_fifo: bool,
    /// Name of the temporary file (default tmp-file).
    #[arg(long, default_value = "tmp-file")]
    pub(crate) filename: String,
    /// Accepted for compatibility; the command runs in the foreground.
    #[arg(long)]
    pub(crate) background: bool,
    /// Run the command as this user (sops-rs must run as root): their uid, groups, HOME, USER
    /// and LOGNAME.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// Output format of the decrypted file (default: the input format).
    #[arg(long = "output-type")]
    pub(crate) output_type: Option<String>,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The encrypted file.
    pub(crate) file: PathBuf,
    /// The command, run with /bin/sh -c; `{}` becomes the temporary file's path.
    pub(crate) command: String,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct FilestatusArgs {
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// The file.
    pub(crate) file: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct GroupsArgs {
    #[command(subcommand)]
    pub(crate) action: GroupsAction,
}

// Parsed once per process: the size of the larger variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub(crate) enum GroupsAction {
    /// Add a key group with the given keys.
    Add {
        /// The encrypted file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Write the result back to the file.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// age recipients of the new group (repeatable).
        #[arg(long = "age")]
        age: Vec<String>,
        /// PGP fingerprints of the new group (repeatable).
        #[arg(long = "pgp")]
        pgp: Vec<String>,
        /// KMS ARNs of the new group (repeatable).
        #[arg(long = "kms")]
        kms: Vec<String>,
        /// AWS profile for the new group's KMS keys.
        #[arg(long = "aws-profile")]
        aws_profile: Option<String>,
        /// KMS encryption context for the new group's KMS keys, `key:value,key:value`.
        #[arg(long = "encryption-context")]
        encryption_context: Option<String>,
        /// GCP KMS resource IDs of the new group (repeatable).
        #[arg(long = "gcp-kms")]
        gcp_kms: Vec<String>,
        /// HuaweiCloud KMS key IDs of the new group (repeatable).
        #[arg(long = "hckms")]
        hckms: Vec<String>,
        /// Azure Key Vault key URLs of the new group (repeatable).
        #[arg(long = "azure-kv")]
        azure_kv: Vec<String>,
        /// Vault transit key URIs of the new group (repeatable).
        #[arg(long = "hc-vault-transit")]
        hc_vault_transit: Vec<String>,
        /// New Shamir threshold.
        #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
        shamir_threshold: u64,
        #[command(flatten)]
        services: KeyServiceArgs,
    },
    /// Delete the key group at INDEX.
    Delete {
        /// The encrypted file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
        /// Write the result back to the file.
        #[arg(short = 'i', long = "in-place")]
        in_place: bool,
        /// New Shamir threshold.
        #[arg(long = "shamir-secret-sharing-threshold", default_value_t = 0)]
        shamir_threshold: u64,
        #[command(flatten)]
        services: KeyServiceArgs,
        /// Index of the group to delete.
        index: usize,
    },
}

/// sops's `publish` flags, accepted so that scripts get a clear error rather than a usage one.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct PublishArgs {
    /// Do not ask for confirmation.
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    /// Omit file extensions in the destination path.
    #[arg(long = "omit-extensions")]
    pub(crate) omit_extensions: bool,
    /// Publish a directory's content recursively.
    #[arg(long)]
    pub(crate) recursive: bool,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    /// The file or directory.
    pub(crate) file: Option<PathBuf>,
}

/// `keyservice`: sops's flags, and the caching agent's (`--cache-ttl`, `--stop`).
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyserviceServerArgs {
    /// Network to listen on: tcp or unix.
    #[arg(long, visible_alias = "net", default_value = "tcp")]
    pub(crate) network: String,
    /// Address to listen on.
    #[arg(long, visible_alias = "addr", default_value = "127.0.0.1:5000")]
    pub(crate) address: String,
    /// Ask before answering each request.
    #[arg(long)]
    pub(crate) prompt: bool,
    /// Keep the data keys this service unwraps in memory for this long (Go duration, e.g.
    /// `10m`) and answer the same wrapped key from memory (sops-rs only: a caching agent).
    #[arg(long = "cache-ttl", value_name = "DURATION")]
    pub(crate) cache_ttl: Option<String>,
    /// Ask the sops-rs key service at --network/--address to shut down, then exit (sops-rs
    /// only).
    #[arg(long)]
    pub(crate) stop: bool,
}

#[derive(Args, Debug)]
pub(crate) struct CompletionArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct CheckArgs {
    /// Also decrypt each file with the keys at hand and verify its MAC.
    #[arg(long = "verify-mac")]
    pub(crate) verify_mac: bool,
    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub(crate) format: String,
    /// Check what the git index holds (what a commit would record), not the work tree: for a
    /// raw git pre-commit hook. FILES are then pathspecs.
    #[arg(long)]
    pub(crate) staged: bool,
    /// The files to check (default: the files git tracks under the working directory).
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Args, Debug, Default, Clone)]
pub(crate) struct DiffTextconvArgs {
    /// Input format (default: from the file name).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// The file git passes.
    pub(crate) file: PathBuf,
}

/// `sops-rs helm ARGS…`: parsed by the Helm module (`helm.rs`), because most of it is a helm
/// command line to pass on.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct HelmArgs {
    /// `help`, a helm-secrets command, or a helm command line (`template CHART -f FILE …`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub(crate) args: Vec<std::ffi::OsString>,
}

/// `sops-rs age-keygen`: age-keygen's flags.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct AgeKeygenArgs {
    /// Generate a post-quantum hybrid ML-KEM-768 + X25519 key pair.
    #[arg(long = "pq", conflicts_with = "convert")]
    pub(crate) pq: bool,
    /// Write the result to this file (created with mode 0600; an existing file is not
    /// overwritten).
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    pub(crate) output: Option<PathBuf>,
    /// Convert an identity file (INPUT, or stdin) to a recipients file.
    #[arg(short = 'y', id = "convert")]
    pub(crate) convert: bool,
    /// With -y: the identity file to read ("-" or none: stdin).
    #[arg(value_name = "INPUT", requires = "convert")]
    pub(crate) input: Option<PathBuf>,
}
