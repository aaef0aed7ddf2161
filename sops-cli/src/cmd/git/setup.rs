//! `sops-rs git setup [--dry-run]`: configure the repository in the working directory for SOPS
//! files, idempotently, printing every change (or, with `--dry-run`, every change it would
//! make):
//!
//! - `.git/config` (`git config --local`): `merge.sops.name`, `merge.sops.driver` (this
//!   program's `git merge-driver %O %A %B %P`) and `diff.sopsdiffer.textconv` (its
//!   `diff-textconv`). The program is `sops-rs` when that is the one on `PATH`, else this
//!   executable's absolute path;
//! - a `.gitattributes` next to `.sops.yaml` (so that patterns are relative to the same
//!   directory as `path_regex`): one `PATTERN merge=sops diff=sopsdiffer` line for each glob
//!   form of each creation rule's `path_regex` ([`super::glob`]), unless the file has that line
//!   already. A rule without `path_regex` (it matches every file) adds nothing, and a regex
//!   with no glob form is reported with the line to add by hand.
//!
//! Nothing else is touched: no hooks, no other attributes, and `diff.sopsdiffer.cachetextconv`
//! is never set (git would keep the plaintext in `refs/notes`).

use super::glob::globs_for;
use super::{DIFF_DRIVER, MERGE_DRIVER};
use crate::cli::SetupArgs;
use crate::error::{codes, CliError};
use crate::keys::load_config;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn run(args: &SetupArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim_end());
    let program = program_name();
    let verb = if args.dry_run { "would set" } else { "set" };
    let settings = [
        (
            format!("merge.{MERGE_DRIVER}.name"),
            "sops-rs: three-way merge of SOPS files".to_owned(),
        ),
        (
            format!("merge.{MERGE_DRIVER}.driver"),
            format!("{program} git merge-driver %O %A %B %P"),
        ),
        (
            format!("diff.{DIFF_DRIVER}.textconv"),
            format!("{program} diff-textconv"),
        ),
    ];
    let mut changes = 0;
    for (key, value) in &settings {
        let current = git(&["config", "--local", "--get", key]).ok();
        if current.as_deref().map(str::trim_end) == Some(value.as_str()) {
            println!(".git/config: {key} already set");
            continue;
        }
        if !args.dry_run {
            git(&["config", "--local", key, value])?;
        }
        println!(".git/config: {verb} {key} = {value}");
        changes += 1;
    }

    let config = load_config(config_path)?;
    let Some(config) = config else {
        println!(
            "no .sops.yaml found: no .gitattributes lines added; add `PATTERN merge={MERGE_DRIVER} diff={DIFF_DRIVER}` for your SOPS files"
        );
        summary(changes, args.dry_run);
        return Ok(());
    };
    let directory = config.directory().to_path_buf();
    let inside = directory
        .canonicalize()
        .ok()
        .zip(top.canonicalize().ok())
        .is_some_and(|(d, t)| d.starts_with(t));
    if !inside {
        println!(
            "{}: outside this repository: no .gitattributes lines added",
            directory.join(".sops.yaml").display()
        );
        summary(changes, args.dry_run);
        return Ok(());
    }
    let rules = config.creation_rules().map_err(crate::keys::config_error)?;
    let attributes = directory.join(".gitattributes");
    let shown = attributes
        .strip_prefix(&top)
        .unwrap_or(&attributes)
        .display()
        .to_string();
    let existing = match std::fs::read_to_string(&attributes) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CliError::new(
                codes::COULD_NOT_READ_INPUT,
                format!("cannot read {shown}: {e}"),
            ))
        }
    };
    let have: Vec<&str> = existing.lines().map(str::trim).collect();
    let mut added: Vec<String> = Vec::new();
    for rule in &rules {
        let index = rule.index();
        let Some(regex) = rule.path_regex() else {
            println!(
                "creation rule #{index}: no path_regex (it matches every file): no line added"
            );
            continue;
        };
        match globs_for(regex) {
            Ok(globs) => {
                for pattern in globs.patterns {
                    let line = format!("{pattern} merge={MERGE_DRIVER} diff={DIFF_DRIVER}");
                    if have.contains(&line.as_str()) || added.contains(&line) {
                        println!("{shown}: `{line}` already there (rule #{index})");
                        continue;
                    }
                    let note = if globs.approximate {
                        " (approximate: `.+` taken as `.*`, `.` as `?`)"
                    } else {
                        ""
                    };
                    println!(
                        "{shown}: {} `{line}` for rule #{index} (path_regex: {regex}){note}",
                        if args.dry_run { "would add" } else { "add" }
                    );
                    added.push(line);
                }
            }
            Err(why) => println!(
                "creation rule #{index}: path_regex {regex} has no glob form ({why}): add a line \
                 `PATTERN merge={MERGE_DRIVER} diff={DIFF_DRIVER}` for those files to {shown} by hand"
            ),
        }
    }
    if !added.is_empty() {
        changes += added.len();
        if !args.dry_run {
            let mut text = existing.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            let header = "# SOPS files (sops-rs git setup, from .sops.yaml creation rules)";
            if !have.contains(&header) {
                text.push_str(header);
                text.push('\n');
            }
            for line in &added {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(&attributes, text).map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!("cannot write {shown}: {e}"),
                )
            })?;
        }
    }
    summary(changes, args.dry_run);
    Ok(())
}

fn summary(changes: usize, dry_run: bool) {
    match (changes, dry_run) {
        (0, _) => println!("nothing to change"),
        (n, true) => println!("{n} change(s) would be made (dry run: nothing written)"),
        (n, false) => println!("{n} change(s) made"),
    }
}

/// How git should call this program: `sops-rs` when that name on `PATH` is this executable,
/// else this executable's absolute path, quoted for the shell git runs drivers with.
fn program_name() -> String {
    let me = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("sops-rs"))
            .find(|p| p.is_file())
            .and_then(|p| p.canonicalize().ok())
    });
    match me {
        Some(me) if on_path.as_ref() != Some(&me) => {
            let text = me.to_string_lossy().into_owned();
            shlex::try_quote(&text)
                .map(|q| q.into_owned())
                .unwrap_or(text)
        }
        _ => "sops-rs".to_owned(),
    }
}

/// Runs git with `args`; its stdout, or an error with its stderr.
fn git(args: &[&str]) -> Result<String, CliError> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| CliError::new(codes::GENERIC, format!("cannot run git: {e}")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(CliError::new(
            codes::GENERIC,
            format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ))
    }
}
