//! sops-rs.
fn main() {}
