//! The command-line surface: subcommands and flags named as in sops 3.11, plus the legacy
//! flag forms (`sops -d FILE`, `sops -e`, `-r`, `--set`, and a bare `sops FILE` that edits)
//! that scripts and helm-secrets still use.

mod commands;
mod git;
mod shared;

pub(crate) use commands::*;
pub(crate) use git::*;
pub(crate) use shared::*;

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
    /// Serve the local master keys to other processes over sops's key service protocol;
    /// with --cache-ttl, a caching agent.
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
    /// git: `merge-driver` (three-way merge of SOPS files) and `setup` (configure a repository).
    Git(GitArgs),
    /// Generate an age identity (X25519, or post-quantum with --pq), as age-keygen does;
    /// -y prints the recipients of an identity file.
    #[command(name = "age-keygen")]
    AgeKeygen(AgeKeygenArgs),
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
