//! `sops-rs git …`: what makes git work with SOPS files.
//!
//! - [`merge_driver`]: `sops-rs git merge-driver BASE OURS THEIRS [PATH]`, the merge driver git
//!   runs (`%O %A %B %P`) for paths with the `merge=sops` attribute: a three-way merge of the
//!   decrypted trees, written back encrypted into OURS;
//! - [`setup`]: `sops-rs git setup [--dry-run]`, which configures that driver and the
//!   `diff-textconv` driver in `.git/config` and adds `.gitattributes` lines for the paths
//!   `.sops.yaml`'s creation rules match.
//!
//! The arguments are in `crate::cli::git` (one file, so that the shared command list only
//! names `GitArgs`).

mod glob;
pub(crate) mod merge_driver;
pub(crate) mod setup;

use crate::cli::{GitAction, GitArgs};
use crate::error::CliError;
use std::path::Path;

/// The name of the merge driver in `.git/config` and `.gitattributes` (`merge=sops`).
pub(crate) const MERGE_DRIVER: &str = "sops";

/// The name of the diff driver (`diff=sopsdiffer`), as the README's textconv section uses.
pub(crate) const DIFF_DRIVER: &str = "sopsdiffer";

pub(crate) fn run(args: &GitArgs, config: Option<&Path>) -> Result<(), CliError> {
    match &args.action {
        GitAction::MergeDriver(a) => merge_driver::run(a, config),
        GitAction::Setup(a) => setup::run(a, config),
    }
}
