//! Running the GnuPG binary, the way sops 3.11 does when its OpenPGP library cannot do the job.
//!
//! * Decryption: `gpg [--homedir H] --no-tty --batch -d`, the armored message on stdin, the
//!   secret on stdout. Secret keys stay in `gpg-agent`, which may ask for a passphrase through
//!   its pinentry; sops-rs never asks for one itself.
//! * Encryption: `gpg [--homedir H] --no-default-recipient --yes --encrypt -a -r FP
//!   --trusted-key <last 16 of FP> --no-encrypt-to`, the secret on stdin; the armored output is
//!   whitespace-trimmed, as sops does.
//! * Certificates for native encryption: `gpg [--homedir H] --batch --no-tty --export FP`.
//!
//! The program is `$SOPS_GPG_EXEC` or `gpg`, run without a shell. No command line here names a
//! keyserver, and none of them fetches keys. Each run has a deadline (60 s unless configured):
//! a gpg waiting forever on an agent or a pinentry is killed and reported, never waited for.
//! Stdout is kept in zeroizing memory; stderr is kept for the error report.

use std::fmt;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long a gpg run may take before it is killed, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long to wait for gpg's output pipes to close once it has exited.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Why a gpg run gave no result.
pub(crate) enum GpgError {
    /// The program could not be started at all (missing, not executable).
    Unavailable(String),
    /// It ran and failed, printed nothing usable, or was killed at the deadline.
    Failed(String),
}

impl fmt::Display for GpgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpgError::Unavailable(m) | GpgError::Failed(m) => f.write_str(m),
        }
    }
}

/// How one gpg run ended, when it could be run at all.
pub(crate) struct GpgOutput {
    pub status: ExitStatus,
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: String,
}

/// The gpg program, the GnuPG home to pass as `--homedir` (if any) and the deadline.
#[derive(Clone)]
pub(crate) struct Gpg {
    pub program: String,
    pub homedir: Option<PathBuf>,
    pub timeout: Duration,
}

impl Gpg {
    /// `gpg --no-tty --batch -d` on `enc`; the decrypted bytes, or what went wrong.
    pub fn decrypt(&self, enc: &str) -> Result<Zeroizing<Vec<u8>>, GpgError> {
        let out = self.run(&["--no-tty", "--batch", "-d"], enc.as_bytes())?;
        if !out.status.success() {
            return Err(self.failure("gpg -d", &out));
        }
        if out.stdout.is_empty() {
            // Seen with old GnuPG versions and messages they cannot fully parse (sops checks
            // this too).
            return Err(GpgError::Failed(
                "`gpg -d` succeeded but printed nothing (zero bytes returned)".to_owned(),
            ));
        }
        Ok(out.stdout)
    }

    /// Encrypts `secret` to `fingerprint` with sops' command line; the armored message,
    /// whitespace-trimmed.
    pub fn encrypt(&self, fingerprint: &str, secret: &[u8]) -> Result<String, GpgError> {
        let short = shorten_fingerprint(fingerprint);
        let args = [
            "--no-default-recipient",
            "--yes",
            "--encrypt",
            "-a",
            "-r",
            fingerprint,
            "--trusted-key",
            short,
            "--no-encrypt-to",
        ];
        let out = self.run(&args, secret)?;
        if !out.status.success() {
            return Err(self.failure("gpg --encrypt", &out));
        }
        match std::str::from_utf8(&out.stdout) {
            Ok(text) if text.trim().starts_with("-----BEGIN PGP MESSAGE-----") => {
                Ok(text.trim().to_owned())
            }
            _ => Err(GpgError::Failed(
                "`gpg --encrypt` did not print an armored PGP message".to_owned(),
            )),
        }
    }

    /// `gpg --export FP`: the certificate as GnuPG stores it (binary), possibly empty.
    pub fn export(&self, fingerprint: &str) -> Result<Vec<u8>, GpgError> {
        let fingerprint = fingerprint.trim_end_matches('!');
        let out = self.run(&["--batch", "--no-tty", "--export", fingerprint], b"")?;
        if !out.status.success() {
            return Err(self.failure("gpg --export", &out));
        }
        Ok(out.stdout.to_vec())
    }

    /// The program and home for messages: `gpg` or `gpg --homedir /x`.
    pub fn describe(&self) -> String {
        match &self.homedir {
            Some(home) => format!("{} --homedir {}", self.program, home.display()),
            None => self.program.clone(),
        }
    }

    fn failure(&self, what: &str, out: &GpgOutput) -> GpgError {
        let stderr = out.stderr.trim();
        let said = if stderr.is_empty() {
            "it printed nothing on stderr".to_owned()
        } else {
            format!("gpg said: {}", stderr.replace('\n', " | "))
        };
        let mut message = format!("`{what}` failed ({}); {said}", out.status);
        if let Some(hint) = hint_for(stderr) {
            message.push_str(&format!(" (hint: {hint})"));
        }
        GpgError::Failed(message)
    }

