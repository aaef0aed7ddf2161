//! Talking to the user on the terminal: `/dev/tty`, never standard input or output, so that
//! prompts work while those are files or pipes and fail cleanly when there is no terminal.
//! Secrets are read with echo off, restored afterwards (also when reading fails).

use zeroize::Zeroizing;

/// Shows `prompt` on the terminal and reads one line without echo. The error says why no
/// terminal could be used.
pub(crate) fn read_secret(prompt: &str) -> Result<Zeroizing<String>, String> {
    read_line(prompt, false)
}

/// Shows `prompt` on the terminal and reads one line, echoed.
pub(crate) fn read_visible(prompt: &str) -> Result<Zeroizing<String>, String> {
    read_line(prompt, true)
}

/// Writes `message` and a newline to the terminal, or to stderr without one.
pub(crate) fn show(message: &str) {
    use std::io::Write;
    match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        Ok(mut tty) => {
            let _ = writeln!(tty, "{message}");
        }
        Err(_) => eprintln!("{message}"),
    }
}

#[cfg(unix)]
fn read_line(prompt: &str, echo: bool) -> Result<Zeroizing<String>, String> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    use std::io::{BufRead, Write};
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("no terminal to ask on (/dev/tty: {e})"))?;
    let saved = tcgetattr(&tty).map_err(|e| format!("/dev/tty is not a terminal ({e})"))?;
    if !echo {
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        quiet.local_modes.insert(LocalModes::ECHONL);
        tcsetattr(&tty, OptionalActions::Flush, &quiet)
            .map_err(|e| format!("cannot turn off echo on the terminal ({e})"))?;
    }
    let result = (|| {
        write!(tty, "{prompt} ")?;
        tty.flush()?;
        let mut line = Zeroizing::new(String::new());
        std::io::BufReader::new(&tty).read_line(&mut line)?;
        Ok::<_, std::io::Error>(line)
    })();
    if !echo {
        let _ = tcsetattr(&tty, OptionalActions::Now, &saved);
    }
    let mut line = result.map_err(|e| format!("cannot read from the terminal ({e})"))?;
    if line.is_empty() {
        return Err("the terminal closed before an answer was entered".to_owned());
    }
    while line.ends_with(['\n', '\r']) {
        line.pop();
    }
    Ok(line)
}

#[cfg(not(unix))]
fn read_line(_prompt: &str, _echo: bool) -> Result<Zeroizing<String>, String> {
    Err("prompting on the terminal is not supported on this platform".to_owned())
}
