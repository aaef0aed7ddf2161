//! The test age plugin `age-plugin-sopstest` (`src/bin/age-plugin-sopstest.rs`): where it was
//! built, building it first when the current test run did not.
//!
//! `cargo nextest run --workspace --all-targets` (CI) builds it with everything else, into the
//! target directory's profile folder, beside the test binaries' `deps/`. A narrower run
//! (`-p sops-cli`) does not, so the first test that needs it runs `cargo build` for it once
//! (Cargo's build lock is free while nextest runs tests).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The plugin's program name; its directory goes first on `PATH`.
pub const PLUGIN_BINARY: &str = "age-plugin-sopstest";

/// The directory holding `age-plugin-sopstest`, built if needed (once per process).
pub fn age_test_plugin_dir() -> PathBuf {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match DIR.get_or_init(find_or_build) {
        Ok(dir) => dir.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// `PATH` with the plugin's directory first.
pub fn path_with_test_plugin() -> std::ffi::OsString {
    let mut dirs = vec![age_test_plugin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries join")
}

fn find_or_build() -> Result<PathBuf, String> {
    // The test binary is <target>/<profile>/deps/<name>-<hash>.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("the test binary is not in <target>/<profile>/deps")?
        .to_path_buf();
    let built = profile_dir.join(PLUGIN_BINARY);
    let source = crate::repo_root().join("test-support/src/bin/age-plugin-sopstest.rs");
    if is_newer(&built, &source) {
        return Ok(profile_dir);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = profile_dir.parent().ok_or("no target directory")?;
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--quiet",
            "-p",
            "sops-test-support",
            "--bin",
            PLUGIN_BINARY,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(crate::repo_root());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo to build {PLUGIN_BINARY}: {e}"))?;
    if !status.success() || !built.exists() {
        return Err(format!(
            "cargo build --bin {PLUGIN_BINARY} failed ({status})"
        ));
    }
    Ok(profile_dir)
}

fn is_newer(built: &Path, source: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(built), modified(source)) {
        (Some(b), Some(s)) => b >= s,
        (Some(_), None) => true,
        _ => false,
    }
}