    /// Runs the program with `args` (after `--homedir`), feeding it `input`.
    fn run(&self, args: &[&str], input: &[u8]) -> Result<GpgOutput, GpgError> {
        let mut command = Command::new(&self.program);
        if let Some(home) = &self.homedir {
            command.arg("--homedir").arg(home);
        }
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| self.spawn_error(&e))?;
        let stdout = child.stdout.take().map(spawn_reader);
        let stderr = child.stderr.take().map(spawn_reader);
        if let Some(mut stdin) = child.stdin.take() {
            // The input is at most a few KiB, less than any pipe buffer; a gpg that exits
            // without reading it (a broken pipe) is reported by its exit status instead.
            let _ = stdin.write_all(input);
        }
        let status = wait_with_deadline(&mut child, self.timeout).map_err(|e| match e {
            Waited::TimedOut => GpgError::Failed(format!(
                "`{}` did not finish within {} and was killed; is gpg-agent waiting for a \
                 passphrase on a pinentry that cannot be shown?",
                self.describe(),
                seconds(self.timeout)
            )),
            Waited::Failed(e) => {
                GpgError::Failed(format!("waiting for `{}` failed: {e}", self.describe()))
            }
        })?;
        let until = Instant::now() + PIPE_GRACE;
        let stdout = stdout.map(|rx| collect(rx, until)).unwrap_or_default();
        let stderr = stderr.map(|rx| collect(rx, until)).unwrap_or_default();
        Ok(GpgOutput {
            status,
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    fn spawn_error(&self, e: &std::io::Error) -> GpgError {
        let mut message = format!("cannot run the GnuPG program `{}`: {e}", self.program);
        if e.kind() == std::io::ErrorKind::NotFound {
            message.push_str(
                " (hint: install GnuPG, or set SOPS_GPG_EXEC to the path of a gpg binary)",
            );
        }
        GpgError::Unavailable(message)
    }
}

/// The short key ID sops passes to `--trusted-key`: the last 16 characters, or the 16 hex
/// digits before a trailing `!` together with the `!`.
pub(crate) fn shorten_fingerprint(fingerprint: &str) -> &str {
    let keep = if fingerprint.ends_with('!') { 17 } else { 16 };
    let start = fingerprint.len().saturating_sub(keep);
    fingerprint.get(start..).unwrap_or(fingerprint)
}

/// `60 s`, or `500 ms` below a second.
fn seconds(d: Duration) -> String {
    if d.as_millis() % 1000 == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// A hint for well-known gpg complaints (matched on GnuPG's English messages).
fn hint_for(stderr: &str) -> Option<&'static str> {
    if stderr.contains("Inappropriate ioctl for device") || stderr.contains("No pinentry") {
        Some(
            "gpg-agent could not ask for the key's passphrase; run `export GPG_TTY=$(tty)` \
             or unlock the key in gpg-agent first",
        )
    } else if stderr.contains("No secret key") {
        Some(
            "the secret key is not in this GnuPG home; import it with `gpg --import`, or point \
             SOPS_PGP_KEY_FILE at an armored secret key file",
        )
    } else if stderr.contains("No public key") || stderr.contains("Unusable public key") {
        Some(
            "import a current, unexpired certificate for this fingerprint with `gpg --import`; \
             sops-rs never contacts a keyserver",
        )
    } else {
        None
    }
}

enum Waited {
    TimedOut,
    Failed(std::io::Error),
}

/// Waits for `child` until `timeout` has passed, then kills it.
fn wait_with_deadline(child: &mut Child, timeout: Duration) -> Result<ExitStatus, Waited> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Waited::TimedOut);
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) => {
                let _ = child.kill();
                return Err(Waited::Failed(e));
            }
        }
    }
}

/// Reads `pipe` on a thread, sending what arrives in zeroizing chunks.
fn spawn_reader<R: Read + Send + 'static>(mut pipe: R) -> Receiver<Zeroizing<Vec<u8>>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new([0u8; 4096]);
        loop {
            match pipe.read(&mut buf[..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Zeroizing::new(buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Everything `rx` delivers until its pipe closes or `until` passes (a process that inherited
/// the pipe, such as a freshly started gpg-agent, must not keep us waiting).
fn collect(rx: Receiver<Zeroizing<Vec<u8>>>, until: Instant) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(8192));
    while let Ok(chunk) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
        out.extend_from_slice(&chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shorten_fingerprint;

    #[test]
    fn shortens_like_sops() {
        let fp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
        assert_eq!(shorten_fingerprint(fp), "3D16CEE4A27381B4");
        assert_eq!(
            shorten_fingerprint("FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4!"),
            "3D16CEE4A27381B4!"
        );
        assert_eq!(shorten_fingerprint("A27381B4"), "A27381B4");
        assert_eq!(shorten_fingerprint("é"), "é");
    }
}
