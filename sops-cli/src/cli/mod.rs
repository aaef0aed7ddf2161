//! The command-line surface: subcommands and flags named as in sops 3.11, plus the legacy
//! flag forms (`sops -d FILE`, `sops -e`, `-r`, `--set`, and a bare `sops FILE` that edits)
//! that scripts and helm-secrets still use.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// sops-rs: encrypt, decrypt and edit SOPS files, compatible with sops 3.11.
#[derive(Parser, Debug)]
#[command(
    name = "sops-rs",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    args_override_self = true,
    disable_version_flag = true
)]
pub(crate) struct Cli {
    /// Print the version (`-v` as in sops, or `-V`).
    #[arg(short = 'v', long = "version", visible_short_alias = 'V', action = clap::ArgAction::Version)]
    version: (),
    /// Path to the .sops.yaml config (default: search upward from the working directory).
    #[arg(long, global = true, env = "SOPS_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Accepted for compatibility; sops-rs never checks for updates.
    #[arg(long = "disable-version-check", global = true, hide = true)]
    pub(crate) disable_version_check: bool,
    /// Log on stderr, as sops does, which master key recovered or wrapped the data key.
    #[arg(long, global = true)]
    pub(crate) verbose: bool,
    /// Accepted for compatibility; sops-rs never checks for updates.
    #[arg(long = "check-for-updates", global = true, hide = true)]
    pub(crate) check_for_updates: bool,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) legacy: LegacyArgs,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Decrypt a file and print the result (stdin when no file is given).
    Decrypt(DecryptArgs),
    /// Encrypt a file and print the result (stdin when no file is given).
    Encrypt(EncryptArgs),
    /// Edit an encrypted file in $SOPS_EDITOR / $EDITOR; creates it if missing.
    Edit(EditArgs),
    /// Generate a new data key and re-encrypt every value.
    Rotate(RotateArgs),
    /// Re-wrap the data key for the keys the matching creation rule names.
    Updatekeys(UpdateKeysArgs),
    /// Set one value: `set FILE '["key"][0]' JSON-VALUE`.
    Set(SetArgs),
    /// Remove one value: `unset FILE '["key"]'`.
    Unset(UnsetArgs),
    /// Run a command with the file's top-level values as environment variables.
    #[command(name = "exec-env")]
    ExecEnv(ExecEnvArgs),
    /// Run a command with the decrypted file at a temporary path (`{}` in the command).
    #[command(name = "exec-file")]
    ExecFile(ExecFileArgs),
    /// Print whether a file is encrypted, as JSON: {"encrypted":true}.
    Filestatus(FilestatusArgs),
    /// Add or delete key groups.
    Groups(GroupsArgs),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// sops's `publish` (not implemented by sops-rs; its flags are accepted).
    Publish(PublishArgs),
    /// sops's key service server (not implemented by sops-rs; its flags are accepted).
    Keyservice(KeyserviceServerArgs),
    /// Pre-commit guard: fail when a file a creation rule matches is not encrypted as required.
    Check(CheckArgs),
    /// git textconv driver: print a SOPS file decrypted, or as it is when that is impossible.
    #[command(name = "diff-textconv")]
    DiffTextconv(DiffTextconvArgs),
    /// Helm: helm-secrets' commands (encrypt, decrypt, edit, …), `install-plugin` for
    /// `-f secrets://FILE`, and any helm command line run with decrypted values.
    #[command(disable_help_flag = true)]
    Helm(HelmArgs),
}

impl Command {
    /// The key-service flags of a subcommand that uses master keys.
    pub(crate) fn key_services(&self) -> Option<&KeyServiceArgs> {
        match self {
            Command::Decrypt(a) => Some(&a.open.services),
            Command::Encrypt(a) => Some(&a.services),
            Command::Edit(a) => Some(&a.open.services),
            Command::Rotate(a) => Some(&a.open.services),
            Command::Updatekeys(a) => Some(&a.open.services),
            Command::Set(a) => Some(&a.open.services),
            Command::Unset(a) => Some(&a.open.services),
            Command::ExecEnv(a) => Some(&a.open.services),
            Command::ExecFile(a) => Some(&a.open.services),
            Command::Groups(g) => match &g.action {
                GroupsAction::Add { services, .. } | GroupsAction::Delete { services, .. } => {
                    Some(services)
                }
            },
            _ => None,
        }
    }
}

