//! `sops-rs helm …`: the Helm path of helm-secrets, without its shell scripts or a `sops`
//! process per file.
//!
//! * helm-secrets' global options (`-q`, `-b`, `-a`, `--ignore-missing-values`, …) come first,
//!   with the same `HELM_SECRETS_*` variables (`values::Settings`).
//! * `encrypt [-i] FILE`, `decrypt [-i] [--terraform] FILE`, `edit FILE`, and the commands
//!   helm-secrets 4.0 removed but scripts still call: `dec FILE` (writes `FILE.dec`), `enc
//!   FILE` (encrypts `FILE.dec`, or `FILE`, into `FILE`), `view FILE` (prints), `clean DIR`
//!   (removes the `.dec` files); plus `dir`, `help` and `--version`.
//! * `install-plugin` and `downloader` (`plugin`).
//! * Anything else is a helm command line: the wrapper (`wrapper`).

mod args;
mod handoff;
mod legacy;
mod paths;
mod plugin;
mod refs;
mod values;
mod wrapper;

use crate::cli::{Cli, Command, HelmArgs};
use crate::error::{codes, CliError};
use crate::helm::args::is_true;
use crate::helm::values::{backend_named, is_encrypted, process, read_local, Settings};
use clap::Parser;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

const USAGE: &str = "\
usage: sops-rs helm [OPTIONS] <command> [args]

Commands:
  encrypt [-i] FILE              encrypt a YAML file (to stdout, or in place with -i)
  decrypt [-i] [--terraform] FILE
                                 decrypt a file (to stdout, in place, or as Terraform JSON)
  edit FILE                      edit an encrypted file in $SOPS_EDITOR / $EDITOR
  dec FILE | enc FILE | view FILE | clean DIR
                                 helm-secrets 3.x commands: write FILE.dec, encrypt FILE.dec
                                 into FILE, print FILE, remove the .dec files under DIR
  install-plugin [--helm-version 3|4] [--plugins-dir DIR] [--sops-rs PATH]
                                 install the Helm plugin (secrets:// values, `helm secrets`)
  downloader CERT KEY CA URL     the plugin's entry point: print the decrypted URL
  <helm command> [flags]         run helm; encrypted -f/--values/--set-file files are
                                 decrypted in-process and handed over in pipes

Options (before the command; the HELM_SECRETS_* variables of helm-secrets work too):
  -q, --quiet                    no progress lines on stderr (HELM_SECRETS_QUIET)
  -b, --backend sops|vals|noop   how values are decrypted (HELM_SECRETS_BACKEND)
  --ignore-missing-values [true|false]
                                 a missing values file is empty (HELM_SECRETS_IGNORE_MISSING_VALUES)
";

/// Runs `sops-rs helm ARGS`.
pub(crate) fn run(args: &HelmArgs, config: Option<&Path>) -> Result<(), CliError> {
    let mut settings = Settings::from_env(config)?;
    let rest = parse_options(&args.args, &mut settings)?;
    let Some(command) = rest.first() else {
        eprint!("{USAGE}");
        return Err(CliError::new(
            codes::GENERIC,
            "Error: a command is required",
        ));
    };
    let tail = &rest[1..];
    match command.to_str().unwrap_or_default() {
        "encrypt" => encrypt(tail, &settings),
        "decrypt" => decrypt(tail, &settings),
        "edit" => edit(tail, &settings),
        "dec" => crate::helm::legacy::dec(one_file(tail, "dec")?, &settings),
        "enc" => crate::helm::legacy::enc(one_file(tail, "enc")?, &settings),
        "view" => crate::helm::legacy::view(one_file(tail, "view")?, &settings),
        "clean" => crate::helm::legacy::clean(one_file(tail, "clean")?),
        "install-plugin" => crate::helm::plugin::install(tail),
        "downloader" => crate::helm::plugin::downloader(&settings, tail),
        "dir" => match std::env::var_os("HELM_PLUGIN_DIR") {
            Some(dir) => {
                println!("{}", Path::new(&dir).display());
                Ok(())
            }
            None => Err(CliError::new(codes::GENERIC, "not running as a Helm plugin (HELM_PLUGIN_DIR is not set)")),
        },
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "-v" | "--version" => {
            println!("{}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "post-renderer" => Err(CliError::new(
            codes::GENERIC,
            "sops-rs has no post-renderer: --evaluate-templates is not supported; put ref+ references in values instead",
        )),
        _ => {
            let code = crate::helm::wrapper::run(&settings, &rest)?;
            if code != 0 {
                crate::tempdir::cleanup_all();
                std::process::exit(code);
            }
            Ok(())
        }
    }
}

/// Consumes helm-secrets' global options; returns the command and its arguments.
fn parse_options(args: &[OsString], settings: &mut Settings) -> Result<Vec<OsString>, CliError> {
    let mut i = 0;
    // `--flag [true|false]`: the value is optional.
    let optional_bool = |i: &mut usize| -> bool {
        match args.get(*i + 1).and_then(|v| v.to_str()) {
            Some(v @ ("true" | "false")) => {
                *i += 1;
                is_true(v)
            }
            _ => true,
        }
    };
    while let Some(arg) = args.get(i).and_then(|a| a.to_str()) {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        let value = |i: &mut usize| -> Result<String, CliError> {
            if let Some(v) = inline {
                return Ok(v.to_owned());
            }
            *i += 1;
            args.get(*i)
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or_else(|| CliError::new(codes::GENERIC, format!("{name} needs a value")))
        };
        match name {
            "-q" | "--quiet" => settings.quiet = true,
            "-b" | "--backend" => {
                settings.backend = settings.allowed.check(backend_named(&value(&mut i)?)?)?
            }
            "-a" | "--backend-args" => {
                let extra = value(&mut i)?;
                if !extra.trim().is_empty() {
                    settings.log(format_args!(
                        "--backend-args {extra:?} ignored: sops-rs decrypts in-process"
                    ));
                }
            }
            "--ignore-missing-values" => {
                settings.ignore_missing =
                    inline.map(is_true).unwrap_or_else(|| optional_bool(&mut i));
            }
            "--evaluate-templates" => {
                if inline.map(is_true).unwrap_or_else(|| optional_bool(&mut i)) {
                    return Err(CliError::new(
                        codes::GENERIC,
                        "--evaluate-templates is not supported by sops-rs; put ref+ references in values instead",
                    ));
                }
            }
            // Plaintext never lands next to the source here, so these change nothing.
            "--evaluate-templates-decode-secrets" | "--decrypt-secrets-in-tmp-dir" => {
                if inline.is_none() {
                    optional_bool(&mut i);
                }
            }
            _ => break,
        }
        i += 1;
    }
    Ok(args[i..].to_vec())
}

fn one_file<'a>(args: &'a [OsString], command: &str) -> Result<&'a Path, CliError> {
    match args.first() {
        Some(a) => Ok(Path::new(a)),
        None => Err(CliError::new(
            codes::GENERIC,
            format!("usage: sops-rs helm {command} FILE\nError: secrets file required."),
        )),
    }
}

