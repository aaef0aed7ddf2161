//! Tampered files and refused inputs: sops-rs must refuse them as the reference sops does.

mod metadata;
mod structure;
mod support;
mod tampered;
mod values;
