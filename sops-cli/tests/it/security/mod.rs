//! Issue #15's regression tests: the one write path (symlinks, hard links, FIFOs, devices,
//! owner/group/mode, read-only files), temporary files on signals, `exec --user`,
//! `--output-dir` and `helm dec` modes, and `check --staged`.

mod check_staged;
mod exec_user;
mod output_dir;
mod write_path;
mod write_signals;
