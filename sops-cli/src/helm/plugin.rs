//! The Helm plugin: `sops-rs helm install-plugin` writes it into helm's plugin directory, and
//! `sops-rs helm downloader CERT KEY CA URL` is what helm runs for `-f secrets://…` (stdout is
//! the file's content, HELM-PATH.md §1.6).
//!
//! Helm 3 gets one plugin in the portable legacy format (`platformCommand` entries with only
//! `os` and `command`, plus `downloaders`); Helm 4 gets a `cli/v1` plugin and a `getter/v1`
//! plugin (`apiVersion: v1`), because Helm 4 loads a legacy plugin as a getter only and Helm 3
//! rejects (every plugin, not just this one) a plugin.yaml with fields it does not know. Both
//! use the names of helm-secrets (`secrets`, `secrets-getter`) and its six URL schemes, so
//! Argo CD's `helm.valuesFileSchemes` and existing Application specs keep working. Each plugin
//! directory holds `bin/sops-rs`, a symbolic link to this binary: helm runs a plugin's command
//! with `exec` (no shell) from the plugin directory, the command's words split on spaces, so
//! the downloader is `bin/sops-rs helm downloader` with no shell between helm and the binary
//! (a shell script there cost about a millisecond per values file). Elsewhere than on Unix the
//! link is a two-line shell script that execs the binary.

use crate::error::{codes, CliError};
use crate::helm::args::{parse_secrets_url, SCHEMES};
use crate::helm::values::{fetch, Settings};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Marks a plugin directory as written by `install-plugin` (and so safe to replace).
const MARKER: &str = ".sops-rs-plugin";
/// The link to the binary (a script where there are no symbolic links), relative to the plugin.
const LAUNCHER: &str = "bin/sops-rs";
/// The shell script of earlier versions, removed when the plugin is written again.
const OLD_SCRIPT: &str = "bin/sops-rs-helm";
const DIR_CLI: &str = "sops-rs-secrets";
const DIR_GETTER: &str = "sops-rs-secrets-getter";

/// `sops-rs helm downloader CERT KEY CA URL`: prints what `URL` stands for.
pub(crate) fn downloader(settings: &Settings, args: &[OsString]) -> Result<(), CliError> {
    // Helm passes certFile, keyFile, caFile, then the URL: always the last argument.
    let Some(url) = args.last().and_then(|a| a.to_str()) else {
        return Err(CliError::new(
            codes::GENERIC,
            "usage: sops-rs helm downloader CERT KEY CA URL (helm runs this for secrets:// values)",
        ));
    };
    let Some(parsed) = parse_secrets_url(url, &settings.allowed)? else {
        return Err(CliError::new(
            codes::GENERIC,
            format!("Unknown protocol '{url}'!"),
        ));
    };
    let data = fetch(&parsed, false, settings)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&data).and_then(|_| out.flush()).map_err(|e| {
        CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            format!("Could not write to stdout: {e}"),
        )
    })
}

/// Options of `install-plugin`.
struct Install {
    helm_version: Option<u32>,
    plugins_dir: Option<PathBuf>,
    binary: Option<PathBuf>,
}

fn usage_error(message: &str) -> CliError {
    CliError::new(
        codes::GENERIC,
        format!(
            "{message}\nusage: sops-rs helm install-plugin [--helm-version 3|4] [--plugins-dir DIR] [--sops-rs PATH]"
        ),
    )
}

fn parse_install(args: &[OsString]) -> Result<Install, CliError> {
    let mut options = Install {
        helm_version: None,
        plugins_dir: None,
        binary: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone().into_owned(), None),
        };
        let mut value = || -> Result<String, CliError> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .map(|v| v.to_string_lossy().into_owned())
                    .ok_or_else(|| usage_error(&format!("{name} needs a value"))),
            }
        };
        match name.as_str() {
            "--helm-version" => match value()?.trim_start_matches('v').chars().next() {
                Some('3') => options.helm_version = Some(3),
                Some('4') => options.helm_version = Some(4),
                _ => return Err(usage_error("--helm-version is 3 or 4")),
            },
            "--plugins-dir" => options.plugins_dir = Some(PathBuf::from(value()?)),
            "--sops-rs" => options.binary = Some(PathBuf::from(value()?)),
            other => return Err(usage_error(&format!("unknown option {other}"))),
        }
    }
    Ok(options)
}

