//! The wrapper: `sops-rs helm <helm command and flags>` (and `helm secrets <…>` through the
//! plugin). One linear pass over the arguments rewrites the values flags (`-f`, `--values`,
//! `--values=`, `--set-file`, `--set-file=`; also `-fX` and `-f=X`, which helm accepts and
//! helm-secrets missed, passing ciphertext through), decrypts what is encrypted in-process,
//! and runs helm with the plaintext handed over without touching the disk. Every other
//! argument is copied as it is (1000 `--api-versions` cost nothing, helm-secrets#764).
//!
//! How plaintext reaches helm (`SOPS_RS_HELM_HANDOFF=pipe|fifo|file` overrides the choice):
//!
//! * **pipe** (default for helm's own commands): an anonymous pipe per file, its read end
//!   inherited by helm and named `/dev/fd/N`. Helm reads values once; each pipe is fed by a
//!   thread, so files of any size work and helm may read them in any order.
//! * **fifo** (default for helm plugin commands such as `helm diff`, because helm does not pass
//!   extra descriptors on to a plugin): a named pipe, mode 0600, in a private 0700 directory;
//!   a thread serves the full content to every reader that opens it until helm exits.
//! * **file** (non-Unix systems, or on request): a 0600 file in a private 0700 directory.
//!
//! Directories are removed (files overwritten first) when helm exits, on errors and on
//! SIGINT/SIGTERM/SIGHUP (`crate::tempdir`); the pipes leave nothing behind even on SIGKILL.
//! Any error stops the run before helm starts.

use crate::error::{codes, CliError};
use crate::helm::args::{is_url, parse_item, parse_secrets_url, split_list, unescape_commas};
use crate::helm::handoff::{Channels, Handoff};
use crate::helm::values::{fetch, process, read_local, Settings};
use crate::keys::KeySources;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Which values flag an argument is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `-f` / `--values`: YAML values files.
    Values,
    /// `--set-file key=path`: raw file content for one key.
    SetFile,
}

/// `(flag, kind, value)` for a values flag: `value` is `Some` for the one-argument forms
/// (`--values=X`, `-fX`, `-f=X`) and `None` when the value is the next argument.
fn values_flag(arg: &str) -> Option<(&str, Kind, Option<&str>)> {
    match arg {
        "-f" | "--values" => return Some((arg, Kind::Values, None)),
        "--set-file" => return Some((arg, Kind::SetFile, None)),
        _ => {}
    }
    if let Some(v) = arg.strip_prefix("--values=") {
        return Some(("--values", Kind::Values, Some(v)));
    }
    if let Some(v) = arg.strip_prefix("--set-file=") {
        return Some(("--set-file", Kind::SetFile, Some(v)));
    }
    if let Some(v) = arg.strip_prefix("-f").filter(|_| !arg.starts_with("--")) {
        return Some(("-f", Kind::Values, Some(v.strip_prefix('=').unwrap_or(v))));
    }
    None
}

/// The helm to run: `HELM_SECRETS_HELM_PATH`, then `HELM_BIN` (set by helm for plugins), then
/// `helm` from `PATH`.
pub(crate) fn helm_program() -> OsString {
    ["HELM_SECRETS_HELM_PATH", "HELM_BIN"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| OsString::from("helm"))
}

/// The state of one pass: settings, keys, and the channels created so far.
struct Pass<'a> {
    settings: &'a Settings,
    sources: KeySources,
    channels: Channels,
}

