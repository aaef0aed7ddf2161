//! Shared helpers for the integration tests of `sops-rs`.
//!
//! Every test runs the built `sops-rs` binary and, where it compares, the reference `sops` 3.11.0
//! in a [`Sandbox`]: a temporary directory that is the working directory, `HOME`,
//! `XDG_CONFIG_HOME` and `GNUPGHOME` of the command, so that no key of the machine (`~/.ssh`,
//! `~/.config/sops/age/keys.txt`, a gpg keyring) and no `.sops.yaml` can take part. The
//! environment is cleared except for `PATH` and a few harmless variables; identities come only
//! from `SOPS_AGE_KEY_FILE` (or `SOPS_AGE_SSH_PRIVATE_KEY_FILE`) pointing into `fixtures/keys`.
//!
//! The reference `sops` is `$SOPS_REFERENCE_BIN` if set, else `sops` on `PATH`. If it is missing
//! or not 3.11.0, every test that needs it fails and says how to install it; none passes
//! silently. `$SOPS_RS_TEST_BIN`, if set, replaces the `sops-rs` under test (to check the suite
//! against the reference sops itself, or to test a release build).
#![allow(dead_code)] // a toolbox for every test module: not each helper is used today

mod compare;
mod files;
mod git;
mod normalize;
mod output;
mod sandbox;
mod tmux;
mod tool;

pub use compare::{
    assert_parity, assert_parity_with, assert_same_bytes, compare_runs, difference, Failures,
};
pub use files::{
    entries_under_dir, file_name, files_under, fixture_files, mode, set_mode, wait_for_file,
};
pub use git::git_command;
pub use normalize::normalize_encrypted;
pub use output::Output;
pub use sandbox::{Cmd, Identity, Sandbox};
pub use sops_test_support::fixtures::read;
pub use sops_test_support::reference::program_on_path;
pub use sops_test_support::{age_key_path, age_recipient, fixture, reference_sops, repo_root};
pub use tmux::TmuxServer;
pub use tool::Tool;
