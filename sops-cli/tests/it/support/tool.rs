//! [`Tool`]: which program a command runs, `sops-rs` under test or the reference sops.

use std::path::PathBuf;

/// Which program a [`Cmd`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// The `sops-rs` binary built from this workspace.
    SopsRs,
    /// The reference `sops` 3.11.0.
    Sops,
}

impl Tool {
    /// `sops-rs` or `sops`, for command lines in failure messages.
    pub fn name(self) -> &'static str {
        match self {
            Tool::SopsRs => "sops-rs",
            Tool::Sops => "sops",
        }
    }

    /// The binary this tool runs: for `sops-rs`, `$SOPS_RS_TEST_BIN` if set (to check the suite
    /// itself against the reference sops, where every test must pass, or a release build;
    /// .ci/run unsets it), else Cargo's build.
    pub fn program(self) -> PathBuf {
        match self {
            Tool::SopsRs => sops_test_support::sops_rs_bin!(),
            Tool::Sops => sops_test_support::reference_sops().to_path_buf(),
        }
    }
}
