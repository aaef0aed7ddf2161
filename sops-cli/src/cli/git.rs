//! The flags and arguments of `sops-rs git merge-driver` and `sops-rs git setup`
//! (implemented in `crate::cmd::git`).

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(crate) struct GitArgs {
    #[command(subcommand)]
    pub(crate) action: GitAction,
}

#[derive(Subcommand, Debug)]
pub(crate) enum GitAction {
    /// git merge driver (`%O %A %B %P`): merge two sides of a SOPS file key by key into OURS.
    #[command(name = "merge-driver")]
    MergeDriver(MergeDriverArgs),
    /// Configure this repository's merge and diff drivers and .gitattributes for SOPS files.
    Setup(SetupArgs),
}

#[derive(Args, Debug)]
pub(crate) struct MergeDriverArgs {
    /// Input format (default: from PATH, else from OURS).
    #[arg(long = "input-type")]
    pub(crate) input_type: Option<String>,
    /// The common ancestor's version (git's %O).
    pub(crate) base: PathBuf,
    /// Our version, replaced by the result (git's %A).
    pub(crate) ours: PathBuf,
    /// Their version (git's %B).
    pub(crate) theirs: PathBuf,
    /// The file's path in the repository (git's %P), for its format and for messages.
    pub(crate) path: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct SetupArgs {
    /// Show what would change, change nothing.
    #[arg(long = "dry-run")]
    pub(crate) dry_run: bool,
}
