//! The age backend: wrapping, unwrapping and where identities come from.

mod keycmd;
mod pq;
mod sshcmd;
mod support;
mod unwrap;
mod wrap;