/// Splits `-i` (and `--terraform`) from the file argument, in any order.
fn flags_and_file<'a>(
    args: &'a [OsString],
    command: &str,
    allowed: &[&str],
) -> Result<(Vec<&'a str>, &'a Path), CliError> {
    let mut flags = Vec::new();
    let mut file = None;
    for arg in args {
        match arg.to_str() {
            Some(f) if allowed.contains(&f) => flags.push(f),
            _ if file.is_none() => file = Some(Path::new(arg)),
            _ => {}
        }
    }
    let file = file.ok_or_else(|| {
        CliError::new(
            codes::GENERIC,
            format!("usage: sops-rs helm {command} [-i] FILE\nError: secrets file required."),
        )
    })?;
    Ok((flags, file))
}

/// Parses a sops-rs command line (so flags and their environment defaults, such as
/// `SOPS_AGE_RECIPIENTS`, apply exactly as on the command line) and returns its command.
pub(crate) fn sops_command(argv: &[&OsStr]) -> Result<Command, CliError> {
    let cli =
        Cli::try_parse_from(std::iter::once(OsStr::new("sops-rs")).chain(argv.iter().copied()))
            .map_err(|e| CliError::new(codes::GENERIC, e.to_string()))?;
    cli.command
        .ok_or_else(|| CliError::new(codes::GENERIC, "internal error: no command"))
}

