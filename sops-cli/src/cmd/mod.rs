//! The subcommands that read or write one encrypted file (or a few): `decrypt` (and its
//! several-files form), `encrypt`, `edit`, `exec-env`/`exec-file`, `groups`, `rotate` and
//! `updatekeys`, `set`/`unset`, the git `diff --textconv` helper, `git` (the merge driver and
//! `git setup`) and `keyservice` (the key service server and caching agent); `age-keygen` makes
//! age identities. `extract` is the
//! `--extract` path syntax that `decrypt` and `set` share.

pub(crate) mod decrypt;
mod decrypt_many;
pub(crate) mod edit;
pub(crate) mod encrypt;
pub(crate) mod exec;
mod extract;
pub(crate) mod git;
pub(crate) mod groups;
pub(crate) mod keygen;
pub(crate) mod keyservice;
mod parallel;
pub(crate) mod rotate;
pub(crate) mod setunset;
pub(crate) mod textconv;
