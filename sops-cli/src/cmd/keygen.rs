//! `sops-rs age-keygen [--pq] [-o OUTPUT]` and `sops-rs age-keygen -y [-o OUTPUT] [INPUT]`:
//! age-keygen (age 1.3) inside sops-rs, so one binary is enough in a CI image.
//!
//! As age-keygen: the identity file is `# created: <RFC 3339>`, `# public key: <recipient>`
//! and the identity, each line ending in `\n`; `-o` creates the file with mode 0600 and never
//! overwrites one; the public key goes to stderr as `Public key: …` when the output is not a
//! terminal; a world-readable output file gets a warning. `-y` prints one recipient per line,
//! without comments. The time is written in UTC (age-keygen uses the local zone; with
//! `TZ=UTC` the two agree). Errors exit 1 with `age-keygen: error: …`.

use crate::cli::AgeKeygenArgs;
use crate::error::{codes, CliError};
use sops_core::internal::CivilTime;
use sops_keys::age::{generate_identity, recipients_of};
use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use zeroize::Zeroizing;

fn fail(message: String) -> CliError {
    CliError::new(codes::GENERIC, format!("age-keygen: error: {message}"))
}

pub(crate) fn run(args: &AgeKeygenArgs) -> Result<(), CliError> {
    let mut out = Output::open(args.output.as_deref())?;
    if args.convert {
        let text = read_input(args.input.as_deref())?;
        let recipients =
            recipients_of(&text).map_err(|e| fail(format!("failed to parse input: {e}")))?;
        if recipients.is_empty() {
            return Err(fail("no identities found in the input".to_owned()));
        }
        let mut lines = String::new();
        for r in recipients {
            lines.push_str(&r);
            lines.push('\n');
        }
        return out.write(lines.as_bytes());
    }
    if out.world_readable() {
        eprintln!("age-keygen: warning: writing secret key to a world-readable file");
    }
    let new = generate_identity(args.pq);
    if !out.is_terminal() {
        eprintln!("Public key: {}", new.recipient);
    }
    let text = Zeroizing::new(format!(
        "# created: {}\n# public key: {}\n{}\n",
        CivilTime::now_utc().rfc3339(),
        new.recipient,
        &*new.secret
    ));
    out.write(text.as_bytes())
}

/// Reads identity text from `path`, or stdin for none or `-`.
fn read_input(path: Option<&std::path::Path>) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    match path.filter(|p| p.as_os_str() != "-") {
        Some(p) => File::open(p)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| fail(format!("failed to open input file {:?}: {e}", p.display())))?,
        None => std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("failed to read standard input: {e}")))?,
    };
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| fail("failed to parse input: it is not UTF-8 text".to_owned()))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Standard output, or a new file created with mode 0600.
enum Output {
    Stdout,
    File(File, String),
}

impl Output {
    fn open(path: Option<&std::path::Path>) -> Result<Self, CliError> {
        let Some(path) = path else {
            return Ok(Output::Stdout);
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let name = path.display().to_string();
        options
            .open(path)
            .map(|f| Output::File(f, name.clone()))
            .map_err(|e| fail(format!("failed to open output file {name:?}: {e}")))
    }

    fn is_terminal(&self) -> bool {
        match self {
            Output::Stdout => std::io::stdout().is_terminal(),
            Output::File(f, _) => f.is_terminal(),
        }
    }

    /// Whether the output is a regular file that others may read.
    fn world_readable(&self) -> bool {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = match self {
                Output::Stdout => File::open("/dev/stdout").and_then(|f| f.metadata()),
                Output::File(f, _) => f.metadata(),
            };
            if let Ok(meta) = meta {
                return meta.is_file() && meta.permissions().mode() & 0o004 != 0;
            }
        }
        false
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), CliError> {
        let result = match self {
            Output::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(bytes).and_then(|()| stdout.flush())
            }
            Output::File(f, _) => f.write_all(bytes).and_then(|()| f.sync_all()),
        };
        result.map_err(|e| match self {
            Output::File(_, name) => fail(format!("failed to write output file {name:?}: {e}")),
            Output::Stdout => fail(format!("failed to write standard output: {e}")),
        })
    }
}
