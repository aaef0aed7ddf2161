//! The subcommands of `sops-rs`, each against the reference sops 3.11.0.

mod config;
mod edit;
mod empty_key_groups;
mod exec;
mod filestatus;
mod groups;
mod legacy;
mod rotate;
mod set_unset;
mod updatekeys;
