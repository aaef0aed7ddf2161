//! `sops-rs`: a drop-in replacement for the `sops` command line, built on `sops-core` and
//! `sops-keys`. Exit codes and messages follow sops 3.11.
#![forbid(unsafe_code)]
// Doc comments of the clap structs are help text for users (`'["key"][0]'`), not rustdoc links.
#![allow(rustdoc::broken_intra_doc_links)]

mod check;
mod cli;
mod cmd;
mod common;
mod error;
mod git_index;
mod hardening;
mod helm;
mod io;
mod keys;
mod log;
mod services;
mod tempdir;
mod user;
mod write;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use cmd::{decrypt, edit, encrypt, exec, groups, keygen, rotate, setunset, textconv};
use error::CliError;
use std::io::Write;

/// A file is tens of thousands of small strings (keys, values, comments) made and freed in
/// bulk: mimalloc's size-class pages make decrypting a large file about a quarter faster than
/// glibc's allocator, whose frees coalesce chunk by chunk. Secrets are zeroized by their own
/// types before any allocator sees them freed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if is_version_request(&argv) {
        println!("sops-rs {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    hardening::forbid_core_dumps();
    tempdir::install_signal_cleanup();
    let result = match helm_downloader_args(&argv) {
        Some(args) => helm::run(&args, None),
        None => run(argv),
    };
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{e}");
            e.code
        }
    };
    tempdir::cleanup_all();
    std::process::exit(code);
}

/// `sops-rs --version` (or `-v`, `-V`) alone, answered without building the command-line
/// parser: clap's description of every subcommand and flag is most of a short run's work.
/// The text is clap's (`NAME VERSION`).
fn is_version_request(argv: &[std::ffi::OsString]) -> bool {
    argv.len() == 2 && matches!(argv[1].to_str(), Some("--version" | "-v" | "-V"))
}

/// `sops-rs helm downloader …`, what helm runs once per `secrets://` values file: the Helm
/// module parses these arguments itself, so clap is skipped. Only when `SOPS_CONFIG` is unset
/// (otherwise clap reads it as `--config`), and only for the `downloader` command, whose
/// arguments clap would pass on untouched.
fn helm_downloader_args(argv: &[std::ffi::OsString]) -> Option<cli::HelmArgs> {
    let is_downloader =
        argv.get(1).is_some_and(|a| a == "helm") && argv.get(2).is_some_and(|a| a == "downloader");
    (is_downloader && std::env::var_os("SOPS_CONFIG").is_none()).then(|| cli::HelmArgs {
        args: argv[2..].to_vec(),
    })
}