/// Runs helm with `args` rewritten; returns helm's exit code.
pub(crate) fn run(settings: &Settings, args: &[OsString]) -> Result<i32, CliError> {
    let mut pass = Pass {
        settings,
        sources: settings.key_sources(None, None),
        channels: Channels::new(Handoff::choose(args)?),
    };
    let mut out: Vec<OsString> = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let Some((flag, kind, inline)) = arg.to_str().and_then(values_flag) else {
            if arg == "--" {
                // Everything after `--` is positional for helm.
                out.extend(args[i - 1..].iter().cloned());
                break;
            }
            out.push(arg.clone());
            continue;
        };
        let value = match inline {
            Some(v) => v,
            None => match args.get(i) {
                Some(v) => {
                    i += 1;
                    utf8(v)?
                }
                // A flag without its value: helm reports it.
                None => {
                    out.push(arg.clone());
                    continue;
                }
            },
        };
        let rewritten = pass.rewrite_list(value, kind)?;
        if inline.is_some() {
            out.push(format!("{flag}={rewritten}").into());
        } else {
            out.push(flag.into());
            out.push(rewritten.into());
        }
    }
    if std::env::var_os("HELM_SECRETS_DEBUG").is_some() {
        eprintln!("[sops-rs helm] running {:?} {out:?}", helm_program());
    }
    let Pass { channels, .. } = pass;
    channels.run_helm(&helm_program(), &out)
}

fn utf8(arg: &OsStr) -> Result<&str, CliError> {
    arg.to_str().ok_or_else(|| {
        CliError::new(
            codes::GENERIC,
            format!("values argument {arg:?} is not UTF-8; sops-rs cannot check it"),
        )
    })
}

impl Pass<'_> {
    fn rewrite_list(&mut self, list: &str, kind: Kind) -> Result<String, CliError> {
        let mut parts = Vec::new();
        for item in split_list(list) {
            parts.push(self.rewrite_item(item, kind)?);
        }
        Ok(parts.join(","))
    }

    /// One list item: unchanged, or the name of a channel holding its plaintext.
    fn rewrite_item(&mut self, raw: &str, kind: Kind) -> Result<String, CliError> {
        let settings = self.settings;
        let item = parse_item(raw, kind == Kind::SetFile, &settings.allowed)?;
        let location = item.location;
        if (kind == Kind::SetFile && item.key.is_empty()) || location.is_empty() || location == "-"
        {
            return Ok(raw.to_owned());
        }
        let refs = kind == Kind::Values;
        let escape = kind == Kind::SetFile;
        if let Some(mut url) = parse_secrets_url(location, &settings.allowed)? {
            url.optional |= item.optional;
            url.backend = url.backend.or(item.backend);
            let data = fetch(&url, refs, settings)?;
            settings.log(format_args!("Decrypt: {location}"));
            let name = self.channels.add(location, data, escape)?;
            return Ok(format!("{}{name}", item.key));
        }
        if is_url(location) {
            // Helm's own getters (https://, oci://, plugins) fetch it.
            return Ok(format!("{}{location}", item.key));
        }
        let path = PathBuf::from(unescape_commas(location));
        let Some(bytes) = read_local(&path, item.optional, settings)? else {
            let name = self
                .channels
                .add(location, Zeroizing::new(Vec::new()), escape)?;
            return Ok(format!("{}{name}", item.key));
        };
        let backend = item.backend.unwrap_or(settings.backend);
        let processed = process(bytes, &path, backend, refs, &self.sources, settings)?;
        if !processed.changed {
            return Ok(format!("{}{location}", item.key));
        }
        settings.log(format_args!("Decrypt: {location}"));
        let name = self.channels.add(location, processed.data, escape)?;
        Ok(format!("{}{name}", item.key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert!(values_flag("-f")
            .is_some_and(|(f, k, v)| f == "-f" && k == Kind::Values && v.is_none()));
        assert!(values_flag("--values=a.yaml").is_some_and(|(_, _, v)| v == Some("a.yaml")));
        assert!(values_flag("-fa.yaml").is_some_and(|(_, _, v)| v == Some("a.yaml")));
        assert!(values_flag("-f=a.yaml").is_some_and(|(_, _, v)| v == Some("a.yaml")));
        assert!(values_flag("--set-file=k=a")
            .is_some_and(|(_, k, v)| k == Kind::SetFile && v == Some("k=a")));
        assert!(values_flag("--set").is_none());
        assert!(values_flag("--force").is_none());
        assert!(values_flag("--values-x").is_none());
    }
}
