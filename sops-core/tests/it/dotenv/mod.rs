//! The dotenv store: its flattened metadata and files written by the reference sops.

mod metadata;
mod store;
