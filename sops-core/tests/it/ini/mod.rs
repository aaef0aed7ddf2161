//! The INI store: reading files the reference sops wrote, and writing INI from other formats.

mod emit;
mod store;
