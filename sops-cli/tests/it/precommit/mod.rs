//! `sops-rs check`, directly and as a hook of the pre-commit framework.

mod check;
mod guard;
mod support;
