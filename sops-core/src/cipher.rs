//! Per-value AES-256-GCM with sops's 32-byte IVs, and the `ENC[…]` value codec.
