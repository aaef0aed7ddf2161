//! Master-key backends that talk to a key service, each against a local stand-in of that
//! service and the reference sops.

mod vault;