/// Runs `helm ARGS` and returns its trimmed stdout.
fn ask_helm(args: &[&str]) -> Result<String, CliError> {
    let helm = crate::helm::wrapper::helm_program();
    let out = std::process::Command::new(&helm)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| {
            CliError::new(
                codes::GENERIC,
                format!(
                    "could not run {} {} ({e}); pass --helm-version and --plugins-dir, or set HELM_SECRETS_HELM_PATH",
                    helm.to_string_lossy(),
                    args.join(" ")
                ),
            )
        })?;
    if !out.status.success() {
        return Err(CliError::new(
            codes::GENERIC,
            format!(
                "{} {} failed ({})",
                helm.to_string_lossy(),
                args.join(" "),
                out.status
            ),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `sops-rs helm install-plugin`: writes the plugin for the helm at hand (or as told).
pub(crate) fn install(args: &[OsString]) -> Result<(), CliError> {
    let options = parse_install(args)?;
    let version = match options.helm_version {
        Some(v) => v,
        None => match ask_helm(&["version", "--short"])?
            .trim_start_matches('v')
            .chars()
            .next()
        {
            Some('3') => 3,
            Some('4') => 4,
            _ => {
                return Err(usage_error(
                    "cannot tell helm's major version; pass --helm-version",
                ))
            }
        },
    };
    let plugins = match options.plugins_dir {
        Some(dir) => dir,
        None => match std::env::var_os("HELM_PLUGINS").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(ask_helm(&["env", "HELM_PLUGINS"])?),
        },
    };
    let binary = match options.binary {
        Some(b) => b,
        None => std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .map_err(|e| {
                CliError::new(
                    codes::GENERIC,
                    format!("cannot find the sops-rs binary: {e}"),
                )
            })?,
    };
    let io = |e: std::io::Error, path: &Path| {
        CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    std::fs::create_dir_all(&plugins).map_err(|e| io(e, &plugins))?;
    refuse_helm_secrets(&plugins)?;
    let dirs: Vec<(&str, String)> = if version == 3 {
        vec![(DIR_CLI, plugin_v3())]
    } else {
        vec![(DIR_CLI, plugin_v4_cli()), (DIR_GETTER, plugin_v4_getter())]
    };
    // A Helm 4 plugin.yaml left in a Helm 3 plugin directory would break every plugin there.
    for stale in [DIR_CLI, DIR_GETTER] {
        let dir = plugins.join(stale);
        if dir.join(MARKER).exists() && !dirs.iter().any(|(d, _)| *d == stale) {
            std::fs::remove_dir_all(&dir).map_err(|e| io(e, &dir))?;
        }
    }
    for (name, yaml) in &dirs {
        let dir = plugins.join(name);
        if dir.exists() && !dir.join(MARKER).exists() {
            return Err(CliError::new(
                codes::GENERIC,
                format!(
                    "{} exists and was not written by sops-rs; remove it first",
                    dir.display()
                ),
            ));
        }
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).map_err(|e| io(e, &bin))?;
        for (file, content, mode) in [
            (MARKER, "written by `sops-rs helm install-plugin`\n", 0o644),
            ("plugin.yaml", yaml.as_str(), 0o644),
        ] {
            let path = dir.join(file);
            write_file(&path, content, mode).map_err(|e| io(e, &path))?;
        }
        let old = dir.join(OLD_SCRIPT);
        if old.symlink_metadata().is_ok() {
            std::fs::remove_file(&old).map_err(|e| io(e, &old))?;
        }
        let launcher = dir.join(LAUNCHER);
        write_launcher(&launcher, &binary).map_err(|e| io(e, &launcher))?;
        println!("Installed the Helm {version} plugin {}", dir.display());
    }
    Ok(())
}

/// A fresh file with exactly `mode`, never written through a symlink planted there.
fn write_file(path: &Path, content: &str, mode: u32) -> std::io::Result<()> {
    use crate::write::{write_raw, Policy, WriteError};
    write_raw(path, content.as_bytes(), Policy::Private(mode)).map_err(|e| match e {
        WriteError::Open(e) | WriteError::Write(e) => e,
        WriteError::NotRegular(what) => {
            std::io::Error::other(format!("it is {what}, not a regular file; remove it first"))
        }
    })
}

/// `bin/sops-rs`: a symbolic link to `binary`, put in place by a rename (so an existing link or
/// file there is replaced as a whole, never followed).
#[cfg(unix)]
fn write_launcher(path: &Path, binary: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".sops-rs.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    std::os::unix::fs::symlink(binary, &temp)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Without symbolic links: a shell script that execs `binary` with its arguments.
#[cfg(not(unix))]
fn write_launcher(path: &Path, binary: &Path) -> std::io::Result<()> {
    let script = format!(
        "#!/bin/sh\n# Written by `sops-rs helm install-plugin`.\nexec {} \"$@\"\n",
        shell_quote(&binary.to_string_lossy())
    );
    write_file(path, &script, 0o755)
}

/// helm-secrets' plugins have the same names: helm refuses two plugins with one name.
fn refuse_helm_secrets(plugins: &Path) -> Result<(), CliError> {
    let Ok(entries) = std::fs::read_dir(plugins) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if dir.join(MARKER).exists() {
            continue;
        }
        let Ok(yaml) = std::fs::read_to_string(dir.join("plugin.yaml")) else {
            continue;
        };
        let clash = yaml.lines().any(|l| {
            let name = l
                .strip_prefix("name:")
                .map(|v| v.trim().trim_matches(['"', '\'']));
            matches!(name, Some("secrets" | "secrets-getter"))
        });
        if clash {
            return Err(CliError::new(
                codes::GENERIC,
                format!(
                    "{} holds a plugin with one of the names sops-rs uses (secrets, secrets-getter), probably helm-secrets; \
                     uninstall it first (helm plugin uninstall secrets; on Helm 4 also secrets-getter and secrets-post-renderer)",
                    dir.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn protocols(indent: &str) -> String {
    let mut names: Vec<&str> = SCHEMES.iter().map(|(n, _)| *n).collect();
    names.reverse();
    names
        .iter()
        .map(|n| format!("{indent}- \"{n}\"\n"))
        .collect()
}

const USAGE: &str = "Decrypt sops-encrypted values files (sops-rs)";
const HELP: &str = "sops-rs's Helm integration, installed by `sops-rs helm install-plugin`.\n  \
helm secrets <helm command> [flags]: decrypts the files of -f/--values/--set-file in-process\n  \
and runs helm with the plaintext in pipes. helm secrets decrypt|encrypt|edit FILE work as in\n  \
helm-secrets. Values given as secrets://FILE are decrypted by the downloader with any command.";

/// Joins YAML lines (string continuation escapes would eat their indentation).
fn lines(parts: &[&str]) -> String {
    parts.iter().map(|l| format!("{l}\n")).collect()
}

fn plugin_v3() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let command = format!("    command: \"$HELM_PLUGIN_DIR/{LAUNCHER} helm\"");
    lines(&[
        "# Written by `sops-rs helm install-plugin` (Helm 3 format).",
        "name: \"secrets\"",
        &format!("version: \"{version}\""),
        &format!("usage: \"{USAGE}\""),
        "description: |-",
        &format!("  {HELP}"),
        "platformCommand:",
        "  - os: linux",
        &command,
        "  - os: darwin",
        &command,
        &format!("  - {}", command.trim_start()),
        "downloaders:",
        &format!("  - command: \"{LAUNCHER} helm downloader\""),
        "    protocols:",
    ]) + &protocols("      ")
}

fn plugin_v4_cli() -> String {
    let version = env!("CARGO_PKG_VERSION");
    lines(&[
        "# Written by `sops-rs helm install-plugin` (Helm 4 format).",
        "apiVersion: v1",
        "type: cli/v1",
        "name: secrets",
        &format!("version: \"{version}\""),
        "runtime: subprocess",
        "config:",
        "  usage: secrets",
        &format!("  shortHelp: \"{USAGE}\""),
        "  longHelp: |-",
        &format!("    {}", HELP.replace("\n  ", "\n    ")),
        "runtimeConfig:",
        "  platformCommand:",
        &format!("    - command: \"$HELM_PLUGIN_DIR/{LAUNCHER}\""),
        "      args: [\"helm\"]",
    ])
}

fn plugin_v4_getter() -> String {
    let version = env!("CARGO_PKG_VERSION");
    lines(&[
        "# Written by `sops-rs helm install-plugin` (Helm 4 format).",
        "apiVersion: v1",
        "type: getter/v1",
        "name: secrets-getter",
        &format!("version: \"{version}\""),
        "runtime: subprocess",
        "config:",
        "  protocols:",
    ]) + &protocols("    ")
        + &lines(&["runtimeConfig:", "  protocolCommands:", "    - protocols:"])
        + &protocols("        ")
        + &lines(&[
            "      platformCommand:",
            &format!("        - command: \"{LAUNCHER}\""),
            "          args: [\"helm\", \"downloader\"]",
        ])
}
