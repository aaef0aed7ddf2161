//! `sops-rs check [FILES…]`: the pre-commit guard. Every file that a `.sops.yaml` creation rule
//! matches must be a valid SOPS file whose values are encrypted as the rule demands.
//!
//! For each file:
//! - the `.sops.yaml` itself, and files that no rule with a `path_regex` matches, are skipped (a
//!   rule without `path_regex` matches every path: it says which keys to use, not which files
//!   are secret, so it guards nothing here);
//! - a file that several rules match gets a warning naming them; the first applies, as in sops;
//! - the file must parse, carry `sops` metadata with a `version`, a `mac` and at least one
//!   master key, and every value that the rule's or the file's own partial-encryption setting
//!   wants encrypted must be `ENC[…]` (nulls and empty strings pass) — see `scan`;
//! - with `--verify-mac`, a file that passed is decrypted with the keys at hand and its MAC
//!   checked; when no key can open it, a warning says so and the file still passes.
//!
//! Findings name the file and the key path, never a value: parse errors of dotenv and INI files,
//! whose messages quote the offending line, are withheld. Exit 0 when every file holds, 1
//! otherwise. Without FILES, the files git tracks under the working directory are checked.
//!
//! With `--staged` the contents come from the git index (`git_index.rs`) instead of the work
//! tree, so that a raw git pre-commit hook checks what will be committed; symbolic links and
//! submodules in the index are skipped (a link's target is checked at its own path).

mod report;
mod scan;

use crate::cli::CheckArgs;
use crate::error::{codes, CliError};
use crate::git_index::Staged;
use crate::keys::{config_error, KeySources};
use report::{print_json, print_text, FileReport, Issue, Status};
use scan::{scan, Problem};
use sops_core::config::{find_config, Config, CreationRule};
use sops_core::internal::{open_tree, PathPolicy};
use sops_core::store::Format;
use sops_core::{DecryptOptions, ErrorKind, Metadata};
use std::path::{Path, PathBuf};

pub(crate) fn run(args: &CheckArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let start = std::env::current_dir().unwrap_or_default();
    let search = find_config(&start, config_path).map_err(config_error)?;
    let found = search.found.ok_or_else(|| {
        CliError::new(
            codes::GENERIC,
            "sops-rs check: no .sops.yaml found in the working directory or its parents; the \
             check needs its creation rules (or pass --config)",
        )
    })?;
    let config = Config::load(&found).map_err(config_error)?;
    let rules = config.creation_rules().map_err(config_error)?;
    let config_file = std::fs::canonicalize(&found).unwrap_or(found);
    let files: Vec<(PathBuf, Option<Staged>)> = if args.staged {
        crate::git_index::entries(&args.files)
            .map_err(|why| {
                CliError::new(
                    codes::GENERIC,
                    format!("sops-rs check --staged: {why}; the index cannot be read"),
                )
            })?
            .into_iter()
            .map(|entry| (entry.path, Some(entry.staged)))
            .collect()
    } else if args.files.is_empty() {
        git_tracked_files()?
            .into_iter()
            .map(|f| (f, None))
            .collect()
    } else {
        args.files.iter().map(|f| (f.clone(), None)).collect()
    };
    let sources = args.verify_mac.then(KeySources::from_env);
    let reports: Vec<FileReport> = files
        .iter()
        .map(|(file, staged)| {
            check_file(
                file,
                staged.as_ref(),
                &config,
                &rules,
                &config_file,
                sources.as_ref(),
            )
        })
        .collect();
    let failed = reports
        .iter()
        .filter(|r| r.status == Status::Failed)
        .count();
    if args.format == "json" {
        print_json(&reports);
    } else {
        print_text(&reports);
    }
    if failed == 0 {
        return Ok(());
    }
    let checked = reports
        .iter()
        .filter(|r| r.status != Status::Skipped)
        .count();
    Err(CliError::new(
        codes::GENERIC,
        format!(
            "sops-rs check: {failed} of {checked} checked file(s) failed. Encrypt a plaintext \
             file with `sops-rs encrypt -i FILE`; delete a value pasted in plaintext and add it \
             again with `sops-rs edit FILE` or `sops-rs set FILE PATH VALUE`"
        ),
    ))
}

/// `git ls-files -z`: the tracked files under the working directory, relative to it.
fn git_tracked_files() -> Result<Vec<PathBuf>, CliError> {
    let fail = |why: String| {
        CliError::new(
            codes::GENERIC,
            format!("sops-rs check: no FILES given and {why}; pass the files to check"),
        )
    };
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(format!("git could not run ({e})")))?;
    if !out.status.success() {
        return Err(fail("this is not a git work tree".to_owned()));
    }
    Ok(out
        .stdout
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .collect())
}