/// Where data comes from and goes to.
#[derive(Args, Debug, Default, Clone)]
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
    /// Use this file name instead of the argument to pick formats and rules (needed with stdin).
    #[arg(long = "filename-override")]
    pub(crate) filename_override: Option<PathBuf>,
    /// Indentation of YAML output (default 4) or JSON output (default a tab).
    #[arg(long)]
    pub(crate) indent: Option<i32>,
    /// The file; stdin when absent.
    pub(crate) file: Option<PathBuf>,
}

/// Master keys to encrypt to. Any of these replaces the keys of `.sops.yaml` completely.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyArgs {
    /// Comma-separated age recipients.
    #[arg(short = 'a', long = "age", env = "SOPS_AGE_RECIPIENTS")]
    pub(crate) age: Option<String>,
    /// Comma-separated PGP fingerprints.
    #[arg(short = 'p', long = "pgp", env = "SOPS_PGP_FP")]
    pub(crate) pgp: Option<String>,
    /// Comma-separated AWS KMS ARNs (`ARN+ROLE_ARN` assumes a role).
    #[arg(short = 'k', long = "kms", env = "SOPS_KMS_ARN")]
    pub(crate) kms: Option<String>,
    /// KMS encryption context, `key:value,key:value`.
    #[arg(long = "encryption-context")]
    pub(crate) encryption_context: Option<String>,
    /// AWS profile for KMS keys.
    #[arg(long = "aws-profile")]
    pub(crate) aws_profile: Option<String>,
    /// GCP KMS resource IDs (sops-rs cannot use them yet).
    #[arg(long = "gcp-kms", env = "SOPS_GCP_KMS_IDS")]
    pub(crate) gcp_kms: Option<String>,
    /// Azure Key Vault key URLs (sops-rs cannot use them yet).
    #[arg(long = "azure-kv", env = "SOPS_AZURE_KEYVAULT_URLS")]
    pub(crate) azure_kv: Option<String>,
    /// HashiCorp Vault transit URIs (sops-rs cannot use them yet).
    #[arg(long = "hc-vault-transit", env = "SOPS_VAULT_URIS")]
    pub(crate) hc_vault_transit: Option<String>,
    /// HuaweiCloud KMS key IDs (sops-rs cannot use them yet).
    #[arg(long = "hckms", env = "SOPS_HUAWEICLOUD_KMS_IDS")]
    pub(crate) hckms: Option<String>,
}

/// Which values are encrypted. A non-empty flag overrides `.sops.yaml`.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct PartialArgs {
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

/// How decryption treats the file.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct OpenArgs {
    /// Do not check the Message Authentication Code.
    #[arg(long = "ignore-mac")]
    pub(crate) ignore_mac: bool,
    /// Comma-separated key types to try first (default age,pgp).
    #[arg(long = "decryption-order", env = "SOPS_DECRYPTION_ORDER")]
    pub(crate) decryption_order: Option<String>,
    #[command(flatten)]
    pub(crate) services: KeyServiceArgs,
}

/// sops's key-service flags. The local keys are always used; remote key services are not
/// supported yet, so naming one is an error once keys are needed.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyServiceArgs {
    /// Key services besides the local one, `tcp://host:port` or `unix:///path` (repeatable;
    /// sops-rs cannot use them yet).
    #[arg(long = "keyservice", env = "SOPS_KEYSERVICE", value_delimiter = ',')]
    pub(crate) keyservice: Vec<String>,
    /// Use the local key service (sops-rs always does).
    #[arg(
        long = "enable-local-keyservice",
        env = "SOPS_ENABLE_LOCAL_KEYSERVICE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub(crate) enable_local_keyservice: bool,
}

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

