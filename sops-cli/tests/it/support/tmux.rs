//! [`TmuxServer`]: a test's private tmux server (its own socket), for commands that need a real
//! terminal (`edit` with vim, passphrase and plugin prompts on `/dev/tty`); the server is killed
//! when the value is dropped, whatever happens in the test.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A private tmux server and the window a test drives in it.
pub struct TmuxServer {
    tmux: PathBuf,
    socket: PathBuf,
    window: String,
}

impl TmuxServer {
    /// A server reached through `socket`, driving the window named `window` (the test creates
    /// it with `new-session -s WINDOW`).
    pub fn new(tmux: PathBuf, socket: PathBuf, window: &str) -> Self {
        TmuxServer {
            tmux,
            socket,
            window: window.to_owned(),
        }
    }

    /// Runs `tmux -S SOCKET ARGS…` with only `PATH` and `TERM=xterm` in its environment.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.tmux)
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "xterm")
            .stdin(Stdio::null())
            .output()
            .expect("run tmux")
    }

    /// What the window shows now.
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-t", &self.window]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until it shows `what` (the test fails after a generous wait).
    pub fn wait_for(&self, what: &str) -> String {
        let mut screen = String::new();
        for _ in 0..600 {
            screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the terminal never showed {what:?}; screen:\n{screen}");
    }
}

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