/// Checks `file`: its work-tree content, or what the index holds when `staged` is given.
fn check_file(
    file: &Path,
    staged: Option<&Staged>,
    config: &Config,
    rules: &[CreationRule],
    config_file: &Path,
    sources: Option<&KeySources>,
) -> FileReport {
    let mut report = FileReport::new(file);
    let is_config = file.file_name().is_some_and(|n| n == ".sops.yaml")
        || std::fs::canonicalize(file).is_ok_and(|p| p == config_file);
    let relative = config.relative_path(file);
    let guarding: Vec<&CreationRule> = rules
        .iter()
        .filter(|r| r.path_regex().is_some() && r.matches(&relative))
        .collect();
    report.rules = guarding
        .iter()
        .map(|r| (r.index(), r.path_regex().unwrap_or_default().to_owned()))
        .collect();
    if is_config || guarding.is_empty() {
        report.status = Status::Skipped;
        report.skip_reason = Some(if is_config {
            "the sops configuration file"
        } else {
            "no creation rule matches"
        });
        return report;
    }
    if guarding.len() > 1 {
        let names: Vec<String> = report
            .rules
            .iter()
            .map(|(i, re)| format!("#{i} (path_regex: {re})"))
            .collect();
        report.warn(Issue::new(
            "several_rules",
            format!(
                "matched by {} creation rules: {}; the first applies",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    let rule = guarding[0];
    let input = match staged {
        None => std::fs::read(file),
        Some(Staged::Blob(object)) => crate::git_index::read_blob(object),
        Some(Staged::Symlink | Staged::Submodule) => {
            report.status = Status::Skipped;
            report.skip_reason = Some(if staged == Some(&Staged::Symlink) {
                "a symbolic link in the git index (its target is checked at its own path)"
            } else {
                "a submodule in the git index"
            });
            return report;
        }
    };
    match input {
        Ok(input) => check_contents(file, &input, rule, sources, &mut report),
        Err(e) => report.fail(Issue::new("unreadable", format!("cannot read: {e}"))),
    }
    report.status = if report.problems.is_empty() {
        Status::Ok
    } else {
        Status::Failed
    };
    report
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::Yaml => "YAML",
        Format::Json => "JSON",
        Format::Dotenv => "dotenv",
        Format::Ini => "INI",
        Format::Binary => "binary",
    }
}

fn check_contents(
    file: &Path,
    input: &[u8],
    rule: &CreationRule,
    sources: Option<&KeySources>,
    report: &mut FileReport,
) {
    let format = Format::from_path(file);
    let (tree, metadata_node) = match format.store().load_encrypted(input) {
        Ok(loaded) => loaded,
        Err(e) => return report.fail(load_issue(file, format, &e)),
    };
    let metadata = match Metadata::from_mapping(&metadata_node) {
        Ok(m) => m,
        Err(e) => {
            let message = format!("invalid sops metadata: {}", e.message());
            return report.fail(Issue::new("invalid_metadata", message));
        }
    };
    if metadata.version.as_deref().is_none_or(str::is_empty) {
        report.fail(Issue::new(
            "missing_version",
            "sops metadata has no version",
        ));
    }
    if metadata.mac.is_empty() {
        report.fail(Issue::new("missing_mac", "sops metadata has no mac"));
    }
    if metadata.key_groups.iter().all(Vec::is_empty) {
        report.fail(Issue::new(
            "no_master_key",
            "sops metadata names no master key",
        ));
    }
    // sops ignores partial-encryption settings for binary files: the one value is encrypted.
    let rule_partial = if format == Format::Binary {
        None
    } else {
        rule.partial()
    };
    let policies = [
        PathPolicy::new(metadata.partial.as_ref()).map_err(|e| ("invalid_metadata", e)),
        PathPolicy::new(rule_partial).map_err(|e| ("invalid_rule", e)),
    ];
    let mut compiled = Vec::new();
    for policy in policies {
        match policy {
            Ok(p) => compiled.push(p),
            Err((kind, e)) => report.fail(Issue::new(kind, e.message().to_owned())),
        }
    }
    for finding in scan(&tree, &compiled) {
        let issue = Issue::at(&finding);
        match finding.problem {
            Problem::PlaintextComment => report.warn(issue),
            Problem::PlaintextValue | Problem::MalformedValue => report.fail(issue),
        }
    }
    drop(tree);
    if let Some(sources) = sources {
        verify_mac(input, format, sources, report);
    }
}

/// Why a matching file could not be loaded as an encrypted file; never quotes file content.
fn load_issue(file: &Path, format: Format, e: &sops_core::Error) -> Issue {
    let label = format_label(format);
    let not_encrypted = || {
        Issue::new(
            "not_encrypted",
            format!(
                "not encrypted: no sops metadata; run `sops-rs encrypt -i {}`",
                file.display()
            ),
        )
    };
    match (format, e.kind()) {
        (_, ErrorKind::Generic) if e.message().contains("metadata not found") => not_encrypted(),
        (Format::Binary, _) => not_encrypted(),
        (Format::Yaml | Format::Json, ErrorKind::InvalidInput) => Issue::new(
            "parse_error",
            format!("cannot parse as {label}: {}", e.message()),
        ),
        _ => Issue::new(
            "parse_error",
            format!(
                "cannot parse as {label} (details withheld, as they may quote a value; \
                 `sops-rs filestatus {}` shows them)",
                file.display()
            ),
        ),
    }
}

/// `--verify-mac`: decrypts with the keys at hand (only when nothing else failed).
fn verify_mac(input: &[u8], format: Format, sources: &KeySources, report: &mut FileReport) {
    if !report.problems.is_empty() {
        report.mac = Some("not_checked");
        return;
    }
    let store = format.store();
    match open_tree(
        input,
        store.as_ref(),
        &sources.as_list(),
        &DecryptOptions::default(),
    ) {
        Ok(_) => report.mac = Some("verified"),
        Err(e) if e.kind() == ErrorKind::DataKeyUnavailable => {
            report.mac = Some("no_key");
            report.warn(Issue::new(
                "mac_not_verified",
                "MAC not verified: none of the file's master keys is available here",
            ));
        }
        Err(e) if e.kind() == ErrorKind::MacMismatch => {
            report.mac = Some("mismatch");
            report.fail(Issue::new(
                "mac_mismatch",
                "MAC mismatch: the file was changed outside sops (a value, a comment or the \
                 metadata); restore it or make the change with `sops-rs edit`",
            ));
        }
        Err(e) => {
            report.mac = Some("failed");
            let message = format!("cannot decrypt: {}", e.message());
            report.fail(Issue::new("decrypt_failed", message));
        }
    }
}
