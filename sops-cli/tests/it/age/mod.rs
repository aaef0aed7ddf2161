//! age beyond X25519: `sops-rs age-keygen` ([`keygen`]) and post-quantum hybrid keys
//! ([`pq`]), each against the reference sops (a 3.12 pre-release built with age 1.3, which
//! speaks `age1pq1…` natively) and Debian's `age-keygen`.

mod keygen;
mod passphrase;
mod plugin;
mod pq;

use crate::support::{Output, Sandbox, Tool};

/// A key made by `sops-rs age-keygen [--pq] -o NAME` in `sandbox`: (path, recipient).
pub(crate) fn new_key(sandbox: &Sandbox, name: &str, pq: bool) -> (std::path::PathBuf, String) {
    let path = sandbox.file(name);
    let mut args = vec!["age-keygen", "-o", name];
    if pq {
        args.push("--pq");
    }
    sandbox.run(Tool::SopsRs, &args).expect_success();
    let text = std::fs::read_to_string(&path).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("a `# public key:` line")
        .to_owned();
    (path, recipient)
}

/// The stdout of a successful run, as text.
pub(crate) fn stdout(out: Output) -> String {
    String::from_utf8(out.expect_success().stdout).unwrap()
}
