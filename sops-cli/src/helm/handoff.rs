//! Handing plaintext values to helm, and running it: anonymous pipes named `/dev/fd/N`, named
//! pipes (FIFOs) or 0600 files in a private 0700 directory (see `wrapper` for when each
//! is used).
//!
//! Pipes need the read end inherited by helm. std's `Command` closes every descriptor it did
//! not set up (they are close-on-exec), and choosing the child's descriptor number would need
//! `pre_exec` (unsafe) or the `command-fds` crate. Instead the read end keeps its number: just
//! before helm is spawned, its close-on-exec flag is cleared (`rustix::io::fcntl_setfd`, a safe
//! call), so helm inherits it as the same `N`. The write ends stay close-on-exec, so helm sees
//! end-of-file when the feeding thread has written everything. Only the wrapper's thread spawns
//! processes at that point, so no other child inherits a read end by accident.

use crate::error::{codes, CliError};
use crate::helm::values::Plain;
use crate::tempdir::PrivateDir;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// How plaintext is handed to helm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Handoff {
    Pipe,
    Fifo,
    File,
}

/// helm's own commands (Helm 3 and 4, with aliases): helm reads their values itself, so
/// inherited pipes work. Any other command is a plugin, run by helm as a child without the
/// extra descriptors.
const HELM_COMMANDS: &[&str] = &[
    "completion",
    "create",
    "dependency",
    "dep",
    "dependencies",
    "env",
    "get",
    "help",
    "history",
    "hist",
    "install",
    "lint",
    "list",
    "ls",
    "package",
    "plugin",
    "pull",
    "fetch",
    "push",
    "registry",
    "repo",
    "rollback",
    "search",
    "show",
    "inspect",
    "status",
    "template",
    "test",
    "uninstall",
    "un",
    "delete",
    "del",
    "upgrade",
    "verify",
    "version",
];

impl Handoff {
    /// `SOPS_RS_HELM_HANDOFF` if set; else pipes for helm's own commands (the first argument
    /// not starting with `-`), FIFOs for plugin commands; files where neither exists.
    pub(crate) fn choose(args: &[OsString]) -> Result<Handoff, CliError> {
        if let Some(v) = std::env::var_os("SOPS_RS_HELM_HANDOFF").filter(|v| !v.is_empty()) {
            return match v.to_str() {
                Some("pipe") if cfg!(unix) => Ok(Handoff::Pipe),
                Some("fifo") if cfg!(unix) => Ok(Handoff::Fifo),
                Some("file") => Ok(Handoff::File),
                _ => Err(CliError::new(
                    codes::GENERIC,
                    format!("SOPS_RS_HELM_HANDOFF={v:?}: use pipe, fifo or file (pipe and fifo need Unix)"),
                )),
            };
        }
        if !cfg!(unix) {
            return Ok(Handoff::File);
        }
        let command = args
            .iter()
            .filter_map(|a| a.to_str())
            .find(|a| !a.starts_with('-'));
        Ok(match command {
            Some(c) if HELM_COMMANDS.contains(&c) => Handoff::Pipe,
            _ => Handoff::Fifo,
        })
    }
}

/// The plaintext handed over so far.
pub(crate) struct Channels {
    mode: Handoff,
    dir: Option<PrivateDir>,
    #[cfg(unix)]
    pipes: Vec<(std::os::fd::OwnedFd, std::fs::File, Plain)>,
    fifos: Vec<(PathBuf, Plain)>,
    count: usize,
}

impl Channels {
    pub(crate) fn new(mode: Handoff) -> Self {
        Channels {
            mode,
            dir: None,
            #[cfg(unix)]
            pipes: Vec::new(),
            fifos: Vec::new(),
            count: 0,
        }
    }

    fn private_dir(&mut self) -> Result<&PrivateDir, CliError> {
        if self.dir.is_none() {
            let dir = PrivateDir::new().map_err(|e| {
                CliError::new(
                    codes::COULD_NOT_WRITE_OUTPUT,
                    format!("Could not create temporary directory: {e}"),
                )
            })?;
            self.dir = Some(dir);
        }
        Ok(self.dir.as_ref().expect("just created"))
    }

