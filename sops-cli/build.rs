//! Link options of the `sops-rs` binary.
//!
//! The binary is a position-independent executable by default, so the kernel places its code
//! and data at a random address (ASLR), as Debian and most distributions build every program:
//! a tool that holds data keys in memory keeps that hardening.
//!
//! `SOPS_RS_NO_PIE=1` at build time links it position-dependent instead (`-no-pie`, Linux with
//! glibc only). A 26 MB PIE carries about 51,000 relative relocations that the dynamic loader
//! applies at every start; without them `sops-rs --version` runs about a third of the
//! instructions (benches/README.md). The objects stay position-independent code, so only the
//! link changes; the price is that the executable's own code and data sit at fixed addresses
//! (shared libraries, stack and heap are still randomised). Worth it only where start-up
//! dominates, such as many short `secrets://` downloads on a trusted build machine.

fn main() {
    println!("cargo:rerun-if-env-changed=SOPS_RS_NO_PIE");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let no_pie = std::env::var_os("SOPS_RS_NO_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    if os == "linux" && env == "gnu" && no_pie {
        // Only the binary: the test binaries and the libraries link as before.
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
