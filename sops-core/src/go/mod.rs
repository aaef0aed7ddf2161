//! Numbers and times written and read the way Go writes and reads them, so that sops-rs produces
//! the bytes sops produces: `strconv`'s float formats, `encoding/json`'s floats, `time.RFC3339`
//! and friends, and the timestamp forms go-yaml accepts.
//!
//! A leaf: nothing here knows the tree, the stores or the metadata, which all use it.

mod number;
mod time;

pub(crate) use number::{float_f, float_g, JsonFloat};
pub use time::{parse_rfc3339, parse_yaml_timestamp, CivilTime};
pub(crate) use time::{rfc3339_seconds, time_string};
