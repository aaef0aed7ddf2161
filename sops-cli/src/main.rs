//! `sops-rs`: a drop-in replacement for the `sops` command line, built on `sops-core` and
//! `sops-keys`. Exit codes and messages follow sops 3.11.
#![forbid(unsafe_code)]

mod cli;
mod decrypt;
mod encrypt;
mod error;
mod extract;
mod io;
mod keys;

use clap::Parser;
use error::CliError;
use std::io::Write;

fn main() {
    let code = match run() {
        Ok(()) => 0,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{e}");
            e.code
        }
    };
    std::process::exit(code);
}

fn run() -> Result<(), CliError> {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    match args.command {
        cli::Command::Decrypt(a) => decrypt::run(&a),
        cli::Command::Encrypt(a) => encrypt::run(&a),
    }
}
