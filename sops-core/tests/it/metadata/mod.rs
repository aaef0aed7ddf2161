//! The `sops` metadata block: how it is read and in which order it is written.

mod read;
mod write;