    /// Adds `data` (the content of the values item `location`) and returns the name helm is
    /// to read it from; `escape` quotes `\` and `,` for `--set-file`'s parser.
    pub(crate) fn add(
        &mut self,
        location: &str,
        data: Plain,
        escape: bool,
    ) -> Result<String, CliError> {
        self.count += 1;
        let failed = |e: std::io::Error| {
            CliError::new(
                codes::COULD_NOT_WRITE_OUTPUT,
                format!("cannot hand {location} to helm: {e}"),
            )
        };
        let name = match self.mode {
            #[cfg(unix)]
            Handoff::Pipe => {
                use std::os::fd::AsRawFd;
                // Both ends close-on-exec; the read end is opened up for helm in `run_helm`.
                let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
                    .map_err(|e| failed(e.into()))?;
                let writer = std::fs::File::from(writer);
                let name = format!("/dev/fd/{}", reader.as_raw_fd());
                self.pipes.push((reader, writer, data));
                name
            }
            #[cfg(unix)]
            Handoff::Fifo => {
                let file = format!("{}-{}", self.count, safe_name(location));
                let path = self.private_dir()?.path().join(file);
                rustix::fs::mkfifoat(
                    rustix::fs::CWD,
                    &path,
                    rustix::fs::Mode::from_raw_mode(0o600),
                )
                .map_err(|e| failed(e.into()))?;
                let name = path.to_string_lossy().into_owned();
                self.fifos.push((path, data));
                name
            }
            _ => {
                let file = format!("{}-{}", self.count, safe_name(location));
                let path = self
                    .private_dir()?
                    .write_file(&file, &data)
                    .map_err(failed)?;
                path.to_string_lossy().into_owned()
            }
        };
        Ok(if escape {
            name.replace('\\', "\\\\").replace(',', "\\,")
        } else {
            name
        })
    }

    /// Runs `helm args…`, feeds the channels while it runs, cleans up, and returns helm's exit
    /// code (128 + the signal that ended it).
    pub(crate) fn run_helm(mut self, helm: &OsStr, args: &[OsString]) -> Result<i32, CliError> {
        let mut command = std::process::Command::new(helm);
        command.args(args);
        #[cfg(unix)]
        for (reader, _, _) in &self.pipes {
            rustix::io::fcntl_setfd(reader, rustix::io::FdFlags::empty()).map_err(|e| {
                CliError::new(codes::GENERIC, format!("cannot pass a pipe to helm: {e}"))
            })?;
        }
        let mut child = command.spawn().map_err(|e| {
            CliError::new(
                codes::GENERIC,
                format!(
                    "could not run {} ({e}); set HELM_SECRETS_HELM_PATH or HELM_BIN to helm's path",
                    helm.to_string_lossy()
                ),
            )
        })?;
        let done = Arc::new(AtomicBool::new(false));
        let mut feeders: Vec<JoinHandle<()>> = Vec::new();
        #[cfg(unix)]
        for (reader, mut writer, data) in self.pipes.drain(..) {
            drop(reader);
            feeders.push(std::thread::spawn(move || {
                // helm may exit without reading (an error in the chart): EPIPE ends the write.
                let _ = writer.write_all(&data);
            }));
        }
        #[cfg(unix)]
        for (path, data) in &self.fifos {
            let (path, data, done) = (path.clone(), data.clone(), Arc::clone(&done));
            feeders.push(std::thread::spawn(move || serve_fifo(&path, &data, &done)));
        }
        let status = child.wait();
        done.store(true, Ordering::SeqCst);
        for (path, _) in &self.fifos {
            // Wakes the server, blocked until a reader opens the FIFO, so that it sees `done`.
            if let Ok(mut f) = std::fs::File::open(path) {
                let _ = std::io::copy(&mut f, &mut std::io::sink());
            }
        }
        for feeder in feeders {
            let _ = feeder.join();
        }
        drop(self);
        let status =
            status.map_err(|e| CliError::new(codes::GENERIC, format!("waiting for helm: {e}")))?;
        Ok(exit_code(status))
    }
}

/// Serves `data` to each reader that opens the FIFO at `path`, until `done` is set (checked
/// after each open, so the final wake-up open always finds a partner).
#[cfg(unix)]
fn serve_fifo(path: &std::path::Path, data: &[u8], done: &AtomicBool) {
    loop {
        // Opening a FIFO for writing blocks until a reader opens it.
        let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) else {
            return;
        };
        if done.load(Ordering::SeqCst) {
            return;
        }
        let _ = fifo.write_all(data);
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return 128 + signal;
        }
    }
    status.code().unwrap_or(1)
}

/// The last part of `location`, with only `[A-Za-z0-9._-]` kept, for readable channel names.
fn safe_name(location: &str) -> String {
    let base = location.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(64)
        .collect();
    if name.is_empty() || name.starts_with('.') {
        format!("values{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(safe_name("dir/secrets.yaml"), "secrets.yaml");
        assert_eq!(safe_name("secrets://a/b c!.yaml"), "bc.yaml");
        assert_eq!(safe_name("x/"), "values");
        assert_eq!(safe_name(".hidden"), "values.hidden");
    }

    #[test]
    fn handoff_follows_the_command() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        if std::env::var_os("SOPS_RS_HELM_HANDOFF").is_none() && cfg!(unix) {
            assert_eq!(
                Handoff::choose(&args(&["template", "c", "-f", "x"])).unwrap(),
                Handoff::Pipe
            );
            assert_eq!(
                Handoff::choose(&args(&["--debug", "upgrade", "r", "c"])).unwrap(),
                Handoff::Pipe
            );
            assert_eq!(
                Handoff::choose(&args(&["diff", "upgrade", "r", "c"])).unwrap(),
                Handoff::Fifo
            );
        }
    }
}
