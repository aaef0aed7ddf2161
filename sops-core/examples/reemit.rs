//! Reads a plaintext file and writes it back through a store: what `sops decrypt` would print
//! for the same file after `sops encrypt`. A debugging aid for store compatibility.
//!
//! Usage: `cargo run -p sops-core --example reemit -- FILE [yaml|json]`

use sops_core::store::Format;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: reemit FILE [FORMAT]");
    let format = args
        .next()
        .and_then(|f| Format::from_name(&f))
        .unwrap_or_else(|| Format::from_path(path.as_ref()));
    let input = std::fs::read(&path).expect("readable input");
    let store = format.store();
    match store.load_plain(&input).and_then(|t| store.emit_plain(&t)) {
        Ok(out) => {
            use std::io::Write;
            std::io::stdout().write_all(&out).expect("stdout");
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(e.exit_code());
        }
    }
}