/// Changes into `file`'s directory, as helm-secrets does so that sops finds `.sops.yaml` next
/// to the file; returns the file's name and the config path made absolute first.
pub(crate) fn enter_dir_of(
    file: &Path,
    settings: &Settings,
) -> Result<(PathBuf, Option<PathBuf>), CliError> {
    let config = settings
        .config
        .as_ref()
        .map(|c| std::path::absolute(c).unwrap_or_else(|_| c.clone()));
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        if !dir.is_dir() {
            return Err(CliError::new(
                codes::GENERIC,
                format!("Directory does not exist: {}", dir.display()),
            ));
        }
        std::env::set_current_dir(dir).map_err(|e| {
            CliError::new(
                codes::GENERIC,
                format!("cannot change into {}: {e}", dir.display()),
            )
        })?;
    }
    let name = file
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| file.to_path_buf());
    Ok((name, config))
}

fn encrypt(args: &[OsString], settings: &Settings) -> Result<(), CliError> {
    let (flags, file) = flags_and_file(args, "encrypt", &["-i"])?;
    if !file.is_file() {
        return Err(CliError::new(
            codes::GENERIC,
            format!("File does not exist: {}", file.display()),
        ));
    }
    let (name, config) = enter_dir_of(file, settings)?;
    let bytes = crate::io::read_input(Some(&name))?;
    if is_encrypted(&bytes) {
        return Err(CliError::new(
            codes::GENERIC,
            format!("Already encrypted: {}", name.display()),
        ));
    }
    let mut argv: Vec<&OsStr> = ["encrypt", "--input-type", "yaml", "--output-type", "yaml"]
        .map(OsStr::new)
        .to_vec();
    if flags.contains(&"-i") {
        argv.push(OsStr::new("--in-place"));
    }
    argv.push(name.as_os_str());
    match sops_command(&argv)? {
        Command::Encrypt(a) => crate::cmd::encrypt::run(&a, config.as_deref()),
        _ => unreachable!("parsed an encrypt command"),
    }
}

fn edit(args: &[OsString], settings: &Settings) -> Result<(), CliError> {
    let file = one_file(args, "edit")?;
    let (name, config) = enter_dir_of(file, settings)?;
    let argv = [
        OsStr::new("edit"),
        "--input-type".as_ref(),
        "yaml".as_ref(),
        "--output-type".as_ref(),
        "yaml".as_ref(),
        name.as_os_str(),
    ];
    match sops_command(&argv)? {
        Command::Edit(a) => crate::cmd::edit::run(&a, config.as_deref()),
        _ => unreachable!("parsed an edit command"),
    }
}

/// Reads `file` and decrypts it (type detected from the content); "File is not encrypted"
/// for a plain file (the vals backend resolves references in any file).
pub(crate) fn decrypted(
    file: &Path,
    settings: &Settings,
) -> Result<crate::helm::values::Plain, CliError> {
    if crate::helm::args::is_url(&file.to_string_lossy()) {
        return Err(CliError::new(
            codes::GENERIC,
            format!("{}: sops-rs reads local files only", file.display()),
        ));
    }
    let Some(bytes) = read_local(file, false, settings)? else {
        return Err(CliError::new(
            codes::GENERIC,
            format!("File does not exist: {}", file.display()),
        ));
    };
    let backend = settings.backend;
    if backend != crate::helm::args::Backend::Vals && !is_encrypted(&bytes) {
        return Err(CliError::new(
            codes::GENERIC,
            format!("File is not encrypted: {}", file.display()),
        ));
    }
    let sources = settings.key_sources(None, None);
    Ok(process(bytes, file, backend, false, &sources, settings)?.data)
}

fn decrypt(args: &[OsString], settings: &Settings) -> Result<(), CliError> {
    let (flags, file) = flags_and_file(args, "decrypt", &["-i", "--terraform"])?;
    let data = decrypted(file, settings)?;
    if flags.contains(&"--terraform") {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(&*data);
        print!("{{\"content_base64\":\"{encoded}\"}}");
        return Ok(());
    }
    if flags.contains(&"-i") {
        use crate::write::{write_file, NewFile, Policy, Role};
        return write_file(file, &data, Policy::Keep(NewFile::Plaintext), Role::InPlace);
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&data).and_then(|_| out.flush()).map_err(|e| {
        CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            format!("Could not write to stdout: {e}"),
        )
    })
}
