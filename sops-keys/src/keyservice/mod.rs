//! sops's key service protocol (feature `keyservice`): gRPC `KeyService.Encrypt`/`Decrypt`, as
//! `sops keyservice` serves it and `--keyservice URI` uses it.
//!
//! * [`proto`]: the protocol's messages, hand-written with `prost` from `keyservice.proto`
//!   (kept beside this module, from getsops/sops, MPL-2.0); no `protoc` is needed.
//! * [`convert`]: metadata entries to protocol keys and back, one match arm per key kind.
//! * [`KeyServiceClient`]: one service at `tcp://host:port` or `unix:///path`, called from
//!   synchronous code.
//! * [`RemoteKeySource`]: a [`KeySource`](sops_core::KeySource) that asks a service, so that
//!   embedders list remote services beside local backends ([`sources_in_order`]).
//!
//! The server side (`sops-rs keyservice`) lives in the CLI; it maps a protocol key to an entry
//! with [`convert::fields_of_key`] and hands it to the local backend of that type.
//!
//! Data keys cross this module in zeroizing containers ([`proto::EncryptRequest`] and
//! [`proto::DecryptResponse`] zeroize their plaintext on drop); the buffers of the HTTP/2
//! transport underneath are not zeroized.

mod client;
pub mod convert;
pub mod proto;
mod source;

pub use client::{Address, KeyServiceClient, CONNECT_TIMEOUT};
pub use source::{sources_in_order, RemoteKeySource};
