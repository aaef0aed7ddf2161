//! The JSON store: `load_plain`, `load_encrypted`, `emit_*` and `emit_value` never panic, and
//! what loads is a fixed point of writing and reading again (see `sops_rs_fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sops_core::store::json::JsonStore;

fuzz_target!(|data: &[u8]| {
    let store = JsonStore::new(-1);
    sops_rs_fuzz::plain_round_trip(&store, data, false, false);
    sops_rs_fuzz::encrypted_round_trip(&store, data, false);
});
