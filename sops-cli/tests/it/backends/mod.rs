//! Key backends tested against the reference sops through stand-ins of their services.

mod clouds;
