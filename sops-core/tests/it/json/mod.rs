//! The JSON reader and the JSON and binary stores.

mod parse;
mod store;
