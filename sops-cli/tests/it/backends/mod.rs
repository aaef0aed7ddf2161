//! Master-key backends that talk to a service, each tested against a local stand-in of that
//! service and the reference sops.

mod clouds;
mod vault;
