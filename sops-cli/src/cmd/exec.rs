//! `sops-rs exec-env` and `exec-file`: run a command with the secrets, never writing them to a
//! regular file unless asked (`--no-fifo` writes a 0600 file in a private 0700 directory).
//! `--user NAME` runs the command as that user (see `user.rs`): the file or FIFO is then the
//! user's, and the private directory (still sops-rs's, so its entries cannot be swapped) lets
//! the user's group through (0710).

use crate::cli::{ExecEnvArgs, ExecFileArgs, OpenArgs};
use crate::common::{decrypt_options, format_for, open_error, store_options};
use crate::error::{codes, CliError};
use crate::keys::KeySources;
use crate::tempdir::PrivateDir;
use crate::user::Account;
use sops_core::internal::open_tree;
use sops_core::store::Format;
use sops_core::tree::{MapItem, Node, Scalar, Tree};
use std::path::Path;
use std::process::Command;

fn decrypt(
    file: &Path,
    format: Format,
    open: &OpenArgs,
    config_path: Option<&Path>,
) -> Result<Tree, CliError> {
    // A missing file is "Error reading file" (exit 2), as in sops.
    // Decryption ignores creation rules, but `stores:` settings apply (see `stores_config`).
    let config = crate::common::stores_config(config_path)?;
    let options = store_options(config.as_ref(), None);
    let input = crate::io::read_input(Some(file))?;
    let sources = KeySources::from_env();
    let store = format.store_with(&options);
    open_tree(
        &input,
        store.as_ref(),
        &sources.as_list(),
        &decrypt_options(open),
    )
    .map(|(tree, _)| {
        crate::log::data_key_recovered();
        tree
    })
    .map_err(|e| open_error(&sources, e))
}

/// sops's `ValToString` for environment values.
fn env_value(node: &Node, key: &str) -> Result<String, CliError> {
    Ok(match node {
        Node::Scalar(Scalar::Str(s)) => s.as_str().to_owned(),
        Node::Scalar(Scalar::Bytes(b)) => String::from_utf8_lossy(b.secret_bytes()).into_owned(),
        Node::Scalar(Scalar::Int(i)) => i.to_string(),
        Node::Scalar(Scalar::Bool(b)) => b.to_string(),
        Node::Scalar(Scalar::Float(f)) => {
            // FormatFloat(v, 'G', -1, 64), with ".0" added when it reads like an integer.
            let s = go_float_g(*f);
            if f.is_finite() && !s.contains(['.', 'E']) {
                format!("{f:.1}")
            } else {
                s
            }
        }
        Node::Scalar(Scalar::Time(t)) => t.rfc3339_seconds(),
        // Go's `%v` of nil.
        Node::Scalar(Scalar::Null) => "<nil>".to_owned(),
        _ => {
            return Err(CliError::new(
                codes::GENERIC,
                format!("cannot use complex value of key {key:?} as an environment variable"),
            ))
        }
    })
}

/// The command's exit status as sops reports it: its exit code ("exit status N"), or 255 when a
/// signal ended it (Go's `ExitCode()` is -1 then, which the process exits with).
/// Go's `strconv.FormatFloat(f, 'G', -1, 64)`: the shortest digits, in exponent form
/// (`1.234567E+06`, `1E-05`) when the exponent is below -4 or at least 6.
fn go_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exp.unsigned_abs())
    } else {
        format!("{f}")
    }
}

fn exit_with(status: std::process::ExitStatus) -> Result<(), CliError> {
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(CliError::new(code, format!("exit status {code}"))),
        None => Err(CliError::new(
            KILLED_BY_SIGNAL,
            format!("command terminated by {status}"),
        )),
    }
}

const KILLED_BY_SIGNAL: i32 = 255;

pub(crate) fn run_env(args: &ExecEnvArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let format = format_for(&args.file, args.input_type.as_deref());
    let tree = decrypt(&args.file, format, &args.open, config_path)?;
    let account = args.user.as_deref().map(Account::switchable).transpose()?;
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(&args.command);
    if args.pristine {
        command.env_clear();
    }
    if let Some(branch) = tree.branches.first() {
        for item in &branch.items {
            if let MapItem::Pair(key, value) = item {
                if key.contains('=') {
                    return Err(CliError::new(
                        codes::GENERIC,
                        format!("cannot use key {key:?} containing '=' as an environment variable"),
                    ));
                }
                command.env(key, env_value(value, key)?);
            }
        }
    }
    drop(tree);
    if let Some(account) = &account {
        // After the secrets, as sops 3.13.2: they win over secrets named HOME, USER, LOGNAME.
        command.envs(account.env());
    }
    #[cfg(unix)]
    if args.same_process {
        use std::os::unix::process::CommandExt;
        if let Some(account) = &account {
            account.become_on_this_thread()?;
        }
        let err = command.exec();
        return Err(CliError::new(
            codes::GENERIC,
            format!("could not run the command: {err}"),
        ));
    }
    let status = run(&mut command, account.as_ref())?;
    exit_with(status)
}

