//! The subcommands that read or write one encrypted file (or a few): `decrypt` (and its
//! several-files form), `encrypt`, `edit`, `exec-env`/`exec-file`, `groups`, `rotate` and
//! `updatekeys`, `set`/`unset`, and the git `diff --textconv` helper. `extract` is the
//! `--extract` path syntax that `decrypt` and `set` share.

pub(crate) mod decrypt;
mod decrypt_many;
pub(crate) mod edit;
pub(crate) mod encrypt;
pub(crate) mod exec;
mod extract;
pub(crate) mod groups;
mod parallel;
pub(crate) mod rotate;
pub(crate) mod setunset;
pub(crate) mod textconv;