/// Keys to add to or remove from a file while rotating (`--add-*` go to the first key group,
/// `--rm-*` leave every group).
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct KeyChangeArgs {
    /// Add age recipients (to the first key group).
    #[arg(long = "add-age")]
    pub(crate) add_age: Option<String>,
    /// Remove age recipients (from every group).
    #[arg(long = "rm-age")]
    pub(crate) rm_age: Option<String>,
    /// Add PGP fingerprints.
    #[arg(long = "add-pgp")]
    pub(crate) add_pgp: Option<String>,
    /// Remove PGP fingerprints.
    #[arg(long = "rm-pgp")]
    pub(crate) rm_pgp: Option<String>,
    /// Add AWS KMS ARNs.
    #[arg(long = "add-kms")]
    pub(crate) add_kms: Option<String>,
    /// Remove AWS KMS ARNs.
    #[arg(long = "rm-kms")]
    pub(crate) rm_kms: Option<String>,
    /// Add GCP KMS resource IDs (sops-rs cannot encrypt to them yet).
    #[arg(long = "add-gcp-kms")]
    pub(crate) add_gcp_kms: Option<String>,
    /// Remove GCP KMS resource IDs.
    #[arg(long = "rm-gcp-kms")]
    pub(crate) rm_gcp_kms: Option<String>,
    /// Add HuaweiCloud KMS key IDs (sops-rs cannot encrypt to them yet).
    #[arg(long = "add-hckms")]
    pub(crate) add_hckms: Option<String>,
    /// Remove HuaweiCloud KMS key IDs.
    #[arg(long = "rm-hckms")]
    pub(crate) rm_hckms: Option<String>,
    /// Add Azure Key Vault key URLs (sops-rs cannot encrypt to them yet).
    #[arg(long = "add-azure-kv")]
    pub(crate) add_azure_kv: Option<String>,
    /// Remove Azure Key Vault key URLs.
    #[arg(long = "rm-azure-kv")]
    pub(crate) rm_azure_kv: Option<String>,
    /// Add HashiCorp Vault transit key URIs (sops-rs cannot encrypt to them yet).
    #[arg(long = "add-hc-vault-transit")]
    pub(crate) add_hc_vault_transit: Option<String>,
    /// Remove HashiCorp Vault transit key URIs.
    #[arg(long = "rm-hc-vault-transit")]
    pub(crate) rm_hc_vault_transit: Option<String>,
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
        /// GCP KMS resource IDs of the new group (repeatable; sops-rs cannot use them yet).
        #[arg(long = "gcp-kms")]
        gcp_kms: Vec<String>,
        /// HuaweiCloud KMS key IDs of the new group (repeatable; sops-rs cannot use them yet).
        #[arg(long = "hckms")]
        hckms: Vec<String>,
        /// Azure Key Vault key URLs of the new group (repeatable; sops-rs cannot use them yet).
        #[arg(long = "azure-kv")]
        azure_kv: Vec<String>,
        /// Vault transit key URIs of the new group (repeatable; sops-rs cannot use them yet).
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

/// sops's `keyservice` flags, accepted so that scripts get a clear error rather than a usage
/// one.
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

/// The legacy flag forms: no subcommand, an action flag and a file.
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct LegacyArgs {
    /// Decrypt (legacy form of `decrypt`).
    #[arg(short = 'd', long = "decrypt")]
    pub(crate) decrypt: bool,
    /// Encrypt (legacy form of `encrypt`).
    #[arg(short = 'e', long = "encrypt")]
    pub(crate) encrypt: bool,
    /// Rotate the data key (legacy form of `rotate`).
    #[arg(short = 'r', long = "rotate")]
    pub(crate) rotate: bool,
    /// Set a value: '["key"][0] JSON-VALUE' (legacy form of `set`).
    #[arg(long = "set")]
    pub(crate) set: Option<String>,
    /// Show master keys in the editor.
    #[arg(short = 's', long = "show-master-keys")]
    pub(crate) show_master_keys: bool,
    /// Print only this part of the document.
    #[arg(long)]
    pub(crate) extract: Option<String>,
    #[command(flatten)]
    pub(crate) io: IoArgs,
    #[command(flatten)]
    pub(crate) keys: KeyArgs,
    #[command(flatten)]
    pub(crate) partial: PartialArgs,
    #[command(flatten)]
    pub(crate) open: OpenArgs,
    #[command(flatten)]
    pub(crate) changes: KeyChangeArgs,
}
