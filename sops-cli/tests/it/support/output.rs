//! [`Running`] and [`Output`]: a started command and what a finished one did.

use super::Tool;
use std::io::Read;
use std::time::{Duration, Instant};

/// A command started with [`Cmd::spawn`].
pub struct Running {
    pub(super) tool: Tool,
    pub(super) cmdline: String,
    pub(super) child: std::process::Child,
    pub(super) stdin_writer: Option<std::thread::JoinHandle<()>>,
    pub(super) stdout_reader: std::thread::JoinHandle<Vec<u8>>,
    pub(super) stderr_reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Running {
    /// The process id (of the program itself: neither tool is started through a shell).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The command line, as in [`Output::cmdline`].
    pub fn cmdline(&self) -> &str {
        &self.cmdline
    }

    /// True while the process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait for the child").is_none()
    }

    /// Waits for the process to end; fails the test (after killing it) if it takes longer
    /// than `timeout`.
    pub fn wait(self, timeout: Duration) -> Output {
        match self.wait_or_kill(timeout) {
            (output, false) => output,
            (output, true) => panic!(
                "`{}` did not finish within {timeout:?}; killed it",
                output.cmdline
            ),
        }
    }

    /// Waits up to `timeout` for the process to end, then kills it. Returns what it printed
    /// and whether it had to be killed.
    pub fn wait_or_kill(mut self, timeout: Duration) -> (Output, bool) {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let mut killed = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if started.elapsed() > timeout {
                let _ = self.child.kill();
                killed = true;
                break self.child.wait().expect("wait for the killed child");
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        };
        if let Some(writer) = self.stdin_writer {
            let _ = writer.join();
        }
        let output = Output {
            tool: self.tool,
            cmdline: self.cmdline,
            code: status.code(),
            stdout: self.stdout_reader.join().expect("stdout reader"),
            stderr: self.stderr_reader.join().expect("stderr reader"),
        };
        (output, killed)
    }
}

pub(super) fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// What a finished command did.
pub struct Output {
    pub tool: Tool,
    /// The command line, with the sandbox and repository paths abbreviated.
    pub cmdline: String,
    /// The exit code; `None` if a signal killed the process.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// One paragraph for a failure message: command, exit code, stderr.
    pub fn describe(&self) -> String {
        let code = match self.code {
            Some(c) => format!("exit code {c}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = self.stderr_text();
        let stderr = if stderr.trim().is_empty() {
            "(stderr empty)".to_string()
        } else {
            format!("stderr:\n{}", indent(&truncate(&stderr, 1500)))
        };
        format!(
            "`{}` → {code}, {} bytes on stdout; {stderr}",
            self.cmdline,
            self.stdout.len()
        )
    }

    /// Fails the test unless the command exited with 0.
    pub fn expect_success(self) -> Output {
        assert!(self.success(), "command failed: {}", self.describe());
        self
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes more)", &text[..end], text.len() - end)
}