fn run(argv: Vec<std::ffi::OsString>) -> Result<(), CliError> {
    let args = match Cli::try_parse_from(global_flags_after_subcommand(argv)) {
        Ok(args) => args,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let config = args.config.as_deref();
    log::set_verbose(args.verbose);
    match args.command.as_ref() {
        Some(command) => {
            if let Some(flags) = command.key_services() {
                services::configure(flags);
            }
        }
        None => services::configure(&args.legacy.open.services),
    }
    match args.command {
        Some(Command::Decrypt(a)) => decrypt::run(&a, config),
        Some(Command::Encrypt(a)) => encrypt::run(&a, config),
        Some(Command::Edit(a)) => edit::run(&a, config),
        Some(Command::Rotate(a)) => rotate::run_rotate(&a, config),
        Some(Command::Updatekeys(a)) => rotate::run_updatekeys(&a, config),
        Some(Command::Set(a)) => setunset::run_set(&a, config),
        Some(Command::Unset(a)) => setunset::run_unset(&a, config),
        Some(Command::ExecEnv(a)) => exec::run_env(&a, config),
        Some(Command::ExecFile(a)) => exec::run_file(&a, config),
        Some(Command::Filestatus(a)) => common::filestatus(&a, config),
        Some(Command::Groups(a)) => groups::run(&a, config),
        Some(Command::Check(a)) => check::run(&a, config),
        Some(Command::DiffTextconv(a)) => textconv::run(&a, config),
        Some(Command::Helm(a)) => helm::run(&a, config),
        Some(Command::Git(a)) => cmd::git::run(&a, config),
        Some(Command::AgeKeygen(a)) => keygen::run(&a),
        Some(Command::Publish(_)) => Err(not_implemented("publish")),
        Some(Command::Keyservice(a)) => cmd::keyservice::run(&a),
        Some(Command::Completion(a)) => {
            clap_complete::generate(
                a.shell,
                &mut Cli::command(),
                "sops-rs",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        None => legacy(args.legacy, config),
    }
}

/// sops's subcommands that sops-rs accepts (with their flags) but does not implement.
fn not_implemented(name: &str) -> CliError {
    CliError::new(
        error::codes::GENERIC,
        format!("sops-rs does not implement `sops {name}` yet: use sops for it"),
    )
}

/// `sops --config FILE decrypt …` puts the global flags before the subcommand. clap, told that
/// top-level arguments conflict with subcommands (for the legacy `sops FILE` forms), would then
/// take the subcommand's name for the legacy FILE; so leading global flags are moved after a
/// subcommand name that follows them. A leading `--indent N` is taken out and applies to every
/// subcommand's output, as in sops 3.13 ([`common::set_global_indent`]).
fn global_flags_after_subcommand(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let mut i = 1;
    let mut indent = None;
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        let value = match arg.strip_prefix("--indent=") {
            Some(v) => Some((v.to_owned(), 1)),
            None if arg == "--indent" => args
                .get(i + 1)
                .map(|v| (v.to_string_lossy().into_owned(), 2)),
            None => None,
        };
        if let Some((n, width)) = value.and_then(|(v, w)| Some((v.parse::<i32>().ok()?, w))) {
            indent = Some((i, width, n));
            i += width;
        } else if arg == "--config" {
            i += 2;
        } else if arg.starts_with("--config=")
            || [
                "--disable-version-check",
                "--check-for-updates",
                "--verbose",
            ]
            .contains(&&*arg)
        {
            i += 1;
        } else {
            break;
        }
    }
    if i == 1 || i >= args.len() {
        return args;
    }
    let name = args[i].to_string_lossy().into_owned();
    let is_subcommand = Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
    if is_subcommand {
        if let Some((at, width, n)) = indent {
            common::set_global_indent(n);
            args.drain(at..at + width);
            i -= width;
        }
        let sub = args.remove(i);
        args.insert(1, sub);
    }
    args
}

/// `sops -d|-e|-r|--set … FILE`, and a bare `sops FILE` that edits.
fn legacy(l: cli::LegacyArgs, config: Option<&std::path::Path>) -> Result<(), CliError> {
    if l.io.file.is_none() && !(l.decrypt || l.encrypt) {
        let _ = Cli::command().print_help();
        return Err(CliError::new(
            error::codes::NO_FILE_SPECIFIED,
            "Error: no file specified",
        ));
    }
    if l.decrypt {
        let a = cli::DecryptArgs {
            io: l.io,
            extract: l.extract,
            open: l.open,
            ..Default::default()
        };
        return decrypt::run(&a, config);
    }
    if l.encrypt {
        let a = cli::EncryptArgs {
            io: l.io,
            keys: l.keys,
            partial: l.partial,
            services: l.open.services,
        };
        return encrypt::run(&a, config);
    }
    if l.rotate {
        // sops's main action refuses a missing file with 100 before `-r` runs (the `rotate`
        // subcommand reports a read error instead, exit 2).
        if let Some(file) = l.io.file.as_deref() {
            common::require_file(file)?;
        }
        let a = cli::RotateArgs {
            io: l.io,
            open: l.open,
            changes: l.changes,
            encryption_context: l.keys.encryption_context,
        };
        return rotate::run_rotate(&a, config);
    }
    let file = l.io.file.clone().unwrap_or_default();
    if let Some(spec) = l.set {
        let (path, value) = setunset::split_legacy_set(&spec)?;
        let a = cli::SetArgs {
            input_type: l.io.input_type.clone(),
            open: l.open,
            file,
            path,
            value: Some(value),
            ..Default::default()
        };
        return setunset::run_set(&a, config);
    }
    let a = cli::EditArgs {
        io: l.io,
        keys: l.keys,
        partial: l.partial,
        open: l.open,
        show_master_keys: l.show_master_keys,
    };
    edit::run(&a, config)
}
