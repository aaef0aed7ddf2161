//! Link options of the `sops-rs` binary.
//!
//! On Linux with glibc the binary is linked as a position-dependent executable (`-no-pie`):
//! a 26 MB position-independent one carries about 51,000 relative relocations (1.2 MB of
//! `.rela.dyn`) that the dynamic loader applies at every start, touching every page of
//! `.data.rel.ro` on the way; that was about a third of the instructions of `sops-rs
//! --version` and most of its page faults (benches/README.md). The objects stay compiled as
//! position-independent code, so nothing changes but the link. The trade-off: the
//! executable's own code and data are at fixed addresses (shared libraries, stack and heap
//! are still randomised). `SOPS_RS_PIE=1` at build time keeps the PIE link.

fn main() {
    println!("cargo:rerun-if-env-changed=SOPS_RS_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let keep_pie = std::env::var_os("SOPS_RS_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    if os == "linux" && env == "gnu" && !keep_pie {
        // Only the binary: the test binaries and the libraries link as before.
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