/// Runs `command` and waits for it, as `account` when given.
fn run(
    command: &mut Command,
    account: Option<&Account>,
) -> Result<std::process::ExitStatus, CliError> {
    let status = match account {
        Some(account) => account.run_as(|| command.status())?,
        None => command.status(),
    };
    status.map_err(|e| CliError::new(codes::GENERIC, format!("could not run the command: {e}")))
}

/// Go's `filepath.IsLocal`: not empty, not absolute, and never above its start (`../x`).
fn is_local(name: &str) -> bool {
    let path = Path::new(name);
    if name.is_empty() || path.is_absolute() {
        return false;
    }
    let mut depth = 0i32;
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => depth -= 1,
            std::path::Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

pub(crate) fn run_file(args: &ExecFileArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    if !is_local(&args.filename) {
        // sops 3.13 (#2155): the file must stay inside the private directory.
        return Err(CliError::new(
            codes::GENERIC,
            "The provided filename is not a local path.",
        ));
    }
    let in_format = format_for(&args.file, args.input_type.as_deref());
    let out_format = args
        .output_type
        .as_deref()
        .and_then(Format::from_name)
        .unwrap_or(in_format);
    let tree = decrypt(&args.file, in_format, &args.open, config_path)?;
    let plaintext = out_format.store().emit_plain(&tree)?;
    drop(tree);
    let account = args.user.as_deref().map(Account::switchable).transpose()?;
    let dir = PrivateDir::new().map_err(|e| {
        CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            format!("Could not create temporary directory: {e}"),
        )
    })?;
    if let Some(account) = &account {
        account.enter(dir.path())?;
    }
    let name = Path::new(&args.filename)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tmp-file".to_owned());
    let path = dir.path().join(&name);
    let command_line = args.command.replace("{}", &path.to_string_lossy());
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(&command_line);
    if let Some(account) = &account {
        command.envs(account.env());
    }
    if args.no_fifo {
        dir.write_file(&name, &plaintext).map_err(|e| {
            CliError::new(
                codes::COULD_NOT_WRITE_OUTPUT,
                format!("Could not write temporary file: {e}"),
            )
        })?;
        if let Some(account) = &account {
            account.give(&path)?;
        }
        let status = run(&mut command, account.as_ref())?;
        drop(dir);
        return exit_with(status);
    }
    let made = Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&path)
        .status()
        .map_err(|e| {
            CliError::new(
                codes::COULD_NOT_WRITE_OUTPUT,
                format!("could not create a FIFO (mkfifo): {e}"),
            )
        })?;
    if !made.success() {
        return Err(CliError::new(
            codes::COULD_NOT_WRITE_OUTPUT,
            "could not create a FIFO; --no-fifo writes a regular file instead",
        ));
    }
    if let Some(account) = &account {
        account.give(&path)?;
    }
    let fifo = path.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        // Opening a FIFO for writing blocks until the command opens it for reading.
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&fifo) {
            let _ = f.write_all(&plaintext);
        }
    });
    let status = run(&mut command, account.as_ref())?;
    if !writer.is_finished() {
        // The command never read the FIFO, or not all of it: read it ourselves so the writer
        // can finish.
        drain_fifo(&path, &writer);
    }
    let _ = writer.join();
    drop(dir);
    exit_with(status)
}

/// Reads the FIFO at `path` until `writer` is done. The read end is opened without blocking: a
/// blocking open would wait forever when the writer has just written everything to the command
/// and closed its end, but has not returned yet (a race the tests hit under load). While it is
/// open, a writer that has not opened its end yet finds a reader.
#[cfg(unix)]
fn drain_fifo(path: &Path, writer: &std::thread::JoinHandle<()>) {
    use rustix::fs::{open, Mode, OFlags};
    use std::io::Read;
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let Ok(fd) = open(path, flags, Mode::empty()) else {
        return;
    };
    let mut fifo = std::fs::File::from(fd);
    let mut buf = zeroize::Zeroizing::new([0u8; 8192]);
    while !writer.is_finished() {
        match fifo.read(&mut buf[..]) {
            Ok(n) if n > 0 => {}
            // End of file (no writer at the moment) or nothing to read yet.
            _ => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
}

#[cfg(not(unix))]
fn drain_fifo(_: &Path, _: &std::thread::JoinHandle<()>) {}

#[cfg(test)]
mod tests {
    use super::is_local;

    #[test]
    fn only_local_file_names_are_accepted() {
        for name in ["tmp-file", "a/b", "a/../b", "./x"] {
            assert!(is_local(name), "{name}");
        }
        for name in ["", "/etc/x", "../x", "a/../../x"] {
            assert!(!is_local(name), "{name}");
        }
    }
}
